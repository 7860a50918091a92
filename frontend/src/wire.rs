//! What a call is and how an answer is read, apart from the browser's fetch.

use otp_api::{
    ErrorBody, ErrorDetail, ResendRequest, ResendResponse, SendRequest, SendResponse,
    VerifyRequest, VerifyResponse,
};
use serde::de::DeserializeOwned;

/// A request the page makes; kept whole so a failed one can be sent again
/// unchanged (same `request_id`, so the service treats it as the same send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Send(SendRequest),
    Resend(ResendRequest),
    Verify(VerifyRequest),
}

impl Call {
    pub fn path(&self) -> &'static str {
        match self {
            Call::Send(_) => "/api/otp/send",
            Call::Resend(_) => "/api/otp/resend",
            Call::Verify(_) => "/api/otp/verify",
        }
    }
}

/// Everything a call can come back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Sent(SendResponse),
    Resent(ResendResponse),
    Verified(VerifyResponse),
    /// The service said no, in its own error shape.
    Refused(ErrorDetail),
    /// No answer, or one the page cannot read (a proxy's HTML error page,
    /// a cut connection): worth another try.
    Unreachable,
}

/// Reads an HTTP answer to `call`.
pub fn decode(call: &Call, status: u16, body: &str) -> Reply {
    if (200..300).contains(&status) {
        let ok = match call {
            Call::Send(_) => parse(body).map(Reply::Sent),
            Call::Resend(_) => parse(body).map(Reply::Resent),
            Call::Verify(_) => parse(body).map(Reply::Verified),
        };
        return ok.unwrap_or(Reply::Unreachable);
    }
    match parse::<ErrorBody>(body) {
        Some(e) => Reply::Refused(e.error),
        None => Reply::Unreachable,
    }
}

fn parse<T: DeserializeOwned>(body: &str) -> Option<T> {
    serde_json::from_str(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use otp_api::{ErrorCode, VerifyStatus};

    fn send() -> Call {
        Call::Send(SendRequest {
            email: "a@example.com".to_owned(),
            request_id: None,
        })
    }

    fn verify() -> Call {
        Call::Verify(VerifyRequest {
            flow_id: "f".to_owned(),
            code: "123456".to_owned(),
        })
    }

    #[test]
    fn reads_each_success_shape() {
        let r = decode(&send(), 202, r#"{"flow_id":"f1","expires_in":600,"resend_in":60}"#);
        assert_eq!(
            r,
            Reply::Sent(SendResponse {
                flow_id: "f1".to_owned(),
                expires_in: 600,
                resend_in: 60
            })
        );
        let r = decode(&verify(), 200, r#"{"status":"approved","email":"a@example.com"}"#);
        assert_eq!(
            r,
            Reply::Verified(VerifyResponse {
                status: VerifyStatus::Approved,
                email: "a@example.com".to_owned()
            })
        );
        let resend = Call::Resend(ResendRequest {
            flow_id: "f".to_owned(),
        });
        let r = decode(&resend, 202, r#"{"expires_in":600,"resend_in":60}"#);
        assert!(matches!(r, Reply::Resent(_)));
    }

    #[test]
    fn reads_the_error_shape_with_its_extras() {
        let body = r#"{"error":{"code":"wrong_code","message":"x","attempts_left":2}}"#;
        match decode(&verify(), 422, body) {
            Reply::Refused(d) => {
                assert_eq!(d.code, ErrorCode::WrongCode);
                assert_eq!(d.attempts_left, Some(2));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_answers_count_as_unreachable() {
        assert_eq!(decode(&send(), 502, "<html>Bad gateway</html>"), Reply::Unreachable);
        assert_eq!(decode(&send(), 202, "{}"), Reply::Unreachable);
        assert_eq!(decode(&verify(), 200, r#"{"flow_id":"f"}"#), Reply::Unreachable);
    }

    #[test]
    fn paths_match_the_api() {
        assert_eq!(send().path(), "/api/otp/send");
        assert_eq!(verify().path(), "/api/otp/verify");
    }
}
