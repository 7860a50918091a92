//! An app's sign-in: the authorization item's steps (grant, cancel, redeem,
//! revoke), each won at most as often as its condition allows.

use super::*;
use otp::domain::SignInId;
use otp::store::{AuthRecord, AuthRequest, AuthStep, Grant, RedeemCheck, Redemption};

/// Parallel grants and cancellations of one request.
const STEP_RACERS: usize = 20;

/// A request with every optional field present.
fn auth_request(now: u64) -> AuthRequest {
    AuthRequest {
        id: SignInId::generate(),
        client_id: "app-1".into(),
        redirect_uri: "https://app.example/callback?x=1".into(),
        scope: "openid email".into(),
        state: Some("st-É-1".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        login_hint: Some("ann@example.com".into()),
        ui_locales: Some("en fr".into()),
        created_at: now,
        expires_at: now + 1800,
    }
}

/// The item's garbage collection time as `/authorize` would set it.
fn auth_ttl(request: &AuthRequest) -> u64 {
    request.expires_at + DAY
}

/// A `ttl` above any item's: a step passing it raises the item's `ttl` in
/// the write itself, so the store's condition alone decides a refusal.
fn later(now: u64) -> u64 {
    now + 3 * DAY
}

/// A code hash: 64 hex digits made of `digit`.
fn code_hash(digit: char) -> String {
    digit.to_string().repeat(64)
}

fn grant_of(hash: &str, now: u64) -> Grant {
    Grant {
        code_hash: hash.to_owned(),
        flow_id: FlowId::generate(),
        email: "Ann@Example.com".into(),
        subject: "c3ViamVjdC1vZi1hbm4tYXQtZXhhbXBsZS1jb20tMTIz".into(),
        auth_time: now,
        code_expires_at: now + 60,
    }
}

/// The check a right presentation of `grant`'s code passes at `now`.
fn check_of(request: &AuthRequest, grant: &Grant, now: u64) -> RedeemCheck {
    RedeemCheck {
        code_hash: grant.code_hash.clone(),
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone(),
        now,
    }
}

fn redemption_at(now: u64, token: char) -> Redemption {
    Redemption {
        token_hash: token.to_string().repeat(64),
        redeemed_at: now,
        token_expires_at: now + 600,
    }
}

/// The record a request is stored as.
fn fresh(request: &AuthRequest) -> AuthRecord {
    AuthRecord {
        request: request.clone(),
        grant: None,
        redemption: None,
        cancelled_at: None,
        revoked_at: None,
    }
}

/// A request written to `store`.
async fn stored_request(store: &dyn Store) -> (AuthRequest, u64) {
    let now = SystemClock.now();
    let request = auth_request(now);
    store
        .put_auth_request(&request, auth_ttl(&request))
        .await
        .unwrap();
    (request, now)
}

/// A request written to `store` and granted `grant` at `now`.
async fn granted(store: &dyn Store) -> (AuthRequest, Grant, AuthRecord, u64) {
    let (request, now) = stored_request(store).await;
    let grant = grant_of(&code_hash('a'), now);
    let record = done(
        store
            .grant(&request.id, &grant, now, auth_ttl(&request))
            .await
            .unwrap(),
    );
    (request, grant, record, now)
}

/// A request granted and redeemed.
async fn redeemed(store: &dyn Store) -> (AuthRequest, Grant, AuthRecord, u64) {
    let (request, grant, _, now) = granted(store).await;
    let check = check_of(&request, &grant, now + 1);
    let record = done(
        store
            .redeem(&request.id, &check, &redemption_at(now + 1, 'b'), now + DAY)
            .await
            .unwrap(),
    );
    (request, grant, record, now)
}

#[track_caller]
fn done(step: AuthStep) -> AuthRecord {
    match step {
        AuthStep::Done(record) => record,
        AuthStep::Refused(r) => panic!("refused: {r:?}"),
    }
}

async fn get(store: &dyn Store, id: &SignInId) -> AuthRecord {
    store.get_auth_request(id).await.unwrap().expect("stored")
}

pub(crate) async fn auth_request_round_trips(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let full = auth_request(now);
    let bare = AuthRequest {
        id: SignInId::generate(),
        scope: "openid".into(),
        state: None,
        nonce: None,
        login_hint: None,
        ui_locales: None,
        ..auth_request(now)
    };
    for request in [&full, &bare] {
        store
            .put_auth_request(request, auth_ttl(request))
            .await
            .unwrap();
        assert_eq!(get(&*store, &request.id).await, fresh(request));
    }
    assert_eq!(
        store.get_auth_request(&SignInId::generate()).await.unwrap(),
        None
    );
}

pub(crate) async fn auth_request_id_is_written_once(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let other = AuthRequest {
        id: request.id.clone(),
        client_id: "app-2".into(),
        ..auth_request(now)
    };
    assert!(
        store
            .put_auth_request(&other, auth_ttl(&other))
            .await
            .is_err()
    );
    assert_eq!(get(&*store, &request.id).await, fresh(&request));
}

/// A grant is written once; the same code again is the same grant, first
/// fields kept; another code is refused.
pub(crate) async fn grant_is_written_once_per_code(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let grant = grant_of(&code_hash('a'), now);
    let first = AuthRecord {
        grant: Some(grant.clone()),
        ..fresh(&request)
    };
    // A smaller `ttl` than the item's does not stand in the way.
    let step = store.grant(&request.id, &grant, now, now + 100).await;
    assert_eq!(step.unwrap(), AuthStep::Done(first.clone()));

    let repeat = Grant {
        auth_time: now + 5,
        code_expires_at: now + 65,
        ..grant_of(&code_hash('a'), now + 5)
    };
    let step = store.grant(&request.id, &repeat, now + 5, now + DAY * 2);
    assert_eq!(step.await.unwrap(), AuthStep::Done(first.clone()));

    let other = grant_of(&code_hash('c'), now + 6);
    let step = store.grant(&request.id, &other, now + 6, later(now));
    assert_eq!(step.await.unwrap(), AuthStep::Refused(Some(first.clone())));
    assert_eq!(get(&*store, &request.id).await, first);

    let missing = store
        .grant(&SignInId::generate(), &grant, now, auth_ttl(&request))
        .await;
    assert_eq!(missing.unwrap(), AuthStep::Refused(None));
}

pub(crate) async fn grant_refused_when_expired_or_cancelled(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let grant = grant_of(&code_hash('a'), now);
    let ttl = later(now);
    let late = store.grant(&request.id, &grant, request.expires_at, ttl);
    assert_eq!(
        late.await.unwrap(),
        AuthStep::Refused(Some(fresh(&request)))
    );
    assert_eq!(get(&*store, &request.id).await, fresh(&request));

    let cancelled = done(
        store
            .cancel_auth_request(&request.id, now + 1)
            .await
            .unwrap(),
    );
    assert_eq!(
        cancelled,
        AuthRecord {
            cancelled_at: Some(now + 1),
            ..fresh(&request)
        }
    );
    let step = store.grant(&request.id, &grant, now + 2, ttl).await;
    assert_eq!(step.unwrap(), AuthStep::Refused(Some(cancelled.clone())));
    assert_eq!(get(&*store, &request.id).await, cancelled);
}

pub(crate) async fn cancel_only_a_live_ungranted_request(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let late = store
        .cancel_auth_request(&request.id, request.expires_at)
        .await;
    assert_eq!(late.unwrap(), AuthStep::Refused(Some(fresh(&request))));
    let cancelled = done(
        store
            .cancel_auth_request(&request.id, request.expires_at - 1)
            .await
            .unwrap(),
    );
    assert_eq!(cancelled.cancelled_at, Some(request.expires_at - 1));
    let again = store.cancel_auth_request(&request.id, now + 2).await;
    assert_eq!(again.unwrap(), AuthStep::Refused(Some(cancelled.clone())));
    assert_eq!(get(&*store, &request.id).await, cancelled);

    let (request, _, granted, now) = granted(&*store).await;
    let step = store.cancel_auth_request(&request.id, now + 1).await;
    assert_eq!(step.unwrap(), AuthStep::Refused(Some(granted.clone())));
    assert_eq!(get(&*store, &request.id).await, granted);

    let missing = store.cancel_auth_request(&SignInId::generate(), now).await;
    assert_eq!(missing.unwrap(), AuthStep::Refused(None));
}

pub(crate) async fn redeem_records_the_token(store: Arc<dyn Store>) {
    let (request, grant, record, now) = granted(&*store).await;
    let redemption = redemption_at(now + 3, 'b');
    let check = check_of(&request, &grant, grant.code_expires_at - 1);
    // A smaller `ttl` than the item's does not stand in the way.
    let step = store.redeem(&request.id, &check, &redemption, now + 100);
    let expected = AuthRecord {
        redemption: Some(redemption.clone()),
        ..record
    };
    assert_eq!(step.await.unwrap(), AuthStep::Done(expected.clone()));
    assert_eq!(get(&*store, &request.id).await, expected);
}

/// Any mismatch refuses the redemption and writes nothing.
pub(crate) async fn redeem_refused_on_any_mismatch(store: Arc<dyn Store>) {
    let (request, grant, record, now) = granted(&*store).await;
    let right = check_of(&request, &grant, now + 1);
    let wrong = [
        RedeemCheck {
            code_hash: code_hash('c'),
            ..right.clone()
        },
        RedeemCheck {
            client_id: "app-2".into(),
            ..right.clone()
        },
        RedeemCheck {
            redirect_uri: "https://app.example/callback".into(),
            ..right.clone()
        },
        RedeemCheck {
            code_challenge: "F9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            ..right.clone()
        },
        RedeemCheck {
            now: grant.code_expires_at,
            ..right.clone()
        },
    ];
    for check in &wrong {
        let step = store
            .redeem(&request.id, check, &redemption_at(now + 1, 'b'), later(now))
            .await
            .unwrap();
        assert_eq!(step, AuthStep::Refused(Some(record.clone())), "{check:?}");
        assert_eq!(get(&*store, &request.id).await, record, "{check:?}");
    }

    // No grant yet: nothing to redeem.
    let (ungranted, now) = stored_request(&*store).await;
    let check = check_of(&ungranted, &grant, now);
    let step = store
        .redeem(&ungranted.id, &check, &redemption_at(now, 'b'), later(now))
        .await;
    assert_eq!(step.unwrap(), AuthStep::Refused(Some(fresh(&ungranted))));

    let missing = store
        .redeem(
            &SignInId::generate(),
            &right,
            &redemption_at(now, 'b'),
            now + DAY,
        )
        .await;
    assert_eq!(missing.unwrap(), AuthStep::Refused(None));

    // The right presentation still works after all the wrong ones.
    let step = store
        .redeem(&request.id, &right, &redemption_at(now + 1, 'b'), now + DAY)
        .await;
    assert!(matches!(step.unwrap(), AuthStep::Done(_)));
}

/// A code is redeemed once; presented again by its own client (the same
/// client, redirect URI and code challenge), it revokes its token, once.
/// Presented by anyone else, it changes nothing.
pub(crate) async fn redeem_once_then_revoke_once(store: Arc<dyn Store>) {
    let (request, grant, record, now) = redeemed(&*store).await;
    assert!(record.redemption.is_some());
    let check = check_of(&request, &grant, now + 2);
    let again = store
        .redeem(
            &request.id,
            &check,
            &redemption_at(now + 2, 'd'),
            later(now),
        )
        .await;
    assert_eq!(again.unwrap(), AuthStep::Refused(Some(record.clone())));

    let strangers = [
        RedeemCheck {
            code_hash: code_hash('c'),
            ..check.clone()
        },
        RedeemCheck {
            client_id: "other".into(),
            ..check.clone()
        },
        RedeemCheck {
            redirect_uri: "https://app.example/other".into(),
            ..check.clone()
        },
        RedeemCheck {
            code_challenge: "another-challenge".into(),
            ..check.clone()
        },
    ];
    for stranger in &strangers {
        let step = store.revoke(&request.id, stranger, now + 3).await;
        assert_eq!(
            step.unwrap(),
            AuthStep::Refused(Some(record.clone())),
            "{stranger:?}"
        );
        assert_eq!(get(&*store, &request.id).await, record, "{stranger:?}");
    }

    let revoked = AuthRecord {
        revoked_at: Some(now + 3),
        ..record
    };
    // The code's own client, after the code expired as well.
    let late = check_of(&request, &grant, now + 3 + DAY);
    let step = store.revoke(&request.id, &late, now + 3).await;
    assert_eq!(step.unwrap(), AuthStep::Done(revoked.clone()));
    let twice = store.revoke(&request.id, &check, now + 4).await;
    assert_eq!(twice.unwrap(), AuthStep::Refused(Some(revoked.clone())));
    assert_eq!(get(&*store, &request.id).await, revoked);

    // Nothing redeemed, nothing to revoke.
    let (request, grant, record, now) = granted(&*store).await;
    let check = check_of(&request, &grant, now);
    let step = store.revoke(&request.id, &check, now).await;
    assert_eq!(step.unwrap(), AuthStep::Refused(Some(record)));
    let missing = store.revoke(&SignInId::generate(), &check, now).await;
    assert_eq!(missing.unwrap(), AuthStep::Refused(None));
}

/// Runs `call(store, i)` for `i` in `0..n` from tasks released at once.
async fn race_n<T, F, Fut>(store: &Arc<dyn Store>, n: usize, call: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(Arc<dyn Store>, usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let start = Arc::new(Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (start, call) = (start.clone(), call(store.clone(), i));
            tokio::spawn(async move {
                start.wait().await;
                call.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// 50 presentations of one code at once, each with its own token: one wins,
/// and every other sees the winner's redemption.
pub(crate) async fn concurrent_redemptions_have_one_winner(store: Arc<dyn Store>) {
    let (request, grant, _, now) = granted(&*store).await;
    let tokens: Vec<Redemption> = (0..CONCURRENCY)
        .map(|i| Redemption {
            token_hash: format!("{i:064x}"),
            ..redemption_at(now + 1, 'b')
        })
        .collect();
    let check = check_of(&request, &grant, now + 1);
    // Half pass a smaller `ttl` than the item's, half a larger one.
    let results = race_n(&store, CONCURRENCY, |store, i| {
        let (id, check, token) = (request.id.clone(), check.clone(), tokens[i].clone());
        let ttl = if i % 2 == 0 { now + DAY } else { later(now) };
        async move { store.redeem(&id, &check, &token, ttl).await.unwrap() }
    })
    .await;
    let winners: Vec<usize> = (0..CONCURRENCY)
        .filter(|&i| matches!(results[i], AuthStep::Done(_)))
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    let winner = Some(tokens[winners[0]].clone());
    for result in &results {
        match result {
            AuthStep::Done(r) => assert_eq!(r.redemption, winner),
            AuthStep::Refused(r) => {
                assert_eq!(r.as_ref().expect("stored").redemption, winner)
            }
        }
    }
    assert_eq!(get(&*store, &request.id).await.redemption, winner);
}

/// 20 grants at once with two different codes (as two flows approved at
/// once would ask): every grant written carries one code, the first one's.
pub(crate) async fn concurrent_grants_carry_one_code(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let grants = [
        grant_of(&code_hash('a'), now),
        grant_of(&code_hash('c'), now),
    ];
    // Half pass a smaller `ttl` than the item's, half a larger one.
    let results = race_n(&store, STEP_RACERS, |store, i| {
        let (id, grant) = (request.id.clone(), grants[i % 2].clone());
        let ttl = if i % 4 < 2 { now + 100 } else { now + DAY * 2 };
        async move { store.grant(&id, &grant, now, ttl).await.unwrap() }
    })
    .await;
    let stored = get(&*store, &request.id).await;
    let kept = stored.grant.clone().expect("granted");
    assert!(grants.contains(&kept));
    let mut won = 0;
    for (i, result) in results.iter().enumerate() {
        match result {
            AuthStep::Done(r) => {
                won += 1;
                assert_eq!(grants[i % 2].code_hash, kept.code_hash);
                assert_eq!(r, &stored);
            }
            AuthStep::Refused(r) => {
                assert_ne!(grants[i % 2].code_hash, kept.code_hash);
                assert_eq!(r.as_ref(), Some(&stored));
            }
        }
    }
    assert_eq!(won, STEP_RACERS / 2, "{results:?}");
}

/// 20 cancellations and grants of one request at once: either the grants
/// win (all of them, one code) and no cancellation, or one cancellation and
/// no grant.
pub(crate) async fn concurrent_cancel_and_grant_have_one_kind_of_winner(store: Arc<dyn Store>) {
    let (request, now) = stored_request(&*store).await;
    let grant = grant_of(&code_hash('a'), now);
    let results = race_n(&store, STEP_RACERS, |store, i| {
        let (id, grant, ttl) = (request.id.clone(), grant.clone(), auth_ttl(&request));
        async move {
            let step = if i % 2 == 0 {
                store.cancel_auth_request(&id, now).await
            } else {
                store.grant(&id, &grant, now, ttl).await
            };
            (i % 2 == 0, step.unwrap())
        }
    })
    .await;
    let won = |cancel: bool| {
        results
            .iter()
            .filter(|(c, step)| *c == cancel && matches!(step, AuthStep::Done(_)))
            .count()
    };
    let stored = get(&*store, &request.id).await;
    match (won(true), won(false)) {
        (1, 0) => {
            assert_eq!(stored.cancelled_at, Some(now));
            assert_eq!(stored.grant, None);
        }
        (0, granted) => {
            assert_eq!(granted, STEP_RACERS / 2, "{results:?}");
            assert_eq!(stored.cancelled_at, None);
            assert_eq!(stored.grant, Some(grant.clone()));
        }
        other => panic!("cancellations and grants won {other:?}: {results:?}"),
    }
    for (_, step) in &results {
        if let AuthStep::Refused(r) = step {
            assert_eq!(r.as_ref(), Some(&stored));
        }
    }
}

/// The item's `ttl` as stored.
async fn stored_ttl(client: &Client, table: &str, id: &SignInId) -> u64 {
    let out = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(format!("authreq#{}", id.as_str())))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.item().unwrap()["ttl"].as_n().unwrap().parse().unwrap()
}

/// A grant and a redemption set the item's `ttl` to the caller's in the
/// same write (when what they wrote stops mattering); cancel and revoke
/// leave it.
#[tokio::test]
async fn dynamodb_sign_in_steps_set_the_ttl_they_are_given() {
    let Some((client, table, store)) = dynamo_store().await else {
        return;
    };
    let (request, now) = stored_request(&*store).await;
    assert_eq!(
        stored_ttl(&client, &table, &request.id).await,
        auth_ttl(&request)
    );
    let grant = grant_of(&code_hash('a'), now);
    done(
        store
            .grant(&request.id, &grant, now, now + 100)
            .await
            .unwrap(),
    );
    assert_eq!(stored_ttl(&client, &table, &request.id).await, now + 100);
    let check = check_of(&request, &grant, now + 1);
    let redemption = redemption_at(now + 1, 'b');
    let step = store.redeem(&request.id, &check, &redemption, now + 200);
    done(step.await.unwrap());
    assert_eq!(stored_ttl(&client, &table, &request.id).await, now + 200);
    done(
        store
            .revoke(&request.id, &check_of(&request, &grant, now + 2), now + 2)
            .await
            .unwrap(),
    );
    assert_eq!(stored_ttl(&client, &table, &request.id).await, now + 200);
}

/// A damaged item is a store error naming the attribute, read or written.
#[tokio::test]
async fn dynamodb_malformed_sign_in_item_is_an_error() {
    let Some((client, table, store)) = dynamo_store().await else {
        return;
    };
    let id = SignInId::generate();
    client
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S(format!("authreq#{}", id.as_str())))
        .item("client_id", AttributeValue::S("app-1".into()))
        .item("ttl", AttributeValue::N("4102444800".into()))
        .send()
        .await
        .unwrap();
    let now = SystemClock.now();
    let err = store.get_auth_request(&id).await.unwrap_err().to_string();
    assert!(err.contains("redirect_uri"), "{err}");
    let grant = grant_of(&code_hash('a'), now);
    let err = store.grant(&id, &grant, now, now + DAY).await.unwrap_err();
    assert!(err.to_string().contains("redirect_uri"), "{err}");
    let err = store.cancel_auth_request(&id, now).await.unwrap_err();
    assert!(err.to_string().contains("redirect_uri"), "{err}");
}
