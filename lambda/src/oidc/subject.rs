//! The public subject (`sub`) of a person: derived from the address's
//! identity key ([`Email::as_str`]), which merges only spellings that provably
//! reach one mailbox (case, the domain's form, and a provider's `+tag` and
//! dot rules only where the provider documents them). Apps key their users on
//! `sub` (OpenID Connect Core §2: it identifies one end-user), so merging two
//! mailboxes here would let the reader of one sign in as the other:
//! `ann+x@corp.example` is another `sub` than `ann@corp.example`, while
//! `a.nn+x@gmail.com` and `ann@gmail.com` are one. Splitting is the safe
//! direction: at worst one person has two `sub`s.
//!
//! Keyed under `OTP_SUBJECT_KEY`, a key of its own that never rotates (the
//! HMAC keys of codes rotate; a subject must not move), so the subject
//! reveals nothing of the address. The names of budgets and suppressions
//! must not move either: they are made under a key derived from this one
//! ([`SubjectKey::pseudonym_key`]), never with it directly.

use crate::domain::{Email, PseudonymKey};
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

    /// The key that names budget subjects, derived from this one under a
    /// label of its own: like `sub`, it never rotates.
    pub fn pseudonym_key(&self) -> PseudonymKey {
        PseudonymKey::derive(self.0.expose_secret())
    }

    /// base64url(HMAC-SHA256(key, "sub\0" ‖ identity key)), 43 characters.
    pub fn subject(&self, email: &Email) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(self.0.expose_secret())
            .expect("HMAC takes any key length");
        m.update(b"sub\0");
        m.update(email.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_subject_per_identity() {
        let key = SubjectKey::new(vec![7; 32]).unwrap();
        let sub = |a: &str| key.subject(&Email::parse(a).unwrap());
        assert_eq!(sub("ann@example.com").len(), 43);
        assert_eq!(sub("ann@example.com"), sub("Ann@Example.com"));
        assert_ne!(sub("ann@example.com"), sub("ann+news@example.com"));
        assert_eq!(sub("a.n.n+news@gmail.com"), sub("ann@googlemail.com"));
        assert_eq!(sub("ann+news@proton.me"), sub("ann@proton.me"));
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
