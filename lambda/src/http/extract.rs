//! Extractors whose rejections answer in the API's JSON error shape, never
//! with a framework's plain-text message.

use super::edge::{VIEWER_ADDRESS_HEADER, parse_viewer_address};
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, StatusCode, header};
use lambda_http::request::RequestContext;
use otp_api::ErrorCode;
use serde::de::DeserializeOwned;
use std::net::{IpAddr, SocketAddr};

/// A JSON body: `application/json`, at most `MAX_BODY_BYTES`, a JSON object
/// with exactly the fields of `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::PayloadTooLarge)
            } else {
                ApiError::new(ErrorCode::InvalidRequest)
            }
        })?;
        // serde reads a struct from a sequence too (`["a@example.com"]`); the
        // contract is an object, so anything else is refused before it.
        if !is_object(&bytes) {
            return Err(ApiError::new(ErrorCode::InvalidRequest)
                .with_message("The request body must be a JSON object."));
        }
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            // serde's message names the field and the expectation, which is
            // what a caller needs to fix the request.
            ApiError::new(ErrorCode::InvalidRequest)
                .with_message(format!("The request body is not valid: {e}."))
        })
    }
}

/// Whether a JSON text is an object: its first character after the
/// whitespace JSON allows (RFC 8259 §2) is `{`.
fn is_object(body: &[u8]) -> bool {
    body.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{')
}

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The header a trusted proxy in front of the service writes the client's
/// address into (`OTP_CLIENT_IP_HEADER`), as a request extension.
#[derive(Debug, Clone)]
pub struct TrustedIpHeader(pub HeaderName);

/// The client address budgets are counted against. On Lambda it comes from
/// the request context (set by AWS, not by the client); locally from the TCP
/// peer; behind a proxy the operator named, from that proxy's header and
/// nothing else. Other headers such as `X-Forwarded-For` are never trusted:
/// anyone can send them. `None` when the request has none (an Application
/// Load Balancer event, say): the service then refuses, never skips a budget.
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(Some(TrustedIpHeader(name))) = parts.extensions.get::<Option<TrustedIpHeader>>()
        {
            // The last line: a proxy that adds a line of its own rather than
            // joining it to the client's puts its own at the end.
            let value = parts
                .headers
                .get_all(name)
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok());
            // CloudFront's `ip:port`, IPv6 without brackets, needs its own
            // reading; other proxies write the forms below.
            let ip = if name.as_str() == VIEWER_ADDRESS_HEADER {
                value.and_then(parse_viewer_address)
            } else {
                value.and_then(parse_header_ip)
            };
            return Ok(ClientIp(ip));
        }
        let from_lambda = parts
            .extensions
            .get::<RequestContext>()
            .and_then(|context| match context {
                RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
                RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
                RequestContext::Alb(_) => None,
            })
            .and_then(|ip| ip.parse().ok());
        if from_lambda.is_some() {
            return Ok(ClientIp(from_lambda));
        }
        // The TCP peer (or, in tests, axum's `MockConnectInfo`).
        let from_socket = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(from_socket))
    }
}

/// An address as proxies write it: `203.0.113.7`, `2001:db8::1`,
/// `[2001:db8::1]:443` or `203.0.113.7:443` (`CloudFront-Viewer-Address`
/// has a reading of its own, [`parse_viewer_address`]). In
/// a list (`X-Forwarded-For`), the last entry: the one the trusted proxy
/// added; the ones before it came from the client.
fn parse_header_ip(value: &str) -> Option<IpAddr> {
    let value = value.rsplit(',').next()?.trim();
    if let Ok(ip) = value.parse() {
        return Some(ip);
    }
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    // `addr:port` without brackets. An IPv6 address with a port written
    // that way already parsed above, as an address whose last group is the
    // port: harmless, since budgets count IPv6 per /64.
    let (ip, port) = value.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_objects_are_bodies() {
        for ok in [&b"{}"[..], b" \r\n\t{\"a\":1}"] {
            assert!(is_object(ok));
        }
        for bad in [
            &b"[\"a@example.com\"]"[..],
            b"\"a\"",
            b"1",
            b"null",
            b"",
            b"  ",
        ] {
            assert!(!is_object(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn header_addresses_as_proxies_write_them() {
        let ip = |s: &str| parse_header_ip(s).map(|ip| ip.to_string());
        assert_eq!(ip("203.0.113.7").as_deref(), Some("203.0.113.7"));
        assert_eq!(ip(" 203.0.113.7:443").as_deref(), Some("203.0.113.7"));
        assert_eq!(ip("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("[2001:db8::1]:443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ip("2001:db8::1:443").as_deref(), Some("2001:db8::1:443"));
        assert_eq!(
            ip("198.51.100.1, 203.0.113.7").as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(ip("203.0.113.7,"), None);
        assert_eq!(ip("unknown"), None);
    }

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
