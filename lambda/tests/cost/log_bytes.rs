//! The bytes of log each flow writes, as CloudWatch Logs would ingest them:
//! the built binary with the JSON log format (the Lambda default, metric
//! lines included) on DynamoDB Local and maildev, every line of its
//! standard output and error counted with its newline.

use super::flows::{self, Flows};
use super::services;
use crate::support::{Inbox, Running, STORE_TIMEOUT_MS, dynamodb_local_env, random_token};
use serde_json::Value;

/// Bytes, lines and the part of them that are metric (EMF) lines.
#[derive(Debug, Default)]
struct Bytes {
    lines: usize,
    bytes: usize,
    metric_lines: usize,
    metric_bytes: usize,
}

fn measure(lines: &[String]) -> Bytes {
    let mut out = Bytes::default();
    for line in lines {
        let n = line.len() + 1;
        out.lines += 1;
        out.bytes += n;
        let is_metric = serde_json::from_str::<Value>(line).is_ok_and(|v| v.get("_aws").is_some());
        if is_metric {
            out.metric_lines += 1;
            out.metric_bytes += n;
        }
    }
    out
}

/// How many requests the lines show answered: each request's last line.
fn answered(lines: &[String]) -> usize {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "answered")
        .count()
}

/// Lambda's own `START`, `END` and `REPORT` records of one invocation: an
/// estimate, since only Lambda writes them.
const PLATFORM_BYTES_PER_INVOCATION: usize = 300;

fn report(name: &str, requests: usize, b: &Bytes) {
    println!(
        "{name}: {} B in {} lines ({} requests), of which metrics {} B in {} lines; \
         with Lambda's records (about {PLATFORM_BYTES_PER_INVOCATION} B an invocation) {} B",
        b.bytes,
        b.lines,
        requests,
        b.metric_bytes,
        b.metric_lines,
        b.bytes + requests * PLATFORM_BYTES_PER_INVOCATION
    );
}

#[test]
fn each_flow_writes_this_much_log() {
    let Some((endpoint, smtp, maildev)) = services() else {
        return;
    };
    let table = format!("otp-cost-log-{}", random_token(6));
    let smtp_url = format!("smtp://{smtp}");
    let clients = flows::clients_json();
    let dynamodb = dynamodb_local_env(&endpoint);
    let mut envs = vec![
        ("OTP_BIND", "127.0.0.1:0"),
        ("OTP_LOG_FORMAT", "json"),
        ("OTP_TABLE", &table),
        ("OTP_CREATE_TABLE", "true"),
        ("OTP_STORE_TIMEOUT_MS", STORE_TIMEOUT_MS),
        ("OTP_SMTP_URL", &smtp_url),
        ("OTP_CLIENTS", &clients),
    ];
    envs.extend(dynamodb.iter().map(|(k, v)| (*k, v.as_str())));
    let mut server = Running::start(&envs);
    let base = format!("http://{}", server.address());
    server.wait_for("the provider's start line", |line| {
        line.contains("OpenID Connect provider").then_some(())
    });
    let start = measure(&server.seen);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let flows = Flows::new(base, Inbox::Maildev { api: maildev });

    let from = server.seen.len();
    runtime.block_on(flows.verification(|_| {}));
    server.wait_until("three requests answered", |seen| {
        answered(&seen[from..]) == 3
    });
    let verification = measure(&server.seen[from..]);

    let from = server.seen.len();
    runtime.block_on(flows.sign_in(|_| {}));
    server.wait_until("six requests answered", |seen| answered(&seen[from..]) == 6);
    let sign_in = measure(&server.seen[from..]);

    println!();
    report("start (once per instance)", 0, &start);
    report("verification (flow a)", 3, &verification);
    report("sign-in (flow b)", 6, &sign_in);
    // Every request writes at least its latency metric.
    assert!(verification.metric_lines >= 3, "{verification:?}");
    assert!(sign_in.metric_lines >= 6, "{sign_in:?}");
}
