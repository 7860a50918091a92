//! The OpenID Connect endpoints of the OpenAPI document, written as JSON:
//! their bodies are OAuth's (forms in, RFC 6749 errors out), not the API's
//! wire types.

use super::error_response;
use crate::oidc::CODE_TTL_SECS;
use otp_api::ErrorCode;
use serde_json::{Value, json};

/// Adds the endpoints and their schemas to `doc`.
pub(super) fn add_endpoints(doc: &mut Value) {
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
        for code in [ErrorCode::MethodNotAllowed, ErrorCode::Internal] {
            op["responses"][code.status().to_string()] =
                serde_json::to_value(error_response(&[code])).expect("serializes");
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
        "description": format!("A form body (`application/x-www-form-urlencoded`; anything else is \
            `invalid_request`). The client authenticates with HTTP Basic (`client_secret_basic`: \
            id and secret form-urlencoded, then base64), with `client_id` and `client_secret` in \
            the body (`client_secret_post`), or, a public client, with `client_id` alone (`none`). \
            A code works once, within {CODE_TTL_SECS} seconds of the approval; presented again by \
            its own client (the same redirect URI and verifier), it is refused and the access \
            token it gave stops working; presented by anyone else, it is refused and changes \
            nothing. Too many failed client authentications (wrong or missing credentials) per \
            client or address answer 429; a request whose client authenticates never does."),
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
                "description": "Too many failed client authentications of this client or address this hour.",
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
            "description": "The access token comes once: in `Authorization: Bearer`, or (POST) \
                as one `access_token` form field, not both. `email` and `email_verified` only with the \
                `email` scope.",
            "security": [{ "bearer": [] }],
            "responses": {
                "200": {
                    "description": "The claims. `Cache-Control: no-store`.",
                    "content": json_content("UserInfo"),
                },
                "400": {
                    "description": "`invalid_request`: the token came twice (in the \
                        `Authorization` header and the body, or as two `access_token` form \
                        fields), or the form body could not be read (over 8 KiB); \
                        `error_description` says which.",
                    "headers": challenge_header.clone(),
                    "content": json_content("BearerError"),
                },
                "401": {
                    "description": "No token (a bare `Bearer realm=\"otp\"` challenge), or one \
                        that is unknown, expired or revoked (`error=\"invalid_token\"`).",
                    "headers": challenge_header.clone(),
                    "content": json_content("BearerError"),
                },
                "429": {
                    "description": "Too many tokens from this client address got no claims \
                        this hour; every request from it waits `Retry-After` seconds.",
                    "headers": retry_after.clone(),
                    "content": oauth_error(&["invalid_request"], "")["content"].clone(),
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
