//! The keys and windows of the budgets, the admission's order, what each
//! refusal answers, and the lockouts summed from an address's flows.

use super::lockout::lockout_length;
use super::*;
use crate::domain::{ApprovingTry, CodeHash, FlowId, FlowRecord, pow};
use crate::metrics;
use crate::store::{Lockout, Refusal, Untried, keys};

fn budget() -> Limiter {
    Limiter::new(Limits::default(), CodeHasher::ephemeral(), 5)
}

const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

/// The admission of a message to `email` at `now` with `proof`, for a new
/// flow of an address with no flows yet.
fn admission(b: &Limiter, email: &Email, now: u64, proof: Option<&pow::Solved>) -> SendAdmission {
    owned(b, email, now, proof, None)
}

/// [`admission`] from a browser whose device cookie or session proved the
/// address, naming its device's budget `owner`.
fn owned(
    b: &Limiter,
    email: &Email,
    now: u64,
    proof: Option<&pow::Solved>,
    owner: Option<&str>,
) -> SendAdmission {
    let flow = FlowId::generate();
    let message = Message {
        email,
        ip: IP,
        now,
        proof,
        flow: &flow,
        owner,
    };
    b.send_admission(message, &[])
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
    let keys = |address: &str| {
        let email = Email::parse(address).unwrap();
        let send = admission(&b, &email, 1_000_000, None);
        let charges: Vec<String> = send.admission.charges[1..]
            .iter()
            .map(|c| c.key.clone())
            .collect();
        (
            charges,
            b.flow_lists(&email, 1_000_000),
            send.admission.suppressions,
        )
    };
    let (charges, lists, suppressions) = keys("ann@example.com");
    let tagged = keys("Ann+news@EXAMPLE.com");
    assert_eq!((charges, lists), (tagged.0, tagged.1));
    // The suppression is the identity's: a tag off the provider list is
    // another address, which a bounce of this one does not silence.
    assert_ne!(suppressions, tagged.2);
    assert_ne!(keys("ann@example.com"), keys("bob@example.com"));
}

#[test]
fn the_client_comes_first_and_a_proof_pays_for_what_it_was_asked() {
    let b = budget();
    let email = Email::parse("ann@example.com").unwrap();
    let free = admission(&b, &email, 1_000_000, None);
    assert!(free.admission.charges[0].key.starts_with("limit#send-ip#"));
    assert_eq!(
        free.admission.charges[2].limit,
        Limits::default().sends_per_email_per_day
    );
    assert_eq!(free.admission.lock_allowance, 0);
    // The easiest proof pays for one message over the free budget and no
    // lockout; a harder one for more, never past the cap.
    let paid = |difficulty| {
        let solved = pow::Solved {
            mark: "ab".into(),
            expires_at: 1_000_300,
            difficulty,
        };
        admission(&b, &email, 1_000_000, Some(&solved)).admission
    };
    let easiest = paid(18);
    assert_eq!(easiest.charges[2].limit, 11);
    assert_eq!(easiest.lock_allowance, 0);
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
    let email = Email::parse("ann@example.com").unwrap();
    let free = admission(&b, &email, 1_000_000, None);
    let pair = b.refused(&free, Refusal::Budget { index: 1, count: 5 });
    let solved = pow::Solved {
        mark: "ab".into(),
        expires_at: 1_000_300,
        difficulty: 18,
    };
    let paid = admission(&b, &email, 1_000_000, Some(&solved));
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
    let email = Email::parse("ann@example.com").unwrap();
    let free = admission(&b, &email, 1_000_000, None);
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

/// The owner's device replaces the budgets strangers can spend with its
/// own: the client's stays, the address's sends still count the message
/// and list its flow (for the lockouts) but never refuse it, suppressions
/// stay, and a refusal of the device's budget is told exactly, like the
/// client's own.
#[test]
fn the_owners_device_is_charged_in_place_of_the_address() {
    let b = budget();
    let email = Email::parse("ann@example.com").unwrap();
    let free = admission(&b, &email, 1_000_000, None);
    let mine = owned(&b, &email, 1_000_000, None, Some("device:ann"));
    let scopes = |send: &SendAdmission| -> Vec<String> {
        send.admission
            .charges
            .iter()
            .map(|c| keys::counter_scope(&c.key).unwrap().to_owned())
            .collect()
    };
    assert_eq!(scopes(&free), ["send-ip", "send-pair", "send-email"]);
    assert_eq!(scopes(&mine), ["send-ip", "send-email", "send-device"]);
    assert_eq!(mine.admission.charges[0], free.admission.charges[0]);
    assert_eq!(mine.admission.charges[1].key, free.admission.charges[2].key);
    assert_eq!(mine.admission.charges[1].limit, u32::MAX);
    assert!(mine.admission.charges[1].lists.is_some());
    assert_eq!(
        mine.admission.charges[2].limit,
        Limits::default().sends_per_device_per_day
    );
    assert_eq!(mine.admission.suppressions, free.admission.suppressions);
    let other = owned(&b, &email, 1_000_000, None, Some("device:bob"));
    assert_ne!(
        other.admission.charges[2].key,
        mine.admission.charges[2].key
    );
    let spent = Refusal::Budget {
        index: 2,
        count: 10,
    };
    assert_eq!(
        b.refused(&mine, spent),
        Refused::Device {
            retry_after: DAY - 1_000_000 % DAY
        }
    );
    assert_eq!(
        b.refused_budget(&mine, &spent),
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

/// A flow of the address with tries counted at `tries`, unapproved, whose
/// code expires at `expires_at`.
fn flow_with(tries: &[u64], expires_at: u64) -> FlowRecord {
    FlowRecord {
        id: FlowId::generate(),
        email: Email::parse("ann@example.com").unwrap(),
        code_hash: CodeHash([1; 32]),
        sealed_code: None,
        key_id: "k1".into(),
        attempts: tries.len() as u32,
        tries: tries.to_vec(),
        sends: 1,
        created_at: expires_at - 600,
        expires_at,
        last_sent_at: expires_at - 600,
        used_at: None,
        approved_by: None,
        sign_in: None,
        language: otp_api::locale::SOURCE,
    }
}

fn limits(failures: u32) -> Limiter {
    let limits = Limits {
        failures_per_email_per_day: failures,
        ..Limits::default()
    };
    Limiter::new(limits, CodeHasher::ephemeral(), 5)
}

/// The lockout of a day starts at the failure that completes its number
/// and lasts its length from there; a later one of the day replaces it;
/// yesterday's still holds past midnight until it ends.
#[test]
fn lockouts_start_at_the_failure_that_completes_them() {
    let b = limits(4);
    let day = 100 * DAY;
    let noon = day + DAY / 2;
    let flows = [
        flow_with(&[noon - 30, noon - 20, noon - 10], noon + 500),
        flow_with(&[noon], noon + 600),
    ];
    let at = |now| b.lockouts(&flows, now, 0).holding;
    assert_eq!(
        at(noon),
        [Lockout {
            until: noon + 900,
            n: 1
        }]
    );
    assert_eq!(
        at(noon + 899),
        [Lockout {
            until: noon + 900,
            n: 1
        }]
    );
    assert_eq!(at(noon + 900), []);
    // Three failures are not a lockout; eight are the second of the day.
    assert_eq!(b.lockouts(&flows[..1], noon, 0).holding, []);
    let late = day + DAY - 100;
    let more = [
        flows[0].clone(),
        flows[1].clone(),
        flow_with(&[late - 4, late - 3, late - 2, late - 1], late + 500),
    ];
    let second = Lockout {
        until: late - 1 + 1800,
        n: 2,
    };
    assert_eq!(b.lockouts(&more, late, 0).holding, [second]);
    // After midnight yesterday's second lockout still holds; a proof that
    // pays for two lets the message through (the store's check), one that
    // pays for one does not.
    let admission = |allowance| crate::store::Admission {
        lockouts: b.lockouts(&more, day + DAY + 60, allowance).holding,
        lock_allowance: allowance,
        now: day + DAY + 60,
        ..crate::store::Admission::default()
    };
    assert_eq!(admission(0).lockouts, [second]);
    assert!(admission(1).locked_out());
    assert!(!admission(2).locked_out());
    assert_eq!(b.lockouts(&more, second.until, 0).holding, []);
}

/// The approving try and the tries after the approval are no failures.
#[test]
fn an_approved_flows_failures_are_its_wrong_tries_before_the_approval() {
    let b = limits(2);
    let now = 100 * DAY + 1000;
    let mut approved = flow_with(&[now - 3, now - 2, now - 1], now + 500);
    approved.used_at = Some(now - 2);
    approved.approved_by = Some(ApprovingTry {
        number: 2,
        counted: 2,
    });
    assert_eq!(b.lockouts(&[approved.clone()], now, 0).holding, []);
    approved.approved_by = Some(ApprovingTry {
        number: 2,
        counted: 3,
    });
    assert_eq!(
        b.lockouts(&[approved], now, 0).holding,
        [Lockout {
            until: now - 1 + 900,
            n: 1
        }]
    );
}

/// The live flows are listed as untried only when their tries left could
/// reach today's next lockout that the proof does not pay for.
#[test]
fn live_flows_are_held_only_when_a_lockout_is_within_reach() {
    let b = limits(6);
    let now = 100 * DAY + 1000;
    let live = flow_with(&[now - 2, now - 1], now + 500);
    let expired = flow_with(&[now - 700, now - 690, now - 680], now - 100);
    let flows = [live.clone(), expired];
    // 5 failures, 3 tries left on the live flow: the 6th could be one.
    let held = b.lockouts(&flows, now, 0);
    assert_eq!(
        held.untried,
        [Untried {
            flow: live.id.clone(),
            attempts: 2
        }]
    );
    // A proof paying for the first lockout: nothing to hold.
    assert_eq!(b.lockouts(&flows, now, 1).untried, []);
    // Out of reach: 2 failures and 3 tries left make 5 of 6.
    assert_eq!(b.lockouts(&[live], now, 0).untried, []);
}
