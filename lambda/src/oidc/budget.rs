//! Budgets of failed token requests: failed client authentications and
//! failed redemptions and refreshes (`invalid_client`, `invalid_grant`),
//! counted per client id and per client address with the service's
//! counters ([`keys::counter`], by the hour, the subject a keyed hash),
//! after the fact, so a successful request reads and writes no counter. A
//! failure whose counter passes its limit is answered 429; an address over
//! its budget is then refused in memory, before any work, until its hour
//! ends. Failed logouts (a link that is not valid, a confirmation that is
//! not open) have a budget of their own, the same way.
//!
//! They protect the store and the apps' secrets from guessing. Over a
//! limit the safe direction is refusing (the person's own requests succeed
//! and cost no count); a store that cannot count lets the failure be
//! answered as it is (failing open: a counter outage must not refuse
//! everyone).

use crate::domain::CodeHasher;
use crate::domain::client::ip_subject;
use crate::store::{Store, keys};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const HOUR: u64 = 3600;
/// Failed token requests per client id per hour.
pub const PER_CLIENT_PER_HOUR: i64 = 60;
/// Failed token requests per client address (IPv4, IPv6 /64) per hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 30;

pub(crate) struct Failures {
    hasher: CodeHasher,
    /// What fails: `token`, `logout`; names the counters.
    what: &'static str,
    /// Addresses over their budget, until the end of their window.
    closed: Mutex<HashMap<String, u64>>,
}

impl Failures {
    pub(crate) fn new(hasher: CodeHasher, what: &'static str) -> Failures {
        Failures {
            hasher,
            what,
            closed: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `ip` may try again, if it is refused in memory.
    pub(crate) fn closed(&self, ip: Option<IpAddr>, now: u64) -> Option<u64> {
        let subject = ip_subject(ip?);
        let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        closed
            .get(&subject)
            .filter(|&&until| until > now)
            .map(|until| until - now)
    }

    fn key(&self, scope: &str, subject: &str, now: u64) -> String {
        keys::counter(scope, &self.hasher.subject(scope, subject), now / HOUR)
    }

    /// Counts a failure of `client_id` (as claimed) from `ip`; returns the
    /// seconds to wait when a counter passed its limit. A store that cannot
    /// count lets the failure be answered as it is.
    pub(crate) async fn count(
        &self,
        store: &dyn Store,
        client_id: Option<&str>,
        ip: Option<IpAddr>,
        now: u64,
    ) -> Option<u64> {
        let window_end = (now / HOUR + 1) * HOUR;
        let ttl = window_end + HOUR;
        let client = async {
            match client_id {
                Some(id) => {
                    let key = self.key(&format!("{}-failures-client", self.what), id, now);
                    store.add_to_counter(&key, 1, ttl).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let subject = ip.map(ip_subject);
        let address = async {
            match &subject {
                Some(subject) => {
                    let key = self.key(&format!("{}-failures-address", self.what), subject, now);
                    store.add_to_counter(&key, 1, ttl).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let (client, address) = tokio::join!(client, address);
        let over_client = match client {
            Ok(count) => count.is_some_and(|n| n > PER_CLIENT_PER_HOUR),
            Err(e) => {
                tracing::warn!(error = %e, what = self.what, "could not count a failure");
                false
            }
        };
        let over_address = match address {
            Ok(count) => count.is_some_and(|n| n > PER_ADDRESS_PER_HOUR),
            Err(e) => {
                tracing::warn!(error = %e, what = self.what, "could not count a failure");
                false
            }
        };
        if over_address {
            if let Some(subject) = subject {
                let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
                closed.retain(|_, until| *until > now);
                closed.insert(subject, window_end);
            }
        }
        (over_client || over_address).then_some(window_end - now)
    }
}
