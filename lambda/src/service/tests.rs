//! Rules that need the store to fail in one place only; the API suites run
//! against stores that are wholly up or wholly down.

use super::*;
use crate::domain::ManualClock;
use crate::store::{MemoryStore, StoreError};
use async_trait::async_trait;
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The memory store, but its counters fail while `counters_down` is set.
#[derive(Default)]
struct CountersDown {
    inner: MemoryStore,
    counters_down: AtomicBool,
}

#[async_trait]
impl Store for CountersDown {
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        now: u64,
    ) -> Result<Created, StoreError> {
        self.inner.create_flow(flow, ttl, idempotency, now).await
    }
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError> {
        self.inner.key_holder(key, now).await
    }
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError> {
        self.inner.get_flow(id).await
    }
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &crate::domain::CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        self.inner.delete_flow(id, code_hash, idempotency).await
    }
    async fn replace_code(
        &self,
        id: &FlowId,
        new: &NewCode,
        guard: ResendGuard,
    ) -> Result<Replaced, StoreError> {
        self.inner.replace_code(id, new, guard).await
    }
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &crate::domain::CodeHash,
    ) -> Result<(), StoreError> {
        self.inner.restore_code(previous, ttl, failed_hash).await
    }
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
    ) -> Result<Attempt, StoreError> {
        self.inner.count_attempt(id, now, max_attempts).await
    }
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        candidates: &[crate::domain::CodeHash],
    ) -> Result<Approval, StoreError> {
        self.inner.approve(id, now, max_attempts, candidates).await
    }
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError> {
        if self.counters_down.load(Ordering::SeqCst) {
            return Err(StoreError::new("counters are down"));
        }
        self.inner.add_to_counter(key, amount, ttl).await
    }
}

/// Keeps the codes it is asked to deliver.
#[derive(Default)]
struct Codes(Mutex<Vec<String>>);

#[async_trait]
impl Mailer for Codes {
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError> {
        let mut codes = self.0.lock().unwrap();
        codes.push(message.code.expose().to_owned());
        Ok(())
    }
}

const CLIENT: Client = Client {
    ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
};

#[tokio::test]
async fn an_approval_stands_when_the_client_budget_cannot_be_counted() {
    let store = Arc::new(CountersDown::default());
    let mailer = Arc::new(Codes::default());
    let service = Service::new(
        store.clone(),
        mailer.clone(),
        Arc::new(ManualClock::new(1_700_000_000)),
        CodeHasher::ephemeral(),
        Policy::default(),
        Limits::default(),
    );
    let sent = service.send("ann@example.com", None, CLIENT).await.unwrap();
    let code = mailer.0.lock().unwrap().pop().expect("a code was sent");
    let flow = sent.flow_id.as_str();
    store.counters_down.store(true, Ordering::SeqCst);

    // A wrong code is not judged without its budget: unavailable, no try spent.
    let n: u32 = code.parse().unwrap();
    let wrong = format!("{:06}", (n + 1) % 1_000_000);
    let refused = service.verify(flow, &wrong, CLIENT).await.unwrap_err();
    assert!(matches!(refused, ServiceError::Store(_)), "{refused:?}");
    let record = store.get_flow(&sent.flow_id).await.unwrap().unwrap();
    assert_eq!(record.attempts, 0);

    // The right code is approved: the person is told so, not asked to retry
    // a code that is already used.
    let approved = service.verify(flow, &code, CLIENT).await.unwrap();
    assert_eq!(approved.email.as_str(), "ann@example.com");
    store.counters_down.store(false, Ordering::SeqCst);
    let again = service.verify(flow, &code, CLIENT).await.unwrap_err();
    assert!(matches!(again, ServiceError::AlreadyUsed), "{again:?}");
}
