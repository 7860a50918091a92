//! Back-Channel Logout 1.0: when a session ends (a sign-out on the page or
//! everywhere, an app's logout, another person's code in the same browser,
//! a reused refresh token), every app that got a code in it and registered
//! a `backchannel_logout_uri` is POSTed a logout token (`logout_token=…`,
//! form-encoded): a JWT signed like ID tokens, `typ` `logout+jwt`, with
//! `iss`, `aud`, `iat`, `exp` (two minutes), `jti`, `events`, `sid` and
//! `sub`, and never a `nonce` (§2.4), so it cannot pass for an ID token.
//!
//! Each POST has [`Backchannel::timeout`] and follows no redirect; the URIs
//! were checked at start (https, or http on a loopback host). All go out at
//! once; a failure is logged and counted, never the person's concern: the
//! session ended whatever the apps answer. On Lambda they finish before the
//! answer (a function is frozen after it answers), so a slow app can delay
//! a sign-out by the timeout at most.

use super::Provider;
use crate::metrics::{self, Delivery, Metric};
use crate::store::Session;
use futures_util::future::join_all;
use http_body_util::Full;
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How long a logout token is good for.
const LOGOUT_TOKEN_TTL_SECS: u64 = 120;
/// The event of a logout token (§2.4).
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The HTTP client of logout tokens, built at the first logout (not at
/// start: the TLS roots cost a cold start nothing then).
pub(super) struct Backchannel {
    timeout: Duration,
    client: OnceLock<HttpClient>,
}

#[derive(Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
    events: Value,
    sid: &'a str,
}

impl Backchannel {
    pub(super) fn new(timeout: Duration) -> Backchannel {
        Backchannel {
            timeout,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> &HttpClient {
        self.client.get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let tls = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("aws-lc-rs supports the default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            let connector = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(tls)
                .https_or_http()
                .enable_http1()
                .build();
            Client::builder(TokioExecutor::new()).build(connector)
        })
    }

    /// POSTs `token` to `uri`; why not, if it failed.
    async fn post(&self, uri: &str, token: &str) -> Result<(), String> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", token)
            .finish();
        let request = http::Request::post(uri)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("not a request: {e}"))?;
        let answer = tokio::time::timeout(self.timeout, self.client().request(request))
            .await
            .map_err(|_| format!("no answer within {} ms", self.timeout.as_millis()))?
            .map_err(|e| format!("not delivered: {e}"))?;
        // §2.8: 200 on success; a redirect is not followed.
        match answer.status() {
            status if status.is_success() => Ok(()),
            status => Err(format!("answered {}", status.as_u16())),
        }
    }
}

/// A `jti`: 128 random bits, hex.
fn jti() -> String {
    hex::encode(rand::rng().random::<[u8; 16]>())
}

impl Provider {
    /// Tells every app that got a code in one of `sessions` (now ended) and
    /// registered a back-channel logout URI; waits for all, each at most
    /// the timeout, and never fails.
    pub(super) async fn tell_apps(&self, sessions: &[Session]) {
        let keys = self.keys.get().await;
        let now = self.clock.now();
        let mut posts = Vec::new();
        for session in sessions {
            for client_id in &session.clients {
                let Some(client) = self.clients.get(client_id) else {
                    continue;
                };
                let Some(uri) = &client.backchannel_logout_uri else {
                    continue;
                };
                let claims = LogoutClaims {
                    iss: &self.issuer,
                    sub: &session.subject,
                    aud: &client.id,
                    iat: now,
                    exp: now + LOGOUT_TOKEN_TTL_SECS,
                    jti: jti(),
                    events: json!({ EVENT: {} }),
                    sid: session.id.as_str(),
                };
                match keys.signing.sign_typed("logout+jwt", &claims) {
                    Ok(token) => posts.push(async move {
                        let outcome = self.backchannel.post(uri, &token).await;
                        (client, session, outcome)
                    }),
                    Err(e) => tracing::error!(error = %e, "could not sign a logout token"),
                }
            }
        }
        for (client, session, outcome) in join_all(posts).await {
            metrics::record(Metric::Backchannel(match outcome {
                Ok(()) => Delivery::Delivered,
                Err(_) => Delivery::Failed,
            }));
            match outcome {
                Ok(()) => {
                    tracing::info!(client = %client.id, session = %session.id, "app told of the logout")
                }
                Err(why) => {
                    tracing::warn!(client = %client.id, session = %session.id, why, "back-channel logout failed")
                }
            }
        }
    }
}
