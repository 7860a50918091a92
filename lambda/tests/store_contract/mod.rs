//! The contract every `Store` keeps, written once and run against the
//! in-memory store and against DynamoDB Local (a fresh table per test).
//!
//! The DynamoDB half needs `OTP_TEST_DYNAMODB_ENDPOINT`. Without it a plain
//! `cargo test` skips those tests with one line each; under
//! `OTP_TEST_SERVICES=1` (as `scripts/test` runs them) its absence fails them.

use crate::support::service_or_skip;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, TimeToLiveStatus};
use otp::domain::{
    ApprovingTry, Clock, CodeHash, Email, FlowId, FlowRecord, SealedCode, SystemClock,
};
use otp::store::{
    Admission, Approval, Attempt, Charge, Created, DynamoStore, FreshCode, IdempotencyKey, Lockout,
    MemoryStore, NewMessage, ProofMark, Refusal, ResendGuard, ResendOutcome, Store, Untried,
};
use otp_api::locale::exact;
use rand::Rng;
use std::sync::Arc;
use tokio::sync::Barrier;

mod admission;
mod at_rest;
mod bound;
mod codes;
mod guesses;
mod keys;
mod lockouts;
mod passkeys;
mod races;
mod sessions;
mod sign_in;
mod suppression;
mod verify_budget;

use admission::*;
use bound::*;
use codes::*;
use guesses::*;
use keys::*;
use lockouts::*;
use passkeys::*;
use races::*;
use sessions::*;
use sign_in::*;
use suppression::*;
use verify_budget::*;

const DAY: u64 = 24 * 3600;
const CONCURRENCY: usize = 50;
/// A `replay_since` no approval is at or after: replays are not taken.
const NO_REPLAY: u64 = u64::MAX;

fn flow(now: u64) -> FlowRecord {
    FlowRecord {
        id: FlowId::generate(),
        email: Email::parse("ann@example.com").unwrap(),
        code_hash: CodeHash([1; 32]),
        sealed_code: Some(SealedCode(vec![1; 34])),
        key_id: "k1".into(),
        attempts: 0,
        tries: Vec::new(),
        sends: 1,
        created_at: now,
        expires_at: now + 600,
        last_sent_at: now,
        used_at: None,
        approved_by: None,
        sign_in: None,
        language: exact("de").unwrap(),
    }
}

fn ttl(flow: &FlowRecord) -> u64 {
    flow.expires_at + DAY
}

fn key(name: &str, expires_at: u64) -> IdempotencyKey {
    IdempotencyKey {
        key: name.into(),
        expires_at,
        ttl: expires_at + DAY,
    }
}

/// The flow's code again at `sent_at`, in another language than the
/// flow's: a resend may switch it.
fn same_code(sent_at: u64) -> NewMessage {
    NewMessage {
        sent_at,
        language: exact("ja").unwrap(),
        fresh: None,
    }
}

/// A fresh code (its hash and seal made of `hash`) with a fresh expiry.
fn fresh_code(hash: u8, sent_at: u64) -> NewMessage {
    NewMessage {
        fresh: Some(FreshCode {
            code_hash: CodeHash([hash; 32]),
            sealed_code: SealedCode(vec![hash; 34]),
            key_id: format!("k{hash}"),
            expires_at: sent_at + 600,
            ttl: sent_at + 600 + DAY,
        }),
        ..same_code(sent_at)
    }
}

/// A resend of a live code at `now`.
fn guard(now: u64, current: &CodeHash) -> ResendGuard<'_> {
    ResendGuard {
        now,
        current,
        expired_after: None,
        cooldown_secs: 60,
        max_sends: 5,
        max_attempts: 5,
    }
}

/// A resend of a code that expired within the last day.
fn guard_expired(now: u64, current: &CodeHash) -> ResendGuard<'_> {
    ResendGuard {
        expired_after: Some(now - DAY),
        ..guard(now, current)
    }
}

/// An admission with nothing to check, at `now`.
fn at(now: u64) -> Admission {
    Admission {
        now,
        ..Admission::default()
    }
}

/// A flow written to `store`, for tests about what happens to it next.
async fn stored(store: &dyn Store, edit: impl FnOnce(&mut FlowRecord)) -> (FlowRecord, u64) {
    let now = SystemClock.now();
    let mut record = flow(now);
    edit(&mut record);
    let created = store
        .create_flow(&record, ttl(&record), None, &at(now))
        .await
        .unwrap();
    assert_eq!(created, Created::New);
    (record, now)
}

async fn dynamo_client() -> Option<Client> {
    let endpoint = service_or_skip("OTP_TEST_DYNAMODB_ENDPOINT")?;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    Some(Client::new(&config))
}

/// A store over a table of its own, so tests never see each other's items.
async fn dynamo_store() -> Option<(Client, String, Arc<dyn Store>)> {
    let client = dynamo_client().await?;
    let table = format!("otp-test-{:016x}", rand::rng().random::<u64>());
    DynamoStore::create_table(&client, &table).await.unwrap();
    let store = Arc::new(DynamoStore::new(client.clone(), table.clone()));
    Some((client, table, store))
}

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(std::sync::Arc::new(super::MemoryStore::new())).await;
                }
            )*
        }
        mod dynamodb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    if let Some((_, _, store)) = super::dynamo_store().await {
                        super::$case(store).await;
                    }
                }
            )*
        }
    };
}

contract!(
    create_then_get_round_trips,
    idempotency_key_maps_to_the_first_flow,
    expired_idempotency_key_is_reusable,
    key_holder_finds_only_live_keys,
    count_attempt_stops_at_max,
    count_attempt_refused_when_expired_or_used,
    count_attempt_takes_replays_within_the_window,
    approve_checks_use_expiry_and_code,
    approve_refused_after_a_fresh_code,
    resend_code_keeps_the_code_its_expiry_and_the_tries,
    resend_code_gives_an_expired_flow_a_fresh_code,
    resend_code_honours_every_guard,
    restore_code_undoes_only_the_failed_message,
    delete_flow_removes_flow_and_key,
    delete_flow_leaves_a_key_claimed_by_another_flow,
    counters_add_and_subtract,
    admission_charges_every_budget_or_none,
    admission_refused_while_locked_or_proof_spent,
    admission_guards_a_resend_too,
    listed_flows_are_the_flows_the_charges_listed,
    a_try_after_the_read_makes_the_admission_read_again,
    a_try_after_the_read_makes_a_resend_read_again,
    a_send_overtaken_by_the_failure_that_starts_a_lockout_needs_work,
    concurrent_admissions_stop_at_the_limit,
    parallel_guesses_compare_at_most_five_codes,
    a_clients_verify_budget_holds_across_instances,
    concurrent_approvals_have_one_winner,
    concurrent_attempts_stop_at_max,
    concurrent_creates_with_one_key_make_one_flow,
    auth_request_round_trips,
    auth_request_id_is_written_once,
    grant_is_written_once_per_code,
    grant_refused_when_expired_or_cancelled,
    cancel_only_a_live_ungranted_request,
    redeem_records_the_token,
    redeem_refused_on_any_mismatch,
    redeem_once_then_revoke_once,
    concurrent_redemptions_have_one_winner,
    concurrent_grants_carry_one_code,
    concurrent_cancel_and_grant_have_one_kind_of_winner,
    suppression_keeps_the_latest_end_and_lifts,
    admission_refused_while_suppressed,
    session_round_trips_and_joins_its_identity,
    renew_only_a_live_session_with_its_secret,
    end_a_live_session_once,
    concurrent_ends_have_one_winner,
    concurrent_renewals_have_one_winner,
    logout_request_is_used_once,
    a_session_grants_only_while_it_lives,
    refresh_rotates_the_current_token_once,
    a_refresh_after_logout_loses,
    concurrent_refreshes_have_one_winner,
    a_logout_racing_a_refresh_is_never_overtaken,
    a_ceremony_round_trips_once,
    a_passkey_is_added_once_by_its_ceremony,
    a_passkey_use_completes_its_ceremony_once,
    concurrent_uses_of_one_challenge_have_one_winner,
    only_its_identity_removes_a_passkey,
);

#[tokio::test]
async fn dynamodb_create_table_is_idempotent_and_enables_ttl() {
    let Some((client, table, _)) = dynamo_store().await else {
        return;
    };
    DynamoStore::create_table(&client, &table).await.unwrap();
    let ttl = client
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().unwrap();
    assert_eq!(description.attribute_name(), Some("ttl"));
    assert_eq!(
        description.time_to_live_status(),
        Some(&TimeToLiveStatus::Enabled)
    );
}

/// A damaged item is reported as a store error, not a panic or a wrong answer.
#[tokio::test]
async fn dynamodb_malformed_item_is_an_error() {
    let Some((client, table, store)) = dynamo_store().await else {
        return;
    };
    let id = FlowId::generate();
    client
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S(format!("flow#{}", id.as_str())))
        .item("email", AttributeValue::S("ann@example.com".into()))
        .item("code_hash", AttributeValue::B(Blob::new(vec![1; 5])))
        .send()
        .await
        .unwrap();
    assert!(store.get_flow(&id).await.is_err());
    assert!(
        store
            .count_attempt(&id, SystemClock.now(), 5, NO_REPLAY)
            .await
            .is_err()
    );
}
