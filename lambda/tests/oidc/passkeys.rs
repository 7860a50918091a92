//! Passkeys end to end over HTTP, on the provider at `localhost` (a valid
//! relying-party id): a person who proved an address with a code adds a
//! passkey; later, in another browser, it signs them in with no mail, on
//! the page and in an app's sign-in (whose ID token says how, in `amr`);
//! removing it refuses it from then on and ends the sessions it started;
//! of two answers racing on one challenge, one wins (on DynamoDB Local
//! under `scripts/services`, each racer with its real round trips).

use super::authenticator::Authenticator;
use super::browser::Browser;
use super::rp::{Asking, Rp};
use super::support::{Callback, OidcApp, SHOP, random_email, sign_in_of, spawn_oidc_on};
use futures_util::future::join_all;
use otp::domain::Clock;
use otp_api::ErrorCode;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

pub async fn spawn() -> OidcApp {
    spawn_oidc_on("localhost", &[]).await
}

/// `browser` proves `email` with a code, then adds a passkey: the
/// authenticator that holds it.
pub async fn with_passkey(app: &OidcApp, browser: &Browser, email: &str) -> Authenticator {
    let mut key = Authenticator::new(&app.issuer);
    add_passkey(app, browser, email, &mut key).await;
    key
}

/// `browser` proves `email` with a code, then adds `key`'s passkey.
pub async fn add_passkey(app: &OidcApp, browser: &Browser, email: &str, key: &mut Authenticator) {
    let verified = app.verify_as(browser, None, email).await;
    assert_eq!(verified.status(), StatusCode::OK, "the approving verify");
    let options = ok(app
        .post_as(browser, "/api/passkey/register/options", json!({}))
        .await)
    .await;
    let selection = &options["public_key"]["authenticatorSelection"];
    assert_eq!(selection["residentKey"], "required", "{options}");
    assert_eq!(options["public_key"]["attestation"], "none");
    assert_eq!(options["public_key"]["user"]["name"], email);
    let credential = key.create(&options["public_key"]);
    let added = ok(app
        .post_as(
            browser,
            "/api/passkey/register",
            json!({"ceremony": options["ceremony"], "credential": credential, "name": "Laptop"}),
        )
        .await)
    .await;
    assert_eq!(added["id"], key.credential_id());
    assert_eq!(added["name"], "Laptop");
}

/// A `200` answer's JSON.
pub async fn ok(response: Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON answer");
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Sign-in options in `browser`, for the app's sign-in `sign_in` or the page.
pub async fn options(app: &OidcApp, browser: &Browser, sign_in: Option<&str>) -> Value {
    let body = match sign_in {
        Some(id) => json!({ "sign_in": id }),
        None => json!({}),
    };
    ok(app
        .post_as(browser, "/api/passkey/sign-in/options", body)
        .await)
    .await
}

/// The browser's answer to `options`.
pub async fn answer(
    app: &OidcApp,
    browser: &Browser,
    options: &Value,
    credential: Value,
) -> Response {
    app.post_as(
        browser,
        "/api/passkey/sign-in",
        json!({ "ceremony": options["ceremony"], "credential": credential }),
    )
    .await
}

/// The error code of a refusal, checked against its status.
pub async fn refused(response: Response, status: StatusCode, code: ErrorCode) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], code.as_str(), "{body}");
    body
}

#[tokio::test]
async fn a_passkey_signs_in_on_another_browser_without_a_mail() {
    let app = spawn().await;
    let email = random_email();
    let mut key = with_passkey(&app, &Browser::new(), &email).await;
    let mails = app.app.inbox.subjects(&email).await.len();
    assert_eq!(mails, 1, "the first sign-in costs one mail");

    let other = Browser::new();
    let options = options(&app, &other, None).await;
    assert_eq!(options["public_key"]["userVerification"], "required");
    assert_eq!(options["public_key"]["rpId"], "localhost");
    let challenge = options["public_key"]["challenge"].as_str().unwrap();
    assert!(
        challenge.len() >= 22,
        "at least 16 random bytes: {challenge}"
    );
    app.app.clock.advance(5);
    let credential = key.get(&options["public_key"]);
    let approved = ok(answer(&app, &other, &options, credential).await).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["email"], email.as_str());
    assert_eq!(approved["redirect_to"], Value::Null);
    assert_eq!(app.signed_in(&other).await.as_deref(), Some(email.as_str()));
    assert_eq!(app.app.inbox.subjects(&email).await.len(), mails, "no mail");

    // The list shows it, used now.
    let listed = ok(app.post_as(&other, "/api/passkeys", json!({})).await).await;
    let passkeys = listed["passkeys"].as_array().unwrap();
    assert_eq!(passkeys.len(), 1, "{listed}");
    assert_eq!(passkeys[0]["id"], key.credential_id());
    assert_eq!(passkeys[0]["last_used_at"], json!(app.app.clock.now()));
}

#[tokio::test]
async fn an_apps_sign_in_by_passkey_has_the_passkeys_amr_and_auth_time() {
    let app = spawn().await;
    let email = random_email();
    let mut key = with_passkey(&app, &Browser::new(), &email).await;
    let rp = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let started = rp.start(Asking::default());
    let sign_in = sign_in_of(app.get_as(&browser, &started.url).await);
    app.app.clock.advance(7);
    let asserted_at = app.app.clock.now();
    let options = options(&app, &browser, Some(&sign_in)).await;
    let credential = key.get(&options["public_key"]);
    let approved = ok(answer(&app, &browser, &options, credential).await).await;
    let redirect_to = approved["redirect_to"].as_str().expect("back to the app");
    let code = Callback::parse(redirect_to, SHOP.redirect_uri)
        .must("code")
        .to_owned();
    let tokens = rp.finish(started, &code).await;
    assert_eq!(tokens.claims["amr"], json!(["swk", "user", "mfa"]));
    assert_eq!(tokens.claims["auth_time"], json!(asserted_at));
    assert_eq!(tokens.claims["email"], email.as_str());
    assert_eq!(
        app.app.inbox.subjects(&email).await.len(),
        1,
        "no second mail"
    );

    // A device-bound passkey is a hardware key.
    let bound = Browser::new();
    let mut device = Authenticator::new(&app.issuer);
    device.synced = false;
    add_passkey(&app, &bound, &random_email(), &mut device).await;
    let started = rp.start(Asking::default());
    let sign_in = sign_in_of(app.get_as(&bound, &started.url).await);
    let options = self::options(&app, &bound, Some(&sign_in)).await;
    let credential = device.get(&options["public_key"]);
    let approved = ok(answer(&app, &bound, &options, credential).await).await;
    let callback = Callback::parse(approved["redirect_to"].as_str().unwrap(), SHOP.redirect_uri);
    let tokens = rp.finish(started, callback.must("code")).await;
    assert_eq!(tokens.claims["amr"], json!(["hwk", "user", "mfa"]));
}

#[tokio::test]
async fn a_removed_passkey_is_refused_and_its_sessions_end() {
    let app = spawn().await;
    let email = random_email();
    let by_code = Browser::new();
    let mut key = with_passkey(&app, &by_code, &email).await;
    let by_passkey = Browser::new();
    let first = options(&app, &by_passkey, None).await;
    let credential = key.get(&first["public_key"]);
    ok(answer(&app, &by_passkey, &first, credential).await).await;
    let later = options(&app, &Browser::new(), None).await;

    let removed = ok(app
        .post_as(
            &by_code,
            "/api/passkeys/remove",
            json!({ "id": key.credential_id() }),
        )
        .await)
    .await;
    assert_eq!(removed["sessions_ended"], 1, "the session it started");
    assert_eq!(app.signed_in(&by_passkey).await, None);
    assert_eq!(
        app.signed_in(&by_code).await.as_deref(),
        Some(email.as_str()),
        "a code's session stays"
    );
    let listed = ok(app.post_as(&by_code, "/api/passkeys", json!({})).await).await;
    assert_eq!(listed["passkeys"], json!([]));
    let again = app
        .post_as(
            &by_code,
            "/api/passkeys/remove",
            json!({ "id": key.credential_id() }),
        )
        .await;
    refused(again, StatusCode::NOT_FOUND, ErrorCode::UnknownPasskey).await;

    let credential = key.get(&later["public_key"]);
    let response = answer(&app, &Browser::new(), &later, credential).await;
    refused(response, StatusCode::NOT_FOUND, ErrorCode::UnknownPasskey).await;
}

/// Two browsers answer one challenge at once (each answer valid on its
/// own): one signs in, the other is refused, and the passkey's counter is
/// the winner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_answers_racing_on_one_challenge_have_one_winner() {
    let app = spawn().await;
    let mut key = with_passkey(&app, &Browser::new(), &random_email()).await;
    for _ in 0..3 {
        let options = options(&app, &Browser::new(), None).await;
        let answers: Vec<Value> = (0..2).map(|_| key.get(&options["public_key"])).collect();
        let browsers = [Browser::new(), Browser::new()];
        let results = join_all(
            answers
                .into_iter()
                .zip(&browsers)
                .map(|(credential, browser)| answer(&app, browser, &options, credential)),
        )
        .await;
        let statuses: Vec<StatusCode> = results.iter().map(Response::status).collect();
        let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(won, 1, "{statuses:?}");
        for (response, browser) in results.into_iter().zip(&browsers) {
            if response.status() == StatusCode::OK {
                continue;
            }
            let body: Value = response.json().await.unwrap();
            let code = body["error"]["code"].as_str().unwrap().to_owned();
            assert!(
                code == "ceremony_expired" || code == "passkey_refused",
                "{body}"
            );
            assert_eq!(
                app.signed_in(browser).await,
                None,
                "the loser has no session"
            );
        }
    }
}
