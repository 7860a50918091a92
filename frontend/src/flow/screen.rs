//! The screens, each with what only it holds.

use crate::countdown::Countdown;
use crate::i18n::ascii_digit;

/// Longest text the code box keeps: six digits with room for the spaces and
/// dashes that come along in a paste ("123 456", " 123-456 ").
pub const CODE_INPUT_MAX: usize = 16;

/// The screen the page is on, with what only that screen has.
#[derive(Debug, Clone, PartialEq)]
pub enum Screen {
    /// Only the status line: while the page asks the service what to show
    /// (who is signed in, the app's sign-in, the logout an app asked for),
    /// and once a sign-in or a logout is over (expired, finished, cancelled
    /// elsewhere).
    Status,
    /// The address is asked for.
    Email {
        /// One idempotency key per visit to this screen: a double click or
        /// a retry after a lost answer reuses it; a new visit gets a new flow.
        request_id: Option<String>,
    },
    /// The code that was sent is asked for.
    Code(Sent),
    /// `email` is signed in in this browser: `verified` right after the
    /// service approved a code for it on this page, else found on a visit.
    SignedIn { email: String, verified: bool },
    /// An app's sign-in that the session of `email` may finish in one
    /// press, without a code.
    Continue { email: String },
    /// An app asked to sign the person out (`/?logout=<handle>`) and the
    /// page asks whether to.
    Logout {
        /// The logout request's handle.
        logout: String,
        /// Who would be signed out; `None` when nobody is signed in here.
        email: Option<String>,
        /// The app that asked, when it named itself.
        client: Option<String>,
    },
}

/// A code on its way to an address: what the Code screen holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub flow_id: String,
    /// The address the code went to.
    pub to: String,
    /// The code box, with spaces and dashes already removed.
    pub code: String,
    /// Said after a wrong code.
    pub attempts_left: Option<u32>,
    /// The wait before another code may be asked for.
    pub resend: Countdown,
}

impl Sent {
    /// Takes what is in the code box: spaces and dashes dropped, so a
    /// pasted "123 456" reads as the six digits, and Arabic-Indic digits
    /// read as the digits they are.
    pub(super) fn type_code(&mut self, raw: &str) {
        self.code = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(ascii_digit)
            .take(CODE_INPUT_MAX)
            .collect();
    }
}
