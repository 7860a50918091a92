//! Memory under load: many clients at once, each running flows for the
//! whole run: send a code to a new address, then one wrong guess, or (every
//! fourth flow) the right code read back from maildev. The server's peak RSS
//! (`VmHWM`) is read when the clients stop.

use crate::server::Server;
use crate::{Options, result};
use anyhow::{Context, bail};
use otp_api::{SendRequest, SendResponse, VerifyRequest};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Tally {
    sends: AtomicU64,
    wrong: AtomicU64,
    approved: AtomicU64,
    failed: AtomicU64,
}

/// The fields of a maildev message this reads.
#[derive(Deserialize)]
struct Message {
    subject: String,
}

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    let maildev = options
        .maildev_api
        .clone()
        .context("load needs --maildev-api")?;
    let (server, _) = Server::start(&options.bin, false)?;
    let idle = server.rss_kib()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let tally = Arc::new(Tally::default());
    let elapsed = runtime.block_on(drive(options, &server, &maildev, &tally));
    let peak = server.peak_rss_kib()?;
    drop(server);
    let elapsed = elapsed?;

    let requests = tally.sends.load(Ordering::Relaxed)
        + tally.wrong.load(Ordering::Relaxed)
        + tally.approved.load(Ordering::Relaxed);
    let failed = tally.failed.load(Ordering::Relaxed);
    result("load_connections", options.connections);
    result("load_seconds", format!("{:.1}", elapsed.as_secs_f64()));
    result("load_sends", tally.sends.load(Ordering::Relaxed));
    result("load_wrong_codes", tally.wrong.load(Ordering::Relaxed));
    result("load_approvals", tally.approved.load(Ordering::Relaxed));
    result("load_failed", failed);
    result(
        "load_rps",
        format!("{:.0}", requests as f64 / elapsed.as_secs_f64()),
    );
    result("rss_idle_kib", idle);
    // Failed requests (timeouts of an overloaded store, say) are counted
    // and reported next to the figure, not fatal: the peak is still real.
    result("rss_peak_kib", peak);
    Ok(())
}

async fn drive(
    options: &Options,
    server: &Server,
    maildev: &str,
    tally: &Arc<Tally>,
) -> anyhow::Result<Duration> {
    // One connection per client, as that many browsers would hold.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(options.connections)
        .build()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let run_id = std::process::id();
    let clients: Vec<_> = (0..options.connections)
        .map(|client| {
            let http = http.clone();
            let base = server.url("");
            let maildev = maildev.to_owned();
            let tally = Arc::clone(tally);
            tokio::spawn(async move {
                let mut round = 0u64;
                while Instant::now() < deadline {
                    let email = format!("load-{run_id}-{client}-{round}@example.com");
                    let approve = round.is_multiple_of(4);
                    if let Err(e) = flow(&http, &base, &maildev, &email, approve, &tally).await
                        && tally.failed.fetch_add(1, Ordering::Relaxed) == 0
                    {
                        eprintln!("load: first failure: {e:#}");
                    }
                    round += 1;
                }
            })
        })
        .collect();
    for client in clients {
        client.await?;
    }
    Ok(started.elapsed())
}

async fn flow(
    http: &reqwest::Client,
    base: &str,
    maildev: &str,
    email: &str,
    approve: bool,
    tally: &Tally,
) -> anyhow::Result<()> {
    let send = SendRequest {
        email: email.to_owned(),
        request_id: None,
        proof: None,
        sign_in: None,
        locale: None,
    };
    let response = http
        .post(format!("{base}/api/otp/send"))
        .json(&send)
        .send()
        .await?;
    if response.status() != 202 {
        bail!("send answered {}", response.status());
    }
    let sent: SendResponse = response.json().await?;
    tally.sends.fetch_add(1, Ordering::Relaxed);

    let code = if approve {
        code_from_maildev(http, maildev, email).await?
    } else {
        "000000".to_owned()
    };
    let verify = VerifyRequest {
        flow_id: sent.flow_id,
        code,
    };
    let response = http
        .post(format!("{base}/api/otp/verify"))
        .json(&verify)
        .send()
        .await?;
    match response.status().as_u16() {
        200 => tally.approved.fetch_add(1, Ordering::Relaxed),
        422 if !approve => tally.wrong.fetch_add(1, Ordering::Relaxed),
        status => bail!("verify answered {status}"),
    };
    Ok(())
}

/// The code in the subject of the newest message to `email`. maildev may
/// store a message a moment after it accepted it, so this asks again briefly.
pub(crate) async fn code_from_maildev(
    http: &reqwest::Client,
    maildev: &str,
    email: &str,
) -> anyhow::Result<String> {
    let url = format!("{maildev}/api/email");
    for _ in 0..100 {
        let messages: Vec<Message> = http
            .get(&url)
            .query(&[("to.address", email)])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if let Some(message) = messages.last() {
            let code: String = message.subject.chars().take(6).collect();
            if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(code);
            }
            bail!("no code in the subject {:?}", message.subject);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("no message to {email} in maildev")
}
