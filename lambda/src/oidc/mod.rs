//! The OpenID Connect provider: apps (the *clients* of `OTP_CLIENTS`) send
//! a person to `/authorize`; the page runs the usual send → verify flow
//! bound to that request, or, when the browser's session may, finishes it
//! without a mail; the approving verify (or the session) grants an
//! authorization code; the app's server redeems it at `/token` (PKCE S256,
//! or a `nonce` for a confidential client registered without PKCE) for an
//! RS256 ID token, a short-lived access token for `/userinfo` and, for a
//! confidential client, a refresh token bound to the session.
//!
//! Every state change of a sign-in is one conditional write on its
//! `authreq#<id>` item ([`crate::store::SignInStore`]), or one transaction
//! of it with the session that allows it; codes and tokens are
//! `<id>.<secret>` and only their hashes are stored.
//!
//! - [`clients`]: the registered apps and their secrets
//! - [`keys`]: the signing keys and the published JWKS
//! - [`subject`]: the `sub` of a person
//! - [`authorize`]: checking an authorization request
//! - `request`: storing it, or answering `prompt=none` from the session
//! - `page`: the page's side of a sign-in: what it shows, continuing with
//!   the session, cancelling, and the grant of an approved code
//! - [`grant`]: codes and tokens
//! - [`token`]: checking a token request, the ID token's claims
//! - `refresh`: refresh tokens, rotated at every use
//! - `hint`: reading back an `id_token_hint`
//! - [`logout`]: signing out, from the page or an app (RP-Initiated Logout)
//! - `backchannel`: telling apps a session ended (Back-Channel Logout)
//! - `discovery`: the provider's metadata
//! - `budget`: failed token requests per client and address

pub mod authorize;
mod backchannel;
mod budget;
pub mod clients;
mod discovery;
pub mod grant;
mod hint;
pub mod keys;
pub mod logout;
mod page;
mod refresh;
mod request;
pub mod subject;
pub mod token;

use crate::domain::{Clock, CodeHasher};
use crate::session::{SessionConfig, Sessions};
use crate::store::{AuthStep, RedeemCheck, Redemption, RefreshState, Store, StoreError};
use authorize::PageError;
use backchannel::Backchannel;
use budget::Failures;
use clients::{Client, Clients};
use keys::{KeySource, Keys};
use serde::Serialize;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use subject::SubjectKey;
use subtle::ConstantTimeEq;
use token::{IdTokenClaims, TokenError, TokenParams};

pub use budget::{PER_ADDRESS_PER_HOUR, PER_CLIENT_PER_HOUR};
pub use page::Verified;
pub use request::Authorized;

/// How long a person has from `/authorize` to the approving verify.
pub const REQUEST_TTL_SECS: u64 = 30 * 60;
/// How long an authorization code can be redeemed after the approval.
pub const CODE_TTL_SECS: u64 = 60;
/// How long an access token works.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 600;
/// How long an ID token is valid.
pub const ID_TOKEN_TTL_SECS: u64 = 300;
/// How long a logout request waits for the person's confirmation.
pub const LOGOUT_TTL_SECS: u64 = 10 * 60;

/// What the provider needs besides the store and the clock.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// `https://…` without a trailing slash; `iss` of every token.
    pub issuer: String,
    pub clients: Clients,
    pub keys: KeySource,
    pub subject_key: SubjectKey,
    /// The service's HMAC keys: authorization codes are derived under them.
    pub hasher: CodeHasher,
    /// How long items outlive their expiry before the store's TTL removes them.
    pub ttl_grace: u64,
    /// How long sessions last.
    pub sessions: SessionConfig,
    /// Seconds a refresh token family works after its code
    /// (`OTP_REFRESH_TOKEN_LIFETIME_SECS`), and never past its session.
    pub refresh_lifetime: u64,
    /// How long a back-channel logout POST may take (`OTP_BACKCHANNEL_TIMEOUT_MS`).
    pub backchannel_timeout: Duration,
}

/// Why `/authorize` did not start a sign-in.
#[derive(Debug)]
pub enum AuthorizeFailure {
    /// Show the error page; never redirect.
    Page(PageError),
    /// Send the person back to the app with this URL (an `error` on it).
    Redirect(String),
    Store(StoreError),
}

/// Why `/userinfo` refused.
#[derive(Debug)]
pub enum UserinfoError {
    /// 400 `invalid_request`: the token came by two methods.
    InvalidRequest,
    /// 401 without an error: no token.
    Missing,
    /// 401 `invalid_token`: unknown, expired or revoked.
    InvalidToken,
    Store(StoreError),
}

/// `200` answer of `/token`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub id_token: String,
    /// For a confidential client: the refresh token, bound to the session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
}

/// The provider; built once at start, shared by every request.
pub struct Provider {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    issuer: String,
    clients: Clients,
    keys: Keys,
    subject_key: SubjectKey,
    hasher: CodeHasher,
    ttl_grace: u64,
    failures: Failures,
    logout_failures: Failures,
    sessions: Sessions,
    refresh_lifetime: u64,
    backchannel: Backchannel,
}

impl Provider {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: ProviderConfig) -> Provider {
        Provider {
            sessions: Sessions::new(
                store.clone(),
                clock.clone(),
                config.hasher.clone(),
                config.sessions,
                config.ttl_grace,
            ),
            store,
            clock,
            keys: Keys::new(&config.keys),
            issuer: config.issuer,
            clients: config.clients,
            subject_key: config.subject_key,
            failures: Failures::new(config.hasher.clone(), "token"),
            logout_failures: Failures::new(config.hasher.clone(), "logout"),
            hasher: config.hasher,
            ttl_grace: config.ttl_grace,
            refresh_lifetime: config.refresh_lifetime,
            backchannel: Backchannel::new(config.backchannel_timeout),
        }
    }

    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// `/.well-known/jwks.json`
    pub async fn jwks(&self) -> Value {
        self.keys.get().await.jwks()
    }

    /// `POST /token`: `params` is the form body, `authorization` the header.
    pub async fn token(
        &self,
        params: &[(String, String)],
        authorization: Option<&str>,
        ip: Option<IpAddr>,
    ) -> Result<TokenResponse, TokenError> {
        let now = self.clock.now();
        if let Some(retry_after) = self.failures.closed(ip, now) {
            return Err(TokenError::TooMany { retry_after });
        }
        let outcome = match token::check(params, authorization, &self.clients) {
            Ok((
                client,
                TokenParams::Code {
                    code,
                    redirect_uri,
                    code_verifier,
                },
            )) => {
                let fail = |e| (Some(client.id.clone()), e);
                self.redeem(client, &code, &redirect_uri, code_verifier.as_deref(), now)
                    .await
                    .map_err(fail)
            }
            Ok((
                client,
                TokenParams::Refresh {
                    refresh_token,
                    scope,
                },
            )) => {
                let fail = |e| (Some(client.id.clone()), e);
                self.refresh(client, &refresh_token, scope.as_deref(), now)
                    .await
                    .map_err(fail)
            }
            Err(e) => Err(e),
        };
        match outcome {
            Ok(answer) => Ok(answer),
            Err((client_id, e)) if e.is_counted() => {
                tracing::info!(
                    client = client_id.as_deref().unwrap_or("-"),
                    error = e.code(),
                    reason = e.description(),
                    "token refused"
                );
                let over = self
                    .failures
                    .count(&*self.store, client_id.as_deref(), ip, now)
                    .await;
                match over {
                    Some(retry_after) => {
                        tracing::warn!("failed token requests over budget");
                        Err(TokenError::TooMany { retry_after })
                    }
                    None => Err(e),
                }
            }
            Err((_, e)) => {
                tracing::info!(error = e.code(), "token refused");
                Err(e)
            }
        }
    }

    async fn redeem(
        &self,
        client: &Client,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
        now: u64,
    ) -> Result<TokenResponse, TokenError> {
        let id =
            grant::sign_in_of(code).ok_or(TokenError::InvalidGrant("The code is not valid."))?;
        let code_hash = grant::hash(code);
        let access_token = grant::new_access_token(&id);
        let check = RedeemCheck {
            code_hash: code_hash.clone(),
            client_id: client.id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: code_verifier.map(grant::s256),
            now,
        };
        // A confidential client's code also buys a refresh token, bound to
        // the session the code was granted in.
        let refresh_token = client
            .is_confidential()
            .then(|| refresh::token(&self.hasher, &id, 0));
        let redemption = Redemption {
            token_hash: grant::hash(&access_token),
            redeemed_at: now,
            token_expires_at: now + ACCESS_TOKEN_TTL_SECS,
            refresh: refresh_token.as_ref().map(|token| RefreshState {
                hash: grant::hash(token),
                generation: 0,
                expires_at: now + self.refresh_lifetime,
            }),
        };
        let ttl = match &redemption.refresh {
            Some(refresh) => refresh.expires_at,
            None => redemption.token_expires_at,
        } + self.ttl_grace;
        let step = self
            .store
            .redeem(&id, &check, &redemption, ttl)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "store failed");
                TokenError::Unavailable
            })?;
        let record = match step {
            AuthStep::Done(record) => record,
            AuthStep::Refused(Some(record))
                if record.redemption.is_some()
                    && record
                        .grant
                        .as_ref()
                        .is_some_and(|g| g.code_hash == code_hash) =>
            {
                // RFC 6749 §4.1.2: a code used twice revokes what it gave.
                tracing::warn!(sign_in = %id, "a redeemed code was presented again: token revoked");
                if let Err(e) = self.store.revoke(&id, &code_hash, now).await {
                    tracing::error!(error = %e, "could not revoke the token of a replayed code");
                }
                return Err(TokenError::InvalidGrant("The code was already used."));
            }
            AuthStep::Refused(_) => {
                return Err(TokenError::InvalidGrant(
                    "The code is not valid, has expired, or was issued for another client, redirect_uri or code_verifier.",
                ));
            }
        };
        let Some(granted) = &record.grant else {
            tracing::error!("a redeemed request has no grant");
            return Err(TokenError::Unavailable);
        };
        let nonce = record.request.nonce.as_deref();
        let id_token = self
            .id_token(
                &client.id,
                granted,
                &record.request.scope,
                nonce,
                &access_token,
                now,
            )
            .await?;
        tracing::info!(client = %client.id, sign_in = %id, "code redeemed");
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL_SECS,
            id_token,
            // A grant without a session (made before grants had one) has
            // nothing to bind a refresh token to.
            refresh_token: refresh_token.filter(|_| granted.sid.is_some()),
            scope: record.request.scope.clone(),
        })
    }

    /// A signed ID token for `client_id` of `granted`, with the claims of
    /// `scope`, the `at_hash` of `access_token` and `nonce` if any.
    async fn id_token(
        &self,
        client_id: &str,
        granted: &crate::store::Grant,
        scope: &str,
        nonce: Option<&str>,
        access_token: &str,
        now: u64,
    ) -> Result<String, TokenError> {
        let with_email = scope.split(' ').any(|s| s == "email");
        let at_hash = grant::at_hash(access_token);
        let claims = IdTokenClaims {
            iss: &self.issuer,
            sub: &granted.subject,
            aud: client_id,
            exp: now + ID_TOKEN_TTL_SECS,
            iat: now,
            auth_time: granted.auth_time,
            nonce,
            amr: granted.amr.split(' ').collect(),
            at_hash: &at_hash,
            sid: granted.sid.as_ref().map(|sid| sid.as_str()),
            email: with_email.then_some(granted.email.as_str()),
            email_verified: with_email.then_some(true),
        };
        let keys = self.keys.get().await;
        keys.signing.sign(&claims).map_err(|e| {
            tracing::error!(error = %e, "could not sign an ID token");
            TokenError::Unavailable
        })
    }

    /// `/userinfo`: the claims an access token gives.
    pub async fn userinfo(&self, token: &str) -> Result<Value, UserinfoError> {
        let id = grant::sign_in_of(token).ok_or(UserinfoError::InvalidToken)?;
        let record = self
            .store
            .get_auth_request(&id)
            .await
            .map_err(UserinfoError::Store)?
            .ok_or(UserinfoError::InvalidToken)?;
        let now = self.clock.now();
        let (Some(redemption), Some(granted)) = (&record.redemption, &record.grant) else {
            return Err(UserinfoError::InvalidToken);
        };
        let presented = grant::hash(token);
        let same: bool = presented
            .as_bytes()
            .ct_eq(redemption.token_hash.as_bytes())
            .into();
        if !same || record.revoked_at.is_some() || redemption.token_expires_at <= now {
            return Err(UserinfoError::InvalidToken);
        }
        let mut claims = json!({ "sub": granted.subject });
        if record.request.scope.split(' ').any(|s| s == "email") {
            claims["email"] = json!(granted.email);
            claims["email_verified"] = json!(true);
        }
        Ok(claims)
    }
}
