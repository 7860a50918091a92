//! Another message for a flow: the same code again while it lives, a fresh
//! one once it has expired.
//!
//! Mail arrives late and out of order. A person who asked again and then
//! types the code of the first message (the one that arrived) must not be
//! told it is wrong, so a resend mails the flow's own code again, recovered
//! from its seal, and keeps its expiry, as Twilio Verify does. Once the
//! code has expired, a resend (while the flow is kept, `ttl_grace` after
//! its expiry) mails a fresh code with a fresh expiry; the codes before it
//! had expired anyway. Tries are never given back: a flow whose tries are
//! spent, or that is approved, gets no message, and no expiry revives its
//! tries. Every resend waits for the cooldown, counts against the flow's
//! sends, and is a new message for the address's budgets and lockouts. A
//! code that cannot be recovered (sealed under a key no longer configured,
//! or stored before codes were sealed) is replaced by a fresh one, as after
//! its expiry.

use super::{
    ADMISSION_READS, Client, Message, Resent, Service, ServiceError, check_proof_shape, language,
};
use crate::domain::{Code, FlowId, FlowRecord, FlowState};
use crate::gate::Step;
use crate::mailer::MailFailure;
use crate::metrics::{self, Metric, RefusedBy};
use crate::session::Browser;
use crate::store::{FreshCode, NewMessage, ResendGuard, ResendOutcome, StoreError};
use otp_api::Proof;
use otp_api::locale::Language;
use std::net::IpAddr;

/// The scope of a resend past the flow's last message.
const SENDS_PER_FLOW: &str = "sends per flow";

impl Service {
    /// Sends the flow's code again, or a fresh one if it expired (see the
    /// module). It is written in `locale`, which becomes the flow's
    /// language, or without one in the flow's language.
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
        let scope = format!("resend:{}", flow_id.as_str());
        let mut reads = 0;
        let (current, code, message, admission, app) = loop {
            let current = self
                .store
                .get_flow(&flow_id)
                .await?
                .ok_or(ServiceError::UnknownFlow)?;
            let expired_after = self.check_resend(&current, now)?;
            let solved = self.solved(proof, &current.email, &scope, now);
            let (code, message) = self.message(&current, expired_after, language, now);
            let guard = ResendGuard {
                now,
                current: &current.code_hash,
                expired_after,
                cooldown_secs: self.policy.resend_cooldown.as_secs(),
                max_sends: self.policy.max_sends_per_flow,
                max_attempts: self.policy.max_attempts,
            };
            let (owner, app) = tokio::join!(
                self.owner(browser, &current.email, now),
                self.app_of(current.sign_in.as_ref()),
            );
            let asked = Message {
                email: &current.email,
                ip,
                now,
                proof: solved.as_ref(),
                flow: &flow_id,
                owner: owner.as_deref(),
            };
            let admission = self.admission(asked).await?;
            match (self.store)
                .resend_code(&flow_id, &message, guard, &admission.admission)
                .await?
            {
                ResendOutcome::Done => break (current, code, message, admission, app),
                ResendOutcome::Stale if reads + 1 < ADMISSION_READS => reads += 1,
                ResendOutcome::Stale => {
                    return Err(StoreError::new("the address's tries kept changing").into());
                }
                ResendOutcome::Refused(record) => {
                    // Another request changed the flow since we read it.
                    let record = record.ok_or(ServiceError::UnknownFlow)?;
                    self.check_resend(&record, now)?;
                    return Err(ServiceError::ResendTooSoon {
                        retry_after: record.resend_in(now, &self.policy).max(1),
                    });
                }
                ResendOutcome::OverBudget(refusal) => {
                    let email = &current.email;
                    return Err(self.over_budget(&admission, refusal, ip, email, &scope, now));
                }
            }
        };

        let expires_at = message
            .fresh
            .as_ref()
            .map_or(current.expires_at, |f| f.expires_at);
        let expires_in = expires_at.saturating_sub(now);
        if let Err(mail_error) = self
            .deliver(&current.email, code, expires_in, message.language, app)
            .await
        {
            let ttl = self.policy.flow_gc_at(current.expires_at);
            let sent_hash = message
                .fresh
                .as_ref()
                .map_or(&current.code_hash, |f| &f.code_hash);
            if let Err(e) = self.store.restore_code(&current, ttl, sent_hash).await {
                tracing::error!(error = %e, "could not restore the flow after a failed resend");
            }
            self.limiter
                .refund(&*self.store, &admission, &mail_error)
                .await;
            return Err(mail_error.into());
        }
        metrics::record(Metric::CodeSent);
        let fresh = message.fresh.is_some();
        tracing::info!(to = %current.email.masked(), sends = current.sends + 1, fresh, "code resent");
        Ok(Resent {
            expires_in,
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
    }

    /// The message a resend of `current` sends: its own code again while it
    /// lives (`expired_after` is `None`) and can be recovered, a fresh one
    /// with a fresh expiry otherwise.
    fn message(
        &self,
        current: &FlowRecord,
        expired_after: Option<u64>,
        language: Option<&'static Language>,
        now: u64,
    ) -> (Code, NewMessage) {
        let language = language.unwrap_or(current.language);
        let recovered = (current.sealed_code.as_ref())
            .filter(|_| expired_after.is_none())
            .and_then(|sealed| self.hasher.open(&current.id, &current.key_id, sealed));
        if let Some(code) = recovered {
            let message = NewMessage {
                sent_at: now,
                language,
                fresh: None,
            };
            return (code, message);
        }
        let code = Code::generate();
        let (code_hash, key_id) = self.hasher.hash(&current.id, &code);
        let expires_at = now + self.policy.code_ttl.as_secs();
        let fresh = FreshCode {
            code_hash,
            sealed_code: self.hasher.seal(&current.id, &code),
            key_id,
            expires_at,
            ttl: self.policy.flow_gc_at(expires_at),
        };
        let message = NewMessage {
            sent_at: now,
            language,
            fresh: Some(fresh),
        };
        (code, message)
    }

    /// Whether `record` may get another message at `now`: `None` if its
    /// code is live, `Some(since)` if it expired after `since` (the oldest
    /// expiry a flow still gets a fresh code for).
    fn check_resend(&self, record: &FlowRecord, now: u64) -> Result<Option<u64>, ServiceError> {
        let since = now.saturating_sub(self.policy.ttl_grace.as_secs());
        let expired_after = match record.state(now, &self.policy) {
            FlowState::AlreadyUsed => return Err(ServiceError::AlreadyUsed),
            FlowState::TooManyAttempts => return Err(ServiceError::TooManyAttempts),
            FlowState::Expired if record.attempts >= self.policy.max_attempts => {
                return Err(ServiceError::TooManyAttempts);
            }
            FlowState::Expired if record.expires_at <= since => return Err(ServiceError::Expired),
            FlowState::Expired => Some(since),
            FlowState::Live => None,
        };
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
        Ok(expired_after)
    }
}
