//! The wire contract between the page and the service.
//!
//! Every JSON body that crosses the network is defined here once, so the
//! WebAssembly page and the Lambda function cannot disagree about a field
//! name or an error code. No I/O: this crate compiles for `wasm32` and for
//! the server alike.
//!
//! Layout:
//! - request and response bodies of `/api/otp/{send,resend,verify}`,
//!   `/api/sign-in{,/cancel}` (the page's side of an OpenID Connect sign-in)
//!   and `/api/health`
//! - [`session`]: the session on the service's origin (`/api/session{,/end}`,
//!   `/api/sign-in/continue`, `/api/logout{,/confirm}`)
//! - [`passkey`]: adding a passkey in a session, signing in with one,
//!   listing and removing them (`/api/passkey/…`, `/api/passkeys{,/remove}`)
//! - [`error`]: [`ErrorCode`] and [`ErrorBody`], the one error shape every
//!   failure answers in, and the HTTP status of each code
//! - [`parse_code`]: what counts as a well-formed code, shared by page and server
//! - [`openapi`]: schemas of the constrained fields (feature `openapi`: the
//!   server's OpenAPI document; the page never builds it)
//! - [`pow`]: the proof-of-work puzzle a send must solve when the address's
//!   free budget is spent (feature `pow`: the server checks, the page's solver solves)

use serde::{Deserialize, Serialize};
use std::fmt;

/// Digits in a code.
pub const CODE_LENGTH: usize = 6;
/// Longest accepted address (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Largest accepted request body; every valid request is far smaller.
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// Longest accepted idempotency key.
pub const MAX_REQUEST_ID_LEN: usize = 128;
/// Longest accepted proof-of-work challenge token.
pub const MAX_CHALLENGE_LEN: usize = 256;

pub mod error;
pub mod locale;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod passkey;
#[cfg(feature = "pow")]
pub mod pow;
pub mod session;

pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use passkey::{
    MAX_PASSKEY_NAME_LEN, PasskeyInfo, PasskeyOptions, PasskeyRemoved, PasskeySignInRequest,
    PasskeysRequest, PasskeysResponse, RegisterOptionsRequest, RegisterPasskeyRequest,
    RemovePasskeyRequest, SignInOptionsRequest,
};
pub use session::{
    LogoutDone, LogoutInfo, LogoutRequest, SessionChoice, SessionRequest, SessionResponse,
    SignOutRequest, SignOutResponse, SignedIn,
};

/// `POST /api/otp/send`
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::email))]
    pub email: String,
    /// Idempotency key: a retried send with the same key maps to the same
    /// flow and sends no second message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::request_id))]
    pub request_id: Option<String>,
    /// The solved challenge of an earlier `proof_of_work_required` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    /// The sign-in request this verification is for (the `sign_in` of the
    /// page's address, from `/authorize`): the approving verify then answers
    /// with the redirect back to the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::optional_sign_in))]
    pub sign_in: Option<String>,
    /// The language of the code mail: a tag of [`locale::LANGUAGES`]; the
    /// service's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::locale))]
    pub locale: Option<String>,
}

/// A solution to a [`Challenge`]: a `nonce` such that SHA-256 of the
/// challenge's token followed by the nonce (8 bytes, little-endian) starts
/// with `difficulty` zero bits. See [`pow`].
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(
        description = "A solution to the `challenge` of a `proof_of_work_required` answer: \
        a `nonce` such that SHA-256 of the challenge's token followed by the nonce (8 bytes, \
        little-endian) starts with `difficulty` zero bits."
    )
)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The `token` of the challenge, unchanged.
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::challenge_token))]
    pub challenge: String,
    /// At most 2^53 - 1, so that JavaScript numbers carry it exactly; a
    /// whole number written with a fraction (`1968.0`) is that number.
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::nonce))]
    #[serde(deserialize_with = "whole_number")]
    pub nonce: u64,
}

/// The largest whole number a JSON number carries exactly in JavaScript.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JSON integer in `0..=MAX_SAFE_INTEGER`, as JSON Schema's `integer`
/// reads it: `7` and `7.0` alike.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            write!(f, "a whole number from 0 to {MAX_SAFE_INTEGER}")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
            if n <= MAX_SAFE_INTEGER {
                Ok(n)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Unsigned(n), &self))
            }
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
            u64::try_from(n)
                .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(n), &self))
                .and_then(|n| self.visit_u64(n))
        }
        fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<u64, E> {
            if n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER as f64).contains(&n) {
                Ok(n as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(n), &self))
            }
        }
    }
    d.deserialize_any(Whole)
}

/// A puzzle the service asks for before it sends more mail to an address
/// whose free daily budget others have spent: single use, bound to the
/// address and the `request_id` it was issued for, valid for a few minutes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Opaque; sent back unchanged in [`Proof::challenge`].
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::challenge_token))]
    pub token: String,
    /// Leading zero bits the hash must have; about 2^difficulty tries.
    pub difficulty: u32,
}

/// `202` answer to a send.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendResponse {
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::flow_id))]
    pub flow_id: String,
    /// Seconds until the code expires.
    pub expires_in: u64,
    /// Seconds until a resend is allowed.
    pub resend_in: u64,
}

/// `POST /api/otp/resend`
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResendRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::flow_id))]
    pub flow_id: String,
    /// The solved challenge of an earlier `proof_of_work_required` answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    /// The language of the new mail; the flow's language when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::locale))]
    pub locale: Option<String>,
}

/// `202` answer to a resend.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResendResponse {
    /// Seconds until the code expires: what is left of it when it is sent
    /// again, a whole lifetime for a fresh code.
    pub expires_in: u64,
    /// Seconds until a resend is allowed.
    pub resend_in: u64,
}

/// `POST /api/otp/verify`
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::flow_id))]
    pub flow_id: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::code))]
    pub code: String,
}

/// The only status a successful verify reports.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    Approved,
}

/// `200` answer to a verify.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    pub status: VerifyStatus,
    /// The address that was proven, in its one stored form: lower case, the
    /// domain in ASCII, and a provider's `+tag` and dot rules applied only
    /// where the provider documents them (`A.nn+x@GoogleMail.com` is
    /// `ann@gmail.com`; `ann+x@corp.example` stays itself).
    pub email: String,
    /// For a flow started with `sign_in`: where the page sends the person
    /// now, the app's `redirect_uri` with `code`, `state` and `iss`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

/// `POST /api/sign-in`, `POST /api/sign-in/continue` and
/// `POST /api/sign-in/cancel`: a sign-in request
/// started at `/authorize`, named by the opaque handle the page was given.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = openapi::sign_in))]
    pub sign_in: String,
}

/// `200` answer to `POST /api/sign-in`: what the page shows.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInResponse {
    /// The registered name of the app asking: "Continue to {client_name}".
    pub client_name: String,
    /// The address the app suggested (`login_hint`), to pre-fill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// The app's `ui_locales`, space-separated BCP 47 tags, preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<String>,
    /// Who is signed in in this browser, and whether "Continue" may finish
    /// this sign-in without a mail; absent without a live session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionChoice>,
}

/// `200` answer to `POST /api/sign-in/continue` (back to the app with
/// `code`, `state` and `iss`) and to `POST /api/sign-in/cancel` (back to
/// the app with `error=access_denied`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectResponse {
    pub redirect_to: String,
}

/// `GET /api/health`
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthResponse {
    pub status: String,
    pub version: String,
}

/// Reads a code as a person types or pastes it: the six digits, with any
/// spaces or dashes between them ignored (`123 456`, `123-456`).
/// Returns `None` for anything else.
pub fn parse_code(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == CODE_LENGTH && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_code_accepts_pasted_forms() {
        assert_eq!(parse_code("123456").as_deref(), Some("123456"));
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(parse_code("123-456").as_deref(), Some("123456"));
        assert_eq!(parse_code("000000").as_deref(), Some("000000"));
    }

    #[test]
    fn parse_code_rejects_everything_else() {
        for bad in [
            "",
            "12345",
            "1234567",
            "12a456",
            "１２３４５６",
            "123_456",
            "+12345",
        ] {
            assert_eq!(parse_code(bad), None, "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_code_round_trips_any_six_digits(n in 0u32..1_000_000) {
            let code = format!("{n:06}");
            prop_assert_eq!(parse_code(&code), Some(code.clone()));
            let spaced = format!("{} {}", &code[..3], &code[3..]);
            prop_assert_eq!(parse_code(&spaced), Some(code));
        }

        #[test]
        fn parse_code_output_is_always_six_ascii_digits(s in "\\PC{0,20}") {
            if let Some(code) = parse_code(&s) {
                prop_assert_eq!(code.len(), CODE_LENGTH);
                prop_assert!(code.bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn a_nonce_is_a_whole_number_javascript_carries_exactly() {
        let proof = |nonce: &str| {
            serde_json::from_str::<Proof>(&format!(r#"{{"challenge":"t","nonce":{nonce}}}"#))
                .map(|p| p.nonce)
        };
        assert_eq!(proof("1968").unwrap(), 1968);
        assert_eq!(proof("1968.0").unwrap(), 1968);
        assert_eq!(proof("9007199254740991").unwrap(), MAX_SAFE_INTEGER);
        // Read exactly, not one float step off (serde_json's float_roundtrip).
        assert_eq!(proof("3992414687104646.0").unwrap(), 3_992_414_687_104_646);
        for bad in ["9007199254740992", "-1", "1.5", "\"7\"", "null", "1e300"] {
            assert!(proof(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_reject_unknown_fields() {
        let err = serde_json::from_str::<SendRequest>(r#"{"email":"a@b.c","admin":true}"#);
        assert!(err.is_err());
    }
}
