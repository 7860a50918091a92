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
//! - `redeem`: `/token`, redeeming a code or a refresh token for the tokens
//! - `budget`: failed client authentications and failed logouts per client
//!   and address

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
mod redeem;
mod refresh;
mod request;
pub mod subject;
pub mod token;

use crate::domain::{Clock, CodeHasher, SignInId};
use crate::gate::{Gate, Step};
use crate::metrics::{self, Metric, RefusedBy};
use crate::service::ServiceError;
use crate::session::{SessionConfig, Sessions};
use crate::store::{Store, StoreError};
use authorize::PageError;
use backchannel::Backchannel;
use budget::Failures;
use clients::Clients;
use keys::{KeySource, Keys};
use serde::Serialize;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use subject::SubjectKey;
use subtle::ConstantTimeEq;

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
            sessions: Sessions::new(
                store.clone(),
                clock.clone(),
                config.hasher.clone(),
                config.sessions,
                config.ttl_grace,
            ),
            store,
            clock,
            gate,
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
