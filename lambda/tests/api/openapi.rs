//! `docs/openapi.json` describes what the service really answers: every
//! response of a scenario that reaches each documented status is checked
//! against the document's schema for that path, method and status.

use crate::helpers::{TestApp, random_email, spawn_app_with, wrong};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SPEC: &str = include_str!("../../../docs/openapi.json");

struct Checker {
    spec: Value,
    seen: BTreeSet<(String, String, u16)>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            spec: serde_json::from_str(SPEC).expect("docs/openapi.json is JSON"),
            seen: BTreeSet::new(),
        }
    }

    /// Resolves a local `$ref` one level.
    fn resolve<'a>(&'a self, node: &'a Value) -> &'a Value {
        match node.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self
                .spec
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
            None => node,
        }
    }

    async fn post(&mut self, app: &TestApp, path: &str, body: Value) -> Value {
        self.call(app, Method::POST, path, Some(body)).await
    }

    async fn call(
        &mut self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = app.client.request(method.clone(), app.url(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.expect("a JSON body");

        let operation = &self.spec["paths"][path][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let documented = operation["responses"]
            .get(status.to_string())
            .unwrap_or_else(|| {
                panic!("{method} {path} answered {status}, which is not documented: {body}")
            });
        let documented = self.resolve(documented);
        if documented["headers"]["Retry-After"]["required"] == true {
            assert!(retry_after, "{method} {path} {status} lacks Retry-After");
        }
        let schema_ref = &documented["content"]["application/json"]["schema"];
        // Validate against the whole document so `$ref`s resolve.
        let mut root = self.spec.clone();
        root["$ref"] = schema_ref["$ref"].clone();
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
async fn real_responses_match_the_openapi_document() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_EMAIL_PER_DAY", "2")]).await;
    let mut check = Checker::new();

    check.call(&app, Method::GET, "/api/health", None).await;
    let email = random_email();
    let sent = check
        .post(&app, "/api/otp/send", json!({ "email": email }))
        .await;
    let flow_id = sent["flow_id"].as_str().unwrap().to_owned();
    let code = app.inbox.wait_for_code(&email, 1).await;
    check
        .post(&app, "/api/otp/send", json!({ "email": "nope" }))
        .await;
    check
        .post(&app, "/api/otp/send", json!({ "email": email, "x": 1 }))
        .await;
    check
        .post(&app, "/api/otp/send", json!({ "email": "a".repeat(5000) }))
        .await;
    check
        .post(&app, "/api/otp/resend", json!({ "flow_id": flow_id }))
        .await;
    check
        .post(
            &app,
            "/api/otp/resend",
            json!({ "flow_id": "AAAAAAAAAAAAAAAAAAAAAA" }),
        )
        .await;
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": "12" }),
        )
        .await;
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": "AAAAAAAAAAAAAAAAAAAAAA", "code": "123456" }),
        )
        .await;
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
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": code }),
        )
        .await;
    check
        .post(
            &app,
            "/api/otp/verify",
            json!({ "flow_id": flow_id, "code": code }),
        )
        .await;
    check
        .post(&app, "/api/otp/send", json!({ "email": email }))
        .await;

    let reached: Vec<String> = check
        .seen
        .iter()
        .map(|(m, p, s)| format!("{m} {p} {s}"))
        .collect();
    for expected in [
        "GET /api/health 200",
        "POST /api/otp/send 202",
        "POST /api/otp/send 400",
        "POST /api/otp/send 413",
        "POST /api/otp/send 429",
        "POST /api/otp/resend 202",
        "POST /api/otp/resend 404",
        "POST /api/otp/resend 429",
        "POST /api/otp/verify 200",
        "POST /api/otp/verify 400",
        "POST /api/otp/verify 404",
        "POST /api/otp/verify 410",
        "POST /api/otp/verify 422",
    ] {
        assert!(
            reached.iter().any(|r| r == expected),
            "scenario missed {expected}: {reached:?}"
        );
    }
}
