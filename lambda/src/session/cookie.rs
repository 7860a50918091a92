//! The two cookies the service sets, and reading them back.
//!
//! Both are `__Host-` cookies: `Secure`, `Path=/`, no `Domain`, so only
//! this origin (never a sibling subdomain) can set or read them; `HttpOnly`,
//! so the page's script never sees them; `SameSite=Lax`, so another site's
//! form or script cannot send them (a top-level navigation, `/authorize`
//! from an app, still does). Browsers treat plain `http` on `127.0.0.1` and
//! `localhost` as secure, so the local run keeps every attribute.

use crate::domain::CodeHasher;
use crate::domain::device::{DeviceMarks, MARK_LIFETIME_SECS};
use crate::domain::session::SessionCookie;
use http::header::{COOKIE, HeaderMap, HeaderValue};

/// The session: `<session id>.<secret>`.
pub const SESSION: &str = "__Host-otp-session";
/// The device's marks ([`DeviceMarks`]).
pub const DEVICE: &str = "__Host-otp-device";

const ATTRIBUTES: &str = "Path=/; Secure; HttpOnly; SameSite=Lax";

/// What a request's cookies say about the browser: its session cookie (not
/// yet checked against the store) and its device's marks (their tag
/// checked). A cookie that does not read as the service writes it is as if
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Browser {
    pub session: Option<SessionCookie>,
    pub device: Option<DeviceMarks>,
}

impl Browser {
    pub fn from_headers(headers: &HeaderMap, hasher: &CodeHasher) -> Browser {
        let mut browser = Browser::default();
        for (name, value) in pairs(headers) {
            match name {
                SESSION if browser.session.is_none() => {
                    browser.session = SessionCookie::parse(value);
                }
                DEVICE if browser.device.is_none() => {
                    browser.device = DeviceMarks::read(value, hasher);
                }
                _ => {}
            }
        }
        browser
    }
}

/// Every `name=value` of every `Cookie` header (RFC 6265 §5.4), in order.
fn pairs(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .map(|(name, value)| (name.trim(), value.trim()))
}

/// `Set-Cookie` for a session that has `max_age` seconds left.
pub fn set_session(cookie: &SessionCookie, max_age: u64) -> HeaderValue {
    header(&format!(
        "{SESSION}={}; Max-Age={max_age}; {ATTRIBUTES}",
        cookie.value()
    ))
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session() -> HeaderValue {
    header(&format!("{SESSION}=; Max-Age=0; {ATTRIBUTES}"))
}

/// `Set-Cookie` for the device's marks, kept as long as a mark counts.
pub fn set_device(marks: &DeviceMarks, hasher: &CodeHasher) -> HeaderValue {
    header(&format!(
        "{DEVICE}={}; Max-Age={MARK_LIFETIME_SECS}; {ATTRIBUTES}",
        marks.write(hasher)
    ))
}

fn header(value: &str) -> HeaderValue {
    // The values are base64url and the attributes fixed ASCII.
    HeaderValue::from_str(value).expect("a cookie of base64url and fixed attributes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;

    #[test]
    fn cookies_read_back_from_any_cookie_header() {
        let hasher = CodeHasher::ephemeral();
        let session = SessionCookie::generate();
        let mut marks = DeviceMarks::new();
        marks.mark(&hasher, &Email::parse("ann@example.com").unwrap(), 1);
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("theme=dark;other"));
        let both = format!(
            "{SESSION}={} ; {DEVICE}={}",
            session.value(),
            marks.write(&hasher)
        );
        headers.append(COOKIE, HeaderValue::from_str(&both).unwrap());
        let browser = Browser::from_headers(&headers, &hasher);
        assert_eq!(browser.session, Some(session));
        assert_eq!(browser.device, Some(marks));
        // A forged or foreign value is no cookie at all.
        let mut headers = HeaderMap::new();
        let forged = format!("{SESSION}=x.y; {DEVICE}=AAAA; otp-session=a");
        headers.insert(COOKIE, HeaderValue::from_str(&forged).unwrap());
        let browser = Browser::from_headers(&headers, &hasher);
        assert!(browser.session.is_none() && browser.device.is_none());
    }

    #[test]
    fn every_cookie_is_host_only_secure_http_only_and_lax() {
        let hasher = CodeHasher::ephemeral();
        let set = [
            set_session(&SessionCookie::generate(), 600),
            clear_session(),
            set_device(&DeviceMarks::new(), &hasher),
        ];
        for value in set {
            let value = value.to_str().unwrap();
            assert!(value.starts_with("__Host-otp-"), "{value}");
            for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
                assert!(value.split("; ").any(|a| a == attribute), "{value}");
            }
            assert!(!value.contains("Domain"), "{value}");
        }
    }
}
