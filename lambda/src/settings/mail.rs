//! How codes are delivered and what the message says about its sender:
//! `OTP_SMTP_URL` (required on Lambda) or the local outbox, the sender,
//! the product's name and the page's host.

use super::{Env, SettingsError, defaults};
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

/// How codes are delivered.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// Print the code and write `.eml` files into a folder; the local default.
    Outbox { dir: PathBuf },
    /// `smtp://`, `smtps://` (see `SmtpMailer::from_url`).
    Smtp {
        url: SecretString,
        /// Extra trusted CA in PEM, for a relay with a private certificate.
        ca_file: Option<PathBuf>,
    },
}

/// `OTP_SMTP_URL` when set, required on Lambda, the outbox otherwise.
pub(super) fn mail_from_env(env: &Env, on_lambda: bool) -> Result<MailSettings, SettingsError> {
    Ok(match env.get("OTP_SMTP_URL") {
        Some(url) => MailSettings::Smtp {
            url: SecretString::from(url.to_owned()),
            ca_file: env.get("OTP_SMTP_CA_FILE").map(PathBuf::from),
        },
        None if on_lambda => {
            return Err(SettingsError::Missing {
                var: "OTP_SMTP_URL",
                why: "the SMTP server that delivers codes, e.g. smtp://user:pass@host:587?tls=required",
            });
        }
        None => MailSettings::Outbox {
            dir: PathBuf::from(env.get("OTP_OUTBOX_DIR").unwrap_or(defaults::OUTBOX_DIR)),
        },
    })
}

/// `OTP_MAIL_FROM`: the `From:` of every message.
pub(super) fn sender_from(env: &Env) -> Result<lettre::message::Mailbox, SettingsError> {
    env.get("OTP_MAIL_FROM")
        .unwrap_or(defaults::MAIL_FROM)
        .parse()
        .map_err(|_| SettingsError::Invalid {
            var: "OTP_MAIL_FROM",
            why: "not a mailbox, expected e.g. `Example <no-reply@example.com>`".into(),
        })
}

/// `OTP_SMTP_TIMEOUT_SECS`: the bound of one hand-off to the relay.
pub(super) fn smtp_timeout_from(env: &Env) -> Result<Duration, SettingsError> {
    env.secs_or("OTP_SMTP_TIMEOUT_SECS", defaults::SMTP_TIMEOUT, 1..=60)
}

/// `OTP_PRODUCT_NAME`: shown in the subject and body.
pub(super) fn product_name_from(env: &Env) -> String {
    env.get("OTP_PRODUCT_NAME")
        .unwrap_or(defaults::PRODUCT_NAME)
        .to_owned()
}

/// `OTP_WEB_HOST`: the page's host, for the `@host #code` line.
pub(super) fn web_host_from(env: &Env) -> String {
    env.get("OTP_WEB_HOST")
        .unwrap_or(defaults::WEB_HOST)
        .to_owned()
}
