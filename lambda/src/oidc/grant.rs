//! Authorization codes and access tokens: `<sign-in id>.<secret>`, so the
//! store item is found from the token itself, and only SHA-256 hashes of
//! either are stored.
//!
//! The code of an approved flow is *derived*, not drawn: its secret is
//! base64url(HMAC-SHA256 under the current HMAC key of `authcode\0` ‖ flow
//! id). The right code sent again within the replay window (a lost answer,
//! a retry) is approved again, and then yields the same code and the same
//! redirect: never a second code for one approval. A code a session grants
//! is derived the same way from the request and the session, so a repeated
//! "Continue" gets the same code too.

use crate::domain::{CodeHasher, FlowId, SessionId, SignInId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Length of the secret part: 32 bytes in base64url.
const SECRET_LEN: usize = 43;

/// The authorization code for the approval of `flow` in `sign_in`.
pub fn derive_code(hasher: &CodeHasher, sign_in: &SignInId, flow: &FlowId) -> String {
    let secret = hasher.derive("authcode", flow.as_str().as_bytes());
    format!("{}.{}", sign_in.as_str(), URL_SAFE_NO_PAD.encode(secret))
}

/// The authorization code a session `sid` grants for `sign_in`.
pub fn derive_session_code(hasher: &CodeHasher, sign_in: &SignInId, sid: &SessionId) -> String {
    let data = format!("{}.{}", sign_in.as_str(), sid.as_str());
    let secret = hasher.derive("authcode-session", data.as_bytes());
    format!("{}.{}", sign_in.as_str(), URL_SAFE_NO_PAD.encode(secret))
}

/// A fresh access token for `sign_in`: 256 random bits.
pub fn new_access_token(sign_in: &SignInId) -> String {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the OS random source is available");
    format!("{}.{}", sign_in.as_str(), URL_SAFE_NO_PAD.encode(bytes))
}

/// Hex SHA-256: what the store keeps of a code or token.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The sign-in request a code or token names, if it has the shape
/// `<22-character id>.<43 base64url characters>`.
pub fn sign_in_of(token: &str) -> Option<SignInId> {
    let (id, secret) = token.split_once('.')?;
    let well_formed = secret.len() == SECRET_LEN
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    well_formed.then(|| SignInId::parse(id)).flatten()
}

/// `at_hash`: the left half of SHA-256 of the access token, base64url
/// (OpenID Connect Core §3.3.2.11, RS256).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_of_a_flow_is_stable_and_names_its_request() {
        let hasher = CodeHasher::ephemeral();
        let sign_in = SignInId::generate();
        let flow = FlowId::generate();
        let code = derive_code(&hasher, &sign_in, &flow);
        assert_eq!(code, derive_code(&hasher, &sign_in, &flow));
        assert_eq!(code.len(), 22 + 1 + 43);
        assert_eq!(sign_in_of(&code), Some(sign_in.clone()));
        assert_ne!(code, derive_code(&hasher, &sign_in, &FlowId::generate()));
        assert_ne!(code, derive_code(&CodeHasher::ephemeral(), &sign_in, &flow));
        assert_eq!(hash(&code).len(), 64);
        let sid = SessionId::generate();
        let in_session = derive_session_code(&hasher, &sign_in, &sid);
        assert_eq!(in_session, derive_session_code(&hasher, &sign_in, &sid));
        assert_eq!(sign_in_of(&in_session), Some(sign_in.clone()));
        assert_ne!(
            in_session,
            derive_session_code(&hasher, &sign_in, &SessionId::generate())
        );
        assert_ne!(in_session, code);
    }

    #[test]
    fn tokens_are_random_and_well_formed() {
        let sign_in = SignInId::generate();
        let a = new_access_token(&sign_in);
        assert_ne!(a, new_access_token(&sign_in));
        assert_eq!(sign_in_of(&a), Some(sign_in));
        for bad in [
            "",
            "x",
            "AAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAA.short",
            &format!("AAAAAAAAAAAAAAAAAAAAAB.{}", "a".repeat(43)),
            &format!("AAAAAAAAAAAAAAAAAAAAAA.{}+", "a".repeat(42)),
        ] {
            assert_eq!(sign_in_of(bad), None, "{bad}");
        }
    }

    /// Cross-checked with `printf %s VERIFIER | openssl dgst -sha256
    /// -binary | base64` (then base64url, unpadded).
    #[test]
    fn s256_is_unpadded_base64url_of_sha256() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFzOyFmE"),
            "MiwGkzW7PVBcB2BoUec6_0jp6Gp2IUqMcd4drgsN0tE"
        );
    }
}
