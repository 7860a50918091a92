//! A new code for a live flow, which replaces the one before.

use super::{Client, Resent, Service, ServiceError, check_proof_shape, language};
use crate::domain::{Code, FlowId, FlowRecord, FlowState};
use crate::gate::Step;
use crate::mailer::MailFailure;
use crate::metrics::{self, Metric, RefusedBy};
use crate::session::Browser;
use crate::store::{NewCode, Replaced, ResendGuard};
use otp_api::Proof;
use otp_api::locale::Language;
use std::net::IpAddr;

/// The scope of a resend past the flow's last message.
const SENDS_PER_FLOW: &str = "sends per flow";

impl Service {
    /// Sends a new code for a live flow. The earlier code stops working: only
    /// a hash is stored, so the same code cannot be sent again, and the newest
    /// message is then always the one that counts. Tries already spent stay
    /// spent, and the flow's expiry restarts from this message. It is
    /// written in `locale`, which becomes the flow's language, or without
    /// one in the flow's language.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn resend(
        &self,
        flow_id: &str,
        proof: Option<&Proof>,
        locale: Option<&str>,
        client: Client,
    ) -> Result<Resent, ServiceError> {
        check_proof_shape(proof)?;
        let language = language(locale)?;
        let flow_id = FlowId::parse(flow_id).ok_or(ServiceError::MalformedId("flow_id"))?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        self.enter(Step::Send, ip, now)
            .inspect_err(|_| metrics::record(Metric::Refused(RefusedBy::ClientSends)))?;
        let outcome = self
            .resend_admitted(flow_id, proof, language, ip, &client.browser, now)
            .await;
        match &outcome {
            Err(ServiceError::ResendTooSoon { .. }) => {
                metrics::record(Metric::Refused(RefusedBy::ResendCooldown));
            }
            Err(ServiceError::RateLimited {
                scope: SENDS_PER_FLOW,
                ..
            }) => metrics::record(Metric::Refused(RefusedBy::FlowSends)),
            _ => {}
        }
        // Every resend that reached the store keeps its token, refused or
        // not, except a message the service failed to hand over: its
        // charges are refunded, and so is its token.
        if let Err(ServiceError::Mail(e)) = &outcome
            && e.failure() != MailFailure::Undeliverable
        {
            self.gate.give_back(Step::Send, ip);
        }
        outcome
    }

    /// The resend past the gate.
    async fn resend_admitted(
        &self,
        flow_id: FlowId,
        proof: Option<&Proof>,
        language: Option<&'static Language>,
        ip: IpAddr,
        browser: &Browser,
        now: u64,
    ) -> Result<Resent, ServiceError> {
        let current = self
            .store
            .get_flow(&flow_id)
            .await?
            .ok_or(ServiceError::UnknownFlow)?;
        self.check_resend(&current, now)?;
        let scope = format!("resend:{}", flow_id.as_str());
        let solved = self.solved(proof, &current.email, &scope, now);

        let code = Code::generate();
        let (code_hash, key_id) = self.hasher.hash(&flow_id, &code);
        let expires_at = now + self.policy.code_ttl.as_secs();
        let language = language.unwrap_or(current.language);
        let new = NewCode {
            code_hash: code_hash.clone(),
            key_id,
            sent_at: now,
            expires_at,
            ttl: self.policy.gc_at(expires_at),
            language,
        };
        let guard = ResendGuard {
            now,
            current: &current.code_hash,
            cooldown_secs: self.policy.resend_cooldown.as_secs(),
            max_sends: self.policy.max_sends_per_flow,
            max_attempts: self.policy.max_attempts,
        };
        let owner = self.owner(browser, &current.email, now).await;
        let admission =
            self.limiter
                .send_admission(&current.email, ip, now, solved.as_ref(), owner.as_deref());
        let (replaced, app) = tokio::join!(
            self.store
                .replace_code(&flow_id, &new, guard, &admission.admission),
            self.app_of(current.sign_in.as_ref()),
        );
        match replaced? {
            Replaced::Done => {}
            Replaced::Refused(record) => {
                // Another request changed the flow since we read it.
                let record = record.ok_or(ServiceError::UnknownFlow)?;
                self.check_resend(&record, now)?;
                return Err(ServiceError::ResendTooSoon {
                    retry_after: record.resend_in(now, &self.policy).max(1),
                });
            }
            Replaced::OverBudget(refusal) => {
                return Err(self.over_budget(&admission, refusal, ip, &current.email, &scope, now));
            }
        }

        if let Err(mail_error) = self.deliver(&current.email, code, language, app).await {
            let ttl = self.policy.gc_at(current.expires_at);
            if let Err(e) = self.store.restore_code(&current, ttl, &code_hash).await {
                tracing::error!(error = %e, "could not restore the code after a failed resend");
            }
            self.limiter
                .refund(&*self.store, &admission, &mail_error)
                .await;
            return Err(mail_error.into());
        }
        metrics::record(Metric::CodeSent);
        tracing::info!(to = %current.email.masked(), sends = current.sends + 1, "code resent");
        Ok(Resent {
            expires_in: self.policy.code_ttl.as_secs(),
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
    }

    /// Whether `record` may get a new code at `now`.
    fn check_resend(&self, record: &FlowRecord, now: u64) -> Result<(), ServiceError> {
        match record.state(now, &self.policy) {
            FlowState::AlreadyUsed => return Err(ServiceError::AlreadyUsed),
            FlowState::Expired => return Err(ServiceError::Expired),
            FlowState::TooManyAttempts => return Err(ServiceError::TooManyAttempts),
            FlowState::Live => {}
        }
        let wait = record.resend_in(now, &self.policy);
        if wait > 0 {
            return Err(ServiceError::ResendTooSoon { retry_after: wait });
        }
        if record.sends >= self.policy.max_sends_per_flow {
            return Err(ServiceError::RateLimited {
                scope: SENDS_PER_FLOW,
                retry_after: record.expires_in(now).max(1),
            });
        }
        Ok(())
    }
}
