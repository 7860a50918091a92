//! The checks of a token request (`POST /token`) that need no store: its
//! parameters, the client's authentication, and the claims of the ID token.

use super::clients::{Client, Clients};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use std::collections::HashMap;

/// Every refusal `/token` answers, in RFC 6749 §5.2's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// 400 `invalid_request`.
    InvalidRequest(&'static str),
    /// 401 `invalid_client`.
    InvalidClient(&'static str),
    /// 400 `invalid_grant`.
    InvalidGrant(&'static str),
    /// 400 `unsupported_grant_type`.
    UnsupportedGrantType,
    /// 429: failed client authentications of this client or address are
    /// over budget.
    TooMany { retry_after: u64 },
    /// 503: the store could not answer.
    Unavailable,
}

impl TokenError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(_) | TokenError::TooMany { .. } => "invalid_request",
            TokenError::InvalidClient(_) => "invalid_client",
            TokenError::InvalidGrant(_) => "invalid_grant",
            TokenError::UnsupportedGrantType => "unsupported_grant_type",
            TokenError::Unavailable => "temporarily_unavailable",
        }
    }

    /// The `error_description`: plain ASCII without `"` or `\` (§5.2).
    pub fn description(&self) -> &'static str {
        match self {
            TokenError::InvalidRequest(d)
            | TokenError::InvalidClient(d)
            | TokenError::InvalidGrant(d) => d,
            TokenError::UnsupportedGrantType => {
                "Only the grant_type authorization_code is supported."
            }
            TokenError::TooMany { .. } => "Too many failed client authentications; retry later.",
            TokenError::Unavailable => "The service is busy; retry in a moment.",
        }
    }
}

/// The body of a token request, each parameter once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenParams {
    pub code: String,
    pub redirect_uri: String,
    pub code_verifier: String,
}

/// How the client said who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub client_id: String,
    pub secret: Option<String>,
}

/// Checks a token request up to the store: no parameter twice, the client
/// authenticated, the grant type, the parameters the grant needs and the
/// verifier's shape. `authorization` is the `Authorization` header, if any.
pub fn check<'c>(
    params: &[(String, String)],
    authorization: Option<&str>,
    clients: &'c Clients,
) -> Result<(&'c Client, TokenParams), (Option<String>, TokenError)> {
    let mut values: HashMap<&str, &str> = HashMap::new();
    for (name, value) in params {
        // RFC 6749 §3.2: no parameter twice; one without a value is as if omitted.
        if value.is_empty() {
            continue;
        }
        if values.insert(name, value).is_some() {
            return Err((None, TokenError::InvalidRequest("A parameter is repeated.")));
        }
    }
    let credentials = credentials(&values, authorization).map_err(|e| (None, e))?;
    let client_id = Some(credentials.client_id.clone());
    let client = authenticate(&credentials, clients).map_err(|e| (client_id.clone(), e))?;
    let fail = |e: TokenError| (client_id.clone(), e);
    match values.get("grant_type") {
        None => return Err(fail(TokenError::InvalidRequest("grant_type is required."))),
        Some(&"authorization_code") => {}
        Some(_) => return Err(fail(TokenError::UnsupportedGrantType)),
    }
    let (Some(code), Some(redirect_uri), Some(code_verifier)) = (
        values.get("code"),
        values.get("redirect_uri"),
        values.get("code_verifier"),
    ) else {
        return Err(fail(TokenError::InvalidRequest(
            "code, redirect_uri and code_verifier are required.",
        )));
    };
    if !is_verifier(code_verifier) {
        return Err(fail(TokenError::InvalidRequest(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        )));
    }
    Ok((
        client,
        TokenParams {
            code: (*code).to_owned(),
            redirect_uri: (*redirect_uri).to_owned(),
            code_verifier: (*code_verifier).to_owned(),
        },
    ))
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn is_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The client's credentials, from HTTP Basic or the body, never both.
fn credentials(
    values: &HashMap<&str, &str>,
    authorization: Option<&str>,
) -> Result<Credentials, TokenError> {
    let body_id = values.get("client_id").copied();
    let body_secret = values.get("client_secret").copied();
    let basic = authorization
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
    if let Some((_, encoded)) = basic {
        let (id, secret) = decode_basic(encoded.trim()).ok_or(TokenError::InvalidClient(
            "The Basic credentials cannot be read.",
        ))?;
        if body_secret.is_some() || body_id.is_some_and(|b| b != id) {
            return Err(TokenError::InvalidClient(
                "Use one client authentication method, not two.",
            ));
        }
        return Ok(Credentials {
            client_id: id,
            // An empty password is no secret (a public client's Basic).
            secret: Some(secret).filter(|s| !s.is_empty()),
        });
    }
    let Some(id) = body_id else {
        return Err(TokenError::InvalidClient("The client is not identified."));
    };
    Ok(Credentials {
        client_id: id.to_owned(),
        secret: body_secret.map(str::to_owned),
    })
}

/// RFC 6749 §2.3.1: base64 of `id:secret`, each form-urlencoded first.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let decoded = STANDARD.decode(encoded).ok()?;
    let text = std::str::from_utf8(&decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    // `application/x-www-form-urlencoded` decoding of one value; a value
    // that is not UTF-8 once decoded is refused rather than mangled.
    let unescape = |s: &str| -> Option<String> {
        let plus_as_space = s.replace('+', " ");
        percent_encoding::percent_decode_str(&plus_as_space)
            .decode_utf8()
            .ok()
            .map(|v| v.into_owned())
    };
    let id = unescape(id)?;
    (!id.is_empty()).then_some(())?;
    Some((id, unescape(secret)?))
}

/// The registered client the credentials prove, or `invalid_client`.
pub fn authenticate<'c>(
    credentials: &Credentials,
    clients: &'c Clients,
) -> Result<&'c Client, TokenError> {
    let client = clients
        .get(&credentials.client_id)
        .ok_or(TokenError::InvalidClient("Client authentication failed."))?;
    match (&credentials.secret, client.is_confidential()) {
        (Some(secret), true) if client.secret_matches(secret) => Ok(client),
        (None, false) => Ok(client),
        _ => Err(TokenError::InvalidClient("Client authentication failed.")),
    }
}

/// The claims of an ID token (OpenID Connect Core §2, §3.1.3.6).
#[derive(Debug, Clone, Serialize)]
pub struct IdTokenClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<&'a str>,
    pub amr: [&'static str; 1],
    pub at_hash: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gXFzOyFmE";

    fn clients() -> Clients {
        Clients::parse(&format!(
            r#"[{{"id":"web app","name":"Web","redirect_uris":["https://a.example/cb"],"secret":"{SECRET}"}},
               {{"id":"spa","name":"SPA","redirect_uris":["https://a.example/cb"]}}]"#
        )
        .replace("web app", "web:app"))
        .unwrap()
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", "c"),
            ("redirect_uri", "https://a.example/cb"),
            ("code_verifier", VERIFIER),
        ]
    }

    fn basic(id: &str, secret: &str) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
        )
    }

    #[test]
    fn each_authentication_method_is_accepted() {
        let clients = clients();
        let (client, p) =
            check(&params(&base()), Some(&basic("web:app", SECRET)), &clients).unwrap();
        assert_eq!(client.id, "web:app");
        assert_eq!(p.code_verifier, VERIFIER);
        let mut post = base();
        post.extend([("client_id", "web:app"), ("client_secret", SECRET)]);
        assert!(check(&params(&post), None, &clients).is_ok());
        let mut none = base();
        none.push(("client_id", "spa"));
        assert_eq!(check(&params(&none), None, &clients).unwrap().0.id, "spa");
        // Basic with the same client_id in the body too.
        let mut both_ids = base();
        both_ids.push(("client_id", "web:app"));
        assert!(
            check(
                &params(&both_ids),
                Some(&basic("web:app", SECRET)),
                &clients
            )
            .is_ok()
        );
        assert!(check(&params(&base()), Some(&basic("spa", "")), &clients).is_ok());
    }

    #[test]
    fn refusal_table() {
        let clients = clients();
        let with = |extra: &[(&'static str, &'static str)], skip: &str| {
            let mut p: Vec<_> = base().into_iter().filter(|(k, _)| *k != skip).collect();
            p.extend_from_slice(extra);
            params(&p)
        };
        let good_basic = basic("web:app", SECRET);
        type Case = (Vec<(String, String)>, Option<String>, &'static str);
        let cases: Vec<Case> = vec![
            // Client authentication.
            (with(&[], ""), None, "invalid_client"),
            (with(&[("client_id", "nobody")], ""), None, "invalid_client"),
            (
                with(&[("client_id", "web:app")], ""),
                None,
                "invalid_client",
            ),
            (
                with(&[("client_id", "web:app"), ("client_secret", "wrong")], ""),
                None,
                "invalid_client",
            ),
            (
                with(&[("client_id", "spa"), ("client_secret", SECRET)], ""),
                None,
                "invalid_client",
            ),
            (
                with(&[], ""),
                Some(basic("web:app", "wrong")),
                "invalid_client",
            ),
            (with(&[], ""), Some(basic("spa", SECRET)), "invalid_client"),
            (with(&[], ""), Some("Basic !!!".into()), "invalid_client"),
            (
                with(&[("client_secret", SECRET)], ""),
                Some(good_basic.clone()),
                "invalid_client",
            ),
            (
                with(&[("client_id", "spa")], ""),
                Some(good_basic.clone()),
                "invalid_client",
            ),
            // Parameters.
            (
                with(&[("code", "again")], ""),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(&[], "grant_type"),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(&[("grant_type", "refresh_token")], "grant_type"),
                Some(good_basic.clone()),
                "unsupported_grant_type",
            ),
            (
                with(&[], "code"),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(&[], "redirect_uri"),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(&[], "code_verifier"),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(&[("code_verifier", "short")], "code_verifier"),
                Some(good_basic.clone()),
                "invalid_request",
            ),
            (
                with(
                    &[(
                        "code_verifier",
                        "dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gXFzOyFmE",
                    )],
                    "code_verifier",
                ),
                Some(good_basic.clone()),
                "invalid_request",
            ),
        ];
        for (p, auth, expected) in cases {
            let (_, err) = check(&p, auth.as_deref(), &clients).unwrap_err();
            assert_eq!(err.code(), expected, "{p:?} {auth:?}");
            assert!(
                err.description()
                    .bytes()
                    .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
            );
        }
    }
}
