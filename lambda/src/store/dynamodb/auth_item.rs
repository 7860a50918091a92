//! An authorization item's attributes and the record they hold. A damaged
//! item is a [`StoreError`] naming the attribute, never its value.

use super::item::{Item, get_n, get_optional_n, get_s, malformed, n, s};
use crate::domain::{FlowId, SessionId, SignInId};
use crate::store::{AuthRecord, AuthRequest, Grant, Redemption, RefreshState, StoreError, keys};
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

pub(super) fn auth_key(id: &SignInId) -> AttributeValue {
    s(keys::auth_request(id))
}

pub(super) fn auth_item(request: &AuthRequest, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), auth_key(&request.id)),
        ("client_id".to_owned(), s(&request.client_id)),
        ("redirect_uri".to_owned(), s(&request.redirect_uri)),
        ("scope".to_owned(), s(&request.scope)),
        ("created_at".to_owned(), n(request.created_at)),
        ("expires_at".to_owned(), n(request.expires_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    let optional = [
        ("state", &request.state),
        ("nonce", &request.nonce),
        ("login_hint", &request.login_hint),
        ("ui_locales", &request.ui_locales),
        ("code_challenge", &request.code_challenge),
        ("hint_subject", &request.hint_subject),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    if request.prompt_login {
        item.insert("prompt_login".to_owned(), n(1));
    }
    if let Some(max_age) = request.max_age {
        item.insert("max_age".to_owned(), n(max_age));
    }
    item
}

/// The grant's attributes, as [`auth_from_item`] reads them.
pub(super) fn grant_attributes(grant: &Grant) -> Vec<(&'static str, AttributeValue)> {
    let mut attributes = vec![
        ("code_hash", s(&grant.code_hash)),
        ("email", s(&grant.email)),
        ("subject", s(&grant.subject)),
        ("auth_time", n(grant.auth_time)),
        ("amr", s(&grant.amr)),
        ("code_expires_at", n(grant.code_expires_at)),
    ];
    if let Some(flow_id) = &grant.flow_id {
        attributes.push(("flow_id", s(flow_id.as_str())));
    }
    if let Some(sid) = &grant.sid {
        attributes.push(("sid", s(sid.as_str())));
    }
    attributes
}

/// A refresh token's attributes.
pub(super) fn refresh_attributes(refresh: &RefreshState) -> [(&'static str, AttributeValue); 3] {
    [
        ("refresh_hash", s(&refresh.hash)),
        ("refresh_generation", n(refresh.generation)),
        ("refresh_expires_at", n(refresh.expires_at)),
    ]
}

fn string(item: &Item, name: &'static str) -> Result<String, StoreError> {
    get_s(item, name).map(str::to_owned)
}

fn optional_string(item: &Item, name: &'static str) -> Result<Option<String>, StoreError> {
    item.get(name).map(|_| string(item, name)).transpose()
}

pub(super) fn auth_from_item(item: &Item) -> Result<AuthRecord, StoreError> {
    let id = keys::sign_in_id_of(get_s(item, "pk")?)
        .ok_or_else(|| malformed("pk", "not a sign-in key"))?;
    let request = AuthRequest {
        id,
        client_id: string(item, "client_id")?,
        redirect_uri: string(item, "redirect_uri")?,
        scope: string(item, "scope")?,
        state: optional_string(item, "state")?,
        nonce: optional_string(item, "nonce")?,
        code_challenge: optional_string(item, "code_challenge")?,
        login_hint: optional_string(item, "login_hint")?,
        ui_locales: optional_string(item, "ui_locales")?,
        prompt_login: item.contains_key("prompt_login"),
        max_age: get_optional_n(item, "max_age")?,
        hint_subject: optional_string(item, "hint_subject")?,
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
    };
    // The grant's and the redemption's attributes are written together.
    let grant = match item.get("code_hash") {
        None => None,
        Some(_) => Some(Grant {
            code_hash: string(item, "code_hash")?,
            flow_id: optional_string(item, "flow_id")?
                .map(|id| FlowId::parse(&id).ok_or_else(|| malformed("flow_id", "not a flow id")))
                .transpose()?,
            sid: optional_string(item, "sid")?
                .map(|id| SessionId::parse(&id).ok_or_else(|| malformed("sid", "not a session id")))
                .transpose()?,
            email: string(item, "email")?,
            subject: string(item, "subject")?,
            auth_time: get_n(item, "auth_time")?,
            // A grant written before grants recorded it was proven by a code.
            amr: optional_string(item, "amr")?.unwrap_or_else(|| "otp".to_owned()),
            code_expires_at: get_n(item, "code_expires_at")?,
        }),
    };
    let redemption = match item.get("token_hash") {
        None => None,
        Some(_) => Some(Redemption {
            token_hash: string(item, "token_hash")?,
            redeemed_at: get_n(item, "redeemed_at")?,
            token_expires_at: get_n(item, "token_expires_at")?,
            refresh: match item.get("refresh_hash") {
                None => None,
                Some(_) => Some(RefreshState {
                    hash: string(item, "refresh_hash")?,
                    generation: get_n(item, "refresh_generation")?,
                    expires_at: get_n(item, "refresh_expires_at")?,
                }),
            },
        }),
    };
    Ok(AuthRecord {
        request,
        grant,
        redemption,
        cancelled_at: get_optional_n(item, "cancelled_at")?,
        revoked_at: get_optional_n(item, "revoked_at")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuthRecord {
        AuthRecord {
            request: AuthRequest {
                id: SignInId::generate(),
                client_id: "app".into(),
                redirect_uri: "https://app.example/cb".into(),
                scope: "openid email".into(),
                state: Some("st".into()),
                nonce: Some("no".into()),
                code_challenge: Some("c".repeat(43)),
                login_hint: Some("ann@example.com".into()),
                ui_locales: Some("en".into()),
                prompt_login: true,
                max_age: Some(0),
                hint_subject: Some("sub-of-ann".into()),
                created_at: 100,
                expires_at: 1900,
            },
            grant: Some(Grant {
                code_hash: "a".repeat(64),
                flow_id: Some(FlowId::generate()),
                sid: Some(SessionId::generate()),
                email: "ann@example.com".into(),
                subject: "sub".into(),
                auth_time: 200,
                amr: "otp".into(),
                code_expires_at: 260,
            }),
            redemption: Some(Redemption {
                token_hash: "b".repeat(64),
                redeemed_at: 210,
                token_expires_at: 810,
                refresh: Some(RefreshState {
                    hash: "c".repeat(64),
                    generation: 3,
                    expires_at: 9000,
                }),
            }),
            cancelled_at: None,
            revoked_at: Some(220),
        }
    }

    /// The whole record as the steps leave it in the item.
    fn full_item(r: &AuthRecord) -> Item {
        let mut item = auth_item(&r.request, 90_000);
        let grant = r.grant.as_ref().unwrap();
        let redemption = r.redemption.as_ref().unwrap();
        let mut extra = grant_attributes(grant);
        extra.extend([
            ("token_hash", s(&redemption.token_hash)),
            ("redeemed_at", n(redemption.redeemed_at)),
            ("token_expires_at", n(redemption.token_expires_at)),
            ("revoked_at", n(r.revoked_at.unwrap())),
        ]);
        extra.extend(refresh_attributes(redemption.refresh.as_ref().unwrap()));
        for (name, value) in extra {
            item.insert(name.to_owned(), value);
        }
        item
    }

    #[test]
    fn items_round_trip() {
        let full = record();
        assert_eq!(auth_from_item(&full_item(&full)).unwrap(), full);
        let bare = AuthRecord {
            request: AuthRequest {
                state: None,
                nonce: None,
                login_hint: None,
                ui_locales: None,
                code_challenge: None,
                prompt_login: false,
                max_age: None,
                hint_subject: None,
                ..full.request.clone()
            },
            grant: None,
            redemption: None,
            cancelled_at: Some(300),
            revoked_at: None,
        };
        let mut item = auth_item(&bare.request, 90_000);
        assert_eq!(item["ttl"], n(90_000));
        assert!(!item.contains_key("state") && !item.contains_key("nonce"));
        item.insert("cancelled_at".to_owned(), n(300));
        assert_eq!(auth_from_item(&item).unwrap(), bare);
        // A grant of a session has no flow; one stored before grants kept
        // their session and method has neither, and was proven by a code.
        let mut item = full_item(&full);
        for name in ["flow_id", "sid", "amr"] {
            item.remove(name);
        }
        let grant = auth_from_item(&item).unwrap().grant.unwrap();
        assert_eq!((grant.flow_id, grant.sid), (None, None));
        assert_eq!(grant.amr, "otp");
    }

    /// A damaged item is an error naming the attribute, never its value.
    #[test]
    fn malformed_items_are_errors() {
        let good = full_item(&record());
        let cases: [(&str, Option<AttributeValue>); 12] = [
            ("pk", Some(s("flow#x"))),
            ("client_id", None),
            ("state", Some(n(1))),
            ("expires_at", Some(s("1900"))),
            ("flow_id", Some(s("ann@example.com"))),
            ("email", None),
            ("code_expires_at", None),
            ("token_expires_at", Some(n(-1))),
            ("revoked_at", Some(s("later"))),
            ("sid", Some(s("not-a-session"))),
            ("max_age", Some(s("0"))),
            ("refresh_generation", None),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let err = auth_from_item(&item).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
            assert!(!err.contains("ann@"), "{err}");
        }
    }
}
