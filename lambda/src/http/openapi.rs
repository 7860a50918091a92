//! The OpenAPI document of the JSON API, built from the wire types of
//! `otp-api` (their schemas are derived with utoipa) and served at
//! `GET /api/openapi.json`.
//!
//! The operations are written out here rather than derived from the
//! handlers: what a caller needs is every status each step can answer and
//! which error codes come with it, and that is a property of the service,
//! not of a handler's signature. `docs/openapi.json` is a copy of
//! [`json`]'s output, kept equal by a test.

use axum::http::header;
use axum::response::IntoResponse;
use otp_api::{
    Challenge, ErrorBody, ErrorCode, ErrorDetail, HealthResponse, Proof, RedirectResponse,
    ResendRequest, ResendResponse, SendRequest, SendResponse, SignInRequest, SignInResponse,
    VerifyRequest, VerifyResponse, VerifyStatus,
};
use serde_json::{Value, json};
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, SchemaType, Type};
use utoipa::openapi::{Content, Header, Required, Response, ResponseBuilder};

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
            documented ones. 429 and 503 answers carry `Retry-After` (seconds) when waiting helps.\n\n\
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
        RedirectResponse,
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

/// What a step can answer besides its success: status and error codes.
type Errors = &'static [(u16, &'static [ErrorCode])];

/// Answers every JSON route can give whatever the body.
const COMMON: Errors = &[
    (405, &[ErrorCode::MethodNotAllowed]),
    (500, &[ErrorCode::Internal]),
];
/// Answers to a body that is not the step's JSON.
const BODY: Errors = &[
    (413, &[ErrorCode::PayloadTooLarge]),
    (415, &[ErrorCode::UnsupportedMediaType]),
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
            (400, &[C::InvalidRequest, C::InvalidEmail]),
            (410, &[C::SignInExpired]),
            (422, &[C::Undeliverable]),
            (429, &[C::RateLimited, C::ProofOfWorkRequired]),
            (503, &[C::Unavailable]),
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
            (400, &[C::InvalidRequest]),
            (404, &[C::UnknownFlow]),
            (410, &[C::Expired, C::AlreadyUsed]),
            (422, &[C::Undeliverable]),
            (
                429,
                &[
                    C::ResendTooSoon,
                    C::RateLimited,
                    C::TooManyAttempts,
                    C::ProofOfWorkRequired,
                ],
            ),
            (503, &[C::Unavailable]),
        ],
    };
    let verify = Step {
        id: "verify",
        summary: "Check a code; approves the flow once",
        description: "Over the per-client budget every code, right or wrong, answers the same \
            429. A flow started with `sign_in` answers with `redirect_to`, the way back to the \
            app with its authorization code; if that sign-in is over (expired, cancelled, \
            completed by another flow) the approval answers 410 `sign_in_expired`.",
        request: Some("VerifyRequest"),
        status: 200,
        success: success("The address is verified.", "VerifyResponse"),
        errors: &[
            (400, &[C::InvalidRequest, C::InvalidCodeFormat]),
            (404, &[C::UnknownFlow]),
            (410, &[C::Expired, C::AlreadyUsed, C::SignInExpired]),
            (422, &[C::WrongCode]),
            (429, &[C::TooManyAttempts, C::RateLimited]),
            (503, &[C::Unavailable]),
        ],
    };
    let sign_in = Step {
        id: "signIn",
        summary: "What the page shows for an app's sign-in request",
        description: "The `sign_in` handle comes from the page's address, where `/authorize` \
            sent the person. A request that is unknown, expired, cancelled or completed answers \
            410.",
        request: Some("SignInRequest"),
        status: 200,
        success: success("The app asking, and its hints.", "SignInResponse"),
        errors: &[
            (400, &[C::InvalidRequest]),
            (410, &[C::SignInExpired]),
            (503, &[C::Unavailable]),
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
            (400, &[C::InvalidRequest]),
            (410, &[C::SignInExpired]),
            (503, &[C::Unavailable]),
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
    paths.insert("/api/sign-in/cancel".into(), cancel.item(HttpMethod::Post));
    paths.insert("/api/health".into(), health.item(HttpMethod::Get));
    paths.insert("/api/openapi.json".into(), openapi.item(HttpMethod::Get));

    let mut doc = serde_json::to_value(doc).expect("the document serializes");
    require_retry_after(&mut doc);
    add_openid_connect(&mut doc);
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
        for (status, codes) in errors {
            operation = operation.response(status.to_string(), error_response(status, codes));
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

/// The one error shape, narrowed to the codes this answer can carry.
fn error_response(status: u16, codes: &[ErrorCode]) -> Response {
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

/// The OpenID Connect endpoints, written as JSON: their bodies are OAuth's
/// (forms in, RFC 6749 errors out), not the API's wire types.
fn add_openid_connect(doc: &mut Value) {
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("the document has schemas");
    for (name, schema) in oidc_schemas() {
        schemas.insert(name.into(), schema);
    }
    doc["components"]["securitySchemes"] = json!({
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token from `/token`.",
        }
    });
    let common = |op: &mut Value| {
        for (status, code) in [
            (405, ErrorCode::MethodNotAllowed),
            (500, ErrorCode::Internal),
        ] {
            op["responses"][status.to_string()] =
                serde_json::to_value(error_response(status, &[code])).expect("serializes");
        }
    };
    let schema_ref = |name: &str| json!({ "$ref": format!("#/components/schemas/{name}") });
    let json_content = |name: &str| json!({ "application/json": { "schema": schema_ref(name) } });
    let cache_hour = json!({
        "Cache-Control": {
            "required": true,
            "schema": { "type": "string", "const": "public, max-age=3600" },
        }
    });
    let retry_after = json!({
        "Retry-After": { "required": true, "schema": { "type": "integer", "minimum": 0 } }
    });
    let oauth_error = |codes: &[&str], description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": {
                "allOf": [
                    schema_ref("OAuthError"),
                    { "properties": { "error": { "type": "string", "enum": codes } } },
                ]
            } } },
        })
    };

    let mut discovery = json!({
        "operationId": "openidConfiguration",
        "summary": "The provider's metadata (OpenID Connect Discovery 1.0)",
        "description": "Any origin may read it (`Access-Control-Allow-Origin: *`); cached for an hour.",
        "responses": { "200": {
            "description": "The metadata.",
            "headers": cache_hour.clone(),
            "content": json_content("OpenIdConfiguration"),
        } },
    });
    common(&mut discovery);
    let mut jwks = json!({
        "operationId": "jwks",
        "summary": "The keys ID tokens are signed with (RFC 7517)",
        "description": "Every published key; each `kid` is the key's RFC 7638 thumbprint. Any \
            origin may read it; cached for an hour.",
        "responses": { "200": {
            "description": "The key set.",
            "headers": cache_hour,
            "content": json_content("JwkSet"),
        } },
    });
    common(&mut jwks);

    let mut token = json!({
        "operationId": "token",
        "summary": "Redeem an authorization code (RFC 6749 §4.1.3, PKCE S256)",
        "description": "A form body (`application/x-www-form-urlencoded`; anything else is \
            `invalid_request`). The client authenticates with HTTP Basic (`client_secret_basic`: \
            id and secret form-urlencoded, then base64), with `client_id` and `client_secret` in \
            the body (`client_secret_post`), or, a public client, with `client_id` alone (`none`). \
            A code works once, within 60 seconds of the approval; presented again, it is refused \
            and the access token it gave stops working. Too many failed requests (wrong client \
            credentials or codes) per client or address answer 429.",
        "requestBody": {
            "required": true,
            "content": { "application/x-www-form-urlencoded": { "schema": schema_ref("TokenRequest") } },
        },
        "responses": {
            "200": {
                "description": "The tokens. `Cache-Control: no-store`.",
                "content": json_content("TokenResponse"),
            },
            "400": oauth_error(
                &["invalid_request", "invalid_grant", "unsupported_grant_type"],
                "`invalid_request`: a parameter is missing, repeated or malformed, or the body is \
                 not a form. `invalid_grant`: the code is unknown, expired, used, or was issued to \
                 another client, redirect URI or code verifier. `unsupported_grant_type`: only \
                 `authorization_code`.",
            ),
            "401": {
                "description": "`invalid_client`: the client is unknown, its credentials are \
                    wrong or missing, a public client sent a secret, or two methods were used.",
                "headers": { "WWW-Authenticate": {
                    "required": true,
                    "schema": { "type": "string", "const": "Basic realm=\"otp\"" },
                } },
                "content": oauth_error(&["invalid_client"], "")["content"].clone(),
            },
            "429": {
                "description": "Too many failed token requests of this client or address this hour.",
                "headers": retry_after.clone(),
                "content": oauth_error(&["invalid_request"], "")["content"].clone(),
            },
            "503": {
                "description": "The store could not answer; retry after `Retry-After` seconds.",
                "headers": retry_after.clone(),
                "content": oauth_error(&["temporarily_unavailable"], "")["content"].clone(),
            },
        },
    });
    common(&mut token);

    let challenge_header = json!({ "WWW-Authenticate": {
        "required": true,
        "schema": { "type": "string", "pattern": "^Bearer realm=\"otp\"" },
    } });
    let userinfo = |id: &str, form: bool| {
        let mut op = json!({
            "operationId": id,
            "summary": "The claims of an access token's sign-in (OpenID Connect Core §5.3)",
            "description": "The access token comes in `Authorization: Bearer`, or (POST) as an \
                `access_token` form field, not both. `email` and `email_verified` only with the \
                `email` scope.",
            "security": [{ "bearer": [] }],
            "responses": {
                "200": {
                    "description": "The claims. `Cache-Control: no-store`.",
                    "content": json_content("UserInfo"),
                },
                "400": {
                    "description": "The token came by two methods.",
                    "headers": challenge_header.clone(),
                    "content": json_content("BearerError"),
                },
                "401": {
                    "description": "No token (a bare `Bearer realm=\"otp\"` challenge), or one \
                        that is unknown, expired or revoked (`error=\"invalid_token\"`).",
                    "headers": challenge_header.clone(),
                    "content": json_content("BearerError"),
                },
                "503": {
                    "description": "The store could not answer.",
                    "headers": retry_after.clone(),
                    "content": oauth_error(&["temporarily_unavailable"], "")["content"].clone(),
                },
            },
        });
        if form {
            op["requestBody"] = json!({
                "required": false,
                "content": { "application/x-www-form-urlencoded": { "schema": {
                    "type": "object",
                    "properties": { "access_token": { "type": "string" } },
                } } },
            });
        }
        common(&mut op);
        op
    };

    let paths = doc["paths"]
        .as_object_mut()
        .expect("the document has paths");
    paths.insert(
        "/.well-known/openid-configuration".into(),
        json!({ "get": discovery }),
    );
    paths.insert("/.well-known/jwks.json".into(), json!({ "get": jwks }));
    paths.insert("/token".into(), json!({ "post": token }));
    paths.insert(
        "/userinfo".into(),
        json!({ "get": userinfo("userinfo", false), "post": userinfo("userinfoPost", true) }),
    );
}

fn oidc_schemas() -> Vec<(&'static str, Value)> {
    let string = json!({ "type": "string" });
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    vec![
        (
            "TokenRequest",
            json!({
                "type": "object",
                "description": "RFC 6749 §4.1.3 with RFC 7636 §4.5.",
                "required": ["grant_type", "code", "redirect_uri", "code_verifier"],
                "properties": {
                    "grant_type": { "type": "string", "enum": ["authorization_code"] },
                    "code": { "type": "string", "description": "From the redirect's `code`." },
                    "redirect_uri": { "type": "string", "description": "As in the authorization request." },
                    "code_verifier": {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9._~-]{43,128}$",
                        "description": "The PKCE verifier whose S256 was the request's `code_challenge`.",
                    },
                    "client_id": { "type": "string", "description": "`client_secret_post` and `none`." },
                    "client_secret": { "type": "string", "description": "`client_secret_post`." },
                },
            }),
        ),
        (
            "TokenResponse",
            json!({
                "type": "object",
                "required": ["access_token", "token_type", "expires_in", "id_token", "scope"],
                "properties": {
                    "access_token": { "type": "string", "description": "For `/userinfo`." },
                    "token_type": { "type": "string", "enum": ["Bearer"] },
                    "expires_in": { "type": "integer", "minimum": 0, "description": "Seconds the access token works." },
                    "id_token": { "type": "string", "description": "An RS256 JWT: iss, sub, aud, exp, iat, auth_time, nonce, amr, at_hash, and with the `email` scope email and email_verified." },
                    "scope": { "type": "string", "description": "`openid`, or `openid email`." },
                },
            }),
        ),
        (
            "OAuthError",
            json!({
                "type": "object",
                "description": "RFC 6749 §5.2.",
                "required": ["error"],
                "properties": { "error": string, "error_description": string },
            }),
        ),
        (
            "BearerError",
            json!({
                "type": "object",
                "description": "What the `WWW-Authenticate` challenge says (RFC 6750 §3); no `error` when no token came.",
                "required": ["error_description"],
                "properties": {
                    "error": { "type": "string", "enum": ["invalid_token", "invalid_request"] },
                    "error_description": string,
                },
            }),
        ),
        (
            "UserInfo",
            json!({
                "type": "object",
                "required": ["sub"],
                "properties": {
                    "sub": {
                        "type": "string",
                        "description": "Stable per identity: the spellings that provably reach one mailbox (case, the domain's form, a provider's documented +tag and dot rules) share it.",
                    },
                    "email": { "type": "string" },
                    "email_verified": { "type": "boolean", "const": true },
                },
            }),
        ),
        (
            "OpenIdConfiguration",
            json!({
                "type": "object",
                "required": [
                    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint",
                    "jwks_uri", "scopes_supported", "response_types_supported",
                    "subject_types_supported", "id_token_signing_alg_values_supported",
                ],
                "properties": {
                    "issuer": string,
                    "authorization_endpoint": string,
                    "token_endpoint": string,
                    "userinfo_endpoint": string,
                    "jwks_uri": string,
                    "scopes_supported": strings,
                    "response_types_supported": strings,
                    "response_modes_supported": strings,
                    "grant_types_supported": strings,
                    "subject_types_supported": strings,
                    "id_token_signing_alg_values_supported": strings,
                    "token_endpoint_auth_methods_supported": strings,
                    "code_challenge_methods_supported": strings,
                    "claims_supported": strings,
                    "ui_locales_supported": strings,
                    "authorization_response_iss_parameter_supported": { "type": "boolean" },
                    "request_parameter_supported": { "type": "boolean" },
                    "request_uri_parameter_supported": { "type": "boolean" },
                    "claims_parameter_supported": { "type": "boolean" },
                },
            }),
        ),
        (
            "JwkSet",
            json!({
                "type": "object",
                "required": ["keys"],
                "properties": { "keys": { "type": "array", "items": {
                    "type": "object",
                    "required": ["kty", "use", "alg", "kid", "n", "e"],
                    "properties": {
                        "kty": { "type": "string", "enum": ["RSA"] },
                        "use": { "type": "string", "enum": ["sig"] },
                        "alg": { "type": "string", "enum": ["RS256"] },
                        "kid": { "type": "string", "description": "RFC 7638 thumbprint (SHA-256)." },
                        "n": { "type": "string" },
                        "e": { "type": "string" },
                    },
                } } },
            }),
        ),
    ]
}
