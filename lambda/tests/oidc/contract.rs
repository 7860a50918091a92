//! `/userinfo`'s 400, as the API document lists it: every way a request
//! can carry its token twice, and a body it cannot read, each answered
//! `invalid_request` with an `error_description` saying which.

use super::support::{header, random_token, spawn_oidc};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn userinfo_says_why_a_request_is_invalid() {
    let app = spawn_oidc().await;
    let token = format!("{}.{}", random_token(16), random_token(32));
    let form = |body: String| {
        app.http
            .post(app.url("/userinfo"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };
    let cases = [
        (
            "header and body",
            form(format!("access_token={token}")).bearer_auth(&token),
            "Send the access token once",
        ),
        (
            "two form fields",
            form(format!("access_token={token}&access_token={token}")),
            "Send one access_token form field",
        ),
        (
            "a body over 8 KiB",
            form(format!("access_token={token}&pad={}", "x".repeat(9 * 1024))),
            "The body is too large",
        ),
    ];
    for (name, request, reason) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        let challenge = header(&response, "www-authenticate").unwrap_or_default();
        assert!(
            challenge.contains("error=\"invalid_request\""),
            "{name}: {challenge:?}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{name}");
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.starts_with(reason), "{name}: {description:?}");
    }
}
