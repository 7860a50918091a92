//! How long sessions and refresh tokens last, and how long an app may take
//! to take a back-channel logout.

use super::{Env, SettingsError};
use crate::session::SessionConfig;
use std::time::Duration;

/// The longest a session or a refresh token may be set to last: 90 days.
const LONGEST: u64 = 90 * 24 * 3600;
/// A refresh token family works 30 days by default (and never past its session).
const REFRESH_LIFETIME: u64 = 30 * 24 * 3600;
/// An app has 2 s to take a logout token by default.
const BACKCHANNEL_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub sessions: SessionConfig,
    /// See [`crate::oidc::ProviderConfig::refresh_lifetime`].
    pub refresh_lifetime: u64,
    /// See [`crate::oidc::ProviderConfig::backchannel_timeout`].
    pub backchannel_timeout: Duration,
}

pub(super) fn session_from(env: &Env) -> Result<SessionSettings, SettingsError> {
    let defaults = SessionConfig::default();
    let lifetime = env.bounded_or(
        "OTP_SESSION_LIFETIME_SECS",
        defaults.lifetime,
        300..=LONGEST,
    )?;
    let idle = env.bounded_or(
        "OTP_SESSION_IDLE_SECS",
        defaults.idle.min(lifetime),
        60..=lifetime,
    )?;
    let refresh_lifetime = env.bounded_or(
        "OTP_REFRESH_TOKEN_LIFETIME_SECS",
        REFRESH_LIFETIME,
        300..=LONGEST,
    )?;
    let timeout_ms = env.bounded_or(
        "OTP_BACKCHANNEL_TIMEOUT_MS",
        BACKCHANNEL_TIMEOUT.as_millis() as u64,
        100..=10_000,
    )?;
    Ok(SessionSettings {
        sessions: SessionConfig { lifetime, idle },
        refresh_lifetime,
        backchannel_timeout: Duration::from_millis(timeout_ms),
    })
}
