//! A new message's admission: the budgets it is charged to, in the order
//! they are checked, and what a refusal means for the answer and the
//! operator's metrics.

use super::{DAY, HOUR, Limiter};
use crate::domain::client::ip_subject;
use crate::domain::{Email, FlowId, FlowRecord, pow};
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

/// A message asked for: to whom, by whom, when, and for which flow.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Message<'a> {
    pub(crate) email: &'a Email,
    pub(crate) ip: IpAddr,
    pub(crate) now: u64,
    /// A checked solution the request carried.
    pub(crate) proof: Option<&'a pow::Solved>,
    pub(crate) flow: &'a FlowId,
    /// The budget subject of the owner's device, when the browser proved
    /// the address.
    pub(crate) owner: Option<&'a str>,
}

impl Limiter {
    /// What `message` must pass; `flows` are the address's flows as read
    /// from [`Limiter::flow_lists`], for its lockouts.
    pub(crate) fn send_admission(
        &self,
        message: Message<'_>,
        flows: &[FlowRecord],
    ) -> SendAdmission {
        let Message {
            email,
            ip,
            now,
            proof,
            flow,
            owner,
        } = message;
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
        let (send_ip, ip_end) = self.counter_key("send-ip", &client, HOUR, now);
        let pair = format!("{}\0{client}", email.budget_key());
        let (send_pair, pair_end) = self.counter_key("send-pair", &pair, DAY, now);
        let (send_email, email_end) = self.address_key(email, now / DAY);
        let charge = |key, limit, ttl, lists| Charge {
            key,
            limit,
            ttl,
            lists,
        };
        // Each kept a window past its end, then garbage; the address's
        // sends two, while the flows it lists may hold failures of
        // yesterday (see `lockout.rs`).
        let client_budget = (
            Scope::Client,
            charge(
                send_ip,
                self.limits.sends_per_ip_per_hour,
                ip_end + HOUR,
                None,
            ),
            ip_end,
        );
        let budgets = match owner {
            None => vec![
                client_budget,
                (
                    Scope::AddressAndClient,
                    charge(
                        send_pair,
                        self.limits.sends_per_email_per_client_per_day,
                        pair_end + DAY,
                        None,
                    ),
                    pair_end,
                ),
                (
                    Scope::Address,
                    charge(
                        send_email,
                        address_limit,
                        email_end + 2 * DAY,
                        Some(flow.clone()),
                    ),
                    email_end,
                ),
            ],
            // The owner's device in place of the budgets strangers can
            // spend. The address's sends still count the message and list
            // its flow, so its tries reach the address's lockouts and
            // strangers get fewer messages, never more; they never refuse it.
            Some(owner) => {
                let (send_device, device_end) = self.counter_key("send-device", owner, DAY, now);
                vec![
                    client_budget,
                    (
                        Scope::Address,
                        charge(
                            send_email,
                            u32::MAX,
                            email_end + 2 * DAY,
                            Some(flow.clone()),
                        ),
                        email_end,
                    ),
                    (
                        Scope::Device,
                        charge(
                            send_device,
                            self.limits.sends_per_device_per_day,
                            device_end + DAY,
                            None,
                        ),
                        device_end,
                    ),
                ]
            }
        };
        // A proof of `base + n` bits pays for lockout number `n`.
        let lock_allowance = proof.map_or(0, |solved| solved.difficulty.saturating_sub(base));
        let lockouts = self.lockouts(flows, now, lock_allowance);
        let mut send = SendAdmission {
            admission: Admission {
                now,
                lockouts: lockouts.holding,
                lock_allowance,
                untried: lockouts.untried,
                suppressions: suppression::keys(&self.hasher, email),
                proof: proof.map(|solved| ProofMark {
                    key: keys::proof(&solved.mark),
                    ttl: solved.expires_at + DAY,
                }),
                ..Admission::default()
            },
            scopes: Vec::new(),
            window_ends: Vec::new(),
            proof_difficulty: proof.map(|p| p.difficulty),
        };
        for (scope, charge, end) in budgets {
            send.admission.charges.push(charge);
            send.scopes.push(scope);
            send.window_ends.push(end);
        }
        send
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
