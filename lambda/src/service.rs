//! The three steps of a verification: send, resend, verify.
//!
//! Each step passes the in-memory gate, then checks its budgets in the same
//! conditional write as the state change they guard, and undoes its own
//! writes when the message cannot be delivered, so a failed step leaves
//! nothing half-done and consumes no budget.

mod gate;
mod limits;

use crate::domain::pow::{self, Solved};
use crate::domain::{
    Clock, Code, CodeHasher, Email, FlowId, FlowRecord, FlowState, Policy, SignInId,
};
use crate::mailer::{CodeMessage, MailError, MailFailure, Mailer};
use crate::metrics::{self, Budget as Refusing, Metric, VerifyOutcome};
use crate::settings::Limits;
use crate::store::{
    Approval, Attempt, Created, IdempotencyKey, NewCode, Replaced, ResendGuard, Store, StoreError,
};
use gate::{Busy, Gate, Step};
use limits::{Budget, Refused, SendAdmission};
use otp_api::locale::{self, Language};
use otp_api::{Challenge, MAX_CHALLENGE_LEN, MAX_REQUEST_ID_LEN, Proof};
use std::net::IpAddr;
use std::sync::Arc;

/// How long a client should wait after a dependency failed.
const UNAVAILABLE_RETRY_SECS: u64 = 2;
/// How long after its approval the right code, sent again, gets the same
/// answer: long enough for a retry after a lost answer.
pub const REPLAY_WINDOW_SECS: u64 = 120;
/// The scope of a resend past the flow's last message.
const SENDS_PER_FLOW: &str = "sends per flow";

/// Every way a step can fail; the HTTP layer maps each to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("invalid email address")]
    InvalidEmail,
    #[error("invalid request id")]
    InvalidRequestId,
    #[error("invalid proof of work")]
    InvalidProof,
    /// A `locale` that is not the tag of a supported language.
    #[error("unsupported locale")]
    InvalidLocale,
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
    #[error("proof of work required")]
    ProofRequired(Challenge),
    /// The sign-in request a step names is malformed, unknown, expired,
    /// cancelled or finished.
    #[error("sign-in request expired or unknown")]
    SignInExpired,
    /// The request carries no client address, so the per-client budgets
    /// cannot be counted: a deployment mistake, refused rather than skipped.
    #[error(
        "the client address is unknown: set OTP_CLIENT_IP_HEADER to the header a trusted proxy sets"
    )]
    ClientUnknown,
    /// The mailbox is on the suppression list (it bounced for good or its
    /// owner complained): answered like an address that does not receive mail.
    #[error("address suppressed")]
    Suppressed,
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
            ServiceError::Mail(e) if e.failure() == MailFailure::Undeliverable => None,
            ServiceError::Store(_) | ServiceError::Mail(_) => Some(UNAVAILABLE_RETRY_SECS),
            _ => None,
        }
    }
}

/// Who is asking, as far as the transport can tell; `None` when unknown,
/// which the steps refuse ([`ServiceError::ClientUnknown`]).
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
    pub flow_id: FlowId,
    /// When the flow was approved (the first time, for a replay).
    pub approved_at: u64,
    /// The sign-in request the flow was started for: its approval completes it.
    pub sign_in: Option<SignInId>,
}

impl Approved {
    fn of(record: FlowRecord, now: u64) -> Approved {
        Approved {
            approved_at: record.used_at.unwrap_or(now),
            email: record.email,
            flow_id: record.id,
            sign_in: record.sign_in,
        }
    }
}

/// The ports and rules a step needs; built once at start, shared by all requests.
pub struct Service {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    clock: Arc<dyn Clock>,
    hasher: CodeHasher,
    policy: Policy,
    budget: Budget,
    gate: Gate,
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
        let gate = Gate::new(
            limits.sends_per_ip_per_hour,
            limits.verifies_per_ip_per_hour,
        );
        let budget = Budget::new(limits, hasher.clone());
        Service {
            store,
            mailer,
            clock,
            hasher,
            policy,
            budget,
            gate,
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Starts a flow: a new code to `email`. A repeated `request_id` for the
    /// same address returns the flow it started and sends nothing. `proof`
    /// is a solved challenge, needed once the address's free budget is spent.
    /// `sign_in` binds the flow to an app's sign-in request, which its
    /// approval completes; the service keeps it and hands it back, nothing more.
    /// `locale` is the language of the message and of the flow's resends
    /// (the policy's default when absent).
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn send(
        &self,
        email: &str,
        request_id: Option<&str>,
        proof: Option<&Proof>,
        sign_in: Option<&str>,
        locale: Option<&str>,
        client: Client,
    ) -> Result<Sent, ServiceError> {
        let email = Email::parse(email).map_err(|_| ServiceError::InvalidEmail)?;
        let language = language(locale)?.unwrap_or(self.policy.default_language);
        let sign_in = sign_in
            .map(|id| SignInId::parse(id).ok_or(ServiceError::SignInExpired))
            .transpose()?;
        if let Some(id) = request_id {
            let printable = id.bytes().all(|b| b.is_ascii_graphic());
            if id.is_empty() || id.len() > MAX_REQUEST_ID_LEN || !printable {
                return Err(ServiceError::InvalidRequestId);
            }
        }
        check_proof_shape(proof)?;
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        let expires_at = now + self.policy.code_ttl.as_secs();
        let ttl = self.policy.gc_at(expires_at);
        let idempotency = request_id.map(|id| IdempotencyKey {
            key: self
                .hasher
                .subject("idem", &format!("{}\0{id}", email.budget_key())),
            expires_at,
            ttl,
        });
        if let Err(closed) = self.enter(Step::Send, ip, now) {
            // A repeat of a send that went through is answered with its
            // flow even by a client the gate now refuses: a read, no write.
            if let Some(existing) = self.first_flow_of(idempotency.as_ref(), now).await {
                return self.repeated(existing, now).await;
            }
            metrics::record(Metric::Refused(Refusing::ClientSends));
            return Err(closed);
        }
        let scope = format!("send:{}", request_id.unwrap_or_default());
        let solved = self.solved(proof, &email, &scope, now);

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
            sign_in,
            language,
        };
        let admission = self.budget.send_admission(&email, ip, now, solved.as_ref());
        let created = self
            .store
            .create_flow(&flow, ttl, idempotency.as_ref(), &admission.admission)
            .await?;
        // The gate counts what the store counts: a request the store did not
        // charge gives its token back.
        if created != Created::New {
            self.gate.give_back(Step::Send, ip);
        }
        match created {
            Created::New => {}
            Created::Existing(existing) => return self.repeated(existing, now).await,
            Created::Refused(refusal) => {
                // A repeat of a send that went through before the budget ran
                // out is answered with its flow, not refused.
                if let Some(existing) = self.first_flow_of(idempotency.as_ref(), now).await {
                    return self.repeated(existing, now).await;
                }
                return Err(self.over_budget(&admission, refusal, ip, &email, &scope, now));
            }
        }
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));

        if let Err(mail_error) = self.deliver(&email, code, language).await {
            // Undo: the person got nothing, so nothing may count against them.
            let cleanup = self
                .store
                .delete_flow(&flow_id, &code_hash, idempotency.as_ref())
                .await;
            if let Err(e) = cleanup {
                tracing::error!(error = %e, "could not remove a flow whose message failed");
            }
            if self
                .budget
                .refund(&*self.store, &admission, &mail_error)
                .await
            {
                self.gate.give_back(Step::Send, ip);
            }
            return Err(mail_error.into());
        }
        metrics::record(Metric::CodeSent);
        tracing::info!(to = %email.masked(), proof = solved.is_some(), "code sent");
        Ok(Sent {
            flow_id,
            expires_in: self.policy.code_ttl.as_secs(),
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
    }

    /// Passes the in-memory gate for `step`, or answers as the budget would.
    fn enter(&self, step: Step, ip: IpAddr, now: u64) -> Result<Busy, ServiceError> {
        self.gate.enter(step, ip, now).map_err(|closed| {
            tracing::info!(?step, "client refused in memory");
            ServiceError::RateLimited {
                scope: "client",
                retry_after: closed.retry_after,
            }
        })
    }

    /// A checked proof, or `None` when there is none or it does not check
    /// out (then the request is treated as carrying none, and if it needs
    /// one it gets a fresh challenge).
    fn solved(
        &self,
        proof: Option<&Proof>,
        email: &Email,
        scope: &str,
        now: u64,
    ) -> Option<Solved> {
        let proof = proof?;
        pow::check(&self.hasher, proof, email, scope, now)
            .inspect_err(|e| tracing::info!(reason = %e, "proof of work not accepted"))
            .ok()
    }

    /// The answer to a refused admission: a challenge when a proof of work
    /// would let the message through, a rate limit otherwise.
    fn over_budget(
        &self,
        admission: &SendAdmission,
        refusal: crate::store::Refusal,
        ip: IpAddr,
        email: &Email,
        scope: &str,
        now: u64,
    ) -> ServiceError {
        metrics::record(Metric::Refused(
            self.budget.refused_budget(admission, &refusal),
        ));
        match self.budget.refused(admission, refusal) {
            Refused::Client { retry_after } => {
                self.gate.close(Step::Send, ip, now + retry_after);
                ServiceError::RateLimited {
                    scope: "sends per client",
                    retry_after,
                }
            }
            Refused::Address => ServiceError::RateLimited {
                scope: "address",
                retry_after: limits::ADDRESS_RETRY_AFTER,
            },
            Refused::Suppressed => {
                tracing::info!(to = %email.masked(), "address suppressed: nothing sent");
                ServiceError::Suppressed
            }
            Refused::NeedsProof { difficulty } => {
                tracing::info!(difficulty, "proof of work asked for");
                ServiceError::ProofRequired(pow::issue(&self.hasher, email, scope, difficulty, now))
            }
        }
    }

    /// The live flow a send's idempotency key already started, if any: a
    /// read, asked only of a send about to be refused.
    async fn first_flow_of(&self, key: Option<&IdempotencyKey>, now: u64) -> Option<FlowId> {
        match self.store.key_holder(key?, now).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(error = %e, "could not look up a repeated send");
                None
            }
        }
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
        let flow_id = FlowId::parse(flow_id).ok_or(ServiceError::UnknownFlow)?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        self.enter(Step::Send, ip, now)
            .inspect_err(|_| metrics::record(Metric::Refused(Refusing::ClientSends)))?;
        let outcome = self
            .resend_admitted(flow_id, proof, language, ip, now)
            .await;
        match &outcome {
            Err(ServiceError::ResendTooSoon { .. }) => {
                metrics::record(Metric::Refused(Refusing::ResendCooldown));
            }
            Err(ServiceError::RateLimited {
                scope: SENDS_PER_FLOW,
                ..
            }) => metrics::record(Metric::Refused(Refusing::FlowSends)),
            _ => {}
        }
        // The gate counts what the store counts: only a message sent (or
        // undeliverable) keeps its token.
        let charged = match &outcome {
            Ok(_) => true,
            Err(ServiceError::Mail(e)) => e.failure() == MailFailure::Undeliverable,
            Err(_) => false,
        };
        if !charged {
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
        let admission = self
            .budget
            .send_admission(&current.email, ip, now, solved.as_ref());
        match self
            .store
            .replace_code(&flow_id, &new, guard, &admission.admission)
            .await?
        {
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

        if let Err(mail_error) = self.deliver(&current.email, code, language).await {
            let ttl = self.policy.gc_at(current.expires_at);
            if let Err(e) = self.store.restore_code(&current, ttl, &code_hash).await {
                tracing::error!(error = %e, "could not restore the code after a failed resend");
            }
            self.budget
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

    /// Checks `code` against the flow. The try is counted before the code
    /// is compared — the count is what returns the code's hash — so at most
    /// `max_attempts` codes are ever compared against a flow, however many
    /// arrive at once; approving is a second conditional write that exactly
    /// one request wins, so an approving verify is two writes in sequence.
    /// The right code sent again within [`REPLAY_WINDOW_SECS`] of the
    /// approval (a retry after a lost answer) is counted like any try and
    /// answered as the first time. Every verify that approves nothing is
    /// charged to the client's hourly budget, after the fact for a client in
    /// good standing, before its try for one that has used half its bucket.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn verify(
        &self,
        flow_id: &str,
        code: &str,
        client: Client,
    ) -> Result<Approved, ServiceError> {
        let code = Code::parse(code).ok_or(ServiceError::InvalidCodeFormat)?;
        let flow_id = FlowId::parse(flow_id).ok_or_else(|| {
            metrics::record(Metric::Verify(VerifyOutcome::UnknownFlow));
            ServiceError::UnknownFlow
        })?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        let Busy(busy) = self
            .enter(Step::Verify, ip, now)
            .inspect_err(|_| metrics::record(Metric::Refused(Refusing::ClientVerifies)))?;
        if busy {
            // A client that has used half its bucket here reads its budget
            // before its try is counted: over it, the refusal writes nothing.
            if let Some(retry_after) = self.budget.verify_spent(&*self.store, ip, now).await? {
                metrics::record(Metric::Refused(Refusing::ClientVerifies));
                self.gate.close(Step::Verify, ip, now + retry_after);
                return Err(ServiceError::RateLimited {
                    scope: "verifies per client",
                    retry_after,
                });
            }
        }

        let attempt = self
            .store
            .count_attempt(
                &flow_id,
                now,
                self.policy.max_attempts,
                now.saturating_sub(REPLAY_WINDOW_SECS),
            )
            .await?;
        let record = match attempt {
            Attempt::Counted(record) => record,
            Attempt::Refused(record) => {
                let refusal = self.refusal(record, now);
                return Err(self.not_approved(ip, now, refusal).await);
            }
        };

        let candidates = self.hasher.candidates(&flow_id, &code);
        // The one comparison of this try, in constant time.
        let right = record.code_hash.is_one_of(&candidates);
        if record.used_at.is_some() {
            // A try at a flow approved within the replay window.
            if right {
                metrics::record(Metric::Verify(VerifyOutcome::Replayed));
                tracing::info!("right code sent again: answered as before");
                self.gate.give_back(Step::Verify, ip);
                return Ok(Approved::of(record, now));
            }
            return Err(self.not_approved(ip, now, ServiceError::AlreadyUsed).await);
        }
        if right {
            // A right code is not charged to the client's budget of tries:
            // only someone with the message has it, one per flow.
            return match self.store.approve(&flow_id, now, &record.code_hash).await? {
                Approval::Approved(record) => {
                    metrics::record(Metric::Verify(VerifyOutcome::Approved));
                    tracing::info!(to = %record.email.masked(), "approved");
                    self.gate.give_back(Step::Verify, ip);
                    Ok(Approved::of(record, now))
                }
                // Another request with the same code won meanwhile: the
                // same answer, as for a retry.
                Approval::Refused(Some(now_record))
                    if now_record.used_at.is_some() && now_record.code_hash == record.code_hash =>
                {
                    metrics::record(Metric::Verify(VerifyOutcome::Replayed));
                    self.gate.give_back(Step::Verify, ip);
                    Ok(Approved::of(now_record, now))
                }
                // A resend replaced the code after this try was counted.
                Approval::Refused(Some(now_record))
                    if now_record.state(now, &self.policy) == FlowState::Live =>
                {
                    let wrong = ServiceError::WrongCode {
                        attempts_left: now_record.attempts_left(&self.policy),
                    };
                    Err(self.not_approved(ip, now, wrong).await)
                }
                Approval::Refused(other) => {
                    let refusal = self.refusal(other, now);
                    Err(self.not_approved(ip, now, refusal).await)
                }
            };
        }

        let attempts_left = record.attempts_left(&self.policy);
        let wrong = ServiceError::WrongCode { attempts_left };
        let ((), answer) = tokio::join!(
            self.budget.charge_failure(&*self.store, &record.email, now),
            self.not_approved(ip, now, wrong),
        );
        tracing::info!(attempts_left, "wrong code");
        Err(answer)
    }

    /// Charges a verify that approved nothing to the client's budget, and
    /// says what to answer: `answer`, or over the budget a rate limit that
    /// hides it (and closes the gate for the rest of the window), or a 503
    /// when the budget cannot be counted.
    async fn not_approved(&self, ip: IpAddr, now: u64, answer: ServiceError) -> ServiceError {
        if let Some(outcome) = verify_outcome(&answer) {
            metrics::record(Metric::Verify(outcome));
        }
        match self.budget.charge_verify(&*self.store, ip, now).await {
            Ok(()) => answer,
            Err(limited @ ServiceError::RateLimited { retry_after, .. }) => {
                metrics::record(Metric::Refused(Refusing::ClientVerifies));
                self.gate.close(Step::Verify, ip, now + retry_after);
                limited
            }
            Err(e) => e,
        }
    }

    async fn deliver(
        &self,
        to: &Email,
        code: Code,
        language: &'static Language,
    ) -> Result<(), MailError> {
        let message = CodeMessage {
            to: to.clone(),
            code,
            expires_in_minutes: self.policy.code_ttl.as_secs().div_ceil(60),
            language,
        };
        // The SMTP mailer logs each failure at the level it deserves (an
        // error for the operator's, info for a refused address).
        self.mailer.send_code(&message).await.inspect_err(|e| {
            metrics::record(Metric::DeliveryFailed(e.failure()));
            tracing::debug!(error = %e, failure = ?e.failure(), "mail delivery failed");
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
                scope: SENDS_PER_FLOW,
                retry_after: record.expires_in(now).max(1),
            });
        }
        Ok(())
    }
}

/// How a verify that reached its flow and approved nothing ended.
fn verify_outcome(answer: &ServiceError) -> Option<VerifyOutcome> {
    Some(match answer {
        ServiceError::WrongCode { .. } => VerifyOutcome::Wrong,
        ServiceError::Expired => VerifyOutcome::Expired,
        ServiceError::TooManyAttempts => VerifyOutcome::TooManyAttempts,
        ServiceError::AlreadyUsed => VerifyOutcome::AlreadyUsed,
        ServiceError::UnknownFlow => VerifyOutcome::UnknownFlow,
        _ => return None,
    })
}

/// The supported language a request's `locale` names exactly (ASCII case
/// aside), `None` when it names none.
fn language(locale: Option<&str>) -> Result<Option<&'static Language>, ServiceError> {
    locale
        .map(|tag| locale::exact(tag).ok_or(ServiceError::InvalidLocale))
        .transpose()
}

/// A proof whose challenge could not have come from this service is a
/// malformed request, not a reason to ask for work.
fn check_proof_shape(proof: Option<&Proof>) -> Result<(), ServiceError> {
    match proof {
        // Characters, as JSON Schema counts `maxLength`, not bytes.
        Some(p) if p.challenge.is_empty() || p.challenge.chars().count() > MAX_CHALLENGE_LEN => {
            Err(ServiceError::InvalidProof)
        }
        _ => Ok(()),
    }
}

/// The budget subject of a client: the address for IPv4, the /64 prefix for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn ip_subject(ip: IpAddr) -> String {
    ip_subject_of(ip)
}

fn ip_subject_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests;
