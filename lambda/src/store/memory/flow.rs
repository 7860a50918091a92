//! A flow's steps, each one atomic step under the lock; the rules are the
//! records' ([`crate::store::flow`]), as the DynamoDB conditions are.

use super::{Blocked, MemoryStore, StoredFlow, StoredKey};
use crate::domain::{ApprovingTry, CodeHash, FlowId, FlowRecord};
use crate::store::flow::key_releasable;
use crate::store::{
    Admission, Approval, Attempt, Created, IdempotencyKey, NewMessage, ResendGuard, ResendOutcome,
    Store, StoreError,
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
        match state.blocked(admission) {
            Some(Blocked::Refused(refusal)) => return Ok(Created::Refused(refusal)),
            Some(Blocked::Stale) => return Ok(Created::Stale),
            None => {}
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

    async fn listed_flows(&self, lists: &[String]) -> Result<Vec<FlowRecord>, StoreError> {
        let state = self.read();
        let mut ids: Vec<&FlowId> = (lists.iter())
            .filter_map(|key| state.counters.get(key))
            .flat_map(|counter| &counter.flows)
            .collect();
        ids.sort_by_key(|id| id.as_str());
        ids.dedup();
        Ok(ids
            .into_iter()
            .filter_map(|id| state.flows.get(id).map(|f| f.record.clone()))
            .collect())
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

    async fn resend_code(
        &self,
        id: &FlowId,
        message: &NewMessage,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<ResendOutcome, StoreError> {
        let mut state = self.write();
        let Some(r) = state.flows.get(id).map(|f| &f.record) else {
            return Ok(ResendOutcome::Refused(None));
        };
        if !r.resendable(&guard) {
            return Ok(ResendOutcome::Refused(Some(Box::new(r.clone()))));
        }
        match state.blocked(admission) {
            Some(Blocked::Refused(refusal)) => return Ok(ResendOutcome::OverBudget(refusal)),
            Some(Blocked::Stale) => return Ok(ResendOutcome::Stale),
            None => {}
        }
        state.charge(admission);
        let stored = state
            .flows
            .get_mut(id)
            .expect("checked above, under the same lock");
        let r = &mut stored.record;
        r.last_sent_at = message.sent_at;
        r.language = message.language;
        r.sends += 1;
        if let Some(fresh) = &message.fresh {
            r.code_hash = fresh.code_hash.clone();
            r.sealed_code = Some(fresh.sealed_code.clone());
            r.key_id = fresh.key_id.clone();
            r.expires_at = fresh.expires_at;
            stored.ttl = fresh.ttl;
        }
        Ok(ResendOutcome::Done)
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
        if !stored.record.restorable(failed_hash, previous.sends + 1) {
            return Ok(());
        }
        let r = &mut stored.record;
        r.code_hash = previous.code_hash.clone();
        r.sealed_code = previous.sealed_code.clone();
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
        r.tries.push(now);
        Ok(Attempt::Counted(r.clone()))
    }

    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
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
        r.approved_by = Some(ApprovingTry {
            number: try_number,
            counted: r.attempts,
        });
        Ok(Approval::Approved(r.clone()))
    }

    async fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        Ok(self.read().counters.get(key).map_or(0, |c| c.value))
    }

    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError> {
        Ok(self.write().add(key, amount, ttl))
    }
}
