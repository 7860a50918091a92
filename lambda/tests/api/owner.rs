//! The owner is never locked out by strangers: a browser that proved an
//! address (its device cookie's mark, or its live session) sends against
//! its own device's budget, not the address's budgets strangers can spend.
//! The review's sequence — four clients and a few proofs of work spend the
//! address's daily cap — still leaves the owner's browser a code; a device
//! seen for the first time still meets the cap. Other clients are other
//! loopback addresses (127.0.0.2, …).

use crate::support::{TestApp, expect_error, random_suffix, solve, spawn_app_with};
use otp_api::{ErrorCode, SendResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SESSION: &str = "__Host-otp-session";
const DEVICE: &str = "__Host-otp-device";

/// A send of `email` from `client`, with `cookie` if any.
async fn send(
    client: &reqwest::Client,
    app: &TestApp,
    email: &str,
    cookie: Option<&str>,
) -> reqwest::Response {
    send_body(client, app, json!({ "email": email }), cookie).await
}

async fn send_body(
    client: &reqwest::Client,
    app: &TestApp,
    body: Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = client.post(app.url("/api/otp/send")).json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.unwrap()
}

/// The owner proves the address once from its browser: its cookies by name.
async fn owner_proves(app: &TestApp, owner: &reqwest::Client, email: &str) -> (String, String) {
    let response = send(owner, app, email, None).await;
    let sent: SendResponse = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(email, 1).await;
    let verified = owner
        .post(app.url("/api/otp/verify"))
        .json(&json!({ "flow_id": sent.flow_id, "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    let cookie = |name: &str| {
        verified
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} cookie"))
    };
    (cookie(SESSION), cookie(DEVICE))
}

/// Strangers on four clients send until the address's cap refuses them,
/// solving every challenge on the way; how many messages they got out.
async fn strangers_spend_the_cap(app: &TestApp, email: &str) -> usize {
    let mut sent = 0;
    for n in 4..8 {
        let stranger = app.client_at(&format!("127.0.0.{n}"));
        loop {
            let mut body = json!({ "email": email, "request_id": format!("s{n}-{sent}") });
            let mut response = send_body(&stranger, app, body.clone(), None).await;
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                let answer: Value = response.json().await.unwrap();
                if answer["error"]["code"] == "proof_of_work_required" {
                    let challenge =
                        serde_json::from_value(answer["error"]["challenge"].clone()).unwrap();
                    body["proof"] = json!(solve(&challenge));
                    response = send_body(&stranger, app, body, None).await;
                } else {
                    break;
                }
            }
            if response.status() != StatusCode::ACCEPTED {
                break;
            }
            sent += 1;
        }
    }
    sent
}

#[tokio::test]
async fn strangers_spending_the_cap_leave_the_owners_browser_a_code() {
    let app = spawn_app_with(&[("OTP_POW_DIFFICULTY", "4")]).await;
    let email = format!("owner-{}@example.com", random_suffix());
    let owner = app.client_at("127.0.0.3");
    let (session, device) = owner_proves(&app, &owner, &email).await;

    let spent = strangers_spend_the_cap(&app, &email).await;
    assert_eq!(
        spent, 19,
        "the cap of 20, one of them the owner's first code"
    );
    let mails = app.inbox.subjects(&email).await.len();
    assert_eq!(mails, 20);
    // A device seen for the first time meets the cap.
    let newcomer = app.client_at("127.0.0.9");
    let refused = send(&newcomer, &app, &email, None).await;
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // The owner's browser with a forged or another device's cookie: the same.
    let forged = format!("{DEVICE}=AAAA{}", &device[DEVICE.len() + 5..]);
    let refused = send(&owner, &app, &email, Some(&forged)).await;
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;

    // The owner's device cookie: a code.
    let response = send(&owner, &app, &email, Some(&device)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.inbox.wait_for_code(&email, mails + 1).await;
    // The live session alone (the device cookie cleared) proves it too.
    let response = send(&owner, &app, &email, Some(&session)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    app.inbox.wait_for_code(&email, mails + 2).await;
    // From another network as well: the mark is the device's, not the address's.
    let elsewhere = app.client_at("127.0.0.10");
    let response = send(&elsewhere, &app, &email, Some(&device)).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

/// The device has a budget of its own, told exactly (its day), in place
/// of the address's budgets; a mark counts for its identity only.
#[tokio::test]
async fn the_owners_device_has_a_budget_of_its_own() {
    let app = spawn_app_with(&[
        ("OTP_SENDS_PER_DEVICE_PER_DAY", "2"),
        ("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "1"),
    ])
    .await;
    let email = format!("owner-{}@example.com", random_suffix());
    let owner = app.client_at("127.0.0.3");
    // The owner's first code spends this client's budget for the address.
    let (_, device) = owner_proves(&app, &owner, &email).await;
    for _ in 0..2 {
        let response = send(&owner, &app, &email, Some(&device)).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let refused = send(&owner, &app, &email, Some(&device)).await;
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let now = otp::domain::Clock::now(&app.clock);
    let day = 24 * 3600;
    assert_eq!(
        wait,
        (now / day + 1) * day - now,
        "the rest of the device's day"
    );
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
    // Without the cookie, this client's budget for the address is spent.
    let refused = send(&owner, &app, &email, None).await;
    expect_error(
        refused,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;

    // Another address: the mark is no proof for it, its budgets apply.
    let other = format!("other-{}@example.com", random_suffix());
    let first = send(&owner, &app, &other, Some(&device)).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let second = send(&owner, &app, &other, Some(&device)).await;
    expect_error(
        second,
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
    )
    .await;
}
