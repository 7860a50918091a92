//! Bad input of every kind answers in the one JSON error shape.

use crate::support::{expect_error, random_email, spawn_app};
use otp_api::{ErrorCode, HealthResponse};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_answers_with_the_version() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/api/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let health: HealthResponse = response.json().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    for response in [
        app.client.get(app.url("/api/health")).send().await.unwrap(),
        app.client.get(app.url("/")).send().await.unwrap(),
        app.post_send("not an address").await,
    ] {
        let h = response.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert!(h.contains_key("x-request-id"));
    }
}

#[tokio::test]
async fn invalid_addresses_are_refused_without_sending() {
    let app = spawn_app().await;
    // Longer than 254 but small enough to pass the body limit.
    let huge = format!("{}@example.com", "a".repeat(1_000));
    for email in [
        "",
        "plainaddress",
        "ann@localhost",
        "ann@example.com\r\nBcc: victim@example.com",
        "ann\u{0}@example.com",
        "Ann <ann@example.com>",
        huge.as_str(),
    ] {
        let response = app.post_send(email).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail).await;
    }
}

#[tokio::test]
async fn malformed_bodies_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let cases: Vec<(&str, String, StatusCode, ErrorCode)> = vec![
        (
            "application/json",
            "{".into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "application/json",
            "[]".into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "application/json",
            r#"{"email": 42}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "application/json",
            r#"{"email":"a@b.co","admin":true}"#.into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "application/json",
            "".into(),
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidRequest,
        ),
        (
            "text/plain",
            r#"{"email":"a@b.co"}"#.into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            "application/x-www-form-urlencoded",
            "email=a@b.co".into(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
        ),
        (
            "application/json",
            format!(r#"{{"email":"{}"}}"#, "a".repeat(8 * 1024)),
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::PayloadTooLarge,
        ),
    ];
    for (content_type, body, status, code) in cases {
        let response = app
            .client
            .post(app.url("/api/otp/send"))
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{content_type} {body:.40}");
        expect_error(response, status, code).await;
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/api/nothing"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
    let response = app
        .client
        .get(app.url("/api/otp/send"))
        .send()
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
    )
    .await;
    let response = app
        .client
        .post(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::NotFound).await;
}

#[tokio::test]
async fn malformed_codes_and_flow_ids_are_refused() {
    let app = spawn_app().await;
    let (sent, _) = app.start_flow(&random_email()).await;
    for code in ["", "12345", "1234567", "abcdef", "12 34 5"] {
        let response = app.post_verify(&sent.flow_id, code).await;
        expect_error(
            response,
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidCodeFormat,
        )
        .await;
    }
    for flow_id in ["", "x", "flow#AAAAAAAAAAAAAAAAAAAAAA"] {
        let response = app.post_verify(flow_id, "123456").await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
    let response = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
    expect_error(response, StatusCode::NOT_FOUND, ErrorCode::UnknownFlow).await;
    let response = app
        .post(
            "/api/otp/verify",
            json!({ "flow_id": sent.flow_id, "code": 123456 }),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
}

#[tokio::test]
async fn an_invalid_request_id_is_refused() {
    let app = spawn_app().await;
    for request_id in ["", "has space", &"x".repeat(129)] {
        let response = app.post_send_with_id(&random_email(), request_id).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
}
