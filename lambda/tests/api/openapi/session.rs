//! The session's endpoints, each answer checked against the document: who
//! is signed in, signing out, continuing a sign-in, confirming an app's
//! logout, and every refusal they can be driven to.

use super::{Checker, document};
use crate::api::sign_in::{clients, start};
use crate::support::{random_email, spawn_app_with};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn openapi_session_responses_match_the_document() {
    let app = spawn_app_with(&[("OTP_CLIENTS", &clients())]).await;
    let own = app.url("");
    let own = own.trim_end_matches('/');
    let mut check = Checker::new(document());

    // A session: the cookies of an approving verify.
    let email = random_email();
    let (sent, code) = app.start_flow(&email).await;
    let verified = app
        .client
        .post(app.url("/api/otp/verify"))
        .json(&json!({ "flow_id": sent.flow_id, "code": code }))
        .send()
        .await
        .unwrap();
    let cookie = verified
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ");
    let with = Some(cookie.as_str());

    let here = check
        .post_from(&app, "/api/session", json!({}), own, with)
        .await;
    assert!(here["session"]["email"].is_string(), "{here}");
    let nobody = check
        .post_from(&app, "/api/session", json!({}), own, None)
        .await;
    assert!(nobody["session"].is_null());
    check
        .post_from(
            &app,
            "/api/session",
            json!({}),
            "https://evil.example",
            with,
        )
        .await;

    // Continue: with the session, again (done), without it.
    let sign_in = start(&app, "openid").await;
    let body = json!({ "sign_in": sign_in });
    check
        .post_from(&app, "/api/sign-in/continue", body.clone(), own, with)
        .await;
    check
        .post_from(&app, "/api/sign-in/continue", body, own, with)
        .await;
    let fresh = json!({ "sign_in": start(&app, "openid").await });
    check
        .post_from(&app, "/api/sign-in/continue", fresh, own, None)
        .await;

    // An app's logout without a hint waits for the confirmation.
    let location = app
        .client
        .get(app.url("/logout?client_id=web"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let logout = location
        .url()
        .query_pairs()
        .find(|(k, _)| k == "logout")
        .map(|(_, v)| v.into_owned())
        .expect("the page's confirmation, reached through the redirect");
    let body = json!({ "logout": logout });
    check
        .post_from(&app, "/api/logout", body.clone(), own, with)
        .await;
    check
        .post_from(&app, "/api/logout/confirm", body.clone(), own, with)
        .await;
    check
        .post_from(&app, "/api/logout", body.clone(), own, with)
        .await;
    check
        .post_from(&app, "/api/logout/confirm", body, own, with)
        .await;

    check
        .post_from(
            &app,
            "/api/session/end",
            json!({ "everywhere": true }),
            own,
            with,
        )
        .await;
    let paths = [
        "/api/session",
        "/api/session/end",
        "/api/sign-in/continue",
        "/api/logout",
        "/api/logout/confirm",
    ];
    for path in paths {
        check.post(&app, path, json!({ "x": 1 })).await;
        check
            .post(&app, path, json!({ "x": "a".repeat(5000) }))
            .await;
        check.post_raw(&app, path, "text/plain", "{}".into()).await;
        check.call(&app, Method::GET, path).await;
    }

    let reached: Vec<String> = check
        .seen
        .iter()
        .map(|(m, p, s)| format!("{m} {p} {s}"))
        .collect();
    let mut expected: Vec<String> = [
        "POST /api/session 200",
        "POST /api/session 403",
        "POST /api/session/end 200",
        "POST /api/sign-in/continue 200",
        "POST /api/sign-in/continue 401",
        "POST /api/sign-in/continue 410",
        "POST /api/logout 200",
        "POST /api/logout 410",
        "POST /api/logout/confirm 200",
        "POST /api/logout/confirm 410",
    ]
    .map(String::from)
    .into();
    for path in paths {
        for status in [400, 405, 413, 415] {
            expected.push(format!(
                "{} {path} {status}",
                if status == 405 { "GET" } else { "POST" }
            ));
        }
    }
    for expected in expected {
        assert!(
            reached.contains(&expected),
            "scenario missed {expected}: {reached:?}"
        );
    }
}
