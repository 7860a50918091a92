//! The sentences the page shows.
//!
//! The page words every error from the machine-readable code, not from the
//! server's `message`, so the text stays the same whatever answered (the
//! service, a proxy, or nobody at all).

use otp_api::{ErrorCode, ErrorDetail};

/// Shown when the request never got an answer the page can read.
pub const UNREACHABLE: &str =
    "The service could not be reached. Check your connection, then try again.";

/// The sentence for a refused request.
///
/// A wrong code says how many tries remain, because that number changes what
/// a careful person does next (check the email rather than guess again).
pub fn error_sentence(detail: &ErrorDetail) -> String {
    match (detail.code, detail.attempts_left) {
        (ErrorCode::WrongCode, Some(0)) => {
            "That code is not right, and no tries are left. Ask for a new code.".to_owned()
        }
        (ErrorCode::WrongCode, Some(n)) => {
            let mut s = String::from("That code is not right. ");
            s.push_str(&tries_left(n));
            s.push('.');
            s
        }
        (code, _) => code.message().to_owned(),
    }
}

/// "1 try left", "3 tries left".
pub fn tries_left(n: u32) -> String {
    let mut s = n.to_string();
    s.push_str(if n == 1 { " try left" } else { " tries left" });
    s
}

/// How long a fresh code stays valid, rounded up to whole minutes.
pub fn code_sent(expires_in: u64) -> String {
    let minutes = expires_in.div_ceil(60).max(1);
    let mut s = String::from("Code sent. It works for ");
    s.push_str(&minutes.to_string());
    s.push_str(if minutes == 1 {
        " minute."
    } else {
        " minutes."
    });
    s
}

/// Said while the page goes back to the app: "Email verified. Taking you
/// back to Example Shop." (`done` is the first sentence, or empty).
pub fn back_to(done: &str, client: &str) -> String {
    let mut s = String::from(done);
    s.push_str("Taking you back to ");
    s.push_str(client);
    s.push('.');
    s
}

/// Shown after a resend succeeded.
pub const CODE_RESENT: &str = "A new code is on its way. Use the newest email.";

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(code: ErrorCode, attempts_left: Option<u32>) -> ErrorDetail {
        ErrorDetail {
            code,
            message: String::new(),
            attempts_left,
            retry_after: None,
            challenge: None,
        }
    }

    #[test]
    fn wrong_code_counts_the_tries_left() {
        let two = detail(ErrorCode::WrongCode, Some(2));
        assert_eq!(
            error_sentence(&two),
            "That code is not right. 2 tries left."
        );
        let one = detail(ErrorCode::WrongCode, Some(1));
        assert_eq!(error_sentence(&one), "That code is not right. 1 try left.");
        let none = detail(ErrorCode::WrongCode, Some(0));
        assert!(error_sentence(&none).contains("no tries are left"));
    }

    #[test]
    fn wrong_code_without_a_count_uses_the_plain_sentence() {
        let d = detail(ErrorCode::WrongCode, None);
        assert_eq!(error_sentence(&d), ErrorCode::WrongCode.message());
    }

    #[test]
    fn other_codes_use_the_shared_sentence_not_the_server_text() {
        let mut d = detail(ErrorCode::Expired, None);
        d.message = "<b>anything</b>".to_owned();
        assert_eq!(error_sentence(&d), ErrorCode::Expired.message());
    }

    #[test]
    fn code_sent_rounds_up_to_minutes() {
        assert_eq!(code_sent(600), "Code sent. It works for 10 minutes.");
        assert_eq!(code_sent(61), "Code sent. It works for 2 minutes.");
        assert_eq!(code_sent(30), "Code sent. It works for 1 minute.");
        assert_eq!(code_sent(0), "Code sent. It works for 1 minute.");
    }
}
