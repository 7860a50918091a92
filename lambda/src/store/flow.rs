//! What the store keeps of a flow's steps, and the rules each step's
//! conditional write holds, written once: as a predicate on the record,
//! which the memory store applies under its lock, and beside it as the
//! DynamoDB condition expression that says the same.

use super::{Refusal, Untried};
use crate::domain::{CodeHash, FlowId, FlowRecord, SealedCode};

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
    /// A flow the admission lists as [`Untried`] holds other tries by now;
    /// nothing was written, and the caller reads the address's flows again.
    Stale,
}

/// Another message for an existing flow: the same code again, or a fresh one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub sent_at: u64,
    /// The language it is written in, from now on the flow's.
    pub language: &'static otp_api::locale::Language,
    /// A fresh code, with its own expiry, in place of the flow's; `None`
    /// sends the flow's code again and keeps its expiry.
    pub fresh: Option<FreshCode>,
}

/// A new code for a flow whose code expired (or cannot be recovered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreshCode {
    pub code_hash: CodeHash,
    pub sealed_code: SealedCode,
    pub key_id: String,
    pub expires_at: u64,
    pub ttl: u64,
}

/// What must hold for a resend to go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendGuard<'a> {
    pub now: u64,
    /// The code the caller read: the flow gets its message only if it still
    /// has it, so the caller's copy is the record to restore if delivery fails.
    pub current: &'a CodeHash,
    /// `None`: the code is still live (`expires_at > now`); `Some(since)`:
    /// it expired at or before `now` and after `since`, the oldest expiry a
    /// flow still gets a fresh code for.
    pub expired_after: Option<u64>,
    /// `last_sent_at <= now - cooldown`.
    pub cooldown_secs: u64,
    /// `sends < max_sends`.
    pub max_sends: u32,
    /// `attempts < max_attempts`: an exhausted flow is dead, no new code
    /// revives it, and no expiry gives its tries back.
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResendOutcome {
    /// The message was recorded and the admission charged.
    Done,
    /// A condition on the flow failed; the record as it is now (if any) says which.
    Refused(Option<Box<FlowRecord>>),
    /// The admission was refused; nothing was written.
    OverBudget(Refusal),
    /// A flow the admission lists as [`Untried`] (this one included) holds
    /// other tries by now; nothing was written, the caller reads again.
    Stale,
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

/// An item written only under a key no item has yet (a new flow, a new
/// sign-in request): ids are random, so a taken one is an error, never a
/// step to take over. The memory store checks its map for the id.
pub(crate) const NEW_ITEM: &str = "attribute_not_exists(pk)";
/// [`key_claimable`] as a DynamoDB condition; binds `:now`.
pub(crate) const KEY_CLAIMABLE: &str = "attribute_not_exists(pk) OR expires_at <= :now";
/// [`key_releasable`] as a DynamoDB condition; binds `:flow`.
pub(crate) const KEY_RELEASABLE: &str = "attribute_not_exists(pk) OR flow_id = :flow";
/// [`FlowRecord::deletable`] as a DynamoDB condition; binds `:hash`.
pub(crate) const DELETABLE: &str = "code_hash = :hash";
/// [`FlowRecord::resendable`] for a live code as a DynamoDB condition;
/// binds `:now`, `:max_attempts`, `:current`, `:cutoff` (`now - cooldown`)
/// and `:max_sends`.
pub(crate) const RESENDABLE_LIVE: &str = "attribute_exists(pk) \
     AND attribute_not_exists(used_at) AND expires_at > :now AND attempts < :max_attempts \
     AND code_hash = :current AND last_sent_at <= :cutoff AND sends < :max_sends";
/// [`FlowRecord::resendable`] for an expired code as a DynamoDB condition;
/// binds what [`RESENDABLE_LIVE`] does and `:since`.
pub(crate) const RESENDABLE_EXPIRED: &str = "attribute_exists(pk) \
     AND attribute_not_exists(used_at) AND expires_at <= :now AND expires_at > :since \
     AND attempts < :max_attempts \
     AND code_hash = :current AND last_sent_at <= :cutoff AND sends < :max_sends";
/// [`FlowRecord::restorable`] as a DynamoDB condition; binds `:failed` and
/// `:sent`.
pub(crate) const RESTORABLE: &str =
    "code_hash = :failed AND sends = :sent AND attribute_not_exists(used_at)";
/// [`FlowRecord::countable`] as a DynamoDB condition; binds `:max_attempts`,
/// `:now` and `:replay_since`.
pub(crate) const COUNTABLE: &str = "attribute_exists(pk) AND attempts < :max_attempts \
     AND ((attribute_not_exists(used_at) AND expires_at > :now) \
     OR used_at >= :replay_since)";
/// [`FlowRecord::approvable`] as a DynamoDB condition; binds `:now` and `:hash`.
pub(crate) const APPROVABLE: &str = "attribute_exists(pk) AND attribute_not_exists(used_at) \
     AND expires_at > :now AND code_hash = :hash";

/// [`super::Store::create_flow`] may claim an idempotency key held until
/// `held_until` (`None`: not held) at `now`: a key whose time is over is
/// free again.
pub(crate) fn key_claimable(held_until: Option<u64>, now: u64) -> bool {
    held_until.is_none_or(|expires_at| expires_at <= now)
}

/// [`super::Store::delete_flow`] may remove an idempotency key that maps to
/// `holder` (`None`: gone) along with flow `id`: only while it is still
/// this flow's (it may have expired and been claimed by another since).
pub(crate) fn key_releasable(holder: Option<&FlowId>, id: &FlowId) -> bool {
    holder.is_none_or(|holder| holder == id)
}

/// The steps' rules, as predicates on the record.
impl FlowRecord {
    /// [`super::Store::delete_flow`] removes the flow only while its code is
    /// still the one whose message failed.
    pub(crate) fn deletable(&self, code_hash: &CodeHash) -> bool {
        &self.code_hash == code_hash
    }

    /// [`super::Store::resend_code`] may send the flow another message
    /// under `guard`: unused, its code live or expired as the caller read
    /// it, with tries left, still holding the code the caller read, past
    /// the cooldown and under the flow's sends.
    pub(crate) fn resendable(&self, guard: &ResendGuard<'_>) -> bool {
        let code_as_read = match guard.expired_after {
            None => self.expires_at > guard.now,
            Some(since) => self.expires_at <= guard.now && self.expires_at > since,
        };
        self.used_at.is_none()
            && code_as_read
            && self.attempts < guard.max_attempts
            && &self.code_hash == guard.current
            && self.last_sent_at.saturating_add(guard.cooldown_secs) <= guard.now
            && self.sends < guard.max_sends
    }

    /// [`super::Store::restore_code`] may write back the flow as it was
    /// before a failed resend: the failed message is still the flow's last
    /// (its code, and `sent` messages: none sent since), and the flow is not
    /// approved (then the code was delivered after all, and stays).
    pub(crate) fn restorable(&self, failed_hash: &CodeHash, sent: u32) -> bool {
        &self.code_hash == failed_hash && self.sends == sent && self.used_at.is_none()
    }

    /// The admission's [`Untried`] entry for this flow holds: the flow has
    /// exactly the tries the caller saw.
    pub(crate) fn untried(&self, seen: &Untried) -> bool {
        self.attempts == seen.attempts
    }

    /// [`super::Store::count_attempt`] may count a try at `now`: tries left,
    /// and the flow unused and unexpired, or approved at or after
    /// `replay_since`.
    pub(crate) fn countable(&self, now: u64, max_attempts: u32, replay_since: u64) -> bool {
        let open = match self.used_at {
            None => self.expires_at > now,
            Some(used_at) => used_at >= replay_since,
        };
        open && self.attempts < max_attempts
    }

    /// [`super::Store::approve`] may approve at `now`: unused, unexpired and
    /// still holding `code_hash`.
    pub(crate) fn approvable(&self, now: u64, code_hash: &CodeHash) -> bool {
        self.used_at.is_none() && self.expires_at > now && &self.code_hash == code_hash
    }
}
