//! An app built on the `openidconnect` crate, as a relying party would be:
//! it discovers the provider from its issuer, sends the person to the
//! authorization URL with PKCE S256 and a nonce, and after the page's steps
//! (with the code read from the real mail) exchanges the code, lets the
//! library validate the ID token (signature from the JWKS, `iss`, `aud`,
//! `nonce`, `exp`) and asks UserInfo.

use super::support::{
    Callback, Client, OidcApp, SHOP, SPA, jwt_parts, random_email, sign_in_of, spawn_oidc,
};
use crate::support::random_suffix;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;
use std::time::Duration;

/// What one sign-in told the app.
struct Outcome {
    subject: String,
    email: Option<String>,
    email_verified: Option<bool>,
    /// The ID token's claims as JSON, after the library validated it.
    claims: Value,
    header: Value,
    userinfo: CoreUserInfoClaims,
    access_token: String,
}

/// The relying party's HTTP client: redirects are never followed
/// (the `openidconnect` documentation: following them invites SSRF).
fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// One sign-in of `email` at `client`, the token request authenticated as `auth`.
async fn sign_in_with_library(
    app: &OidcApp,
    client: Client,
    auth: AuthType,
    email: &str,
) -> Outcome {
    let http = rp_http();
    let issuer = IssuerUrl::new(app.issuer.clone()).expect("an issuer URL");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery from the issuer");
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client.id.to_owned()),
        client.secret.map(|s| ClientSecret::new(s.to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new(client.redirect_uri.to_owned()).expect("a redirect URL"))
    .set_auth_type(auth);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(
        auth_url
            .as_str()
            .starts_with(&format!("{}/authorize?", app.issuer)),
        "the authorization endpoint of the discovery document: {auth_url}"
    );

    // The browser at /authorize, then the page.
    let response = app
        .http
        .get(auth_url.as_str())
        .send()
        .await
        .expect("/authorize answers");
    let sign_in = sign_in_of(response);
    let info = app.expect_sign_in_info(&sign_in).await;
    assert_eq!(info.client_name, client.name, "the page names the app");
    let redirect_to = app.approve(&sign_in, email).await;

    // Back at the app: RFC 6749 §4.1.2, RFC 9207.
    let callback = Callback::parse(&redirect_to, client.redirect_uri);
    assert_eq!(callback.must("state"), state.secret(), "state unchanged");
    assert_eq!(callback.must("iss"), app.issuer, "iss is the issuer");
    let code = callback.must("code").to_owned();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .expect("a token endpoint")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code is exchanged");
    assert_eq!(
        tokens.token_type(),
        &openidconnect::core::CoreTokenType::Bearer
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(600)));
    let mut scopes: Vec<String> = tokens
        .scopes()
        .expect("the granted scope")
        .iter()
        .map(|s| s.to_string())
        .collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid"]);

    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = rp.id_token_verifier();
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("the library accepts the ID token");

    // The access token is bound to the ID token (OIDC Core 3.1.3.6).
    let expected = claims.access_token_hash().expect("at_hash in the ID token");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().expect("an algorithm"),
        id_token.signing_key(&id_verifier).expect("a signing key"),
    )
    .expect("at_hash computes");
    assert_eq!(&actual, expected, "at_hash");

    let amr: Vec<String> = claims
        .auth_method_refs()
        .expect("amr")
        .iter()
        .map(|m| m.to_string())
        .collect();
    assert!(amr.contains(&"otp".to_owned()), "amr {amr:?} names otp");
    let auth_time = claims.auth_time().expect("auth_time");
    assert!(auth_time <= claims.issue_time(), "auth_time after iat");
    assert_eq!(
        claims.nonce().map(|n| n.secret().as_str()),
        Some(nonce.secret().as_str())
    );

    let userinfo: CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("a userinfo endpoint")
        .request_async(&http)
        .await
        .expect("UserInfo answers for the same subject");

    let (header, raw_claims) = jwt_parts(&id_token.to_string());
    Outcome {
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified(),
        claims: raw_claims,
        header,
        userinfo,
        access_token: tokens.access_token().secret().clone(),
    }
}

/// What every sign-in of `email` at `client` must have said.
fn check_outcome(app: &OidcApp, outcome: &Outcome, client: Client, email: &str) {
    let normalized = otp::domain::Email::parse(email).unwrap();
    assert_eq!(outcome.email.as_deref(), Some(normalized.as_str()));
    assert_eq!(outcome.email_verified, Some(true));
    assert_eq!(outcome.header["typ"], "JWT");
    assert_eq!(outcome.header["alg"], "RS256");
    assert!(outcome.header["kid"].is_string(), "kid in the header");
    let c = &outcome.claims;
    assert_eq!(c["iss"], app.issuer.as_str());
    assert_eq!(c["aud"], client.id, "aud is the client id, a string");
    assert_eq!(
        c["exp"].as_u64().unwrap(),
        c["iat"].as_u64().unwrap() + 300,
        "an ID token lives 300 s"
    );
    assert_eq!(c["amr"], serde_json::json!(["otp"]));
    assert!(c["auth_time"].is_u64());
    assert_eq!(c["email_verified"], true, "a JSON boolean, not a string");
    assert_eq!(outcome.subject.len(), 43, "sub is 256 bits in base64url");
    assert_eq!(outcome.userinfo.subject().as_str(), outcome.subject);
    assert_eq!(
        outcome.userinfo.email().map(|e| e.as_str()),
        Some(normalized.as_str())
    );
    assert_eq!(outcome.userinfo.email_verified(), Some(true));
    assert!(!outcome.access_token.is_empty());
}

#[tokio::test]
async fn confidential_client_signs_in_with_client_secret_basic() {
    let app = spawn_oidc().await;
    let email = random_email();
    let outcome = sign_in_with_library(&app, SHOP, AuthType::BasicAuth, &email).await;
    check_outcome(&app, &outcome, SHOP, &email);
}

#[tokio::test]
async fn confidential_client_signs_in_with_client_secret_post() {
    let app = spawn_oidc().await;
    let email = random_email();
    let outcome = sign_in_with_library(&app, SHOP, AuthType::RequestBody, &email).await;
    check_outcome(&app, &outcome, SHOP, &email);
}

#[tokio::test]
async fn public_client_signs_in_without_a_secret() {
    let app = spawn_oidc().await;
    let email = random_email();
    let outcome = sign_in_with_library(&app, SPA, AuthType::BasicAuth, &email).await;
    check_outcome(&app, &outcome, SPA, &email);
}

/// `sub` names the mailbox: one person typing their Gmail address two ways
/// is one subject, at every app (a public subject); another mailbox is
/// another subject.
#[tokio::test]
async fn one_mailbox_spelled_two_ways_is_one_subject() {
    let app = spawn_oidc().await;
    // A random part keeps runs apart in a shared inbox; the spellings still
    // differ by case, dots, a `+tag` and the googlemail alias.
    let n = random_suffix();
    let typed = format!("Ann.Lee{n}+shop@gmail.com");
    let other_spelling = format!("annlee{n}@googlemail.com");

    let first = sign_in_with_library(&app, SHOP, AuthType::BasicAuth, &typed).await;
    check_outcome(&app, &first, SHOP, &typed);
    let second = sign_in_with_library(&app, SHOP, AuthType::BasicAuth, &other_spelling).await;
    check_outcome(&app, &second, SHOP, &other_spelling);
    assert_eq!(first.subject, second.subject, "one mailbox, one sub");
    assert_eq!(
        first.email, second.email,
        "the email claim is the identity's"
    );

    let elsewhere = sign_in_with_library(&app, SPA, AuthType::BasicAuth, &typed).await;
    assert_eq!(elsewhere.subject, first.subject, "a public subject");

    let someone_else = format!("ann.lee{n}x@gmail.com");
    let other = sign_in_with_library(&app, SHOP, AuthType::BasicAuth, &someone_else).await;
    assert_ne!(other.subject, first.subject, "another mailbox, another sub");
}
