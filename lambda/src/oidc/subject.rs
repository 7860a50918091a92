//! The public subject (`sub`) of a person: stable per canonical mailbox
//! ([`Email::mailbox`]: `+tag`s and Gmail dots removed), so every spelling
//! of one inbox is one person to the apps. Keyed under `OTP_SUBJECT_KEY`, a
//! key of its own that never rotates (the HMAC keys of codes rotate; a
//! subject must not move), so the subject reveals nothing of the address.

use crate::domain::Email;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use std::fmt;

/// Shortest subject key, in bytes.
pub const MIN_SUBJECT_KEY_BYTES: usize = 32;

#[derive(Clone)]
pub struct SubjectKey(SecretSlice<u8>);

impl fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubjectKey([redacted])")
    }
}

impl SubjectKey {
    /// The key as configured; at least [`MIN_SUBJECT_KEY_BYTES`].
    pub fn new(bytes: Vec<u8>) -> Option<SubjectKey> {
        (bytes.len() >= MIN_SUBJECT_KEY_BYTES).then(|| SubjectKey(SecretSlice::from(bytes)))
    }

    /// A random key for this process (local runs: the memory store forgets
    /// every sign-in at exit anyway).
    pub fn generate() -> SubjectKey {
        let mut bytes = vec![0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        SubjectKey(SecretSlice::from(bytes))
    }

    /// base64url(HMAC-SHA256(key, "sub\0" ‖ mailbox)), 43 characters.
    pub fn subject(&self, email: &Email) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes any key length");
        m.update(b"sub\0");
        m.update(email.mailbox().as_bytes());
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_subject_per_mailbox() {
        let key = SubjectKey::new(vec![7; 32]).unwrap();
        let sub = |a: &str| key.subject(&Email::parse(a).unwrap());
        assert_eq!(sub("ann@example.com").len(), 43);
        assert_eq!(sub("ann@example.com"), sub("Ann+news@Example.com"));
        assert_eq!(sub("a.n.n@gmail.com"), sub("ann@googlemail.com"));
        assert_ne!(sub("ann@example.com"), sub("bob@example.com"));
        let other = SubjectKey::new(vec![8; 32]).unwrap();
        assert_ne!(
            other.subject(&Email::parse("ann@example.com").unwrap()),
            sub("ann@example.com")
        );
        assert!(SubjectKey::new(vec![1; 31]).is_none());
        assert!(!format!("{key:?}").contains('7'));
    }
}
