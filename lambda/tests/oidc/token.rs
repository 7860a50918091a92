//! `POST /token`: the code exchange (RFC 6749 §4.1.3, §5; RFC 7636 §4.5–4.6;
//! OpenID Connect Core 3.1.3), what it refuses and how.

use super::support::{
    AuthParams, OTHER, OidcApp, SHOP, SHOP_SECOND_URI, SPA, at_hash, basic_auth,
    expect_token_error, header, jwt_parts, random_email, random_token, s256, spawn_oidc,
    verified_claims,
};
use futures_util::future::join_all;
use otp::domain::Clock;
use reqwest::StatusCode;
use serde_json::Value;

const GRANT: (&str, &str) = ("grant_type", "authorization_code");

/// A code of the shop, its request's parameters.
async fn shop_code(app: &OidcApp) -> (String, AuthParams) {
    let params = AuthParams::new(SHOP);
    (app.code(&params).await, params)
}

/// The form of a correct redemption of `code`.
fn form<'a>(code: &'a str, params: &'a AuthParams) -> Vec<(&'a str, &'a str)> {
    vec![
        GRANT,
        ("code", code),
        ("redirect_uri", params.get("redirect_uri").unwrap()),
        ("code_verifier", &params.verifier),
    ]
}

fn shop_basic() -> Option<(&'static str, &'static str)> {
    Some((SHOP.id, SHOP.secret.unwrap()))
}

/// A refused client authentication: 401 `invalid_client` with a Basic
/// challenge (RFC 6749 §5.2).
async fn expect_invalid_client(response: reqwest::Response) {
    let challenge = header(&response, "www-authenticate").map(str::to_owned);
    expect_token_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let challenge = challenge.expect("WWW-Authenticate with invalid_client");
    assert!(
        challenge.starts_with("Basic") && challenge.contains("realm="),
        "a Basic challenge with a realm: {challenge:?}"
    );
}

#[tokio::test]
async fn the_token_answer_carries_a_valid_id_token() {
    let app = spawn_oidc().await;
    let email = random_email();
    let params = AuthParams::new(SHOP);
    let callback = app.sign_in(&params, &email).await;
    let code = callback.must("code");
    // The app redeems a while after the person proved the address.
    let approved_at = app.app.clock.now();
    app.app.clock.advance(30);
    let response = app
        .redeem_as(SHOP, code, SHOP.redirect_uri, &params.verifier)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(header(&response, "pragma"), Some("no-cache"));
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();

    assert!(
        body["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("bearer")
    );
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], "openid email");
    assert!(body.get("refresh_token").is_none(), "no refresh tokens");
    let access_token = body["access_token"].as_str().unwrap();
    let (handle, secret) = access_token.split_once('.').expect("<handle>.<secret>");
    assert_eq!(handle, code.split_once('.').unwrap().0);
    assert_eq!(secret.len(), 43, "256 random bits");

    let id_token = body["id_token"].as_str().unwrap();
    let (header, _) = jwt_parts(id_token);
    assert_eq!(header["typ"], "JWT");
    let claims = verified_claims(&app, id_token, SHOP.id).await;
    let now = app.app.clock.now();
    assert_eq!(claims["iss"], app.issuer.as_str());
    assert_eq!(claims["aud"], SHOP.id);
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 300);
    assert_eq!(
        claims["auth_time"], approved_at,
        "when the code was verified"
    );
    assert_eq!(claims["nonce"], params.get("nonce").unwrap());
    assert_eq!(claims["amr"], serde_json::json!(["otp"]));
    assert_eq!(claims["at_hash"], at_hash(access_token));
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["sub"].as_str().unwrap().len(), 43);
}

#[tokio::test]
async fn without_the_email_scope_there_is_no_email() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SPA).set("scope", "openid").remove("nonce");
    let code = app.code(&params).await;
    let body = app.redeem(SPA, &code, &params).await;
    assert_eq!(body["scope"], "openid");
    let claims = verified_claims(&app, body["id_token"].as_str().unwrap(), SPA.id).await;
    assert!(claims.get("email").is_none(), "{claims}");
    assert!(claims.get("email_verified").is_none(), "{claims}");
    assert!(claims.get("nonce").is_none(), "no nonce asked, none given");
    let info: Value = app
        .userinfo(body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert!(info.get("email").is_none(), "{info}");
}

/// Other scopes are ignored: the granted scope is `openid email`.
#[tokio::test]
async fn unknown_scopes_are_not_granted() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP).set("scope", "profile openid offline_access email");
    let code = app.code(&params).await;
    let body = app.redeem(SHOP, &code, &params).await;
    let mut scope: Vec<&str> = body["scope"].as_str().unwrap().split(' ').collect();
    scope.sort();
    assert_eq!(scope, ["email", "openid"]);
    assert!(body.get("refresh_token").is_none());
}

#[tokio::test]
async fn client_secret_post_and_the_public_client_redeem() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let mut post = form(&code, &params);
    post.push(("client_id", SHOP.id));
    post.push(("client_secret", SHOP.secret.unwrap()));
    let response = app.token(&post, None).await;
    assert_eq!(response.status(), StatusCode::OK, "client_secret_post");

    let params = AuthParams::new(SPA);
    let code = app.code(&params).await;
    let response = app
        .redeem_as(SPA, &code, SPA.redirect_uri, &params.verifier)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "public client");
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
}

/// Forms often say their charset (`; charset=UTF-8`): still a form.
#[tokio::test]
async fn a_form_with_a_charset_parameter_is_a_form() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form(&code, &params))
        .finish();
    let response = app
        .http
        .post(app.url("/token"))
        .header("authorization", basic_auth(SHOP.id, SHOP.secret.unwrap()))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// RFC 7636 §4.1: verifiers of 43 to 128 unreserved characters, `-._~` included.
#[tokio::test]
async fn verifiers_at_both_length_bounds_redeem() {
    let app = spawn_oidc().await;
    for verifier in [
        format!("{}-._~", "a".repeat(39)),
        format!("{}-._~", "Z9".repeat(62)),
    ] {
        assert!(verifier.len() == 43 || verifier.len() == 128);
        let mut params = AuthParams::new(SHOP).set("code_challenge", &s256(&verifier));
        params.verifier = verifier;
        let code = app.code(&params).await;
        app.redeem(SHOP, &code, &params).await;
    }
}

// ---------------------------------------------------------------------------
// invalid_grant

/// RFC 7636 §4.6: the verifier must hash to the challenge. A refused
/// redemption changes nothing: the right verifier still redeems.
#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let other = random_token(32);
    let mut wrong = form(&code, &params);
    wrong[3] = ("code_verifier", &other);
    let response = app.token(&wrong, shop_basic()).await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The challenge itself is not the verifier (that would be `plain`).
    let challenge = params.get("code_challenge").unwrap();
    let mut plain = form(&code, &params);
    plain[3] = ("code_verifier", challenge);
    let response = app.token(&plain, shop_basic()).await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    app.redeem(SHOP, &code, &params).await;
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]`.
#[tokio::test]
async fn a_malformed_code_verifier_is_invalid_request() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let short = "a".repeat(42);
    let long = "a".repeat(129);
    let bad_chars = format!("{}+/=", "a".repeat(40));
    for verifier in [short.as_str(), long.as_str(), bad_chars.as_str(), ""] {
        let mut bad = form(&code, &params);
        bad[3] = ("code_verifier", verifier);
        let response = app.token(&bad, shop_basic()).await;
        expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
}

/// RFC 6749 §4.1.2: a code is used once; a second presentation is refused
/// and the tokens issued for it are revoked.
#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_the_access_token() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let first = app.redeem(SHOP, &code, &params).await;
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo(access_token).await.status(), StatusCode::OK);

    let response = app.token(&form(&code, &params), shop_basic()).await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let response = app.userinfo(access_token).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = header(&response, "www-authenticate").unwrap_or_default();
    assert!(challenge.contains("invalid_token"), "{challenge:?}");
}

/// A code lives 60 s from the approval.
#[tokio::test]
async fn a_code_expires_after_sixty_seconds() {
    let app = spawn_oidc().await;
    let (fresh, fresh_params) = shop_code(&app).await;
    let (stale, stale_params) = shop_code(&app).await;
    app.app.clock.advance(59);
    app.redeem(SHOP, &fresh, &fresh_params).await;
    app.app.clock.advance(2);
    let response = app.token(&form(&stale, &stale_params), shop_basic()).await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

/// RFC 6749 §4.1.3: the code was issued to another client.
#[tokio::test]
async fn another_clients_code_is_refused() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let response = app
        .redeem_as(OTHER, &code, SHOP.redirect_uri, &params.verifier)
        .await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = app
        .redeem_as(OTHER, &code, OTHER.redirect_uri, &params.verifier)
        .await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = app
        .redeem_as(SPA, &code, SHOP.redirect_uri, &params.verifier)
        .await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The shop's own code is still the shop's.
    app.redeem(SHOP, &code, &params).await;

    // And the public client's code needs the public client.
    let spa = AuthParams::new(SPA);
    let code = app.code(&spa).await;
    let response = app
        .redeem_as(SHOP, &code, SPA.redirect_uri, &spa.verifier)
        .await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

/// RFC 6749 §4.1.3: `redirect_uri` identical to the authorization request's.
#[tokio::test]
async fn another_redirect_uri_is_refused() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    for other in [
        SHOP_SECOND_URI,
        "http://127.0.0.1:53682/callback/",
        "http://evil.example/",
    ] {
        let mut wrong = form(&code, &params);
        wrong[2] = ("redirect_uri", other);
        let response = app.token(&wrong, shop_basic()).await;
        expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

#[tokio::test]
async fn unknown_or_malformed_codes_are_invalid_grant() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let (handle, secret) = code.split_once('.').unwrap();
    let flipped = format!("{handle}.{}", random_token(32));
    let unknown = format!("{}.{secret}", random_token(16));
    let truncated = &code[..code.len() - 1];
    for bad in [
        flipped.as_str(),
        unknown.as_str(),
        truncated,
        handle,
        "x",
        "...",
    ] {
        let mut wrong = form(&code, &params);
        wrong[1] = ("code", bad);
        let response = app.token(&wrong, shop_basic()).await;
        expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
    app.redeem(SHOP, &code, &params).await;
}

// ---------------------------------------------------------------------------
// invalid_client: 401 with WWW-Authenticate, nothing spent.

/// A row of the client authentication table: its name, the form, the
/// `Authorization` header.
type AuthRow<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<String>);

#[tokio::test]
async fn failed_client_authentication_is_401_invalid_client() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let secret = SHOP.secret.unwrap();
    let longer = format!("{secret}x");
    let shorter = &secret[..secret.len() - 1];
    let base = form(&code, &params);
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut f = base.clone();
        f.extend_from_slice(extra);
        f
    };
    // The right secret put into Basic raw, not form-urlencoded first
    // (RFC 6749 §2.3.1): decoded, `+` is a space and `%41` an `A`, so it is
    // another secret.
    let raw_basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", SHOP.id, secret)
        )
    );
    let rows: Vec<AuthRow> = vec![
        (
            "basic: wrong secret",
            base.clone(),
            Some(basic_auth(SHOP.id, "wrong-secret-0123456789abcdefghijkl")),
        ),
        (
            "basic: another client's secret",
            base.clone(),
            Some(basic_auth(SHOP.id, OTHER.secret.unwrap())),
        ),
        (
            "basic: secret plus a character",
            base.clone(),
            Some(basic_auth(SHOP.id, &longer)),
        ),
        (
            "basic: secret less a character",
            base.clone(),
            Some(basic_auth(SHOP.id, shorter)),
        ),
        (
            "basic: empty secret",
            base.clone(),
            Some(basic_auth(SHOP.id, "")),
        ),
        (
            "basic: unknown client",
            base.clone(),
            Some(basic_auth("nobody", secret)),
        ),
        (
            "basic: not base64",
            base.clone(),
            Some("Basic !!!".to_owned()),
        ),
        (
            "basic: secret not form-urlencoded",
            base.clone(),
            Some(raw_basic),
        ),
        (
            "post: wrong secret",
            with(&[
                ("client_id", SHOP.id),
                ("client_secret", "wrong-secret-0123456789abcdefghijkl"),
            ]),
            None,
        ),
        (
            "post: missing secret (confidential client)",
            with(&[("client_id", SHOP.id)]),
            None,
        ),
        (
            "post: unknown client",
            with(&[("client_id", "nobody")]),
            None,
        ),
        ("no client at all", base.clone(), None),
        (
            "public client sends a secret",
            with(&[
                ("client_id", SPA.id),
                ("client_secret", "anything-0123456789abcdefghijklmnop"),
            ]),
            None,
        ),
        (
            "both basic and post",
            with(&[("client_id", SHOP.id), ("client_secret", secret)]),
            Some(basic_auth(SHOP.id, secret)),
        ),
        (
            "basic for one client, client_id of another",
            with(&[("client_id", SPA.id)]),
            Some(basic_auth(SHOP.id, secret)),
        ),
    ];
    let mut failed = Vec::new();
    for (name, form, authorization) in &rows {
        let mut request = app.http.post(app.url("/token")).form(form);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        let outcome = tokio::spawn(expect_invalid_client(response)).await;
        if outcome.is_err() {
            eprintln!("row failed: {name}");
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "rows failed: {failed:?}");
    // None of it spent the code.
    app.redeem(SHOP, &code, &params).await;
}

// ---------------------------------------------------------------------------
// invalid_request, unsupported_grant_type

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    for grant in [
        "password",
        "refresh_token",
        "client_credentials",
        "implicit",
        "AUTHORIZATION_CODE",
    ] {
        let mut f = form(&code, &params);
        f[0] = ("grant_type", grant);
        f.push(("username", "ann@example.com"));
        f.push(("password", "hunter2"));
        let response = app.token(&f, shop_basic()).await;
        expect_token_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    }
}

#[tokio::test]
async fn missing_or_repeated_parameters_are_invalid_request() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let full = form(&code, &params);
    for missing in ["grant_type", "code", "redirect_uri", "code_verifier"] {
        let f: Vec<_> = full
            .iter()
            .copied()
            .filter(|(k, _)| *k != missing)
            .collect();
        let response = app.token(&f, shop_basic()).await;
        let body = expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        eprintln!("without {missing}: {body}");
    }
    for repeated in 0..full.len() {
        let mut f = full.clone();
        f.push(full[repeated]);
        let response = app.token(&f, shop_basic()).await;
        expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    app.redeem(SHOP, &code, &params).await;
}

/// RFC 6749 §4.1.3: `application/x-www-form-urlencoded` only.
#[tokio::test]
async fn other_content_types_are_invalid_request() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let json: serde_json::Map<String, Value> = form(&code, &params)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    let response = app
        .http
        .post(app.url("/token"))
        .header("authorization", basic_auth(SHOP.id, SHOP.secret.unwrap()))
        .json(&json)
        .send()
        .await
        .unwrap();
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form(&code, &params))
        .finish();
    for content_type in [
        None,
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let mut request = app
            .http
            .post(app.url("/token"))
            .header("authorization", basic_auth(SHOP.id, SHOP.secret.unwrap()))
            .body(body.clone());
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        let response = request.send().await.unwrap();
        expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    app.redeem(SHOP, &code, &params).await;
}

// ---------------------------------------------------------------------------
// Races and budgets.

/// One code, 50 redemptions at once by its own client, each from its own
/// address: exactly one wins; the others are refused and, the code's own
/// client having presented it again, revoke the winner's token.
#[tokio::test]
async fn fifty_parallel_redemptions_of_one_code_yield_one_token() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let f = form(&code, &params);
    let requests = (0..50u8).map(|i| {
        let client = app.app.client_at(&format!("127.0.0.{}", 10 + i));
        let request = client
            .post(app.url("/token"))
            .header("authorization", basic_auth(SHOP.id, SHOP.secret.unwrap()))
            .form(&f);
        async move {
            let response = request.send().await.expect("the request reaches the app");
            let status = response.status();
            let body: Value = response.json().await.expect("a JSON answer");
            (status, body)
        }
    });
    let answers = join_all(requests).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one 200: {answers:?}");
    for (status, body) in &answers {
        if *status != StatusCode::OK {
            assert_eq!(*status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }
    }
    let token = winners[0]["access_token"].as_str().unwrap();
    let response = app.userinfo(token).await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the replays revoked the token"
    );
}

/// Failed client authentications are counted per address: 30 an hour, then
/// 429 with `Retry-After`.
#[tokio::test]
async fn failed_client_authentications_past_the_address_budget_are_429() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let guess = Some((SHOP.id, "wrong-secret-0123456789abcdefghijkl"));
    for n in 1..=30 {
        let response = app.token(&form(&code, &params), guess).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "failure {n} is within the budget"
        );
    }
    let response = app.token(&form(&code, &params), guess).await;
    expect_too_many(response).await;
    // Unknown clients count for the address too.
    let response = app
        .token(&form(&code, &params), Some(("nobody", "secret")))
        .await;
    expect_too_many(response).await;
    // Another address is not this one.
    let elsewhere = app.app.client_at("127.0.0.9");
    let response = app
        .token_from(&elsewhere, &form(&code, &params), guess)
        .await;
    expect_invalid_client(response).await;
}

/// And per registered client: 60 an hour, whatever the addresses. Counted
/// after the fact and never refusing an authenticated request, so the app's
/// own server still redeems (strangers cannot lock the app out).
#[tokio::test]
async fn failed_client_authentications_past_the_client_budget_are_429() {
    let app = spawn_oidc().await;
    let (code, params) = shop_code(&app).await;
    let guess = Some((SHOP.id, "wrong-secret-0123456789abcdefghijkl"));
    let addresses: Vec<reqwest::Client> = (0..3)
        .map(|i| app.app.client_at(&format!("127.0.1.{}", 10 + i)))
        .collect();
    for n in 0..60 {
        let response = app
            .token_from(&addresses[n % 3], &form(&code, &params), guess)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "failure {} is within the budget",
            n + 1
        );
    }
    let fresh = app.app.client_at("127.0.1.99");
    let response = app.token_from(&fresh, &form(&code, &params), guess).await;
    expect_too_many(response).await;
    // Another app's budget is its own.
    let response = app
        .token_from(
            &fresh,
            &form(&code, &params),
            Some((OTHER.id, "wrong-secret-0123456789abcdefghijkl")),
        )
        .await;
    expect_invalid_client(response).await;
    let server = app.app.client_at("127.0.1.10");
    let response = app
        .token_from(&server, &form(&code, &params), shop_basic())
        .await;
    assert_eq!(response.status(), StatusCode::OK, "a good redemption");
}

async fn expect_too_many(response: reqwest::Response) {
    let retry_after = header(&response, "retry-after").map(str::to_owned);
    let body = expect_token_error(response, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    assert!(body["error_description"].is_string());
    let secs: u64 = retry_after
        .expect("Retry-After")
        .parse()
        .expect("Retry-After in seconds");
    assert!((1..=3600).contains(&secs), "Retry-After {secs}");
}
