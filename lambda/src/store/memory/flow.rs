//! A flow's steps, each one atomic step under the lock; the rules are the
//! records' ([`crate::store::flow`]), as the DynamoDB conditions are.

use super::{Lock, MemoryStore, StoredFlow, StoredKey};
use crate::domain::{CodeHash, FlowId, FlowRecord};
use crate::store::admission::later_lock;
use crate::store::flow::key_releasable;
use crate::store::{
    Admission, Approval, Attempt, Created, IdempotencyKey, NewCode, Replaced, ResendGuard, Store,
    StoreError,
};
use async_trait::async_trait;

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
        let deletable = state.flows.get(id).map(|f| &f.record);
        if !deletable.is_some_and(|r| r.deletable(code_hash)) {
            return Ok(());
        }
        state.flows.remove(id);
        if let Some(key) = idempotency {
            let holder = state.keys.get(&key.key).map(|k| &k.flow_id);
            if key_releasable(holder, id) {
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
        if !r.resendable(&guard) {
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
        if !stored.record.restorable(failed_hash) {
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
        if !r.countable(now, max_attempts, replay_since) {
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
        if !r.approvable(now, code_hash) {
            return Ok(Approval::Refused(Some(r.clone())));
        }
        r.used_at = Some(now);
        Ok(Approval::Approved(r.clone()))
    }

    async fn set_lock(&self, key: &str, until: u64, n: u32, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if later_lock(state.locks.get(key).map(|l| l.n), n) {
            state.locks.insert(key.to_owned(), Lock { until, n, ttl });
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
