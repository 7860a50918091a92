//! One-time codes: drawn uniformly from the OS CSPRNG, stored only as an
//! HMAC so that a copy of the table does not reveal them, and compared in
//! constant time.

use super::{Email, FlowId};
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

/// HMAC-SHA256 of a code, bound to its flow and address.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeHash(pub [u8; 32]);

impl CodeHash {
    pub fn from_slice(bytes: &[u8]) -> Option<CodeHash> {
        bytes.try_into().ok().map(CodeHash)
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
    pub fn hash(&self, flow: &FlowId, email: &Email, code: &Code) -> (CodeHash, String) {
        (
            mac(&self.current, flow, email, code),
            self.current.id.clone(),
        )
    }

    /// Whether `code` is the one behind `stored`; constant time in the code.
    /// An unknown key id (a key retired too early) never matches.
    pub fn matches(
        &self,
        key_id: &str,
        stored: &CodeHash,
        flow: &FlowId,
        email: &Email,
        code: &Code,
    ) -> bool {
        let Some(key) = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
        else {
            return false;
        };
        mac(key, flow, email, code).0.ct_eq(&stored.0).into()
    }

    /// A keyed, stable pseudonym for a rate-limit subject (an address, an IP
    /// prefix), so counters never hold the raw value.
    pub fn subject(&self, scope: &str, value: &str) -> String {
        let mut m = new_mac(&self.current);
        m.update(b"subject\0");
        m.update(scope.as_bytes());
        m.update(b"\0");
        m.update(value.as_bytes());
        let out = m.finalize().into_bytes();
        hex::encode(&out[..16])
    }
}

fn new_mac(key: &HmacKey) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key.secret.expose_secret()).expect("HMAC takes any key length")
}

fn mac(key: &HmacKey, flow: &FlowId, email: &Email, code: &Code) -> CodeHash {
    let mut m = new_mac(key);
    // Each field ends in NUL, which none of them can contain, so no two
    // different (flow, email, code) triples feed the same bytes.
    m.update(b"code\0");
    for part in [flow.as_str(), email.as_str(), code.expose()] {
        m.update(part.as_bytes());
        m.update(b"\0");
    }
    CodeHash(m.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (CodeHasher, FlowId, Email) {
        (
            CodeHasher::ephemeral(),
            FlowId::generate(),
            Email::parse("ann@example.com").unwrap(),
        )
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
    fn hash_matches_only_the_same_code_flow_and_email() {
        let (hasher, flow, email) = fixture();
        let code = Code::parse("042137").unwrap();
        let (hash, key_id) = hasher.hash(&flow, &email, &code);
        assert!(hasher.matches(&key_id, &hash, &flow, &email, &code));
        assert!(!hasher.matches(
            &key_id,
            &hash,
            &flow,
            &email,
            &Code::parse("042138").unwrap()
        ));
        assert!(!hasher.matches(&key_id, &hash, &FlowId::generate(), &email, &code));
        let other = Email::parse("bob@example.com").unwrap();
        assert!(!hasher.matches(&key_id, &hash, &flow, &other, &code));
        assert!(!hasher.matches("unknown", &hash, &flow, &email, &code));
    }

    #[test]
    fn rotated_keys_still_verify_codes_in_flight() {
        let (old, flow, email) = fixture();
        let code = Code::generate();
        let (hash, key_id) = old.hash(&flow, &email, &code);
        let new_key = HmacKey {
            id: "k2".into(),
            secret: SecretSlice::from(vec![7u8; 32]),
        };
        let rotated = CodeHasher::new(new_key, vec![old.current.clone()]);
        assert!(rotated.matches(&key_id, &hash, &flow, &email, &code));
        assert_eq!(rotated.hash(&flow, &email, &code).1, "k2");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let code = Code::parse("123456").unwrap();
        assert!(!format!("{code:?}").contains("123456"));
        let hasher = CodeHasher::ephemeral();
        assert!(format!("{hasher:?}").contains("redacted"));
    }
}
