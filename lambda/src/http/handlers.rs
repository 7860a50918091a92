//! One handler per endpoint: decode, call the service, encode.

use super::error::ApiError;
use super::extract::{ApiJson, ClientIp};
use super::session::with_cookies;
use crate::oidc::Provider;
use crate::service::{Client, SendInput, Service};
use crate::session::cookie;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use otp_api::{
    HealthResponse, ResendRequest, ResendResponse, SendRequest, SendResponse, VerifyRequest,
    VerifyResponse, VerifyStatus,
};
use std::sync::Arc;

/// The browser's cookies go along: a device that proved the address is
/// counted against its own budget.
pub async fn send(
    State(service): State<Arc<Service>>,
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<SendResponse>), ApiError> {
    let browser = provider.sessions().browser(&headers);
    let sent = service
        .send(SendInput::parse(&request)?, Client { ip, browser })
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SendResponse {
            flow_id: sent.flow_id.as_str().to_owned(),
            expires_in: sent.expires_in,
            resend_in: sent.resend_in,
        }),
    ))
}

pub async fn resend(
    State(service): State<Arc<Service>>,
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<ResendRequest>,
) -> Result<(StatusCode, Json<ResendResponse>), ApiError> {
    let browser = provider.sessions().browser(&headers);
    let resent = service
        .resend(
            &request.flow_id,
            request.proof.as_ref(),
            request.locale.as_deref(),
            Client { ip, browser },
        )
        .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(ResendResponse {
            expires_in: resent.expires_in,
            resend_in: resent.resend_in,
        }),
    ))
}

/// An approved code gives the browser a session (and its device a mark),
/// whatever else happens; a flow bound to an app's sign-in completes it:
/// the provider grants the code and the answer says where the page sends
/// the person.
pub async fn verify(
    State(service): State<Arc<Service>>,
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Response, ApiError> {
    let approved = service
        .verify(&request.flow_id, &request.code, Client::at(ip))
        .await?;
    let browser = provider.sessions().browser(&headers);
    let verified = provider.approved(&approved, &browser).await?;
    let established = &verified.established;
    let cookies = [
        cookie::set_session(
            &established.cookie,
            provider.sessions().max_age(&established.session),
        ),
        provider.sessions().device_cookie(&established.device),
    ];
    let answer = match verified.redirect {
        Ok(redirect_to) => Json(VerifyResponse {
            status: VerifyStatus::Approved,
            email: approved.email.as_str().to_owned(),
            redirect_to,
        })
        .into_response(),
        Err(e) => ApiError::from(e).into_response(),
    };
    Ok(with_cookies(answer, cookies))
}

pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}
