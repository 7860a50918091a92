//! A flow is one verification: an address, the hash of the code most recently
//! sent to it, and the counters that bound it. The rules here decide every
//! answer the API gives; the store only applies them atomically.

use super::{CodeHash, Email};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use otp_api::MAX_REQUEST_ID_LEN;
use otp_api::locale::{Language, SOURCE};
use rand::TryRngCore;
use rand::rngs::OsRng;
use std::fmt;
use std::time::Duration;

const RANDOM_ID_BYTES: usize = 16;
const RANDOM_ID_LEN: usize = 22;

/// 128 random bits, base64url without padding (22 characters).
fn random_id() -> String {
    let mut bytes = [0u8; RANDOM_ID_BYTES];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Accepts only what [`random_id`] can produce, so a malformed id never
/// reaches the store.
fn parse_random_id(input: &str) -> Option<String> {
    if input.len() != RANDOM_ID_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(input).ok()?;
    // Re-encoding rejects non-canonical trailing bits.
    (bytes.len() == RANDOM_ID_BYTES && URL_SAFE_NO_PAD.encode(&bytes) == input)
        .then(|| input.to_owned())
}

/// An opaque random id that is also a bearer token: 128 random bits,
/// base64url (22 characters); logs and `Debug` get a prefix only.
macro_rules! random_id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub fn generate() -> $name {
                $name(random_id())
            }

            /// Accepts only what `generate` can produce.
            pub fn parse(input: &str) -> Option<$name> {
                parse_random_id(input).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({}…)"), &self.0[..6])
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}…", &self.0[..6])
            }
        }
    };
}

random_id_type!(
    /// One flow; the verify step's bearer token.
    FlowId
);
random_id_type!(
    /// One sign-in request of an app (OpenID Connect `/authorize`): the
    /// handle the page is given, and the flow is bound to.
    SignInId
);
random_id_type!(
    /// One session on the service's origin: its public id, the `sid` of
    /// the ID tokens issued in it. Half of the session cookie; the other
    /// half is a secret ([`super::session::SessionCookie`]).
    SessionId
);
random_id_type!(
    /// One logout an app asked for at `/logout` that the person must
    /// confirm: the handle the page is given.
    LogoutId
);
random_id_type!(
    /// One WebAuthn ceremony (adding a passkey, or signing in with one)
    /// waiting for the browser's answer: the handle of its stored challenge.
    CeremonyId
);

/// A page's idempotency key for a send: 1 to [`MAX_REQUEST_ID_LEN`]
/// visible ASCII characters, chosen by the page, so a retried send finds
/// the flow it started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn parse(input: &str) -> Option<RequestId> {
        let visible = input.bytes().all(|b| b.is_ascii_graphic());
        (!input.is_empty() && input.len() <= MAX_REQUEST_ID_LEN && visible)
            .then(|| RequestId(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Knobs of the flow; defaults follow NIST 800-63B and Twilio Verify.
#[derive(Debug, Clone)]
pub struct Policy {
    /// How long a code is good for.
    pub code_ttl: Duration,
    /// Wrong tries per flow; resends do not reset it.
    pub max_attempts: u32,
    /// Wait between two sends of one flow.
    pub resend_cooldown: Duration,
    /// Messages per flow, the first included.
    pub max_sends_per_flow: u32,
    /// How long the store keeps an item after it stopped mattering.
    pub ttl_grace: Duration,
    /// The language of a flow whose request names none.
    pub default_language: &'static Language,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            code_ttl: Duration::from_secs(600),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_sends_per_flow: 5,
            ttl_grace: Duration::from_secs(24 * 3600),
            default_language: SOURCE,
        }
    }
}

impl Policy {
    /// The `ttl` attribute for an item that stops mattering at `expires_at`.
    pub fn gc_at(&self, expires_at: u64) -> u64 {
        expires_at + self.ttl_grace.as_secs()
    }
}

/// Everything the store keeps about a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    pub id: FlowId,
    pub email: Email,
    pub code_hash: CodeHash,
    pub key_id: String,
    /// Tries counted so far (right or wrong), across all codes of the flow.
    pub attempts: u32,
    /// Messages sent, the first included.
    pub sends: u32,
    pub created_at: u64,
    pub expires_at: u64,
    pub last_sent_at: u64,
    pub used_at: Option<u64>,
    /// The sign-in request the flow was started for, if any: its approval
    /// completes that sign-in.
    pub sign_in: Option<SignInId>,
    /// The language of the flow's messages: a resend that names none
    /// writes in it.
    pub language: &'static Language,
}

/// Why a flow cannot take the step asked of it, in the order the API reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowState {
    /// Still usable.
    Live,
    AlreadyUsed,
    Expired,
    TooManyAttempts,
}

impl FlowRecord {
    /// A verify answer for this record at `now`. A used code is reported as
    /// used even after it expired: that is the more useful sentence.
    pub fn state(&self, now: u64, policy: &Policy) -> FlowState {
        if self.used_at.is_some() {
            FlowState::AlreadyUsed
        } else if self.expires_at <= now {
            FlowState::Expired
        } else if self.attempts >= policy.max_attempts {
            FlowState::TooManyAttempts
        } else {
            FlowState::Live
        }
    }

    pub fn expires_in(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }

    /// Seconds until a resend is allowed; 0 when it is.
    pub fn resend_in(&self, now: u64, policy: &Policy) -> u64 {
        (self.last_sent_at + policy.resend_cooldown.as_secs()).saturating_sub(now)
    }

    pub fn attempts_left(&self, policy: &Policy) -> u32 {
        policy.max_attempts.saturating_sub(self.attempts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record(now: u64) -> FlowRecord {
        FlowRecord {
            id: FlowId::generate(),
            email: Email::parse("ann@example.com").unwrap(),
            code_hash: CodeHash([0; 32]),
            key_id: "k1".into(),
            attempts: 0,
            sends: 1,
            created_at: now,
            expires_at: now + 600,
            last_sent_at: now,
            used_at: None,
            sign_in: None,
            language: SOURCE,
        }
    }

    #[test]
    fn flow_ids_are_22_url_safe_chars_and_parse_back() {
        let id = FlowId::generate();
        assert_eq!(id.as_str().len(), 22);
        assert!(
            id.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(FlowId::parse(id.as_str()), Some(id.clone()));
        assert_ne!(FlowId::generate(), id);
    }

    #[test]
    fn malformed_flow_ids_are_rejected() {
        for bad in [
            "",
            "short",
            "flow#AAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "AAAAAAAAAAAAAAAAAAAAAB",
        ] {
            assert_eq!(FlowId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn state_reports_used_then_expired_then_exhausted() {
        let policy = Policy::default();
        let now = 1_000_000;
        let mut r = record(now);
        assert_eq!(r.state(now, &policy), FlowState::Live);
        r.attempts = 5;
        assert_eq!(r.state(now, &policy), FlowState::TooManyAttempts);
        assert_eq!(r.state(now + 600, &policy), FlowState::Expired);
        r.used_at = Some(now);
        assert_eq!(r.state(now + 600, &policy), FlowState::AlreadyUsed);
    }

    #[test]
    fn resend_countdown() {
        let policy = Policy::default();
        let r = record(1000);
        assert_eq!(r.resend_in(1000, &policy), 60);
        assert_eq!(r.resend_in(1059, &policy), 1);
        assert_eq!(r.resend_in(1060, &policy), 0);
        assert_eq!(r.expires_in(1600), 0);
    }

    #[test]
    fn request_ids_are_short_visible_ascii() {
        assert_eq!(RequestId::parse("page-1").unwrap().as_str(), "page-1");
        let longest = "r".repeat(MAX_REQUEST_ID_LEN);
        assert!(RequestId::parse(&longest).is_some());
        for bad in ["", "with space", "tab\t", "é", &format!("{longest}r")] {
            assert_eq!(RequestId::parse(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_accepts_exactly_generated_ids(s in "[A-Za-z0-9_-]{20,24}") {
            if let Some(id) = FlowId::parse(&s) {
                prop_assert_eq!(id.as_str(), s.as_str());
                prop_assert_eq!(s.len(), 22);
            }
        }
    }
}
