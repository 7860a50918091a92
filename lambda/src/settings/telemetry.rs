//! What the process writes for its operator: the log format and the
//! metrics' CloudWatch namespace.

use super::{Env, SettingsError};
use crate::metrics;
use crate::telemetry::LogFormat;

/// The log format and the metrics namespace.
pub(super) fn logs_from(env: &Env, on_lambda: bool) -> Result<(LogFormat, String), SettingsError> {
    let log_format = match env.get("OTP_LOG_FORMAT") {
        Some("json") => LogFormat::Json,
        Some("pretty") => LogFormat::Pretty,
        Some(other) => {
            return Err(SettingsError::Invalid {
                var: "OTP_LOG_FORMAT",
                why: format!("`{other}`, expected `json` or `pretty`"),
            });
        }
        None if on_lambda => LogFormat::Json,
        None => LogFormat::Pretty,
    };
    let metrics_namespace = env
        .get("OTP_METRICS_NAMESPACE")
        .unwrap_or(metrics::DEFAULT_NAMESPACE)
        .to_owned();
    metrics::check_namespace(&metrics_namespace).map_err(|why| SettingsError::Invalid {
        var: "OTP_METRICS_NAMESPACE",
        why,
    })?;
    Ok((log_format, metrics_namespace))
}
