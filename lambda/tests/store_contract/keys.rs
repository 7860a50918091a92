//! Flows and their idempotency keys: written once, found while live, removed together.

use super::*;

pub(crate) async fn create_then_get_round_trips(store: Arc<dyn Store>) {
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

    let again = store.create_flow(&full, ttl(&full), None, &at(now)).await;
    assert!(again.is_err(), "a flow id is written once");
}

pub(crate) async fn idempotency_key_maps_to_the_first_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (first, second) = (flow(now), flow(now));
    let k = key("idem-a", now + 600);
    let created = store
        .create_flow(&first, ttl(&first), Some(&k), &at(now))
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    let repeated = store
        .create_flow(&second, ttl(&second), Some(&k), &at(now + 599))
        .await
        .unwrap();
    assert_eq!(repeated, Created::Existing(first.id.clone()));
    assert_eq!(
        store.get_flow(&second.id).await.unwrap(),
        None,
        "nothing written"
    );

    let other = store
        .create_flow(
            &second,
            ttl(&second),
            Some(&key("idem-b", now + 600)),
            &at(now),
        )
        .await;
    assert_eq!(other.unwrap(), Created::New);
}

pub(crate) async fn key_holder_finds_only_live_keys(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let first = flow(now);
    let k = key("idem-held", now + 600);
    assert_eq!(store.key_holder(&k, now).await.unwrap(), None, "unclaimed");
    store
        .create_flow(&first, ttl(&first), Some(&k), &at(now))
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

pub(crate) async fn expired_idempotency_key_is_reusable(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (first, second, third) = (flow(now), flow(now), flow(now));
    let k = key("idem", now + 10);
    store
        .create_flow(&first, ttl(&first), Some(&k), &at(now))
        .await
        .unwrap();

    let later = now + 10;
    let k2 = key("idem", later + 10);
    let created = store
        .create_flow(&second, ttl(&second), Some(&k2), &at(later))
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    let repeated = store
        .create_flow(&third, ttl(&third), Some(&k2), &at(later))
        .await
        .unwrap();
    assert_eq!(repeated, Created::Existing(second.id.clone()));
    assert!(
        store.get_flow(&first.id).await.unwrap().is_some(),
        "the old flow stays"
    );
}

pub(crate) async fn delete_flow_removes_flow_and_key(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let record = flow(now);
    let k = key("idem", now + 600);
    store
        .create_flow(&record, ttl(&record), Some(&k), &at(now))
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
        .create_flow(&flow(now), ttl(&record), Some(&k), &at(now))
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
        .create_flow(&next, ttl(&next), Some(&k), &at(now))
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

pub(crate) async fn delete_flow_leaves_a_key_claimed_by_another_flow(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let (old, new) = (flow(now), flow(now));
    store
        .create_flow(&old, ttl(&old), Some(&key("idem", now + 10)), &at(now))
        .await
        .unwrap();
    let k = key("idem", now + 600);
    store
        .create_flow(&new, ttl(&new), Some(&k), &at(now + 10))
        .await
        .unwrap();

    store
        .delete_flow(&old.id, &old.code_hash, Some(&k))
        .await
        .unwrap();
    assert_eq!(store.get_flow(&old.id).await.unwrap(), None);
    let held = store
        .create_flow(&flow(now), ttl(&new), Some(&k), &at(now + 10))
        .await
        .unwrap();
    assert_eq!(held, Created::Existing(new.id.clone()));
}
