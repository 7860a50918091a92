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
//! names chosen here ([`Metric`], [`ROUTES`]): never an address, a code, a
//! flow id, a client id, a secret or a network address.
//!
//! A line is formatted in full and written with one `write_all` on the
//! locked stdout, as tracing-subscriber writes its own lines, so the two
//! never interleave mid-line. Nothing is aggregated or buffered: a frozen
//! Lambda loses nothing, and a request pays one small write.
//!
//! - `event.rs`: what is counted, each event's name and dimension
//! - `emf.rs`: one event as an EMF object

mod emf;
mod event;

pub use emf::Value;
pub use event::{
    Delivery, Metric, NotificationKind, ROUTES, RefusedBy, SignInStage, TokenOutcome,
    VerifyOutcome, route,
};

use crate::telemetry::LogFormat;
use emf::{emf_line, json_string};
use std::io::Write;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The namespace when `OTP_METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "otp";

/// Whether `ns` can be a CloudWatch namespace: 1 to 255 of letters, digits
/// and `.-_/#: `, not under `AWS/` (reserved for AWS's own). The reason
/// when not.
pub fn check_namespace(ns: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
    if ns.is_empty() || ns.len() > 255 || !ns.chars().all(allowed) {
        return Err(format!(
            "`{ns}`: 1 to 255 letters, digits and `.-_/#: ` expected"
        ));
    }
    if ns.starts_with("AWS/") {
        return Err(format!("`{ns}`: namespaces under `AWS/` are AWS's own"));
    }
    Ok(())
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

#[cfg(test)]
mod tests;
