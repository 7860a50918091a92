//! The OpenID Connect endpoints. They answer in OAuth's shapes, not the
//! API's: `/token` errors are RFC 6749 §5.2 JSON, `/userinfo` refusals
//! carry RFC 6750 `WWW-Authenticate` challenges, and `/authorize` answers
//! with redirects or, when the app cannot be trusted with one, an HTML page.
//! The page's two endpoints (`/api/sign-in`, `/api/sign-in/cancel`) are
//! part of the JSON API and answer in its shape.

use super::error::ApiError;
use super::extract::{ApiJson, ClientIp};
use crate::metrics::{self, Metric, RefusedBy, TokenOutcome};
use crate::oidc::authorize::PageError;
use crate::oidc::token::TokenError;
use crate::oidc::{AuthorizeFailure, Provider, UserinfoError};
use crate::service::ServiceError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use otp_api::{RedirectResponse, SignInRequest, SignInResponse};
use serde_json::json;
use std::sync::Arc;

/// Largest form body of `/authorize`, `/token` and `/userinfo`.
pub const MAX_FORM_BYTES: usize = 8 * 1024;
/// How long a client should wait after the store failed.
const UNAVAILABLE_RETRY_SECS: u64 = 2;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
const PUBLIC_HOUR: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// `GET /.well-known/openid-configuration`
pub async fn discovery(State(provider): State<Arc<Provider>>) -> Response {
    let mut response = Json(provider.discovery()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, PUBLIC_HOUR);
    response
}

/// `GET /.well-known/jwks.json`
pub async fn jwks(State(provider): State<Arc<Provider>>) -> Response {
    let mut response = Json(provider.jwks().await).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, PUBLIC_HOUR);
    response
}

/// The name/value pairs of a form body, if the request is a form of at
/// most [`MAX_FORM_BYTES`]; `Err` says why not.
async fn form(request: Request) -> Result<Vec<(String, String)>, &'static str> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err("The body must be application/x-www-form-urlencoded.");
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|_| "The body is too large.")?;
    Ok(pairs(&bytes))
}

fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `GET|POST /authorize`: the query (GET) or form body (POST).
pub async fn authorize(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let Some(ip) = ip else {
        tracing::error!(error = %ServiceError::ClientUnknown, "request refused: no client address");
        let mut response = error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The sign-in service is not available right now. Go back to the app and try again later.",
        );
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, NO_STORE);
        return response;
    };
    let params = if request.method() == Method::POST {
        form(request).await.unwrap_or_default()
    } else {
        pairs(request.uri().query().unwrap_or("").as_bytes())
    };
    let mut response = match provider.authorize(&params, ip).await {
        Ok(id) => see_other(&format!("/?sign_in={}", id.as_str())),
        Err(AuthorizeFailure::Redirect(to)) => see_other(&to),
        Err(AuthorizeFailure::Page(page)) => error_page(StatusCode::BAD_REQUEST, page_text(page)),
        Err(AuthorizeFailure::TooMany { retry_after }) => {
            let mut response = error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many sign-ins were started from your network in the last hour. Wait a while, then go back to the app and try again.",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
        Err(AuthorizeFailure::Store(e)) => {
            tracing::error!(error = %e, "store failed");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The sign-in service is busy right now. Go back to the app and try again in a moment.",
            )
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, NO_STORE);
    response
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        // Registered URIs and our query encoding are ASCII; never reached.
        Err(_) => error_page(
            StatusCode::BAD_REQUEST,
            page_text(PageError::UnregisteredRedirectUri),
        ),
    }
}

fn page_text(page: PageError) -> &'static str {
    match page {
        PageError::MissingClient => {
            "The app's sign-in link is not valid: it does not name the app (client_id)."
        }
        PageError::UnknownClient => "The app's sign-in link is not valid: unknown client.",
        PageError::MissingRedirectUri => {
            "The app's sign-in link is not valid: it has no redirect address."
        }
        PageError::UnregisteredRedirectUri => {
            "The app's sign-in link is not valid: redirect address not registered for this app."
        }
        PageError::Repeated => "The app's sign-in link is not valid: a parameter is repeated.",
    }
}

/// A small page that says what is wrong and to go back to the app; no
/// script, no link to where the request wanted to go. It gets the page's
/// security headers from the router.
fn error_page(status: StatusCode, text: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>Sign-in not possible</title></head>\n<body><main>\
<h1>Sign-in not possible</h1>\n<p>{text}</p>\n\
<p>Go back to the app and start the sign-in again. If this keeps happening, tell the app's makers.</p>\
</main></body></html>\n"
    );
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// `POST /token`
pub async fn token(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let Some(ip) = ip else {
        return ApiError::from(ServiceError::ClientUnknown).into_response();
    };
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let params = match form(request).await {
        Ok(params) => params,
        Err(why) => return token_error(&TokenError::InvalidRequest(why)),
    };
    match provider.token(&params, authorization.as_deref(), ip).await {
        Ok(answer) => {
            metrics::record(Metric::Token(TokenOutcome::Ok));
            let mut response = Json(answer).into_response();
            token_headers(response.headers_mut());
            response
        }
        Err(e) => token_error(&e),
    }
}

fn token_headers(h: &mut HeaderMap) {
    h.insert(header::CACHE_CONTROL, NO_STORE);
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// RFC 6749 §5.2: `{error, error_description}`.
fn token_error(e: &TokenError) -> Response {
    metrics::record(Metric::Token(match e {
        TokenError::InvalidRequest(_) => TokenOutcome::InvalidRequest,
        TokenError::InvalidClient(_) => TokenOutcome::InvalidClient,
        TokenError::InvalidGrant(_) => TokenOutcome::InvalidGrant,
        TokenError::UnsupportedGrantType => TokenOutcome::UnsupportedGrantType,
        TokenError::TooMany { .. } => {
            metrics::record(Metric::Refused(RefusedBy::TokenFailures));
            TokenOutcome::RateLimited
        }
        TokenError::Unavailable => TokenOutcome::Unavailable,
    }));
    let status = match e {
        TokenError::InvalidClient(_) => StatusCode::UNAUTHORIZED,
        TokenError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
        TokenError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = json!({ "error": e.code(), "error_description": e.description() });
    let mut response = (status, Json(body)).into_response();
    let h = response.headers_mut();
    token_headers(h);
    match e {
        TokenError::InvalidClient(_) => {
            h.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"otp\""),
            );
        }
        TokenError::TooMany { retry_after } => {
            h.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        TokenError::Unavailable => {
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(UNAVAILABLE_RETRY_SECS),
            );
        }
        _ => {}
    }
    response
}

/// `GET|POST /userinfo`: the bearer token from `Authorization`, or (POST)
/// from an `access_token` form field (RFC 6750 §2.1, §2.2), not both.
pub async fn userinfo(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let Some(ip) = ip else {
        return ApiError::from(ServiceError::ClientUnknown).into_response();
    };
    let header_token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_owned());
    // RFC 6750 §3.1: another scheme (Basic, say) is no attempt at a bearer
    // token, answered like no credentials at all; an empty bearer token is
    // a bad one.
    let bearer_sent = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let scheme = v.split(' ').next().unwrap_or_default();
            scheme.eq_ignore_ascii_case("bearer")
        });
    let mut body_token = None;
    if request.method() == Method::POST && has_form(request.headers()) {
        match form(request).await {
            Ok(params) => {
                let mut tokens = params.into_iter().filter(|(k, _)| k == "access_token");
                body_token = tokens.next().map(|(_, v)| v);
                if tokens.next().is_some() {
                    return userinfo_error(&UserinfoError::InvalidRequest(
                        "Send one access_token form field, not several.",
                    ));
                }
            }
            Err(why) => return userinfo_error(&UserinfoError::InvalidRequest(why)),
        }
    }
    let token = match (header_token, body_token) {
        (Some(_), Some(_)) => {
            return userinfo_error(&UserinfoError::InvalidRequest(
                "Send the access token once: in the Authorization header or as an access_token form field.",
            ));
        }
        (Some(t), None) | (None, Some(t)) if !t.is_empty() => t,
        _ if bearer_sent => return userinfo_error(&UserinfoError::InvalidToken),
        _ => return userinfo_error(&UserinfoError::Missing),
    };
    match provider.userinfo(&token, ip).await {
        Ok(claims) => {
            let mut response = Json(claims).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, NO_STORE);
            response
        }
        Err(e) => userinfo_error(&e),
    }
}

fn has_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// RFC 6750 §3: the challenge says what is wrong; the body repeats it.
fn userinfo_error(e: &UserinfoError) -> Response {
    let (status, challenge, body) = match e {
        UserinfoError::Missing => (
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"otp\"",
            json!({ "error_description": "A bearer access token is required." }),
        ),
        UserinfoError::InvalidToken => (
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"otp\", error=\"invalid_token\"",
            json!({
                "error": "invalid_token",
                "error_description": "The access token is unknown, expired or revoked.",
            }),
        ),
        UserinfoError::InvalidRequest(why) => (
            StatusCode::BAD_REQUEST,
            "Bearer realm=\"otp\", error=\"invalid_request\"",
            json!({ "error": "invalid_request", "error_description": why }),
        ),
        UserinfoError::TooMany { retry_after } => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(json!({
                    "error": "invalid_request",
                    "error_description": "Too many requests without a valid access token; retry later.",
                })),
            )
                .into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, NO_STORE);
            h.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
            return response;
        }
        UserinfoError::Store(cause) => {
            tracing::error!(error = %cause, "store failed");
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": "temporarily_unavailable",
                    "error_description": "The service is busy; retry in a moment.",
                })),
            )
                .into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, NO_STORE);
            h.insert(
                header::RETRY_AFTER,
                HeaderValue::from(UNAVAILABLE_RETRY_SECS),
            );
            return response;
        }
    };
    let mut response = (status, Json(body)).into_response();
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, NO_STORE);
    h.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(challenge),
    );
    response
}

/// `POST /api/sign-in`: what the page shows for its sign-in request.
pub async fn sign_in(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Json<SignInResponse>, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    Ok(Json(provider.sign_in(&request.sign_in, ip).await?))
}

/// `POST /api/sign-in/cancel`: the way back to the app, `access_denied`.
pub async fn cancel(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Json<RedirectResponse>, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    let redirect_to = provider.cancel(&request.sign_in, ip).await?;
    Ok(Json(RedirectResponse { redirect_to }))
}
