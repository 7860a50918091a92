//! A new message's admission: the budgets it is charged to, in the order
//! they are checked, and what a refusal means for the answer and the
//! operator's metrics.

use super::{DAY, HOUR, Limiter};
use crate::domain::client::ip_subject;
use crate::domain::{Email, pow};
use crate::mailer::{MailError, MailFailure};
use crate::metrics::RefusedBy;
use crate::store::{Admission, Charge, ProofMark, Refusal, Store, keys};
use crate::suppression;
use futures_util::future::join_all;
use std::net::IpAddr;

/// Which budget a charge of an admission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Client,
    AddressAndClient,
    Address,
    /// The owner's device, in place of the two above.
    Device,
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
    /// The owner's device has spent its own budget until `retry_after`.
    Device { retry_after: u64 },
    /// A budget of the address is spent: answered with the one coarse wait
    /// of every address-scoped refusal.
    Address,
    /// Ask for a proof of work of this difficulty.
    NeedsProof { difficulty: u32 },
    /// The mailbox is on the suppression list: answered like an address
    /// that does not receive mail.
    Suppressed,
}

impl Limiter {
    /// What a message to `email` from `ip` must pass at `now`; `proof` is a
    /// checked solution the request carried; `owner` the budget subject of
    /// the owner's device, when the browser proved the address.
    pub(crate) fn send_admission(
        &self,
        email: &Email,
        ip: IpAddr,
        now: u64,
        proof: Option<&pow::Solved>,
        owner: Option<&str>,
    ) -> SendAdmission {
        let client = ip_subject(ip);
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
        let client_budget = (
            Scope::Client,
            "send-ip",
            client.clone(),
            self.limits.sends_per_ip_per_hour,
            HOUR,
        );
        let budgets = match owner {
            None => vec![
                client_budget,
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
            ],
            Some(owner) => vec![
                client_budget,
                (
                    Scope::Device,
                    "send-device",
                    owner.to_owned(),
                    self.limits.sends_per_device_per_day,
                    DAY,
                ),
            ],
        };
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
        admission.suppressions = suppression::keys(&self.hasher, email);
        if let Some(solved) = proof {
            admission.proof = Some(ProofMark {
                key: keys::proof(&solved.mark),
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
    pub(crate) fn refused_budget(&self, send: &SendAdmission, refusal: &Refusal) -> RefusedBy {
        match self.refused(send, *refusal) {
            Refused::Client { .. } => RefusedBy::ClientSends,
            Refused::Device { .. } => RefusedBy::DeviceSends,
            Refused::NeedsProof { .. } => RefusedBy::ProofRequired,
            Refused::Suppressed => RefusedBy::Suppressed,
            Refused::Address => match refusal {
                Refusal::Budget { index, .. }
                    if send.scopes.get(*index) == Some(&Scope::AddressAndClient) =>
                {
                    RefusedBy::Pair
                }
                _ => RefusedBy::Address,
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
                Some(Scope::Device) => Refused::Device {
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
