//! An app built on the `openidconnect` crate, for the session's tests: it
//! discovers the provider (with its logout endpoint), sends the person to
//! `/authorize` with PKCE S256, `state` and a `nonce` (and whatever else a
//! test asks: `prompt`, `max_age`, `id_token_hint`), exchanges the code,
//! lets the library validate the ID token, refreshes, and builds the URL of
//! an RP-initiated logout.

use super::browser::Browser;
use super::support::{Callback, Client, OidcApp, jwt_parts, sign_in_of};
use openidconnect::core::{
    CoreAuthPrompt, CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreTokenResponse,
};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout,
    RedirectUrl, RefreshToken, Scope, TokenResponse,
};
use serde_json::Value;
use std::time::Duration;

type Library = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// One registered app, as its server would run the library.
pub struct Rp {
    pub client: Client,
    library: Library,
    metadata: ProviderMetadataWithLogout,
    http: openidconnect::reqwest::Client,
}

/// An authorization request the app made: where it sends the browser, and
/// what it keeps to finish.
pub struct Started {
    pub url: String,
    pub state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

/// What a code or a refresh gave the app, the ID token validated.
pub struct Tokens {
    pub id_token: CoreIdToken,
    /// The ID token's claims as JSON, after the library validated it.
    pub claims: Value,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// Options of an authorization request.
#[derive(Default, Clone)]
pub struct Asking<'a> {
    pub prompt: Option<CoreAuthPrompt>,
    pub max_age: Option<Duration>,
    pub hint: Option<&'a CoreIdToken>,
}

impl Rp {
    pub async fn discover(app: &OidcApp, client: Client) -> Rp {
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let issuer = IssuerUrl::new(app.issuer.clone()).expect("an issuer URL");
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http)
            .await
            .expect("discovery from the issuer");
        let library = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client.id.to_owned()),
            client.secret.map(|s| ClientSecret::new(s.to_owned())),
        )
        .set_redirect_uri(RedirectUrl::new(client.redirect_uri.to_owned()).expect("a URL"))
        .set_auth_type(AuthType::BasicAuth);
        Rp {
            client,
            library,
            metadata,
            http,
        }
    }

    /// An authorization request for `openid email` as `asking` says.
    pub fn start(&self, asking: Asking<'_>) -> Started {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .library
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .set_pkce_challenge(challenge);
        if let Some(prompt) = asking.prompt {
            request = request.add_prompt(prompt);
        }
        if let Some(max_age) = asking.max_age {
            request = request.set_max_age(max_age);
        }
        if let Some(hint) = asking.hint {
            request = request.set_id_token_hint(hint);
        }
        let (url, state, nonce) = request.url();
        Started {
            url: url.to_string(),
            state,
            nonce,
            verifier,
        }
    }

    /// A sign-in with a code in `browser`: the page's steps with the mail
    /// to `email`, then the code exchanged.
    pub async fn with_code(&self, app: &OidcApp, browser: &Browser, email: &str) -> Tokens {
        let started = self.start(Asking::default());
        let sign_in = sign_in_of(app.get_as(browser, &started.url).await);
        let response = app.verify_as(browser, Some(&sign_in), email).await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::OK,
            "the approving verify"
        );
        let body: Value = response.json().await.expect("a VerifyResponse");
        let redirect_to = body["redirect_to"].as_str().expect("a redirect_to");
        let code = Callback::parse(redirect_to, self.client.redirect_uri)
            .must("code")
            .to_owned();
        self.finish(started, &code).await
    }

    /// Exchanges `code` of `started` and validates the ID token.
    pub async fn finish(&self, started: Started, code: &str) -> Tokens {
        let answer = self
            .library
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .expect("a token endpoint")
            .set_pkce_verifier(started.verifier)
            .request_async(&self.http)
            .await
            .expect("the code is exchanged");
        self.tokens(&answer, Some(&started.nonce))
    }

    /// A refresh with `refresh_token`, the new ID token validated; the
    /// library's error when the provider refuses.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, String> {
        let token = RefreshToken::new(refresh_token.to_owned());
        let answer = self
            .library
            .exchange_refresh_token(&token)
            .expect("a token endpoint")
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => r.error().to_string(),
                other => other.to_string(),
            })?;
        Ok(self.tokens(&answer, None))
    }

    fn tokens(&self, answer: &CoreTokenResponse, nonce: Option<&Nonce>) -> Tokens {
        let id_token = answer.id_token().expect("an ID token").clone();
        let verifier = self.library.id_token_verifier();
        match nonce {
            Some(nonce) => {
                id_token
                    .claims(&verifier, nonce)
                    .expect("the library accepts the ID token");
            }
            // A refreshed ID token has no nonce (OpenID Connect Core §12.2).
            None => {
                id_token
                    .claims(&verifier, |n: Option<&Nonce>| match n {
                        None => Ok(()),
                        Some(_) => Err("a nonce in a refreshed ID token".to_owned()),
                    })
                    .expect("the library accepts the refreshed ID token");
            }
        }
        let (_, claims) = jwt_parts(&id_token.to_string());
        Tokens {
            id_token,
            claims,
            access_token: answer.access_token().secret().clone(),
            refresh_token: answer.refresh_token().map(|t| t.secret().clone()),
        }
    }

    /// The URL of an RP-initiated logout (`end_session_endpoint`).
    pub fn logout_url(
        &self,
        hint: Option<&CoreIdToken>,
        post_logout: Option<&str>,
        state: &str,
    ) -> String {
        let endpoint = self
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()
            .expect("the provider advertises end_session_endpoint");
        let mut request = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(self.client.id.to_owned()))
            .set_state(CsrfToken::new(state.to_owned()));
        if let Some(hint) = hint {
            request = request.set_id_token_hint(hint);
        }
        if let Some(uri) = post_logout {
            request = request.set_post_logout_redirect_uri(
                PostLogoutRedirectUrl::new(uri.to_owned()).expect("a URL"),
            );
        }
        request.http_get_url().to_string()
    }
}
