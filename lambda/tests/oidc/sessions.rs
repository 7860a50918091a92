//! The session on the provider's origin, as apps built on the
//! `openidconnect` crate meet it (OpenID Connect Core §3.1.2.1): after one
//! code, another app's `prompt=none` gets a code at once, with the same
//! `sub`, the same `sid` and the original `auth_time`, and no mail; without
//! a session, `login_required`; `prompt=login` and `max_age=0` ask for a
//! fresh code; an `id_token_hint` of another person is never answered
//! silently; "Continue" finishes a sign-in in one press.

use super::browser::{Browser, SESSION};
use super::rp::{Asking, Rp, Tokens};
use super::support::{
    Callback, OTHER, OidcApp, SHOP, expect_error_redirect, random_email, sign_in_of, spawn_oidc,
};
use openidconnect::core::CoreAuthPrompt;
use otp::domain::Clock;
use otp_api::{RedirectResponse, SignInResponse};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// A request of `rp` that the session answers at once: its tokens.
async fn silently(app: &OidcApp, rp: &Rp, browser: &Browser, asking: Asking<'_>) -> Tokens {
    let started = rp.start(asking);
    let location = OidcApp::location(&app.get_as(browser, &started.url).await);
    let callback = Callback::parse(&location, rp.client.redirect_uri);
    assert_eq!(callback.must("state"), started.state.secret().as_str());
    assert_eq!(callback.must("iss"), app.issuer);
    let code = callback.must("code").to_owned();
    rp.finish(started, &code).await
}

/// A request of `rp` that must not be answered silently: `login_required`
/// back to the app, with its `state`.
async fn login_required(app: &OidcApp, rp: &Rp, browser: &Browser, asking: Asking<'_>) {
    let started = rp.start(asking);
    let response = app.get_as(browser, &started.url).await;
    expect_error_redirect(
        &response,
        rp.client.redirect_uri,
        "login_required",
        Some(started.state.secret()),
        &app.issuer,
    );
}

const NONE: Asking<'static> = Asking {
    prompt: Some(CoreAuthPrompt::None),
    max_age: None,
    hint: None,
};

#[tokio::test]
async fn a_second_app_signs_in_silently_with_the_session() {
    let app = spawn_oidc().await;
    let (shop, other) = (
        Rp::discover(&app, SHOP).await,
        Rp::discover(&app, OTHER).await,
    );
    let browser = Browser::new();
    let email = random_email();
    let first = shop.with_code(&app, &browser, &email).await;
    let mails = app.app.inbox.subjects(&email).await.len();
    assert_eq!(mails, 1);
    let sid = first.claims["sid"]
        .as_str()
        .expect("the ID token names its session");
    assert_eq!(sid.len(), 22);

    app.app.clock.advance(90);
    let second = silently(&app, &other, &browser, NONE).await;
    assert_eq!(second.claims["aud"], OTHER.id);
    assert_eq!(second.claims["sub"], first.claims["sub"], "the same person");
    assert_eq!(second.claims["sid"], sid, "the same session");
    assert_eq!(
        second.claims["auth_time"], first.claims["auth_time"],
        "the time of the code, not of this redirect"
    );
    assert_eq!(second.claims["iat"], app.app.clock.now());
    assert_eq!(
        app.app.inbox.subjects(&email).await.len(),
        mails,
        "no mail for a silent sign-in"
    );
    // The same app again, silently, as often as it asks.
    let third = silently(&app, &shop, &browser, NONE).await;
    assert_eq!(third.claims["sid"], sid);
}

#[tokio::test]
async fn without_a_session_prompt_none_is_login_required() {
    let app = spawn_oidc().await;
    let shop = Rp::discover(&app, SHOP).await;
    login_required(&app, &shop, &Browser::new(), NONE).await;
    // A cookie the service never wrote is no session either.
    let forged = Browser::new();
    forged.set(
        SESSION,
        "AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    login_required(&app, &shop, &forged, NONE).await;
}

/// `prompt=login` and `max_age=0` (and a `max_age` the session is older
/// than) are never answered from the session: the page asks for a code,
/// and the ID token's `auth_time` is that new code's.
#[tokio::test]
async fn prompt_login_and_max_age_ask_for_a_fresh_code() {
    let app = spawn_oidc().await;
    let (shop, other) = (
        Rp::discover(&app, SHOP).await,
        Rp::discover(&app, OTHER).await,
    );
    let browser = Browser::new();
    let email = random_email();
    let first = shop.with_code(&app, &browser, &email).await;
    let sid = first.claims["sid"].clone();
    let asks = [
        Asking {
            prompt: Some(CoreAuthPrompt::Login),
            ..Asking::default()
        },
        Asking {
            max_age: Some(Duration::ZERO),
            ..Asking::default()
        },
        Asking {
            max_age: Some(Duration::from_secs(60)),
            ..Asking::default()
        },
    ];
    for (n, asking) in asks.into_iter().enumerate() {
        app.app.clock.advance(120);
        // With prompt=none the same `max_age` is login_required.
        if asking.max_age.is_some() {
            let silent = Asking {
                prompt: Some(CoreAuthPrompt::None),
                ..asking.clone()
            };
            login_required(&app, &other, &browser, silent).await;
        }
        let started = other.start(asking);
        let sign_in = sign_in_of(app.get_as(&browser, &started.url).await);
        let info: SignInResponse = app
            .post_as(&browser, "/api/sign-in", json!({ "sign_in": sign_in }))
            .await
            .json()
            .await
            .unwrap();
        let choice = info.session.expect("the page learns who is signed in");
        assert!(!choice.can_continue, "ask {n}: a fresh code is needed");
        let refused = app
            .post_as(
                &browser,
                "/api/sign-in/continue",
                json!({ "sign_in": sign_in }),
            )
            .await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "ask {n}");
        let before = browser.cookie(SESSION).unwrap();
        let response = app.verify_as(&browser, Some(&sign_in), &email).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_ne!(browser.cookie(SESSION).unwrap(), before, "a new secret");
        assert_eq!(
            app.app.inbox.subjects(&email).await.len(),
            n + 2,
            "one mail more"
        );
        let redirect: serde_json::Value = response.json().await.unwrap();
        let code = Callback::parse(
            redirect["redirect_to"].as_str().unwrap(),
            OTHER.redirect_uri,
        )
        .must("code")
        .to_owned();
        let tokens = other.finish(started, &code).await;
        assert_eq!(
            tokens.claims["auth_time"],
            app.app.clock.now(),
            "the new code's time"
        );
        assert_eq!(tokens.claims["sid"], sid, "the same session, renewed");
    }
}

/// An `id_token_hint` names who the app thinks is signed in: a session of
/// another person never answers it (§3.1.2.1), one of the same person does.
#[tokio::test]
async fn an_id_token_hint_of_another_person_is_never_answered_silently() {
    let app = spawn_oidc().await;
    let (shop, other) = (
        Rp::discover(&app, SHOP).await,
        Rp::discover(&app, OTHER).await,
    );
    let (ann, bob) = (Browser::new(), Browser::new());
    let anns = shop.with_code(&app, &ann, &random_email()).await;
    let bobs = shop.with_code(&app, &bob, &random_email()).await;

    // Bob's browser, Ann's hint.
    let hinting_ann = Asking {
        hint: Some(&anns.id_token),
        ..NONE
    };
    login_required(&app, &other, &bob, hinting_ann).await;
    let started = other.start(Asking {
        hint: Some(&anns.id_token),
        ..Asking::default()
    });
    let sign_in = sign_in_of(app.get_as(&bob, &started.url).await);
    let info: SignInResponse = app
        .post_as(&bob, "/api/sign-in", json!({ "sign_in": sign_in }))
        .await
        .json()
        .await
        .unwrap();
    assert!(!info.session.expect("Bob's session").can_continue);
    let refused = app
        .post_as(&bob, "/api/sign-in/continue", json!({ "sign_in": sign_in }))
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    // Bob's own hint: answered, for Bob.
    let hinting_bob = Asking {
        hint: Some(&bobs.id_token),
        ..NONE
    };
    let again = silently(&app, &other, &bob, hinting_bob).await;
    assert_eq!(again.claims["sub"], bobs.claims["sub"]);
}

/// "Continue to the app as …": one press, no mail, the same session.
#[tokio::test]
async fn continue_finishes_a_sign_in_without_a_mail() {
    let app = spawn_oidc().await;
    let (shop, other) = (
        Rp::discover(&app, SHOP).await,
        Rp::discover(&app, OTHER).await,
    );
    let browser = Browser::new();
    let email = random_email();
    let first = shop.with_code(&app, &browser, &email).await;
    let started = other.start(Asking {
        prompt: Some(CoreAuthPrompt::SelectAccount),
        ..Asking::default()
    });
    let sign_in = sign_in_of(app.get_as(&browser, &started.url).await);
    let info: SignInResponse = app
        .post_as(&browser, "/api/sign-in", json!({ "sign_in": sign_in }))
        .await
        .json()
        .await
        .unwrap();
    let choice = info.session.expect("signed in here");
    assert!(choice.can_continue);
    assert_eq!(choice.email, first.claims["email"].as_str().unwrap());
    // A browser without the cookie sees the request, not the session.
    let stranger: SignInResponse = app
        .post_as(
            &Browser::new(),
            "/api/sign-in",
            json!({ "sign_in": sign_in }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stranger.session, None);
    let response = app
        .post_as(
            &browser,
            "/api/sign-in/continue",
            json!({ "sign_in": sign_in }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let RedirectResponse { redirect_to } = response.json().await.unwrap();
    let code = app.callback_of(&started, &redirect_to, OTHER.redirect_uri);
    let tokens = other.finish(started, &code).await;
    assert_eq!(tokens.claims["sid"], first.claims["sid"]);
    assert_eq!(tokens.claims["auth_time"], first.claims["auth_time"]);
    assert_eq!(app.app.inbox.subjects(&email).await.len(), 1, "no mail");
    // Pressed again: the request is done.
    let again = app
        .post_as(
            &browser,
            "/api/sign-in/continue",
            json!({ "sign_in": sign_in }),
        )
        .await;
    assert_eq!(again.status(), StatusCode::GONE);
}

impl OidcApp {
    /// The code in `redirect_to`, back to `registered` with `started`'s state.
    fn callback_of(
        &self,
        started: &super::rp::Started,
        redirect_to: &str,
        registered: &str,
    ) -> String {
        let callback = Callback::parse(redirect_to, registered);
        assert_eq!(callback.must("state"), started.state.secret().as_str());
        assert_eq!(callback.must("iss"), self.issuer);
        callback.must("code").to_owned()
    }
}
