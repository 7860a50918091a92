//! The suppression list: mailboxes the service stops mailing for a while,
//! because mail to them bounced for good or their owner marked it as spam
//! (reported by SES, see [`crate::suppression`]), or because the operator
//! said so.
//!
//! One item per mailbox ([`super::keys::suppression`]), where the subject is a keyed
//! hash of the address's suppression key (its identity key), so the table
//! holds no address. A new message is refused in the same atomic write that charges
//! its budgets while the item's `until` lies after `now`
//! ([`super::Admission::suppressions`]); `ttl` is only garbage collection.

use super::StoreError;
use async_trait::async_trait;

/// Why a mailbox is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionReason {
    /// A permanent bounce: the mailbox or domain does not exist.
    Bounce,
    /// The recipient marked a message as spam.
    Complaint,
    /// The operator suppressed the address (`otp suppression add`), for
    /// example on its owner's request.
    Manual,
}

impl SuppressionReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Bounce => "bounce",
            SuppressionReason::Complaint => "complaint",
            SuppressionReason::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<SuppressionReason> {
        match s {
            "bounce" => Some(SuppressionReason::Bounce),
            "complaint" => Some(SuppressionReason::Complaint),
            "manual" => Some(SuppressionReason::Manual),
            _ => None,
        }
    }
}

/// A suppression as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppression {
    /// Mail is refused while `until > now`.
    pub until: u64,
    /// What set this `until`: a notification or the operator.
    pub reason: SuppressionReason,
    /// When that notification was handled, or the operator's command ran.
    pub since: u64,
}

impl Suppression {
    /// [`SuppressionStore::suppress`] records `self` over what the key
    /// holds (`held`) only if it lasts longer.
    pub(crate) fn outlasts(&self, held: Option<&Suppression>) -> bool {
        held.is_none_or(|held| held.until < self.until)
    }
}

/// [`Suppression::outlasts`] as a DynamoDB condition; binds `:until`.
pub(crate) const OUTLASTS: &str = "attribute_not_exists(#until) OR #until < :until";

/// Keeps the suppression list. Same linearizability as [`super::Store`].
#[async_trait]
pub trait SuppressionStore: Send + Sync + 'static {
    /// Records `suppression` under `key` unless one lasting at least as long
    /// is recorded already (then nothing changes); `ttl` is its garbage
    /// collection time. Returns whether it was written. Repeating a
    /// notification (SNS and Lambda retry) changes nothing but `until` by
    /// the time between the two.
    async fn suppress(
        &self,
        key: &str,
        suppression: &Suppression,
        ttl: u64,
    ) -> Result<bool, StoreError>;

    /// The suppression under `key` as stored, whether or not it has ended.
    async fn suppression(&self, key: &str) -> Result<Option<Suppression>, StoreError>;

    /// Removes the suppression under `key`; returns whether there was one.
    async fn lift_suppression(&self, key: &str) -> Result<bool, StoreError>;
}
