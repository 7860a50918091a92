//! The `otp` binary: on AWS Lambda when `AWS_LAMBDA_RUNTIME_API` is set,
//! otherwise a local server on 127.0.0.1:3000. Settings: docs/operating.md.
//! On Lambda, `OTP_HANDLER=notifications` takes SES bounce and complaint
//! notifications instead of HTTP; `otp suppression show|add|lift <email>`
//! reads, adds or lifts a suppression in the configured table.

use otp::settings::{Handler, ListSettings, Settings, SettingsError};
use otp::startup;
use otp::telemetry::{self, LogFormat};
use std::future::Future;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("suppression") {
        return match startup::suppression_command(&args[1..]).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("otp: {e:#}");
                ExitCode::from(64)
            }
        };
    }
    match Handler::from_env() {
        Ok(Handler::Http) => {
            run(
                Settings::from_env(),
                |s| (s.log_format, &s.metrics_namespace),
                startup::run,
            )
            .await
        }
        // The SES notifications handler.
        Ok(Handler::Notifications) => {
            run(
                ListSettings::from_env(),
                |s| (s.log_format, &s.metrics_namespace),
                startup::run_notifications,
            )
            .await
        }
        Err(e) => configuration_error(e),
    }
}

/// Starts logging and metrics as `settings` say, then `serve`s; a setting
/// that stops the start exits 78 (EX_CONFIG) before anything runs.
async fn run<S, F, Fut>(
    settings: Result<S, SettingsError>,
    logs: impl Fn(&S) -> (LogFormat, &str),
    serve: F,
) -> ExitCode
where
    F: FnOnce(S) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return configuration_error(e),
    };
    let (format, namespace) = logs(&settings);
    telemetry::init_tracing(format);
    otp::metrics::init(format, namespace);
    match serve(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "stopped");
            eprintln!("otp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn configuration_error(e: SettingsError) -> ExitCode {
    eprintln!("otp: configuration error: {e}");
    ExitCode::from(78)
}
