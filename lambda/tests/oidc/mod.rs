//! The OpenID Connect provider over real HTTP, checked against the standards
//! it follows (OpenID Connect Core 1.0 and Discovery 1.0, RFC 6749, 6750,
//! 7636, 7638, 9207, 9700) and its own rules: redirect URIs match exactly,
//! an unknown client or an unregistered redirect URI is never redirected
//! to, every state change (request consumed, code issued, code redeemed,
//! token revoked) is one conditional write, secrets and codes are stored
//! only as hashes:
//!
//! - [`relying_party`]: an app built on the `openidconnect` crate signs a
//!   person in end to end (discovery, PKCE, the page's steps with the real
//!   mail, the code exchange, ID token validation, UserInfo);
//! - [`authorize`]: what `/authorize` refuses, and how (an error page or a
//!   redirect with `error`, `state` and `iss`); the page's sign-in steps;
//! - [`token`]: what `/token` refuses, code replay and expiry, races, the
//!   failure budget;
//! - [`strangers`]: what a stranger cannot do at `/token` (shut an app out,
//!   revoke its tokens, go around the budgets);
//! - [`logs`]: what a refused client authentication writes to the log;
//! - [`budgets`]: the per-client budgets of the provider's endpoints;
//! - [`contract`]: `/userinfo`'s 400, as the API document lists it;
//! - [`userinfo`]: bearer tokens at `/userinfo`;
//! - [`discovery`]: the provider's metadata and its keys;
//! - [`keys`]: configured signing keys and the subject key;
//! - [`subjects`]: which spellings of an address are one `sub`.
//!
//! Runs on the memory store and the outbox without services, and on DynamoDB
//! Local and maildev under
//! `scripts/services -- cargo test -p otp-lambda --test integration oidc::`.

mod authorize;
mod budgets;
mod contract;
mod discovery;
mod keys;
mod logs;
mod relying_party;
mod strangers;
mod subjects;
mod support;
mod token;
mod userinfo;
