//! The three steps of a verification: send, resend, verify.
//!
//! Each step checks the budgets, applies one conditional write per state
//! change, and undoes its own writes when the message cannot be delivered, so
//! a failed step leaves nothing half-done and consumes no budget.

mod limits;

use crate::domain::{Clock, Code, CodeHasher, Email, FlowId, FlowRecord, FlowState, Policy};
use crate::mailer::{CodeMessage, MailError, Mailer};
use crate::settings::Limits;
use crate::store::{
    Approval, Attempt, Created, IdempotencyKey, NewCode, Replaced, ResendGuard, Store, StoreError,
};
use limits::Budget;
use otp_api::MAX_REQUEST_ID_LEN;
use std::net::IpAddr;
use std::sync::Arc;

/// How long a client should wait after a dependency failed.
const UNAVAILABLE_RETRY_SECS: u64 = 2;

/// Every way a step can fail; the HTTP layer maps each to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid email address")]
    InvalidEmail,
    #[error("invalid request id")]
    InvalidRequestId,
    #[error("invalid code format")]
    InvalidCodeFormat,
    #[error("unknown flow")]
    UnknownFlow,
    #[error("expired")]
    Expired,
    #[error("already used")]
    AlreadyUsed,
    #[error("wrong code, {attempts_left} attempts left")]
    WrongCode { attempts_left: u32 },
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("resend too soon, retry after {retry_after}s")]
    ResendTooSoon { retry_after: u64 },
    #[error("rate limited ({scope}), retry after {retry_after}s")]
    RateLimited {
        scope: &'static str,
        retry_after: u64,
    },
    #[error("store unavailable")]
    Store(#[from] StoreError),
    #[error("mail unavailable")]
    Mail(#[from] MailError),
}

impl ServiceError {
    /// Seconds a client should wait before retrying, if it makes sense to retry.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            ServiceError::ResendTooSoon { retry_after }
            | ServiceError::RateLimited { retry_after, .. } => Some(*retry_after),
            ServiceError::Store(_) | ServiceError::Mail(_) => Some(UNAVAILABLE_RETRY_SECS),
            _ => None,
        }
    }
}

/// Who is asking, as far as the transport can tell; `None` when unknown
/// (then only the per-address budgets apply).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub flow_id: FlowId,
    pub expires_in: u64,
    pub resend_in: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resent {
    pub expires_in: u64,
    pub resend_in: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approved {
    pub email: Email,
}

/// The ports and rules a step needs; built once at start, shared by all requests.
pub struct Service {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    hasher: CodeHasher,
    policy: Policy,
    budget: Budget,
}

impl Service {
    pub fn new(
        store: Arc<dyn Store>,
        mailer: Arc<dyn Mailer>,
        clock: Arc<dyn Clock>,
        hasher: CodeHasher,
        policy: Policy,
        limits: Limits,
    ) -> Service {
        let budget = Budget::new(limits, hasher.clone());
        Service {
            store,
            mailer,
            clock,
            hasher,
            policy,
            budget,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Starts a flow: a new code to `email`. A repeated `request_id` for the
    /// same address returns the flow it started and sends nothing.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn send(
        &self,
        email: &str,
        request_id: Option<&str>,
        client: Client,
    ) -> Result<Sent, ServiceError> {
        let email = Email::parse(email).map_err(|_| ServiceError::InvalidEmail)?;
        if let Some(id) = request_id {
            let printable = id.bytes().all(|b| b.is_ascii_graphic());
            if id.is_empty() || id.len() > MAX_REQUEST_ID_LEN || !printable {
                return Err(ServiceError::InvalidRequestId);
            }
        }
        let now = self.clock.now();
        let expires_at = now + self.policy.code_ttl.as_secs();
        let ttl = self.policy.gc_at(expires_at);
        let idempotency = request_id.map(|id| IdempotencyKey {
            key: self
                .hasher
                .subject("idem", &format!("{}\0{id}", email.as_str())),
            expires_at,
            ttl,
        });
        let charge = match self
            .budget
            .charge_send(&*self.store, &email, client, now)
            .await
        {
            Ok(charge) => charge,
            Err(refused @ ServiceError::RateLimited { .. }) => {
                // A repeat of a send that went through before the budget ran
                // out is answered with its flow, not refused.
                let Some(key) = &idempotency else {
                    return Err(refused);
                };
                return match self.store.key_holder(key, now).await {
                    Ok(Some(existing)) => self.repeated(existing, now).await,
                    Ok(None) => Err(refused),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not look up a repeated send");
                        Err(refused)
                    }
                };
            }
            Err(e) => return Err(e),
        };

        let flow_id = FlowId::generate();
        let code = Code::generate();
        let (code_hash, key_id) = self.hasher.hash(&flow_id, &code);
        let flow = FlowRecord {
            id: flow_id.clone(),
            email: email.clone(),
            code_hash: code_hash.clone(),
            key_id,
            attempts: 0,
            sends: 1,
            created_at: now,
            expires_at,
            last_sent_at: now,
            used_at: None,
        };

        let created = self
            .store
            .create_flow(&flow, ttl, idempotency.as_ref(), now)
            .await;
        let created = match created {
            Ok(created) => created,
            Err(e) => {
                self.budget.refund(&*self.store, charge).await;
                return Err(e.into());
            }
        };
        if let Created::Existing(existing) = created {
            self.budget.refund(&*self.store, charge).await;
            return self.repeated(existing, now).await;
        }
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));

        if let Err(mail_error) = self.deliver(&email, code).await {
            // Undo: the person got nothing, so nothing may count against them.
            let cleanup = self
                .store
                .delete_flow(&flow_id, &code_hash, idempotency.as_ref())
                .await;
            if let Err(e) = cleanup {
                tracing::error!(error = %e, "could not remove a flow whose message failed");
            }
            self.budget.refund(&*self.store, charge).await;
            return Err(mail_error.into());
        }
        tracing::info!(to = %email.masked(), "code sent");
        Ok(Sent {
            flow_id,
            expires_in: self.policy.code_ttl.as_secs(),
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
    }

    /// The answer to a send whose `request_id` already started `existing`.
    async fn repeated(&self, existing: FlowId, now: u64) -> Result<Sent, ServiceError> {
        tracing::Span::current().record("flow", tracing::field::display(&existing));
        tracing::info!("repeated send answered with its first flow");
        let record = self.store.get_flow(&existing).await?;
        let record = record.ok_or(ServiceError::UnknownFlow)?;
        Ok(Sent {
            flow_id: existing,
            expires_in: record.expires_in(now),
            resend_in: record.resend_in(now, &self.policy),
        })
    }

    /// Sends a new code for a live flow. The earlier code stops working: only
    /// a hash is stored, so the same code cannot be sent again, and the newest
    /// message is then always the one that counts. Tries already spent stay
    /// spent, and the flow's expiry restarts from this message.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn resend(&self, flow_id: &str, client: Client) -> Result<Resent, ServiceError> {
        let flow_id = FlowId::parse(flow_id).ok_or(ServiceError::UnknownFlow)?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let now = self.clock.now();
        let current = self
            .store
            .get_flow(&flow_id)
            .await?
            .ok_or(ServiceError::UnknownFlow)?;
        self.check_resend(&current, now)?;
        let charge = self
            .budget
            .charge_send(&*self.store, &current.email, client, now)
            .await?;

        let code = Code::generate();
        let (code_hash, key_id) = self.hasher.hash(&flow_id, &code);
        let expires_at = now + self.policy.code_ttl.as_secs();
        let new = NewCode {
            code_hash: code_hash.clone(),
            key_id,
            sent_at: now,
            expires_at,
            ttl: self.policy.gc_at(expires_at),
        };
        let guard = ResendGuard {
            now,
            cooldown_secs: self.policy.resend_cooldown.as_secs(),
            max_sends: self.policy.max_sends_per_flow,
            max_attempts: self.policy.max_attempts,
        };
        let previous = match self.store.replace_code(&flow_id, &new, guard).await {
            Ok(Replaced::Done(previous)) => previous,
            Ok(Replaced::Refused(record)) => {
                self.budget.refund(&*self.store, charge).await;
                // Another request changed the flow since we read it.
                let record = record.ok_or(ServiceError::UnknownFlow)?;
                self.check_resend(&record, now)?;
                return Err(ServiceError::ResendTooSoon {
                    retry_after: record.resend_in(now, &self.policy).max(1),
                });
            }
            Err(e) => {
                self.budget.refund(&*self.store, charge).await;
                return Err(e.into());
            }
        };

        if let Err(mail_error) = self.deliver(&previous.email, code).await {
            let ttl = self.policy.gc_at(previous.expires_at);
            if let Err(e) = self.store.restore_code(&previous, ttl, &code_hash).await {
                tracing::error!(error = %e, "could not restore the code after a failed resend");
            }
            self.budget.refund(&*self.store, charge).await;
            return Err(mail_error.into());
        }
        tracing::info!(to = %previous.email.masked(), sends = previous.sends + 1, "code resent");
        Ok(Resent {
            expires_in: self.policy.code_ttl.as_secs(),
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
    }

    /// Checks `code` against the flow. The attempt is counted before the
    /// comparison, so parallel guesses cannot exceed the limit, and approval
    /// is a conditional write that exactly one request wins.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn verify(
        &self,
        flow_id: &str,
        code: &str,
        client: Client,
    ) -> Result<Approved, ServiceError> {
        let code = Code::parse(code).ok_or(ServiceError::InvalidCodeFormat)?;
        let flow_id = FlowId::parse(flow_id).ok_or(ServiceError::UnknownFlow)?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let now = self.clock.now();

        // The approving path is one write: the store approves the flow only
        // if its hash is one of the code's candidates, counting the attempt.
        // The per-client budget is another item, written in parallel.
        let candidates = self.hasher.candidates(&flow_id, &code);
        let (client_budget, approval) = tokio::join!(
            self.budget.charge_verify(&*self.store, client, now),
            self.store
                .approve(&flow_id, now, self.policy.max_attempts, &candidates),
        );
        let refused = match (client_budget, approval) {
            // Over the budget, every code is refused alike. A right code has
            // been consumed by then; that keeps the verdict hidden, even from
            // the timing of the answer: knowing a used code is worth nothing.
            (Err(limited @ ServiceError::RateLimited { .. }), _) => return Err(limited),
            (budget, Ok(Approval::Approved(record))) => {
                // A budget that could not be counted does not undo an approval.
                if let Err(e) = budget {
                    tracing::warn!(error = %e, "could not count a verify against the client's budget");
                }
                tracing::info!(to = %record.email.masked(), "approved");
                return Ok(Approved {
                    email: record.email,
                });
            }
            (Err(e), _) => return Err(e),
            (Ok(()), Err(e)) => return Err(e.into()),
            (Ok(()), Ok(Approval::Refused(record))) => record,
        };
        match refused {
            Some(record) if record.state(now, &self.policy) == FlowState::Live => {}
            other => return Err(self.refusal(other, now)),
        }

        // A wrong code for a live flow: count the attempt, under the same
        // conditions, so that a flow approved, replaced or exhausted meanwhile
        // answers as it is now.
        let record = match self
            .store
            .count_attempt(&flow_id, now, self.policy.max_attempts)
            .await?
        {
            Attempt::Counted(record) => record,
            Attempt::Refused(record) => return Err(self.refusal(record, now)),
        };
        self.budget
            .charge_failure(&*self.store, &record.email, now)
            .await;
        let attempts_left = record.attempts_left(&self.policy);
        tracing::info!(attempts_left, "wrong code");
        Err(ServiceError::WrongCode { attempts_left })
    }

    async fn deliver(&self, to: &Email, code: Code) -> Result<(), MailError> {
        let message = CodeMessage {
            to: to.clone(),
            code,
            expires_in_minutes: self.policy.code_ttl.as_secs().div_ceil(60),
        };
        self.mailer.send_code(&message).await.inspect_err(|e| {
            tracing::error!(error = %e, source = ?std::error::Error::source(e), "mail delivery failed");
        })
    }

    /// Why a flow refused a verify step.
    fn refusal(&self, record: Option<FlowRecord>, now: u64) -> ServiceError {
        let Some(record) = record else {
            return ServiceError::UnknownFlow;
        };
        match record.state(now, &self.policy) {
            FlowState::AlreadyUsed => ServiceError::AlreadyUsed,
            FlowState::Expired => ServiceError::Expired,
            FlowState::TooManyAttempts => ServiceError::TooManyAttempts,
            FlowState::Live => ServiceError::WrongCode {
                attempts_left: record.attempts_left(&self.policy),
            },
        }
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
                scope: "sends per flow",
                retry_after: record.expires_in(now).max(1),
            });
        }
        Ok(())
    }
}

pub use limits::ip_subject;

#[cfg(test)]
mod tests;
