//! An authorization request after its checks ([`super::authorize`]): its
//! `id_token_hint` read back, then either stored for the page, or with
//! `prompt=none` answered at once from the browser's session (OpenID
//! Connect Core §3.1.2.1): a code when the session may grant it, else
//! `login_required` (never a page: the app asked for no interaction).

use super::authorize::{self, AuthorizeError, ValidRequest, with_query};
use super::page::{may_grant, session_grant};
use super::{AuthorizeFailure, Provider, REQUEST_TTL_SECS, hint};
use crate::domain::SignInId;
use crate::gate::Step;
use crate::metrics::{self, Metric, SignInStage};
use crate::session::Browser;
use crate::store::{AuthRequest, SessionBound};
use std::net::IpAddr;

/// What `/authorize` answers when it accepted the request.
#[derive(Debug)]
pub enum Authorized {
    /// The page takes over, with this handle.
    Page(SignInId),
    /// `prompt=none` with a session that may: back to the app with a code.
    Answered(String),
}

impl Provider {
    /// Checks an authorization request, then stores it for the page or
    /// (`prompt=none`) answers it from `browser`'s session.
    pub async fn authorize(
        &self,
        params: &[(String, String)],
        browser: &Browser,
        ip: IpAddr,
    ) -> Result<Authorized, AuthorizeFailure> {
        let now = self.clock.now();
        self.enter(Step::Authorize, ip, now)
            .map_err(|retry_after| AuthorizeFailure::TooMany { retry_after })?;
        let valid = match authorize::validate(params, &self.clients) {
            Ok(valid) => valid,
            Err(AuthorizeError::Page(page)) => {
                metrics::record(Metric::SignIn(SignInStage::Refused));
                tracing::info!(reason = page.describe(), "authorization request refused");
                return Err(AuthorizeFailure::Page(page));
            }
            Err(AuthorizeError::Redirect(e)) => {
                return Err(self.sent_back(
                    &e.redirect_uri,
                    e.error,
                    e.description,
                    e.state.as_deref(),
                ));
            }
        };
        let hint_subject = match &valid.id_token_hint {
            None => None,
            Some(jwt) => {
                let keys = self.keys.get().await;
                match hint::read(&keys, jwt, &self.issuer) {
                    Some(hint) => Some(hint.sub),
                    None => {
                        return Err(self.refuse(
                            &valid,
                            "invalid_request",
                            "id_token_hint is not an ID token of this provider.",
                        ));
                    }
                }
            }
        };
        let request = AuthRequest {
            id: SignInId::generate(),
            client_id: valid.client_id.clone(),
            redirect_uri: valid.redirect_uri.clone(),
            scope: valid.scope.clone(),
            state: valid.state.clone(),
            nonce: valid.nonce.clone(),
            code_challenge: valid.code_challenge.clone(),
            login_hint: valid.login_hint.clone(),
            ui_locales: valid.ui_locales.clone(),
            prompt_login: valid.prompt_login,
            max_age: valid.max_age,
            hint_subject,
            created_at: now,
            expires_at: now + REQUEST_TTL_SECS,
        };
        if valid.prompt_none {
            return self.silently(&valid, request, browser).await;
        }
        self.store
            .put_auth_request(&request, request.expires_at + self.ttl_grace)
            .await
            .map_err(AuthorizeFailure::Store)?;
        metrics::record(Metric::SignIn(SignInStage::Started));
        tracing::info!(client = %request.client_id, sign_in = %request.id, "sign-in started");
        Ok(Authorized::Page(request.id))
    }

    /// `prompt=none`: a code from the live session that may grant the
    /// request, in one transaction with the session's use, or `login_required`.
    async fn silently(
        &self,
        valid: &ValidRequest,
        request: AuthRequest,
        browser: &Browser,
    ) -> Result<Authorized, AuthorizeFailure> {
        let login_required = || {
            self.refuse(
                valid,
                "login_required",
                "No session here may answer this request without the person.",
            )
        };
        let session = self
            .sessions
            .current(browser)
            .await
            .map_err(AuthorizeFailure::Store)?;
        let now = self.clock.now();
        let Some(session) = session.filter(|s| may_grant(&request, s, now)) else {
            return Err(login_required());
        };
        let (grant, code) = session_grant(self, &request.id, &session, now);
        let ttl = request.expires_at.max(grant.code_expires_at) + self.ttl_grace;
        let use_ = self.sessions.use_by(&session, &request.client_id);
        match self.store.put_granted(&request, &grant, ttl, &use_).await {
            Ok(SessionBound::Done) => {
                metrics::record(Metric::SignIn(SignInStage::Silent));
                tracing::info!(client = %request.client_id, sign_in = %request.id, "answered from the session");
                let mut query = vec![("code", code.as_str())];
                if let Some(state) = &request.state {
                    query.push(("state", state));
                }
                query.push(("iss", &self.issuer));
                Ok(Authorized::Answered(with_query(
                    &request.redirect_uri,
                    &query,
                )))
            }
            Ok(_) => Err(login_required()),
            Err(e) => Err(AuthorizeFailure::Store(e)),
        }
    }

    /// Back to the app of `valid` with `error`.
    fn refuse(
        &self,
        valid: &ValidRequest,
        error: &'static str,
        description: &'static str,
    ) -> AuthorizeFailure {
        self.sent_back(
            &valid.redirect_uri,
            error,
            description,
            valid.state.as_deref(),
        )
    }

    /// An error on `redirect_uri` with `state` and our `iss` (RFC 6749
    /// §4.1.2.1, RFC 9207).
    fn sent_back(
        &self,
        redirect_uri: &str,
        error: &'static str,
        description: &'static str,
        state: Option<&str>,
    ) -> AuthorizeFailure {
        metrics::record(Metric::SignIn(SignInStage::Refused));
        tracing::info!(error, "authorization request sent back");
        let mut query = vec![("error", error), ("error_description", description)];
        if let Some(state) = state {
            query.push(("state", state));
        }
        query.push(("iss", &self.issuer));
        AuthorizeFailure::Redirect(with_query(redirect_uri, &query))
    }
}
