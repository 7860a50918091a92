//! The `otp` binary: on AWS Lambda when `AWS_LAMBDA_RUNTIME_API` is set,
//! otherwise a local server on 127.0.0.1:3000. See the README for settings.
//! On Lambda, `OTP_HANDLER=notifications` takes SES bounce and complaint
//! notifications instead of HTTP; `otp suppression show|lift <email>` reads
//! or lifts a suppression in the configured table.

use otp::settings::{Handler, ListSettings, Settings};
use otp::startup;
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
        Ok(Handler::Http) => {}
        Ok(Handler::Notifications) => return notifications().await,
        Err(e) => {
            eprintln!("otp: configuration error: {e}");
            return ExitCode::from(78);
        }
    }
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

/// The SES notifications handler (`OTP_HANDLER=notifications`).
async fn notifications() -> ExitCode {
    let settings = match ListSettings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("otp: configuration error: {e}");
            return ExitCode::from(78);
        }
    };
    startup::init_tracing(settings.log_format);
    otp::metrics::init(settings.log_format, &settings.metrics_namespace);
    match startup::run_notifications(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "stopped");
            eprintln!("otp: {e:#}");
            ExitCode::FAILURE
        }
    }
}
