//! Rotating the HMAC keys in the middle of a day, as the operator's guide
//! says (a new key first, the old one kept, then dropped), on one table:
//! what was spent stays spent. Budgets, lockouts and idempotency claims are
//! named under a key derived from the subject key, which does not rotate.

use crate::support::{expect_error, random_email, service_vars, wrong};
use otp::domain::{Clock, ManualClock};
use otp::settings::Settings;
use otp::startup::{Application, build_store};
use otp::store::Store;
use otp_api::{ErrorCode, SendResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

const SUBJECT_KEY: &str = "c3ViamVjdCBrZXkgb2YgdGhlIHJvdGF0aW9uIHRlc3Qh";
const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

/// One deployment of the service on the shared store and clock: its address,
/// and the sender that stops it when dropped.
struct Deployment {
    addr: SocketAddr,
    http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

async fn deploy(
    vars: &HashMap<String, String>,
    store: Arc<dyn Store>,
    clock: &ManualClock,
) -> Deployment {
    let settings = Settings::from_vars(vars.clone()).expect("test settings are valid");
    let app =
        Application::build_with_store(&settings, Arc::new(clock.clone()) as Arc<dyn Clock>, store)
            .await
            .expect("the app starts");
    let addr = app.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Deployment {
        addr,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Deployment {
    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("http://{}{path}", self.addr))
            .json(&body)
            .send()
            .await
            .expect("the request reaches the app")
    }
}

#[tokio::test]
async fn a_rotation_of_the_hmac_keys_forgets_no_budget_lockout_or_retried_send() {
    let (mut vars, inbox) = service_vars();
    vars.extend(
        [
            ("OTP_BIND", "127.0.0.1:0"),
            ("OTP_SUBJECT_KEY", SUBJECT_KEY),
            ("OTP_HMAC_KEYS", K1),
            ("OTP_SENDS_PER_EMAIL_PER_DAY", "2"),
            ("OTP_MAX_SENDS_PER_EMAIL_PER_DAY", "2"),
            ("OTP_FAILURES_PER_EMAIL_PER_DAY", "1"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let settings = Settings::from_vars(vars.clone()).expect("test settings are valid");
    let store = build_store(&settings.store, settings.store_timeout, |config| config)
        .await
        .expect("the store builds");
    let clock = ManualClock::starting_now();

    let before = deploy(&vars, store.clone(), &clock).await;
    // Ann's address spends its day: a send, then one the page may retry.
    let ann = random_email();
    let response = before.post("/api/otp/send", json!({ "email": ann })).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let retried = json!({ "email": ann, "request_id": "page-1" });
    let response = before.post("/api/otp/send", retried.clone()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let first: SendResponse = response.json().await.unwrap();
    let response = before.post("/api/otp/send", json!({ "email": ann })).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // Bob's address is locked out by a wrong code.
    let bob = random_email();
    let response = before.post("/api/otp/send", json!({ "email": bob })).await;
    let bobs: SendResponse = response.json().await.unwrap();
    let code = inbox.wait_for_code(&bob, 1).await;
    let response = before
        .post(
            "/api/otp/verify",
            json!({ "flow_id": bobs.flow_id, "code": wrong(&code) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = before.post("/api/otp/send", json!({ "email": bob })).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ProofOfWorkRequired,
    )
    .await;
    drop(before);

    // The rotation, in its two deploys: k2 first with k1 kept, then k2 alone.
    for keys in [format!("{K2},{K1}"), K2.to_owned()] {
        vars.insert("OTP_HMAC_KEYS".into(), keys.clone());
        let after = deploy(&vars, store.clone(), &clock).await;
        let response = after.post("/api/otp/send", json!({ "email": ann })).await;
        expect_error(
            response,
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
        )
        .await;
        let response = after.post("/api/otp/send", retried.clone()).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{keys}");
        let again: SendResponse = response.json().await.unwrap();
        assert_eq!(again.flow_id, first.flow_id, "the retry finds its flow");
        let response = after.post("/api/otp/send", json!({ "email": bob })).await;
        expect_error(
            response,
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::ProofOfWorkRequired,
        )
        .await;
    }
    assert_eq!(inbox.subjects(&ann).await.len(), 2, "nothing mailed twice");
}
