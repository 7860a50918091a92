//! The first line, in memory, in front of the store: a token bucket per
//! client (an IPv4 address, an IPv6 /64) and step on this instance, so a
//! client hammering an endpoint is refused without a single store call.
//!
//! Each bucket holds its step's hourly budget, refills at that rate and is
//! full again when the clock hour turns, as the store's budgets renew. A
//! step takes a token for every request that reaches the store, whatever
//! answers it: a send the store refuses for an address's budget, a pair's,
//! a lockout or a spent proof, a resend too soon, an unknown flow, spends
//! its client's bucket as surely as one that is admitted, so a client past
//! its number is refused without a store call whatever refused it first.
//! Only what no budget counts gives its token back: an approving verify,
//! `/userinfo` that answers with claims, a message the service could not
//! hand over (its charges are refunded). So the gate never refuses a client
//! that asked a step fewer times this hour, on this instance, than the
//! step's budget; it may refuse one the store would still admit, once that
//! client has spent its number on requests the store refused. Sends and
//! verifies have exact, shared budgets in the store behind it; the
//! provider's endpoints (`/authorize`, the page's sign-in steps,
//! `/userinfo`) have only this one, per instance, so across instances a
//! client gets at most the budget times the number of instances (the
//! function's reserved concurrency).
//!
//! When the store refuses a client, the gate remembers it until that window
//! ends, so the refusals that follow cost nothing either. A client that has
//! used half its bucket is *busy*: its verifies check the budget before
//! counting the try (see `Service::verify`), so its refusals cost one write.
//!
//! The table holds at most [`MAX_CLIENTS`] buckets. Whom it protects: the
//! instance's memory. Its safe direction is to fail open: a table full of
//! this hour's buckets (an attacker needs as many prefixes: a routed /48 is
//! 65 536) never refuses a client it has no room for; that client goes on
//! without a bucket, as if busy, to the store's budgets, or for the steps
//! counted only here, unbounded until the hour turns and the buckets of the
//! hour before are dropped. Refusing instead would let whoever fills the
//! table shut every new client out.

use crate::domain::client::client_prefix;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Buckets kept per gate.
pub const MAX_CLIENTS: usize = 100_000;
const HOUR: u64 = 3600;

/// What a client asks of the service, each with its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// A send or a resend: a message.
    Send,
    /// A verify that approves nothing.
    Verify,
    /// `/authorize`: a stored sign-in request.
    Authorize,
    /// `/api/sign-in`: the page reads a sign-in request.
    SignInRead,
    /// `/api/sign-in/cancel`.
    SignInCancel,
    /// `/userinfo` that answers no claims.
    UserinfoFailure,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::Send,
        Step::Verify,
        Step::Authorize,
        Step::SignInRead,
        Step::SignInCancel,
        Step::UserinfoFailure,
    ];
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: u64,
    /// The store refused this client until then.
    closed_until: u64,
}

#[derive(Debug, Default)]
struct Table {
    buckets: HashMap<(Step, IpAddr), Bucket>,
    /// The hour the buckets of earlier hours were last dropped in.
    swept: u64,
}

/// The in-memory buckets of every step; shared by the service and the
/// provider, so one table bounds the memory of both.
pub struct Gate {
    per_hour: [u32; Step::ALL.len()],
    table: Mutex<Table>,
}

/// The gate refused: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed {
    pub retry_after: u64,
}

/// Whether the client has spent half its bucket or more (or has no bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy(pub bool);

impl Gate {
    /// A gate letting each client ask `per_hour(step)` times an hour.
    pub fn new(per_hour: impl Fn(Step) -> u32) -> Gate {
        Gate {
            per_hour: Step::ALL.map(per_hour),
            table: Mutex::new(Table::default()),
        }
    }

    fn capacity(&self, step: Step) -> f64 {
        f64::from(self.per_hour[step as usize])
    }

    /// Takes a token for `client`'s `step` at `now`; `busy` says whether the
    /// client has used half its bucket or more.
    pub fn enter(&self, step: Step, client: IpAddr, now: u64) -> Result<Busy, Closed> {
        let client = client_prefix(client);
        let capacity = self.capacity(step);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let hour = now / HOUR;
        if table.buckets.len() >= MAX_CLIENTS && !table.buckets.contains_key(&(step, client)) {
            if table.swept != hour {
                // Buckets from an earlier hour are full again by now and
                // hold no refusal still in force: dropping them forgets
                // nothing. Once an hour, so a full table costs no scan per
                // request.
                table.swept = hour;
                table
                    .buckets
                    .retain(|_, b| b.at / HOUR == hour || b.closed_until > now);
            }
            if table.buckets.len() >= MAX_CLIENTS {
                return Ok(Busy(true));
            }
        }
        let bucket = table.buckets.entry((step, client)).or_insert(Bucket {
            tokens: capacity,
            at: now,
            closed_until: 0,
        });
        if bucket.closed_until > now {
            return Err(Closed {
                retry_after: bucket.closed_until - now,
            });
        }
        // Full again at each clock hour, when the store's budgets renew too.
        let refill = if hour != bucket.at / HOUR {
            capacity
        } else {
            now.saturating_sub(bucket.at) as f64 * capacity / 3600.0
        };
        bucket.tokens = (bucket.tokens + refill).min(capacity);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            // The budgets renew with the clock hour; so does the wait the
            // gate states.
            return Err(Closed {
                retry_after: HOUR - now % HOUR,
            });
        }
        bucket.tokens -= 1.0;
        Ok(Busy(bucket.tokens <= capacity / 2.0))
    }

    /// The store refused `client`'s `step` until `until`.
    pub fn close(&self, step: Step, client: IpAddr, until: u64) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = table.buckets.get_mut(&(step, client_prefix(client))) {
            bucket.closed_until = bucket.closed_until.max(until);
        }
    }

    /// Gives back the token of a request no budget counts (an approval, a
    /// message refunded, claims answered).
    pub fn give_back(&self, step: Step, client: IpAddr) {
        let capacity = self.capacity(step);
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bucket) = table.buckets.get_mut(&(step, client_prefix(client))) {
            bucket.tokens = (bucket.tokens + 1.0).min(capacity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const BOB: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 8));

    #[test]
    fn a_bucket_holds_the_hourly_budget_and_refills_at_its_rate() {
        let gate = Gate::new(|step| if step == Step::Send { 4 } else { 60 });
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
        let gate = Gate::new(|step| if step == Step::Send { 2 } else { 60 });
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
        let gate = Gate::new(|step| if step == Step::Send { 20 } else { 60 });
        assert!(gate.enter(Step::Verify, ANN, 1000).is_ok());
        gate.close(Step::Verify, ANN, 3600);
        assert_eq!(
            gate.enter(Step::Verify, ANN, 1000),
            Err(Closed { retry_after: 2600 })
        );
        assert!(gate.enter(Step::Send, ANN, 1000).is_ok());
        assert!(gate.enter(Step::Verify, ANN, 3600).is_ok());
    }

    /// A table full of this hour's buckets (an attacker with many prefixes)
    /// never refuses a client it has no room for: that client goes on to
    /// the store's budgets, as if busy. An hour on, the full buckets of the
    /// hour before are dropped and new clients have buckets again.
    #[test]
    fn a_full_table_lets_new_clients_through_and_drops_an_earlier_hours_buckets() {
        let gate = Gate::new(|_| 4);
        for n in 0..MAX_CLIENTS as u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(0x0A00_0000 + n));
            assert!(gate.enter(Step::Send, ip, 1000).is_ok());
        }
        for _ in 0..6 {
            assert_eq!(gate.enter(Step::Send, ANN, 1000), Ok(Busy(true)));
            assert_eq!(gate.enter(Step::Verify, BOB, 1000), Ok(Busy(true)));
        }
        let later = 1000 + HOUR;
        let taken: Vec<bool> = (0..5)
            .map(|_| gate.enter(Step::Send, ANN, later).is_ok())
            .collect();
        assert_eq!(taken, [true, true, true, true, false], "a bucket again");
    }
}
