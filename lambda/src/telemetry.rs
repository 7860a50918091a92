//! What the process writes for its operator: log lines, as JSON on Lambda
//! (CloudWatch Logs Insights queries them) or readable at a terminal. The
//! metrics ([`crate::metrics`]) follow the same format.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line: CloudWatch Logs Insights can query it.
    Json,
    /// For a person at a terminal.
    Pretty,
}

/// Logs: JSON lines on Lambda, readable lines at a terminal. `RUST_LOG`
/// overrides the level; the AWS SDK and HTTP stack only speak up on
/// warnings. The WebAuthn library is silent: it logs a refused passkey
/// answer (a person's mistake, or a stranger's) at `error`, which the
/// service logs itself, at `info`, with the reason.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(
            "info,aws_config=warn,aws_smithy_runtime=warn,aws_smithy_runtime_api=warn,hyper=warn,lettre=warn,webauthn_rs=off,webauthn_rs_core=off",
        )
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let result = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_ansi(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().with_target(false).try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}
