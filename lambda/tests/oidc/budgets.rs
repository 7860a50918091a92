//! The per-client budgets of the provider's endpoints that reach the store:
//! `/authorize` (a stored request each), the page's `/api/sign-in` and
//! `/api/sign-in/cancel`, and `/userinfo` (its failures). Each is refused in
//! memory, before any store call, with a 429 and `Retry-After` in the
//! endpoint's own shape; a request without a client address is refused.

use super::support::{
    AuthParams, OidcApp, SHOP, header, no_redirects, random_token, spawn_oidc_with,
};
use crate::support::expect_retry_after;
use otp_api::ErrorCode;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

/// A client of `app` at another loopback address that follows no redirects.
fn client_at(source: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(source.parse::<std::net::IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The seconds left in the clock hour of `app`, the wait every in-memory
/// refusal states.
fn rest_of_hour(app: &OidcApp) -> u64 {
    use otp::domain::Clock;
    3600 - app.app.clock.now() % 3600
}

#[tokio::test]
async fn authorize_is_budgeted_per_client() {
    let app = spawn_oidc_with(&[("OTP_AUTHORIZES_PER_IP_PER_HOUR", "3")]).await;
    for _ in 0..3 {
        app.begin(&AuthParams::new(SHOP)).await;
    }
    let response = app.authorize(&AuthParams::new(SHOP)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(header(&response, "location"), None, "never a redirect");
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(
        header(&response, "retry-after"),
        Some(rest_of_hour(&app).to_string().as_str())
    );
    assert!(
        header(&response, "content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "the person's browser gets a page"
    );
    // Another client has its own budget.
    let response = client_at("127.0.4.1")
        .get(app.url(&format!("/authorize?{}", AuthParams::new(SHOP).query())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_pages_sign_in_steps_are_budgeted_per_client() {
    let app = spawn_oidc_with(&[
        ("OTP_SIGN_IN_READS_PER_IP_PER_HOUR", "2"),
        ("OTP_SIGN_IN_CANCELS_PER_IP_PER_HOUR", "1"),
    ])
    .await;
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    app.expect_sign_in_info(&sign_in).await;
    app.expect_sign_in_info(&sign_in).await;
    let response = app.sign_in_info(&sign_in).await;
    expect_retry_after(response, ErrorCode::RateLimited, rest_of_hour(&app)).await;

    let unknown = "AAAAAAAAAAAAAAAAAAAAAA";
    let response = app.cancel(unknown).await;
    assert_eq!(response.status(), StatusCode::GONE);
    let response = app.cancel(&sign_in).await;
    expect_retry_after(response, ErrorCode::RateLimited, rest_of_hour(&app)).await;
}

/// `/userinfo` counts what gets no claims: an app's server calling it with
/// the tokens it holds is never refused, a client presenting made-up tokens
/// is, before any lookup, and so is anything else it sends that hour.
#[tokio::test]
async fn userinfo_failures_are_budgeted_per_client() {
    let app = spawn_oidc_with(&[("OTP_USERINFO_FAILURES_PER_IP_PER_HOUR", "2")]).await;
    let params = AuthParams::new(SHOP);
    let code = app.code(&params).await;
    let body = app.redeem(SHOP, &code, &params).await;
    let token = body["access_token"].as_str().unwrap();
    for _ in 0..5 {
        assert_eq!(app.userinfo(token).await.status(), StatusCode::OK);
    }
    let made_up = format!("{}.{}", random_token(16), random_token(32));
    for _ in 0..2 {
        let response = app.userinfo(&made_up).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    for presented in [made_up.as_str(), token] {
        let response = app.userinfo(presented).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            header(&response, "retry-after"),
            Some(rest_of_hour(&app).to_string().as_str())
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{body}");
    }
    let response = client_at("127.0.4.2")
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "another client");
}

/// Behind a proxy that does not say who the client is, no budget is
/// skipped: each of these endpoints refuses (500) rather than count nobody.
#[tokio::test]
async fn the_endpoints_refuse_requests_without_a_client_address() {
    let app = spawn_oidc_with(&[("OTP_CLIENT_IP_HEADER", "x-client-ip")]).await;
    let unknown = no_redirects();
    let response = unknown
        .get(app.url(&format!("/authorize?{}", AuthParams::new(SHOP).query())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(header(&response, "location"), None);

    let mut with_address = HeaderMap::new();
    with_address.insert("x-client-ip", HeaderValue::from_static("203.0.113.9"));
    let known = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(with_address)
        .build()
        .unwrap();
    let response = known
        .get(app.url(&format!("/authorize?{}", AuthParams::new(SHOP).query())))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "with the header");
    let sign_in = super::support::sign_in_of(response);
    for path in ["/api/sign-in", "/api/sign-in/cancel"] {
        let response = unknown
            .post(app.url(path))
            .json(&serde_json::json!({ "sign_in": sign_in }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "internal", "{path}: {body}");
    }
    let response = unknown
        .get(app.url("/userinfo"))
        .bearer_auth(format!("{sign_in}.{}", random_token(32)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
