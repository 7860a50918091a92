//! How a code reaches the person.
//!
//! - [`smtp`]: lettre over SMTP (plain, STARTTLS or implicit TLS), pooled
//! - [`outbox`]: local runs: prints the code and writes each message as `.eml`
//! - [`message`]: the message itself, plain text and HTML

pub mod message;
pub mod outbox;
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
}

/// Delivery failed; nothing was sent (as far as the server told us).
#[derive(Debug, thiserror::Error)]
#[error("mail delivery failed: {0}")]
pub struct MailError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl MailError {
    pub fn new(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        MailError(e.into())
    }
}

#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError>;
}
