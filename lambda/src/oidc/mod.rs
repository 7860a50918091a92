//! The OpenID Connect provider: apps (the *clients* of `OTP_CLIENTS`) send
//! a person to `/authorize`; the page runs the usual send → verify flow
//! bound to that request; the approving verify grants an authorization
//! code; the app's server redeems it at `/token` (PKCE S256 always) for an
//! RS256 ID token and a short-lived access token for `/userinfo`.
//!
//! Every state change of a sign-in is one conditional write on its
//! `authreq#<id>` item ([`crate::store::SignInStore`]); codes and tokens
//! are `<id>.<secret>` and only their hashes are stored.
//!
//! - [`clients`]: the registered apps and their secrets
//! - [`keys`]: the signing keys and the published JWKS
//! - [`subject`]: the `sub` of a person
//! - [`authorize`]: checking an authorization request
//! - [`grant`]: codes and tokens
//! - [`token`]: checking a token request, the ID token's claims
//! - `redeem`: `/token`, redeeming a code for the tokens
//! - `budget`: failed client authentications per client and address

pub mod authorize;
mod budget;
pub mod clients;
pub mod grant;
pub mod keys;
mod redeem;
pub mod subject;
pub mod token;

use crate::domain::{Clock, CodeHasher, SignInId};
use crate::gate::{Gate, Step};
use crate::metrics::{self, Metric, RefusedBy, SignInStage};
use crate::service::{Approved, ServiceError};
use crate::store::{AuthRecord, AuthRequest, AuthStep, Grant, Store, StoreError};
use authorize::{AuthorizeError, PageError, with_query};
use budget::Failures;
use clients::Clients;
use keys::{KeySource, Keys};
use otp_api::SignInResponse;
use serde::Serialize;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use subject::SubjectKey;
use subtle::ConstantTimeEq;

pub use budget::{PER_ADDRESS_PER_HOUR, PER_CLIENT_PER_HOUR};

/// How long a person has from `/authorize` to the approving verify.
pub const REQUEST_TTL_SECS: u64 = 30 * 60;
/// How long an authorization code can be redeemed after the approval.
pub const CODE_TTL_SECS: u64 = 60;
/// How long an access token works.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 600;
/// How long an ID token is valid.
pub const ID_TOKEN_TTL_SECS: u64 = 300;

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
}

/// Why `/authorize` did not start a sign-in.
#[derive(Debug)]
pub enum AuthorizeFailure {
    /// Show the error page; never redirect.
    Page(PageError),
    /// Send the person back to the app with this URL (an `error` on it).
    Redirect(String),
    /// The client's budget of authorization requests is spent: an error
    /// page, and retry after this many seconds.
    TooMany {
        retry_after: u64,
    },
    Store(StoreError),
}

/// Why `/userinfo` refused.
#[derive(Debug)]
pub enum UserinfoError {
    /// 400 `invalid_request`, saying why: the token came twice (by two
    /// methods, or as two form fields), or the form body could not be read.
    InvalidRequest(&'static str),
    /// 401 without an error: no token.
    Missing,
    /// 401 `invalid_token`: unknown, expired or revoked.
    InvalidToken,
    /// 429: the client's budget of requests without claims is spent.
    TooMany {
        retry_after: u64,
    },
    Store(StoreError),
}

/// `200` answer of `/token`.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub id_token: String,
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
    /// The service's gate: the per-client budgets of `/authorize`, the
    /// page's sign-in steps and `/userinfo` are kept only there.
    gate: Arc<Gate>,
}

impl Provider {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: ProviderConfig,
        gate: Arc<Gate>,
    ) -> Provider {
        Provider {
            store,
            clock,
            gate,
            keys: Keys::new(&config.keys),
            issuer: config.issuer,
            clients: config.clients,
            subject_key: config.subject_key,
            failures: Failures::new(config.hasher.clone()),
            hasher: config.hasher,
            ttl_grace: config.ttl_grace,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3).
    pub fn discovery(&self) -> Value {
        let iss = &self.issuer;
        json!({
            "issuer": iss,
            "authorization_endpoint": format!("{iss}/authorize"),
            "token_endpoint": format!("{iss}/token"),
            "userinfo_endpoint": format!("{iss}/userinfo"),
            "jwks_uri": format!("{iss}/.well-known/jwks.json"),
            "scopes_supported": ["openid", "email"],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "email", "email_verified", "at_hash"],
            "authorization_response_iss_parameter_supported": true,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            // The page and the code mail speak each of these (see `ui_locales`).
            "ui_locales_supported": otp_api::locale::LANGUAGES.iter().map(|l| l.tag).collect::<Vec<_>>(),
        })
    }

    /// `/.well-known/jwks.json`
    pub async fn jwks(&self) -> Value {
        self.keys.get().await.jwks()
    }

    /// Passes the gate for `step` from `ip`, or the seconds to wait.
    fn enter(&self, step: Step, ip: IpAddr, now: u64) -> Result<(), u64> {
        self.gate
            .enter(step, ip, now)
            .map(|_| ())
            .map_err(|closed| {
                let budget = match step {
                    Step::Authorize => RefusedBy::ClientAuthorizes,
                    Step::SignInRead => RefusedBy::ClientSignInReads,
                    Step::SignInCancel => RefusedBy::ClientSignInCancels,
                    Step::UserinfoFailure => RefusedBy::ClientUserinfoFailures,
                    Step::Send => RefusedBy::ClientSends,
                    Step::Verify => RefusedBy::ClientVerifies,
                };
                metrics::record(Metric::Refused(budget));
                tracing::info!(?step, "client refused in memory");
                closed.retry_after
            })
    }

    /// The page's steps refused in memory, as the API answers a budget.
    fn enter_page_step(&self, step: Step, ip: IpAddr, now: u64) -> Result<(), ServiceError> {
        self.enter(step, ip, now)
            .map_err(|retry_after| ServiceError::RateLimited {
                scope: "sign-in steps per client",
                retry_after,
            })
    }

    /// Checks and stores an authorization request from `ip`; the id is the
    /// page's handle.
    pub async fn authorize(
        &self,
        params: &[(String, String)],
        ip: IpAddr,
    ) -> Result<SignInId, AuthorizeFailure> {
        let now = self.clock.now();
        self.enter(Step::Authorize, ip, now)
            .map_err(|retry_after| AuthorizeFailure::TooMany { retry_after })?;
        let valid = match authorize::validate(params, &self.clients) {
            Ok(valid) => valid,
            Err(AuthorizeError::Page(page)) => {
                metrics::record(Metric::SignIn(SignInStage::Refused));
                tracing::info!(reason = page.describe(), "authorization request refused");
                return Err(AuthorizeFailure::Page(page));
            }
            Err(AuthorizeError::Redirect(e)) => {
                metrics::record(Metric::SignIn(SignInStage::Refused));
                tracing::info!(error = e.error, "authorization request sent back");
                let mut query = vec![("error", e.error), ("error_description", e.description)];
                if let Some(state) = &e.state {
                    query.push(("state", state));
                }
                query.push(("iss", &self.issuer));
                return Err(AuthorizeFailure::Redirect(with_query(
                    &e.redirect_uri,
                    &query,
                )));
            }
        };
        let request = AuthRequest {
            id: SignInId::generate(),
            client_id: valid.client_id,
            redirect_uri: valid.redirect_uri,
            scope: valid.scope,
            state: valid.state,
            nonce: valid.nonce,
            code_challenge: valid.code_challenge,
            login_hint: valid.login_hint,
            ui_locales: valid.ui_locales,
            created_at: now,
            expires_at: now + REQUEST_TTL_SECS,
        };
        self.store
            .put_auth_request(&request, request.expires_at + self.ttl_grace)
            .await
            .map_err(AuthorizeFailure::Store)?;
        metrics::record(Metric::SignIn(SignInStage::Started));
        tracing::info!(client = %request.client_id, sign_in = %request.id, "sign-in started");
        Ok(request.id)
    }

    /// What the page shows for a live sign-in request.
    pub async fn sign_in(&self, id: &str, ip: IpAddr) -> Result<SignInResponse, ServiceError> {
        let id = SignInId::parse(id).ok_or(ServiceError::MalformedId("sign_in"))?;
        let now = self.clock.now();
        self.enter_page_step(Step::SignInRead, ip, now)?;
        let record = self.store.get_auth_request(&id).await?;
        let live = record.filter(|r| {
            r.request.expires_at > now && r.cancelled_at.is_none() && r.grant.is_none()
        });
        let record = live.ok_or(ServiceError::SignInExpired)?;
        let client = self
            .clients
            .get(&record.request.client_id)
            .ok_or(ServiceError::SignInExpired)?;
        Ok(SignInResponse {
            client_name: client.name.clone(),
            login_hint: record.request.login_hint,
            ui_locales: record.request.ui_locales,
        })
    }

    /// Cancels a live sign-in request: the way back to the app, with
    /// `error=access_denied`.
    pub async fn cancel(&self, id: &str, ip: IpAddr) -> Result<String, ServiceError> {
        let id = SignInId::parse(id).ok_or(ServiceError::MalformedId("sign_in"))?;
        let now = self.clock.now();
        self.enter_page_step(Step::SignInCancel, ip, now)?;
        match self.store.cancel_auth_request(&id, now).await? {
            AuthStep::Done(record) => {
                metrics::record(Metric::SignIn(SignInStage::Cancelled));
                tracing::info!(client = %record.request.client_id, sign_in = %id, "sign-in cancelled");
                Ok(self.redirect(
                    &record,
                    &[
                        ("error", "access_denied"),
                        ("error_description", "The person cancelled the sign-in."),
                    ],
                ))
            }
            AuthStep::Refused(_) => Err(ServiceError::SignInExpired),
        }
    }

    /// Grants the authorization code of an approved flow bound to a sign-in
    /// request: the way back to the app, with `code`. The code is derived
    /// from the flow, so a replayed approval gets the same code and redirect.
    pub async fn grant(&self, approved: &Approved) -> Result<String, ServiceError> {
        let id = approved
            .sign_in
            .as_ref()
            .ok_or(ServiceError::SignInExpired)?;
        let code = grant::derive_code(&self.hasher, id, &approved.flow_id);
        let code_expires_at = approved.approved_at + CODE_TTL_SECS;
        let grant = Grant {
            code_hash: grant::hash(&code),
            flow_id: approved.flow_id.clone(),
            email: approved.email.as_str().to_owned(),
            subject: self.subject_key.subject(&approved.email),
            auth_time: approved.approved_at,
            code_expires_at,
        };
        let now = self.clock.now();
        let ttl = code_expires_at.max(now) + ACCESS_TOKEN_TTL_SECS + self.ttl_grace;
        match self.store.grant(id, &grant, now, ttl).await? {
            AuthStep::Done(record) => {
                metrics::record(Metric::SignIn(SignInStage::Completed));
                tracing::info!(client = %record.request.client_id, sign_in = %id, "code granted");
                Ok(self.redirect(&record, &[("code", &code)]))
            }
            AuthStep::Refused(_) => {
                tracing::info!(sign_in = %id, "grant refused: the sign-in request is over");
                Err(ServiceError::SignInExpired)
            }
        }
    }

    /// The request's redirect URI with `params`, its `state` and our `iss`.
    fn redirect(&self, record: &AuthRecord, params: &[(&str, &str)]) -> String {
        let mut query = params.to_vec();
        if let Some(state) = &record.request.state {
            query.push(("state", state));
        }
        query.push(("iss", &self.issuer));
        with_query(&record.request.redirect_uri, &query)
    }

    /// `/userinfo`: the claims an access token gives. A token of the right
    /// shape takes a token of `ip`'s bucket of failures before it is looked
    /// up, and gives it back when it answers claims.
    pub async fn userinfo(&self, token: &str, ip: IpAddr) -> Result<Value, UserinfoError> {
        let id = grant::sign_in_of(token).ok_or(UserinfoError::InvalidToken)?;
        let now = self.clock.now();
        self.enter(Step::UserinfoFailure, ip, now)
            .map_err(|retry_after| UserinfoError::TooMany { retry_after })?;
        let claims = self.claims(&id, token, now).await?;
        self.gate.give_back(Step::UserinfoFailure, ip);
        Ok(claims)
    }

    async fn claims(&self, id: &SignInId, token: &str, now: u64) -> Result<Value, UserinfoError> {
        let record = self
            .store
            .get_auth_request(id)
            .await
            .map_err(UserinfoError::Store)?
            .ok_or(UserinfoError::InvalidToken)?;
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
