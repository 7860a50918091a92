//! Budgets that outlive a single flow: sends and failed verifies per address
//! per day, sends and verifies per client per hour.
//!
//! Each budget is a counter item `limit#<scope>#<subject>#<window>` that the
//! store increments atomically (`ADD`), so parallel requests on many Lambda
//! instances share one count. Windows are fixed (the hour or day since the
//! epoch); the subject is a keyed hash of the address or client prefix, never
//! the raw value. Answers are the same whether or not the address was ever
//! seen: a budget is spent or it is not.
//!
//! Failed verifies lock the address out of new codes. Every `limit` failures
//! in a day start a lockout: 15 minutes for the first, doubling with each
//! further one that day, at most 24 hours. The failure whose count reaches a
//! multiple of the limit is the only one that sees that value (the counter is
//! atomic), so exactly one request starts each lockout; it writes the
//! lockout's end into its own counter `lock#<subject>#<day>#<n>`, which only
//! that request ever adds to. A send reads the failure counts of today and
//! yesterday (a lockout can outlast midnight) and the end of the latest
//! lockout of each. Between the count reaching the limit and the end being
//! written, a reader finds no end yet and refuses for the full lockout:
//! erring towards the lock, never towards an extra message.

use super::{Client, ServiceError};
use crate::domain::{CodeHasher, Email};
use crate::settings::Limits;
use crate::store::{Store, StoreError};
use futures_util::future::join_all;
use std::net::IpAddr;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// The first lockout of a day; each further one that day lasts twice as long.
const FIRST_LOCKOUT: u64 = 15 * 60;
/// No lockout lasts longer.
const LONGEST_LOCKOUT: u64 = DAY;

/// The counter keys a step incremented, so a step that fails later can give
/// them back.
#[derive(Debug, Default)]
pub(crate) struct Charge {
    keys: Vec<(String, u64)>,
}

pub(crate) struct Budget {
    limits: Limits,
    hasher: CodeHasher,
}

struct Counter {
    key: String,
    limit: u32,
    retry_after: u64,
    ttl: u64,
    scope: &'static str,
    /// Which window (hour or day since the epoch) the counter belongs to.
    window_index: u64,
}

impl Budget {
    pub(crate) fn new(limits: Limits, hasher: CodeHasher) -> Budget {
        Budget { limits, hasher }
    }

    fn counter(
        &self,
        scope: &'static str,
        subject: &str,
        limit: u32,
        window: u64,
        now: u64,
    ) -> Counter {
        let index = now / window;
        let end = (index + 1) * window;
        Counter {
            key: format!(
                "limit#{scope}#{}#{index}",
                self.hasher.subject(scope, subject)
            ),
            limit,
            retry_after: end - now,
            // Kept a window past its end, then garbage.
            ttl: end + window,
            scope,
            window_index: index,
        }
    }

    fn send_counters(&self, email: &Email, client: Client, now: u64) -> Vec<Counter> {
        let mut counters = vec![self.counter(
            "send-email",
            email.as_str(),
            self.limits.sends_per_email_per_day,
            DAY,
            now,
        )];
        if let Some(ip) = client.ip {
            counters.push(self.counter(
                "send-ip",
                &ip_subject(ip),
                self.limits.sends_per_ip_per_hour,
                HOUR,
                now,
            ));
        }
        counters
    }

    fn failure_counter(&self, email: &Email, now: u64) -> Counter {
        self.counter(
            "fail-email",
            email.as_str(),
            self.limits.failures_per_email_per_day,
            DAY,
            now,
        )
    }

    /// Counts one message to `email` from `client`, and refuses it while the
    /// address is locked out. All counters are written in parallel; the first
    /// spent budget decides the answer, and a refused send gives back what it
    /// counted, so refusals never eat into the next window.
    pub(crate) async fn charge_send(
        &self,
        store: &dyn Store,
        email: &Email,
        client: Client,
        now: u64,
    ) -> Result<Charge, ServiceError> {
        let counters = self.send_counters(email, client, now);
        let (counts, lockout) = tokio::join!(
            join_all(
                counters
                    .iter()
                    .map(|c| store.add_to_counter(&c.key, 1, c.ttl))
            ),
            self.lockout_left(store, email, now),
        );
        let mut charge = Charge::default();
        let mut spent = None;
        let mut error = None;
        for (counter, count) in counters.iter().zip(counts) {
            match count {
                Ok(count) => {
                    charge.keys.push((counter.key.clone(), counter.ttl));
                    if count > i64::from(counter.limit) && spent.is_none() {
                        spent = Some(ServiceError::RateLimited {
                            scope: counter.scope,
                            retry_after: counter.retry_after,
                        });
                    }
                }
                Err(e) => error = error.or(Some(e)),
            }
        }
        let refusal = match (error, lockout) {
            (Some(e), _) | (None, Err(e)) => Some(ServiceError::Store(e)),
            (None, Ok(Some(left))) => spent.or(Some(ServiceError::RateLimited {
                scope: "failures per email",
                retry_after: left,
            })),
            (None, Ok(None)) => spent,
        };
        match refusal {
            Some(refusal) => {
                self.refund(store, charge).await;
                Err(refusal)
            }
            None => Ok(charge),
        }
    }

    /// Seconds until the address's current lockout ends, if it has one.
    async fn lockout_left(
        &self,
        store: &dyn Store,
        email: &Email,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        let days = [now, now.saturating_sub(DAY)].map(|at| self.failure_counter(email, at));
        let failed = join_all(days.iter().map(|c| store.add_to_counter(&c.key, 0, c.ttl))).await;
        let mut latest: Vec<(String, u64, u64)> = Vec::new();
        for (counter, failed) in days.iter().zip(failed) {
            let lockouts = u64::try_from(failed?).unwrap_or(0) / u64::from(counter.limit);
            if lockouts > 0 {
                let lock = self.lock_counter(email, counter.window_index, lockouts);
                let length = lockout_length(lockouts);
                // A lockout started within its day, so it ends by then.
                let latest_end = (counter.window_index + 1) * DAY + length;
                latest.push((
                    lock.key,
                    lock.ttl,
                    latest_end.saturating_sub(now).min(length),
                ));
            }
        }
        let ends = join_all(
            latest
                .iter()
                .map(|(key, ttl, _)| store.add_to_counter(key, 0, *ttl)),
        )
        .await;
        let mut left = None;
        for ((_, _, unknown_end), end) in latest.iter().zip(ends) {
            let end = u64::try_from(end?).unwrap_or(0);
            // Not written yet: the lockout is starting right now, or the
            // request that started it failed before writing its end.
            let this = if end == 0 {
                *unknown_end
            } else {
                end.saturating_sub(now)
            };
            if this > 0 {
                left = Some(left.map_or(this, |l: u64| l.max(this)));
            }
        }
        Ok(left)
    }

    /// The counter holding the end of the `n`th lockout of a day.
    fn lock_counter(&self, email: &Email, day: u64, n: u64) -> Counter {
        let day_end = (day + 1) * DAY;
        Counter {
            key: format!(
                "lock#{}#{day}#{n}",
                self.hasher.subject("lock", email.as_str())
            ),
            limit: 0,
            retry_after: 0,
            // A lockout ends at most a day after its day does.
            ttl: day_end + LONGEST_LOCKOUT + DAY,
            scope: "failures per email",
            window_index: day,
        }
    }

    /// Counts one verify from `client`.
    pub(crate) async fn charge_verify(
        &self,
        store: &dyn Store,
        client: Client,
        now: u64,
    ) -> Result<(), ServiceError> {
        let Some(ip) = client.ip else {
            return Ok(());
        };
        let counter = self.counter(
            "verify-ip",
            &ip_subject(ip),
            self.limits.verifies_per_ip_per_hour,
            HOUR,
            now,
        );
        let count = store.add_to_counter(&counter.key, 1, counter.ttl).await?;
        if count > i64::from(counter.limit) {
            return Err(ServiceError::RateLimited {
                scope: counter.scope,
                retry_after: counter.retry_after,
            });
        }
        Ok(())
    }

    /// Counts a wrong code against the address, across all its flows, and
    /// starts a lockout when the count reaches a multiple of the daily limit.
    /// Best effort: the answer to the person is already decided.
    pub(crate) async fn charge_failure(&self, store: &dyn Store, email: &Email, now: u64) {
        let counter = self.failure_counter(email, now);
        let failed = match store.add_to_counter(&counter.key, 1, counter.ttl).await {
            Ok(failed) => u64::try_from(failed).unwrap_or(0),
            Err(e) => {
                tracing::warn!(error = %e, "could not count a failed verify");
                return;
            }
        };
        let limit = u64::from(counter.limit);
        if failed == 0 || failed % limit != 0 {
            return;
        }
        let n = failed / limit;
        let length = lockout_length(n);
        let lock = self.lock_counter(email, counter.window_index, n);
        let end = i64::try_from(now + length).unwrap_or(i64::MAX);
        // Only this request saw `failed == n * limit`, so only it adds here.
        match store.add_to_counter(&lock.key, end, lock.ttl).await {
            Ok(_) => {
                tracing::info!(to = %email.masked(), lockout = n, secs = length, "address locked out")
            }
            Err(e) => tracing::warn!(error = %e, "could not record the end of a lockout"),
        }
    }

    /// Gives back what a failed step charged.
    pub(crate) async fn refund(&self, store: &dyn Store, charge: Charge) {
        let results = join_all(
            charge
                .keys
                .iter()
                .map(|(key, ttl)| store.add_to_counter(key, -1, *ttl)),
        )
        .await;
        for result in results {
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not refund a budget");
            }
        }
    }
}

/// How long the `n`th lockout of a day lasts (`n` from 1).
fn lockout_length(n: u64) -> u64 {
    let doublings = u32::try_from(n.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    (FIRST_LOCKOUT << doublings).min(LONGEST_LOCKOUT)
}

/// The budget subject of a client: the address for IPv4, the /64 prefix for
/// IPv6 (one subscriber usually holds a whole /64).
pub fn ip_subject(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_is_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_subject(a), ip_subject(b));
        assert_ne!(ip_subject(a), ip_subject(c));
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(ip_subject(mapped), "203.0.113.7");
    }

    #[test]
    fn windows_are_fixed_and_keys_hide_the_subject() {
        let budget = Budget::new(Limits::default(), CodeHasher::ephemeral());
        let c = budget.counter("send-email", "ann@example.com", 10, DAY, DAY * 100 + 10);
        assert!(c.key.starts_with("limit#send-email#"));
        assert!(c.key.ends_with("#100"));
        assert!(!c.key.contains("ann"));
        assert_eq!(c.retry_after, DAY - 10);
    }

    #[test]
    fn lockouts_double_up_to_a_day() {
        let lengths: Vec<u64> = (1..=9).map(lockout_length).collect();
        assert_eq!(
            lengths,
            [900, 1800, 3600, 7200, 14400, 28800, 57600, DAY, DAY]
        );
        assert_eq!(lockout_length(u64::MAX), DAY);
    }
}
