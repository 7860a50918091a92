//! Where flows and counters live.
//!
//! Every state change is one conditional write, so the rules hold under any
//! interleaving of requests, on any number of Lambda instances:
//! - a new message (a flow's first code or a resend) is admitted in the same
//!   atomic write that charges every budget it passes ([`Admission`]): a
//!   budget at its limit, a spent proof of work or a suppressed mailbox
//!   ([`suppression`]) refuses the whole write, so a refused request
//!   changes nothing and costs one write; a lockout (summed by the caller
//!   from the address's flows, [`Store::listed_flows`]) refuses without a
//!   write, and the write is made only while the flows that could still
//!   start one hold the tries the caller saw;
//! - a try is counted ([`Store::count_attempt`]) before its code is compared,
//!   and the count returns the code's hash: no more than `max_attempts`
//!   submitted codes are ever compared against a flow, whatever the
//!   parallelism; the count records when, so a flow's failures are known
//!   without a write of their own;
//! - approval is a second write that only one request can win;
//! - `expires_at` is checked in every condition, because DynamoDB deletes
//!   TTL-expired items lazily; `ttl` is only garbage collection.
//!
//! Each rule is written once, in the module of the items it guards, as a
//! predicate on the record that the memory store applies under its lock,
//! beside the DynamoDB condition expression that says the same:
//!
//! - [`flow`]: a flow's steps (resend, count a try, approve, undo)
//! - [`admission`]: the budgets, lockouts, proof and suppressions a new
//!   message passes, in the one order both stores check them
//! - [`sign_in`]: an app's sign-in request, its grant, redemption and
//!   refresh token
//! - [`session`]: sessions on the service's origin, and the logouts apps ask for
//! - [`passkey`]: passkeys, and the WebAuthn ceremonies that add and use them
//! - [`suppression`]: the suppression list
//! - [`keys`]: every item's key and its prefix
//!
//! Two implementations of the [`Store`] port, held to the same contract
//! tests:
//!
//! - [`memory`]: one process, one lock; the local default and the reference
//! - [`dynamodb`]: the deployed store, one table keyed by `pk`

pub mod admission;
pub mod dynamodb;
pub mod flow;
mod forward;
pub mod keys;
pub mod memory;
pub mod passkey;
pub mod session;
pub mod sign_in;
pub mod suppression;

use crate::domain::{CodeHash, FlowId, FlowRecord};
use async_trait::async_trait;

#[doc(hidden)]
pub use async_trait::async_trait as async_trait_for_macros;

pub use admission::{Admission, Charge, Lockout, ProofMark, Refusal, Untried};
pub use dynamodb::DynamoStore;
pub use flow::{
    Approval, Attempt, Created, FreshCode, IdempotencyKey, NewMessage, ResendGuard, ResendOutcome,
};
pub use memory::MemoryStore;
pub use passkey::{Added, Ceremony, Passkey, PasskeyList, PasskeyStore, PasskeyUse, Purpose, Used};
pub use session::{
    LogoutRecord, LogoutRequest, Renewal, Session, SessionStep, SessionStore, SessionUse,
};
pub use sign_in::{
    AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption, RefreshCheck, RefreshState,
    Rotation, SessionBound, SignInStore,
};
pub use suppression::{Suppression, SuppressionReason, SuppressionStore};

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

/// The persistence port. Implementations must be linearizable per item: two
/// concurrent calls never both win the same condition.
#[async_trait]
pub trait Store: SignInStore + SessionStore + PasskeyStore + SuppressionStore {
    /// Writes a new flow if `admission` passes, charging it in the same
    /// atomic write; with `idempotency`, claims the key in that write too. A
    /// key held by a live flow yields `Created::Existing` and writes nothing.
    /// A lockout refuses without a write, and a stale [`Untried`] entry
    /// yields `Created::Stale` (see [`admission`]).
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        admission: &Admission,
    ) -> Result<Created, StoreError>;

    /// The flow an idempotency key maps to, if the key is held and unexpired.
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError>;

    /// The record as stored, whatever its state; callers judge expiry.
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError>;

    /// Every flow the counters `lists` list ([`Charge::lists`]), each once,
    /// as stored whatever its state; a flow listed but gone is left out.
    /// Read consistently: a try counted before this read is in it.
    async fn listed_flows(&self, lists: &[String]) -> Result<Vec<FlowRecord>, StoreError>;

    /// Removes a flow whose first message could not be delivered, and its
    /// idempotency key, if the code is still `code_hash`.
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError>;

    /// Records another message for a flow if the guard holds and `admission`
    /// passes, in one atomic write: sets `last_sent_at` and the language,
    /// adds one to `sends`, and charges the admission; with a fresh code,
    /// also sets its hash, sealed code, key id, `expires_at` and `ttl`.
    /// `attempts` and the tries are kept.
    async fn resend_code(
        &self,
        id: &FlowId,
        message: &NewMessage,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<ResendOutcome, StoreError>;

    /// Undoes a [`Store::resend_code`] whose message could not be delivered:
    /// writes back the fields it changed (hash, sealed code, key id,
    /// `last_sent_at`, `expires_at`, `sends`, language) from `previous`, with
    /// `ttl`, if the code is still `failed_hash` and no message was recorded
    /// since. `attempts`, the tries and `used_at` stay as they are: tries
    /// counted meanwhile are never given back.
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), StoreError>;

    /// Counts a try: adds one to `attempts` and appends `now` to the tries
    /// if `attempts < max_attempts` and the flow is unused and `expires_at >
    /// now`, or was approved at or after `replay_since` (a right code sent
    /// again after a lost answer). Returns the record after counting, code
    /// hash included: the only way to learn a flow's hash, so every
    /// comparison is counted first.
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, StoreError>;

    /// Approves: sets `used_at = now` and records try number `try_number`
    /// as the approving one, with the tries counted by then
    /// ([`crate::domain::ApprovingTry`]), if the flow is unused, `expires_at
    /// > now` and its code hash is still `code_hash` (a fresh code since the
    /// count replaced it). Only one request wins a flow.
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
    ) -> Result<Approval, StoreError>;

    /// The value of the counter `key`, 0 if it does not exist; a read.
    async fn read_counter(&self, key: &str) -> Result<i64, StoreError>;

    /// Adds `amount` (may be negative) to the counter `key`, creating it with
    /// `ttl` if missing; returns the new value.
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError>;
}
