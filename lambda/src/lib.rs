//! Email one-time-passcode verification.
//!
//! Layout, each module standing only on those above it (`tests.rs` beside
//! this file checks that no two import each other, directly or around a
//! circle):
//! - [`domain`]: addresses, codes, flows, clients and proof of work, and
//!   their rules; pure, no I/O
//! - [`telemetry`]: the log format and the tracing set-up
//! - [`i18n`]: the languages' catalogs, parsed on first use
//! - [`store`]: where flows, counters, sign-in requests and suppressions
//!   live: each rule written once beside its DynamoDB condition, every key
//!   made in `store::keys`; DynamoDB or memory, one contract
//! - [`mailer`]: how a code reaches the person: SMTP or a local outbox, in
//!   their language
//! - [`metrics`]: what an operator counts, as CloudWatch Embedded Metric Format
//! - [`suppression`]: mailboxes not mailed after a hard bounce or a
//!   complaint, and the handler of SES's notifications
//! - [`gate`]: the per-client budgets kept in memory, in front of the
//!   store, for every step that reaches it
//! - [`service`]: the send, resend and verify steps (one file each) and
//!   the budgets beyond a flow
//! - [`oidc`]: the OpenID Connect provider: apps sign people in with a
//!   verified address
//! - [`http`]: the axum router that serves the API, the provider and the page
//! - [`settings`]: every knob, read once from the environment; the only
//!   module that reads it, building the other modules' types
//! - [`startup`]: building the app from settings, on Lambda or as a local
//!   server, and the binary's other commands

pub mod domain;
pub mod gate;
pub mod http;
pub mod i18n;
pub mod mailer;
pub mod metrics;
pub mod oidc;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;
pub mod suppression;
pub mod telemetry;

#[cfg(test)]
mod tests;
