//! Signing out: from the page (this browser, or every session of the
//! identity), and when an app asks (OpenID Connect RP-Initiated Logout 1.0).
//!
//! `/logout` takes `id_token_hint`, `client_id`, `post_logout_redirect_uri`,
//! `state` and `ui_locales`. The browser goes back to the app only to a
//! `post_logout_redirect_uri` registered for it, compared byte for byte
//! (never to another address: no open redirector). With a hint of the
//! session's own identity (or no session at all) the session ends at once;
//! otherwise — no hint, a hint that does not verify, another person's —
//! the request waits, TTL'd and used once, for the person to confirm on the
//! page (`/?logout=<id>`), so a link on another site cannot sign anyone out
//! (logout CSRF, §6). Apps that got codes in an ended session are told by
//! back-channel logout. Front-channel logout and session management
//! iframes are not offered: both need the apps' pages in frames of this
//! origin, which its `frame-ancestors 'none'` forbids.

use super::authorize::with_query;
use super::{LOGOUT_TTL_SECS, Provider, hint};
use crate::domain::LogoutId;
use crate::metrics::{self, Metric, RefusedBy};
use crate::service::ServiceError;
use crate::session::Browser;
use crate::store::{LogoutRequest, Session, StoreError};
use otp_api::{LogoutDone, LogoutInfo};
use std::collections::HashMap;
use std::net::IpAddr;

/// Where the browser goes after `/logout`, and whether its session cookie
/// is to be cleared (it ended, or names no live session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutAnswer {
    pub location: String,
    pub clear_session: bool,
}

/// Why `/logout` shows a page instead of going anywhere.
#[derive(Debug)]
pub enum LogoutFailure {
    /// The link is not valid: this sentence says why.
    Invalid(&'static str),
    /// Too many links that were not valid from this client: wait.
    TooMany {
        retry_after: u64,
    },
    Store(StoreError),
}

/// What a valid `/logout` asks.
struct Asked {
    client_id: Option<String>,
    /// The registered `post_logout_redirect_uri`, with `state`.
    redirect_to: Option<String>,
    /// The hint's `sub`, if the hint is an ID token of ours.
    hint_subject: Option<String>,
    ui_locales: Option<String>,
}

impl Provider {
    /// `GET|POST /logout`.
    pub async fn logout(
        &self,
        params: &[(String, String)],
        browser: &Browser,
        ip: IpAddr,
    ) -> Result<LogoutAnswer, LogoutFailure> {
        let now = self.clock.now();
        if let Some(retry_after) = self.logout_failures.closed(ip, now) {
            return Err(LogoutFailure::TooMany { retry_after });
        }
        let asked = match self.asked(params).await {
            Ok(asked) => asked,
            Err((client_id, why)) => {
                tracing::info!(reason = why, "logout request refused");
                return Err(self.logout_failed(client_id.as_deref(), ip, why).await);
            }
        };
        let done = |clear_session| LogoutAnswer {
            location: asked
                .redirect_to
                .clone()
                .unwrap_or_else(|| "/?logout=done".to_owned()),
            clear_session,
        };
        let session = self
            .sessions
            .current(browser)
            .await
            .map_err(LogoutFailure::Store)?;
        let Some(session) = session else {
            return Ok(done(browser.session.is_some()));
        };
        if asked.hint_subject.as_deref() == Some(session.subject.as_str()) {
            self.end_and_tell(&session)
                .await
                .map_err(LogoutFailure::Store)?;
            return Ok(done(true));
        }
        let request = LogoutRequest {
            id: LogoutId::generate(),
            client_id: asked.client_id,
            redirect_to: asked.redirect_to,
            ui_locales: asked.ui_locales,
            created_at: now,
            expires_at: now + LOGOUT_TTL_SECS,
        };
        self.store
            .put_logout(&request, request.expires_at + self.ttl_grace)
            .await
            .map_err(LogoutFailure::Store)?;
        tracing::info!(logout = %request.id, "logout waits for the person's confirmation");
        Ok(LogoutAnswer {
            location: format!("/?logout={}", request.id.as_str()),
            clear_session: false,
        })
    }

    /// The parameters of `/logout`, checked; or the client it claims and
    /// why the link is not valid.
    async fn asked(
        &self,
        params: &[(String, String)],
    ) -> Result<Asked, (Option<String>, &'static str)> {
        let mut values: HashMap<&str, &str> = HashMap::new();
        for (name, value) in params {
            // A parameter without a value is as if omitted.
            if !value.is_empty() && values.insert(name, value).is_some() {
                return Err((None, "a parameter is repeated"));
            }
        }
        let claimed = values.get("client_id").map(|c| (*c).to_owned());
        let fail = |why| Err((claimed.clone(), why));
        // A hint that does not verify (another issuer, a key long retired)
        // proves nothing: the person is asked.
        let hint = match values.get("id_token_hint") {
            Some(jwt) => hint::read(&*self.keys.get().await, jwt, &self.issuer),
            None => None,
        };
        let client = match (values.get("client_id"), &hint) {
            (Some(id), hint) => {
                let Some(client) = self.clients.get(id) else {
                    return fail("unknown client");
                };
                if hint
                    .as_ref()
                    .is_some_and(|h| !h.aud.iter().any(|a| a == id))
                {
                    return fail("the client_id is not the id_token_hint's audience");
                }
                Some(client)
            }
            (None, Some(hint)) => match hint.aud.as_slice() {
                [one] => self.clients.get(one),
                _ => None,
            },
            (None, None) => None,
        };
        let redirect_to = match values.get("post_logout_redirect_uri") {
            None => None,
            Some(uri) => {
                let Some(client) = client else {
                    return fail(
                        "post_logout_redirect_uri needs the app: client_id or id_token_hint",
                    );
                };
                if !client.has_post_logout_redirect_uri(uri) {
                    return fail("post_logout_redirect_uri is not registered for this app");
                }
                let state = values.get("state").map(|s| ("state", *s));
                Some(match state {
                    Some(state) => with_query(uri, &[state]),
                    None => (*uri).to_owned(),
                })
            }
        };
        Ok(Asked {
            client_id: client.map(|c| c.id.clone()),
            redirect_to,
            hint_subject: hint.map(|h| h.sub),
            ui_locales: values.get("ui_locales").map(|s| (*s).to_owned()),
        })
    }

    /// Counts a failed logout of `client_id` (as claimed; only a
    /// registered client has a counter) from `ip`; the failure to answer.
    async fn logout_failed(
        &self,
        client_id: Option<&str>,
        ip: IpAddr,
        why: &'static str,
    ) -> LogoutFailure {
        let now = self.clock.now();
        let registered = client_id.filter(|id| self.clients.get(id).is_some());
        match self
            .logout_failures
            .failed(&*self.store, registered, ip, now)
            .await
        {
            Some(retry_after) => {
                metrics::record(Metric::Refused(RefusedBy::LogoutFailures));
                tracing::warn!("failed logouts over budget");
                LogoutFailure::TooMany { retry_after }
            }
            None => LogoutFailure::Invalid(why),
        }
    }

    /// `POST /api/logout`: what the confirmation asks.
    pub async fn logout_info(
        &self,
        id: &str,
        browser: &Browser,
        ip: IpAddr,
    ) -> Result<LogoutInfo, ServiceError> {
        let now = self.clock.now();
        let id = LogoutId::parse(id).ok_or(ServiceError::MalformedId("logout"))?;
        let request = self.store.get_logout(&id).await?;
        let Some(record) = request.filter(|r| r.is_open(now)) else {
            return Err(self.logout_expired(ip).await);
        };
        let session = self.sessions.current(browser).await?;
        let client_name = record
            .request
            .client_id
            .as_deref()
            .and_then(|id| self.clients.get(id))
            .map(|c| c.name.clone());
        Ok(LogoutInfo {
            email: session.map(|s| s.email),
            client_name,
            ui_locales: record.request.ui_locales,
        })
    }

    /// `POST /api/logout/confirm`: uses the request, ends the browser's
    /// session; where the browser goes next.
    pub async fn confirm_logout(
        &self,
        id: &str,
        browser: &Browser,
        ip: IpAddr,
    ) -> Result<LogoutDone, ServiceError> {
        let now = self.clock.now();
        let id = LogoutId::parse(id).ok_or(ServiceError::MalformedId("logout"))?;
        let Some(record) = self.store.use_logout(&id, now).await? else {
            return Err(self.logout_expired(ip).await);
        };
        if let Some(session) = self.sessions.current(browser).await? {
            self.end_and_tell(&session).await?;
        }
        Ok(LogoutDone {
            redirect_to: record.request.redirect_to,
        })
    }

    async fn logout_expired(&self, ip: IpAddr) -> ServiceError {
        match self.logout_failed(None, ip, "expired").await {
            LogoutFailure::TooMany { retry_after } => ServiceError::RateLimited {
                scope: "failed logouts per client",
                retry_after,
            },
            _ => ServiceError::LogoutExpired,
        }
    }

    /// `POST /api/session/end`: this browser's session, or every session
    /// of its identity; how many ended.
    pub async fn sign_out(&self, browser: &Browser, everywhere: bool) -> Result<u32, StoreError> {
        let Some(session) = self.sessions.current(browser).await? else {
            return Ok(0);
        };
        let ended = if everywhere {
            self.sessions.end_everywhere(&session.subject).await?
        } else {
            self.sessions.end(&session.id).await?.into_iter().collect()
        };
        self.tell_apps(&ended).await;
        Ok(u32::try_from(ended.len()).unwrap_or(u32::MAX))
    }

    async fn end_and_tell(&self, session: &Session) -> Result<(), StoreError> {
        if let Some(ended) = self.sessions.end(&session.id).await? {
            self.tell_apps(&[ended]).await;
        }
        Ok(())
    }
}
