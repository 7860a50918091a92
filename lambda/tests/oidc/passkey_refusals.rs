//! What a passkey sign-in refuses, one test each, each in the API's error
//! shape and each changing nothing: after a refusal the same ceremony still
//! takes the right answer (it was not consumed) and the passkey still signs
//! in (its counter did not move).

use super::authenticator::Authenticator;
use super::browser::Browser;
use super::passkeys::{answer, ok, options, refused, spawn, with_passkey};
use super::support::{OidcApp, random_email};
use otp_api::ErrorCode;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// A person with a passkey, and sign-in options in a fresh browser.
async fn ready() -> (OidcApp, Authenticator, Browser, Value) {
    let app = spawn().await;
    let key = with_passkey(&app, &Browser::new(), &random_email()).await;
    let browser = Browser::new();
    let options = options(&app, &browser, None).await;
    (app, key, browser, options)
}

/// The right answer to `options` still signs in: nothing was consumed.
async fn still_signs_in(app: &OidcApp, key: &mut Authenticator, options: &Value) {
    let browser = Browser::new();
    let credential = key.get(&options["public_key"]);
    ok(answer(app, &browser, options, credential).await).await;
    assert!(app.signed_in(&browser).await.is_some());
}

/// `response` is the refusal `code`, and `browser` got no session.
async fn refused_here(
    app: &OidcApp,
    browser: &Browser,
    response: Response,
    status: StatusCode,
    code: ErrorCode,
) -> Value {
    let body = refused(response, status, code).await;
    assert_eq!(app.signed_in(browser).await, None, "no session");
    body
}

#[tokio::test]
async fn malformed_webauthn_json_is_invalid_request() {
    let (app, mut key, browser, options) = ready().await;
    for credential in [
        json!({"id": 1}),
        json!("text"),
        json!({"id": "x", "rawId": "!!", "type": "public-key"}),
    ] {
        let response = answer(&app, &browser, &options, credential).await;
        let body = refused_here(
            &app,
            &browser,
            response,
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        )
        .await;
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("credential"),
            "{body}"
        );
    }
    let mangled = app
        .post_as(
            &browser,
            "/api/passkey/sign-in",
            json!({"ceremony": "short", "credential": {}}),
        )
        .await;
    refused_here(
        &app,
        &browser,
        mangled,
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidRequest,
    )
    .await;
    still_signs_in(&app, &mut key, &options).await;
}

#[tokio::test]
async fn an_answer_from_another_origin_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    let port = url::Url::parse(&app.issuer).unwrap().port().unwrap();
    for origin in [
        format!("http://evil.localhost:{port}"),
        "https://localhost".to_owned(),
    ] {
        key.origin = origin;
        let credential = key.get(&options["public_key"]);
        let response = answer(&app, &browser, &options, credential).await;
        refused_here(
            &app,
            &browser,
            response,
            StatusCode::UNAUTHORIZED,
            ErrorCode::PasskeyRefused,
        )
        .await;
    }
    key.origin = app.issuer.clone();
    still_signs_in(&app, &mut key, &options).await;
}

#[tokio::test]
async fn an_answer_for_another_relying_party_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    key.rp_id = "evil.example".into();
    let credential = key.get(&options["public_key"]);
    let response = answer(&app, &browser, &options, credential).await;
    let body = refused_here(
        &app,
        &browser,
        response,
        StatusCode::UNAUTHORIZED,
        ErrorCode::PasskeyRefused,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("another site"),
        "{body}"
    );
    key.rp_id = "localhost".into();
    still_signs_in(&app, &mut key, &options).await;
}

#[tokio::test]
async fn an_unknown_credential_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    let mut stranger = Authenticator::new(&app.issuer);
    stranger.user_handle = key.user_handle.clone();
    let credential = stranger.get(&options["public_key"]);
    let response = answer(&app, &browser, &options, credential).await;
    refused_here(
        &app,
        &browser,
        response,
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownPasskey,
    )
    .await;
    // The right credential under another user handle is no passkey either.
    let mut claimed = key.get(&options["public_key"]);
    claimed["response"]["userHandle"] = json!("AAAAAAAAAAAAAAAAAAAAAA");
    let response = answer(&app, &browser, &options, claimed).await;
    refused_here(
        &app,
        &browser,
        response,
        StatusCode::NOT_FOUND,
        ErrorCode::UnknownPasskey,
    )
    .await;
    still_signs_in(&app, &mut key, &options).await;
}

#[tokio::test]
async fn a_replayed_challenge_is_refused() {
    let (app, mut key, _, options) = ready().await;
    let credential = key.get(&options["public_key"]);
    ok(answer(&app, &Browser::new(), &options, credential.clone()).await).await;
    let browser = Browser::new();
    let replayed = answer(&app, &browser, &options, credential).await;
    refused_here(
        &app,
        &browser,
        replayed,
        StatusCode::GONE,
        ErrorCode::CeremonyExpired,
    )
    .await;
    let fresh = key.get(&options["public_key"]);
    let again = answer(&app, &browser, &options, fresh).await;
    refused_here(
        &app,
        &browser,
        again,
        StatusCode::GONE,
        ErrorCode::CeremonyExpired,
    )
    .await;
}

#[tokio::test]
async fn an_expired_or_registering_ceremony_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    app.app.clock.advance(300);
    let credential = key.get(&options["public_key"]);
    let late = answer(&app, &browser, &options, credential).await;
    refused_here(
        &app,
        &browser,
        late,
        StatusCode::GONE,
        ErrorCode::CeremonyExpired,
    )
    .await;

    let signed_in = Browser::new();
    app.verify_as(&signed_in, None, &random_email()).await;
    let registering = ok(app
        .post_as(&signed_in, "/api/passkey/register/options", json!({}))
        .await)
    .await;
    let mut borrowed = options.clone();
    borrowed["ceremony"] = registering["ceremony"].clone();
    borrowed["public_key"]["challenge"] = registering["public_key"]["challenge"].clone();
    let credential = key.get(&borrowed["public_key"]);
    let response = answer(&app, &browser, &borrowed, credential).await;
    refused_here(
        &app,
        &browser,
        response,
        StatusCode::GONE,
        ErrorCode::CeremonyExpired,
    )
    .await;
}

/// A counter that goes backwards is what a copied passkey shows: refused,
/// and the stored counter stays where it was.
#[tokio::test]
async fn a_sign_count_that_goes_backwards_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    key.counter = 9;
    still_signs_in(&app, &mut key, &options).await;
    let options = super::passkeys::options(&app, &browser, None).await;
    key.counter = 3;
    let credential = key.get(&options["public_key"]);
    let response = answer(&app, &browser, &options, credential).await;
    let body = refused_here(
        &app,
        &browser,
        response,
        StatusCode::UNAUTHORIZED,
        ErrorCode::PasskeyRefused,
    )
    .await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("counter"),
        "{body}"
    );
    key.counter = 10;
    still_signs_in(&app, &mut key, &options).await;
}

#[tokio::test]
async fn an_answer_without_user_verification_is_refused() {
    let (app, mut key, browser, options) = ready().await;
    key.verifies = false;
    let credential = key.get(&options["public_key"]);
    let response = answer(&app, &browser, &options, credential).await;
    refused_here(
        &app,
        &browser,
        response,
        StatusCode::UNAUTHORIZED,
        ErrorCode::PasskeyRefused,
    )
    .await;
    key.verifies = true;
    still_signs_in(&app, &mut key, &options).await;
}

/// Failed answers are budgeted: per passkey (then even its right answer
/// waits) and per client address (then every answer waits, in memory).
#[tokio::test]
async fn failed_answers_are_budgeted_per_passkey_and_per_client() {
    let (app, mut key, browser, options) = ready().await;
    let before = key.counter;
    for _ in 0..20 {
        let mut bad = key.get(&options["public_key"]);
        bad["response"]["signature"] = json!("MEUCIQ");
        let response = answer(&app, &browser, &options, bad).await;
        refused(
            response,
            StatusCode::UNAUTHORIZED,
            ErrorCode::PasskeyRefused,
        )
        .await;
    }
    key.counter = before;
    let credential = key.get(&options["public_key"]);
    let spent = answer(&app, &browser, &options, credential).await;
    let body = refused(spent, StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited).await;
    assert!(body["error"]["retry_after"].as_u64().unwrap() > 0);

    // Another passkey from this address, which has 10 failures left.
    let mut other = with_passkey(&app, &Browser::new(), &random_email()).await;
    for _ in 0..10 {
        let mut bad = other.get(&options["public_key"]);
        bad["response"]["signature"] = json!("MEUCIQ");
        refused(
            answer(&app, &browser, &options, bad).await,
            StatusCode::UNAUTHORIZED,
            ErrorCode::PasskeyRefused,
        )
        .await;
    }
    let credential = other.get(&options["public_key"]);
    let closed = answer(&app, &browser, &options, credential).await;
    refused(
        closed,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}
