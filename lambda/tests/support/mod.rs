//! What the suites share:
//!
//! - [`services`]: the test services (DynamoDB Local, maildev, the SMTP test
//!   servers) from the environment, with one rule for when they are missing;
//! - [`app`]: the real service on a loopback port ([`spawn_app`]), in
//!   process, and the answers it must give;
//! - [`inbox`]: the messages it sent, read back from maildev or the outbox;
//! - [`running`]: the built `otp` binary as a child process, its output
//!   read line by line;
//! - random names, tokens and the PKCE challenge, here.

mod app;
mod inbox;
mod running;
mod services;

pub use app::{
    Overrides, TestApp, expect_error, expect_retry_after, random_email, service_vars, solve,
    spawn_app, spawn_app_with, spawn_with_settings, spawn_with_store, wrong,
};
pub use inbox::Inbox;
pub use running::Running;
pub use services::{
    STORE_TIMEOUT_MS, dynamodb_local, dynamodb_local_env, service_env, service_or_skip,
};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// 16 random hex digits, for names no other test uses (tables, folders,
/// addresses).
pub fn random_suffix() -> String {
    let n: u64 = rand::rng().random();
    format!("{n:016x}")
}

/// `bytes` random bytes in unpadded base64url.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}

/// RFC 7636 §4.2: `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}
