//! Signing out (OpenID Connect RP-Initiated Logout 1.0 and Back-Channel
//! Logout 1.0): an app's logout with the session's own `id_token_hint` ends
//! it at once and goes back to the app's registered URI with `state`;
//! without one the person confirms on the page; every app that got a code in
//! the ended session receives a logout token; "sign out everywhere" ends
//! every session of the address.

use super::browser::{Browser, SESSION, set_cookies};
use super::receiver::{SHOP_BYE, checked_logout_token, spawn_with_receivers};
use super::rp::Rp;
use super::support::{OidcApp, SHOP, random_email};
use otp_api::{LogoutDone, LogoutInfo, SignOutResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `logout` handle of a redirect to the page's confirmation.
fn handle(location: &str) -> String {
    let handle = location
        .strip_prefix("/?logout=")
        .unwrap_or_else(|| panic!("not the page's confirmation: {location}"));
    assert_eq!(handle.len(), 22, "a 128-bit handle");
    handle.to_owned()
}

#[tokio::test]
async fn a_logout_with_the_sessions_own_hint_ends_it_and_tells_the_app() {
    let (app, shop_receiver, other_receiver) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let tokens = shop.with_code(&app, &browser, &random_email()).await;
    assert!(app.signed_in(&browser).await.is_some());

    let url = shop.logout_url(Some(&tokens.id_token), Some(SHOP_BYE), "bye-state");
    let response = app.get_as(&browser, &url).await;
    assert_eq!(
        OidcApp::location(&response),
        format!("{SHOP_BYE}?state=bye-state"),
        "back to the app's registered URI, with its state"
    );
    assert!(
        set_cookies(&response)
            .iter()
            .any(|c| c.name == SESSION && c.max_age() == 0),
        "the session cookie is cleared"
    );
    assert_eq!(browser.cookie(SESSION), None);
    // The session is over in the store, not only in this browser.
    assert_eq!(app.signed_in(&browser).await, None);

    let received = shop_receiver.wait_for(1).await;
    let claims = checked_logout_token(&app, &received[0], SHOP.id).await;
    assert_eq!(claims["sid"], tokens.claims["sid"]);
    assert_eq!(claims["sub"], tokens.claims["sub"]);
    assert!(
        other_receiver.received().is_empty(),
        "the other app got no code in it"
    );
}

#[tokio::test]
async fn a_logout_without_a_hint_waits_for_the_persons_confirmation() {
    let (app, shop_receiver, _) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let browser = Browser::new();
    let email = random_email();
    shop.with_code(&app, &browser, &email).await;

    let url = shop.logout_url(None, Some(SHOP_BYE), "s1");
    let logout = handle(&OidcApp::location(&app.get_as(&browser, &url).await));
    assert!(app.signed_in(&browser).await.is_some(), "nothing ended yet");
    assert!(shop_receiver.received().is_empty());

    let info: LogoutInfo = app
        .post_as(&browser, "/api/logout", json!({ "logout": logout }))
        .await
        .json()
        .await
        .unwrap();
    let normalized = otp::domain::Email::parse(&email).unwrap();
    assert_eq!(info.email.as_deref(), Some(normalized.as_str()));
    assert_eq!(info.client_name.as_deref(), Some(SHOP.name));
    let response = app
        .post_as(&browser, "/api/logout/confirm", json!({ "logout": logout }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let done: LogoutDone = response.json().await.unwrap();
    assert_eq!(
        done.redirect_to.as_deref(),
        Some("http://127.0.0.1:53682/bye?state=s1")
    );
    assert_eq!(app.signed_in(&browser).await, None);
    checked_logout_token(&app, &shop_receiver.wait_for(1).await[0], SHOP.id).await;
    // Used once.
    for path in ["/api/logout", "/api/logout/confirm"] {
        let again = app
            .post_as(&browser, path, json!({ "logout": logout }))
            .await;
        assert_eq!(again.status(), StatusCode::GONE, "{path}");
        // A handle not of its documented form is malformed, not over.
        let mangled = app
            .post_as(&browser, path, json!({ "logout": &logout[1..] }))
            .await;
        assert_eq!(mangled.status(), StatusCode::BAD_REQUEST, "{path}");
        let answer: serde_json::Value = mangled.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "invalid_request", "{path}");
    }
}

/// Another person's hint is no proof: the person here confirms.
#[tokio::test]
async fn a_logout_with_another_persons_hint_is_confirmed_first() {
    let (app, _, _) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let (ann, bob) = (Browser::new(), Browser::new());
    let anns = shop.with_code(&app, &ann, &random_email()).await;
    shop.with_code(&app, &bob, &random_email()).await;
    let url = shop.logout_url(Some(&anns.id_token), None, "s");
    let location = OidcApp::location(&app.get_as(&bob, &url).await);
    handle(&location);
    assert!(app.signed_in(&bob).await.is_some());
    assert!(app.signed_in(&ann).await.is_some());
}

/// Without a session there is nothing to confirm: straight back, or to
/// the page's "You are signed out".
#[tokio::test]
async fn a_logout_without_a_session_goes_straight_back() {
    let (app, _, _) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let nobody = Browser::new();
    let url = shop.logout_url(None, Some(SHOP_BYE), "x");
    assert_eq!(
        OidcApp::location(&app.get_as(&nobody, &url).await),
        format!("{SHOP_BYE}?state=x")
    );
    let url = shop.logout_url(None, None, "x");
    assert_eq!(
        OidcApp::location(&app.get_as(&nobody, &url).await),
        "/?logout=done"
    );
}

/// "Sign out everywhere": every session of the address, on every device,
/// each app told; another person's session stays.
#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_address() {
    let (app, shop_receiver, _) = spawn_with_receivers().await;
    let shop = Rp::discover(&app, SHOP).await;
    let email = random_email();
    let (laptop, phone, stranger) = (Browser::new(), Browser::new(), Browser::new());
    let on_laptop = shop.with_code(&app, &laptop, &email).await;
    let on_phone = shop.with_code(&app, &phone, &email).await;
    shop.with_code(&app, &stranger, &random_email()).await;
    assert_ne!(on_laptop.claims["sid"], on_phone.claims["sid"]);

    let response = app
        .post_as(&phone, "/api/session/end", json!({ "everywhere": true }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: SignOutResponse = response.json().await.unwrap();
    assert_eq!(answer.sessions_ended, 2);
    assert_eq!(app.signed_in(&laptop).await, None);
    assert_eq!(app.signed_in(&phone).await, None);
    assert!(app.signed_in(&stranger).await.is_some());
    let mut sids: Vec<Value> = Vec::new();
    for token in shop_receiver.wait_for(2).await {
        sids.push(checked_logout_token(&app, &token, SHOP.id).await["sid"].clone());
    }
    sids.sort_by_key(|s| s.to_string());
    let mut expected = vec![
        on_laptop.claims["sid"].clone(),
        on_phone.claims["sid"].clone(),
    ];
    expected.sort_by_key(|s| s.to_string());
    assert_eq!(sids, expected);

    // Signing out here only, and without a session at all.
    let again: SignOutResponse = app
        .post_as(
            &stranger,
            "/api/session/end",
            json!({ "everywhere": false }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again.sessions_ended, 1);
    let none: SignOutResponse = app
        .post_as(
            &stranger,
            "/api/session/end",
            json!({ "everywhere": false }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none.sessions_ended, 0);
}
