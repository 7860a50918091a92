//! What a verification and an app's sign-in cost, counted on the real
//! service so that the cost table in docs/operating.md cannot drift:
//!
//! - every DynamoDB call each step makes, through the real HTTP router on
//!   DynamoDB Local, recorded by an interceptor on the store's own client
//!   (`recorder.rs`) and compared with the exact list below: a change that
//!   adds a store call fails here, and that table is updated with it;
//! - the bytes of log each flow writes, from the built binary with the
//!   Lambda's JSON log format (`log_bytes.rs`).
//!
//! ```sh
//! scripts/services -- cargo test -p otp-lambda --test integration cost:: -- --nocapture
//! ```
//!
//! prints the totals per flow (calls, read and write units, log bytes).

mod flows;
mod log_bytes;
mod recorder;

use crate::support::{Inbox, STORE_TIMEOUT_MS, random_token, service_or_skip, spawn_with_store};
use flows::{Flows, Step};
use otp::settings::Settings;
use otp::startup;
use recorder::{Call, Recorder, Units};
use std::collections::HashMap;
use std::time::Duration;

/// DynamoDB Local's endpoint, maildev's SMTP address and maildev's API, or
/// `None` without them (the test is skipped).
fn services() -> Option<(String, String, String)> {
    Some((
        service_or_skip("OTP_TEST_DYNAMODB_ENDPOINT")?,
        service_or_skip("OTP_TEST_MAILDEV_SMTP")?,
        service_or_skip("OTP_TEST_MAILDEV_API")?,
    ))
}

/// The calls each step makes, sorted (calls made side by side have no
/// order). Every item is far below 1 KB, so each line's units follow from
/// it (see [`Call::rule_units`]).
const START: &[&str] = &["GetItem warm"];
const VERIFICATION: &[(Step, &[&str])] = &[
    (Step::Send, SEND),
    // The try's count and, side by side, the client's first lease of its
    // verify budget on this instance (one unit, spent by this verify).
    (
        Step::WrongVerify,
        &["UpdateItem flow", "UpdateItem limit:verify-ip"],
    ),
    // The count beside the next lease (two units: one charged and given
    // back to the lease when the code is right, in memory), then the
    // approval; the session the approval leaves.
    (
        Step::Verify,
        &[
            "TransactWriteItems session+sessions",
            "UpdateItem flow",
            "UpdateItem flow",
            "UpdateItem limit:verify-ip",
        ],
    ),
];
const SIGN_IN: &[(Step, &[&str])] = &[
    (Step::Authorize, &["PutItem authreq"]),
    (Step::SignInPage, &["GetItem authreq (consistent)"]),
    // A new message, and the app's name for it, side by side.
    (
        Step::Send,
        &[
            "BatchGetItem limit:send-email+limit:send-email+limit:send-email (consistent)",
            "GetItem authreq (consistent)",
            "TransactWriteItems flow+idem+limit:send-ip+limit:send-pair+limit:send-email+check:suppress+check:suppress",
        ],
    ),
    // The verify's charge is a unit of the lease the verification above
    // left this client on this instance (given back when the code is
    // right): nothing written for it. A client's first verify of the hour
    // on an instance adds the lease's `UpdateItem limit:verify-ip`.
    (
        Step::Verify,
        &[
            "GetItem authreq (consistent)",
            "TransactWriteItems session+sessions",
            "UpdateItem authreq",
            "UpdateItem flow",
            "UpdateItem flow",
        ],
    ),
    (Step::Token, &["UpdateItem authreq"]),
    (Step::UserInfo, &["GetItem authreq (consistent)"]),
];
const SILENT: &[(Step, &[&str])] = &[
    (
        Step::SilentAuthorize,
        &[
            "GetItem session (consistent)",
            "TransactWriteItems authreq+session",
        ],
    ),
    (Step::Token, &["UpdateItem authreq"]),
    (Step::UserInfo, &["GetItem authreq (consistent)"]),
];
/// A new message: the address's sends of the last three days read (the
/// lists of its flows, for its lockouts; none hold a flow here, so no flow
/// is read), then the flow, its idempotency key and three budgets written
/// together, with the address's suppression checked (under the pseudonym
/// key, and under the HMAC key for one recorded before suppressions moved
/// there).
const SEND: &[&str] = &[
    "BatchGetItem limit:send-email+limit:send-email+limit:send-email (consistent)",
    "TransactWriteItems flow+idem+limit:send-ip+limit:send-pair+limit:send-email+check:suppress+check:suppress",
];

/// Waits, without sleeping blindly, until `n` calls are recorded.
async fn recorded(recorder: &Recorder, n: usize) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while recorder.len() < n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{n} store calls expected, {} seen", recorder.len()));
}

fn described(calls: &[Call]) -> Vec<String> {
    let mut lines: Vec<String> = calls.iter().map(Call::to_string).collect();
    lines.sort();
    lines
}

/// Checks one flow's calls step by step and returns its totals; prints
/// every step first, so a failure shows the whole flow.
fn check_flow(name: &str, got: &[(Step, Vec<Call>)], expected: &[(Step, &[&str])]) -> Units {
    let mut total = Units::default();
    let mut calls = 0;
    let mut changed = Vec::new();
    println!("\n{name}: store calls per step");
    for (i, (step, step_calls)) in got.iter().enumerate() {
        let lines = described(step_calls);
        let mut step_units = Units::default();
        for call in step_calls {
            let rule = call.rule_units();
            // The documented rules are what DynamoDB bills; DynamoDB Local
            // reports other units for transactions and batch reads.
            if let Some(reported) = call.reported.filter(|_| call.reported_as_billed()) {
                assert_eq!(
                    reported, rule,
                    "{name}, {step:?}: DynamoDB reported other units than the rules for {call}"
                );
            }
            step_units += rule;
        }
        println!(
            "  {:<12} RCU {:>4} WCU {:>4}  {}",
            format!("{step:?}"),
            step_units.read,
            step_units.write,
            lines.join(", ")
        );
        let matches = expected
            .get(i)
            .is_some_and(|(want_step, want)| want_step == step && lines == *want);
        if !matches {
            println!("  ^ changed");
            changed.push(format!("{step:?}: {lines:?}"));
        }
        calls += step_calls.len();
        total += step_units;
    }
    println!(
        "{name}: {calls} calls, {} read units, {} write units",
        total.read, total.write
    );
    assert!(
        changed.is_empty() && got.len() == expected.len(),
        "{name}: the store calls changed; update the cost table in docs/operating.md:\n{}",
        changed.join("\n")
    );
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_step_makes_exactly_these_store_calls() {
    let Some((endpoint, smtp, maildev)) = services() else {
        return;
    };
    let table = format!("otp-cost-{}", random_token(6));
    let vars: HashMap<String, String> = [
        ("OTP_BIND", "127.0.0.1:0".to_owned()),
        ("OTP_TABLE", table),
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint),
        ("OTP_CREATE_TABLE", "true".to_owned()),
        ("OTP_STORE_TIMEOUT_MS", STORE_TIMEOUT_MS.to_owned()),
        ("OTP_SMTP_URL", format!("smtp://{smtp}")),
        ("OTP_CLIENTS", flows::clients_json()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let recorder = Recorder::default();
    let store = startup::build_store(&settings.store, settings.store_timeout, {
        let recorder = recorder.clone();
        move |config| config.interceptor(recorder)
    })
    .await
    .expect("the store starts");
    let app = spawn_with_store(settings, store, Inbox::Maildev { api: maildev }).await;

    // Start-up warms the client with one read of an item that never exists.
    recorded(&recorder, START.len()).await;
    assert_eq!(described(&recorder.take()), START);

    let flows = Flows::new(app.url(""), app.inbox.clone());
    let mut steps = Vec::new();
    flows
        .verification(|step| steps.push((step, recorder.take())))
        .await;
    let verification = check_flow("verification (flow a)", &steps, VERIFICATION);

    let mut steps = Vec::new();
    let cookie = flows
        .sign_in(|step| steps.push((step, recorder.take())))
        .await;
    let sign_in = check_flow("sign-in (flow b)", &steps, SIGN_IN);

    let mut steps = Vec::new();
    flows
        .silent_sign_in(&cookie, |step| steps.push((step, recorder.take())))
        .await;
    let silent = check_flow("silent sign-in (flow c)", &steps, SILENT);

    println!(
        "\nper 10 000: verifications {} RRU, {} WRU; sign-ins {} RRU, {} WRU; \
         silent sign-ins {} RRU, {} WRU",
        verification.read * 1e4,
        verification.write * 1e4,
        sign_in.read * 1e4,
        sign_in.write * 1e4,
        silent.read * 1e4,
        silent.write * 1e4
    );
}
