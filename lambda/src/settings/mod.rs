//! Every knob of the service, read once from the environment at start and
//! validated, so a bad value stops the start with a message naming the
//! variable instead of failing on the first request.
//!
//! - [`oidc`]: the OpenID Connect provider's settings
//! - [`edge`]: a front door's (CloudFront's) proof of passage
//! - [`suppression`]: the suppression list, its notifications handler and
//!   the settings that handler and the `otp suppression` commands read

pub mod edge;
pub mod oidc;
pub mod suppression;

pub use edge::EdgeSettings;
pub use oidc::OidcSettings;
use suppression::ses_configuration_set_from;
pub use suppression::{Handler, ListSettings, SuppressionSettings};

use crate::domain::{CodeHasher, HmacKey, Policy};
use crate::metrics;
use crate::telemetry::LogFormat;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{SecretSlice, SecretString};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Where flows live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// In this process only; the local default.
    Memory,
    /// A DynamoDB table. The endpoint, region and credentials come from the
    /// usual AWS variables (`AWS_ENDPOINT_URL_DYNAMODB` points at DynamoDB Local).
    DynamoDb {
        table: String,
        /// `AWS_ENDPOINT_URL_DYNAMODB` (or `AWS_ENDPOINT_URL`): DynamoDB Local.
        endpoint: Option<String>,
        /// Create the table (with TTL) at start if it is missing: local runs only.
        create_table: bool,
    },
}

/// How codes are delivered.
#[derive(Debug, Clone)]
pub enum MailSettings {
    /// Print the code and write `.eml` files into a folder; the local default.
    Outbox { dir: PathBuf },
    /// `smtp://`, `smtps://` (see `SmtpMailer::from_url`).
    Smtp {
        url: SecretString,
        /// Extra trusted CA in PEM, for a relay with a private certificate.
        ca_file: Option<PathBuf>,
    },
}

/// Budgets beyond a single flow (DESIGN §5; `service::limits` explains them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Messages to one mailbox per day that need no proof of work.
    pub sends_per_email_per_day: u32,
    /// Messages one client may have sent to one mailbox per day.
    pub sends_per_email_per_client_per_day: u32,
    /// Messages to one mailbox per day, proof of work or not.
    pub max_sends_per_email_per_day: u32,
    pub failures_per_email_per_day: u32,
    pub sends_per_ip_per_hour: u32,
    pub verifies_per_ip_per_hour: u32,
    /// Leading zero bits of the easiest proof of work.
    pub pow_difficulty: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sends_per_email_per_day: 10,
            sends_per_email_per_client_per_day: 5,
            max_sends_per_email_per_day: 20,
            failures_per_email_per_day: 20,
            sends_per_ip_per_hour: 20,
            verifies_per_ip_per_hour: 60,
            pow_difficulty: 18,
        }
    }
}

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
        let runtime = if env.get("AWS_LAMBDA_RUNTIME_API").is_some() {
            Runtime::Lambda
        } else {
            Runtime::Local
        };
        let on_lambda = runtime == Runtime::Lambda;

        let store = store_from(&env, on_lambda)?;

        let mail = match env.get("OTP_SMTP_URL") {
            Some(url) => MailSettings::Smtp {
                url: SecretString::from(url.to_owned()),
                ca_file: env.get("OTP_SMTP_CA_FILE").map(PathBuf::from),
            },
            None if on_lambda => {
                return Err(SettingsError::Missing {
                    var: "OTP_SMTP_URL",
                    why: "the SMTP server that delivers codes, e.g. smtp://user:pass@host:587?tls=required",
                });
            }
            None => MailSettings::Outbox {
                dir: PathBuf::from(env.get("OTP_OUTBOX_DIR").unwrap_or("outbox")),
            },
        };

        let hasher = hasher_from(&env, on_lambda)?;

        let defaults = Policy::default();
        let policy = Policy {
            code_ttl: env.secs_or("OTP_CODE_TTL_SECS", defaults.code_ttl, 60..=3600)?,
            max_attempts: env.bounded_or("OTP_MAX_ATTEMPTS", defaults.max_attempts, 1..=20)?,
            resend_cooldown: env.secs_or(
                "OTP_RESEND_COOLDOWN_SECS",
                defaults.resend_cooldown,
                0..=3600,
            )?,
            max_sends_per_flow: env.bounded_or(
                "OTP_MAX_SENDS_PER_FLOW",
                defaults.max_sends_per_flow,
                1..=20,
            )?,
            ttl_grace: defaults.ttl_grace,
            default_language: match env.get("OTP_DEFAULT_LOCALE") {
                None => defaults.default_language,
                Some(tag) => otp_api::locale::exact(tag).ok_or_else(|| SettingsError::Invalid {
                    var: "OTP_DEFAULT_LOCALE",
                    why: format!(
                        "`{tag}` is not a supported language; expected one of {}",
                        supported_tags()
                    ),
                })?,
            },
        };

        let limits = Limits::default();
        let limits = Limits {
            sends_per_email_per_day: env.bounded_or(
                "OTP_SENDS_PER_EMAIL_PER_DAY",
                limits.sends_per_email_per_day,
                1..=10_000,
            )?,
            sends_per_email_per_client_per_day: env.bounded_or(
                "OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY",
                limits.sends_per_email_per_client_per_day,
                1..=10_000,
            )?,
            max_sends_per_email_per_day: env.bounded_or(
                "OTP_MAX_SENDS_PER_EMAIL_PER_DAY",
                limits.max_sends_per_email_per_day,
                1..=10_000,
            )?,
            // At most 24, so the hardest challenge (6 bits more) stays
            // solvable within its five minutes in a browser.
            pow_difficulty: env.bounded_or("OTP_POW_DIFFICULTY", limits.pow_difficulty, 1..=24)?,
            failures_per_email_per_day: env.bounded_or(
                "OTP_FAILURES_PER_EMAIL_PER_DAY",
                limits.failures_per_email_per_day,
                1..=10_000,
            )?,
            sends_per_ip_per_hour: env.bounded_or(
                "OTP_SENDS_PER_IP_PER_HOUR",
                limits.sends_per_ip_per_hour,
                1..=1_000_000,
            )?,
            verifies_per_ip_per_hour: env.bounded_or(
                "OTP_VERIFIES_PER_IP_PER_HOUR",
                limits.verifies_per_ip_per_hour,
                1..=1_000_000,
            )?,
        };
        if limits.max_sends_per_email_per_day < limits.sends_per_email_per_day {
            return Err(SettingsError::Invalid {
                var: "OTP_MAX_SENDS_PER_EMAIL_PER_DAY",
                why: format!(
                    "{} is below OTP_SENDS_PER_EMAIL_PER_DAY ({}): the cap with proof of work \
                     cannot be lower than the free budget",
                    limits.max_sends_per_email_per_day, limits.sends_per_email_per_day
                ),
            });
        }

        let client_ip_header = match env.get("OTP_CLIENT_IP_HEADER") {
            None => None,
            Some(name) => Some(name.parse::<axum::http::HeaderName>().map_err(|_| {
                SettingsError::Invalid {
                    var: "OTP_CLIENT_IP_HEADER",
                    why: format!("`{name}` is not a header name"),
                }
            })?),
        };

        let edge = EdgeSettings::from_env(&env)?;
        let oidc = OidcSettings::from_env(&env, on_lambda)?;

        let mail_from = env
            .get("OTP_MAIL_FROM")
            .unwrap_or("OTP <no-reply@localhost.localdomain>")
            .parse()
            .map_err(|_| SettingsError::Invalid {
                var: "OTP_MAIL_FROM",
                why: "not a mailbox, expected e.g. `Example <no-reply@example.com>`".into(),
            })?;

        let (log_format, metrics_namespace) = logs_from(&env, on_lambda)?;
        let suppression = SuppressionSettings::from_env(&env)?;
        let ses_configuration_set = ses_configuration_set_from(&env)?;

        Ok(Settings {
            runtime,
            bind: env.parse_or("OTP_BIND", SocketAddr::from(([127, 0, 0, 1], 3000)))?,
            store,
            store_timeout: store_timeout_from(&env)?,
            mail,
            smtp_timeout: env.secs_or("OTP_SMTP_TIMEOUT_SECS", Duration::from_secs(10), 1..=60)?,
            mail_from,
            product_name: env.get("OTP_PRODUCT_NAME").unwrap_or("OTP").to_owned(),
            web_host: env
                .get("OTP_WEB_HOST")
                .unwrap_or(DEFAULT_WEB_HOST)
                .to_owned(),
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

    /// Settings that work but are likely not what an operator meant; the
    /// service logs each as a warning when it starts.
    pub fn warnings(&self) -> Vec<&'static str> {
        let mut warnings = Vec::new();
        if self.runtime == Runtime::Lambda && self.web_host == DEFAULT_WEB_HOST {
            warnings.push(
                "OTP_WEB_HOST is not set, so messages end with `@localhost #code` and browsers \
                 will not offer the code on the page: set it to the page's host (WebHost in \
                 infra/template.yaml)",
            );
        }
        if self
            .client_ip_header
            .as_ref()
            .is_some_and(|h| h.as_str() == edge::VIEWER_ADDRESS_HEADER)
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

/// Where flows live: `OTP_TABLE` (required on Lambda) or memory.
fn store_from(env: &Env, on_lambda: bool) -> Result<StoreSettings, SettingsError> {
    Ok(match env.get("OTP_TABLE") {
        Some(table) => StoreSettings::DynamoDb {
            table: table.to_owned(),
            endpoint: env
                .get("AWS_ENDPOINT_URL_DYNAMODB")
                .or_else(|| env.get("AWS_ENDPOINT_URL"))
                .map(str::to_owned),
            create_table: env.parse_or("OTP_CREATE_TABLE", !on_lambda)?,
        },
        None if on_lambda => {
            return Err(SettingsError::Missing {
                var: "OTP_TABLE",
                why: "the DynamoDB table that holds flows",
            });
        }
        None => StoreSettings::Memory,
    })
}

/// The HMAC keys: `OTP_HMAC_KEYS` (required on Lambda) or a key of this process.
fn hasher_from(env: &Env, on_lambda: bool) -> Result<CodeHasher, SettingsError> {
    Ok(match env.get("OTP_HMAC_KEYS") {
        Some(spec) => parse_keys(spec)?,
        None if on_lambda => {
            return Err(SettingsError::Missing {
                var: "OTP_HMAC_KEYS",
                why: "`id:base64key[,id:base64key…]`, the first hashes new codes",
            });
        }
        None => CodeHasher::ephemeral(),
    })
}

/// The bound of every store call, retries included.
fn store_timeout_from(env: &Env) -> Result<Duration, SettingsError> {
    Ok(Duration::from_millis(env.bounded_or(
        "OTP_STORE_TIMEOUT_MS",
        2000,
        50..=30_000,
    )?))
}

/// The log format and the metrics namespace.
fn logs_from(env: &Env, on_lambda: bool) -> Result<(LogFormat, String), SettingsError> {
    let log_format = match env.get("OTP_LOG_FORMAT") {
        Some("json") => LogFormat::Json,
        Some("pretty") => LogFormat::Pretty,
        Some(other) => {
            return Err(SettingsError::Invalid {
                var: "OTP_LOG_FORMAT",
                why: format!("`{other}`, expected `json` or `pretty`"),
            });
        }
        None if on_lambda => LogFormat::Json,
        None => LogFormat::Pretty,
    };
    let metrics_namespace = env
        .get("OTP_METRICS_NAMESPACE")
        .unwrap_or(metrics::DEFAULT_NAMESPACE)
        .to_owned();
    metrics::check_namespace(&metrics_namespace).map_err(|why| SettingsError::Invalid {
        var: "OTP_METRICS_NAMESPACE",
        why,
    })?;
    Ok((log_format, metrics_namespace))
}

/// The page's host when `OTP_WEB_HOST` is not set: right for `scripts/run`.
const DEFAULT_WEB_HOST: &str = "localhost";

/// `id:base64key,id:base64key`: the first key hashes new codes, the others
/// still verify codes made before a rotation.
fn parse_keys(spec: &str) -> Result<CodeHasher, SettingsError> {
    let invalid = |why: String| SettingsError::Invalid {
        var: "OTP_HMAC_KEYS",
        why,
    };
    let mut keys = Vec::new();
    for (n, entry) in spec.split(',').map(str::trim).enumerate() {
        let (id, b64) = entry
            .split_once(':')
            .ok_or_else(|| invalid(format!("entry {} is not `id:base64key`", n + 1)))?;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(format!(
                "entry {}: the id must be letters, digits, - or _",
                n + 1
            )));
        }
        let secret = STANDARD
            .decode(b64.trim())
            .map_err(|_| invalid(format!("entry {} (`{id}`): the key is not base64", n + 1)))?;
        if secret.len() < 32 {
            return Err(invalid(format!(
                "entry {} (`{id}`): the key has {} bytes, at least 32 are needed (openssl rand -base64 32)",
                n + 1,
                secret.len()
            )));
        }
        if keys.iter().any(|k: &HmacKey| k.id == id) {
            return Err(invalid(format!("the id `{id}` appears twice")));
        }
        keys.push(HmacKey {
            id: id.to_owned(),
            secret: SecretSlice::from(secret),
        });
    }
    let mut keys = keys.into_iter();
    let current = keys.next().ok_or_else(|| invalid("no key given".into()))?;
    Ok(CodeHasher::new(current, keys.collect()))
}

/// `en, de, …`: the tags of the supported languages, for error messages.
fn supported_tags() -> String {
    let tags: Vec<&str> = otp_api::locale::LANGUAGES.iter().map(|l| l.tag).collect();
    tags.join(", ")
}

struct Env(HashMap<String, String>);

impl Env {
    /// A set, non-empty value.
    fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn parse_or<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, SettingsError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| SettingsError::Invalid {
                var,
                why: format!("`{raw}`: {e}"),
            }),
        }
    }

    fn bounded_or<T>(
        &self,
        var: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, SettingsError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
        T::Err: std::fmt::Display,
    {
        let value = self.parse_or(var, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(SettingsError::Invalid {
                var,
                why: format!("{value} is outside {}..={}", range.start(), range.end()),
            })
        }
    }

    fn secs_or(
        &self,
        var: &'static str,
        default: Duration,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, SettingsError> {
        self.bounded_or(var, default.as_secs(), range)
            .map(Duration::from_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An environment of `pairs`; also for the tests of the settings' parts.
    pub(super) fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub(super) const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn local_defaults_need_no_configuration() {
        let s = Settings::from_vars(HashMap::new()).unwrap();
        assert_eq!(s.runtime, Runtime::Local);
        assert_eq!(s.store, StoreSettings::Memory);
        assert!(matches!(s.mail, MailSettings::Outbox { .. }));
        assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(s.policy.max_attempts, 5);
        assert_eq!(s.policy.default_language.tag, "en");
        assert_eq!(s.log_format, LogFormat::Pretty);
    }

    #[test]
    fn the_default_locale_is_a_supported_tag() {
        let s = Settings::from_vars(vars(&[("OTP_DEFAULT_LOCALE", "PT-br")])).unwrap();
        assert_eq!(s.policy.default_language.tag, "pt-BR");
        for bad in ["pt-PT", "de_DE", "klingon", "*"] {
            let err = Settings::from_vars(vars(&[("OTP_DEFAULT_LOCALE", bad)])).unwrap_err();
            let err = err.to_string();
            assert!(err.starts_with("OTP_DEFAULT_LOCALE is invalid"), "{err}");
            assert!(err.contains("en, de, fr, es, pt-BR, ja, ar"), "{err}");
        }
    }

    #[test]
    fn lambda_refuses_to_fall_back_to_local_defaults() {
        let err =
            Settings::from_vars(vars(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")])).unwrap_err();
        assert!(err.to_string().contains("OTP_TABLE"), "{err}");
        let err = Settings::from_vars(vars(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("OTP_TABLE", "otp"),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OTP_SMTP_URL"), "{err}");
        let err = Settings::from_vars(vars(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("OTP_TABLE", "otp"),
            (
                "OTP_SMTP_URL",
                "smtp://u:p@mail.example.com:587?tls=required",
            ),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OTP_HMAC_KEYS"), "{err}");
        let mut env = lambda_env();
        for var in ["OTP_ISSUER", "OTP_SIGNING_KEYS", "OTP_SUBJECT_KEY"] {
            let value = env.remove(var).unwrap();
            let err = Settings::from_vars(env.clone()).unwrap_err();
            assert!(err.to_string().starts_with(var), "{err}");
            env.insert(var.into(), value);
        }
        assert!(Settings::from_vars(env).is_ok());
    }

    /// A complete Lambda configuration.
    fn lambda_env() -> HashMap<String, String> {
        let keys = format!("k2:{KEY},k1:{KEY}");
        vars(&[
            ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
            ("OTP_TABLE", "otp"),
            (
                "OTP_SMTP_URL",
                "smtp://u:p@mail.example.com:587?tls=required",
            ),
            ("OTP_HMAC_KEYS", &keys),
            ("OTP_ISSUER", "https://otp.example.com/"),
            (
                "OTP_SIGNING_KEYS",
                crate::oidc::keys::tests::test_pkcs8_pem(),
            ),
            ("OTP_SUBJECT_KEY", KEY),
        ])
    }

    #[test]
    fn the_provider_is_configured_or_local() {
        let s = Settings::from_vars(lambda_env()).unwrap();
        assert_eq!(s.oidc.issuer.as_deref(), Some("https://otp.example.com"));
        assert!(!s.oidc.subject_key_generated);
        assert_eq!(s.oidc.describe_keys(), "configured");
        let bound: SocketAddr = "127.0.0.1:4000".parse().unwrap();
        assert_eq!(s.oidc.issuer_for(bound), "https://otp.example.com");
        let local = Settings::from_vars(HashMap::new()).unwrap();
        assert_eq!(local.oidc.issuer, None);
        assert!(local.oidc.subject_key_generated);
        assert!(local.oidc.clients.is_empty());
        assert_eq!(local.oidc.issuer_for(bound), "http://127.0.0.1:4000");
        assert_eq!(
            local.oidc.issuer_for("0.0.0.0:4000".parse().unwrap()),
            "http://127.0.0.1:4000"
        );
        assert!(
            local
                .oidc
                .describe_keys()
                .starts_with("signing key generated")
        );
        let clients = r#"[{"id":"app","name":"App","redirect_uris":["http://127.0.0.1:9/cb"]}]"#;
        let s = Settings::from_vars(vars(&[("OTP_CLIENTS", clients)])).unwrap();
        assert!(s.oidc.clients.get("app").is_some());
    }

    #[test]
    fn lambda_with_full_configuration_starts() {
        let mut env = lambda_env();
        let s = Settings::from_vars(env.clone()).unwrap();
        assert_eq!(s.hasher.current_key_id(), "k2");
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.metrics_namespace, "otp");
        assert_eq!(
            s.store,
            StoreSettings::DynamoDb {
                table: "otp".into(),
                endpoint: None,
                create_table: false
            }
        );
        // Without the page's host it runs, and says what it is missing.
        let warnings = s.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].starts_with("OTP_WEB_HOST is not set"));
        env.insert("OTP_WEB_HOST".into(), "otp.example.com".into());
        let s = Settings::from_vars(env.clone()).unwrap();
        assert_eq!(s.warnings(), Vec::<&str>::new());
        let local = Settings::from_vars(HashMap::new()).unwrap();
        assert_eq!(local.warnings(), Vec::<&str>::new(), "localhost is right");

        // CloudFront's header without the secret that proves a request came
        // through CloudFront: anyone can forge it at the function URL.
        env.insert(
            "OTP_CLIENT_IP_HEADER".into(),
            "CloudFront-Viewer-Address".into(),
        );
        let s = Settings::from_vars(env.clone()).unwrap();
        let warnings = s.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("OTP_ORIGIN_VERIFY_SECRET is not set"));
        env.insert(
            "OTP_ORIGIN_VERIFY_SECRET".into(),
            "Q7w2Er9Ty4Ui1Op6As3Df8Gh5Jk0Lz7Xc2Vb9Nm4".into(),
        );
        let s = Settings::from_vars(env).unwrap();
        assert_eq!(s.warnings(), Vec::<&str>::new());
    }

    #[test]
    fn errors_name_the_variable() {
        for (var, value) in [
            ("OTP_MAX_ATTEMPTS", "0"),
            ("OTP_MAX_ATTEMPTS", "five"),
            ("OTP_CODE_TTL_SECS", "999999"),
            ("OTP_BIND", "localhost"),
            ("OTP_MAIL_FROM", "not an address"),
            ("OTP_LOG_FORMAT", "xml"),
            ("OTP_METRICS_NAMESPACE", "AWS/Lambda"),
            ("OTP_METRICS_NAMESPACE", "otp{prod}"),
            ("OTP_HMAC_KEYS", "k1:c2hvcnQ="),
            ("OTP_HMAC_KEYS", "k1"),
            ("OTP_MAX_SENDS_PER_EMAIL_PER_DAY", "3"),
            ("OTP_POW_DIFFICULTY", "25"),
            ("OTP_CLIENT_IP_HEADER", "not a header"),
            ("OTP_ISSUER", "http://otp.example.com"),
            ("OTP_CLIENTS", "{}"),
            (
                "OTP_CLIENTS",
                r#"[{"id":"app","name":"App","redirect_uris":[]}]"#,
            ),
            ("OTP_SIGNING_KEYS", "not a key"),
            ("OTP_SUBJECT_KEY", "c2hvcnQ="),
        ] {
            let err = Settings::from_vars(vars(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Settings::from_vars(vars(&[
            ("OTP_SMTP_URL", "smtp://user:hunter2@mail.example.com"),
            ("OTP_HMAC_KEYS", &format!("k1:{KEY}")),
            ("OTP_SUBJECT_KEY", KEY),
            (
                "OTP_CLIENTS",
                r#"[{"id":"app","name":"App","redirect_uris":["https://a.example/cb"],"secret":"correct-horse-battery-staple-0123456789"}]"#,
            ),
            (
                "OTP_SIGNING_KEYS",
                crate::oidc::keys::tests::test_pkcs8_pem(),
            ),
        ]))
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains(KEY), "{printed}");
        assert!(!printed.contains("correct-horse"), "{printed}");
        assert!(!printed.contains("PRIVATE"), "{printed}");
    }
}
