//! The bound of tries through the whole verify step: 200 guesses at once,
//! held by a barrier between their first and second store calls, so that
//! every guess has reached the store before any goes on. Only tries that
//! were counted may be compared, so at most five guesses can get a verdict
//! (approved or wrong), and the right code, arriving after 199 wrong ones,
//! must not win.

use super::*;
use async_trait::async_trait;
use otp::domain::{CodeHasher, Email, ManualClock, Policy};
use otp::mailer::{CodeMessage, MailError, Mailer};
use otp::service::Limits;
use otp::service::{Client, SendInput, Service, ServiceError};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Notify;

const GUESSES: usize = 200;

/// A store whose first [`GUESSES`] calls that touch a flow's tries
/// (`count_attempt`, `approve`) each wait, after the store answered, until
/// all of them have been answered.
struct Held {
    inner: Arc<dyn Store>,
    arrived: AtomicUsize,
    arrival: Notify,
    barrier: Barrier,
}

impl Held {
    async fn first_step<T>(&self, call: impl Future<Output = T>) -> T {
        let answer = call.await;
        if self.arrived.fetch_add(1, Ordering::SeqCst) < GUESSES {
            self.arrival.notify_waiters();
            self.barrier.wait().await;
        }
        answer
    }

    async fn wait_for(&self, arrivals: usize) {
        loop {
            let notified = self.arrival.notified();
            if self.arrived.load(Ordering::SeqCst) >= arrivals {
                return;
            }
            notified.await;
        }
    }
}

#[async_trait]
impl Store for Held {
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        admission: &Admission,
    ) -> Result<Created, otp::store::StoreError> {
        self.inner
            .create_flow(flow, ttl, idempotency, admission)
            .await
    }
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, otp::store::StoreError> {
        self.inner.key_holder(key, now).await
    }
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, otp::store::StoreError> {
        self.inner.get_flow(id).await
    }
    async fn listed_flows(
        &self,
        lists: &[String],
    ) -> Result<Vec<FlowRecord>, otp::store::StoreError> {
        self.inner.listed_flows(lists).await
    }
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), otp::store::StoreError> {
        self.inner.delete_flow(id, code_hash, idempotency).await
    }
    async fn resend_code(
        &self,
        id: &FlowId,
        message: &NewMessage,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<ResendOutcome, otp::store::StoreError> {
        self.inner.resend_code(id, message, guard, admission).await
    }
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), otp::store::StoreError> {
        self.inner.restore_code(previous, ttl, failed_hash).await
    }
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, otp::store::StoreError> {
        self.first_step(
            self.inner
                .count_attempt(id, now, max_attempts, replay_since),
        )
        .await
    }
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
    ) -> Result<Approval, otp::store::StoreError> {
        self.first_step(self.inner.approve(id, now, code_hash, try_number))
            .await
    }
    async fn read_counter(&self, key: &str) -> Result<i64, otp::store::StoreError> {
        self.inner.read_counter(key).await
    }
    async fn add_to_counter(
        &self,
        key: &str,
        amount: i64,
        ttl: u64,
    ) -> Result<i64, otp::store::StoreError> {
        self.inner.add_to_counter(key, amount, ttl).await
    }
}

otp::forward_sign_in_steps!(Held, inner);

/// Keeps the last code it was asked to deliver, and counts them.
#[derive(Default)]
pub(crate) struct LastCode(pub(crate) Mutex<Option<String>>, pub(crate) AtomicUsize);

#[async_trait]
impl Mailer for LastCode {
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError> {
        *self.0.lock().unwrap() = Some(message.code.expose().to_owned());
        self.1.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Client `i` of many: each guess from its own address, so no per-client
/// budget stands between the guesses and the flow.
pub(crate) fn client(i: usize) -> Client {
    let [_, _, a, b] = (i as u32).to_be_bytes();
    Client::at(Some(IpAddr::V4(Ipv4Addr::new(10, 9, a, b))))
}

pub(crate) async fn parallel_guesses_compare_at_most_five_codes(store: Arc<dyn Store>) {
    let held = Arc::new(Held {
        inner: store,
        arrived: AtomicUsize::new(0),
        arrival: Notify::new(),
        barrier: Barrier::new(GUESSES),
    });
    let mailer = Arc::new(LastCode::default());
    let limits = Limits {
        verifies_per_ip_per_hour: 1_000_000,
        ..Limits::default()
    };
    let service = Arc::new(Service::new(
        held.clone(),
        mailer.clone(),
        Arc::new(ManualClock::starting_now()),
        CodeHasher::ephemeral(),
        Policy::default(),
        limits,
    ));
    let sent = service
        .send(
            SendInput::to(Email::parse("ann@example.com").unwrap()),
            client(GUESSES),
        )
        .await
        .unwrap();
    let right = mailer.0.lock().unwrap().clone().expect("a code was sent");
    let right_n: u32 = right.parse().unwrap();
    let flow = sent.flow_id.as_str().to_owned();

    let guess = |i: usize, code: String| {
        let (service, flow) = (service.clone(), flow.clone());
        tokio::spawn(async move { service.verify(&flow, &code, client(i)).await })
    };
    let mut tasks: Vec<_> = (1..GUESSES)
        .map(|i| guess(i, format!("{:06}", (right_n + i as u32) % 1_000_000)))
        .collect();
    // The right code comes last: after every wrong guess reached the store.
    held.wait_for(GUESSES - 1).await;
    tasks.push(guess(0, right.clone()));

    let mut verdicts = 0;
    let mut approved = false;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => {
                verdicts += 1;
                approved = true;
            }
            Err(ServiceError::WrongCode { .. }) => verdicts += 1,
            Err(ServiceError::TooManyAttempts) => {}
            Err(other) => panic!("unexpected answer: {other:?}"),
        }
    }
    assert!(
        verdicts <= 5,
        "{verdicts} guesses were compared against the code; at most 5 may be"
    );
    assert!(!approved, "the right code won after 199 wrong guesses");
    let record = held.get_flow(&sent.flow_id).await.unwrap().unwrap();
    assert_eq!((record.attempts, record.used_at), (5, None));
}
