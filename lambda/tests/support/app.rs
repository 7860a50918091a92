//! [`spawn_app`]: the real service on a random loopback port, backed by
//! DynamoDB Local and maildev when the test command provides them, by the
//! memory store and the outbox otherwise; and what its answers must be.

use super::{Inbox, STORE_TIMEOUT_MS, random_suffix, service_env};
use otp::domain::{Clock, Email, ManualClock};
use otp::settings::Settings;
use otp::startup::Application;
use otp::store::Store;
use otp_api::{Challenge, ErrorBody, ErrorCode, Proof, SendResponse};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

/// A fresh address per test, so tests share no budget.
pub fn random_email() -> String {
    format!("person-{}@example.com", random_suffix())
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub inbox: Inbox,
    _shutdown: oneshot::Sender<()>,
}

/// Settings beyond the test defaults, e.g. `("OTP_SENDS_PER_EMAIL_PER_DAY", "2")`.
pub type Overrides<'a> = &'a [(&'a str, &'a str)];

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: Overrides<'_>) -> TestApp {
    let (mut vars, inbox) = service_vars();
    vars.insert("OTP_BIND".into(), "127.0.0.1:0".into());
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    spawn_with_settings(settings, inbox).await
}

/// The settings a test service starts from: DynamoDB Local (a fresh table)
/// and maildev when the test command provides them, else the memory store
/// and a fresh outbox directory; and where its messages can be read back.
pub fn service_vars() -> (HashMap<String, String>, Inbox) {
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("OTP_WEB_HOST".into(), "otp.test".into());
    vars.insert(
        "OTP_MAIL_FROM".into(),
        "OTP Test <no-reply@otp.test>".into(),
    );
    if let Some(endpoint) = service_env("OTP_TEST_DYNAMODB_ENDPOINT") {
        vars.insert("OTP_TABLE".into(), format!("otp-test-{}", random_suffix()));
        vars.insert("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint);
        vars.insert("OTP_CREATE_TABLE".into(), "true".into());
        vars.insert("OTP_STORE_TIMEOUT_MS".into(), STORE_TIMEOUT_MS.into());
    }
    let inbox = match (
        service_env("OTP_TEST_MAILDEV_SMTP"),
        service_env("OTP_TEST_MAILDEV_API"),
    ) {
        (Some(smtp), Some(api)) => {
            vars.insert("OTP_SMTP_URL".into(), format!("smtp://{smtp}"));
            Inbox::Maildev { api }
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("otp-outbox-{}", random_suffix()));
            vars.insert("OTP_OUTBOX_DIR".into(), dir.display().to_string());
            Inbox::Outbox { dir }
        }
    };
    (vars, inbox)
}

pub async fn spawn_with_settings(settings: Settings, inbox: Inbox) -> TestApp {
    let clock = ManualClock::starting_now();
    let app = Application::build(&settings, Arc::new(clock.clone()) as Arc<dyn Clock>)
        .await
        .expect("the app starts");
    serve(app, clock, inbox)
}

/// [`spawn_with_settings`] on a store made beforehand
/// (`otp::startup::build_store`).
pub async fn spawn_with_store(settings: Settings, store: Arc<dyn Store>, inbox: Inbox) -> TestApp {
    let clock = ManualClock::starting_now();
    let app =
        Application::build_with_store(&settings, Arc::new(clock.clone()) as Arc<dyn Clock>, store)
            .await
            .expect("the app starts");
    serve(app, clock, inbox)
}

/// Runs `app` until the [`TestApp`] is dropped.
fn serve(app: Application, clock: ManualClock, inbox: Inbox) -> TestApp {
    // Logs only when asked: `TEST_LOG=1 cargo test …`.
    if std::env::var_os("TEST_LOG").is_some() {
        otp::telemetry::init_tracing(otp::telemetry::LogFormat::Pretty);
    }
    let addr = app.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        clock,
        inbox,
        _shutdown: tx,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("the request reaches the app")
    }

    pub async fn post_send(&self, email: &str) -> Response {
        self.post("/api/otp/send", json!({ "email": email })).await
    }

    /// A send with an idempotency key, as the page makes it.
    pub async fn post_send_with_id(&self, email: &str, request_id: &str) -> Response {
        self.post(
            "/api/otp/send",
            json!({ "email": email, "request_id": request_id }),
        )
        .await
    }

    /// A send carrying a solved challenge.
    pub async fn post_send_with_proof(
        &self,
        email: &str,
        request_id: Option<&str>,
        proof: &Proof,
    ) -> Response {
        let mut body = json!({ "email": email, "proof": proof });
        if let Some(id) = request_id {
            body["request_id"] = json!(id);
        }
        self.post("/api/otp/send", body).await
    }

    /// A resend carrying a solved challenge.
    pub async fn post_resend_with_proof(&self, flow_id: &str, proof: &Proof) -> Response {
        self.post(
            "/api/otp/resend",
            json!({ "flow_id": flow_id, "proof": proof }),
        )
        .await
    }

    /// The same app as seen from another client: requests leave from
    /// `source`, another loopback address (127.0.0.2, …).
    pub fn client_at(&self, source: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(source.parse::<std::net::IpAddr>().expect("an address"))
            .build()
            .expect("a client")
    }

    pub async fn post_resend(&self, flow_id: &str) -> Response {
        self.post("/api/otp/resend", json!({ "flow_id": flow_id }))
            .await
    }

    pub async fn post_verify(&self, flow_id: &str, code: &str) -> Response {
        self.post(
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": code }),
        )
        .await
    }

    /// Sends a code and reads it back from the inbox (where it arrives under
    /// the delivery form: as typed, the domain in lower-case A-labels).
    pub async fn start_flow(&self, email: &str) -> (SendResponse, String) {
        let response = self.post_send(email).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let sent: SendResponse = response.json().await.unwrap();
        let to = Email::parse(email).expect("a valid address");
        let code = self.inbox.wait_for_code(to.delivery(), 1).await;
        (sent, code)
    }
}

/// The error body of a response, after checking its status.
pub async fn expect_error(response: Response, status: StatusCode, code: ErrorCode) -> ErrorBody {
    assert_eq!(response.status(), status, "status");
    let body: ErrorBody = response
        .json()
        .await
        .expect("an error body in the API's shape");
    assert_eq!(body.error.code, code, "error code");
    assert!(!body.error.message.is_empty());
    body
}

/// A 429 with `code` whose `Retry-After` header and `retry_after` field both
/// say `secs`; returns the body.
pub async fn expect_retry_after(response: Response, code: ErrorCode, secs: u64) -> ErrorBody {
    let header = response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .to_owned();
    let body = expect_error(response, StatusCode::TOO_MANY_REQUESTS, code).await;
    assert_eq!(header, secs.to_string(), "Retry-After");
    assert_eq!(body.error.retry_after, Some(secs));
    body
}

/// A solution to `challenge`, found the way the page's solver finds it.
pub fn solve(challenge: &Challenge) -> Proof {
    let nonce = otp_api::pow::search(&challenge.token, challenge.difficulty, 0, 1 << 30)
        .expect("a solution");
    Proof {
        challenge: challenge.token.clone(),
        nonce,
    }
}

/// A different six-digit code.
pub fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}
