//! Passkeys and their ceremonies: a ceremony completes once (of two
//! answers to one challenge, one wins), only for its purpose and before
//! its end; a passkey's use is refused once it is removed or used
//! meanwhile; an identity's list and user handle move with its passkeys.

use super::*;
use otp::domain::{CeremonyId, SignInId};
use otp::store::{Added, Ceremony, Passkey, PasskeyList, PasskeyUse, Purpose, Used};

/// A subject no other test uses, so identity lists never mix.
fn subject() -> String {
    format!("sub-{:016x}", rand::rng().random::<u64>())
}

fn credential_id() -> String {
    format!("cred-{:016x}", rand::rng().random::<u64>())
}

/// A ceremony for `purpose`, open for five minutes from `now`, stored.
async fn ceremony(store: &dyn Store, purpose: Purpose, now: u64) -> CeremonyId {
    let ceremony = Ceremony {
        id: CeremonyId::generate(),
        purpose,
        state: r#"{"challenge":"c"}"#.into(),
        created_at: now,
        expires_at: now + 300,
    };
    store.put_ceremony(&ceremony, now + DAY).await.unwrap();
    ceremony.id
}

fn register(subject: &str, user_handle: &str) -> Purpose {
    Purpose::Register {
        session: otp::domain::SessionId::generate(),
        subject: subject.to_owned(),
        email: "ann@example.com".into(),
        user_handle: user_handle.to_owned(),
    }
}

fn sign_in() -> Purpose {
    Purpose::SignIn {
        sign_in: Some(SignInId::generate()),
    }
}

fn passkey(subject: &str, user_handle: &str, now: u64) -> Passkey {
    Passkey {
        id: credential_id(),
        subject: subject.to_owned(),
        email: "ann@example.com".into(),
        user_handle: user_handle.to_owned(),
        name: "Linux".into(),
        credential: r#"{"counter":0}"#.into(),
        sign_count: 0,
        created_at: now,
        last_used_at: None,
    }
}

/// A passkey of a new identity, added through a ceremony.
async fn added(store: &dyn Store) -> (Passkey, u64) {
    let now = SystemClock.now();
    let who = subject();
    let key = passkey(&who, "handle-1", now);
    let id = ceremony(store, register(&who, "handle-1"), now).await;
    assert_eq!(
        store.add_passkey(&id, &key, now + 1).await.unwrap(),
        Added::Done
    );
    (key, now)
}

fn use_of(key: &Passkey, sign_count: u32, now: u64) -> PasskeyUse {
    PasskeyUse {
        id: key.id.clone(),
        subject: key.subject.clone(),
        sign_count_before: key.sign_count,
        sign_count,
        credential: format!(r#"{{"counter":{sign_count}}}"#),
        now,
    }
}

pub(crate) async fn a_ceremony_round_trips_once(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let stored = Ceremony {
        id: CeremonyId::generate(),
        purpose: register(&subject(), "handle-1"),
        state: r#"{"challenge":"c"}"#.into(),
        created_at: now,
        expires_at: now + 300,
    };
    store.put_ceremony(&stored, now + DAY).await.unwrap();
    assert_eq!(
        store.get_ceremony(&stored.id).await.unwrap(),
        Some(stored.clone())
    );
    assert!(store.put_ceremony(&stored, now + DAY).await.is_err());
    assert_eq!(
        store.get_ceremony(&CeremonyId::generate()).await.unwrap(),
        None
    );
}

/// Adding a passkey consumes its ceremony; the passkey joins its identity,
/// whose user handle the first passkey sets.
pub(crate) async fn a_passkey_is_added_once_by_its_ceremony(store: Arc<dyn Store>) {
    let now = SystemClock.now();
    let who = subject();
    assert_eq!(
        store.passkeys_of(&who).await.unwrap(),
        PasskeyList::default()
    );
    let first = passkey(&who, "handle-1", now);
    let id = ceremony(&*store, register(&who, "handle-1"), now).await;

    // Not a sign-in's ceremony, not after its end, not an unknown one.
    let other = ceremony(&*store, sign_in(), now).await;
    assert_eq!(
        store.add_passkey(&other, &first, now).await.unwrap(),
        Added::CeremonyOver
    );
    assert_eq!(
        store.add_passkey(&id, &first, now + 300).await.unwrap(),
        Added::CeremonyOver
    );
    assert_eq!(
        store
            .add_passkey(&CeremonyId::generate(), &first, now)
            .await
            .unwrap(),
        Added::CeremonyOver
    );
    assert_eq!(store.get_passkey(&first.id).await.unwrap(), None);

    assert_eq!(
        store.add_passkey(&id, &first, now + 1).await.unwrap(),
        Added::Done
    );
    assert_eq!(store.get_ceremony(&id).await.unwrap(), None);
    assert_eq!(
        store.get_passkey(&first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(
        store.add_passkey(&id, &first, now + 2).await.unwrap(),
        Added::CeremonyOver
    );

    // The same credential again, or another user handle for the identity:
    // taken, and the ceremony stays open.
    let again = ceremony(&*store, register(&who, "handle-1"), now).await;
    assert_eq!(
        store.add_passkey(&again, &first, now + 3).await.unwrap(),
        Added::Taken
    );
    let stranger = passkey(&who, "handle-2", now);
    assert_eq!(
        store.add_passkey(&again, &stranger, now + 3).await.unwrap(),
        Added::Taken
    );
    assert!(store.get_ceremony(&again).await.unwrap().is_some());
    assert_eq!(store.get_passkey(&stranger.id).await.unwrap(), None);

    let second = passkey(&who, "handle-1", now);
    assert_eq!(
        store.add_passkey(&again, &second, now + 4).await.unwrap(),
        Added::Done
    );
    let mut list = store.passkeys_of(&who).await.unwrap();
    list.ids.sort();
    let mut ids = vec![first.id.clone(), second.id.clone()];
    ids.sort();
    assert_eq!(
        list,
        PasskeyList {
            user_handle: Some("handle-1".into()),
            ids
        }
    );
}

/// A use consumes a sign-in's ceremony and records the passkey's counter;
/// a replay, a use of a removed or meanwhile used passkey, another
/// identity's claim: refused, nothing written.
pub(crate) async fn a_passkey_use_completes_its_ceremony_once(store: Arc<dyn Store>) {
    let (key, now) = added(&*store).await;
    let id = ceremony(&*store, sign_in(), now).await;

    let registering = ceremony(&*store, register(&key.subject, "handle-1"), now).await;
    assert_eq!(
        store
            .use_passkey(&registering, &use_of(&key, 1, now + 2))
            .await
            .unwrap(),
        Used::CeremonyOver
    );
    assert_eq!(
        store
            .use_passkey(&id, &use_of(&key, 1, now + 300))
            .await
            .unwrap(),
        Used::CeremonyOver
    );
    let moved = PasskeyUse {
        sign_count_before: 5,
        ..use_of(&key, 6, now + 2)
    };
    assert_eq!(
        store.use_passkey(&id, &moved).await.unwrap(),
        Used::PasskeyChanged
    );
    let claimed = PasskeyUse {
        subject: subject(),
        ..use_of(&key, 1, now + 2)
    };
    assert_eq!(
        store.use_passkey(&id, &claimed).await.unwrap(),
        Used::PasskeyChanged
    );
    assert_eq!(store.get_passkey(&key.id).await.unwrap(), Some(key.clone()));
    assert!(store.get_ceremony(&id).await.unwrap().is_some());

    assert_eq!(
        store
            .use_passkey(&id, &use_of(&key, 1, now + 2))
            .await
            .unwrap(),
        Used::Done
    );
    let used = Passkey {
        sign_count: 1,
        credential: r#"{"counter":1}"#.into(),
        last_used_at: Some(now + 2),
        ..key.clone()
    };
    assert_eq!(
        store.get_passkey(&key.id).await.unwrap(),
        Some(used.clone())
    );
    // The same challenge answered again: refused.
    assert_eq!(
        store
            .use_passkey(&id, &use_of(&used, 2, now + 3))
            .await
            .unwrap(),
        Used::CeremonyOver
    );

    // Removed, then used: refused.
    let later = ceremony(&*store, sign_in(), now).await;
    assert!(store.remove_passkey(&key.subject, &key.id).await.unwrap());
    assert_eq!(
        store
            .use_passkey(&later, &use_of(&used, 2, now + 4))
            .await
            .unwrap(),
        Used::PasskeyChanged
    );
    assert_eq!(store.get_passkey(&key.id).await.unwrap(), None);
}

/// Many answers to one challenge at once: one wins.
pub(crate) async fn concurrent_uses_of_one_challenge_have_one_winner(store: Arc<dyn Store>) {
    let (key, now) = added(&*store).await;
    let id = ceremony(&*store, sign_in(), now).await;
    let results = race_n(&store, CONCURRENCY, |store, _| {
        let (id, use_) = (id.clone(), use_of(&key, 1, now + 1));
        async move { store.use_passkey(&id, &use_).await.unwrap() }
    })
    .await;
    let won = results.iter().filter(|r| **r == Used::Done).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.iter().all(|r| *r != Used::PasskeyChanged));
}

/// Only its identity removes a passkey, once; the list forgets it.
pub(crate) async fn only_its_identity_removes_a_passkey(store: Arc<dyn Store>) {
    let (key, _) = added(&*store).await;
    assert!(!store.remove_passkey(&subject(), &key.id).await.unwrap());
    assert!(store.get_passkey(&key.id).await.unwrap().is_some());
    assert!(store.remove_passkey(&key.subject, &key.id).await.unwrap());
    assert!(!store.remove_passkey(&key.subject, &key.id).await.unwrap());
    let list = store.passkeys_of(&key.subject).await.unwrap();
    assert_eq!(list.user_handle.as_deref(), Some("handle-1"));
    assert!(list.ids.is_empty(), "{list:?}");
}
