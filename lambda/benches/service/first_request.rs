//! The first requests after a cold start: from spawning a fresh process to
//! the answer of its first request, a `send` (the message handed to the
//! relay), and then how long its first approving `verify` takes. The port is
//! polled with the send itself (connect until the server listens), so no
//! other request warms anything first. Reading the code from the mail is not
//! timed: that is the person reading their mail.
//!
//! Each process then runs a second flow, the same two requests on warm
//! clients, so the figures show what a cold start adds to each. Then N more
//! processes each answer `/api/health` and sit idle before their first
//! send, as an instance started ahead of its traffic.
//!
//! The code comes from maildev (`--maildev-api`) or from the `.eml` files
//! the STARTTLS capture server writes (`--maildir`).

use crate::load::code_from_maildev;
use crate::server::{Server, command, free_addr};
use crate::{Options, ms, percentile, result};
use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

/// A start that takes this long is broken, not slow.
const GIVE_UP: Duration = Duration::from_secs(10);

/// Times of one process: exec to the first send's answer, the first
/// verify, and the same two requests once warm.
struct Run {
    first_send: Duration,
    first_verify: Duration,
    warm_send: Duration,
    warm_verify: Duration,
}

/// How long an instance started ahead of its first request (Lambda's
/// provisioned or proactively initialized instances) sits idle before it.
const IDLE: Duration = Duration::from_millis(500);

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    // A first start that creates the table if it is missing, and warms
    // DynamoDB Local's JVM for it; not measured.
    drop(Server::start_at(
        &options.bin,
        free_addr()?,
        false,
        &[("OTP_CREATE_TABLE", "true")],
    )?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let http = reqwest::Client::new();
    let tag = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let mut runs = Vec::with_capacity(options.runs);
    for i in 0..options.runs {
        let run = once(options, &runtime, &http, &format!("first-{tag}-{i}"))
            .with_context(|| format!("run {i}"))?;
        runs.push(run);
    }
    let report = |name: &str, pick: fn(&Run) -> Duration| {
        let mut times: Vec<Duration> = runs.iter().map(pick).collect();
        times.sort();
        result(&format!("{name}_median_ms"), ms(percentile(&times, 0.5)));
        result(&format!("{name}_min_ms"), ms(times[0]));
        result(&format!("{name}_max_ms"), ms(times[times.len() - 1]));
    };
    report("first_send", |r| r.first_send);
    report("first_verify", |r| r.first_verify);
    report("first_approved", |r| r.first_send + r.first_verify);
    report("warm_send", |r| r.warm_send);
    report("warm_verify", |r| r.warm_verify);
    result("first_request_runs", runs.len());

    // The same first send on an instance that started ahead of it.
    let mut idle = Vec::with_capacity(options.runs);
    for i in 0..options.runs {
        idle.push(
            after_idle(options, &format!("idle-{tag}-{i}"))
                .with_context(|| format!("idle run {i}"))?,
        );
    }
    idle.sort();
    result("idle_send_median_ms", ms(percentile(&idle, 0.5)));
    result("idle_send_min_ms", ms(idle[0]));
    result("idle_send_max_ms", ms(idle[idle.len() - 1]));
    Ok(())
}

/// A fresh process that answers `/api/health`, then sits idle for
/// [`IDLE`]: how long its first send takes.
fn after_idle(options: &Options, name: &str) -> anyhow::Result<Duration> {
    let (server, _) = Server::start(&options.bin, false)?;
    std::thread::sleep(IDLE);
    let started = Instant::now();
    send(server.addr, &format!("{name}@example.com"), None)?;
    Ok(started.elapsed())
}

fn once(
    options: &Options,
    runtime: &tokio::runtime::Runtime,
    http: &reqwest::Client,
    name: &str,
) -> anyhow::Result<Run> {
    let addr = free_addr()?;
    let mut command = command(&options.bin, addr);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", options.bin.display()))?;
    let outcome = (|| {
        let email = format!("{name}-a@example.com");
        let flow_id = send(addr, &email, Some((started, &mut child)))?;
        let first_send = started.elapsed();
        let code = runtime.block_on(code_for(options, http, &email))?;
        let first_verify = verify(addr, &flow_id, &code)?;

        let email = format!("{name}-b@example.com");
        let sent = Instant::now();
        let flow_id = send(addr, &email, None)?;
        let warm_send = sent.elapsed();
        let code = runtime.block_on(code_for(options, http, &email))?;
        let warm_verify = verify(addr, &flow_id, &code)?;
        Ok(Run {
            first_send,
            first_verify,
            warm_send,
            warm_verify,
        })
    })();
    let _ = child.kill();
    child.wait()?;
    outcome
}

async fn code_for(
    options: &Options,
    http: &reqwest::Client,
    email: &str,
) -> anyhow::Result<String> {
    match (&options.maildev_api, &options.maildir) {
        (Some(api), _) => code_from_maildev(http, api, email).await,
        (None, Some(dir)) => code_from_maildir(dir, email).await,
        (None, None) => bail!("first-request needs --maildev-api or --maildir"),
    }
}

/// The code in the subject of the message to `email` among the `.eml`
/// files of `dir`.
async fn code_from_maildir(dir: &Path, email: &str) -> anyhow::Result<String> {
    let raw = raw_from_maildir(dir, email).await?;
    let subject = raw
        .lines()
        .find_map(|l| l.strip_prefix("Subject: "))
        .context("a message without a subject")?;
    let code: String = subject.chars().take(6).collect();
    ensure!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "no code in the subject {subject:?}"
    );
    Ok(code)
}

/// The message to `email` among the `.eml` files of `dir` (the STARTTLS
/// capture server writes each under a temporary name first), as received.
pub(crate) async fn raw_from_maildir(dir: &Path, email: &str) -> anyhow::Result<String> {
    let to = format!("To: {email}\r\n");
    for _ in 0..250 {
        let entries = std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))?;
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "eml") {
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(raw) if raw.contains(&to) => return Ok(raw),
                _ => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("no message to {email} in {}", dir.display())
}

/// `POST /api/otp/send`; with `starting`, connects in a tight loop until the
/// server listens (giving up if it exits or takes too long). The flow id.
fn send(
    addr: SocketAddr,
    email: &str,
    starting: Option<(Instant, &mut std::process::Child)>,
) -> anyhow::Result<String> {
    let body = json!({ "email": email }).to_string();
    let stream = match starting {
        None => TcpStream::connect(addr)?,
        Some((started, child)) => {
            let mut polls = 0u64;
            loop {
                match TcpStream::connect(addr) {
                    Ok(stream) => break stream,
                    Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                    Err(e) => return Err(e.into()),
                }
                polls += 1;
                if polls % 256 == 0 {
                    if let Some(status) = child.try_wait()? {
                        bail!("the server exited during start-up ({status})");
                    }
                    ensure!(started.elapsed() < GIVE_UP, "no answer within {GIVE_UP:?}");
                }
                std::thread::yield_now();
            }
        }
    };
    let (status, answer) = post(stream, "/api/otp/send", &body)?;
    ensure!(status == 202, "send answered {status}: {answer}");
    Ok(answer["flow_id"].as_str().context("no flow_id")?.to_owned())
}

/// `POST /api/otp/verify` with the right code: how long it took to approve.
fn verify(addr: SocketAddr, flow_id: &str, code: &str) -> anyhow::Result<Duration> {
    let body = json!({ "flow_id": flow_id, "code": code }).to_string();
    let started = Instant::now();
    let (status, answer) = post(TcpStream::connect(addr)?, "/api/otp/verify", &body)?;
    let elapsed = started.elapsed();
    ensure!(status == 200, "verify answered {status}: {answer}");
    Ok(elapsed)
}

/// One JSON request on its own connection; the status and the JSON answer.
fn post(mut stream: TcpStream, path: &str, body: &str) -> anyhow::Result<(u16, Value)> {
    stream.set_nodelay(true)?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("not an HTTP answer: {text:?}"))?;
    let (_, body) = text.split_once("\r\n\r\n").context("no body")?;
    Ok((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}
