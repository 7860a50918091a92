//! The steps of a sign-in a session allows — a grant without a code, a
//! grant at `prompt=none`, a refresh — each one transaction with the
//! session's use: a session that is over refuses the step and nothing is
//! written; two refreshes with one token have one winner; a logout racing a
//! refresh is never overtaken by it.

use super::sessions::stored_session;
use super::*;
use otp::domain::{SessionId, SignInId};
use otp::store::{
    AuthRequest, Grant, RedeemCheck, Redemption, RefreshCheck, RefreshState, Rotation,
    SessionBound, SessionStep, SessionUse,
};

fn request_at(now: u64) -> AuthRequest {
    AuthRequest {
        id: SignInId::generate(),
        client_id: "shop".into(),
        redirect_uri: "https://shop.example/cb".into(),
        scope: "openid email".into(),
        state: Some("st".into()),
        nonce: Some("n".into()),
        code_challenge: None,
        login_hint: None,
        ui_locales: None,
        prompt_login: false,
        max_age: None,
        hint_subject: None,
        created_at: now,
        expires_at: now + 1800,
    }
}

fn grant_in(session: &SessionId, now: u64) -> Grant {
    Grant {
        code_hash: "a".repeat(64),
        flow_id: None,
        sid: Some(session.clone()),
        email: "ann@example.com".into(),
        subject: "sub".into(),
        auth_time: now,
        amr: "otp".into(),
        code_expires_at: now + 60,
    }
}

fn use_of(session: &SessionId, client: &str, now: u64) -> SessionUse {
    SessionUse {
        id: session.clone(),
        client: client.to_owned(),
        now,
        idle_expires_at: now + 7 * DAY,
    }
}

fn refresh_state(hash: char, generation: u32, now: u64) -> RefreshState {
    RefreshState {
        hash: hash.to_string().repeat(64),
        generation,
        expires_at: now + 30 * DAY,
    }
}

/// A request granted in a live session and redeemed with refresh token `a`.
async fn refreshable(store: &dyn Store) -> (AuthRequest, SessionId, u64) {
    let (session, now) = stored_session(store, "sub").await;
    let request = request_at(now);
    let grant = grant_in(&session.id, now);
    let granted = store
        .put_granted(
            &request,
            &grant,
            now + DAY,
            &use_of(&session.id, "shop", now),
        )
        .await
        .unwrap();
    assert_eq!(granted, SessionBound::Done);
    let check = RedeemCheck {
        code_hash: grant.code_hash.clone(),
        client_id: "shop".into(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: None,
        now: now + 1,
    };
    let redemption = Redemption {
        token_hash: "b".repeat(64),
        redeemed_at: now + 1,
        token_expires_at: now + 601,
        refresh: Some(refresh_state('a', 0, now)),
    };
    let redeemed = store
        .redeem(&request.id, &check, &redemption, now + 31 * DAY)
        .await;
    assert!(matches!(redeemed.unwrap(), otp::store::AuthStep::Done(_)));
    (request, session.id, now)
}

fn presented(hash: char, now: u64) -> RefreshCheck {
    RefreshCheck {
        presented_hash: hash.to_string().repeat(64),
        client_id: "shop".into(),
        now,
    }
}

fn rotation_to(hash: char, generation: u32, now: u64) -> Rotation {
    Rotation {
        token_hash: format!("{hash}").repeat(64),
        token_expires_at: now + 600,
        refresh: refresh_state(hash, generation, now),
    }
}

/// A grant by a session: refused while the session is over or the request
/// is, and then nothing is written; otherwise the grant and the session's
/// use (its app, its idle end) together.
pub(crate) async fn a_session_grants_only_while_it_lives(store: Arc<dyn Store>) {
    let (session, now) = stored_session(&*store, "sub").await;
    let request = request_at(now);
    store.put_auth_request(&request, now + DAY).await.unwrap();
    let grant = grant_in(&session.id, now);
    // Another session, unknown to the store: over.
    let nobody = use_of(&SessionId::generate(), "shop", now);
    assert_eq!(
        store
            .grant_in_session(&request.id, &grant, now + DAY, &nobody)
            .await
            .unwrap(),
        SessionBound::SessionOver
    );
    // Past the session's idle end (a request that lives longer): over.
    let long = AuthRequest {
        expires_at: now + 8 * DAY,
        ..request_at(now)
    };
    store.put_auth_request(&long, now + 9 * DAY).await.unwrap();
    let idle = use_of(&session.id, "shop", session.idle_expires_at);
    assert_eq!(
        store
            .grant_in_session(&long.id, &grant, now + 9 * DAY, &idle)
            .await
            .unwrap(),
        SessionBound::SessionOver
    );
    for id in [&request.id, &long.id] {
        assert!(
            store
                .get_auth_request(id)
                .await
                .unwrap()
                .unwrap()
                .grant
                .is_none()
        );
    }
    let used = use_of(&session.id, "shop", now + 1);
    assert_eq!(
        store
            .grant_in_session(&request.id, &grant, now + DAY, &used)
            .await
            .unwrap(),
        SessionBound::Done
    );
    let record = store.get_auth_request(&request.id).await.unwrap().unwrap();
    assert_eq!(record.grant, Some(grant.clone()));
    let after = store.get_session(&session.id).await.unwrap().unwrap();
    assert_eq!(after.clients, ["shop".to_owned()].into());
    assert_eq!(after.idle_expires_at, used.idle_expires_at);
    // The same request again: refused by its own rule, not the session's.
    let other = Grant {
        code_hash: "c".repeat(64),
        ..grant.clone()
    };
    assert!(matches!(
        store
            .grant_in_session(&request.id, &other, now + DAY, &used)
            .await
            .unwrap(),
        SessionBound::Refused(Some(_))
    ));

    // An ended session grants nothing, at `prompt=none` either.
    let (ended, now) = stored_session(&*store, "sub").await;
    assert!(matches!(
        store.end_session(&ended.id, now).await.unwrap(),
        SessionStep::Done(_)
    ));
    let fresh_request = request_at(now);
    assert_eq!(
        store
            .put_granted(
                &fresh_request,
                &grant_in(&ended.id, now),
                now + DAY,
                &use_of(&ended.id, "spa", now)
            )
            .await
            .unwrap(),
        SessionBound::SessionOver
    );
    assert_eq!(
        store.get_auth_request(&fresh_request.id).await.unwrap(),
        None
    );
    let ended_after = store.get_session(&ended.id).await.unwrap().unwrap();
    assert!(
        ended_after.clients.is_empty(),
        "an over session records no app"
    );
}

/// A refresh rotates the current token once, for its own client, while the
/// family is not revoked and its session lives.
pub(crate) async fn refresh_rotates_the_current_token_once(store: Arc<dyn Store>) {
    let (request, sid, now) = refreshable(&*store).await;
    let session = use_of(&sid, "shop", now + 2);
    let ttl = now + 31 * DAY;
    let wrong = [
        presented('z', now + 2),
        RefreshCheck {
            client_id: "spa".into(),
            ..presented('a', now + 2)
        },
        presented('a', now + 31 * DAY),
    ];
    for check in &wrong {
        let step = store
            .refresh(&request.id, check, &rotation_to('c', 1, now), &session, ttl)
            .await
            .unwrap();
        assert!(
            matches!(step, SessionBound::Refused(Some(_))),
            "{check:?}: {step:?}"
        );
    }
    let step = store
        .refresh(
            &request.id,
            &presented('a', now + 2),
            &rotation_to('c', 1, now),
            &session,
            ttl,
        )
        .await
        .unwrap();
    assert_eq!(step, SessionBound::Done);
    let record = store.get_auth_request(&request.id).await.unwrap().unwrap();
    let redemption = record.redemption.clone().unwrap();
    assert_eq!(redemption.refresh, Some(refresh_state('c', 1, now)));
    assert_eq!(redemption.token_hash, "c".repeat(64));
    // The rotated token again: refused, and the record says it moved on.
    match store
        .refresh(
            &request.id,
            &presented('a', now + 3),
            &rotation_to('d', 1, now),
            &session,
            ttl,
        )
        .await
        .unwrap()
    {
        SessionBound::Refused(Some(r)) => assert_eq!(r.refresh().unwrap().generation, 1),
        other => panic!("{other:?}"),
    }
    // A revoked family refreshes no more.
    assert!(matches!(
        store.revoke_refresh(&request.id, now + 4).await.unwrap(),
        otp::store::AuthStep::Done(_)
    ));
    assert!(matches!(
        store.revoke_refresh(&request.id, now + 5).await.unwrap(),
        otp::store::AuthStep::Refused(_)
    ));
    let step = store
        .refresh(
            &request.id,
            &presented('c', now + 6),
            &rotation_to('e', 2, now),
            &session,
            ttl,
        )
        .await
        .unwrap();
    assert!(matches!(step, SessionBound::Refused(Some(_))), "{step:?}");
}

/// After its session ends, a refresh is refused and writes nothing.
pub(crate) async fn a_refresh_after_logout_loses(store: Arc<dyn Store>) {
    let (request, sid, now) = refreshable(&*store).await;
    assert!(matches!(
        store.end_session(&sid, now + 2).await.unwrap(),
        SessionStep::Done(_)
    ));
    let step = store
        .refresh(
            &request.id,
            &presented('a', now + 3),
            &rotation_to('c', 1, now),
            &use_of(&sid, "shop", now + 3),
            now + 31 * DAY,
        )
        .await
        .unwrap();
    assert_eq!(step, SessionBound::SessionOver);
    let record = store.get_auth_request(&request.id).await.unwrap().unwrap();
    assert_eq!(record.refresh().unwrap().generation, 0);
}

/// 50 refreshes with one token at once: one wins.
pub(crate) async fn concurrent_refreshes_have_one_winner(store: Arc<dyn Store>) {
    let (request, sid, now) = refreshable(&*store).await;
    let results = race_n(&store, CONCURRENCY, |store, i| {
        let id = request.id.clone();
        let session = use_of(&sid, "shop", now + 2);
        let rotation = Rotation {
            token_hash: format!("{i:064x}"),
            ..rotation_to('c', 1, now)
        };
        async move {
            store
                .refresh(
                    &id,
                    &presented('a', now + 2),
                    &rotation,
                    &session,
                    now + 31 * DAY,
                )
                .await
                .unwrap()
        }
    })
    .await;
    let winners: Vec<usize> = (0..CONCURRENCY)
        .filter(|&i| results[i] == SessionBound::Done)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let record = store.get_auth_request(&request.id).await.unwrap().unwrap();
    assert_eq!(
        record.redemption.unwrap().token_hash,
        format!("{:064x}", winners[0])
    );
}

/// A logout and a refresh at once, many times over: whenever the refresh
/// wins, it came before the logout, whose ended session already records the
/// refresh's use; a refresh never lands on an ended session.
pub(crate) async fn a_logout_racing_a_refresh_is_never_overtaken(store: Arc<dyn Store>) {
    for round in 0..10 {
        let (request, sid, now) = refreshable(&*store).await;
        let marker = format!("refresher-{round}");
        let start = Arc::new(Barrier::new(2));
        let refresh = {
            let (store, start, id, session) = (
                store.clone(),
                start.clone(),
                request.id.clone(),
                use_of(&sid, &marker, now + 2),
            );
            tokio::spawn(async move {
                start.wait().await;
                store
                    .refresh(
                        &id,
                        &presented('a', now + 2),
                        &rotation_to('c', 1, now),
                        &session,
                        now + 31 * DAY,
                    )
                    .await
                    .unwrap()
            })
        };
        let logout = {
            let (store, start, sid) = (store.clone(), start.clone(), sid.clone());
            tokio::spawn(async move {
                start.wait().await;
                store.end_session(&sid, now + 2).await.unwrap()
            })
        };
        let (refreshed, ended) = (refresh.await.unwrap(), logout.await.unwrap());
        let SessionStep::Done(ended) = ended else {
            panic!("the logout of a live session wins: {ended:?}");
        };
        match refreshed {
            SessionBound::Done => assert!(
                ended.clients.contains(&marker),
                "a refresh that won came before the logout"
            ),
            SessionBound::SessionOver => {
                let record = store.get_auth_request(&request.id).await.unwrap().unwrap();
                assert_eq!(record.refresh().unwrap().generation, 0, "nothing written");
            }
            other => panic!("{other:?}"),
        }
    }
}
