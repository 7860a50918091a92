//! Tries, approval, and resending or restoring a code.

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
                    tries: vec![now; expected as usize],
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
            tries: vec![now; 3],
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
        .approve(&record.id, now, &record.code_hash, 1)
        .await
        .unwrap();
    let used = FlowRecord {
        attempts: 1,
        tries: vec![record.expires_at - 1],
        used_at: Some(now),
        approved_by: Some(ApprovingTry {
            number: 1,
            counted: 1,
        }),
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
    let (record, now) = stored(&*store, |r| {
        r.attempts = 3;
        r.tries = vec![r.created_at; 3];
    })
    .await;
    let at = record.expires_at - 1;
    store
        .approve(&record.id, at, &record.code_hash, 3)
        .await
        .unwrap();
    let used = FlowRecord {
        used_at: Some(at),
        approved_by: Some(ApprovingTry {
            number: 3,
            counted: 3,
        }),
        ..record.clone()
    };
    let later = at + 100;
    let replay = store
        .count_attempt(&record.id, later, 5, later - 120)
        .await
        .unwrap();
    let counted = FlowRecord {
        attempts: 4,
        tries: vec![
            record.created_at,
            record.created_at,
            record.created_at,
            later,
        ],
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
            .approve(&record.id, now, &CodeHash([2; 32]), 3)
            .await
            .unwrap(),
        unchanged,
        "another code"
    );
    assert_eq!(
        store
            .approve(&record.id, record.expires_at, &record.code_hash, 3)
            .await
            .unwrap(),
        unchanged,
        "expired"
    );
    assert_eq!(
        store
            .approve(&FlowId::generate(), now, &record.code_hash, 3)
            .await
            .unwrap(),
        Approval::Refused(None),
        "missing"
    );
    // Approval counts nothing: the try was counted before the comparison.
    // It records which try approved (here the second of three counted).
    let approved = FlowRecord {
        used_at: Some(now + 1),
        approved_by: Some(ApprovingTry {
            number: 2,
            counted: 3,
        }),
        ..record.clone()
    };
    assert_eq!(
        store
            .approve(&record.id, now + 1, &record.code_hash, 2)
            .await
            .unwrap(),
        Approval::Approved(approved.clone())
    );
    assert_eq!(
        store
            .approve(&record.id, now + 2, &record.code_hash, 3)
            .await
            .unwrap(),
        Approval::Refused(Some(approved.clone())),
        "used"
    );
    assert_eq!(store.get_flow(&record.id).await.unwrap(), Some(approved));
}

/// A fresh code (after the first expired) replaces the hash the approval
/// compares: the old code no longer approves, the fresh one does.
pub(crate) async fn approve_refused_after_a_fresh_code(store: Arc<dyn Store>) {
    let (record, _) = stored(&*store, |_| {}).await;
    let expired = record.expires_at;
    let resent = store
        .resend_code(
            &record.id,
            &fresh_code(2, expired),
            guard_expired(expired, &record.code_hash),
            &at(expired),
        )
        .await;
    assert_eq!(resent.unwrap(), ResendOutcome::Done);
    let old = store
        .approve(&record.id, expired + 1, &record.code_hash, 1)
        .await
        .unwrap();
    assert!(matches!(old, Approval::Refused(Some(_))), "{old:?}");
    let new = store
        .approve(&record.id, expired + 1, &CodeHash([2; 32]), 1)
        .await
        .unwrap();
    assert!(matches!(new, Approval::Approved(_)), "{new:?}");
}

/// A resend of a live code records the message and nothing else of the
/// code: its hash, seal and expiry stay, and so do the tries.
pub(crate) async fn resend_code_keeps_the_code_its_expiry_and_the_tries(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    for _ in 0..2 {
        store
            .count_attempt(&record.id, now, 5, NO_REPLAY)
            .await
            .unwrap();
    }
    let message = same_code(now + 60);
    let resent = store
        .resend_code(
            &record.id,
            &message,
            guard(now + 60, &record.code_hash),
            &at(now + 60),
        )
        .await
        .unwrap();
    assert_eq!(resent, ResendOutcome::Done);
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    let expected = FlowRecord {
        last_sent_at: now + 60,
        language: message.language,
        sends: 2,
        attempts: 2,
        tries: vec![now, now],
        ..record
    };
    assert_eq!(after, expected);
}

/// Once the code expired, a resend with a fresh code gives it a fresh
/// hash, seal and expiry, and keeps the tries spent.
pub(crate) async fn resend_code_gives_an_expired_flow_a_fresh_code(store: Arc<dyn Store>) {
    let (record, now) = stored(&*store, |_| {}).await;
    store
        .count_attempt(&record.id, now, 5, NO_REPLAY)
        .await
        .unwrap();
    let later = record.expires_at + 30;
    let message = fresh_code(2, later);
    let resent = store
        .resend_code(
            &record.id,
            &message,
            guard_expired(later, &record.code_hash),
            &at(later),
        )
        .await
        .unwrap();
    assert_eq!(resent, ResendOutcome::Done);
    let fresh = message.fresh.unwrap();
    let after = store.get_flow(&record.id).await.unwrap().unwrap();
    let expected = FlowRecord {
        code_hash: fresh.code_hash,
        sealed_code: Some(fresh.sealed_code),
        key_id: fresh.key_id,
        expires_at: fresh.expires_at,
        last_sent_at: later,
        language: message.language,
        sends: 2,
        attempts: 1,
        tries: vec![now],
        ..record
    };
    assert_eq!(after, expected);
}

pub(crate) async fn resend_code_honours_every_guard(store: Arc<dyn Store>) {
    // What the flow looks like, when the resend is asked for, and whether
    // it expects the code to have expired.
    type Setup = fn(&mut FlowRecord);
    type When = fn(u64, &FlowRecord) -> u64;
    let refusals: [(&str, Setup, When, bool); 8] = [
        ("cooldown", |_| {}, |now, _| now + 59, false),
        ("max sends", |r| r.sends = 5, |now, _| now + 60, false),
        ("max attempts", |r| r.attempts = 5, |now, _| now + 60, false),
        (
            "expired",
            |r| r.expires_at = r.created_at + 60,
            |_, r| r.expires_at,
            false,
        ),
        (
            "used",
            |r| r.used_at = Some(r.created_at),
            |now, _| now + 60,
            false,
        ),
        ("live, read as expired", |_| {}, |now, _| now + 60, true),
        (
            "expired longer ago than a fresh code is given",
            |r| r.expires_at = r.created_at + 60,
            |_, r| r.expires_at + DAY,
            true,
        ),
        (
            "expired with its tries spent",
            |r| {
                r.expires_at = r.created_at + 60;
                r.attempts = 5;
            },
            |_, r| r.expires_at + 60,
            true,
        ),
    ];
    for (why, edit, when, expired) in refusals {
        let (record, now) = stored(&*store, edit).await;
        let at_ = when(now, &record);
        let (message, guard) = if expired {
            (fresh_code(2, at_), guard_expired(at_, &record.code_hash))
        } else {
            (same_code(at_), guard(at_, &record.code_hash))
        };
        let resent = store
            .resend_code(&record.id, &message, guard, &at(at_))
            .await
            .unwrap();
        assert_eq!(
            resent,
            ResendOutcome::Refused(Some(Box::new(record.clone()))),
            "{why}"
        );
        assert_eq!(
            store.get_flow(&record.id).await.unwrap(),
            Some(record),
            "{why}"
        );
    }
    // The code changed since the caller read it.
    let (record, now) = stored(&*store, |_| {}).await;
    let stale = store
        .resend_code(
            &record.id,
            &same_code(now + 60),
            guard(now + 60, &CodeHash([9; 32])),
            &at(now + 60),
        )
        .await
        .unwrap();
    assert_eq!(
        stale,
        ResendOutcome::Refused(Some(Box::new(record))),
        "stale read"
    );
    let now = SystemClock.now();
    let missing = store
        .resend_code(
            &FlowId::generate(),
            &same_code(now),
            guard(now, &CodeHash([1; 32])),
            &at(now),
        )
        .await;
    assert_eq!(missing.unwrap(), ResendOutcome::Refused(None));
}

/// A failed resend is undone: the fresh code, or the message count of the
/// same code, goes back to what it was; tries counted meanwhile stay; a
/// message recorded since is never undone.
pub(crate) async fn restore_code_undoes_only_the_failed_message(store: Arc<dyn Store>) {
    let (record, _) = stored(&*store, |_| {}).await;
    let at_ = record.expires_at;
    let resent = store
        .resend_code(
            &record.id,
            &fresh_code(2, at_),
            guard_expired(at_, &record.code_hash),
            &at(at_),
        )
        .await
        .unwrap();
    assert_eq!(resent, ResendOutcome::Done);
    store
        .count_attempt(&record.id, at_ + 1, 5, NO_REPLAY)
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
            tries: vec![at_ + 1],
            ..record.clone()
        },
        "tries are kept"
    );

    // The same code again, undone: one message less, the earlier send time.
    let (record, now) = stored(&*store, |_| {}).await;
    let resend = |sent_at| {
        let store = store.clone();
        let record = record.clone();
        async move {
            store
                .resend_code(
                    &record.id,
                    &same_code(sent_at),
                    guard(sent_at, &record.code_hash),
                    &at(sent_at),
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(resend(now + 60).await, ResendOutcome::Done);
    store
        .restore_code(&record, ttl(&record), &record.code_hash)
        .await
        .unwrap();
    assert_eq!(
        store.get_flow(&record.id).await.unwrap(),
        Some(record.clone())
    );

    // A later message was recorded after the failed one: not undone.
    assert_eq!(resend(now + 60).await, ResendOutcome::Done);
    let failed = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!(resend(now + 120).await, ResendOutcome::Done);
    store
        .restore_code(&record, ttl(&record), &record.code_hash)
        .await
        .unwrap();
    let current = store.get_flow(&record.id).await.unwrap().unwrap();
    assert_eq!((current.sends, current.last_sent_at), (3, now + 120));
    assert_eq!(failed.sends, 2);
}
