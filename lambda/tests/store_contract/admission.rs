//! A new message and the budgets it passes, in one atomic write.

use super::*;

pub(crate) fn charge(key: &str, limit: u32, now: u64) -> Charge {
    Charge {
        key: key.to_owned(),
        limit,
        ttl: now + DAY,
        lists: None,
    }
}

pub(crate) async fn count(store: &dyn Store, key: &str, now: u64) -> i64 {
    store.add_to_counter(key, 0, now + DAY).await.unwrap()
}

/// Every charge is added with the flow, or none is: a budget at its limit
/// refuses the whole write, names itself, and leaves the other counters, the
/// flow and its idempotency key unwritten.
pub(crate) async fn admission_charges_every_budget_or_none(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let admission = Admission {
        charges: vec![
            charge("limit#a", 5, now),
            charge("limit#b", 2, now),
            charge("limit#c", 9, now),
        ],
        now,
        ..Admission::default()
    };
    for _ in 0..2 {
        let record = flow(now);
        let created = store
            .create_flow(&record, ttl(&record), None, &admission)
            .await
            .unwrap();
        assert_eq!(created, Created::New);
    }
    let refused = flow(now);
    let k = key("idem-refused", now + 600);
    let created = store
        .create_flow(&refused, ttl(&refused), Some(&k), &admission)
        .await
        .unwrap();
    assert_eq!(
        created,
        Created::Refused(Refusal::Budget { index: 1, count: 2 })
    );
    assert_eq!(store.get_flow(&refused.id).await.unwrap(), None);
    assert_eq!(store.key_holder(&k, now).await.unwrap(), None);
    for (key, expected) in [("limit#a", 2), ("limit#b", 2), ("limit#c", 2)] {
        assert_eq!(count(&*store, key, now).await, expected, "{key}");
    }
}

/// A lockout found by the caller refuses until it ends, unless a proof
/// paid for it, and writes nothing; the refusal still names a spent budget
/// or a suppression first, as a write would. A spent proof refuses for good.
pub(crate) async fn admission_refused_while_locked_or_proof_spent(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let locked = Admission {
        charges: vec![charge("limit#locked", 10, now)],
        lockouts: vec![
            Lockout {
                until: now - 1,
                n: 1,
            },
            Lockout {
                until: now + 900,
                n: 2,
            },
        ],
        now,
        ..Admission::default()
    };
    let record = flow(now);
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), None, &locked)
            .await
            .unwrap(),
        Created::Refused(Refusal::Locked {
            until: now + 900,
            n: 2
        })
    );
    assert_eq!(store.get_flow(&record.id).await.unwrap(), None);
    assert_eq!(count(&*store, "limit#locked", now).await, 0);
    // A budget at its limit comes first, as in a write.
    store
        .add_to_counter("limit#spent", 1, now + DAY)
        .await
        .unwrap();
    let spent = Admission {
        charges: vec![charge("limit#spent", 1, now)],
        ..locked.clone()
    };
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), None, &spent)
            .await
            .unwrap(),
        Created::Refused(Refusal::Budget { index: 0, count: 1 })
    );
    // A proof that paid for lockouts up to the second lets it through.
    let paid_for = Admission {
        lock_allowance: 2,
        ..locked.clone()
    };
    let through = flow(now);
    assert_eq!(
        store
            .create_flow(&through, ttl(&through), None, &paid_for)
            .await
            .unwrap(),
        Created::New
    );
    let after = Admission {
        now: now + 900,
        ..locked
    };
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), None, &after)
            .await
            .unwrap(),
        Created::New,
        "the lockout is over"
    );

    let paid = Admission {
        proof: Some(ProofMark {
            key: "pow#1".into(),
            ttl: now + DAY,
        }),
        now,
        ..Admission::default()
    };
    let first = flow(now);
    assert_eq!(
        store
            .create_flow(&first, ttl(&first), None, &paid)
            .await
            .unwrap(),
        Created::New
    );
    let second = flow(now);
    assert_eq!(
        store
            .create_flow(&second, ttl(&second), None, &paid)
            .await
            .unwrap(),
        Created::Refused(Refusal::ProofSpent)
    );
    assert_eq!(store.get_flow(&second.id).await.unwrap(), None);
}

/// A resend passes the same admission, in the same write as the new code.
pub(crate) async fn admission_guards_a_resend_too(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let full = Admission {
        charges: vec![charge("limit#resend", 1, now)],
        now: now + 60,
        ..Admission::default()
    };
    store
        .add_to_counter("limit#resend", 1, now + DAY)
        .await
        .unwrap();
    let refused = store
        .resend_code(
            &record.id,
            &same_code(now + 60),
            guard(now + 60, &record.code_hash),
            &full,
        )
        .await
        .unwrap();
    assert_eq!(
        refused,
        ResendOutcome::OverBudget(Refusal::Budget { index: 0, count: 1 })
    );
    assert_eq!(
        store.get_flow(&record.id).await.unwrap(),
        Some(record.clone())
    );
    store
        .add_to_counter("limit#resend", -1, now + DAY)
        .await
        .unwrap();
    let locked = Admission {
        lockouts: vec![Lockout {
            until: now + 900,
            n: 1,
        }],
        ..full.clone()
    };
    let refused = store
        .resend_code(
            &record.id,
            &same_code(now + 60),
            guard(now + 60, &record.code_hash),
            &locked,
        )
        .await
        .unwrap();
    assert_eq!(
        refused,
        ResendOutcome::OverBudget(Refusal::Locked {
            until: now + 900,
            n: 1
        })
    );
    let done = store
        .resend_code(
            &record.id,
            &same_code(now + 60),
            guard(now + 60, &record.code_hash),
            &full,
        )
        .await
        .unwrap();
    assert_eq!(done, ResendOutcome::Done);
    assert_eq!(count(&*store, "limit#resend", now).await, 1);
}
