//! The EMF lines as CloudWatch reads them, and the fixed sets of names.

use super::emf::{emf_line, json_string};
use super::*;
use crate::mailer::MailFailure;
use serde_json::{Value as Json, json};

#[test]
fn a_counter_with_its_dimension_is_one_emf_object() {
    let line = emf_line(
        &json_string("otp"),
        1_700_000_000_123,
        "Verifies",
        Value::Count(1),
        Some(("Outcome", "wrong")),
    );
    assert_eq!(
        line,
        r#"{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"otp","Dimensions":[["Outcome"]],"Metrics":[{"Name":"Verifies","Unit":"Count"}]}]},"Outcome":"wrong","Verifies":1}"#
    );
    let parsed: Json = serde_json::from_str(&line).unwrap();
    assert_eq!(parsed["Verifies"], json!(1));
}

#[test]
fn a_counter_without_dimension_has_the_empty_dimension_set() {
    let line = emf_line(
        &json_string("my/otp"),
        5,
        "CodesSent",
        Value::Count(1),
        None,
    );
    assert_eq!(
        line,
        r#"{"_aws":{"Timestamp":5,"CloudWatchMetrics":[{"Namespace":"my/otp","Dimensions":[[]],"Metrics":[{"Name":"CodesSent","Unit":"Count"}]}]},"CodesSent":1}"#
    );
}

#[test]
fn latency_is_in_milliseconds_to_the_microsecond() {
    let line = emf_line(
        &json_string("otp"),
        5,
        "Latency",
        Value::Milliseconds(Duration::from_micros(2_345).as_secs_f64() * 1000.0),
        Some(("Route", route(Some("/api/otp/verify")))),
    );
    let parsed: Json = serde_json::from_str(&line).unwrap();
    assert_eq!(parsed["Latency"], json!(2.345));
    assert_eq!(parsed["Route"], json!("/api/otp/verify"));
    assert_eq!(
        parsed["_aws"]["CloudWatchMetrics"][0]["Metrics"][0],
        json!({"Name": "Latency", "Unit": "Milliseconds"})
    );
    assert_eq!(Value::Milliseconds(f64::NAN).to_string(), "0");
}

#[test]
fn a_namespace_is_escaped_once() {
    let line = emf_line(&json_string("a\"b"), 5, "Lockouts", Value::Count(1), None);
    let parsed: Json = serde_json::from_str(&line).unwrap();
    assert_eq!(
        parsed["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        json!("a\"b")
    );
}

#[test]
fn routes_are_a_fixed_set() {
    assert_eq!(route(Some("/token")), "/token");
    assert_eq!(route(Some("/assets/app-1234.wasm")), "other");
    assert_eq!(route(None), "other");
}

#[test]
fn every_metric_is_a_valid_emf_object_with_a_plain_dimension() {
    use MailFailure as M;
    let all = [
        Metric::CodeSent,
        Metric::DeliveryFailed(M::Undeliverable),
        Metric::DeliveryFailed(M::Operator),
        Metric::DeliveryFailed(M::Transient),
        Metric::Verify(VerifyOutcome::Approved),
        Metric::Verify(VerifyOutcome::Replayed),
        Metric::Verify(VerifyOutcome::Wrong),
        Metric::Verify(VerifyOutcome::Expired),
        Metric::Verify(VerifyOutcome::TooManyAttempts),
        Metric::Verify(VerifyOutcome::AlreadyUsed),
        Metric::Verify(VerifyOutcome::UnknownFlow),
        Metric::LockedOut,
        Metric::Refused(RefusedBy::ClientSends),
        Metric::Refused(RefusedBy::ClientVerifies),
        Metric::Refused(RefusedBy::Pair),
        Metric::Refused(RefusedBy::Address),
        Metric::Refused(RefusedBy::ProofRequired),
        Metric::Refused(RefusedBy::FlowSends),
        Metric::Refused(RefusedBy::ResendCooldown),
        Metric::Refused(RefusedBy::TokenFailures),
        Metric::Refused(RefusedBy::ClientAuthorizes),
        Metric::Refused(RefusedBy::ClientSignInReads),
        Metric::Refused(RefusedBy::ClientSignInCancels),
        Metric::Refused(RefusedBy::ClientUserinfoFailures),
        Metric::Refused(RefusedBy::ClientPasskeySteps),
        Metric::Refused(RefusedBy::PasskeyFailures),
        Metric::Refused(RefusedBy::Suppressed),
        Metric::Notification(NotificationKind::Bounce),
        Metric::Notification(NotificationKind::Complaint),
        Metric::Notification(NotificationKind::Ignored),
        Metric::Notification(NotificationKind::Malformed),
        Metric::SignIn(SignInStage::Started),
        Metric::SignIn(SignInStage::Completed),
        Metric::SignIn(SignInStage::Passkey),
        Metric::SignIn(SignInStage::Cancelled),
        Metric::SignIn(SignInStage::Refused),
        Metric::Token(TokenOutcome::Ok),
        Metric::Token(TokenOutcome::InvalidRequest),
        Metric::Token(TokenOutcome::InvalidClient),
        Metric::Token(TokenOutcome::InvalidGrant),
        Metric::Token(TokenOutcome::UnsupportedGrantType),
        Metric::Token(TokenOutcome::RateLimited),
        Metric::Token(TokenOutcome::Unavailable),
    ];
    let mut seen = std::collections::HashSet::new();
    for metric in all {
        let (name, dimension) = metric.parts();
        assert!(seen.insert((name, dimension)), "{metric:?} is not distinct");
        let line = emf_line("\"otp\"", 1, name, Value::Count(1), dimension);
        let parsed: Json = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(parsed[name], json!(1));
        if let Some((key, value)) = dimension {
            assert!(key.chars().all(|c| c.is_ascii_alphabetic()));
            assert!(value.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert_eq!(parsed[key], json!(value));
        }
    }
}
