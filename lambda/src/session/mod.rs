//! The session on the service's own origin: after every approved code the
//! browser holds a session of the identity the code proved, so an app's
//! next sign-in (or the page's) needs no mail while it lasts.
//!
//! - a session is created, or renewed for the same identity, at every
//!   approved code, with a new secret each time (no fixation); a session of
//!   another identity that the browser held ends then;
//! - it lasts [`SessionConfig::lifetime`] from the last code (absolute) and
//!   ends after [`SessionConfig::idle`] without use (a sign-in or a refresh
//!   through it);
//! - it belongs to an identity key (its `sub`), never a budget key;
//! - [`cookie`]: the session and device cookies.
//!
//! Every step is one conditional write of the store ([`crate::store::session`]).
//! Which direction is safe: a session the store cannot confirm (unknown id,
//! wrong secret, ended, expired, idle) is no session, and the person is
//! asked for a code.

pub mod cookie;

use crate::domain::device::DeviceMarks;
use crate::domain::session::SessionCookie;
use crate::domain::{Clock, CodeHasher, Email, SessionId};
use crate::metrics::{self, Metric};
use crate::store::{Renewal, Session, SessionStep, SessionUse, Store, StoreError};
use futures_util::future::join_all;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub use cookie::Browser;

/// How long sessions last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Seconds a session lasts after the code that proved its identity
    /// (`OTP_SESSION_LIFETIME_SECS`, 30 days).
    pub lifetime: u64,
    /// Seconds a session lasts without being used (`OTP_SESSION_IDLE_SECS`,
    /// 7 days).
    pub idle: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            lifetime: 30 * 24 * 3600,
            idle: 7 * 24 * 3600,
        }
    }
}

/// An identity proven by an approved code.
#[derive(Debug, Clone)]
pub struct Proven {
    pub email: Email,
    /// The identity's `sub`.
    pub subject: String,
    /// When the code was approved, or the passkey used.
    pub auth_time: u64,
    /// How, RFC 8176 values, space-separated: `otp`, or a passkey's.
    pub amr: String,
    /// The passkey (its credential id) that proved it, if one did.
    pub passkey: Option<String>,
}

/// The browser's session after an approved code.
#[derive(Debug, Clone)]
pub struct Established {
    /// The cookie to set: a new secret, of a new or a renewed session.
    pub cookie: SessionCookie,
    pub session: Session,
    /// The device's marks with the identity's, to set too.
    pub device: DeviceMarks,
    /// The session of another identity this browser held, now ended: its
    /// apps are to be told.
    pub ended: Option<Session>,
}

/// Whether the session `cookie` names is `session`, live at `now`: its
/// secret is the stored one (compared in constant time).
pub fn holds(session: &Session, cookie: &SessionCookie, now: u64) -> bool {
    let same: bool = cookie
        .secret_hash()
        .as_bytes()
        .ct_eq(session.secret_hash.as_bytes())
        .into();
    same && session.id == cookie.id && session.is_live(now)
}

/// Sessions on one store and clock; built once at start.
pub struct Sessions {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    hasher: CodeHasher,
    config: SessionConfig,
    ttl_grace: u64,
}

impl Sessions {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        hasher: CodeHasher,
        config: SessionConfig,
        ttl_grace: u64,
    ) -> Sessions {
        Sessions {
            store,
            clock,
            hasher,
            config,
            ttl_grace,
        }
    }

    pub fn now(&self) -> u64 {
        self.clock.now()
    }

    /// `Set-Cookie` for a device's marks.
    pub fn device_cookie(&self, marks: &DeviceMarks) -> http::HeaderValue {
        cookie::set_device(marks, &self.hasher)
    }

    /// What a request's cookies say, the device's tag checked.
    pub fn browser(&self, headers: &http::HeaderMap) -> Browser {
        Browser::from_headers(headers, &self.hasher)
    }

    /// The live session the browser's cookie names, if any.
    pub async fn current(&self, browser: &Browser) -> Result<Option<Session>, StoreError> {
        let Some(cookie) = &browser.session else {
            return Ok(None);
        };
        let session = self.store.get_session(&cookie.id).await?;
        let now = self.clock.now();
        Ok(session.filter(|s| holds(s, cookie, now)))
    }

    /// Seconds the session's cookie should live: what is left of its lifetime.
    pub fn max_age(&self, session: &Session) -> u64 {
        session.expires_at.saturating_sub(self.clock.now())
    }

    /// A use of `session` by `client` now, for a step it allows.
    pub fn use_by(&self, session: &Session, client: &str) -> SessionUse {
        self.use_of(&session.id, client)
    }

    /// A use of the session `id` by `client` now; the step it allows fails
    /// unless the session is live.
    pub fn use_of(&self, id: &SessionId, client: &str) -> SessionUse {
        let now = self.clock.now();
        SessionUse {
            id: id.clone(),
            client: client.to_owned(),
            now,
            idle_expires_at: now + self.config.idle,
        }
    }

    /// After an approved code: the browser's live session of the same
    /// identity is renewed with a new secret, or a new session is made (and
    /// a live session of another identity ends). `current` is the browser's
    /// live session ([`Sessions::current`]); `client` is the app whose
    /// sign-in the code was for.
    pub async fn establish(
        &self,
        proven: &Proven,
        client: Option<&str>,
        browser: &Browser,
        current: Option<Session>,
    ) -> Result<Established, StoreError> {
        let now = self.clock.now();
        let expires_at = proven.auth_time + self.config.lifetime;
        let idle_expires_at = now + self.config.idle;
        let ttl = expires_at + self.ttl_grace;
        let mut device = browser.device.clone().unwrap_or_default();
        device.mark(&self.hasher, &proven.email, now);
        if let (Some(presented), Some(session)) = (&browser.session, &current)
            && session.subject == proven.subject
        {
            let cookie = SessionCookie::renewed(session.id.clone());
            let renewal = Renewal {
                old_secret_hash: presented.secret_hash(),
                secret_hash: cookie.secret_hash(),
                subject: proven.subject.clone(),
                amr: proven.amr.clone(),
                auth_time: proven.auth_time,
                passkey: proven.passkey.clone(),
                expires_at,
                idle_expires_at,
                client: client.map(str::to_owned),
            };
            if self
                .store
                .renew_session(&session.id, &renewal, now, ttl)
                .await?
            {
                let mut session = session.clone();
                session.secret_hash = renewal.secret_hash;
                session.auth_time = renewal.auth_time;
                session.amr = renewal.amr;
                session.passkey = renewal.passkey;
                session.expires_at = expires_at;
                session.idle_expires_at = idle_expires_at;
                session.clients.extend(renewal.client);
                tracing::info!(session = %session.id, "session renewed");
                return Ok(Established {
                    cookie,
                    session,
                    device,
                    ended: None,
                });
            }
        }
        let cookie = SessionCookie::generate();
        let session = Session {
            id: cookie.id.clone(),
            secret_hash: cookie.secret_hash(),
            email: proven.email.as_str().to_owned(),
            subject: proven.subject.clone(),
            amr: proven.amr.clone(),
            auth_time: proven.auth_time,
            passkey: proven.passkey.clone(),
            created_at: now,
            expires_at,
            idle_expires_at,
            clients: client.map(str::to_owned).into_iter().collect(),
            ended_at: None,
        };
        self.store.create_session(&session, ttl).await?;
        metrics::record(Metric::SessionStarted);
        tracing::info!(session = %session.id, "session started");
        // The browser now holds the new session: one of another identity
        // it held ends (a lost renewal race leaves the person's own be).
        let ended = match current {
            Some(old) if old.subject != proven.subject => self.end(&old.id).await?,
            _ => None,
        };
        Ok(Established {
            cookie,
            session,
            device,
            ended,
        })
    }

    /// Ends the session `id` if it is still live; the session as ended,
    /// whose apps are to be told, or `None` if it was not live.
    pub async fn end(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        match self.store.end_session(id, self.clock.now()).await? {
            SessionStep::Done(ended) => {
                tracing::info!(session = %ended.id, "session ended");
                Ok(Some(ended))
            }
            SessionStep::Refused(_) => Ok(None),
        }
    }

    /// Ends every live session of the identity `subject` that the passkey
    /// `passkey` started (or last renewed); the sessions this call ended.
    pub async fn end_started_by(
        &self,
        subject: &str,
        passkey: &str,
    ) -> Result<Vec<Session>, StoreError> {
        let ids = self.store.sessions_of(subject).await?;
        let sessions = join_all(ids.iter().map(|id| self.store.get_session(id))).await;
        let now = self.clock.now();
        let mut ended = Vec::new();
        for session in sessions {
            let Some(session) = session? else { continue };
            if session.subject == subject
                && session.passkey.as_deref() == Some(passkey)
                && let SessionStep::Done(session) = self.store.end_session(&session.id, now).await?
            {
                ended.push(session);
            }
        }
        Ok(ended)
    }

    /// Ends every live session of the identity `subject`, on every device;
    /// the sessions this call ended.
    pub async fn end_everywhere(&self, subject: &str) -> Result<Vec<Session>, StoreError> {
        let ids = self.store.sessions_of(subject).await?;
        let now = self.clock.now();
        let steps = join_all(ids.iter().map(|id| self.store.end_session(id, now))).await;
        let mut ended = Vec::new();
        for step in steps {
            if let SessionStep::Done(session) = step? {
                ended.push(session);
            }
        }
        // Every id read is of a session that is over now.
        self.store.forget_sessions(subject, &ids).await?;
        tracing::info!(sessions = ended.len(), "sessions ended everywhere");
        Ok(ended)
    }
}
