//! The person signed in in this browser: what the page asks first, the
//! Signed in screen and signing out, finishing an app's sign-in in one
//! press, and the logout an app asked for.
//!
//! The session itself is an `HttpOnly` cookie the page never sees; the
//! service says whose it is. Knowing who is signed in only chooses the
//! first screen: a service that cannot say (an older one answers the call
//! with 404, or no answer comes) leaves the person at the Email screen, as
//! with nobody signed in, so it never stands between them and a code.

use super::{Flow, Notice, Screen};
use crate::messages;
use crate::wire::Call;
use otp_api::{ErrorCode, LogoutRequest, SessionChoice, SignInRequest, SignOutRequest, SignedIn};

impl Flow {
    /// The page was opened with `query`, its address's `?…`: asks the
    /// service what to show first. `?sign_in=<id>`: an app's sign-in;
    /// `?logout=<handle>`: the logout an app asked for; `?logout=done`: a
    /// logout the service finished by itself, so the page only says so;
    /// anything else: who is signed in.
    pub fn open(&mut self, query: &str) -> Option<Call> {
        if let Some(id) = sign_in_param(query) {
            return self.start_sign_in(id);
        }
        let call = match logout_param(query) {
            Some("done") => {
                self.notice = Some(Notice::Info(messages::SIGNED_OUT));
                return None;
            }
            Some(logout) => Call::Logout(LogoutRequest {
                logout: logout.to_owned(),
            }),
            None => Call::Session,
        };
        self.screen = Screen::Status;
        self.start(call)
    }

    /// "Continue": the app's sign-in finished as the person signed in
    /// here, without a code; the service answers with the way back.
    pub fn continue_sign_in(&mut self) -> Option<Call> {
        if self.busy() || !matches!(self.screen, Screen::Continue { .. }) {
            return None;
        }
        let sign_in = self.sign_in.clone()?;
        self.start(Call::Continue(SignInRequest { sign_in }))
    }

    /// "Use another address": the Email screen with an empty box. The
    /// session stays until a code for another address is approved.
    pub fn use_another_address(&mut self) {
        if self.busy() {
            return;
        }
        self.email.clear();
        self.restart(None);
    }

    /// "Sign out" (this browser) or "Sign out everywhere" (every session
    /// of the address, on every device).
    pub fn sign_out(&mut self, everywhere: bool) -> Option<Call> {
        if self.busy() || !matches!(self.screen, Screen::SignedIn { .. }) {
            return None;
        }
        self.start(Call::SignOut(SignOutRequest { everywhere }))
    }

    /// "Sign out" on the logout an app asked for.
    pub fn confirm_logout(&mut self) -> Option<Call> {
        let Screen::Logout { logout, .. } = &self.screen else {
            return None;
        };
        if self.busy() {
            return None;
        }
        let logout = logout.clone();
        self.start(Call::ConfirmLogout(LogoutRequest { logout }))
    }

    /// "Stay signed in" on the logout an app asked for: nothing to ask the
    /// service; the Signed in screen (the Email screen when nobody is).
    pub fn stay_signed_in(&mut self) {
        let Screen::Logout { email, .. } = &self.screen else {
            return;
        };
        if self.busy() {
            return;
        }
        self.found(email.clone().map(|email| SignedIn { email }));
    }

    /// The service said who is signed in here: the Signed in screen, or
    /// the Email screen when nobody is.
    pub(super) fn found(&mut self, session: Option<SignedIn>) {
        self.notice = None;
        self.screen = match session {
            Some(SignedIn { email }) => Screen::SignedIn {
                email,
                verified: false,
            },
            None => Screen::Email { request_id: None },
        };
    }

    /// The app's sign-in is known (the Email screen is on, the app named)
    /// and `choice` says who is signed in here: "Continue" when that
    /// session may finish it, else the Email screen saying the app asks
    /// for a new code. The address box holds the app's `hint` when it gave
    /// one (an app asking for another person names them there), else the
    /// session's address.
    pub(super) fn offer_session(&mut self, choice: Option<SessionChoice>, hint: Option<String>) {
        let (email, can_continue) = match choice {
            Some(c) => (c.email, c.can_continue),
            None => {
                if let Some(hint) = hint {
                    self.email = hint;
                }
                return;
            }
        };
        if can_continue {
            self.email = email.clone();
            self.screen = Screen::Continue { email };
        } else {
            self.email = hint.unwrap_or(email);
            self.ask_for_a_new_code();
        }
    }

    /// The session may not finish the app's sign-in (the app wants a fresh
    /// code, or another person), or has ended: the Email screen says so.
    pub(super) fn ask_for_a_new_code(&mut self) {
        self.restart(None);
        let client = self.client.as_deref().unwrap_or_default();
        self.notice = Some(Notice::Info(messages::new_code_asked(client)));
    }

    /// The session ended: the Email screen says so, and the address box is
    /// emptied (the device may be shared). After a logout an app asked
    /// for, back `to` the app when it gave an address to return to.
    pub(super) fn signed_out(&mut self, to: Option<String>) {
        self.email.clear();
        self.restart(None);
        self.notice = Some(Notice::Info(messages::SIGNED_OUT));
        if let Some(to) = to {
            self.screen = Screen::Status;
            self.leaving = Some(to);
        }
    }
}

/// What a malformed handle of the page's link (cut short or mangled) is
/// shown as: the service names no sign-in or logout by it, and the person
/// gets the advice of an expired one (go back to the app).
pub(super) fn expired_handle(call: &Call) -> Option<ErrorCode> {
    match call {
        Call::SignIn(_) => Some(ErrorCode::SignInExpired),
        Call::Logout(_) | Call::ConfirmLogout(_) => Some(ErrorCode::LogoutExpired),
        _ => None,
    }
}

/// The sign-in the page was opened for: `/authorize` sends the person to
/// exactly `/?sign_in=<id>`. The id is base64url, so it needs no decoding;
/// anything else after `?sign_in=` is sent as it is, refused by the service
/// as malformed and shown like an expired sign-in.
pub fn sign_in_param(query: &str) -> Option<&str> {
    query.strip_prefix("?sign_in=").filter(|id| !id.is_empty())
}

/// The logout the page was opened for: `/logout` sends the person to
/// exactly `/?logout=<handle>` (base64url, like a sign-in's id), or to
/// `/?logout=done` once it has signed them out by itself.
pub fn logout_param(query: &str) -> Option<&str> {
    query.strip_prefix("?logout=").filter(|id| !id.is_empty())
}
