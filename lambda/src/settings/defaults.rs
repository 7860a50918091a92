//! What the service uses where a variable is unset and none is required:
//! the local defaults, right for `scripts/run` on one machine. On Lambda the
//! table, the SMTP URL, the HMAC keys and the provider's keys have none: a
//! missing one stops the start.
//!
//! The rules' defaults live with the rules they set: the code policy
//! ([`crate::domain::Policy`]), the budgets ([`crate::service::Limits`]),
//! the suppressions ([`crate::suppression::SuppressionSettings`]) and the
//! metrics namespace ([`crate::metrics::DEFAULT_NAMESPACE`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// `OTP_BIND`: the local server, on loopback only.
pub(super) const BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 3000);
/// `OTP_OUTBOX_DIR`: where the local outbox writes its `.eml` files.
pub(super) const OUTBOX_DIR: &str = "outbox";
/// `OTP_MAIL_FROM`.
pub(super) const MAIL_FROM: &str = "OTP <no-reply@localhost.localdomain>";
/// `OTP_PRODUCT_NAME`.
pub(super) const PRODUCT_NAME: &str = "OTP";
/// `OTP_WEB_HOST`: the page's host on a local run.
pub(super) const WEB_HOST: &str = "localhost";
/// `OTP_STORE_TIMEOUT_MS`.
pub(super) const STORE_TIMEOUT_MS: u64 = 2000;
/// `OTP_SMTP_TIMEOUT_SECS`.
pub(super) const SMTP_TIMEOUT: Duration = Duration::from_secs(10);
