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
//! - [`subjects`]: which spellings of an address are one `sub`;
//! - [`sessions`]: the session on the provider's origin as apps meet it
//!   (`prompt=none`, `prompt=login`, `max_age`, `id_token_hint`, "Continue");
//! - [`refresh`]: refresh tokens, their rotation and reuse;
//! - [`logout`]: RP-initiated and back-channel logout, signing out everywhere;
//! - [`mail`]: a sign-in's code mail names the app;
//! - [`session_refusals`]: what the session refuses, one test each;
//! - [`without_pkce`]: a confidential client registered without PKCE;
//! - [`passkeys`]: adding a passkey after a code, signing in with it (no
//!   mail; an app's ID token with the passkey's `amr`), removing it, and
//!   two answers racing on one challenge; [`passkey_refusals`]: what a
//!   passkey sign-in refuses, one test each; [`authenticator`]: the
//!   software authenticator both use.
//!
//! Runs on the memory store and the outbox without services, and on DynamoDB
//! Local and maildev under
//! `scripts/services -- cargo test -p otp-lambda --test integration oidc::`.

mod authenticator;
mod authorize;
mod browser;
mod budgets;
mod contract;
mod discovery;
mod keys;
mod logout;
mod logs;
mod mail;
mod passkey_refusals;
mod passkeys;
mod receiver;
mod refresh;
mod relying_party;
mod rp;
mod session_refusals;
mod sessions;
mod strangers;
mod subjects;
mod support;
mod token;
mod userinfo;
mod without_pkce;
