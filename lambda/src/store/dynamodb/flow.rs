//! A flow's steps and the counters, each one conditional write whose
//! condition is the rule of [`crate::store::flow`] (or
//! [`crate::store::admission`]) it mirrors.

use super::item::{
    APPROVED_TRY, LANGUAGE, TRIES, TRIES_AT_APPROVAL, b, flow_from_item, flow_from_refusal,
    flow_item, get_n, n, s, sealed,
};
use super::{
    CONDITION_FAILED, Conditional, DynamoStore, TRANSACTION_TRIES, admission, conditional,
    reason_code, sdk_error, unexpected,
};
use crate::domain::{CodeHash, FlowId, FlowRecord};
use crate::store::admission::UNTRIED;
use crate::store::flow::{
    APPROVABLE, COUNTABLE, DELETABLE, KEY_CLAIMABLE, KEY_RELEASABLE, NEW_ITEM, RESENDABLE_EXPIRED,
    RESENDABLE_LIVE, RESTORABLE,
};
use crate::store::{
    Admission, Approval, Attempt, Created, IdempotencyKey, NewMessage, ResendGuard, ResendOutcome,
    Store, StoreError, keys,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

fn flow_key(id: &FlowId) -> AttributeValue {
    s(keys::flow(id))
}

/// A conditional update of a flow that returns it (`ReturnValues` asked for):
/// `Ok` with the flow as returned, or `Err` with the flow as it was when the
/// condition failed (`None` if there is none).
fn flow_update(
    result: Result<UpdateItemOutput, SdkError<UpdateItemError>>,
) -> Result<Result<FlowRecord, Option<FlowRecord>>, StoreError> {
    match conditional(result)? {
        Conditional::Written(item) => {
            let item = item.ok_or_else(|| unexpected("UpdateItem", "no item returned"))?;
            Ok(Ok(flow_from_item(&item)?))
        }
        Conditional::Refused(item) => Ok(Err(flow_from_refusal(item)?)),
    }
}

#[async_trait]
impl Store for DynamoStore {
    #[tracing::instrument(skip_all, fields(flow = %flow.id, idempotent = idempotency.is_some()))]
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        admission: &Admission,
    ) -> Result<Created, StoreError> {
        if admission.locked_out() {
            return Ok(Created::Refused(self.locked_out(admission).await?));
        }
        let put_flow = Put::builder()
            .table_name(&self.table)
            .set_item(Some(flow_item(flow, ttl)))
            .condition_expression(NEW_ITEM)
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let mut items = vec![TransactWriteItem::builder().put(put_flow).build()];
        if let Some(key) = idempotency {
            let put_key = Put::builder()
                .table_name(&self.table)
                .item("pk", s(keys::idempotency(&key.key)))
                .item("flow_id", s(flow.id.as_str()))
                .item("expires_at", n(key.expires_at))
                .item("ttl", n(key.ttl))
                .condition_expression(KEY_CLAIMABLE)
                .expression_attribute_values(":now", n(admission.now))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().put(put_key).build());
        }
        let first_check = items.len();
        items.extend(self.admission_items(admission, &flow.id)?);
        // A key can change hands between the refused claim and reading it
        // back (its flow deleted, or it expired): then the claim is retried.
        for _ in 0..TRANSACTION_TRIES {
            let reasons = match self.transact(items.clone()).await? {
                Ok(()) => return Ok(Created::New),
                Err(reasons) => reasons,
            };
            if reason_code(&reasons, 0) == Some(CONDITION_FAILED) {
                return Err(unexpected("TransactWriteItems", "the flow id is taken"));
            }
            if let Some(key) = idempotency
                && reason_code(&reasons, 1) == Some(CONDITION_FAILED)
            {
                match self
                    .refused_key_holder(reasons[1].item(), key, admission.now)
                    .await?
                {
                    Some(id) => return Ok(Created::Existing(id)),
                    None => continue,
                }
            }
            if admission::stale(admission, &reasons[first_check..]) {
                return Ok(Created::Stale);
            }
            return match admission::refusal(admission, &reasons[first_check..])? {
                Some(refusal) => Ok(Created::Refused(refusal)),
                None => Err(unexpected(
                    "TransactWriteItems",
                    "cancelled for another reason",
                )),
            };
        }
        Err(unexpected(
            "TransactWriteItems",
            "the idempotency key kept changing",
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError> {
        self.refused_key_holder(None, key, now).await
    }

    #[tracing::instrument(skip_all, fields(flow = %id))]
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", flow_key(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        out.item().map(flow_from_item).transpose()
    }

    #[tracing::instrument(skip_all, fields(lists = lists.len()))]
    async fn listed_flows(&self, lists: &[String]) -> Result<Vec<FlowRecord>, StoreError> {
        let counters = self.batch_get(lists).await?;
        let mut ids = Vec::new();
        for counter in counters.values() {
            let Some(listed) = counter.get("flows") else {
                continue;
            };
            let listed = listed
                .as_ss()
                .map_err(|_| super::item::malformed("flows", "not a string set"))?;
            ids.extend(listed.iter().filter_map(|id| FlowId::parse(id)));
        }
        let mut keys: Vec<String> = ids.iter().map(keys::flow).collect();
        keys.sort();
        keys.dedup();
        let flows = self.batch_get(&keys).await?;
        let mut flows = (flows.values().map(flow_from_item)).collect::<Result<Vec<_>, _>>()?;
        flows.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        Ok(flows)
    }

    #[tracing::instrument(skip_all, fields(flow = %id, idempotent = idempotency.is_some()))]
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        let delete_flow = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", flow_key(id))
            .condition_expression(DELETABLE)
            .expression_attribute_values(":hash", b(code_hash));
        if let Some(key) = idempotency {
            let flow = Delete::builder()
                .table_name(&self.table)
                .key("pk", flow_key(id))
                .condition_expression(DELETABLE)
                .expression_attribute_values(":hash", b(code_hash))
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            // The key is only ours to remove while it still maps to this flow.
            let key = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(keys::idempotency(&key.key)))
                .condition_expression(KEY_RELEASABLE)
                .expression_attribute_values(":flow", s(id.as_str()))
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            let items = vec![
                TransactWriteItem::builder().delete(flow).build(),
                TransactWriteItem::builder().delete(key).build(),
            ];
            let reasons = match self.transact(items).await? {
                Ok(()) => return Ok(()),
                Err(reasons) => reasons,
            };
            if reason_code(&reasons, 0) == Some(CONDITION_FAILED) {
                // Gone already, or a newer code was sent: nothing to undo.
                return Ok(());
            }
            if reason_code(&reasons, 1) != Some(CONDITION_FAILED) {
                return Err(unexpected(
                    "TransactWriteItems",
                    "cancelled for another reason",
                ));
            }
        }
        match delete_flow.send().await {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                DeleteItemError::ConditionalCheckFailedException(_) => Ok(()),
                other => Err(sdk_error("DeleteItem")(other)),
            },
        }
    }

    #[tracing::instrument(skip_all, fields(flow = %id, fresh = message.fresh.is_some()))]
    async fn resend_code(
        &self,
        id: &FlowId,
        message: &NewMessage,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<ResendOutcome, StoreError> {
        let Some(cutoff) = guard.now.checked_sub(guard.cooldown_secs) else {
            // No send can be a whole cooldown old yet.
            return Ok(ResendOutcome::Refused(
                self.get_flow(id).await?.map(Box::new),
            ));
        };
        if admission.locked_out() {
            let refusal = self.locked_out(admission).await?;
            return Ok(ResendOutcome::OverBudget(refusal));
        }
        let seen = admission.untried.iter().find(|seen| &seen.flow == id);
        let mut condition = match guard.expired_after {
            None => RESENDABLE_LIVE.to_owned(),
            Some(_) => RESENDABLE_EXPIRED.to_owned(),
        };
        if seen.is_some() {
            condition = format!("{condition} AND {UNTRIED}");
        }
        let mut set = "last_sent_at = :sent_at, #lang = :lang".to_owned();
        if message.fresh.is_some() {
            set.push_str(
                ", code_hash = :hash, sealed_code = :sealed, key_id = :key_id, \
                 expires_at = :expires_at, #ttl = :ttl",
            );
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", flow_key(id))
            .update_expression(format!("SET {set} ADD sends :one"))
            .condition_expression(condition)
            .expression_attribute_names("#lang", LANGUAGE)
            .expression_attribute_values(":lang", s(message.language.tag))
            .expression_attribute_values(":sent_at", n(message.sent_at))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(guard.now))
            .expression_attribute_values(":current", b(guard.current))
            .expression_attribute_values(":cutoff", n(cutoff))
            .expression_attribute_values(":max_sends", n(guard.max_sends))
            .expression_attribute_values(":max_attempts", n(guard.max_attempts))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(since) = guard.expired_after {
            update = update.expression_attribute_values(":since", n(since));
        }
        if let Some(seen) = seen {
            update = update.expression_attribute_values(":seen", n(seen.attempts));
        }
        if let Some(fresh) = &message.fresh {
            update = update
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":hash", b(&fresh.code_hash))
                .expression_attribute_values(":sealed", sealed(&fresh.sealed_code))
                .expression_attribute_values(":key_id", s(&fresh.key_id))
                .expression_attribute_values(":expires_at", n(fresh.expires_at))
                .expression_attribute_values(":ttl", n(fresh.ttl));
        }
        let update = update.build().map_err(sdk_error("TransactWriteItems"))?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(self.admission_items(admission, id)?);
        let reasons = match self.transact(items).await? {
            Ok(()) => return Ok(ResendOutcome::Done),
            Err(reasons) => reasons,
        };
        if reason_code(&reasons, 0) == Some(CONDITION_FAILED) {
            let record = flow_from_refusal(reasons[0].item().cloned())?;
            // Only the tries changed since the caller read them.
            let stale = record
                .as_ref()
                .is_some_and(|r| r.resendable(&guard) && seen.is_some_and(|seen| !r.untried(seen)));
            if stale {
                return Ok(ResendOutcome::Stale);
            }
            return Ok(ResendOutcome::Refused(record.map(Box::new)));
        }
        if admission::stale(admission, &reasons[1..]) {
            return Ok(ResendOutcome::Stale);
        }
        match admission::refusal(admission, &reasons[1..])? {
            Some(refusal) => Ok(ResendOutcome::OverBudget(refusal)),
            None => Err(unexpected(
                "TransactWriteItems",
                "cancelled for another reason",
            )),
        }
    }

    #[tracing::instrument(skip_all, fields(flow = %previous.id))]
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), StoreError> {
        let mut set = "code_hash = :hash, key_id = :key_id, last_sent_at = :sent_at, \
             expires_at = :expires_at, sends = :sends, #ttl = :ttl, #lang = :lang"
            .to_owned();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", flow_key(&previous.id))
            .condition_expression(RESTORABLE)
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#lang", LANGUAGE)
            .expression_attribute_values(":lang", s(previous.language.tag))
            .expression_attribute_values(":hash", b(&previous.code_hash))
            .expression_attribute_values(":key_id", s(&previous.key_id))
            .expression_attribute_values(":sent_at", n(previous.last_sent_at))
            .expression_attribute_values(":expires_at", n(previous.expires_at))
            .expression_attribute_values(":sends", n(previous.sends))
            .expression_attribute_values(":ttl", n(ttl))
            .expression_attribute_values(":failed", b(failed_hash))
            .expression_attribute_values(":sent", n(previous.sends + 1));
        match &previous.sealed_code {
            Some(code) => {
                set.push_str(", sealed_code = :sealed");
                update = update.expression_attribute_values(":sealed", sealed(code));
            }
            None => set.push_str(" REMOVE sealed_code"),
        }
        let result = update.update_expression(format!("SET {set}")).send().await;
        conditional(result).map(|_| ())
    }

    #[tracing::instrument(skip_all, fields(flow = %id, max_attempts = max_attempts))]
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", flow_key(id))
            .update_expression(
                "ADD attempts :one SET #tries = list_append(if_not_exists(#tries, :none), :at)",
            )
            .condition_expression(COUNTABLE)
            .expression_attribute_names("#tries", TRIES)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":at", AttributeValue::L(vec![n(now)]))
            .expression_attribute_values(":max_attempts", n(max_attempts))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":replay_since", n(replay_since))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        Ok(match flow_update(result)? {
            Ok(new) => Attempt::Counted(new),
            Err(now) => Attempt::Refused(now),
        })
    }

    #[tracing::instrument(skip_all, fields(flow = %id))]
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
    ) -> Result<Approval, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", flow_key(id))
            .update_expression(format!(
                "SET used_at = :now, {APPROVED_TRY} = :try, {TRIES_AT_APPROVAL} = attempts"
            ))
            .condition_expression(APPROVABLE)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":try", n(try_number))
            .expression_attribute_values(":hash", b(code_hash))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        Ok(match flow_update(result)? {
            Ok(new) => Approval::Approved(new),
            Err(now) => Approval::Refused(now),
        })
    }

    /// Eventually consistent, half the price of a consistent read: a budget
    /// read a moment stale only lets one more try through to be counted.
    #[tracing::instrument(skip_all, fields(scope = keys::counter_scope(key)))]
    async fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .projection_expression("#count")
            .expression_attribute_names("#count", "count")
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        match out.item() {
            Some(item) if item.contains_key("count") => get_n(item, "count"),
            _ => Ok(0),
        }
    }

    /// Logs the counter's scope (`limit#<scope>#…`), never its subject.
    #[tracing::instrument(skip_all, fields(scope = keys::counter_scope(key), amount = amount))]
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("ADD #count :n SET #ttl = if_not_exists(#ttl, :ttl)")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":n", n(amount))
            .expression_attribute_values(":ttl", n(ttl))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_error("UpdateItem"))?;
        let new = out
            .attributes()
            .ok_or_else(|| unexpected("UpdateItem", "no new value returned"))?;
        get_n(new, "count")
    }
}
