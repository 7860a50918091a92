//! `spawn_app()`: the real service on a random loopback port, backed by
//! DynamoDB Local and maildev when the test command provides them, by the
//! memory store and the outbox otherwise.

use otp::domain::{Clock, Email, ManualClock};
use otp::settings::Settings;
use otp::startup::Application;
use otp_api::{Challenge, ErrorBody, ErrorCode, Proof, SendResponse};
use rand::Rng;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// A service the test command started, or `None` when running without them
/// (then a missing one is a failure only if `OTP_TEST_SERVICES` is set).
pub fn service_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if std::env::var("OTP_TEST_SERVICES").is_ok() => {
            panic!("{var} is not set, but OTP_TEST_SERVICES says the test services run")
        }
        _ => None,
    }
}

pub fn random_suffix() -> String {
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// A fresh address per test, so tests share no budget.
pub fn random_email() -> String {
    format!("person-{}@example.com", random_suffix())
}

/// Where the app's messages can be read back.
#[derive(Clone)]
pub enum Inbox {
    Maildev { api: String },
    Outbox { dir: PathBuf },
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
        // DynamoDB Local on two cores, shared with every other test binary,
        // serializes 50 parallel writes to one item far slower than DynamoDB.
        vars.insert("OTP_STORE_TIMEOUT_MS".into(), "15000".into());
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
    // Logs only when asked: `TEST_LOG=1 cargo test …`.
    if std::env::var_os("TEST_LOG").is_some() {
        otp::telemetry::init_tracing(otp::telemetry::LogFormat::Pretty);
    }
    let clock = ManualClock::starting_now();
    let app = Application::build(&settings, Arc::new(clock.clone()) as Arc<dyn Clock>)
        .await
        .expect("the app starts");
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

/// Every message maildev holds, oldest first.
async fn maildev_emails(api: &str) -> Vec<Value> {
    reqwest::Client::new()
        .get(format!("{api}/api/email"))
        .send()
        .await
        .expect("maildev answers")
        .json()
        .await
        .expect("maildev lists emails")
}

impl Inbox {
    /// Waits until `count` messages reached `to`, returns the code of the newest.
    pub async fn wait_for_code(&self, to: &str, count: usize) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let subjects = self.subjects(to).await;
            if subjects.len() >= count {
                let subject = subjects.last().unwrap();
                return subject
                    .split_whitespace()
                    .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
                    .unwrap_or_else(|| panic!("no code in subject {subject:?}"))
                    .to_owned();
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} message(s) to {to} did not arrive; got {}",
                subjects.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The recipient of every message in the inbox, whoever sent it.
    pub async fn recipients(&self) -> Vec<String> {
        match self {
            Inbox::Maildev { api } => maildev_emails(api)
                .await
                .iter()
                .flat_map(|e| e["to"].as_array().cloned().unwrap_or_default())
                .filter_map(|to| to["address"].as_str().map(str::to_owned))
                .collect(),
            Inbox::Outbox { dir } => std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|text| {
                    text.lines()
                        .find_map(|l| l.strip_prefix("To: "))
                        .map(str::to_owned)
                })
                .collect(),
        }
    }

    /// The messages to `to` as maildev parsed them (`subject`, `text`,
    /// `html`, `headers`), oldest first; `None` without maildev.
    pub async fn maildev_messages(&self, to: &str) -> Option<Vec<Value>> {
        let Inbox::Maildev { api } = self else {
            return None;
        };
        // maildev shows the address as it parsed it (IDN domains in
        // Unicode, local part as sent): compare normalized forms.
        let wanted = Email::parse(to).expect("a valid address");
        let mut emails = maildev_emails(api).await;
        emails.retain(|e| {
            e["to"].as_array().into_iter().flatten().any(|t| {
                t["address"]
                    .as_str()
                    .and_then(|a| Email::parse(a).ok())
                    .is_some_and(|a| a == wanted)
            })
        });
        Some(emails)
    }

    /// Subjects of the messages to `to`, oldest first.
    pub async fn subjects(&self, to: &str) -> Vec<String> {
        match self {
            Inbox::Maildev { .. } => self
                .maildev_messages(to)
                .await
                .unwrap_or_default()
                .iter()
                .map(|e| e["subject"].as_str().unwrap_or_default().to_owned())
                .collect(),
            Inbox::Outbox { dir } => {
                let mut found = Vec::new();
                let Ok(entries) = std::fs::read_dir(dir) else {
                    return found;
                };
                let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                paths.sort();
                for path in paths {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    // Domains ignore case, and servers treat local parts
                    // the same way: `Ann@` and `ann@` are one inbox.
                    let to = to.to_ascii_lowercase();
                    let to_line =
                        |l: &str| l.starts_with("To:") && l.to_ascii_lowercase().contains(&to);
                    if !text.lines().any(to_line) {
                        continue;
                    }
                    if let Some(subject) = text.lines().find_map(|l| l.strip_prefix("Subject: ")) {
                        found.push(subject.to_owned());
                    }
                }
                found
            }
        }
    }
}
