//! Refresh tokens as an app built on the `openidconnect` crate uses them
//! (OpenID Connect Core §12, RFC 6749 §6, RFC 9700 §4.14): a confidential
//! app's come with its first tokens, rotate at every use, keep the original
//! `auth_time` and `sid`; one used twice revokes its family and ends its
//! session, whose apps are told; they stop with their session.

use super::browser::Browser;
use super::receiver::{checked_logout_token, spawn_with_receivers};
use super::rp::{Asking, Rp};
use super::support::{
    AuthParams, Callback, OTHER, SHOP, SPA, expect_token_error, random_email, sign_in_of,
    spawn_oidc,
};
use otp::domain::Clock;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_refresh_rotates_and_keeps_the_original_authentication() {
    let app = spawn_oidc().await;
    let shop = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let first = shop.with_code(&app, &browser, &random_email()).await;
    let r0 = first
        .refresh_token
        .clone()
        .expect("a confidential app gets a refresh token");

    app.app.clock.advance(3600);
    let second = shop.refresh(&r0).await.expect("the refresh is answered");
    let r1 = second.refresh_token.clone().expect("a new refresh token");
    assert_ne!(r1, r0, "rotated");
    assert_ne!(second.access_token, first.access_token);
    for claim in ["sub", "sid", "auth_time", "aud", "email"] {
        assert_eq!(second.claims[claim], first.claims[claim], "{claim}");
    }
    assert_eq!(second.claims["iat"], app.app.clock.now(), "a new ID token");
    assert!(second.claims.get("nonce").is_none(), "no nonce on refresh");
    // The new access token works at /userinfo, the one it replaced no more.
    assert_eq!(
        app.userinfo(&second.access_token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.userinfo(&first.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // And again, from the new one.
    let third = shop.refresh(&r1).await.expect("the next refresh");
    assert_eq!(third.claims["auth_time"], first.claims["auth_time"]);
}

/// RFC 9700 §4.14.2: a refresh token presented after it was rotated is
/// reuse; the family is revoked, the session ends and its apps are told.
#[tokio::test]
async fn a_reused_refresh_token_revokes_its_family_and_ends_its_session() {
    let (app, shop_receiver, other_receiver) = spawn_with_receivers().await;
    let (shop, other) = (
        Rp::discover(&app, SHOP).await,
        Rp::discover(&app, OTHER).await,
    );
    let browser = Browser::new();
    let email = random_email();
    let first = shop.with_code(&app, &browser, &email).await;
    // A second app got a code in the same session.
    let started = other.start(Asking::default());
    let sign_in = sign_in_of(app.get_as(&browser, &started.url).await);
    let redirect: Value = app
        .post_as(
            &browser,
            "/api/sign-in/continue",
            json!({ "sign_in": sign_in }),
        )
        .await
        .json()
        .await
        .unwrap();
    let code = Callback::parse(
        redirect["redirect_to"].as_str().unwrap(),
        OTHER.redirect_uri,
    )
    .must("code")
    .to_owned();
    let others = other.finish(started, &code).await;

    let r0 = first.refresh_token.unwrap();
    let rotated = shop.refresh(&r0).await.expect("the first use");
    let r1 = rotated.refresh_token.unwrap();
    assert_eq!(
        shop.refresh(&r0).await.err().as_deref(),
        Some("invalid_grant")
    );
    // The whole family is revoked: the newest token and its access token too.
    assert_eq!(
        shop.refresh(&r1).await.err().as_deref(),
        Some("invalid_grant")
    );
    assert_eq!(
        app.userinfo(&rotated.access_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // The session ended; both apps were told, each with its audience.
    assert_eq!(app.signed_in(&browser).await, None);
    let sid = first.claims["sid"].as_str().unwrap();
    for (receiver, client) in [(&shop_receiver, SHOP), (&other_receiver, OTHER)] {
        let tokens = receiver.wait_for(1).await;
        assert_eq!(tokens.len(), 1, "{}: one logout token", client.id);
        let claims = checked_logout_token(&app, &tokens[0], client.id).await;
        assert_eq!(claims["sid"], sid);
        assert_eq!(claims["sub"], first.claims["sub"]);
    }
    // The other app's refresh token is bound to the ended session too.
    let others_refresh = others.refresh_token.unwrap();
    assert_eq!(
        other.refresh(&others_refresh).await.err().as_deref(),
        Some("invalid_grant")
    );
}

#[tokio::test]
async fn a_public_app_gets_no_refresh_token() {
    let app = spawn_oidc().await;
    let params = AuthParams::new(SPA);
    let code = app.code(&params).await;
    let body = app.redeem(SPA, &code, &params).await;
    assert!(body.get("refresh_token").is_none(), "{body}");
    let refused = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    "AAAAAAAAAAAAAAAAAAAAAA.0.00000000000000000000000000000000",
                ),
                ("client_id", SPA.id),
            ],
            None,
        )
        .await;
    expect_token_error(refused, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

/// A refresh may ask for less than was granted, never more.
#[tokio::test]
async fn a_refresh_cannot_widen_the_scope() {
    let app = spawn_oidc().await;
    let shop = Rp::discover(&app, SHOP).await;
    let first = shop.with_code(&app, &Browser::new(), &random_email()).await;
    let refresh = first.refresh_token.unwrap();
    let basic = Some((SHOP.id, SHOP.secret.unwrap()));
    let wider = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("scope", "openid email profile"),
            ],
            basic,
        )
        .await;
    expect_token_error(wider, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let narrower = app
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("scope", "openid"),
            ],
            basic,
        )
        .await;
    assert_eq!(narrower.status(), StatusCode::OK);
}
