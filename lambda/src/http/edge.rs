//! Behind CloudFront on a custom domain: the client address from
//! `CloudFront-Viewer-Address`, and the proof that a request came through
//! the distribution at all.
//!
//! The function URL stays reachable directly, so a caller could send it a
//! forged `CloudFront-Viewer-Address` and be counted as someone else. The
//! distribution therefore adds a secret header (`X-Origin-Verify`, from
//! `OTP_ORIGIN_VERIFY_SECRET`) to every request it forwards, and with the
//! secret configured the service answers a request without it with 403 and
//! nothing else. (CloudFront origin access control would sign requests
//! instead, but it requires viewers to send the SHA-256 of every POST body,
//! which browsers and the apps posting to `/token` do not.)

use super::error::ApiError;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use otp_api::ErrorCode;
use std::net::IpAddr;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The header the front door sets to the origin secret.
pub const ORIGIN_VERIFY_HEADER: &str = "x-origin-verify";

/// The header CloudFront writes the viewer's address and port into, in
/// the lower case `HeaderName` uses.
pub const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The address in a `CloudFront-Viewer-Address` value: `ip:port`, the IPv6
/// form without brackets (`2001:db8::1:46532`), so the port is what follows
/// the last colon. Anything else (no port, a list, brackets, a name) is no
/// address: the caller then refuses rather than guesses. An IPv4 address
/// written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address, so that it is
/// not counted in the one /64 all such addresses share.
pub fn parse_viewer_address(value: &str) -> Option<IpAddr> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    port.parse::<u16>().ok()?;
    ip.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// The configured origin secret, shared by every request.
#[derive(Clone)]
pub struct OriginSecret(Arc<[u8]>);

impl std::fmt::Debug for OriginSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OriginSecret([REDACTED])")
    }
}

impl OriginSecret {
    pub fn new(secret: &[u8]) -> OriginSecret {
        OriginSecret(secret.into())
    }

    /// Exactly one `X-Origin-Verify` header, equal to the secret; compared
    /// in constant time, so answer times tell nothing about how much of a
    /// guess was right.
    fn admits(&self, request: &Request) -> bool {
        let mut values = request.headers().get_all(ORIGIN_VERIFY_HEADER).iter();
        match (values.next(), values.next()) {
            (Some(value), None) => bool::from(value.as_bytes().ct_eq(&self.0)),
            _ => false,
        }
    }
}

/// Refuses, in the API's error shape, every request that did not come
/// through the front door.
pub async fn require_origin_secret(
    State(secret): State<OriginSecret>,
    request: Request,
    next: Next,
) -> Response {
    if secret.admits(&request) {
        return next.run(request).await;
    }
    // Path only: the header's value (a guess at the secret) is not logged.
    tracing::warn!(
        path = request.uri().path(),
        "refused a request that did not come through the front door (no valid X-Origin-Verify)"
    );
    ApiError::new(ErrorCode::Forbidden).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn ip(value: &str) -> Option<String> {
        parse_viewer_address(value).map(|ip| ip.to_string())
    }

    #[test]
    fn ipv4_with_its_port() {
        assert_eq!(ip("198.51.100.10:46532").as_deref(), Some("198.51.100.10"));
        assert_eq!(ip("203.0.113.7:0").as_deref(), Some("203.0.113.7"));
        assert_eq!(ip(" 203.0.113.7:443 ").as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn ipv6_without_brackets_loses_only_the_port() {
        // Read as an IPv6 address, the whole value would be a different
        // address (…:1:b5c4): the port must go first.
        assert_eq!(ip("2001:db8::1:46532").as_deref(), Some("2001:db8::1"));
        assert_eq!(
            ip("2001:db8:85a3:8d3:1319:8a2e:370:7348:443").as_deref(),
            Some("2001:db8:85a3:8d3:1319:8a2e:370:7348")
        );
        assert_eq!(ip("::1:8080").as_deref(), Some("::1"));
        assert_eq!(ip("::ffff:192.0.2.1:443").as_deref(), Some("192.0.2.1"));
    }

    #[test]
    fn anything_else_is_no_address() {
        for bad in [
            "",
            "198.51.100.10",
            "198.51.100.10:",
            "198.51.100.10:65536",
            "198.51.100.10:+443",
            "198.51.100.10:44 3",
            "198.51.100.10:443, 203.0.113.7:443",
            "[2001:db8::1]:443",
            "2001:db8::1",
            "example.com:443",
            "999.1.1.1:443",
            "unknown",
            ":443",
        ] {
            assert_eq!(ip(bad), None, "{bad:?}");
        }
    }

    fn request(values: &[&str]) -> Request {
        let mut builder = Request::builder().uri("/api/health");
        for v in values {
            builder = builder.header("X-Origin-Verify", *v);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_the_exact_secret_once_is_admitted() {
        let secret = OriginSecret::new(b"0123456789abcdefghijklmnopqrstuvwxyzABCD");
        assert!(secret.admits(&request(&["0123456789abcdefghijklmnopqrstuvwxyzABCD"])));
        for bad in [
            &[][..],
            &[""],
            &["0123456789abcdefghijklmnopqrstuvwxyzABC"],
            &["0123456789abcdefghijklmnopqrstuvwxyzABCDE"],
            &["0123456789abcdefghijklmnopqrstuvwxyzABCd"],
            &[
                "0123456789abcdefghijklmnopqrstuvwxyzABCD",
                "0123456789abcdefghijklmnopqrstuvwxyzABCD",
            ],
            &["wrong", "0123456789abcdefghijklmnopqrstuvwxyzABCD"],
        ] {
            assert!(!secret.admits(&request(bad)), "{bad:?}");
        }
    }
}
