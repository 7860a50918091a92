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

/// A budget counter that the admitting write adds one to, refusing the
/// write while the counter is at `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// A counter key ([`super::keys::counter`]).
    pub key: String,
    pub limit: u32,
    pub ttl: u64,
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
    /// Lockout items ([`super::keys::lock`]): the write is refused while one
    /// of them holds an `until` after `now` and a lockout number above
    /// `lock_allowance`.
    pub locks: Vec<String>,
    /// Lockouts up to this number of their day are let through (a proof of
    /// work paid for them); 0 lets none through.
    pub lock_allowance: u32,
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
    /// This lockout item does not hold.
    Unlocked(&'a str),
    /// The proof was never spent; the write records it.
    ProofUnspent(&'a ProofMark),
}

/// The attributes of a checked item that its rule reads, as the store found
/// them: each `None` when the item (or the attribute) does not exist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// A counter's `count`.
    pub(crate) count: Option<i64>,
    /// A lockout's or a suppression's `until`.
    pub(crate) until: Option<u64>,
    /// A lockout's number of its day, `n`.
    pub(crate) n: Option<u32>,
    /// Whether the item exists at all.
    pub(crate) exists: bool,
}

/// [`Check::Unsuppressed`] as a DynamoDB condition; binds `:now`.
pub(crate) const UNSUPPRESSED: &str = "attribute_not_exists(#until) OR #until <= :now";
/// [`Check::Charge`] as a DynamoDB condition; binds `:limit`.
pub(crate) const UNDER_LIMIT: &str = "attribute_not_exists(#count) OR #count < :limit";
/// [`Check::Unlocked`] as a DynamoDB condition; binds `:now`, `:allowance`.
pub(crate) const UNLOCKED: &str =
    "attribute_not_exists(#until) OR #until <= :now OR #n <= :allowance";
/// [`Check::ProofUnspent`] as a DynamoDB condition.
pub(crate) const UNSPENT: &str = "attribute_not_exists(pk)";

impl<'a> Check<'a> {
    /// The item the check reads.
    pub(crate) fn key(&self) -> &'a str {
        match *self {
            Check::Unsuppressed(key) | Check::Unlocked(key) => key,
            Check::Charge { charge, .. } => &charge.key,
            Check::ProofUnspent(proof) => &proof.key,
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
            Check::Unlocked(_) => {
                found.until.is_none_or(|until| until <= now)
                    || found.n.is_some_and(|n| n <= admission.lock_allowance)
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
        let locks = self.locks.iter().map(|key| Check::Unlocked(key));
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
                Check::Unlocked(_) => Refusal::Locked {
                    until: found.until.unwrap_or(self.now),
                    n: found.n.unwrap_or(1),
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

/// [`super::Store::set_lock`] writes lockout number `n` over the one held
/// (`held`, its number) only if it is a later one of the day.
pub(crate) fn later_lock(held: Option<u32>, n: u32) -> bool {
    held.is_none_or(|held| held < n)
}

/// [`later_lock`] as a DynamoDB condition; binds `:n`.
pub(crate) const LATER_LOCK: &str = "attribute_not_exists(#n) OR #n < :n";

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(key: &str, limit: u32) -> Charge {
        Charge {
            key: key.into(),
            limit,
            ttl: 9,
        }
    }

    /// The order the stores check in, and what each check reads.
    #[test]
    fn checks_come_in_one_order_charges_locks_proof_suppressions() {
        let admission = Admission {
            charges: vec![charge("limit#a", 1), charge("limit#b", 2)],
            locks: vec!["lock#x#1".into()],
            proof: Some(ProofMark {
                key: "pow#m".into(),
                ttl: 9,
            }),
            suppressions: vec!["suppress#k2".into(), "suppress#k1".into()],
            ..Admission::default()
        };
        let keys: Vec<&str> = admission.checks().map(|c| c.key()).collect();
        assert_eq!(
            keys,
            [
                "limit#a",
                "limit#b",
                "lock#x#1",
                "pow#m",
                "suppress#k2",
                "suppress#k1"
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
            locks: vec!["lock#x#1".into()],
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
        let lock = Found {
            n: Some(3),
            ..until(200)
        };
        assert_eq!(
            admission.refusal([
                (checks[0], count(1)),
                (checks[3], until(150)),
                (checks[4], until(300))
            ]),
            Some(Refusal::Suppressed { until: 300 })
        );
        assert_eq!(
            admission.refusal([(checks[1], count(2)), (checks[2], lock)]),
            Some(Refusal::Budget { index: 1, count: 2 })
        );
        assert_eq!(
            admission.refusal([(checks[2], lock)]),
            Some(Refusal::Locked { until: 200, n: 3 })
        );
        assert_eq!(admission.refusal([]), None);
    }

    /// Each rule as its DynamoDB condition reads: an item that does not
    /// exist passes every check; a lockout paid for passes.
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
        let checks = [
            Check::Unsuppressed("suppress#k"),
            Check::Charge {
                index: 0,
                charge: &limited,
            },
            Check::Unlocked("lock#x#1"),
            Check::ProofUnspent(&proof),
        ];
        for check in checks {
            assert!(check.passes(&none, &admission), "{check:?}");
        }
        let at = |until, n| Found {
            until: Some(until),
            n,
            exists: true,
            ..Found::default()
        };
        assert!(!checks[0].passes(&at(101, None), &admission));
        assert!(checks[0].passes(&at(100, None), &admission));
        let counted = |count| Found {
            count: Some(count),
            exists: true,
            ..Found::default()
        };
        assert!(checks[1].passes(&counted(1), &admission));
        assert!(!checks[1].passes(&counted(2), &admission));
        assert!(!checks[2].passes(&at(101, Some(2)), &admission));
        admission.lock_allowance = 2;
        assert!(checks[2].passes(&at(101, Some(2)), &admission));
        let spent = Found {
            exists: true,
            ..Found::default()
        };
        assert!(!checks[3].passes(&spent, &admission));
        assert!(later_lock(None, 1) && later_lock(Some(1), 2) && !later_lock(Some(2), 2));
    }
}
