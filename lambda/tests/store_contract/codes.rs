//! Tries, approval, and replacing or restoring a code.

use super::*;

pub(crate) async fn count_attempt_stops_at_max(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    for expected in 1..=3 {
        match store
            .count_attempt(&record.id, now, 3, NO_REPLAY)
            .await
            .unwrap()
        {
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
    let refused = store
        .count_attempt(&record.id, now, 3, NO_REPLAY)
        .await
        .unwrap();
    assert_eq!(
        refused,
        Attempt::Refused(Some(FlowRecord {
            attempts: 3,
            ..record.clone()
        }))
    );
    let missing = store
        .count_attempt(&FlowId::generate(), now, 3, NO_REPLAY)
        .await
        .unwrap();
    assert_eq!(missing, Attempt::Refused(None));
}

pub(crate) async fn count_attempt_refused_when_expired_or_used(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let expired = store
        .count_attempt(&record.id, record.expires_at, 5, NO_REPLAY)
        .await
        .unwrap();
    assert_eq!(expired, Attempt::Refused(Some(record.clone())));
    let counted = store
        .count_attempt(&record.id, record.expires_at - 1, 5, NO_REPLAY)
        .await
        .unwrap();
    assert!(matches!(counted, Attempt::Counted(_)), "{counted:?}");

    let approved = store
        .approve(&record.id, now, &record.code_hash)
        .await
        .unwrap();
    let used = FlowRecord {
        attempts: 1,
        used_at: Some(now),
        ..record.clone()
    };
    assert_eq!(approved, Approval::Approved(used.clone()));
    let refused = store
        .count_attempt(&record.id, now, 5, NO_REPLAY)
        .await
        .unwrap();
    assert_eq!(refused, Attempt::Refused(Some(used)));
}

/// A used flow takes tries only within the replay window after its
/// approval, still under the same limit of tries, even once it expired.
pub(crate) async fn count_attempt_takes_replays_within_the_window(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |r| r.attempts = 3).await;
    let at = record.expires_at - 1;
    store
        .approve(&record.id, at, &record.code_hash)
        .await
        .unwrap();
    let used = FlowRecord {
        used_at: Some(at),
        ..record.clone()
    };
    let later = at + 100;
    let replay = store
        .count_attempt(&record.id, later, 5, later - 120)
        .await
        .unwrap();
    let counted = FlowRecord {
        attempts: 4,
        ..used.clone()
    };
    assert_eq!(replay, Attempt::Counted(counted.clone()));
    let outside = store
        .count_attempt(&record.id, later, 5, at + 1)
        .await
        .unwrap();
    assert_eq!(outside, Attempt::Refused(Some(counted.clone())));
    store
        .count_attempt(&record.id, later, 5, later - 120)
        .await
        .unwrap();
    let spent = store
        .count_attempt(&record.id, later, 5, later - 120)
        .await
        .unwrap();
    assert!(
        matches!(&spent, Attempt::Refused(Some(r)) if r.attempts == 5),
        "{spent:?}"
    );
    let _ = now;
}

pub(crate) async fn approve_checks_use_expiry_and_code(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |r| r.attempts = 3).await;
    let unchanged = Approval::Refused(Some(record.clone()));
    assert_eq!(
        store
            .approve(&record.id, now, &CodeHash([2; 32]))
            .await
            .unwrap(),
        unchanged,
        "another code"
    );
    assert_eq!(
        store
            .approve(&record.id, record.expires_at, &record.code_hash)
            .await
            .unwrap(),
        unchanged,
        "expired"
    );
    assert_eq!(
        store
            .approve(&FlowId::generate(), now, &record.code_hash)
            .await
            .unwrap(),
        Approval::Refused(None),
        "missing"
    );
    // Approval counts nothing: the try was counted before the comparison.
    let approved = FlowRecord {
        used_at: Some(now + 1),
        ..record.clone()
    };
    assert_eq!(
        store
            .approve(&record.id, now + 1, &record.code_hash)
            .await
            .unwrap(),
        Approval::Approved(approved.clone())
    );
    assert_eq!(
        store
            .approve(&record.id, now + 2, &record.code_hash)
            .await
            .unwrap(),
        Approval::Refused(Some(approved.clone())),
        "used"
    );
    assert_eq!(store.get_flow(&record.id).await.unwrap(), Some(approved));
}

pub(crate) async fn approve_refused_after_code_replaced(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let replaced = store
        .replace_code(
            &record.id,
            &new_code(2, now + 60),
            guard(now + 60, &record.code_hash),
            &at(now + 60),
        )
        .await;
    assert_eq!(replaced.unwrap(), Replaced::Done);
    let old = store
        .approve(&record.id, now + 61, &record.code_hash)
        .await
        .unwrap();
    assert!(matches!(old, Approval::Refused(Some(_))), "{old:?}");
    let new = store
        .approve(&record.id, now + 61, &CodeHash([2; 32]))
        .await
        .unwrap();
    assert!(matches!(new, Approval::Approved(_)), "{new:?}");
}

pub(crate) async fn replace_code_keeps_attempts(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    for _ in 0..2 {
        store
            .count_attempt(&record.id, now, 5, NO_REPLAY)
            .await
            .unwrap();
    }
    let code = new_code(2, now + 60);
    let replaced = store
        .replace_code(
            &record.id,
            &code,
            guard(now + 60, &record.code_hash),
            &at(now + 60),
        )
        .await
        .unwrap();
    assert_eq!(replaced, Replaced::Done);
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    let expected = FlowRecord {
        code_hash: code.code_hash,
        key_id: code.key_id,
        last_sent_at: code.sent_at,
        expires_at: code.expires_at,
        language: code.language,
        sends: 2,
        attempts: 2,
        ..record
    };
    assert_eq!(after, expected);
}

pub(crate) async fn replace_code_honours_every_guard(store: Arc<dyn Store>) {
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
        let at_ = when(now, &record);
        let replaced = store
            .replace_code(
                &record.id,
                &new_code(2, at_),
                guard(at_, &record.code_hash),
                &at(at_),
            )
            .await
            .unwrap();
        assert_eq!(replaced, Replaced::Refused(Some(record.clone())), "{why}");
        assert_eq!(
            store.get_flow(&record.id).await.unwrap(),
            Some(record),
            "{why}"
        );
    }
    // The code changed since the caller read it.
    let (record, now) = stored(&*store, |_| {}).await;
    let stale = store
        .replace_code(
            &record.id,
            &new_code(2, now + 60),
            guard(now + 60, &CodeHash([9; 32])),
            &at(now + 60),
        )
        .await
        .unwrap();
    assert_eq!(stale, Replaced::Refused(Some(record)), "stale read");
    let now = SystemClock.now();
    let missing = store
        .replace_code(
            &FlowId::generate(),
            &new_code(2, now),
            guard(now, &CodeHash([1; 32])),
            &at(now),
        )
        .await;
    assert_eq!(missing.unwrap(), Replaced::Refused(None));
}

pub(crate) async fn restore_code_undoes_only_the_failed_code(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    let replaced = store
        .replace_code(
            &record.id,
            &new_code(2, now + 60),
            guard(now + 60, &record.code_hash),
            &at(now + 60),
        )
        .await
        .unwrap();
    assert_eq!(replaced, Replaced::Done);
    store
        .count_attempt(&record.id, now + 61, 5, NO_REPLAY)
        .await
        .unwrap();
    store
        .restore_code(&record, ttl(&record), &CodeHash([2; 32]))
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
    let previous = restored;
    store
        .replace_code(
            &record.id,
            &new_code(3, now + 120),
            guard(now + 120, &previous.code_hash),
            &at(now + 120),
        )
        .await
        .unwrap();
    store
        .replace_code(
            &record.id,
            &new_code(4, now + 180),
            guard(now + 180, &CodeHash([3; 32])),
            &at(now + 180),
        )
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
