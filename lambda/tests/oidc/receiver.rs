//! The provider with apps that take back-channel logouts, each at a small
//! receiver on a loopback port (as an app's server would run one), and the
//! checks an app makes of a logout token (Back-Channel Logout 1.0 §2.6).

use super::support::{OTHER, OidcApp, SHOP, SPA, jwt_parts, spawn_oidc_with};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use otp::domain::Clock;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::{Instant, sleep};

/// Where the shop sends the browser after a logout (registered).
pub const SHOP_BYE: &str = "http://127.0.0.1:53682/bye";

/// An app's back-channel logout endpoint: keeps every `logout_token` it is
/// POSTed and answers 200.
pub struct Receiver {
    pub url: String,
    tokens: Arc<Mutex<Vec<String>>>,
    _shutdown: oneshot::Sender<()>,
}

async fn take(
    State(tokens): State<Arc<Mutex<Vec<String>>>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned());
    match token.filter(|_| form) {
        Some(token) => {
            tokens.lock().unwrap().push(token);
            StatusCode::OK
        }
        None => StatusCode::BAD_REQUEST,
    }
}

impl Receiver {
    pub async fn spawn() -> Receiver {
        let tokens = Arc::new(Mutex::new(Vec::new()));
        let router = Router::new()
            .route("/backchannel", post(take))
            .with_state(tokens.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            url,
            tokens,
            _shutdown: tx,
        }
    }

    /// The tokens received so far.
    pub fn received(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// Waits until `n` tokens arrived; all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let tokens = self.received();
            if tokens.len() >= n {
                return tokens;
            }
            assert!(
                Instant::now() < deadline,
                "{n} logout token(s) expected, {} received",
                tokens.len()
            );
            sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The provider with the shop and the other app taking back-channel
/// logouts at their receivers; the shop has post-logout redirect URIs.
pub async fn spawn_with_receivers() -> (OidcApp, Receiver, Receiver) {
    let (shop, other) = (Receiver::spawn().await, Receiver::spawn().await);
    let clients = json!([
        {
            "id": SHOP.id,
            "name": SHOP.name,
            "redirect_uris": [SHOP.redirect_uri],
            "secret": SHOP.secret,
            "post_logout_redirect_uris": [SHOP_BYE, format!("{SHOP_BYE}?tenant=a")],
            "backchannel_logout_uri": shop.url,
        },
        {
            "id": OTHER.id,
            "name": OTHER.name,
            "redirect_uris": [OTHER.redirect_uri],
            "secret": OTHER.secret,
            "backchannel_logout_uri": other.url,
        },
        {
            "id": SPA.id,
            "name": SPA.name,
            "redirect_uris": [SPA.redirect_uri],
        },
    ])
    .to_string();
    let app = spawn_oidc_with(&[("OTP_CLIENTS", &clients)]).await;
    (app, shop, other)
}

/// A logout token's claims after the checks of §2.6: an RS256 signature
/// by a key of the provider's JWKS, `typ` `logout+jwt`, `iss` the
/// provider, `aud` the app, `iat` and `exp` (a short life), a `jti`, the
/// back-channel event, `sub` and `sid`, and no `nonce`.
pub async fn checked_logout_token(app: &OidcApp, token: &str, audience: &str) -> Value {
    let (header, _) = jwt_parts(token);
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    assert_eq!(header["alg"], "RS256");
    let jwks: Value = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .expect("a JWKS");
    let kid = header["kid"].as_str().expect("a kid");
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .expect("the token's key is published");
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        key["n"].as_str().unwrap(),
        key["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.issuer]);
    // The provider's clock is the test's, ahead of the wall clock after a
    // test moves it: `exp` is checked against it below instead.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["iss", "aud", "iat", "exp", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("the logout token verifies")
        .claims;
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(iat, app.app.clock.now(), "issued now");
    assert!(exp > iat && exp - iat <= 120, "short-lived: {claims}");
    assert!(
        claims["jti"].as_str().is_some_and(|j| j.len() >= 16),
        "{claims}"
    );
    assert_eq!(
        claims["events"],
        json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
    );
    assert!(
        claims["sid"].is_string() && claims["sub"].is_string(),
        "{claims}"
    );
    assert!(claims.get("nonce").is_none(), "never a nonce: {claims}");
    claims
}
