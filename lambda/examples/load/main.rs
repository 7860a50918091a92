//! Load run: the local server on DynamoDB Local, many connections doing the
//! person's steps (send, read the code, verify; sometimes a wrong code first,
//! sometimes two verifies racing for the same approval), for a fixed time.
//!
//! Afterwards it checks that no answer was a 5xx and, by scanning the table,
//! that the approvals the clients saw are exactly the flows with `used_at`,
//! counted as the store counts them ([`approvals`]: a right code answered
//! again is a replay of the one approval, not a second). Prints p50/p99 per
//! step.
//!
//! Run it with `tests/load/run` (which starts DynamoDB Local and builds this):
//!
//! ```text
//! target/release/examples/load --server target/release/otp \
//!     --endpoint http://127.0.0.1:8000 --duration 60 --connections 50
//! ```
//!
//! The server runs with the outbox mailer; it prints one line per message
//! (`code <code> for <masked address> …`). Each flow gets an address on a
//! domain of its own, so the masked address still says which flow a code is for.

mod approvals;

use approvals::{Approvals, Verdict};
use aws_sdk_dynamodb::types::AttributeValue;
use rand::Rng;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

struct Args {
    server: String,
    endpoint: String,
    duration: Duration,
    connections: usize,
}

fn args() -> Args {
    let mut args = Args {
        server: "target/release/otp".into(),
        endpoint: std::env::var("OTP_TEST_DYNAMODB_ENDPOINT").unwrap_or_default(),
        duration: Duration::from_secs(60),
        connections: 50,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--server" => args.server = value,
            "--endpoint" => args.endpoint = value,
            "--duration" => args.duration = Duration::from_secs(value.parse().expect("seconds")),
            "--connections" => args.connections = value.parse().expect("a count"),
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        !args.endpoint.is_empty(),
        "--endpoint or OTP_TEST_DYNAMODB_ENDPOINT: DynamoDB Local"
    );
    args
}

/// Codes by the domain of the address they went to.
#[derive(Default)]
struct Codes {
    by_domain: Mutex<HashMap<String, String>>,
    arrived: Notify,
}

impl Codes {
    async fn wait_for(&self, domain: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let notified = self.arrived.notified();
            if let Some(code) = self.by_domain.lock().unwrap().remove(domain) {
                return code;
            }
            assert!(Instant::now() < deadline, "no code for {domain} in 30 s");
            let _ = tokio::time::timeout(Duration::from_millis(50), notified).await;
        }
    }
}

/// The server under test, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(args: &Args, table: &str, port: u16, codes: Arc<Codes>) -> Server {
    let outbox = std::env::temp_dir().join(format!("otp-load-{table}"));
    let mut child = Command::new(&args.server)
        .env("OTP_BIND", format!("127.0.0.1:{port}"))
        .env("OTP_TABLE", table)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &args.endpoint)
        .env("OTP_CREATE_TABLE", "true")
        .env("OTP_OUTBOX_DIR", &outbox)
        .env("OTP_SENDS_PER_EMAIL_PER_DAY", "10000")
        .env("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "10000")
        .env("OTP_MAX_SENDS_PER_EMAIL_PER_DAY", "10000")
        .env("OTP_FAILURES_PER_EMAIL_PER_DAY", "10000")
        .env("OTP_SENDS_PER_IP_PER_HOUR", "1000000")
        .env("OTP_VERIFIES_PER_IP_PER_HOUR", "1000000")
        // DynamoDB Local on a small shared machine answers far slower than
        // DynamoDB; the deployed default (2 s) would turn its queueing into 503s.
        .env(
            "OTP_STORE_TIMEOUT_MS",
            std::env::var("OTP_STORE_TIMEOUT_MS").unwrap_or_else(|_| "15000".into()),
        )
        .env("RUST_LOG", "warn")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // `code 123456 for p***@f1-2.load.example -> …`
            let mut words = line.split_whitespace();
            if words.next() != Some("code") {
                continue;
            }
            let code = words.next().unwrap_or_default().to_owned();
            let _for = words.next();
            let domain = words
                .next()
                .and_then(|m| m.split_once('@'))
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default();
            codes.by_domain.lock().unwrap().insert(domain, code);
            codes.arrived.notify_waiters();
        }
    });
    Server(child)
}

#[derive(Default)]
struct Tally {
    send: Mutex<Vec<u32>>,
    verify: Mutex<Vec<u32>>,
    statuses: Mutex<HashMap<u16, u64>>,
    approvals: Mutex<Approvals>,
    flows: AtomicU64,
}

impl Tally {
    fn record(&self, step: &Mutex<Vec<u32>>, started: Instant, status: u16) {
        step.lock()
            .unwrap()
            .push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        *self.statuses.lock().unwrap().entry(status).or_default() += 1;
    }
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    match client.post(url).json(&body).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or_default())
        }
        // A transport failure is a failure of the service: counted as 599.
        Err(_) => (599, serde_json::Value::Null),
    }
}

/// One connection's loop until `until`.
async fn worker(n: usize, base: String, until: Instant, codes: Arc<Codes>, tally: Arc<Tally>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    let (send_url, verify_url) = (
        format!("{base}/api/otp/send"),
        format!("{base}/api/otp/verify"),
    );
    let mut seq = 0u64;
    while Instant::now() < until {
        seq += 1;
        let domain = format!("f{n}-{seq}.load.example");
        let started = Instant::now();
        let (status, body) = post(
            &client,
            &send_url,
            serde_json::json!({ "email": format!("p@{domain}") }),
        )
        .await;
        tally.record(&tally.send, started, status);
        if status != 202 {
            continue;
        }
        tally.flows.fetch_add(1, Ordering::Relaxed);
        let flow_id = body["flow_id"].as_str().unwrap_or_default().to_owned();
        let code = codes.wait_for(&domain).await;
        let roll: u8 = rand::rng().random_range(0..10);
        if roll < 3 {
            let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
            let started = Instant::now();
            let (status, _) = post(
                &client,
                &verify_url,
                serde_json::json!({ "flow_id": flow_id, "code": wrong }),
            )
            .await;
            tally.record(&tally.verify, started, status);
        }
        // Sometimes two verifies race for the same approval.
        let tries = if roll >= 8 { 2 } else { 1 };
        let verifies = (0..tries).map(|_| {
            let (client, url, flow_id, code) = (
                client.clone(),
                verify_url.clone(),
                flow_id.clone(),
                code.clone(),
            );
            async move {
                let started = Instant::now();
                let (status, body) = post(
                    &client,
                    &url,
                    serde_json::json!({ "flow_id": flow_id, "code": code }),
                )
                .await;
                (started, status, body)
            }
        });
        for (started, status, body) in futures_util::future::join_all(verifies).await {
            tally.record(&tally.verify, started, status);
            if status == 200 {
                tally.approvals.lock().unwrap().record(&flow_id, body);
            }
        }
    }
}

/// Flow ids with `used_at` set, from a full scan of the table, and the
/// number of flows.
async fn approved_in_store(endpoint: &str, table: &str) -> (HashSet<String>, u64) {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let mut approved = HashSet::new();
    let mut flows = 0;
    let mut pages = client.scan().table_name(table).into_paginator().send();
    while let Some(page) = pages.next().await {
        for item in page.expect("the table scans").items() {
            let Some(AttributeValue::S(pk)) = item.get("pk") else {
                continue;
            };
            let Some(id) = pk.strip_prefix("flow#") else {
                continue;
            };
            flows += 1;
            if item.contains_key("used_at") {
                approved.insert(id.to_owned());
            }
        }
    }
    (approved, flows)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

#[tokio::main]
async fn main() {
    let args = args();
    let table = format!("otp-load-{:08x}", rand::random::<u32>());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let codes = Arc::new(Codes::default());
    let _server = start_server(&args, &table, port, codes.clone());
    let base = format!("http://127.0.0.1:{port}");
    let ready = Instant::now() + Duration::from_secs(120);
    while reqwest::get(format!("{base}/api/health")).await.is_err() {
        assert!(Instant::now() < ready, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let until = started + args.duration;
    let workers: Vec<_> = (0..args.connections)
        .map(|n| tokio::spawn(worker(n, base.clone(), until, codes.clone(), tally.clone())))
        .collect();
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
    let elapsed = started.elapsed().as_secs_f64();

    let statuses = tally.statuses.lock().unwrap().clone();
    let requests: u64 = statuses.values().sum();
    let server_errors: u64 = statuses
        .iter()
        .filter(|(s, _)| **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let (stored, stored_flows) = approved_in_store(&args.endpoint, &table).await;
    let verdict = Verdict::new(&tally.approvals.lock().unwrap(), &stored, server_errors);

    let mut send = tally.send.lock().unwrap().clone();
    let mut verify = tally.verify.lock().unwrap().clone();
    send.sort_unstable();
    verify.sort_unstable();
    let mut by_status: Vec<_> = statuses.into_iter().collect();
    by_status.sort_unstable();
    println!(
        "duration {elapsed:.1}s, connections {}, requests {requests} ({:.0}/s)",
        args.connections,
        requests as f64 / elapsed
    );
    println!("statuses {by_status:?}");
    println!(
        "flows started {} (in the table {stored_flows}), approved in the table {}",
        tally.flows.load(Ordering::Relaxed),
        stored.len()
    );
    println!("{verdict}");
    println!(
        "send   p50 {:.1} ms  p99 {:.1} ms  (n={})",
        percentile(&send, 0.5),
        percentile(&send, 0.99),
        send.len()
    );
    println!(
        "verify p50 {:.1} ms  p99 {:.1} ms  (n={})",
        percentile(&verify, 0.5),
        percentile(&verify, 0.99),
        verify.len()
    );
    println!("{}", if verdict.passed() { "PASS" } else { "FAIL" });
    if !verdict.passed() {
        std::process::exit(1);
    }
}
