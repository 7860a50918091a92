//! The endpoints of the session on the service's origin: who is signed in
//! here, signing out, continuing an app's sign-in with the session, the
//! confirmation of a logout an app asked for, and `/logout` itself.
//!
//! Every endpoint that reads or changes the session cookie is a `POST` with
//! a JSON body (a cross-site form cannot send one) and, with
//! [`require_own_origin`], refuses a request whose `Origin` is another
//! site's. `/logout` is the exception the standard makes: an app's page
//! sends the browser there; it changes nothing without a hint of the
//! session's own identity or the person's confirmation.

use super::error::ApiError;
use super::extract::{ApiJson, ClientIp};
use super::oidc::{error_page, form, pairs, see_other};
use crate::oidc::Provider;
use crate::oidc::logout::LogoutFailure;
use crate::service::ServiceError;
use crate::session::cookie;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use otp_api::{
    ErrorCode, LogoutDone, LogoutInfo, LogoutRequest, RedirectResponse, SessionRequest,
    SessionResponse, SignInRequest, SignOutRequest, SignOutResponse, SignedIn,
};
use std::sync::Arc;

/// The origin a request may come from: the issuer's, and on a loopback
/// issuer (a local run) the same scheme and port on any loopback host,
/// since a browser may open the page as `127.0.0.1`, `localhost` or `[::1]`.
#[derive(Debug, Clone)]
pub struct OwnOrigin {
    origin: String,
    loopback: Option<(String, Option<u16>)>,
}

impl OwnOrigin {
    pub fn new(issuer: &str) -> OwnOrigin {
        let url = url::Url::parse(issuer).ok();
        let loopback = url
            .as_ref()
            .filter(|u| {
                u.host()
                    .as_ref()
                    .is_some_and(crate::oidc::clients::is_loopback_host)
            })
            .map(|u| (u.scheme().to_owned(), u.port_or_known_default()));
        OwnOrigin {
            origin: url.map_or_else(|| issuer.to_owned(), |u| u.origin().ascii_serialization()),
            loopback,
        }
    }

    /// Whether an `Origin` header's value is this service's.
    pub fn allows(&self, origin: &str) -> bool {
        if origin == self.origin {
            return true;
        }
        let Some((scheme, port)) = &self.loopback else {
            return false;
        };
        url::Url::parse(origin).is_ok_and(|u| {
            u.scheme() == scheme
                && u.port_or_known_default() == *port
                && u.host()
                    .as_ref()
                    .is_some_and(crate::oidc::clients::is_loopback_host)
                && u.path() == "/"
        })
    }
}

/// Refuses a `POST` whose `Origin` is present and another site's
/// (403 `forbidden_origin`); a request without `Origin` (not a browser's
/// cross-site request) passes, as do reads.
pub async fn require_own_origin(
    State(own): State<Arc<OwnOrigin>>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD);
    let foreign = request
        .headers()
        .get_all(header::ORIGIN)
        .iter()
        .any(|o| !o.to_str().is_ok_and(|o| own.allows(o)));
    if writes && foreign {
        tracing::info!("request from another site's page refused");
        return ApiError::new(ErrorCode::ForbiddenOrigin).into_response();
    }
    next.run(request).await
}

/// Adds `Set-Cookie` headers to an answer.
pub fn with_cookies(
    mut response: Response,
    cookies: impl IntoIterator<Item = HeaderValue>,
) -> Response {
    for value in cookies {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /api/session`: who is signed in here.
pub async fn current(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(_): ApiJson<SessionRequest>,
) -> Result<Response, ApiError> {
    let sessions = provider.sessions();
    let browser = sessions.browser(&headers);
    let session = sessions.current(&browser).await.map_err(store_error)?;
    // A cookie that names no live session is removed.
    let clear = (browser.session.is_some() && session.is_none()).then(cookie::clear_session);
    let answer = SessionResponse {
        session: session.map(|s| SignedIn { email: s.email }),
    };
    Ok(with_cookies(Json(answer).into_response(), clear))
}

/// `POST /api/session/end`: sign out here, or everywhere.
pub async fn end(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignOutRequest>,
) -> Result<Response, ApiError> {
    let browser = provider.sessions().browser(&headers);
    let sessions_ended = provider
        .sign_out(&browser, request.everywhere)
        .await
        .map_err(store_error)?;
    let answer = Json(SignOutResponse { sessions_ended }).into_response();
    Ok(with_cookies(answer, [cookie::clear_session()]))
}

/// `POST /api/sign-in/continue`: the session finishes the sign-in.
pub async fn continue_sign_in(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Json<RedirectResponse>, ApiError> {
    let browser = provider.sessions().browser(&headers);
    let redirect_to = provider
        .continue_sign_in(&request.sign_in, &browser)
        .await?;
    Ok(Json(RedirectResponse { redirect_to }))
}

/// `POST /api/logout`: what the confirmation of an app's logout asks.
pub async fn logout_info(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<LogoutRequest>,
) -> Result<Json<LogoutInfo>, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    let browser = provider.sessions().browser(&headers);
    Ok(Json(
        provider.logout_info(&request.logout, &browser, ip).await?,
    ))
}

/// `POST /api/logout/confirm`: the person confirmed an app's logout.
pub async fn confirm_logout(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(request): ApiJson<LogoutRequest>,
) -> Result<Response, ApiError> {
    let ip = ip.ok_or(ServiceError::ClientUnknown)?;
    let browser = provider.sessions().browser(&headers);
    let done: LogoutDone = provider
        .confirm_logout(&request.logout, &browser, ip)
        .await?;
    Ok(with_cookies(
        Json(done).into_response(),
        [cookie::clear_session()],
    ))
}

/// `GET|POST /logout`: an app asks to sign the person out (RP-Initiated
/// Logout 1.0): the query (GET) or form body (POST).
pub async fn logout(
    State(provider): State<Arc<Provider>>,
    ClientIp(ip): ClientIp,
    request: Request,
) -> Response {
    let Some(ip) = ip else {
        tracing::error!(error = %ServiceError::ClientUnknown, "request refused: no client address");
        let mut page = error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-out not possible",
            "The service is not available right now. Try again later.",
        );
        page.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return page;
    };
    let headers = request.headers().clone();
    let params = if request.method() == Method::POST {
        form(request).await.unwrap_or_default()
    } else {
        pairs(request.uri().query().unwrap_or("").as_bytes())
    };
    let browser = provider.sessions().browser(&headers);
    let mut response = match provider.logout(&params, &browser, ip).await {
        Ok(answer) => {
            let clear = answer.clear_session.then(cookie::clear_session);
            with_cookies(see_other(&answer.location), clear)
        }
        Err(LogoutFailure::Invalid(why)) => error_page(
            StatusCode::BAD_REQUEST,
            "Sign-out not possible",
            &format!("The app's sign-out link is not valid: {why}."),
        ),
        Err(LogoutFailure::TooMany { retry_after }) => {
            let mut page = error_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Sign-out not possible",
                "Too many sign-out links that were not valid came from here. Try again later.",
            );
            page.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            page
        }
        Err(LogoutFailure::Store(e)) => {
            tracing::error!(error = %e, "store failed");
            error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-out not possible",
                "The service is busy right now. Try again in a moment.",
            )
        }
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn store_error(e: crate::store::StoreError) -> ApiError {
    ApiError::from(ServiceError::Store(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_service_s_own_origin_is_allowed() {
        let public = OwnOrigin::new("https://otp.example.com");
        assert!(public.allows("https://otp.example.com"));
        for foreign in [
            "https://evil.example",
            "http://otp.example.com",
            "https://otp.example.com:8443",
            "https://sub.otp.example.com",
            "null",
            "",
        ] {
            assert!(!public.allows(foreign), "{foreign}");
        }
        // A local run: the page may be opened on any loopback name.
        let local = OwnOrigin::new("http://127.0.0.1:3000");
        for same in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://[::1]:3000",
        ] {
            assert!(local.allows(same), "{same}");
        }
        for foreign in [
            "http://127.0.0.1:3001",
            "https://localhost:3000",
            "http://evil.example:3000",
        ] {
            assert!(!local.allows(foreign), "{foreign}");
        }
    }
}
