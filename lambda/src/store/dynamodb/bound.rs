//! The steps of a sign-in that a session allows (a grant without a code, a
//! grant at `prompt=none`, a refresh): each one `TransactWriteItems` of the
//! authorization item's step and the session's use, whose condition is
//! that the session is live. A session that ended first cancels the whole
//! step; the cancellation reasons, in the items' order, say which
//! condition failed.

use super::auth_item::{auth_from_item, auth_item, auth_key, grant_attributes, refresh_attributes};
use super::item::{n, s};
use super::session::session_key;
use super::sign_in::{grant_update, placeholders, set_update};
use super::{CONDITION_FAILED, DynamoStore, reason_code, sdk_error, unexpected};
use crate::domain::SignInId;
use crate::store::flow::NEW_ITEM;
use crate::store::session::LIVE;
use crate::store::sign_in::{GRANTABLE, REFRESHABLE};
use crate::store::{
    AuthRequest, Grant, RefreshCheck, Rotation, SessionBound, SessionUse, StoreError,
};
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

impl DynamoStore {
    /// The session's use, as the second item of a step's transaction.
    fn session_use(&self, session: &SessionUse) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", session_key(&session.id))
            .update_expression("SET #idle_expires_at = :idle ADD #clients :client")
            .condition_expression(LIVE)
            .expression_attribute_names("#idle_expires_at", "idle_expires_at")
            .expression_attribute_names("#clients", "clients")
            .expression_attribute_names("#ended_at", "ended_at")
            .expression_attribute_names("#expires_at", "expires_at")
            .expression_attribute_values(":idle", n(session.idle_expires_at))
            .expression_attribute_values(
                ":client",
                AttributeValue::Ss(vec![session.client.clone()]),
            )
            .expression_attribute_values(":now", n(session.now))
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// A conditional update of the authorization item `id`, as the first
    /// item of a step's transaction; a refusal returns the item as it was.
    fn auth_item_update(
        &self,
        id: &SignInId,
        update: &str,
        condition: &str,
        values: Vec<(String, AttributeValue)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut builder = Update::builder()
            .table_name(&self.table)
            .key("pk", auth_key(id))
            .update_expression(update)
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for name in placeholders(&[update, condition]) {
            let attribute = name[1..].to_owned();
            builder = builder.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in values {
            builder = builder.expression_attribute_values(placeholder, value);
        }
        let update = builder.build().map_err(sdk_error("TransactWriteItems"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Runs a step's two items and reads the outcome.
    async fn bound(&self, items: Vec<TransactWriteItem>) -> Result<SessionBound, StoreError> {
        match self.transact(items).await? {
            Ok(()) => Ok(SessionBound::Done),
            Err(reasons) => outcome(&reasons),
        }
    }

    pub(super) async fn grant_bound(
        &self,
        id: &SignInId,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError> {
        let (update, mut values) = grant_update(grant);
        values.push((":now".to_owned(), n(session.now)));
        values.push((":ttl".to_owned(), n(ttl)));
        let update = format!("{update}, #ttl = :ttl");
        let items = vec![
            self.auth_item_update(id, &update, GRANTABLE, values)?,
            self.session_use(session)?,
        ];
        self.bound(items).await
    }

    pub(super) async fn put_bound(
        &self,
        request: &AuthRequest,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError> {
        let mut item = auth_item(request, ttl);
        item.extend(
            grant_attributes(grant)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value)),
        );
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(NEW_ITEM)
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            self.session_use(session)?,
        ];
        match self.bound(items).await? {
            SessionBound::Refused(_) => {
                Err(unexpected("TransactWriteItems", "the sign-in id is taken"))
            }
            outcome => Ok(outcome),
        }
    }

    pub(super) async fn refresh_bound(
        &self,
        id: &SignInId,
        check: &RefreshCheck,
        rotation: &Rotation,
        session: &SessionUse,
        ttl: u64,
    ) -> Result<SessionBound, StoreError> {
        let mut written = vec![
            ("token_hash", s(&rotation.token_hash)),
            ("token_expires_at", n(rotation.token_expires_at)),
            ("ttl", n(ttl)),
        ];
        written.extend(refresh_attributes(&rotation.refresh));
        let (update, mut values) = set_update(&written);
        values.extend([
            (":presented_hash".to_owned(), s(&check.presented_hash)),
            (":client_id".to_owned(), s(&check.client_id)),
            (":now".to_owned(), n(check.now)),
        ]);
        let items = vec![
            self.auth_item_update(id, &update, REFRESHABLE, values)?,
            self.session_use(session)?,
        ];
        self.bound(items).await
    }
}

/// Which condition cancelled a step: the authorization item's (reported
/// with the item as it was) before the session's.
fn outcome(reasons: &[CancellationReason]) -> Result<SessionBound, StoreError> {
    if reason_code(reasons, 0) == Some(CONDITION_FAILED) {
        let record = reasons
            .first()
            .and_then(CancellationReason::item)
            .map(auth_from_item)
            .transpose()?;
        return Ok(SessionBound::Refused(record.map(Box::new)));
    }
    if reason_code(reasons, 1) == Some(CONDITION_FAILED) {
        return Ok(SessionBound::SessionOver);
    }
    Err(StoreError::new(
        "a step bound to a session was cancelled for another reason",
    ))
}
