//! What the store keeps of passkeys, and the rules each step's write holds.
//!
//! - `passkey#<credential id>`: one passkey (the WebAuthn credential: its
//!   public key, signature counter and backup flags, as the relying-party
//!   library serialises them; the identity it belongs to; its name, when it
//!   was added and last used). It belongs to an identity key (the `sub`),
//!   never a budget key: merging there would let one person sign in as
//!   another.
//! - `passkeys#<subject>`: the identity's WebAuthn user handle (random,
//!   made at its first passkey, never derived from its address) and the
//!   ids of its passkeys, so the page can list them. Written in the same
//!   transaction that adds or removes a passkey.
//! - `ceremony#<ceremony id>`: a ceremony waiting for the browser's answer:
//!   its challenge (in the library's serialised state), what it is for
//!   (adding a passkey in a session, or signing in, for an app's sign-in
//!   or the page), and its end, a few minutes after it began. Consumed by
//!   the one transaction that completes the ceremony, so a challenge
//!   answers once: of two answers to one challenge, one wins.
//!
//! Expiry is in every condition (`expires_at`), since DynamoDB's TTL
//! deletion is lazy; `ttl` is only garbage collection. Passkeys have no
//! expiry: they last until the person removes them.

use super::StoreError;
use crate::domain::{CeremonyId, SessionId, SignInId};
use async_trait::async_trait;

/// What a ceremony is for; its answer is taken only for that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    /// Adding a passkey to the identity of a live session.
    Register {
        /// The session it was started in; it must still be live to finish.
        session: SessionId,
        subject: String,
        /// The address as verified, shown with the passkey.
        email: String,
        /// The identity's user handle, base64url: its stored one, or a new
        /// one its first passkey stores.
        user_handle: String,
    },
    /// Signing in: for an app's sign-in request, or on the page.
    SignIn { sign_in: Option<SignInId> },
}

impl Purpose {
    /// [`Purpose::kind`] of adding a passkey.
    pub const REGISTER: &'static str = "register";
    /// [`Purpose::kind`] of signing in.
    pub const SIGN_IN: &'static str = "sign_in";

    /// The purpose's name as stored, checked by the step that consumes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Purpose::Register { .. } => Purpose::REGISTER,
            Purpose::SignIn { .. } => Purpose::SIGN_IN,
        }
    }
}

/// A ceremony waiting for the browser's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub id: CeremonyId,
    pub purpose: Purpose,
    /// The relying-party library's state of the ceremony (its challenge,
    /// ≥ 16 random bytes, and its rules), serialised as JSON.
    pub state: String,
    pub created_at: u64,
    /// The answer is refused from then on.
    pub expires_at: u64,
}

impl Ceremony {
    /// Whether an answer for `kind` may complete it at `now`.
    pub(crate) fn is_open(&self, kind: &str, now: u64) -> bool {
        self.expires_at > now && self.purpose.kind() == kind
    }
}

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    /// The credential id, base64url without padding.
    pub id: String,
    /// The identity's `sub`.
    pub subject: String,
    /// The identity's address as verified, which a sign-in answers.
    pub email: String,
    /// The identity's user handle, base64url: what the authenticator
    /// returns with a discoverable credential.
    pub user_handle: String,
    /// What the person sees in the list.
    pub name: String,
    /// The relying-party library's credential (public key, counter,
    /// backup flags, whether it was registered with user verification),
    /// serialised as JSON.
    pub credential: String,
    /// The signature counter last seen; a use must present a higher one
    /// (or 0 from an authenticator that counts nothing).
    pub sign_count: u32,
    pub created_at: u64,
    pub last_used_at: Option<u64>,
}

/// An identity's passkeys: its user handle, once it has one, and their ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasskeyList {
    pub user_handle: Option<String>,
    pub ids: Vec<String>,
}

/// A verified use of a passkey: what its one write checks and records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyUse {
    pub id: String,
    /// The passkey must still belong to this identity.
    pub subject: String,
    /// The counter the assertion was verified against: the write is
    /// refused if another use moved it meanwhile, or the passkey is gone.
    pub sign_count_before: u32,
    pub sign_count: u32,
    /// The credential after the use (counter, backup state), serialised.
    pub credential: String,
    pub now: u64,
}

/// The answer of [`PasskeyStore::add_passkey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    Done,
    /// The ceremony is over (used, expired, unknown, or not for this);
    /// nothing was written.
    CeremonyOver,
    /// The credential is registered already, or the identity's user handle
    /// changed meanwhile; nothing was written.
    Taken,
}

/// The answer of [`PasskeyStore::use_passkey`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Used {
    /// Both written: the ceremony consumed, the passkey's use recorded.
    Done,
    /// The ceremony is over; nothing was written.
    CeremonyOver,
    /// The passkey was removed, or used meanwhile; nothing was written.
    PasskeyChanged,
}

/// [`Ceremony::is_open`] as a DynamoDB condition; binds `:now` and `:kind`.
pub(crate) const CEREMONY_OPEN: &str =
    "attribute_exists(pk) AND #expires_at > :now AND #kind = :kind";
/// A use's condition on its passkey; binds `:subject` and `:sign_count_before`.
pub(crate) const PASSKEY_UNCHANGED: &str =
    "attribute_exists(pk) AND #subject = :subject AND #sign_count = :sign_count_before";
/// The identity's list takes a new passkey if its user handle is the
/// ceremony's, or it has none yet; binds `:user_handle`.
pub(crate) const SAME_USER_HANDLE: &str =
    "attribute_not_exists(#user_handle) OR #user_handle = :user_handle";
/// A removal's condition; binds `:subject`.
pub(crate) const OWNED: &str = "attribute_exists(pk) AND #subject = :subject";

impl Passkey {
    /// [`PasskeyStore::use_passkey`] may record `use_` on it.
    pub(crate) fn usable(&self, use_: &PasskeyUse) -> bool {
        self.subject == use_.subject && self.sign_count == use_.sign_count_before
    }
}

/// Passkeys and their ceremonies. Same linearizability as [`super::Store`].
#[async_trait]
pub trait PasskeyStore: Send + Sync + 'static {
    /// Stores a ceremony; refuses (an error) to overwrite an id.
    async fn put_ceremony(&self, ceremony: &Ceremony, ttl: u64) -> Result<(), StoreError>;

    /// The ceremony as stored, whatever its state; callers judge expiry.
    async fn get_ceremony(&self, id: &CeremonyId) -> Result<Option<Ceremony>, StoreError>;

    /// The identity's user handle and the ids of its passkeys.
    async fn passkeys_of(&self, subject: &str) -> Result<PasskeyList, StoreError>;

    /// The passkey as stored.
    async fn get_passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError>;

    /// Completes a registration in one transaction: consumes the ceremony
    /// `ceremony` if it is open at `now` for adding a passkey, stores
    /// `passkey` if its id is new, and adds it to its identity's list if
    /// the list's user handle is the passkey's or there is none yet.
    async fn add_passkey(
        &self,
        ceremony: &CeremonyId,
        passkey: &Passkey,
        now: u64,
    ) -> Result<Added, StoreError>;

    /// Completes a sign-in in one transaction: consumes the ceremony
    /// `ceremony` if it is open at `use_.now` for signing in, and records
    /// the use on the passkey if it is still the identity's and its counter
    /// is still `use_.sign_count_before`. Of two answers to one challenge,
    /// one wins.
    async fn use_passkey(
        &self,
        ceremony: &CeremonyId,
        use_: &PasskeyUse,
    ) -> Result<Used, StoreError>;

    /// Removes the identity's passkey `id` and its entry in the list, in
    /// one transaction; whether it was there to remove.
    async fn remove_passkey(&self, subject: &str, id: &str) -> Result<bool, StoreError>;
}
