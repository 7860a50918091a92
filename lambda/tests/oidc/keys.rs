//! Configured keys: `OTP_SIGNING_KEYS` (the first signs, the others are only
//! published, RFC 7517 key rotation) and `OTP_SUBJECT_KEY` (a key of its
//! own: `sub` survives restarts and the rotation of the codes' HMAC keys).

use super::support::{AuthParams, OidcApp, SHOP, jwt_parts, spawn_oidc_with, verified_claims};
use crate::support::random_suffix;
use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A fresh RSA-2048 key: its PKCS#8 PEM and its SPKI PEM.
fn rsa_key() -> (String, String) {
    let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation");
    let private = pem("PRIVATE KEY", pair.as_der().expect("PKCS#8").as_ref());
    let public: PublicKeyX509Der = pair.public_key().as_der().expect("SPKI");
    (private, pem("PUBLIC KEY", public.as_ref()))
}

/// RFC 7638 thumbprint of a published JWK.
fn kid_of(jwk: &Value) -> String {
    let canonical = format!(
        r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
        jwk["e"].as_str().unwrap(),
        jwk["n"].as_str().unwrap()
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

async fn id_token_of(app: &OidcApp, email: &str) -> String {
    let params = AuthParams::new(SHOP);
    let code = app.sign_in(&params, email).await.must("code").to_owned();
    let body = app.redeem(SHOP, &code, &params).await;
    body["id_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_first_configured_key_signs_and_the_others_are_published() {
    let (signing, _) = rsa_key();
    let (_, retired_public) = rsa_key();
    let (other_private, _) = rsa_key();
    let keys = format!("{signing}{retired_public}{other_private}");
    let app = spawn_oidc_with(&[("OTP_SIGNING_KEYS", &keys)]).await;

    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 3, "every configured key is published");
    for jwk in published {
        assert_eq!(jwk["kid"], kid_of(jwk));
        assert!(jwk.get("d").is_none(), "only public halves");
    }

    let id_token = id_token_of(&app, &super::support::random_email()).await;
    let (header, _) = jwt_parts(&id_token);
    assert_eq!(header["kid"], published[0]["kid"], "the first key signs");
    verified_claims(&app, &id_token, SHOP.id).await;
}

#[tokio::test]
async fn the_subject_survives_restarts_and_hmac_key_rotation() {
    let subject_key = STANDARD.encode(rand_bytes());
    let first_hmac = format!("one:{}", STANDARD.encode(rand_bytes()));
    let rotated_hmac = format!(
        "two:{},one:{}",
        STANDARD.encode(rand_bytes()),
        &first_hmac[4..]
    );
    let n = random_suffix();
    // One mailbox, a different spelling per server (each inbox count is its own).
    let spellings = [
        format!("ann.lee{n}@gmail.com"),
        format!("AnnLee{n}+b@gmail.com"),
        format!("a.nnlee{n}@googlemail.com"),
    ];

    let before = spawn_oidc_with(&[
        ("OTP_SUBJECT_KEY", &subject_key),
        ("OTP_HMAC_KEYS", &first_hmac),
    ])
    .await;
    let sub_before = jwt_parts(&id_token_of(&before, &spellings[0]).await).1["sub"].clone();
    drop(before);

    let after = spawn_oidc_with(&[
        ("OTP_SUBJECT_KEY", &subject_key),
        ("OTP_HMAC_KEYS", &rotated_hmac),
    ])
    .await;
    let sub_after = jwt_parts(&id_token_of(&after, &spellings[1]).await).1["sub"].clone();
    assert_eq!(sub_after, sub_before, "same subject key, same sub");

    let other_key = STANDARD.encode(rand_bytes());
    let elsewhere = spawn_oidc_with(&[("OTP_SUBJECT_KEY", &other_key)]).await;
    let sub_elsewhere = jwt_parts(&id_token_of(&elsewhere, &spellings[2]).await).1["sub"].clone();
    assert_ne!(
        sub_elsewhere, sub_before,
        "another subject key, another sub"
    );
}

fn rand_bytes() -> [u8; 32] {
    use rand::Rng;
    rand::rng().random()
}
