//! The page's states and every transition between them.
//!
//! Email → Code → Signed in. A dead code (expired, used up, unknown) leads back
//! to Email with the address still filled in; a request that got no answer
//! stays where it was and offers to try again with the very same request.
//! When others have spent an address's free sends, the service asks for a
//! proof of work: the page solves it, showing how far it has come, and sends
//! the very same request again with the proof.
//! Opened by an app's sign-in (`/?sign_in=<id>`), the page first asks who
//! the app is, names it above the address, and after the approving verify
//! (or Cancel) goes back to the app; a sign-in that is over says so and
//! shows no form.
//! A plain visit first asks who is signed in here ([`session`]): the Signed
//! in screen, or the Email screen; an app's sign-in with a session offers
//! "Continue" (no code), and a logout an app asked for (`/?logout=<handle>`)
//! is confirmed first.
//! The browser-facing component only forwards events here and renders what
//! this says, so the whole story is testable without a browser.

mod screen;
mod session;

pub use screen::{CODE_INPUT_MAX, Screen, Sent};
pub use session::{logout_param, sign_in_param};

use crate::countdown::Countdown;
use crate::i18n::{Text, id};
use crate::messages;
use crate::wire::{Call, Reply};
use otp_api::locale::{Language, SOURCE};
use otp_api::{
    Challenge, ErrorCode, ErrorDetail, Proof, ResendRequest, SendRequest, SignInRequest,
    VerifyRequest, VerifyResponse, parse_code,
};

/// Puzzles solved in a row for one request before the page gives up. A new
/// one after an expired one is normal; more means something is wrong, and
/// the device should not work on it forever.
const MAX_SOLVES: u8 = 3;

/// The line in the status region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Info(Text),
    Error(Text),
}

/// The page's state: the screen it is on, with what only that screen has,
/// and what lasts the whole visit.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    screen: Screen,
    /// The address box, kept across every return to the Email screen.
    email: String,
    /// The call under way, also while its proof of work is being solved.
    in_flight: Option<Call>,
    /// The proof of work the call in flight waits for.
    solving: Option<Solving>,
    /// Puzzles solved since the person last asked for something.
    solves: u8,
    /// The call that got no answer, for the retry button.
    failed: Option<Call>,
    notice: Option<Notice>,
    /// The app's sign-in this visit is for, from the page's address.
    sign_in: Option<String>,
    /// The app's name, once the service has said it.
    client: Option<String>,
    /// Where the page is going now: back to the app.
    leaving: Option<String>,
    /// The page's language; also that of the code mail of a send or a resend.
    language: &'static Language,
}

/// A proof of work under way.
#[derive(Debug, Clone, PartialEq)]
struct Solving {
    challenge: Challenge,
    /// Nonces tried so far, by all the solver's workers together.
    tries: f64,
}

impl Default for Flow {
    fn default() -> Self {
        Self::new()
    }
}

impl Flow {
    pub fn new() -> Self {
        Flow {
            screen: Screen::Email { request_id: None },
            email: String::new(),
            in_flight: None,
            solving: None,
            solves: 0,
            failed: None,
            notice: None,
            sign_in: None,
            client: None,
            leaving: None,
            language: SOURCE,
        }
    }

    /// The page was opened for an app's sign-in: asks the service which app
    /// it is before the address is asked for.
    pub fn start_sign_in(&mut self, sign_in: &str) -> Option<Call> {
        self.screen = Screen::Status;
        self.sign_in = Some(sign_in.to_owned());
        self.start(Call::SignIn(SignInRequest {
            sign_in: sign_in.to_owned(),
        }))
    }

    pub fn screen(&self) -> &Screen {
        &self.screen
    }
    pub fn email(&self) -> &str {
        &self.email
    }
    /// The code box; empty off the Code screen.
    pub fn code(&self) -> &str {
        match &self.screen {
            Screen::Code(sent) => &sent.code,
            _ => "",
        }
    }
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }
    /// The name of the app the person signs in to, if they do.
    pub fn client(&self) -> Option<&str> {
        self.client.as_deref()
    }
    /// The language the page speaks.
    pub fn language(&self) -> &'static Language {
        self.language
    }
    /// The page's heading: which app the person signs in to, once known;
    /// on a logout an app asked for, the question.
    pub fn title(&self) -> Text {
        match (&self.screen, &self.client) {
            (Screen::Logout { client, .. }, _) => match client {
                Some(client) => Text::Named(id::SIGN_OUT_OF, client.clone()),
                None => Text::Plain(id::SIGN_OUT_HERE),
            },
            (_, Some(client)) => Text::Named(id::CONTINUE_TO, client.clone()),
            (_, None) => Text::Plain(id::PAGE_TITLE),
        }
    }
    /// Cancel is offered while the app's sign-in can still be cancelled.
    pub fn can_cancel(&self) -> bool {
        self.client.is_some()
            && matches!(
                self.screen,
                Screen::Email { .. } | Screen::Code(_) | Screen::Continue { .. }
            )
    }
    /// The app's address to go to now, once the sign-in is done or cancelled.
    pub fn leaving(&self) -> Option<&str> {
        self.leaving.as_deref()
    }
    /// The line under the field: the notice, or else on the Code screen
    /// after a wrong code how many tries are left (said once: the error that
    /// told it first is gone by then).
    pub fn status(&self) -> Option<Notice> {
        match (&self.notice, &self.screen) {
            (Some(notice), _) => Some(notice.clone()),
            (None, Screen::Code(sent)) => sent
                .attempts_left
                .map(messages::tries_left)
                .map(Notice::Info),
            _ => None,
        }
    }
    /// A request is on its way, or the page is leaving; every button waits.
    pub fn busy(&self) -> bool {
        self.in_flight.is_some() || self.leaving.is_some()
    }
    /// The call on its way, so its button can show the spinner.
    pub fn pending(&self) -> Option<&Call> {
        self.in_flight.as_ref()
    }
    /// How far the device's proof of work has come, in percent, while it
    /// runs: the tries made against the 2^difficulty expected, held at 99
    /// until a solution is found (a solve may take longer than expected).
    pub fn check_progress(&self) -> Option<u8> {
        let s = self.solving.as_ref()?;
        let expected = (1u64 << s.challenge.difficulty.min(63)) as f64;
        Some((s.tries * 100.0 / expected).min(99.0) as u8)
    }
    pub fn can_retry(&self) -> bool {
        !self.busy() && self.failed.is_some()
    }
    pub fn can_verify(&self) -> bool {
        !self.busy() && parse_code(self.code()).is_some()
    }
    pub fn can_resend(&self, now_ms: f64) -> bool {
        !self.busy() && matches!(&self.screen, Screen::Code(sent) if sent.resend.is_over(now_ms))
    }
    /// The resend button's text: "Resend code in 42 s", then "Resend code".
    pub fn resend_label(&self, now_ms: f64) -> Text {
        match &self.screen {
            Screen::Code(sent) if !sent.resend.is_over(now_ms) => {
                Text::Count(id::RESEND_IN, sent.resend.seconds_left(now_ms))
            }
            _ => Text::Plain(id::RESEND),
        }
    }

    /// The page speaks `language` from now on; the code mail of the next
    /// send or resend is written in it.
    pub fn set_language(&mut self, language: &'static Language) {
        self.language = language;
    }

    pub fn set_email(&mut self, email: &str) {
        self.email = email.to_owned();
    }

    /// Takes what is in the code box ([`Sent::type_code`]) and submits by
    /// itself once six digits are there.
    pub fn set_code(&mut self, raw: &str) -> Option<Call> {
        let Screen::Code(sent) = &mut self.screen else {
            return None;
        };
        sent.type_code(raw);
        if parse_code(&sent.code).is_some() {
            self.submit_code()
        } else {
            None
        }
    }

    /// The Email form was submitted. `new_id` makes a fresh idempotency key
    /// when this visit to the Email screen has none yet (`None` if the
    /// browser has no random source: then a send is simply not idempotent).
    pub fn submit_email(&mut self, new_id: impl FnOnce() -> Option<String>) -> Option<Call> {
        if self.busy() {
            return None;
        }
        let Screen::Email { request_id } = &mut self.screen else {
            return None;
        };
        let email = self.email.trim().to_owned();
        if email.is_empty() {
            self.notice = Some(Notice::Error(messages::error(ErrorCode::InvalidEmail)));
            return None;
        }
        if request_id.is_none() {
            *request_id = new_id();
        }
        let call = Call::Send(SendRequest {
            email,
            request_id: request_id.clone(),
            proof: None,
            sign_in: self.sign_in.clone(),
            locale: Some(self.language.tag.to_owned()),
        });
        self.start(call)
    }

    /// The Code form was submitted (button or Enter).
    pub fn submit_code(&mut self) -> Option<Call> {
        let Screen::Code(sent) = &self.screen else {
            return None;
        };
        if self.busy() {
            return None;
        }
        let Some(code) = parse_code(&sent.code) else {
            self.notice = Some(Notice::Error(messages::error(ErrorCode::InvalidCodeFormat)));
            return None;
        };
        let flow_id = sent.flow_id.clone();
        self.start(Call::Verify(VerifyRequest { flow_id, code }))
    }

    pub fn resend(&mut self, now_ms: f64) -> Option<Call> {
        if !self.can_resend(now_ms) {
            return None;
        }
        let Screen::Code(sent) = &self.screen else {
            return None;
        };
        let call = Call::Resend(ResendRequest {
            flow_id: sent.flow_id.clone(),
            proof: None,
            locale: Some(self.language.tag.to_owned()),
        });
        self.start(call)
    }

    /// Sends the call that got no answer again, unchanged.
    pub fn retry(&mut self) -> Option<Call> {
        if self.busy() {
            return None;
        }
        let call = self.failed.take()?;
        self.start(call)
    }

    /// "Cancel": the person does not sign in to the app; the service answers
    /// with the way back to it.
    pub fn cancel(&mut self) -> Option<Call> {
        if self.busy() {
            return None;
        }
        let sign_in = self.sign_in.clone()?;
        self.start(Call::Cancel(SignInRequest { sign_in }))
    }

    /// "Change address": back to the Email screen with the address kept.
    pub fn change_email(&mut self) {
        if self.busy() {
            return;
        }
        self.restart(None);
    }

    /// The solver's count of nonces tried so far.
    pub fn progress(&mut self, tries: f64) {
        if let Some(s) = &mut self.solving {
            s.tries = tries;
        }
    }

    /// The solver is done: `nonce` solves the challenge, or `None` when the
    /// solver could not run (it is fetched only now, so the network may have
    /// gone). Returns the call in flight again, the same, with its proof.
    pub fn solved(&mut self, nonce: Option<u64>) -> Option<Call> {
        let challenge = self.solving.take()?.challenge;
        let call = self.in_flight.take()?;
        let Some(nonce) = nonce else {
            self.failed = Some(call);
            self.notice = Some(Notice::Error(messages::UNREACHABLE));
            return None;
        };
        let call = call.with_proof(Proof {
            challenge: challenge.token,
            nonce,
        });
        self.in_flight = Some(call.clone());
        Some(call)
    }

    /// The answer to the call in flight arrived. Returns the challenge to
    /// solve when the service asks for a proof of work; the call stays in
    /// flight until [`Flow::solved`].
    pub fn finish(&mut self, reply: Reply, now_ms: f64) -> Option<Challenge> {
        let call = self.in_flight.take()?;
        match reply {
            Reply::SignIn(r) => {
                self.screen = Screen::Email { request_id: None };
                self.client = Some(r.client_name);
                self.offer_session(r.session, r.login_hint);
            }
            Reply::Redirect(r) => self.leave(r.redirect_to, false),
            Reply::Verified(VerifyResponse {
                redirect_to: Some(to),
                ..
            }) => self.leave(to, true),
            Reply::Sent(r) => {
                let to = match call {
                    Call::Send(s) => s.email,
                    _ => self.email.trim().to_owned(),
                };
                self.screen = Screen::Code(Sent {
                    flow_id: r.flow_id,
                    to,
                    code: String::new(),
                    attempts_left: None,
                    resend: Countdown::start(now_ms, r.resend_in),
                });
                self.notice = Some(Notice::Info(messages::code_sent(r.expires_in)));
            }
            Reply::Resent(r) => {
                if let Screen::Code(sent) = &mut self.screen {
                    sent.code.clear();
                    sent.attempts_left = None;
                    sent.resend = Countdown::start(now_ms, r.resend_in);
                }
                self.notice = Some(Notice::Info(messages::CODE_RESENT));
            }
            Reply::Verified(r) => {
                self.screen = Screen::SignedIn {
                    email: r.email,
                    verified: true,
                };
                // The screen says it, and its heading takes the focus.
                self.notice = None;
            }
            Reply::Session(r) => self.found(r.session),
            // Who is signed in only chooses the first screen ([`session`]).
            Reply::Unreachable | Reply::Refused(_) if call == Call::Session => self.found(None),
            Reply::SignedOut(_) => self.signed_out(None),
            Reply::Logout(r) => {
                if let Call::Logout(asked) = call {
                    self.screen = Screen::Logout {
                        logout: asked.logout,
                        email: r.email,
                        client: r.client_name,
                    };
                }
            }
            Reply::LoggedOut(r) => self.signed_out(r.redirect_to),
            Reply::Unreachable => {
                self.failed = Some(call);
                self.notice = Some(Notice::Error(messages::UNREACHABLE));
            }
            Reply::Refused(detail) => return self.refused(call, detail, now_ms),
        }
        None
    }

    /// The service said no to `call`.
    fn refused(&mut self, call: Call, mut detail: ErrorDetail, now_ms: f64) -> Option<Challenge> {
        if detail.code == ErrorCode::InvalidRequest {
            detail.code = session::expired_handle(&call).unwrap_or(detail.code);
        }
        let sentence = messages::error_sentence(&detail);
        match detail.code {
            ErrorCode::SignInExpired | ErrorCode::LogoutExpired => {
                self.restart(Some(sentence));
                self.screen = Screen::Status;
            }
            ErrorCode::SessionRequired => self.ask_for_a_new_code(),
            ErrorCode::Expired
            | ErrorCode::AlreadyUsed
            | ErrorCode::TooManyAttempts
            | ErrorCode::UnknownFlow => self.restart(Some(sentence)),
            ErrorCode::WrongCode if detail.attempts_left == Some(0) => self.restart(Some(sentence)),
            ErrorCode::WrongCode => {
                if let Screen::Code(sent) = &mut self.screen {
                    sent.attempts_left = detail.attempts_left;
                    sent.code.clear();
                }
                self.notice = Some(Notice::Error(sentence));
            }
            ErrorCode::ResendTooSoon => {
                if let (Screen::Code(sent), Some(wait)) = (&mut self.screen, detail.retry_after) {
                    sent.resend = Countdown::start(now_ms, wait);
                }
                self.notice = Some(Notice::Error(sentence));
            }
            ErrorCode::ProofOfWorkRequired if self.solves < MAX_SOLVES => {
                if let Some(challenge) = detail.challenge {
                    self.solves += 1;
                    self.in_flight = Some(call);
                    self.notice = Some(Notice::Info(sentence));
                    self.solving = Some(Solving {
                        challenge: challenge.clone(),
                        tries: 0.0,
                    });
                    return Some(challenge);
                }
                self.notice = Some(Notice::Error(sentence));
            }
            // Our side failed; the same request may well work a moment
            // later (after too many puzzles: when asked).
            ErrorCode::ProofOfWorkRequired | ErrorCode::Unavailable | ErrorCode::Internal => {
                self.failed = Some(call);
                self.notice = Some(Notice::Error(sentence));
            }
            _ => self.notice = Some(Notice::Error(sentence)),
        }
        None
    }

    /// Back to the app at `to`, saying so (and that the address is
    /// `verified`, when it is).
    fn leave(&mut self, to: String, verified: bool) {
        self.leaving = Some(to);
        let client = self.client.as_deref().unwrap_or_default();
        self.notice = Some(Notice::Info(messages::back_to(verified, client)));
    }

    fn start(&mut self, call: Call) -> Option<Call> {
        self.solves = 0;
        self.failed = None;
        self.notice = None;
        self.in_flight = Some(call.clone());
        Some(call)
    }

    /// Back to the Email screen for a new flow; the address stays.
    fn restart(&mut self, error: Option<Text>) {
        self.screen = Screen::Email { request_id: None };
        self.failed = None;
        self.notice = error.map(Notice::Error);
    }
}

#[cfg(test)]
mod tests;
