//! Measures the built `otp` binary against its budgets (`scripts/bench`
//! states them and prints the table):
//!
//! - `cold-start --bin PATH [--runs N]`: exec to the first `200` on
//!   `/api/health`, N fresh processes;
//! - `load --bin PATH --maildev-api URL [--seconds S] [--connections C]`:
//!   peak RSS of the server while C clients run send/verify flows;
//! - `latency --bin PATH [--flows N]`: an approving verify next to two
//!   sequential bare `UpdateItem` calls on the same DynamoDB;
//! - `sign-in --bin PATH --maildev-api URL [--flows N]`: an app's whole
//!   sign-in (authorize, the page's sign-in, send, verify, token), N in a row;
//! - `mail --bin PATH (--maildev-api URL | --maildir DIR) [--flows N]`: a
//!   warm send and the service's mailer alone, next to Python's `smtplib`
//!   handing the same message to the same relay (`OTP_SMTP_URL`);
//! - `first-request --bin PATH (--maildev-api URL | --maildir DIR) [--runs N]`:
//!   exec to the answer of the first `send`, and the first approving
//!   `verify`, N fresh processes; and the first `send` of N processes
//!   that sat idle after their start.
//!
//! The server's settings come from this process's environment (scripts/bench
//! sets them); only `OTP_BIND` is chosen here (and for `sign-in`, the
//! issuer at that address and the one app it signs in to). Results are printed as
//! `result <name> <value>` lines, which scripts/bench turns into its table.
//! Run without a mode (as a plain `cargo bench` does), it does nothing.

mod cold_start;
mod first_request;
mod latency;
mod load;
mod mail;
mod server;
mod sign_in;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options common to every mode; each mode reads the ones it needs.
pub(crate) struct Options {
    bin: PathBuf,
    runs: usize,
    seconds: u64,
    connections: usize,
    flows: usize,
    maildev_api: Option<String>,
    /// Where the STARTTLS capture server writes its messages.
    maildir: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        bin: PathBuf::from("target/release/otp"),
        runs: 20,
        seconds: 30,
        connections: 50,
        flows: 200,
        maildev_api: None,
        maildir: None,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        // `cargo bench` appends `--bench` to the arguments of every bench.
        if flag == "--bench" {
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a number: {value}"))
        };
        match flag.as_str() {
            "--bin" => options.bin = PathBuf::from(value),
            "--runs" => options.runs = number()?,
            "--seconds" => options.seconds = number()? as u64,
            "--connections" => options.connections = number()?,
            "--flows" => options.flows = number()?,
            "--maildev-api" => options.maildev_api = Some(value.clone()),
            "--maildir" => options.maildir = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

/// Prints one figure for scripts/bench.
pub(crate) fn result(name: &str, value: impl std::fmt::Display) {
    println!("result {name} {value}");
}

/// Milliseconds with microsecond resolution, as the table shows them.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

/// The nearest-rank percentile `q` (0–1] of sorted samples.
pub(crate) fn percentile(sorted: &[Duration], q: f64) -> Duration {
    assert!(!sorted.is_empty(), "no samples");
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().filter(|a| !a.starts_with("--")) else {
        println!(
            "service: driven by scripts/bench (modes: cold-start, first-request, load, latency, mail, sign-in)"
        );
        return ExitCode::SUCCESS;
    };
    let options = match parse(&args[1..]) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("service: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match mode.as_str() {
        "cold-start" => cold_start::run(&options),
        "first-request" => first_request::run(&options),
        "load" => load::run(&options),
        "latency" => latency::run(&options),
        "mail" => mail::run(&options),
        "sign-in" => sign_in::run(&options),
        other => Err(anyhow::anyhow!("unknown mode {other}")),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("service {mode}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
