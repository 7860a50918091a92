//! Settings of the OpenID Connect provider: who it is (`OTP_ISSUER`), which
//! apps may use it (`OTP_CLIENTS`), what it signs with (`OTP_SIGNING_KEYS`)
//! and what keys its subjects (`OTP_SUBJECT_KEY`).

use super::{Env, SettingsError};
use crate::oidc::clients::{Clients, is_loopback_host};
use crate::oidc::keys::{KeySet, KeySource};
use crate::oidc::subject::{MIN_SUBJECT_KEY_BYTES, SubjectKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct OidcSettings {
    /// `OTP_ISSUER`, checked, without a trailing slash. `None` locally when
    /// unset: the issuer is then the address the server bound
    /// ([`OidcSettings::issuer_for`]).
    pub issuer: Option<String>,
    pub clients: Clients,
    pub keys: KeySource,
    pub subject_key: SubjectKey,
    /// The subject key was generated for this process (not configured).
    pub subject_key_generated: bool,
}

impl OidcSettings {
    /// The issuer of a server bound to `bound`: `OTP_ISSUER` if set, else
    /// `http://<bound>` (an unspecified address as 127.0.0.1).
    pub fn issuer_for(&self, bound: SocketAddr) -> String {
        if let Some(issuer) = &self.issuer {
            return issuer.clone();
        }
        let mut addr = bound;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    /// What the start log says about the provider.
    pub fn describe_keys(&self) -> &'static str {
        match self.keys {
            KeySource::Configured(_) => "configured",
            KeySource::Generated => {
                "signing key generated for this process; ID tokens will not verify after a restart"
            }
        }
    }

    /// The provider's settings; the subject key is read with the HMAC keys
    /// ([`super::rules::keys_from`]), which name budget subjects under it.
    pub(super) fn from_env(
        env: &Env,
        on_lambda: bool,
        subject_key: SubjectKey,
        subject_key_generated: bool,
    ) -> Result<OidcSettings, SettingsError> {
        let issuer = match env.get("OTP_ISSUER") {
            Some(raw) => Some(parse_issuer(raw).map_err(|why| SettingsError::Invalid {
                var: "OTP_ISSUER",
                why,
            })?),
            None if on_lambda => {
                return Err(SettingsError::Missing {
                    var: "OTP_ISSUER",
                    why: "the service's public https URL, the `iss` of its ID tokens, e.g. https://otp.example.com",
                });
            }
            None => None,
        };
        let clients = match env.get("OTP_CLIENTS") {
            Some(json) => Clients::parse(json).map_err(|why| SettingsError::Invalid {
                var: "OTP_CLIENTS",
                why,
            })?,
            None => Clients::default(),
        };
        let keys = match env.get("OTP_SIGNING_KEYS") {
            Some(pem) => KeySource::Configured(Arc::new(KeySet::from_pem(pem).map_err(|why| {
                SettingsError::Invalid {
                    var: "OTP_SIGNING_KEYS",
                    why,
                }
            })?)),
            None if on_lambda => {
                return Err(SettingsError::Missing {
                    var: "OTP_SIGNING_KEYS",
                    why: "RSA keys in PEM (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048), the first signs ID tokens",
                });
            }
            None => KeySource::Generated,
        };
        Ok(OidcSettings {
            issuer,
            clients,
            keys,
            subject_key,
            subject_key_generated,
        })
    }
}

/// `OTP_SUBJECT_KEY` (required when `required`, as on Lambda), or a key of
/// this process; and whether it was generated.
pub(super) fn subject_key_from(
    env: &Env,
    required: bool,
) -> Result<(SubjectKey, bool), SettingsError> {
    match env.get("OTP_SUBJECT_KEY") {
        Some(b64) => {
            let invalid = |why: String| SettingsError::Invalid {
                var: "OTP_SUBJECT_KEY",
                why,
            };
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| invalid("not base64".into()))?;
            let len = bytes.len();
            let key = SubjectKey::new(bytes).ok_or_else(|| {
                invalid(format!(
                    "{len} bytes, at least {MIN_SUBJECT_KEY_BYTES} are needed (openssl rand -base64 32)"
                ))
            })?;
            Ok((key, false))
        }
        None if required => Err(SettingsError::Missing {
            var: "OTP_SUBJECT_KEY",
            why: "base64 of 32 random bytes (openssl rand -base64 32) that keys the `sub` of ID tokens and the names of budgets and suppressions; never rotate it",
        }),
        None => Ok((SubjectKey::generate(), true)),
    }
}

/// An issuer: an absolute `https` URL (`http` on a loopback host) without
/// query, fragment or user information; the trailing slash removed.
pub fn parse_issuer(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not an absolute URL: {e}"))?;
    let loopback = url.host().as_ref().is_some_and(is_loopback_host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(format!(
                "`{raw}` must be https (http only on a loopback host)"
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() || raw.contains(['?', '#']) {
        return Err(format!("`{raw}` must not have a query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{raw}` must not have user information"));
    }
    // The endpoints and the page live at the root of the origin.
    if url.path() != "/" {
        return Err(format!(
            "`{raw}` must be an origin (scheme, host, port) without a path"
        ));
    }
    Ok(raw.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers() {
        assert_eq!(
            parse_issuer("https://otp.example.com/").unwrap(),
            "https://otp.example.com"
        );
        assert_eq!(
            parse_issuer("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            parse_issuer("http://localhost:3000/").unwrap(),
            "http://localhost:3000"
        );
        assert_eq!(
            parse_issuer("http://[::1]:3000").unwrap(),
            "http://[::1]:3000"
        );
        for bad in [
            "otp.example.com",
            "http://otp.example.com",
            "ftp://otp.example.com",
            "https://otp.example.com/?x=1",
            "https://otp.example.com/#x",
            "https://u:p@otp.example.com",
            "https://otp.example.com/id",
        ] {
            assert!(parse_issuer(bad).is_err(), "{bad}");
        }
    }
}
