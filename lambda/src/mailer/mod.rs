//! How a code reaches the person.
//!
//! - [`smtp`]: lettre over SMTP (plain, STARTTLS or implicit TLS), pooled
//! - [`outbox`]: local runs: prints the code and writes each message as `.eml`
//! - [`message`]: the message itself, plain text and HTML, in the person's language
//! - `refusal`: whose move a failed SMTP delivery is ([`MailFailure`])

pub mod message;
pub mod outbox;
mod refusal;
pub mod smtp;

use crate::domain::{Code, Email};
use async_trait::async_trait;

pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;

/// One code to deliver.
#[derive(Debug, Clone)]
pub struct CodeMessage {
    pub to: Email,
    pub code: Code,
    /// Minutes until the code expires, stated in the message.
    pub expires_in_minutes: u64,
    /// The language the message is written in.
    pub language: &'static otp_api::locale::Language,
    /// The app whose sign-in asked for the code, named in the subject and
    /// the text ("your code for Example Shop").
    pub app: Option<String>,
}

/// Delivery failed; nothing was sent (as far as the server told us).
#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {source}")]
pub struct MailError {
    failure: MailFailure,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

/// Whose move a failed delivery is; the service answers each differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFailure {
    /// The address does not receive mail (no such mailbox or domain, mailbox
    /// disabled or full): sending again will not help, another address may.
    Undeliverable,
    /// Our side is misconfigured or refused (login, sender, TLS, relay
    /// unreachable, policy): nothing the person can do. The SMTP mailer has
    /// logged it as an error saying what to check.
    Operator,
    /// The relay asked to try later, or did not answer: retrying shortly
    /// may work.
    Transient,
}

impl MailError {
    /// A failure of our own making: configuration, the message, the outbox.
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        MailError::with_failure(MailFailure::Operator, e)
    }

    /// A failure whose kind is known, e.g. from a test double.
    pub fn with_failure(
        failure: MailFailure,
        e: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        MailError {
            failure,
            source: e.into(),
        }
    }

    /// Whose move it is (see `mailer/refusal.rs` for how SMTP replies map).
    pub fn failure(&self) -> MailFailure {
        self.failure
    }
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError>;
}
