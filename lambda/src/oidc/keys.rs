//! The RSA keys ID tokens are signed with (`OTP_SIGNING_KEYS`): one or more
//! PEM blocks; the first signs (and must be private), the others are only
//! published at `/.well-known/jwks.json` (a key retired from signing stays
//! published until the tokens it signed have expired; a `PUBLIC KEY` is
//! enough for that). Each key's `kid` is its RFC 7638 thumbprint.
//!
//! Without the setting (local runs only) one RSA-2048 key is generated per
//! process, in a background thread, so the start does not wait for it.
//!
//! Keys are parsed and checked with aws-lc-rs; tokens are signed by
//! `jsonwebtoken` on its aws-lc-rs backend (constant-time RSA).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKey, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::{Arc, OnceLock};
use tokio::sync::watch;

/// Smallest modulus accepted.
pub const MIN_BITS: usize = 2048;

/// A published key: the public half, as a JWK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    /// RFC 7638 thumbprint (SHA-256, base64url).
    pub kid: String,
    /// Modulus, base64url, no leading zeros.
    pub n: String,
    /// Public exponent, base64url.
    pub e: String,
}

impl PublicJwk {
    fn from_components(n: &[u8], e: &[u8]) -> PublicJwk {
        let n = URL_SAFE_NO_PAD.encode(strip_zeros(n));
        let e = URL_SAFE_NO_PAD.encode(strip_zeros(e));
        PublicJwk {
            kid: thumbprint(&n, &e),
            n,
            e,
        }
    }

    /// `{kty, use, alg, kid, n, e}`
    pub fn to_json(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": self.n,
            "e": self.e,
        })
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// RFC 7638: SHA-256 of the required members in lexicographic order, no
/// whitespace, base64url.
pub fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// The key that signs, with its published half.
#[derive(Clone)]
pub struct SigningKey {
    encoding: EncodingKey,
    pub public: PublicJwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey({}, [redacted])", self.public.kid)
    }
}

impl SigningKey {
    /// A compact JWS (RS256) of `claims`, its header naming this key.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, jsonwebtoken::errors::Error> {
        self.sign_typed("JWT", claims)
    }

    /// [`SigningKey::sign`] with the header's `typ` set to `typ` (a logout
    /// token is a `logout+jwt`, so it is never taken for an ID token).
    pub fn sign_typed<T: Serialize>(
        &self,
        typ: &str,
        claims: &T,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.public.kid.clone());
        header.typ = Some(typ.into());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }

    fn from_pair(pair: &KeyPair, pem: &str) -> Result<SigningKey, String> {
        let public = public_of(pair.public_key());
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())
            .map_err(|e| format!("the key cannot sign: {e}"))?;
        Ok(SigningKey { encoding, public })
    }
}

fn public_of(key: &PublicKey) -> PublicJwk {
    let components = PublicKeyComponents::<Vec<u8>>::from(key);
    PublicJwk::from_components(&components.n, &components.e)
}

/// The signing key and every published key (the signing key first).
#[derive(Debug, Clone)]
pub struct KeySet {
    pub signing: SigningKey,
    pub published: Vec<PublicJwk>,
}

impl KeySet {
    /// Reads `OTP_SIGNING_KEYS`: concatenated PEM blocks, `PRIVATE KEY`
    /// (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1), and after the first also
    /// `PUBLIC KEY` (SPKI) or `RSA PUBLIC KEY`. Each RSA, at least 2048 bits.
    pub fn from_pem(text: &str) -> Result<KeySet, String> {
        let blocks = pem_blocks(text)?;
        let mut signing = None;
        let mut published: Vec<PublicJwk> = Vec::new();
        for (n, block) in blocks.iter().enumerate() {
            let which = format!("key {} ({})", n + 1, block.label);
            let public = match block.label.as_str() {
                "PRIVATE KEY" | "RSA PRIVATE KEY" => {
                    let pair = if block.label == "PRIVATE KEY" {
                        KeyPair::from_pkcs8(&block.der)
                    } else {
                        KeyPair::from_der(&block.der)
                    }
                    .map_err(|e| format!("{which}: not an RSA private key ({e})"))?;
                    check_bits(&which, pair.public_modulus_len())?;
                    if signing.is_none() {
                        let key = SigningKey::from_pair(&pair, &block.text)
                            .map_err(|e| format!("{which}: {e}"))?;
                        signing = Some(key.clone());
                        key.public
                    } else {
                        public_of(pair.public_key())
                    }
                }
                "PUBLIC KEY" | "RSA PUBLIC KEY" if n > 0 => {
                    let key = PublicKey::from_der(&block.der)
                        .map_err(|e| format!("{which}: not an RSA public key ({e})"))?;
                    let jwk = public_of(&key);
                    check_bits(
                        &which,
                        URL_SAFE_NO_PAD.decode(&jwk.n).map_or(0, |n| n.len()),
                    )?;
                    jwk
                }
                "PUBLIC KEY" | "RSA PUBLIC KEY" => {
                    return Err(format!(
                        "{which}: the first key signs, so it must be a private key"
                    ));
                }
                other => {
                    return Err(format!(
                        "key {}: `{other}` is not an RSA key; expected PRIVATE KEY, RSA PRIVATE KEY or (after the first) PUBLIC KEY",
                        n + 1
                    ));
                }
            };
            if published.iter().any(|p| p.kid == public.kid) {
                return Err(format!("{which}: the same key appears twice"));
            }
            published.push(public);
        }
        let signing = signing.ok_or("no PEM key found")?;
        Ok(KeySet { signing, published })
    }

    /// A fresh RSA-2048 key for this process (local runs).
    pub fn generate() -> KeySet {
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation works");
        let der = pair.as_der().expect("a generated key encodes");
        let pem = to_pem("PRIVATE KEY", der.as_ref());
        let signing = SigningKey::from_pair(&pair, &pem).expect("a generated key signs");
        KeySet {
            published: vec![signing.public.clone()],
            signing,
        }
    }

    /// `{keys: [...]}`
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.published.iter().map(PublicJwk::to_json).collect::<Vec<_>>() })
    }
}

fn check_bits(which: &str, modulus_bytes: usize) -> Result<(), String> {
    if modulus_bytes * 8 < MIN_BITS {
        return Err(format!(
            "{which}: {} bits, at least {MIN_BITS} are needed",
            modulus_bytes * 8
        ));
    }
    Ok(())
}

struct PemBlock {
    label: String,
    der: Vec<u8>,
    /// The block as text, for `jsonwebtoken`'s PEM reader.
    text: String,
}

/// Splits concatenated PEM blocks (RFC 7468), ignoring text between them.
fn pem_blocks(text: &str) -> Result<Vec<PemBlock>, String> {
    // Environment variables often carry `\n` escaped on one line.
    let text = text.replace("\\n", "\n");
    let blocks = pem::parse_many(text.as_bytes()).map_err(|e| format!("not PEM: {e}"))?;
    if blocks.is_empty() {
        return Err("no PEM key found (-----BEGIN PRIVATE KEY-----)".into());
    }
    Ok(blocks
        .into_iter()
        .map(|block| PemBlock {
            text: pem::encode(&block),
            label: block.tag().to_owned(),
            der: block.into_contents(),
        })
        .collect())
}

fn to_pem(label: &str, der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(label, der))
}

/// Where the keys come from: configured, or generated for this process.
#[derive(Debug, Clone)]
pub enum KeySource {
    Configured(Arc<KeySet>),
    Generated,
}

/// The keys as the provider uses them: ready at once when configured; when
/// generated, ready once the background thread is done (a request that
/// needs them first waits for it).
#[derive(Clone)]
pub struct Keys(watch::Receiver<Option<Arc<KeySet>>>);

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Keys")
    }
}

impl Keys {
    pub fn new(source: &KeySource) -> Keys {
        match source {
            KeySource::Configured(set) => Keys(watch::channel(Some(set.clone())).1),
            KeySource::Generated => Keys(generated()),
        }
    }

    /// The key set, waiting for the generation if it is still under way.
    pub async fn get(&self) -> Arc<KeySet> {
        let mut rx = self.0.clone();
        let ready = rx
            .wait_for(Option::is_some)
            .await
            .expect("the generating thread keeps its sender");
        ready.clone().expect("waited for Some")
    }
}

/// The process's generated key: one generation, started by the first
/// caller in a thread of its own, shared by every app in the process.
fn generated() -> watch::Receiver<Option<Arc<KeySet>>> {
    static GENERATED: OnceLock<watch::Receiver<Option<Arc<KeySet>>>> = OnceLock::new();
    GENERATED
        .get_or_init(|| {
            let (tx, rx) = watch::channel(None);
            std::thread::Builder::new()
                .name("otp-keygen".into())
                .spawn(move || {
                    let set = Arc::new(KeySet::generate());
                    tracing::debug!(kid = %set.signing.public.kid, "signing key generated");
                    tx.send_replace(Some(set));
                    // Receivers wait on this sender; it lives as long as the process.
                    std::mem::forget(tx);
                })
                .expect("a thread starts");
            rx
        })
        .clone()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    /// A 2048-bit key in PKCS#8, generated once for the tests.
    pub(crate) fn test_pkcs8_pem() -> &'static str {
        static PEM: OnceLock<String> = OnceLock::new();
        PEM.get_or_init(|| {
            let pair = KeyPair::generate(KeySize::Rsa2048).unwrap();
            to_pem("PRIVATE KEY", pair.as_der().unwrap().as_ref())
        })
    }

    /// The PKCS#1 form of a PKCS#8 RSA key: its `privateKey` OCTET STRING.
    fn pkcs1_of(pkcs8: &[u8]) -> Vec<u8> {
        // SEQUENCE { INTEGER 0, SEQUENCE { OID, NULL }, OCTET STRING {...} }:
        // the RSAPrivateKey starts after the OCTET STRING's header; both it
        // and the outer SEQUENCE use long-form lengths for 2048-bit keys.
        let outer_header = 4; // 30 82 xx xx
        let version = 3; // 02 01 00
        let algorithm = 2 + pkcs8[outer_header + version + 1] as usize;
        let octet = outer_header + version + algorithm;
        assert_eq!(pkcs8[octet], 0x04);
        assert_eq!(pkcs8[octet + 1], 0x82);
        pkcs8[octet + 4..].to_vec()
    }

    fn der_of(pem: &str) -> Vec<u8> {
        pem_blocks(pem).unwrap().remove(0).der
    }

    #[test]
    fn a_pkcs8_key_signs_and_is_published() {
        let set = KeySet::from_pem(test_pkcs8_pem()).unwrap();
        assert_eq!(set.published.len(), 1);
        assert_eq!(set.published[0], set.signing.public);
        assert_eq!(set.signing.public.e, "AQAB");
        assert_eq!(set.signing.public.kid.len(), 43);
        let jwks = set.jwks();
        assert_eq!(jwks["keys"][0]["kty"], "RSA");
        assert_eq!(jwks["keys"][0]["use"], "sig");
        assert_eq!(jwks["keys"][0]["alg"], "RS256");
        assert_eq!(jwks["keys"][0]["kid"], set.signing.public.kid.as_str());
        assert!(!format!("{set:?}").contains("BEGIN"));
    }

    #[test]
    fn a_pkcs1_key_is_the_same_key() {
        let pkcs8 = der_of(test_pkcs8_pem());
        let pkcs1 = to_pem("RSA PRIVATE KEY", &pkcs1_of(&pkcs8));
        let a = KeySet::from_pem(test_pkcs8_pem()).unwrap();
        let b = KeySet::from_pem(&pkcs1).unwrap();
        assert_eq!(a.signing.public, b.signing.public);
        // Escaped newlines, as an environment variable may carry them.
        let escaped = pkcs1.replace('\n', "\\n");
        assert_eq!(
            KeySet::from_pem(&escaped).unwrap().signing.public,
            a.signing.public
        );
    }

    #[test]
    fn later_keys_are_published_only_and_may_be_public() {
        let old = KeySet::generate();
        let old_public = to_pem("PUBLIC KEY", old_public_spki(&old).as_ref());
        let text = format!("{}{old_public}", test_pkcs8_pem());
        let set = KeySet::from_pem(&text).unwrap();
        assert_eq!(set.published.len(), 2);
        assert_eq!(set.published[1], old.signing.public);
        assert_ne!(set.signing.public, old.signing.public);
        // A public key cannot sign.
        let err = KeySet::from_pem(&old_public).unwrap_err();
        assert!(err.contains("must be a private key"), "{err}");
        // The same key twice is a mistake.
        let twice = format!("{0}{0}", test_pkcs8_pem());
        assert!(KeySet::from_pem(&twice).unwrap_err().contains("twice"));
    }

    fn old_public_spki(set: &KeySet) -> Vec<u8> {
        let n = URL_SAFE_NO_PAD.decode(&set.signing.public.n).unwrap();
        let e = URL_SAFE_NO_PAD.decode(&set.signing.public.e).unwrap();
        PublicKeyComponents { n, e }
            .as_der()
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn bad_inputs_say_what_is_wrong() {
        for (text, expected) in [
            ("", "no PEM key"),
            ("not a key", "no PEM key"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n", "no PEM key"),
            (
                "-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n",
                "not PEM",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "not an RSA private key",
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "is not an RSA key",
            ),
        ] {
            let err = KeySet::from_pem(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    /// RFC 7638 §3.1: the example key's thumbprint.
    #[test]
    fn thumbprint_of_the_rfc_7638_example() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
        let modulus = URL_SAFE_NO_PAD.decode(n).unwrap();
        // A leading zero byte (as DER INTEGERs carry) does not change it.
        let mut padded = vec![0u8];
        padded.extend_from_slice(&modulus);
        assert_eq!(
            PublicJwk::from_components(&padded, &[1, 0, 1]).kid,
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn a_signed_token_verifies_against_the_published_jwk() {
        let set = KeySet::from_pem(test_pkcs8_pem()).unwrap();
        let claims =
            json!({ "iss": "http://127.0.0.1:3000", "aud": "app", "exp": 4_000_000_000u64 });
        let token = set.signing.sign(&claims).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(set.signing.public.kid.as_str()));
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(set.jwks()).unwrap();
        let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let key = DecodingKey::from_jwk(jwk).unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&["app"]);
        validation.set_issuer(&["http://127.0.0.1:3000"]);
        let data = jsonwebtoken::decode::<Value>(&token, &key, &validation).unwrap();
        assert_eq!(data.claims["aud"], "app");
        // Another key's JWK does not verify it.
        let other = KeySet::generate();
        let other_key =
            DecodingKey::from_rsa_components(&other.signing.public.n, &other.signing.public.e)
                .unwrap();
        assert!(jsonwebtoken::decode::<Value>(&token, &other_key, &validation).is_err());
    }

    #[tokio::test]
    async fn a_generated_key_is_ready_after_a_wait() {
        let keys = Keys::new(&KeySource::Generated);
        let set = keys.get().await;
        assert_eq!(set.published.len(), 1);
        // One per process.
        let again = Keys::new(&KeySource::Generated).get().await;
        assert_eq!(again.signing.public, set.signing.public);
    }
}
