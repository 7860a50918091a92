//! A browser's cookie jar, as the page's steps and an app's redirects use
//! it. `reqwest` sends no `Secure` cookie over plain http (Chromium does on
//! a loopback origin), so the jar keeps the service's cookies itself and
//! sends them in a `Cookie` header; and every `Set-Cookie` it takes is
//! checked for the attributes the service promises.

use super::support::{AuthParams, OidcApp, header, random_token};
use otp_api::SendResponse;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

pub const SESSION: &str = "__Host-otp-session";
pub const DEVICE: &str = "__Host-otp-device";

/// One browser: its cookies for the service's origin.
#[derive(Default)]
pub struct Browser {
    jar: Mutex<BTreeMap<String, String>>,
}

/// A `Set-Cookie` value's name, value and attributes.
#[derive(Debug)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    pub attributes: Vec<String>,
}

impl SetCookie {
    pub fn parse(line: &str) -> SetCookie {
        let mut parts = line.split(';').map(str::trim);
        let (name, value) = parts
            .next()
            .and_then(|p| p.split_once('='))
            .unwrap_or_else(|| panic!("not a cookie: {line:?}"));
        SetCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            attributes: parts.map(str::to_owned).collect(),
        }
    }

    pub fn max_age(&self) -> u64 {
        self.attributes
            .iter()
            .find_map(|a| a.strip_prefix("Max-Age="))
            .unwrap_or_else(|| panic!("no Max-Age on {self:?}"))
            .parse()
            .expect("a number of seconds")
    }

    /// The attributes every cookie of the service has: a `__Host-` name,
    /// `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` and no `Domain`.
    pub fn assert_host_only(&self) {
        assert!(self.name.starts_with("__Host-"), "{self:?}");
        for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(
                self.attributes.iter().any(|a| a == attribute),
                "{attribute} missing on {self:?}"
            );
        }
        assert!(
            !self
                .attributes
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("domain")),
            "{self:?}"
        );
    }
}

/// Every `Set-Cookie` of `response`.
pub fn set_cookies(response: &Response) -> Vec<SetCookie> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| SetCookie::parse(v.to_str().expect("an ASCII cookie")))
        .collect()
}

impl Browser {
    pub fn new() -> Browser {
        Browser::default()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar.lock().unwrap().get(name).cloned()
    }

    /// Sets a cookie as if the service had (or as someone planting one).
    pub fn set(&self, name: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(name.to_owned(), value.to_owned());
    }

    /// The `Cookie` header this browser sends, if it holds any.
    pub fn header(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Takes the cookies `response` sets, each checked; `Max-Age=0` removes one.
    pub fn keep(&self, response: &Response) {
        for cookie in set_cookies(response) {
            cookie.assert_host_only();
            let mut jar = self.jar.lock().unwrap();
            if cookie.max_age() == 0 {
                jar.remove(&cookie.name);
            } else {
                jar.insert(cookie.name, cookie.value);
            }
        }
    }
}

impl OidcApp {
    /// A JSON `POST` of the page in `browser`: its cookies, its `Origin`.
    pub async fn post_as(&self, browser: &Browser, path: &str, body: Value) -> Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header("origin", &self.issuer)
            .json(&body);
        if let Some(cookies) = browser.header() {
            request = request.header("cookie", cookies);
        }
        let response = request.send().await.expect("the request reaches the app");
        browser.keep(&response);
        response
    }

    /// A top-level navigation of `browser` to `url` (an app's link):
    /// cookies, no `Origin`; the redirect is not followed.
    pub async fn get_as(&self, browser: &Browser, url: &str) -> Response {
        let mut request = self.http.get(url);
        if let Some(cookies) = browser.header() {
            request = request.header("cookie", cookies);
        }
        let response = request.send().await.expect("the request reaches the app");
        browser.keep(&response);
        response
    }

    /// `GET /authorize?…` in `browser`.
    pub async fn authorize_as(&self, browser: &Browser, params: &AuthParams) -> Response {
        let url = format!("{}/authorize?{}", self.issuer, params.query());
        self.get_as(browser, &url).await
    }

    /// Send, read the mail, verify, in `browser`: the verify's answer.
    pub async fn verify_as(
        &self,
        browser: &Browser,
        sign_in: Option<&str>,
        email: &str,
    ) -> Response {
        let mut body = json!({ "email": email, "request_id": random_token(12) });
        if let Some(sign_in) = sign_in {
            body["sign_in"] = json!(sign_in);
        }
        let response = self.post_as(browser, "/api/otp/send", body).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "send");
        let sent: SendResponse = response.json().await.expect("a SendResponse");
        let code = self.read_code(email).await;
        self.post_as(
            browser,
            "/api/otp/verify",
            json!({ "flow_id": sent.flow_id, "code": code }),
        )
        .await
    }

    /// The address `browser` is signed in as, as the page asks.
    pub async fn signed_in(&self, browser: &Browser) -> Option<String> {
        let answer: Value = self
            .post_as(browser, "/api/session", json!({}))
            .await
            .json()
            .await
            .expect("a SessionResponse");
        answer["session"]["email"].as_str().map(str::to_owned)
    }

    /// The `Location` of a 303, which must be there.
    pub fn location(response: &Response) -> String {
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "a 303");
        header(response, "location").expect("a Location").to_owned()
    }
}
