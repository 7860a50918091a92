//! A resend within the code's lifetime mails the same code and keeps its
//! expiry, so the code of any message that arrives works; once the code
//! has expired, a resend mails a fresh one; spent tries are never given back.

use crate::support::{Inbox, TestApp, expect_error, random_email, spawn_app, wrong};
use otp_api::{ErrorCode, ResendResponse};
use reqwest::StatusCode;

/// The "expires in" sentence of each message to `to`, oldest first.
async fn stated_expiries(app: &TestApp, to: &str) -> Vec<String> {
    let sentence = |text: &str| {
        text.lines()
            .find(|line| line.contains("It expires in"))
            .map(|line| line.trim().to_owned())
            .unwrap_or_else(|| panic!("no expiry in {text:?}"))
    };
    if let Some(messages) = app.inbox.maildev_messages(to).await {
        return messages
            .iter()
            .map(|m| sentence(m["text"].as_str().unwrap_or_default()))
            .collect();
    }
    let Inbox::Outbox { dir } = &app.inbox else {
        unreachable!("maildev answered above")
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .filter(|text| text.lines().any(|l| l == format!("To: {to}")))
        .map(|text| sentence(&text))
        .collect()
}

async fn resend(app: &TestApp, flow_id: &str) -> ResendResponse {
    let response = app.post_resend(flow_id).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    response.json().await.unwrap()
}

/// Sent again a minute and a second later, the message carries the same
/// code, says it expires in 9 minutes (what is left of its 10, rounded up),
/// and the answer counts down from the first send. The code of the first
/// message then approves; a wrong try before the resend stays spent.
#[tokio::test]
async fn a_resend_mails_the_same_code_with_the_same_expiry() {
    let app = spawn_app().await;
    let email = random_email();
    let (sent, first) = app.start_flow(&email).await;
    app.post_verify(&sent.flow_id, &wrong(&first)).await;
    app.clock.advance(61);

    let resent = resend(&app, &sent.flow_id).await;
    assert_eq!((resent.expires_in, resent.resend_in), (539, 60));
    let second = app.inbox.wait_for_code(&email, 2).await;
    assert_eq!(second, first, "the same code");
    assert_eq!(
        stated_expiries(&app, &email).await,
        [
            "Enter it on the page where you asked for it. It expires in 10 minutes.",
            "Enter it on the page where you asked for it. It expires in 9 minutes.",
        ]
    );
    let response = app.post_verify(&sent.flow_id, &wrong(&first)).await;
    let body = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::WrongCode,
    )
    .await;
    assert_eq!(body.error.attempts_left, Some(3));
    assert_eq!(
        app.post_verify(&sent.flow_id, &first).await.status(),
        StatusCode::OK
    );
}

/// A resend does not restart the expiry: the code of both messages
/// expires ten minutes after the first.
#[tokio::test]
async fn a_resent_code_expires_with_the_first() {
    let app = spawn_app().await;
    let email = random_email();
    let (sent, code) = app.start_flow(&email).await;
    app.clock.advance(300);
    assert_eq!(resend(&app, &sent.flow_id).await.expires_in, 300);
    app.clock.advance(300);
    let response = app.post_verify(&sent.flow_id, &code).await;
    expect_error(response, StatusCode::GONE, ErrorCode::Expired).await;
}

/// Once the code has expired, a resend mails a fresh code that lives ten
/// minutes from then; the expired one is wrong (and costs a try), the
/// fresh one approves, and the try spent before stays spent.
#[tokio::test]
async fn a_resend_after_the_code_expired_mails_a_fresh_code() {
    let app = spawn_app().await;
    let email = random_email();
    let (sent, old) = app.start_flow(&email).await;
    app.post_verify(&sent.flow_id, &wrong(&old)).await;
    app.clock.advance(600);
    let response = app.post_verify(&sent.flow_id, &old).await;
    expect_error(response, StatusCode::GONE, ErrorCode::Expired).await;

    let resent = resend(&app, &sent.flow_id).await;
    assert_eq!((resent.expires_in, resent.resend_in), (600, 60));
    let fresh = app.inbox.wait_for_code(&email, 2).await;
    assert_eq!(
        stated_expiries(&app, &email).await[1],
        "Enter it on the page where you asked for it. It expires in 10 minutes."
    );
    // One code in a million is the old one again; then there is nothing
    // to tell apart.
    if fresh != old {
        let response = app.post_verify(&sent.flow_id, &old).await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongCode,
        )
        .await;
        assert_eq!(body.error.attempts_left, Some(3));
    }
    app.clock.advance(599);
    assert_eq!(
        app.post_verify(&sent.flow_id, &fresh).await.status(),
        StatusCode::OK
    );
}

/// Spent tries are never given back: no resend, before or after the
/// expiry, revives the flow. A flow past the day it is kept after its
/// expiry gets no fresh code either.
#[tokio::test]
async fn no_resend_revives_spent_tries_or_a_flow_expired_a_day_ago() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    for _ in 0..5 {
        app.post_verify(&sent.flow_id, &wrong(&code)).await;
    }
    app.clock.advance(60);
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyAttempts,
    )
    .await;
    app.clock.advance(600);
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyAttempts,
    )
    .await;

    let (sent, _) = app.start_flow(&random_email()).await;
    app.clock.advance(600 + 24 * 3600);
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(response, StatusCode::GONE, ErrorCode::Expired).await;
}
