//! What a stranger cannot do to an app at `/token`: shut its server out by
//! making it redeem bogus codes, revoke the token of a code they present
//! after it was used, or get past the per-address budgets by sending no
//! address at all.

use super::support::{
    AuthParams, OTHER, OidcApp, SHOP, SHOP_SECOND_URI, SPA, expect_token_error, no_redirects,
    random_token, spawn_oidc, spawn_oidc_with,
};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

const GRANT: (&str, &str) = ("grant_type", "authorization_code");

fn shop_basic() -> Option<(&'static str, &'static str)> {
    Some((SHOP.id, SHOP.secret.unwrap()))
}

/// The form of a redemption of `code` with `params`' redirect URI and verifier.
fn form<'a>(code: &'a str, params: &'a AuthParams) -> Vec<(&'a str, &'a str)> {
    vec![
        GRANT,
        ("code", code),
        ("redirect_uri", params.get("redirect_uri").unwrap()),
        ("code_verifier", &params.verifier),
    ]
}

/// A stranger visits the app's callback with made-up codes, and the app's
/// server, authenticated, tries to redeem each one: each is `invalid_grant`,
/// none is counted against the server's address, and the next genuine
/// sign-in redeems from it.
#[tokio::test]
async fn bogus_codes_the_app_is_made_to_redeem_never_shut_it_out() {
    let app = spawn_oidc().await;
    let server = app.app.client_at("127.0.3.1");
    let verifier = random_token(32);
    let well_formed = format!("{}.{}", random_token(16), random_token(32));
    for bogus in ["x", well_formed.as_str()] {
        for _ in 0..40 {
            let bad = [
                GRANT,
                ("code", bogus),
                ("redirect_uri", SHOP.redirect_uri),
                ("code_verifier", &verifier),
            ];
            let response = app.token_from(&server, &bad, shop_basic()).await;
            expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
        }
    }
    let params = AuthParams::new(SHOP);
    let code = app.code(&params).await;
    let response = app
        .token_from(&server, &form(&code, &params), shop_basic())
        .await;
    assert_eq!(response.status(), StatusCode::OK, "the genuine redemption");
}

/// Guessing secrets is what the address budget bounds: past 30 failed
/// client authentications an hour, an address's failures are answered 429
/// without a write. A request from that address whose client authenticates
/// is never refused by it.
#[tokio::test]
async fn an_address_past_its_guessing_budget_still_redeems_with_the_right_secret() {
    let app = spawn_oidc().await;
    let guesser = app.app.client_at("127.0.3.2");
    let params = AuthParams::new(SHOP);
    let code = app.code(&params).await;
    let guess = Some((SHOP.id, "wrong-secret-0123456789abcdefghijkl"));
    for n in 1..=30 {
        let response = app.token_from(&guesser, &form(&code, &params), guess).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {n}");
    }
    for _ in 0..2 {
        let response = app.token_from(&guesser, &form(&code, &params), guess).await;
        expect_token_error(response, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    }
    let response = app
        .token_from(&guesser, &form(&code, &params), shop_basic())
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the right secret redeems"
    );
}

/// The token a code bought, checked at `/userinfo`.
async fn token_works(app: &OidcApp, token: &str) -> bool {
    match app.userinfo(token).await.status() {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => false,
        other => panic!("userinfo answered {other}"),
    }
}

/// RFC 6749 §4.1.2 revokes the tokens of a code used twice; only the code's
/// own client, authenticated, with the code's redirect URI and verifier,
/// can do that. Anyone else presenting the used code gets `invalid_grant`
/// and changes nothing.
#[tokio::test]
async fn only_the_codes_own_client_revokes_by_presenting_it_again() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP);
    let code = app.code(&params).await;
    let first = app.redeem(SHOP, &code, &params).await;
    let token = first["access_token"].as_str().unwrap();
    assert!(token_works(&app, token).await);

    let wrong_verifier = random_token(32);
    let strangers: Vec<(&str, reqwest::Response)> = vec![
        (
            "another app, its own redirect URI",
            app.redeem_as(OTHER, &code, OTHER.redirect_uri, &params.verifier)
                .await,
        ),
        (
            "another app, the shop's redirect URI",
            app.redeem_as(OTHER, &code, SHOP.redirect_uri, &params.verifier)
                .await,
        ),
        (
            "the public app",
            app.redeem_as(SPA, &code, SHOP.redirect_uri, &params.verifier)
                .await,
        ),
        (
            "the shop's id with a wrong secret",
            app.token(
                &form(&code, &params),
                Some((SHOP.id, "wrong-secret-0123456789abcdefghijkl")),
            )
            .await,
        ),
        (
            "the shop, another of its redirect URIs",
            app.redeem_as(SHOP, &code, SHOP_SECOND_URI, &params.verifier)
                .await,
        ),
        (
            "the shop, another verifier",
            app.redeem_as(SHOP, &code, SHOP.redirect_uri, &wrong_verifier)
                .await,
        ),
    ];
    for (who, response) in strangers {
        assert!(
            matches!(
                response.status(),
                StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED
            ),
            "{who}: {}",
            response.status()
        );
        assert!(token_works(&app, token).await, "{who} revoked the token");
    }

    let response = app.token(&form(&code, &params), shop_basic()).await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(!token_works(&app, token).await, "the shop's replay revokes");
}

/// Behind a proxy that does not say who the client is, `/token` refuses
/// rather than count no address (as send and verify do): 500, in the API's
/// shape, and an error in the log naming `OTP_CLIENT_IP_HEADER`.
#[tokio::test]
async fn token_requests_without_a_client_address_are_refused() {
    let mut app = spawn_oidc_with(&[("OTP_CLIENT_IP_HEADER", "x-client-ip")]).await;
    let mut with_address = HeaderMap::new();
    with_address.insert("x-client-ip", HeaderValue::from_static("203.0.113.9"));
    app.http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(with_address)
        .build()
        .unwrap();
    let params = AuthParams::new(SHOP);
    let code = app.code(&params).await;
    let unknown = no_redirects();
    let response = app
        .token_from(&unknown, &form(&code, &params), shop_basic())
        .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal", "{body}");
    // Nothing was redeemed: with the address, the code still works.
    app.redeem(SHOP, &code, &params).await;
}
