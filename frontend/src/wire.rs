//! What a call is, its JSON body, and how an answer is read.
//!
//! The page reads answers with the browser's own `JSON.parse` and writes its
//! small request bodies by hand instead of linking `serde_json` into the
//! WebAssembly: that parser and its error formatting would be a sixth of the
//! page's download. The shapes stay those of `otp-api`; host tests check both
//! directions against `serde_json` and the `otp-api` types.

use otp_api::{
    Challenge, ErrorCode, ErrorDetail, LogoutDone, LogoutInfo, LogoutRequest, MAX_CHALLENGE_LEN,
    Proof, RedirectResponse, ResendRequest, ResendResponse, SendRequest, SendResponse,
    SessionChoice, SessionResponse, SignInRequest, SignInResponse, SignOutRequest, SignOutResponse,
    SignedIn, VerifyRequest, VerifyResponse, VerifyStatus,
};

/// A request the page makes; kept whole so a failed one can be sent again
/// unchanged (same `request_id`, so the service treats it as the same send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// What the app asking for a sign-in is called (`?sign_in=<id>`).
    SignIn(SignInRequest),
    Send(SendRequest),
    Resend(ResendRequest),
    Verify(VerifyRequest),
    /// The person does not want to sign in to the app after all.
    Cancel(SignInRequest),
    /// Finish the app's sign-in as the person signed in here, without a code.
    Continue(SignInRequest),
    /// Who is signed in in this browser (`SessionRequest`, an empty object).
    Session,
    /// Sign out: this browser, or everywhere.
    SignOut(SignOutRequest),
    /// What the logout an app asked for (`?logout=<handle>`) is about.
    Logout(LogoutRequest),
    /// The person confirms that logout.
    ConfirmLogout(LogoutRequest),
}

impl Call {
    pub fn path(&self) -> &'static str {
        match self {
            Call::Send(_) => "/api/otp/send",
            Call::Resend(_) => "/api/otp/resend",
            Call::Verify(_) => "/api/otp/verify",
            Call::SignIn(_) => "/api/sign-in",
            Call::Cancel(_) => "/api/sign-in/cancel",
            Call::Continue(_) => "/api/sign-in/continue",
            Call::Session => "/api/session",
            Call::SignOut(_) => "/api/session/end",
            Call::Logout(_) => "/api/logout",
            Call::ConfirmLogout(_) => "/api/logout/confirm",
        }
    }

    /// The same call carrying `proof`; only a send or a resend takes one.
    pub fn with_proof(self, proof: Proof) -> Call {
        match self {
            Call::Send(r) => Call::Send(SendRequest {
                proof: Some(proof),
                ..r
            }),
            Call::Resend(r) => Call::Resend(ResendRequest {
                proof: Some(proof),
                ..r
            }),
            other => other,
        }
    }

    /// The JSON body, byte for byte what `serde_json` makes of the request type.
    pub fn body(&self) -> String {
        let mut out = String::from("{");
        let (proof, sign_in, locale) = match self {
            Call::Send(r) => {
                push_field(&mut out, "email", &r.email);
                if let Some(id) = &r.request_id {
                    push_field(&mut out, "request_id", id);
                }
                (&r.proof, r.sign_in.as_deref(), &r.locale)
            }
            Call::Resend(r) => {
                push_field(&mut out, "flow_id", &r.flow_id);
                (&r.proof, None, &r.locale)
            }
            Call::Verify(r) => {
                push_field(&mut out, "flow_id", &r.flow_id);
                push_field(&mut out, "code", &r.code);
                (&None, None, &None)
            }
            Call::SignIn(r) | Call::Cancel(r) | Call::Continue(r) => {
                (&None, Some(r.sign_in.as_str()), &None)
            }
            Call::Session => (&None, None, &None),
            Call::SignOut(r) => {
                push_name(&mut out, "everywhere");
                out.push_str(if r.everywhere { "true" } else { "false" });
                (&None, None, &None)
            }
            Call::Logout(r) | Call::ConfirmLogout(r) => {
                push_field(&mut out, "logout", &r.logout);
                (&None, None, &None)
            }
        };
        if let Some(proof) = proof {
            push_name(&mut out, "proof");
            out.push('{');
            push_field(&mut out, "challenge", &proof.challenge);
            push_name(&mut out, "nonce");
            out.push_str(&proof.nonce.to_string());
            out.push('}');
        }
        if let Some(id) = sign_in {
            push_field(&mut out, "sign_in", id);
        }
        if let Some(tag) = locale {
            push_field(&mut out, "locale", tag);
        }
        out.push('}');
        out
    }
}

/// Appends `"name":"value"` as an object member.
fn push_field(out: &mut String, name: &str, value: &str) {
    push_name(out, name);
    push_json_str(out, value);
}

/// Appends `"name":`, after a comma unless it is an object's first member.
fn push_name(out: &mut String, name: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    push_json_str(out, name);
    out.push(':');
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` does.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let b = c as usize;
                out.push_str("\\u00");
                out.push(HEX[b >> 4] as char);
                out.push(HEX[b & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Everything a call can come back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    SignIn(SignInResponse),
    Sent(SendResponse),
    Resent(ResendResponse),
    Verified(VerifyResponse),
    /// The way back to the app: after Cancel, or a sign-in continued.
    Redirect(RedirectResponse),
    Session(SessionResponse),
    SignedOut(SignOutResponse),
    Logout(LogoutInfo),
    LoggedOut(LogoutDone),
    /// The service said no, in its own error shape.
    Refused(ErrorDetail),
    /// No answer, or one the page cannot read (a proxy's HTML error page,
    /// a cut connection): worth another try.
    Unreachable,
}

/// A parsed JSON value: the result of the browser's `JSON.parse` in the
/// page, `serde_json::Value` in tests.
pub trait Json: Sized {
    /// The member `key` of an object; `None` for a missing or `null` member.
    fn member(&self, key: &str) -> Option<Self>;
    fn string(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
}

/// Reads an HTTP answer to `call`; `body` is `None` when it was not JSON.
pub fn decode<J: Json>(call: &Call, status: u16, body: Option<&J>) -> Reply {
    let Some(body) = body else {
        return Reply::Unreachable;
    };
    let reply = if (200..300).contains(&status) {
        match call {
            Call::Send(_) => send_response(body).map(Reply::Sent),
            Call::Resend(_) => resend_response(body).map(Reply::Resent),
            Call::Verify(_) => verify_response(body).map(Reply::Verified),
            Call::SignIn(_) => sign_in_response(body).map(Reply::SignIn),
            Call::Cancel(_) | Call::Continue(_) => {
                redirect(body).map(|redirect_to| Reply::Redirect(RedirectResponse { redirect_to }))
            }
            Call::Session => Some(Reply::Session(SessionResponse {
                session: body.member("session").and_then(|s| {
                    Some(SignedIn {
                        email: string(&s, "email")?,
                    })
                }),
            })),
            Call::SignOut(_) => whole(body, "sessions_ended")
                .and_then(|n| u32::try_from(n).ok())
                .map(|sessions_ended| Reply::SignedOut(SignOutResponse { sessions_ended })),
            Call::Logout(_) => Some(Reply::Logout(LogoutInfo {
                email: string(body, "email"),
                client_name: string(body, "client_name"),
                ui_locales: string(body, "ui_locales"),
            })),
            Call::ConfirmLogout(_) => Some(Reply::LoggedOut(LogoutDone {
                redirect_to: redirect(body),
            })),
        }
    } else {
        error_detail(body).map(Reply::Refused)
    };
    reply.unwrap_or(Reply::Unreachable)
}

fn send_response<J: Json>(v: &J) -> Option<SendResponse> {
    Some(SendResponse {
        flow_id: string(v, "flow_id")?,
        expires_in: whole(v, "expires_in")?,
        resend_in: whole(v, "resend_in")?,
    })
}

fn resend_response<J: Json>(v: &J) -> Option<ResendResponse> {
    Some(ResendResponse {
        expires_in: whole(v, "expires_in")?,
        resend_in: whole(v, "resend_in")?,
    })
}

fn verify_response<J: Json>(v: &J) -> Option<VerifyResponse> {
    Some(VerifyResponse {
        status: (string(v, "status")? == "approved").then_some(VerifyStatus::Approved)?,
        email: string(v, "email")?,
        redirect_to: redirect(v),
    })
}

fn sign_in_response<J: Json>(v: &J) -> Option<SignInResponse> {
    Some(SignInResponse {
        client_name: string(v, "client_name")?,
        login_hint: string(v, "login_hint"),
        ui_locales: string(v, "ui_locales"),
        session: v.member("session").and_then(|s| {
            Some(SessionChoice {
                email: string(&s, "email")?,
                can_continue: s.member("can_continue").and_then(|b| b.boolean()) == Some(true),
            })
        }),
    })
}

/// Where the service sends the person back to the app: a web address only
/// (never `javascript:` or `data:`), since the page navigates there.
fn redirect<J: Json>(v: &J) -> Option<String> {
    string(v, "redirect_to").filter(|to| to.starts_with("http"))
}

fn error_detail<J: Json>(body: &J) -> Option<ErrorDetail> {
    let e = body.member("error")?;
    Some(ErrorDetail {
        code: error_code(&string(&e, "code")?)?,
        message: string(&e, "message").unwrap_or_default(),
        attempts_left: whole(&e, "attempts_left").and_then(|n| u32::try_from(n).ok()),
        retry_after: whole(&e, "retry_after"),
        challenge: e.member("challenge").and_then(|c| challenge(&c)),
    })
}

/// A puzzle the solver can take: a token that fits its buffer.
fn challenge<J: Json>(v: &J) -> Option<Challenge> {
    Some(Challenge {
        token: string(v, "token").filter(|t| t.len() <= MAX_CHALLENGE_LEN)?,
        difficulty: whole(v, "difficulty").and_then(|n| u32::try_from(n).ok())?,
    })
}

fn string<J: Json>(v: &J, key: &str) -> Option<String> {
    v.member(key)?.string()
}

fn whole<J: Json>(v: &J, key: &str) -> Option<u64> {
    whole_number(v.member(key)?.number()?)
}

/// A non-negative whole number that a JavaScript number holds exactly
/// (up to 2^53 - 1, which is also the largest proof-of-work nonce).
pub fn whole_number(n: f64) -> Option<u64> {
    ((0.0..=9_007_199_254_740_991.0).contains(&n) && n.fract() == 0.0).then_some(n as u64)
}

/// Every error code the service has, so one is read by its wire name
/// ([`ErrorCode::as_str`]) rather than through serde's deserializer, whose
/// error for an unknown name is formatted text (`core::fmt` in the
/// download). A test fails when `otp-api` gains a code this list lacks.
pub(crate) const ERROR_CODES: [ErrorCode; 26] = {
    use ErrorCode::*;
    [
        InvalidRequest,
        UnsupportedMediaType,
        PayloadTooLarge,
        NotFound,
        MethodNotAllowed,
        Forbidden,
        InvalidEmail,
        InvalidCodeFormat,
        UnknownFlow,
        Expired,
        AlreadyUsed,
        WrongCode,
        TooManyAttempts,
        ResendTooSoon,
        RateLimited,
        ProofOfWorkRequired,
        Undeliverable,
        SignInExpired,
        SessionRequired,
        LogoutExpired,
        ForbiddenOrigin,
        CeremonyExpired,
        PasskeyRefused,
        UnknownPasskey,
        Unavailable,
        Internal,
    ]
};

fn error_code(name: &str) -> Option<ErrorCode> {
    ERROR_CODES.into_iter().find(|c| c.as_str() == name)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "wire_tests.rs"]
mod tests;
