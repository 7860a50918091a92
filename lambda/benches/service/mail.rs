//! The mail hand-off: how long the service takes to hand a code message to
//! the relay, next to Python's `smtplib` handing the same message (its raw
//! bytes, read back from the relay) to the same relay, interleaved in one
//! run so both meet the relay in the same state.
//!
//! Each round times, in turn:
//! - a warm `POST /api/otp/send` to the built binary (DynamoDB, then SMTP to
//!   the relay in `OTP_SMTP_URL`, answered once the relay has the message);
//! - the service's mailer alone on its warm pool, in this process (so built
//!   with this bench, not taken from `--bin`): the same template
//!   (`OTP_MAIL_FROM`, `OTP_PRODUCT_NAME`, `OTP_WEB_HOST`), URL and CA
//!   (`OTP_SMTP_CA_FILE`) as the binary;
//! - `smtplib_handoff.py`: the message on a session kept open, and in a
//!   session of its own (connect, STARTTLS and login as the URL asks).
//!
//! The relay is maildev (`--maildev-api`) or the STARTTLS capture server
//! (`--maildir`), where the raw message is read back.
//!
//! Ratios: the mailer ÷ `smtplib` on its open session (the hand-off
//! against the hand-off), and the whole send ÷ the same.

use crate::first_request::raw_from_maildir;
use crate::server::Server;
use crate::{Options, ms, percentile, result};
use anyhow::{Context, bail, ensure};
use otp::domain::{Code, Email};
use otp::mailer::message::MessageTemplate;
use otp::mailer::{CodeMessage, Mailer, SmtpMailer};
use otp_api::SendRequest;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// Rounds before measuring: connection pools, DynamoDB Local's JIT.
const WARM_UP: usize = 20;

/// The binary's default `OTP_SMTP_TIMEOUT_SECS`.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The yardstick, beside this file.
const HANDOFF_SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/service/smtplib_handoff.py"
);

#[derive(Default)]
struct Samples {
    send: Vec<Duration>,
    mailer: Vec<Duration>,
    smtplib_open: Vec<Duration>,
    smtplib_session: Vec<Duration>,
}

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    let (server, _) = Server::start(&options.bin, false)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(options, &server))
}

fn env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).with_context(|| format!("{name} is not set (scripts/bench sets it)"))
}

async fn measure(options: &Options, server: &Server) -> anyhow::Result<()> {
    let url = env("OTP_SMTP_URL")?;
    let ca_file = std::env::var("OTP_SMTP_CA_FILE").ok();
    let template = MessageTemplate {
        from: env("OTP_MAIL_FROM")?.parse()?,
        product: env("OTP_PRODUCT_NAME")?,
        web_host: env("OTP_WEB_HOST")?,
    };
    let sender = template.from.email.to_string();
    let ca = ca_file.as_ref().map(std::fs::read).transpose()?;
    let mailer = SmtpMailer::from_url_with_ca(&url, ca, template, SMTP_TIMEOUT)?;
    mailer.check().await?;
    let http = reqwest::Client::new();
    // Addresses of one length, so that every message has the same size.
    let run_id = format!("{:08x}", rand::random::<u32>());
    let address = |who: &str, round: usize| format!("{who}-{run_id}-{round:05}@example.com");

    send(&http, server, &address("sample", 0)).await?;
    let raw = raw_message(options, &http, &address("sample", 0)).await?;
    let mut yardstick = Yardstick::start(
        &url,
        ca_file.as_deref(),
        &raw,
        &sender,
        &address("smtplib", 0),
    )?;
    let mut samples = Samples::default();
    for round in 0..WARM_UP + options.flows {
        let started = Instant::now();
        send(&http, server, &address("service", round)).await?;
        let send = started.elapsed();

        let message = CodeMessage {
            to: Email::parse(&address("mailer", round))?,
            code: Code::generate(),
            expires_in_minutes: 10,
            language: otp_api::locale::SOURCE,
        };
        let started = Instant::now();
        mailer.send_code(&message).await?;
        let mailer = started.elapsed();

        let (open, session) = yardstick.hand_off()?;
        if round >= WARM_UP {
            samples.send.push(send);
            samples.mailer.push(mailer);
            samples.smtplib_open.push(open);
            samples.smtplib_session.push(session);
        }
    }
    yardstick.stop()?;
    report(raw.len(), samples);
    Ok(())
}

/// `POST /api/otp/send` for `email`, answered `202`.
async fn send(http: &reqwest::Client, server: &Server, email: &str) -> anyhow::Result<()> {
    let request = SendRequest {
        email: email.to_owned(),
        request_id: None,
        proof: None,
        sign_in: None,
        locale: None,
    };
    let response = http
        .post(server.url("/api/otp/send"))
        .json(&request)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    if status != 202 {
        bail!("send answered {status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(())
}

/// The message to `email` as the relay received it.
async fn raw_message(
    options: &Options,
    http: &reqwest::Client,
    email: &str,
) -> anyhow::Result<Vec<u8>> {
    match (&options.maildev_api, &options.maildir) {
        (Some(api), _) => raw_from_maildev(http, api, email).await,
        (None, Some(dir)) => Ok(raw_from_maildir(dir, email).await?.into_bytes()),
        (None, None) => bail!("mail needs --maildev-api or --maildir"),
    }
}

async fn raw_from_maildev(
    http: &reqwest::Client,
    api: &str,
    email: &str,
) -> anyhow::Result<Vec<u8>> {
    #[derive(serde::Deserialize)]
    struct Listed {
        id: String,
    }
    for _ in 0..100 {
        let listed: Vec<Listed> = http
            .get(format!("{api}/api/email"))
            .query(&[("to.address", email)])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if let Some(message) = listed.last() {
            let source = http
                .get(format!("{api}/api/email/{}/source", message.id))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            return Ok(source.to_vec());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    bail!("no message to {email} in maildev")
}

/// `smtplib_handoff.py` running beside the rounds, one hand-off per line;
/// its message in a file of its own, removed with it.
struct Yardstick {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<BufReader<ChildStdout>>,
    message: PathBuf,
}

impl Yardstick {
    fn start(
        url: &str,
        ca_file: Option<&str>,
        raw: &[u8],
        sender: &str,
        recipient: &str,
    ) -> anyhow::Result<Yardstick> {
        let message = std::env::temp_dir().join(format!(
            "otp-bench-mail-{}-{:08x}.eml",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::write(&message, raw)?;
        let mut command = Command::new("python3");
        command
            .arg(HANDOFF_SCRIPT)
            .args(["--url", url, "--sender", sender, "--recipient", recipient])
            .arg("--message")
            .arg(&message)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(ca) = ca_file {
            command.args(["--ca", ca]);
        }
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_file(&message);
                return Err(anyhow::Error::new(e).context("cannot start python3"));
            }
        };
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().map(BufReader::new);
        Ok(Yardstick {
            child,
            stdin,
            stdout,
            message,
        })
    }

    /// One hand-off on the open session, one in a session of its own.
    fn hand_off(&mut self) -> anyhow::Result<(Duration, Duration)> {
        let (Some(stdin), Some(stdout)) = (self.stdin.as_mut(), self.stdout.as_mut()) else {
            bail!("smtplib_handoff.py has no pipes");
        };
        writeln!(stdin, "go")?;
        stdin.flush()?;
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        let times: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("smtplib_handoff.py printed {line:?}"))?;
        ensure!(times.len() == 2, "smtplib_handoff.py printed {line:?}");
        Ok((
            Duration::from_secs_f64(times[0] / 1000.0),
            Duration::from_secs_f64(times[1] / 1000.0),
        ))
    }

    /// Ends the input; the script closes its session and exits.
    fn stop(mut self) -> anyhow::Result<()> {
        drop(self.stdin.take());
        let status = self.child.wait()?;
        ensure!(status.success(), "smtplib_handoff.py exited with {status}");
        Ok(())
    }
}

impl Drop for Yardstick {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.message);
    }
}

fn report(message_bytes: usize, mut samples: Samples) {
    for list in [
        &mut samples.send,
        &mut samples.mailer,
        &mut samples.smtplib_open,
        &mut samples.smtplib_session,
    ] {
        list.sort();
    }
    let p50 = |list: &[Duration]| percentile(list, 0.5);
    let ratio = |a: Duration, b: Duration| format!("{:.2}", a.as_secs_f64() / b.as_secs_f64());
    result("mail_rounds", samples.send.len());
    result("mail_message_bytes", message_bytes);
    result("mail_send_p50_ms", ms(p50(&samples.send)));
    result("mail_send_p90_ms", ms(percentile(&samples.send, 0.9)));
    result("mail_mailer_p50_ms", ms(p50(&samples.mailer)));
    result("mail_smtplib_open_p50_ms", ms(p50(&samples.smtplib_open)));
    result(
        "mail_smtplib_session_p50_ms",
        ms(p50(&samples.smtplib_session)),
    );
    result(
        "mail_send_ratio",
        ratio(p50(&samples.send), p50(&samples.smtplib_open)),
    );
    result(
        "mail_mailer_ratio",
        ratio(p50(&samples.mailer), p50(&samples.smtplib_open)),
    );
}
