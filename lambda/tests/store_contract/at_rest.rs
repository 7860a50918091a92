//! What a copy of the table shows of a code: nothing. The code is kept
//! hashed and sealed, so a resend can mail it again, and neither holds its
//! digits.

use super::*;
use aws_sdk_dynamodb::types::AttributeValue;
use otp::domain::{CodeHasher, ManualClock, Policy};
use otp::service::{Limits, SendInput, Service};
use std::sync::atomic::Ordering;

/// Whether `value` (nested values included) holds `code`: a string or byte
/// string with its six digits in it, or a number equal to it. (A number is
/// compared whole: a timestamp may hold any six digits by chance.)
fn holds(value: &AttributeValue, code: &str) -> bool {
    let has = |bytes: &[u8]| bytes.windows(6).any(|w| w == code.as_bytes());
    let number = |n: &str| n.parse::<u64>().ok() == code.parse::<u64>().ok();
    match value {
        AttributeValue::S(s) => has(s.as_bytes()),
        AttributeValue::N(n) => number(n),
        AttributeValue::B(b) => has(b.as_ref()),
        AttributeValue::Ss(all) => all.iter().any(|s| has(s.as_bytes())),
        AttributeValue::Ns(all) => all.iter().any(|n| number(n)),
        AttributeValue::Bs(all) => all.iter().any(|b| has(b.as_ref())),
        AttributeValue::L(list) => list.iter().any(|v| holds(v, code)),
        AttributeValue::M(map) => map.values().any(|v| holds(v, code)),
        _ => false,
    }
}

/// A code sent and then sent again (the same code, from its seal): no item
/// of the table holds its six digits, as text or as bytes.
#[tokio::test]
async fn dynamodb_a_table_dump_shows_no_code() {
    let Some((dynamodb, table, store)) = dynamo_store().await else {
        return;
    };
    let mailer = Arc::new(LastCode::default());
    let clock = ManualClock::starting_now();
    let service = Service::new(
        store,
        mailer.clone(),
        Arc::new(clock.clone()),
        CodeHasher::ephemeral(),
        Policy::default(),
        Limits::default(),
    );
    let email = Email::parse("ann@example.com").unwrap();
    let sent = service.send(SendInput::to(email), client(1)).await;
    let flow_id = sent.unwrap().flow_id;
    let code = mailer.0.lock().unwrap().clone().unwrap();
    clock.advance(60);
    service
        .resend(flow_id.as_str(), None, None, client(1))
        .await
        .unwrap();
    assert_eq!(mailer.1.load(Ordering::SeqCst), 2);
    assert_eq!(mailer.0.lock().unwrap().as_deref(), Some(code.as_str()));

    let items = dynamodb.scan().table_name(&table).send().await.unwrap();
    let flow = items
        .items()
        .iter()
        .find(|item| item["pk"] == AttributeValue::S(format!("flow#{}", flow_id.as_str())))
        .expect("the flow is in the table");
    assert!(flow.contains_key("sealed_code") && flow.contains_key("code_hash"));
    for item in items.items() {
        for (name, value) in item {
            assert!(
                !holds(value, &code),
                "the code in `{name}` of {:?}",
                item["pk"]
            );
        }
    }
}
