//! Property-based fuzzing of everything that reads untrusted input: the
//! address, flow id and code parsers, and the HTTP app's three POST
//! endpoints (memory store, outbox mailer), fed arbitrary bytes and
//! almost-valid JSON.
//!
//! Properties: nothing panics, nothing answers 5xx, every answer is either a
//! success or the API's error shape, and the parsers' outputs are normalized.
//!
//! A plain `cargo test` runs a few hundred cases per target. At volume, a
//! number of cases per target, or batches of cases until a time is up (the
//! five targets run in parallel):
//!
//! ```text
//! OTP_FUZZ_CASES=2000000 cargo test --release -p otp-lambda --test integration fuzz:: -- --nocapture
//! OTP_FUZZ_SECS=600 OTP_FUZZ_CASES=10000 cargo test -p otp-lambda --test integration fuzz:: -- --nocapture
//! ```
//!
//! Each target prints how many inputs it ran and how long it took; a failure
//! prints the smallest input proptest could shrink it to.

use axum::Router;
use axum::body::Body;
use http::{Request, StatusCode, header};
use otp::domain::{Email, FlowId, SystemClock};
use otp::settings::Settings;
use otp_api::{CODE_LENGTH, ErrorBody, MAX_EMAIL_LEN, parse_code};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tower::ServiceExt;

/// Cases per target: `OTP_FUZZ_CASES`, or a quick default.
fn cases() -> u32 {
    std::env::var("OTP_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn runner() -> TestRunner {
    TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    })
}

/// How long to keep going: `OTP_FUZZ_SECS` runs batches of [`cases`]
/// until that many seconds have passed; unset, one batch.
fn duration() -> Option<Duration> {
    std::env::var("OTP_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs)
}

/// Runs `test` on `strategy` (fresh random seeds per batch), then prints how
/// many inputs it took.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let started = Instant::now();
    let runs = AtomicU64::new(0);
    loop {
        let result = runner().run(&strategy, |value| {
            runs.fetch_add(1, Ordering::Relaxed);
            test(value)
        });
        if let Err(e) = result {
            panic!(
                "fuzz {name}: failed after {} executions: {e}",
                runs.load(Ordering::Relaxed)
            );
        }
        if duration().is_none_or(|d| started.elapsed() >= d) {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {} executions in {:.1}s, 0 failures",
        runs.into_inner(),
        started.elapsed().as_secs_f64()
    );
}

/// Strings that look like what the parsers expect, and then go wrong:
/// pieces of addresses, ids and codes glued with hostile characters.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("@".to_owned()),
        Just(".".to_owned()),
        Just(" ".to_owned()),
        Just("\r\n".to_owned()),
        Just("\0".to_owned()),
        Just("-".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("xn--".to_owned()),
        "[a-zA-Z0-9_-]{1,24}",
        "[0-9]{1,7}",
        "\\PC{1,4}",
        "[\\x00-\\x7f]{1,4}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|parts| parts.concat())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        "\\PC{0,300}",
        tricky_text(),
    ]
}

#[test]
fn email_parse_never_panics_and_normalizes() {
    fuzz("Email::parse", any_text(), |input| {
        if let Ok(email) = Email::parse(&input) {
            let s = email.as_str();
            prop_assert!(s.chars().count() <= MAX_EMAIL_LEN);
            prop_assert!(!s.chars().any(char::is_control));
            prop_assert!(!s.chars().any(char::is_uppercase));
            prop_assert_eq!(s.matches('@').count(), 1);
            let again = Email::parse(s);
            prop_assert_eq!(again.as_ref(), Ok(&email));
        }
        Ok(())
    });
}

#[test]
fn flow_id_parse_never_panics_and_is_canonical() {
    let strategy = prop_oneof![any_text(), "[A-Za-z0-9_-]{20,24}"];
    fuzz("FlowId::parse", strategy, |input| {
        if let Some(id) = FlowId::parse(&input) {
            prop_assert_eq!(id.as_str(), input.as_str());
            // Display and Debug show a prefix only, and never panic.
            let _ = format!("{id} {id:?}");
        }
        Ok(())
    });
}

#[test]
fn parse_code_never_panics_and_yields_six_digits() {
    let strategy = prop_oneof![any_text(), "[0-9 -]{0,16}", "[0-9\\PC]{0,8}"];
    fuzz("parse_code", strategy, |input| {
        if let Some(code) = parse_code(&input) {
            prop_assert_eq!(code.len(), CODE_LENGTH);
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
        }
        Ok(())
    });
}

/// The app with default budgets, a memory store and an outbox in its own
/// temporary folder (removed on drop).
struct Harness {
    runtime: tokio::runtime::Runtime,
    app: Router,
    outbox: PathBuf,
    /// Flow ids the app handed out, so later inputs can aim at real flows.
    flows: Mutex<Vec<String>>,
    /// Answers by status, printed at the end to show what the inputs reached.
    statuses: Mutex<std::collections::BTreeMap<u16, u64>>,
}

impl Harness {
    fn new() -> Harness {
        let outbox = std::env::temp_dir().join(format!("otp-fuzz-{}", rand::random::<u64>()));
        let vars = HashMap::from([("OTP_OUTBOX_DIR".to_owned(), outbox.display().to_string())]);
        let settings = Settings::from_vars(vars).expect("default settings are valid");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let router = runtime
            .block_on(otp::startup::build_router(
                &settings,
                Arc::new(SystemClock),
                "http://127.0.0.1:3000".into(),
            ))
            .expect("the service builds");
        Harness {
            runtime,
            // As the local server sees it: every request from a TCP peer.
            app: router.layer(axum::extract::connect_info::MockConnectInfo(
                std::net::SocketAddr::from(([127, 0, 0, 1], 40_000)),
            )),
            outbox,
            flows: Mutex::new(Vec::new()),
            statuses: Mutex::default(),
        }
    }

    fn known_flow(&self, pick: usize) -> Option<String> {
        let flows = self.flows.lock().unwrap();
        (!flows.is_empty()).then(|| flows[pick % flows.len()].clone())
    }

    /// Posts `body` and checks the answer's properties.
    fn post(&self, path: &str, content_type: &str, body: Vec<u8>) -> Result<(), TestCaseError> {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let (status, bytes) = self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, bytes)
        });
        *self
            .statuses
            .lock()
            .unwrap()
            .entry(status.as_u16())
            .or_default() += 1;
        prop_assert!(
            !status.is_server_error(),
            "{} {}: {}",
            path,
            status,
            String::from_utf8_lossy(&bytes)
        );
        if status.is_success() {
            let value: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| TestCaseError::fail(format!("{path} {status}: {e}")))?;
            if status == StatusCode::ACCEPTED && path == "/api/otp/send" {
                let id = value["flow_id"].as_str().unwrap_or_default().to_owned();
                prop_assert!(FlowId::parse(&id).is_some(), "flow id {id:?}");
                let mut flows = self.flows.lock().unwrap();
                if flows.len() < 1000 {
                    flows.push(id);
                }
            }
        } else {
            let error: Result<ErrorBody, _> = serde_json::from_slice(&bytes);
            prop_assert!(
                error.is_ok(),
                "{} {}: not the error shape: {}",
                path,
                status,
                String::from_utf8_lossy(&bytes)
            );
        }
        Ok(())
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        eprintln!("statuses {:?}", self.statuses.lock().unwrap());
        let _ = std::fs::remove_dir_all(&self.outbox);
    }
}

const PATHS: [&str; 3] = ["/api/otp/send", "/api/otp/resend", "/api/otp/verify"];

#[test]
fn http_endpoints_answer_arbitrary_bytes_in_shape() {
    let harness = Harness::new();
    let strategy = (
        0..PATHS.len(),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            any_text().prop_map(String::into_bytes),
        ],
        prop_oneof![
            4 => Just("application/json"),
            1 => Just("application/json; charset=utf-8"),
            1 => Just("text/plain"),
        ],
    );
    fuzz("HTTP bytes", strategy, |(path, body, content_type)| {
        harness.post(PATHS[path], content_type, body)
    });
}

/// A JSON value that is the right shape more often than chance would make it.
fn field_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    prop_oneof![
        6 => any_text().prop_map(Value::from),
        // A small set of valid addresses, so budgets fill up and refuse.
        4 => (0u8..40).prop_map(|n| Value::from(format!("fuzz{n}@example.com"))),
        3 => "[0-9]{6}".prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => proptest::collection::vec(any_text().prop_map(Value::from), 0..3).prop_map(Value::from),
    ]
}

/// The fields each endpoint takes, with values from [`field_value`]: most
/// of these are well-formed requests, so the steps behind decoding run.
fn shaped_fields(path: usize) -> BoxedStrategy<Vec<(String, serde_json::Value)>> {
    let field = |name: &'static str, value: BoxedStrategy<serde_json::Value>| {
        value.prop_map(move |v| (name.to_owned(), v))
    };
    let code = prop_oneof![
        3 => "[0-9]{6}".prop_map(serde_json::Value::from),
        1 => field_value(),
    ]
    .boxed();
    match path {
        0 => (
            field("email", field_value().boxed()),
            proptest::option::of(field("request_id", field_value().boxed())),
        )
            .prop_map(|(email, id)| std::iter::once(email).chain(id).collect())
            .boxed(),
        1 => field("flow_id", field_value().boxed())
            .prop_map(|f| vec![f])
            .boxed(),
        _ => (field("flow_id", field_value().boxed()), field("code", code))
            .prop_map(|(f, c)| vec![f, c])
            .boxed(),
    }
}

#[test]
fn http_endpoints_answer_almost_valid_json_in_shape() {
    let harness = Harness::new();
    let field = prop_oneof![
        Just("email".to_owned()),
        Just("flow_id".to_owned()),
        Just("code".to_owned()),
        Just("request_id".to_owned()),
        "[a-z_]{1,10}",
    ];
    let strategy = (0..PATHS.len()).prop_flat_map(move |path| {
        (
            Just(path),
            prop_oneof![
                1 => proptest::collection::vec((field.clone(), field_value()), 0..5),
                3 => shaped_fields(path),
            ],
            any::<usize>(),
            any::<bool>(),
        )
    });
    fuzz(
        "HTTP JSON",
        strategy,
        |(path, fields, pick, aim_at_a_flow)| {
            let mut object = serde_json::Map::new();
            for (name, value) in fields {
                object.insert(name, value);
            }
            if aim_at_a_flow && path > 0 {
                if let Some(id) = harness.known_flow(pick) {
                    object.insert("flow_id".into(), id.into());
                }
            }
            let body = serde_json::Value::Object(object).to_string().into_bytes();
            harness.post(PATHS[path], "application/json", body)
        },
    );
}
