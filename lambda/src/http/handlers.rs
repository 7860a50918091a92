//! One handler per endpoint: decode, call the service, encode.

use super::error::ApiError;
use super::extract::{ApiJson, ClientIp};
use crate::oidc::Provider;
use crate::service::{Client, SendInput, Service};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use otp_api::{
    HealthResponse, ResendRequest, ResendResponse, SendRequest, SendResponse, VerifyRequest,
    VerifyResponse, VerifyStatus,
};
use std::sync::Arc;

pub async fn send(
    State(service): State<Arc<Service>>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<SendResponse>), ApiError> {
    let sent = service
        .send(SendInput::parse(&request)?, Client { ip })
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
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<ResendRequest>,
) -> Result<(StatusCode, Json<ResendResponse>), ApiError> {
    let resent = service
        .resend(
            &request.flow_id,
            request.proof.as_ref(),
            request.locale.as_deref(),
            Client { ip },
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

/// A flow bound to an app's sign-in completes it: the provider grants the
/// code and the answer says where the page sends the person.
pub async fn verify(
    State(service): State<Arc<Service>>,
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let approved = service
        .verify(&request.flow_id, &request.code, Client { ip })
        .await?;
    let redirect_to = match approved.sign_in {
        Some(_) => Some(provider.grant(&approved).await?),
        None => None,
    };
    Ok(Json(VerifyResponse {
        status: VerifyStatus::Approved,
        email: approved.email.as_str().to_owned(),
        redirect_to,
    }))
}

pub async fn health() -> Json<HealthResponse> {
    Json(HealthResponse {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}
