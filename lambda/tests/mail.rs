//! The SMTP mailer against real servers: maildev (plain SMTP with a REST API
//! to read what arrived), a capture server that insists on STARTTLS and a
//! login, and sockets that refuse or never answer.
//!
//! `scripts/test` starts the servers and exports their addresses. Without
//! `OTP_TEST_SERVICES=1` a test whose server is missing says so and passes;
//! with it, a missing address is a failure.

use crate::support::{Inbox, service_or_skip};
use otp::domain::{Code, Email};
use otp::mailer::message::MessageTemplate;
use otp::mailer::{CodeMessage, MailFailure, Mailer, SmtpMailer};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const WEB_HOST: &str = "otp.example.com";
/// How long a delivered message may take to show up before the test fails.
const ARRIVAL_DEADLINE: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

fn template() -> MessageTemplate {
    MessageTemplate {
        from: "Example <no-reply@example.com>".parse().unwrap(),
        product: "Example".into(),
        web_host: WEB_HOST.into(),
    }
}

/// A code for an address no other test uses, so parallel tests sharing one
/// server find only their own message.
fn fresh_message() -> CodeMessage {
    CodeMessage {
        to: Email::parse(&format!("t-{:016x}@example.com", rand::random::<u64>())).unwrap(),
        code: Code::generate(),
        expires_in_minutes: 10,
        language: otp_api::locale::SOURCE,
    }
}

fn code_line(message: &CodeMessage) -> String {
    format!("@{WEB_HOST} #{}", message.code.expose())
}

/// Calls `probe` until it yields a value or the deadline passes.
async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + ARRIVAL_DEADLINE;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within {ARRIVAL_DEADLINE:?}"
        );
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

#[tokio::test]
async fn maildev_receives_the_code_message() {
    let (Some(smtp), Some(api)) = (
        service_or_skip("OTP_TEST_MAILDEV_SMTP"),
        service_or_skip("OTP_TEST_MAILDEV_API"),
    ) else {
        return;
    };
    let mailer = SmtpMailer::from_url(
        &format!("smtp://{smtp}"),
        template(),
        Duration::from_secs(5),
    )
    .unwrap();
    mailer.check().await.unwrap();
    let message = fresh_message();
    mailer.send_code(&message).await.unwrap();

    let mail = Inbox::Maildev { api }
        .wait_for_message(message.to.as_str())
        .await;

    let code = message.code.expose();
    let subject = mail["subject"].as_str().expect("subject");
    assert_eq!(subject, format!("{code} is your Example verification code"));
    let text = mail["text"].as_str().expect("a plain-text part");
    assert_eq!(
        text.trim_end().lines().last(),
        Some(code_line(&message).as_str()),
        "{text}"
    );
    let html = mail["html"].as_str().expect("an HTML part");
    assert!(html.contains(code), "{html}");
    assert!(!html.contains("<a "), "{html}");
}

/// With `OTP_SES_CONFIGURATION_SET`, every message names the set in
/// `X-SES-CONFIGURATION-SET` (SES reports its bounces and complaints to the
/// set's event destination, and drops the header); without it, none does.
#[tokio::test]
async fn the_ses_configuration_set_is_named_only_when_configured() {
    let (Some(smtp), Some(api)) = (
        service_or_skip("OTP_TEST_MAILDEV_SMTP"),
        service_or_skip("OTP_TEST_MAILDEV_API"),
    ) else {
        return;
    };
    let url = format!("smtp://{smtp}");
    let inbox = Inbox::Maildev { api };
    for set in [Some("otp-feedback"), None] {
        let mailer = SmtpMailer::from_url(&url, template(), Duration::from_secs(5))
            .unwrap()
            .with_configuration_set(set.map(str::to_owned));
        let message = fresh_message();
        mailer.send_code(&message).await.unwrap();
        let mail = inbox.wait_for_message(message.to.as_str()).await;
        let header = mail["headers"]["x-ses-configuration-set"].as_str();
        assert_eq!(header, set, "{}", mail["headers"]);
    }
}

/// The capture server's address as a URL on `localhost` (the name in its
/// certificate). lettre tries every address `localhost` resolves to, so a
/// refused `::1` falls through to the server on 127.0.0.1.
fn starttls_url(password: &str) -> Option<String> {
    let addr = service_or_skip("OTP_TEST_STARTTLS_SMTP")?;
    let port = addr
        .rsplit_once(':')
        .expect("OTP_TEST_STARTTLS_SMTP is host:port")
        .1;
    Some(format!(
        "smtp://otp:{password}@localhost:{port}?tls=required"
    ))
}

fn starttls_ca() -> Option<Vec<u8>> {
    let path = service_or_skip("OTP_TEST_STARTTLS_CA")?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}")))
}

/// The raw message in `maildir` addressed to `to`, if it has arrived.
fn find_in_maildir(maildir: &Path, to: &str) -> Option<String> {
    std::fs::read_dir(maildir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .find(|raw| raw.contains(&format!("To: {to}\r\n")))
}

#[tokio::test]
async fn starttls_with_the_test_ca_delivers() {
    let (Some(url), Some(ca), Some(maildir)) = (
        starttls_url("otp-test-password"),
        starttls_ca(),
        service_or_skip("OTP_TEST_STARTTLS_MAILDIR").map(PathBuf::from),
    ) else {
        return;
    };
    let mailer =
        SmtpMailer::from_url_with_ca(&url, Some(ca), template(), Duration::from_secs(5)).unwrap();
    mailer.check().await.unwrap();
    let message = fresh_message();
    mailer.send_code(&message).await.unwrap();

    let to = message.to.as_str().to_owned();
    let raw = wait_for("delivery to the STARTTLS server", || {
        let found = find_in_maildir(&maildir, &to);
        async move { found }
    })
    .await;
    let code = message.code.expose();
    assert!(
        raw.contains(&format!(
            "Subject: {code} is your Example verification code\r\n"
        )),
        "{raw}"
    );
    assert!(raw.contains("Content-Type: text/html"), "{raw}");
    assert!(
        raw.contains(&format!("\r\n{}\r\n", code_line(&message))),
        "{raw}"
    );
}

#[tokio::test]
async fn starttls_without_the_ca_refuses_the_untrusted_certificate() {
    let (Some(url), Some(maildir)) = (
        starttls_url("otp-test-password"),
        service_or_skip("OTP_TEST_STARTTLS_MAILDIR").map(PathBuf::from),
    ) else {
        return;
    };
    let mailer = SmtpMailer::from_url(&url, template(), Duration::from_secs(5)).unwrap();
    let message = fresh_message();
    let err = mailer.send_code(&message).await.unwrap_err();
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert_eq!(err.failure(), MailFailure::Operator, "{err}");
    assert!(mailer.check().await.is_err());
    // The server writes a message before it answers, so a refused send that
    // had been delivered anyway would already be there.
    assert!(find_in_maildir(&maildir, message.to.as_str()).is_none());
}

#[tokio::test]
async fn starttls_with_a_wrong_password_is_refused() {
    let (Some(url), Some(ca)) = (starttls_url("wrong-password"), starttls_ca()) else {
        return;
    };
    let mailer =
        SmtpMailer::from_url_with_ca(&url, Some(ca), template(), Duration::from_secs(5)).unwrap();
    let err = mailer.send_code(&fresh_message()).await.unwrap_err();
    assert!(err.to_string().contains("535"), "{err}");
    assert_eq!(err.failure(), MailFailure::Operator, "{err}");
    assert!(!err.to_string().contains("wrong-password"), "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_the_operators_error() {
    // A port that was just free: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        template(),
        Duration::from_secs(5),
    )
    .unwrap();
    let err = mailer.send_code(&fresh_message()).await.unwrap_err();
    assert_eq!(err.failure(), MailFailure::Operator, "{err}");
    assert!(mailer.check().await.is_err());
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_transiently() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts every connection and holds it open without a greeting.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        template(),
        Duration::from_secs(1),
    )
    .unwrap();
    let err = mailer.send_code(&fresh_message()).await.unwrap_err();
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert_eq!(err.failure(), MailFailure::Transient, "{err}");
    // The next attempt does not inherit a stuck connection; it fails the same way.
    assert!(mailer.send_code(&fresh_message()).await.is_err());
    assert!(mailer.check().await.is_err());
    holder.abort();
}

/// How the scripted SMTP server departs from a well-behaved one.
#[derive(Clone, Copy)]
enum Script {
    /// Answers RCPT with this reply, `{to}` replaced by the address (real
    /// servers quote it).
    RejectRecipient(&'static str),
    /// On its first connection, falls silent for good once a message has been
    /// sent; later connections are served normally.
    StallFirstMessage,
}

/// A scripted SMTP server on 127.0.0.1; returns its port.
async fn spawn_scripted_server(script: Script) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((socket, _)) = listener.accept().await {
            let stall = first && matches!(script, Script::StallFirstMessage);
            first = false;
            tokio::spawn(serve_scripted(socket, script, stall));
        }
    });
    port
}

async fn serve_scripted(socket: TcpStream, script: Script, stall: bool) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut in_data = false;
    let mut reply = "220 fake ESMTP".to_owned();
    loop {
        if write
            .write_all(format!("{reply}\r\n").as_bytes())
            .await
            .is_err()
        {
            return;
        }
        reply = loop {
            let Ok(Some(line)) = lines.next_line().await else {
                return;
            };
            if in_data {
                if line == "." {
                    in_data = false;
                    if stall {
                        // Reads on, answers nothing, NOOP included.
                        while let Ok(Some(_)) = lines.next_line().await {}
                        return;
                    }
                    break "250 2.0.0 queued".to_owned();
                }
                continue;
            }
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            break match (verb.as_str(), script) {
                ("RCPT", Script::RejectRecipient(rejection)) => {
                    let to = line.split(['<', '>']).nth(1).unwrap_or("");
                    rejection.replace("{to}", to)
                }
                ("DATA", _) => {
                    in_data = true;
                    "354 go ahead".to_owned()
                }
                ("QUIT", _) => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => "250 ok".to_owned(),
            };
        };
    }
}

#[tokio::test]
async fn a_send_that_timed_out_does_not_hold_up_the_next_one() {
    let port = spawn_scripted_server(Script::StallFirstMessage).await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://127.0.0.1:{port}"),
        template(),
        Duration::from_secs(1),
    )
    .unwrap();
    let err = mailer.send_code(&fresh_message()).await.unwrap_err();
    assert!(err.to_string().contains("did not answer"), "{err}");
    // Lets the cut-off connection go back to its pool, as it would between
    // two requests of a running server.
    tokio::task::yield_now().await;
    mailer.send_code(&fresh_message()).await.unwrap();
}

#[tokio::test]
async fn server_rejections_are_errors_that_do_not_reveal_the_address() {
    for (reply, failure) in [
        (
            "550 5.1.1 <{to}>: Recipient address rejected",
            MailFailure::Undeliverable,
        ),
        (
            "451 4.3.0 <{to}>: Temporary lookup failure",
            MailFailure::Transient,
        ),
    ] {
        let port = spawn_scripted_server(Script::RejectRecipient(reply)).await;
        let mailer = SmtpMailer::from_url(
            &format!("smtp://127.0.0.1:{port}"),
            template(),
            Duration::from_secs(5),
        )
        .unwrap();
        let message = fresh_message();
        let err = mailer.send_code(&message).await.unwrap_err();
        assert_eq!(err.failure(), failure, "{err}");
        let err = err.to_string();
        assert!(err.contains(&reply[..3]), "{err}");
        assert!(err.contains(&message.to.masked()), "{err}");
        assert!(!err.contains(message.to.as_str()), "{err}");
    }
}
