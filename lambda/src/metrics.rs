//! What an operator counts: codes sent, deliveries failed, verifies by
//! outcome, lockouts, refusals by budget, sign-ins, token exchanges, SES
//! notifications handled and the latency of each endpoint, as CloudWatch
//! Embedded Metric Format (EMF).
//!
//! With the JSON log format (`OTP_LOG_FORMAT=json`, the Lambda default) each
//! event is one EMF object on one line of stdout, beside the other log
//! lines: CloudWatch Logs turns it into a metric in the namespace
//! `OTP_METRICS_NAMESPACE` (default `otp`), without a `PutMetricData` call,
//! and a local run or a test sees exactly what CloudWatch will. With the
//! readable format the same events are ordinary log lines (`metric …`).
//!
//! Each metric has at most one dimension, its values a small fixed set of
//! names chosen here ([`Metric`], [`Route`]): never an address, a code, a
//! flow id, a client id, a secret or a network address.
//!
//! A line is formatted in full and written with one `write_all` on the
//! locked stdout, as tracing-subscriber writes its own lines, so the two
//! never interleave mid-line. Nothing is aggregated or buffered: a frozen
//! Lambda loses nothing, and a request pays one small write.

use crate::mailer::MailFailure;
use crate::settings::LogFormat;
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The namespace when `OTP_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "otp";

/// How a verify that reached a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOutcome {
    Approved,
    /// The right code again after its approval (a retry after a lost answer).
    Replayed,
    Wrong,
    Expired,
    /// The flow's tries are spent.
    TooManyAttempts,
    AlreadyUsed,
    UnknownFlow,
}

/// The budget or rule that refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Sends per client (in memory or in the store).
    ClientSends,
    /// Verifies per client (in memory or in the store).
    ClientVerifies,
    /// Sends per address and client per day.
    Pair,
    /// Sends per address per day, at its absolute cap.
    Address,
    /// A proof of work asked for: the address's free budget is spent, it is
    /// locked out, or a spent proof came again.
    ProofRequired,
    /// Sends per flow.
    FlowSends,
    /// A resend within the cooldown.
    ResendCooldown,
    /// Failed token requests per app or client address.
    TokenFailures,
    /// The mailbox is on the suppression list (a hard bounce or a complaint).
    Suppressed,
}

/// What an SES notification (bounce, complaint, …) amounted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationKind {
    /// A permanent bounce suppressed a mailbox.
    Bounce,
    /// A complaint suppressed a mailbox.
    Complaint,
    /// Nothing to do: a transient bounce, a delivery, another event.
    Ignored,
    /// Could not be read (or a recipient was not an address).
    Malformed,
}

/// A step of an app's sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStage {
    /// `/authorize` stored a request.
    Started,
    /// An approving verify granted its code.
    Completed,
    /// The person went back to the app.
    Cancelled,
    /// `/authorize` refused the request (error page or error redirect).
    Refused,
}

/// How a `/token` request ended (RFC 6749 §5.2's codes, and ours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOutcome {
    Ok,
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    RateLimited,
    Unavailable,
}

/// One counted event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A message with a code went out (a first send or a resend).
    CodeSent,
    DeliveryFailed(MailFailure),
    Verify(VerifyOutcome),
    /// An address's wrong codes started a lockout.
    LockoutStarted,
    Refused(Budget),
    SignIn(SignInStage),
    Token(TokenOutcome),
    Notification(NotificationKind),
}

impl Metric {
    /// The metric's name and its one dimension, if any.
    pub fn parts(self) -> (&'static str, Option<(&'static str, &'static str)>) {
        match self {
            Metric::CodeSent => ("CodesSent", None),
            Metric::DeliveryFailed(class) => (
                "DeliveryFailures",
                Some((
                    "Class",
                    match class {
                        MailFailure::Undeliverable => "undeliverable",
                        MailFailure::Operator => "operator",
                        MailFailure::Transient => "transient",
                    },
                )),
            ),
            Metric::Verify(outcome) => (
                "Verifies",
                Some((
                    "Outcome",
                    match outcome {
                        VerifyOutcome::Approved => "approved",
                        VerifyOutcome::Replayed => "replayed",
                        VerifyOutcome::Wrong => "wrong",
                        VerifyOutcome::Expired => "expired",
                        VerifyOutcome::TooManyAttempts => "too_many_attempts",
                        VerifyOutcome::AlreadyUsed => "already_used",
                        VerifyOutcome::UnknownFlow => "unknown_flow",
                    },
                )),
            ),
            Metric::LockoutStarted => ("Lockouts", None),
            Metric::Refused(budget) => (
                "Refusals",
                Some((
                    "Budget",
                    match budget {
                        Budget::ClientSends => "client_sends",
                        Budget::ClientVerifies => "client_verifies",
                        Budget::Pair => "pair",
                        Budget::Address => "address",
                        Budget::ProofRequired => "proof_required",
                        Budget::FlowSends => "flow_sends",
                        Budget::ResendCooldown => "resend_cooldown",
                        Budget::TokenFailures => "token_failures",
                        Budget::Suppressed => "suppressed",
                    },
                )),
            ),
            Metric::Notification(kind) => (
                "Notifications",
                Some((
                    "Kind",
                    match kind {
                        NotificationKind::Bounce => "bounce",
                        NotificationKind::Complaint => "complaint",
                        NotificationKind::Ignored => "ignored",
                        NotificationKind::Malformed => "malformed",
                    },
                )),
            ),
            Metric::SignIn(stage) => (
                "SignIns",
                Some((
                    "Stage",
                    match stage {
                        SignInStage::Started => "started",
                        SignInStage::Completed => "completed",
                        SignInStage::Cancelled => "cancelled",
                        SignInStage::Refused => "refused",
                    },
                )),
            ),
            Metric::Token(outcome) => (
                "TokenExchanges",
                Some((
                    "Outcome",
                    match outcome {
                        TokenOutcome::Ok => "ok",
                        TokenOutcome::InvalidRequest => "invalid_request",
                        TokenOutcome::InvalidClient => "invalid_client",
                        TokenOutcome::InvalidGrant => "invalid_grant",
                        TokenOutcome::UnsupportedGrantType => "unsupported_grant_type",
                        TokenOutcome::RateLimited => "rate_limited",
                        TokenOutcome::Unavailable => "unavailable",
                    },
                )),
            ),
        }
    }
}

/// The route templates whose latency is measured; anything else (page
/// assets, unknown paths) is `other`, so the dimension stays a fixed set.
pub const ROUTES: [&str; 12] = [
    "/api/otp/send",
    "/api/otp/resend",
    "/api/otp/verify",
    "/api/sign-in",
    "/api/sign-in/cancel",
    "/api/health",
    "/api/openapi.json",
    "/.well-known/openid-configuration",
    "/.well-known/jwks.json",
    "/authorize",
    "/token",
    "/userinfo",
];

/// The `Route` dimension of a request: its route template if it is one of
/// [`ROUTES`], else `other`.
pub fn route(template: Option<&str>) -> &'static str {
    template
        .and_then(|t| ROUTES.iter().find(|r| **r == t))
        .copied()
        .unwrap_or("other")
}

/// Where the events go, decided once at start ([`init`]).
enum Sink {
    /// EMF lines on stdout; the namespace already a JSON string.
    Emf { namespace: String },
    /// Ordinary log lines, through tracing.
    Log,
}

static SINK: OnceLock<Sink> = OnceLock::new();

/// Chooses where events go: EMF lines with the JSON log format, ordinary
/// log lines otherwise. Until it is called (tests of the library), events
/// are log lines, which no subscriber may be listening to.
pub fn init(format: LogFormat, namespace: &str) {
    let sink = match format {
        LogFormat::Json => Sink::Emf {
            namespace: json_string(namespace),
        },
        LogFormat::Pretty => Sink::Log,
    };
    // A second call (tests) keeps the first.
    let _ = SINK.set(sink);
}

/// Counts one `metric`.
pub fn record(metric: Metric) {
    let (name, dimension) = metric.parts();
    emit(name, Value::Count(1), dimension);
}

/// Records how long a request to `route` (from [`route`]) took.
pub fn latency(route: &'static str, elapsed: Duration) {
    emit(
        "Latency",
        Value::Milliseconds(elapsed.as_secs_f64() * 1000.0),
        Some(("Route", route)),
    );
}

/// A metric's value and, by its variant, its unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Count(u64),
    Milliseconds(f64),
}

impl Value {
    fn unit(self) -> &'static str {
        match self {
            Value::Count(_) => "Count",
            Value::Milliseconds(_) => "Milliseconds",
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Count(n) => write!(f, "{n}"),
            // Microsecond resolution; always a valid JSON number.
            Value::Milliseconds(ms) if ms.is_finite() && *ms >= 0.0 => write!(f, "{ms:.3}"),
            Value::Milliseconds(_) => f.write_str("0"),
        }
    }
}

fn emit(name: &'static str, value: Value, dimension: Option<(&'static str, &'static str)>) {
    match SINK.get() {
        Some(Sink::Emf { namespace }) => {
            let mut line = emf_line(namespace, now_ms(), name, value, dimension);
            line.push('\n');
            // One write of the whole line on the locked stdout: whole lines
            // only. A log that cannot be written is no reason to fail a request.
            let _ = std::io::stdout().lock().write_all(line.as_bytes());
        }
        Some(Sink::Log) | None => match dimension {
            Some((key, of)) => tracing::info!(
                target: "otp::metrics",
                %value,
                unit = %value.unit(),
                "metric {name} {key}={of}"
            ),
            None => tracing::info!(
                target: "otp::metrics",
                %value,
                unit = %value.unit(),
                "metric {name}"
            ),
        },
    }
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

/// `s` as a JSON string, quotes included.
fn json_string(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// One EMF object: `namespace` is already a JSON string; names, units and
/// dimension values are fixed identifiers that need no escaping.
pub fn emf_line(
    namespace: &str,
    timestamp_ms: u128,
    name: &str,
    value: Value,
    dimension: Option<(&str, &str)>,
) -> String {
    let unit = value.unit();
    match dimension {
        Some((key, dimension_value)) => format!(
            concat!(
                r#"{{"_aws":{{"Timestamp":{ts},"CloudWatchMetrics":[{{"Namespace":{ns},"#,
                r#""Dimensions":[["{key}"]],"Metrics":[{{"Name":"{name}","Unit":"{unit}"}}]}}]}},"#,
                r#""{key}":"{dv}","{name}":{value}}}"#
            ),
            ts = timestamp_ms,
            ns = namespace,
            key = key,
            name = name,
            unit = unit,
            dv = dimension_value,
            value = value,
        ),
        None => format!(
            concat!(
                r#"{{"_aws":{{"Timestamp":{ts},"CloudWatchMetrics":[{{"Namespace":{ns},"#,
                r#""Dimensions":[[]],"Metrics":[{{"Name":"{name}","Unit":"{unit}"}}]}}]}},"#,
                r#""{name}":{value}}}"#
            ),
            ts = timestamp_ms,
            ns = namespace,
            name = name,
            unit = unit,
            value = value,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value as Json, json};

    #[test]
    fn a_counter_with_its_dimension_is_one_emf_object() {
        let line = emf_line(
            &json_string("otp"),
            1_700_000_000_123,
            "Verifies",
            Value::Count(1),
            Some(("Outcome", "wrong")),
        );
        assert_eq!(
            line,
            r#"{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"otp","Dimensions":[["Outcome"]],"Metrics":[{"Name":"Verifies","Unit":"Count"}]}]},"Outcome":"wrong","Verifies":1}"#
        );
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["Verifies"], json!(1));
    }

    #[test]
    fn a_counter_without_dimension_has_the_empty_dimension_set() {
        let line = emf_line(
            &json_string("my/otp"),
            5,
            "CodesSent",
            Value::Count(1),
            None,
        );
        assert_eq!(
            line,
            r#"{"_aws":{"Timestamp":5,"CloudWatchMetrics":[{"Namespace":"my/otp","Dimensions":[[]],"Metrics":[{"Name":"CodesSent","Unit":"Count"}]}]},"CodesSent":1}"#
        );
    }

    #[test]
    fn latency_is_in_milliseconds_to_the_microsecond() {
        let line = emf_line(
            &json_string("otp"),
            5,
            "Latency",
            Value::Milliseconds(Duration::from_micros(2_345).as_secs_f64() * 1000.0),
            Some(("Route", route(Some("/api/otp/verify")))),
        );
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["Latency"], json!(2.345));
        assert_eq!(parsed["Route"], json!("/api/otp/verify"));
        assert_eq!(
            parsed["_aws"]["CloudWatchMetrics"][0]["Metrics"][0],
            json!({"Name": "Latency", "Unit": "Milliseconds"})
        );
        assert_eq!(Value::Milliseconds(f64::NAN).to_string(), "0");
    }

    #[test]
    fn a_namespace_is_escaped_once() {
        let line = emf_line(&json_string("a\"b"), 5, "Lockouts", Value::Count(1), None);
        let parsed: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(
            parsed["_aws"]["CloudWatchMetrics"][0]["Namespace"],
            json!("a\"b")
        );
    }

    #[test]
    fn routes_are_a_fixed_set() {
        assert_eq!(route(Some("/token")), "/token");
        assert_eq!(route(Some("/assets/app-1234.wasm")), "other");
        assert_eq!(route(None), "other");
    }

    #[test]
    fn every_metric_is_a_valid_emf_object_with_a_plain_dimension() {
        use MailFailure as M;
        let all = [
            Metric::CodeSent,
            Metric::DeliveryFailed(M::Undeliverable),
            Metric::DeliveryFailed(M::Operator),
            Metric::DeliveryFailed(M::Transient),
            Metric::Verify(VerifyOutcome::Approved),
            Metric::Verify(VerifyOutcome::Replayed),
            Metric::Verify(VerifyOutcome::Wrong),
            Metric::Verify(VerifyOutcome::Expired),
            Metric::Verify(VerifyOutcome::TooManyAttempts),
            Metric::Verify(VerifyOutcome::AlreadyUsed),
            Metric::Verify(VerifyOutcome::UnknownFlow),
            Metric::LockoutStarted,
            Metric::Refused(Budget::ClientSends),
            Metric::Refused(Budget::ClientVerifies),
            Metric::Refused(Budget::Pair),
            Metric::Refused(Budget::Address),
            Metric::Refused(Budget::ProofRequired),
            Metric::Refused(Budget::FlowSends),
            Metric::Refused(Budget::ResendCooldown),
            Metric::Refused(Budget::TokenFailures),
            Metric::Refused(Budget::Suppressed),
            Metric::Notification(NotificationKind::Bounce),
            Metric::Notification(NotificationKind::Complaint),
            Metric::Notification(NotificationKind::Ignored),
            Metric::Notification(NotificationKind::Malformed),
            Metric::SignIn(SignInStage::Started),
            Metric::SignIn(SignInStage::Completed),
            Metric::SignIn(SignInStage::Cancelled),
            Metric::SignIn(SignInStage::Refused),
            Metric::Token(TokenOutcome::Ok),
            Metric::Token(TokenOutcome::InvalidRequest),
            Metric::Token(TokenOutcome::InvalidClient),
            Metric::Token(TokenOutcome::InvalidGrant),
            Metric::Token(TokenOutcome::UnsupportedGrantType),
            Metric::Token(TokenOutcome::RateLimited),
            Metric::Token(TokenOutcome::Unavailable),
        ];
        let mut seen = std::collections::HashSet::new();
        for metric in all {
            let (name, dimension) = metric.parts();
            assert!(seen.insert((name, dimension)), "{metric:?} is not distinct");
            let line = emf_line("\"otp\"", 1, name, Value::Count(1), dimension);
            let parsed: Json = serde_json::from_str(&line).expect("valid JSON");
            assert_eq!(parsed[name], json!(1));
            if let Some((key, value)) = dimension {
                assert!(key.chars().all(|c| c.is_ascii_alphabetic()));
                assert!(value.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
                assert_eq!(parsed[key], json!(value));
            }
        }
    }
}
