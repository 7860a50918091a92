//! Every knob of the service, read once from the environment at start and
//! validated, so a bad value stops the start with a message naming the
//! variable instead of failing on the first request. This is the one place
//! that reads the environment: it builds the types the other modules own
//! (the code policy, the budgets, the hasher, the provider's clients and
//! keys, the suppression settings) and hands them over at start.
//!
//! - `env`: reading a variable, its range, its error
//! - `defaults`: what a local run uses where a variable is unset
//! - `store`, `mail`: where flows live, how codes are delivered
//! - `rules`: the code policy, the budgets and the keys (HMAC keys, and
//!   the subject key the names of budgets are derived from)
//! - `telemetry`: the log format and the metrics namespace
//! - `edge`: a front door's (CloudFront's) proof of passage and the client
//!   address header
//! - `oidc`: the OpenID Connect provider's settings
//! - `suppression`: what the notifications handler and the
//!   `otp suppression` commands read, and which handler runs

mod defaults;
mod edge;
mod env;
mod mail;
mod oidc;
mod rules;
mod store;
mod suppression;
mod telemetry;

pub use edge::EdgeSettings;
pub use mail::MailSettings;
pub use oidc::OidcSettings;
pub use store::StoreSettings;
pub use suppression::{Handler, ListSettings};

use crate::domain::{CodeHasher, Policy};
use crate::http;
use crate::service::Limits;
use crate::suppression::SuppressionSettings;
use crate::telemetry::LogFormat;
use env::Env;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Where the process runs, which decides the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Lambda,
    Local,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub runtime: Runtime,
    /// Local server address.
    pub bind: SocketAddr,
    pub store: StoreSettings,
    pub store_timeout: Duration,
    pub mail: MailSettings,
    pub smtp_timeout: Duration,
    /// `From:` of every message.
    pub mail_from: lettre::message::Mailbox,
    /// Shown in the subject and body.
    pub product_name: String,
    /// The page's host, for the `@host #code` line that lets browsers offer the code.
    pub web_host: String,
    pub hasher: CodeHasher,
    pub policy: Policy,
    pub limits: Limits,
    pub log_format: LogFormat,
    /// The CloudWatch namespace of the metrics (`OTP_METRICS_NAMESPACE`,
    /// default `otp`); see [`crate::metrics`].
    pub metrics_namespace: String,
    /// The request header that holds the client's address, for deployments
    /// behind a proxy the operator trusts (`OTP_CLIENT_IP_HEADER`); without
    /// it, the address comes from the Lambda request context or the TCP peer.
    pub client_ip_header: Option<axum::http::HeaderName>,
    /// The front door's secret, if requests must come through one.
    pub edge: EdgeSettings,
    /// The OpenID Connect provider: issuer, apps, keys.
    pub oidc: OidcSettings,
    /// How long bounces and complaints suppress a mailbox.
    pub suppression: SuppressionSettings,
    /// The SES configuration set named in every message
    /// (`OTP_SES_CONFIGURATION_SET`), whose event destination reports
    /// bounces and complaints.
    pub ses_configuration_set: Option<String>,
}

/// A setting that stops the start; names the variable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{var} is required when running on AWS Lambda: {why}")]
    Missing {
        var: &'static str,
        why: &'static str,
    },
    #[error("{var} is invalid: {why}")]
    Invalid { var: &'static str, why: String },
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, SettingsError> {
        Settings::from_vars(std::env::vars().collect())
    }

    /// Reads the given variables; tests pass their own.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<Settings, SettingsError> {
        let env = Env(vars);
        let runtime = env.runtime();
        let on_lambda = runtime == Runtime::Lambda;
        let store = store::store_from(&env, on_lambda)?;
        let mail = mail::mail_from_env(&env, on_lambda)?;
        let (hasher, subject_key, subject_key_generated) = rules::keys_from(&env, on_lambda)?;
        let policy = rules::policy_from(&env)?;
        let limits = rules::limits_from(&env)?;
        let client_ip_header = edge::client_ip_header_from(&env)?;
        let edge = EdgeSettings::from_env(&env)?;
        let oidc = OidcSettings::from_env(&env, on_lambda, subject_key, subject_key_generated)?;
        let mail_from = mail::sender_from(&env)?;
        let (log_format, metrics_namespace) = telemetry::logs_from(&env, on_lambda)?;
        let suppression = suppression::suppression_from(&env)?;
        let ses_configuration_set = suppression::ses_configuration_set_from(&env)?;
        Ok(Settings {
            runtime,
            bind: env.parse_or("OTP_BIND", defaults::BIND)?,
            store,
            store_timeout: store::store_timeout_from(&env)?,
            mail,
            smtp_timeout: mail::smtp_timeout_from(&env)?,
            mail_from,
            product_name: mail::product_name_from(&env),
            web_host: mail::web_host_from(&env),
            hasher,
            policy,
            limits,
            log_format,
            metrics_namespace,
            client_ip_header,
            edge,
            oidc,
            suppression,
            ses_configuration_set,
        })
    }

    /// How the router reads requests: the client address header, the front
    /// door's secret, the language the page declares.
    pub fn http_options(&self) -> http::Options {
        http::Options {
            client_ip_header: self.client_ip_header.clone(),
            origin_secret: self
                .edge
                .origin_secret_bytes()
                .map(http::edge::OriginSecret::new),
            default_language: self.policy.default_language,
        }
    }

    /// Settings that work but are likely not what an operator meant; the
    /// service logs each as a warning when it starts.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.runtime == Runtime::Lambda && self.web_host == defaults::WEB_HOST {
            warnings.push(
                "OTP_WEB_HOST is not set, so messages end with `@localhost #code` and browsers \
                 will not offer the code on the page: set it to the page's host (WebHost in \
                 infra/template.yaml)",
            );
        }
        if self
            .client_ip_header
            .as_ref()
            .is_some_and(|h| h.as_str() == http::edge::VIEWER_ADDRESS_HEADER)
            && self.edge.origin_secret.is_none()
        {
            warnings.push(
                "OTP_CLIENT_IP_HEADER is CloudFront-Viewer-Address but OTP_ORIGIN_VERIFY_SECRET is \
                 not set: anyone who finds the function URL can call it directly with a forged \
                 address and be counted as someone else",
            );
        }
        warnings
    }
}

#[cfg(test)]
mod tests;
