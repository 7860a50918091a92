//! The page's side of an app's sign-in: what it shows (the app, and who is
//! signed in here), continuing with the session in one press, cancelling,
//! and what an approved code does (the session, then the app's code).
//!
//! A session may finish a sign-in only if the app's request allows it
//! ([`may_grant`]): not after `prompt=login` (only a code approved for the
//! request will do), not with a `max_age` the session is older than, never
//! for another identity than an `id_token_hint`'s. Otherwise the person
//! confirms with a new code.

use super::authorize::with_query;
use super::{ACCESS_TOKEN_TTL_SECS, CODE_TTL_SECS, Provider, grant};
use crate::domain::SignInId;
use crate::gate::Step;
use crate::metrics::{self, Metric, SignInStage};
use crate::service::{AppNames, Approved, ServiceError};
use crate::session::{Browser, Established, Proven};
use crate::store::{AuthRecord, AuthRequest, AuthStep, Grant, Session};
use otp_api::{SessionChoice, SignInResponse};
use std::net::IpAddr;

/// What an approved code did: the browser's session, and for a sign-in the
/// way back to the app (or why not). The session is set either way.
#[derive(Debug)]
pub struct Verified {
    pub established: Established,
    pub redirect: Result<Option<String>, ServiceError>,
}

/// Whether `session` may grant `request` at `now` without a new code.
pub(super) fn may_grant(request: &AuthRequest, session: &Session, now: u64) -> bool {
    // A code approved after the request was made: what `prompt=login` asks.
    let proven_for_it = session.auth_time >= request.created_at;
    let recent = match request.max_age {
        None => true,
        Some(0) => proven_for_it,
        Some(max_age) => now.saturating_sub(session.auth_time) <= max_age,
    };
    let same_person = request
        .hint_subject
        .as_ref()
        .is_none_or(|hint| *hint == session.subject);
    session.is_live(now) && (!request.prompt_login || proven_for_it) && recent && same_person
}

/// The grant `session` makes for the request `id`, and its code.
pub(super) fn session_grant(
    provider: &Provider,
    id: &SignInId,
    session: &Session,
    now: u64,
) -> (Grant, String) {
    let code = grant::derive_session_code(&provider.hasher, id, &session.id);
    let grant = Grant {
        code_hash: grant::hash(&code),
        flow_id: None,
        sid: Some(session.id.clone()),
        email: session.email.clone(),
        subject: session.subject.clone(),
        auth_time: session.auth_time,
        amr: session.amr.clone(),
        code_expires_at: now + CODE_TTL_SECS,
    };
    (grant, code)
}

/// The app of a sign-in request, for its code mail.
#[async_trait::async_trait]
impl AppNames for Provider {
    async fn app_name(&self, sign_in: &SignInId) -> Option<String> {
        let record = match self.store.get_auth_request(sign_in).await {
            Ok(record) => record?,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the sign-in to name its app");
                return None;
            }
        };
        let client = self.clients.get(&record.request.client_id)?;
        Some(client.name.clone())
    }
}

impl Provider {
    /// The live request `id` names and the browser's live session.
    async fn request_and_session(
        &self,
        id: &str,
        browser: &Browser,
    ) -> Result<(AuthRecord, Option<Session>), ServiceError> {
        let id = SignInId::parse(id).ok_or(ServiceError::MalformedId("sign_in"))?;
        let (record, session) = tokio::join!(
            self.store.get_auth_request(&id),
            self.sessions.current(browser)
        );
        let now = self.clock.now();
        let live = record?.filter(|r| {
            r.request.expires_at > now && r.cancelled_at.is_none() && r.grant.is_none()
        });
        Ok((live.ok_or(ServiceError::SignInExpired)?, session?))
    }

    /// What the page shows for a live sign-in request: the app, and who is
    /// signed in here (and whether that session may finish it).
    pub async fn sign_in(
        &self,
        id: &str,
        browser: &Browser,
        ip: IpAddr,
    ) -> Result<SignInResponse, ServiceError> {
        self.enter_page_step(Step::SignInRead, ip, self.clock.now())?;
        let (record, session) = self.request_and_session(id, browser).await?;
        let client = self
            .clients
            .get(&record.request.client_id)
            .ok_or(ServiceError::SignInExpired)?;
        let now = self.clock.now();
        Ok(SignInResponse {
            client_name: client.name.clone(),
            session: session.map(|s| SessionChoice {
                can_continue: may_grant(&record.request, &s, now),
                email: s.email,
            }),
            login_hint: record.request.login_hint,
            ui_locales: record.request.ui_locales,
        })
    }

    /// "Continue as …": the browser's session grants the request, in one
    /// transaction with the session's use; the way back to the app.
    pub async fn continue_sign_in(
        &self,
        id: &str,
        browser: &Browser,
    ) -> Result<String, ServiceError> {
        let (record, session) = self.request_and_session(id, browser).await?;
        let session = session.ok_or(ServiceError::SessionRequired)?;
        self.grant_with_session(&record, &session, SignInStage::Continued)
            .await
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

    /// After an approving verify: the browser's session for the proven
    /// identity (renewed, or new), then, for a flow bound to a sign-in, its
    /// authorization code. A failure of the session's write answers 503
    /// before any code: the right code sent again within the replay window
    /// tries both again.
    pub async fn approved(
        &self,
        approved: &Approved,
        browser: &Browser,
    ) -> Result<Verified, ServiceError> {
        let request = async {
            match &approved.sign_in {
                Some(id) => self.store.get_auth_request(id).await,
                None => Ok(None),
            }
        };
        let (record, current) = tokio::join!(request, self.sessions.current(browser));
        let now = self.clock.now();
        let client = record?
            .filter(|r| r.request.expires_at > now && r.cancelled_at.is_none())
            .map(|r| r.request.client_id);
        let proven = Proven {
            subject: self.subject_key.subject(&approved.email),
            email: approved.email.clone(),
            auth_time: approved.approved_at,
            amr: "otp".to_owned(),
            passkey: None,
        };
        let established = self
            .sessions
            .establish(&proven, client.as_deref(), browser, current?)
            .await?;
        if let Some(ended) = &established.ended {
            self.tell_apps(std::slice::from_ref(ended)).await;
        }
        let redirect = match &approved.sign_in {
            Some(id) => self
                .grant(approved, id, &established.session)
                .await
                .map(Some),
            None => Ok(None),
        };
        Ok(Verified {
            established,
            redirect,
        })
    }

    /// Grants the authorization code of an approved flow bound to a sign-in
    /// request, in `session`: the way back to the app, with `code`. The
    /// code is derived from the flow, so a replayed approval gets the same
    /// code and redirect.
    async fn grant(
        &self,
        approved: &Approved,
        id: &SignInId,
        session: &Session,
    ) -> Result<String, ServiceError> {
        let code = grant::derive_code(&self.hasher, id, &approved.flow_id);
        let code_expires_at = approved.approved_at + CODE_TTL_SECS;
        let grant = Grant {
            code_hash: grant::hash(&code),
            flow_id: Some(approved.flow_id.clone()),
            sid: Some(session.id.clone()),
            email: approved.email.as_str().to_owned(),
            subject: session.subject.clone(),
            auth_time: approved.approved_at,
            amr: session.amr.clone(),
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
    pub(super) fn redirect(&self, record: &AuthRecord, params: &[(&str, &str)]) -> String {
        let mut query = params.to_vec();
        if let Some(state) = &record.request.state {
            query.push(("state", state));
        }
        query.push(("iss", &self.issuer));
        with_query(&record.request.redirect_uri, &query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SessionId;

    const NOW: u64 = 1_800_000_000;

    fn request() -> AuthRequest {
        AuthRequest {
            id: SignInId::generate(),
            client_id: "shop".into(),
            redirect_uri: "https://shop.example/cb".into(),
            scope: "openid".into(),
            state: None,
            nonce: None,
            code_challenge: None,
            login_hint: None,
            ui_locales: None,
            prompt_login: false,
            max_age: None,
            hint_subject: None,
            created_at: NOW,
            expires_at: NOW + 1800,
        }
    }

    /// A session proven `age` seconds before the request.
    fn session(age: u64) -> Session {
        Session {
            id: SessionId::generate(),
            secret_hash: "a".repeat(64),
            email: "ann@example.com".into(),
            subject: "ann".into(),
            amr: "otp".into(),
            auth_time: NOW - age,
            passkey: None,
            created_at: NOW - age,
            expires_at: NOW + 1000,
            idle_expires_at: NOW + 1000,
            clients: Default::default(),
            ended_at: None,
        }
    }

    #[test]
    fn a_session_grants_only_what_the_request_allows() {
        let plain = request();
        assert!(may_grant(&plain, &session(3600), NOW));
        // Ended, expired, idle: no session.
        let mut ended = session(1);
        ended.ended_at = Some(NOW);
        assert!(!may_grant(&plain, &ended, NOW));
        let mut idle = session(1);
        idle.idle_expires_at = NOW;
        assert!(!may_grant(&plain, &idle, NOW));
        // prompt=login: only a code approved after the request.
        let login = AuthRequest {
            prompt_login: true,
            ..request()
        };
        assert!(!may_grant(&login, &session(1), NOW));
        assert!(may_grant(&login, &session(0), NOW + 5));
        // max_age: the session's age at the time of asking.
        let max_age = AuthRequest {
            max_age: Some(600),
            ..request()
        };
        assert!(may_grant(&max_age, &session(600), NOW));
        assert!(!may_grant(&max_age, &session(601), NOW));
        let zero = AuthRequest {
            max_age: Some(0),
            ..request()
        };
        assert!(may_grant(&zero, &session(0), NOW + 1));
        assert!(!may_grant(&zero, &session(1), NOW));
        // id_token_hint: never another person.
        let hinted = |sub: &str| AuthRequest {
            hint_subject: Some(sub.into()),
            ..request()
        };
        assert!(may_grant(&hinted("ann"), &session(5), NOW));
        assert!(!may_grant(&hinted("bob"), &session(5), NOW));
    }
}
