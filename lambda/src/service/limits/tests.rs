//! The keys and windows of the budgets, the admission's order and what
//! each refusal answers.

use super::*;
use crate::domain::pow;
use crate::store::Refusal;

fn budget() -> Limiter {
    Limiter::new(Limits::default(), CodeHasher::ephemeral())
}

#[test]
fn keys_hide_the_subject_and_windows_are_fixed() {
    let (key, end) = budget().counter_key("send-email", "ann@example.com", DAY, DAY * 100 + 10);
    assert!(key.starts_with("limit#send-email#"));
    assert!(key.ends_with("#100"));
    assert!(!key.contains("ann"));
    assert_eq!(end, DAY * 101);
}

#[test]
fn spellings_of_one_mailbox_share_the_address_budgets() {
    let b = budget();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let keys = |address: &str| {
        let email = Email::parse(address).unwrap();
        let send = b.send_admission(&email, ip, 1_000_000, None, None);
        (
            send.admission.charges[1..].to_vec(),
            send.admission.locks,
            send.admission.suppressions,
        )
    };
    let (charges, locks, suppressions) = keys("ann@example.com");
    let tagged = keys("Ann+news@EXAMPLE.com");
    assert_eq!((charges, locks), (tagged.0, tagged.1));
    // The suppression is the identity's: a tag off the provider list is
    // another address, which a bounce of this one does not silence.
    assert_ne!(suppressions, tagged.2);
    assert_ne!(keys("ann@example.com"), keys("bob@example.com"));
}

#[test]
fn the_client_comes_first_and_a_proof_pays_for_what_it_was_asked() {
    let b = budget();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let free = b.send_admission(&email, ip, 1_000_000, None, None);
    assert!(free.admission.charges[0].key.starts_with("limit#send-ip#"));
    assert_eq!(
        free.admission.charges[2].limit,
        Limits::default().sends_per_email_per_day
    );
    assert_eq!(
        (free.admission.locks.len(), free.admission.lock_allowance),
        (2, 0)
    );
    // The easiest proof pays for one message over the free budget and no
    // lockout; a harder one for more, never past the cap.
    let paid = |difficulty| {
        let solved = pow::Solved {
            mark: "ab".into(),
            expires_at: 1_000_300,
            difficulty,
        };
        b.send_admission(&email, ip, 1_000_000, Some(&solved), None)
            .admission
    };
    let easiest = paid(18);
    assert_eq!(easiest.charges[2].limit, 11);
    assert_eq!((easiest.locks.len(), easiest.lock_allowance), (2, 0));
    assert_eq!(
        easiest.proof.as_ref().map(|p| p.key.as_str()),
        Some("pow#ab")
    );
    let harder = paid(20);
    assert_eq!((harder.charges[2].limit, harder.lock_allowance), (17, 2));
    assert_eq!(
        paid(24).charges[2].limit,
        Limits::default().max_sends_per_email_per_day
    );
}

#[test]
fn refusals_of_the_address_look_alike_and_its_free_budget_asks_for_work() {
    let b = budget();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let free = b.send_admission(&email, ip, 1_000_000, None, None);
    let pair = b.refused(&free, Refusal::Budget { index: 1, count: 5 });
    let solved = pow::Solved {
        mark: "ab".into(),
        expires_at: 1_000_300,
        difficulty: 18,
    };
    let paid = b.send_admission(&email, ip, 1_000_000, Some(&solved), None);
    // Past what the proof paid for, under the cap: more work.
    assert_eq!(
        b.refused(
            &paid,
            Refusal::Budget {
                index: 2,
                count: 11
            }
        ),
        Refused::NeedsProof { difficulty: 19 }
    );
    // A spent proof sent again: the next one is harder.
    assert_eq!(
        b.refused(&paid, Refusal::ProofSpent),
        Refused::NeedsProof { difficulty: 19 }
    );
    let cap = b.refused(
        &paid,
        Refusal::Budget {
            index: 2,
            count: 20,
        },
    );
    assert_eq!(pair, cap);
    assert_eq!(pair, Refused::Address);
    let over = |count| b.refused(&free, Refusal::Budget { index: 2, count });
    assert_eq!(over(10), Refused::NeedsProof { difficulty: 18 });
    assert_eq!(over(13), Refused::NeedsProof { difficulty: 20 });
    assert_eq!(
        b.refused(&free, Refusal::Locked { until: 0, n: 2 }),
        Refused::NeedsProof { difficulty: 20 }
    );
    let client = b.refused(
        &free,
        Refusal::Budget {
            index: 0,
            count: 20,
        },
    );
    assert_eq!(
        client,
        Refused::Client {
            retry_after: 3600 - 1_000_000 % 3600
        }
    );
}

#[test]
fn the_metrics_name_the_budget_the_answer_hides() {
    let b = budget();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let free = b.send_admission(&email, ip, 1_000_000, None, None);
    let budget = |refusal| b.refused_budget(&free, &refusal);
    use metrics::RefusedBy as B;
    assert_eq!(
        budget(Refusal::Budget {
            index: 0,
            count: 20
        }),
        B::ClientSends
    );
    assert_eq!(budget(Refusal::Budget { index: 1, count: 5 }), B::Pair);
    assert_eq!(
        budget(Refusal::Budget {
            index: 2,
            count: 10
        }),
        B::ProofRequired
    );
    assert_eq!(
        budget(Refusal::Budget {
            index: 2,
            count: 20
        }),
        B::Address
    );
    assert_eq!(budget(Refusal::Locked { until: 0, n: 1 }), B::ProofRequired);
    assert_eq!(budget(Refusal::ProofSpent), B::ProofRequired);
    assert_eq!(budget(Refusal::Suppressed { until: 1 }), B::Suppressed);
}

/// The owner's device replaces the address's budgets with its own: the
/// client's stays, lockouts and suppressions stay, and a refusal of the
/// device's budget is told exactly, like the client's own.
#[test]
fn the_owners_device_is_charged_in_place_of_the_address() {
    let b = budget();
    let ip: IpAddr = "203.0.113.7".parse().unwrap();
    let email = Email::parse("ann@example.com").unwrap();
    let free = b.send_admission(&email, ip, 1_000_000, None, None);
    let owned = b.send_admission(&email, ip, 1_000_000, None, Some("device:ann"));
    let scopes = |send: &SendAdmission| -> Vec<String> {
        send.admission
            .charges
            .iter()
            .map(|c| keys::counter_scope(&c.key).unwrap().to_owned())
            .collect()
    };
    assert_eq!(scopes(&free), ["send-ip", "send-pair", "send-email"]);
    assert_eq!(scopes(&owned), ["send-ip", "send-device"]);
    assert_eq!(owned.admission.charges[0], free.admission.charges[0]);
    assert_eq!(
        owned.admission.charges[1].limit,
        Limits::default().sends_per_device_per_day
    );
    assert_eq!(owned.admission.locks, free.admission.locks);
    assert_eq!(owned.admission.suppressions, free.admission.suppressions);
    let other = b.send_admission(&email, ip, 1_000_000, None, Some("device:bob"));
    assert_ne!(
        other.admission.charges[1].key,
        owned.admission.charges[1].key
    );
    let spent = Refusal::Budget {
        index: 1,
        count: 10,
    };
    assert_eq!(
        b.refused(&owned, spent),
        Refused::Device {
            retry_after: DAY - 1_000_000 % DAY
        }
    );
    assert_eq!(
        b.refused_budget(&owned, &spent),
        metrics::RefusedBy::DeviceSends
    );
}

#[test]
fn lockouts_double_up_to_a_day() {
    let lengths: Vec<u64> = (1..=9).map(lockout_length).collect();
    assert_eq!(
        lengths,
        [900, 1800, 3600, 7200, 14400, 28800, 57600, DAY, DAY]
    );
    assert_eq!(lockout_length(u32::MAX), DAY);
}
