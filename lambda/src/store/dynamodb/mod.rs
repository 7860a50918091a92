//! The deployed store: one DynamoDB table with a string partition key `pk`
//! and TTL on `ttl`.
//!
//! - `flow#<id>`: a flow (`email`, `code_hash`, `key_id`, `attempts`, `sends`,
//!   `created_at`, `expires_at`, `last_sent_at`, `used_at?`, `sign_in?`,
//!   `language` (the tag its messages are written in), `ttl`)
//! - `idem#<key>`: the flow an idempotency key maps to (`flow_id`,
//!   `expires_at`, `ttl`)
//! - `lock#<subject>#<day>`: a lockout (`until`, `n`, `ttl`)
//! - `pow#<hash>`: a spent proof of work (`ttl`)
//! - `authreq#<id>`: an app's sign-in request and its grant, redemption,
//!   cancellation and revocation (see `sign_in.rs`)
//! - `suppress#<subject>`: a suppressed mailbox (`until`, `reason`, `since`,
//!   `ttl`; see `suppression.rs`)
//! - any other key, e.g. `limit#…`: a counter (`count`, `ttl`)
//!
//! Each method is one conditional write: an `UpdateItem`, or a
//! `TransactWriteItems` where a new message and its budgets must change
//! together. A refused write returns the items as they were
//! (`ReturnValuesOnConditionCheckFailure::AllOld`), so telling the caller
//! *why* costs no second read.

use super::{
    Admission, Approval, Attempt, Created, IdempotencyKey, NewCode, Replaced, ResendGuard, Store,
    StoreError,
};
use crate::domain::{CodeHash, FlowId, FlowRecord};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Delete, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use item::{
    Item, LANGUAGE, b, flow_from_item, flow_from_refusal, flow_item, get_n, get_s, malformed, n, s,
};
use rand::Rng;
use std::time::Duration;

mod admission;
mod item;
mod sign_in;
mod suppression;
mod table;

const FLOW_PREFIX: &str = "flow#";
const IDEM_PREFIX: &str = "idem#";
/// Transactions that collide with another one on the same item are cancelled
/// (`TransactionConflict`) rather than queued; they are tried this many times.
const TRANSACTION_TRIES: u32 = 8;
/// The flow can still take a step: it exists, is unused, unexpired (TTL
/// deletion is lazy) and has tries left. Binds `:now` and `:max_attempts`.
const LIVE_FLOW: &str = "attribute_exists(pk) AND attribute_not_exists(used_at) \
     AND expires_at > :now AND attempts < :max_attempts";

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// Why a call failed, kept as the source of the [`StoreError`].
#[derive(Debug, thiserror::Error)]
enum DynamoError {
    #[error("DynamoDB {0} failed")]
    Sdk(
        &'static str,
        #[source] Box<dyn std::error::Error + Send + Sync>,
    ),
    /// Never includes the value: it may be an address or a hash.
    #[error("malformed item: attribute `{0}` is {1}")]
    Malformed(&'static str, &'static str),
    #[error("DynamoDB {0}: {1}")]
    Unexpected(&'static str, &'static str),
}

fn sdk_error<E>(operation: &'static str) -> impl FnOnce(E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StoreError::new(DynamoError::Sdk(operation, Box::new(e)))
}

fn unexpected(operation: &'static str, what: &'static str) -> StoreError {
    StoreError::new(DynamoError::Unexpected(operation, what))
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoStore {
            client,
            table: table.into(),
        }
    }

    /// Runs a transaction, trying again while it collides with another one.
    /// `Err(reasons)` when a condition failed: one reason per item, in order.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<CancellationReason>>, StoreError> {
        for attempt in 0..TRANSACTION_TRIES {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let cancelled = match result {
                Ok(_) => return Ok(Ok(())),
                Err(e) => match e.into_service_error() {
                    TransactWriteItemsError::TransactionCanceledException(c) => c,
                    other => return Err(sdk_error("TransactWriteItems")(other)),
                },
            };
            let reasons = cancelled.cancellation_reasons();
            if !reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"))
            {
                return Ok(Err(reasons.to_vec()));
            }
            // Full jitter: colliding callers spread out instead of colliding again.
            let cap = 10u64 << attempt.min(5);
            let pause = rand::rng().random_range(0..=cap);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
        Err(unexpected(
            "TransactWriteItems",
            "kept conflicting with other transactions",
        ))
    }

    /// The live flow holding an idempotency key: from the copy of the key's
    /// item that a refused claim returned, or read (consistently) without one.
    async fn refused_key_holder(
        &self,
        refused: Option<&Item>,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError> {
        let read;
        let item = match refused {
            Some(item) => Some(item),
            None => {
                read = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("pk", s(format!("{IDEM_PREFIX}{}", key.key)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(sdk_error("GetItem"))?;
                read.item()
            }
        };
        let Some(item) = item else { return Ok(None) };
        if get_n::<u64>(item, "expires_at")? <= now {
            return Ok(None);
        }
        let id = FlowId::parse(get_s(item, "flow_id")?)
            .ok_or_else(|| malformed("flow_id", "not a flow id"))?;
        Ok(Some(id))
    }

    fn flow_key(id: &FlowId) -> AttributeValue {
        s(format!("{FLOW_PREFIX}{}", id.as_str()))
    }
}

/// A conditional update's outcome: the attributes asked for by
/// `ReturnValues`, or on refusal the item as it was.
enum Conditional {
    Written(Option<Item>),
    Refused(Option<Item>),
}

fn conditional(
    result: Result<UpdateItemOutput, SdkError<UpdateItemError>>,
) -> Result<Conditional, StoreError> {
    match result {
        Ok(out) => Ok(Conditional::Written(out.attributes)),
        Err(e) => match e.into_service_error() {
            UpdateItemError::ConditionalCheckFailedException(c) => {
                Ok(Conditional::Refused(c.item().cloned()))
            }
            other => Err(sdk_error("UpdateItem")(other)),
        },
    }
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

fn reason_code(reasons: &[CancellationReason], index: usize) -> Option<&str> {
    reasons.get(index).and_then(CancellationReason::code)
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";

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
        let put_flow = Put::builder()
            .table_name(&self.table)
            .set_item(Some(flow_item(flow, ttl)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let mut items = vec![TransactWriteItem::builder().put(put_flow).build()];
        if let Some(key) = idempotency {
            let put_key = Put::builder()
                .table_name(&self.table)
                .item("pk", s(format!("{IDEM_PREFIX}{}", key.key)))
                .item("flow_id", s(flow.id.as_str()))
                .item("expires_at", n(key.expires_at))
                .item("ttl", n(key.ttl))
                .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
                .expression_attribute_values(":now", n(admission.now))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().put(put_key).build());
        }
        let first_charge = items.len();
        items.extend(self.admission_items(admission)?);
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
            if let Some(key) = idempotency {
                if reason_code(&reasons, 1) == Some(CONDITION_FAILED) {
                    match self
                        .refused_key_holder(reasons[1].item(), key, admission.now)
                        .await?
                    {
                        Some(id) => return Ok(Created::Existing(id)),
                        None => continue,
                    }
                }
            }
            return match admission::refusal(admission, &reasons[first_charge..])? {
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
            .key("pk", Self::flow_key(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        out.item().map(flow_from_item).transpose()
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
            .key("pk", Self::flow_key(id))
            .condition_expression("code_hash = :hash")
            .expression_attribute_values(":hash", b(code_hash));
        if let Some(key) = idempotency {
            let flow = Delete::builder()
                .table_name(&self.table)
                .key("pk", Self::flow_key(id))
                .condition_expression("code_hash = :hash")
                .expression_attribute_values(":hash", b(code_hash))
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            // The key is only ours to remove while it still maps to this flow.
            let key = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(format!("{IDEM_PREFIX}{}", key.key)))
                .condition_expression("attribute_not_exists(pk) OR flow_id = :flow")
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

    #[tracing::instrument(skip_all, fields(flow = %id))]
    async fn replace_code(
        &self,
        id: &FlowId,
        new: &NewCode,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<Replaced, StoreError> {
        let Some(cutoff) = guard.now.checked_sub(guard.cooldown_secs) else {
            // No send can be a whole cooldown old yet.
            return Ok(Replaced::Refused(self.get_flow(id).await?));
        };
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", Self::flow_key(id))
            .update_expression(
                "SET code_hash = :hash, key_id = :key_id, last_sent_at = :sent_at, \
                 expires_at = :expires_at, #ttl = :ttl, #lang = :lang ADD sends :one",
            )
            .condition_expression(format!(
                "{LIVE_FLOW} AND code_hash = :current AND last_sent_at <= :cutoff \
                 AND sends < :max_sends"
            ))
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_names("#lang", LANGUAGE)
            .expression_attribute_values(":lang", s(new.language.tag))
            .expression_attribute_values(":hash", b(&new.code_hash))
            .expression_attribute_values(":key_id", s(&new.key_id))
            .expression_attribute_values(":sent_at", n(new.sent_at))
            .expression_attribute_values(":expires_at", n(new.expires_at))
            .expression_attribute_values(":ttl", n(new.ttl))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(guard.now))
            .expression_attribute_values(":current", b(guard.current))
            .expression_attribute_values(":cutoff", n(cutoff))
            .expression_attribute_values(":max_sends", n(guard.max_sends))
            .expression_attribute_values(":max_attempts", n(guard.max_attempts))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        items.extend(self.admission_items(admission)?);
        let reasons = match self.transact(items).await? {
            Ok(()) => return Ok(Replaced::Done),
            Err(reasons) => reasons,
        };
        if reason_code(&reasons, 0) == Some(CONDITION_FAILED) {
            return Ok(Replaced::Refused(flow_from_refusal(
                reasons[0].item().cloned(),
            )?));
        }
        match admission::refusal(admission, &reasons[1..])? {
            Some(refusal) => Ok(Replaced::OverBudget(refusal)),
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
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::flow_key(&previous.id))
            .update_expression(
                "SET code_hash = :hash, key_id = :key_id, last_sent_at = :sent_at, \
                 expires_at = :expires_at, sends = :sends, #ttl = :ttl, #lang = :lang",
            )
            // Not once approved: the code that was delivered after all stays.
            .condition_expression("code_hash = :failed AND attribute_not_exists(used_at)")
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
            .send()
            .await;
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
            .key("pk", Self::flow_key(id))
            .update_expression("ADD attempts :one")
            .condition_expression(
                "attribute_exists(pk) AND attempts < :max_attempts \
                 AND ((attribute_not_exists(used_at) AND expires_at > :now) \
                 OR used_at >= :replay_since)",
            )
            .expression_attribute_values(":one", n(1))
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
    ) -> Result<Approval, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::flow_key(id))
            .update_expression("SET used_at = :now")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(used_at) \
                 AND expires_at > :now AND code_hash = :hash",
            )
            .expression_attribute_values(":now", n(now))
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

    #[tracing::instrument(skip_all, fields(lockout = number))]
    async fn set_lock(
        &self,
        key: &str,
        until: u64,
        number: u32,
        ttl: u64,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET #until = :until, #n = :n, #ttl = :ttl")
            .condition_expression("attribute_not_exists(#n) OR #n < :n")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#n", "n")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":n", n(number))
            .expression_attribute_values(":ttl", n(ttl))
            .send()
            .await;
        // A refusal means a later lockout is recorded already: nothing to do.
        conditional(result).map(|_| ())
    }

    /// Eventually consistent, half the price of a consistent read: a budget
    /// read a moment stale only lets one more try through to be counted.
    #[tracing::instrument(skip_all, fields(scope = key.split('#').nth(1)))]
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
    #[tracing::instrument(skip_all, fields(scope = key.split('#').nth(1), amount = amount))]
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
