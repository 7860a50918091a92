//! The suppression list: mailboxes the service stops mailing for a while
//! after SES reported a permanent bounce or a complaint, or the operator
//! suppressed one.
//!
//! With SES as the relay, bounces and complaints arrive as SNS notifications
//! (from a configuration set's event destination or the identity's feedback
//! notifications); the same binary, run with `OTP_HANDLER=notifications`,
//! takes them ([`SuppressionList::handle`]) and records a suppression under
//! the address's suppression key ([`Email::suppression_key`], its identity
//! key): what bounced, and the spellings provably of the same mailbox, never
//! every spelling that shares its budget. A bounce of `ann+x@corp.example`
//! (a tag that server refuses) suppresses that address only; a bounce of
//! `a.nn+news@gmail.com` suppresses Ann's Gmail mailbox. A send or resend to
//! a suppressed address is refused in the write that admits it (no extra
//! store call) and answered like an address that does not receive mail. The
//! operator sees each suppression as a log line with the masked address, and
//! reads, adds or lifts one with `otp suppression show|add|lift`.
//!
//! - [`notification`]: reading an SES notification
//! - [`cli`]: the `otp suppression` commands

pub mod cli;
pub mod notification;

use crate::domain::{Clock, CodeHasher, Email};
use crate::metrics::{self, Metric, NotificationKind};
use crate::store::{self, Store, StoreError, Suppression, SuppressionReason};
use aws_lambda_events::event::sns::SnsEvent;
use notification::Notice;
use std::sync::Arc;
use std::time::Duration;

/// The scope of the keyed hash that names a suppression item.
const SCOPE: &str = "suppress";
/// Kept this long past its end, then garbage.
const GRACE_SECS: u64 = DAY;
const DAY: u64 = 24 * 3600;

/// The items a message to `email` must find unsuppressed: first the item
/// of its suppression key under the pseudonym key, which never rotates
/// (where suppressions are written); then the items under each known HMAC
/// key, where suppressions were written before they moved there, so an
/// upgrade lifts none of them while their key is in `OTP_HMAC_KEYS`.
pub fn keys(hasher: &CodeHasher, email: &Email) -> Vec<String> {
    let key = email.suppression_key();
    std::iter::once(hasher.subject(SCOPE, key))
        .chain(hasher.subjects_before_pseudonyms(SCOPE, key))
        .map(|subject| store::keys::suppression(&subject))
        .collect()
}

/// How long a notification suppresses a mailbox; zero turns that kind off.
///
/// Two settings, because the two mean different things for a service that
/// only mails people who asked: a permanent bounce says the mailbox does not
/// exist, which rarely changes, while a complaint comes from a person who
/// reads that mailbox (often after codes they did not ask for, i.e. someone
/// bombing them) and who may want to sign in themselves later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SuppressionSettings {
    /// After a permanent bounce; 90 days unless configured.
    pub bounce: Duration,
    /// After a complaint; 30 days unless configured.
    pub complaint: Duration,
}

impl Default for SuppressionSettings {
    fn default() -> Self {
        SuppressionSettings {
            bounce: Duration::from_secs(90 * DAY),
            complaint: Duration::from_secs(30 * DAY),
        }
    }
}

/// What one SNS delivery amounted to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Mailboxes suppressed (or kept suppressed longer).
    pub suppressed: usize,
    /// Notifications with nothing to do (a transient bounce, a delivery, …).
    pub ignored: usize,
    /// Notifications (or recipients) that could not be read.
    pub malformed: usize,
}

/// The suppression list over the store: recording, reading and lifting.
pub struct SuppressionList {
    store: Arc<dyn Store>,
    hasher: CodeHasher,
    clock: Arc<dyn Clock>,
    settings: SuppressionSettings,
}

impl SuppressionList {
    pub fn new(
        store: Arc<dyn Store>,
        hasher: CodeHasher,
        clock: Arc<dyn Clock>,
        settings: SuppressionSettings,
    ) -> SuppressionList {
        SuppressionList {
            store,
            hasher,
            clock,
            settings,
        }
    }

    /// Handles every record of an SNS delivery. A notification that cannot
    /// be read is logged (without addresses) and counted, never an error:
    /// retrying would not make it readable. A store failure is an error, so
    /// Lambda retries the delivery (recording a suppression twice changes
    /// nothing that matters, see [`crate::store::SuppressionStore::suppress`]).
    pub async fn handle(&self, event: &SnsEvent) -> Result<Tally, StoreError> {
        let mut tally = Tally::default();
        for record in &event.records {
            let message_id = record.sns.message_id.as_str();
            match notification::parse(&record.sns.message) {
                Ok(Notice::Suppress {
                    reason,
                    recipients,
                    unreadable,
                }) => {
                    for email in &recipients {
                        if self.suppress(email, reason).await? {
                            tally.suppressed += 1;
                        }
                    }
                    if unreadable > 0 {
                        tracing::warn!(message_id, unreadable, "recipients that are not addresses");
                        metrics::record(Metric::Notification(NotificationKind::Malformed));
                        tally.malformed += unreadable;
                    }
                }
                Ok(Notice::Ignore(kind)) => {
                    tracing::info!(message_id, kind, "notification needs nothing");
                    metrics::record(Metric::Notification(NotificationKind::Ignored));
                    tally.ignored += 1;
                }
                Err(e) => {
                    tracing::warn!(message_id, error = %e, "notification not understood");
                    metrics::record(Metric::Notification(NotificationKind::Malformed));
                    tally.malformed += 1;
                }
            }
        }
        Ok(tally)
    }

    /// How long a suppression for `reason` lasts unless the operator says:
    /// the configured length of a bounce's or a complaint's (zero when that
    /// kind is turned off), and a manual one as long as a bounce's.
    pub fn default_length(&self, reason: SuppressionReason) -> Duration {
        match reason {
            SuppressionReason::Bounce | SuppressionReason::Manual => self.settings.bounce,
            SuppressionReason::Complaint => self.settings.complaint,
        }
    }

    /// Suppresses `email` for as long as `reason` says, from now, unless a
    /// longer suppression stands; returns whether it is suppressed now (not
    /// when that kind is turned off).
    pub async fn suppress(
        &self,
        email: &Email,
        reason: SuppressionReason,
    ) -> Result<bool, StoreError> {
        let length = self.default_length(reason);
        self.suppress_for(email, reason, length).await?;
        Ok(!length.is_zero())
    }

    /// Suppresses `email` for `length` from now (whole seconds), unless a
    /// suppression lasting at least as long stands; returns whether this one
    /// was written. A zero `length` writes nothing.
    pub async fn suppress_for(
        &self,
        email: &Email,
        reason: SuppressionReason,
        length: Duration,
    ) -> Result<bool, StoreError> {
        let length = length.as_secs();
        if length == 0 {
            return Ok(false);
        }
        let now = self.clock.now();
        let suppression = Suppression {
            until: now.saturating_add(length),
            reason,
            since: now,
        };
        let key = keys(&self.hasher, email).swap_remove(0);
        let written = self
            .store
            .suppress(
                &key,
                &suppression,
                suppression.until.saturating_add(GRACE_SECS),
            )
            .await?;
        let notified = match reason {
            SuppressionReason::Bounce => Some(NotificationKind::Bounce),
            SuppressionReason::Complaint => Some(NotificationKind::Complaint),
            SuppressionReason::Manual => None,
        };
        if let Some(kind) = notified {
            metrics::record(Metric::Notification(kind));
        }
        tracing::info!(
            to = %email.masked(),
            reason = reason.as_str(),
            days = length / (24 * 3600),
            kept_longer = !written,
            "address suppressed: no codes are sent to it until the suppression ends"
        );
        Ok(written)
    }

    /// The suppression of `email`'s suppression key that ends last, if one is
    /// recorded under any known key, ended or not.
    pub async fn show(&self, email: &Email) -> Result<Option<Suppression>, StoreError> {
        let mut found: Option<Suppression> = None;
        for key in keys(&self.hasher, email) {
            if let Some(s) = self.store.suppression(&key).await? {
                if found.is_none_or(|f| s.until > f.until) {
                    found = Some(s);
                }
            }
        }
        Ok(found)
    }

    /// Lifts every suppression of `email`'s suppression key; returns whether
    /// there was one.
    pub async fn lift(&self, email: &Email) -> Result<bool, StoreError> {
        let mut lifted = false;
        for key in keys(&self.hasher, email) {
            lifted |= self.store.lift_suppression(&key).await?;
        }
        if lifted {
            tracing::info!(to = %email.masked(), "suppression lifted");
        }
        Ok(lifted)
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{HmacKey, ManualClock, PseudonymKey};
    use crate::store::{MemoryStore, SuppressionStore};
    use secrecy::SecretSlice;

    fn key(id: &str, byte: u8) -> HmacKey {
        HmacKey {
            id: id.into(),
            secret: SecretSlice::from(vec![byte; 32]),
        }
    }

    /// HMAC keys `keys` (the current one first), one subject key for all.
    fn hasher(keys: &[(&str, u8)]) -> CodeHasher {
        let mut keys = keys.iter().map(|(id, byte)| key(id, *byte));
        let current = keys.next().unwrap();
        CodeHasher::new(current, keys.collect(), PseudonymKey::derive(&[7; 32]))
    }

    fn list(store: &Arc<MemoryStore>, hasher: CodeHasher, clock: &ManualClock) -> SuppressionList {
        SuppressionList::new(
            store.clone(),
            hasher,
            Arc::new(clock.clone()),
            SuppressionSettings::default(),
        )
    }

    #[test]
    fn one_item_under_the_pseudonym_key_then_one_per_hmac_key_without_the_address() {
        let rotated = hasher(&[("k2", 2), ("k1", 1)]);
        let old = hasher(&[("k1", 1)]);
        let ann = Email::parse("ann@example.com").unwrap();
        let keys_of =
            |hasher: &CodeHasher, address: &str| keys(hasher, &Email::parse(address).unwrap());
        let all = keys(&rotated, &ann);
        let before = keys(&old, &ann);
        assert_eq!(all.len(), 3);
        assert_eq!(all[0], before[0], "the pseudonym key does not rotate");
        assert_eq!(all[2], before[1], "the old key's item is checked");
        assert_ne!(all[1], before[1]);
        assert_eq!(all, keys_of(&rotated, "Ann@EXAMPLE.com"));
        assert_ne!(all, keys_of(&rotated, "bob@example.com"));
        // The identity key, not the budget key: a tag off the provider list
        // is another address, a provably equal Gmail spelling is the same.
        assert_ne!(all, keys_of(&rotated, "ann+shop@example.com"));
        assert_eq!(
            keys_of(&rotated, "a.nn+news@gmail.com"),
            keys_of(&rotated, "ann@googlemail.com")
        );
        assert!(
            all.iter()
                .all(|k| k.starts_with("suppress#") && !k.contains("ann"))
        );
    }

    /// A suppression outlives every rotation of the HMAC keys, the removal
    /// of the old key included: it is written under the pseudonym key. One
    /// written under an HMAC key (before suppressions moved) is still found
    /// and lifted while that key is known. An off kind makes none.
    #[tokio::test]
    async fn suppressions_survive_key_rotations_and_the_upgrade() {
        let store = Arc::new(MemoryStore::new());
        let clock = ManualClock::new(1_000_000);
        let before = list(&store, hasher(&[("k1", 1)]), &clock);
        let during = list(&store, hasher(&[("k2", 2), ("k1", 1)]), &clock);
        let after = list(&store, hasher(&[("k2", 2)]), &clock);
        let ann = Email::parse("ann@example.com").unwrap();
        assert!(
            before
                .suppress(&ann, SuppressionReason::Bounce)
                .await
                .unwrap()
        );
        let shown = after
            .show(&ann)
            .await
            .unwrap()
            .expect("k1 is gone, still found");
        assert_eq!(shown.until, 1_000_000 + 90 * 24 * 3600);
        assert!(after.lift(&ann).await.unwrap());
        assert_eq!(before.show(&ann).await.unwrap(), None);

        // Written by a version that named suppressions under the current HMAC key.
        let bob = Email::parse("bob@example.com").unwrap();
        let legacy = keys(&hasher(&[("k1", 1)]), &bob).swap_remove(1);
        let then = Suppression {
            until: 1_000_000 + 3600,
            reason: SuppressionReason::Complaint,
            since: 1_000_000,
        };
        assert!(store.suppress(&legacy, &then, then.until).await.unwrap());
        assert_eq!(during.show(&bob).await.unwrap(), Some(then));
        assert!(during.lift(&bob).await.unwrap());
        assert_eq!(during.show(&bob).await.unwrap(), None);

        let off = SuppressionList::new(
            store.clone(),
            hasher(&[("k2", 2)]),
            Arc::new(clock.clone()),
            SuppressionSettings {
                complaint: Duration::ZERO,
                ..SuppressionSettings::default()
            },
        );
        assert!(
            !off.suppress(&ann, SuppressionReason::Complaint)
                .await
                .unwrap()
        );
        assert_eq!(during.show(&ann).await.unwrap(), None);
        assert!(off.suppress(&ann, SuppressionReason::Bounce).await.unwrap());
        assert!(during.show(&ann).await.unwrap().is_some());
    }
}
