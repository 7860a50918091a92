//! One-time codes: drawn uniformly from the OS CSPRNG, stored as an HMAC
//! for the comparison and sealed (`seal.rs`) so a resend can mail the same
//! code again; a copy of the table reveals neither without the keys.
//!
//! A submitted code is checked by hashing it under every known key and asking
//! the store to approve the flow only if its hash is one of those candidates:
//! one conditional write, no read first. The comparison then happens in the
//! store, not in constant time here, and that is safe: the submitter chooses
//! the code, not its hash, so how long two HMACs take to compare tells them
//! nothing about the code behind the stored one.

mod seal;

pub use seal::SealedCode;

use super::FlowId;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use otp_api::CODE_LENGTH;
use rand::Rng;
use rand::TryRngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;
use std::fmt;
use subtle::ConstantTimeEq;

const CODE_SPACE: u32 = 1_000_000;
/// The shortest HMAC key accepted: 256 bits, the size of the hash.
pub const MIN_KEY_BYTES: usize = 32;

/// A freshly generated code. Its `Debug` hides the digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// Six digits, uniform over 000000–999999. `random_range` rejects
    /// out-of-range draws instead of taking a modulus, so no value is favoured.
    pub fn generate() -> Code {
        let n = OsRng.unwrap_err().random_range(0..CODE_SPACE);
        Code(format!("{n:0width$}", width = CODE_LENGTH))
    }

    /// A code as submitted; `None` unless it is exactly six ASCII digits
    /// (after the separators [`otp_api::parse_code`] allows).
    pub fn parse(input: &str) -> Option<Code> {
        otp_api::parse_code(input).map(Code)
    }

    /// The digits, for the message body only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(******)")
    }
}

/// HMAC-SHA256 of a code, bound to its flow (and through it to the address:
/// a flow id is random, never reused, and stored with its address).
#[derive(Clone, PartialEq, Eq)]
pub struct CodeHash(pub [u8; 32]);

impl CodeHash {
    pub fn from_slice(bytes: &[u8]) -> Option<CodeHash> {
        bytes.try_into().ok().map(CodeHash)
    }

    /// Whether this is one of `candidates`, in constant time per candidate.
    pub fn is_one_of(&self, candidates: &[CodeHash]) -> bool {
        candidates
            .iter()
            .fold(subtle::Choice::from(0), |found, c| {
                found | c.0.ct_eq(&self.0)
            })
            .into()
    }
}

impl fmt::Debug for CodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CodeHash({:02x}{:02x}…)", self.0[0], self.0[1])
    }
}

/// One HMAC key and the id stored next to every hash made with it.
#[derive(Clone)]
pub struct HmacKey {
    pub id: String,
    pub secret: SecretSlice<u8>,
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey({}, [redacted])", self.id)
    }
}

/// The key that names what budgets count ([`CodeHasher::subject`]): derived
/// from the subject key (`OTP_SUBJECT_KEY`), which never rotates, under a
/// label of its own, so it makes nothing the subject key makes (`sub`).
#[derive(Clone)]
pub struct PseudonymKey(SecretSlice<u8>);

impl fmt::Debug for PseudonymKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PseudonymKey([redacted])")
    }
}

impl PseudonymKey {
    /// HMAC-SHA256(`subject_key`, `pseudonyms`).
    pub fn derive(subject_key: &[u8]) -> PseudonymKey {
        let mut m = Hmac::<Sha256>::new_from_slice(subject_key).expect("HMAC takes any key length");
        m.update(b"pseudonyms");
        PseudonymKey(SecretSlice::from(m.finalize().into_bytes().to_vec()))
    }

    /// A random key for this process (tests).
    pub fn ephemeral() -> PseudonymKey {
        PseudonymKey(random_secret())
    }
}

/// The service's keyed hashes. Codes, proof-of-work tags and authorization
/// codes live minutes: they are made under the current HMAC key and checked
/// under every known one, so those keys rotate without failing what is in
/// flight. Budget subjects (counters, lockouts, idempotency claims,
/// suppressions) must outlive a rotation: they are named under the
/// pseudonym key, which does not rotate, so rotating the HMAC keys forgets
/// no spent budget, lifts no lockout or suppression and mails no retried
/// send again.
#[derive(Debug, Clone)]
pub struct CodeHasher {
    current: HmacKey,
    previous: Vec<HmacKey>,
    pseudonyms: PseudonymKey,
}

impl CodeHasher {
    pub fn new(current: HmacKey, previous: Vec<HmacKey>, pseudonyms: PseudonymKey) -> CodeHasher {
        CodeHasher {
            current,
            previous,
            pseudonyms,
        }
    }

    /// The keys an operator configures, `id:base64key[,id:base64key…]`: the
    /// first hashes new codes, the others still verify codes made before a
    /// rotation. Ids are letters, digits, `-` and `_`, each once; a key has
    /// at least [`MIN_KEY_BYTES`]. The reason when the spec is not that.
    pub fn from_spec(spec: &str, pseudonyms: PseudonymKey) -> Result<CodeHasher, String> {
        let mut keys = Vec::new();
        for (n, entry) in spec.split(',').map(str::trim).enumerate() {
            let (id, b64) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {} is not `id:base64key`", n + 1))?;
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(format!(
                    "entry {}: the id must be letters, digits, - or _",
                    n + 1
                ));
            }
            let secret = STANDARD
                .decode(b64.trim())
                .map_err(|_| format!("entry {} (`{id}`): the key is not base64", n + 1))?;
            if secret.len() < MIN_KEY_BYTES {
                return Err(format!(
                    "entry {} (`{id}`): the key has {} bytes, at least {MIN_KEY_BYTES} are needed (openssl rand -base64 32)",
                    n + 1,
                    secret.len()
                ));
            }
            if keys.iter().any(|k: &HmacKey| k.id == id) {
                return Err(format!("the id `{id}` appears twice"));
            }
            keys.push(HmacKey {
                id: id.to_owned(),
                secret: SecretSlice::from(secret),
            });
        }
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or("no key given")?;
        Ok(CodeHasher::new(current, keys.collect(), pseudonyms))
    }

    /// A hasher whose HMAC key lives as long as the process, for local runs
    /// where codes need not survive a restart; subjects under `pseudonyms`.
    pub fn with_random_key(pseudonyms: PseudonymKey) -> CodeHasher {
        CodeHasher::new(
            HmacKey {
                id: "ephemeral".into(),
                secret: random_secret(),
            },
            Vec::new(),
            pseudonyms,
        )
    }

    /// A hasher whose keys all live as long as the process: for tests.
    pub fn ephemeral() -> CodeHasher {
        CodeHasher::with_random_key(PseudonymKey::ephemeral())
    }

    pub fn current_key_id(&self) -> &str {
        &self.current.id
    }

    /// The hash to store for `code`, and the id of the key that made it.
    pub fn hash(&self, flow: &FlowId, code: &Code) -> (CodeHash, String) {
        (mac(&self.current, flow, code), self.current.id.clone())
    }

    /// The hashes `code` would have under each known key, the current one
    /// first: a flow's code is `code` if its stored hash is one of them. A
    /// code hashed under a key no longer known (retired too early) never is.
    pub fn candidates(&self, flow: &FlowId, code: &Code) -> Vec<CodeHash> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|key| mac(key, flow, code))
            .collect()
    }

    /// A keyed, stable pseudonym for what a budget counts (an address's key,
    /// a client prefix), so the table never holds the raw value; under the
    /// pseudonym key, so a rotation of the HMAC keys leaves it unchanged.
    pub fn subject(&self, scope: &str, value: &str) -> String {
        subject_with(self.pseudonyms.0.expose_secret(), scope, value)
    }

    /// [`CodeHasher::subject`] as it was named before subjects moved to the
    /// pseudonym key: under each known HMAC key, the current one first. Only
    /// suppressions still need them: they last months, and those written
    /// then are found this way while their key is known.
    pub fn subjects_before_pseudonyms(&self, scope: &str, value: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|key| subject_with(key.secret.expose_secret(), scope, value))
            .collect()
    }

    /// HMAC-SHA256 under the current key of `label`, NUL, `data`: a secret
    /// the service derives again rather than stores (the authorization code
    /// of an approved flow, `authcode\0<flow id>`).
    pub fn derive(&self, label: &str, data: &[u8]) -> [u8; 32] {
        let mut m = new_mac(&self.current);
        m.update(label.as_bytes());
        m.update(b"\0");
        m.update(data);
        m.finalize().into_bytes().into()
    }

    /// A keyed 128-bit tag over `parts` under the current key, for tokens
    /// the service hands out and must recognise later (proof-of-work challenges).
    pub fn tag(&self, label: &str, parts: &[&[u8]]) -> [u8; 16] {
        tag_with(&self.current, label, parts)
    }

    /// Whether `tag` is the tag of `parts` under any known key, compared in
    /// constant time (the tag comes from the client).
    pub fn is_tag(&self, tag: &[u8; 16], label: &str, parts: &[&[u8]]) -> bool {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .fold(subtle::Choice::from(0), |found, key| {
                found | tag_with(key, label, parts).ct_eq(tag)
            })
            .into()
    }
}

fn subject_with(key: &[u8], scope: &str, value: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(b"subject\0");
    m.update(scope.as_bytes());
    m.update(b"\0");
    m.update(value.as_bytes());
    let out = m.finalize().into_bytes();
    hex::encode(&out[..16])
}

fn tag_with(key: &HmacKey, label: &str, parts: &[&[u8]]) -> [u8; 16] {
    let mut m = new_mac(key);
    m.update(b"tag\0");
    m.update(label.as_bytes());
    // Lengths first, so no two different part lists feed the same bytes.
    for part in parts {
        m.update(&(part.len() as u64).to_le_bytes());
        m.update(part);
    }
    let mut tag = [0; 16];
    tag.copy_from_slice(&m.finalize().into_bytes()[..16]);
    tag
}

fn random_secret() -> SecretSlice<u8> {
    let mut bytes = vec![0u8; 32];
    OsRng.unwrap_err().fill(&mut bytes[..]);
    SecretSlice::from(bytes)
}

fn new_mac(key: &HmacKey) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key.secret.expose_secret()).expect("HMAC takes any key length")
}

fn mac(key: &HmacKey, flow: &FlowId, code: &Code) -> CodeHash {
    let mut m = new_mac(key);
    // Each field ends in NUL, which neither can contain, so no two different
    // (flow, code) pairs feed the same bytes.
    m.update(b"code\0");
    for part in [flow.as_str(), code.expose()] {
        m.update(part.as_bytes());
        m.update(b"\0");
    }
    CodeHash(m.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests;
