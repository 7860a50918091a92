//! SES bounces and complaints, as SNS delivers them to the notifications
//! handler (`OTP_HANDLER=notifications`), then what the service does with
//! sends to the addresses they name: refused like an undeliverable address,
//! for every spelling of the same identity, with nothing mailed, until the
//! suppression ends or is lifted.
//!
//! The events in `fixtures/sns-ses-*.json` are SNS Lambda events around SES
//! notifications, as in "Amazon SNS notification contents for Amazon SES"
//! (identity notifications) and "Contents of event data that Amazon SES
//! publishes to Amazon SNS" (configuration sets). They are read as the
//! Lambda runtime reads them, into `aws_lambda_events`' `SnsEvent`.
//!
//! One store serves both the handler and the API: DynamoDB Local and
//! maildev when the test command provides them (`scripts/services`), else
//! the memory store and the outbox. Time moves on a manual clock.

use crate::support::{Inbox, dynamodb_local, service_vars};
use aws_lambda_events::event::sns::SnsEvent;
use axum::Router;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use otp::domain::{Clock, Email, ManualClock};
use otp::settings::Settings;
use otp::store::{DynamoStore, Store, SuppressionReason};
use otp::suppression::{SuppressionList, Tally};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const BOUNCE_PERMANENT: &str = include_str!("../fixtures/sns-ses-bounce-permanent.json");
const BOUNCE_TRANSIENT: &str = include_str!("../fixtures/sns-ses-bounce-transient.json");
const COMPLAINT: &str = include_str!("../fixtures/sns-ses-complaint.json");
const DELIVERY: &str = include_str!("../fixtures/sns-ses-delivery.json");

const DAY: u64 = 24 * 3600;
const KEYS: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const SUBJECT_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
/// How long a delivered message may take to show up before the test fails.
const ARRIVAL_DEADLINE: Duration = Duration::from_secs(10);

struct Harness {
    list: SuppressionList,
    router: Router,
    clock: ManualClock,
    inbox: Inbox,
    /// The DynamoDB Local table, when the test command provides it.
    table: Option<String>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Inbox::Outbox { dir } = &self.inbox {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn harness() -> Harness {
    let (mut vars, inbox) = service_vars();
    vars.insert("OTP_HMAC_KEYS".into(), KEYS.into());
    vars.insert("OTP_SUBJECT_KEY".into(), SUBJECT_KEY.into());
    let table = vars.get("OTP_TABLE").cloned();
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let store: Arc<dyn Store> =
        otp::startup::build_store(&settings.store, settings.store_timeout, |config| config)
            .await
            .expect("the store builds");
    let clock = ManualClock::starting_now();
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let parts = otp::startup::build_with_store(
        &settings,
        store.clone(),
        shared.clone(),
        "http://127.0.0.1".into(),
    )
    .await
    .expect("the service builds");
    let router = otp::http::app(parts.service, parts.provider, settings.http_options())
        .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
    let list = SuppressionList::new(store, settings.hasher.clone(), shared, settings.suppression);
    Harness {
        list,
        router,
        clock,
        inbox,
        table,
    }
}

/// An SNS event as the Lambda runtime deserializes it.
fn event(fixture: &str) -> SnsEvent {
    serde_json::from_str(fixture).expect("the fixture is an SNS Lambda event")
}

/// The recorded permanent bounce, for `address` instead of its own.
fn bounce_of(address: &str) -> SnsEvent {
    let mut event = event(BOUNCE_PERMANENT);
    let sns = &mut event.records[0].sns;
    let mut message: Value = serde_json::from_str(&sns.message).unwrap();
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = json!(address);
    message["mail"]["destination"] = json!([address]);
    sns.message = message.to_string();
    event
}

impl Harness {
    /// `POST /api/otp/send` for `email`; the status and the JSON body.
    async fn send(&self, email: &str) -> (StatusCode, Value) {
        let request = Request::post("/api/otp/send")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(
                json!({ "email": email }).to_string(),
            ))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).expect("a JSON body"))
    }

    /// Asserts the answer to a refused send: exactly what an address that
    /// does not receive mail gets.
    async fn assert_refused(&self, email: &str) {
        let (status, body) = self.send(email).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email}: {body}");
        assert_eq!(body["error"]["code"], "undeliverable", "{email}: {body}");
        assert_eq!(body["error"].get("retry_after"), None, "{body}");
    }

    async fn assert_sent(&self, email: &str) {
        let (status, body) = self.send(email).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{email}: {body}");
    }

    /// The messages in the inbox to any spelling of `address`'s identity.
    async fn messages_to(&self, address: &str) -> usize {
        let identity = Email::parse(address).unwrap();
        self.inbox
            .recipients()
            .await
            .iter()
            .filter(|to| Email::parse(to).is_ok_and(|e| e == identity))
            .count()
    }

    /// Waits until `count` messages to `mailbox` have arrived, then checks
    /// that no more than that did.
    async fn assert_messages(&self, mailbox: &str, count: usize) {
        let deadline = Instant::now() + ARRIVAL_DEADLINE;
        loop {
            let found = self.messages_to(mailbox).await;
            assert!(
                found <= count,
                "{found} messages to {mailbox}, {count} expected"
            );
            if found == count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{found} messages to {mailbox} after {ARRIVAL_DEADLINE:?}, {count} expected"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A hard bounce suppresses the mailbox for 90 days: sends to it and to
/// other spellings of it (Gmail's dots, tags and domain alias, case)
/// are answered `undeliverable` and mail nothing; at the end it is mailed again.
#[tokio::test]
async fn a_permanent_bounce_stops_every_spelling_until_it_ends() {
    let app = harness().await;
    // maildev outlives one run of this suite: count from here.
    let before = app.messages_to("jane.doe@gmail.com").await;
    let tally = app.list.handle(&event(BOUNCE_PERMANENT)).await.unwrap();
    assert_eq!(
        tally,
        Tally {
            suppressed: 1,
            ignored: 0,
            malformed: 0
        }
    );
    for spelling in [
        "jane.doe@gmail.com",
        "Jane.Doe+otp@googlemail.com",
        "JANEDOE@gmail.com",
    ] {
        app.assert_refused(spelling).await;
    }
    app.clock.advance(90 * DAY - 1);
    app.assert_refused("janedoe@gmail.com").await;

    app.clock.advance(1);
    app.assert_sent("jane.doe@gmail.com").await;
    // The one message is the last send's: the refused ones mailed nothing.
    app.assert_messages("jane.doe@gmail.com", before + 1).await;
}

/// A flow started before the bounce gets no new code: its resend is refused
/// the same way, and only the first message ever went out.
#[tokio::test]
async fn a_resend_after_the_bounce_is_refused_too() {
    let app = harness().await;
    // Another address than the other tests', which share maildev.
    let before = app.messages_to("kim.lee@example.com").await;
    let (status, sent) = app.send("kim.lee@example.com").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    app.assert_messages("kim.lee@example.com", before + 1).await;
    let tally = app
        .list
        .handle(&bounce_of("kim.lee@example.com"))
        .await
        .unwrap();
    assert_eq!(tally.suppressed, 1);

    app.clock.advance(60);
    let request = Request::post("/api/otp/resend")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(
            json!({ "flow_id": sent["flow_id"] }).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(body["error"]["code"], "undeliverable", "{body}");
    app.assert_messages("kim.lee@example.com", before + 1).await;
}

/// A complaint suppresses the complainer's mailbox (30 days by default);
/// the operator sees it and lifts it, and codes go out again.
#[tokio::test]
async fn a_complaint_suppresses_until_lifted() {
    let app = harness().await;
    let before = app.messages_to("bob@example.org").await;
    let tally = app.list.handle(&event(COMPLAINT)).await.unwrap();
    assert_eq!(tally.suppressed, 1);
    app.assert_refused("Bob@Example.ORG").await;

    let bob = Email::parse("bob@example.org").unwrap();
    let shown = app.list.show(&bob).await.unwrap().expect("a suppression");
    assert_eq!(shown.reason, SuppressionReason::Complaint);
    assert_eq!(shown.until, app.clock.now() + 30 * DAY);

    assert!(app.list.lift(&bob).await.unwrap());
    assert_eq!(app.list.show(&bob).await.unwrap(), None);
    app.assert_sent("Bob@example.org").await;
    app.assert_messages("bob@example.org", before + 1).await;
}

/// A soft bounce (the mailbox exists, it is full) and a delivery change nothing.
#[tokio::test]
async fn transient_bounces_and_deliveries_suppress_nothing() {
    let app = harness().await;
    for fixture in [BOUNCE_TRANSIENT, DELIVERY] {
        let tally = app.list.handle(&event(fixture)).await.unwrap();
        assert_eq!(
            tally,
            Tally {
                suppressed: 0,
                ignored: 1,
                malformed: 0
            }
        );
    }
    for address in ["carol@example.net", "dave@example.net"] {
        let before = app.messages_to(address).await;
        app.assert_sent(address).await;
        app.assert_messages(address, before + 1).await;
        let email = Email::parse(address).unwrap();
        assert_eq!(app.list.show(&email).await.unwrap(), None);
    }
}

/// A message that cannot be read is counted and passed over, not returned
/// as an error: Lambda would retry the whole delivery for nothing. The
/// readable record beside it still takes effect.
#[tokio::test]
async fn an_unreadable_notification_does_not_hold_up_the_others() {
    let app = harness().await;
    let mut event = event(BOUNCE_PERMANENT);
    let mut broken = event.records[0].clone();
    broken.sns.message = "{\"eventType\":\"Bounce\",\"bounce\":".into();
    event.records.insert(0, broken);
    let tally = app.list.handle(&event).await.unwrap();
    assert_eq!(
        tally,
        Tally {
            suppressed: 1,
            ignored: 0,
            malformed: 1
        }
    );
    app.assert_refused("jane.doe@gmail.com").await;
}

/// A store that cannot be reached fails the delivery, so Lambda retries it.
#[tokio::test]
async fn a_store_failure_is_an_error_for_lambda_to_retry() {
    // Nothing listens on the discard port.
    let config = dynamodb_local(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .endpoint_url("http://127.0.0.1:9"),
    )
    .build();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(config),
        "otp-unreachable",
    );
    let list = SuppressionList::new(
        Arc::new(store),
        otp::settings::ListSettings::from_vars(HashMap::from([(
            "OTP_HMAC_KEYS".into(),
            KEYS.into(),
        )]))
        .unwrap()
        .hasher,
        Arc::new(ManualClock::starting_now()),
        Default::default(),
    );
    let err = list.handle(&event(BOUNCE_PERMANENT)).await.unwrap_err();
    assert!(
        format!("{err:?}").contains("ConnectorError"),
        "not the connection that failed: {err:?}"
    );
}

mod binary;
mod keys;
mod runtime_api;
