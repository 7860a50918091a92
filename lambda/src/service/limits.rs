//! Budgets that outlive a single flow, and the order they are checked in.
//!
//! A new message (a first code or a resend) passes, in one atomic write with
//! the flow change (see [`crate::store::Admission`]):
//! 1. the client's budget: sends per client (IPv4 address or IPv6 /64) per
//!    hour — the cheapest and most selective, and the only one whose wait is
//!    told exactly (it is the client's own);
//! 2. what this client may do to this address: sends per address and client
//!    per day;
//! 3. the address's budget: sends per address per day. Up to the free
//!    budget anyone may send; past it, and while the address is locked out
//!    after many wrong codes, a send needs a solved proof of work
//!    ([`crate::domain::pow`]) instead of being refused, so strangers cannot
//!    lock the owner out; with a proof, up to the absolute cap.
//!
//! Address-scoped refusals all answer alike, with a coarse wait
//! ([`ADDRESS_RETRY_AFTER`]), so the answer does not tell which budget of the
//! address is spent or when it renews. Every address budget keys on the
//! address's budget key ([`Email::budget_key`]), so other spellings of one
//! inbox share it.
//!
//! Each budget is a counter item `limit#<scope>#<subject>#<window>`; windows
//! are fixed (the hour or day since the epoch); the subject is a keyed hash
//! of the mailbox or client prefix, never the raw value.
//!
//! Failed verifies count per address per day; every `limit` of them start a
//! lockout — 15 minutes for the first, doubling with each further one that
//! day, at most 24 hours — recorded in `lock#<subject>#<day>`. A lockout does
//! not refuse the owner: it makes new codes need a proof of work, harder for
//! each lockout. Codes already sent keep their own limit of tries.

use super::{ServiceError, ip_subject_of};
use crate::domain::{CodeHasher, Email, pow};
use crate::mailer::{MailError, MailFailure};
use crate::metrics;
use crate::settings::Limits;
use crate::store::{Admission, Charge, ProofMark, Refusal, Store};
use futures_util::future::join_all;
use std::net::IpAddr;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// The first lockout of a day; each further one that day lasts twice as long.
const FIRST_LOCKOUT: u64 = 15 * 60;
/// No lockout lasts longer.
const LONGEST_LOCKOUT: u64 = DAY;
/// The wait every address-scoped refusal states, whatever the budget and
/// however long it really has left.
pub(crate) const ADDRESS_RETRY_AFTER: u64 = HOUR;

/// Which budget a charge of an admission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Client,
    AddressAndClient,
    Address,
}

/// A new message's admission and what each of its charges means.
#[derive(Debug, Clone)]
pub(crate) struct SendAdmission {
    pub(crate) admission: Admission,
    scopes: Vec<Scope>,
    /// The window ends of the charges, for the client's exact wait.
    window_ends: Vec<u64>,
    /// The difficulty of the proof the request carried, if any.
    proof_difficulty: Option<u32>,
}

/// What a refused admission means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The client's own budget is spent until `retry_after` from now.
    Client { retry_after: u64 },
    /// A budget of the address is spent: answered with the one coarse wait
    /// of every address-scoped refusal.
    Address,
    /// Ask for a proof of work of this difficulty.
    NeedsProof { difficulty: u32 },
    /// The mailbox is on the suppression list: answered like an address
    /// that does not receive mail.
    Suppressed,
}

pub(crate) struct Budget {
    limits: Limits,
    hasher: CodeHasher,
}

impl Budget {
    pub(crate) fn new(limits: Limits, hasher: CodeHasher) -> Budget {
        Budget { limits, hasher }
    }

    /// `limit#<scope>#<subject hash>#<window index>`, with the window's end.
    fn counter_key(&self, scope: &str, subject: &str, window: u64, now: u64) -> (String, u64) {
        let index = now / window;
        let key = format!(
            "limit#{scope}#{}#{index}",
            self.hasher.subject(scope, subject)
        );
        (key, (index + 1) * window)
    }

    /// What a message to `email` from `ip` must pass at `now`; `proof` is a
    /// checked solution the request carried.
    pub(crate) fn send_admission(
        &self,
        email: &Email,
        ip: IpAddr,
        now: u64,
        proof: Option<&pow::Solved>,
    ) -> SendAdmission {
        let client = ip_subject_of(ip);
        let free = self.limits.sends_per_email_per_day;
        let base = self.limits.pow_difficulty;
        // A proof pays for the excess its difficulty was asked for, never
        // past the absolute cap: an easy proof kept from earlier in the day
        // buys no message a harder one is asked for now.
        let address_limit = match proof {
            Some(solved) => {
                let paid = pow::excess_paid(base, solved.difficulty);
                let paid = u32::try_from(paid).unwrap_or(u32::MAX);
                free.saturating_add(paid)
                    .min(self.limits.max_sends_per_email_per_day)
                    .max(free)
            }
            None => free,
        };
        let budgets = [
            (
                Scope::Client,
                "send-ip",
                client.clone(),
                self.limits.sends_per_ip_per_hour,
                HOUR,
            ),
            (
                Scope::AddressAndClient,
                "send-pair",
                format!("{}\0{client}", email.budget_key()),
                self.limits.sends_per_email_per_client_per_day,
                DAY,
            ),
            (
                Scope::Address,
                "send-email",
                email.budget_key().to_owned(),
                address_limit,
                DAY,
            ),
        ];
        let mut admission = Admission {
            now,
            ..Admission::default()
        };
        let (mut scopes, mut window_ends) = (Vec::new(), Vec::new());
        for (scope, name, subject, limit, window) in budgets {
            let (key, end) = self.counter_key(name, &subject, window, now);
            admission.charges.push(Charge {
                key,
                limit,
                // Kept a window past its end, then garbage.
                ttl: end + window,
            });
            scopes.push(scope);
            window_ends.push(end);
        }
        // A lockout can outlast midnight: today's and yesterday's count.
        admission.locks = [now, now.saturating_sub(DAY)]
            .map(|at| self.lock_key(email, at / DAY))
            .into();
        admission.locks.dedup();
        admission.suppressions = crate::suppression::keys(&self.hasher, email);
        if let Some(solved) = proof {
            admission.proof = Some(ProofMark {
                key: solved.mark.clone(),
                ttl: solved.expires_at + DAY,
            });
            // A proof of `base + n` bits pays for lockout number `n`.
            admission.lock_allowance = solved.difficulty.saturating_sub(base);
        }
        SendAdmission {
            admission,
            scopes,
            window_ends,
            proof_difficulty: proof.map(|p| p.difficulty),
        }
    }

    /// Which budget refused `send`, for the operator's metrics; the
    /// answer itself does not say.
    pub(crate) fn refused_budget(
        &self,
        send: &SendAdmission,
        refusal: &Refusal,
    ) -> metrics::Budget {
        match self.refused(send, *refusal) {
            Refused::Client { .. } => metrics::Budget::ClientSends,
            Refused::NeedsProof { .. } => metrics::Budget::ProofRequired,
            Refused::Suppressed => metrics::Budget::Suppressed,
            Refused::Address => match refusal {
                Refusal::Budget { index, .. }
                    if send.scopes.get(*index) == Some(&Scope::AddressAndClient) =>
                {
                    metrics::Budget::Pair
                }
                _ => metrics::Budget::Address,
            },
        }
    }

    /// What a refusal of `send` means.
    pub(crate) fn refused(&self, send: &SendAdmission, refusal: Refusal) -> Refused {
        let base = self.limits.pow_difficulty;
        match refusal {
            Refusal::Budget { index, count } => match send.scopes.get(index) {
                Some(Scope::Client) => Refused::Client {
                    retry_after: send.window_ends[index]
                        .saturating_sub(send.admission.now)
                        .max(1),
                },
                // Over the free budget (or past what the proof paid for),
                // under the cap: more work.
                Some(Scope::Address)
                    if count < i64::from(self.limits.max_sends_per_email_per_day) =>
                {
                    let free = i64::from(self.limits.sends_per_email_per_day);
                    let excess = u64::try_from(count - free + 1).unwrap_or(1);
                    Refused::NeedsProof {
                        difficulty: pow::difficulty(base, excess),
                    }
                }
                _ => Refused::Address,
            },
            Refusal::Suppressed { .. } => Refused::Suppressed,
            Refusal::Locked { n, .. } => Refused::NeedsProof {
                difficulty: base + n.min(pow::MAX_EXTRA_BITS),
            },
            // A proof spent before, sent again (a retry, or a try to chain
            // easy proofs): the next one is harder than it was.
            Refusal::ProofSpent => Refused::NeedsProof {
                difficulty: send
                    .proof_difficulty
                    .map_or(base, |d| d + 1)
                    .clamp(base, base + pow::MAX_EXTRA_BITS),
            },
        }
    }

    fn lock_key(&self, email: &Email, day: u64) -> String {
        format!(
            "lock#{}#{day}",
            self.hasher.subject("lock", email.budget_key())
        )
    }

    fn verify_key(&self, ip: IpAddr, now: u64) -> (String, u64) {
        self.counter_key("verify-ip", &ip_subject_of(ip), HOUR, now)
    }

    /// Counts one verify from `ip` that approved nothing; refuses past the
    /// hourly budget.
    pub(crate) async fn charge_verify(
        &self,
        store: &dyn Store,
        ip: IpAddr,
        now: u64,
    ) -> Result<(), ServiceError> {
        let (key, end) = self.verify_key(ip, now);
        let count = store.add_to_counter(&key, 1, end + HOUR).await?;
        if count > i64::from(self.limits.verifies_per_ip_per_hour) {
            return Err(ServiceError::RateLimited {
                scope: "verifies per client",
                retry_after: (end - now).max(1),
            });
        }
        Ok(())
    }

    /// Seconds until the client's verify budget renews, if it is spent; a
    /// read, no write.
    pub(crate) async fn verify_spent(
        &self,
        store: &dyn Store,
        ip: IpAddr,
        now: u64,
    ) -> Result<Option<u64>, ServiceError> {
        let (key, end) = self.verify_key(ip, now);
        let count = store.read_counter(&key).await?;
        Ok((count >= i64::from(self.limits.verifies_per_ip_per_hour)).then(|| (end - now).max(1)))
    }

    /// Counts a wrong code against the address, across all its flows, and
    /// starts a lockout when the count reaches a multiple of the daily limit.
    /// Best effort: the answer to the person is already decided.
    pub(crate) async fn charge_failure(&self, store: &dyn Store, email: &Email, now: u64) {
        let (key, end) = self.counter_key("fail-email", email.budget_key(), DAY, now);
        let failed = match store.add_to_counter(&key, 1, end + DAY).await {
            Ok(failed) => u64::try_from(failed).unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "could not count a failed verify");
                return;
            }
        };
        let limit = u64::from(self.limits.failures_per_email_per_day);
        if failed == 0 || failed % limit != 0 {
            return;
        }
        // The counter is atomic: only this request sees this multiple.
        let n = u32::try_from(failed / limit).unwrap_or(u32::MAX);
        let length = lockout_length(n);
        let lock = self.lock_key(email, now / DAY);
        match store
            .set_lock(&lock, now + length, n, end + LONGEST_LOCKOUT + DAY)
            .await
        {
            Ok(()) => {
                metrics::record(metrics::Metric::LockoutStarted);
                tracing::info!(to = %email.masked(), lockout = n, secs = length, "address locked out: new codes need a proof of work")
            }
            Err(e) => tracing::warn!(error = %e, "could not record a lockout"),
        }
    }

    /// Gives back what an admitted message charged, when it could not be
    /// delivered: the person got nothing, so nothing counts against them.
    /// For an address that does not receive mail, the client's own budget
    /// stays charged, so a client cannot open SMTP sessions without end.
    /// Returns whether the client's charge was given back.
    pub(crate) async fn refund(
        &self,
        store: &dyn Store,
        send: &SendAdmission,
        failure: &MailError,
    ) -> bool {
        let client_too = failure.failure() != MailFailure::Undeliverable;
        let results = join_all(
            send.admission
                .charges
                .iter()
                .zip(&send.scopes)
                .filter(|(_, scope)| client_too || **scope != Scope::Client)
                .map(|(c, _)| store.add_to_counter(&c.key, -1, c.ttl)),
        )
        .await;
        for result in results {
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not refund a budget");
            }
        }
        client_too
    }
}

/// How long the `n`th lockout of a day lasts (`n` from 1).
fn lockout_length(n: u32) -> u64 {
    let doublings = n.saturating_sub(1).min(16);
    (FIRST_LOCKOUT << doublings).min(LONGEST_LOCKOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Budget {
        Budget::new(Limits::default(), CodeHasher::ephemeral())
    }

    #[test]
    fn keys_hide_the_subject_and_windows_are_fixed() {
        let (key, end) = budget().counter_key("send-email", "ann@example.com", DAY, DAY * 100 + 10);
        assert!(key.starts_with("limit#send-email#"));
        assert!(key.ends_with("#100"));
        assert!(!key.contains("ann"));
        assert_eq!(end, DAY * 101);
    }

    #[test]
    fn spellings_of_one_mailbox_share_the_address_budgets() {
        let b = budget();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let keys = |address: &str| {
            let email = Email::parse(address).unwrap();
            let send = b.send_admission(&email, ip, 1_000_000, None);
            (
                send.admission.charges[1..].to_vec(),
                send.admission.locks,
                send.admission.suppressions,
            )
        };
        let (charges, locks, suppressions) = keys("ann@example.com");
        let tagged = keys("Ann+news@EXAMPLE.com");
        assert_eq!((charges, locks), (tagged.0, tagged.1));
        // The suppression is the identity's: a tag off the provider list is
        // another address, which a bounce of this one does not silence.
        assert_ne!(suppressions, tagged.2);
        assert_ne!(keys("ann@example.com"), keys("bob@example.com"));
    }

    #[test]
    fn the_client_comes_first_and_a_proof_pays_for_what_it_was_asked() {
        let b = budget();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let email = Email::parse("ann@example.com").unwrap();
        let free = b.send_admission(&email, ip, 1_000_000, None);
        assert!(free.admission.charges[0].key.starts_with("limit#send-ip#"));
        assert_eq!(
            free.admission.charges[2].limit,
            Limits::default().sends_per_email_per_day
        );
        assert_eq!(
            (free.admission.locks.len(), free.admission.lock_allowance),
            (2, 0)
        );
        // The easiest proof pays for one message over the free budget and no
        // lockout; a harder one for more, never past the cap.
        let paid = |difficulty| {
            let solved = pow::Solved {
                mark: "pow#ab".into(),
                expires_at: 1_000_300,
                difficulty,
            };
            b.send_admission(&email, ip, 1_000_000, Some(&solved))
                .admission
        };
        let easiest = paid(18);
        assert_eq!(easiest.charges[2].limit, 11);
        assert_eq!((easiest.locks.len(), easiest.lock_allowance), (2, 0));
        assert_eq!(
            easiest.proof.as_ref().map(|p| p.key.as_str()),
            Some("pow#ab")
        );
        let harder = paid(20);
        assert_eq!((harder.charges[2].limit, harder.lock_allowance), (17, 2));
        assert_eq!(
            paid(24).charges[2].limit,
            Limits::default().max_sends_per_email_per_day
        );
    }

    #[test]
    fn refusals_of_the_address_look_alike_and_its_free_budget_asks_for_work() {
        let b = budget();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let email = Email::parse("ann@example.com").unwrap();
        let free = b.send_admission(&email, ip, 1_000_000, None);
        let pair = b.refused(&free, Refusal::Budget { index: 1, count: 5 });
        let solved = pow::Solved {
            mark: "pow#ab".into(),
            expires_at: 1_000_300,
            difficulty: 18,
        };
        let paid = b.send_admission(&email, ip, 1_000_000, Some(&solved));
        // Past what the proof paid for, under the cap: more work.
        assert_eq!(
            b.refused(
                &paid,
                Refusal::Budget {
                    index: 2,
                    count: 11
                }
            ),
            Refused::NeedsProof { difficulty: 19 }
        );
        // A spent proof sent again: the next one is harder.
        assert_eq!(
            b.refused(&paid, Refusal::ProofSpent),
            Refused::NeedsProof { difficulty: 19 }
        );
        let cap = b.refused(
            &paid,
            Refusal::Budget {
                index: 2,
                count: 20,
            },
        );
        assert_eq!(pair, cap);
        assert_eq!(pair, Refused::Address);
        let over = |count| b.refused(&free, Refusal::Budget { index: 2, count });
        assert_eq!(over(10), Refused::NeedsProof { difficulty: 18 });
        assert_eq!(over(13), Refused::NeedsProof { difficulty: 20 });
        assert_eq!(
            b.refused(&free, Refusal::Locked { until: 0, n: 2 }),
            Refused::NeedsProof { difficulty: 20 }
        );
        let client = b.refused(
            &free,
            Refusal::Budget {
                index: 0,
                count: 20,
            },
        );
        assert_eq!(
            client,
            Refused::Client {
                retry_after: 3600 - 1_000_000 % 3600
            }
        );
    }

    #[test]
    fn the_metrics_name_the_budget_the_answer_hides() {
        let b = budget();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let email = Email::parse("ann@example.com").unwrap();
        let free = b.send_admission(&email, ip, 1_000_000, None);
        let budget = |refusal| b.refused_budget(&free, &refusal);
        use metrics::Budget as B;
        assert_eq!(
            budget(Refusal::Budget {
                index: 0,
                count: 20
            }),
            B::ClientSends
        );
        assert_eq!(budget(Refusal::Budget { index: 1, count: 5 }), B::Pair);
        assert_eq!(
            budget(Refusal::Budget {
                index: 2,
                count: 10
            }),
            B::ProofRequired
        );
        assert_eq!(
            budget(Refusal::Budget {
                index: 2,
                count: 20
            }),
            B::Address
        );
        assert_eq!(budget(Refusal::Locked { until: 0, n: 1 }), B::ProofRequired);
        assert_eq!(budget(Refusal::ProofSpent), B::ProofRequired);
        assert_eq!(budget(Refusal::Suppressed { until: 1 }), B::Suppressed);
    }

    #[test]
    fn lockouts_double_up_to_a_day() {
        let lengths: Vec<u64> = (1..=9).map(lockout_length).collect();
        assert_eq!(
            lengths,
            [900, 1800, 3600, 7200, 14400, 28800, 57600, DAY, DAY]
        );
        assert_eq!(lockout_length(u32::MAX), DAY);
    }
}
