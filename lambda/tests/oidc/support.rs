//! The provider with three registered apps, and the steps an app, the page
//! and a person take, each as one call.

use crate::support::{Overrides, TestApp, spawn_app_with};
pub use crate::support::{random_email, random_token, s256};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use otp::domain::Email;
use otp_api::{SendResponse, SignInResponse, VerifyResponse};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

/// A registered app. Its redirect URIs are on 127.0.0.1:53682, where
/// nobody listens: the tests read redirects, they never follow them.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub id: &'static str,
    pub name: &'static str,
    /// `None` for a public client (`token_endpoint_auth_method: none`).
    pub secret: Option<&'static str>,
    /// Its first registered redirect URI.
    pub redirect_uri: &'static str,
}

/// A confidential client. Its secret has characters that RFC 6749 §2.3.1
/// form-urlencodes before Basic authentication (`:`, `+`, `%`, `/`, space).
pub const SHOP: Client = Client {
    id: "shop",
    name: "Shop Example",
    secret: Some("shop secret: 0123456789+abcdef/ghij%41klmn"),
    redirect_uri: "http://127.0.0.1:53682/callback",
};

/// The shop's other registered redirect URIs: one with a query of its own
/// (kept when the answer's parameters are added, RFC 6749 §3.1.2).
pub const SHOP_SECOND_URI: &str = "http://127.0.0.1:53682/second";
pub const SHOP_QUERY_URI: &str = "http://127.0.0.1:53682/callback?tenant=a";

/// A second confidential client.
pub const OTHER: Client = Client {
    id: "other",
    name: "Other App",
    secret: Some("other-app-secret-0123456789abcdefghijklmnop"),
    redirect_uri: "http://127.0.0.1:53682/other/callback",
};

/// A public client (a browser or native app: PKCE, no secret).
pub const SPA: Client = Client {
    id: "spa",
    name: "Single Page",
    secret: None,
    redirect_uri: "http://127.0.0.1:53682/spa/callback",
};

pub fn clients_json() -> String {
    json!([
        {
            "id": SHOP.id,
            "name": SHOP.name,
            "redirect_uris": [SHOP.redirect_uri, SHOP_SECOND_URI, SHOP_QUERY_URI],
            "secret": SHOP.secret,
        },
        {
            "id": OTHER.id,
            "name": OTHER.name,
            "redirect_uris": [OTHER.redirect_uri],
            "secret": OTHER.secret,
        },
        {
            "id": SPA.id,
            "name": SPA.name,
            "redirect_uris": [SPA.redirect_uri],
        },
    ])
    .to_string()
}

/// An authorization request's parameters, in order, repeats allowed.
#[derive(Debug, Clone)]
pub struct AuthParams {
    pub pairs: Vec<(String, String)>,
    /// The PKCE verifier whose S256 is the `code_challenge`.
    pub verifier: String,
}

impl AuthParams {
    /// A valid request of `client` for `openid email`, with PKCE S256,
    /// a random `state` and `nonce`.
    pub fn new(client: Client) -> AuthParams {
        let verifier = random_token(32);
        let pairs = [
            ("response_type", "code".to_owned()),
            ("client_id", client.id.to_owned()),
            ("redirect_uri", client.redirect_uri.to_owned()),
            ("scope", "openid email".to_owned()),
            ("state", random_token(16)),
            ("nonce", random_token(16)),
            ("code_challenge", s256(&verifier)),
            ("code_challenge_method", "S256".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        AuthParams { pairs, verifier }
    }

    /// Replaces every `key` by one `key=value` (added if missing).
    pub fn set(mut self, key: &str, value: &str) -> AuthParams {
        match self.pairs.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.pairs[i].1 = value.to_owned();
                let mut seen = false;
                self.pairs.retain(|(k, _)| {
                    if k != key {
                        return true;
                    }
                    let keep = !seen;
                    seen = true;
                    keep
                });
            }
            None => self.pairs.push((key.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds `key=value`, even if `key` is there already.
    pub fn add(mut self, key: &str, value: &str) -> AuthParams {
        self.pairs.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn remove(mut self, key: &str) -> AuthParams {
        self.pairs.retain(|(k, _)| k != key);
        self
    }

    pub fn remove_all(mut self) -> AuthParams {
        self.pairs.clear();
        self
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&self.pairs)
            .finish()
    }
}

/// The parameters of a redirect back to the app, each at most once.
#[derive(Debug, Clone)]
pub struct Callback {
    pub pairs: Vec<(String, String)>,
}

impl Callback {
    /// Parses `location`, which must be `registered` followed by `?` (or
    /// `&` when `registered` has a query already) and the answer's parameters.
    pub fn parse(location: &str, registered: &str) -> Callback {
        let rest = location.strip_prefix(registered).unwrap_or_else(|| {
            panic!("the redirect {location:?} does not start with the registered {registered:?}")
        });
        let separator = if registered.contains('?') { '&' } else { '?' };
        rest.strip_prefix(separator).unwrap_or_else(|| {
            panic!("the redirect {location:?} does not add its parameters with {separator:?}")
        });
        assert!(
            !location.contains('#'),
            "a fragment in the redirect {location:?}"
        );
        // The registered query's parameters and the answer's.
        let query = location.split_once('?').map_or("", |(_, q)| q);
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        for (key, _) in &pairs {
            assert_eq!(
                pairs.iter().filter(|(k, _)| k == key).count(),
                1,
                "{key} appears more than once in {location:?}"
            );
        }
        Callback { pairs }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn must(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("no {key} in the redirect: {:?}", self.pairs))
    }
}

/// The provider on a known loopback port, so that its issuer is its address.
pub struct OidcApp {
    pub app: TestApp,
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub issuer: String,
    /// Follows no redirects.
    pub http: reqwest::Client,
    /// Messages sent so far, by recipient as spelled (lower case), to wait for the next.
    sent: Mutex<HashMap<String, usize>>,
}

pub async fn spawn_oidc() -> OidcApp {
    spawn_oidc_with(&[]).await
}

pub async fn spawn_oidc_with(extra: Overrides<'_>) -> OidcApp {
    // The issuer is the server's own address: pick a free port first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let issuer = format!("http://127.0.0.1:{port}");
    let clients = clients_json();
    let mut overrides: Vec<(&str, &str)> = vec![
        ("OTP_BIND", &bind),
        ("OTP_ISSUER", &issuer),
        ("OTP_CLIENTS", &clients),
    ];
    overrides.extend_from_slice(extra);
    let app = spawn_app_with(&overrides).await;
    assert_eq!(app.addr.port(), port);
    OidcApp {
        app,
        issuer,
        http: no_redirects(),
        sent: Mutex::new(HashMap::new()),
    }
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

impl OidcApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }

    /// `GET /authorize?…`
    pub async fn authorize(&self, params: &AuthParams) -> Response {
        self.authorize_query(&params.query()).await
    }

    /// `GET /authorize?<query>`, the query as given.
    pub async fn authorize_query(&self, query: &str) -> Response {
        self.http
            .get(format!("{}/authorize?{query}", self.issuer))
            .send()
            .await
            .expect("the request reaches the app")
    }

    /// `POST /authorize` with a form body (OpenID Connect Core 3.1.2.1).
    pub async fn authorize_post(&self, params: &AuthParams) -> Response {
        self.http
            .post(self.url("/authorize"))
            .form(&params.pairs)
            .send()
            .await
            .expect("the request reaches the app")
    }

    /// A valid `/authorize` and its answer: 303 to the page; the `sign_in` id.
    pub async fn begin(&self, params: &AuthParams) -> String {
        sign_in_of(self.authorize(params).await)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("the request reaches the app")
    }

    /// What the page asks first: `POST /api/sign-in`.
    pub async fn sign_in_info(&self, sign_in: &str) -> Response {
        self.post_json("/api/sign-in", json!({ "sign_in": sign_in }))
            .await
    }

    pub async fn expect_sign_in_info(&self, sign_in: &str) -> SignInResponse {
        let response = self.sign_in_info(sign_in).await;
        assert_eq!(response.status(), StatusCode::OK, "POST /api/sign-in");
        response.json().await.expect("a SignInResponse")
    }

    /// The page's Cancel: `POST /api/sign-in/cancel`.
    pub async fn cancel(&self, sign_in: &str) -> Response {
        self.post_json("/api/sign-in/cancel", json!({ "sign_in": sign_in }))
            .await
    }

    /// The page's send, bound to the sign-in request.
    pub async fn send(&self, sign_in: &str, email: &str) -> Response {
        self.post_json(
            "/api/otp/send",
            json!({ "email": email, "request_id": random_token(12), "sign_in": sign_in }),
        )
        .await
    }

    /// Sends a code for the sign-in and reads it from the mail.
    pub async fn send_and_read(&self, sign_in: &str, email: &str) -> (String, String) {
        let response = self.send(sign_in, email).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "send");
        let sent: SendResponse = response.json().await.expect("a SendResponse");
        let code = self.read_code(email).await;
        (sent.flow_id, code)
    }

    /// The newest code mailed to `email`, once the next message arrived.
    pub async fn read_code(&self, email: &str) -> String {
        let to = Email::parse(email).expect("a valid address");
        let count = {
            let mut sent = self.sent.lock().unwrap();
            // Counted per spelling, as the inbox finds them: two spellings
            // of one identity are two recipients there.
            let n = sent.entry(to.delivery().to_ascii_lowercase()).or_insert(0);
            *n += 1;
            *n
        };
        self.app.inbox.wait_for_code(to.delivery(), count).await
    }

    pub async fn verify(&self, flow_id: &str, code: &str) -> Response {
        self.post_json(
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": code }),
        )
        .await
    }

    /// Send, read the mail, verify: the approving verify's `redirect_to`.
    pub async fn approve(&self, sign_in: &str, email: &str) -> String {
        let (flow_id, code) = self.send_and_read(sign_in, email).await;
        let response = self.verify(&flow_id, &code).await;
        assert_eq!(response.status(), StatusCode::OK, "the approving verify");
        let verified: VerifyResponse = response.json().await.expect("a VerifyResponse");
        verified
            .redirect_to
            .expect("a verify of a sign-in's flow answers redirect_to")
    }

    /// A whole sign-in up to the redirect back to the app; its parameters
    /// after checking `state` and `iss`.
    pub async fn sign_in(&self, params: &AuthParams, email: &str) -> Callback {
        let sign_in = self.begin(params).await;
        self.expect_sign_in_info(&sign_in).await;
        let redirect_to = self.approve(&sign_in, email).await;
        let registered = params.get("redirect_uri").expect("a redirect_uri");
        let callback = Callback::parse(&redirect_to, registered);
        assert_eq!(callback.get("state"), params.get("state"), "state");
        assert_eq!(callback.must("iss"), self.issuer, "iss");
        assert_eq!(callback.get("error"), None, "error");
        callback
    }

    /// An authorization code for a fresh person and `params`.
    pub async fn code(&self, params: &AuthParams) -> String {
        self.sign_in(params, &random_email())
            .await
            .must("code")
            .to_owned()
    }

    /// `POST /token` with `form`; `basic` is (client id, secret) for
    /// `client_secret_basic`, encoded as RFC 6749 §2.3.1 says.
    pub async fn token(&self, form: &[(&str, &str)], basic: Option<(&str, &str)>) -> Response {
        self.token_from(&self.http, form, basic).await
    }

    pub async fn token_from(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> Response {
        let mut request = http.post(self.url("/token")).form(form);
        if let Some((id, secret)) = basic {
            request = request.header("authorization", basic_auth(id, secret));
        }
        request.send().await.expect("the request reaches the app")
    }

    /// A redemption as `client` makes it (Basic for a confidential client,
    /// `client_id` in the body for a public one).
    pub async fn redeem_as(
        &self,
        client: Client,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        match client.secret {
            Some(secret) => self.token(&form, Some((client.id, secret))).await,
            None => {
                form.push(("client_id", client.id));
                self.token(&form, None).await
            }
        }
    }

    /// The redemption `params`' client makes, which must succeed: the token answer.
    pub async fn redeem(&self, client: Client, code: &str, params: &AuthParams) -> Value {
        let response = self
            .redeem_as(
                client,
                code,
                params.get("redirect_uri").unwrap(),
                &params.verifier,
            )
            .await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "token: {body}");
        serde_json::from_str(&body).expect("a JSON token answer")
    }

    /// `GET /userinfo` with `Authorization: Bearer <token>`.
    pub async fn userinfo(&self, access_token: &str) -> Response {
        self.http
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("the request reaches the app")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the request reaches the app")
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
pub fn basic_auth(id: &str, secret: &str) -> String {
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    let secret: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().expect("an ASCII header"))
}

/// The answer of a valid `/authorize`: 303 to the page (a path, no origin)
/// with the request's handle, not cached. Returns the handle.
pub fn sign_in_of(response: Response) -> String {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a valid /authorize answers 303 to the page"
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    let location = header(&response, "location").expect("a Location");
    let query = location
        .strip_prefix("/?")
        .unwrap_or_else(|| panic!("the page's address is the path /?…, got {location:?}"));
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 1, "only the handle in {location:?}");
    assert_eq!(pairs[0].0, "sign_in");
    let id = pairs[0].1.clone();
    assert_eq!(id.len(), 22, "a 128-bit handle: {id:?}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "base64url: {id:?}"
    );
    id
}

/// The error page of a request that cannot be answered by a redirect
/// (unknown client, unregistered redirect URI): 400 HTML, not cached, no
/// `Location`, no script, no link to the unverified redirect URI.
pub async fn expect_error_page(response: Response, not_linked: Option<&str>) -> String {
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "error page status"
    );
    assert_eq!(header(&response, "location"), None, "never a redirect");
    let content_type = header(&response, "content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("text/html"),
        "an HTML page, got {content_type:?}"
    );
    assert_eq!(header(&response, "cache-control"), Some("no-store"));
    assert_eq!(header(&response, "x-content-type-options"), Some("nosniff"));
    assert!(
        header(&response, "content-security-policy").is_some(),
        "the page's security headers"
    );
    let body = response.text().await.unwrap();
    assert!(
        !body.to_ascii_lowercase().contains("<script"),
        "no script on the error page"
    );
    if let Some(uri) = not_linked {
        for attr in ["href=", "src=", "action=", "http-equiv"] {
            for (i, _) in body.match_indices(attr) {
                let tail: String = body[i..].chars().take(uri.len() + 10).collect();
                assert!(
                    !tail.contains(uri),
                    "the error page links to the unverified redirect URI: {tail:?}"
                );
            }
        }
    }
    body
}

/// An error redirect (RFC 6749 §4.1.2.1, RFC 9207): 303 to `registered` with
/// `error`, `state` exactly as sent and `iss`; no code.
pub fn expect_error_redirect(
    response: &Response,
    registered: &str,
    error: &str,
    state: Option<&str>,
    issuer: &str,
) -> Callback {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "an error the app can be told of is a redirect (expected {error})"
    );
    let location = header(response, "location").expect("a Location");
    let callback = Callback::parse(location, registered);
    assert_eq!(callback.get("error"), Some(error), "error in {location:?}");
    assert_eq!(callback.get("state"), state, "state in {location:?}");
    assert_eq!(callback.get("iss"), Some(issuer), "iss in {location:?}");
    assert_eq!(callback.get("code"), None, "no code with an error");
    if let Some(description) = callback.get("error_description") {
        // RFC 6749 §4.1.2.1: %x20-21 / %x23-5B / %x5D-7E.
        assert!(
            description
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "error_description outside the RFC 6749 characters: {description:?}"
        );
    }
    callback
}

/// An OAuth error answer of `/token` (RFC 6749 §5.2): status, JSON
/// `{error, error_description?}`, not cached. Returns the body.
pub async fn expect_token_error(response: Response, status: StatusCode, error: &str) -> Value {
    let got = response.status();
    let cache = header(&response, "cache-control").map(str::to_owned);
    let content_type = header(&response, "content-type")
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "status of {text}");
    assert!(
        content_type.starts_with("application/json"),
        "JSON, got {content_type:?}"
    );
    assert_eq!(cache.as_deref(), Some("no-store"), "Cache-Control");
    let body: Value = serde_json::from_str(&text).expect("a JSON error");
    assert_eq!(body["error"], error, "error of {text}");
    if let Some(description) = body.get("error_description") {
        let description = description.as_str().expect("a string");
        // RFC 6749 §5.2: %x20-21 / %x23-5B / %x5D-7E.
        assert!(
            description
                .bytes()
                .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'),
            "error_description outside the RFC 6749 characters: {description:?}"
        );
    }
    body
}

/// Decodes a JWT's header and claims without checking it (the checks are
/// the relying party's and [`verified_claims`]'s).
pub fn jwt_parts(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS in compact form");
    let decode = |s: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).expect("base64url")).expect("JSON")
    };
    (decode(parts[0]), decode(parts[1]))
}

/// The ID token's claims after checking its RS256 signature with the key of
/// its `kid` from the provider's JWKS, its issuer and audience.
pub async fn verified_claims(app: &OidcApp, id_token: &str, audience: &str) -> Value {
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .expect("a JWKS");
    let (header, _) = jwt_parts(id_token);
    assert_eq!(header["alg"], "RS256");
    let kid = header["kid"].as_str().expect("a kid in the header");
    let key = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("the ID token's kid {kid} is not in the JWKS"));
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .expect("an RSA key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.issuer]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("the ID token verifies")
        .claims
}

/// `at_hash` of an access token for RS256 (OpenID Connect Core 3.1.3.6).
pub fn at_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}
