//! The OpenAPI document of the JSON API, built from the wire types of
//! `otp-api` (their schemas are derived with utoipa) and served at
//! `GET /api/openapi.json`.
//!
//! The operations are written out here rather than derived from the
//! handlers: what a caller needs is every error code each step can answer,
//! and that is a property of the service, not of a handler's signature.
//! Each step lists its codes; their statuses come from
//! [`ErrorCode::status`], as the answers' do. `docs/openapi.json` is a copy
//! of [`json`]'s output, kept equal by a test.
//!
//! - here: the API under `/api`, in the API's error shape
//! - [`oidc`]: the OpenID Connect endpoints, in OAuth's shapes
//! - `passkey`: adding a passkey, signing in with one, listing and removing them

use axum::http::header;
use axum::response::IntoResponse;
use otp_api::{
    Challenge, ErrorBody, ErrorCode, ErrorDetail, HealthResponse, LogoutDone, LogoutInfo,
    LogoutRequest, PasskeyInfo, PasskeyOptions, PasskeyRemoved, PasskeySignInRequest,
    PasskeysRequest, PasskeysResponse, Proof, RedirectResponse, RegisterOptionsRequest,
    RegisterPasskeyRequest, RemovePasskeyRequest, ResendRequest, ResendResponse, SendRequest,
    SendResponse, SessionChoice, SessionRequest, SessionResponse, SignInOptionsRequest,
    SignInRequest, SignInResponse, SignOutRequest, SignOutResponse, SignedIn, VerifyRequest,
    VerifyResponse, VerifyStatus,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, SchemaType, Type};
use utoipa::openapi::{Content, Header, Required, Response, ResponseBuilder};

mod oidc;
mod passkey;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "otp",
        description = "Email one-time-passcode verification: mail a 6-digit code to an address, \
            then check what the person types back; and an OpenID Connect provider whose one way \
            to authenticate is that code.\n\n\
            Under `/api`, every error answers in one shape, `{\"error\": {\"code\", \"message\", ...}}`; \
            each response lists the codes it can carry. Request bodies are JSON \
            (`Content-Type: application/json`) of at most 4 KiB with no fields beyond the \
            documented ones, and a `POST` whose `Origin` is another site's is refused (403 \
            `forbidden_origin`). 429 and 503 answers carry `Retry-After` (seconds) when waiting helps.\n\n\
            The browser's session is an `HttpOnly` cookie (`__Host-otp-session`) the service sets \
            with an approving verify and reads in the session's steps; the page never sees it.\n\n\
            The OpenID Connect endpoints (`/token`, `/userinfo`, `/.well-known/…`) answer in \
            OAuth's shapes: RFC 6749 §5.2 errors `{\"error\", \"error_description\"}` and RFC 6750 \
            `WWW-Authenticate` challenges. `/authorize` (a browser's redirect, not an API) is \
            described in the discovery document."
    ),
    components(schemas(
        SendRequest,
        SendResponse,
        Proof,
        ResendRequest,
        ResendResponse,
        VerifyRequest,
        VerifyResponse,
        VerifyStatus,
        SignInRequest,
        SignInResponse,
        SessionChoice,
        RedirectResponse,
        SessionRequest,
        SessionResponse,
        SignedIn,
        SignOutRequest,
        SignOutResponse,
        LogoutRequest,
        LogoutInfo,
        LogoutDone,
        RegisterOptionsRequest,
        SignInOptionsRequest,
        PasskeyOptions,
        RegisterPasskeyRequest,
        PasskeySignInRequest,
        PasskeyInfo,
        PasskeysRequest,
        PasskeysResponse,
        RemovePasskeyRequest,
        PasskeyRemoved,
        HealthResponse,
        ErrorBody,
        ErrorDetail,
        ErrorCode,
        Challenge
    ))
)]
struct Components;

/// The document as JSON, built once.
pub fn json() -> &'static str {
    static JSON: LazyLock<String> = LazyLock::new(|| {
        serde_json::to_string_pretty(&document()).expect("the document serializes")
    });
    &JSON
}

/// `GET /api/openapi.json`
pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}

/// What a step can answer besides its success, each status's codes in the
/// order its description lists them.
type Errors = &'static [ErrorCode];

/// Answers every JSON route can give whatever the body.
const COMMON: Errors = &[ErrorCode::MethodNotAllowed, ErrorCode::Internal];
/// Answers to a body that is not the step's JSON, or sent from another
/// site's page.
const BODY: Errors = &[
    ErrorCode::ForbiddenOrigin,
    ErrorCode::PayloadTooLarge,
    ErrorCode::UnsupportedMediaType,
];

fn document() -> Value {
    use ErrorCode as C;
    let send = Step {
        id: "send",
        summary: "Start a flow: mail a new code to an address",
        description: "Answers the same way for every well-formed address: nothing says whether \
            it was seen before. A repeated `request_id` for the same address answers with the \
            first flow and sends nothing more, even once the address's budget is spent.",
        request: Some("SendRequest"),
        status: 202,
        success: success("The code is on its way.", "SendResponse"),
        errors: &[
            C::InvalidRequest,
            C::InvalidEmail,
            C::SignInExpired,
            C::Undeliverable,
            C::RateLimited,
            C::ProofOfWorkRequired,
            C::Unavailable,
        ],
    };
    let resend = Step {
        id: "resend",
        summary: "Mail the flow's code again; a fresh code once it has expired",
        description: "While the code lives, the message carries the same code and the \
            expiry does not restart, so the code of any message sent for the flow works. \
            Once it has expired (up to a day before), a fresh code with a fresh expiry. \
            Tries already spent stay spent.",
        request: Some("ResendRequest"),
        status: 202,
        success: success("The code is on its way again.", "ResendResponse"),
        errors: &[
            C::InvalidRequest,
            C::UnknownFlow,
            C::Expired,
            C::AlreadyUsed,
            C::Undeliverable,
            C::ResendTooSoon,
            C::RateLimited,
            C::TooManyAttempts,
            C::ProofOfWorkRequired,
            C::Unavailable,
        ],
    };
    let verify = Step {
        id: "verify",
        summary: "Check a code; approves the flow once",
        description: "Over the per-client budget every code, right or wrong, answers the same \
            429. An approval sets the session cookie (a new session, or the browser's session \
            of the same address renewed with a new secret) and the device cookie. A flow started \
            with `sign_in` answers with `redirect_to`, the way back to the app with its \
            authorization code; if that sign-in is over (expired, cancelled, completed by \
            another flow) the approval answers 410 `sign_in_expired`, the session set all the same.",
        request: Some("VerifyRequest"),
        status: 200,
        success: success("The address is verified.", "VerifyResponse"),
        errors: &[
            C::InvalidRequest,
            C::InvalidCodeFormat,
            C::UnknownFlow,
            C::Expired,
            C::AlreadyUsed,
            C::SignInExpired,
            C::WrongCode,
            C::TooManyAttempts,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let sign_in = Step {
        id: "signIn",
        summary: "What the page shows for an app's sign-in request",
        description: "The `sign_in` handle comes from the page's address, where `/authorize` \
            sent the person. A request that is unknown, expired, cancelled or completed answers \
            410; a handle that does not match the documented pattern, 400 `invalid_request`. \
            With the browser's live session, `session` says whose it is and whether it may \
            finish this request in one press.",
        request: Some("SignInRequest"),
        status: 200,
        success: success(
            "The app asking, its hints, the session here.",
            "SignInResponse",
        ),
        errors: &[
            C::InvalidRequest,
            C::SignInExpired,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let continue_sign_in = Step {
        id: "continueSignIn",
        summary: "Finish an app's sign-in with the browser's session, without a mail",
        description: "Answers with the way back to the app: its `redirect_uri` with `code`, \
            `state` and `iss`. 401 `session_required` when the browser has no live session or \
            the app asked for a new code (`prompt=login`, a `max_age` the session is older than) \
            or for another person (`id_token_hint`).",
        request: Some("SignInRequest"),
        status: 200,
        success: success("Where to send the person.", "RedirectResponse"),
        errors: &[
            C::InvalidRequest,
            C::SessionRequired,
            C::SignInExpired,
            C::Unavailable,
        ],
    };
    let session = Step {
        id: "session",
        summary: "Who is signed in in this browser",
        description: "`session` is null without a live session (no cookie, an unknown one, or \
            one that ended, sat idle too long or is too old: all the same answer); a cookie that \
            names no live session is removed.",
        request: Some("SessionRequest"),
        status: 200,
        success: success("The session here, if any.", "SessionResponse"),
        errors: &[C::InvalidRequest, C::Unavailable],
    };
    let sign_out = Step {
        id: "signOut",
        summary: "Sign out: this browser's session, or every session of its address",
        description: "Removes the session cookie in every case (the device cookie stays). Apps \
            that got codes in an ended session are told by back-channel logout.",
        request: Some("SignOutRequest"),
        status: 200,
        success: success("How many sessions ended.", "SignOutResponse"),
        errors: &[C::InvalidRequest, C::Unavailable],
    };
    let logout_info = Step {
        id: "logout",
        summary: "What the confirmation of an app's logout asks",
        description: "The `logout` handle comes from the page's address, where `/logout` sent \
            the person. A handle not of its documented form answers 400; a request that is \
            unknown, expired or done, 410.",
        request: Some("LogoutRequest"),
        status: 200,
        success: success("Who would be signed out, and the app.", "LogoutInfo"),
        errors: &[
            C::InvalidRequest,
            C::LogoutExpired,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let confirm_logout = Step {
        id: "confirmLogout",
        summary: "Confirm an app's logout: end the browser's session",
        description: "Uses the request once, ends the session, removes its cookie; \
            `redirect_to` is the app's registered `post_logout_redirect_uri` with its `state`, \
            if it named one.",
        request: Some("LogoutRequest"),
        status: 200,
        success: success("Where to send the person, if anywhere.", "LogoutDone"),
        errors: &[
            C::InvalidRequest,
            C::LogoutExpired,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let cancel = Step {
        id: "cancelSignIn",
        summary: "Cancel an app's sign-in request",
        description: "Answers with the way back to the app: its `redirect_uri` with \
            `error=access_denied`, `state` and `iss`.",
        request: Some("SignInRequest"),
        status: 200,
        success: success("Where to send the person.", "RedirectResponse"),
        errors: &[
            C::InvalidRequest,
            C::SignInExpired,
            C::RateLimited,
            C::Unavailable,
        ],
    };
    let health = Step {
        id: "health",
        summary: "Liveness and version",
        description: "Answers without touching the store or the mail server.",
        request: None,
        status: 200,
        success: success("Serving.", "HealthResponse"),
        errors: &[],
    };
    let openapi = Step {
        id: "openapi",
        summary: "This document",
        description: "The OpenAPI 3.1 description of this API.",
        request: None,
        status: 200,
        success: ResponseBuilder::new()
            .description("The document.")
            .content("application/json", Content::new(Some(any_object()))),
        errors: &[],
    };

    let mut doc = Components::openapi();
    let paths = &mut doc.paths.paths;
    paths.insert("/api/otp/send".into(), send.item(HttpMethod::Post));
    paths.insert("/api/otp/resend".into(), resend.item(HttpMethod::Post));
    paths.insert("/api/otp/verify".into(), verify.item(HttpMethod::Post));
    paths.insert("/api/sign-in".into(), sign_in.item(HttpMethod::Post));
    paths.insert(
        "/api/sign-in/continue".into(),
        continue_sign_in.item(HttpMethod::Post),
    );
    paths.insert("/api/sign-in/cancel".into(), cancel.item(HttpMethod::Post));
    paths.insert("/api/session".into(), session.item(HttpMethod::Post));
    paths.insert("/api/session/end".into(), sign_out.item(HttpMethod::Post));
    paths.insert("/api/logout".into(), logout_info.item(HttpMethod::Post));
    paths.insert(
        "/api/logout/confirm".into(),
        confirm_logout.item(HttpMethod::Post),
    );
    passkey::add_steps(paths);
    paths.insert("/api/health".into(), health.item(HttpMethod::Get));
    paths.insert("/api/openapi.json".into(), openapi.item(HttpMethod::Get));

    let mut doc = serde_json::to_value(doc).expect("the document serializes");
    require_retry_after(&mut doc);
    oidc::add_endpoints(&mut doc);
    doc["paths"]["/api/otp/send"]["post"]["responses"]["202"]["links"] = json!({
        "resend": flow_link("resend", "Send the code for this flow again."),
        "verify": flow_link("verify", "Check the code mailed for this flow."),
    });
    doc
}

/// A link from a send's answer to a step on the same flow: the step's body
/// gets the answer's `flow_id`; its other fields are the caller's. (Written
/// as JSON: utoipa 5.5 serializes its `Link` with snake_case keys,
/// `operation_id`, which no tool reads.)
fn flow_link(operation: &str, description: &str) -> Value {
    json!({
        "operationId": operation,
        "requestBody": { "flow_id": "$response.body#/flow_id" },
        "description": description,
    })
}

/// One operation: its success and every error it can answer.
struct Step {
    id: &'static str,
    summary: &'static str,
    description: &'static str,
    /// The component schema of the JSON body, if the step takes one.
    request: Option<&'static str>,
    status: u16,
    success: ResponseBuilder,
    errors: Errors,
}

impl Step {
    fn item(self, method: HttpMethod) -> PathItem {
        let mut operation = OperationBuilder::new()
            .operation_id(Some(self.id))
            .summary(Some(self.summary))
            .description(Some(self.description))
            .response(self.status.to_string(), self.success);
        let mut errors: Vec<_> = self.errors.iter().chain(COMMON).copied().collect();
        if let Some(schema) = self.request {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        "application/json",
                        Content::new(Some(Ref::from_schema_name(schema))),
                    )
                    .build(),
            ));
            errors.extend_from_slice(BODY);
        }
        for (status, codes) in by_status(&errors) {
            operation = operation.response(status.to_string(), error_response(&codes));
        }
        PathItem::new(method, operation)
    }
}

fn success(description: &str, schema: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name(schema))),
    )
}

/// `codes` grouped by their status, each group in the order given.
fn by_status(codes: &[ErrorCode]) -> BTreeMap<u16, Vec<ErrorCode>> {
    let mut groups: BTreeMap<u16, Vec<ErrorCode>> = BTreeMap::new();
    for &code in codes {
        groups.entry(code.status()).or_default().push(code);
    }
    groups
}

/// The answer of `codes`' one status (the first code's): the one error
/// shape, narrowed to these codes.
fn error_response(codes: &[ErrorCode]) -> Response {
    let status = codes[0].status();
    let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
    let mut detail = ObjectBuilder::new().property(
        "code",
        ObjectBuilder::new()
            .schema_type(SchemaType::Type(Type::String))
            .enum_values(Some(names)),
    );
    if codes == [ErrorCode::WrongCode] {
        detail = detail.required("attempts_left");
    }
    let schema = AllOfBuilder::new()
        .item(Ref::from_schema_name("ErrorBody"))
        .item(ObjectBuilder::new().property("error", detail));
    let mut description = codes
        .iter()
        .map(|c| format!("`{c}`: {}", c.message()))
        .collect::<Vec<_>>()
        .join("\n\n");
    let mut response = ResponseBuilder::new();
    let retry = match status {
        429 => {
            "\n\nWith `rate_limited` and `resend_too_soon`, `Retry-After` (and `retry_after`) \
            say in how many seconds trying again can succeed."
        }
        503 => "\n\n`Retry-After` (and `retry_after`) say in how many seconds to try again.",
        _ => "",
    };
    if !retry.is_empty() {
        description.push_str(retry);
        response = response.header(
            "Retry-After",
            Header::new(
                ObjectBuilder::new()
                    .schema_type(SchemaType::Type(Type::Integer))
                    .minimum(Some(0)),
            ),
        );
    }
    response
        .description(description)
        .content("application/json", Content::new(Some(schema)))
        .build()
}

fn any_object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::Object))
}

/// utoipa's `Header` has no `required`: 503 always carries `Retry-After`;
/// 429 does with `rate_limited` and `resend_too_soon` only.
fn require_retry_after(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            if let Some(header) = operation.pointer_mut("/responses/503/headers/Retry-After") {
                header["required"] = Value::Bool(true);
            }
        }
    }
}
