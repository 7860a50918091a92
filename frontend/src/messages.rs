//! What the page says, as messages of the catalog ([`crate::i18n`]).
//!
//! The page words every error from the machine-readable code, not from the
//! server's `message`, so the text stays the same whatever answered (the
//! service, a proxy, or nobody at all), and is in the person's language.

use crate::i18n::{Text, id};
use otp_api::{ErrorCode, ErrorDetail};

/// Shown when the request never got an answer the page can read.
pub const UNREACHABLE: Text = Text::Plain(id::UNREACHABLE);

/// Shown after a resend succeeded.
pub const CODE_RESENT: Text = Text::Plain(id::CODE_RESENT);

/// Shown on the Email screen once the session has ended.
pub const SIGNED_OUT: Text = Text::Plain(id::SIGNED_OUT);

/// The sentence for a refused request.
///
/// A wrong code says how many tries remain, because that number changes what
/// a careful person does next (check the email rather than guess again).
pub fn error_sentence(detail: &ErrorDetail) -> Text {
    match (detail.code, detail.attempts_left) {
        (ErrorCode::WrongCode, Some(0)) => Text::Plain(id::WRONG_CODE_LAST),
        (ErrorCode::WrongCode, Some(n)) => Text::Count(id::WRONG_CODE_TRIES, n.into()),
        (code, _) => error(code),
    }
}

/// The sentence for an error code alone.
pub fn error(code: ErrorCode) -> Text {
    use ErrorCode::*;
    Text::Plain(match code {
        // Only a page out of date with the service meets these; reloading helps.
        InvalidRequest | UnsupportedMediaType | MethodNotAllowed | NotFound => {
            id::ERROR_INVALID_REQUEST
        }
        PayloadTooLarge => id::ERROR_PAYLOAD_TOO_LARGE,
        InvalidEmail => id::ERROR_INVALID_EMAIL,
        InvalidCodeFormat => id::ERROR_INVALID_CODE_FORMAT,
        UnknownFlow => id::ERROR_UNKNOWN_FLOW,
        Expired => id::ERROR_EXPIRED,
        AlreadyUsed => id::ERROR_ALREADY_USED,
        WrongCode => id::ERROR_WRONG_CODE,
        TooManyAttempts => id::ERROR_TOO_MANY_ATTEMPTS,
        ResendTooSoon => id::ERROR_RESEND_TOO_SOON,
        RateLimited => id::ERROR_RATE_LIMITED,
        ProofOfWorkRequired => id::ERROR_PROOF_OF_WORK_REQUIRED,
        Undeliverable => id::ERROR_UNDELIVERABLE,
        SignInExpired => id::ERROR_SIGN_IN_EXPIRED,
        LogoutExpired => id::ERROR_LOGOUT_EXPIRED,
        // The page answers it with the Email screen, saying that the app
        // asks for a new code ([`new_code_asked`]), never with this.
        SessionRequired => id::ERROR_INVALID_REQUEST,
        // A passkey that cannot sign in leaves the code to do it: the page
        // shows the Email screen.
        CeremonyExpired | PasskeyRefused | UnknownPasskey => id::ERROR_INVALID_REQUEST,
        // A request that bypassed the deployment's front door: to the person,
        // the service was not reached where it should be.
        Forbidden | ForbiddenOrigin => id::UNREACHABLE,
        Unavailable => id::ERROR_UNAVAILABLE,
        Internal => id::ERROR_INTERNAL,
    })
}

/// "1 try left", "3 tries left".
pub fn tries_left(n: u32) -> Text {
    Text::Count(id::TRIES_LEFT, n.into())
}

/// How long a fresh code stays valid, rounded up to whole minutes.
pub fn code_sent(expires_in: u64) -> Text {
    Text::Count(id::CODE_SENT, expires_in.div_ceil(60).max(1))
}

/// Said on the Email screen when someone is signed in here but the app
/// `client` wants a fresh code (or another person), or the session ended.
pub fn new_code_asked(client: &str) -> Text {
    Text::Named(id::NEW_CODE_ASKED, client.to_owned())
}

/// Said while the page goes back to the app: "Email verified. Taking you
/// back to Example Shop." after a verify, "Taking you back to …" after
/// Cancel.
pub fn back_to(verified: bool, client: &str) -> Text {
    let id = if verified {
        id::VERIFIED_BACK_TO
    } else {
        id::BACK_TO
    };
    Text::Named(id, client.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::english;
    use crate::wire::ERROR_CODES;

    fn detail(code: ErrorCode, attempts_left: Option<u32>) -> ErrorDetail {
        ErrorDetail {
            code,
            message: String::new(),
            attempts_left,
            retry_after: None,
            challenge: None,
        }
    }

    fn say(code: ErrorCode, attempts_left: Option<u32>) -> String {
        english(&error_sentence(&detail(code, attempts_left)))
    }

    #[test]
    fn wrong_code_counts_the_tries_left() {
        assert_eq!(
            say(ErrorCode::WrongCode, Some(2)),
            "That code is not right. 2 tries left."
        );
        assert_eq!(
            say(ErrorCode::WrongCode, Some(1)),
            "That code is not right. 1 try left."
        );
        assert!(say(ErrorCode::WrongCode, Some(0)).contains("no tries are left"));
    }

    #[test]
    fn wrong_code_without_a_count_uses_the_plain_sentence() {
        assert_eq!(
            say(ErrorCode::WrongCode, None),
            "That code is not right. Check the email and try again."
        );
    }

    #[test]
    fn every_code_has_a_sentence_and_the_server_text_is_never_shown() {
        for code in ERROR_CODES {
            let mut d = detail(code, None);
            d.message = "<b>anything</b>".to_owned();
            let text = english(&error_sentence(&d));
            assert!(
                text.ends_with('.') && !text.contains("anything"),
                "{code:?}: {text}"
            );
        }
        assert_eq!(
            say(ErrorCode::Expired, None),
            ErrorCode::Expired.message(),
            "the page and the API agree in English"
        );
    }

    #[test]
    fn code_sent_rounds_up_to_minutes() {
        let sent = |s| english(&code_sent(s));
        assert_eq!(sent(600), "Code sent. It works for 10 minutes.");
        assert_eq!(sent(61), "Code sent. It works for 2 minutes.");
        assert_eq!(sent(30), "Code sent. It works for 1 minute.");
        assert_eq!(sent(0), "Code sent. It works for 1 minute.");
    }

    #[test]
    fn going_back_names_the_app() {
        assert_eq!(
            english(&back_to(true, "Example Shop")),
            "Email verified. Taking you back to Example Shop."
        );
        assert_eq!(
            english(&back_to(false, "Example Shop")),
            "Taking you back to Example Shop."
        );
    }
}
