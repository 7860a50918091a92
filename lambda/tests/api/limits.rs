//! Budgets that span flows: per address and per client. Each is hit exactly
//! at its limit: the Nth request goes through, the next one is refused, with
//! `Retry-After` saying when the client's window ends, or one coarse wait for
//! anything about the address, or asked for a proof of work where the
//! address's budget would otherwise lock its owner out.

use crate::support::{
    TestApp, expect_error, expect_retry_after, random_email, solve, spawn_app_with, wrong,
};
use otp::domain::Clock;
use otp_api::{Challenge, ErrorBody, ErrorCode, SendResponse};
use reqwest::{Response, StatusCode};
use tokio::task::JoinSet;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// The wait every address-scoped refusal states.
const ADDRESS_RETRY_AFTER: u64 = HOUR;

/// Seconds from the app's now to the end of its fixed `window`.
fn to_window_end(app: &TestApp, window: u64) -> u64 {
    window - app.clock.now() % window
}

/// A 429 `rate_limited` saying to retry after `retry_after` seconds.
async fn expect_limited(response: Response, retry_after: u64) -> ErrorBody {
    expect_retry_after(response, ErrorCode::RateLimited, retry_after).await
}

/// Spends `n` failed verifies of `email`'s budget on `flow_id`.
async fn fail(app: &TestApp, flow_id: &str, code: &str, n: usize) {
    for _ in 0..n {
        let response = app.post_verify(flow_id, &wrong(code)).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

/// Refused for the address: 429 with the one coarse wait every
/// address-scoped refusal states.
async fn expect_address_limited(response: Response) -> ErrorBody {
    expect_limited(response, ADDRESS_RETRY_AFTER).await
}

/// A 429 `proof_of_work_required` with a challenge; returns it.
pub async fn expect_challenge(response: Response) -> Challenge {
    assert!(
        response.headers().get("retry-after").is_none(),
        "a challenge can be answered at once"
    );
    let body = expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ProofOfWorkRequired,
    )
    .await;
    body.error.challenge.expect("a challenge in the answer")
}

/// Past the free budget, a send needs a proof of work; one client may
/// send an address no more than its own budget, proof or not.
#[tokio::test]
async fn sends_per_address_need_work_past_the_free_budget() {
    let app = spawn_app_with(&[
        ("OTP_SENDS_PER_EMAIL_PER_DAY", "3"),
        ("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "4"),
        ("OTP_POW_DIFFICULTY", "4"),
    ])
    .await;
    let email = random_email();
    for _ in 0..3 {
        assert_eq!(app.post_send(&email).await.status(), StatusCode::ACCEPTED);
    }
    let challenge = expect_challenge(app.post_send(&email).await).await;
    // Case and spaces make no new budget.
    let spelled = format!("  {}", email.to_uppercase());
    expect_challenge(app.post_send(&spelled).await).await;
    // Another address is unaffected.
    assert_eq!(
        app.post_send(&random_email()).await.status(),
        StatusCode::ACCEPTED
    );
    let response = app
        .post_send_with_proof(&email, None, &solve(&challenge))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    assert_eq!(app.inbox.subjects(&email).await.len(), 4);
    // This client's own budget for the address is spent: refused outright,
    // with the same answer as any other refusal about the address.
    expect_address_limited(app.post_send(&email).await).await;
    // Refusals spent nothing: the next day allows exactly three free again.
    app.clock.advance(to_window_end(&app, DAY));
    for _ in 0..3 {
        assert_eq!(app.post_send(&email).await.status(), StatusCode::ACCEPTED);
    }
    expect_challenge(app.post_send(&email).await).await;
}

/// A repeat of a send that went through (the answer was lost, say) gets its
/// flow back even when the budget it was charged to is now spent.
#[tokio::test]
async fn a_repeated_send_is_answered_after_the_budget_is_spent() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "1")]).await;
    let email = random_email();
    let response = app.post_send_with_id(&email, "page-load-1").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let first: SendResponse = response.json().await.unwrap();
    app.clock.advance(10);

    let response = app.post_send_with_id(&email, "page-load-1").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let repeated: SendResponse = response.json().await.unwrap();
    assert_eq!(repeated.flow_id, first.flow_id);
    assert_eq!(repeated.expires_in, first.expires_in - 10);

    // Any other send for the address is refused, as before.
    let response = app.post_send_with_id(&email, "page-load-2").await;
    expect_address_limited(response).await;
    expect_address_limited(app.post_send(&email).await).await;
    assert_eq!(app.inbox.subjects(&email).await.len(), 1);
}

#[tokio::test]
async fn sends_per_client_stop_exactly_at_the_hourly_budget() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "2")]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_send(&random_email()).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let response = app.post_send(&random_email()).await;
    expect_limited(response, to_window_end(&app, HOUR)).await;
    // The next hour has a fresh budget.
    app.clock.advance(to_window_end(&app, HOUR));
    assert_eq!(
        app.post_send(&random_email()).await.status(),
        StatusCode::ACCEPTED
    );
}

/// The verify budget counts tries that approve nothing: wrong codes, dead
/// or unknown flows. A right code is never charged to it.
#[tokio::test]
async fn verifies_per_client_stop_exactly_at_the_hourly_budget() {
    let app = spawn_app_with(&[("OTP_VERIFIES_PER_IP_PER_HOUR", "3")]).await;
    let (sent, code) = app.start_flow(&random_email()).await;
    fail(&app, &sent.flow_id, &code, 2).await;
    // The right code, and it costs nothing of the budget.
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );
    // The third try that approves nothing is within the budget…
    let response = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::UnknownFlow).await;
    // …the fourth is refused before any flow is looked at.
    let response = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
    expect_limited(response, to_window_end(&app, HOUR)).await;
    app.clock.advance(to_window_end(&app, HOUR));
    let response = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::UnknownFlow).await;
}

/// Over the budget, a right code and a wrong code get the same answer, and
/// neither is compared: a client past its budget learns nothing about the
/// codes it tries, and the person's code still works in the next hour.
#[tokio::test]
async fn over_the_verify_budget_right_and_wrong_codes_answer_alike() {
    let app = spawn_app_with(&[
        ("OTP_VERIFIES_PER_IP_PER_HOUR", "2"),
        ("OTP_CODE_TTL_SECS", "3600"),
    ])
    .await;
    // One second into an hour, so the codes outlive the hour's budget.
    app.clock.advance(to_window_end(&app, HOUR) + 1);
    let (first, first_code) = app.start_flow(&random_email()).await;
    let (second, second_code) = app.start_flow(&random_email()).await;
    fail(&app, &first.flow_id, &first_code, 2).await;

    let retry_after = to_window_end(&app, HOUR);
    let wrong_code = app.post_verify(&first.flow_id, &wrong(&first_code)).await;
    let wrong_code = expect_limited(wrong_code, retry_after).await;
    let right_code = app.post_verify(&second.flow_id, &second_code).await;
    let right_code = expect_limited(right_code, retry_after).await;
    assert_eq!(wrong_code, right_code);

    app.clock.advance(retry_after);
    let response = app.post_verify(&first.flow_id, &wrong(&first_code)).await;
    let body = expect_error(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::WrongCode,
    )
    .await;
    assert_eq!(
        body.error.attempts_left,
        Some(2),
        "two wrong, then this one: the refused one was never tried"
    );
    let response = app.post_verify(&second.flow_id, &second_code).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Wrong codes across flows lock the address: new codes then need a proof
/// of work (harder for each lockout that day) instead of being refused, so
/// whoever made the failures cannot keep the owner out.
#[tokio::test]
async fn failures_across_codes_make_new_codes_need_work() {
    let app = spawn_app_with(&[
        ("OTP_FAILURES_PER_EMAIL_PER_DAY", "6"),
        ("OTP_POW_DIFFICULTY", "4"),
    ])
    .await;
    let email = random_email();
    let (first, code) = app.start_flow(&email).await;
    fail(&app, &first.flow_id, &code, 5).await;
    // A new flow does not reset the budget: one more failure spends it.
    let response = app.post_send(&email).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let second: SendResponse = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(&email, 2).await;
    fail(&app, &second.flow_id, &code, 1).await;
    let challenge = expect_challenge(app.post_send(&email).await).await;
    assert_eq!(challenge.difficulty, 5, "the first lockout of the day");
    // A resend of a live flow is a new message too.
    app.clock.advance(60);
    let challenge = expect_challenge(app.post_resend(&second.flow_id).await).await;
    let response = app
        .post_resend_with_proof(&second.flow_id, &solve(&challenge))
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.inbox.wait_for_code(&email, 3).await;
}

#[tokio::test]
async fn lockouts_last_15_minutes_then_double_and_outlast_midnight() {
    let app = spawn_app_with(&[
        ("OTP_FAILURES_PER_EMAIL_PER_DAY", "2"),
        ("OTP_SENDS_PER_EMAIL_PER_DAY", "100"),
        ("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "100"),
        ("OTP_MAX_SENDS_PER_EMAIL_PER_DAY", "100"),
        ("OTP_POW_DIFFICULTY", "4"),
    ])
    .await;
    // Twenty minutes before the end of the day.
    app.clock.advance(to_window_end(&app, DAY) - 1200);
    let email = random_email();
    let (sent, code) = app.start_flow(&email).await;
    fail(&app, &sent.flow_id, &code, 2).await;
    assert_eq!(
        expect_challenge(app.post_send(&email).await)
            .await
            .difficulty,
        5
    );
    app.clock.advance(899);
    expect_challenge(app.post_send(&email).await).await;
    app.clock.advance(1);
    let response = app.post_send(&email).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let sent: SendResponse = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(&email, 2).await;
    // The second lockout of the day lasts 30 minutes, past midnight, and
    // asks for more work.
    fail(&app, &sent.flow_id, &code, 2).await;
    assert_eq!(
        expect_challenge(app.post_send(&email).await)
            .await
            .difficulty,
        6
    );
    app.clock.advance(1799);
    expect_challenge(app.post_send(&email).await).await;
    app.clock.advance(1);
    assert_eq!(app.post_send(&email).await.status(), StatusCode::ACCEPTED);
}

/// Fifty parallel sends for one address: exactly its free budget of
/// messages leaves, every other request is asked for work.
#[tokio::test]
async fn parallel_sends_never_exceed_the_address_budget() {
    let app = spawn_app_with(&[
        ("OTP_SENDS_PER_EMAIL_PER_DAY", "10"),
        ("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "1000"),
        ("OTP_SENDS_PER_IP_PER_HOUR", "1000"),
    ])
    .await;
    let email = random_email();
    let mut requests = JoinSet::new();
    for _ in 0..50 {
        let (client, url, email) = (app.client.clone(), app.url("/api/otp/send"), email.clone());
        requests.spawn(async move {
            let response = client
                .post(url)
                .json(&serde_json::json!({ "email": email }))
                .send()
                .await
                .expect("the request reaches the app");
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body["error"]["code"].as_str().map(str::to_owned))
        });
    }
    let (mut accepted, mut challenged) = (0, 0);
    while let Some(answer) = requests.join_next().await {
        match answer.unwrap() {
            (StatusCode::ACCEPTED, _) => accepted += 1,
            (StatusCode::TOO_MANY_REQUESTS, Some(code)) if code == "proof_of_work_required" => {
                challenged += 1
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((accepted, challenged), (10, 40));
    // Every accepted send delivered before it answered; none beyond.
    app.inbox.wait_for_code(&email, 10).await;
    assert_eq!(app.inbox.subjects(&email).await.len(), 10);
}
