//! Passkeys: after a code has proven an address, the person may add a
//! passkey to its identity, and later sign in with it, on any device the
//! passkey reaches, without a mail.
//!
//! The WebAuthn relying party is `webauthn-rs` (Kanidm's; its ceremonies,
//! signature checks and CBOR). This module keeps what a stateless function
//! needs around it:
//!
//! - a ceremony (its challenge: 32 random bytes, in the library's state)
//!   is stored for [`CEREMONY_TTL_SECS`] under an opaque handle, bound to
//!   its purpose (adding a passkey in one session, or signing in, for one
//!   app's sign-in or the page), and consumed by the one transaction that
//!   completes it: of two answers to one challenge, one wins;
//! - the relying party is the issuer: its origin is the one expected, its
//!   host the relying-party id; an answer for another is refused. An
//!   issuer on an IP address has no passkeys (WebAuthn refuses one as a
//!   relying-party id);
//! - a passkey belongs to an identity key (the `sub`); its WebAuthn user
//!   handle is random per identity (never the address or a hash of it);
//! - registration asks for a discoverable credential (`residentKey:
//!   required`, so the browser can offer it in the email field) with user
//!   verification, and no attestation;
//! - a sign-in checks the signature, the user verification, and a counter
//!   that went backwards (a possible clone: refused and logged), then
//!   records the use in one write conditioned on the counter it verified
//!   against;
//! - [`budget`]: failed sign-ins, per client address and per passkey.
//!
//! Every refusal changes nothing but the failure counters.

pub mod budget;

use crate::domain::{CeremonyId, Clock, CodeHasher, SignInId};
use crate::metrics::{self, Metric, RefusedBy};
use crate::service::ServiceError;
use crate::store::{
    Added, Ceremony, Passkey, PasskeyUse, Purpose, Session, Store, StoreError, Used,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use otp_api::{MAX_PASSKEY_NAME_LEN, PasskeyInfo, PasskeyOptions};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;
use webauthn_rs::prelude::{
    AuthenticationResult, CredentialID, DiscoverableAuthentication, Passkey as Credential,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder, WebauthnError,
};

/// How long the browser has to answer a ceremony's challenge.
pub const CEREMONY_TTL_SECS: u64 = 300;
/// The name of a passkey the page did not name.
const DEFAULT_NAME: &str = "Passkey";

/// A passkey sign-in that verified and was recorded.
#[derive(Debug, Clone)]
pub struct Asserted {
    pub passkey: Passkey,
    /// When, which is the session's and the ID token's `auth_time`.
    pub at: u64,
    /// RFC 8176 values, space-separated.
    pub amr: String,
    /// The app's sign-in the ceremony was started for.
    pub sign_in: Option<SignInId>,
}

/// Passkeys on one store and clock; built once at start.
pub struct Passkeys {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// `None` when the issuer's host is an IP address.
    webauthn: Option<Webauthn>,
    failures: budget::Failures,
    ttl_grace: u64,
}

/// The relying party of `issuer`: its origin, its host as the id.
fn relying_party(issuer: &str) -> Option<Webauthn> {
    let origin = Url::parse(issuer).ok()?;
    let host = origin.domain()?.to_owned();
    let built = WebauthnBuilder::new(&host, &origin).and_then(|b| b.rp_name(&host).build());
    match built {
        Ok(webauthn) => Some(webauthn),
        Err(e) => {
            tracing::warn!(error = %e, "no passkeys: the issuer is no relying party");
            None
        }
    }
}

fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 8176 values of a verified assertion: `swk` for a passkey that may
/// be synced (backup eligible: a software-protected key), `hwk` for one
/// bound to its authenticator; `user` (a presence test), and `mfa`, since
/// the key (something held) was unlocked by user verification (something
/// known or something one is).
pub fn amr(result: &AuthenticationResult) -> String {
    let key = if result.backup_eligible() {
        "swk"
    } else {
        "hwk"
    };
    if result.user_verified() {
        format!("{key} user mfa")
    } else {
        format!("{key} user")
    }
}

/// A sentence for the person (and the log) of why the library refused an
/// answer; never the answer's content.
fn refusal(e: &WebauthnError) -> &'static str {
    use WebauthnError as E;
    match e {
        E::InvalidRPOrigin | E::InvalidRPIDHash => "This passkey answer is for another site.",
        E::MismatchedChallenge => "This passkey answer is for another request.",
        E::UserNotVerified | E::UserNotPresent => {
            "The passkey did not verify that it is you (a PIN, a fingerprint or a face)."
        }
        E::CredentialPossibleCompromise => {
            "This passkey's counter went backwards, as a copied passkey's would; use a code."
        }
        E::InvalidClientDataType => "This is not the passkey answer this step expects.",
        _ => "This passkey answer does not verify.",
    }
}

impl Passkeys {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        issuer: &str,
        hasher: CodeHasher,
        ttl_grace: u64,
    ) -> Passkeys {
        Passkeys {
            webauthn: relying_party(issuer),
            store,
            clock,
            failures: budget::Failures::new(hasher),
            ttl_grace,
        }
    }

    fn webauthn(&self) -> Result<&Webauthn, ServiceError> {
        self.webauthn
            .as_ref()
            .ok_or(ServiceError::PasskeysUnavailable)
    }

    async fn begin(&self, purpose: Purpose, state: String) -> Result<CeremonyId, StoreError> {
        let now = self.clock.now();
        let ceremony = Ceremony {
            id: CeremonyId::generate(),
            purpose,
            state,
            created_at: now,
            expires_at: now + CEREMONY_TTL_SECS,
        };
        let ttl = ceremony.expires_at + self.ttl_grace;
        self.store.put_ceremony(&ceremony, ttl).await?;
        Ok(ceremony.id)
    }

    /// The open ceremony `handle` names, for `kind`.
    async fn open(&self, handle: &str, kind: &str) -> Result<Ceremony, ServiceError> {
        let id = CeremonyId::parse(handle).ok_or(ServiceError::MalformedId("ceremony"))?;
        let now = self.clock.now();
        self.store
            .get_ceremony(&id)
            .await?
            .filter(|c| c.is_open(kind, now))
            .ok_or(ServiceError::CeremonyExpired)
    }

    /// Options to add a passkey to the identity of `session`.
    pub async fn register_options(
        &self,
        session: &Session,
    ) -> Result<PasskeyOptions, ServiceError> {
        let webauthn = self.webauthn()?;
        let list = self.store.passkeys_of(&session.subject).await?;
        let user_handle = match &list.user_handle {
            Some(stored) => URL_SAFE_NO_PAD
                .decode(stored)
                .ok()
                .and_then(|b| Uuid::from_slice(&b).ok())
                .ok_or_else(|| StoreError::new("a stored user handle is not 16 bytes"))?,
            None => Uuid::new_v4(),
        };
        let registered: Vec<CredentialID> = list
            .ids
            .iter()
            .filter_map(|id| URL_SAFE_NO_PAD.decode(id).ok())
            .collect();
        let (options, state) = webauthn
            .start_passkey_registration(
                user_handle,
                &session.email,
                &session.email,
                Some(registered),
            )
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut public_key = serde_json::to_value(&options.public_key)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        // Discoverable, so the browser can offer it in the email field;
        // the library's check of the answer does not depend on it.
        public_key["authenticatorSelection"]["residentKey"] = "required".into();
        public_key["authenticatorSelection"]["requireResidentKey"] = true.into();
        let purpose = Purpose::Register {
            session: session.id.clone(),
            subject: session.subject.clone(),
            email: session.email.clone(),
            user_handle: encode(user_handle.as_bytes()),
        };
        let id = self.begin(purpose, to_json(&state)?).await?;
        Ok(PasskeyOptions {
            ceremony: id.as_str().to_owned(),
            public_key,
        })
    }

    /// Adds the browser's new credential to the identity of `session`, if
    /// it answers the ceremony `handle` started in that session.
    pub async fn register(
        &self,
        session: &Session,
        handle: &str,
        credential: Value,
        name: Option<String>,
    ) -> Result<PasskeyInfo, ServiceError> {
        let webauthn = self.webauthn()?;
        let name = match name {
            None => DEFAULT_NAME.to_owned(),
            Some(name) => checked_name(name)?,
        };
        let answer: RegisterPublicKeyCredential =
            serde_json::from_value(credential).map_err(|_| ServiceError::MalformedCredential)?;
        let ceremony = self.open(handle, Purpose::REGISTER).await?;
        let Purpose::Register {
            session: started_in,
            subject,
            email,
            user_handle,
        } = &ceremony.purpose
        else {
            return Err(ServiceError::CeremonyExpired);
        };
        if *started_in != session.id || *subject != session.subject {
            return Err(ServiceError::CeremonyExpired);
        }
        let state: PasskeyRegistration = from_json(&ceremony.state)?;
        let credential = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| {
                tracing::info!(error = %e, "passkey registration refused");
                ServiceError::PasskeyRefused(refusal(&e))
            })?;
        let now = self.clock.now();
        let stored = to_json(&credential)?;
        let passkey = Passkey {
            id: encode(credential.cred_id()),
            subject: subject.clone(),
            email: email.clone(),
            user_handle: user_handle.clone(),
            name,
            sign_count: counter_of(&stored),
            credential: stored,
            created_at: now,
            last_used_at: None,
        };
        match self.store.add_passkey(&ceremony.id, &passkey, now).await? {
            Added::Done => {
                tracing::info!(ceremony = %ceremony.id, "passkey added");
                Ok(info(&passkey))
            }
            Added::CeremonyOver => Err(ServiceError::CeremonyExpired),
            Added::Taken => Err(ServiceError::PasskeyRefused(
                "This passkey is registered already.",
            )),
        }
    }

    /// Options to sign in with a passkey (the browser offers the ones it
    /// has for this site), for the app's sign-in `sign_in` or the page.
    pub async fn sign_in_options(
        &self,
        sign_in: Option<SignInId>,
        ip: IpAddr,
    ) -> Result<PasskeyOptions, ServiceError> {
        let webauthn = self.webauthn()?;
        self.not_closed(ip)?;
        let (options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let id = self
            .begin(Purpose::SignIn { sign_in }, to_json(&state)?)
            .await?;
        Ok(PasskeyOptions {
            ceremony: id.as_str().to_owned(),
            public_key: serde_json::to_value(&options.public_key)
                .map_err(|e| ServiceError::Internal(e.to_string()))?,
        })
    }

    fn not_closed(&self, ip: IpAddr) -> Result<(), ServiceError> {
        match self.failures.closed(ip, self.clock.now()) {
            Some(retry_after) => Err(spent("failed passkey sign-ins per client", retry_after)),
            None => Ok(()),
        }
    }

    /// Checks the browser's assertion for the ceremony `handle` and records
    /// the passkey's use, consuming the ceremony. A failure is counted
    /// against `ip` and the passkey it named, and changes nothing else.
    pub async fn sign_in(
        &self,
        handle: &str,
        credential: Value,
        ip: IpAddr,
    ) -> Result<Asserted, ServiceError> {
        let webauthn = self.webauthn()?;
        self.not_closed(ip)?;
        let now = self.clock.now();
        let mut named = None;
        let result = self
            .assert(webauthn, handle, credential, now, &mut named)
            .await;
        if let Err(e) = &result
            && e.is_failed_answer()
        {
            self.failures
                .failed(&*self.store, named.as_deref(), ip, now)
                .await;
        }
        result
    }

    async fn assert(
        &self,
        webauthn: &Webauthn,
        handle: &str,
        credential: Value,
        now: u64,
        named: &mut Option<String>,
    ) -> Result<Asserted, ServiceError> {
        let answer: PublicKeyCredential =
            serde_json::from_value(credential).map_err(|_| ServiceError::MalformedCredential)?;
        let (user_handle, id) = webauthn
            .identify_discoverable_authentication(&answer)
            .map(|(user, id)| (encode(user.as_bytes()), encode(id)))
            .map_err(|_| ServiceError::MalformedCredential)?;
        let (ceremony, passkey, spent) = tokio::join!(
            self.open(handle, Purpose::SIGN_IN),
            self.store.get_passkey(&id),
            self.failures.passkey_spent(&*self.store, &id, now),
        );
        let ceremony = ceremony?;
        let passkey = passkey?
            .filter(|p| p.user_handle == user_handle)
            .ok_or(ServiceError::UnknownPasskey)?;
        *named = Some(passkey.id.clone());
        if let Some(retry_after) = spent? {
            return Err(self::spent("failed sign-ins per passkey", retry_after));
        }
        let state: DiscoverableAuthentication = from_json(&ceremony.state)?;
        let mut credential: Credential = from_json(&passkey.credential)?;
        let result = webauthn
            .finish_discoverable_authentication_v2(&answer, state, &credential)
            .map_err(|e| {
                if matches!(e, WebauthnError::CredentialPossibleCompromise) {
                    tracing::warn!(passkey = %short(&passkey.id), "passkey refused: its counter went backwards, a possible clone");
                } else {
                    tracing::info!(error = %e, "passkey sign-in refused");
                }
                ServiceError::PasskeyRefused(refusal(&e))
            })?;
        credential.update_credential(&result);
        let use_ = PasskeyUse {
            id: passkey.id.clone(),
            subject: passkey.subject.clone(),
            sign_count_before: passkey.sign_count,
            sign_count: result.counter().max(passkey.sign_count),
            credential: to_json(&credential)?,
            now,
        };
        match self.store.use_passkey(&ceremony.id, &use_).await? {
            Used::Done => {}
            Used::CeremonyOver => return Err(ServiceError::CeremonyExpired),
            Used::PasskeyChanged => return Err(ServiceError::UnknownPasskey),
        }
        tracing::info!(ceremony = %ceremony.id, passkey = %short(&passkey.id), "passkey sign-in");
        let Purpose::SignIn { sign_in } = ceremony.purpose else {
            return Err(ServiceError::CeremonyExpired);
        };
        Ok(Asserted {
            amr: amr(&result),
            passkey: Passkey {
                sign_count: use_.sign_count,
                credential: use_.credential,
                last_used_at: Some(now),
                ..passkey
            },
            at: now,
            sign_in,
        })
    }

    /// The passkeys of the identity `subject`, oldest first.
    pub async fn list(&self, subject: &str) -> Result<Vec<PasskeyInfo>, StoreError> {
        let ids = self.store.passkeys_of(subject).await?.ids;
        let found =
            futures_util::future::join_all(ids.iter().map(|id| self.store.get_passkey(id))).await;
        let mut passkeys = Vec::new();
        for passkey in found {
            passkeys.extend(passkey?.filter(|p| p.subject == subject).as_ref().map(info));
        }
        passkeys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(passkeys)
    }

    /// Removes the identity's passkey `id`; whether it was there.
    pub async fn remove(&self, subject: &str, id: &str) -> Result<bool, StoreError> {
        let removed = self.store.remove_passkey(subject, id).await?;
        if removed {
            tracing::info!(passkey = %short(id), "passkey removed");
        }
        Ok(removed)
    }
}

/// A failure budget's refusal, counted.
fn spent(scope: &'static str, retry_after: u64) -> ServiceError {
    metrics::record(Metric::Refused(RefusedBy::PasskeyFailures));
    ServiceError::RateLimited { scope, retry_after }
}

/// A credential id as logs show ids: its first 6 characters, enough to
/// follow it, not to name it to the service.
fn short(id: &str) -> String {
    format!("{}…", id.get(..6).unwrap_or(id))
}

fn info(passkey: &Passkey) -> PasskeyInfo {
    PasskeyInfo {
        id: passkey.id.clone(),
        name: passkey.name.clone(),
        created_at: passkey.created_at,
        last_used_at: passkey.last_used_at,
    }
}

fn checked_name(name: String) -> Result<String, ServiceError> {
    let name = name.trim().to_owned();
    let length = name.chars().count();
    if (1..=MAX_PASSKEY_NAME_LEN).contains(&length) && !name.chars().any(char::is_control) {
        Ok(name)
    } else {
        Err(ServiceError::InvalidPasskeyName)
    }
}

/// The signature counter a credential was registered with, as the library
/// serialises it.
fn counter_of(credential: &str) -> u32 {
    serde_json::from_str::<Value>(credential)
        .ok()
        .and_then(|v| v["cred"]["counter"].as_u64())
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::new("a WebAuthn state did not serialise"))
}

fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|_| StoreError::new("a stored WebAuthn state is malformed"))
}
