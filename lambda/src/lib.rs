//! Email one-time-passcode verification.
//!
//! Layout:
//! - [`domain`]: addresses, codes, flows and their rules; pure, no I/O
//! - [`store`]: where flows and counters live: DynamoDB or memory, one contract
//! - [`i18n`]: the languages' catalogs, parsed on first use
//! - [`mailer`]: how a code reaches the person: SMTP or a local outbox, in their language
//! - [`service`]: the send, resend and verify steps, tying the three together
//! - [`metrics`]: what an operator counts, as CloudWatch Embedded Metric Format
//! - [`suppression`]: mailboxes not mailed after a hard bounce or a complaint
//! - [`oidc`]: the OpenID Connect provider: apps sign people in with a verified address
//! - [`http`]: the axum router that serves the API and the page
//! - [`settings`]: every knob, read once from the environment
//! - [`startup`]: building the app from settings, on Lambda or as a local server

pub mod domain;
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
