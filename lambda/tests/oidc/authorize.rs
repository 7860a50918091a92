//! `/authorize` and the page's sign-in steps.
//!
//! A request whose client or redirect URI cannot be trusted is answered
//! with an error page and never redirected (RFC 6749 §3.1.2.4, §4.1.2.1;
//! RFC 9700 §4.1: exact matching). Every other refusal goes back to the app
//! (RFC 6749 §4.1.2.1) with `error`, `state` byte for byte and `iss`
//! (RFC 9207). The tables run each row on one server and name the rows that
//! failed.

use super::support::{
    AuthParams, Callback, OTHER, OidcApp, SHOP, SHOP_QUERY_URI, SHOP_SECOND_URI, SPA,
    expect_error_page, expect_error_redirect, header, random_email, random_token, sign_in_of,
    spawn_oidc,
};
use crate::support::expect_error;
use otp_api::{ErrorCode, RedirectResponse};
use reqwest::StatusCode;
use std::future::Future;
use std::sync::Arc;

/// Every printable ASCII character (RFC 6749's VSCHAR), so that `state`
/// needs percent-encoding both ways, plus something that looks encoded.
pub const NASTY_STATE: &str = " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ A%41+z%2B";

/// Runs `check` for every row on one server; panics naming the failed rows.
async fn table<T, F, Fut>(app: OidcApp, rows: Vec<(&'static str, T)>, check: F)
where
    T: Send + 'static,
    F: Fn(Arc<OidcApp>, T) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let app = Arc::new(app);
    let mut failed = Vec::new();
    let count = rows.len();
    for (name, row) in rows {
        if tokio::spawn(check(app.clone(), row)).await.is_err() {
            eprintln!("row failed: {name}");
            failed.push(name);
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {count} rows failed: {failed:?}",
        failed.len()
    );
}

/// A valid request of the shop with a state that needs encoding.
fn shop() -> AuthParams {
    AuthParams::new(SHOP).set("state", NASTY_STATE)
}

// ---------------------------------------------------------------------------
// Never redirected: an error page.

fn error_page_rows() -> Vec<(&'static str, AuthParams)> {
    let uri = |u: &str| shop().set("redirect_uri", u);
    vec![
        (
            "path: another path",
            uri("http://127.0.0.1:53682/callbackx"),
        ),
        (
            "path: a longer path",
            uri("http://127.0.0.1:53682/callback/x"),
        ),
        ("path: another client's URI", uri(OTHER.redirect_uri)),
        ("path: the public client's URI", uri(SPA.redirect_uri)),
        (
            "path: dot segments",
            uri("http://127.0.0.1:53682/x/../callback"),
        ),
        (
            "path: percent-encoded letter",
            uri("http://127.0.0.1:53682/%63allback"),
        ),
        ("case: path", uri("http://127.0.0.1:53682/Callback")),
        ("case: scheme", uri("HTTP://127.0.0.1:53682/callback")),
        ("trailing slash", uri("http://127.0.0.1:53682/callback/")),
        ("query: added", uri("http://127.0.0.1:53682/callback?x=1")),
        ("query: empty", uri("http://127.0.0.1:53682/callback?")),
        (
            "query: another value",
            uri("http://127.0.0.1:53682/callback?tenant=b"),
        ),
        (
            "query: dropped of a registered query",
            uri("http://127.0.0.1:53682/callback?tenant=a&x=1"),
        ),
        ("fragment", uri("http://127.0.0.1:53682/callback#x")),
        ("port: another", uri("http://127.0.0.1:53683/callback")),
        ("port: none", uri("http://127.0.0.1/callback")),
        ("scheme: https", uri("https://127.0.0.1:53682/callback")),
        ("host: localhost", uri("http://localhost:53682/callback")),
        ("host: [::1]", uri("http://[::1]:53682/callback")),
        (
            "userinfo: registered host as user",
            uri("http://127.0.0.1:53682@evil.example/callback"),
        ),
        (
            "userinfo: on the registered host",
            uri("http://evil.example@127.0.0.1:53682/callback"),
        ),
        (
            "whitespace: leading",
            uri(" http://127.0.0.1:53682/callback"),
        ),
        (
            "whitespace: trailing",
            uri("http://127.0.0.1:53682/callback "),
        ),
        ("redirect_uri: empty", uri("")),
        ("redirect_uri: missing", shop().remove("redirect_uri")),
        (
            "redirect_uri: repeated",
            shop().add("redirect_uri", SHOP.redirect_uri),
        ),
        (
            "redirect_uri: wrong, and other errors too",
            shop()
                .set("redirect_uri", "http://127.0.0.1:53682/elsewhere")
                .set("response_type", "token")
                .remove("code_challenge"),
        ),
        ("client_id: unknown", shop().set("client_id", "nobody")),
        (
            "client_id: markup (never echoed)",
            shop().set("client_id", "<script>alert(1)</script>"),
        ),
        ("client_id: case", shop().set("client_id", "SHOP")),
        ("client_id: empty", shop().set("client_id", "")),
        ("client_id: missing", shop().remove("client_id")),
        ("client_id: repeated", shop().add("client_id", SHOP.id)),
        (
            "client_id: repeated with another",
            shop().add("client_id", OTHER.id),
        ),
        ("no parameters at all", AuthParams::new(SHOP).remove_all()),
    ]
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_get_an_error_page_not_a_redirect() {
    let app = spawn_oidc().await;
    table(app, error_page_rows(), |app, params| async move {
        let unlinked = params
            .get("redirect_uri")
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        let response = app.authorize(&params).await;
        expect_error_page(response, unlinked.as_deref()).await;
    })
    .await;
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_get_an_error_page_by_post_too() {
    let app = spawn_oidc().await;
    table(app, error_page_rows(), |app, params| async move {
        let response = app.authorize_post(&params).await;
        expect_error_page(response, None).await;
    })
    .await;
}

#[tokio::test]
async fn the_error_page_says_what_is_wrong() {
    let app = spawn_oidc().await;
    let unknown = expect_error_page(
        app.authorize(&shop().set("client_id", "nobody")).await,
        None,
    )
    .await;
    assert!(
        unknown.to_lowercase().contains("unknown"),
        "names the unknown client: {unknown}"
    );
    let evil = "http://127.0.0.1:53682@evil.example/callback";
    let redirect = expect_error_page(
        app.authorize(&shop().set("redirect_uri", evil)).await,
        Some(evil),
    )
    .await;
    assert!(
        redirect.to_lowercase().contains("redirect"),
        "names the redirect address: {redirect}"
    );
    assert_ne!(unknown, redirect, "two different reasons");
}

// ---------------------------------------------------------------------------
// Told to the app: a redirect with error, state and iss.

/// What the redirect must carry as `state`.
#[derive(Debug, Clone, Copy)]
enum State {
    /// [`NASTY_STATE`], byte for byte.
    Echoed,
    /// Not checked (the request's own state was the problem).
    Any,
}

struct RedirectRow {
    params: AuthParams,
    error: &'static str,
    state: State,
}

fn redirect_rows() -> Vec<(&'static str, RedirectRow)> {
    let row = |params: AuthParams, error: &'static str| RedirectRow {
        params,
        error,
        state: State::Echoed,
    };
    let any_state = |params: AuthParams, error: &'static str| RedirectRow {
        params,
        error,
        state: State::Any,
    };
    let long = |n: usize| "a".repeat(n);
    let challenge = shop().get("code_challenge").unwrap().to_owned();
    vec![
        (
            "response_type: missing",
            row(shop().remove("response_type"), "invalid_request"),
        ),
        (
            "response_type: token",
            row(
                shop().set("response_type", "token"),
                "unsupported_response_type",
            ),
        ),
        (
            "response_type: id_token",
            row(
                shop().set("response_type", "id_token"),
                "unsupported_response_type",
            ),
        ),
        (
            "response_type: code id_token",
            row(
                shop().set("response_type", "code id_token"),
                "unsupported_response_type",
            ),
        ),
        (
            "response_type: Code",
            row(
                shop().set("response_type", "Code"),
                "unsupported_response_type",
            ),
        ),
        (
            "response_mode: fragment",
            row(shop().set("response_mode", "fragment"), "invalid_request"),
        ),
        (
            "response_mode: form_post",
            row(shop().set("response_mode", "form_post"), "invalid_request"),
        ),
        (
            "scope: missing",
            row(shop().remove("scope"), "invalid_scope"),
        ),
        (
            "scope: email only",
            row(shop().set("scope", "email"), "invalid_scope"),
        ),
        (
            "scope: profile only",
            row(shop().set("scope", "profile"), "invalid_scope"),
        ),
        (
            "scope: OpenID (scopes are case-sensitive)",
            row(shop().set("scope", "OpenID email"), "invalid_scope"),
        ),
        (
            "scope: empty",
            row(shop().set("scope", ""), "invalid_scope"),
        ),
        (
            "PKCE: no code_challenge",
            row(shop().remove("code_challenge"), "invalid_request"),
        ),
        (
            "PKCE: neither challenge nor method",
            row(
                shop()
                    .remove("code_challenge")
                    .remove("code_challenge_method"),
                "invalid_request",
            ),
        ),
        (
            "PKCE: plain",
            row(
                shop().set("code_challenge_method", "plain"),
                "invalid_request",
            ),
        ),
        (
            "PKCE: plain with a verifier-like challenge",
            row(
                shop()
                    .set("code_challenge_method", "plain")
                    .set("code_challenge", &random_token(48)),
                "invalid_request",
            ),
        ),
        (
            "PKCE: method missing (counts as plain)",
            row(shop().remove("code_challenge_method"), "invalid_request"),
        ),
        (
            "PKCE: method s256 (case)",
            row(
                shop().set("code_challenge_method", "s256"),
                "invalid_request",
            ),
        ),
        (
            "PKCE: method unknown",
            row(
                shop().set("code_challenge_method", "S512"),
                "invalid_request",
            ),
        ),
        (
            "PKCE: challenge 42 chars",
            row(
                shop().set("code_challenge", &challenge[..42]),
                "invalid_request",
            ),
        ),
        (
            "PKCE: challenge 44 chars",
            row(
                shop().set("code_challenge", &format!("{challenge}A")),
                "invalid_request",
            ),
        ),
        (
            "PKCE: challenge with padding",
            row(
                shop().set("code_challenge", &format!("{}=", &challenge[..42])),
                "invalid_request",
            ),
        ),
        (
            "PKCE: challenge in standard base64",
            row(
                shop().set("code_challenge", &format!("+/{}", &challenge[..41])),
                "invalid_request",
            ),
        ),
        (
            "PKCE: challenge empty",
            row(shop().set("code_challenge", ""), "invalid_request"),
        ),
        (
            "prompt: none",
            row(shop().set("prompt", "none"), "login_required"),
        ),
        (
            "prompt: login none",
            row(shop().set("prompt", "login none"), "login_required"),
        ),
        (
            "repeated: state (same value)",
            any_state(shop().add("state", NASTY_STATE), "invalid_request"),
        ),
        (
            "repeated: state (two values)",
            any_state(shop().add("state", "other"), "invalid_request"),
        ),
        (
            "repeated: scope",
            row(shop().add("scope", "openid"), "invalid_request"),
        ),
        (
            "repeated: response_type",
            row(shop().add("response_type", "code"), "invalid_request"),
        ),
        (
            "repeated: code_challenge",
            row(shop().add("code_challenge", &challenge), "invalid_request"),
        ),
        (
            "repeated: nonce",
            row(shop().add("nonce", "n2"), "invalid_request"),
        ),
        (
            "request object",
            row(
                shop().set("request", "eyJhbGciOiJub25lIn0.e30."),
                "request_not_supported",
            ),
        ),
        (
            "request_uri",
            row(
                shop().set("request_uri", "https://shop.example/request.jwt"),
                "request_uri_not_supported",
            ),
        ),
        (
            "registration",
            row(
                shop().set("registration", "{}"),
                "registration_not_supported",
            ),
        ),
        (
            "state: 513 characters",
            any_state(shop().set("state", &long(513)), "invalid_request"),
        ),
        (
            "nonce: 513 characters",
            row(shop().set("nonce", &long(513)), "invalid_request"),
        ),
        (
            "login_hint: 255 characters",
            row(shop().set("login_hint", &long(255)), "invalid_request"),
        ),
        (
            "ui_locales: 513 characters",
            row(shop().set("ui_locales", &long(513)), "invalid_request"),
        ),
    ]
}

async fn check_redirect_row(app: Arc<OidcApp>, row: RedirectRow, post: bool) {
    let response = if post {
        app.authorize_post(&row.params).await
    } else {
        app.authorize(&row.params).await
    };
    let registered = row.params.get("redirect_uri").unwrap();
    match row.state {
        State::Echoed => {
            let callback = expect_error_redirect(
                &response,
                registered,
                row.error,
                Some(NASTY_STATE),
                &app.issuer,
            );
            assert!(
                callback.get("error_description").is_some(),
                "an error_description"
            );
        }
        State::Any => {
            let location = header(&response, "location").expect("a Location");
            let callback = Callback::parse(location, registered);
            let state = callback.get("state").map(str::to_owned);
            expect_error_redirect(
                &response,
                registered,
                row.error,
                state.as_deref(),
                &app.issuer,
            );
        }
    }
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
}

#[tokio::test]
async fn refusals_go_back_to_the_app_with_error_state_and_iss() {
    let app = spawn_oidc().await;
    table(app, redirect_rows(), |app, row| {
        check_redirect_row(app, row, false)
    })
    .await;
}

#[tokio::test]
async fn refusals_of_a_post_go_back_to_the_app_too() {
    let app = spawn_oidc().await;
    table(app, redirect_rows(), |app, row| {
        check_redirect_row(app, row, true)
    })
    .await;
}

/// A registered URI with a query keeps it; the answer's parameters follow
/// with `&` (RFC 6749 §3.1.2).
#[tokio::test]
async fn a_registered_query_is_kept_in_error_and_success_redirects() {
    let app = spawn_oidc().await;
    let params = shop()
        .set("redirect_uri", SHOP_QUERY_URI)
        .set("response_type", "token");
    let response = app.authorize(&params).await;
    let callback = expect_error_redirect(
        &response,
        SHOP_QUERY_URI,
        "unsupported_response_type",
        Some(NASTY_STATE),
        &app.issuer,
    );
    assert_eq!(callback.get("tenant"), Some("a"));

    let params = shop().set("redirect_uri", SHOP_QUERY_URI);
    let callback = app.sign_in(&params, &random_email()).await;
    assert_eq!(callback.get("tenant"), Some("a"));
    assert!(callback.get("code").is_some());
}

/// No `state` sent, none returned.
#[tokio::test]
async fn an_error_redirect_without_state_has_none() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP).remove("state").set("prompt", "none");
    let response = app.authorize(&params).await;
    expect_error_redirect(
        &response,
        SHOP.redirect_uri,
        "login_required",
        None,
        &app.issuer,
    );
}

// ---------------------------------------------------------------------------
// Accepted: 303 to the page.

fn accepted_rows() -> Vec<(&'static str, AuthParams)> {
    vec![
        ("the plain request", AuthParams::new(SHOP)),
        ("public client", AuthParams::new(SPA)),
        (
            "another registered URI",
            AuthParams::new(SHOP).set("redirect_uri", SHOP_SECOND_URI),
        ),
        (
            "a registered URI with a query",
            AuthParams::new(SHOP).set("redirect_uri", SHOP_QUERY_URI),
        ),
        (
            "scope: openid only",
            AuthParams::new(SHOP).set("scope", "openid"),
        ),
        (
            "scope: others ignored",
            AuthParams::new(SHOP).set("scope", "profile openid phone email"),
        ),
        (
            "prompt: login",
            AuthParams::new(SHOP).set("prompt", "login"),
        ),
        (
            "prompt: consent",
            AuthParams::new(SHOP).set("prompt", "consent"),
        ),
        (
            "prompt: select_account",
            AuthParams::new(SHOP).set("prompt", "select_account"),
        ),
        (
            "prompt: login consent",
            AuthParams::new(SHOP).set("prompt", "login consent"),
        ),
        (
            "response_mode: query",
            AuthParams::new(SHOP).set("response_mode", "query"),
        ),
        ("max_age", AuthParams::new(SHOP).set("max_age", "0")),
        ("display", AuthParams::new(SHOP).set("display", "popup")),
        (
            "claims_locales",
            AuthParams::new(SHOP).set("claims_locales", "fr"),
        ),
        (
            "acr_values",
            AuthParams::new(SHOP).set("acr_values", "urn:mace:incommon:iap:silver"),
        ),
        (
            "id_token_hint",
            AuthParams::new(SHOP).set("id_token_hint", "eyJhbGciOiJSUzI1NiJ9.e30.sig"),
        ),
        (
            "unknown parameter (ignored, RFC 6749 §3.1)",
            AuthParams::new(SHOP).set("foo", "bar"),
        ),
        ("no state", AuthParams::new(SHOP).remove("state")),
        ("no nonce", AuthParams::new(SHOP).remove("nonce")),
        (
            "state: 512 characters",
            AuthParams::new(SHOP).set("state", &"s".repeat(512)),
        ),
        ("state: every printable character", shop()),
        (
            "login_hint: 254 characters",
            AuthParams::new(SHOP).set("login_hint", &"h".repeat(254)),
        ),
    ]
}

#[tokio::test]
async fn valid_requests_go_to_the_page_with_a_handle() {
    let app = spawn_oidc().await;
    table(app, accepted_rows(), |app, params| async move {
        let sign_in = sign_in_of(app.authorize(&params).await);
        let info = app.expect_sign_in_info(&sign_in).await;
        let client = if params.get("client_id") == Some(SPA.id) {
            SPA
        } else {
            SHOP
        };
        assert_eq!(info.client_name, client.name);
        let sign_in = sign_in_of(app.authorize_post(&params).await);
        app.expect_sign_in_info(&sign_in).await;
    })
    .await;
}

#[tokio::test]
async fn each_request_gets_its_own_handle() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP);
    let a = app.begin(&params).await;
    let b = app.begin(&params).await;
    assert_ne!(a, b);
}

#[tokio::test]
async fn the_page_learns_the_app_and_its_hints() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP)
        .set("login_hint", "Ann@Example.com")
        .set("ui_locales", "fr-CA en");
    let sign_in = app.begin(&params).await;
    let response = app.sign_in_info(&sign_in).await;
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(response.status(), StatusCode::OK);
    let info: otp_api::SignInResponse = response.json().await.unwrap();
    assert_eq!(info.client_name, SHOP.name);
    assert_eq!(info.login_hint.as_deref(), Some("Ann@Example.com"));
    assert_eq!(info.ui_locales.as_deref(), Some("fr-CA en"));

    let plain = app.begin(&AuthParams::new(SPA)).await;
    let info = app.expect_sign_in_info(&plain).await;
    assert_eq!(info.client_name, SPA.name);
    assert_eq!(info.login_hint, None);
    assert_eq!(info.ui_locales, None);
}

/// A handle of the documented form that names no request is over (410); one
/// that does not match the document's pattern is a malformed request (400).
#[tokio::test]
async fn unknown_handles_are_expired_and_malformed_ones_invalid() {
    let app = spawn_oidc().await;
    for handle in ["AAAAAAAAAAAAAAAAAAAAAA".to_owned(), random_token(16)] {
        let response = app.sign_in_info(&handle).await;
        expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
        let response = app.cancel(&handle).await;
        expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    }
    for handle in [
        "short".to_owned(),
        "x".repeat(22),
        "AAAAAAAAAAAAAAAAAAAAAB".to_owned(),
    ] {
        let response = app.sign_in_info(&handle).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
        let response = app.cancel(&handle).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
        let response = app.send(&handle, "ann@example.com").await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
}

/// An authorization request lives 30 minutes.
#[tokio::test]
async fn a_request_expires_after_thirty_minutes() {
    let app = spawn_oidc().await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    app.app.clock.advance(30 * 60 - 1);
    app.expect_sign_in_info(&sign_in).await;
    app.app.clock.advance(1);
    let response = app.sign_in_info(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    let response = app.cancel(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

/// A flow bound to a request that expired meanwhile cannot complete it.
#[tokio::test]
async fn a_flow_cannot_complete_an_expired_request() {
    let app = spawn_oidc().await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    app.app.clock.advance(30 * 60 - 5);
    let email = random_email();
    let (flow_id, code) = app.send_and_read(&sign_in, &email).await;
    app.app.clock.advance(10);
    let response = app.verify(&flow_id, &code).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

// ---------------------------------------------------------------------------
// Cancel.

#[tokio::test]
async fn cancel_goes_back_with_access_denied_and_ends_the_request() {
    let app = spawn_oidc().await;
    let params = shop();
    let sign_in = app.begin(&params).await;
    let email = random_email();
    // A code is on its way when the person cancels.
    let (flow_id, code) = app.send_and_read(&sign_in, &email).await;

    let response = app.cancel(&sign_in).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let cancelled: RedirectResponse = response.json().await.unwrap();
    let callback = Callback::parse(&cancelled.redirect_to, SHOP.redirect_uri);
    assert_eq!(callback.get("error"), Some("access_denied"));
    assert!(callback.get("error_description").is_some());
    assert_eq!(
        callback.get("state"),
        Some(NASTY_STATE),
        "state byte for byte"
    );
    assert_eq!(callback.get("iss"), Some(app.issuer.as_str()));
    assert_eq!(callback.get("code"), None);

    let response = app.sign_in_info(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    let response = app.cancel(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    // The right code no longer completes it.
    let response = app.verify(&flow_id, &code).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

#[tokio::test]
async fn a_send_after_cancel_does_not_complete_the_request() {
    let app = spawn_oidc().await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    let response = app.cancel(&sign_in).await;
    assert_eq!(response.status(), StatusCode::OK);
    let email = random_email();
    let response = app.send(&sign_in, &email).await;
    if response.status() == StatusCode::ACCEPTED {
        let sent: otp_api::SendResponse = response.json().await.unwrap();
        let code = app.read_code(&email).await;
        let response = app.verify(&sent.flow_id, &code).await;
        expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    } else {
        expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    }
}

#[tokio::test]
async fn a_granted_request_can_be_neither_cancelled_nor_shown_again() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP);
    let sign_in = app.begin(&params).await;
    let redirect_to = app.approve(&sign_in, &random_email()).await;
    assert!(
        Callback::parse(&redirect_to, SHOP.redirect_uri)
            .get("code")
            .is_some()
    );
    let response = app.cancel(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
    let response = app.sign_in_info(&sign_in).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

// ---------------------------------------------------------------------------
// The approving verify.

/// The right code sent again within the replay window (a retried request)
/// answers the same redirect, with the same code: never a second code.
#[tokio::test]
async fn a_replayed_verify_answers_the_same_redirect() {
    let app = spawn_oidc().await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    let (flow_id, code) = app.send_and_read(&sign_in, &random_email()).await;
    let first = app.verify(&flow_id, &code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: otp_api::VerifyResponse = first.json().await.unwrap();
    app.app.clock.advance(30);
    let again = app.verify(&flow_id, &code).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: otp_api::VerifyResponse = again.json().await.unwrap();
    assert!(first.redirect_to.is_some());
    assert_eq!(again.redirect_to, first.redirect_to, "the same code");
}

/// One request, two people's flows: the first approval wins it.
#[tokio::test]
async fn a_request_is_granted_to_one_flow_only() {
    let app = spawn_oidc().await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    let (flow_a, code_a) = app.send_and_read(&sign_in, &random_email()).await;
    let (flow_b, code_b) = app.send_and_read(&sign_in, &random_email()).await;
    let response = app.verify(&flow_a, &code_a).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.verify(&flow_b, &code_b).await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

/// The code is the request's handle, a dot and 256 bits (43 base64url).
#[tokio::test]
async fn the_code_is_opaque_and_long() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP);
    let sign_in = app.begin(&params).await;
    let redirect_to = app.approve(&sign_in, &random_email()).await;
    let callback = Callback::parse(&redirect_to, SHOP.redirect_uri);
    let code = callback.must("code");
    let (handle, secret) = code.split_once('.').expect("<handle>.<secret>");
    assert_eq!(handle, sign_in);
    assert_eq!(secret.len(), 43);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(callback.get("state"), params.get("state"));
    assert_eq!(callback.get("iss"), Some(app.issuer.as_str()));
}
