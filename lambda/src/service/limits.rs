//! Budgets that outlive a single flow: sends and failed verifies per address
//! per day, sends and verifies per client per hour.
//!
//! Each budget is a counter item `limit#<scope>#<subject>#<window>` that the
//! store increments atomically (`ADD`), so parallel requests on many Lambda
//! instances share one count. Windows are fixed (the hour or day since the
//! epoch); the subject is a keyed hash of the address or client prefix, never
//! the raw value. Answers are the same whether or not the address was ever
//! seen: a budget is spent or it is not.

use super::{Client, ServiceError};
use crate::domain::{CodeHasher, Email};
use crate::settings::Limits;
use crate::store::Store;
use futures_util::future::join_all;
use std::net::IpAddr;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

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
    /// address has spent its daily failures. All counters are written in
    /// parallel; the first spent budget decides the answer.
    pub(crate) async fn charge_send(
        &self,
        store: &dyn Store,
        email: &Email,
        client: Client,
        now: u64,
    ) -> Result<Charge, ServiceError> {
        let counters = self.send_counters(email, client, now);
        let failures = self.failure_counter(email, now);
        let (counts, failed) = tokio::join!(
            join_all(
                counters
                    .iter()
                    .map(|c| store.add_to_counter(&c.key, 1, c.ttl))
            ),
            store.add_to_counter(&failures.key, 0, failures.ttl),
        );
        let mut charge = Charge::default();
        let mut spent = None;
        for (counter, count) in counters.iter().zip(counts) {
            let count = count?;
            charge.keys.push((counter.key.clone(), counter.ttl));
            if count > i64::from(counter.limit) && spent.is_none() {
                spent = Some(counter);
            }
        }
        if failed? >= i64::from(failures.limit) {
            spent = spent.or(Some(&failures));
        }
        match spent {
            Some(counter) => Err(ServiceError::RateLimited {
                scope: counter.scope,
                retry_after: counter.retry_after,
            }),
            None => Ok(charge),
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

    /// Counts a wrong code against the address, across all its flows. Best
    /// effort: the answer to the person is already decided.
    pub(crate) async fn charge_failure(&self, store: &dyn Store, email: &Email, now: u64) {
        let counter = self.failure_counter(email, now);
        if let Err(e) = store.add_to_counter(&counter.key, 1, counter.ttl).await {
            tracing::warn!(error = %e, "could not count a failed verify");
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
}
