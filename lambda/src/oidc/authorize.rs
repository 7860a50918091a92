//! Checking an authorization request (`GET|POST /authorize`), pure: the
//! parameters in, a request to store or an error that says whether it may
//! be redirected to the app or must be shown as a page.
//!
//! The client and its redirect URI are checked first: until both are known
//! good nothing is redirected (RFC 6749 §4.1.2.1, RFC 9700 §4.1): an open
//! redirector would hand a stranger's page our users. Everything after that
//! goes back to the app as `error` on its redirect URI.

use super::clients::Clients;
use std::collections::HashMap;

/// Longest `state`, `nonce` and `ui_locales` accepted.
pub const MAX_PARAM_LEN: usize = 512;
/// Longest `login_hint` (an address).
pub const MAX_LOGIN_HINT_LEN: usize = 254;
/// An S256 challenge: base64url of 32 bytes, unpadded.
const CHALLENGE_LEN: usize = 43;

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRequest {
    pub client_id: String,
    pub redirect_uri: String,
    /// What is granted: `openid`, plus `email` if asked for.
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// `None` only for a client registered without PKCE; its `nonce` is then set.
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    /// `prompt=none`: answer at once from the session, or `login_required`.
    pub prompt_none: bool,
    /// `prompt=login`: only a code approved for this request will do.
    pub prompt_login: bool,
    /// `max_age`: a session proven longer ago than this will not do.
    pub max_age: Option<u64>,
    /// `id_token_hint`, unchecked: the provider verifies it with its keys.
    pub id_token_hint: Option<String>,
}

/// Why the request is not shown to the person: as a page here, since the
/// app's address is not known to be the app's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageError {
    MissingClient,
    UnknownClient,
    MissingRedirectUri,
    UnregisteredRedirectUri,
    /// A parameter is repeated and the client or redirect URI is not known good.
    Repeated,
}

impl PageError {
    /// What the page says is wrong.
    pub fn describe(self) -> &'static str {
        match self {
            PageError::MissingClient => "no client_id",
            PageError::UnknownClient => "unknown client",
            PageError::MissingRedirectUri => "no redirect address",
            PageError::UnregisteredRedirectUri => "redirect address not registered for this app",
            PageError::Repeated => "a parameter is repeated",
        }
    }
}

/// An error sent back to the app on its redirect URI (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    pub redirect_uri: String,
    pub error: &'static str,
    pub description: &'static str,
    pub state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    Page(PageError),
    Redirect(RedirectError),
}

/// Checks the parameters of an authorization request in this order:
/// repeats, client, redirect URI — each answered with a page, since nothing
/// may be redirected before the last two are known good — then the rest,
/// answered on the redirect URI.
pub fn validate(
    params: &[(String, String)],
    clients: &Clients,
) -> Result<ValidRequest, AuthorizeError> {
    // RFC 6749 §3.1: a parameter without a value is as if omitted.
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut values: HashMap<&str, &str> = HashMap::new();
    for (name, value) in params {
        if value.is_empty() {
            continue;
        }
        *counts.entry(name).or_default() += 1;
        values.insert(name, value);
    }
    let single = |name: &str| -> Option<&str> {
        (counts.get(name) == Some(&1))
            .then(|| values.get(name).copied())
            .flatten()
    };
    let repeated = counts.values().any(|&n| n > 1);

    // The client and where to send it back, or a page.
    let client_id = single("client_id");
    let redirect_uri = single("redirect_uri");
    let client = client_id.and_then(|id| clients.get(id));
    let redirect_ok =
        matches!((client, redirect_uri), (Some(c), Some(uri)) if c.has_redirect_uri(uri));
    if repeated && !redirect_ok {
        return Err(AuthorizeError::Page(PageError::Repeated));
    }
    let client = match (client_id, client) {
        (None, _) => return Err(AuthorizeError::Page(PageError::MissingClient)),
        (Some(_), None) => return Err(AuthorizeError::Page(PageError::UnknownClient)),
        (Some(_), Some(client)) => client,
    };
    let Some(redirect_uri) = redirect_uri else {
        return Err(AuthorizeError::Page(PageError::MissingRedirectUri));
    };
    if !client.has_redirect_uri(redirect_uri) {
        return Err(AuthorizeError::Page(PageError::UnregisteredRedirectUri));
    }

    let state = single("state").map(str::to_owned);
    let refuse = |error: &'static str, description: &'static str| {
        Err(AuthorizeError::Redirect(RedirectError {
            redirect_uri: redirect_uri.to_owned(),
            error,
            description,
            state: state.clone(),
        }))
    };
    if repeated {
        return refuse("invalid_request", "A parameter is repeated.");
    }
    if counts.contains_key("request") {
        return refuse(
            "request_not_supported",
            "Request objects are not supported.",
        );
    }
    if counts.contains_key("request_uri") {
        return refuse(
            "request_uri_not_supported",
            "The request_uri parameter is not supported.",
        );
    }
    if counts.contains_key("registration") {
        return refuse(
            "registration_not_supported",
            "The registration parameter is not supported.",
        );
    }
    match single("response_type") {
        None => return refuse("invalid_request", "response_type is required."),
        Some("code") => {}
        Some(_) => {
            return refuse(
                "unsupported_response_type",
                "Only the response_type code is supported.",
            );
        }
    }
    if single("response_mode").is_some_and(|m| m != "query") {
        return refuse(
            "invalid_request",
            "Only the response_mode query is supported.",
        );
    }
    let scopes: Vec<&str> = single("scope").unwrap_or("").split(' ').collect();
    if !scopes.contains(&"openid") {
        return refuse("invalid_scope", "The scope must include openid.");
    }
    let scope = if scopes.contains(&"email") {
        "openid email"
    } else {
        "openid"
    };
    let challenge = single("code_challenge");
    let method = single("code_challenge_method");
    let code_challenge = match (challenge, method) {
        (None, None) if !client.require_pkce => {
            // RFC 9700 §2.1.1: without PKCE, the nonce protects the code.
            if single("nonce").is_none() {
                return refuse("invalid_request", "nonce is required without PKCE.");
            }
            None
        }
        (Some(challenge), Some("S256")) => Some(challenge),
        _ => return refuse("invalid_request", "PKCE S256 is required."),
    };
    if code_challenge.is_some_and(|c| {
        c.len() != CHALLENGE_LEN
            || !c
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) {
        return refuse(
            "invalid_request",
            "code_challenge must be 43 base64url characters.",
        );
    }
    // OpenID Connect Core §3.1.2.1: values this provider does not know
    // (`consent`, `select_account`: the page always shows whose session it
    // is) are no reason to refuse; `none` goes alone.
    let prompts: Vec<&str> = single("prompt").unwrap_or("").split(' ').collect();
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.iter().any(|p| !p.is_empty() && *p != "none") {
        return refuse(
            "invalid_request",
            "prompt=none cannot be combined with other values.",
        );
    }
    let max_age = match single("max_age").map(str::parse::<u64>) {
        None => None,
        Some(Ok(seconds)) => Some(seconds),
        Some(Err(_)) => {
            return refuse("invalid_request", "max_age must be a number of seconds.");
        }
    };
    let too_long = |name: &str, max: usize| single(name).is_some_and(|v| v.chars().count() > max);
    if too_long("state", MAX_PARAM_LEN)
        || too_long("nonce", MAX_PARAM_LEN)
        || too_long("ui_locales", MAX_PARAM_LEN)
        || too_long("login_hint", MAX_LOGIN_HINT_LEN)
    {
        return refuse(
            "invalid_request",
            "state, nonce and ui_locales are at most 512 characters, login_hint 254.",
        );
    }
    Ok(ValidRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.to_owned(),
        state,
        nonce: single("nonce").map(str::to_owned),
        code_challenge: code_challenge.map(str::to_owned),
        login_hint: single("login_hint").map(str::to_owned),
        ui_locales: single("ui_locales").map(str::to_owned),
        prompt_none,
        prompt_login: prompts.contains(&"login"),
        max_age,
        id_token_hint: single("id_token_hint").map(str::to_owned),
    })
}

/// `uri` with `params` appended to its query (`?` or `&` as it needs).
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        serializer.append_pair(name, value);
    }
    let query = serializer.finish();
    let separator = match uri.find('?') {
        None => "?",
        Some(i) if i + 1 == uri.len() || uri.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{uri}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "https://app.example/cb";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn clients() -> Clients {
        Clients::parse(&format!(
            r#"[{{"id":"app","name":"App","redirect_uris":["{URI}","https://app.example/cb?x=1"]}},
               {{"id":"legacy","name":"Legacy","redirect_uris":["{URI}"],"require_pkce":false,
                 "secret":"0123456789abcdef0123456789abcdef"}}]"#
        ))
        .unwrap()
    }

    fn good() -> Vec<(String, String)> {
        [
            ("client_id", "app"),
            ("redirect_uri", URI),
            ("response_type", "code"),
            ("scope", "openid email profile"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("state", "st"),
            ("nonce", "n-0S6_WzA2Mj"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into()
    }

    /// `good()` with `name` set to `value` (`None` removes it).
    fn with(name: &str, value: Option<&str>) -> Vec<(String, String)> {
        let mut params: Vec<_> = good().into_iter().filter(|(k, _)| k != name).collect();
        if let Some(v) = value {
            params.push((name.to_owned(), v.to_owned()));
        }
        params
    }

    #[test]
    fn a_good_request_is_valid() {
        let valid = validate(&good(), &clients()).unwrap();
        assert_eq!(valid.scope, "openid email");
        assert_eq!(valid.state.as_deref(), Some("st"));
        assert_eq!(valid.code_challenge.as_deref(), Some(CHALLENGE));
        assert!(!valid.prompt_none && !valid.prompt_login);
        assert_eq!((valid.max_age, valid.id_token_hint), (None, None));
        let valid = validate(&with("scope", Some("openid")), &clients()).unwrap();
        assert_eq!(valid.scope, "openid");
        let valid = validate(&with("prompt", Some("none")), &clients()).unwrap();
        assert!(valid.prompt_none && !valid.prompt_login);
        let valid = validate(&with("prompt", Some("consent login")), &clients()).unwrap();
        assert!(valid.prompt_login && !valid.prompt_none);
        assert_eq!(
            validate(&with("max_age", Some("0")), &clients())
                .unwrap()
                .max_age,
            Some(0)
        );
        let hint = validate(&with("id_token_hint", Some("eyJ.x.y")), &clients()).unwrap();
        assert_eq!(hint.id_token_hint.as_deref(), Some("eyJ.x.y"));
        // A client registered without PKCE may leave it out, with a nonce.
        let legacy = |params: Vec<(String, String)>| {
            params
                .into_iter()
                .filter(|(k, _)| !k.starts_with("code_challenge"))
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if k == "client_id" { "legacy".into() } else { v },
                    )
                })
                .collect::<Vec<_>>()
        };
        let valid = validate(&legacy(good()), &clients()).unwrap();
        assert_eq!(valid.code_challenge, None);
        assert!(validate(&with("client_id", Some("legacy")), &clients()).is_ok());
        let no_nonce = legacy(with("nonce", None));
        match validate(&no_nonce, &clients()).unwrap_err() {
            AuthorizeError::Redirect(e) => {
                assert_eq!(e.description, "nonce is required without PKCE.")
            }
            other => panic!("{other:?}"),
        }
        // Accepted and ignored.
        for (k, v) in [
            ("prompt", "select_account"),
            ("prompt", "create"),
            ("display", "popup"),
            ("acr_values", "x"),
            ("claims_locales", "de"),
            ("response_mode", "query"),
            ("state", ""),
        ] {
            assert!(validate(&with(k, Some(v)), &clients()).is_ok(), "{k}={v}");
        }
        assert_eq!(
            validate(&with("state", None), &clients()).unwrap().state,
            None
        );
    }

    #[test]
    fn refusal_table() {
        use AuthorizeError::{Page, Redirect};
        let long = "x".repeat(513);
        let long_hint = format!("{}@example.com", "a".repeat(243));
        let mut repeated_state = good();
        repeated_state.push(("state".into(), "again".into()));
        let mut repeated_client = good();
        repeated_client.push(("client_id".into(), "app".into()));
        type Case = (Vec<(String, String)>, Result<&'static str, PageError>);
        let cases: Vec<Case> = vec![
            (with("client_id", None), Err(PageError::MissingClient)),
            (with("client_id", Some("")), Err(PageError::MissingClient)),
            (
                with("client_id", Some("other")),
                Err(PageError::UnknownClient),
            ),
            (
                with("redirect_uri", None),
                Err(PageError::MissingRedirectUri),
            ),
            (
                with("redirect_uri", Some("https://app.example/cb/")),
                Err(PageError::UnregisteredRedirectUri),
            ),
            (
                with("redirect_uri", Some("https://APP.example/cb")),
                Err(PageError::UnregisteredRedirectUri),
            ),
            (repeated_client, Err(PageError::Repeated)),
            (repeated_state, Ok("invalid_request")),
            (with("request", Some("eyJ")), Ok("request_not_supported")),
            (
                with("request_uri", Some("https://x")),
                Ok("request_uri_not_supported"),
            ),
            (
                with("registration", Some("{}")),
                Ok("registration_not_supported"),
            ),
            (with("response_type", None), Ok("invalid_request")),
            (
                with("response_type", Some("token")),
                Ok("unsupported_response_type"),
            ),
            (
                with("response_type", Some("code id_token")),
                Ok("unsupported_response_type"),
            ),
            (
                with("response_mode", Some("fragment")),
                Ok("invalid_request"),
            ),
            (with("scope", None), Ok("invalid_scope")),
            (with("scope", Some("email")), Ok("invalid_scope")),
            (with("scope", Some("openidemail")), Ok("invalid_scope")),
            (with("code_challenge", None), Ok("invalid_request")),
            (with("code_challenge_method", None), Ok("invalid_request")),
            (
                with("code_challenge_method", Some("plain")),
                Ok("invalid_request"),
            ),
            (
                with("code_challenge", Some(&CHALLENGE[1..])),
                Ok("invalid_request"),
            ),
            (
                with("code_challenge", Some(&format!("{}+", &CHALLENGE[1..]))),
                Ok("invalid_request"),
            ),
            (with("prompt", Some("login none")), Ok("invalid_request")),
            (
                with("prompt", Some("none select_account")),
                Ok("invalid_request"),
            ),
            (with("max_age", Some("-1")), Ok("invalid_request")),
            (with("max_age", Some("1h")), Ok("invalid_request")),
            (with("state", Some(&long)), Ok("invalid_request")),
            (with("nonce", Some(&long)), Ok("invalid_request")),
            (with("ui_locales", Some(&long)), Ok("invalid_request")),
            (with("login_hint", Some(&long_hint)), Ok("invalid_request")),
        ];
        for (params, expected) in cases {
            let got = validate(&params, &clients()).unwrap_err();
            match (expected, got) {
                (Err(page), Page(got)) => assert_eq!(got, page, "{params:?}"),
                (Ok(error), Redirect(got)) => {
                    assert_eq!(got.error, error, "{params:?}");
                    assert_eq!(got.redirect_uri, URI);
                    let single_state = params.iter().filter(|(k, _)| k == "state").count() == 1;
                    let state = params.iter().find(|(k, _)| k == "state").map(|(_, v)| v);
                    if single_state {
                        assert_eq!(got.state.as_ref(), state, "{params:?}");
                    } else {
                        assert_eq!(got.state, None);
                    }
                    // RFC 6749 §4.1.2.1: no `"` or `\` in descriptions.
                    assert!(
                        got.description
                            .bytes()
                            .all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\')
                    );
                }
                (expected, got) => panic!("{params:?}: expected {expected:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn query_parameters_are_appended_as_the_uri_needs() {
        let p = [("code", "a b"), ("state", "x&y")];
        assert_eq!(with_query(URI, &p), format!("{URI}?code=a+b&state=x%26y"));
        assert_eq!(
            with_query("https://a.example/cb?x=1", &p),
            "https://a.example/cb?x=1&code=a+b&state=x%26y"
        );
        assert_eq!(
            with_query("https://a.example/cb?", &p),
            "https://a.example/cb?code=a+b&state=x%26y"
        );
    }
}
