//! The HTTP face of the service: one router for the JSON API and the page,
//! the same on Lambda, on the local server and in tests.
//!
//! - [`handlers`]: one function per endpoint of the verification API
//! - [`oidc`]: the OpenID Connect endpoints and the page's sign-in endpoints
//! - [`extract`]: JSON bodies and the client address, rejecting in our shape
//! - [`error`]: [`ApiError`], the one error answer
//! - [`edge`]: behind CloudFront, the viewer's address and the origin secret
//! - [`openapi`]: the OpenAPI document of the API, served and checked
//! - `assets`: the page, embedded at build time, pre-compressed

mod assets;
pub mod edge;
mod error;
mod extract;
mod handlers;
mod oidc;
pub mod openapi;

pub use edge::VIEWER_ADDRESS_HEADER;
pub use error::ApiError;
pub use extract::TrustedIpHeader;

use crate::metrics;
use crate::oidc::Provider;
use crate::service::Service;
use axum::extract::{DefaultBodyLimit, FromRef, MatchedPath};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use otp_api::locale::Language;
use otp_api::{ErrorCode, MAX_BODY_BYTES};
use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{self, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The page may run only its own script and WebAssembly, talk only to its
/// own origin, and never be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
form-action 'none'; frame-ancestors 'none'";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest request id taken from a client.
const MAX_REQUEST_ID: usize = 64;

/// How requests are read, beyond what the service decides.
#[derive(Debug, Clone)]
pub struct Options {
    /// See [`crate::settings::Settings::client_ip_header`].
    pub client_ip_header: Option<HeaderName>,
    /// See [`crate::settings::EdgeSettings::origin_secret`].
    pub origin_secret: Option<edge::OriginSecret>,
    /// The language `index.html` declares: the page's last fallback.
    pub default_language: &'static Language,
}

/// The language `index.html` declares (see [`Options::default_language`]).
#[derive(Clone, Copy)]
struct PageLanguage(&'static Language);

/// What the handlers share: the verification service and the provider.
#[derive(Clone)]
pub struct AppState {
    pub service: Arc<Service>,
    pub provider: Arc<Provider>,
}

impl FromRef<AppState> for Arc<Service> {
    fn from_ref(state: &AppState) -> Self {
        state.service.clone()
    }
}

impl FromRef<AppState> for Arc<Provider> {
    fn from_ref(state: &AppState) -> Self {
        state.provider.clone()
    }
}

/// The whole application as a router.
pub fn app(service: Arc<Service>, provider: Arc<Provider>, options: Options) -> Router {
    let state = AppState { service, provider };
    assets::prepare(options.default_language);
    // The page's JSON API: same origin only, never cached.
    let api = Router::new()
        .route("/api/otp/send", post(handlers::send))
        .route("/api/otp/resend", post(handlers::resend))
        .route("/api/otp/verify", post(handlers::verify))
        .route("/api/sign-in", post(oidc::sign_in))
        .route("/api/sign-in/cancel", post(oidc::cancel))
        .route("/api/health", get(handlers::health))
        .route("/api/openapi.json", get(openapi::serve))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));

    // What any origin may read: discovery documents (GET) and the app's
    // token and userinfo calls (a public browser client's fetch).
    // Each with an `OPTIONS` route of its own, so the CORS layer sees
    // preflights (the router's method fallback is outside the layer); an
    // `OPTIONS` that is no preflight still answers 405.
    let discovery = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(oidc::discovery).options(method_not_allowed),
        )
        .route(
            "/.well-known/jwks.json",
            get(oidc::jwks).options(method_not_allowed),
        )
        .layer(
            CorsLayer::new()
                .allow_origin(cors::Any)
                .allow_methods([Method::GET]),
        );
    let endpoints = Router::new()
        .route("/token", post(oidc::token).options(method_not_allowed))
        .route(
            "/userinfo",
            get(oidc::userinfo)
                .post(oidc::userinfo)
                .options(method_not_allowed),
        )
        .layer(
            CorsLayer::new()
                .allow_origin(cors::Any)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
                .max_age(Duration::from_secs(3600)),
        );
    // The person's browser, sent here by the app.
    let authorize = Router::new().route("/authorize", get(oidc::authorize).post(oidc::authorize));

    let api = api
        .merge(discovery)
        .merge(endpoints)
        .merge(authorize)
        .with_state(state);

    let security_headers = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ),
    ];

    let mut router = api
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        // Applied to each route, so the route template is known here.
        .layer(axum::middleware::from_fn(measure));
    // Inside the security headers, so a refusal carries them too.
    if let Some(secret) = options.origin_secret {
        router = router.layer(axum::middleware::from_fn_with_state(
            secret,
            edge::require_origin_secret,
        ));
    }
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: query strings are not ours to log.
                    tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
                })
                .on_request(())
                // 5xx are logged once, with their cause, where they arise.
                .on_failure(())
                .on_response(|response: &Response, latency: Duration, _: &Span| {
                    tracing::info!(
                        status = response.status().as_u16(),
                        latency_us = latency.as_micros() as u64,
                        "answered"
                    );
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(axum::middleware::map_request(drop_malformed_request_id))
        .layer(Extension(options.client_ip_header.map(TrustedIpHeader)))
        .layer(Extension(PageLanguage(options.default_language)))
}

/// The latency of each request, by route template ([`metrics::route`]).
async fn measure(request: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    let route = metrics::route(
        request
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    let started = Instant::now();
    let response = next.run(request).await;
    metrics::latency(route, started.elapsed());
    response
}

/// A client's `x-request-id` is kept only if it is a plain token (letters,
/// digits, `-`, `_`, `.`, `:`; at most 64), so what the logs and the answer
/// echo cannot forge a log line; otherwise a fresh id replaces it.
async fn drop_malformed_request_id<B>(mut request: Request<B>) -> Request<B> {
    let well_formed = |v: &HeaderValue| {
        let bytes = v.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= MAX_REQUEST_ID
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    let headers = request.headers_mut();
    if !headers.get_all(REQUEST_ID).iter().all(well_formed)
        || headers.get_all(REQUEST_ID).iter().count() > 1
    {
        headers.remove(REQUEST_ID);
    }
    request
}

/// Unknown API routes answer JSON 404; other `GET`s may be page assets.
async fn fallback(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Extension(PageLanguage(language)): Extension<PageLanguage>,
) -> Response {
    let path = uri.path();
    if (method == Method::GET || method == Method::HEAD) && !path.starts_with("/api/") {
        if let Some(response) = assets::response(path, &headers, language) {
            return response;
        }
    }
    ApiError::new(ErrorCode::NotFound).into_response()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::MethodNotAllowed)
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(ErrorCode::Internal).into_response()
}
