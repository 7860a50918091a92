//! What the store keeps of sessions on the service's origin and of the
//! logouts apps ask for, and the rules each step's conditional write holds.
//!
//! - `session#<session id>`: one session (its cookie's secret only as a
//!   SHA-256, the identity it belongs to, when and how that identity was
//!   proven (and by which passkey, if one did), the apps that got codes in it, its two ends: the absolute
//!   lifetime and the idle timeout). It belongs to an identity key (its
//!   `subject`), never a budget key: merging there would sign one person in
//!   as another.
//! - `sessions#<subject>`: the ids of an identity's sessions, so "sign out
//!   everywhere" finds them. Written in the same transaction that creates
//!   or renews a session, so no live session is missing from it; an id of a
//!   session that ended stays until the next "everywhere" prunes it, which
//!   errs on the safe side (ending an ended session changes nothing).
//! - `logout#<id>`: a logout an app asked for that waits for the person's
//!   confirmation; used once.
//!
//! Expiry is in every condition (`expires_at`, `idle_expires_at`), since
//! DynamoDB's TTL deletion is lazy; `ttl` is only garbage collection.

use super::StoreError;
use crate::domain::{LogoutId, SessionId};
use async_trait::async_trait;
use std::collections::BTreeSet;

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    /// Hex SHA-256 of the cookie's secret
    /// ([`crate::domain::session::SessionCookie::secret_hash`]).
    pub secret_hash: String,
    /// The address as verified (`Email::as_str`), which the page shows.
    pub email: String,
    /// The identity's `sub`: a keyed hash of its identity key, stable across
    /// key rotations, so it also keys the identity's list of sessions.
    pub subject: String,
    /// How the identity was proven, space-separated (`otp`, or a
    /// passkey's values).
    pub amr: String,
    /// When the code that proved it was approved, or the passkey was used.
    pub auth_time: u64,
    /// The passkey (its credential id) that proved it; `None` for a code.
    /// Removing that passkey ends the session.
    pub passkey: Option<String>,
    pub created_at: u64,
    /// The absolute end: the lifetime counted from the last code.
    pub expires_at: u64,
    /// The idle end: moved forward each time the session is used.
    pub idle_expires_at: u64,
    /// The apps that got an authorization code in this session.
    pub clients: BTreeSet<String>,
    pub ended_at: Option<u64>,
}

impl Session {
    /// Whether the session is live at `now`: not ended, within both ends.
    pub fn is_live(&self, now: u64) -> bool {
        self.ended_at.is_none() && self.expires_at > now && self.idle_expires_at > now
    }

    /// [`SessionStore::renew_session`] may renew for `renewal` at `now`.
    pub(crate) fn renewable(&self, renewal: &Renewal, now: u64) -> bool {
        self.is_live(now)
            && self.secret_hash == renewal.old_secret_hash
            && self.subject == renewal.subject
    }
}

/// A new secret for a live session, after a code approved for the same
/// identity: the session carries on (same id, same apps) with the new
/// proof's time and both ends moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renewal {
    /// The secret the browser presented; the renewal is refused if another
    /// request renewed it meanwhile.
    pub old_secret_hash: String,
    pub secret_hash: String,
    /// The identity the code proved; must be the session's.
    pub subject: String,
    pub amr: String,
    pub auth_time: u64,
    /// The passkey that proved it, if a passkey did.
    pub passkey: Option<String>,
    pub expires_at: u64,
    pub idle_expires_at: u64,
    /// The app whose sign-in the code was for, if any.
    pub client: Option<String>,
}

/// A use of a live session by an app's sign-in or refresh, written in the
/// same transaction as the step it allows, so a session that ends first
/// refuses the step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUse {
    pub id: SessionId,
    /// Recorded among the session's apps, which back-channel logout tells.
    pub client: String,
    pub now: u64,
    /// The idle end from now on.
    pub idle_expires_at: u64,
}

/// The answer of a conditional step on a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionStep {
    /// Written; the session after the write.
    Done(Session),
    /// A condition failed, nothing was written; the session as it is (if any).
    Refused(Option<Session>),
}

/// A logout an app asked for, waiting for the person's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRequest {
    pub id: LogoutId,
    /// The app that asked, if it named itself.
    pub client_id: Option<String>,
    /// Where the browser goes after the logout: a registered
    /// `post_logout_redirect_uri` of that app, with its `state`.
    pub redirect_to: Option<String>,
    pub ui_locales: Option<String>,
    pub created_at: u64,
    pub expires_at: u64,
}

/// A logout request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutRecord {
    pub request: LogoutRequest,
    pub used_at: Option<u64>,
}

impl LogoutRecord {
    /// Whether the request can still be shown or confirmed at `now`.
    pub fn is_open(&self, now: u64) -> bool {
        self.request.expires_at > now && self.used_at.is_none()
    }
}

/// [`Session::is_live`] as a DynamoDB condition; binds `:now`.
pub(crate) const LIVE: &str = "attribute_exists(pk) AND attribute_not_exists(#ended_at) \
     AND #expires_at > :now AND #idle_expires_at > :now";
/// [`Session::renewable`] as a DynamoDB condition; binds `:now`,
/// `:old_secret_hash` and `:subject`.
pub(crate) const RENEWABLE: &str = "attribute_exists(pk) AND attribute_not_exists(#ended_at) \
     AND #expires_at > :now AND #idle_expires_at > :now \
     AND #secret_hash = :old_secret_hash AND #subject = :subject";
/// [`LogoutRecord::is_open`] as a DynamoDB condition; binds `:now`.
pub(crate) const OPEN: &str =
    "attribute_exists(pk) AND #expires_at > :now AND attribute_not_exists(#used_at)";

/// Sessions and logout requests. Same linearizability as [`super::Store`].
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Writes a new session and adds it to its identity's list, in one
    /// transaction; `ttl` is the garbage collection time of both. Refuses
    /// (an error) to overwrite an existing id.
    async fn create_session(&self, session: &Session, ttl: u64) -> Result<(), StoreError>;

    /// The session as stored, whatever its state; callers judge liveness.
    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>, StoreError>;

    /// Renews a live session whose secret is still `renewal.old_secret_hash`
    /// and whose identity is `renewal.subject` (see [`Renewal`]), raising
    /// its and its identity list's `ttl` to `ttl` in the same transaction.
    /// Whether it was renewed; only one of two renewals of one secret is.
    async fn renew_session(
        &self,
        id: &SessionId,
        renewal: &Renewal,
        now: u64,
        ttl: u64,
    ) -> Result<bool, StoreError>;

    /// Ends a session that is live at `now`. Only one request ends it; the
    /// session after the write says which apps to tell.
    async fn end_session(&self, id: &SessionId, now: u64) -> Result<SessionStep, StoreError>;

    /// The ids in an identity's list of sessions, live or not.
    async fn sessions_of(&self, subject: &str) -> Result<Vec<SessionId>, StoreError>;

    /// Removes `ids` from an identity's list (sessions that ended).
    async fn forget_sessions(&self, subject: &str, ids: &[SessionId]) -> Result<(), StoreError>;

    /// Stores a logout request; refuses (an error) to overwrite an id.
    async fn put_logout(&self, request: &LogoutRequest, ttl: u64) -> Result<(), StoreError>;

    /// The logout request as stored, whatever its state.
    async fn get_logout(&self, id: &LogoutId) -> Result<Option<LogoutRecord>, StoreError>;

    /// Marks a logout request used if it is open at `now`; `None` when it is
    /// not (unknown, used or expired). Only one request uses it.
    async fn use_logout(&self, id: &LogoutId, now: u64)
    -> Result<Option<LogoutRecord>, StoreError>;
}
