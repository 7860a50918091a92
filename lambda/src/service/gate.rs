//! The first line, in memory, in front of the store: a token bucket per
//! client prefix and step on this instance, so a client hammering the
//! service is refused without a single store call.
//!
//! Each bucket holds the step's hourly budget, refills at that rate and is
//! full again when the clock hour turns, as the store's budget renews: so it
//! never refuses what the shared budget in the store would allow from one
//! instance alone; the store keeps the exact, shared count. When the store
//! refuses a client, the gate remembers it until that window ends, so the
//! refusals that follow cost nothing either. A client that has used half its
//! bucket is *busy*: its verifies check the budget before counting the try
//! (see `Service::verify`), so its refusals cost one write.

use crate::domain::client::client_prefix;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Buckets kept per gate; beyond it, full (idle) buckets are dropped first.
const MAX_CLIENTS: usize = 100_000;
const HOUR: u64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Send,
    Verify,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: u64,
    /// The store refused this client until then.
    closed_until: u64,
}

pub(crate) struct Gate {
    per_hour: [u32; 2],
    buckets: Mutex<HashMap<(Step, IpAddr), Bucket>>,
}

/// The gate refused: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed {
    pub(crate) retry_after: u64,
}

impl Gate {
    pub(crate) fn new(sends_per_hour: u32, verifies_per_hour: u32) -> Gate {
        Gate {
            per_hour: [sends_per_hour, verifies_per_hour],
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn capacity(&self, step: Step) -> f64 {
        f64::from(self.per_hour[step as usize])
    }

    /// Takes a token for `client`'s `step` at `now`; `busy` says whether the
    /// client has used half its bucket or more.
    pub(crate) fn enter(&self, step: Step, client: IpAddr, now: u64) -> Result<Busy, Closed> {
        let client = client_prefix(client);
        let capacity = self.capacity(step);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&(step, client)) {
            // Buckets from an earlier hour are full again by now and hold no
            // refusal still in force: dropping them forgets nothing.
            buckets.retain(|_, b| b.at / HOUR == now / HOUR || b.closed_until > now);
            if buckets.len() >= MAX_CLIENTS {
                return Err(Closed {
                    retry_after: HOUR - now % HOUR,
                });
            }
        }
        let bucket = buckets.entry((step, client)).or_insert(Bucket {
            tokens: capacity,
            at: now,
            closed_until: 0,
        });
        if bucket.closed_until > now {
            return Err(Closed {
                retry_after: bucket.closed_until - now,
            });
        }
        // Full again at each clock hour, when the store's budget renews too,
        // so the gate never refuses what the store would allow.
        let refill = if now / HOUR != bucket.at / HOUR {
            capacity
        } else {
            now.saturating_sub(bucket.at) as f64 * capacity / 3600.0
        };
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            // The budgets in the store renew with the clock hour; so does
            // the wait the gate states.
            return Err(Closed {
                retry_after: HOUR - now % HOUR,
            });
        }
        bucket.tokens -= 1.0;
        Ok(Busy(bucket.tokens <= capacity / 2.0))
    }

    /// The store refused `client`'s `step` until `until`.
    pub(crate) fn close(&self, step: Step, client: IpAddr, until: u64) {
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&(step, client_prefix(client))) {
            bucket.closed_until = bucket.closed_until.max(until);
        }
    }

    /// Gives back the token of a request the store did not charge (an
    /// approval, a repeated send, a challenge), so the gate counts what the
    /// store counts and never refuses what it would allow.
    pub(crate) fn give_back(&self, step: Step, client: IpAddr) {
        let capacity = self.capacity(step);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = buckets.get_mut(&(step, client_prefix(client))) {
            bucket.tokens = (bucket.tokens + 1.0).min(capacity);
        }
    }
}

/// Whether the client has spent half its bucket or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy(pub(crate) bool);

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const BOB: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 8));

    #[test]
    fn a_bucket_holds_the_hourly_budget_and_refills_at_its_rate() {
        let gate = Gate::new(4, 60);
        let busy: Vec<bool> = (0..4)
            .map(|_| gate.enter(Step::Send, ANN, 1000).unwrap().0)
            .collect();
        assert_eq!(busy, [false, true, true, true]);
        assert_eq!(
            gate.enter(Step::Send, ANN, 1000),
            Err(Closed { retry_after: 2600 })
        );
        // Other clients and other steps have their own buckets.
        assert!(gate.enter(Step::Send, BOB, 1000).is_ok());
        assert!(gate.enter(Step::Verify, ANN, 1000).is_ok());
        // One token per 900 s at 4 an hour…
        assert!(gate.enter(Step::Send, ANN, 1899).is_err());
        assert!(gate.enter(Step::Send, ANN, 1900).is_ok());
        assert!(gate.enter(Step::Send, ANN, 1901).is_err());
        // …and all of them when the hour turns.
        for _ in 0..4 {
            assert!(gate.enter(Step::Send, ANN, 3600).is_ok());
        }
    }

    #[test]
    fn an_ipv6_64_is_one_client_and_a_token_given_back_counts_again() {
        let gate = Gate::new(2, 60);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        assert!(gate.enter(Step::Send, a, 1000).is_ok());
        assert!(gate.enter(Step::Send, b, 1000).is_ok());
        assert!(
            gate.enter(Step::Send, a, 1000).is_err(),
            "one /64, one bucket"
        );
        gate.give_back(Step::Send, b);
        assert!(gate.enter(Step::Send, a, 1000).is_ok());
    }

    #[test]
    fn a_refusal_by_the_store_holds_until_its_window_ends() {
        let gate = Gate::new(20, 60);
        assert!(gate.enter(Step::Verify, ANN, 1000).is_ok());
        gate.close(Step::Verify, ANN, 3600);
        assert_eq!(
            gate.enter(Step::Verify, ANN, 1000),
            Err(Closed { retry_after: 2600 })
        );
        assert!(gate.enter(Step::Send, ANN, 1000).is_ok());
        assert!(gate.enter(Step::Verify, ANN, 3600).is_ok());
    }
}
