//! What a new message must pass, checked and charged in the same atomic
//! write as the flow change it admits, and the one order both stores check
//! it in.
//!
//! Each check is a rule on one item, written once here: the predicate the
//! memory store applies under its lock (`Check::passes`), and beside it the
//! DynamoDB condition that says the same. `Admission::checks` lists the
//! checks in one order; the memory store tests them in that order, and the
//! DynamoDB store writes them as the items of its transaction in that
//! order, so each cancellation reason belongs to the check at its place,
//! and `Admission::refusal` reads the answer of either.
//!
//! The address's lockouts are the one check without an item: the caller
//! sums them from the address's flows ([`super::Store::listed_flows`]) and
//! hands them over as found ([`Lockout`]). A lockout that holds refuses
//! without a write; the other checks are then read, not written, so the
//! refusal still names what a write would have. Between the caller's read
//! and the write, a try counted on one of the address's live flows could
//! start a lockout the caller did not see: when its tries left could reach
//! the next lockout, the caller lists those flows with the tries it saw
//! ([`Untried`]), and the write is made only if they still hold exactly
//! those, else nothing is written and the caller reads again. So a new
//! message is admitted against the lockouts as they are when it is written.

use crate::domain::FlowId;

/// A budget counter that the admitting write adds one to, refusing the
/// write while the counter is at `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// A counter key ([`super::keys::counter`]).
    pub key: String,
    pub limit: u32,
    pub ttl: u64,
    /// The flow the message is for, which the admitting write adds to the
    /// counter's list of flows: how a later message finds the address's
    /// flows (and their failures) of the counter's window.
    pub lists: Option<FlowId>,
}

/// A lockout of the address found by the caller: number `n` of its day,
/// holding until `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub until: u64,
    pub n: u32,
}

/// A live flow of the address and the tries the caller saw it hold: the
/// admission is written only while it holds exactly these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untried {
    pub flow: FlowId,
    pub attempts: u32,
}

/// A spent proof of work: written by the admitting write, which is refused
/// if it exists already, so a solution buys one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofMark {
    /// A proof key ([`super::keys::proof`]).
    pub key: String,
    pub ttl: u64,
}

/// What a new message must pass, checked and charged in the same atomic
/// write as the flow change it admits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Admission {
    /// Charged by one each, in this order; [`Refusal::Budget`] names one by index.
    pub charges: Vec<Charge>,
    /// The address's lockouts that hold at `now` (today's, then
    /// yesterday's): the write is refused while one of them has a number
    /// above `lock_allowance`.
    pub lockouts: Vec<Lockout>,
    /// Lockouts up to this number of their day are let through (a proof of
    /// work paid for them); 0 lets none through.
    pub lock_allowance: u32,
    /// Flows whose tries must be as the caller saw them (see the module).
    pub untried: Vec<Untried>,
    pub proof: Option<ProofMark>,
    /// Suppression items ([`super::keys::suppression`]: the mailbox's under
    /// the pseudonym key, then under each known HMAC key for those written
    /// before, see [`super::suppression`]): the write is refused while one
    /// of them holds an `until` after `now`.
    pub suppressions: Vec<String>,
    pub now: u64,
}

/// Why an admission was refused; nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `charges[index]` is at its limit; `count` is its value.
    Budget { index: usize, count: i64 },
    /// A lockout lasts until `until`; it is lockout number `n` of its day.
    Locked { until: u64, n: u32 },
    /// The proof of work was spent before.
    ProofSpent,
    /// The mailbox is suppressed until `until`. Named before any budget a
    /// write also fails: no proof of work or wait would get the message through.
    Suppressed { until: u64 },
}

/// One check of an admission, on one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check<'a> {
    /// The mailbox is not suppressed under this suppression key.
    Unsuppressed(&'a str),
    /// `charges[index]` is below its limit; the write adds one to it.
    Charge { index: usize, charge: &'a Charge },
    /// This lockout is over, or paid for: no item, the caller found it.
    Unlocked(&'a Lockout),
    /// The proof was never spent; the write records it.
    ProofUnspent(&'a ProofMark),
}

/// The attributes of a checked item that its rule reads, as the store found
/// them: each `None` when the item (or the attribute) does not exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// A counter's `count`.
    pub(crate) count: Option<i64>,
    /// A suppression's `until`.
    pub(crate) until: Option<u64>,
    /// Whether the item exists at all.
    pub(crate) exists: bool,
}

/// [`Check::Unsuppressed`] as a DynamoDB condition; binds `:now`.
pub(crate) const UNSUPPRESSED: &str = "attribute_not_exists(#until) OR #until <= :now";
/// [`Check::Charge`] as a DynamoDB condition; binds `:limit`.
pub(crate) const UNDER_LIMIT: &str = "attribute_not_exists(#count) OR #count < :limit";
/// [`Check::ProofUnspent`] as a DynamoDB condition.
pub(crate) const UNSPENT: &str = "attribute_not_exists(pk)";
/// [`Untried`] as a DynamoDB condition on its flow; binds `:seen`.
pub(crate) const UNTRIED: &str = "attempts = :seen";

impl<'a> Check<'a> {
    /// The item the check reads; `None` for a lockout, which has none.
    pub(crate) fn key(&self) -> Option<&'a str> {
        match *self {
            Check::Unsuppressed(key) => Some(key),
            Check::Charge { charge, .. } => Some(&charge.key),
            Check::ProofUnspent(proof) => Some(&proof.key),
            Check::Unlocked(_) => None,
        }
    }

    /// Whether the item as `found` lets `admission` through; the DynamoDB
    /// condition beside each rule above says the same.
    pub(crate) fn passes(&self, found: &Found, admission: &Admission) -> bool {
        let now = admission.now;
        match self {
            Check::Unsuppressed(_) => found.until.is_none_or(|until| until <= now),
            Check::Charge { charge, .. } => found
                .count
                .is_none_or(|count| count < i64::from(charge.limit)),
            Check::Unlocked(lockout) => {
                lockout.until <= now || lockout.n <= admission.lock_allowance
            }
            Check::ProofUnspent(_) => !found.exists,
        }
    }
}

impl Admission {
    /// Every check, in one order: the charges in theirs, then the lockouts,
    /// then the proof, then the suppressions. The memory store tests them
    /// in this order; the DynamoDB store writes them as its transaction's
    /// items in this order.
    pub(crate) fn checks(&self) -> impl Iterator<Item = Check<'_>> {
        let charges = (self.charges.iter().enumerate())
            .map(|(index, charge)| Check::Charge { index, charge });
        let locks = self.lockouts.iter().map(Check::Unlocked);
        let proof = self.proof.iter().map(Check::ProofUnspent);
        let suppressions = self.suppressions.iter().map(|key| Check::Unsuppressed(key));
        charges.chain(locks).chain(proof).chain(suppressions)
    }

    /// The refusal of the checks that `failed`, in the order of
    /// [`Admission::checks`], each with what it found: while the mailbox is
    /// suppressed, that, until the latest `until` among its keys (no proof
    /// of work or wait would get the message through); otherwise the first
    /// failed check. `None` when none failed.
    pub(crate) fn refusal<'a>(
        &self,
        failed: impl IntoIterator<Item = (Check<'a>, Found)>,
    ) -> Option<Refusal> {
        let mut suppressed: Option<u64> = None;
        let mut first = None;
        for (check, found) in failed {
            let refusal = match check {
                Check::Unsuppressed(_) => {
                    let until = found.until.unwrap_or(self.now + 1);
                    suppressed = suppressed.max(Some(until));
                    continue;
                }
                Check::Charge { index, .. } => Refusal::Budget {
                    index,
                    count: found.count.unwrap_or(0),
                },
                Check::Unlocked(lockout) => Refusal::Locked {
                    until: lockout.until,
                    n: lockout.n,
                },
                Check::ProofUnspent(_) => Refusal::ProofSpent,
            };
            first.get_or_insert(refusal);
        }
        suppressed
            .map(|until| Refusal::Suppressed { until })
            .or(first)
    }
}

impl Admission {
    /// Whether a lockout refuses this admission: then nothing is written,
    /// and the other checks are only read, to name the refusal.
    pub(crate) fn locked_out(&self) -> bool {
        let found = Found::default();
        self.checks()
            .any(|check| matches!(check, Check::Unlocked(_)) && !check.passes(&found, self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(key: &str, limit: u32) -> Charge {
        Charge {
            key: key.into(),
            limit,
            ttl: 9,
            lists: None,
        }
    }

    const LOCKOUT: Lockout = Lockout { until: 200, n: 3 };

    /// The order the stores check in, and what each check reads.
    #[test]
    fn checks_come_in_one_order_charges_locks_proof_suppressions() {
        let admission = Admission {
            charges: vec![charge("limit#a", 1), charge("limit#b", 2)],
            lockouts: vec![LOCKOUT],
            proof: Some(ProofMark {
                key: "pow#m".into(),
                ttl: 9,
            }),
            suppressions: vec!["suppress#k2".into(), "suppress#k1".into()],
            ..Admission::default()
        };
        let keys: Vec<Option<&str>> = admission.checks().map(|c| c.key()).collect();
        assert_eq!(
            keys,
            [
                Some("limit#a"),
                Some("limit#b"),
                None,
                Some("pow#m"),
                Some("suppress#k2"),
                Some("suppress#k1")
            ]
        );
        assert!(matches!(
            admission.checks().nth(1),
            Some(Check::Charge { index: 1, .. })
        ));
    }

    /// A suppression is named before any other failed check, with the
    /// latest `until` of its keys; otherwise the first failed check is.
    #[test]
    fn the_refusal_is_the_suppression_or_the_first_failed_check() {
        let admission = Admission {
            charges: vec![charge("limit#a", 1), charge("limit#b", 2)],
            lockouts: vec![LOCKOUT],
            suppressions: vec!["suppress#k2".into(), "suppress#k1".into()],
            now: 100,
            ..Admission::default()
        };
        let checks: Vec<Check> = admission.checks().collect();
        let until = |until| Found {
            until: Some(until),
            exists: true,
            ..Found::default()
        };
        let count = |count| Found {
            count: Some(count),
            exists: true,
            ..Found::default()
        };
        let none = Found::default();
        assert_eq!(
            admission.refusal([
                (checks[0], count(1)),
                (checks[3], until(150)),
                (checks[4], until(300))
            ]),
            Some(Refusal::Suppressed { until: 300 })
        );
        assert_eq!(
            admission.refusal([(checks[1], count(2)), (checks[2], none)]),
            Some(Refusal::Budget { index: 1, count: 2 })
        );
        assert_eq!(
            admission.refusal([(checks[2], none)]),
            Some(Refusal::Locked { until: 200, n: 3 })
        );
        assert_eq!(admission.refusal([]), None);
    }

    /// Each rule as its DynamoDB condition reads: an item that does not
    /// exist passes every check; a lockout refuses until it ends, unless
    /// a proof paid for it.
    #[test]
    fn the_rules_pass_what_their_conditions_pass() {
        let mut admission = Admission {
            now: 100,
            ..Admission::default()
        };
        let none = Found::default();
        let limited = charge("limit#a", 2);
        let proof = ProofMark {
            key: "pow#m".into(),
            ttl: 9,
        };
        let over = Lockout { until: 100, n: 2 };
        let holding = Lockout { until: 101, n: 2 };
        let checks = [
            Check::Unsuppressed("suppress#k"),
            Check::Charge {
                index: 0,
                charge: &limited,
            },
            Check::Unlocked(&holding),
            Check::ProofUnspent(&proof),
        ];
        for check in [checks[0], checks[1], checks[3], Check::Unlocked(&over)] {
            assert!(check.passes(&none, &admission), "{check:?}");
        }
        let at = |until| Found {
            until: Some(until),
            exists: true,
            ..Found::default()
        };
        assert!(!checks[0].passes(&at(101), &admission));
        assert!(checks[0].passes(&at(100), &admission));
        let counted = |count| Found {
            count: Some(count),
            exists: true,
            ..Found::default()
        };
        assert!(checks[1].passes(&counted(1), &admission));
        assert!(!checks[1].passes(&counted(2), &admission));
        assert!(!checks[2].passes(&none, &admission));
        admission.lock_allowance = 2;
        assert!(checks[2].passes(&none, &admission));
        let spent = Found {
            exists: true,
            ..Found::default()
        };
        assert!(!checks[3].passes(&spent, &admission));
    }

    /// Only a lockout that holds and is not paid for locks the address out.
    #[test]
    fn a_lockout_locks_out_until_it_ends_or_is_paid_for() {
        let mut admission = Admission {
            lockouts: vec![Lockout { until: 50, n: 1 }, LOCKOUT],
            now: 100,
            ..Admission::default()
        };
        assert!(admission.locked_out());
        admission.lock_allowance = 3;
        assert!(!admission.locked_out());
        admission.lock_allowance = 0;
        admission.now = 200;
        assert!(!admission.locked_out());
        assert!(!Admission::default().locked_out());
    }
}
