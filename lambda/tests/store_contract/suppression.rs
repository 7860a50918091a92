//! The suppression list: recorded so that only a later end wins, read back,
//! lifted, and refusing a new message in the write that would admit it.

use super::*;
use otp::store::{Suppression, SuppressionReason};

fn suppression(until: u64, reason: SuppressionReason, since: u64) -> Suppression {
    Suppression {
        until,
        reason,
        since,
    }
}

/// A suppression only ever moves its end later: a shorter one arriving
/// after a longer one (a complaint after a bounce, a retried notification)
/// changes nothing; lifting removes it once.
pub(crate) async fn suppression_keeps_the_latest_end_and_lifts(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let key = "suppress#ann";
    assert_eq!(store.suppression(key).await.unwrap(), None);
    let bounce = suppression(now + 90 * DAY, SuppressionReason::Bounce, now);
    assert!(store.suppress(key, &bounce, now + 91 * DAY).await.unwrap());
    assert_eq!(store.suppression(key).await.unwrap(), Some(bounce));

    let complaint = suppression(now + 30 * DAY, SuppressionReason::Complaint, now + 5);
    assert!(
        !store
            .suppress(key, &complaint, now + 31 * DAY)
            .await
            .unwrap()
    );
    assert!(!store.suppress(key, &bounce, now + 91 * DAY).await.unwrap());
    assert_eq!(store.suppression(key).await.unwrap(), Some(bounce));

    let later = suppression(now + 90 * DAY + 60, SuppressionReason::Bounce, now + 60);
    assert!(store.suppress(key, &later, now + 92 * DAY).await.unwrap());
    assert_eq!(store.suppression(key).await.unwrap(), Some(later));
    assert_eq!(store.suppression("suppress#bob").await.unwrap(), None);

    assert!(store.lift_suppression(key).await.unwrap());
    assert!(!store.lift_suppression(key).await.unwrap());
    assert_eq!(store.suppression(key).await.unwrap(), None);
}

/// While any of its suppression items lasts, a new message is refused in
/// the write that would admit it — nothing charged, no flow — and named
/// suppressed even when a budget is spent too; from its end on it passes.
pub(crate) async fn admission_refused_while_suppressed(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let until = now + 100;
    let held = suppression(until, SuppressionReason::Complaint, now);
    store
        .suppress("suppress#old-key", &held, until + DAY)
        .await
        .unwrap();
    let admission = |now: u64, limit: u32| Admission {
        charges: vec![charge("limit#suppressed", limit, now)],
        suppressions: vec!["suppress#new-key".into(), "suppress#old-key".into()],
        now,
        ..Admission::default()
    };
    let record = flow(now);
    let k = key("idem-suppressed", now + 600);
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), Some(&k), &admission(now, 10))
            .await
            .unwrap(),
        Created::Refused(Refusal::Suppressed { until })
    );
    assert_eq!(store.get_flow(&record.id).await.unwrap(), None);
    assert_eq!(store.key_holder(&k, now).await.unwrap(), None);
    assert_eq!(
        store
            .add_to_counter("limit#suppressed", 0, now + DAY)
            .await
            .unwrap(),
        0
    );
    // Over its budget as well: still named suppressed.
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), None, &admission(now, 0))
            .await
            .unwrap(),
        Created::Refused(Refusal::Suppressed { until })
    );
    // Locked out as well (a refusal read, not written): still suppressed.
    let locked = Admission {
        lockouts: vec![Lockout {
            until: now + 900,
            n: 1,
        }],
        ..admission(now, 10)
    };
    assert_eq!(
        store
            .create_flow(&record, ttl(&record), None, &locked)
            .await
            .unwrap(),
        Created::Refused(Refusal::Suppressed { until })
    );

    // A resend of a flow made before the suppression is refused alike (a
    // cooldown after that flow's own send, which a slow store may have
    // stamped a second later than `now`).
    let (earlier, sent_at) = stored(&*store, |_| {}).await;
    let resend_at = sent_at + 60;
    let resent = store
        .resend_code(
            &earlier.id,
            &same_code(resend_at),
            guard(resend_at, &earlier.code_hash),
            &admission(resend_at, 10),
        )
        .await
        .unwrap();
    assert_eq!(
        resent,
        ResendOutcome::OverBudget(Refusal::Suppressed { until })
    );

    // At its end (`until <= now`) the message passes.
    let created = store
        .create_flow(&record, ttl(&record), None, &admission(until, 10))
        .await
        .unwrap();
    assert_eq!(created, Created::New);
}
