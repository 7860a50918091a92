//! Verify latency: sequential flows (send, read the code from the outbox
//! line, a wrong code, the right one), timing only the verifies; interleaved
//! with the baseline, two sequential bare `UpdateItem` calls from the same
//! SDK on the same DynamoDB, so both see the same server in the same state.

use crate::server::Server;
use crate::{Options, ms, percentile, result};
use anyhow::{Context, bail, ensure};
use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::types::AttributeValue;
use otp_api::{SendRequest, SendResponse, VerifyRequest};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// Rounds before measuring: connection pools, the JVM's JIT, caches.
const WARM_UP: usize = 20;

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    let table = std::env::var("OTP_TABLE").context("OTP_TABLE is not set")?;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .context("AWS_ENDPOINT_URL_DYNAMODB is not set")?;
    let (server, codes) = Server::start(&options.bin, true)?;
    let codes = codes.context("the server's stdout is not captured")?;
    // One thread, like the sequential client it models.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(options, &server, &codes, &table, &endpoint))
}

struct Samples {
    verify: Vec<Duration>,
    /// A wrong code first, on the same flow.
    wrong: Vec<Duration>,
    pair: Vec<Duration>,
    single: Vec<Duration>,
    /// A verify's round trip with bare writes: two in parallel (the try's
    /// count and the client's charge; the approval and the charge given back).
    shape: Vec<Duration>,
    health: Vec<Duration>,
}

async fn measure(
    options: &Options,
    server: &Server,
    codes: &Receiver<String>,
    table: &str,
    endpoint: &str,
) -> anyhow::Result<()> {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let http = reqwest::Client::new();
    let run_id = format!("{}-{}", std::process::id(), epoch_millis());

    let mut samples = Samples {
        verify: Vec::with_capacity(options.flows),
        wrong: Vec::with_capacity(options.flows),
        pair: Vec::with_capacity(options.flows),
        single: Vec::with_capacity(options.flows),
        shape: Vec::with_capacity(options.flows),
        health: Vec::with_capacity(options.flows),
    };
    for round in 0..WARM_UP + options.flows {
        let email = format!("latency-{run_id}-{round}@example.com");
        let (wrong, verify) = approve(&http, server, codes, &email).await?;

        let started = Instant::now();
        bare_update(&dynamodb, table, "bench#update").await?;
        let single = started.elapsed();
        bare_update(&dynamodb, table, "bench#update").await?;
        let pair = started.elapsed();

        let started = Instant::now();
        // Different items, as the budget counter and the flow are.
        let (a, b) = tokio::join!(
            bare_update(&dynamodb, table, "bench#counter"),
            bare_update(&dynamodb, table, "bench#flow")
        );
        a?;
        b?;
        let shape = started.elapsed();

        let started = Instant::now();
        let health = http.get(server.url("/api/health")).send().await?;
        ensure!(
            health.status() == 200,
            "health answered {}",
            health.status()
        );
        health.bytes().await?;
        let health = started.elapsed();

        if round >= WARM_UP {
            samples.verify.push(verify);
            samples.wrong.push(wrong);
            samples.pair.push(pair);
            samples.single.push(single);
            samples.shape.push(shape);
            samples.health.push(health);
        }
    }
    report(samples);
    Ok(())
}

/// Sends a code to `email`, reads it from the outbox line, tries a wrong
/// code and then the right one, and returns how long each verify took.
async fn approve(
    http: &reqwest::Client,
    server: &Server,
    codes: &Receiver<String>,
    email: &str,
) -> anyhow::Result<(Duration, Duration)> {
    let send = SendRequest {
        email: email.to_owned(),
        request_id: None,
        proof: None,
        sign_in: None,
        locale: None,
    };
    let response = http
        .post(server.url("/api/otp/send"))
        .json(&send)
        .send()
        .await?;
    if response.status() != 202 {
        bail!(
            "send answered {}: {}",
            response.status(),
            response.text().await?
        );
    }
    let sent: SendResponse = response.json().await?;
    // The server prints the line before it answers the send.
    let code = codes
        .recv_timeout(Duration::from_secs(5))
        .context("no outbox line for the code")?;

    let n: u32 = code.parse()?;
    let wrong = VerifyRequest {
        flow_id: sent.flow_id.clone(),
        code: format!("{:06}", (n + 1) % 1_000_000),
    };
    let wrong = timed_verify(http, server, &wrong, 422).await?;
    let right = VerifyRequest {
        flow_id: sent.flow_id,
        code,
    };
    Ok((wrong, timed_verify(http, server, &right, 200).await?))
}

/// How long `verify` took to answer `expected`.
async fn timed_verify(
    http: &reqwest::Client,
    server: &Server,
    verify: &VerifyRequest,
    expected: u16,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = http
        .post(server.url("/api/otp/verify"))
        .json(verify)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    ensure!(
        status == expected,
        "verify answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(elapsed)
}

/// The cheapest write DynamoDB has: one counter, no condition, nothing returned.
async fn bare_update(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: &str,
) -> anyhow::Result<()> {
    client
        .update_item()
        .table_name(table)
        .key("pk", AttributeValue::S(key.to_owned()))
        .update_expression("ADD #n :one")
        .expression_attribute_names("#n", "n")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .context("UpdateItem failed")?;
    Ok(())
}

fn report(mut samples: Samples) {
    for list in [
        &mut samples.verify,
        &mut samples.wrong,
        &mut samples.pair,
        &mut samples.single,
        &mut samples.shape,
        &mut samples.health,
    ] {
        list.sort();
    }
    let verify_p50 = percentile(&samples.verify, 0.5);
    let wrong_p50 = percentile(&samples.wrong, 0.5);
    let pair_p50 = percentile(&samples.pair, 0.5);
    let floor = percentile(&samples.single, 0.5).as_secs_f64();
    result("latency_flows", samples.verify.len());
    result("verify_p50_ms", ms(verify_p50));
    result("verify_p99_ms", ms(percentile(&samples.verify, 0.99)));
    result("update_pair_p50_ms", ms(pair_p50));
    result("update_pair_p99_ms", ms(percentile(&samples.pair, 0.99)));
    result("update_single_p50_ms", ms(percentile(&samples.single, 0.5)));
    result("update_shape_p50_ms", ms(percentile(&samples.shape, 0.5)));
    result("health_p50_ms", ms(percentile(&samples.health, 0.5)));
    result("wrong_p50_ms", ms(wrong_p50));
    result("wrong_p99_ms", ms(percentile(&samples.wrong, 0.99)));
    // Each against the floor, one bare UpdateItem: an approving verify may
    // take two round trips, a wrong code one.
    result(
        "verify_ratio",
        format!("{:.2}", verify_p50.as_secs_f64() / floor),
    );
    result(
        "wrong_ratio",
        format!("{:.2}", wrong_p50.as_secs_f64() / floor),
    );
}

fn epoch_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}
