use crate::support::{expect_error, expect_retry_after, random_email, spawn_app, wrong};
use otp_api::{ErrorCode, VerifyResponse, VerifyStatus};
use reqwest::StatusCode;

#[tokio::test]
async fn send_read_the_mail_verify_approved() {
    let app = spawn_app().await;
    let email = random_email();
    let (sent, code) = app.start_flow(&email.to_uppercase()).await;
    assert_eq!(sent.flow_id.len(), 22);
    assert_eq!(sent.expires_in, 600);
    assert_eq!(sent.resend_in, 60);

    let response = app.post_verify(&sent.flow_id, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let approved: VerifyResponse = response.json().await.unwrap();
    assert_eq!(approved.status, VerifyStatus::Approved);
    assert_eq!(approved.email, email, "the normalized address is returned");
}

#[tokio::test]
async fn a_pasted_code_with_a_space_verifies() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    let pasted = format!("{} {}", &code[..3], &code[3..]);
    assert_eq!(
        app.post_verify(&sent.flow_id, &pasted).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_codes_count_down_then_the_sixth_try_is_refused() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    for left in (0..5).rev() {
        let response = app.post_verify(&sent.flow_id, &wrong(&code)).await;
        let body = expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongCode,
        )
        .await;
        assert_eq!(body.error.attempts_left, Some(left));
    }
    // Even the right code is refused once the tries are spent.
    let response = app.post_verify(&sent.flow_id, &code).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::TooManyAttempts,
    )
    .await;
}

#[tokio::test]
async fn a_code_is_refused_after_it_expired() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    app.clock.advance(600);
    let response = app.post_verify(&sent.flow_id, &code).await;
    expect_error(response, StatusCode::GONE, ErrorCode::Expired).await;
}

#[tokio::test]
async fn a_code_works_until_its_last_second() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    app.clock.advance(599);
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_code_verifies_once() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    let first = app.post_verify(&sent.flow_id, &code).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: serde_json::Value = first.json().await.unwrap();
    // The answer was lost, say: the same code again within two minutes gets
    // the same answer, and approves nothing new.
    app.clock.advance(120);
    let again = app.post_verify(&sent.flow_id, &code).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap(), first);
    // Another code is told the flow is used; so is the right one, later.
    let response = app.post_verify(&sent.flow_id, &wrong(&code)).await;
    expect_error(response, StatusCode::GONE, ErrorCode::AlreadyUsed).await;
    app.clock.advance(1);
    let response = app.post_verify(&sent.flow_id, &code).await;
    expect_error(response, StatusCode::GONE, ErrorCode::AlreadyUsed).await;
}

#[tokio::test]
async fn resend_inside_the_cooldown_says_when_to_retry() {
    let app = spawn_app().await;
    let (sent, _) = app.start_flow(&random_email()).await;
    app.clock.advance(20);
    let response = app.post_resend(&sent.flow_id).await;
    expect_retry_after(response, ErrorCode::ResendTooSoon, 40).await;
}

#[tokio::test]
async fn resend_stops_after_five_messages() {
    let app = spawn_app().await;
    let (sent, _) = app.start_flow(&random_email()).await;
    for _ in 0..4 {
        app.clock.advance(60);
        assert_eq!(
            app.post_resend(&sent.flow_id).await.status(),
            StatusCode::ACCEPTED
        );
    }
    app.clock.advance(60);
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}

#[tokio::test]
async fn resend_of_a_used_or_unknown_flow_is_refused() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    app.post_verify(&sent.flow_id, &code).await;
    app.clock.advance(60);
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(response, StatusCode::GONE, ErrorCode::AlreadyUsed).await;

    let response = app.post_resend("AAAAAAAAAAAAAAAAAAAAAA").await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::UnknownFlow).await;
}

#[tokio::test]
async fn a_repeated_request_id_returns_the_same_flow_and_sends_once() {
    let app = spawn_app().await;
    let email = random_email();
    let first: otp_api::SendResponse = app
        .post_send_with_id(&email, "page-load-42")
        .await
        .json()
        .await
        .unwrap();
    let code = app.inbox.wait_for_code(&email, 1).await;
    app.clock.advance(5);
    let response = app.post_send_with_id(&email, "page-load-42").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let second: otp_api::SendResponse = response.json().await.unwrap();
    assert_eq!(second.flow_id, first.flow_id);
    assert_eq!(second.resend_in, 55);
    assert_eq!(
        app.inbox.subjects(&email).await.len(),
        1,
        "no second message"
    );
    assert_eq!(
        app.post_verify(&first.flow_id, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
/// Fifty parallel verifies of the right code: the flow is approved once;
/// only tries that were counted (five at most) are compared, and each of
/// those gets the one approval's answer, as a retry would.
async fn fifty_parallel_verifies_of_the_right_code_approve_once() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    let requests = (0..50).map(|_| app.post_verify(&sent.flow_id, &code));
    let mut answers = Vec::new();
    for response in futures_util::future::join_all(requests).await {
        let status = response.status();
        answers.push((status, response.json::<serde_json::Value>().await.unwrap()));
    }
    let approved: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::OK)
        .collect();
    assert!((1..=5).contains(&approved.len()), "{answers:?}");
    assert!(approved.iter().all(|(_, body)| *body == approved[0].1));
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK
        || *s == StatusCode::GONE
        || *s == StatusCode::TOO_MANY_REQUESTS));
}

#[tokio::test]
async fn fifty_parallel_wrong_codes_count_exactly_five() {
    let app = spawn_app().await;
    let (sent, code) = app.start_flow(&random_email()).await;
    let bad = wrong(&code);
    let requests = (0..50).map(|_| app.post_verify(&sent.flow_id, &bad));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(requests)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let counted = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((counted, refused), (5, 45), "{statuses:?}");
}
