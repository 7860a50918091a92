//! An address's lockouts, summed from its flows when a new message is asked
//! for, so that a wrong code writes nothing but its counted try.
//!
//! **The rule.** Every `failures_per_email_per_day` failures of an address
//! in one day (UTC, days since the epoch) start a lockout at the time of the
//! failure that completes them; the `n`th of a day lasts 15 minutes doubled
//! `n - 1` times, at most 24 hours, and may run past midnight. While one
//! holds, a new message to the address needs a proof of work paying for
//! lockout `n` ([`super::admission`]); codes already sent keep their tries.
//!
//! **Where the failures are.** Each flow keeps the time of every counted try
//! and which try approved it ([`FlowRecord::failures`]): a failure is a try
//! counted before the approval other than the approving one. A right code
//! counted but not yet approved counts as a failure until its approval
//! lands, and so does a second copy of the right code counted before the
//! approval: a read in that instant sees one failure more, never fewer
//! (failing closed). Tries sent to an approved flow are not failures.
//!
//! **How a send finds them.** Every message charges the address's sends of
//! its day, and that counter lists the message's flow ([`Charge::lists`]).
//! A try is counted only while its code is live, at most a code's lifetime
//! (an hour at most) after the message that carried it, so every try of
//! yesterday or today is on a flow listed by the counters of the last three
//! days ([`Limiter::flow_lists`]). Those counters are kept two windows past
//! their own and flows a day longer than other items
//! ([`crate::domain::Policy::flow_gc_at`]), so they are still there. A
//! message reads them consistently ([`crate::store::Store::listed_flows`]):
//! one read of the three counters, then one of the flows they list (none
//! when they list none), before the admission's write.
//!
//! **Exact under concurrency.** A try counted on a live flow between that
//! read and the write could start a lockout the read did not see. Whenever
//! the tries the live flows have left could reach today's next lockout, and
//! the proof does not pay for it, the admission lists those flows with the
//! tries read ([`Untried`]): the write is made only if each still holds
//! exactly those, otherwise nothing is written and the send reads again. So
//! a message is admitted against the lockouts as they are when it is
//! written, as when each failure wrote a counter, and a try and a send can
//! interleave only as if one came wholly first. The condition costs
//! nothing in the common case (no lockout within reach) and a
//! `ConditionCheck` per live flow otherwise; a resend's own flow carries it
//! in its update's condition.
//!
//! [`FlowRecord::failures`]: crate::domain::FlowRecord::failures
//! [`Charge::lists`]: crate::store::Charge::lists
//! [`Limiter::flow_lists`]: super::Limiter::flow_lists

use super::{DAY, Limiter};
use crate::domain::FlowRecord;
use crate::store::{Lockout, Untried};

/// The first lockout of a day; each further one that day lasts twice as long.
const FIRST_LOCKOUT: u64 = 15 * 60;
/// No lockout lasts longer.
const LONGEST_LOCKOUT: u64 = DAY;

/// What the address's flows say about its lockouts at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Lockouts {
    /// Today's latest lockout, then yesterday's, each if it still holds.
    pub(super) holding: Vec<Lockout>,
    /// The flows whose tries must not change before the write.
    pub(super) untried: Vec<Untried>,
}

impl Limiter {
    /// The lockouts `flows` (the address's, as read) hold at `now`, and the
    /// live flows whose next tries could start another one that a proof
    /// paying for lockouts up to `allowance` does not cover.
    pub(super) fn lockouts(&self, flows: &[FlowRecord], now: u64, allowance: u32) -> Lockouts {
        let limit = self.limits.failures_per_email_per_day.max(1) as usize;
        let mut failures: Vec<u64> = flows.iter().flat_map(FlowRecord::failures).collect();
        failures.sort_unstable();
        let today = now / DAY;
        let of_day = |day: u64| -> Vec<u64> {
            let day_failures = failures.iter().filter(|at| **at / DAY == day);
            day_failures.copied().collect()
        };
        let holding = [today, today.saturating_sub(1)]
            .into_iter()
            .filter_map(|day| {
                let failed = of_day(day);
                let n = failed.len() / limit;
                let started = *failed.get((n * limit).checked_sub(1)?)?;
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                let until = started.saturating_add(lockout_length(n));
                (until > now).then_some(Lockout { until, n })
            })
            .collect();

        let failed_today = of_day(today).len();
        let next = failed_today / limit + 1;
        let live: Vec<&FlowRecord> = flows
            .iter()
            .filter(|f| f.used_at.is_none() && f.expires_at > now && f.attempts < self.max_attempts)
            .collect();
        let left: usize = (live.iter())
            .map(|f| (self.max_attempts - f.attempts) as usize)
            .sum();
        let within_reach = failed_today + left >= next * limit;
        let paid = u32::try_from(next).is_ok_and(|next| next <= allowance);
        let untried = if within_reach && !paid {
            (live.iter())
                .map(|f| Untried {
                    flow: f.id.clone(),
                    attempts: f.attempts,
                })
                .collect()
        } else {
            Vec::new()
        };
        Lockouts { holding, untried }
    }
}

/// How long the `n`th lockout of a day lasts (`n` from 1).
pub(super) fn lockout_length(n: u32) -> u64 {
    let doublings = n.saturating_sub(1).min(16);
    (FIRST_LOCKOUT << doublings).min(LONGEST_LOCKOUT)
}
