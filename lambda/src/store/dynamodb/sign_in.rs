//! Apps' sign-in requests: one `authreq#<id>` item each (`client_id`,
//! `redirect_uri`, `scope`, `state?`, `nonce?`, `code_challenge?`,
//! `login_hint?`, `ui_locales?`, `prompt_login?`, `max_age?`,
//! `hint_subject?`, `created_at`, `expires_at`, `ttl`; the grant
//! `code_hash`, `flow_id?`, `sid?`, `email`, `subject`, `auth_time`, `amr`,
//! `code_expires_at`; the redemption `token_hash`, `redeemed_at`,
//! `token_expires_at` and the refresh token's `refresh_hash?`,
//! `refresh_generation?`, `refresh_expires_at?`; `cancelled_at?`,
//! `revoked_at?`). The steps a session allows are in `bound.rs`.
//!
//! Each step is one `UpdateItem` whose condition holds every check, times
//! included (TTL deletion is lazy), returning the item after the write or,
//! refused, as it was. A grant and a redemption set the item's `ttl` in the
//! same write, to when what they wrote stops mattering.

use super::auth_item::{auth_from_item, auth_item, auth_key, grant_attributes, refresh_attributes};
use super::item::{n, s};
use super::{Conditional, DynamoStore, conditional, sdk_error, unexpected};
use crate::domain::SignInId;
use crate::store::flow::NEW_ITEM;
use crate::store::sign_in::{
    CANCELLABLE, GRANTABLE, REDEEMABLE, REFRESH_REVOCABLE, REVOCABLE, WITH_PKCE, WITHOUT_PKCE,
};
use crate::store::{
    AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption, RefreshCheck, Rotation,
    SessionBound, SessionUse, SignInStore, StoreError,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};

/// The `#name` placeholders of expressions, each once.
pub(super) fn placeholders(expressions: &[&str]) -> Vec<String> {
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
    values: Vec<(String, AttributeValue)>,
    /// The `ttl` the step sets in the same write, if it sets one.
    ttl: Option<u64>,
}

impl DynamoStore {
    async fn auth_step(&self, id: &SignInId, step: Step<'_>) -> Result<AuthStep, StoreError> {
        let mut values = step.values;
        let update = match step.ttl {
            Some(ttl) => {
                values.push((":ttl".to_owned(), n(ttl)));
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
        values: &[(String, AttributeValue)],
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
            request = request.expression_attribute_values(placeholder, value.clone());
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
        let (update, mut values) = grant_update(grant);
        values.push((":now".to_owned(), n(now)));
        let step = Step {
            update: &update,
            condition: GRANTABLE,
            values,
            ttl: Some(ttl),
        };
        self.auth_step(id, step).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError> {
        let step = Step {
            update: "SET #cancelled_at = :now",
            condition: CANCELLABLE,
            values: vec![(":now".to_owned(), n(now))],
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
        let mut written = vec![
            ("token_hash", s(&redemption.token_hash)),
            ("redeemed_at", n(redemption.redeemed_at)),
            ("token_expires_at", n(redemption.token_expires_at)),
        ];
        if let Some(refresh) = &redemption.refresh {
            written.extend(refresh_attributes(refresh));
        }
        let (update, mut values) = set_update(&written);
        values.extend([
            (":code_hash".to_owned(), s(&check.code_hash)),
            (":now".to_owned(), n(check.now)),
            (":client_id".to_owned(), s(&check.client_id)),
            (":redirect_uri".to_owned(), s(&check.redirect_uri)),
        ]);
        let condition = match &check.code_challenge {
            Some(challenge) => {
                values.push((":code_challenge".to_owned(), s(challenge)));
                format!("{REDEEMABLE}{WITH_PKCE}")
            }
            None => format!("{REDEEMABLE}{WITHOUT_PKCE}"),
        };
        let step = Step {
            update: &update,
            condition: &condition,
            values,
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
        let mut values = vec![
            (":code_hash".to_owned(), s(&check.code_hash)),
            (":client_id".to_owned(), s(&check.client_id)),
            (":redirect_uri".to_owned(), s(&check.redirect_uri)),
            (":now".to_owned(), n(now)),
        ];
        let condition = match &check.code_challenge {
            Some(challenge) => {
                values.push((":code_challenge".to_owned(), s(challenge)));
                format!("{REVOCABLE}{WITH_PKCE}")
            }
            None => format!("{REVOCABLE}{WITHOUT_PKCE}"),
        };
        let step = Step {
            update: "SET #revoked_at = :now",
            condition: &condition,
            values,
            ttl: None,
        };
        self.auth_step(id, step).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn grant_in_session(
        &self,
        id: &SignInId,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError> {
        self.grant_bound(id, grant, ttl, session).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %request.id))]
    async fn put_granted(
        &self,
        request: &AuthRequest,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError> {
        self.put_bound(request, grant, ttl, session).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn refresh(
        &self,
        id: &SignInId,
        check: &RefreshCheck,
        rotation: &Rotation,
        session: &SessionUse,
        ttl: u64,
    ) -> Result<SessionBound, StoreError> {
        self.refresh_bound(id, check, rotation, session, ttl).await
    }

    #[tracing::instrument(skip_all, fields(sign_in = %id))]
    async fn revoke_refresh(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError> {
        let step = Step {
            update: "SET #revoked_at = :now",
            condition: REFRESH_REVOCABLE,
            values: vec![(":now".to_owned(), n(now))],
            ttl: None,
        };
        self.auth_step(id, step).await
    }
}

/// `SET #a = :a, …` for each attribute, and its values.
pub(super) fn set_update(
    attributes: &[(&'static str, AttributeValue)],
) -> (String, Vec<(String, AttributeValue)>) {
    let clauses: Vec<String> = attributes
        .iter()
        .map(|(name, _)| format!("#{name} = :{name}"))
        .collect();
    let values = attributes
        .iter()
        .map(|(name, value)| (format!(":{name}"), value.clone()))
        .collect();
    (format!("SET {}", clauses.join(", ")), values)
}

/// The grant's update: each attribute only if not there yet, so a repeat of
/// the same grant keeps the first one's fields.
pub(super) fn grant_update(grant: &Grant) -> (String, Vec<(String, AttributeValue)>) {
    let attributes = grant_attributes(grant);
    let clauses: Vec<String> = attributes
        .iter()
        .map(|(name, _)| format!("#{name} = if_not_exists(#{name}, :{name})"))
        .collect();
    let values = attributes
        .into_iter()
        .map(|(name, value)| (format!(":{name}"), value))
        .collect();
    (format!("SET {}", clauses.join(", ")), values)
}

#[cfg(test)]
mod tests {
    use super::*;

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
