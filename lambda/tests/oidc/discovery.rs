//! The provider's metadata (OpenID Connect Discovery 1.0 §3, §4; RFC 8414;
//! RFC 9207 §3) and its keys (RFC 7517, 7518 §6.3, 7638).

use super::support::{OidcApp, header, spawn_oidc};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A public document: cached an hour, readable from any origin.
async fn public_json(app: &OidcApp, path: &str) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    assert!(
        header(&response, "content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "{path} is JSON"
    );
    assert_eq!(
        header(&response, "cache-control"),
        Some("public, max-age=3600"),
        "{path}"
    );
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some("*"),
        "{path}"
    );
    response.json().await.expect("JSON")
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("an array: {value}"))
        .iter()
        .map(|v| v.as_str().expect("strings"))
        .collect()
}

#[tokio::test]
async fn the_discovery_document_describes_the_provider() {
    let app = spawn_oidc().await;
    let d = public_json(&app, "/.well-known/openid-configuration").await;
    let iss = app.issuer.as_str();
    // Discovery §4.3: identical to the issuer the document was fetched for.
    assert_eq!(d["issuer"], iss);
    assert_eq!(d["authorization_endpoint"], format!("{iss}/authorize"));
    assert_eq!(d["token_endpoint"], format!("{iss}/token"));
    assert_eq!(d["userinfo_endpoint"], format!("{iss}/userinfo"));
    assert_eq!(d["jwks_uri"], format!("{iss}/.well-known/jwks.json"));
    assert_eq!(strings(&d["response_types_supported"]), ["code"]);
    assert_eq!(strings(&d["response_modes_supported"]), ["query"]);
    assert_eq!(strings(&d["grant_types_supported"]), ["authorization_code"]);
    assert_eq!(strings(&d["subject_types_supported"]), ["public"]);
    assert_eq!(
        strings(&d["id_token_signing_alg_values_supported"]),
        ["RS256"]
    );
    assert_eq!(strings(&d["code_challenge_methods_supported"]), ["S256"]);
    let mut scopes = strings(&d["scopes_supported"]);
    scopes.sort();
    assert_eq!(scopes, ["email", "openid"]);
    let mut methods = strings(&d["token_endpoint_auth_methods_supported"]);
    methods.sort();
    assert_eq!(
        methods,
        ["client_secret_basic", "client_secret_post", "none"]
    );
    let mut claims = strings(&d["claims_supported"]);
    claims.sort();
    let mut expected = [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "email",
        "email_verified",
        "at_hash",
    ];
    expected.sort();
    assert_eq!(claims, expected);
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["request_parameter_supported"], false);
    assert_eq!(d["request_uri_parameter_supported"], false);
    assert_eq!(d["claims_parameter_supported"], false);
    assert_eq!(
        strings(&d["ui_locales_supported"]),
        ["en", "de", "fr", "es", "pt-BR", "ja", "ar"]
    );
    // Nothing it does not do is advertised.
    for absent in [
        "registration_endpoint",
        "end_session_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(d.get(absent).is_none(), "{absent} advertised");
    }
    // The relying-party library reads it.
    let _: openidconnect::core::CoreProviderMetadata =
        serde_json::from_value(d).expect("the openidconnect crate parses the document");
}

/// RFC 7638 §3: SHA-256 of the required members in lexicographic order,
/// no whitespace, base64url.
fn thumbprint(e: &str, n: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[tokio::test]
async fn the_jwks_publishes_public_rsa_signing_keys() {
    let app = spawn_oidc().await;
    let jwks = public_json(&app, "/.well-known/jwks.json").await;
    let keys = jwks["keys"].as_array().expect("keys");
    assert!(!keys.is_empty(), "at least the signing key");
    let mut kids = Vec::new();
    for key in keys {
        assert_eq!(key["kty"], "RSA", "{key}");
        assert_eq!(key["use"], "sig", "{key}");
        assert_eq!(key["alg"], "RS256", "{key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                key.get(private).is_none(),
                "private member {private} published"
            );
        }
        let n = key["n"].as_str().expect("n");
        let e = key["e"].as_str().expect("e");
        let modulus = URL_SAFE_NO_PAD.decode(n).expect("n is base64url, unpadded");
        assert_ne!(
            modulus[0], 0,
            "n has no leading zero octet (RFC 7518 §6.3.1.1)"
        );
        assert!(modulus.len() * 8 >= 2048, "a key of at least 2048 bits");
        let exponent = URL_SAFE_NO_PAD.decode(e).expect("e is base64url, unpadded");
        assert!(exponent.last().unwrap() & 1 == 1, "an odd exponent");
        let kid = key["kid"].as_str().expect("kid");
        assert_eq!(kid, thumbprint(e, n), "kid is the RFC 7638 thumbprint");
        kids.push(kid.to_owned());
    }
    let mut unique = kids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), kids.len(), "kids are unique");
    let _: openidconnect::core::CoreJsonWebKeySet =
        serde_json::from_value(json!(jwks)).expect("the openidconnect crate parses the JWKS");
}

/// The app's page and JSON API keep working beside the provider.
#[tokio::test]
async fn the_service_still_answers_its_api() {
    let app = spawn_oidc().await;
    let response = app.get("/api/health").await;
    assert_eq!(response.status(), StatusCode::OK);
}
