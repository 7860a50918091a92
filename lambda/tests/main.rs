//! The service's tests beyond its unit tests, as one binary. Each test binary
//! links the whole service and the AWS SDK again, so every suite is a module
//! of this one (`autotests = false` and one `[[test]]` in `Cargo.toml`), and
//! they share one [`support`] module. None needs a process of its own: the
//! tests that read logs or metrics run the built binary as a child.
//!
//! ```sh
//! cargo test -p otp-lambda --test integration             # every suite
//! cargo test -p otp-lambda --test integration oidc::      # one suite
//! scripts/services -- cargo test -p otp-lambda --test integration
//! ```
//!
//! Without the test services, the suites run on the memory store and the
//! outbox, and a test that needs a service says it is skipped; under
//! `scripts/services` (as `scripts/test` runs them) they run against
//! DynamoDB Local, maildev and the SMTP test servers, and a missing one fails.
//!
//! - [`api`]: the JSON API over real HTTP, its OpenAPI document included
//! - [`oidc`]: the OpenID Connect provider over real HTTP
//! - [`store_contract`]: the contract of both stores, concurrency included
//! - [`fuzz`]: property-based fuzzing of the parsers and the HTTP app
//! - [`lambda_events`]: recorded Lambda events through `lambda_http`
//! - [`mail`], [`mail_refusals`]: the SMTP mailer against real servers
//! - [`notifications`]: SES bounces and complaints, then the sends they stop
//! - [`binary`], [`metrics`]: the built binary, its logs and its metrics
//! - [`cost`]: the store calls and log bytes of each flow

mod api;
mod binary;
mod cost;
mod fuzz;
mod lambda_events;
mod mail;
mod mail_refusals;
mod metrics;
mod notifications;
mod oidc;
mod store_contract;
mod support;

use std::path::Path;

/// Every Rust file and folder beside this one is one of its modules: Cargo
/// builds no other test binary from `tests/`, so a suite left out here would
/// never run.
#[test]
fn every_suite_is_a_module_of_this_binary() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let declared: Vec<&str> = include_str!("main.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let is_rust = |path: &Path| path.extension().is_some_and(|e| e == "rs");
    for entry in std::fs::read_dir(&tests).expect("the tests folder") {
        let path = entry.expect("a folder entry").path();
        let name = if path.is_dir() {
            let holds_rust = std::fs::read_dir(&path)
                .expect("a folder")
                .any(|e| is_rust(&e.expect("a folder entry").path()));
            if !holds_rust {
                continue;
            }
            path.file_name()
        } else if is_rust(&path) && path.file_name().is_some_and(|n| n != "main.rs") {
            path.file_stem()
        } else {
            continue;
        };
        let name = name.and_then(|n| n.to_str()).expect("a UTF-8 name");
        assert!(
            declared.contains(&name),
            "tests/{name} is not a module of tests/main.rs, so its tests never run"
        );
    }
}
