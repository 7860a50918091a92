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

/// Hashes with the current key and checks against any known key, so keys can
/// rotate without failing the codes already in flight.
#[derive(Debug, Clone)]
pub struct CodeHasher {
    current: HmacKey,
    previous: Vec<HmacKey>,
}

impl CodeHasher {
    pub fn new(current: HmacKey, previous: Vec<HmacKey>) -> CodeHasher {
        CodeHasher { current, previous }
    }

    /// The keys an operator configures, `id:base64key[,id:base64key…]`: the
    /// first hashes new codes, the others still verify codes made before a
    /// rotation. Ids are letters, digits, `-` and `_`, each once; a key has
    /// at least [`MIN_KEY_BYTES`]. The reason when the spec is not that.
    pub fn from_spec(spec: &str) -> Result<CodeHasher, String> {
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
        Ok(CodeHasher::new(current, keys.collect()))
    }

    /// A hasher with a random key that lives as long as the process: for local
    /// runs and tests, where codes need not survive a restart.
    pub fn ephemeral() -> CodeHasher {
        let mut bytes = vec![0u8; 32];
        OsRng.unwrap_err().fill(&mut bytes[..]);
        CodeHasher::new(
            HmacKey {
                id: "ephemeral".into(),
                secret: SecretSlice::from(bytes),
            },
            Vec::new(),
        )
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

    /// A keyed, stable pseudonym for a rate-limit subject (an address, an IP
    /// prefix), so counters never hold the raw value.
    pub fn subject(&self, scope: &str, value: &str) -> String {
        subject_with(&self.current, scope, value)
    }

    /// [`CodeHasher::subject`] under every known key, the current one first:
    /// for items that outlive a key rotation (a suppression lasts months).
    pub fn subjects(&self, scope: &str, value: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(|key| subject_with(key, scope, value))
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

fn subject_with(key: &HmacKey, scope: &str, value: &str) -> String {
    let mut m = new_mac(key);
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
mod tests {
    use super::*;

    fn fixture() -> (CodeHasher, FlowId) {
        (CodeHasher::ephemeral(), FlowId::generate())
    }

    #[test]
    fn generated_codes_are_six_digits() {
        for _ in 0..1000 {
            let code = Code::generate();
            assert_eq!(code.expose().len(), 6);
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    /// Every digit must appear in every position with equal probability.
    /// 60 000 codes give 6 000 expected per (position, digit); the chi-square
    /// statistic over the 10 digits of one position has 9 degrees of freedom,
    /// and 27.88 is its 0.999 quantile (a false alarm once in a thousand runs
    /// per position). A generator that drops one digit, favours low values
    /// through a modulus, or repeats itself lands far above it.
    #[test]
    fn codes_are_uniform_per_position() {
        const N: usize = 60_000;
        let mut counts = [[0u32; 10]; CODE_LENGTH];
        for _ in 0..N {
            for (pos, b) in Code::generate().expose().bytes().enumerate() {
                counts[pos][(b - b'0') as usize] += 1;
            }
        }
        let expected = N as f64 / 10.0;
        for (pos, row) in counts.iter().enumerate() {
            assert!(
                row.iter().all(|&c| c > 0),
                "position {pos} misses a digit: {row:?}"
            );
            let chi2: f64 = row
                .iter()
                .map(|&c| (c as f64 - expected).powi(2) / expected)
                .sum();
            assert!(
                chi2 < 27.88,
                "position {pos}: chi-square {chi2:.1}, counts {row:?}"
            );
        }
    }

    /// The test above must be able to fail: a biased generator (n % 1_000_000
    /// of a 20-bit draw, which favours 0–48575) is caught by it.
    #[test]
    fn uniformity_check_catches_modulo_bias() {
        const N: usize = 60_000;
        let mut rng = OsRng.unwrap_err();
        let mut first = [0u32; 10];
        for _ in 0..N {
            let n = rng.random_range(0..(1u32 << 20)) % CODE_SPACE;
            let code = format!("{n:06}");
            first[(code.as_bytes()[0] - b'0') as usize] += 1;
        }
        let expected = N as f64 / 10.0;
        let chi2: f64 = first
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 > 27.88,
            "biased generator passed: chi-square {chi2:.1}"
        );
    }

    #[test]
    fn a_hash_is_a_candidate_only_for_the_same_code_and_flow() {
        let (hasher, flow) = fixture();
        let code = Code::parse("042137").unwrap();
        let (hash, key_id) = hasher.hash(&flow, &code);
        assert_eq!(key_id, "ephemeral");
        assert!(hash.is_one_of(&hasher.candidates(&flow, &code)));
        let other_code = Code::parse("042138").unwrap();
        assert!(!hash.is_one_of(&hasher.candidates(&flow, &other_code)));
        assert!(!hash.is_one_of(&hasher.candidates(&FlowId::generate(), &code)));
        // Another key (another deployment, or a key retired too early).
        assert!(!hash.is_one_of(&CodeHasher::ephemeral().candidates(&flow, &code)));
        assert!(!hash.is_one_of(&[]));
    }

    #[test]
    fn rotated_keys_still_verify_codes_in_flight() {
        let (old, flow) = fixture();
        let code = Code::generate();
        let (hash, _) = old.hash(&flow, &code);
        let new_key = HmacKey {
            id: "k2".into(),
            secret: SecretSlice::from(vec![7u8; 32]),
        };
        let rotated = CodeHasher::new(new_key, vec![old.current.clone()]);
        let candidates = rotated.candidates(&flow, &code);
        assert_eq!(candidates.len(), 2);
        assert!(hash.is_one_of(&candidates));
        let (new_hash, key_id) = rotated.hash(&flow, &code);
        assert_eq!(key_id, "k2");
        assert_eq!(candidates[0], new_hash, "the current key comes first");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let code = Code::parse("123456").unwrap();
        assert!(!format!("{code:?}").contains("123456"));
        let hasher = CodeHasher::ephemeral();
        assert!(format!("{hasher:?}").contains("redacted"));
    }

    /// The first key of a spec hashes new codes; a code hashed under a
    /// later one (before a rotation) still checks out.
    #[test]
    fn a_spec_names_the_current_key_first_and_keeps_the_others() {
        let key = |byte: u8| STANDARD.encode([byte; MIN_KEY_BYTES]);
        let old = CodeHasher::from_spec(&format!("k1:{}", key(1))).unwrap();
        let rotated = CodeHasher::from_spec(&format!("k2:{}, k1:{}", key(2), key(1))).unwrap();
        assert_eq!(rotated.current_key_id(), "k2");
        let (flow, code) = (FlowId::generate(), Code::generate());
        let (before, id) = old.hash(&flow, &code);
        assert_eq!(id, "k1");
        assert!(before.is_one_of(&rotated.candidates(&flow, &code)));
        for bad in [
            String::new(),
            format!("k1:{},k1:{}", key(1), key(2)),
            format!("k 1:{}", key(1)),
            format!("k1:{}", STANDARD.encode([1; MIN_KEY_BYTES - 1])),
        ] {
            assert!(CodeHasher::from_spec(&bad).is_err(), "{bad}");
        }
    }
}
