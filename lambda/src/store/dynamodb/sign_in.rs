//! Apps' sign-in requests: one `authreq#<id>` item each (`client_id`,
//! `redirect_uri`, `scope`, `state?`, `nonce?`, `code_challenge`,
//! `login_hint?`, `ui_locales?`, `created_at`, `expires_at`, `ttl`; the grant
//! `code_hash`, `flow_id`, `email`, `subject`, `auth_time`,
//! `code_expires_at`; the redemption `token_hash`, `redeemed_at`,
//! `token_expires_at`; `cancelled_at?`, `revoked_at?`).
//!
//! Each step is one `UpdateItem` whose condition holds every check, times
//! included (TTL deletion is lazy), returning the item after the write or,
//! refused, as it was. A grant and a redemption set the item's `ttl` in the
//! same write, to when what they wrote stops mattering.

use super::item::{Item, get_n, get_optional_n, get_s, malformed, n, s};
use super::{Conditional, DynamoStore, conditional, sdk_error, unexpected};
use crate::domain::{FlowId, SignInId};
use crate::store::flow::NEW_ITEM;
use crate::store::sign_in::{CANCELLABLE, GRANTABLE, REDEEMABLE, REVOCABLE};
use crate::store::{
    AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption, SignInStore, StoreError,
    keys,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use std::collections::HashMap;

fn auth_key(id: &SignInId) -> AttributeValue {
    s(keys::auth_request(id))
}

pub(super) fn auth_item(request: &AuthRequest, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), auth_key(&request.id)),
        ("client_id".to_owned(), s(&request.client_id)),
        ("redirect_uri".to_owned(), s(&request.redirect_uri)),
        ("scope".to_owned(), s(&request.scope)),
        ("code_challenge".to_owned(), s(&request.code_challenge)),
        ("created_at".to_owned(), n(request.created_at)),
        ("expires_at".to_owned(), n(request.expires_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    let optional = [
        ("state", &request.state),
        ("nonce", &request.nonce),
        ("login_hint", &request.login_hint),
        ("ui_locales", &request.ui_locales),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
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
        code_challenge: string(item, "code_challenge")?,
        login_hint: optional_string(item, "login_hint")?,
        ui_locales: optional_string(item, "ui_locales")?,
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
    };
    // The grant's and the redemption's attributes are written together.
    let grant = match item.get("code_hash") {
        None => None,
        Some(_) => Some(Grant {
            code_hash: string(item, "code_hash")?,
            flow_id: FlowId::parse(get_s(item, "flow_id")?)
                .ok_or_else(|| malformed("flow_id", "not a flow id"))?,
            email: string(item, "email")?,
            subject: string(item, "subject")?,
            auth_time: get_n(item, "auth_time")?,
            code_expires_at: get_n(item, "code_expires_at")?,
        }),
    };
    let redemption = match item.get("token_hash") {
        None => None,
        Some(_) => Some(Redemption {
            token_hash: string(item, "token_hash")?,
            redeemed_at: get_n(item, "redeemed_at")?,
            token_expires_at: get_n(item, "token_expires_at")?,
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

/// The `#name` placeholders of expressions, each once.
fn placeholders(expressions: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for expression in expressions {
        let mut rest = *expression;
        while let Some(at) = rest.find('#') {
            let tail = &rest[at + 1..];
            let len = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = format!("#{}", &tail[..len]);
            if !names.contains(&name) {
                names.push(name);
            }
            rest = &tail[len..];
        }
    }
    names
}

/// One conditional step on an authorization item. Every attribute is named
/// through a placeholder `#<attribute>`, so no attribute name can collide
/// with a reserved word.
struct Step<'a> {
    /// `SET …` without the `ttl`.
    update: &'a str,
    condition: &'a str,
    values: Vec<(&'static str, AttributeValue)>,
    /// The `ttl` the step sets in the same write, if it sets one.
    ttl: Option<u64>,
}

impl DynamoStore {
    async fn auth_step(&self, id: &SignInId, step: Step<'_>) -> Result<AuthStep, StoreError> {
        let mut values = step.values;
        let update = match step.ttl {
            Some(ttl) => {
                values.push((":ttl", n(ttl)));
                format!("{}, #ttl = :ttl", step.update)
            }
            None => step.update.to_owned(),
        };
        self.auth_update(id, &update, step.condition, &values).await
    }

    /// One `UpdateItem`: the record after it, or refused, the record as it was.
    async fn auth_update(
        &self,
        id: &SignInId,
        update: &str,
        condition: &str,
        values: &[(&'static str, AttributeValue)],
    ) -> Result<AuthStep, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", auth_key(id))
            .update_expression(update)
            .condition_expression(condition)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for name in placeholders(&[update, condition]) {
            let attribute = name[1..].to_owned();
            request = request.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(*placeholder, value.clone());
        }
        Ok(match conditional(request.send().await)? {
            Conditional::Written(item) => {
                let item = item.ok_or_else(|| unexpected("UpdateItem", "no item returned"))?;
                AuthStep::Done(auth_from_item(&item)?)
            }
            Conditional::Refused(None) => AuthStep::Refused(None),
            Conditional::Refused(Some(item)) => AuthStep::Refused(Some(auth_from_item(&item)?)),
        })
    }
}

#[async_trait]
impl SignInStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(sign_in = %request.id))]
    async fn put_auth_request(&self, request: &AuthRequest, ttl: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(auth_item(request, ttl)))
            .condition_expression(NEW_ITEM)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => {
                    Err(unexpected("PutItem", "the sign-in id is taken"))
                }
                other => Err(sdk_error("PutItem")(other)),
            },
        }
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn get_auth_request(&self, id: &SignInId) -> Result<Option<AuthRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", auth_key(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        out.item().map(auth_from_item).transpose()
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn grant(
        &self,
        id: &SignInId,
        grant: &Grant,
        now: u64,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        // A repeat of the same grant keeps the first one's fields.
        let step = Step {
            update: "SET #code_hash = if_not_exists(#code_hash, :code_hash), \
                 #flow_id = if_not_exists(#flow_id, :flow_id), \
                 #email = if_not_exists(#email, :email), \
                 #subject = if_not_exists(#subject, :subject), \
                 #auth_time = if_not_exists(#auth_time, :auth_time), \
                 #code_expires_at = if_not_exists(#code_expires_at, :code_expires_at)",
            condition: GRANTABLE,
            values: vec![
                (":code_hash", s(&grant.code_hash)),
                (":flow_id", s(grant.flow_id.as_str())),
                (":email", s(&grant.email)),
                (":subject", s(&grant.subject)),
                (":auth_time", n(grant.auth_time)),
                (":code_expires_at", n(grant.code_expires_at)),
                (":now", n(now)),
            ],
            ttl: Some(ttl),
        };
        self.auth_step(id, step).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError> {
        let step = Step {
            update: "SET #cancelled_at = :now",
            condition: CANCELLABLE,
            values: vec![(":now", n(now))],
            ttl: None,
        };
        self.auth_step(id, step).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn redeem(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        redemption: &Redemption,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        let step = Step {
            update: "SET #token_hash = :token_hash, #redeemed_at = :redeemed_at, \
                 #token_expires_at = :token_expires_at",
            condition: REDEEMABLE,
            values: vec![
                (":token_hash", s(&redemption.token_hash)),
                (":redeemed_at", n(redemption.redeemed_at)),
                (":token_expires_at", n(redemption.token_expires_at)),
                (":code_hash", s(&check.code_hash)),
                (":now", n(check.now)),
                (":client_id", s(&check.client_id)),
                (":redirect_uri", s(&check.redirect_uri)),
                (":code_challenge", s(&check.code_challenge)),
            ],
            ttl: Some(ttl),
        };
        self.auth_step(id, step).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn revoke(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        now: u64,
    ) -> Result<AuthStep, StoreError> {
        let step = Step {
            update: "SET #revoked_at = :now",
            condition: REVOCABLE,
            values: vec![
                (":code_hash", s(&check.code_hash)),
                (":client_id", s(&check.client_id)),
                (":redirect_uri", s(&check.redirect_uri)),
                (":code_challenge", s(&check.code_challenge)),
                (":now", n(now)),
            ],
            ttl: None,
        };
        self.auth_step(id, step).await
    }
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
                code_challenge: "c".repeat(43),
                login_hint: Some("ann@example.com".into()),
                ui_locales: Some("en".into()),
                created_at: 100,
                expires_at: 1900,
            },
            grant: Some(Grant {
                code_hash: "a".repeat(64),
                flow_id: FlowId::generate(),
                email: "ann@example.com".into(),
                subject: "sub".into(),
                auth_time: 200,
                code_expires_at: 260,
            }),
            redemption: Some(Redemption {
                token_hash: "b".repeat(64),
                redeemed_at: 210,
                token_expires_at: 810,
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
        let extra = [
            ("code_hash", s(&grant.code_hash)),
            ("flow_id", s(grant.flow_id.as_str())),
            ("email", s(&grant.email)),
            ("subject", s(&grant.subject)),
            ("auth_time", n(grant.auth_time)),
            ("code_expires_at", n(grant.code_expires_at)),
            ("token_hash", s(&redemption.token_hash)),
            ("redeemed_at", n(redemption.redeemed_at)),
            ("token_expires_at", n(redemption.token_expires_at)),
            ("revoked_at", n(r.revoked_at.unwrap())),
        ];
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
                ..full.request
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
    }

    /// A damaged item is an error naming the attribute, never its value.
    #[test]
    fn malformed_items_are_errors() {
        let good = full_item(&record());
        let cases: [(&str, Option<AttributeValue>); 9] = [
            ("pk", Some(s("flow#x"))),
            ("client_id", None),
            ("state", Some(n(1))),
            ("expires_at", Some(s("1900"))),
            ("flow_id", Some(s("ann@example.com"))),
            ("email", None),
            ("code_expires_at", None),
            ("token_expires_at", Some(n(-1))),
            ("revoked_at", Some(s("later"))),
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

    #[test]
    fn placeholders_are_each_name_once() {
        assert_eq!(
            placeholders(&[
                "SET #a = :a, #ttl = :ttl",
                "#a > :now AND attribute_exists(#b_c)"
            ]),
            ["#a", "#ttl", "#b_c"]
        );
    }
}
