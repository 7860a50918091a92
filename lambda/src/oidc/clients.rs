//! The apps allowed to send people here (`OTP_CLIENTS`): a JSON list of
//! `{"id", "name", "redirect_uris": [..], "secret"?}`, validated once at
//! start. A client with a secret is confidential (it authenticates at
//! `/token` with `client_secret_basic` or `client_secret_post`); one without
//! is public (`none`: a browser or native app, PKCE alone binds its code).

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Longest client id.
pub const MAX_CLIENT_ID_LEN: usize = 64;
/// Longest display name.
pub const MAX_CLIENT_NAME_LEN: usize = 64;
/// Shortest secret: 32 characters, about 190 bits from a password generator.
pub const MIN_SECRET_LEN: usize = 32;

/// Whether `id` has the form of a client id: 1 to [`MAX_CLIENT_ID_LEN`]
/// printable ASCII characters without spaces. Only such an id, claimed by a
/// request, is ever written to the log.
pub fn is_client_id(id: &str) -> bool {
    (1..=MAX_CLIENT_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// One registered app.
#[derive(Clone)]
pub struct Client {
    pub id: String,
    /// Shown on the page: "Continue to {name}".
    pub name: String,
    /// Compared byte for byte with the `redirect_uri` of a request.
    pub redirect_uris: Vec<String>,
    /// SHA-256 of the secret, for confidential clients; the secret itself
    /// is not kept.
    secret_sha256: Option<[u8; 32]>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("redirect_uris", &self.redirect_uris)
            .field("confidential", &self.is_confidential())
            .finish()
    }
}

impl Client {
    /// Whether the client has a secret it must present at `/token`.
    pub fn is_confidential(&self) -> bool {
        self.secret_sha256.is_some()
    }

    /// Whether `presented` is the client's secret. Both sides are hashed
    /// first, so the comparison takes the same time whatever the lengths,
    /// and is constant time over the digests.
    pub fn secret_matches(&self, presented: &str) -> bool {
        let Some(expected) = &self.secret_sha256 else {
            return false;
        };
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        expected.ct_eq(&presented).into()
    }

    /// Whether `uri` is exactly one of the registered redirect URIs.
    pub fn has_redirect_uri(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == uri)
    }
}

/// Every registered app, looked up by id.
#[derive(Debug, Clone, Default)]
pub struct Clients(Arc<Vec<Client>>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    secret: Option<String>,
}

impl Clients {
    /// Reads `OTP_CLIENTS`. The error says what is wrong and, when it can,
    /// which client (never the secret).
    pub fn parse(json: &str) -> Result<Clients, String> {
        let raw: Vec<RawClient> = serde_json::from_str(json).map_err(|e| {
            format!(
                "not a JSON list of {{\"id\", \"name\", \"redirect_uris\": [..], \"secret\"?}}: {e}"
            )
        })?;
        let mut seen = HashSet::new();
        let mut clients = Vec::with_capacity(raw.len());
        for (n, c) in raw.into_iter().enumerate() {
            let label = if c.id.is_empty() {
                format!("client {}", n + 1)
            } else {
                format!("client `{}`", c.id.escape_debug())
            };
            let bad = |why: &str| format!("{label}: {why}");
            if !is_client_id(&c.id) {
                return Err(bad(&format!(
                    "the id must be 1 to {MAX_CLIENT_ID_LEN} printable ASCII characters without spaces"
                )));
            }
            if !seen.insert(c.id.clone()) {
                return Err(bad("the id appears twice"));
            }
            let name_len = c.name.chars().count();
            if !(1..=MAX_CLIENT_NAME_LEN).contains(&name_len)
                || c.name.trim().is_empty()
                || c.name.chars().any(char::is_control)
            {
                return Err(bad(&format!(
                    "the name must be 1 to {MAX_CLIENT_NAME_LEN} characters, not blank, no control characters"
                )));
            }
            if c.redirect_uris.is_empty() {
                return Err(bad("at least one redirect URI is needed"));
            }
            for uri in &c.redirect_uris {
                check_redirect_uri(uri)
                    .map_err(|why| bad(&format!("redirect URI `{uri}`: {why}")))?;
            }
            let secret_sha256 = match &c.secret {
                None => None,
                Some(secret) if secret.chars().count() < MIN_SECRET_LEN => {
                    return Err(bad(&format!(
                        "the secret must be at least {MIN_SECRET_LEN} characters (openssl rand -base64 32)"
                    )));
                }
                Some(secret) => Some(Sha256::digest(secret.as_bytes()).into()),
            };
            clients.push(Client {
                id: c.id,
                name: c.name,
                redirect_uris: c.redirect_uris,
                secret_sha256,
            });
        }
        Ok(Clients(Arc::new(clients)))
    }

    pub fn get(&self, id: &str) -> Option<&Client> {
        self.0.iter().find(|c| c.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Client> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// For the start log: `id (name)` of each.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "no apps registered".into();
        }
        self.0
            .iter()
            .map(|c| {
                let kind = if c.is_confidential() {
                    "confidential"
                } else {
                    "public"
                };
                format!("{} ({kind})", c.id)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether `host` is a loopback host, where plain `http` is allowed.
pub fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// An absolute `https` URI (plain `http` on a loopback host), without
/// fragment or user information.
fn check_redirect_uri(uri: &str) -> Result<(), &'static str> {
    let url = url::Url::parse(uri).map_err(|_| "not an absolute URI")?;
    let loopback = url.host().as_ref().is_some_and(is_loopback_host);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err("http is only allowed on a loopback host (127.0.0.1, [::1], localhost)");
        }
        _ => return Err("the scheme must be https"),
    }
    if url.host().is_none() {
        return Err("a host is needed");
    }
    if url.fragment().is_some() || uri.contains('#') {
        return Err("a fragment is not allowed");
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("user information is not allowed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_valid_list_parses() {
        let json = format!(
            r#"[{{"id":"web","name":"Web app","redirect_uris":["https://app.example/cb","http://127.0.0.1:8080/cb"],"secret":"{SECRET}"}},
               {{"id":"spa","name":"Single page","redirect_uris":["http://localhost/cb","http://[::1]:9/cb?x=1"]}}]"#
        );
        let clients = Clients::parse(&json).unwrap();
        let web = clients.get("web").unwrap();
        assert!(web.is_confidential());
        assert!(web.secret_matches(SECRET));
        assert!(!web.secret_matches("0123456789abcdef0123456789abcdeF"));
        assert!(web.has_redirect_uri("https://app.example/cb"));
        assert!(!web.has_redirect_uri("https://app.example/cb/"));
        let spa = clients.get("spa").unwrap();
        assert!(!spa.is_confidential());
        assert!(!spa.secret_matches(""));
        assert!(clients.get("nope").is_none());
        assert!(!format!("{clients:?}").contains(SECRET));
        assert_eq!(clients.describe(), "web (confidential), spa (public)");
        assert_eq!(
            Clients::parse("[]").unwrap().describe(),
            "no apps registered"
        );
    }

    #[test]
    fn each_rule_is_enforced_and_named() {
        let one = |id: &str, name: &str, uris: &str, secret: Option<&str>| {
            let secret = secret
                .map(|s| format!(r#","secret":"{s}""#))
                .unwrap_or_default();
            format!(r#"[{{"id":"{id}","name":"{name}","redirect_uris":{uris}{secret}}}]"#)
        };
        let ok_uris = r#"["https://a.example/cb"]"#;
        let long_id = "x".repeat(65);
        let long_name = "n".repeat(65);
        let cases: Vec<(String, &str)> = vec![
            ("{}".into(), "JSON list"),
            (
                r#"[{"id":"a","name":"A","redirect_uris":[],"extra":1}]"#.into(),
                "JSON list",
            ),
            (one("", "A", ok_uris, None), "client 1: the id"),
            (one("a b", "A", ok_uris, None), "the id must be"),
            (one(&long_id, "A", ok_uris, None), "the id must be"),
            (one("a", "", ok_uris, None), "client `a`: the name"),
            (one("a", "   ", ok_uris, None), "the name"),
            (one("a", &long_name, ok_uris, None), "the name"),
            (one("a", "A", "[]", None), "at least one redirect URI"),
            (one("a", "A", r#"["/cb"]"#, None), "not an absolute URI"),
            (
                one("a", "A", r#"["http://app.example/cb"]"#, None),
                "loopback",
            ),
            (one("a", "A", r#"["ftp://app.example/cb"]"#, None), "https"),
            (
                one("a", "A", r#"["https://app.example/cb#x"]"#, None),
                "fragment",
            ),
            (
                one("a", "A", r#"["https://u:p@app.example/cb"]"#, None),
                "user information",
            ),
            (
                one("a", "A", r#"["https://u@app.example/cb"]"#, None),
                "user information",
            ),
            (one("a", "A", ok_uris, Some("short")), "at least 32"),
        ];
        for (json, expected) in cases {
            let err = Clients::parse(&json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
        let twice = format!(
            "[{},{}]",
            one("a", "A", ok_uris, None).trim_matches(['[', ']']),
            one("a", "B", ok_uris, None).trim_matches(['[', ']'])
        );
        assert!(
            Clients::parse(&twice)
                .unwrap_err()
                .contains("appears twice")
        );
    }
}
