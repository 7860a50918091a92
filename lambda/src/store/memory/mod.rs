//! The store of a single process: every flow, idempotency key, counter,
//! sign-in request, session, logout request, suppression, passkey and
//! WebAuthn ceremony behind one lock, so each call is one
//! atomic step, exactly like one conditional write in DynamoDB. It is the
//! local default and the reference the contract tests hold the DynamoDB
//! store to.
//!
//! Nothing here reads the clock to decide an answer: every condition uses the
//! `now` the caller passes, as the DynamoDB conditions do. The wall clock is
//! used for one thing only, the stand-in for DynamoDB's TTL deletion: every
//! `SWEEP_EVERY` writes, items whose `ttl` has passed are dropped, so a
//! long-running local server does not grow without bound. Like DynamoDB's
//! lazy deletion, this sweep never changes an answer the conditions give,
//! because `ttl` always lies after `expires_at`.
//!
//! Every condition is the rule the DynamoDB store's condition expression
//! mirrors, applied to the record under the lock (see [`super::flow`],
//! [`super::admission`], [`super::sign_in`], [`super::session`],
//! [`super::suppression`], [`super::passkey`]).

mod flow;
mod passkey;
mod session;
mod sign_in;
mod suppression;

use super::admission::{Check, Found};
use super::flow::key_claimable;
use super::{
    Admission, AuthRecord, Ceremony, IdempotencyKey, LogoutRecord, Passkey, PasskeyList, Refusal,
    Session, Suppression,
};
use crate::domain::{CeremonyId, FlowId, FlowRecord, LogoutId, SessionId, SignInId};
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes between two sweeps of items past their `ttl`.
const SWEEP_EVERY: u64 = 1024;

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    flows: HashMap<FlowId, StoredFlow>,
    keys: HashMap<String, StoredKey>,
    counters: HashMap<String, Counter>,
    /// Spent proofs of work, with their `ttl`.
    proofs: HashMap<String, u64>,
    /// Apps' sign-in requests.
    auth: HashMap<SignInId, StoredAuth>,
    /// The suppression list, with each item's `ttl`.
    suppressions: HashMap<String, (Suppression, u64)>,
    /// Sessions, with each item's `ttl`.
    sessions: HashMap<SessionId, (Session, u64)>,
    /// Each identity's list of sessions, by `sub`, with the list's `ttl`.
    session_lists: HashMap<String, (HashSet<SessionId>, u64)>,
    /// Logout requests awaiting confirmation, with each item's `ttl`.
    logouts: HashMap<LogoutId, (LogoutRecord, u64)>,
    /// WebAuthn ceremonies waiting for an answer, with each item's `ttl`.
    ceremonies: HashMap<CeremonyId, (Ceremony, u64)>,
    /// Passkeys, by credential id; they have no `ttl`.
    passkeys: HashMap<String, Passkey>,
    /// Each identity's user handle and passkeys, by `sub`.
    passkey_lists: HashMap<String, PasskeyList>,
    writes: u64,
}

#[derive(Debug)]
struct StoredFlow {
    record: FlowRecord,
    ttl: u64,
}

#[derive(Debug)]
struct StoredAuth {
    record: AuthRecord,
    ttl: u64,
}

#[derive(Debug)]
struct StoredKey {
    flow_id: FlowId,
    expires_at: u64,
    ttl: u64,
}

#[derive(Debug)]
struct Counter {
    value: i64,
    ttl: u64,
    /// The flows its charges listed ([`super::Charge::lists`]).
    flows: Vec<FlowId>,
}

/// Why an admission writes nothing.
enum Blocked {
    Refused(Refusal),
    /// An [`super::Untried`] flow holds other tries by now.
    Stale,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The state for a read.
    fn read(&self) -> MutexGuard<'_, State> {
        // Every mutation below completes before it can panic, so the state
        // behind a poisoned lock is still consistent and worth serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state for a write; counts the write and sweeps when it is time.
    fn write(&self) -> MutexGuard<'_, State> {
        let mut state = self.read();
        state.writes += 1;
        if state.writes.is_multiple_of(SWEEP_EVERY) {
            state.sweep(wall_clock());
        }
        state
    }
}

impl State {
    /// Drops what DynamoDB's TTL deletion would eventually drop.
    fn sweep(&mut self, wall: u64) {
        self.flows.retain(|_, f| f.ttl > wall);
        self.keys.retain(|_, k| k.ttl > wall);
        self.counters.retain(|_, c| c.ttl > wall);
        self.proofs.retain(|_, ttl| *ttl > wall);
        self.auth.retain(|_, a| a.ttl > wall);
        self.suppressions.retain(|_, (_, ttl)| *ttl > wall);
        self.sessions.retain(|_, (_, ttl)| *ttl > wall);
        self.session_lists.retain(|_, (_, ttl)| *ttl > wall);
        self.logouts.retain(|_, (_, ttl)| *ttl > wall);
        self.ceremonies.retain(|_, (_, ttl)| *ttl > wall);
    }

    /// Why `admission` writes nothing now, if it does not: a lockout that
    /// holds (then no [`super::Untried`] entry matters, nothing would be
    /// written anyway); else a flow that holds other tries than the caller
    /// saw; else a refusal of its checks.
    fn blocked(&self, admission: &Admission) -> Option<Blocked> {
        let refusal = self.refusal(admission);
        if admission.locked_out() {
            return refusal.map(Blocked::Refused);
        }
        let stale = admission
            .untried
            .iter()
            .any(|seen| (self.flows.get(&seen.flow)).is_none_or(|f| !f.record.untried(seen)));
        if stale {
            return Some(Blocked::Stale);
        }
        refusal.map(Blocked::Refused)
    }

    /// Why `admission` cannot pass now, if it cannot: its checks in their
    /// order, each judged by its rule on the item as it is, all before
    /// anything is written, as DynamoDB checks a transaction.
    fn refusal(&self, admission: &Admission) -> Option<Refusal> {
        admission.refusal(admission.checks().filter_map(|check| {
            let found = self.found(&check);
            (!check.passes(&found, admission)).then_some((check, found))
        }))
    }

    /// What an admission's `check` reads of its item (nothing for a
    /// lockout, which has none).
    fn found(&self, check: &Check<'_>) -> Found {
        let Some(key) = check.key() else {
            return Found::default();
        };
        match check {
            Check::Unsuppressed(_) => self.suppressions.get(key).map(|(s, _)| Found {
                until: Some(s.until),
                exists: true,
                ..Found::default()
            }),
            Check::Charge { .. } => self.counters.get(key).map(|c| Found {
                count: Some(c.value),
                exists: true,
                ..Found::default()
            }),
            Check::ProofUnspent(_) => self.proofs.contains_key(key).then(|| Found {
                exists: true,
                ..Found::default()
            }),
            Check::Unlocked(_) => None,
        }
        .unwrap_or_default()
    }

    /// Applies an admission that [`State::blocked`] passed.
    fn charge(&mut self, admission: &Admission) {
        for charge in &admission.charges {
            self.add(&charge.key, 1, charge.ttl);
            if let Some(flow) = &charge.lists {
                let counter = self.counters.get_mut(&charge.key).expect("added above");
                if !counter.flows.contains(flow) {
                    counter.flows.push(flow.clone());
                }
            }
        }
        if let Some(proof) = &admission.proof {
            self.proofs.insert(proof.key.clone(), proof.ttl);
        }
    }

    fn add(&mut self, key: &str, amount: i64, ttl: u64) -> i64 {
        let counter = self.counters.entry(key.to_owned()).or_insert(Counter {
            value: 0,
            ttl,
            flows: Vec::new(),
        });
        counter.value = counter.value.saturating_add(amount);
        counter.value
    }

    /// The flow holding `key`, if the key is unexpired at `now`.
    fn held(&self, key: &IdempotencyKey, now: u64) -> Option<FlowId> {
        let held = self.keys.get(&key.key)?;
        (!key_claimable(Some(held.expires_at), now)).then(|| held.flow_id.clone())
    }
}

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
