//! Where flows and counters live.
//!
//! Every state change is one conditional write, so the rules hold under any
//! interleaving of requests, on any number of Lambda instances:
//! - approval is one write that checks the code (by its hash), counts the
//!   attempt and marks the flow used, only while the flow is unused,
//!   unexpired and under its attempt limit; only one request can win it;
//! - a wrong code is counted by a second write under the same conditions;
//! - `expires_at` is checked in every condition, because DynamoDB deletes
//!   TTL-expired items lazily; `ttl` is only garbage collection.
//!
//! - [`memory`]: one process, one lock; the local default and the reference
//! - [`dynamodb`]: the deployed store, one table keyed by `pk`

pub mod dynamodb;
pub mod memory;

use crate::domain::{CodeHash, FlowId, FlowRecord};
use async_trait::async_trait;

pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;

/// The store could not answer: a timeout, a throttle, an outage. The caller
/// answers 503 and nothing has been half-written.
#[derive(Debug, thiserror::Error)]
#[error("store unavailable: {0}")]
pub struct StoreError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError(e.into())
    }
}

/// An idempotency key for `send`: the same key maps to the same flow until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Already scoped and hashed by the caller (no raw request id or address).
    pub key: String,
    pub expires_at: u64,
    pub ttl: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// The flow was written (with its idempotency key, atomically).
    New,
    /// The idempotency key already maps to this live flow; nothing was written.
    Existing(FlowId),
}

/// A new code for an existing flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub code_hash: CodeHash,
    pub key_id: String,
    pub sent_at: u64,
    pub expires_at: u64,
    pub ttl: u64,
}

/// What must hold for a resend to replace the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendGuard {
    pub now: u64,
    /// `last_sent_at <= now - cooldown`.
    pub cooldown_secs: u64,
    /// `sends < max_sends`.
    pub max_sends: u32,
    /// `attempts < max_attempts`: an exhausted flow is dead, no new code revives it.
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// The code was replaced; this is the record as it was before, so a failed
    /// delivery can put it back.
    Done(FlowRecord),
    /// A condition failed; the record as it is now (if any) says which.
    Refused(Option<FlowRecord>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// The flow is approved: this request's attempt was counted and `used_at`
    /// set. The record after approval.
    Approved(FlowRecord),
    /// Nothing was written: the flow is used, expired or exhausted, or its
    /// code is none of the candidates (the record says which: a live record
    /// means a wrong code), or it is gone (`None`).
    Refused(Option<FlowRecord>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The attempt was counted; the record after counting.
    Counted(FlowRecord),
    /// Not counted: the flow is used, expired or exhausted (the record says
    /// which), or gone (`None`).
    Refused(Option<FlowRecord>),
}

/// The persistence port. Implementations must be linearizable per item: two
/// concurrent calls never both win the same condition.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Writes a new flow; with `idempotency`, claims the key in the same atomic
    /// write. A key held by a live flow yields `Created::Existing` and writes nothing.
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        now: u64,
    ) -> Result<Created, StoreError>;

    /// The flow an idempotency key maps to, if the key is held and unexpired.
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError>;

    /// The record as stored, whatever its state; callers judge expiry.
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError>;

    /// Removes a flow whose first message could not be delivered, and its
    /// idempotency key, if the code is still `code_hash`.
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError>;

    /// Replaces the code of an unused, unexpired flow if the guard holds:
    /// sets the new hash, key id, `last_sent_at`, `expires_at`, `ttl`, and adds
    /// one to `sends`. `attempts` is kept.
    async fn replace_code(
        &self,
        id: &FlowId,
        new: &NewCode,
        guard: ResendGuard,
    ) -> Result<Replaced, StoreError>;

    /// Undoes a [`Store::replace_code`] whose message could not be delivered:
    /// writes back the fields it changed (hash, key id, `last_sent_at`,
    /// `expires_at`, `sends`) from `previous`, with `ttl`, if the code is still
    /// `failed_hash`. `attempts` and `used_at` stay as they are: tries counted
    /// meanwhile are never given back.
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), StoreError>;

    /// Adds one to `attempts` if the flow is unused, `expires_at > now` and
    /// `attempts < max_attempts`.
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
    ) -> Result<Attempt, StoreError>;

    /// Approves in one write: sets `used_at = now` and adds one to `attempts`
    /// if the flow is unused, `expires_at > now`, `attempts < max_attempts`
    /// and its code hash is one of `candidates` (the submitted code hashed
    /// under each known key; after a resend only the new code's hash is
    /// stored, so the old code cannot win). Only one request wins a flow.
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        candidates: &[CodeHash],
    ) -> Result<Approval, StoreError>;

    /// Adds `amount` (may be negative) to the counter `key`, creating it with
    /// `ttl` if missing; returns the new value.
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError>;
}
