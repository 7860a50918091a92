//! Sessions and logout requests under the lock; the rules are the
//! records' ([`crate::store::session`]).

use super::{MemoryStore, State};
use crate::domain::{LogoutId, SessionId};
use crate::store::{
    LogoutRecord, LogoutRequest, Renewal, Session, SessionStep, SessionStore, SessionUse,
    StoreError,
};
use async_trait::async_trait;

impl State {
    /// Whether the session `use_` names is live at its `now`.
    pub(super) fn session_live(&self, use_: &SessionUse) -> bool {
        self.sessions
            .get(&use_.id)
            .is_some_and(|(s, _)| s.is_live(use_.now))
    }

    /// Records `use_` on its session, which [`State::session_live`] passed.
    pub(super) fn use_session(&mut self, use_: &SessionUse) {
        if let Some((session, _)) = self.sessions.get_mut(&use_.id) {
            session.idle_expires_at = use_.idle_expires_at;
            session.clients.insert(use_.client.clone());
        }
    }

    /// Adds `id` to its identity's list, raising the list's `ttl` to `ttl`.
    fn list(&mut self, subject: &str, id: &SessionId, ttl: u64) {
        let (ids, list_ttl) = self
            .session_lists
            .entry(subject.to_owned())
            .or_insert_with(|| (Default::default(), ttl));
        ids.insert(id.clone());
        *list_ttl = (*list_ttl).max(ttl);
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, session: &Session, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.sessions.contains_key(&session.id) {
            return Err(StoreError::new("a session with this id already exists"));
        }
        state.list(&session.subject, &session.id, ttl);
        state
            .sessions
            .insert(session.id.clone(), (session.clone(), ttl));
        Ok(())
    }

    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        Ok(self.read().sessions.get(id).map(|(s, _)| s.clone()))
    }

    async fn renew_session(
        &self,
        id: &SessionId,
        renewal: &Renewal,
        now: u64,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let mut state = self.write();
        let Some((session, item_ttl)) = state.sessions.get_mut(id) else {
            return Ok(false);
        };
        if !session.renewable(renewal, now) {
            return Ok(false);
        }
        session.secret_hash = renewal.secret_hash.clone();
        session.amr = renewal.amr.clone();
        session.passkey = renewal.passkey.clone();
        session.auth_time = renewal.auth_time;
        session.expires_at = renewal.expires_at;
        session.idle_expires_at = renewal.idle_expires_at;
        session.clients.extend(renewal.client.clone());
        *item_ttl = ttl;
        let subject = session.subject.clone();
        state.list(&subject, id, ttl);
        Ok(true)
    }

    async fn end_session(&self, id: &SessionId, now: u64) -> Result<SessionStep, StoreError> {
        let mut state = self.write();
        let Some((session, _)) = state.sessions.get_mut(id) else {
            return Ok(SessionStep::Refused(None));
        };
        if !session.is_live(now) {
            return Ok(SessionStep::Refused(Some(session.clone())));
        }
        session.ended_at = Some(now);
        Ok(SessionStep::Done(session.clone()))
    }

    async fn sessions_of(&self, subject: &str) -> Result<Vec<SessionId>, StoreError> {
        let state = self.read();
        Ok(state
            .session_lists
            .get(subject)
            .map(|(ids, _)| ids.iter().cloned().collect())
            .unwrap_or_default())
    }

    async fn forget_sessions(&self, subject: &str, ids: &[SessionId]) -> Result<(), StoreError> {
        let mut state = self.write();
        if let Some((list, _)) = state.session_lists.get_mut(subject) {
            for id in ids {
                list.remove(id);
            }
        }
        Ok(())
    }

    async fn put_logout(&self, request: &LogoutRequest, ttl: u64) -> Result<(), StoreError> {
        let mut state = self.write();
        if state.logouts.contains_key(&request.id) {
            return Err(StoreError::new(
                "a logout request with this id already exists",
            ));
        }
        let record = LogoutRecord {
            request: request.clone(),
            used_at: None,
        };
        state.logouts.insert(request.id.clone(), (record, ttl));
        Ok(())
    }

    async fn get_logout(&self, id: &LogoutId) -> Result<Option<LogoutRecord>, StoreError> {
        Ok(self.read().logouts.get(id).map(|(r, _)| r.clone()))
    }

    async fn use_logout(
        &self,
        id: &LogoutId,
        now: u64,
    ) -> Result<Option<LogoutRecord>, StoreError> {
        let mut state = self.write();
        let Some((record, _)) = state.logouts.get_mut(id) else {
            return Ok(None);
        };
        if !record.is_open(now) {
            return Ok(None);
        }
        record.used_at = Some(now);
        Ok(Some(record.clone()))
    }
}
