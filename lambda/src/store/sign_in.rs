//! What the store keeps of an app's sign-in (OpenID Connect): one item per
//! authorization request, `authreq#<handle>`, that carries its whole life —
//! the validated request, the authorization code granted when its flow is
//! approved, the redemption of that code for an access token, and a
//! revocation. Each step is one conditional write on that item, so two
//! requests never both win a step; codes and tokens are kept only as
//! SHA-256 hashes.

use super::StoreError;
use crate::domain::{FlowId, SignInId};
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
    /// PKCE S256 challenge: base64url of SHA-256 of the verifier.
    pub code_challenge: String,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
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
    pub flow_id: FlowId,
    /// The address as verified (`Email::as_str`).
    pub email: String,
    /// The subject the ID token names.
    pub subject: String,
    /// When the address was proven (the flow's approval).
    pub auth_time: u64,
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
    /// `code_challenge`.
    pub code_challenge: String,
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
/// [`AuthRecord::redeemable`] as a DynamoDB condition; binds `:code_hash`,
/// `:now`, `:client_id`, `:redirect_uri` and `:code_challenge`.
pub(crate) const REDEEMABLE: &str = "#code_hash = :code_hash AND #code_expires_at > :now \
     AND attribute_not_exists(#token_hash) AND attribute_not_exists(#revoked_at) \
     AND #client_id = :client_id AND #redirect_uri = :redirect_uri \
     AND #code_challenge = :code_challenge";
/// [`AuthRecord::revocable`] as a DynamoDB condition; binds `:code_hash`,
/// `:client_id`, `:redirect_uri` and `:code_challenge`.
pub(crate) const REVOCABLE: &str = "#code_hash = :code_hash AND attribute_exists(#token_hash) \
     AND attribute_not_exists(#revoked_at) \
     AND #client_id = :client_id AND #redirect_uri = :redirect_uri \
     AND #code_challenge = :code_challenge";

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
}

/// Implements [`crate::store::SignInStore`] and
/// [`crate::store::SuppressionStore`] for a store wrapper `$ty` by passing
/// every call to its field `$inner` unchanged: for wrappers that hold or
/// break only the verification steps (tests, benchmarks).
#[macro_export]
macro_rules! forward_sign_in_steps {
    ($ty:ty, $inner:ident) => {
        #[$crate::store::async_trait_for_macros]
        impl $crate::store::SignInStore for $ty {
            async fn put_auth_request(
                &self,
                request: &$crate::store::AuthRequest,
                ttl: u64,
            ) -> Result<(), $crate::store::StoreError> {
                self.$inner.put_auth_request(request, ttl).await
            }
            async fn get_auth_request(
                &self,
                id: &$crate::domain::SignInId,
            ) -> Result<Option<$crate::store::AuthRecord>, $crate::store::StoreError> {
                self.$inner.get_auth_request(id).await
            }
            async fn grant(
                &self,
                id: &$crate::domain::SignInId,
                grant: &$crate::store::Grant,
                now: u64,
                ttl: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.grant(id, grant, now, ttl).await
            }
            async fn cancel_auth_request(
                &self,
                id: &$crate::domain::SignInId,
                now: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.cancel_auth_request(id, now).await
            }
            async fn redeem(
                &self,
                id: &$crate::domain::SignInId,
                check: &$crate::store::RedeemCheck,
                redemption: &$crate::store::Redemption,
                ttl: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.redeem(id, check, redemption, ttl).await
            }
            async fn revoke(
                &self,
                id: &$crate::domain::SignInId,
                check: &$crate::store::RedeemCheck,
                now: u64,
            ) -> Result<$crate::store::AuthStep, $crate::store::StoreError> {
                self.$inner.revoke(id, check, now).await
            }
        }

        #[$crate::store::async_trait_for_macros]
        impl $crate::store::SuppressionStore for $ty {
            async fn suppress(
                &self,
                key: &str,
                suppression: &$crate::store::Suppression,
                ttl: u64,
            ) -> Result<bool, $crate::store::StoreError> {
                self.$inner.suppress(key, suppression, ttl).await
            }
            async fn suppression(
                &self,
                key: &str,
            ) -> Result<Option<$crate::store::Suppression>, $crate::store::StoreError> {
                self.$inner.suppression(key).await
            }
            async fn lift_suppression(&self, key: &str) -> Result<bool, $crate::store::StoreError> {
                self.$inner.lift_suppression(key).await
            }
        }
    };
}
