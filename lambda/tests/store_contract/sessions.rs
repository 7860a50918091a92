//! Sessions on the service's origin and the logouts apps ask for: each
//! step won at most as often as its condition allows, expiry judged in the
//! condition, an identity's list of sessions kept with them.

use super::*;
use otp::domain::{LogoutId, SessionId};
use otp::store::{LogoutRecord, LogoutRequest, Renewal, Session, SessionStep};

/// A live session of `subject` proven at `now`, with no apps yet.
fn session_at(subject: &str, now: u64) -> Session {
    Session {
        id: SessionId::generate(),
        secret_hash: "1".repeat(64),
        email: "ann@example.com".into(),
        subject: subject.to_owned(),
        amr: "otp".into(),
        auth_time: now,
        passkey: None,
        created_at: now,
        expires_at: now + 30 * DAY,
        idle_expires_at: now + 7 * DAY,
        clients: Default::default(),
        ended_at: None,
    }
}

/// A session written to `store`.
pub(crate) async fn stored_session(store: &dyn Store, subject: &str) -> (Session, u64) {
    let now = SystemClock.now();
    let session = session_at(subject, now);
    store
        .create_session(&session, now + 31 * DAY)
        .await
        .unwrap();
    (session, now)
}

fn renewal_of(session: &Session, now: u64) -> Renewal {
    Renewal {
        old_secret_hash: session.secret_hash.clone(),
        secret_hash: "2".repeat(64),
        subject: session.subject.clone(),
        amr: "otp".into(),
        auth_time: now,
        passkey: None,
        expires_at: now + 30 * DAY,
        idle_expires_at: now + 7 * DAY,
        client: Some("shop".into()),
    }
}

/// A subject no other test uses, so identity lists never mix.
fn subject() -> String {
    format!("sub-{:016x}", rand::rng().random::<u64>())
}

pub(crate) async fn session_round_trips_and_joins_its_identity(store: Arc<dyn Store>) {
    let who = subject();
    let (session, _) = stored_session(&*store, &who).await;
    assert_eq!(
        store.get_session(&session.id).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.get_session(&SessionId::generate()).await.unwrap(),
        None
    );
    let (other, _) = stored_session(&*store, &who).await;
    let mut listed = store.sessions_of(&who).await.unwrap();
    listed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut expected = vec![session.id.clone(), other.id.clone()];
    expected.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(listed, expected);
    assert!(store.sessions_of(&subject()).await.unwrap().is_empty());
    // An id is written once.
    assert!(store.create_session(&session, 1).await.is_err());
    store
        .forget_sessions(&who, std::slice::from_ref(&session.id))
        .await
        .unwrap();
    assert_eq!(store.sessions_of(&who).await.unwrap(), [other.id]);
}

/// A renewal needs the live session's current secret and its identity;
/// it records how the identity was proven this time.
pub(crate) async fn renew_only_a_live_session_with_its_secret(store: Arc<dyn Store>) {
    let (session, now) = stored_session(&*store, &subject()).await;
    // Proven by a passkey this time.
    let right = Renewal {
        amr: "swk user mfa".into(),
        passkey: Some("AbC-_9".into()),
        ..renewal_of(&session, now + 5)
    };
    let refused = [
        Renewal {
            old_secret_hash: "9".repeat(64),
            ..right.clone()
        },
        Renewal {
            subject: subject(),
            ..right.clone()
        },
    ];
    for renewal in &refused {
        assert!(
            !store
                .renew_session(&session.id, renewal, now + 5, now + DAY)
                .await
                .unwrap()
        );
    }
    // Past either end, no renewal either.
    for at in [session.expires_at, session.idle_expires_at] {
        assert!(
            !store
                .renew_session(&session.id, &right, at, now + DAY)
                .await
                .unwrap()
        );
    }
    assert!(
        !store
            .renew_session(&SessionId::generate(), &right, now, now + DAY)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get_session(&session.id).await.unwrap(),
        Some(session.clone())
    );

    assert!(
        store
            .renew_session(&session.id, &right, now + 5, now + 40 * DAY)
            .await
            .unwrap()
    );
    let renewed = store.get_session(&session.id).await.unwrap().unwrap();
    assert_eq!(
        renewed,
        Session {
            secret_hash: right.secret_hash.clone(),
            amr: right.amr.clone(),
            auth_time: now + 5,
            passkey: right.passkey.clone(),
            expires_at: right.expires_at,
            idle_expires_at: right.idle_expires_at,
            clients: ["shop".to_owned()].into(),
            ..session.clone()
        }
    );
    // The old secret renews no more.
    assert!(
        !store
            .renew_session(&session.id, &right, now + 6, now + DAY)
            .await
            .unwrap()
    );
    // A code proves it next: no passkey any more.
    let by_code = Renewal {
        old_secret_hash: right.secret_hash.clone(),
        secret_hash: "3".repeat(64),
        ..renewal_of(&session, now + 7)
    };
    assert!(
        store
            .renew_session(&session.id, &by_code, now + 7, now + 40 * DAY)
            .await
            .unwrap()
    );
    let renewed = store.get_session(&session.id).await.unwrap().unwrap();
    assert_eq!((renewed.amr.as_str(), renewed.passkey), ("otp", None));
}

/// A live session ends once; an ended, expired or idle one does not.
pub(crate) async fn end_a_live_session_once(store: Arc<dyn Store>) {
    let (session, now) = stored_session(&*store, &subject()).await;
    let ended = match store.end_session(&session.id, now + 1).await.unwrap() {
        SessionStep::Done(ended) => ended,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ended,
        Session {
            ended_at: Some(now + 1),
            ..session.clone()
        }
    );
    assert_eq!(
        store.end_session(&session.id, now + 2).await.unwrap(),
        SessionStep::Refused(Some(ended.clone()))
    );
    assert!(
        !store
            .renew_session(
                &session.id,
                &renewal_of(&session, now + 3),
                now + 3,
                now + DAY
            )
            .await
            .unwrap()
    );
    let (idle, now) = stored_session(&*store, &subject()).await;
    assert_eq!(
        store
            .end_session(&idle.id, idle.idle_expires_at)
            .await
            .unwrap(),
        SessionStep::Refused(Some(idle.clone()))
    );
    assert!(matches!(
        store.end_session(&idle.id, now).await.unwrap(),
        SessionStep::Done(_)
    ));
    assert_eq!(
        store
            .end_session(&SessionId::generate(), now)
            .await
            .unwrap(),
        SessionStep::Refused(None)
    );
}

/// Many ends of one session at once: one wins.
pub(crate) async fn concurrent_ends_have_one_winner(store: Arc<dyn Store>) {
    let (session, now) = stored_session(&*store, &subject()).await;
    let results = race_n(&store, CONCURRENCY, |store, _| {
        let id = session.id.clone();
        async move { store.end_session(&id, now + 1).await.unwrap() }
    })
    .await;
    let won = results
        .iter()
        .filter(|r| matches!(r, SessionStep::Done(_)))
        .count();
    assert_eq!(won, 1, "{results:?}");
}

/// Many renewals of one secret at once (two tabs approving codes): one wins.
pub(crate) async fn concurrent_renewals_have_one_winner(store: Arc<dyn Store>) {
    let (session, now) = stored_session(&*store, &subject()).await;
    let results = race_n(&store, CONCURRENCY, |store, i| {
        let id = session.id.clone();
        let renewal = Renewal {
            secret_hash: format!("{i:064x}"),
            ..renewal_of(&session, now + 1)
        };
        async move {
            store
                .renew_session(&id, &renewal, now + 1, now + DAY)
                .await
                .unwrap()
        }
    })
    .await;
    let winners: Vec<usize> = (0..CONCURRENCY).filter(|&i| results[i]).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let stored = store.get_session(&session.id).await.unwrap().unwrap();
    assert_eq!(stored.secret_hash, format!("{:064x}", winners[0]));
}

fn logout_at(now: u64) -> LogoutRequest {
    LogoutRequest {
        id: LogoutId::generate(),
        client_id: Some("shop".into()),
        redirect_to: Some("https://shop.example/bye?state=s".into()),
        ui_locales: Some("fr".into()),
        created_at: now,
        expires_at: now + 600,
    }
}

/// A logout request is used once, and not past its expiry.
pub(crate) async fn logout_request_is_used_once(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let request = logout_at(now);
    store.put_logout(&request, now + DAY).await.unwrap();
    assert!(store.put_logout(&request, now + DAY).await.is_err());
    let open = LogoutRecord {
        request: request.clone(),
        used_at: None,
    };
    assert_eq!(store.get_logout(&request.id).await.unwrap(), Some(open));
    assert_eq!(
        store
            .use_logout(&request.id, request.expires_at)
            .await
            .unwrap(),
        None
    );
    let used = LogoutRecord {
        request: request.clone(),
        used_at: Some(now + 1),
    };
    assert_eq!(
        store.use_logout(&request.id, now + 1).await.unwrap(),
        Some(used.clone())
    );
    assert_eq!(store.use_logout(&request.id, now + 2).await.unwrap(), None);
    assert_eq!(store.get_logout(&request.id).await.unwrap(), Some(used));
    assert_eq!(
        store.use_logout(&LogoutId::generate(), now).await.unwrap(),
        None
    );

    // Many confirmations at once: one wins.
    let request = logout_at(now);
    store.put_logout(&request, now + DAY).await.unwrap();
    let results = race_n(&store, CONCURRENCY, |store, _| {
        let id = request.id.clone();
        async move { store.use_logout(&id, now + 1).await.unwrap() }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_some()).count(), 1);
}
