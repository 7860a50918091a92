//! The stand-in for DynamoDB's TTL deletion.

use super::*;
use crate::domain::{CodeHash, Email};
use crate::store::{AuthRequest, SignInStore, Store};

fn record(id: FlowId, expires_at: u64) -> FlowRecord {
    FlowRecord {
        id,
        email: Email::parse("ann@example.com").unwrap(),
        code_hash: CodeHash([1; 32]),
        sealed_code: None,
        key_id: "k1".into(),
        attempts: 0,
        tries: Vec::new(),
        sends: 1,
        created_at: 0,
        expires_at,
        last_sent_at: 0,
        used_at: None,
        approved_by: None,
        sign_in: None,
        language: otp_api::locale::SOURCE,
    }
}

fn auth_request(expires_at: u64) -> AuthRequest {
    AuthRequest {
        id: SignInId::generate(),
        client_id: "app".into(),
        redirect_uri: "https://app.example/cb".into(),
        scope: "openid".into(),
        state: None,
        nonce: None,
        code_challenge: Some("c".repeat(43)),
        login_hint: None,
        ui_locales: None,
        prompt_login: false,
        max_age: None,
        hint_subject: None,
        created_at: 0,
        expires_at,
    }
}

/// The sweep drops exactly the items whose `ttl` has passed, and runs on
/// its own after [`SWEEP_EVERY`] writes.
#[tokio::test]
async fn sweep_drops_items_past_their_ttl() {
    let store = MemoryStore::new();
    let wall = wall_clock();
    let (old, fresh) = (FlowId::generate(), FlowId::generate());
    let past = IdempotencyKey {
        key: "past".into(),
        expires_at: 1,
        ttl: 2,
    };
    let at = |now| Admission {
        now,
        ..Admission::default()
    };
    store
        .create_flow(&record(old.clone(), 1), 2, Some(&past), &at(0))
        .await
        .unwrap();
    store
        .create_flow(
            &record(fresh.clone(), wall + 600),
            wall + 3600,
            None,
            &at(wall),
        )
        .await
        .unwrap();
    store.add_to_counter("limit#old", 1, 2).await.unwrap();
    let (old_auth, fresh_auth) = (auth_request(1), auth_request(wall + 1800));
    store.put_auth_request(&old_auth, 2).await.unwrap();
    store
        .put_auth_request(&fresh_auth, wall + 3600)
        .await
        .unwrap();
    store
        .add_to_counter("limit#new", 1, wall + 3600)
        .await
        .unwrap();
    assert!(
        store.get_flow(&old).await.unwrap().is_some(),
        "no sweep before its turn"
    );

    while store.read().writes % SWEEP_EVERY != SWEEP_EVERY - 1 {
        store
            .add_to_counter("limit#new", 0, wall + 3600)
            .await
            .unwrap();
    }
    store
        .add_to_counter("limit#new", 0, wall + 3600)
        .await
        .unwrap();

    assert_eq!(store.get_flow(&old).await.unwrap(), None);
    assert!(store.get_flow(&fresh).await.unwrap().is_some());
    assert_eq!(store.get_auth_request(&old_auth.id).await.unwrap(), None);
    assert!(
        store
            .get_auth_request(&fresh_auth.id)
            .await
            .unwrap()
            .is_some()
    );
    let state = store.read();
    assert!(state.keys.is_empty());
    assert!(!state.counters.contains_key("limit#old"));
    assert_eq!(state.counters["limit#new"].value, 1);
}
