//! The one error type of the HTTP boundary. 4xx answers say what to fix;
//! 5xx answers are opaque to the client and logged with their cause here.

use crate::mailer::MailFailure;
use crate::service::ServiceError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use otp_api::locale::LANGUAGES;
use otp_api::{ErrorBody, ErrorCode, MAX_CHALLENGE_LEN};

/// An error answer: its body, whose code fixes its status
/// ([`ErrorCode::status`]).
#[derive(Debug)]
pub struct ApiError {
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            body: ErrorBody::new(code),
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.body.error.code.status())
            .expect("every error code's status is an HTTP status")
    }

    /// Replaces the default sentence, for answers where the detail helps the
    /// caller fix their request (never with secrets or stored data).
    pub fn with_message(mut self, message: impl Into<String>) -> ApiError {
        self.body.error.message = message.into();
        self
    }

    fn retry_after(mut self, secs: u64) -> ApiError {
        self.body.error.retry_after = Some(secs);
        self
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        use ErrorCode as C;
        let retry_after = e.retry_after();
        let error = match &e {
            ServiceError::InvalidEmail => ApiError::new(C::InvalidEmail),
            ServiceError::InvalidRequestId => ApiError::new(C::InvalidRequest)
                .with_message("request_id must be 1 to 128 printable ASCII characters."),
            ServiceError::InvalidLocale => {
                let tags: Vec<&str> = LANGUAGES.iter().map(|l| l.tag).collect();
                ApiError::new(C::InvalidRequest).with_message(format!(
                    "locale must be the tag of a supported language: {}.",
                    tags.join(", ")
                ))
            }
            ServiceError::InvalidProof => ApiError::new(C::InvalidRequest)
                .with_message(format!(
                    "proof.challenge must be the token of a challenge, 1 to {MAX_CHALLENGE_LEN} characters."
                )),
            ServiceError::InvalidCodeFormat => ApiError::new(C::InvalidCodeFormat),
            ServiceError::MalformedId(field) => ApiError::new(C::InvalidRequest).with_message(
                format!("{field} must be the 22-character id the service gave (128 bits in base64url)."),
            ),
            ServiceError::UnknownFlow => ApiError::new(C::UnknownFlow),
            ServiceError::Expired => ApiError::new(C::Expired),
            ServiceError::AlreadyUsed => ApiError::new(C::AlreadyUsed),
            ServiceError::WrongCode { attempts_left } => {
                let mut error = ApiError::new(C::WrongCode);
                error.body.error.attempts_left = Some(*attempts_left);
                error
            }
            ServiceError::TooManyAttempts => ApiError::new(C::TooManyAttempts),
            ServiceError::ResendTooSoon { .. } => ApiError::new(C::ResendTooSoon),
            ServiceError::RateLimited { scope, .. } => {
                tracing::warn!(scope, "budget spent");
                ApiError::new(C::RateLimited)
            }
            ServiceError::ProofRequired(challenge) => {
                let mut error = ApiError::new(C::ProofOfWorkRequired);
                error.body.error.challenge = Some(challenge.clone());
                error
            }
            ServiceError::SignInExpired => ApiError::new(C::SignInExpired),
            ServiceError::ClientUnknown => {
                // Budgets are never skipped: the operator must say which
                // header carries the client's address.
                tracing::error!(error = %e, "request refused: no client address");
                ApiError::new(C::Internal)
            }
            ServiceError::Store(cause) => {
                tracing::error!(error = %cause, source = ?std::error::Error::source(cause), "store failed");
                ApiError::new(C::Unavailable)
            }
            // The service cannot mail the address: the relay refused it
            // (budgets were refunded by the service), or it is suppressed
            // (it bounced, its owner complained, or the operator said so;
            // nothing was sent). One answer for every reason, naming neither
            // the reason nor a date: the person learns that no mail will
            // come and what to do (check the address, or ask the site); a
            // stranger learns only that this service cannot mail the address
            // now, not whether its owner complained or when.
            ServiceError::Mail(e) if e.failure() == MailFailure::Undeliverable => {
                ApiError::new(C::Undeliverable)
            }
            ServiceError::Suppressed => ApiError::new(C::Undeliverable),
            ServiceError::Mail(_) => {
                // Already logged with its cause where delivery failed.
                ApiError::new(C::Unavailable)
            }
        };
        match retry_after {
            Some(secs) => error.retry_after(secs),
            None => error,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.body.error.retry_after;
        let mut response = (self.status(), Json(self.body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mailer::MailError;

    /// The status, the header names and the JSON body of `e`'s answer.
    fn answer(e: ServiceError) -> (StatusCode, Vec<header::HeaderName>, serde_json::Value) {
        let error = ApiError::from(e);
        let body = serde_json::to_value(&error.body).unwrap();
        let response = error.into_response();
        let headers = response.headers().keys().cloned().collect();
        (response.status(), headers, body)
    }

    /// A suppressed address and one the relay refused get the same status,
    /// headers and body: the answer says neither which, nor why, nor until when.
    #[test]
    fn every_reason_an_address_cannot_be_mailed_reads_alike() {
        let suppressed = answer(ServiceError::Suppressed);
        let refused = answer(ServiceError::Mail(MailError::with_failure(
            MailFailure::Undeliverable,
            "550 5.1.1 no such user",
        )));
        assert_eq!(suppressed, refused);
        assert_eq!(suppressed.0, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            suppressed.2,
            serde_json::json!({ "error": {
                "code": "undeliverable",
                "message": ErrorCode::Undeliverable.message(),
            }})
        );
    }
}
