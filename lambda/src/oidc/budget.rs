//! The guessing budget of `/token`: failed client authentications
//! (`invalid_client`: an unknown client, a wrong or missing secret, two
//! methods at once), counted with the service's counters ([`keys::counter`],
//! by the hour, the subject a keyed hash) after the fact, so a request whose
//! client authenticates reads and writes no counter.
//!
//! Only a failed authentication is counted, and only one is ever refused: a
//! request whose client authenticates is never refused by these budgets,
//! and what an authenticated client gets wrong (`invalid_grant`, a malformed
//! parameter) counts nothing. An authorization code carries 256 bits and
//! needs no guessing budget, and counting its failures would let a stranger
//! who makes an app's server redeem made-up codes (by visiting its callback
//! with `code=x`) shut that app out of its own sign-ins.
//!
//! Two budgets, each with whom it protects and its safe direction:
//! - per registered client, [`PER_CLIENT_PER_HOUR`]: the app's secret,
//!   against guessing spread over many addresses. Anyone can spend it by
//!   claiming the app's id; spending it only turns those failures into
//!   429s, never refuses the app itself, so it fails open for the app and
//!   closed for the guesser. Unknown ids have no secret to guess and no
//!   counter.
//! - per client address (IPv4, IPv6 /64), [`PER_ADDRESS_PER_HOUR`]: the
//!   store, against one address's guessing. An address over it is closed
//!   in memory until its hour ends: its further failed authentications are
//!   answered 429 without a write. Closing is per instance (an address
//!   reaching another instance pays one write there before it is closed
//!   there too); the counter in the store is exact.

use crate::domain::CodeHasher;
use crate::domain::client::ip_subject;
use crate::store::{Store, keys};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const HOUR: u64 = 3600;
/// Failed client authentications per registered client per hour.
pub const PER_CLIENT_PER_HOUR: i64 = 60;
/// Failed client authentications per client address (IPv4, IPv6 /64) per hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 30;

pub(crate) struct Failures {
    hasher: CodeHasher,
    /// Addresses over their budget, until the end of their window.
    closed: Mutex<HashMap<String, u64>>,
}

impl Failures {
    pub(crate) fn new(hasher: CodeHasher) -> Failures {
        Failures {
            hasher,
            closed: Mutex::new(HashMap::new()),
        }
    }

    fn key(&self, scope: &str, subject: &str, now: u64) -> String {
        keys::counter(scope, &self.hasher.subject(scope, subject), now / HOUR)
    }

    /// A client authentication from `ip` failed, claiming the registered
    /// client `client` (`None` for an unknown id or none); returns the
    /// seconds to wait when a budget is spent. An address already over its
    /// budget is answered from memory; otherwise the failure is counted. A
    /// store that cannot count lets the failure be answered as it is.
    pub(crate) async fn failed_authentication(
        &self,
        store: &dyn Store,
        client: Option<&str>,
        ip: IpAddr,
        now: u64,
    ) -> Option<u64> {
        let subject = ip_subject(ip);
        let window_end = (now / HOUR + 1) * HOUR;
        {
            let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(until) = closed.get(&subject).filter(|&&until| until > now) {
                return Some(until - now);
            }
        }
        let ttl = window_end + HOUR;
        let client = async {
            match client {
                Some(id) => {
                    let key = self.key("token-failures-client", id, now);
                    store.add_to_counter(&key, 1, ttl).await.map(Some)
                }
                None => Ok(None),
            }
        };
        let address = async {
            let key = self.key("token-failures-address", &subject, now);
            store.add_to_counter(&key, 1, ttl).await
        };
        let (client, address) = tokio::join!(client, address);
        let over_client = match client {
            Ok(count) => count.is_some_and(|n| n > PER_CLIENT_PER_HOUR),
            Err(e) => {
                tracing::warn!(error = %e, "could not count a failed client authentication");
                false
            }
        };
        let over_address = match address {
            Ok(count) => count > PER_ADDRESS_PER_HOUR,
            Err(e) => {
                tracing::warn!(error = %e, "could not count a failed client authentication");
                false
            }
        };
        if over_address {
            let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
            closed.retain(|_, until| *until > now);
            closed.insert(subject, window_end);
        }
        (over_client || over_address).then_some(window_end - now)
    }
}
