//! Every item key of the store, in one place: a key's prefix says what the
//! item is, so no two kinds of item can share a key. A subject in a key (an
//! address, a client prefix) is always a keyed hash made by the caller
//! ([`crate::domain::CodeHasher::subject`], or the `sub` of an identity,
//! keyed under the subject key), never the value itself, so the table holds
//! no address.
//!
//! | key | item |
//! |---|---|
//! | `flow#<flow id>` | a flow |
//! | `idem#<key>` | the flow an idempotency key maps to |
//! | `limit#<scope>#<subject>#<window>` | a budget counter of one fixed window (an address's sends per day also list its flows of the day) |
//! | `pow#<mark>` | a spent proof of work |
//! | `authreq#<sign-in id>` | an app's sign-in request |
//! | `session#<session id>` | a session on the service's origin |
//! | `sessions#<subject>` | the ids of an identity's sessions |
//! | `logout#<logout id>` | a logout an app asked for, awaiting confirmation |
//! | `passkey#<credential id>` | a passkey |
//! | `passkeys#<subject>` | an identity's user handle and the ids of its passkeys |
//! | `ceremony#<ceremony id>` | a WebAuthn ceremony awaiting the browser's answer |
//! | `suppress#<subject>` | a suppressed mailbox |
//! | `warm#` | never written: what warming the DynamoDB client reads |
//!
//! The memory store keeps flows, idempotency keys, sign-in requests,
//! sessions, logout requests, passkeys and ceremonies in maps of their own and needs their
//! prefixes only to read keys back; the
//! DynamoDB store writes every item under its key here.

use crate::domain::{CeremonyId, FlowId, LogoutId, SessionId, SignInId};

const FLOW: &str = "flow#";
const IDEMPOTENCY: &str = "idem#";
const COUNTER: &str = "limit#";
const PROOF: &str = "pow#";
const AUTH_REQUEST: &str = "authreq#";
const SUPPRESSION: &str = "suppress#";
const SESSION: &str = "session#";
const SESSIONS: &str = "sessions#";
const LOGOUT: &str = "logout#";
const PASSKEY: &str = "passkey#";
const PASSKEYS: &str = "passkeys#";
const CEREMONY: &str = "ceremony#";

/// The key warming the DynamoDB client reads: outside every prefix above.
pub const WARM: &str = "warm#";

pub fn flow(id: &FlowId) -> String {
    format!("{FLOW}{}", id.as_str())
}

/// The flow a key names, if it is a flow's key.
pub fn flow_id_of(key: &str) -> Option<FlowId> {
    key.strip_prefix(FLOW).and_then(FlowId::parse)
}

/// `key` is already scoped and hashed by the caller.
pub fn idempotency(key: &str) -> String {
    format!("{IDEMPOTENCY}{key}")
}

/// A budget counter: `scope` names the budget, `subject` is its hashed
/// subject, `window` the index of its fixed window (hours or days since the
/// epoch).
pub fn counter(scope: &str, subject: &str, window: u64) -> String {
    format!("{COUNTER}{scope}#{subject}#{window}")
}

/// The budget a counter key counts, for logs: never its subject.
pub fn counter_scope(key: &str) -> Option<&str> {
    key.strip_prefix(COUNTER)?.split('#').next()
}

/// A spent proof of work, by its mark ([`crate::domain::pow::Solved::mark`]).
pub fn proof(mark: &str) -> String {
    format!("{PROOF}{mark}")
}

pub fn auth_request(id: &SignInId) -> String {
    format!("{AUTH_REQUEST}{}", id.as_str())
}

/// The sign-in request a key names, if it is a sign-in request's key.
pub fn sign_in_id_of(key: &str) -> Option<SignInId> {
    key.strip_prefix(AUTH_REQUEST).and_then(SignInId::parse)
}

pub fn session(id: &SessionId) -> String {
    format!("{SESSION}{}", id.as_str())
}

/// The session a key names, if it is a session's key.
pub fn session_id_of(key: &str) -> Option<SessionId> {
    key.strip_prefix(SESSION).and_then(SessionId::parse)
}

/// The list of an identity's sessions, by its `sub`.
pub fn sessions(subject: &str) -> String {
    format!("{SESSIONS}{subject}")
}

pub fn logout(id: &LogoutId) -> String {
    format!("{LOGOUT}{}", id.as_str())
}

/// The logout request a key names, if it is a logout request's key.
pub fn logout_id_of(key: &str) -> Option<LogoutId> {
    key.strip_prefix(LOGOUT).and_then(LogoutId::parse)
}

/// A passkey, by its credential id (base64url).
pub fn passkey(id: &str) -> String {
    format!("{PASSKEY}{id}")
}

/// The credential id a key names, if it is a passkey's key.
pub fn passkey_id_of(key: &str) -> Option<&str> {
    key.strip_prefix(PASSKEY)
}

/// An identity's user handle and passkeys, by its `sub`.
pub fn passkeys(subject: &str) -> String {
    format!("{PASSKEYS}{subject}")
}

/// A WebAuthn ceremony awaiting the browser's answer, by its id.
pub fn ceremony(id: &CeremonyId) -> String {
    format!("{CEREMONY}{}", id.as_str())
}

/// The ceremony a key names, if it is a ceremony's key.
pub fn ceremony_id_of(key: &str) -> Option<CeremonyId> {
    key.strip_prefix(CEREMONY).and_then(CeremonyId::parse)
}

/// A suppressed mailbox, by the hashed mailbox.
pub fn suppression(subject: &str) -> String {
    format!("{SUPPRESSION}{subject}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_and_never_cross_kinds() {
        let flow_id = FlowId::generate();
        assert_eq!(flow_id_of(&flow(&flow_id)), Some(flow_id.clone()));
        let sign_in = SignInId::generate();
        assert_eq!(sign_in_id_of(&auth_request(&sign_in)), Some(sign_in));
        assert_eq!(sign_in_id_of(&flow(&flow_id)), None);
        let session_id = SessionId::generate();
        assert_eq!(
            session_id_of(&session(&session_id)),
            Some(session_id.clone())
        );
        assert_eq!(session_id_of(&sessions(session_id.as_str())), None);
        let logout_id = LogoutId::generate();
        assert_eq!(logout_id_of(&logout(&logout_id)), Some(logout_id.clone()));
        assert_eq!(logout_id_of(&session(&session_id)), None);
        assert_eq!(flow_id_of(&idempotency(flow_id.as_str())), None);
        assert_eq!(passkey_id_of(&passkey("AbC-_9")), Some("AbC-_9"));
        assert_eq!(passkey_id_of(&passkeys("AbC-_9")), None);
        let ceremony_id = CeremonyId::generate();
        assert_eq!(
            ceremony_id_of(&ceremony(&ceremony_id)),
            Some(ceremony_id.clone())
        );
        assert_eq!(ceremony_id_of(&logout(&logout_id)), None);
        let limit = counter("send-ip", "ab12", 7);
        assert_eq!(limit, "limit#send-ip#ab12#7");
        assert_eq!(counter_scope(&limit), Some("send-ip"));
        assert_eq!(counter_scope(&proof("ab12")), None);
        let prefixes = [
            flow(&flow_id),
            idempotency("k"),
            limit,
            proof("m"),
            auth_request(&SignInId::generate()),
            suppression("s"),
            session(&session_id),
            sessions("s"),
            logout(&logout_id),
            WARM.to_owned(),
        ]
        .map(|key| key.split('#').next().unwrap().to_owned());
        let distinct: std::collections::HashSet<_> = prefixes.iter().collect();
        assert_eq!(distinct.len(), prefixes.len(), "{prefixes:?}");
    }
}
