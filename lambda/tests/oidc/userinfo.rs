//! `/userinfo` (OpenID Connect Core 5.3) with bearer tokens (RFC 6750).

use super::support::{AuthParams, OidcApp, SHOP, SPA, header, random_email, spawn_oidc};
use reqwest::StatusCode;
use serde_json::Value;

/// A signed-in person's access token and the ID token's `sub` and `email`.
async fn access_token(app: &OidcApp) -> (String, String, String) {
    let params = AuthParams::new(SHOP);
    let email = random_email();
    let code = app.sign_in(&params, &email).await.must("code").to_owned();
    let body = app.redeem(SHOP, &code, &params).await;
    let claims = super::support::jwt_parts(body["id_token"].as_str().unwrap()).1;
    (
        body["access_token"].as_str().unwrap().to_owned(),
        claims["sub"].as_str().unwrap().to_owned(),
        email,
    )
}

async fn expect_claims(response: reqwest::Response, sub: &str, email: &str) {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sub"], sub);
    assert_eq!(body["email"], email);
    assert_eq!(body["email_verified"], true);
}

/// 401 with a Bearer challenge; `error` says whether a token was there.
async fn expect_bearer_challenge(response: reqwest::Response, error: Option<&str>) {
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&response, "www-authenticate")
        .expect("WWW-Authenticate (RFC 6750 §3)")
        .to_owned();
    assert!(challenge.starts_with("Bearer"), "{challenge:?}");
    assert!(challenge.contains("realm="), "{challenge:?}");
    match error {
        Some(error) => assert!(
            challenge.contains(&format!("error=\"{error}\"")),
            "{challenge:?}"
        ),
        // RFC 6750 §3.1: no error code when no authentication was attempted.
        None => assert!(!challenge.contains("error="), "{challenge:?}"),
    }
}

#[tokio::test]
async fn userinfo_answers_get_and_post() {
    let app = spawn_oidc().await;
    let (token, sub, email) = access_token(&app).await;
    expect_claims(app.userinfo(&token).await, &sub, &email).await;

    let response = app
        .http
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_claims(response, &sub, &email).await;

    // RFC 6750 §2.2: the form-encoded body parameter.
    let response = app
        .http
        .post(app.url("/userinfo"))
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    expect_claims(response, &sub, &email).await;

    // RFC 7235 §2.1: the scheme is case-insensitive.
    let response = app
        .http
        .get(app.url("/userinfo"))
        .header("authorization", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    expect_claims(response, &sub, &email).await;
}

#[tokio::test]
async fn userinfo_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_oidc().await;
    expect_bearer_challenge(app.get("/userinfo").await, None).await;
    let response = app.http.post(app.url("/userinfo")).send().await.unwrap();
    expect_bearer_challenge(response, None).await;
}

#[tokio::test]
async fn bad_tokens_are_401_invalid_token() {
    let app = spawn_oidc().await;
    let (token, _, _) = access_token(&app).await;
    let (handle, secret) = token.split_once('.').unwrap();
    let mut flipped = secret.to_owned().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let flipped = format!("{handle}.{}", String::from_utf8(flipped).unwrap());
    let other_handle = format!("{}.{secret}", super::support::random_token(16));
    for bad in [
        flipped.as_str(),
        other_handle.as_str(),
        handle,
        &token[..token.len() - 1],
        "x",
    ] {
        expect_bearer_challenge(app.userinfo(bad).await, Some("invalid_token")).await;
    }
    // The code is no token.
    let params = AuthParams::new(SPA);
    let code = app.code(&params).await;
    expect_bearer_challenge(app.userinfo(&code).await, Some("invalid_token")).await;
}

/// RFC 6750 §3.1: a request "attempted using an unsupported authentication
/// method" lacks authentication information for this resource, and then
/// the challenge SHOULD NOT include an error code.
#[tokio::test]
async fn another_authorization_scheme_is_no_bearer_token() {
    let app = spawn_oidc().await;
    let response = app
        .http
        .get(app.url("/userinfo"))
        .header("authorization", "Basic c2hvcDpzZWNyZXQ=")
        .send()
        .await
        .unwrap();
    expect_bearer_challenge(response, None).await;
}

/// RFC 6750 §2: one method per request; two are `invalid_request` (§3.1: 400).
#[tokio::test]
async fn a_token_sent_two_ways_is_invalid_request() {
    let app = spawn_oidc().await;
    let (token, _, _) = access_token(&app).await;
    let response = app
        .http
        .post(app.url("/userinfo"))
        .bearer_auth(&token)
        .form(&[("access_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let challenge = header(&response, "www-authenticate").unwrap_or_default();
    assert!(
        challenge.contains("error=\"invalid_request\""),
        "{challenge:?}"
    );
}

/// An access token lives 600 s.
#[tokio::test]
async fn an_access_token_expires_after_ten_minutes() {
    let app = spawn_oidc().await;
    let (token, sub, email) = access_token(&app).await;
    app.app.clock.advance(599);
    expect_claims(app.userinfo(&token).await, &sub, &email).await;
    app.app.clock.advance(1);
    expect_bearer_challenge(app.userinfo(&token).await, Some("invalid_token")).await;
}

/// Browser apps call it from their own origin.
#[tokio::test]
async fn userinfo_allows_cross_origin_calls_with_authorization() {
    let app = spawn_oidc().await;
    let response = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/userinfo"))
        .header("origin", "https://spa.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "preflight: {}",
        response.status()
    );
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    let allowed = header(&response, "access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Named: a `*` would not cover Authorization (Fetch standard, CORS).
    assert!(
        allowed.contains("authorization"),
        "Authorization allowed: {allowed:?}"
    );

    let (token, _, _) = access_token(&app).await;
    let response = app
        .http
        .get(app.url("/userinfo"))
        .header("origin", "https://spa.example")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
}
