//! Passkeys: adding one inside a session, signing in with one (no mail),
//! listing and removing them.
//!
//! The WebAuthn options and credentials travel in their JSON form (WebAuthn
//! Level 3: `PublicKeyCredential.parseCreationOptionsFromJSON`,
//! `toJSON()`): the page hands them between the browser and the service
//! without reading them. Each ceremony is named by the opaque handle its
//! options came with; its challenge answers once and for a few minutes.
//! Like the session's, these endpoints are `POST`s with a JSON body and
//! refuse a foreign `Origin` ([`crate::ErrorCode::ForbiddenOrigin`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest name a passkey may be given.
pub const MAX_PASSKEY_NAME_LEN: usize = 64;

/// `POST /api/passkey/register/options`: start adding a passkey to the
/// identity of this browser's session. An empty object.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterOptionsRequest {}

/// `POST /api/passkey/sign-in/options`: start signing in with a passkey.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInOptionsRequest {
    /// The app's sign-in request this is for (the `sign_in` of the page's
    /// address); the passkey then completes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::optional_sign_in))]
    pub sign_in: Option<String>,
}

/// `200` answer to either options request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyOptions {
    /// The ceremony's handle, sent back with the browser's answer.
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::ceremony))]
    pub ceremony: String,
    /// `publicKey` for `navigator.credentials.create` or `.get`, in its JSON
    /// form (challenge and ids base64url).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub public_key: Value,
}

/// `POST /api/passkey/register`: the browser's new credential.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterPasskeyRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::ceremony))]
    pub ceremony: String,
    /// The `PublicKeyCredential` of `navigator.credentials.create`, as its
    /// `toJSON()` writes it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: Value,
    /// What the list shows, 1 to [`MAX_PASSKEY_NAME_LEN`] characters (say,
    /// the device); "Passkey" when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// `POST /api/passkey/sign-in`: the browser's assertion. The `200` answer is
/// the approving verify's ([`crate::VerifyResponse`]), with the session's
/// cookies; no mail is sent.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeySignInRequest {
    #[cfg_attr(feature = "openapi", schema(schema_with = crate::openapi::ceremony))]
    pub ceremony: String,
    /// The `PublicKeyCredential` of `navigator.credentials.get`, as its
    /// `toJSON()` writes it.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub credential: Value,
}

/// A passkey as the person sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    /// The credential id, base64url: what removing it names.
    pub id: String,
    pub name: String,
    /// When it was added, seconds since the epoch.
    pub created_at: u64,
    /// When it last signed someone in; `null` if never.
    pub last_used_at: Option<u64>,
}

/// `POST /api/passkeys`: the passkeys of this browser's session's identity.
/// An empty object.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeysRequest {}

/// `200` answer to `POST /api/passkeys`, oldest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeysResponse {
    pub passkeys: Vec<PasskeyInfo>,
}

/// `POST /api/passkeys/remove`: remove one of the identity's passkeys. The
/// emailed code remains, so the last one may go too.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemovePasskeyRequest {
    pub id: String,
}

/// `200` answer to `POST /api/passkeys/remove`: the passkey is gone, and
/// so are the sessions it started (this browser's too, if it was one).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyRemoved {
    pub sessions_ended: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn requests_refuse_unknown_fields() {
        assert!(serde_json::from_str::<RegisterOptionsRequest>("{}").is_ok());
        assert!(serde_json::from_str::<RegisterOptionsRequest>(r#"{"x":1}"#).is_err());
        let sign_in: SignInOptionsRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(sign_in.sign_in, None);
        assert!(
            serde_json::from_value::<PasskeySignInRequest>(
                json!({"ceremony": "c", "credential": {}, "extra": 1})
            )
            .is_err()
        );
        let named: RegisterPasskeyRequest =
            serde_json::from_value(json!({"ceremony": "c", "credential": {"id": "x"}})).unwrap();
        assert_eq!(
            (named.name, named.credential["id"].as_str()),
            (None, Some("x"))
        );
    }
}
