//! How the SMTP mailer classifies a refusal, against a real SMTP server that
//! refuses as each address asks (`tests/services/smtp_replies.py`): the
//! recipient `550-5.1.1@example.com` is answered `550 5.1.1 …`, a sender
//! `553@example.com` gets `553 …` to MAIL FROM, `data-554-5.7.1@…` is refused
//! after the message, and every login is refused with 535.
//!
//! `scripts/test` starts the server and exports `OTP_TEST_REPLIES_SMTP`.
//! Without `OTP_TEST_SERVICES=1` a test whose server is missing says so and
//! passes; with it, a missing address is a failure.

use crate::support::service_or_skip;
use otp::domain::{Code, Email};
use otp::mailer::message::MessageTemplate;
use otp::mailer::{CodeMessage, MailFailure, Mailer, SmtpMailer};
use std::time::Duration;

const SENDER: &str = "no-reply@example.com";

/// The refusing server's `host:port`, or `None` (the test is skipped).
fn replies_server() -> Option<String> {
    service_or_skip("OTP_TEST_REPLIES_SMTP")
}

/// A mailer for `url` that sends from `sender`.
fn mailer(url: &str, sender: &str) -> SmtpMailer {
    let template = MessageTemplate {
        from: format!("Example <{sender}>").parse().unwrap(),
        product: "Example".into(),
        web_host: "otp.example.com".into(),
    };
    SmtpMailer::from_url(url, template, Duration::from_secs(5)).unwrap()
}

fn message_to(address: &str) -> CodeMessage {
    CodeMessage {
        to: Email::parse(address).unwrap(),
        code: Code::generate(),
        expires_in_minutes: 10,
        language: otp_api::locale::SOURCE,
    }
}

/// What a send from `sender` to `to` through the refusing server comes to.
async fn send(server: &str, sender: &str, to: &str) -> Result<(), (MailFailure, String)> {
    let message = message_to(to);
    let result = mailer(&format!("smtp://{server}"), sender)
        .send_code(&message)
        .await;
    result.map_err(|e| {
        let text = e.to_string();
        assert!(!text.contains(message.to.as_str()), "{text}");
        (e.failure(), text)
    })
}

/// Sends to each recipient and expects `failure`, the reply code in the error.
async fn expect_recipients(server: &str, recipients: &[&str], failure: MailFailure) {
    for local in recipients {
        let (got, text) = send(server, SENDER, &format!("{local}@example.com"))
            .await
            .expect_err(local);
        assert_eq!(got, failure, "{local}: {text}");
        let code = local.trim_start_matches("data-");
        assert!(text.contains(&code[..3]), "{local}: {text}");
    }
}

#[tokio::test]
async fn an_accepted_recipient_still_delivers() {
    let Some(server) = replies_server() else {
        return;
    };
    send(&server, SENDER, "ann@example.com").await.unwrap();
}

#[tokio::test]
async fn a_recipient_refused_for_good_is_undeliverable() {
    let Some(server) = replies_server() else {
        return;
    };
    let recipients = [
        "550-5.1.1",
        "550-5.1.2",
        "553-5.1.3",
        "551-5.1.6",
        "556-5.1.10",
        "550-5.2.1",
        "552-5.2.2",
        // No enhanced status code: the reply code alone says "mailbox".
        "550",
        "551",
        "553",
        "556",
        // A refusal after the message that still names the mailbox.
        "data-552-5.2.2",
    ];
    expect_recipients(&server, &recipients, MailFailure::Undeliverable).await;
}

#[tokio::test]
async fn a_refusal_by_policy_is_the_operators() {
    let Some(server) = replies_server() else {
        return;
    };
    let recipients = [
        "554-5.7.1",
        "550-5.7.1",
        // Postfix's code when it refuses a sender, so never the person's.
        "550-5.1.0",
        "552-5.3.4",
        "554",
        "552",
        // Amazon SES refuses an unverified identity after the message.
        "data-554",
        "data-554-5.7.1",
    ];
    expect_recipients(&server, &recipients, MailFailure::Operator).await;
}

#[tokio::test]
async fn a_refused_sender_is_the_operators_whatever_the_code() {
    let Some(server) = replies_server() else {
        return;
    };
    // The bare 550 and the 5.1.1 would read as a refused recipient; the
    // reply names our sender address, so they are not.
    for sender in ["550", "553-5.1.8", "550-5.1.7", "550-5.1.1"] {
        let (got, text) = send(&server, &format!("{sender}@example.com"), "ann@example.com")
            .await
            .expect_err(sender);
        assert_eq!(got, MailFailure::Operator, "{sender}: {text}");
    }
}

#[tokio::test]
async fn a_refused_login_is_the_operators() {
    let Some(server) = replies_server() else {
        return;
    };
    let url = format!("smtp://otp:wrong-password@{server}");
    let err = mailer(&url, SENDER)
        .send_code(&message_to("ann@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.failure(), MailFailure::Operator, "{err}");
    assert!(err.to_string().contains("535"), "{err}");
    assert!(!err.to_string().contains("wrong-password"), "{err}");
}

#[tokio::test]
async fn a_reply_that_asks_to_wait_is_transient() {
    let Some(server) = replies_server() else {
        return;
    };
    let recipients = ["450-4.2.1", "451-4.3.0", "452-4.2.2", "421", "451"];
    expect_recipients(&server, &recipients, MailFailure::Transient).await;
}
