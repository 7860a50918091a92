//! Why an SMTP delivery failed, and whose move it is: the person's (the
//! address does not receive mail), the operator's (configuration), or
//! nobody's (try again shortly).
//!
//! # The mapping
//!
//! Read top to bottom; the first row that matches wins. "Enhanced" is the
//! RFC 3463 status code at the start of the reply text (`5.1.1 No such
//! user`), taken only when its class agrees with the reply code.
//!
//! | the failure | cause | [`MailFailure`] |
//! |---|---|---|
//! | 4xx reply (any enhanced code) | [`Cause::Transient`] | `Transient` |
//! | 530, 534, 535, 538, or enhanced 5.7.8, 5.7.9, 5.7.11 | [`Cause::Login`] | `Operator` |
//! | 5xx whose text names our envelope sender | [`Cause::Sender`] | `Operator` |
//! | enhanced 5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.2.1, 5.2.2 | [`Cause::Recipient`] | `Undeliverable` |
//! | enhanced 5.1.7, 5.1.8 | [`Cause::Sender`] | `Operator` |
//! | any other enhanced 5.x.x (5.1.0, 5.3.x, 5.5.x, 5.7.1, ...) | [`Cause::Refused`] | `Operator` |
//! | no enhanced code: 550, 551, 553, 556 | [`Cause::Recipient`] | `Undeliverable` |
//! | no enhanced code: any other 5xx (554, 552, ...) | [`Cause::Refused`] | `Operator` |
//! | timeout, I/O error or dropped connection mid-session | [`Cause::Transient`] | `Transient` |
//! | a reply cut short or garbled, transport shut down | [`Cause::Transient`] | `Transient` |
//! | no session: DNS, refused or unreachable address | [`Cause::Connect`] | `Operator` |
//! | TLS: handshake, certificate, STARTTLS not offered | [`Cause::Tls`] | `Operator` |
//! | no login mechanism in common, other client-side errors | [`Cause::Login`] / [`Cause::Refused`] | `Operator` |
//!
//! Why:
//! - **Recipient codes** are the ones RFC 3463 defines about the destination
//!   mailbox or domain: no such mailbox (5.1.1) or system (5.1.2), bad
//!   syntax (5.1.3), moved (5.1.6), domain accepts no mail (5.1.10, RFC
//!   7505), mailbox disabled (5.2.1) or full (5.2.2). A 5xx means the server
//!   decided against retrying; within a code's ten minutes a full mailbox
//!   will not empty either, and the person can use another address.
//! - **5.1.7/5.1.8** are the sender's address, and **5.1.0** ("other address
//!   status") is what Postfix answers when it rejects the *sender*, so none
//!   of them may tell the person their address is wrong.
//! - **A reply that names our sender** is about us whatever its code: Postfix
//!   refuses an unverifiable sender with the code its probe got (often
//!   5.1.1), and a server without enhanced codes says only `550`.
//! - **Login** replies come before the sender rule, as a refused login may
//!   echo a user name that is also the From address.
//! - **Without an enhanced code**, 550/551/553 are RFC 5321's mailbox replies
//!   and 556 is RFC 7504's "domain does not accept mail"; 554 is a generic
//!   "transaction failed" (Amazon SES answers it, without an enhanced code,
//!   when an identity is not verified in its sandbox), 552 is storage or
//!   size, 5.3.x/5.5.x/5.7.x are the mail system, protocol and policy: all
//!   the operator's.
//! - **Connection and TLS failures** are the operator's, not transient: the
//!   relay is one fixed host, so an address that cannot be resolved or
//!   reached, or a certificate that does not verify, means the URL, the CA
//!   or the network path is wrong, or the relay is down, and someone must
//!   look. A timeout or a connection that drops mid-session is transient.
//!
//! # What lettre does not tell
//!
//! lettre reports the reply code and text of the refusal, not the command it
//! answered: EHLO, AUTH, MAIL FROM, RCPT TO or the end of DATA all look the
//! same. Enhanced codes name their subject (5.1.1 is always a destination
//! mailbox, 5.1.7 always the sender), so the table relies on them first. A
//! server without enhanced codes that refuses MAIL FROM with a bare `550`
//! would read as a refused recipient; the sender rule above catches the
//! usual form of that reply, which quotes the sender address. Each message
//! has one recipient, so a recipient refusal is never about another address.
//!
//! Most relays (Amazon SES among them) accept any well-formed recipient and
//! report a missing mailbox later as a bounce message; this module only sees
//! what the relay refuses during the SMTP session.

use super::MailFailure;
use lettre::transport::smtp::Error as SmtpError;
use std::error::Error as _;
use std::io;

/// What went wrong, finer than [`MailFailure`]: it picks the advice an
/// operator gets in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// The address refused for good: no such mailbox or domain.
    Recipient,
    /// Our sender address is not allowed (not verified, not owned).
    Sender,
    /// The relay refused our login, or we share no login mechanism.
    Login,
    /// The TLS handshake failed or TLS was not offered.
    Tls,
    /// No connection to the relay at all.
    Connect,
    /// Any other permanent refusal: policy, protocol, size.
    Refused,
    /// Worth trying again shortly: 4xx, timeout, connection dropped.
    Transient,
}

impl Cause {
    pub(crate) fn failure(self) -> MailFailure {
        match self {
            Cause::Recipient => MailFailure::Undeliverable,
            Cause::Transient => MailFailure::Transient,
            Cause::Sender | Cause::Login | Cause::Tls | Cause::Connect | Cause::Refused => {
                MailFailure::Operator
            }
        }
    }

    /// What an operator should check; logged with the failure.
    pub(crate) fn advice(self) -> &'static str {
        match self {
            Cause::Recipient => "nothing: the address does not receive mail",
            Cause::Transient => "nothing if it passes; if it persists, the relay's health",
            Cause::Sender => {
                "check that the From address (OTP_MAIL_FROM) is verified with and allowed by the relay"
            }
            Cause::Login => "check the user and password in OTP_SMTP_URL",
            Cause::Tls => {
                "check the relay's certificate, OTP_SMTP_CA_FILE and the tls mode in OTP_SMTP_URL"
            }
            Cause::Connect => {
                "check the host and port in OTP_SMTP_URL, the network path to the relay, and that the relay is up"
            }
            Cause::Refused => {
                "read the relay's reply: it refused the message by policy (Amazon SES answers 554 when an identity is not verified, in its sandbox also the recipient)"
            }
        }
    }
}

/// The cause of a failed lettre send. `sender` is the envelope sender
/// address; a refusal that names it is about us, not the recipient.
pub(crate) fn cause(error: &SmtpError, sender: &str) -> Cause {
    if let Some(code) = error.status() {
        let text = error.source().map(|s| s.to_string()).unwrap_or_default();
        return reply_cause(u16::from(code), &text, sender);
    }
    if error.is_timeout() {
        return Cause::Transient;
    }
    if error.is_tls() {
        return Cause::Tls;
    }
    if error.is_client() {
        let text = error.to_string().to_ascii_lowercase();
        return if text.contains("starttls") || text.contains("encrypted") {
            Cause::Tls
        } else if text.contains("authentication") {
            Cause::Login
        } else {
            Cause::Refused
        };
    }
    if is_connection(error) {
        // tokio-rustls reports a failed handshake (an untrusted certificate
        // included) as an I/O error of this kind; no TCP connect or DNS
        // lookup does.
        return if io_kind(error) == Some(io::ErrorKind::InvalidData) {
            Cause::Tls
        } else {
            Cause::Connect
        };
    }
    // I/O mid-session, a reply cut short or garbled, a pool shut down:
    // nearly always a dropped connection.
    Cause::Transient
}

/// The mapping of a negative reply (see the module docs).
pub(crate) fn reply_cause(code: u16, text: &str, sender: &str) -> Cause {
    if !(500..600).contains(&code) {
        return Cause::Transient;
    }
    let enhanced = enhanced_status(text).filter(|e| e.0 == 5);
    if matches!(code, 530 | 534 | 535 | 538) || matches!(enhanced, Some(Enhanced(5, 7, 8 | 9 | 11)))
    {
        return Cause::Login;
    }
    if !sender.is_empty() && text.to_lowercase().contains(&sender.to_lowercase()) {
        return Cause::Sender;
    }
    match enhanced {
        Some(Enhanced(5, 1, 1 | 2 | 3 | 6 | 10) | Enhanced(5, 2, 1 | 2)) => Cause::Recipient,
        Some(Enhanced(5, 1, 7 | 8)) => Cause::Sender,
        Some(_) => Cause::Refused,
        None if matches!(code, 550 | 551 | 553 | 556) => Cause::Recipient,
        None => Cause::Refused,
    }
}

/// An RFC 3463 status code: class, subject, detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Enhanced(pub u8, pub u16, pub u16);

/// The enhanced status code at the start of a reply text, if there is one
/// (`5.1.1 No such user`). RFC 3463 allows up to three digits for subject
/// and detail; the class is 2, 4 or 5.
pub(crate) fn enhanced_status(text: &str) -> Option<Enhanced> {
    let word = text.split_whitespace().next()?;
    let mut parts = word.splitn(3, '.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    let number = |s: &str| -> Option<u16> {
        (1..=3)
            .contains(&s.len())
            .then_some(s)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))?
            .parse()
            .ok()
    };
    let class = match class {
        "2" => 2,
        "4" => 4,
        "5" => 5,
        _ => return None,
    };
    Some(Enhanced(class, number(subject)?, number(detail)?))
}

/// The first I/O error in the chain, by kind.
fn io_kind(error: &SmtpError) -> Option<io::ErrorKind> {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = cause.source();
    }
    None
}

/// lettre's connection errors (opening the socket or the TLS session) show
/// only in their text; anything else without a reply is I/O mid-session.
fn is_connection(error: &SmtpError) -> bool {
    error.to_string().starts_with("Connection error")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "no-reply@example.com";

    fn failure(code: u16, text: &str) -> MailFailure {
        reply_cause(code, text, SENDER).failure()
    }

    #[test]
    fn enhanced_codes_are_read_from_the_start_of_the_text() {
        assert_eq!(
            enhanced_status("5.1.1 No such user"),
            Some(Enhanced(5, 1, 1))
        );
        assert_eq!(enhanced_status("5.1.10 Null MX"), Some(Enhanced(5, 1, 10)));
        assert_eq!(enhanced_status("4.2.1 busy"), Some(Enhanced(4, 2, 1)));
        assert_eq!(enhanced_status("No such user 5.1.1"), None);
        assert_eq!(enhanced_status("5.1 nope"), None);
        assert_eq!(enhanced_status("3.1.1 wrong class"), None);
        assert_eq!(enhanced_status("5.1.1000 too long"), None);
        assert_eq!(enhanced_status("5.a.1 letters"), None);
        assert_eq!(enhanced_status(""), None);
    }

    #[test]
    fn recipient_refusals_are_undeliverable() {
        for (code, text) in [
            (
                550,
                "5.1.1 <ann@example.org>: Recipient address rejected: User unknown",
            ),
            (550, "5.1.2 Host unknown"),
            (553, "5.1.3 Bad recipient address syntax"),
            (551, "5.1.6 Mailbox has moved"),
            (556, "5.1.10 Recipient domain does not accept mail"),
            (550, "5.2.1 Mailbox disabled"),
            (552, "5.2.2 Mailbox full"),
            (550, "No such user here"),
            (551, "User not local; please try <ann@example.net>"),
            (553, "Requested action not taken: mailbox name not allowed"),
            (556, "Domain does not accept mail"),
        ] {
            assert_eq!(
                failure(code, text),
                MailFailure::Undeliverable,
                "{code} {text}"
            );
        }
    }

    #[test]
    fn our_own_mistakes_are_the_operators() {
        for (code, text) in [
            (535, "5.7.8 Authentication credentials invalid"),
            (535, "Authentication failed"),
            (530, "5.7.0 Authentication required"),
            (554, "Message rejected: Email address is not verified."),
            (554, "5.7.1 Relay access denied"),
            (550, "5.7.1 Relaying denied"),
            (550, "5.1.7 Bad sender mailbox syntax"),
            (553, "5.1.8 Sender domain does not exist"),
            (
                550,
                "5.1.0 Sender address rejected: User unknown in local recipient table",
            ),
            (552, "5.3.4 Message too big"),
            (500, "5.5.2 Syntax error"),
            (
                552,
                "Requested mail action aborted: exceeded storage allocation",
            ),
            (554, "Transaction failed"),
        ] {
            assert_eq!(failure(code, text), MailFailure::Operator, "{code} {text}");
        }
    }

    #[test]
    fn a_refusal_that_names_our_sender_is_never_the_recipients() {
        let text = "<No-Reply@example.com>: Sender address rejected: not owned";
        assert_eq!(reply_cause(550, text, SENDER), Cause::Sender);
        let ses = "Message rejected: Email address is not verified. The following \
                   identities failed the check in region US-EAST-1: no-reply@example.com";
        assert_eq!(reply_cause(554, ses, SENDER), Cause::Sender);
        assert_eq!(reply_cause(550, "5.1.1 No such user", ""), Cause::Recipient);
    }

    #[test]
    fn replies_that_ask_to_try_later_are_transient() {
        for (code, text) in [
            (450, "4.2.1 Mailbox busy"),
            (451, "4.3.0 Temporary lookup failure"),
            (452, "4.2.2 Over quota"),
            (421, "Service not available, closing channel"),
            (454, "4.7.0 TLS not available due to temporary reason"),
        ] {
            assert_eq!(failure(code, text), MailFailure::Transient, "{code} {text}");
        }
    }

    #[test]
    fn an_enhanced_code_of_another_class_is_ignored() {
        // A 5xx reply with a 4.x.x code: the reply code decides, as for none.
        assert_eq!(failure(550, "4.1.1 confused"), MailFailure::Undeliverable);
        assert_eq!(failure(554, "4.1.1 confused"), MailFailure::Operator);
    }
}
