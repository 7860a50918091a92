//! The deployed store: one DynamoDB table with a string partition key `pk`
//! and TTL on `ttl`.
//!
//! - `flow#<id>`: a flow (`email`, `code_hash`, `key_id`, `attempts`, `sends`,
//!   `created_at`, `expires_at`, `last_sent_at`, `used_at?`, `ttl`)
//! - `idem#<key>`: the flow an idempotency key maps to (`flow_id`,
//!   `expires_at`, `ttl`)
//! - any other key, e.g. `limit#…`: a counter (`count`, `ttl`)
//!
//! Each method is one conditional write. A refused write returns the item as
//! it was (`ReturnValuesOnConditionCheckFailure::AllOld`), so telling the
//! caller *why* costs no second read.

use super::{
    Approval, Attempt, Created, IdempotencyKey, NewCode, Replaced, ResendGuard, Store, StoreError,
};
use crate::domain::{CodeHash, Email, FlowId, FlowRecord};
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, Delete, KeySchemaElement,
    KeyType, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TableStatus, TimeToLiveSpecification, TimeToLiveStatus, TransactWriteItem,
};
use rand::Rng;
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

const FLOW_PREFIX: &str = "flow#";
const IDEM_PREFIX: &str = "idem#";
/// Transactions that collide with another one on the same item are cancelled
/// (`TransactionConflict`) rather than queued; they are tried this many times.
const TRANSACTION_TRIES: u32 = 8;
/// How long [`DynamoStore::create_table`] waits for the table to be usable.
const TABLE_READY_WAIT: Duration = Duration::from_secs(300);

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

    /// Creates the table this store expects (on-demand capacity, TTL on
    /// `ttl`) and returns once it is usable; a table that already exists is
    /// left as it is apart from enabling TTL. For local runs and tests: the
    /// deployed table comes from the infrastructure template.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let pk = AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(sdk_error("CreateTable"))?;
        let key = KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .map_err(sdk_error("CreateTable"))?;
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(pk)
            .key_schema(key)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        let active = match created {
            Ok(out) => out
                .table_description()
                .and_then(|t| t.table_status())
                .is_some_and(|s| *s == TableStatus::Active),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateTableError::ResourceInUseException(_))
                ) =>
            {
                false
            }
            Err(e) => return Err(sdk_error("CreateTable")(e)),
        };
        if !active {
            client
                .wait_until_table_exists()
                .table_name(table)
                .wait(TABLE_READY_WAIT)
                .await
                .map_err(sdk_error("DescribeTable"))?;
        }

        let ttl = client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(sdk_error("DescribeTimeToLive"))?;
        let enabled = ttl.time_to_live_description().is_some_and(|d| {
            d.attribute_name() == Some("ttl")
                && matches!(
                    d.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                )
        });
        if !enabled {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .map_err(sdk_error("UpdateTimeToLive"))?;
            client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(sdk_error("UpdateTimeToLive"))?;
        }
        Ok(())
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

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn b(hash: &CodeHash) -> AttributeValue {
    AttributeValue::B(Blob::new(hash.0.to_vec()))
}

fn malformed(name: &'static str, what: &'static str) -> StoreError {
    StoreError::new(DynamoError::Malformed(name, what))
}

fn get<'a>(item: &'a Item, name: &'static str) -> Result<&'a AttributeValue, StoreError> {
    item.get(name).ok_or_else(|| malformed(name, "missing"))
}

fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str, StoreError> {
    get(item, name)?
        .as_s()
        .map(String::as_str)
        .map_err(|_| malformed(name, "not a string"))
}

fn get_n<T: std::str::FromStr>(item: &Item, name: &'static str) -> Result<T, StoreError> {
    get(item, name)?
        .as_n()
        .map_err(|_| malformed(name, "not a number"))?
        .parse()
        .map_err(|_| malformed(name, "out of range"))
}

fn flow_item(flow: &FlowRecord, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), DynamoStore::flow_key(&flow.id)),
        ("email".to_owned(), s(flow.email.as_str())),
        ("code_hash".to_owned(), b(&flow.code_hash)),
        ("key_id".to_owned(), s(&flow.key_id)),
        ("attempts".to_owned(), n(flow.attempts)),
        ("sends".to_owned(), n(flow.sends)),
        ("created_at".to_owned(), n(flow.created_at)),
        ("expires_at".to_owned(), n(flow.expires_at)),
        ("last_sent_at".to_owned(), n(flow.last_sent_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    if let Some(used_at) = flow.used_at {
        item.insert("used_at".to_owned(), n(used_at));
    }
    item
}

fn flow_from_item(item: &Item) -> Result<FlowRecord, StoreError> {
    let id = get_s(item, "pk")?
        .strip_prefix(FLOW_PREFIX)
        .and_then(FlowId::parse)
        .ok_or_else(|| malformed("pk", "not a flow key"))?;
    let email =
        Email::parse(get_s(item, "email")?).map_err(|_| malformed("email", "not an address"))?;
    let code_hash = get(item, "code_hash")?
        .as_b()
        .ok()
        .and_then(|blob| CodeHash::from_slice(blob.as_ref()))
        .ok_or_else(|| malformed("code_hash", "not 32 bytes"))?;
    let used_at = match item.get("used_at") {
        None => None,
        Some(_) => Some(get_n(item, "used_at")?),
    };
    Ok(FlowRecord {
        id,
        email,
        code_hash,
        key_id: get_s(item, "key_id")?.to_owned(),
        attempts: get_n(item, "attempts")?,
        sends: get_n(item, "sends")?,
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
        last_sent_at: get_n(item, "last_sent_at")?,
        used_at,
    })
}

fn flow_from_refusal(item: Option<Item>) -> Result<Option<FlowRecord>, StoreError> {
    item.as_ref().map(flow_from_item).transpose()
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
        now: u64,
    ) -> Result<Created, StoreError> {
        let put_flow = Put::builder()
            .table_name(&self.table)
            .set_item(Some(flow_item(flow, ttl)))
            .condition_expression("attribute_not_exists(pk)");
        let Some(key) = idempotency else {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(flow_item(flow, ttl)))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await
                .map_err(sdk_error("PutItem"))?;
            return Ok(Created::New);
        };
        let put_key = Put::builder()
            .table_name(&self.table)
            .item("pk", s(format!("{IDEM_PREFIX}{}", key.key)))
            .item("flow_id", s(flow.id.as_str()))
            .item("expires_at", n(key.expires_at))
            .item("ttl", n(key.ttl))
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let items = vec![
            TransactWriteItem::builder()
                .put(put_flow.build().map_err(sdk_error("TransactWriteItems"))?)
                .build(),
            TransactWriteItem::builder()
                .put(put_key.build().map_err(sdk_error("TransactWriteItems"))?)
                .build(),
        ];
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
            if reason_code(&reasons, 1) != Some(CONDITION_FAILED) {
                return Err(unexpected(
                    "TransactWriteItems",
                    "cancelled for another reason",
                ));
            }
            if let Some(id) = self.refused_key_holder(reasons[1].item(), key, now).await? {
                return Ok(Created::Existing(id));
            }
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
        guard: ResendGuard,
    ) -> Result<Replaced, StoreError> {
        let Some(cutoff) = guard.now.checked_sub(guard.cooldown_secs) else {
            // No send can be a whole cooldown old yet.
            return Ok(Replaced::Refused(self.get_flow(id).await?));
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::flow_key(id))
            .update_expression(
                "SET code_hash = :hash, key_id = :key_id, last_sent_at = :sent_at, \
                 expires_at = :expires_at, #ttl = :ttl ADD sends :one",
            )
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now \
                 AND last_sent_at <= :cutoff AND sends < :max_sends AND attempts < :max_attempts",
            )
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":hash", b(&new.code_hash))
            .expression_attribute_values(":key_id", s(&new.key_id))
            .expression_attribute_values(":sent_at", n(new.sent_at))
            .expression_attribute_values(":expires_at", n(new.expires_at))
            .expression_attribute_values(":ttl", n(new.ttl))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", n(guard.now))
            .expression_attribute_values(":cutoff", n(cutoff))
            .expression_attribute_values(":max_sends", n(guard.max_sends))
            .expression_attribute_values(":max_attempts", n(guard.max_attempts))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional(result)? {
            Conditional::Written(old) => {
                let old = old.ok_or_else(|| unexpected("UpdateItem", "no old item returned"))?;
                Ok(Replaced::Done(flow_from_item(&old)?))
            }
            Conditional::Refused(item) => Ok(Replaced::Refused(flow_from_refusal(item)?)),
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
                 expires_at = :expires_at, sends = :sends, #ttl = :ttl",
            )
            .condition_expression("code_hash = :failed")
            .expression_attribute_names("#ttl", "ttl")
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
    ) -> Result<Attempt, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::flow_key(id))
            .update_expression("ADD attempts :one")
            .condition_expression(
                "attribute_exists(pk) AND attempts < :max AND expires_at > :now \
                 AND attribute_not_exists(used_at)",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_attempts))
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional(result)? {
            Conditional::Written(new) => {
                let new = new.ok_or_else(|| unexpected("UpdateItem", "no new item returned"))?;
                Ok(Attempt::Counted(flow_from_item(&new)?))
            }
            Conditional::Refused(item) => Ok(Attempt::Refused(flow_from_refusal(item)?)),
        }
    }

    #[tracing::instrument(skip_all, fields(flow = %id, max_attempts = max_attempts))]
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        candidates: &[CodeHash],
    ) -> Result<Approval, StoreError> {
        if candidates.is_empty() {
            return Ok(Approval::Refused(self.get_flow(id).await?));
        }
        let names: Vec<String> = (0..candidates.len()).map(|i| format!(":hash{i}")).collect();
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", Self::flow_key(id))
            .update_expression("SET used_at = :now ADD attempts :one")
            .condition_expression(format!(
                "attribute_exists(pk) AND attribute_not_exists(used_at) AND expires_at > :now \
                 AND attempts < :max AND code_hash IN ({})",
                names.join(", ")
            ))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max_attempts));
        for (name, hash) in names.into_iter().zip(candidates) {
            update = update.expression_attribute_values(name, b(hash));
        }
        let result = update
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match conditional(result)? {
            Conditional::Written(new) => {
                let new = new.ok_or_else(|| unexpected("UpdateItem", "no new item returned"))?;
                Ok(Approval::Approved(flow_from_item(&new)?))
            }
            Conditional::Refused(item) => Ok(Approval::Refused(flow_from_refusal(item)?)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> FlowRecord {
        FlowRecord {
            id: FlowId::generate(),
            email: Email::parse("ann@example.com").unwrap(),
            code_hash: CodeHash([9; 32]),
            key_id: "k1".into(),
            attempts: 2,
            sends: 3,
            created_at: 100,
            expires_at: 700,
            last_sent_at: 160,
            used_at: Some(650),
        }
    }

    #[test]
    fn items_round_trip() {
        let flow = record();
        let item = flow_item(&flow, 90_000);
        assert_eq!(item["ttl"], n(90_000));
        assert_eq!(flow_from_item(&item).unwrap(), flow);
        let unused = FlowRecord {
            used_at: None,
            ..flow
        };
        let item = flow_item(&unused, 90_000);
        assert!(!item.contains_key("used_at"));
        assert_eq!(flow_from_item(&item).unwrap(), unused);
    }

    /// A damaged item is an error for the caller, never a panic, and the
    /// message names the attribute but not its value.
    #[test]
    fn malformed_items_are_errors() {
        let good = flow_item(&record(), 1);
        let cases: [(&str, Option<AttributeValue>); 6] = [
            ("code_hash", Some(AttributeValue::B(Blob::new(vec![1; 31])))),
            ("attempts", Some(n(-1))),
            ("sends", Some(s("3"))),
            ("email", Some(s("not-an-address"))),
            ("pk", Some(s("idem#x"))),
            ("created_at", None),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let err = flow_from_item(&item).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
            assert!(!err.contains("ann@"), "{err}");
        }
    }
}
