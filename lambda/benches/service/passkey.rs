//! Passkey sign-ins for the sign-in latency: a person proves an address
//! with a code on the page and adds a passkey (the tests' software
//! authenticator), then signs in to the app with it again and again, each
//! time in a new browser (no session): `GET /authorize`, `POST
//! /api/passkey/sign-in/options`, `POST /api/passkey/sign-in` (the
//! assertion checked, the session and the grant) and `POST /token`; no mail.

// The tests' authenticator, whose knobs for provoking refusals (another
// origin, no user verification) a bench of right answers leaves alone.
#[allow(dead_code)]
#[path = "../../tests/oidc/authenticator.rs"]
mod authenticator;

use crate::load::code_from_maildev;
use crate::server::Server;
use anyhow::{Context, ensure};
use authenticator::Authenticator;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The steps, in order, as reported.
pub(crate) const STEPS: [&str; 4] = ["authorize", "options", "assertion", "token"];

/// A `POST` of the page's JSON, with `cookie`; the answer's status and body.
async fn post(
    http: &reqwest::Client,
    server: &Server,
    path: &str,
    body: &Value,
    cookie: Option<&str>,
) -> anyhow::Result<(u16, Value, Option<String>)> {
    let mut request = http.post(server.url(path)).json(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|c| c.starts_with("__Host-otp-session="))
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    Ok((status, body, session))
}

/// `email` proves its address with a code on the page, then adds a passkey
/// for the service at `issuer`: the authenticator holding it.
pub(crate) async fn register(
    http: &reqwest::Client,
    server: &Server,
    maildev: &str,
    email: &str,
    issuer: &str,
) -> anyhow::Result<Authenticator> {
    let (status, sent, _) = post(
        http,
        server,
        "/api/otp/send",
        &json!({ "email": email }),
        None,
    )
    .await?;
    ensure!(status == 202, "send answered {status}: {sent}");
    let code = code_from_maildev(http, maildev, email).await?;
    let body = json!({ "flow_id": sent["flow_id"], "code": code });
    let (status, _, cookie) = post(http, server, "/api/otp/verify", &body, None).await?;
    ensure!(status == 200, "verify answered {status}");
    let cookie = cookie.context("no session cookie")?;
    let path = "/api/passkey/register/options";
    let (status, options, _) = post(http, server, path, &json!({}), Some(&cookie)).await?;
    ensure!(
        status == 200,
        "register options answered {status}: {options}"
    );
    let mut key = Authenticator::new(issuer);
    let credential = key.create(&options["public_key"]);
    let body = json!({ "ceremony": options["ceremony"], "credential": credential });
    let (status, added, _) =
        post(http, server, "/api/passkey/register", &body, Some(&cookie)).await?;
    ensure!(status == 200, "register answered {status}: {added}");
    Ok(key)
}

/// One sign-in by passkey for the authorization request `query`; the
/// times of the first three [`STEPS`] and the redirect back to the app.
pub(crate) async fn sign_in(
    http: &reqwest::Client,
    server: &Server,
    key: &mut Authenticator,
    query: &str,
) -> anyhow::Result<([Duration; 3], String)> {
    let (authorize, sign_in) = crate::sign_in::to_the_page(http, server, query).await?;

    let started = Instant::now();
    let body = json!({ "sign_in": sign_in });
    let (status, options, _) =
        post(http, server, "/api/passkey/sign-in/options", &body, None).await?;
    let asked = started.elapsed();
    ensure!(status == 200, "options answered {status}: {options}");

    let credential = key.get(&options["public_key"]);
    let started = Instant::now();
    let body = json!({ "ceremony": options["ceremony"], "credential": credential });
    let (status, approved, _) = post(http, server, "/api/passkey/sign-in", &body, None).await?;
    let asserted = started.elapsed();
    ensure!(status == 200, "the assertion answered {status}: {approved}");
    let redirect_to = approved["redirect_to"]
        .as_str()
        .context("no redirect_to")?
        .to_owned();
    Ok(([authorize, asked, asserted], redirect_to))
}
