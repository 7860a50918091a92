//! What the session refuses, one test each: a cookie without its
//! attributes, session fixation, another site's `POST`, an ended or
//! expired session at `prompt=none`, a `post_logout_redirect_uri` that is
//! not exactly a registered one, a refresh token from another client, a
//! refresh after logout.

use super::browser::{Browser, DEVICE, SESSION, set_cookies};
use super::receiver::{SHOP_BYE, spawn_with_receivers};
use super::rp::{Asking, Rp};
use super::support::{
    AuthParams, OTHER, OidcApp, SHOP, expect_error_page, expect_error_redirect, expect_token_error,
    random_email, sign_in_of, spawn_oidc,
};
use openidconnect::core::CoreAuthPrompt;
use otp_api::ErrorCode;
use reqwest::StatusCode;
use serde_json::json;

async fn prompt_none_is_refused(app: &OidcApp, browser: &Browser) {
    let params = AuthParams::new(SHOP).set("prompt", "none");
    let response = app.authorize_as(browser, &params).await;
    expect_error_redirect(
        &response,
        SHOP.redirect_uri,
        "login_required",
        params.get("state"),
        &app.issuer,
    );
}

/// Both cookies are `__Host-`, `Secure`, `HttpOnly`, `SameSite=Lax`,
/// `Path=/`, without `Domain`; the session's lives what is left of its
/// lifetime, the device's 30 days. A session value under any other name
/// (a cookie a sibling origin or a script could set) is no session.
#[tokio::test]
async fn the_cookies_are_host_only_secure_and_http_only() {
    let app = spawn_oidc().await;
    let browser = Browser::new();
    let email = random_email();
    let response = app.verify_as(&browser, None, &email).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    let names: Vec<&str> = cookies.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, [SESSION, DEVICE]);
    for cookie in &cookies {
        cookie.assert_host_only();
    }
    assert_eq!(cookies[0].max_age(), 30 * 24 * 3600);
    assert_eq!(cookies[1].max_age(), 30 * 24 * 3600);
    let value = browser.cookie(SESSION).unwrap();
    assert!(value.len() >= 22 + 1 + 43, "≥ 128 random bits and a secret");
    assert!(app.signed_in(&browser).await.is_some());
    for name in ["otp-session", "__Secure-otp-session", "__host-otp-session"] {
        let elsewhere = Browser::new();
        elsewhere.set(name, &value);
        assert_eq!(app.signed_in(&elsewhere).await, None, "{name}");
    }
}

/// A new secret at every approved code: a value someone planted or saw
/// before stops working, and a planted session of another person ends.
#[tokio::test]
async fn an_approved_code_never_keeps_the_session_id_it_found() {
    let app = spawn_oidc().await;
    let email = random_email();
    let browser = Browser::new();
    app.verify_as(&browser, None, &email).await;
    let known = browser.cookie(SESSION).unwrap();
    app.verify_as(&browser, None, &email).await;
    let renewed = browser.cookie(SESSION).unwrap();
    assert_ne!(renewed, known, "a new value");
    assert_eq!(
        renewed.split_once('.').unwrap().0,
        known.split_once('.').unwrap().0,
        "the same session, renewed"
    );
    let old = Browser::new();
    old.set(SESSION, &known);
    assert_eq!(
        app.signed_in(&old).await,
        None,
        "the value seen before is dead"
    );

    // Mallory plants her own session in Ann's browser; Ann's code ends it.
    let mallory = Browser::new();
    app.verify_as(&mallory, None, &random_email()).await;
    let planted = mallory.cookie(SESSION).unwrap();
    let ann = Browser::new();
    ann.set(SESSION, &planted);
    let anns = random_email();
    app.verify_as(&ann, None, &anns).await;
    let mine = ann.cookie(SESSION).unwrap();
    assert_ne!(
        mine.split_once('.').unwrap().0,
        planted.split_once('.').unwrap().0
    );
    let normalized = otp::domain::Email::parse(&anns).unwrap();
    assert_eq!(
        app.signed_in(&ann).await.as_deref(),
        Some(normalized.as_str())
    );
    assert_eq!(
        app.signed_in(&mallory).await,
        None,
        "the planted session ended"
    );
}

/// Every endpoint that acts on the session refuses another site's page.
#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let app = spawn_oidc().await;
    let browser = Browser::new();
    app.verify_as(&browser, None, &random_email()).await;
    let sign_in = sign_in_of(app.authorize(&AuthParams::new(SHOP)).await);
    let cases = [
        ("/api/session", json!({})),
        ("/api/session/end", json!({ "everywhere": true })),
        ("/api/sign-in", json!({ "sign_in": sign_in })),
        ("/api/sign-in/continue", json!({ "sign_in": sign_in })),
        ("/api/logout", json!({ "logout": "AAAAAAAAAAAAAAAAAAAAAA" })),
        (
            "/api/logout/confirm",
            json!({ "logout": "AAAAAAAAAAAAAAAAAAAAAA" }),
        ),
        (
            "/api/otp/verify",
            json!({ "flow_id": "AAAAAAAAAAAAAAAAAAAAAA", "code": "123456" }),
        ),
    ];
    for (path, body) in cases {
        for origin in ["https://evil.example", "null", "http://127.0.0.1:1"] {
            let response = app
                .http
                .post(app.url(path))
                .header("origin", origin)
                .header("cookie", browser.header().unwrap())
                .json(&body)
                .send()
                .await
                .unwrap();
            let answer = crate::support::expect_error(
                response,
                StatusCode::FORBIDDEN,
                ErrorCode::ForbiddenOrigin,
            )
            .await;
            assert_eq!(answer.error.code, ErrorCode::ForbiddenOrigin, "{path}");
        }
    }
    assert!(app.signed_in(&browser).await.is_some(), "nothing ended");
}

/// An ended session, and one past its idle timeout or its lifetime, never
/// answers `prompt=none`.
#[tokio::test]
async fn an_ended_or_expired_session_is_no_session_at_prompt_none() {
    let app = spawn_oidc().await;
    let shop = Rp::discover(&app, SHOP).await;
    let ended = Browser::new();
    shop.with_code(&app, &ended, &random_email()).await;
    app.post_as(&ended, "/api/session/end", json!({ "everywhere": false }))
        .await;
    prompt_none_is_refused(&app, &ended).await;

    let idle = Browser::new();
    shop.with_code(&app, &idle, &random_email()).await;
    let value = idle.cookie(SESSION).unwrap();
    app.app.clock.advance(7 * 24 * 3600);
    prompt_none_is_refused(&app, &idle).await;
    let kept = Browser::new();
    kept.set(SESSION, &value);
    assert_eq!(app.signed_in(&kept).await, None);

    // Used every few days it never idles out, but ends with its lifetime.
    let used = Browser::new();
    shop.with_code(&app, &used, &random_email()).await;
    let other = Rp::discover(&app, OTHER).await;
    for _ in 0..4 {
        app.app.clock.advance(6 * 24 * 3600);
        let started = other.start(Asking {
            prompt: Some(CoreAuthPrompt::None),
            ..Asking::default()
        });
        let location = OidcApp::location(&app.get_as(&used, &started.url).await);
        assert!(location.contains("code="), "{location}");
    }
    app.app.clock.advance(6 * 24 * 3600);
    prompt_none_is_refused(&app, &used).await;
}

/// `post_logout_redirect_uri` must be a registered one, byte for byte:
/// otherwise an error page, never a redirect.
#[tokio::test]
async fn a_post_logout_redirect_uri_must_match_exactly() {
    let (app, _, _) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let tokens = shop.with_code(&app, &browser, &random_email()).await;
    for near in [
        "http://127.0.0.1:53682/bye/",
        "http://127.0.0.1:53682/Bye",
        "http://127.0.0.1:53682/bye?tenant=b",
        "http://127.0.0.1:53682/bye?x=1",
        "http://127.0.0.1:53682/other",
        "http://127.0.0.1:53683/bye",
        "http://localhost:53682/bye",
        "https://evil.example/bye",
    ] {
        let url = shop.logout_url(Some(&tokens.id_token), Some(near), "s");
        let response = app.get_as(&browser, &url).await;
        expect_error_page(response, Some(near)).await;
    }
    assert!(app.signed_in(&browser).await.is_some(), "nothing ended");
    let registered = format!("{SHOP_BYE}?tenant=a");
    let url = shop.logout_url(Some(&tokens.id_token), Some(&registered), "s");
    assert_eq!(
        OidcApp::location(&app.get_as(&browser, &url).await),
        format!("{registered}&state=s")
    );
}

/// A refresh token works only for the client it was issued to, and not
/// after its session ended.
#[tokio::test]
async fn a_refresh_token_of_another_client_or_after_logout_is_refused() {
    let app = spawn_oidc().await;
    let shop = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let tokens = shop.with_code(&app, &browser, &random_email()).await;
    let refresh = tokens.refresh_token.unwrap();
    let as_other = app
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some((OTHER.id, OTHER.secret.unwrap())),
        )
        .await;
    expect_token_error(as_other, StatusCode::BAD_REQUEST, "invalid_grant").await;
    app.post_as(&browser, "/api/session/end", json!({ "everywhere": false }))
        .await;
    assert_eq!(
        shop.refresh(&refresh).await.err().as_deref(),
        Some("invalid_grant")
    );
}
