//! Extractors whose rejections answer in the API's JSON error shape, never
//! with a framework's plain-text message.

use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use lambda_http::request::RequestContext;
use otp_api::ErrorCode;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body: `application/json`, at most `MAX_BODY_BYTES`, exactly the
/// fields of `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            // serde's message names the field and the expectation, which is
            // what a caller needs to fix the request.
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest)
                .with_message(format!("The request body is not valid: {e}."))
        })
    }
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The client address budgets are counted against. On Lambda it comes from
/// the request context (set by AWS, not by the client); locally from the TCP
/// peer. Headers such as `X-Forwarded-For` are never trusted: anyone can
/// send them.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_lambda = parts
            .extensions
            .get::<RequestContext>()
            .and_then(|context| match context {
                RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
                RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
                RequestContext::Alb(_) => None,
            })
            .and_then(|ip| ip.parse().ok());
        let from_socket = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip())
        };
        Ok(ClientIp(from_lambda.or_else(from_socket)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let ok = [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
        ];
        for value in ok {
            assert!(
                is_json(Some(&header::HeaderValue::from_static(value))),
                "{value}"
            );
        }
        let bad = [
            "text/plain",
            "application/jsonp",
            "application/x-www-form-urlencoded",
        ];
        for value in bad {
            assert!(
                !is_json(Some(&header::HeaderValue::from_static(value))),
                "{value}"
            );
        }
        assert!(!is_json(None));
    }
}
