//! What a passkey sign-in does on the provider's side: like an approved
//! code, it gives the browser a session (its `amr` the passkey's, its
//! `auth_time` the assertion's) and, for an app's sign-in, the app's code;
//! and removing a passkey ends the sessions it started.

use super::ACCESS_TOKEN_TTL_SECS;
use super::Provider;
use super::page::{Verified, may_grant, session_grant};
use crate::domain::Email;
use crate::domain::SignInId;
use crate::gate::Step;
use crate::metrics::{self, Metric, SignInStage};
use crate::passkey::{Asserted, Passkeys};
use crate::service::ServiceError;
use crate::session::{Browser, Proven};
use crate::store::{AuthRecord, Session, SessionBound, StoreError};
use otp_api::PasskeyOptions;
use serde_json::Value;
use std::net::IpAddr;

impl Provider {
    pub fn passkeys(&self) -> &Passkeys {
        &self.passkeys
    }

    /// Options to sign in with a passkey, past the client's gate.
    pub async fn passkey_options(
        &self,
        sign_in: Option<SignInId>,
        ip: IpAddr,
    ) -> Result<PasskeyOptions, ServiceError> {
        self.enter_page_step(Step::Passkey, ip, self.clock.now())?;
        self.passkeys.sign_in_options(sign_in, ip).await
    }

    /// A passkey sign-in, past the client's gate; one that signs in gives
    /// its token back, as an approving verify does.
    pub async fn passkey_sign_in(
        &self,
        ceremony: &str,
        credential: Value,
        ip: IpAddr,
    ) -> Result<Asserted, ServiceError> {
        self.enter_page_step(Step::Passkey, ip, self.clock.now())?;
        let asserted = self.passkeys.sign_in(ceremony, credential, ip).await?;
        self.gate.give_back(Step::Passkey, ip);
        Ok(asserted)
    }

    /// After a passkey sign-in: the browser's session for the passkey's
    /// identity (renewed, or new), then, for a ceremony started for an
    /// app's sign-in, its authorization code.
    pub async fn passkey_approved(
        &self,
        asserted: &Asserted,
        browser: &Browser,
    ) -> Result<Verified, ServiceError> {
        let request = async {
            match &asserted.sign_in {
                Some(id) => self.store.get_auth_request(id).await,
                None => Ok(None),
            }
        };
        let (record, current) = tokio::join!(request, self.sessions.current(browser));
        let now = self.clock.now();
        let live = record?.filter(|r| {
            r.request.expires_at > now && r.cancelled_at.is_none() && r.grant.is_none()
        });
        let passkey = &asserted.passkey;
        let proven = Proven {
            email: Email::parse(&passkey.email)
                .map_err(|_| StoreError::new("a passkey's address does not parse"))?,
            subject: passkey.subject.clone(),
            auth_time: asserted.at,
            amr: asserted.amr.clone(),
            passkey: Some(passkey.id.clone()),
        };
        let client = live.as_ref().map(|r| r.request.client_id.as_str());
        let established = self
            .sessions
            .establish(&proven, client, browser, current?)
            .await?;
        if let Some(ended) = &established.ended {
            self.tell_apps(std::slice::from_ref(ended)).await;
        }
        let redirect = match (&asserted.sign_in, live) {
            (None, _) => Ok(None),
            (Some(_), None) => Err(ServiceError::SignInExpired),
            (Some(_), Some(record)) => self
                .grant_with_session(&record, &established.session, SignInStage::Passkey)
                .await
                .map(Some),
        };
        Ok(Verified {
            established,
            redirect,
        })
    }

    /// `session` grants the request `record`, if the request allows it, in
    /// one transaction with the session's use; the way back to the app.
    pub(super) async fn grant_with_session(
        &self,
        record: &AuthRecord,
        session: &Session,
        stage: SignInStage,
    ) -> Result<String, ServiceError> {
        let now = self.clock.now();
        if !may_grant(&record.request, session, now) {
            return Err(ServiceError::SessionRequired);
        }
        let id = &record.request.id;
        let (grant, code) = session_grant(self, id, session, now);
        let ttl = grant.code_expires_at + ACCESS_TOKEN_TTL_SECS + self.ttl_grace;
        let use_ = self.sessions.use_by(session, &record.request.client_id);
        match self.store.grant_in_session(id, &grant, ttl, &use_).await? {
            SessionBound::Done => {
                metrics::record(Metric::SignIn(stage));
                tracing::info!(client = %record.request.client_id, sign_in = %id, amr = %session.amr, "granted in the session");
                Ok(self.redirect(record, &[("code", &code)]))
            }
            SessionBound::Refused(_) => Err(ServiceError::SignInExpired),
            SessionBound::SessionOver => Err(ServiceError::SessionRequired),
        }
    }

    /// Removes the identity's passkey `id` and ends the sessions it
    /// started (telling their apps); the sessions ended, or `None` when
    /// there was no such passkey and no session of it.
    pub async fn remove_passkey(
        &self,
        subject: &str,
        id: &str,
    ) -> Result<Option<Vec<Session>>, StoreError> {
        let removed = self.passkeys.remove(subject, id).await?;
        // Also after a removal whose answer was lost: the retry finds the
        // passkey gone and still ends what it started.
        let ended = self.sessions.end_started_by(subject, id).await?;
        self.tell_apps(&ended).await;
        Ok((removed || !ended.is_empty()).then_some(ended))
    }
}
