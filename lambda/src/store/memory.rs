//! The store of a single process: every flow, idempotency key, counter,
//! sign-in request and suppression behind one lock, so each call is one
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

use super::{
    Admission, Approval, Attempt, Created, IdempotencyKey, NewCode, Refusal, Replaced, ResendGuard,
    Store, StoreError, Suppression, SuppressionStore,
};
use crate::domain::SignInId;
use crate::domain::{CodeHash, FlowId, FlowRecord};
use crate::store::{
    AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption, SignInStore,
};
use async_trait::async_trait;
use std::collections::HashMap;
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
    locks: HashMap<String, Lock>,
    /// Spent proofs of work, with their `ttl`.
    proofs: HashMap<String, u64>,
    /// Apps' sign-in requests (`authreq#…`).
    auth: HashMap<SignInId, StoredAuth>,
    /// The suppression list (`suppress#…`), with each item's `ttl`.
    suppressions: HashMap<String, (Suppression, u64)>,
    writes: u64,
}

#[derive(Debug)]
struct Lock {
    until: u64,
    n: u32,
    ttl: u64,
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
        if state.writes % SWEEP_EVERY == 0 {
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
        self.locks.retain(|_, l| l.ttl > wall);
        self.proofs.retain(|_, ttl| *ttl > wall);
        self.auth.retain(|_, a| a.ttl > wall);
        self.suppressions.retain(|_, (_, ttl)| *ttl > wall);
    }

    /// Why `admission` cannot pass now, if it cannot; checked in full before
    /// anything is written, as DynamoDB checks a transaction.
    fn refusal(&self, admission: &Admission) -> Option<Refusal> {
        let suppressed = admission
            .suppressions
            .iter()
            .filter_map(|key| self.suppressions.get(key))
            .map(|(s, _)| s.until)
            .filter(|until| *until > admission.now)
            .max();
        if let Some(until) = suppressed {
            return Some(Refusal::Suppressed { until });
        }
        for (index, charge) in admission.charges.iter().enumerate() {
            let count = self.counters.get(&charge.key).map_or(0, |c| c.value);
            if count >= i64::from(charge.limit) {
                return Some(Refusal::Budget { index, count });
            }
        }
        for key in &admission.locks {
            let holds = |l: &&Lock| l.until > admission.now && l.n > admission.lock_allowance;
            if let Some(lock) = self.locks.get(key).filter(holds) {
                return Some(Refusal::Locked {
                    until: lock.until,
                    n: lock.n,
                });
            }
        }
        if let Some(proof) = &admission.proof {
            if self.proofs.contains_key(&proof.key) {
                return Some(Refusal::ProofSpent);
            }
        }
        None
    }

    /// Applies an admission that [`State::refusal`] passed.
    fn charge(&mut self, admission: &Admission) {
        for charge in &admission.charges {
            self.add(&charge.key, 1, charge.ttl);
        }
        if let Some(proof) = &admission.proof {
            self.proofs.insert(proof.key.clone(), proof.ttl);
        }
    }

    fn add(&mut self, key: &str, amount: i64, ttl: u64) -> i64 {
        let counter = self
            .counters
            .entry(key.to_owned())
            .or_insert(Counter { value: 0, ttl });
        counter.value = counter.value.saturating_add(amount);
        counter.value
    }

    /// The flow holding `key`, if the key is unexpired at `now`.
    fn held(&self, key: &IdempotencyKey, now: u64) -> Option<FlowId> {
        self.keys
            .get(&key.key)
            .filter(|held| held.expires_at > now)
            .map(|held| held.flow_id.clone())
    }
}

/// The flow can still take a step: unused, unexpired, with tries left.
fn is_live(r: &FlowRecord, now: u64, max_attempts: u32) -> bool {
    r.used_at.is_none() && r.expires_at > now && r.attempts < max_attempts
}

fn wall_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[async_trait]
impl Store for MemoryStore {
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        admission: &Admission,
    ) -> Result<Created, StoreError> {
        let mut state = self.write();
        if let Some(held) = idempotency.and_then(|k| state.held(k, admission.now)) {
            return Ok(Created::Existing(held));
        }
        if state.flows.contains_key(&flow.id) {
            return Err(StoreError::new("a flow with this id already exists"));
        }
        if let Some(refusal) = state.refusal(admission) {
            return Ok(Created::Refused(refusal));
        }
        state.charge(admission);
        state.flows.insert(
            flow.id.clone(),
            StoredFlow {
                record: flow.clone(),
                ttl,
            },
        );
        if let Some(key) = idempotency {
            state.keys.insert(
                key.key.clone(),
                StoredKey {
                    flow_id: flow.id.clone(),
                    expires_at: key.expires_at,
                    ttl: key.ttl,
                },
            );
        }
        Ok(Created::New)
    }

    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError> {
        Ok(self.read().held(key, now))
    }

    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError> {
        Ok(self.read().flows.get(id).map(|f| f.record.clone()))
    }

    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let current = state.flows.get(id).map(|f| &f.record.code_hash);
        if current != Some(code_hash) {
            return Ok(());
        }
        state.flows.remove(id);
        // The key may have expired and been claimed by another flow since.
        if let Some(key) = idempotency {
            if state.keys.get(&key.key).is_some_and(|k| &k.flow_id == id) {
                state.keys.remove(&key.key);
            }
        }
        Ok(())
    }

    async fn replace_code(
        &self,
        id: &FlowId,
        new: &NewCode,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<Replaced, StoreError> {
        let mut state = self.write();
        let Some(r) = state.flows.get(id).map(|f| &f.record) else {
            return Ok(Replaced::Refused(None));
        };
        let allowed = is_live(r, guard.now, guard.max_attempts)
            && &r.code_hash == guard.current
            && r.last_sent_at.saturating_add(guard.cooldown_secs) <= guard.now
            && r.sends < guard.max_sends;
        if !allowed {
            return Ok(Replaced::Refused(Some(r.clone())));
        }
        if let Some(refusal) = state.refusal(admission) {
            return Ok(Replaced::OverBudget(refusal));
        }
        state.charge(admission);
        let stored = state
            .flows
            .get_mut(id)
            .expect("checked above, under the same lock");
        let r = &mut stored.record;
        r.code_hash = new.code_hash.clone();
        r.key_id = new.key_id.clone();
        r.last_sent_at = new.sent_at;
        r.expires_at = new.expires_at;
        r.language = new.language;
        r.sends += 1;
        stored.ttl = new.ttl;
        Ok(Replaced::Done)
    }

    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let Some(stored) = state.flows.get_mut(&previous.id) else {
            return Ok(());
        };
        // Not once approved: the code that was delivered after all stays.
        if &stored.record.code_hash != failed_hash || stored.record.used_at.is_some() {
            return Ok(());
        }
        let r = &mut stored.record;
        r.code_hash = previous.code_hash.clone();
        r.key_id = previous.key_id.clone();
        r.last_sent_at = previous.last_sent_at;
        r.expires_at = previous.expires_at;
        r.language = previous.language;
        r.sends = previous.sends;
        stored.ttl = ttl;
        Ok(())
    }

    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, StoreError> {
        let mut state = self.write();
        let Some(stored) = state.flows.get_mut(id) else {
            return Ok(Attempt::Refused(None));
        };
        let r = &mut stored.record;
        let open = match r.used_at {
            None => r.expires_at > now,
            Some(used_at) => used_at >= replay_since,
        };
        if !open || r.attempts >= max_attempts {
            return Ok(Attempt::Refused(Some(r.clone())));
        }
        r.attempts += 1;
        Ok(Attempt::Counted(r.clone()))
    }

    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
    ) -> Result<Approval, StoreError> {
        let mut state = self.write();
        let Some(stored) = state.flows.get_mut(id) else {
            return Ok(Approval::Refused(None));
        };
        let r = &mut stored.record;
        if r.used_at.is_some() || r.expires_at <= now || &r.code_hash != code_hash {
            return Ok(Approval::Refused(Some(r.clone())));
        }
        r.used_at = Some(now);
        Ok(Approval::Approved(r.clone()))
    }

    async fn set_lock(&self, key: &str, until: u64, n: u32, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        let lock = state.locks.entry(key.to_owned()).or_insert(Lock {
            until: 0,
            n: 0,
            ttl,
        });
        if lock.n < n {
            *lock = Lock { until, n, ttl };
        }
        Ok(())
    }

    async fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self.read().counters.get(key).map_or(0, |c| c.value))
    }

    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError> {
        Ok(self.write().add(key, amount, ttl))
    }
}

#[async_trait]
impl SuppressionStore for MemoryStore {
    async fn suppress(
        &self,
        key: &str,
        suppression: &Suppression,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let mut state = self.write();
        if let Some((held, _)) = state.suppressions.get(key) {
            if held.until >= suppression.until {
                return Ok(false);
            }
        }
        state
            .suppressions
            .insert(key.to_owned(), (*suppression, ttl));
        Ok(true)
    }

    async fn suppression(&self, key: &str) -> Result<Option<Suppression>, StoreError> {
        Ok(self.read().suppressions.get(key).map(|(s, _)| *s))
    }

    async fn lift_suppression(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.write().suppressions.remove(key).is_some())
    }
}

/// One conditional step on an authorization item, under the lock: `allowed`
/// judges the record, `apply` writes it, and the item's `ttl` rises to `ttl`
/// (never falls).
fn auth_step(
    state: &mut State,
    id: &SignInId,
    ttl: Option<u64>,
    allowed: impl FnOnce(&AuthRecord) -> bool,
    apply: impl FnOnce(&mut AuthRecord),
) -> AuthStep {
    let Some(stored) = state.auth.get_mut(id) else {
        return AuthStep::Refused(None);
    };
    if !allowed(&stored.record) {
        return AuthStep::Refused(Some(stored.record.clone()));
    }
    apply(&mut stored.record);
    if let Some(ttl) = ttl {
        stored.ttl = ttl;
    }
    AuthStep::Done(stored.record.clone())
}

#[async_trait]
impl SignInStore for MemoryStore {
    async fn put_auth_request(&self, request: &AuthRequest, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.auth.contains_key(&request.id) {
            return Err(StoreError::new(
                "a sign-in request with this id already exists",
            ));
        }
        let record = AuthRecord {
            request: request.clone(),
            grant: None,
            redemption: None,
            cancelled_at: None,
            revoked_at: None,
        };
        state
            .auth
            .insert(request.id.clone(), StoredAuth { record, ttl });
        Ok(())
    }

    async fn get_auth_request(&self, id: &SignInId) -> Result<Option<AuthRecord>, StoreError> {
        Ok(self.read().auth.get(id).map(|a| a.record.clone()))
    }

    async fn grant(
        &self,
        id: &SignInId,
        grant: &Grant,
        now: u64,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            Some(ttl),
            |r| r.grantable(grant, now),
            // A repeat of the same grant keeps the first one's fields.
            |r| {
                r.grant.get_or_insert_with(|| grant.clone());
            },
        ))
    }

    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            None,
            |r| r.cancellable(now),
            |r| r.cancelled_at = Some(now),
        ))
    }

    async fn redeem(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        redemption: &Redemption,
        ttl: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            Some(ttl),
            |r| r.redeemable(check),
            |r| r.redemption = Some(redemption.clone()),
        ))
    }

    async fn revoke(
        &self,
        id: &SignInId,
        code_hash: &str,
        now: u64,
    ) -> Result<AuthStep, StoreError> {
        let mut state = self.write();
        Ok(auth_step(
            &mut state,
            id,
            None,
            |r| r.revocable(code_hash),
            |r| r.revoked_at = Some(now),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    fn record(id: FlowId, expires_at: u64) -> FlowRecord {
        FlowRecord {
            id,
            email: Email::parse("ann@example.com").unwrap(),
            code_hash: CodeHash([1; 32]),
            key_id: "k1".into(),
            attempts: 0,
            sends: 1,
            created_at: 0,
            expires_at,
            last_sent_at: 0,
            used_at: None,
            sign_in: None,
            language: otp_api::locale::SOURCE,
        }
    }

    fn auth_request(expires_at: u64) -> AuthRequest {
        AuthRequest {
            id: SignInId::generate(),
            client_id: "app".into(),
            redirect_uri: "https://app.example/cb".into(),
            scope: "openid".into(),
            state: None,
            nonce: None,
            code_challenge: "c".repeat(43),
            login_hint: None,
            ui_locales: None,
            created_at: 0,
            expires_at,
        }
    }

    /// The sweep drops exactly the items whose `ttl` has passed, and runs on
    /// its own after [`SWEEP_EVERY`] writes.
    #[tokio::test]
    async fn sweep_drops_items_past_their_ttl() {
        let store = MemoryStore::new();
        let wall = wall_clock();
        let (old, fresh) = (FlowId::generate(), FlowId::generate());
        let past = IdempotencyKey {
            key: "past".into(),
            expires_at: 1,
            ttl: 2,
        };
        let at = |now| Admission {
            now,
            ..Admission::default()
        };
        store
            .create_flow(&record(old.clone(), 1), 2, Some(&past), &at(0))
            .await
            .unwrap();
        store
            .create_flow(
                &record(fresh.clone(), wall + 600),
                wall + 3600,
                None,
                &at(wall),
            )
            .await
            .unwrap();
        store.add_to_counter("limit#old", 1, 2).await.unwrap();
        let (old_auth, fresh_auth) = (auth_request(1), auth_request(wall + 1800));
        store.put_auth_request(&old_auth, 2).await.unwrap();
        store
            .put_auth_request(&fresh_auth, wall + 3600)
            .await
            .unwrap();
        store
            .add_to_counter("limit#new", 1, wall + 3600)
            .await
            .unwrap();
        assert!(
            store.get_flow(&old).await.unwrap().is_some(),
            "no sweep before its turn"
        );

        while store.read().writes % SWEEP_EVERY != SWEEP_EVERY - 1 {
            store
                .add_to_counter("limit#new", 0, wall + 3600)
                .await
                .unwrap();
        }
        store
            .add_to_counter("limit#new", 0, wall + 3600)
            .await
            .unwrap();

        assert_eq!(store.get_flow(&old).await.unwrap(), None);
        assert!(store.get_flow(&fresh).await.unwrap().is_some());
        assert_eq!(store.get_auth_request(&old_auth.id).await.unwrap(), None);
        assert!(
            store
                .get_auth_request(&fresh_auth.id)
                .await
                .unwrap()
                .is_some()
        );
        let state = store.read();
        assert!(state.keys.is_empty());
        assert!(!state.counters.contains_key("limit#old"));
        assert_eq!(state.counters["limit#new"].value, 1);
    }
}
