//! Reading back a token this provider signed: an `id_token_hint` at
//! `/authorize` and `/logout`. The signature must be ours (RS256 with a
//! published key) and `iss` ours; `exp` is not checked (OpenID Connect
//! Core §3.1.2.1 and RP-Initiated Logout 1.0 §2 both let an app hint with
//! an expired ID token). What it proves is only who the app thinks is
//! signed in: it never signs anyone in.

use super::keys::KeySet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The claims of a hint that are used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Hint {
    pub sub: String,
    /// The app the ID token was issued to.
    #[serde(deserialize_with = "audiences")]
    pub aud: Vec<String>,
    #[serde(default)]
    pub sid: Option<String>,
}

/// `aud` as one string or a list (OpenID Connect Core §2).
fn audiences<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(a) => vec![a],
        Aud::Many(a) => a,
    })
}

/// The hint's claims, if `jwt` is an ID token `issuer` signed with one of
/// `keys`; `None` for anything else.
pub fn read(keys: &KeySet, jwt: &str, issuer: &str) -> Option<Hint> {
    let header = jsonwebtoken::decode_header(jwt).ok()?;
    let kid = header.kid?;
    if header.alg != Algorithm::RS256 {
        return None;
    }
    let key = keys.published.iter().find(|k| k.kid == kid)?;
    let decoding = DecodingKey::from_rsa_components(&key.n, &key.e).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["iss", "sub", "aud"]);
    jsonwebtoken::decode::<Hint>(jwt, &decoding, &validation)
        .ok()
        .map(|data| data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://otp.example.com";

    #[test]
    fn only_our_own_tokens_are_hints_even_expired() {
        let keys = KeySet::generate();
        let claims = json!({"iss": ISSUER, "sub": "s1", "aud": "shop", "exp": 1, "sid": "x"});
        let token = keys.signing.sign(&claims).unwrap();
        let hint = read(&keys, &token, ISSUER).unwrap();
        assert_eq!(hint.sub, "s1");
        assert_eq!(hint.aud, ["shop"]);
        assert_eq!(hint.sid.as_deref(), Some("x"));
        let many = json!({"iss": ISSUER, "sub": "s1", "aud": ["shop", "spa"]});
        let hint = read(&keys, &keys.signing.sign(&many).unwrap(), ISSUER).unwrap();
        assert_eq!(hint.aud, ["shop", "spa"]);
        // Another issuer, another key, a changed payload, no sub: none.
        assert_eq!(read(&keys, &token, "https://other.example"), None);
        assert_eq!(read(&KeySet::generate(), &token, ISSUER), None);
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let first = parts[1].remove(0);
        parts[1].insert(0, if first == 'e' { 'f' } else { 'e' });
        assert_eq!(read(&keys, &parts.join("."), ISSUER), None);
        let no_sub = keys
            .signing
            .sign(&json!({"iss": ISSUER, "aud": "shop"}))
            .unwrap();
        assert_eq!(read(&keys, &no_sub, ISSUER), None);
        assert_eq!(read(&keys, "not a token", ISSUER), None);
    }
}
