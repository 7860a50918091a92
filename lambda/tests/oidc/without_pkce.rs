//! A confidential app registered with `"require_pkce": false` (frameworks
//! that send no PKCE, the OpenID Foundation's Basic OP plan): its requests
//! may leave PKCE out if they carry a `nonce` (RFC 9700 §2.1.1), and its
//! code is then redeemed without a verifier; PKCE it does send is checked
//! as ever. Everyone else still needs PKCE S256.

use super::support::{
    AuthParams, Callback, Client, OidcApp, SHOP, expect_error_redirect, expect_token_error,
    random_email, spawn_oidc_with, verified_claims,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, RedirectUrl,
    TokenResponse,
};
use reqwest::StatusCode;
use serde_json::json;

const LEGACY: Client = Client {
    id: "legacy",
    name: "Legacy Framework",
    secret: Some("legacy-secret-0123456789abcdefghijklmnop"),
    redirect_uri: "http://127.0.0.1:53682/legacy/callback",
};

async fn spawn() -> OidcApp {
    let clients = json!([
        {
            "id": LEGACY.id, "name": LEGACY.name, "secret": LEGACY.secret,
            "redirect_uris": [LEGACY.redirect_uri], "require_pkce": false,
        },
        { "id": SHOP.id, "name": SHOP.name, "secret": SHOP.secret, "redirect_uris": [SHOP.redirect_uri] },
    ])
    .to_string();
    spawn_oidc_with(&[("OTP_CLIENTS", &clients)]).await
}

#[tokio::test]
async fn a_client_registered_without_pkce_signs_in_with_a_nonce() {
    let app = spawn().await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(LEGACY.id.into()),
        Some(ClientSecret::new(LEGACY.secret.unwrap().into())),
    )
    .set_redirect_uri(RedirectUrl::new(LEGACY.redirect_uri.into()).unwrap())
    .set_auth_type(AuthType::RequestBody);
    let (url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();
    assert!(!url.as_str().contains("code_challenge"), "{url}");
    let sign_in = super::support::sign_in_of(app.http.get(url.as_str()).send().await.unwrap());
    let redirect_to = app.approve(&sign_in, &random_email()).await;
    let callback = Callback::parse(&redirect_to, LEGACY.redirect_uri);
    assert_eq!(callback.must("state"), state.secret().as_str());
    let tokens = rp
        .exchange_code(AuthorizationCode::new(callback.must("code").into()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("redeemed without a verifier");
    let id_token = tokens.id_token().unwrap();
    id_token
        .claims(&rp.id_token_verifier(), &nonce)
        .expect("the nonce binds the ID token to the app's session");
}

#[tokio::test]
async fn without_pkce_the_nonce_is_required_and_the_verifier_refused() {
    let app = spawn().await;
    let legacy = |params: AuthParams| {
        params
            .set("client_id", LEGACY.id)
            .set("redirect_uri", LEGACY.redirect_uri)
            .remove("code_challenge")
            .remove("code_challenge_method")
    };
    let no_nonce = legacy(AuthParams::new(SHOP)).remove("nonce");
    let response = app.authorize(&no_nonce).await;
    expect_error_redirect(
        &response,
        LEGACY.redirect_uri,
        "invalid_request",
        no_nonce.get("state"),
        &app.issuer,
    );
    // Another client still needs PKCE, nonce or not.
    let shop = AuthParams::new(SHOP)
        .remove("code_challenge")
        .remove("code_challenge_method");
    let response = app.authorize(&shop).await;
    expect_error_redirect(
        &response,
        SHOP.redirect_uri,
        "invalid_request",
        shop.get("state"),
        &app.issuer,
    );

    // A request without PKCE redeemed with a verifier is refused: the code
    // was not bound to one.
    let params = legacy(AuthParams::new(SHOP));
    let code = app.code(&params).await;
    let response = app
        .redeem_as(LEGACY, &code, LEGACY.redirect_uri, &params.verifier)
        .await;
    expect_token_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // PKCE that the client does send is checked as ever.
    let params = AuthParams::new(SHOP)
        .set("client_id", LEGACY.id)
        .set("redirect_uri", LEGACY.redirect_uri);
    let code = app.code(&params).await;
    let basic = Some((LEGACY.id, LEGACY.secret.unwrap()));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", LEGACY.redirect_uri),
    ];
    let missing = app.token(&form, basic).await;
    expect_token_error(missing, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let body = app.redeem(LEGACY, &code, &params).await;
    let claims = verified_claims(&app, body["id_token"].as_str().unwrap(), LEGACY.id).await;
    assert_eq!(claims["nonce"], params.get("nonce").unwrap());
}
