//! The OpenAPI document describes what the service really answers. It is
//! generated from the wire types (`otp::http::openapi`) and served at
//! `/api/openapi.json`; `docs/openapi.json` is a copy of it.
//!
//! - here: every response of a scenario that reaches each status the service
//!   can be driven to without faults is checked against the document's
//!   schema for its path, method and status
//! - [`patterns`]: each constrained field's schema against the parser the
//!   service uses for it

mod patterns;

use crate::support::{TestApp, random_email, spawn_app_with, wrong};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

/// The generated document, parsed.
pub fn document() -> Value {
    serde_json::from_str(otp::http::openapi::json()).expect("the document is JSON")
}

#[test]
fn openapi_checked_in_copy_is_the_generated_document() {
    let generated = format!("{}\n", otp::http::openapi::json());
    if std::env::var_os("OTP_WRITE_OPENAPI").is_some() {
        std::fs::write(CHECKED_IN, &generated).expect("docs/openapi.json is writable");
    }
    let checked_in = std::fs::read_to_string(CHECKED_IN).expect("docs/openapi.json exists");
    assert!(
        checked_in == generated,
        "docs/openapi.json is not the generated document; rewrite it with\n  \
         OTP_WRITE_OPENAPI=1 cargo test -p otp-lambda --test integration openapi_checked_in"
    );
}

struct Checker {
    spec: Value,
    seen: BTreeSet<(String, String, u16)>,
}

impl Checker {
    fn new(spec: Value) -> Checker {
        Checker {
            spec,
            seen: BTreeSet::new(),
        }
    }

    async fn post(&mut self, app: &TestApp, path: &str, body: Value) -> Value {
        let request = app.client.post(app.url(path)).json(&body);
        self.check(Method::POST, path, request).await
    }

    async fn call(&mut self, app: &TestApp, method: Method, path: &str) -> Value {
        let request = app.client.request(method.clone(), app.url(path));
        self.check(method, path, request).await
    }

    /// A body that is not the JSON the step takes: `content_type` and `body` as given.
    async fn post_raw(&mut self, app: &TestApp, path: &str, content_type: &str, body: String) {
        let request = app
            .client
            .post(app.url(path))
            .header("content-type", content_type)
            .body(body);
        self.check(Method::POST, path, request).await;
    }

    /// Sends `request` and checks the answer against the document: its
    /// status is listed for the operation, its body matches that status's
    /// schema (error bodies: the codes listed for it), and a required
    /// `Retry-After` is there.
    async fn check(&mut self, method: Method, path: &str, request: RequestBuilder) -> Value {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.expect("a JSON body");

        let item = self.spec["paths"][path]
            .as_object()
            .unwrap_or_else(|| panic!("{path} is not documented"));
        // A method the path does not take answers 405, which its operation lists.
        let operation = item
            .get(&method.as_str().to_lowercase())
            .or_else(|| item.values().next())
            .unwrap();
        let documented = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| {
                panic!("{method} {path} answered {status}, which is not documented: {body}")
            })
            .clone();
        let header = &documented["headers"]["Retry-After"];
        if header["required"] == true {
            assert!(retry_after, "{method} {path} {status} lacks Retry-After");
        }
        if retry_after {
            assert!(
                header.is_object(),
                "{method} {path} {status}: undocumented Retry-After"
            );
        }
        let schema = &documented["content"]["application/json"]["schema"];
        // Validate against the whole document so `$ref`s resolve.
        let mut root = self.spec.clone();
        root["allOf"] = json!([schema]);
        let validator = jsonschema::draft202012::new(&root).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: {body} does not match: {errors:?}"
        );
        self.seen
            .insert((method.to_string(), path.to_owned(), status));
        body
    }
}

#[tokio::test]
async fn openapi_real_responses_match_the_document() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_EMAIL_PER_DAY", "2")]).await;
    let served: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, document(), "the app serves the generated document");
    let mut check = Checker::new(served);
    let big = "a".repeat(5000);

    check.call(&app, Method::GET, "/api/health").await;
    check.call(&app, Method::POST, "/api/health").await;
    check.call(&app, Method::GET, "/api/openapi.json").await;
    check.call(&app, Method::DELETE, "/api/openapi.json").await;
    let email = random_email();
    let sent = check
        .post(&app, "/api/otp/send", json!({ "email": email }))
        .await;
    let flow_id = sent["flow_id"].as_str().unwrap().to_owned();
    let code = app.inbox.wait_for_code(&email, 1).await;
    check.call(&app, Method::GET, "/api/otp/send").await;
    for bad in [
        json!({ "email": "nope" }),
        json!({ "email": email, "x": 1 }),
    ] {
        check.post(&app, "/api/otp/send", bad).await;
    }
    for path in ["/api/otp/send", "/api/otp/resend", "/api/otp/verify"] {
        check.post(&app, path, json!({ "email": big })).await;
        check
            .post_raw(
                &app,
                path,
                "text/plain",
                format!("{{\"flow_id\":\"{flow_id}\"}}"),
            )
            .await;
        check
            .post_raw(&app, path, "application/json", "{".into())
            .await;
    }
    let unknown = json!({ "flow_id": "AAAAAAAAAAAAAAAAAAAAAA", "code": "123456" });
    check
        .post(&app, "/api/otp/resend", json!({ "flow_id": flow_id }))
        .await;
    check
        .post(
            &app,
            "/api/otp/resend",
            json!({ "flow_id": unknown["flow_id"] }),
        )
        .await;
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": "12" }),
        )
        .await;
    check.post(&app, "/api/otp/verify", unknown).await;
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": wrong(&code) }),
        )
        .await;
    app.clock.advance(60);
    check
        .post(&app, "/api/otp/resend", json!({ "flow_id": flow_id }))
        .await;
    let code = app.inbox.wait_for_code(&email, 2).await;
    let right = json!({ "flow_id": flow_id, "code": code });
    check.post(&app, "/api/otp/verify", right.clone()).await;
    // The same code again is a retry (200); another one is told the flow is used.
    check.post(&app, "/api/otp/verify", right).await;
    let n: u32 = code.parse().unwrap();
    let other = format!("{:06}", (n + 1) % 1_000_000);
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": other }),
        )
        .await;
    check
        .post(&app, "/api/otp/resend", json!({ "flow_id": flow_id }))
        .await;
    check
        .post(&app, "/api/otp/send", json!({ "email": email }))
        .await;

    // A second flow: its tries spent, then expired.
    let other = random_email();
    let sent = check
        .post(&app, "/api/otp/send", json!({ "email": other }))
        .await;
    let code = app.inbox.wait_for_code(&other, 1).await;
    let wrong_try = json!({ "flow_id": sent["flow_id"], "code": wrong(&code) });
    for _ in 0..6 {
        check.post(&app, "/api/otp/verify", wrong_try.clone()).await;
    }
    app.clock.advance(3600);
    check
        .post(
            &app,
            "/api/otp/resend",
            json!({ "flow_id": sent["flow_id"] }),
        )
        .await;

    let reached: Vec<String> = check
        .seen
        .iter()
        .map(|(m, p, s)| format!("{m} {p} {s}"))
        .collect();
    let mut expected: Vec<String> = [
        "GET /api/health 200",
        "POST /api/health 405",
        "GET /api/openapi.json 200",
        "DELETE /api/openapi.json 405",
        "POST /api/otp/send 202",
        "GET /api/otp/send 405",
        "POST /api/otp/send 429",
        "POST /api/otp/resend 202",
        "POST /api/otp/resend 404",
        "POST /api/otp/resend 410",
        "POST /api/otp/resend 429",
        "POST /api/otp/verify 200",
        "POST /api/otp/verify 404",
        "POST /api/otp/verify 410",
        "POST /api/otp/verify 422",
        "POST /api/otp/verify 429",
    ]
    .map(String::from)
    .into();
    for path in ["send", "resend", "verify"] {
        for status in [400, 413, 415] {
            expected.push(format!("POST /api/otp/{path} {status}"));
        }
    }
    for expected in expected {
        assert!(
            reached.contains(&expected),
            "scenario missed {expected}: {reached:?}"
        );
    }
}

/// The sign-in endpoints: the page's two, the OAuth ones, each answer
/// checked against the document.
#[tokio::test]
async fn openapi_sign_in_responses_match_the_document() {
    use crate::api::sign_in::{REDIRECT, SECRET, VERIFIER, clients, complete, start};
    let app = spawn_app_with(&[("OTP_CLIENTS", &clients())]).await;
    let mut check = Checker::new(document());

    check
        .call(&app, Method::GET, "/.well-known/openid-configuration")
        .await;
    check
        .call(&app, Method::GET, "/.well-known/jwks.json")
        .await;
    check
        .call(&app, Method::DELETE, "/.well-known/jwks.json")
        .await;

    let sign_in = start(&app, "openid email").await;
    check
        .post(&app, "/api/sign-in", json!({ "sign_in": sign_in }))
        .await;
    check
        .post(&app, "/api/sign-in", json!({ "sign_in": 7 }))
        .await;
    check
        .post_raw(&app, "/api/sign-in", "text/plain", "{}".into())
        .await;
    let redirect_to = complete(&app, &sign_in, &random_email()).await;
    let code = url::Url::parse(&redirect_to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    check
        .post(&app, "/api/sign-in", json!({ "sign_in": sign_in }))
        .await;
    let cancelled = start(&app, "openid").await;
    check
        .post(&app, "/api/sign-in/cancel", json!({ "sign_in": cancelled }))
        .await;
    check
        .post(&app, "/api/sign-in/cancel", json!({ "sign_in": cancelled }))
        .await;

    let token = |form: Vec<(&'static str, String)>, basic: Option<(&str, &str)>| {
        let mut request = app.client.post(app.url("/token")).form(&form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request
    };
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code.clone()),
        ("redirect_uri", REDIRECT.to_owned()),
        ("code_verifier", VERIFIER.to_owned()),
    ];
    let tokens = check
        .check(
            Method::POST,
            "/token",
            token(form.clone(), Some(("web", SECRET))),
        )
        .await;
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    check
        .check(
            Method::POST,
            "/userinfo",
            app.client
                .post(app.url("/userinfo"))
                .form(&[("access_token", &access_token)]),
        )
        .await;
    check
        .check(
            Method::GET,
            "/userinfo",
            app.client
                .get(app.url("/userinfo"))
                .bearer_auth(&access_token),
        )
        .await;
    check
        .check(
            Method::POST,
            "/userinfo",
            app.client
                .post(app.url("/userinfo"))
                .bearer_auth(&access_token)
                .form(&[("access_token", &access_token)]),
        )
        .await;
    // Replayed: refused, and the token revoked.
    check
        .check(
            Method::POST,
            "/token",
            token(form.clone(), Some(("web", SECRET))),
        )
        .await;
    check
        .check(
            Method::GET,
            "/userinfo",
            app.client
                .get(app.url("/userinfo"))
                .bearer_auth(&access_token),
        )
        .await;
    check
        .check(
            Method::GET,
            "/userinfo",
            app.client.get(app.url("/userinfo")),
        )
        .await;
    check
        .check(
            Method::POST,
            "/token",
            token(form.clone(), Some(("web", "wrong"))),
        )
        .await;
    let mut other = form.clone();
    other[0].1 = "password".into();
    check
        .check(Method::POST, "/token", token(other, Some(("web", SECRET))))
        .await;
    check
        .check(
            Method::POST,
            "/token",
            app.client.post(app.url("/token")).json(&json!({})),
        )
        .await;
    check.call(&app, Method::GET, "/token").await;
    // Failed requests over the address's budget.
    for _ in 0..otp::oidc::PER_ADDRESS_PER_HOUR {
        check
            .check(
                Method::POST,
                "/token",
                token(form.clone(), Some(("web", "wrong"))),
            )
            .await;
    }

    let reached: Vec<String> = check
        .seen
        .iter()
        .map(|(m, p, s)| format!("{m} {p} {s}"))
        .collect();
    for expected in [
        "GET /.well-known/openid-configuration 200",
        "GET /.well-known/jwks.json 200",
        "DELETE /.well-known/jwks.json 405",
        "POST /api/sign-in 200",
        "POST /api/sign-in 400",
        "POST /api/sign-in 410",
        "POST /api/sign-in 415",
        "POST /api/sign-in/cancel 200",
        "POST /api/sign-in/cancel 410",
        "POST /token 200",
        "POST /token 400",
        "POST /token 401",
        "POST /token 429",
        "GET /token 405",
        "GET /userinfo 200",
        "GET /userinfo 401",
        "POST /userinfo 200",
        "POST /userinfo 400",
    ] {
        assert!(
            reached.contains(&expected.to_owned()),
            "scenario missed {expected}: {reached:?}"
        );
    }
}
