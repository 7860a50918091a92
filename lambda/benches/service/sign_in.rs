//! Sign-in latency: what an app's sign-in costs the person in server time,
//! sequential sign-ins against the built binary on DynamoDB Local with the
//! mail going to maildev. Each sign-in is the five requests of the story,
//! each timed: `GET /authorize` (to the page's 303), `POST /api/sign-in`,
//! `POST /api/otp/send` (the message handed to SMTP), `POST /api/otp/verify`
//! (the approval, the session and the grant) and `POST /token` (the
//! redemption and the signed ID token). Waiting for maildev to show the
//! message is not timed: that is the person reading their mail.
//!
//! After each, a silent sign-in with the session the code left in the
//! browser, as an app re-checks it: `GET /authorize` with `prompt=none` and
//! the session cookie (to the app's redirect with a code), then `POST
//! /token`; no mail. Then as many sign-ins by passkey, each in a new
//! browser ([`passkey`]); no mail either. The issuer is on `localhost`, a
//! WebAuthn relying party.

use crate::load::code_from_maildev;
use crate::passkey;
use crate::server::{Server, free_addr};
use crate::{Options, ms, percentile, result};
use anyhow::{Context, bail, ensure};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use otp_api::{SendRequest, SignInRequest, VerifyRequest, VerifyResponse};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};

/// Rounds before measuring: connection pools, the JVM's JIT, caches, and
/// the signing key a local run generates after start.
const WARM_UP: usize = 20;

const CLIENT_ID: &str = "bench";
const CLIENT_SECRET: &str = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";
/// Nobody listens there: the redirect is read, never followed.
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";

/// The steps, in order, as reported.
const STEPS: [&str; 5] = ["authorize", "sign_in", "send", "verify", "token"];
/// The steps of a silent sign-in.
const SILENT_STEPS: [&str; 2] = ["authorize", "token"];

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    let maildev = options
        .maildev_api
        .clone()
        .context("sign-in needs --maildev-api")?;
    let addr = free_addr()?;
    let issuer = format!("http://localhost:{}", addr.port());
    let clients = json!([{
        "id": CLIENT_ID,
        "name": "Bench",
        "redirect_uris": [REDIRECT_URI],
        "secret": CLIENT_SECRET,
    }])
    .to_string();
    let (server, _) = Server::start_at(
        &options.bin,
        addr,
        false,
        &[
            ("OTP_ISSUER", issuer.as_str()),
            ("OTP_CLIENTS", clients.as_str()),
        ],
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(options, &server, &maildev, &issuer))
}

async fn measure(
    options: &Options,
    server: &Server,
    maildev: &str,
    issuer: &str,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let run_id = format!("{}-{}", std::process::id(), rand::rng().random::<u32>());
    let mut full = Timings::new(options.flows, STEPS.len());
    let mut silent = Timings::new(options.flows, SILENT_STEPS.len());
    for round in 0..WARM_UP + options.flows {
        let email = format!("signin-{run_id}-{round}@example.com");
        let (times, cookie) = sign_in(&http, server, maildev, &email)
            .await
            .with_context(|| format!("sign-in {round}"))?;
        let quiet = silently(&http, server, &cookie)
            .await
            .with_context(|| format!("silent sign-in {round}"))?;
        if round >= WARM_UP {
            full.push(&times);
            silent.push(&quiet);
        }
    }
    full.report("sign_in", &STEPS);
    silent.report("sign_in_silent", &SILENT_STEPS);

    let email = format!("passkey-{run_id}@example.com");
    let mut key = passkey::register(&http, server, maildev, &email, issuer).await?;
    let mut keyed = Timings::new(options.flows, passkey::STEPS.len());
    for round in 0..WARM_UP + options.flows {
        let (query, verifier, state) = request(None);
        let ([authorize, asked, asserted], redirect_to) =
            passkey::sign_in(&http, server, &mut key, &query)
                .await
                .with_context(|| format!("passkey sign-in {round}"))?;
        let code = code_of(&redirect_to, &state)?;
        let token = redeem(&http, server, &code, &verifier).await?;
        if round >= WARM_UP {
            keyed.push(&[authorize, asked, asserted, token]);
        }
    }
    keyed.report("sign_in_passkey", &passkey::STEPS);
    Ok(())
}

/// The time of each step of each sign-in, and of the whole.
struct Timings {
    totals: Vec<Duration>,
    steps: Vec<Vec<Duration>>,
}

impl Timings {
    fn new(flows: usize, steps: usize) -> Timings {
        Timings {
            totals: Vec::with_capacity(flows),
            steps: vec![Vec::with_capacity(flows); steps],
        }
    }

    fn push(&mut self, times: &[Duration]) {
        self.totals.push(times.iter().sum());
        for (list, time) in self.steps.iter_mut().zip(times) {
            list.push(*time);
        }
    }

    fn report(mut self, prefix: &str, names: &[&str]) {
        self.totals.sort();
        for list in &mut self.steps {
            list.sort();
        }
        result(&format!("{prefix}_flows"), self.totals.len());
        result(
            &format!("{prefix}_p50_ms"),
            ms(percentile(&self.totals, 0.5)),
        );
        result(
            &format!("{prefix}_p90_ms"),
            ms(percentile(&self.totals, 0.9)),
        );
        for (name, list) in names.iter().zip(&self.steps) {
            result(
                &format!("{prefix}_{name}_p50_ms"),
                ms(percentile(list, 0.5)),
            );
        }
    }
}

/// The `Authorization` of the bench client.
fn basic() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    )
}

/// An authorization request's query and its PKCE verifier and state.
fn request(prompt: Option<&str>) -> (String, String, String) {
    let verifier = random(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random(16);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs([
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid email"),
        ("state", &state),
        ("nonce", &random(16)),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ]);
    if let Some(prompt) = prompt {
        query.append_pair("prompt", prompt);
    }
    (query.finish(), verifier, state)
}

/// The code of a redirect back to the app, its `state` checked.
fn code_of(redirect_to: &str, state: &str) -> anyhow::Result<String> {
    let callback = url::Url::parse(redirect_to)?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    ensure!(param("state").as_deref() == Some(state), "state");
    param("code").context("no code in the redirect")
}

/// `POST /token` for `code`: its time; the answer must carry an ID token.
async fn redeem(
    http: &reqwest::Client,
    server: &Server,
    code: &str,
    verifier: &str,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = http
        .post(server.url("/token"))
        .header("authorization", basic())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier),
        ])
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let token = started.elapsed();
    ensure!(
        status == 200,
        "token answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let body: Value = serde_json::from_slice(&body)?;
    ensure!(body["id_token"].is_string(), "no ID token");
    Ok(token)
}

/// A silent sign-in with the session `cookie`: the time of each step of
/// [`SILENT_STEPS`].
async fn silently(
    http: &reqwest::Client,
    server: &Server,
    cookie: &str,
) -> anyhow::Result<[Duration; 2]> {
    let (query, verifier, state) = request(Some("none"));
    let (authorize, location) = authorize(http, server, &query, Some(cookie)).await?;
    let code = code_of(&location, &state)?;
    let token = redeem(http, server, &code, &verifier).await?;
    Ok([authorize, token])
}

/// One sign-in; the time of each step of [`STEPS`], and the session
/// cookie the approval set.
async fn sign_in(
    http: &reqwest::Client,
    server: &Server,
    maildev: &str,
    email: &str,
) -> anyhow::Result<([Duration; 5], String)> {
    let (query, verifier, state) = request(None);

    let (authorize, sign_in) = to_the_page(http, server, &query).await?;

    let started = Instant::now();
    let response = http
        .post(server.url("/api/sign-in"))
        .json(&SignInRequest {
            sign_in: sign_in.clone(),
        })
        .send()
        .await?;
    let status = response.status();
    response.bytes().await?;
    let info = started.elapsed();
    ensure!(status == 200, "sign-in answered {status}");

    let send = SendRequest {
        email: email.to_owned(),
        request_id: Some(random(12)),
        proof: None,
        sign_in: Some(sign_in),
        locale: None,
    };
    let started = Instant::now();
    let response = http
        .post(server.url("/api/otp/send"))
        .json(&send)
        .send()
        .await?;
    let status = response.status();
    let body = response.bytes().await?;
    let sent = started.elapsed();
    if status != 202 {
        bail!("send answered {status}: {}", String::from_utf8_lossy(&body));
    }
    let flow_id = serde_json::from_slice::<otp_api::SendResponse>(&body)?.flow_id;

    let code = code_from_maildev(http, maildev, email).await?;
    let started = Instant::now();
    let response = http
        .post(server.url("/api/otp/verify"))
        .json(&VerifyRequest { flow_id, code })
        .send()
        .await?;
    let status = response.status();
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|c| c.starts_with("__Host-otp-session="))
        .context("no session cookie")?
        .to_owned();
    let body = response.bytes().await?;
    let verify = started.elapsed();
    ensure!(
        status == 200,
        "verify answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let redirect_to = serde_json::from_slice::<VerifyResponse>(&body)?
        .redirect_to
        .context("no redirect_to")?;
    let code = code_of(&redirect_to, &state)?;
    let token = redeem(http, server, &code, &verifier).await?;
    Ok(([authorize, info, sent, verify, token], cookie))
}

/// `/authorize` answering with the page (303 to `/?sign_in=…`): how long it
/// took and the sign-in's id.
pub(crate) async fn to_the_page(
    http: &reqwest::Client,
    server: &Server,
    query: &str,
) -> anyhow::Result<(Duration, String)> {
    let (authorize, location) = authorize(http, server, query, None).await?;
    let sign_in = location
        .strip_prefix("/?sign_in=")
        .with_context(|| format!("not the page: {location}"))?
        .to_owned();
    Ok((authorize, sign_in))
}

/// `/authorize` with `query` (and the session `cookie`, if any), answering
/// 303: how long it took and where it sends the browser.
async fn authorize(
    http: &reqwest::Client,
    server: &Server,
    query: &str,
    cookie: Option<&str>,
) -> anyhow::Result<(Duration, String)> {
    let mut get = http.get(server.url(&format!("/authorize?{query}")));
    if let Some(cookie) = cookie {
        get = get.header("cookie", cookie);
    }
    let started = Instant::now();
    let response = get.send().await?;
    let authorize = started.elapsed();
    ensure!(
        response.status() == 303,
        "authorize answered {}",
        response.status()
    );
    let location = response
        .headers()
        .get("location")
        .context("no Location")?
        .to_str()?
        .to_owned();
    Ok((authorize, location))
}

fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}
