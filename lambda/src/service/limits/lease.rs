//! This instance's share of each client's verify budget.
//!
//! The client's verify budget (verifies that approve nothing, per client
//! per hour) is one counter in the store, shared by every instance. Rather
//! than adding one to it for every verify, an instance takes a *lease*: it
//! adds `n` to the counter in one write, is granted what the counter had
//! left of the budget before that write (at most `n`), and spends the
//! granted units here, one per verify; a verify that approves gives its
//! unit back here. A client's first lease of the hour on an instance is one
//! unit, so a person's first try costs what it always did; each next lease
//! doubles, up to a sixteenth of the budget. A busy client (many people
//! behind one address, or someone guessing) costs one write per lease
//! instead of one per verify, and its wrong codes one write each: the try's
//! count.
//!
//! Whom it protects, and the safe direction. The budget bounds the guesses
//! one client makes across every instance; a lease is granted only what
//! the counter had left before it, so the units granted to all instances
//! together never exceed the budget, however the writes interleave: the
//! bound is as exact as one write per verify. The error is on the closed
//! side: units one instance leased and did not spend before the hour ends
//! are lost to the client's other instances (at most a sixteenth of the
//! budget per instance), so a client spread over instances may be refused a
//! little before its number. The table is bounded ([`MAX_CLIENTS`]): with no
//! room a client's leases are of one unit, which is one write per verify,
//! exact, only costlier.

use crate::domain::client::client_prefix;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

/// Clients whose leases one instance keeps.
pub const MAX_CLIENTS: usize = 100_000;
const HOUR: u64 = 3600;

#[derive(Debug)]
struct Lease {
    /// The hour (since the epoch) whose counter granted the units.
    hour: u64,
    /// Units granted and not yet spent.
    left: u32,
    /// The size of the next lease.
    next: u32,
}

/// The leases of every client on this instance.
#[derive(Debug)]
pub(crate) struct Leases {
    /// The largest lease: a sixteenth of the hourly budget, at least one.
    largest: u32,
    table: Mutex<HashMap<IpAddr, Lease>>,
}

impl Leases {
    pub(crate) fn new(per_hour: u32) -> Leases {
        Leases {
            largest: (per_hour / 16).max(1),
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one unit of `client`'s lease for the hour of `now`, if it has
    /// one left.
    pub(crate) fn take(&self, client: IpAddr, now: u64) -> bool {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        match table.get_mut(&client_prefix(client)) {
            Some(lease) if lease.hour == now / HOUR && lease.left > 0 => {
                lease.left -= 1;
                true
            }
            _ => false,
        }
    }

    /// How many units `client`'s next lease in the hour of `now` asks for.
    pub(crate) fn size(&self, client: IpAddr, now: u64) -> u32 {
        let table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        match table.get(&client_prefix(client)) {
            Some(lease) if lease.hour == now / HOUR => lease.next,
            _ => 1,
        }
    }

    /// A lease of `size` units for `client` in the hour of `now` was granted
    /// `granted` of them (at least one), and the verify that took it spends
    /// one.
    pub(crate) fn granted(&self, client: IpAddr, now: u64, size: u32, granted: u32) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let hour = now / HOUR;
        let next = size.saturating_mul(2).min(self.largest);
        let key = client_prefix(client);
        if !table.contains_key(&key) && !room(&mut table, hour) {
            // Only a client with a lease asks for more than one unit, so
            // this lease left nothing over.
            return;
        }
        let lease = table.entry(key).or_insert(Lease {
            hour,
            left: 0,
            next: 1,
        });
        if lease.hour != hour {
            // The units of an hour that is over are not this hour's.
            *lease = Lease {
                hour,
                left: 0,
                next: 1,
            };
        }
        lease.left = lease.left.saturating_add(granted.saturating_sub(1));
        lease.next = lease.next.max(next);
    }

    /// Gives back to `client`'s lease the unit of a verify that approved
    /// after all; `false` when the lease of the hour of `now` is gone (the
    /// charge is then given back to the store).
    pub(crate) fn give_back(&self, client: IpAddr, now: u64) -> bool {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        match table.get_mut(&client_prefix(client)) {
            Some(lease) if lease.hour == now / HOUR => {
                lease.left = lease.left.saturating_add(1);
                true
            }
            _ => false,
        }
    }
}

/// Whether the table has room for one more client in `hour`, after
/// dropping the leases of earlier hours (their units are lost with their
/// hour anyway).
fn room(table: &mut HashMap<IpAddr, Lease>, hour: u64) -> bool {
    if table.len() < MAX_CLIENTS {
        return true;
    }
    table.retain(|_, lease| lease.hour == hour);
    table.len() < MAX_CLIENTS
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));
    const BOB: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 8));
    const NOW: u64 = 1_700_000_000 / HOUR * HOUR;

    /// Leases `size` units granted in full and spends them all.
    fn lease_and_spend(leases: &Leases, client: IpAddr, now: u64) -> u32 {
        let size = leases.size(client, now);
        leases.granted(client, now, size, size);
        let mut spent = 1;
        while leases.take(client, now) {
            spent += 1;
        }
        spent
    }

    #[test]
    fn leases_start_at_one_unit_and_double_up_to_a_sixteenth_of_the_budget() {
        let leases = Leases::new(64);
        let sizes: Vec<u32> = (0..5).map(|_| lease_and_spend(&leases, ANN, NOW)).collect();
        assert_eq!(sizes, [1, 2, 4, 4, 4]);
        // Another client starts at one.
        assert_eq!(leases.size(BOB, NOW), 1);
        // A budget under sixteen leases one unit at a time: one write per
        // verify, exactly as without leases.
        let small = Leases::new(15);
        let sizes: Vec<u32> = (0..3).map(|_| lease_and_spend(&small, ANN, NOW)).collect();
        assert_eq!(sizes, [1, 1, 1]);
    }

    #[test]
    fn only_granted_units_are_spent() {
        let leases = Leases::new(64);
        lease_and_spend(&leases, ANN, NOW);
        let size = leases.size(ANN, NOW);
        assert_eq!(size, 2);
        // The counter had one unit left: that one is spent by the verify
        // that leased it, and nothing is left here.
        leases.granted(ANN, NOW, size, 1);
        assert!(!leases.take(ANN, NOW));
    }

    #[test]
    fn units_belong_to_their_hour() {
        let leases = Leases::new(64);
        for _ in 0..3 {
            lease_and_spend(&leases, ANN, NOW);
        }
        leases.granted(ANN, NOW, 4, 4);
        assert!(leases.take(ANN, NOW + 1));
        // The next hour's counter granted none of them.
        assert!(!leases.take(ANN, NOW + HOUR));
        assert!(!leases.give_back(ANN, NOW + HOUR));
        assert_eq!(leases.size(ANN, NOW + HOUR), 1);
        // A unit given back in its hour is spent again.
        assert!(leases.give_back(ANN, NOW + 2));
        let mut left = 0;
        while leases.take(ANN, NOW + 3) {
            left += 1;
        }
        assert_eq!(left, 3, "two of the lease left, one given back");
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let leases = Leases::new(64);
        let a: IpAddr = "2001:db8:1:2::7".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        leases.granted(a, NOW, 1, 1);
        leases.granted(a, NOW, 2, 2);
        assert!(leases.take(b, NOW));
    }

    #[test]
    fn a_full_table_drops_earlier_hours_and_otherwise_leases_one_unit() {
        let leases = Leases::new(64);
        {
            let mut table = leases.table.lock().unwrap();
            for i in 0..MAX_CLIENTS as u32 {
                let client = IpAddr::V4((0x0a00_0000 + i).into());
                let hour = if i == 0 { NOW / HOUR - 1 } else { NOW / HOUR };
                table.insert(
                    client,
                    Lease {
                        hour,
                        left: 3,
                        next: 4,
                    },
                );
            }
        }
        // The earlier hour's lease makes room for one.
        leases.granted(ANN, NOW, 1, 1);
        leases.granted(ANN, NOW, 2, 2);
        assert!(leases.take(ANN, NOW));
        // No room for another: whatever it is granted, nothing is kept.
        assert_eq!(leases.size(BOB, NOW), 1);
        leases.granted(BOB, NOW, 2, 2);
        assert!(!leases.take(BOB, NOW));
        assert!(!leases.give_back(BOB, NOW));
    }
}
