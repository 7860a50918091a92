//! A flow is one verification: an address, its code (hashed for the
//! comparison, sealed for a resend), and the counters that bound it. The
//! rules here decide every answer the API gives; the store only applies
//! them atomically.
//!
//! A flow also keeps when each of its tries was counted: the address's
//! failures across its flows are summed from them when a new code is asked
//! for (see the service's lockouts), so a wrong code writes nothing but its
//! count.

use super::{CodeHash, Email, SealedCode};
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
    /// How long the store keeps an item after it stopped mattering; an
    /// expired flow may get a fresh code until then.
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

    /// The `ttl` attribute of a flow whose code expires at `expires_at`: a
    /// day later than other items, because its failures count towards its
    /// address's lockouts of their day, which last into the next.
    pub fn flow_gc_at(&self, expires_at: u64) -> u64 {
        self.gc_at(expires_at) + FAILURES_KEPT
    }
}

/// How much longer than other items a flow is kept ([`Policy::flow_gc_at`]).
const FAILURES_KEPT: u64 = 24 * 3600;

/// The try that approved a flow: its number (from 1, in the order tries
/// were counted) and how many tries were counted when the approval was
/// written. Tries counted later came after the approval (a replay, or a
/// code sent to a used flow); tries counted before it other than the
/// approving one are the flow's failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovingTry {
    pub number: u32,
    pub counted: u32,
}

/// Everything the store keeps about a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    pub id: FlowId,
    pub email: Email,
    pub code_hash: CodeHash,
    /// The same code, sealed under the key `key_id` names, so a resend can
    /// mail it again; `None` for a flow stored before codes were sealed.
    pub sealed_code: Option<SealedCode>,
    pub key_id: String,
    /// Tries counted so far (right or wrong), across all codes of the flow.
    pub attempts: u32,
    /// When each try was counted, in the order counted (`attempts` of them,
    /// fewer for a flow stored before tries were timed).
    pub tries: Vec<u64>,
    /// Messages sent, the first included.
    pub sends: u32,
    pub created_at: u64,
    pub expires_at: u64,
    pub last_sent_at: u64,
    pub used_at: Option<u64>,
    /// Which try approved the flow, with `used_at`.
    pub approved_by: Option<ApprovingTry>,
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

    /// When each of the flow's failures was counted: every try counted
    /// before its approval (all of them while it is not approved) but the
    /// approving one. A right code still on its way to its approval counts
    /// here until it lands.
    pub fn failures(&self) -> impl Iterator<Item = u64> + '_ {
        let counted = self
            .approved_by
            .map_or(self.tries.len(), |by| by.counted as usize);
        let approving = self.approved_by.map(|by| by.number as usize);
        (self.tries.iter().take(counted).enumerate())
            .filter(move |(i, _)| approving != Some(i + 1))
            .map(|(_, at)| *at)
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
            sealed_code: None,
            key_id: "k1".into(),
            attempts: 0,
            tries: Vec::new(),
            sends: 1,
            created_at: now,
            expires_at: now + 600,
            last_sent_at: now,
            used_at: None,
            approved_by: None,
            sign_in: None,
            language: SOURCE,
        }
    }

    /// Every try of an unapproved flow is a failure; of an approved one,
    /// those counted before the approval but the approving one.
    #[test]
    fn failures_are_the_tries_before_the_approval_but_the_approving_one() {
        let mut r = record(1000);
        r.tries = vec![1001, 1002, 1003];
        r.attempts = 3;
        assert_eq!(r.failures().collect::<Vec<_>>(), [1001, 1002, 1003]);
        // Try 2 approved, while try 3 (a wrong one in parallel) was counted;
        // tries 4 and 5 came after the approval.
        r.tries.extend([1004, 1005]);
        r.attempts = 5;
        r.used_at = Some(1003);
        r.approved_by = Some(ApprovingTry {
            number: 2,
            counted: 3,
        });
        assert_eq!(r.failures().collect::<Vec<_>>(), [1001, 1003]);
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
