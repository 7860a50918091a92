//! The `otp` binary: on AWS Lambda when `AWS_LAMBDA_RUNTIME_API` is set,
//! otherwise a local server on 127.0.0.1:3000. See the README for settings.

use otp::settings::Settings;
use otp::startup;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("otp: configuration error: {e}");
            return ExitCode::from(78);
        }
    };
    startup::init_tracing(settings.log_format);
    otp::metrics::init(settings.log_format, &settings.metrics_namespace);
    match startup::run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "stopped");
            eprintln!("otp: {e:#}");
            ExitCode::FAILURE
        }
    }
}
