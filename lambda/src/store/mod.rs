//! Where flows and counters live.
//!
//! Every state change is one conditional write, so the rules hold under any
//! interleaving of requests, on any number of Lambda instances:
//! - a new message (a flow's first code or a resend) is admitted in the same
//!   atomic write that charges every budget it passes ([`Admission`]): a
//!   budget at its limit, a lockout or a spent proof of work refuses the
//!   whole write, so a refused request changes nothing and costs one write;
//!   a suppressed mailbox ([`suppression`]) refuses it in the same write;
//! - a try is counted ([`Store::count_attempt`]) before its code is compared,
//!   and the count returns the code's hash: no more than `max_attempts`
//!   submitted codes are ever compared against a flow, whatever the
//!   parallelism;
//! - approval is a second write that only one request can win;
//! - `expires_at` is checked in every condition, because DynamoDB deletes
//!   TTL-expired items lazily; `ttl` is only garbage collection.
//!
//! - [`memory`]: one process, one lock; the local default and the reference
//! - [`dynamodb`]: the deployed store, one table keyed by `pk`

pub mod dynamodb;
pub mod memory;
pub mod sign_in;
pub mod suppression;

use crate::domain::{CodeHash, FlowId, FlowRecord, SignInId};
use async_trait::async_trait;

#[doc(hidden)]
pub use async_trait::async_trait as async_trait_for_macros;

pub use dynamodb::DynamoStore;
pub use memory::MemoryStore;
pub use sign_in::{AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption};
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
    /// The flow was written, with its idempotency key and its charges, atomically.
    New,
    /// The idempotency key already maps to this live flow; nothing was written.
    Existing(FlowId),
    /// The admission was refused; nothing was written.
    Refused(Refusal),
}

/// A budget counter that the admitting write adds one to, refusing the
/// write while the counter is at `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// `limit#<scope>#<subject>#<window>`; the subject is a keyed hash.
    pub key: String,
    pub limit: u32,
    pub ttl: u64,
}

/// A spent proof of work: written by the admitting write, which is refused
/// if it exists already, so a solution buys one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofMark {
    pub key: String,
    pub ttl: u64,
}

/// What a new message must pass, checked and charged in the same atomic
/// write as the flow change it admits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admission {
    /// Charged by one each, in this order; [`Refusal::Budget`] names one by index.
    pub charges: Vec<Charge>,
    /// Lockout items (`lock#…`): the write is refused while one of them holds
    /// an `until` after `now` and a lockout number above `lock_allowance`.
    pub locks: Vec<String>,
    /// Lockouts up to this number of their day are let through (a proof of
    /// work paid for them); 0 lets none through.
    pub lock_allowance: u32,
    pub proof: Option<ProofMark>,
    /// Suppression items (`suppress#…`, one per known HMAC key, see
    /// [`suppression`]): the write is refused while one of them holds an
    /// `until` after `now`.
    pub suppressions: Vec<String>,
    pub now: u64,
}

/// Why an admission was refused; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `charges[index]` is at its limit; `count` is its value.
    Budget { index: usize, count: i64 },
    /// A lockout lasts until `until`; it is lockout number `n` of its day.
    Locked { until: u64, n: u32 },
    /// The proof of work was spent before.
    ProofSpent,
    /// The mailbox is suppressed until `until`. Named before any budget a
    /// write also fails: no proof of work or wait would get the message through.
    Suppressed { until: u64 },
}

/// A new code for an existing flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub code_hash: CodeHash,
    pub key_id: String,
    pub sent_at: u64,
    pub expires_at: u64,
    pub ttl: u64,
    /// The language it is written in, from now on the flow's.
    pub language: &'static otp_api::locale::Language,
}

/// What must hold for a resend to replace the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendGuard<'a> {
    pub now: u64,
    /// The code the caller read: the flow is replaced only if it still has
    /// it, so the caller's copy is the record to restore if delivery fails.
    pub current: &'a CodeHash,
    /// `last_sent_at <= now - cooldown`.
    pub cooldown_secs: u64,
    /// `sends < max_sends`.
    pub max_sends: u32,
    /// `attempts < max_attempts`: an exhausted flow is dead, no new code revives it.
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replaced {
    /// The code was replaced and the admission charged.
    Done,
    /// A condition on the flow failed; the record as it is now (if any) says which.
    Refused(Option<FlowRecord>),
    /// The admission was refused; nothing was written.
    OverBudget(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The try was counted; the record after counting, whose code hash the
    /// caller may now compare once.
    Counted(FlowRecord),
    /// Not counted, so the code must not be compared: the flow is used (and
    /// past the replay window), expired or exhausted (the record says
    /// which), or gone (`None`).
    Refused(Option<FlowRecord>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// The flow is approved: `used_at` is set. The record after approval.
    Approved(FlowRecord),
    /// Nothing was written: the flow is used, expired, or holds another code
    /// by now (the record says which), or it is gone (`None`).
    Refused(Option<FlowRecord>),
}

/// The persistence port. Implementations must be linearizable per item: two
/// concurrent calls never both win the same condition.
#[async_trait]
pub trait Store: SignInStore + SuppressionStore {
    /// Writes a new flow if `admission` passes, charging it in the same
    /// atomic write; with `idempotency`, claims the key in that write too. A
    /// key held by a live flow yields `Created::Existing` and writes nothing.
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

    /// Removes a flow whose first message could not be delivered, and its
    /// idempotency key, if the code is still `code_hash`.
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError>;

    /// Replaces the code of an unused, unexpired flow if the guard holds and
    /// `admission` passes, in one atomic write: sets the new hash, key id,
    /// `last_sent_at`, `expires_at`, `ttl`, adds one to `sends`, and charges
    /// the admission. `attempts` is kept.
    async fn replace_code(
        &self,
        id: &FlowId,
        new: &NewCode,
        guard: ResendGuard<'_>,
        admission: &Admission,
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

    /// Counts a try: adds one to `attempts` if `attempts < max_attempts` and
    /// the flow is unused and `expires_at > now`, or was approved at or after
    /// `replay_since` (a right code sent again after a lost answer). Returns
    /// the record after counting, code hash included: the only way to learn
    /// a flow's hash, so every comparison is counted first.
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, StoreError>;

    /// Approves: sets `used_at = now` if the flow is unused, `expires_at >
    /// now` and its code hash is still `code_hash` (a resend since the count
    /// replaced it). Only one request wins a flow.
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
    ) -> Result<Approval, StoreError>;

    /// Records lockout number `n` of a day, ending at `until`, unless a later
    /// one (a higher `n`) is recorded already.
    async fn set_lock(&self, key: &str, until: u64, n: u32, ttl: u64) -> Result<(), StoreError>;

    /// The value of the counter `key`, 0 if it does not exist; a read.
    async fn read_counter(&self, key: &str) -> Result<i64, StoreError>;

    /// Adds `amount` (may be negative) to the counter `key`, creating it with
    /// `ttl` if missing; returns the new value.
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError>;
}

/// The steps of an app's sign-in (OpenID Connect): one `authreq#<id>` item,
/// each step one conditional write on it. See [`sign_in`]. Same
/// linearizability as [`Store`].
#[async_trait]
pub trait SignInStore: Send + Sync + 'static {
    /// Stores a validated authorization request; `ttl` is its garbage
    /// collection time. Refuses (an error) to overwrite an existing id.
    async fn put_auth_request(&self, request: &AuthRequest, ttl: u64) -> Result<(), StoreError>;

    /// The item as stored, whatever its state; callers judge expiry.
    async fn get_auth_request(&self, id: &SignInId) -> Result<Option<AuthRecord>, StoreError>;

    /// Records the grant if the request is unexpired (`expires_at > now`),
    /// not cancelled, and has no grant yet or this very grant (same
    /// `code_hash`: a repeat for the same approved flow, which keeps the
    /// first grant's fields). Sets the item's `ttl` to `ttl` in the same write:
    /// when the code and the token it may buy stop mattering.
    async fn grant(
        &self,
        id: &SignInId,
        grant: &Grant,
        now: u64,
        ttl: u64,
    ) -> Result<AuthStep, StoreError>;

    /// Cancels a request that is unexpired, not cancelled and has no grant.
    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError>;

    /// Redeems the code: records `redemption` if the item has a grant with
    /// `check.code_hash`, `code_expires_at > check.now`, no redemption yet,
    /// no revocation, and the request's client, redirect URI and code
    /// challenge equal the check's. Only one request wins a code. Raises the
    /// item's `ttl` to `ttl` in the same write.
    async fn redeem(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        redemption: &Redemption,
        ttl: u64,
    ) -> Result<AuthStep, StoreError>;

    /// Revokes the access token of a redeemed grant whose code is
    /// `code_hash` (the code was presented again), if not revoked yet.
    async fn revoke(
        &self,
        id: &SignInId,
        code_hash: &str,
        now: u64,
    ) -> Result<AuthStep, StoreError>;
}
