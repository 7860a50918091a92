//! The code mail of a sign-in names the app that asked ("your code for
//! Shop Example"), in its first message and its resends, so a person sent a
//! code they did not ask for can tell where it would go; a plain code mail
//! names none.

use super::support::{AuthParams, SHOP, random_email, spawn_oidc};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_sign_ins_code_mail_names_the_app() {
    let app = spawn_oidc().await;
    let email = random_email();
    let sign_in = app.begin(&AuthParams::new(SHOP)).await;
    let response = app.send(&sign_in, &email).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let flow: serde_json::Value = response.json().await.unwrap();
    app.read_code(&email).await;
    let subjects = app.app.inbox.subjects(&email).await;
    assert!(
        subjects[0].ends_with(&format!("is your OTP code for {}", SHOP.name)),
        "{subjects:?}"
    );
    app.app.clock.advance(60);
    let resent = app
        .post_json("/api/otp/resend", json!({ "flow_id": flow["flow_id"] }))
        .await;
    assert_eq!(resent.status(), StatusCode::ACCEPTED);
    app.read_code(&email).await;
    let subjects = app.app.inbox.subjects(&email).await;
    assert!(subjects[1].ends_with(SHOP.name), "{subjects:?}");
    if let Some(messages) = app.app.inbox.maildev_messages(&email).await {
        let text = messages[1]["text"].as_str().unwrap();
        assert!(
            text.contains(&format!("Your OTP code to sign in to {} is:", SHOP.name)),
            "{text}"
        );
    }

    let plain = random_email();
    app.post_json("/api/otp/send", json!({ "email": plain }))
        .await;
    app.read_code(&plain).await;
    let subjects = app.app.inbox.subjects(&plain).await;
    assert!(
        subjects[0].ends_with("is your OTP verification code"),
        "{subjects:?}"
    );
}
