//! The one error shape of the API: [`ErrorBody`] around an [`ErrorDetail`],
//! whose [`ErrorCode`] fixes the answer's HTTP status and default sentence.

use crate::Challenge;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Every machine-readable error the API answers with.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not the JSON this endpoint takes (syntax, types, unknown fields).
    InvalidRequest,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// No such route.
    NotFound,
    /// The route exists, the method does not.
    MethodNotAllowed,
    /// The request did not come through the deployment's front door (its
    /// CloudFront distribution); only a caller bypassing it sees this.
    Forbidden,
    InvalidEmail,
    InvalidCodeFormat,
    /// No live flow has this id (never existed, malformed, or long gone).
    UnknownFlow,
    /// The code's ten minutes (by default) are over; start again.
    Expired,
    /// The code was already used to verify.
    AlreadyUsed,
    /// The code does not match; `attempts_left` says how many tries remain.
    WrongCode,
    /// All tries for this code are spent; start again.
    TooManyAttempts,
    /// A resend inside the cooldown; `retry_after` says when.
    ResendTooSoon,
    /// A budget (per address, per client, per flow) is spent; `retry_after` says when.
    RateLimited,
    /// The address's free budget is spent: solve `challenge` and send again
    /// with the `proof`.
    ProofOfWorkRequired,
    /// The service cannot mail this address now: the mail server refused it
    /// (no such mailbox, no such domain), or it is on the suppression list
    /// (it bounced, its owner complained, or the operator suppressed it).
    /// One answer for every reason, naming neither the reason nor a date:
    /// sending again will not help; the person checks the address or asks
    /// the site.
    Undeliverable,
    /// The sign-in request is unknown, expired, cancelled or already
    /// completed; the person starts again from the app.
    SignInExpired,
    /// This browser has no live session, or its session may not finish this
    /// sign-in (the app asked for a fresh code or another person): the
    /// person confirms with a code instead.
    SessionRequired,
    /// The logout request is unknown, expired or already done.
    LogoutExpired,
    /// A request that acts on the session cookie came from another site's
    /// page (its `Origin` is not the service's own).
    ForbiddenOrigin,
    /// The passkey ceremony (its challenge) is unknown, already answered or
    /// over: ask for new options.
    CeremonyExpired,
    /// The passkey's answer does not hold (its origin or relying party, its
    /// signature, user verification, a counter that went backwards, a
    /// passkey registered already); `message` says which. Nothing changed.
    PasskeyRefused,
    /// No passkey with this credential id is registered here (never, or it
    /// was removed): the person signs in with a code.
    UnknownPasskey,
    /// A dependency (store, mail) failed; safe to retry after `retry_after`.
    Unavailable,
    /// A fault on our side, logged with its cause.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::InvalidEmail => "invalid_email",
            ErrorCode::InvalidCodeFormat => "invalid_code_format",
            ErrorCode::UnknownFlow => "unknown_flow",
            ErrorCode::Expired => "expired",
            ErrorCode::AlreadyUsed => "already_used",
            ErrorCode::WrongCode => "wrong_code",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::ResendTooSoon => "resend_too_soon",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::ProofOfWorkRequired => "proof_of_work_required",
            ErrorCode::Undeliverable => "undeliverable",
            ErrorCode::SignInExpired => "sign_in_expired",
            ErrorCode::SessionRequired => "session_required",
            ErrorCode::LogoutExpired => "logout_expired",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::CeremonyExpired => "ceremony_expired",
            ErrorCode::PasskeyRefused => "passkey_refused",
            ErrorCode::UnknownPasskey => "unknown_passkey",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status of every answer carrying this code. Each code has
    /// exactly one, so a client may branch on either, and the server's
    /// answers and its OpenAPI document both take it from here.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidRequest | ErrorCode::InvalidEmail | ErrorCode::InvalidCodeFormat => {
                400
            }
            ErrorCode::SessionRequired | ErrorCode::PasskeyRefused => 401,
            ErrorCode::Forbidden | ErrorCode::ForbiddenOrigin => 403,
            ErrorCode::NotFound | ErrorCode::UnknownFlow | ErrorCode::UnknownPasskey => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Expired
            | ErrorCode::AlreadyUsed
            | ErrorCode::SignInExpired
            | ErrorCode::LogoutExpired
            | ErrorCode::CeremonyExpired => 410,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::WrongCode | ErrorCode::Undeliverable => 422,
            ErrorCode::TooManyAttempts
            | ErrorCode::ResendTooSoon
            | ErrorCode::RateLimited
            | ErrorCode::ProofOfWorkRequired => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// A plain sentence for a person; the API sends it as `message` and the
    /// page shows it.
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => {
                "The request could not be read. Reload the page and try again."
            }
            ErrorCode::UnsupportedMediaType => "The request must be sent as application/json.",
            ErrorCode::PayloadTooLarge => "The request is too large.",
            ErrorCode::NotFound => "There is nothing at this address.",
            ErrorCode::MethodNotAllowed => "This address does not accept that method.",
            ErrorCode::Forbidden => "Use the service at its public address.",
            ErrorCode::InvalidEmail => {
                "That does not look like an email address. Check it and try again."
            }
            ErrorCode::InvalidCodeFormat => "The code is the 6 digits from the email.",
            ErrorCode::UnknownFlow => "This code request is not known. Ask for a new code.",
            ErrorCode::Expired => "This code has expired. Ask for a new one.",
            ErrorCode::AlreadyUsed => {
                "This code has already been used. Ask for a new one if you need to verify again."
            }
            ErrorCode::WrongCode => "That code is not right. Check the email and try again.",
            ErrorCode::TooManyAttempts => "Too many wrong tries for this code. Ask for a new one.",
            ErrorCode::ResendTooSoon => {
                "The code was sent a moment ago. Wait a little before asking again."
            }
            ErrorCode::RateLimited => "Too many requests. Wait a while and try again.",
            ErrorCode::ProofOfWorkRequired => {
                "Many codes were sent to this address today. Your device must do a short check first."
            }
            ErrorCode::Undeliverable => {
                "We cannot send mail to this address right now. Check it for typos or use another address. If it is right, ask this site for help."
            }
            ErrorCode::SignInExpired => {
                "This sign-in has expired or is finished. Go back to the app and start again."
            }
            ErrorCode::SessionRequired => {
                "You are not signed in here any more. Confirm with a code from your email."
            }
            ErrorCode::LogoutExpired => {
                "This sign-out request has expired or is finished. Go back to the app."
            }
            ErrorCode::ForbiddenOrigin => "Another site cannot do this for you. Use this page.",
            ErrorCode::CeremonyExpired => "This passkey request is over. Try again.",
            ErrorCode::PasskeyRefused => "This passkey could not be accepted.",
            ErrorCode::UnknownPasskey => {
                "This passkey is not registered here. Sign in with a code instead."
            }
            ErrorCode::Unavailable => "The service is busy right now. Try again in a moment.",
            ErrorCode::Internal => "Something went wrong on our side. Try again in a moment.",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"error": {...}}`: the one shape of every failure.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    /// With `wrong_code`: tries left for this code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// With `429` and `503`: seconds to wait, as in the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// With `proof_of_work_required`: the puzzle to solve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<Challenge>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: code.message().to_owned(),
                attempts_left: None,
                retry_after: None,
                challenge: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_serialize_as_their_wire_names() {
        for code in [
            ErrorCode::WrongCode,
            ErrorCode::ResendTooSoon,
            ErrorCode::Unavailable,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
        let body = serde_json::to_value(ErrorBody::new(ErrorCode::Expired)).unwrap();
        assert_eq!(body["error"]["code"], "expired");
        assert!(body["error"].get("attempts_left").is_none());
    }
}
