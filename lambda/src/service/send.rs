//! The first step: a new flow and its first message.

use super::{
    ADMISSION_READS, Client, Message, Sent, Service, ServiceError, check_proof_shape, language,
};
use crate::domain::{Code, Email, FlowId, FlowRecord, RequestId, SignInId};
use crate::gate::Step;
use crate::metrics::{self, Metric, RefusedBy};
use crate::store::{Created, IdempotencyKey, StoreError};
use otp_api::locale::Language;
use otp_api::{Proof, SendRequest};

/// What a send asks for, each part checked once, when it is parsed.
#[derive(Debug, Clone)]
pub struct SendInput {
    pub email: Email,
    /// The page's idempotency key: a repeat for the same address returns
    /// the flow it started and sends nothing.
    pub request_id: Option<RequestId>,
    /// A solved challenge, needed once the address's free budget is spent.
    pub proof: Option<Proof>,
    /// The app's sign-in request the flow is for, which its approval
    /// completes; the service keeps it and hands it back, nothing more.
    pub sign_in: Option<SignInId>,
    /// The language of the message and of the flow's resends; the policy's
    /// default when absent.
    pub language: Option<&'static Language>,
}

impl SendInput {
    /// A send to `email`, nothing more.
    pub fn to(email: Email) -> SendInput {
        SendInput {
            email,
            request_id: None,
            proof: None,
            sign_in: None,
            language: None,
        }
    }

    /// The body of a send request, checked part by part in the order the
    /// API reports them: the address, the locale, the sign-in request, the
    /// request id, the proof's shape.
    pub fn parse(request: &SendRequest) -> Result<SendInput, ServiceError> {
        let email = Email::parse(&request.email).map_err(|_| ServiceError::InvalidEmail)?;
        let language = language(request.locale.as_deref())?;
        let sign_in = request
            .sign_in
            .as_deref()
            .map(|id| SignInId::parse(id).ok_or(ServiceError::MalformedId("sign_in")))
            .transpose()?;
        let request_id = request
            .request_id
            .as_deref()
            .map(|id| RequestId::parse(id).ok_or(ServiceError::InvalidRequestId))
            .transpose()?;
        check_proof_shape(request.proof.as_ref())?;
        Ok(SendInput {
            email,
            request_id,
            proof: request.proof.clone(),
            sign_in,
            language,
        })
    }
}

impl Service {
    /// Starts a flow: a new code to the input's address, in its language.
    #[tracing::instrument(skip_all, fields(flow))]
    pub async fn send(&self, input: SendInput, client: Client) -> Result<Sent, ServiceError> {
        let SendInput {
            email,
            request_id,
            proof,
            sign_in,
            language,
        } = input;
        let language = language.unwrap_or(self.policy.default_language);
        let ip = client.ip.ok_or(ServiceError::ClientUnknown)?;
        let now = self.clock.now();
        let expires_at = now + self.policy.code_ttl.as_secs();
        let ttl = self.policy.flow_gc_at(expires_at);
        let idempotency = request_id.as_ref().map(|id| IdempotencyKey {
            key: self
                .hasher
                .subject("idem", &format!("{}\0{}", email.budget_key(), id.as_str())),
            expires_at,
            ttl: self.policy.gc_at(expires_at),
        });
        if let Err(closed) = self.enter(Step::Send, ip, now) {
            // A repeat of a send that went through is answered with its
            // flow even by a client the gate now refuses: a read, no write.
            if let Some(existing) = self.first_flow_of(idempotency.as_ref(), now).await {
                return self.repeated(existing, now).await;
            }
            metrics::record(Metric::Refused(RefusedBy::ClientSends));
            return Err(closed);
        }
        let scope = format!("send:{}", request_id.as_ref().map_or("", RequestId::as_str));
        let solved = self.solved(proof.as_ref(), &email, &scope, now);

        let flow_id = FlowId::generate();
        let code = Code::generate();
        let (code_hash, key_id) = self.hasher.hash(&flow_id, &code);
        let flow = FlowRecord {
            id: flow_id.clone(),
            email: email.clone(),
            code_hash: code_hash.clone(),
            sealed_code: Some(self.hasher.seal(&flow_id, &code)),
            key_id,
            attempts: 0,
            tries: Vec::new(),
            sends: 1,
            created_at: now,
            expires_at,
            last_sent_at: now,
            used_at: None,
            approved_by: None,
            sign_in,
            language,
        };
        let (owner, app) = tokio::join!(
            self.owner(&client.browser, &email, now),
            self.app_of(flow.sign_in.as_ref()),
        );
        let message = Message {
            email: &email,
            ip,
            now,
            proof: solved.as_ref(),
            flow: &flow_id,
            owner: owner.as_deref(),
        };
        let mut reads = 0;
        let admission = loop {
            let admission = self.admission(message).await?;
            let created = self
                .store
                .create_flow(&flow, ttl, idempotency.as_ref(), &admission.admission)
                .await?;
            // A request the store refused or answered with an earlier flow
            // keeps its token: the gate counts every request that reaches
            // the store, so a client hammering a spent address meets its own
            // budget.
            match created {
                Created::New => break admission,
                Created::Stale if reads + 1 < ADMISSION_READS => reads += 1,
                Created::Stale => {
                    return Err(StoreError::new("the address's tries kept changing").into());
                }
                Created::Existing(existing) => return self.repeated(existing, now).await,
                Created::Refused(refusal) => {
                    // A repeat of a send that went through before the budget
                    // ran out is answered with its flow, not refused.
                    if let Some(existing) = self.first_flow_of(idempotency.as_ref(), now).await {
                        return self.repeated(existing, now).await;
                    }
                    return Err(self.over_budget(&admission, refusal, ip, &email, &scope, now));
                }
            }
        };
        tracing::Span::current().record("flow", tracing::field::display(&flow_id));

        let expires_in = self.policy.code_ttl.as_secs();
        if let Err(mail_error) = self.deliver(&email, code, expires_in, language, app).await {
            // Undo: the person got nothing, so nothing may count against them.
            let cleanup = self
                .store
                .delete_flow(&flow_id, &code_hash, idempotency.as_ref())
                .await;
            if let Err(e) = cleanup {
                tracing::error!(error = %e, "could not remove a flow whose message failed");
            }
            if self
                .limiter
                .refund(&*self.store, &admission, &mail_error)
                .await
            {
                self.gate.give_back(Step::Send, ip);
            }
            return Err(mail_error.into());
        }
        metrics::record(Metric::CodeSent);
        tracing::info!(to = %email.masked(), proof = solved.is_some(), owner = owner.is_some(), "code sent");
        Ok(Sent {
            flow_id,
            expires_in,
            resend_in: self.policy.resend_cooldown.as_secs(),
        })
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
}
