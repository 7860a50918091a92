//! An app's sign-in end to end over HTTP: `/authorize`, the page's calls
//! (`/api/sign-in`, send, verify), `/token`, `/userinfo`; the refusals the
//! page's endpoints answer. The relying-party library's view and the full
//! refusal table live in `tests/oidc`.

use crate::support::{TestApp, expect_error, random_email, spawn_app_with};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use otp_api::{ErrorCode, SignInResponse, VerifyResponse};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const SECRET: &str = "s3cret-s3cret-s3cret-s3cret-s3cret";
pub const REDIRECT: &str = "https://app.example/callback";
pub const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdefghij";

pub fn clients() -> String {
    json!([
        {"id": "web", "name": "Web App", "redirect_uris": [REDIRECT], "secret": SECRET},
        {"id": "spa", "name": "Single Page", "redirect_uris": ["http://127.0.0.1:9/cb"]}
    ])
    .to_string()
}

pub async fn spawn() -> TestApp {
    spawn_app_with(&[("OTP_CLIENTS", &clients())]).await
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The `Location` of a `303` answer to `/authorize` with `params`.
pub async fn authorize(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    no_redirects()
        .get(app.url("/authorize"))
        .query(params)
        .send()
        .await
        .unwrap()
}

fn query_of(url: &str) -> Vec<(String, String)> {
    let url = url::Url::parse(url).unwrap();
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Starts a sign-in for the `web` client; returns the page's handle.
pub async fn start(app: &TestApp, scope: &str) -> String {
    let challenge = challenge(VERIFIER);
    let response = authorize(
        app,
        &[
            ("client_id", "web"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "st@te 1"),
            ("nonce", "n0nce"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("login_hint", "ann@example.com"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .strip_prefix("/?sign_in=")
        .expect("the page's address");
    id.to_owned()
}

/// The page's part: send, read the code, verify; returns `redirect_to`.
pub async fn complete(app: &TestApp, sign_in: &str, email: &str) -> String {
    let response = app
        .post(
            "/api/otp/send",
            json!({ "email": email, "sign_in": sign_in }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let flow: Value = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(email, 1).await;
    let response = app
        .post_verify(flow["flow_id"].as_str().unwrap(), &code)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let verified: VerifyResponse = response.json().await.unwrap();
    let again = app
        .post_verify(flow["flow_id"].as_str().unwrap(), &code)
        .await;
    let again: VerifyResponse = again.json().await.unwrap();
    assert_eq!(
        again.redirect_to, verified.redirect_to,
        "a replayed approval gets the same code"
    );
    verified.redirect_to.expect("a redirect back to the app")
}

pub async fn token(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.header(
            "authorization",
            format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
        );
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn an_app_signs_a_person_in_end_to_end() {
    let app = spawn().await;
    let issuer = format!("http://{}", app.addr);

    let discovery: Value = app
        .client
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer.as_str());
    assert_eq!(discovery["token_endpoint"], format!("{issuer}/token"));

    let sign_in = start(&app, "openid email").await;
    let shown: SignInResponse = app
        .post("/api/sign-in", json!({ "sign_in": sign_in }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown.client_name, "Web App");
    assert_eq!(shown.login_hint.as_deref(), Some("ann@example.com"));

    let email = random_email();
    let redirect_to = complete(&app, &sign_in, &email).await;
    assert!(
        redirect_to.starts_with(&format!("{REDIRECT}?code=")),
        "{redirect_to}"
    );
    let query = query_of(&redirect_to);
    assert_eq!(param(&query, "state").as_deref(), Some("st@te 1"));
    assert_eq!(param(&query, "iss").as_deref(), Some(issuer.as_str()));
    let code = param(&query, "code").unwrap();
    // The request is finished: the page cannot show it again.
    let response = app
        .post("/api/sign-in", json!({ "sign_in": sign_in }))
        .await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let response = token(&app, &form, Some(("web", SECRET))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    assert_eq!(tokens["scope"], "openid email");
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();

    // The ID token verifies against the published keys.
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["web"]);
    validation.set_issuer(&[issuer.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["amr"], json!(["otp"]));
    assert_eq!(claims["sub"].as_str().unwrap().len(), 43);
    let at_hash = URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16]);
    assert_eq!(claims["at_hash"], at_hash.as_str());

    let userinfo = |token: String| {
        let client = app.client.clone();
        let url = app.url("/userinfo");
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let response = userinfo(access_token.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["email"], email.as_str());

    // The code again: refused, and the token it gave stops working.
    let response = token(&app, &form, Some(("web", SECRET))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    let response = userinfo(access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"otp\", error=\"invalid_token\""
    );
}

#[tokio::test]
async fn the_page_can_cancel_and_refusals_are_gone() {
    let app = spawn().await;
    let sign_in = start(&app, "openid").await;
    let response = app
        .post("/api/sign-in/cancel", json!({ "sign_in": sign_in }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let query = query_of(body["redirect_to"].as_str().unwrap());
    assert_eq!(param(&query, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(&query, "error_description").as_deref(),
        Some("The person cancelled the sign-in.")
    );
    assert_eq!(param(&query, "state").as_deref(), Some("st@te 1"));
    for path in ["/api/sign-in", "/api/sign-in/cancel"] {
        for id in [sign_in.as_str(), "AAAAAAAAAAAAAAAAAAAAAA"] {
            let response = app.post(path, json!({ "sign_in": id })).await;
            expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
        }
        let response = app.post(path, json!({ "sign_in": "nope" })).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
    // A flow bound to a cancelled request is verified, and says the sign-in is over.
    let email = random_email();
    let response = app
        .post(
            "/api/otp/send",
            json!({ "email": email, "sign_in": sign_in }),
        )
        .await;
    let flow: Value = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(&email, 1).await;
    let response = app
        .post_verify(flow["flow_id"].as_str().unwrap(), &code)
        .await;
    expect_error(response, StatusCode::GONE, ErrorCode::SignInExpired).await;
}

#[tokio::test]
async fn unknown_clients_and_redirects_get_a_page_never_a_redirect() {
    let app = spawn().await;
    let challenge = challenge(VERIFIER);
    let response = authorize(
        &app,
        &[
            ("client_id", "web"),
            ("redirect_uri", "https://evil.example/cb"),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("location").is_none());
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains("redirect address not registered for this app"),
        "{html}"
    );
    assert!(!html.contains("evil.example"));
    assert!(!html.contains("<script"));

    // A valid client and redirect URI: errors go back to the app.
    let response = authorize(
        &app,
        &[
            ("client_id", "web"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "xyz"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap();
    let query = query_of(location);
    assert_eq!(param(&query, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&query, "state").as_deref(), Some("xyz"));
    assert_eq!(param(&query, "iss"), Some(format!("http://{}", app.addr)));
}
