//! Settings of a front door in front of the service (a CloudFront
//! distribution on a custom domain, or another proxy the operator trusts):
//! the secret it adds to every request it forwards
//! (`OTP_ORIGIN_VERIFY_SECRET`), without which the service answers nothing,
//! and the header the client address comes from (`OTP_CLIENT_IP_HEADER`).

use super::{Env, SettingsError};
use axum::http::HeaderName;
use secrecy::{ExposeSecret, SecretString};

/// Shortest accepted origin secret: guessing it must be hopeless.
pub const MIN_ORIGIN_SECRET_LEN: usize = 32;
/// Longest accepted origin secret (CloudFront allows 1,783 characters for a
/// custom header value; nothing needs more than this).
pub const MAX_ORIGIN_SECRET_LEN: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct EdgeSettings {
    /// The value every request must carry in `X-Origin-Verify`; `None`
    /// accepts requests without it (no front door, or one that needs no
    /// proof of passage).
    pub origin_secret: Option<SecretString>,
}

impl EdgeSettings {
    pub(super) fn from_env(env: &Env) -> Result<EdgeSettings, SettingsError> {
        let origin_secret = match env.get("OTP_ORIGIN_VERIFY_SECRET") {
            None => None,
            Some(value) => {
                check_origin_secret(value).map_err(|why| SettingsError::Invalid {
                    var: "OTP_ORIGIN_VERIFY_SECRET",
                    why,
                })?;
                Some(SecretString::from(value.to_owned()))
            }
        };
        Ok(EdgeSettings { origin_secret })
    }

    /// The origin secret's bytes, for the check of each request.
    pub fn origin_secret_bytes(&self) -> Option<&[u8]> {
        self.origin_secret
            .as_ref()
            .map(|s| s.expose_secret().as_bytes())
    }
}

/// `OTP_CLIENT_IP_HEADER`: the request header that holds the client's
/// address, if a trusted proxy sets one.
pub(super) fn client_ip_header_from(env: &Env) -> Result<Option<HeaderName>, SettingsError> {
    env.get("OTP_CLIENT_IP_HEADER")
        .map(|name| {
            name.parse::<HeaderName>()
                .map_err(|_| SettingsError::Invalid {
                    var: "OTP_CLIENT_IP_HEADER",
                    why: format!("`{name}` is not a header name"),
                })
        })
        .transpose()
}

/// A header value of visible ASCII (what a proxy can send unchanged), long
/// enough not to be guessed. The message never repeats the value.
fn check_origin_secret(value: &str) -> Result<(), String> {
    if !(MIN_ORIGIN_SECRET_LEN..=MAX_ORIGIN_SECRET_LEN).contains(&value.len()) {
        return Err(format!(
            "{} characters; the secret the front door sends must have {MIN_ORIGIN_SECRET_LEN} to \
             {MAX_ORIGIN_SECRET_LEN}",
            value.len()
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "only visible ASCII characters (no spaces or control characters) can travel in the \
             X-Origin-Verify header"
                .into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(value: Option<&str>) -> Result<EdgeSettings, SettingsError> {
        let mut vars = HashMap::new();
        if let Some(v) = value {
            vars.insert("OTP_ORIGIN_VERIFY_SECRET".to_owned(), v.to_owned());
        }
        EdgeSettings::from_env(&Env(vars))
    }

    #[test]
    fn unset_or_empty_checks_nothing() {
        assert!(read(None).unwrap().origin_secret_bytes().is_none());
        assert!(read(Some("")).unwrap().origin_secret_bytes().is_none());
    }

    #[test]
    fn a_long_visible_secret_is_kept() {
        let secret = "Zx8p2Lq9Vt4Rm7Ns1Kc6Hb3Jw5Yd0Gf2Ae8Uo4Ti";
        let edge = read(Some(secret)).unwrap();
        assert_eq!(edge.origin_secret_bytes(), Some(secret.as_bytes()));
        // Debug output (a start log, a panic) does not show it.
        assert!(!format!("{edge:?}").contains(secret));
    }

    #[test]
    fn short_or_unsendable_secrets_stop_the_start_naming_the_variable() {
        let long = "a".repeat(MAX_ORIGIN_SECRET_LEN + 1);
        for bad in [
            "short-secret",
            "a secret with spaces in it, long enough",
            "tab\tseparated-but-otherwise-long-enough-value",
            "ünïcödé-is-not-ascii-and-is-long-enough-to-pass",
            long.as_str(),
        ] {
            let error = read(Some(bad)).unwrap_err().to_string();
            assert!(error.contains("OTP_ORIGIN_VERIFY_SECRET"), "{error}");
            assert!(
                bad.len() < 8 || !error.contains(bad),
                "the message repeats the value: {error}"
            );
        }
    }
}
