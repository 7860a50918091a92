//! Budgets that span flows: per address and per client.

use crate::helpers::{expect_error, random_email, spawn_app_with, wrong};
use otp_api::ErrorCode;
use reqwest::StatusCode;

#[tokio::test]
async fn sends_per_address_stop_at_the_daily_budget() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_EMAIL_PER_DAY", "3")]).await;
    let email = random_email();
    for _ in 0..3 {
        assert_eq!(app.post_send(&email).await.status(), StatusCode::ACCEPTED);
    }
    let response = app.post_send(&email).await;
    assert!(response.headers().contains_key("retry-after"));
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // Case and spaces make no new budget.
    let response = app.post_send(&format!("  {}", email.to_uppercase())).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // Another address is unaffected.
    assert_eq!(
        app.post_send(&random_email()).await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(app.inbox.subjects(&email).await.len(), 3);
}

#[tokio::test]
async fn sends_per_client_stop_at_the_hourly_budget() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "2")]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_send(&random_email()).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let response = app.post_send(&random_email()).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // The next hour has a fresh budget.
    app.clock.advance(3600);
    assert_eq!(
        app.post_send(&random_email()).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn failures_across_codes_lock_the_address_out_of_new_codes() {
    let app = spawn_app_with(&[("OTP_FAILURES_PER_EMAIL_PER_DAY", "6")]).await;
    let email = random_email();
    let (first, code) = app.start_flow(&email).await;
    for _ in 0..5 {
        app.post_verify(&first.flow_id, &wrong(&code)).await;
    }
    // A new flow does not reset the budget: one more failure spends it.
    let response = app.post_send(&email).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let second: otp_api::SendResponse = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(&email, 2).await;
    app.post_verify(&second.flow_id, &wrong(&code)).await;
    let response = app.post_send(&email).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}
