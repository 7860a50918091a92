//! A software authenticator for the tests (and `scripts/bench`'s passkey
//! sign-ins): a P-256 key (aws-lc-rs) per credential, answering the
//! service's options as a browser with a platform authenticator would
//! (`toJSON()` of the credential), with the origin, relying party, counter
//! and flags a test chooses, so each refusal can be provoked on its own.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ciborium::Value as Cbor;
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKUP_ELIGIBLE: u8 = 0x08;
const BACKED_UP: u8 = 0x10;
const ATTESTED: u8 = 0x40;

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("CBOR encodes");
    out
}

/// One discoverable credential, as an authenticator holds it.
pub struct Authenticator {
    key: EcdsaKeyPair,
    pub id: Vec<u8>,
    /// The user handle the registration gave it.
    pub user_handle: Vec<u8>,
    pub counter: u32,
    /// A synced passkey (backup eligible and backed up), or a device-bound one.
    pub synced: bool,
    /// Whether it verifies the user (a PIN, a fingerprint).
    pub verifies: bool,
    /// The page's origin as the browser reports it.
    pub origin: String,
    /// The relying party it signs for.
    pub rp_id: String,
}

impl Authenticator {
    /// A new credential for the service at `issuer` (its origin, its host).
    pub fn new(issuer: &str) -> Authenticator {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("a P-256 key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
            .expect("its own key");
        let host = url::Url::parse(issuer).expect("an issuer URL");
        Authenticator {
            key,
            id: rand::rng().random::<[u8; 16]>().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            synced: true,
            verifies: true,
            origin: issuer.to_owned(),
            rp_id: host.host_str().expect("a host").to_owned(),
        }
    }

    pub fn credential_id(&self) -> String {
        b64(&self.id)
    }

    fn flags(&self) -> u8 {
        let mut flags = USER_PRESENT;
        if self.verifies {
            flags |= USER_VERIFIED;
        }
        if self.synced {
            flags |= BACKUP_ELIGIBLE | BACKED_UP;
        }
        flags
    }

    fn auth_data(&self, flags: u8) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        data
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["challenge"].as_str().expect("a challenge");
        json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create({publicKey})` answered: the
    /// credential's JSON.
    pub fn create(&mut self, public_key: &Value) -> Value {
        let user_id = public_key["user"]["id"].as_str().expect("a user.id");
        self.user_handle = URL_SAFE_NO_PAD.decode(user_id).expect("base64url");
        let point = self.key.public_key().as_ref();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let cose_key = Cbor::Map(vec![
            (Cbor::from(1), Cbor::from(2)),
            (Cbor::from(3), Cbor::from(-7)),
            (Cbor::from(-1), Cbor::from(1)),
            (Cbor::from(-2), Cbor::Bytes(point[1..33].to_vec())),
            (Cbor::from(-3), Cbor::Bytes(point[33..].to_vec())),
        ]);
        let mut auth_data = self.auth_data(self.flags() | ATTESTED);
        auth_data.extend_from_slice(&[0; 16]);
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend_from_slice(&cbor(&cose_key));
        let attestation = Cbor::Map(vec![
            (Cbor::from("fmt"), Cbor::from("none")),
            (Cbor::from("attStmt"), Cbor::Map(vec![])),
            (Cbor::from("authData"), Cbor::Bytes(auth_data)),
        ]);
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&self.client_data("webauthn.create", public_key)),
                "attestationObject": b64(&cbor(&attestation)),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get({publicKey})` answered: the assertion's
    /// JSON, its counter one higher than the last.
    pub fn get(&mut self, public_key: &Value) -> Value {
        self.counter += 1;
        let auth_data = self.auth_data(self.flags());
        let client_data = self.client_data("webauthn.get", public_key);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature = self
            .key
            .sign(&SystemRandom::new(), &signed)
            .expect("a signature");
        json!({
            "id": b64(&self.id),
            "rawId": b64(&self.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}
