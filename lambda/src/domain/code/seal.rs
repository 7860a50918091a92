//! A code kept recoverable at rest, so that a resend mails the very code the
//! person may already hold.
//!
//! The code is sealed with AES-256-GCM under a key derived from the code key
//! that hashed it (HKDF-SHA256, info [`SEAL_LABEL`]: a key of its own, never
//! the HMAC key itself), with the flow id as associated data, so a sealed
//! code opens only for its flow. Each seal draws a fresh 96-bit nonce from
//! the OS generator; random nonces stay safe up to 2³² seals per key, far
//! beyond a key's life here (one or two seals per flow). A table dump
//! without the keys reveals no code: the seal is as secret as the keyed
//! hash beside it (whose 10⁶ possible codes the key alone would also open).
//! A code sealed under a previous key still opens while that key is
//! configured; one sealed under a retired key does not, and the flow gets a
//! fresh code instead.

use super::{Code, CodeHasher, HmacKey};
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, Salt};
use otp_api::CODE_LENGTH;
use secrecy::ExposeSecret;
use std::fmt;

/// The HKDF info that makes a code key's sealing key; no other key of the
/// service is derived with it.
const SEAL_LABEL: &[u8] = b"otp code seal v1";
/// Nonce, the six encrypted digits, and the 16-byte tag.
const SEALED_LEN: usize = NONCE_LEN + CODE_LENGTH + 16;

/// A sealed code as stored: nonce ‖ ciphertext ‖ tag. Its `Debug` shows
/// nothing of it.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCode(pub Vec<u8>);

impl fmt::Debug for SealedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealedCode({} bytes)", self.0.len())
    }
}

impl CodeHasher {
    /// `code` sealed for flow `flow` under the current key, whose id
    /// [`CodeHasher::hash`] returns with the hash.
    pub fn seal(&self, flow: &super::FlowId, code: &Code) -> SealedCode {
        let mut sealed = code.expose().as_bytes().to_vec();
        let nonce = sealing_key(&self.current)
            .seal_in_place_append_tag(Aad::from(flow.as_str().as_bytes()), &mut sealed)
            .expect("AES-GCM seals six bytes");
        let mut stored = nonce.as_ref().to_vec();
        stored.append(&mut sealed);
        SealedCode(stored)
    }

    /// The code sealed in `sealed` for flow `flow` under the key `key_id`;
    /// `None` when that key is not configured (any more) or the seal does
    /// not open for this flow.
    pub fn open(&self, flow: &super::FlowId, key_id: &str, sealed: &SealedCode) -> Option<Code> {
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|key| key.id == key_id)?;
        if sealed.0.len() != SEALED_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.0.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut in_out = ciphertext.to_vec();
        let digits = sealing_key(key)
            .open_in_place(nonce, Aad::from(flow.as_str().as_bytes()), &mut in_out)
            .ok()?;
        Code::parse(std::str::from_utf8(digits).ok()?)
    }
}

/// The AES-256-GCM key derived from one code key.
fn sealing_key(key: &HmacKey) -> RandomizedNonceKey {
    let mut bytes = [0u8; 32];
    Salt::new(HKDF_SHA256, &[])
        .extract(key.secret.expose_secret())
        .expand(&[SEAL_LABEL], &AES_256_GCM)
        .and_then(|okm| okm.fill(&mut bytes))
        .expect("HKDF-SHA256 gives a 32-byte key");
    RandomizedNonceKey::new(&AES_256_GCM, &bytes).expect("a 32-byte AES-256 key")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{FlowId, PseudonymKey};
    use secrecy::SecretSlice;

    fn key(id: &str, byte: u8) -> HmacKey {
        HmacKey {
            id: id.into(),
            secret: SecretSlice::from(vec![byte; 32]),
        }
    }

    #[test]
    fn a_sealed_code_opens_for_its_flow_under_its_key() {
        let hasher = CodeHasher::ephemeral();
        let (flow, code) = (FlowId::generate(), Code::generate());
        let sealed = hasher.seal(&flow, &code);
        assert_eq!(sealed.0.len(), SEALED_LEN);
        assert_eq!(hasher.open(&flow, "ephemeral", &sealed), Some(code.clone()));
        // Another flow (the associated data), another key, an unknown key id.
        assert_eq!(hasher.open(&FlowId::generate(), "ephemeral", &sealed), None);
        assert_eq!(
            CodeHasher::ephemeral().open(&flow, "ephemeral", &sealed),
            None
        );
        assert_eq!(hasher.open(&flow, "k9", &sealed), None);
    }

    /// The stored bytes carry neither the digits nor a repeatable pattern:
    /// each seal draws its own nonce.
    #[test]
    fn seals_hide_the_code_and_never_repeat() {
        let hasher = CodeHasher::ephemeral();
        let (flow, code) = (FlowId::generate(), Code::parse("123456").unwrap());
        let (a, b) = (hasher.seal(&flow, &code), hasher.seal(&flow, &code));
        assert_ne!(a, b);
        assert_ne!(a.0[..NONCE_LEN], b.0[..NONCE_LEN]);
        for sealed in [&a, &b] {
            assert!(!sealed.0.windows(6).any(|w| w == b"123456"));
        }
        assert!(!format!("{a:?}").contains("123456"));
    }

    /// A tampered or truncated seal does not open.
    #[test]
    fn a_damaged_seal_does_not_open() {
        let hasher = CodeHasher::ephemeral();
        let (flow, code) = (FlowId::generate(), Code::generate());
        let sealed = hasher.seal(&flow, &code);
        for i in [0, NONCE_LEN, SEALED_LEN - 1] {
            let mut damaged = sealed.clone();
            damaged.0[i] ^= 1;
            assert_eq!(hasher.open(&flow, "ephemeral", &damaged), None, "byte {i}");
        }
        let short = SealedCode(sealed.0[..SEALED_LEN - 1].to_vec());
        assert_eq!(hasher.open(&flow, "ephemeral", &short), None);
    }

    /// After a rotation the codes sealed under the previous key still open;
    /// once that key is retired, they do not.
    #[test]
    fn codes_sealed_before_a_rotation_still_open() {
        let pseudonyms = PseudonymKey::ephemeral;
        let old = CodeHasher::new(key("k1", 1), Vec::new(), pseudonyms());
        let (flow, code) = (FlowId::generate(), Code::generate());
        let sealed = old.seal(&flow, &code);
        let rotated = CodeHasher::new(key("k2", 2), vec![key("k1", 1)], pseudonyms());
        assert_eq!(rotated.open(&flow, "k1", &sealed), Some(code));
        assert_eq!(rotated.open(&flow, "k2", &sealed), None);
        let retired = CodeHasher::new(key("k2", 2), Vec::new(), pseudonyms());
        assert_eq!(retired.open(&flow, "k1", &sealed), None);
    }
}
