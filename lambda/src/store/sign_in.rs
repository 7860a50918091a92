//! What the store keeps of an app's sign-in (OpenID Connect): one item per
//! authorization request, `authreq#<handle>`, that carries its whole life —
//! the validated request, the authorization code granted when its flow is
//! approved (or a session allows it), the redemption of that code for an
//! access token and, for a confidential client, a refresh token that
//! rotates at each use, and a revocation. Each step is one conditional
//! write on that item, so two requests never both win a step; a step a
//! session allows (a grant without a code, a refresh) is one transaction
//! with the session's own conditional write, so a session that ends first
//! refuses it. Codes and tokens are kept only as SHA-256 hashes.

use super::StoreError;
use super::session::SessionUse;
use crate::domain::{FlowId, SessionId, SignInId};
use async_trait::async_trait;

/// A validated authorization request, as `/authorize` stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub id: SignInId,
    pub client_id: String,
    /// Exactly as registered and sent.
    pub redirect_uri: String,
    /// Space-separated, `openid` among them.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// PKCE S256 challenge: base64url of SHA-256 of the verifier; `None`
    /// only for a confidential client registered without PKCE, whose
    /// request then carries a `nonce`.
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// `prompt=login`: only a code approved after the request may grant it.
    pub prompt_login: bool,
    /// `max_age`: a session proven longer ago than this may not grant it.
    pub max_age: Option<u64>,
    /// The `sub` of the request's `id_token_hint`: a session of another
    /// identity may not grant it.
    pub hint_subject: Option<String>,
    pub created_at: u64,
    /// The request cannot be granted or cancelled from then on.
    pub expires_at: u64,
}

/// The authorization code granted when the request's flow was approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Hex SHA-256 of the whole code.
    pub code_hash: String,
    /// The approved flow; a repeat for the same flow is the same grant.
    /// `None` when a live session granted it without a code.
    pub flow_id: Option<FlowId>,
    /// The session the code was granted in: the `sid` of the ID token, and
    /// what the refresh tokens it buys are bound to.
    pub sid: Option<SessionId>,
    /// The address as verified (`Email::as_str`).
    pub email: String,
    /// The subject the ID token names.
    pub subject: String,
    /// When the address was proven (the approval of the code that proved it).
    pub auth_time: u64,
    /// How it was proven, space-separated (`otp`).
    pub amr: String,
    /// The code cannot be redeemed from then on (60 s after the grant).
    pub code_expires_at: u64,
}

/// The access token issued for the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redemption {
    /// Hex SHA-256 of the whole access token.
    pub token_hash: String,
    pub redeemed_at: u64,
    pub token_expires_at: u64,
    /// The refresh token of a confidential client, if one was issued.
    pub refresh: Option<RefreshState>,
}

/// The current refresh token of a sign-in, which rotates at every use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshState {
    /// Hex SHA-256 of the whole current refresh token.
    pub hash: String,
    /// How many times it rotated: each token names its generation, so an
    /// earlier one presented again is recognised as reuse.
    pub generation: u32,
    /// No refresh after this, whatever the rotations.
    pub expires_at: u64,
}

/// What a refresh must match, checked in its conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshCheck {
    /// Hex SHA-256 of the presented refresh token.
    pub presented_hash: String,
    pub client_id: String,
    /// `refresh.expires_at > now`.
    pub now: u64,
}

/// What a refresh writes: a new access token and the next refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub token_hash: String,
    pub token_expires_at: u64,
    pub refresh: RefreshState,
}

/// The item as stored, whatever its state; callers judge expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRecord {
    pub request: AuthRequest,
    pub grant: Option<Grant>,
    pub redemption: Option<Redemption>,
    pub cancelled_at: Option<u64>,
    /// Set when a redeemed code was presented again: the token stops working.
    pub revoked_at: Option<u64>,
}

/// What a redemption must match, all checked in its one conditional write,
/// so a presentation that fails any of them changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemCheck {
    pub code_hash: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// S256 of the presented `code_verifier`, compared with the request's
    /// `code_challenge`; `None` (no verifier) matches only a request
    /// without one.
    pub code_challenge: Option<String>,
    /// `code_expires_at > now`.
    pub now: u64,
}

/// The answer of a conditional step on an authorization item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStep {
    /// Written; the record after the write.
    Done(AuthRecord),
    /// A condition failed, nothing was written; the record as it is (if
    /// any) says which.
    Refused(Option<AuthRecord>),
}

/// The answer of a step a session allows (see [`SignInStore::grant_in_session`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionBound {
    /// Both written.
    Done,
    /// The step's own condition failed, nothing was written; the record as
    /// it is (if any) says which.
    Refused(Option<Box<AuthRecord>>),
    /// The session is not live (ended, too old, idle, unknown); nothing was
    /// written.
    SessionOver,
}

/// The steps of an app's sign-in (OpenID Connect): one `authreq#<id>` item,
/// each step one conditional write on it. Same linearizability as
/// [`super::Store`].
#[async_trait]
pub trait SignInStore: Send + Sync + 'static {
    /// Stores a validated authorization request; `ttl` is its garbage
    /// collection time. Refuses (an error) to overwrite an existing id.
    async fn put_auth_request(&self, request: &AuthRequest, ttl: u64) -> Result<(), StoreError>;

    /// The item as stored, whatever its state; callers judge expiry.
    async fn get_auth_request(&self, id: &SignInId) -> Result<Option<AuthRecord>, StoreError>;

    /// Records the grant if the request is unexpired (`expires_at > now`),
    /// not cancelled, and has no grant yet or this very grant (same
    /// `code_hash`: a repeat for the same approved flow, which keeps the
    /// first grant's fields). Sets the item's `ttl` to `ttl` in the same write:
    /// when the code and the token it may buy stop mattering.
    async fn grant(
        &self,
        id: &SignInId,
        grant: &Grant,
        now: u64,
        ttl: u64,
    ) -> Result<AuthStep, StoreError>;

    /// Cancels a request that is unexpired, not cancelled and has no grant.
    async fn cancel_auth_request(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError>;

    /// Redeems the code: records `redemption` if the item has a grant with
    /// `check.code_hash`, `code_expires_at > check.now`, no redemption yet,
    /// no revocation, and the request's client, redirect URI and code
    /// challenge equal the check's. Only one request wins a code. Raises the
    /// item's `ttl` to `ttl` in the same write.
    async fn redeem(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        redemption: &Redemption,
        ttl: u64,
    ) -> Result<AuthStep, StoreError>;

    /// Revokes the access token of a redeemed grant when its code is
    /// presented again by its own client: if the item has a grant with
    /// `check.code_hash`, a redemption, no revocation yet, and the request's
    /// client, redirect URI and code challenge equal the check's (the code's
    /// expiry does not matter). Anyone else presenting the code changes
    /// nothing.
    async fn revoke(
        &self,
        id: &SignInId,
        check: &RedeemCheck,
        now: u64,
    ) -> Result<AuthStep, StoreError>;

    /// Records `grant` on a stored request (as [`SignInStore::grant`]
    /// does) and the use of a live session, in one transaction.
    async fn grant_in_session(
        &self,
        id: &SignInId,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError>;

    /// Stores a request already granted by a live session (`prompt=none`)
    /// and the use of that session, in one transaction.
    async fn put_granted(
        &self,
        request: &AuthRequest,
        grant: &Grant,
        ttl: u64,
        session: &SessionUse,
    ) -> Result<SessionBound, StoreError>;

    /// Rotates the refresh token: writes `rotation` if the current refresh
    /// token is `check.presented_hash`, issued to `check.client_id`,
    /// unexpired and not revoked, and the session it is bound to is live
    /// (its use recorded in the same transaction). Only one of two
    /// refreshes with one token wins. Raises the item's `ttl` to `ttl`.
    async fn refresh(
        &self,
        id: &SignInId,
        check: &RefreshCheck,
        rotation: &Rotation,
        session: &SessionUse,
        ttl: u64,
    ) -> Result<SessionBound, StoreError>;

    /// Revokes a sign-in's refresh token and access token (a refresh token
    /// presented again: its family is compromised), if not revoked yet.
    async fn revoke_refresh(&self, id: &SignInId, now: u64) -> Result<AuthStep, StoreError>;
}

/// [`AuthRecord::grantable`] as a DynamoDB condition; binds `:now` and
/// `:code_hash`. Every attribute is named through a `#<attribute>`
/// placeholder, so no name can collide with a reserved word.
pub(crate) const GRANTABLE: &str = "attribute_exists(pk) AND #expires_at > :now \
     AND attribute_not_exists(#cancelled_at) \
     AND (attribute_not_exists(#code_hash) OR #code_hash = :code_hash)";
/// [`AuthRecord::cancellable`] as a DynamoDB condition; binds `:now`.
pub(crate) const CANCELLABLE: &str = "attribute_exists(pk) AND #expires_at > :now \
     AND attribute_not_exists(#cancelled_at) AND attribute_not_exists(#code_hash)";
/// [`AuthRecord::redeemable`] as a DynamoDB condition, followed by one of
/// [`WITH_PKCE`] and [`WITHOUT_PKCE`]; binds `:code_hash`, `:now`,
/// `:client_id` and `:redirect_uri`.
pub(crate) const REDEEMABLE: &str = "#code_hash = :code_hash AND #code_expires_at > :now \
     AND attribute_not_exists(#token_hash) AND attribute_not_exists(#revoked_at) \
     AND #client_id = :client_id AND #redirect_uri = :redirect_uri";
/// The PKCE part of [`REDEEMABLE`] for a verifier; binds `:code_challenge`.
pub(crate) const WITH_PKCE: &str = " AND #code_challenge = :code_challenge";
/// The PKCE part of [`REDEEMABLE`] without a verifier.
pub(crate) const WITHOUT_PKCE: &str = " AND attribute_not_exists(#code_challenge)";
/// [`AuthRecord::revocable`] as a DynamoDB condition, followed by one of
/// [`WITH_PKCE`] and [`WITHOUT_PKCE`]; binds `:code_hash`, `:client_id`
/// and `:redirect_uri`.
pub(crate) const REVOCABLE: &str = "#code_hash = :code_hash AND attribute_exists(#token_hash) \
     AND attribute_not_exists(#revoked_at) \
     AND #client_id = :client_id AND #redirect_uri = :redirect_uri";
/// [`AuthRecord::refreshable`] as a DynamoDB condition; binds
/// `:presented_hash`, `:client_id` and `:now`.
pub(crate) const REFRESHABLE: &str = "#refresh_hash = :presented_hash \
     AND #client_id = :client_id AND attribute_not_exists(#revoked_at) \
     AND #refresh_expires_at > :now";
/// [`AuthRecord::refresh_revocable`] as a DynamoDB condition.
pub(crate) const REFRESH_REVOCABLE: &str =
    "attribute_exists(#refresh_hash) AND attribute_not_exists(#revoked_at)";

/// The conditions of the steps, as rules on the record: the memory store
/// applies them under its lock, and the DynamoDB conditions above say the
/// same.
impl AuthRecord {
    /// [`crate::store::SignInStore::grant`] may write `grant` at `now`.
    pub(crate) fn grantable(&self, grant: &Grant, now: u64) -> bool {
        self.request.expires_at > now
            && self.cancelled_at.is_none()
            && self
                .grant
                .as_ref()
                .is_none_or(|g| g.code_hash == grant.code_hash)
    }

    /// [`crate::store::SignInStore::cancel_auth_request`] may cancel at `now`.
    pub(crate) fn cancellable(&self, now: u64) -> bool {
        self.request.expires_at > now && self.cancelled_at.is_none() && self.grant.is_none()
    }

    /// [`crate::store::SignInStore::redeem`] may redeem for `check`.
    pub(crate) fn redeemable(&self, check: &RedeemCheck) -> bool {
        self.grant
            .as_ref()
            .is_some_and(|g| g.code_hash == check.code_hash && g.code_expires_at > check.now)
            && self.redemption.is_none()
            && self.revoked_at.is_none()
            && self.request.client_id == check.client_id
            && self.request.redirect_uri == check.redirect_uri
            && self.request.code_challenge == check.code_challenge
    }

    /// [`crate::store::SignInStore::revoke`] may revoke for `check`.
    pub(crate) fn revocable(&self, check: &RedeemCheck) -> bool {
        self.grant
            .as_ref()
            .is_some_and(|g| g.code_hash == check.code_hash)
            && self.redemption.is_some()
            && self.revoked_at.is_none()
            && self.request.client_id == check.client_id
            && self.request.redirect_uri == check.redirect_uri
            && self.request.code_challenge == check.code_challenge
    }

    /// The current refresh token, if one was issued.
    pub fn refresh(&self) -> Option<&RefreshState> {
        self.redemption.as_ref().and_then(|r| r.refresh.as_ref())
    }

    /// [`crate::store::SignInStore::refresh`] may rotate for `check`.
    pub(crate) fn refreshable(&self, check: &RefreshCheck) -> bool {
        self.refresh()
            .is_some_and(|r| r.hash == check.presented_hash && r.expires_at > check.now)
            && self.request.client_id == check.client_id
            && self.revoked_at.is_none()
    }

    /// [`crate::store::SignInStore::revoke_refresh`] may revoke.
    pub(crate) fn refresh_revocable(&self) -> bool {
        self.refresh().is_some() && self.revoked_at.is_none()
    }
}
