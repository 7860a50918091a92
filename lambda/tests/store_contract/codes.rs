//! Tries, approval, and replacing or restoring a code.

use super::*;

pub(crate) async fn count_attempt_stops_at_max(store: Arc<dyn Store>) {
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

pub(crate) async fn count_attempt_refused_when_expired_or_used(store: Arc<dyn Store>) {
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

pub(crate) async fn approve_checks_the_code_and_the_flow_in_one_write(store: Arc<dyn Store>) {
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

pub(crate) async fn approve_refused_after_code_replaced(store: Arc<dyn Store>) {
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

pub(crate) async fn replace_code_keeps_attempts(store: Arc<dyn Store>) {
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

pub(crate) async fn restore_code_undoes_only_the_failed_code(store: Arc<dyn Store>) {
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
