//! Budgets that outlive a single flow, and the order they are checked in;
//! and the numbers of the per-client budgets of every step, which the gate
//! ([`crate::gate`]) keeps in memory (for the provider's endpoints, only
//! there).
//!
//! A new message (a first code or a resend) passes, in one atomic write with
//! the flow change (see [`crate::store::Admission`]):
//! 1. the client's budget: sends per client (IPv4 address or IPv6 /64) per
//!    hour — the cheapest and most selective, and the only one whose wait is
//!    told exactly (it is the client's own);
//! 2. what this client may do to this address: sends per address and client
//!    per day;
//! 3. the address's budget: sends per address per day. Up to the free
//!    budget anyone may send; past it, and while the address is locked out
//!    after many wrong codes, a send needs a solved proof of work
//!    ([`crate::domain::pow`]) instead of being refused, so strangers cannot
//!    lock the owner out; with a proof, up to the absolute cap.
//!
//! A message from the address's owner — a browser whose device cookie holds
//! a mark of the address's identity from a code in the last 30 days, or
//! whose live session is of that identity ([`crate::domain::device`]) — is
//! counted instead against that device's own budget: sends per device and
//! identity per day, in place of 2. and 3. So strangers who spend the
//! address's budgets (from many clients, with proofs of work) never keep the
//! owner's browser from a code. Only a code from the mailbox makes a mark, so
//! marks are as many as devices that read the mailbox; a first-time device
//! still meets the address's budgets. Lockouts and suppressions hold for
//! the owner too. The device's budget keys on the device and the identity
//! (split, the safe side: at worst one person's two spellings have two
//! budgets, each bounded).
//!
//! Address-scoped refusals all answer alike, with a coarse wait
//! ([`ADDRESS_RETRY_AFTER`]), so the answer does not tell which budget of the
//! address is spent or when it renews. Every address budget keys on the
//! address's budget key ([`Email::budget_key`]), so other spellings of one
//! inbox share it.
//!
//! Each budget is a counter item ([`keys::counter`]); windows are fixed (the
//! hour or day since the epoch); the subject is a keyed hash of the mailbox
//! or client prefix, never the raw value. The address's counter of sends
//! per day also lists the flows it was charged for, and is kept two windows
//! past its own, so later sends find the address's failures.
//!
//! Failed verifies count per address per day; every `limit` of them start a
//! lockout — 15 minutes for the first, doubling with each further one that
//! day, at most 24 hours. A lockout does not refuse the owner: it makes new
//! codes need a proof of work, harder for each lockout. Codes already sent
//! keep their own limit of tries. The failures are summed from the
//! address's flows when a new message is asked for (`lockout.rs`), so a
//! wrong code costs the write that counts its try and the client's charge,
//! side by side.
//!
//! The client's verify budget is charged for every verify that approves
//! nothing, before it is known whether the code is right (a right code is
//! rare, one per flow, and gets its charge back). The charge is a unit of
//! this instance's lease of the budget (`lease.rs`): most verifies of a
//! busy client write nothing for it, and the lease write a verify needs
//! goes out beside the try's count, so a wrong code is answered after one
//! round trip. The direction of error is safe: a charge whose give-back
//! fails, like a unit leased and not spent, leaves the client charged one
//! verify too many, never one too few.

mod admission;
mod lease;
mod lockout;

pub(crate) use admission::{Message, Refused, SendAdmission};
use lease::Leases;

use super::ServiceError;
use crate::domain::client::ip_subject;
use crate::domain::{CodeHasher, Email};
use crate::gate::Step;
use crate::store::{Store, keys};
use std::net::IpAddr;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// The longest a code lives (`OTP_CODE_TTL_SECS` is at most an hour): every
/// try of a day is on a flow with a message at most this long before it.
const LONGEST_CODE: u64 = HOUR;
/// The wait every address-scoped refusal states, whatever the budget and
/// however long it really has left.
pub(crate) const ADDRESS_RETRY_AFTER: u64 = HOUR;

/// The budgets beyond a single flow, as this module explains them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Messages to one mailbox per day that need no proof of work.
    pub sends_per_email_per_day: u32,
    /// Messages one client may have sent to one mailbox per day.
    pub sends_per_email_per_client_per_day: u32,
    /// Messages to one mailbox per day, proof of work or not.
    pub max_sends_per_email_per_day: u32,
    /// Wrong codes to one mailbox per day, across its flows, before each
    /// lockout.
    pub failures_per_email_per_day: u32,
    /// Messages one client (IPv4 address, IPv6 /64) may send per hour.
    pub sends_per_ip_per_hour: u32,
    /// Messages a device that proved an address may have sent to it per
    /// day, in place of the address's budgets.
    pub sends_per_device_per_day: u32,
    /// Verifies that approve nothing, per client per hour.
    pub verifies_per_ip_per_hour: u32,
    /// Leading zero bits of the easiest proof of work.
    pub pow_difficulty: u32,
    /// `/authorize` requests per client per hour (each stores a sign-in
    /// request); kept only in the gate.
    pub authorizes_per_ip_per_hour: u32,
    /// `/api/sign-in` requests per client per hour; kept only in the gate.
    pub sign_in_reads_per_ip_per_hour: u32,
    /// `/api/sign-in/cancel` requests per client per hour; kept only in the
    /// gate.
    pub sign_in_cancels_per_ip_per_hour: u32,
    /// `/userinfo` requests with a token that get no claims, per client per
    /// hour; kept only in the gate.
    pub userinfo_failures_per_ip_per_hour: u32,
    /// Passkey sign-in options, and answers that sign no one in, per
    /// client per hour; kept only in the gate (failed answers also have
    /// budgets in the store, `passkey::budget`).
    pub passkey_steps_per_ip_per_hour: u32,
}

impl Limits {
    /// How many times a client may ask `step` per hour on one instance.
    pub fn per_client_per_hour(&self, step: Step) -> u32 {
        match step {
            Step::Send => self.sends_per_ip_per_hour,
            Step::Verify => self.verifies_per_ip_per_hour,
            Step::Authorize => self.authorizes_per_ip_per_hour,
            Step::SignInRead => self.sign_in_reads_per_ip_per_hour,
            Step::SignInCancel => self.sign_in_cancels_per_ip_per_hour,
            Step::UserinfoFailure => self.userinfo_failures_per_ip_per_hour,
            Step::Passkey => self.passkey_steps_per_ip_per_hour,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sends_per_email_per_day: 10,
            sends_per_email_per_client_per_day: 5,
            max_sends_per_email_per_day: 20,
            failures_per_email_per_day: 20,
            sends_per_ip_per_hour: 20,
            sends_per_device_per_day: 10,
            verifies_per_ip_per_hour: 60,
            pow_difficulty: 18,
            authorizes_per_ip_per_hour: 60,
            sign_in_reads_per_ip_per_hour: 60,
            sign_in_cancels_per_ip_per_hour: 60,
            userinfo_failures_per_ip_per_hour: 60,
            passkey_steps_per_ip_per_hour: 60,
        }
    }
}

/// Applies the [`Limits`]: builds each new message's admission (lockouts
/// included), charges the verifies, and refunds what was charged for
/// nothing. Every count is in the store; what it keeps is the units of the
/// verify budget the store granted this instance.
pub(crate) struct Limiter {
    limits: Limits,
    hasher: CodeHasher,
    /// The flow's tries ([`crate::domain::Policy::max_attempts`]): how many
    /// failures a live flow may still add.
    max_attempts: u32,
    leases: Leases,
}

impl Limiter {
    pub(crate) fn new(limits: Limits, hasher: CodeHasher, max_attempts: u32) -> Limiter {
        let leases = Leases::new(limits.verifies_per_ip_per_hour);
        Limiter {
            limits,
            hasher,
            max_attempts,
            leases,
        }
    }

    /// The counter of `scope` for `subject` in the window of `now`, and the
    /// window's end.
    fn counter_key(&self, scope: &str, subject: &str, window: u64, now: u64) -> (String, u64) {
        let index = now / window;
        let key = keys::counter(scope, &self.hasher.subject(scope, subject), index);
        (key, (index + 1) * window)
    }

    /// The address's sends per day of `day`: a budget, and the list of the
    /// flows of its messages that day.
    fn address_key(&self, email: &Email, day: u64) -> (String, u64) {
        self.counter_key("send-email", email.budget_key(), DAY, day * DAY)
    }

    /// The counters that list every flow of `email` with a try today or
    /// yesterday ([`crate::store::Store::listed_flows`]): its sends of the
    /// days from a code's lifetime before yesterday to today.
    pub(crate) fn flow_lists(&self, email: &Email, now: u64) -> Vec<String> {
        let yesterday = (now / DAY).saturating_sub(1) * DAY;
        let first = yesterday.saturating_sub(LONGEST_CODE) / DAY;
        (first..=now / DAY)
            .map(|day| self.address_key(email, day).0)
            .collect()
    }

    fn verify_key(&self, ip: IpAddr, now: u64) -> (String, u64) {
        self.counter_key("verify-ip", &ip_subject(ip), HOUR, now)
    }

    /// Spends a unit of this instance's lease of `ip`'s verify budget for
    /// the hour of `now`, if one is left: the verify is charged, and
    /// nothing is written.
    pub(crate) fn take_leased_verify(&self, ip: IpAddr, now: u64) -> bool {
        self.leases.take(ip, now)
    }

    /// Charges one verify from `ip` that may approve nothing: a unit of the
    /// lease if one is left, otherwise a new lease (one write); refuses past
    /// the hourly budget.
    pub(crate) async fn charge_verify(
        &self,
        store: &dyn Store,
        ip: IpAddr,
        now: u64,
    ) -> Result<(), ServiceError> {
        if self.leases.take(ip, now) {
            return Ok(());
        }
        self.lease_verify(store, ip, now).await
    }

    /// Leases units of `ip`'s verify budget for the hour of `now`, one of
    /// them spent by this verify; refuses when the counter has none left.
    pub(crate) async fn lease_verify(
        &self,
        store: &dyn Store,
        ip: IpAddr,
        now: u64,
    ) -> Result<(), ServiceError> {
        let (key, end) = self.verify_key(ip, now);
        let size = self.leases.size(ip, now);
        let count = store
            .add_to_counter(&key, i64::from(size), end + HOUR)
            .await?;
        // What the budget had left before this lease, up to its size.
        let left = i64::from(self.limits.verifies_per_ip_per_hour) - (count - i64::from(size));
        let granted = u32::try_from(left.clamp(0, i64::from(size))).unwrap_or(0);
        if granted == 0 {
            return Err(ServiceError::RateLimited {
                scope: "verifies per client",
                retry_after: (end - now).max(1),
            });
        }
        self.leases.granted(ip, now, size, granted);
        Ok(())
    }

    /// Seconds until the client's verify budget renews, if every unit of it
    /// is granted (this instance's lease is spent too: a caller holding a
    /// unit has taken it first); a read, no write.
    pub(crate) async fn verify_spent(
        &self,
        store: &dyn Store,
        ip: IpAddr,
        now: u64,
    ) -> Result<Option<u64>, ServiceError> {
        let (key, end) = self.verify_key(ip, now);
        let count = store.read_counter(&key).await?;
        Ok((count >= i64::from(self.limits.verifies_per_ip_per_hour)).then(|| (end - now).max(1)))
    }

    /// Gives back the charge of a verify that approved after all (or was a
    /// replay of an approval): to this instance's lease, or to the store if
    /// the lease is gone. Best effort: a charge kept costs the client one
    /// verify of its hour, never lets one more through.
    pub(crate) async fn refund_verify(&self, store: &dyn Store, ip: IpAddr, now: u64) {
        if self.leases.give_back(ip, now) {
            return;
        }
        let (key, end) = self.verify_key(ip, now);
        if let Err(e) = store.add_to_counter(&key, -1, end + HOUR).await {
            tracing::warn!(error = %e, "could not give back a verify's charge");
        }
    }
}

#[cfg(test)]
mod tests;
