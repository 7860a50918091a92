//! The contract every `Store` keeps, written once and run against the
//! in-memory store and against DynamoDB Local (a fresh table per test).
//!
//! The DynamoDB half needs `OTP_TEST_DYNAMODB_ENDPOINT`. Without it a plain
//! `cargo test` skips those tests with one line each; under
//! `OTP_TEST_SERVICES=1` (as `scripts/test` runs them) its absence fails them.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use otp::domain::{Clock, CodeHash, Email, FlowId, FlowRecord, SystemClock};
use otp::store::{
    Approval, Attempt, Created, DynamoStore, IdempotencyKey, MemoryStore, NewCode, Replaced,
    ResendGuard, Store,
};
use rand::Rng;
use std::sync::Arc;
use tokio::sync::Barrier;

const DAY: u64 = 24 * 3600;
const CONCURRENCY: usize = 50;

fn flow(now: u64) -> FlowRecord {
    FlowRecord {
        id: FlowId::generate(),
        email: Email::parse("ann@example.com").unwrap(),
        code_hash: CodeHash([1; 32]),
        key_id: "k1".into(),
        attempts: 0,
        sends: 1,
        created_at: now,
        expires_at: now + 600,
        last_sent_at: now,
        used_at: None,
    }
}

fn ttl(flow: &FlowRecord) -> u64 {
    flow.expires_at + DAY
}

fn key(name: &str, expires_at: u64) -> IdempotencyKey {
    IdempotencyKey {
        key: name.into(),
        expires_at,
        ttl: expires_at + DAY,
    }
}

fn new_code(hash: u8, sent_at: u64) -> NewCode {
    NewCode {
        code_hash: CodeHash([hash; 32]),
        key_id: format!("k{hash}"),
        sent_at,
        expires_at: sent_at + 600,
        ttl: sent_at + 600 + DAY,
    }
}

fn guard(now: u64) -> ResendGuard {
    ResendGuard {
        now,
        cooldown_secs: 60,
        max_sends: 5,
        max_attempts: 5,
    }
}

/// A flow written to `store`, for tests about what happens to it next.
async fn stored(store: &dyn Store, edit: impl FnOnce(&mut FlowRecord)) -> (FlowRecord, u64) {
    let now = SystemClock.now();
    let mut record = flow(now);
    edit(&mut record);
    let created = store
        .create_flow(&record, ttl(&record), None, now)
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    (record, now)
}

async fn create_then_get_round_trips(store: Arc<dyn Store>) {
    let (plain, _) = stored(&*store, |_| {}).await;
    assert_eq!(
        store.get_flow(&plain.id).await.unwrap(),
        Some(plain.clone())
    );

    let (full, now) = stored(&*store, |r| {
        r.code_hash = CodeHash(std::array::from_fn(|i| i as u8));
        r.attempts = 3;
        r.sends = 2;
        r.used_at = Some(r.created_at + 5);
    })
    .await;
    assert_eq!(store.get_flow(&full.id).await.unwrap(), Some(full.clone()));
    assert_eq!(store.get_flow(&FlowId::generate()).await.unwrap(), None);

    let again = store.create_flow(&full, ttl(&full), None, now).await;
    assert!(again.is_err(), "a flow id is written once");
}

async fn idempotency_key_maps_to_the_first_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (first, second) = (flow(now), flow(now));
    let k = key("idem-a", now + 600);
    let created = store
        .create_flow(&first, ttl(&first), Some(&k), now)
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    let repeated = store
        .create_flow(&second, ttl(&second), Some(&k), now + 599)
        .await
        .unwrap();
    assert_eq!(repeated, Created::Existing(first.id.clone()));
    assert_eq!(
        store.get_flow(&second.id).await.unwrap(),
        None,
        "nothing written"
    );

    let other = store
        .create_flow(&second, ttl(&second), Some(&key("idem-b", now + 600)), now)
        .await;
    assert_eq!(other.unwrap(), Created::New);
}

async fn key_holder_finds_only_live_keys(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let first = flow(now);
    let k = key("idem-held", now + 600);
    assert_eq!(store.key_holder(&k, now).await.unwrap(), None, "unclaimed");
    store
        .create_flow(&first, ttl(&first), Some(&k), now)
        .await
        .unwrap();
    assert_eq!(
        store.key_holder(&k, now + 599).await.unwrap(),
        Some(first.id)
    );
    assert_eq!(
        store.key_holder(&k, now + 600).await.unwrap(),
        None,
        "expired"
    );
    let other = key("idem-other", now + 600);
    assert_eq!(store.key_holder(&other, now).await.unwrap(), None);
}

async fn expired_idempotency_key_is_reusable(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (first, second, third) = (flow(now), flow(now), flow(now));
    let k = key("idem", now + 10);
    store
        .create_flow(&first, ttl(&first), Some(&k), now)
        .await
        .unwrap();

    let later = now + 10;
    let k2 = key("idem", later + 10);
    let created = store
        .create_flow(&second, ttl(&second), Some(&k2), later)
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    let repeated = store
        .create_flow(&third, ttl(&third), Some(&k2), later)
        .await
        .unwrap();
    assert_eq!(repeated, Created::Existing(second.id.clone()));
    assert!(
        store.get_flow(&first.id).await.unwrap().is_some(),
        "the old flow stays"
    );
}

async fn count_attempt_stops_at_max(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    for expected in 1..=3 {
        match store.count_attempt(&record.id, now, 3).await.unwrap() {
            Attempt::Counted(r) => assert_eq!(
                r,
                FlowRecord {
                    attempts: expected,
                    ..record.clone()
                }
            ),
            other => panic!("attempt {expected} refused: {other:?}"),
        }
    }
    let refused = store.count_attempt(&record.id, now, 3).await.unwrap();
    assert_eq!(
        refused,
        Attempt::Refused(Some(FlowRecord {
            attempts: 3,
            ..record.clone()
        }))
    );
    let missing = store
        .count_attempt(&FlowId::generate(), now, 3)
        .await
        .unwrap();
    assert_eq!(missing, Attempt::Refused(None));
}

async fn count_attempt_refused_when_expired_or_used(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let expired = store
        .count_attempt(&record.id, record.expires_at, 5)
        .await
        .unwrap();
    assert_eq!(expired, Attempt::Refused(Some(record.clone())));
    let counted = store
        .count_attempt(&record.id, record.expires_at - 1, 5)
        .await
        .unwrap();
    assert!(matches!(counted, Attempt::Counted(_)), "{counted:?}");

    let approved = store
        .approve(&record.id, now, 5, std::slice::from_ref(&record.code_hash))
        .await
        .unwrap();
    let used = FlowRecord {
        attempts: 2,
        used_at: Some(now),
        ..record.clone()
    };
    assert_eq!(approved, Approval::Approved(used.clone()));
    let refused = store.count_attempt(&record.id, now, 5).await.unwrap();
    assert_eq!(refused, Attempt::Refused(Some(used)));
}

/// The right hash among `candidates`, in the order `CodeHasher::candidates`
/// gives them: the current key first, the code in flight under an older key.
fn candidates(right: &CodeHash) -> Vec<CodeHash> {
    vec![CodeHash([7; 32]), right.clone()]
}

async fn approve_checks_the_code_and_the_flow_in_one_write(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |r| r.attempts = 3).await;
    let wrong = [CodeHash([2; 32]), CodeHash([3; 32])];
    let right = candidates(&record.code_hash);
    let unchanged = Approval::Refused(Some(record.clone()));
    assert_eq!(
        store.approve(&record.id, now, 5, &wrong).await.unwrap(),
        unchanged,
        "wrong code"
    );
    assert_eq!(
        store.approve(&record.id, now, 5, &[]).await.unwrap(),
        unchanged,
        "no candidates"
    );
    assert_eq!(
        store
            .approve(&record.id, record.expires_at, 5, &right)
            .await
            .unwrap(),
        unchanged,
        "expired"
    );
    assert_eq!(
        store.approve(&record.id, now, 3, &right).await.unwrap(),
        unchanged,
        "no attempts left"
    );
    assert_eq!(
        store
            .approve(&FlowId::generate(), now, 5, &right)
            .await
            .unwrap(),
        Approval::Refused(None),
        "missing"
    );

    // The last attempt allowed, with the right code: approved and counted.
    let approved = FlowRecord {
        attempts: 4,
        used_at: Some(now + 1),
        ..record.clone()
    };
    assert_eq!(
        store.approve(&record.id, now + 1, 5, &right).await.unwrap(),
        Approval::Approved(approved.clone())
    );
    assert_eq!(
        store.approve(&record.id, now + 2, 9, &right).await.unwrap(),
        Approval::Refused(Some(approved.clone())),
        "used"
    );
    assert_eq!(store.get_flow(&record.id).await.unwrap(), Some(approved));
}

async fn approve_refused_after_code_replaced(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let replaced = store
        .replace_code(&record.id, &new_code(2, now + 60), guard(now + 60))
        .await;
    assert!(matches!(replaced.unwrap(), Replaced::Done(_)));
    let old = store
        .approve(&record.id, now + 61, 5, &candidates(&record.code_hash))
        .await
        .unwrap();
    assert!(matches!(old, Approval::Refused(Some(_))), "{old:?}");
    let new = store
        .approve(&record.id, now + 61, 5, &candidates(&CodeHash([2; 32])))
        .await
        .unwrap();
    assert!(matches!(new, Approval::Approved(_)), "{new:?}");
}

async fn replace_code_keeps_attempts(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    store.count_attempt(&record.id, now, 5).await.unwrap();
    store.count_attempt(&record.id, now, 5).await.unwrap();
    let before = FlowRecord {
        attempts: 2,
        ..record.clone()
    };

    let code = new_code(2, now + 60);
    let replaced = store
        .replace_code(&record.id, &code, guard(now + 60))
        .await
        .unwrap();
    assert_eq!(replaced, Replaced::Done(before.clone()));
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    let expected = FlowRecord {
        code_hash: code.code_hash,
        key_id: code.key_id,
        last_sent_at: code.sent_at,
        expires_at: code.expires_at,
        sends: 2,
        ..before
    };
    assert_eq!(after, expected);
}

async fn replace_code_honours_every_guard(store: Arc<dyn Store>) {
    // What the flow looks like, and when the resend is asked for.
    type Setup = fn(&mut FlowRecord);
    type When = fn(u64, &FlowRecord) -> u64;
    let refusals: [(&str, Setup, When); 5] = [
        ("cooldown", |_| {}, |now, _| now + 59),
        ("max sends", |r| r.sends = 5, |now, _| now + 60),
        ("max attempts", |r| r.attempts = 5, |now, _| now + 60),
        (
            "expired",
            |r| r.expires_at = r.created_at + 60,
            |_, r| r.expires_at,
        ),
        (
            "used",
            |r| r.used_at = Some(r.created_at),
            |now, _| now + 60,
        ),
    ];
    for (why, edit, when) in refusals {
        let (record, now) = stored(&*store, edit).await;
        let at = when(now, &record);
        let replaced = store
            .replace_code(&record.id, &new_code(2, at), guard(at))
            .await
            .unwrap();
        assert_eq!(replaced, Replaced::Refused(Some(record.clone())), "{why}");
        assert_eq!(
            store.get_flow(&record.id).await.unwrap(),
            Some(record),
            "{why}"
        );
    }
    let now = SystemClock.now();
    let missing = store
        .replace_code(&FlowId::generate(), &new_code(2, now), guard(now))
        .await;
    assert_eq!(missing.unwrap(), Replaced::Refused(None));
}

async fn restore_code_undoes_only_the_failed_code(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let Replaced::Done(previous) = store
        .replace_code(&record.id, &new_code(2, now + 60), guard(now + 60))
        .await
        .unwrap()
    else {
        panic!("replace refused");
    };
    assert_eq!(previous, record);
    store.count_attempt(&record.id, now + 61, 5).await.unwrap();
    store
        .restore_code(&previous, ttl(&previous), &CodeHash([2; 32]))
        .await
        .unwrap();
    let restored = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!(
        restored,
        FlowRecord {
            attempts: 1,
            ..record.clone()
        },
        "attempts are kept"
    );

    // A newer code was sent after the failed one: the restore must not undo it.
    let Replaced::Done(previous) = store
        .replace_code(&record.id, &new_code(3, now + 120), guard(now + 120))
        .await
        .unwrap()
    else {
        panic!("replace refused");
    };
    store
        .replace_code(&record.id, &new_code(4, now + 180), guard(now + 180))
        .await
        .unwrap();
    store
        .restore_code(&previous, ttl(&previous), &CodeHash([3; 32]))
        .await
        .unwrap();
    let current = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!(current.code_hash, CodeHash([4; 32]));
    assert_eq!(current.sends, 3);
}

async fn delete_flow_removes_flow_and_key(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let record = flow(now);
    let k = key("idem", now + 600);
    store
        .create_flow(&record, ttl(&record), Some(&k), now)
        .await
        .unwrap();

    store
        .delete_flow(&record.id, &CodeHash([9; 32]), Some(&k))
        .await
        .unwrap();
    assert!(
        store.get_flow(&record.id).await.unwrap().is_some(),
        "another code: kept"
    );
    let held = store
        .create_flow(&flow(now), ttl(&record), Some(&k), now)
        .await
        .unwrap();
    assert_eq!(held, Created::Existing(record.id.clone()));

    store
        .delete_flow(&record.id, &record.code_hash, Some(&k))
        .await
        .unwrap();
    assert_eq!(store.get_flow(&record.id).await.unwrap(), None);
    let next = flow(now);
    let reused = store
        .create_flow(&next, ttl(&next), Some(&k), now)
        .await
        .unwrap();
    assert_eq!(reused, Created::New, "the key is free again");

    store
        .delete_flow(&next.id, &next.code_hash, None)
        .await
        .unwrap();
    assert_eq!(store.get_flow(&next.id).await.unwrap(), None);
    store
        .delete_flow(&next.id, &next.code_hash, Some(&k))
        .await
        .unwrap();
}

async fn delete_flow_leaves_a_key_claimed_by_another_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (old, new) = (flow(now), flow(now));
    store
        .create_flow(&old, ttl(&old), Some(&key("idem", now + 10)), now)
        .await
        .unwrap();
    let k = key("idem", now + 600);
    store
        .create_flow(&new, ttl(&new), Some(&k), now + 10)
        .await
        .unwrap();

    store
        .delete_flow(&old.id, &old.code_hash, Some(&k))
        .await
        .unwrap();
    assert_eq!(store.get_flow(&old.id).await.unwrap(), None);
    let held = store
        .create_flow(&flow(now), ttl(&new), Some(&k), now + 10)
        .await
        .unwrap();
    assert_eq!(held, Created::Existing(new.id.clone()));
}

async fn counters_add_and_subtract(store: Arc<dyn Store>) {
    let ttl = SystemClock.now() + DAY;
    assert_eq!(
        store
            .add_to_counter("limit#email#a#1", 1, ttl)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .add_to_counter("limit#email#a#1", 1, ttl)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .add_to_counter("limit#email#a#1", -1, ttl)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .add_to_counter("limit#email#a#2", 5, ttl)
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        store.add_to_counter("limit#ip#b#1", -2, ttl).await.unwrap(),
        -2
    );
    assert_eq!(
        store
            .add_to_counter("limit#email#a#1", 0, ttl)
            .await
            .unwrap(),
        1
    );
}

/// Runs `call` from [`CONCURRENCY`] tasks released at once.
async fn race<T, F, Fut>(store: &Arc<dyn Store>, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(CONCURRENCY));
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|i| {
            let (start, call) = (start.clone(), call(store.clone(), i));
            tokio::spawn(async move {
                start.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(CONCURRENCY);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

async fn concurrent_approvals_have_one_winner(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let results = race(&store, |store, _| {
        let (id, hash) = (record.id.clone(), record.code_hash.clone());
        async move { store.approve(&id, now, 5, &[hash]).await.unwrap() }
    })
    .await;
    let won = results
        .iter()
        .filter(|a| matches!(a, Approval::Approved(_)))
        .count();
    assert_eq!(won, 1, "{results:?}");
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!((after.attempts, after.used_at), (1, Some(now)));
}

async fn concurrent_attempts_stop_at_max(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let results = race(&store, |store, _| {
        let id = record.id.clone();
        async move { store.count_attempt(&id, now, 5).await.unwrap() }
    })
    .await;
    let counted: Vec<u32> = results
        .iter()
        .filter_map(|a| match a {
            Attempt::Counted(r) => Some(r.attempts),
            Attempt::Refused(_) => None,
        })
        .collect();
    let mut sorted = counted.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2, 3, 4, 5], "each count is seen once");
    for result in &results {
        if let Attempt::Refused(r) = result {
            assert_eq!(r.as_ref().map(|r| r.attempts), Some(5));
        }
    }
    assert_eq!(results.len() - counted.len(), CONCURRENCY - 5);
    assert_eq!(
        store.get_flow(&record.id).await.unwrap().unwrap().attempts,
        5
    );
}

async fn concurrent_creates_with_one_key_make_one_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let flows: Vec<FlowRecord> = (0..CONCURRENCY).map(|_| flow(now)).collect();
    let k = key("idem-race", now + 600);
    let results = race(&store, |store, i| {
        let (record, k) = (flows[i].clone(), k.clone());
        async move {
            store
                .create_flow(&record, ttl(&record), Some(&k), now)
                .await
                .unwrap()
        }
    })
    .await;
    let winners: Vec<usize> = (0..CONCURRENCY)
        .filter(|&i| results[i] == Created::New)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = &flows[winners[0]];
    for (i, result) in results.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(result, &Created::Existing(winner.id.clone()));
            assert_eq!(
                store.get_flow(&flows[i].id).await.unwrap(),
                None,
                "a loser wrote its flow"
            );
        }
    }
    assert_eq!(
        store.get_flow(&winner.id).await.unwrap(),
        Some(winner.clone())
    );
}

/// `None` (and one line saying so) when the variable is unset and the run
/// does not promise services; a failure when it does.
fn service_env(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("OTP_TEST_SERVICES").as_deref() == Ok("1") => {
            panic!("OTP_TEST_SERVICES=1 but {name} is not set")
        }
        _ => {
            eprintln!("skipped: {name} is not set");
            None
        }
    }
}

async fn dynamo_client() -> Option<Client> {
    let endpoint = service_env("OTP_TEST_DYNAMODB_ENDPOINT")?;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    Some(Client::new(&config))
}

/// A store over a table of its own, so tests never see each other's items.
async fn dynamo_store() -> Option<(Client, String, Arc<dyn Store>)> {
    let client = dynamo_client().await?;
    let table = format!("otp-test-{:016x}", rand::rng().random::<u64>());
    DynamoStore::create_table(&client, &table).await.unwrap();
    let store = Arc::new(DynamoStore::new(client.clone(), table.clone()));
    Some((client, table, store))
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(std::sync::Arc::new(super::MemoryStore::new())).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some((_, _, store)) = super::dynamo_store().await {
                        super::$case(store).await;
                    }
                }
            )*
        }
    };
}

contract!(
    create_then_get_round_trips,
    idempotency_key_maps_to_the_first_flow,
    expired_idempotency_key_is_reusable,
    key_holder_finds_only_live_keys,
    count_attempt_stops_at_max,
    count_attempt_refused_when_expired_or_used,
    approve_checks_the_code_and_the_flow_in_one_write,
    approve_refused_after_code_replaced,
    replace_code_keeps_attempts,
    replace_code_honours_every_guard,
    restore_code_undoes_only_the_failed_code,
    delete_flow_removes_flow_and_key,
    delete_flow_leaves_a_key_claimed_by_another_flow,
    counters_add_and_subtract,
    concurrent_approvals_have_one_winner,
    concurrent_attempts_stop_at_max,
    concurrent_creates_with_one_key_make_one_flow,
);

#[tokio::test]
async fn dynamodb_create_table_is_idempotent_and_enables_ttl() {
    let Some((client, table, _)) = dynamo_store().await else {
        return;
    };
    DynamoStore::create_table(&client, &table).await.unwrap();
    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().unwrap();
    assert_eq!(description.attribute_name(), Some("ttl"));
    assert_eq!(
        description.time_to_live_status(),
        Some(&TimeToLiveStatus::Enabled)
    );
}

/// A damaged item is reported as a store error, not a panic or a wrong answer.
#[tokio::test]
async fn dynamodb_malformed_item_is_an_error() {
    let Some((client, table, store)) = dynamo_store().await else {
        return;
    };
    let id = FlowId::generate();
    client
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S(format!("flow#{}", id.as_str())))
        .item("email", AttributeValue::S("ann@example.com".into()))
        .item("code_hash", AttributeValue::B(Blob::new(vec![1; 5])))
        .send()
        .await
        .unwrap();
    assert!(store.get_flow(&id).await.is_err());
    assert!(
        store
            .count_attempt(&id, SystemClock.now(), 5)
            .await
            .is_err()
    );
}
