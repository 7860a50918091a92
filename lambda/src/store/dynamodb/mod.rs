//! The deployed store: one DynamoDB table with a string partition key `pk`
//! and TTL on `ttl`; every item's key is made in [`super::keys`].
//!
//! - a flow: `email`, `code_hash`, `key_id`, `attempts`, `sends`,
//!   `created_at`, `expires_at`, `last_sent_at`, `used_at?`, `sign_in?`,
//!   `language` (the tag its messages are written in), `ttl` (`item.rs`)
//! - an idempotency key: `flow_id`, `expires_at`, `ttl`
//! - a lockout: `until`, `n`, `ttl`; a spent proof of work: `ttl`
//! - an app's sign-in request and its grant, redemption, refresh token,
//!   cancellation and revocation (`auth_item.rs`, `sign_in.rs`; the steps
//!   a session allows, one transaction with the session, `bound.rs`)
//! - a session, an identity's list of sessions, a logout request
//!   (`session.rs`)
//! - a passkey, an identity's user handle and list of passkeys, a WebAuthn
//!   ceremony (`passkey.rs`)
//! - a suppressed mailbox: `until`, `reason`, `since`, `ttl`
//!   (`suppression.rs`)
//! - a budget counter: `count`, `ttl`
//!
//! Each method is one conditional write (`flow.rs`): an `UpdateItem`, or a
//! `TransactWriteItems` where a new message and its budgets must change
//! together (`admission.rs`). Reads of several items at once (an address's
//! flows, the items a lockout's refusal names) are one consistent
//! `BatchGetItem` per hundred keys. Every condition is the one written beside the
//! rule it mirrors, in the module of the items it guards. A refused write
//! returns the items as they were
//! (`ReturnValuesOnConditionCheckFailure::AllOld`), so telling the caller
//! *why* costs no second read.

use super::flow::key_claimable;
use super::{IdempotencyKey, StoreError, keys};
use crate::domain::FlowId;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::{CancellationReason, KeysAndAttributes, TransactWriteItem};
use item::{Item, get_n, get_s, malformed, s};
use rand::Rng;
use std::collections::HashMap;
use std::time::Duration;

mod admission;
mod auth_item;
mod bound;
mod flow;
mod item;
mod passkey;
mod session;
mod sign_in;
mod suppression;
mod table;

/// Transactions that collide with another one on the same item are cancelled
/// (`TransactionConflict`) rather than queued; they are tried this many times.
/// So are batch reads whose keys DynamoDB leaves unprocessed (throttled).
const TRANSACTION_TRIES: u32 = 8;
/// The most keys one `BatchGetItem` takes.
const BATCH_GET_KEYS: usize = 100;

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
            if !worth_trying_again(reasons) {
                return Ok(Err(reasons.to_vec()));
            }
            backoff(attempt).await;
        }
        Err(unexpected(
            "TransactWriteItems",
            "kept conflicting with other transactions",
        ))
    }

    /// The items under `keys` (each once) that exist, read consistently,
    /// by key. Keys DynamoDB leaves unprocessed are asked for again.
    async fn batch_get(&self, keys: &[String]) -> Result<HashMap<String, Item>, StoreError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(BATCH_GET_KEYS) {
            let keys = chunk
                .iter()
                .map(|key| HashMap::from([("pk".to_owned(), s(key))]));
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys.collect()))
                    .consistent_read(true)
                    .build()
                    .map_err(sdk_error("BatchGetItem"))?,
            );
            for attempt in 0..TRANSACTION_TRIES {
                let Some(asked) = pending.take() else { break };
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, asked)
                    .send()
                    .await
                    .map_err(sdk_error("BatchGetItem"))?;
                let items = out.responses().and_then(|r| r.get(&self.table));
                for item in items.into_iter().flatten() {
                    found.insert(get_s(item, "pk")?.to_owned(), item.clone());
                }
                pending = (out.unprocessed_keys().and_then(|u| u.get(&self.table)))
                    .filter(|left| !left.keys().is_empty())
                    .cloned();
                if pending.is_some() {
                    backoff(attempt).await;
                }
            }
            if pending.is_some() {
                return Err(unexpected("BatchGetItem", "keys kept going unprocessed"));
            }
        }
        Ok(found)
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
                    .key("pk", s(keys::idempotency(&key.key)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(sdk_error("GetItem"))?;
                read.item()
            }
        };
        let Some(item) = item else { return Ok(None) };
        if key_claimable(Some(get_n(item, "expires_at")?), now) {
            return Ok(None);
        }
        let id = FlowId::parse(get_s(item, "flow_id")?)
            .ok_or_else(|| malformed("flow_id", "not a flow id"))?;
        Ok(Some(id))
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

/// Full jitter after the `attempt`th try: callers colliding on one item
/// spread out instead of colliding again.
async fn backoff(attempt: u32) {
    let cap = 10u64 << attempt.min(5);
    let pause = rand::rng().random_range(0..=cap);
    tokio::time::sleep(Duration::from_millis(pause)).await;
}

fn reason_code(reasons: &[CancellationReason], index: usize) -> Option<&str> {
    reasons.get(index).and_then(CancellationReason::code)
}

const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// Whether a cancelled transaction is tried again: only when it met another
/// transaction on one of its items (`TransactionConflict`) and none of its
/// conditions failed. A failed condition is an answer already (the request
/// is refused as the store stood before the other transaction), and trying
/// it again would only make every refusal on a busy counter collide again.
fn worth_trying_again(reasons: &[CancellationReason]) -> bool {
    let code = |code: &str| reasons.iter().any(|r| r.code() == Some(code));
    code("TransactionConflict") && !code(CONDITION_FAILED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_conflict_without_a_failed_condition_is_tried_again() {
        let reasons = |codes: &[&str]| -> Vec<CancellationReason> {
            codes
                .iter()
                .map(|code| CancellationReason::builder().code(*code).build())
                .collect()
        };
        assert!(worth_trying_again(&reasons(&[
            "None",
            "TransactionConflict"
        ])));
        assert!(!worth_trying_again(&reasons(&[
            "TransactionConflict",
            CONDITION_FAILED
        ])));
        assert!(!worth_trying_again(&reasons(&["None", CONDITION_FAILED])));
        assert!(!worth_trying_again(&reasons(&[])));
    }
}
