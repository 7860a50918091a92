//! The value of the session cookie: `<session id>.<secret>`. The id is the
//! session's public name (the `sid` of its ID tokens, the key of its item);
//! the secret is 256 random bits that only the browser holds: the store
//! keeps its SHA-256 alone, so a copy of the table signs nobody in. Each
//! approved code gives the browser a new secret, so a value someone planted
//! or saw before the code stops working (no fixation).

use super::SessionId;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use std::fmt;

/// Random bytes of a secret.
const SECRET_BYTES: usize = 32;
/// Their length in unpadded base64url.
const SECRET_LEN: usize = 43;

/// A session cookie's value; `Debug` shows the id's prefix only.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookie {
    pub id: SessionId,
    secret: String,
}

impl fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionCookie({:?}, [secret])", self.id)
    }
}

impl SessionCookie {
    /// A new session: a new id and a new secret.
    pub fn generate() -> SessionCookie {
        SessionCookie::renewed(SessionId::generate())
    }

    /// A new secret for the session `id`.
    pub fn renewed(id: SessionId) -> SessionCookie {
        let mut bytes = [0u8; SECRET_BYTES];
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the OS random source is available");
        SessionCookie {
            id,
            secret: URL_SAFE_NO_PAD.encode(bytes),
        }
    }

    /// Accepts only what [`SessionCookie::value`] writes.
    pub fn parse(value: &str) -> Option<SessionCookie> {
        let (id, secret) = value.split_once('.')?;
        let well_formed = secret.len() == SECRET_LEN
            && URL_SAFE_NO_PAD
                .decode(secret)
                .is_ok_and(|b| b.len() == SECRET_BYTES && URL_SAFE_NO_PAD.encode(&b) == secret);
        Some(SessionCookie {
            id: SessionId::parse(id)?,
            secret: well_formed.then(|| secret.to_owned())?,
        })
    }

    /// What the cookie carries.
    pub fn value(&self) -> String {
        format!("{}.{}", self.id.as_str(), self.secret)
    }

    /// Hex SHA-256 of the secret: what the store keeps.
    pub fn secret_hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_and_only_a_written_one_does() {
        let cookie = SessionCookie::generate();
        let value = cookie.value();
        assert_eq!(value.len(), 22 + 1 + 43);
        assert_eq!(SessionCookie::parse(&value), Some(cookie.clone()));
        assert_eq!(cookie.secret_hash().len(), 64);
        let renewed = SessionCookie::renewed(cookie.id.clone());
        assert_eq!(renewed.id, cookie.id);
        assert_ne!(renewed.secret_hash(), cookie.secret_hash());
        let (id, secret) = value.split_once('.').unwrap();
        for bad in [
            String::new(),
            id.to_owned(),
            format!("{id}."),
            format!("{id}.{}", &secret[1..]),
            format!("{id}.{secret}A"),
            format!("{}.{secret}", &id[1..]),
            format!("{id}.{}=", &secret[..42]),
            format!("{id}.{}+", &secret[..42]),
        ] {
            assert_eq!(SessionCookie::parse(&bad), None, "{bad}");
        }
        assert!(!format!("{cookie:?}").contains(&cookie.secret));
    }
}
