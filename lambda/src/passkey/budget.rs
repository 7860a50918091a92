//! The budgets of failed passkey sign-ins: an answer that does not verify
//! (its signature, origin, relying party, user verification or counter), or
//! that names no registered passkey.
//!
//! A signature cannot be guessed, so these budgets do not protect a secret
//! the way the code's do; they bound what a client making up answers costs
//! (each is a store read and a counter write) and what a copied credential
//! may try. Counted with the service's counters ([`keys::counter`], the
//! subject a keyed hash) after the fact: an answer that verifies counts
//! nothing.
//!
//! - per client address (IPv4, IPv6 /64), [`PER_ADDRESS_PER_HOUR`]: the
//!   store, against one address's made-up answers. An address over it is
//!   closed in memory until its hour ends, so its further answers are
//!   refused (429) without a store call. Closing is per instance; the
//!   counter in the store is exact.
//! - per passkey, [`PER_PASSKEY_PER_DAY`]: the passkey, against a copied
//!   credential or a stranger replaying its answers. Over it, every answer
//!   naming that passkey is refused until the day ends, even one that would
//!   verify: the safe direction is closed, because the person still has
//!   the emailed code. Anyone who knows a credential id can spend it, which
//!   costs its owner a mail, never their account.

use crate::domain::CodeHasher;
use crate::domain::client::ip_subject;
use crate::store::{Store, StoreError, keys};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// Failed passkey sign-ins per client address (IPv4, IPv6 /64) per hour.
pub const PER_ADDRESS_PER_HOUR: i64 = 30;
/// Failed sign-ins naming one passkey per day; then it is refused.
pub const PER_PASSKEY_PER_DAY: i64 = 20;

pub(crate) struct Failures {
    hasher: CodeHasher,
    /// Addresses over their budget, until the end of their hour.
    closed: Mutex<HashMap<String, u64>>,
}

impl Failures {
    pub(crate) fn new(hasher: CodeHasher) -> Failures {
        Failures {
            hasher,
            closed: Mutex::new(HashMap::new()),
        }
    }

    fn address_key(&self, ip: IpAddr, now: u64) -> String {
        let scope = "passkey-failures-address";
        keys::counter(
            scope,
            &self.hasher.subject(scope, &ip_subject(ip)),
            now / HOUR,
        )
    }

    fn passkey_key(&self, id: &str, now: u64) -> String {
        let scope = "passkey-failures-passkey";
        keys::counter(scope, &self.hasher.subject(scope, id), now / DAY)
    }

    /// Seconds until `ip` may try again, if it is over its budget.
    pub(crate) fn closed(&self, ip: IpAddr, now: u64) -> Option<u64> {
        let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
        closed
            .get(&ip_subject(ip))
            .filter(|&&until| until > now)
            .map(|until| until - now)
    }

    /// Seconds until the passkey `id` may be used again, if its budget is
    /// spent.
    pub(crate) async fn passkey_spent(
        &self,
        store: &dyn Store,
        id: &str,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        let count = store.read_counter(&self.passkey_key(id, now)).await?;
        Ok((count >= PER_PASSKEY_PER_DAY).then(|| (now / DAY + 1) * DAY - now))
    }

    /// An answer from `ip` failed, naming the registered passkey `passkey`
    /// if it named one. A store that cannot count lets the failure be
    /// answered as it is.
    pub(crate) async fn failed(
        &self,
        store: &dyn Store,
        passkey: Option<&str>,
        ip: IpAddr,
        now: u64,
    ) {
        let hour_end = (now / HOUR + 1) * HOUR;
        let day_end = (now / DAY + 1) * DAY;
        let by_passkey = async {
            match passkey {
                Some(id) => {
                    let key = self.passkey_key(id, now);
                    store
                        .add_to_counter(&key, 1, day_end + HOUR)
                        .await
                        .map(drop)
                }
                None => Ok(()),
            }
        };
        let address_key = self.address_key(ip, now);
        let by_address = store.add_to_counter(&address_key, 1, hour_end + HOUR);
        let (by_passkey, by_address) = tokio::join!(by_passkey, by_address);
        if let Err(e) = by_passkey {
            tracing::warn!(error = %e, "could not count a passkey failure");
        }
        match by_address {
            Ok(count) if count >= PER_ADDRESS_PER_HOUR => {
                let mut closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
                closed.retain(|_, until| *until > now);
                closed.insert(ip_subject(ip), hour_end);
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not count a passkey failure"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    const NOW: u64 = 1_800_000_000;

    #[tokio::test]
    async fn an_address_closes_at_its_budget_and_a_passkey_at_its_own() {
        let store = MemoryStore::new();
        let failures = Failures::new(CodeHasher::ephemeral());
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.8".parse().unwrap();
        for n in 1..PER_ADDRESS_PER_HOUR {
            failures.failed(&store, Some("cred"), ip, NOW).await;
            assert_eq!(failures.closed(ip, NOW), None, "after {n}");
        }
        failures.failed(&store, None, ip, NOW).await;
        let wait = failures.closed(ip, NOW).expect("closed at the budget");
        assert_eq!(NOW + wait, (NOW / HOUR + 1) * HOUR);
        assert_eq!(failures.closed(neighbour, NOW), None);
        assert_eq!(failures.closed(ip, NOW + wait), None);

        // 29 failures named the passkey: more than its day allows.
        assert_eq!(
            failures.passkey_spent(&store, "cred", NOW).await.unwrap(),
            Some((NOW / DAY + 1) * DAY - NOW)
        );
        assert_eq!(
            failures.passkey_spent(&store, "other", NOW).await.unwrap(),
            None
        );
        assert_eq!(
            failures
                .passkey_spent(&store, "cred", (NOW / DAY + 1) * DAY)
                .await
                .unwrap(),
            None
        );
    }
}
