//! The router as Lambda drives it: real Function URL and API Gateway events
//! go through `lambda_http`'s conversion (the same one `lambda_http::run`
//! applies) into the one router that also serves the local server.
//!
//! What only this path can get wrong: a base64 body that must be decoded,
//! and the client address that rate limits count, which on Lambda comes from
//! the request context AWS fills in, never from headers a client can send.
//! The store is in memory and messages go to an outbox folder, so these tests
//! need no services.

use axum::Router;
use axum::http::{StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use otp::domain::{Clock, ManualClock};
use otp::settings::Settings;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

const HEALTH: &str = include_str!("fixtures/function-url-get-health.json");
const SEND: &str = include_str!("fixtures/function-url-post-send.json");
const VERIFY: &str = include_str!("fixtures/apigw-v2-post-verify.json");
const REST_SEND: &str = include_str!("fixtures/apigw-rest-post-send.json");

/// The address in the body of `SEND`, and the client address AWS saw.
const SEND_EMAIL: &str = "ada@example.com";
const SEND_SOURCE_IP: &str = "203.0.113.7";

struct LambdaApp {
    router: Router,
    outbox: PathBuf,
}

impl Drop for LambdaApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

/// The public origin of the deployment these events reach.
const ISSUER: &str = "https://otp.test";

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn app_with(overrides: &[(&str, &str)]) -> LambdaApp {
    let outbox =
        std::env::temp_dir().join(format!("otp-lambda-events-{:016x}", rand::random::<u64>()));
    let mut vars: HashMap<String, String> = HashMap::from([
        ("OTP_OUTBOX_DIR".into(), outbox.display().to_string()),
        ("OTP_WEB_HOST".into(), "otp.test".into()),
    ]);
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::starting_now());
    let router = otp::startup::build_router(&settings, clock, ISSUER.into())
        .await
        .expect("the service builds");
    LambdaApp { router, outbox }
}

impl LambdaApp {
    /// Converts `event` exactly as the Lambda runtime does and answers it.
    /// The fixtures were recorded on other deployments: a browser's
    /// `Origin` in them is this deployment's page (`ISSUER`) here.
    async fn invoke(&self, event: &str) -> Answer {
        let mut event: Value = serde_json::from_str(event).expect("the event is JSON");
        if let Some(origin) = event["headers"].get_mut("origin") {
            *origin = json!(ISSUER);
        }
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("lambda_http accepts the event");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("the body is readable");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{status}: the body is not JSON ({e}): {bytes:?}"));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// The code in the newest message to `to` in the outbox.
    fn code_sent_to(&self, to: &str) -> String {
        let mut messages: Vec<PathBuf> = std::fs::read_dir(&self.outbox)
            .expect("the outbox exists after a send")
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        messages.sort();
        let text = messages
            .iter()
            .rev()
            .map(|path| read(path))
            .find(|text| {
                text.lines()
                    .any(|l| l.starts_with("To: ") && l.contains(to))
            })
            .unwrap_or_else(|| panic!("no message to {to} in {}", self.outbox.display()));
        let subject = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .expect("the message has a subject");
        subject
            .split_whitespace()
            .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
            .unwrap_or_else(|| panic!("no code in the subject {subject:?}"))
            .to_owned()
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `fixture`, changed by `edit`: the events stay what AWS sends, and each
/// test states the one thing it varies.
fn edited(fixture: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("the fixture is JSON");
    edit(&mut event);
    event.to_string()
}

/// The Function URL send event from another client, asking for `email`,
/// with a base64 body as Function URLs deliver it.
fn send_from(source_ip: &str, forwarded_for: &str, email: &str) -> String {
    edited(SEND, |event| {
        event["requestContext"]["http"]["sourceIp"] = json!(source_ip);
        event["headers"]["x-forwarded-for"] = json!(forwarded_for);
        let body = json!({ "email": email }).to_string();
        event["headers"]["content-length"] = json!(body.len().to_string());
        event["body"] = json!(STANDARD.encode(body));
    })
}

fn assert_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    let message = answer.body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{}", answer.body);
}

fn flow_id(answer: &Answer) -> String {
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    let id = answer.body["flow_id"].as_str().expect("a flow_id");
    assert!(id.len() >= 22, "a flow id of at least 128 bits: {id}");
    id.to_owned()
}

#[tokio::test]
async fn health_event_answers_json() {
    let app = app_with(&[]).await;
    let answer = app.invoke(HEALTH).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(answer.body["status"], "ok");
    assert_eq!(answer.body["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn function_url_send_decodes_the_base64_body() {
    let fixture: Value = serde_json::from_str(SEND).unwrap();
    assert_eq!(
        fixture["isBase64Encoded"], true,
        "the fixture must keep a base64 body"
    );

    let app = app_with(&[]).await;
    let answer = app.invoke(SEND).await;
    flow_id(&answer);
    assert_eq!(answer.body["expires_in"], 600);
    // The address came out of the decoded body and the message went to it.
    assert_eq!(app.code_sent_to(SEND_EMAIL).len(), 6);
}

#[tokio::test]
async fn the_request_context_source_ip_is_what_the_send_budget_counts() {
    let app = app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1")]).await;
    flow_id(&app.invoke(SEND).await);

    // Same client, another address: the client's hourly budget is spent.
    let again = app
        .invoke(&send_from(
            SEND_SOURCE_IP,
            SEND_SOURCE_IP,
            "bob@example.com",
        ))
        .await;
    assert_error(&again, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(again.headers.contains_key(header::RETRY_AFTER));

    // The very same fixture from another client is a fresh budget.
    let other_client = edited(SEND, |event| {
        event["requestContext"]["http"]["sourceIp"] = json!("203.0.113.8");
    });
    flow_id(&app.invoke(&other_client).await);
}

#[tokio::test]
async fn x_forwarded_for_does_not_choose_the_counted_client() {
    let app = app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1")]).await;
    flow_id(&app.invoke(SEND).await);

    // A spent client cannot escape its budget by claiming another address…
    let spoofed = send_from(SEND_SOURCE_IP, "198.51.100.99", "carol@example.com");
    assert_error(
        &app.invoke(&spoofed).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    // …and cannot spend someone else's budget by naming them.
    let framed = send_from("198.51.100.100", SEND_SOURCE_IP, "dave@example.com");
    flow_id(&app.invoke(&framed).await);
}

#[tokio::test]
async fn ipv6_clients_are_counted_per_64_prefix() {
    let app = app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1")]).await;
    let first = send_from("2001:db8:1:2::10", "2001:db8:1:2::10", "erin@example.com");
    flow_id(&app.invoke(&first).await);
    let same_prefix = send_from("2001:db8:1:2:ffff::1", "2001:db8:9::1", "frank@example.com");
    assert_error(
        &app.invoke(&same_prefix).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    let other_prefix = send_from("2001:db8:1:3::10", "2001:db8:1:2::10", "gina@example.com");
    flow_id(&app.invoke(&other_prefix).await);
}

#[tokio::test]
async fn http_api_verify_of_an_unknown_flow_is_a_json_404() {
    let app = app_with(&[]).await;
    let answer = app.invoke(VERIFY).await;
    assert_error(&answer, StatusCode::NOT_FOUND, "unknown_flow");
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn a_flow_runs_end_to_end_through_lambda_events() {
    let app = app_with(&[]).await;
    let flow = flow_id(&app.invoke(SEND).await);
    let code = app.code_sent_to(SEND_EMAIL);
    let verify = edited(VERIFY, |event| {
        let body = json!({ "flow_id": flow, "code": code }).to_string();
        event["headers"]["content-length"] = json!(body.len().to_string());
        event["body"] = json!(body);
    });

    let approved = app.invoke(&verify).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(
        approved.body,
        json!({ "status": "approved", "email": SEND_EMAIL })
    );

    // A retry after a lost answer gets the same answer; another code does not.
    let again = app.invoke(&verify).await;
    assert_eq!(
        (again.status, &again.body),
        (StatusCode::OK, &approved.body)
    );
    let n: u32 = code.parse().unwrap();
    let wrong = edited(VERIFY, |event| {
        let body =
            json!({ "flow_id": flow, "code": format!("{:06}", (n + 1) % 1_000_000) }).to_string();
        event["headers"]["content-length"] = json!(body.len().to_string());
        event["body"] = json!(body);
    });
    assert_error(&app.invoke(&wrong).await, StatusCode::GONE, "already_used");
}

/// A REST API (v1) event has the client in `identity.sourceIp`, and the
/// stage in `requestContext.stage`. `lambda_http` puts a named stage in
/// front of the path unless `AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH` is set,
/// which a REST API deployment therefore sets; a test cannot set a
/// process-wide variable safely, so it drops the stage the same way.
#[tokio::test]
async fn rest_api_events_count_the_identity_source_ip() {
    let app = app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1")]).await;
    let rest = |source_ip: &str, email: &str| {
        edited(REST_SEND, |event| {
            event["requestContext"]["identity"]["sourceIp"] = json!(source_ip);
            event["body"] = json!(json!({ "email": email }).to_string());
        })
    };
    let invoke_rest = |event: String| {
        let mut request =
            lambda_http::request::from_str(&event).expect("lambda_http accepts the event");
        let path = request.uri().path().to_owned();
        let unstaged = path
            .strip_prefix("/prod")
            .expect("the stage leads the path");
        *request.uri_mut() = unstaged.parse().unwrap();
        let router = app.router.clone();
        async move { router.oneshot(request).await.unwrap().status() }
    };

    assert_eq!(
        invoke_rest(REST_SEND.to_owned()).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(app.code_sent_to("grace@example.org").len(), 6);
    assert_eq!(
        invoke_rest(rest("192.0.2.44", "heidi@example.org")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        invoke_rest(rest("192.0.2.45", "ivan@example.org")).await,
        StatusCode::ACCEPTED
    );
}

const ALB_SEND: &str = include_str!("fixtures/alb-post-send.json");

/// An Application Load Balancer event carries no client address of its
/// own: without a trusted header the send is refused (500, logged for the
/// operator), never let through the per-client budget uncounted.
#[tokio::test]
async fn an_event_without_a_client_address_is_refused_not_let_through() {
    let app = app_with(&[]).await;
    let answer = app.invoke(ALB_SEND).await;
    assert_error(&answer, StatusCode::INTERNAL_SERVER_ERROR, "internal");
    assert!(
        !app.outbox.exists() || std::fs::read_dir(&app.outbox).unwrap().next().is_none(),
        "nothing was sent"
    );
}

/// With `OTP_CLIENT_IP_HEADER` the operator names the header their proxy
/// writes; its last entry is the client, whatever the client put before it.
#[tokio::test]
async fn a_trusted_header_names_the_client_behind_a_load_balancer() {
    let app = app_with(&[
        ("OTP_CLIENT_IP_HEADER", "x-forwarded-for"),
        ("OTP_SENDS_PER_IP_PER_HOUR", "1"),
    ])
    .await;
    flow_id(&app.invoke(ALB_SEND).await);
    // The same client, claiming to be someone else first: still counted as itself.
    let spoofed = edited(ALB_SEND, |event| {
        event["headers"]["x-forwarded-for"] = json!("203.0.113.99, 198.51.100.7");
        event["body"] = json!(r#"{"email":"alb2@example.com"}"#);
    });
    assert_error(
        &app.invoke(&spoofed).await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}

/// What the stack's custom-domain mode sets: the viewer's address from
/// CloudFront, trusted only on requests carrying the distribution's secret.
const ORIGIN_SECRET: &str = "vX3q9Lr7Tz2Wm5Kp8Nd4Hf6Jb1Gc0Ys7Ae3Uo9Ti2Rw";
const CLOUDFRONT_MODE: [(&str, &str); 3] = [
    ("OTP_CLIENT_IP_HEADER", "CloudFront-Viewer-Address"),
    ("OTP_ORIGIN_VERIFY_SECRET", ORIGIN_SECRET),
    ("OTP_SENDS_PER_IP_PER_HOUR", "1"),
];
/// The address of a CloudFront edge server: every request through the
/// distribution arrives from one of a few of these.
const EDGE_IP: &str = "130.176.91.12";

/// The send event as a CloudFront distribution forwards it: from an edge
/// server, with the viewer's `ip:port` and, if given, the origin secret.
fn send_via_cloudfront(viewer: &str, secret: Option<&str>, email: &str) -> String {
    let event = send_from(EDGE_IP, EDGE_IP, email);
    edited(&event, |event| {
        event["headers"]["cloudfront-viewer-address"] = json!(viewer);
        event["headers"]["via"] = json!("2.0 8d9bb4c1e7a2f3d5.cloudfront.net (CloudFront)");
        if let Some(secret) = secret {
            event["headers"]["x-origin-verify"] = json!(secret);
        }
    })
}

#[tokio::test]
async fn behind_cloudfront_the_viewer_address_is_the_counted_client() {
    let app = app_with(&CLOUDFRONT_MODE).await;
    let via = |viewer: &str, email: &str| send_via_cloudfront(viewer, Some(ORIGIN_SECRET), email);

    flow_id(
        &app.invoke(&via("198.51.100.10:46532", "kim@example.com"))
            .await,
    );
    // The same viewer from another port: its budget is spent.
    assert_error(
        &app.invoke(&via("198.51.100.10:51000", "lee@example.com"))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    // Another viewer behind the same edge server has a budget of its own:
    // the edge's address is not what is counted.
    flow_id(
        &app.invoke(&via("198.51.100.11:46532", "max@example.com"))
            .await,
    );

    // IPv6, written without brackets: the port is cut at the last colon
    // and the address counted per /64 like any other.
    flow_id(
        &app.invoke(&via("2001:db8:0:1::1:46532", "ned@example.com"))
            .await,
    );
    assert_error(
        &app.invoke(&via("2001:db8:0:1::2:443", "ola@example.com"))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
    flow_id(
        &app.invoke(&via("2001:db8:0:2::1:46532", "pam@example.com"))
            .await,
    );
}

#[tokio::test]
async fn behind_cloudfront_a_request_without_the_origin_secret_is_refused() {
    let app = app_with(&CLOUDFRONT_MODE).await;
    let victim = "198.51.100.20:40000";

    // Straight to the function URL, naming someone else as the viewer:
    // without the secret, or with a wrong one, nothing happens.
    let wrong = ORIGIN_SECRET.replace('v', "w");
    for secret in [None, Some(""), Some(wrong.as_str())] {
        let forged = send_via_cloudfront(victim, secret, "quinn@example.com");
        let answer = app.invoke(&forged).await;
        assert_error(&answer, StatusCode::FORBIDDEN, "forbidden");
        assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(answer.headers[header::X_FRAME_OPTIONS], "DENY");
    }
    assert!(
        !app.outbox.exists() || std::fs::read_dir(&app.outbox).unwrap().next().is_none(),
        "nothing was sent"
    );
    // Every route, not only the API: the health check, the OpenID Connect
    // discovery document, the page.
    for path in ["/api/health", "/.well-known/openid-configuration", "/"] {
        let get = edited(HEALTH, |event| {
            event["rawPath"] = json!(path);
            event["requestContext"]["http"]["path"] = json!(path);
            event["headers"]["cloudfront-viewer-address"] = json!(victim);
        });
        assert_error(&app.invoke(&get).await, StatusCode::FORBIDDEN, "forbidden");
    }

    // The forged requests spent none of the victim's budget.
    let real = send_via_cloudfront(victim, Some(ORIGIN_SECRET), "rita@example.com");
    flow_id(&app.invoke(&real).await);
}

#[tokio::test]
async fn behind_cloudfront_an_unreadable_viewer_address_is_refused_not_let_through() {
    let app = app_with(&CLOUDFRONT_MODE).await;
    for garbage in [
        "198.51.100.30",
        "[2001:db8::1]:443",
        "unknown",
        "198.51.100.30:99999",
    ] {
        let event = send_via_cloudfront(garbage, Some(ORIGIN_SECRET), "sam@example.com");
        assert_error(
            &app.invoke(&event).await,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        );
    }
    assert!(
        !app.outbox.exists() || std::fs::read_dir(&app.outbox).unwrap().next().is_none(),
        "nothing was sent"
    );
}

/// Without the custom-domain settings, `CloudFront-Viewer-Address` is just
/// another header a client can send: the request context decides.
#[tokio::test]
async fn without_the_cloudfront_mode_the_viewer_address_header_is_ignored() {
    let app = app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1")]).await;
    let from = |viewer: &str, email: &str| {
        edited(&send_from(SEND_SOURCE_IP, SEND_SOURCE_IP, email), |event| {
            event["headers"]["cloudfront-viewer-address"] = json!(viewer);
        })
    };
    flow_id(
        &app.invoke(&from("198.51.100.40:1000", "tess@example.com"))
            .await,
    );
    assert_error(
        &app.invoke(&from("198.51.100.41:1000", "uma@example.com"))
            .await,
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
    );
}
