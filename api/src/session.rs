//! The session on the service's own origin: who is signed in in this
//! browser, signing out, finishing a sign-in without a mail, and the
//! confirmation of a logout an app asked for.
//!
//! The session itself travels in an `HttpOnly` cookie the page never reads;
//! these bodies only say what the page shows. Every endpoint that reads or
//! changes the cookie is a `POST` with a JSON body (a cross-site form cannot
//! send `application/json`) and refuses a foreign `Origin`
//! ([`crate::ErrorCode::ForbiddenOrigin`]).

use serde::{Deserialize, Serialize};

/// `POST /api/session`: who is signed in in this browser. An empty object.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {}

/// `200` answer to `POST /api/session`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionResponse {
    /// The live session of this browser; `null` without one (no cookie, an
    /// unknown one, or a session that ended, sat idle too long or is too old:
    /// all the same answer).
    pub session: Option<SignedIn>,
}

/// A live session: whose it is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    /// The identity's address, as the approving verify answered it.
    pub email: String,
}

/// `POST /api/session/end`: sign out.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignOutRequest {
    /// `false`: this browser's session; `true`: every session of the
    /// identity, on every device.
    pub everywhere: bool,
}

/// `200` answer to `POST /api/session/end`; it also clears the session
/// cookie (the device cookie stays: it is not a session).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutResponse {
    /// How many sessions this request ended; `0` without a live session.
    pub sessions_ended: u32,
}

/// Part of the answer to `POST /api/sign-in`: who is signed in in this
/// browser, and whether that session may finish this sign-in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionChoice {
    /// The session's address.
    pub email: String,
    /// `true`: "Continue as {email}" finishes the sign-in in one press
    /// (`POST /api/sign-in/continue`, no mail). `false`: the app asked for a
    /// fresh code (`prompt=login`, a `max_age` the session is older than) or
    /// for another person (an `id_token_hint` of another subject); the page
    /// shows the Email screen with this address filled in.
    pub can_continue: bool,
}

/// `POST /api/logout` and `POST /api/logout/confirm`: a logout an app asked
/// for at `/logout`, named by the opaque handle of the page's address.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::logout))]
    pub logout: String,
}

/// `200` answer to `POST /api/logout`: what the confirmation asks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutInfo {
    /// Who would be signed out; `null` when this browser has no live session.
    pub email: Option<String>,
    /// The registered name of the app that asked, when it named itself.
    pub client_name: Option<String>,
    /// The app's `ui_locales`, space-separated BCP 47 tags, preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui_locales: Option<String>,
}

/// `200` answer to `POST /api/logout/confirm`, after the session ended.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutDone {
    /// The app's registered `post_logout_redirect_uri` (with its `state`);
    /// `null` when the app named none: the page then says "You are signed out."
    pub redirect_to: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_session_request_is_an_empty_object() {
        assert_eq!(
            serde_json::from_str::<SessionRequest>("{}").unwrap(),
            SessionRequest {}
        );
        assert!(serde_json::from_str::<SessionRequest>(r#"{"email":"a@b.c"}"#).is_err());
        assert!(serde_json::from_str::<SignOutRequest>("{}").is_err());
        assert!(serde_json::from_str::<LogoutRequest>(r#"{"logout":"x","y":1}"#).is_err());
    }

    #[test]
    fn no_session_is_written_as_null() {
        let none = SessionResponse { session: None };
        assert_eq!(
            serde_json::to_value(none).unwrap(),
            json!({"session": null})
        );
        let info = LogoutInfo {
            email: None,
            client_name: None,
            ui_locales: None,
        };
        assert_eq!(
            serde_json::to_value(info).unwrap(),
            json!({"email": null, "client_name": null})
        );
        let done = LogoutDone { redirect_to: None };
        assert_eq!(
            serde_json::to_value(done).unwrap(),
            json!({"redirect_to": null})
        );
    }
}
