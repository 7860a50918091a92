//! Counters, and many requests at once: each condition is won exactly as often as it allows.

use super::*;

pub(crate) async fn counters_add_and_subtract(store: Arc<dyn Store>) {
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

pub(crate) async fn concurrent_approvals_have_one_winner(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let results = race(&store, |store, _| {
        let (id, hash) = (record.id.clone(), record.code_hash.clone());
        async move { store.approve(&id, now, &hash, 1).await.unwrap() }
    })
    .await;
    let won = results
        .iter()
        .filter(|a| matches!(a, Approval::Approved(_)))
        .count();
    assert_eq!(won, 1, "{results:?}");
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!((after.attempts, after.used_at), (0, Some(now)));
}

pub(crate) async fn concurrent_attempts_stop_at_max(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let results = race(&store, |store, _| {
        let id = record.id.clone();
        async move { store.count_attempt(&id, now, 5, NO_REPLAY).await.unwrap() }
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

pub(crate) async fn concurrent_creates_with_one_key_make_one_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let flows: Vec<FlowRecord> = (0..CONCURRENCY).map(|_| flow(now)).collect();
    let k = key("idem-race", now + 600);
    let results = race(&store, |store, i| {
        let (record, k) = (flows[i].clone(), k.clone());
        async move {
            store
                .create_flow(&record, ttl(&record), Some(&k), &at(now))
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

/// 50 new flows against one budget of 5: exactly 5 are written and the
/// counter ends at 5, whatever the interleaving.
pub(crate) async fn concurrent_admissions_stop_at_the_limit(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let flows: Vec<FlowRecord> = (0..CONCURRENCY).map(|_| flow(now)).collect();
    let admission = Admission {
        charges: vec![charge("limit#race", 5, now)],
        now,
        ..Admission::default()
    };
    let results = race(&store, |store, i| {
        let (record, admission) = (flows[i].clone(), admission.clone());
        async move {
            store
                .create_flow(&record, ttl(&record), None, &admission)
                .await
                .unwrap()
        }
    })
    .await;
    let written = results.iter().filter(|r| **r == Created::New).count();
    assert_eq!(written, 5, "{results:?}");
    for result in &results {
        if let Created::Refused(refusal) = result {
            assert_eq!(refusal, &Refusal::Budget { index: 0, count: 5 });
        }
    }
    let mut stored_flows = 0;
    for record in &flows {
        stored_flows += usize::from(store.get_flow(&record.id).await.unwrap().is_some());
    }
    assert_eq!(stored_flows, 5, "a refused admission wrote its flow");
    assert_eq!(
        store
            .add_to_counter("limit#race", 0, now + DAY)
            .await
            .unwrap(),
        5
    );
}
