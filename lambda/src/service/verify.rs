//! Checking a code: each try counted before its one comparison, the
//! approval one conditional write that a single request wins.
//!
//! What each verify writes, and in how many round trips:
//!
//! | verify | round trip 1 | round trip 2 | write units |
//! |---|---|---|---|
//! | a wrong code | count the try (∥ lease) | – | 1 (2) |
//! | refused (expired, used, tries spent, unknown) | count (refused) (∥ lease) | – | 1 (2) |
//! | the right code | count (∥ lease) | approve | 2 (3) |
//! | the right code again after its approval | count (∥ lease) | – | 1 (2) |
//! | from a busy client over its budget | – (a read of the budget) | – | 0 |
//!
//! The count is what returns the code's hash, so no code is compared
//! before its try is counted (at most `max_attempts` compared per flow,
//! however many arrive at once); it also records when the try was counted,
//! which is all a wrong code writes towards its address's lockouts
//! (`limits/lockout.rs`). Every verify is charged to the client's budget
//! before it is known whether it approves: with a unit of this instance's
//! lease of that budget, which writes nothing, or with a new lease (the
//! bracketed write: a client's first verify of the hour here, then one per
//! lease of up to a sixteenth of the budget), which goes out beside the
//! count. So a wrong code is answered after one round trip; a right code
//! gives its unit back to the lease, in memory.

use super::{Approved, Client, Service, ServiceError};
use crate::domain::{Code, FlowId, FlowRecord, FlowState};
use crate::gate::{Busy, Step};
use crate::metrics::{self, Metric, RefusedBy, VerifyOutcome};
use crate::store::{Approval, Attempt};
use std::net::IpAddr;

/// How long after its approval the right code, sent again, gets the same
/// answer: long enough for a retry after a lost answer.
pub const REPLAY_WINDOW_SECS: u64 = 120;

impl Service {
    /// Checks `code` against the flow. The try is counted before the code
    /// is compared — the count is what returns the code's hash — so at most
    /// `max_attempts` codes are ever compared against a flow, however many
    /// arrive at once; approving is a second conditional write that exactly
    /// one request wins. The right code sent again within
    /// [`REPLAY_WINDOW_SECS`] of the approval (a retry after a lost answer)
    /// is counted like any try and answered as the first time. Every verify
    /// that approves nothing is charged to the client's hourly budget,
    /// beside its try for a client in good standing, before it (a read) for
    /// one that has used half its bucket.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn verify(
        &self,
        flow_id: &str,
        code: &str,
        client: Client,
    ) -> Result<Approved, ServiceError> {
        let code = Code::parse(code).ok_or(ServiceError::InvalidCodeFormat)?;
        let flow_id = FlowId::parse(flow_id).ok_or(ServiceError::MalformedId("flow_id"))?;
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        let Busy(busy) = self
            .enter(Step::Verify, ip, now)
            .inspect_err(|_| metrics::record(Metric::Refused(RefusedBy::ClientVerifies)))?;
        // The charge: a unit of this instance's lease of the client's
        // budget, or a new lease, written beside the try's count.
        let leased = self.limiter.take_leased_verify(ip, now);
        if busy && !leased {
            // A client that has used half its bucket here reads its budget
            // before its try is counted: over it, the refusal writes nothing.
            if let Some(retry_after) = self.limiter.verify_spent(&*self.store, ip, now).await? {
                metrics::record(Metric::Refused(RefusedBy::ClientVerifies));
                self.gate.close(Step::Verify, ip, now + retry_after);
                return Err(ServiceError::RateLimited {
                    scope: "verifies per client",
                    retry_after,
                });
            }
        }

        let (attempt, charge) = tokio::join!(
            self.store.count_attempt(
                &flow_id,
                now,
                self.policy.max_attempts,
                now.saturating_sub(REPLAY_WINDOW_SECS),
            ),
            async {
                if leased {
                    Ok(())
                } else {
                    self.limiter.lease_verify(&*self.store, ip, now).await
                }
            },
        );
        let record = match attempt? {
            Attempt::Counted(record) => record,
            Attempt::Refused(record) => {
                let refusal = self.refusal(record, now);
                return Err(self.judged(ip, now, charge, refusal));
            }
        };

        let candidates = self.hasher.candidates(&flow_id, &code);
        // The one comparison of this try, in constant time.
        if !record.code_hash.is_one_of(&candidates) {
            let answer = if record.used_at.is_some() {
                ServiceError::AlreadyUsed
            } else {
                let attempts_left = record.attempts_left(&self.policy);
                tracing::info!(attempts_left, "wrong code");
                ServiceError::WrongCode { attempts_left }
            };
            return Err(self.judged(ip, now, charge, answer));
        }
        // A right code is not charged to the client's budget of tries: only
        // someone with the message has it, one per flow. The charge landed
        // unless the store failed.
        let charged = !matches!(charge, Err(ServiceError::Store(_)));
        let give_back = async {
            if charged {
                self.limiter.refund_verify(&*self.store, ip, now).await;
            }
        };
        if record.used_at.is_some() {
            // A try at a flow approved within the replay window.
            give_back.await;
            metrics::record(Metric::Verify(VerifyOutcome::Replayed));
            tracing::info!("right code sent again: answered as before");
            self.gate.give_back(Step::Verify, ip);
            return Ok(Approved::of(record, now));
        }
        let approve = self
            .store
            .approve(&flow_id, now, &record.code_hash, record.attempts);
        let (approval, ()) = tokio::join!(approve, give_back);
        match approval? {
            Approval::Approved(record) => {
                metrics::record(Metric::Verify(VerifyOutcome::Approved));
                tracing::info!(to = %record.email.masked(), "approved");
                self.gate.give_back(Step::Verify, ip);
                Ok(Approved::of(record, now))
            }
            // Another request with the same code won meanwhile: the same
            // answer, as for a retry.
            Approval::Refused(Some(now_record))
                if now_record.used_at.is_some() && now_record.code_hash == record.code_hash =>
            {
                metrics::record(Metric::Verify(VerifyOutcome::Replayed));
                self.gate.give_back(Step::Verify, ip);
                Ok(Approved::of(now_record, now))
            }
            // A fresh code replaced the expired one after this try was counted.
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
        }
    }

    /// Charges a verify that approved nothing to the client's budget, and
    /// says what to answer ([`Service::judged`]): for a try whose charge was
    /// given back when it looked right.
    async fn not_approved(&self, ip: IpAddr, now: u64, answer: ServiceError) -> ServiceError {
        let charge = self.limiter.charge_verify(&*self.store, ip, now).await;
        self.judged(ip, now, charge, answer)
    }

    /// What to answer a verify that approved nothing, given its charge to
    /// the client's budget: `answer`, or over the budget a rate limit that
    /// hides it (and closes the gate for the rest of the window), or a 503
    /// when the budget could not be counted.
    fn judged(
        &self,
        ip: IpAddr,
        now: u64,
        charge: Result<(), ServiceError>,
        answer: ServiceError,
    ) -> ServiceError {
        if let Some(outcome) = verify_outcome(&answer) {
            metrics::record(Metric::Verify(outcome));
        }
        match charge {
            Ok(()) => answer,
            Err(limited @ ServiceError::RateLimited { retry_after, .. }) => {
                metrics::record(Metric::Refused(RefusedBy::ClientVerifies));
                self.gate.close(Step::Verify, ip, now + retry_after);
                limited
            }
            Err(e) => e,
        }
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
