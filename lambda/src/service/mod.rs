//! The three steps of a verification, one file each: [`Service::send`]
//! (`send.rs`), [`Service::resend`] (`resend.rs`), [`Service::verify`]
//! (`verify.rs`); what they share is here.
//!
//! Each step passes the in-memory gate ([`crate::gate`]), then checks its budgets
//! (`limits/`) in the same conditional write as the state change they
//! guard, and undoes its own writes when the message cannot be delivered,
//! so a failed step leaves nothing half-done and consumes no budget.
//!
//! A new message (a send or a resend) first reads the address's flows of
//! the last days, to sum its failures into lockouts (`limits/lockout.rs`),
//! then makes the one write that admits it. A read that a try overtook (a
//! flow's tries changed before the write, where that could start a lockout)
//! writes nothing and is read again. In sequence, each a round trip:
//!
//! | step | reads | the write | write units |
//! |---|---|---|---|
//! | send | the address's send counters of three days (3 units); the flows they list, if any (1 each) | one `TransactWriteItems`: the flow, its idempotency key, three budgets, the suppression check (and a spent proof, and a check per live flow while a lockout is within reach) | 12 (+2 per further item) |
//! | resend | the flow (1); the counters and their flows, this one among them | one `TransactWriteItems`: the flow's message, three budgets, the suppression check (and the same extras) | 10 (+2 per further item) |
//! | send or resend held by a lockout | the same; then the items of the other checks, to name the refusal | none | 0 |
//!
//! What a verify writes is in `verify.rs`.

mod limits;
mod resend;
mod send;
mod verify;

pub use limits::Limits;
pub use send::SendInput;
pub use verify::REPLAY_WINDOW_SECS;

use crate::domain::pow::{self, Solved};
use crate::domain::{Clock, Code, CodeHasher, Email, FlowId, FlowRecord, Policy, SignInId};
use crate::gate::{Busy, Gate, Step};
use crate::mailer::{CodeMessage, MailError, MailFailure, Mailer};
use crate::metrics::{self, Metric};
use crate::session::{self, Browser};
use crate::store::{Refusal, Store, StoreError};
use async_trait::async_trait;
use limits::{Limiter, Message, Refused, SendAdmission};
use otp_api::locale::{self, Language};
use otp_api::{Challenge, MAX_CHALLENGE_LEN, Proof};
use std::net::IpAddr;
use std::sync::Arc;

/// How long a client should wait after a dependency failed.
const UNAVAILABLE_RETRY_SECS: u64 = 2;
/// Reads of the address's flows a new message makes before it gives up
/// (503): each read again means a try was counted on one of its live flows
/// meanwhile, and a flow takes at most `max_attempts` tries.
const ADMISSION_READS: usize = 4;

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
    /// An id (`flow_id`, `sign_in`) that is not of the form the service
    /// makes: a malformed request, not an unknown one.
    #[error("malformed {0}")]
    MalformedId(&'static str),
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
    /// The sign-in request a step names is unknown, expired, cancelled or
    /// finished.
    #[error("sign-in request expired or unknown")]
    SignInExpired,
    /// The browser has no live session, or its session may not finish this
    /// sign-in (the app asked for a new code or another person).
    #[error("a session that may finish the sign-in is required")]
    SessionRequired,
    /// The logout request is malformed, unknown, used or expired.
    #[error("logout request expired or unknown")]
    LogoutExpired,
    /// The issuer is on an IP address, which WebAuthn refuses as a
    /// relying-party id: this deployment has no passkeys.
    #[error("passkeys are not available at this issuer")]
    PasskeysUnavailable,
    /// The passkey ceremony is unknown, answered already, expired, or not
    /// for this step (or this session).
    #[error("passkey ceremony over")]
    CeremonyExpired,
    /// The browser's WebAuthn answer is not the JSON of a credential.
    #[error("malformed WebAuthn credential")]
    MalformedCredential,
    /// A passkey's name is empty, too long or has control characters.
    #[error("invalid passkey name")]
    InvalidPasskeyName,
    /// The answer does not verify; the sentence says why.
    #[error("passkey refused: {0}")]
    PasskeyRefused(&'static str),
    /// No registered passkey has the answer's credential id and user handle.
    #[error("unknown passkey")]
    UnknownPasskey,
    /// A fault of ours that is not a dependency's.
    #[error("internal: {0}")]
    Internal(String),
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
    /// Whether this is a passkey answer the client got wrong, which its
    /// failure budgets count (not a budget's refusal, not our fault).
    pub fn is_failed_answer(&self) -> bool {
        matches!(
            self,
            ServiceError::CeremonyExpired
                | ServiceError::MalformedCredential
                | ServiceError::MalformedId(_)
                | ServiceError::PasskeyRefused(_)
                | ServiceError::UnknownPasskey
        )
    }

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

/// Who is asking, as far as the transport can tell: its address (`None`
/// when unknown, which the steps refuse, [`ServiceError::ClientUnknown`]),
/// and what its browser's cookies say about its owner (see [`limits`]: a
/// device that proved an address is counted against its own budget).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub browser: Browser,
}

impl Client {
    /// A client at `ip` whose browser sent no cookie of ours.
    pub const fn at(ip: Option<IpAddr>) -> Client {
        Client {
            ip,
            browser: Browser {
                session: None,
                device: None,
            },
        }
    }
}

/// The name of the app a sign-in request is for, so that the code mail of
/// a sign-in names it ("your code for Example Shop") and a person sent a
/// code they did not ask for can tell where it would go.
#[async_trait]
pub trait AppNames: Send + Sync {
    /// `None` when the request is unknown or its app is no longer registered.
    async fn app_name(&self, sign_in: &SignInId) -> Option<String>;
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
    limiter: Limiter,
    gate: Arc<Gate>,
    app_names: Option<Arc<dyn AppNames>>,
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
        let gate = Arc::new(Gate::new(|step| limits.per_client_per_hour(step)));
        let limiter = Limiter::new(limits, hasher.clone(), policy.max_attempts);
        Service {
            store,
            mailer,
            clock,
            hasher,
            policy,
            limiter,
            gate,
            app_names: None,
        }
    }

    /// Names the app of a sign-in in its code mails.
    pub fn with_app_names(mut self, app_names: Arc<dyn AppNames>) -> Service {
        self.app_names = Some(app_names);
        self
    }

    /// The app a flow's sign-in is for, if it has one and it can be named;
    /// a read, asked beside the write that admits the message.
    async fn app_of(&self, sign_in: Option<&SignInId>) -> Option<String> {
        let (names, sign_in) = (self.app_names.as_ref()?, sign_in?);
        names.app_name(sign_in).await
    }

    /// The owner's own budget subject for a message to `email`, if `browser`
    /// proved the address's identity: a mark of its device cookie within its
    /// 30 days, or else its live session of that identity (one read). A
    /// session the store cannot confirm is no proof: the message is then
    /// counted against the address's budgets, the safe side.
    async fn owner(&self, browser: &Browser, email: &Email, now: u64) -> Option<String> {
        let marked = browser.device.as_ref();
        if let Some(owner) = marked.and_then(|m| m.owner(&self.hasher, email, now)) {
            return Some(owner);
        }
        let cookie = browser.session.as_ref()?;
        let stored = match self.store.get_session(&cookie.id).await {
            Ok(stored) => stored?,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the sender's session");
                return None;
            }
        };
        (session::holds(&stored, cookie, now) && stored.email == email.as_str())
            .then(|| format!("session:{}", stored.id.as_str()))
    }
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The gate, which the provider's endpoints pass too: one table of
    /// buckets for every step.
    pub fn gate(&self) -> Arc<Gate> {
        self.gate.clone()
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

    /// The admission of `message`, with the address's flows read for its
    /// lockouts ([`Store::listed_flows`]).
    async fn admission(&self, message: Message<'_>) -> Result<SendAdmission, ServiceError> {
        let lists = self.limiter.flow_lists(message.email, message.now);
        let flows = self.store.listed_flows(&lists).await?;
        Ok(self.limiter.send_admission(message, &flows))
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
        refusal: Refusal,
        ip: IpAddr,
        email: &Email,
        scope: &str,
        now: u64,
    ) -> ServiceError {
        metrics::record(Metric::Refused(
            self.limiter.refused_budget(admission, &refusal),
        ));
        if let Refusal::Locked { n, .. } = refusal {
            metrics::record(Metric::LockedOut);
            tracing::info!(to = %email.masked(), lockout = n, "address locked out: a proof of work asked for");
        }
        match self.limiter.refused(admission, refusal) {
            Refused::Client { retry_after } => {
                self.gate.close(Step::Send, ip, now + retry_after);
                ServiceError::RateLimited {
                    scope: "sends per client",
                    retry_after,
                }
            }
            Refused::Device { retry_after } => ServiceError::RateLimited {
                scope: "sends per device",
                retry_after,
            },
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

    /// Mails `code`, which expires `expires_in` seconds from now.
    async fn deliver(
        &self,
        to: &Email,
        code: Code,
        expires_in: u64,
        language: &'static Language,
        app: Option<String>,
    ) -> Result<(), MailError> {
        let message = CodeMessage {
            to: to.clone(),
            code,
            expires_in_minutes: expires_in.div_ceil(60),
            language,
            app,
        };
        // The SMTP mailer logs each failure at the level it deserves (an
        // error for the operator's, info for a refused address).
        self.mailer.send_code(&message).await.inspect_err(|e| {
            metrics::record(Metric::DeliveryFailed(e.failure()));
            tracing::debug!(error = %e, failure = ?e.failure(), "mail delivery failed");
        })
    }
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

#[cfg(test)]
mod tests;
