//! An address's lockouts, summed from its flows: the flows a message's
//! charge lists are found again, and a try counted between that read and
//! the admission's write makes the write read again instead of admitting
//! against a stale sum — in the store, and through the whole send step
//! with the try landing between its read and its write.

use super::*;
use async_trait::async_trait;
use otp::domain::{CodeHasher, ManualClock, Policy};
use otp::service::{Limits, SendInput, Service, ServiceError};
use std::sync::atomic::Ordering;
use tokio::sync::Notify;

/// An admission that charges `key` and lists `flow` in it.
fn listing(key: &str, flow: &FlowId, now: u64) -> Admission {
    Admission {
        charges: vec![Charge {
            lists: Some(flow.clone()),
            ..charge(key, 100, now)
        }],
        now,
        ..Admission::default()
    }
}

/// The flows a charge listed are read back, each once, whatever their
/// state, from the counters asked for only; a resend lists its flow again
/// without listing it twice; a flow gone is left out.
pub(crate) async fn listed_flows_are_the_flows_the_charges_listed(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (a, b, c) = (flow(now), flow(now), flow(now));
    for (record, list) in [(&a, "limit#day1"), (&b, "limit#day2"), (&c, "limit#other")] {
        let admission = listing(list, &record.id, now);
        let created = store
            .create_flow(record, ttl(record), None, &admission)
            .await
            .unwrap();
        assert_eq!(created, Created::New);
    }
    // `a` again, in the second day's list too (a resend the next day).
    let resent = store
        .resend_code(
            &a.id,
            &same_code(now + 60),
            guard(now + 60, &a.code_hash),
            &listing("limit#day2", &a.id, now + 60),
        )
        .await
        .unwrap();
    assert_eq!(resent, ResendOutcome::Done);
    store.count_attempt(&b.id, now, 5, NO_REPLAY).await.unwrap();
    let lists = ["limit#day1", "limit#day2", "limit#never"].map(str::to_owned);
    let mut found = store.listed_flows(&lists).await.unwrap();
    found.sort_by_key(|f| f.sends);
    let ids: Vec<&FlowId> = found.iter().map(|f| &f.id).collect();
    assert_eq!(ids, [&b.id, &a.id]);
    assert_eq!((found[0].attempts, &found[0].tries), (1, &vec![now]));
    assert_eq!(store.listed_flows(&[]).await.unwrap(), []);

    store.delete_flow(&b.id, &b.code_hash, None).await.unwrap();
    let found = store.listed_flows(&lists).await.unwrap();
    assert_eq!(found.iter().map(|f| &f.id).collect::<Vec<_>>(), [&a.id]);
}

/// The caller read a live flow with no tries; a try is counted before the
/// write: the admission writes nothing and says to read again. With the
/// tries as they are, it goes through.
pub(crate) async fn a_try_after_the_read_makes_the_admission_read_again(store: Arc<dyn Store>) {
    let (live, now) = stored(&*store, |_| {}).await;
    let seen = store.listed_flows(&[]).await.unwrap();
    assert!(seen.is_empty());
    let read = Admission {
        untried: vec![Untried {
            flow: live.id.clone(),
            attempts: 0,
        }],
        ..listing("limit#untried", &live.id, now)
    };
    store
        .count_attempt(&live.id, now, 5, NO_REPLAY)
        .await
        .unwrap();
    let record = flow(now);
    let created = store
        .create_flow(&record, ttl(&record), None, &read)
        .await
        .unwrap();
    assert_eq!(created, Created::Stale);
    assert_eq!(store.get_flow(&record.id).await.unwrap(), None);
    assert_eq!(count(&*store, "limit#untried", now).await, 0);

    let read_again = Admission {
        untried: vec![Untried {
            flow: live.id.clone(),
            attempts: 1,
        }],
        ..read
    };
    let created = store
        .create_flow(&record, ttl(&record), None, &read_again)
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    assert_eq!(count(&*store, "limit#untried", now).await, 1);
}

/// The same for a resend whose own flow took the try: its message is not
/// recorded until it is read again.
pub(crate) async fn a_try_after_the_read_makes_a_resend_read_again(store: Arc<dyn Store>) {
    let (live, now) = stored(&*store, |_| {}).await;
    let read = |attempts| Admission {
        untried: vec![Untried {
            flow: live.id.clone(),
            attempts,
        }],
        ..listing("limit#resent", &live.id, now + 60)
    };
    store
        .count_attempt(&live.id, now, 5, NO_REPLAY)
        .await
        .unwrap();
    let resend = |admission: Admission| {
        let (store, live) = (store.clone(), live.clone());
        async move {
            store
                .resend_code(
                    &live.id,
                    &same_code(now + 60),
                    guard(now + 60, &live.code_hash),
                    &admission,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(resend(read(0)).await, ResendOutcome::Stale);
    let unchanged = store.get_flow(&live.id).await.unwrap().unwrap();
    assert_eq!((unchanged.sends, unchanged.attempts), (1, 1));
    assert_eq!(count(&*store, "limit#resent", now).await, 0);
    assert_eq!(resend(read(1)).await, ResendOutcome::Done);
    assert_eq!(count(&*store, "limit#resent", now).await, 1);
}

/// A store whose first read of an address's flows, once answered, waits
/// until the test lets it go on.
struct PausedRead {
    inner: Arc<dyn Store>,
    reads: std::sync::atomic::AtomicUsize,
    read: Notify,
    go_on: Notify,
}

#[async_trait]
impl Store for PausedRead {
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
        let flows = self.inner.listed_flows(lists).await;
        if self.reads.fetch_add(1, Ordering::SeqCst) == 0 {
            let go_on = self.go_on.notified();
            self.read.notify_one();
            go_on.await;
        }
        flows
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
        self.inner
            .count_attempt(id, now, max_attempts, replay_since)
            .await
    }
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
    ) -> Result<Approval, otp::store::StoreError> {
        self.inner.approve(id, now, code_hash, try_number).await
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

otp::forward_sign_in_steps!(PausedRead, inner);

/// Through the whole step, with real round trips: a send reads the
/// address's flows (one failure, below the lockout at two) and is held
/// there; the wrong code that starts the lockout is answered meanwhile;
/// then the send goes on to its write. It must not be admitted on the
/// stale sum: it reads again and is asked for a proof of work, and no
/// message leaves.
pub(crate) async fn a_send_overtaken_by_the_failure_that_starts_a_lockout_needs_work(
    store: Arc<dyn Store>,
) {
    let paused = Arc::new(PausedRead {
        inner: store.clone(),
        reads: std::sync::atomic::AtomicUsize::new(0),
        read: Notify::new(),
        go_on: Notify::new(),
    });
    let mailer = Arc::new(LastCode::default());
    let limits = Limits {
        failures_per_email_per_day: 2,
        pow_difficulty: 4,
        ..Limits::default()
    };
    // Two instances of the service: their own gates, the same keys and clock.
    let (hasher, clock) = (CodeHasher::ephemeral(), ManualClock::starting_now());
    let service = |store: Arc<dyn Store>| {
        Arc::new(Service::new(
            store,
            mailer.clone(),
            Arc::new(clock.clone()),
            hasher.clone(),
            Policy::default(),
            limits.clone(),
        ))
    };
    // The flow and its first failure, through the store as it is.
    let direct = service(store.clone());
    let ann = || SendInput::to(Email::parse("ann@example.com").unwrap());
    let sent = direct.send(ann(), client(1)).await.unwrap();
    let code = mailer.0.lock().unwrap().clone().unwrap();
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let first = direct
        .verify(sent.flow_id.as_str(), &wrong, client(1))
        .await;
    assert!(
        matches!(first, Err(ServiceError::WrongCode { .. })),
        "{first:?}"
    );

    // A second send reads one failure, and is held after its read.
    let held = service(paused.clone());
    let read = paused.read.notified();
    let second = tokio::spawn({
        let held = held.clone();
        async move { held.send(ann(), client(2)).await }
    });
    read.await;
    let lockout = direct
        .verify(sent.flow_id.as_str(), &wrong, client(1))
        .await;
    assert!(
        matches!(lockout, Err(ServiceError::WrongCode { .. })),
        "{lockout:?}"
    );
    paused.go_on.notify_one();

    let answer = second.await.unwrap();
    assert!(
        matches!(answer, Err(ServiceError::ProofRequired(ref c)) if c.difficulty == 5),
        "{answer:?}"
    );
    assert_eq!(paused.reads.load(Ordering::SeqCst), 2, "it read again");
    assert_eq!(mailer.1.load(Ordering::SeqCst), 1, "only the first message");
}
