//! The passkey endpoints: adding one in a session, signing in with one (an
//! approved verification without a mail: the session's cookies, and for an
//! app's sign-in the way back to it), listing and removing them. Like the
//! session's, each is a `POST` with a JSON body behind the same-origin
//! check.

use super::error::ApiError;
use super::extract::{ApiJson, ClientIp};
use super::session::with_cookies;
use crate::domain::SignInId;
use crate::oidc::Provider;
use crate::service::ServiceError;
use crate::session::cookie;
use crate::store::Session;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use otp_api::{
    PasskeyInfo, PasskeyOptions, PasskeyRemoved, PasskeySignInRequest, PasskeysRequest,
    PasskeysResponse, RegisterOptionsRequest, RegisterPasskeyRequest, RemovePasskeyRequest,
    SignInOptionsRequest, VerifyResponse, VerifyStatus,
};
use std::sync::Arc;

/// The browser's live session, which adding, listing and removing need.
async fn session(provider: &Provider, headers: &HeaderMap) -> Result<Session, ApiError> {
    let sessions = provider.sessions();
    let browser = sessions.browser(headers);
    sessions
        .current(&browser)
        .await
        .map_err(ServiceError::Store)?
        .ok_or_else(|| ServiceError::SessionRequired.into())
}

/// `POST /api/passkey/register/options`
pub async fn register_options(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(_): ApiJson<RegisterOptionsRequest>,
) -> Result<Json<PasskeyOptions>, ApiError> {
    let session = session(&provider, &headers).await?;
    Ok(Json(provider.passkeys().register_options(&session).await?))
}

/// `POST /api/passkey/register`
pub async fn register(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<RegisterPasskeyRequest>,
) -> Result<Json<PasskeyInfo>, ApiError> {
    let session = session(&provider, &headers).await?;
    let added = provider
        .passkeys()
        .register(
            &session,
            &request.ceremony,
            request.credential,
            request.name,
        )
        .await?;
    Ok(Json(added))
}

/// `POST /api/passkey/sign-in/options`
pub async fn sign_in_options(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SignInOptionsRequest>,
) -> Result<Json<PasskeyOptions>, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    let sign_in = match &request.sign_in {
        Some(id) => Some(SignInId::parse(id).ok_or(ServiceError::MalformedId("sign_in"))?),
        None => None,
    };
    Ok(Json(provider.passkey_options(sign_in, ip).await?))
}

/// `POST /api/passkey/sign-in`: an approved verification, by passkey.
pub async fn sign_in(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<PasskeySignInRequest>,
) -> Result<Response, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    let asserted = provider
        .passkey_sign_in(&request.ceremony, request.credential, ip)
        .await?;
    let sessions = provider.sessions();
    let browser = sessions.browser(&headers);
    let verified = provider.passkey_approved(&asserted, &browser).await?;
    let established = &verified.established;
    let cookies = [
        cookie::set_session(&established.cookie, sessions.max_age(&established.session)),
        sessions.device_cookie(&established.device),
    ];
    let answer = match verified.redirect {
        Ok(redirect_to) => Json(VerifyResponse {
            status: VerifyStatus::Approved,
            email: asserted.passkey.email.clone(),
            redirect_to,
        })
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    };
    Ok(with_cookies(answer, cookies))
}

/// `POST /api/passkeys`
pub async fn list(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(_): ApiJson<PasskeysRequest>,
) -> Result<Json<PasskeysResponse>, ApiError> {
    let session = session(&provider, &headers).await?;
    let passkeys = provider
        .passkeys()
        .list(&session.subject)
        .await
        .map_err(ServiceError::Store)?;
    Ok(Json(PasskeysResponse { passkeys }))
}

/// `POST /api/passkeys/remove`: the sessions the passkey started end; if
/// this browser's was one, its cookie is cleared.
pub async fn remove(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<RemovePasskeyRequest>,
) -> Result<Response, ApiError> {
    let session = session(&provider, &headers).await?;
    let ended = provider
        .remove_passkey(&session.subject, &request.id)
        .await
        .map_err(ServiceError::Store)?
        .ok_or(ServiceError::UnknownPasskey)?;
    let clear = ended
        .iter()
        .any(|s| s.id == session.id)
        .then(cookie::clear_session);
    let answer = Json(PasskeyRemoved {
        sessions_ended: u32::try_from(ended.len()).unwrap_or(u32::MAX),
    });
    Ok(with_cookies(answer.into_response(), clear))
}
