//! The rules of a verification, free of I/O.
//!
//! - [`email`]: parsing and normalizing an address
//! - [`code`]: generating a code, its keyed hash, constant-time comparison,
//!   sealing it for a resend; the keys of the service's keyed hashes
//! - [`flow`]: flow ids, the flow record and the rules that decide each answer
//! - [`pow`]: proof-of-work challenges, issued and checked
//! - [`client`]: who is asking, as the per-client budgets count clients
//! - [`session`]: the session cookie's value, a public id and a secret
//! - [`device`]: the device cookie's marks, signed, one per identity
//! - [`clock`]: the time source, injectable so tests never sleep

pub mod client;
pub mod clock;
pub mod code;
pub mod device;
pub mod email;
pub mod flow;
pub mod pow;
pub mod session;

pub use clock::{Clock, ManualClock, SystemClock};
pub use code::{Code, CodeHash, CodeHasher, HmacKey, PseudonymKey, SealedCode};
pub use email::{Email, EmailError};
pub use flow::{
    ApprovingTry, CeremonyId, FlowId, FlowRecord, FlowState, LogoutId, Policy, RequestId,
    SessionId, SignInId,
};
