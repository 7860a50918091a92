//! What an attacker tries from outside: many spellings of one inbox, a
//! stranger spending a person's budget, proofs of work used twice, forged
//! request ids. Other clients are other loopback addresses (127.0.0.2, …).

use super::limits::expect_challenge;
use crate::support::{expect_error, random_suffix, solve, spawn_app_with};
use otp::domain::Email;
use otp_api::{ErrorCode, SendResponse};
use reqwest::StatusCode;
use serde_json::json;

/// Fifty spellings of one Gmail mailbox — tags, dots, case, the other
/// domain, quotes — from one client: the inbox gets no more than the
/// budget one client has for one address.
#[tokio::test]
async fn fifty_spellings_of_one_inbox_share_one_budget() {
    let app = spawn_app_with(&[("OTP_SENDS_PER_IP_PER_HOUR", "1000")]).await;
    let name = format!("victim{}", random_suffix());
    let spellings: Vec<String> = (0..50)
        .map(|i| {
            let dotted: String = name
                .chars()
                .enumerate()
                .flat_map(|(j, c)| {
                    let dot = j > 0 && (i + j) % 5 == 0;
                    dot.then_some('.').into_iter().chain(Some(c))
                })
                .collect();
            match i % 5 {
                0 => format!("{dotted}+{i}@gmail.com"),
                1 => format!("{}@GoogleMail.com", dotted.to_uppercase()),
                2 => format!("\"{name}\"@gmail.com"),
                3 => format!("{name}+x{i}@googlemail.com"),
                _ => format!(" {dotted}@GMAIL.COM "),
            }
        })
        .collect();
    let mut accepted = 0;
    for spelling in &spellings {
        let response = app.post_send(spelling).await;
        match response.status() {
            StatusCode::ACCEPTED => accepted += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("{spelling:?}: unexpected {other}"),
        }
    }
    let mailbox = Email::parse(&format!("{name}@gmail.com")).unwrap();
    let delivered = app
        .inbox
        .recipients()
        .await
        .iter()
        .filter(|to| Email::parse(to).is_ok_and(|e| e.budget_key() == mailbox.budget_key()))
        .count();
    assert_eq!(accepted, 5, "one client's budget for one address");
    assert_eq!(delivered, 5);
}

/// A stranger spends the address's free budget; the owner, on another
/// client, still gets a code, after a proof of work — and that proof buys
/// one message only.
#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out() {
    let app = spawn_app_with(&[
        ("OTP_SENDS_PER_EMAIL_PER_DAY", "3"),
        ("OTP_POW_DIFFICULTY", "8"),
    ])
    .await;
    let email = format!("owner-{}@example.com", random_suffix());
    let stranger = app.client_at("127.0.0.2");
    let send = |client: &reqwest::Client, body: serde_json::Value| {
        client.post(app.url("/api/otp/send")).json(&body).send()
    };
    for _ in 0..3 {
        let response = send(&stranger, json!({ "email": email })).await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let stranger_challenge =
        expect_challenge(send(&stranger, json!({ "email": email })).await.unwrap()).await;

    let owner = app.client_at("127.0.0.3");
    let request = json!({ "email": email, "request_id": "owner-page-1" });
    let challenge = expect_challenge(send(&owner, request.clone()).await.unwrap()).await;
    assert_eq!(challenge.difficulty, 8);
    let proof = solve(&challenge);
    let mut paid = request.clone();
    paid["proof"] = json!(proof);
    let response = send(&owner, paid.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let sent: SendResponse = response.json().await.unwrap();
    let code = app.inbox.wait_for_code(&email, 4).await;
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );

    // The same proof for another request: a fresh challenge, no message.
    let mut reused = paid.clone();
    reused["request_id"] = json!("owner-page-2");
    expect_challenge(send(&owner, reused).await.unwrap()).await;
    // The stranger's challenge, solved after the owner's message, is too
    // easy by now: a stockpiled easy proof buys nothing. The harder one it
    // gets buys one message, and a second use of it buys none.
    let stale = json!({ "email": email, "proof": solve(&stranger_challenge) });
    let harder = expect_challenge(send(&stranger, stale).await.unwrap()).await;
    assert_eq!(
        harder.difficulty, 9,
        "the second message over the free budget"
    );
    let mut bought = json!({ "email": email, "proof": solve(&harder) });
    let response = send(&stranger, bought.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    bought["email"] = json!(email.to_uppercase());
    expect_challenge(send(&stranger, bought).await.unwrap()).await;
    assert_eq!(app.inbox.subjects(&email).await.len(), 5);
}

/// A client-supplied request id is echoed only when it is a plain token;
/// anything else is replaced, so logs and answers cannot be forged.
#[tokio::test]
async fn request_ids_are_echoed_only_when_well_formed() {
    let app = spawn_app_with(&[]).await;
    let echo = |id: &'static str| {
        app.client
            .get(app.url("/api/health"))
            .header("x-request-id", id)
            .send()
    };
    let kept = echo("3f1c-trace.42:a_b").await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "3f1c-trace.42:a_b");
    for forged in [
        "id\" level=error msg=\"forged",
        "a b",
        "ünïcode",
        "0123456789012345678901234567890123456789012345678901234567890123456789",
    ] {
        let response = echo(forged).await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_ne!(id, forged);
        assert_eq!(id.len(), 36, "a fresh UUID: {id}");
    }
}

/// An address the mail path cannot deliver to is refused as invalid at
/// once, never as a passing outage.
#[tokio::test]
async fn an_undeliverable_spelling_is_an_invalid_address() {
    let app = spawn_app_with(&[]).await;
    let response = app.post_send("\"quoted local\"@example.com").await;
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail).await;
}
