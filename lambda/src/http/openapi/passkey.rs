//! The passkey steps of the document: adding one in a session, signing in
//! with one, listing and removing them.

use super::{Step, success};
use otp_api::ErrorCode as C;
use std::collections::BTreeMap;
use utoipa::openapi::path::{HttpMethod, PathItem};

/// Adds the passkey operations to `paths`.
pub(super) fn add_steps(paths: &mut BTreeMap<String, PathItem>) {
    let register_options = Step {
        id: "passkeyRegisterOptions",
        summary: "Start adding a passkey to the identity of the browser's session",
        description: "Answers `publicKey` for `navigator.credentials.create` (a discoverable \
            credential with user verification, no attestation; `user.id` random per identity) \
            and the ceremony's handle, valid for 5 minutes. Without a live session, 401 \
            `session_required`; on a service at an IP address, 404 `not_found`.",
        request: Some("RegisterOptionsRequest"),
        status: 200,
        success: success("The options, and the ceremony's handle.", "PasskeyOptions"),
        errors: &[
            C::InvalidRequest,
            C::SessionRequired,
            C::NotFound,
            C::Unavailable,
        ],
    };
    let register = Step {
        id: "passkeyRegister",
        summary: "Add the browser's new credential as a passkey",
        description: "Checks the credential against the ceremony (started in this session, \
            answered once, within its 5 minutes), the service's origin and relying-party id, \
            and user verification.",
        request: Some("RegisterPasskeyRequest"),
        status: 200,
        success: success("The passkey as listed.", "PasskeyInfo"),
        errors: &[
            C::InvalidRequest,
            C::SessionRequired,
            C::PasskeyRefused,
            C::NotFound,
            C::CeremonyExpired,
            C::Unavailable,
        ],
    };
    let sign_in_options = Step {
        id: "passkeySignInOptions",
        summary: "Start signing in with a passkey",
        description: "Answers `publicKey` for `navigator.credentials.get` (empty \
            `allowCredentials`: the browser offers the passkeys it has for this site, in the \
            email field with conditional mediation or in its own dialog) and the ceremony's \
            handle, valid for 5 minutes. With `sign_in`, the passkey completes that app's sign-in.",
        request: Some("SignInOptionsRequest"),
        status: 200,
        success: success("The options, and the ceremony's handle.", "PasskeyOptions"),
        errors: &[
            C::InvalidRequest,
            C::NotFound,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let sign_in = Step {
        id: "passkeySignIn",
        summary: "Sign in with a passkey: an approved verification, without a mail",
        description: "Checks the assertion against the ceremony (answered once, within its 5 \
            minutes), the service's origin and relying-party id, the passkey's public key, user \
            verification and signature counter (one that goes backwards, as a copied passkey's \
            would, is refused). Answers as an approving verify does: the session and device \
            cookies, and for a ceremony started with `sign_in` the way back to the app \
            (`redirect_to`), whose ID token then carries the passkey's `amr`. Failed answers are \
            counted per client address and per passkey; over either budget, 429.",
        request: Some("PasskeySignInRequest"),
        status: 200,
        success: success("The address is verified.", "VerifyResponse"),
        errors: &[
            C::InvalidRequest,
            C::PasskeyRefused,
            C::NotFound,
            C::UnknownPasskey,
            C::CeremonyExpired,
            C::SignInExpired,
            C::SessionRequired,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let list = Step {
        id: "passkeys",
        summary: "The passkeys of the identity of the browser's session",
        description: "Oldest first: name, when added, when last used.",
        request: Some("PasskeysRequest"),
        status: 200,
        success: success("The passkeys.", "PasskeysResponse"),
        errors: &[C::InvalidRequest, C::SessionRequired, C::Unavailable],
    };
    let remove = Step {
        id: "removePasskey",
        summary: "Remove one of the identity's passkeys",
        description: "The last one may go too (the emailed code remains). The sessions the \
            passkey started end (their apps are told by back-channel logout); if this browser's \
            was one, its cookie is cleared.",
        request: Some("RemovePasskeyRequest"),
        status: 200,
        success: success("Removed.", "PasskeyRemoved"),
        errors: &[
            C::InvalidRequest,
            C::SessionRequired,
            C::UnknownPasskey,
            C::Unavailable,
        ],
    };
    for (path, step) in [
        ("/api/passkey/register/options", register_options),
        ("/api/passkey/register", register),
        ("/api/passkey/sign-in/options", sign_in_options),
        ("/api/passkey/sign-in", sign_in),
        ("/api/passkeys", list),
        ("/api/passkeys/remove", remove),
    ] {
        paths.insert(path.into(), step.item(HttpMethod::Post));
    }
}
