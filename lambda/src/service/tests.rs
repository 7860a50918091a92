//! Rules that need the store to fail in one place only; the API suites run
//! against stores that are wholly up or wholly down.

use super::*;
use crate::domain::{CodeHash, ManualClock, RequestId};
use crate::store::{Admission, MemoryStore, StoreError};
use crate::store::{
    Approval, Attempt, Created, IdempotencyKey, NewMessage, ResendGuard, ResendOutcome,
};
use async_trait::async_trait;
use otp_api::SendRequest;
use std::net::Ipv4Addr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The memory store, with switches that make one kind of call fail.
#[derive(Default)]
struct Faulty {
    inner: MemoryStore,
    /// Counters fail.
    counters_down: AtomicBool,
    /// Approvals are written, and then the caller is told the store timed
    /// out: the approval landed after the client's deadline.
    approve_late: AtomicBool,
    /// Calls that write (or may write) an item.
    writes: AtomicUsize,
}

impl Faulty {
    fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Store for Faulty {
    async fn create_flow(
        &self,
        flow: &FlowRecord,
        ttl: u64,
        idempotency: Option<&IdempotencyKey>,
        admission: &Admission,
    ) -> Result<Created, StoreError> {
        self.wrote();
        self.inner
            .create_flow(flow, ttl, idempotency, admission)
            .await
    }
    async fn key_holder(
        &self,
        key: &IdempotencyKey,
        now: u64,
    ) -> Result<Option<FlowId>, StoreError> {
        self.inner.key_holder(key, now).await
    }
    async fn get_flow(&self, id: &FlowId) -> Result<Option<FlowRecord>, StoreError> {
        self.inner.get_flow(id).await
    }
    async fn listed_flows(&self, lists: &[String]) -> Result<Vec<FlowRecord>, StoreError> {
        self.inner.listed_flows(lists).await
    }
    async fn delete_flow(
        &self,
        id: &FlowId,
        code_hash: &CodeHash,
        idempotency: Option<&IdempotencyKey>,
    ) -> Result<(), StoreError> {
        self.wrote();
        self.inner.delete_flow(id, code_hash, idempotency).await
    }
    async fn resend_code(
        &self,
        id: &FlowId,
        message: &NewMessage,
        guard: ResendGuard<'_>,
        admission: &Admission,
    ) -> Result<ResendOutcome, StoreError> {
        self.wrote();
        self.inner.resend_code(id, message, guard, admission).await
    }
    async fn restore_code(
        &self,
        previous: &FlowRecord,
        ttl: u64,
        failed_hash: &CodeHash,
    ) -> Result<(), StoreError> {
        self.wrote();
        self.inner.restore_code(previous, ttl, failed_hash).await
    }
    async fn count_attempt(
        &self,
        id: &FlowId,
        now: u64,
        max_attempts: u32,
        replay_since: u64,
    ) -> Result<Attempt, StoreError> {
        self.wrote();
        self.inner
            .count_attempt(id, now, max_attempts, replay_since)
            .await
    }
    async fn approve(
        &self,
        id: &FlowId,
        now: u64,
        code_hash: &CodeHash,
        try_number: u32,
    ) -> Result<Approval, StoreError> {
        self.wrote();
        let approval = self.inner.approve(id, now, code_hash, try_number).await?;
        if self.approve_late.load(Ordering::SeqCst) {
            return Err(StoreError::new("timed out (but the write landed)"));
        }
        Ok(approval)
    }
    async fn read_counter(&self, key: &str) -> Result<i64, StoreError> {
        if self.counters_down.load(Ordering::SeqCst) {
            return Err(StoreError::new("counters are down"));
        }
        self.inner.read_counter(key).await
    }
    async fn add_to_counter(&self, key: &str, amount: i64, ttl: u64) -> Result<i64, StoreError> {
        self.wrote();
        if self.counters_down.load(Ordering::SeqCst) {
            return Err(StoreError::new("counters are down"));
        }
        self.inner.add_to_counter(key, amount, ttl).await
    }
}

crate::forward_sign_in_steps!(Faulty, inner);

/// Keeps the codes it is asked to deliver, and the language of each.
#[derive(Default)]
struct Codes(Mutex<Vec<String>>, Mutex<Vec<&'static str>>);

#[async_trait]
impl Mailer for Codes {
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError> {
        let mut codes = self.0.lock().unwrap();
        codes.push(message.code.expose().to_owned());
        self.1.lock().unwrap().push(message.language.tag);
        Ok(())
    }
}

impl Codes {
    fn last_language(&self) -> Option<&'static str> {
        self.1.lock().unwrap().last().copied()
    }
}

const CLIENT: Client = Client::at(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));

struct Fixture {
    store: Arc<Faulty>,
    mailer: Arc<Codes>,
    clock: ManualClock,
    service: Service,
}

fn fixture() -> Fixture {
    let store = Arc::new(Faulty::default());
    let mailer = Arc::new(Codes::default());
    let clock = ManualClock::new(1_700_000_000);
    let service = Service::new(
        store.clone(),
        mailer.clone(),
        Arc::new(clock.clone()),
        CodeHasher::ephemeral(),
        Policy::default(),
        Limits::default(),
    );
    Fixture {
        store,
        mailer,
        clock,
        service,
    }
}

impl Fixture {
    async fn start(&self) -> (FlowId, String) {
        let sent = self
            .service
            .send(to("ann@example.com"), CLIENT)
            .await
            .unwrap();
        let code = self
            .mailer
            .0
            .lock()
            .unwrap()
            .pop()
            .expect("a code was sent");
        (sent.flow_id, code)
    }
}

/// A send to `email`, nothing more.
fn to(email: &str) -> SendInput {
    SendInput::to(Email::parse(email).unwrap())
}

/// A send as the API makes it: the body parsed, then sent.
async fn send(
    service: &Service,
    request: SendRequest,
    client: Client,
) -> Result<Sent, ServiceError> {
    service.send(SendInput::parse(&request)?, client).await
}

/// The body of a send to `email`, nothing more.
fn request(email: &str) -> SendRequest {
    SendRequest {
        email: email.to_owned(),
        request_id: None,
        proof: None,
        sign_in: None,
        locale: None,
    }
}

fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// A wrong code whose client budget cannot be counted is not judged: 503,
/// nothing said about it (its try is spent). A right code needs no budget
/// and is approved.
#[tokio::test]
async fn a_wrong_code_needs_its_budget_counted_a_right_one_does_not() {
    let f = fixture();
    let (flow, code) = f.start().await;
    f.store.counters_down.store(true, Ordering::SeqCst);
    let refused = f.service.verify(flow.as_str(), &wrong(&code), CLIENT).await;
    assert!(
        matches!(refused, Err(ServiceError::Store(_))),
        "{refused:?}"
    );
    let approved = f
        .service
        .verify(flow.as_str(), &code, CLIENT)
        .await
        .unwrap();
    assert_eq!(approved.email.as_str(), "ann@example.com");
    let record = f.store.get_flow(&flow).await.unwrap().unwrap();
    assert_eq!(record.attempts, 2);
}

/// The approval landed but its answer was lost (the store answered after
/// the deadline): the same right code, sent again, gets the same answer; a
/// wrong one is told the flow is used; after the replay window, so is the
/// right one.
#[tokio::test]
async fn a_right_code_sent_again_after_a_lost_answer_is_approved_again() {
    let f = fixture();
    let (flow, code) = f.start().await;
    f.store.approve_late.store(true, Ordering::SeqCst);
    let lost = f.service.verify(flow.as_str(), &code, CLIENT).await;
    assert!(matches!(lost, Err(ServiceError::Store(_))), "{lost:?}");
    f.store.approve_late.store(false, Ordering::SeqCst);

    let again = f
        .service
        .verify(flow.as_str(), &code, CLIENT)
        .await
        .unwrap();
    assert_eq!(again.email.as_str(), "ann@example.com");
    let wrong_after = f.service.verify(flow.as_str(), &wrong(&code), CLIENT).await;
    assert!(
        matches!(wrong_after, Err(ServiceError::AlreadyUsed)),
        "{wrong_after:?}"
    );
    f.clock.advance(REPLAY_WINDOW_SECS + 1);
    let late = f.service.verify(flow.as_str(), &code, CLIENT).await;
    assert!(matches!(late, Err(ServiceError::AlreadyUsed)), "{late:?}");
    // Every try was counted: the replays spent tries like any other.
    let record = f.store.get_flow(&flow).await.unwrap().unwrap();
    assert_eq!(record.attempts, 3);
}

/// Replays cannot go around the bound: once the tries are spent, even the
/// right code is not compared again.
#[tokio::test]
async fn replays_count_against_the_same_five_tries() {
    let f = fixture();
    let (flow, code) = f.start().await;
    for _ in 0..4 {
        let _ = f.service.verify(flow.as_str(), &wrong(&code), CLIENT).await;
    }
    f.service
        .verify(flow.as_str(), &code, CLIENT)
        .await
        .unwrap();
    let replay = f.service.verify(flow.as_str(), &code, CLIENT).await;
    assert!(
        matches!(replay, Err(ServiceError::AlreadyUsed)),
        "{replay:?}"
    );
    let record = f.store.get_flow(&flow).await.unwrap().unwrap();
    assert_eq!(record.attempts, 5);
}

/// A request without a client address is refused, not let through the
/// per-client budgets uncounted.
#[tokio::test]
async fn a_request_without_a_client_address_is_refused() {
    let f = fixture();
    let unknown = Client::at(None);
    let send = f.service.send(to("ann@example.com"), unknown.clone()).await;
    assert!(matches!(send, Err(ServiceError::ClientUnknown)), "{send:?}");
    assert!(f.mailer.0.lock().unwrap().is_empty(), "nothing was sent");
    let (flow, code) = f.start().await;
    let verify = f
        .service
        .verify(flow.as_str(), &code, unknown.clone())
        .await;
    assert!(
        matches!(verify, Err(ServiceError::ClientUnknown)),
        "{verify:?}"
    );
    let resend = f.service.resend(flow.as_str(), None, None, unknown).await;
    assert!(
        matches!(resend, Err(ServiceError::ClientUnknown)),
        "{resend:?}"
    );
}

/// A refused request costs at most one write: the admission that names the
/// spent budget; then the gate remembers, and the next refusal costs none.
#[tokio::test]
async fn a_refused_request_costs_at_most_one_write() {
    let f = fixture();
    let limits = Limits {
        sends_per_ip_per_hour: 2,
        verifies_per_ip_per_hour: 4,
        ..Limits::default()
    };
    // Another instance over the same store and keys: its gate has seen nothing.
    let hasher = CodeHasher::ephemeral();
    let other = |store: Arc<Faulty>| {
        Service::new(
            store,
            f.mailer.clone(),
            Arc::new(f.clock.clone()),
            hasher.clone(),
            Policy::default(),
            limits.clone(),
        )
    };
    let first = other(f.store.clone());
    for n in 0..2 {
        let email = format!("person{n}@example.com");
        first.send(to(&email), CLIENT).await.unwrap();
    }
    let second = other(f.store.clone());
    let before = f.store.writes();
    let refused = second.send(to("late@example.com"), CLIENT).await;
    assert!(
        matches!(refused, Err(ServiceError::RateLimited { .. })),
        "{refused:?}"
    );
    assert_eq!(f.store.writes() - before, 1, "the refused admission");
    let before = f.store.writes();
    let refused = second.send(to("later@example.com"), CLIENT).await;
    assert!(
        matches!(refused, Err(ServiceError::RateLimited { .. })),
        "{refused:?}"
    );
    assert_eq!(f.store.writes() - before, 0, "the gate remembers");

    // The address's free budget spent: the challenge costs the one write.
    let third = other(f.store.clone());
    let owner = Client::at(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 9))));
    for _ in 0..Limits::default().sends_per_email_per_day {
        let stranger = Client::at(Some(IpAddr::V4(Ipv4Addr::new(127, 0, 1, rand::random()))));
        let _ = third.send(to("ann@example.com"), stranger).await;
    }
    let before = f.store.writes();
    let asked = third.send(to("ann@example.com"), owner.clone()).await;
    assert!(
        matches!(asked, Err(ServiceError::ProofRequired(_))),
        "{asked:?}"
    );
    assert_eq!(f.store.writes() - before, 1);

    // A verifying client that has used half its bucket reads its budget
    // first: over it, no write at all, and no try counted.
    let verifier = other(f.store.clone());
    let sent = verifier.send(to("bob@example.com"), owner).await.unwrap();
    let (flow, code) = (sent.flow_id, f.mailer.0.lock().unwrap().pop().unwrap());
    for _ in 0..2 {
        let _ = verifier.verify(flow.as_str(), &wrong(&code), CLIENT).await;
    }
    let spender = other(f.store.clone());
    for _ in 0..4 {
        let _ = spender
            .verify("AAAAAAAAAAAAAAAAAAAAAA", &code, CLIENT)
            .await;
    }
    let before = f.store.writes();
    let refused = verifier.verify(flow.as_str(), &code, CLIENT).await;
    assert!(
        matches!(refused, Err(ServiceError::RateLimited { .. })),
        "{refused:?}"
    );
    assert_eq!(f.store.writes() - before, 0);
    let record = f.store.get_flow(&flow).await.unwrap().unwrap();
    assert_eq!((record.attempts, record.used_at), (2, None));
}

/// A page's retry of a send that went through gets its flow back even when
/// the client's hourly budget is spent by then, and nothing more is sent.
#[tokio::test]
async fn a_repeated_send_is_answered_when_the_client_budget_is_spent() {
    let f = fixture();
    let service = Service::new(
        f.store.clone(),
        f.mailer.clone(),
        Arc::new(f.clock.clone()),
        CodeHasher::ephemeral(),
        Policy::default(),
        Limits {
            sends_per_ip_per_hour: 1,
            ..Limits::default()
        },
    );
    let first = service
        .send(
            SendInput {
                request_id: RequestId::parse("page-1"),
                ..to("ann@example.com")
            },
            CLIENT,
        )
        .await
        .unwrap();
    let again = service
        .send(
            SendInput {
                request_id: RequestId::parse("page-1"),
                ..to("ann@example.com")
            },
            CLIENT,
        )
        .await
        .unwrap();
    assert_eq!(again.flow_id, first.flow_id);
    let other = service
        .send(
            SendInput {
                request_id: RequestId::parse("page-2"),
                ..to("ann@example.com")
            },
            CLIENT,
        )
        .await;
    assert!(
        matches!(other, Err(ServiceError::RateLimited { .. })),
        "{other:?}"
    );
    assert_eq!(f.mailer.0.lock().unwrap().len(), 1);
}

/// A challenge's length is counted in characters, as the OpenAPI document's
/// `maxLength` is: 256 accented letters are a well-formed (if foreign)
/// challenge, treated as no proof; 257 are a malformed request.
#[tokio::test]
async fn a_challenge_is_measured_in_characters() {
    let f = fixture();
    let proof = |n: usize| Proof {
        challenge: "é".repeat(n),
        nonce: 0,
    };
    let sent = send(
        &f.service,
        SendRequest {
            proof: Some(proof(256)),
            ..request("ann@example.com")
        },
        CLIENT,
    )
    .await;
    assert!(sent.is_ok(), "{sent:?}");
    let refused = send(
        &f.service,
        SendRequest {
            proof: Some(proof(257)),
            ..request("ann@example.com")
        },
        CLIENT,
    )
    .await;
    assert!(
        matches!(refused, Err(ServiceError::InvalidProof)),
        "{refused:?}"
    );
}

/// A send is written in its `locale`, else in the configured default; the
/// flow keeps the language, a resend without `locale` writes in it, and a
/// resend with one switches the flow to it.
#[tokio::test]
async fn the_language_comes_from_the_request_or_the_default_and_stays_with_the_flow() {
    let mut f = fixture();
    let policy = Policy {
        default_language: locale::exact("de").unwrap(),
        ..Policy::default()
    };
    f.service = Service::new(
        f.store.clone(),
        f.mailer.clone(),
        Arc::new(f.clock.clone()),
        CodeHasher::ephemeral(),
        policy,
        Limits::default(),
    );
    let language = |flow: &FlowId| {
        let store = f.store.clone();
        let flow = flow.clone();
        async move { store.get_flow(&flow).await.unwrap().unwrap().language.tag }
    };

    let (defaulted, _) = f.start().await;
    assert_eq!(f.mailer.last_language(), Some("de"));
    assert_eq!(language(&defaulted).await, "de");

    let sent = send(
        &f.service,
        SendRequest {
            locale: Some("FR".into()),
            ..request("bob@example.com")
        },
        CLIENT,
    )
    .await
    .unwrap();
    assert_eq!(f.mailer.last_language(), Some("fr"));
    assert_eq!(language(&sent.flow_id).await, "fr");

    let flow = sent.flow_id.as_str();
    f.clock.advance(60);
    f.service.resend(flow, None, None, CLIENT).await.unwrap();
    assert_eq!(f.mailer.last_language(), Some("fr"), "kept");
    f.clock.advance(60);
    f.service
        .resend(flow, None, Some("ar"), CLIENT)
        .await
        .unwrap();
    assert_eq!(f.mailer.last_language(), Some("ar"), "switched");
    assert_eq!(language(&sent.flow_id).await, "ar");
    f.clock.advance(60);
    f.service.resend(flow, None, None, CLIENT).await.unwrap();
    assert_eq!(f.mailer.last_language(), Some("ar"), "the switch stays");
}

/// A `locale` that names no supported language exactly is a malformed
/// request, refused before anything is written or sent.
#[tokio::test]
async fn an_unsupported_locale_is_refused_before_any_write() {
    let f = fixture();
    let (flow, _) = f.start().await;
    let (writes, sent) = (f.store.writes(), f.mailer.0.lock().unwrap().len());
    for bad in ["pt-PT", "de-AT", "zh", "en_US", "", "*"] {
        let send = send(
            &f.service,
            SendRequest {
                locale: Some(bad.into()),
                ..request("ann@example.com")
            },
            CLIENT,
        )
        .await;
        assert!(
            matches!(send, Err(ServiceError::InvalidLocale)),
            "{bad:?}: {send:?}"
        );
        let resend = f
            .service
            .resend(flow.as_str(), None, Some(bad), CLIENT)
            .await;
        assert!(
            matches!(resend, Err(ServiceError::InvalidLocale)),
            "{bad:?}: {resend:?}"
        );
    }
    assert_eq!(f.store.writes(), writes);
    assert_eq!(f.mailer.0.lock().unwrap().len(), sent);
}

/// Every refused request counts against its client in memory, whatever
/// refused it: a client whose sends an address's budget refuses, or whose
/// resends come too soon, spends its bucket all the same, and past its
/// hourly number is refused without a store call.
#[tokio::test]
async fn refusals_by_any_budget_count_against_the_client_in_memory() {
    let f = fixture();
    let service = Service::new(
        f.store.clone(),
        f.mailer.clone(),
        Arc::new(f.clock.clone()),
        CodeHasher::ephemeral(),
        Policy::default(),
        Limits {
            sends_per_ip_per_hour: 3,
            sends_per_email_per_client_per_day: 1,
            ..Limits::default()
        },
    );
    let sent = service.send(to("ann@example.com"), CLIENT).await.unwrap();
    let pair = service.send(to("ann@example.com"), CLIENT).await;
    assert!(
        matches!(pair, Err(ServiceError::RateLimited { .. })),
        "{pair:?}"
    );
    let soon = service
        .resend(sent.flow_id.as_str(), None, None, CLIENT)
        .await;
    assert!(
        matches!(soon, Err(ServiceError::ResendTooSoon { .. })),
        "{soon:?}"
    );
    let before = f.store.writes();
    let refused = service.send(to("bob@example.com"), CLIENT).await;
    assert!(
        matches!(refused, Err(ServiceError::RateLimited { .. })),
        "{refused:?}"
    );
    assert_eq!(f.store.writes(), before, "refused in memory");
    assert_eq!(f.mailer.0.lock().unwrap().len(), 1);
}
