//! The suppression list's settings, and the smaller set the notifications
//! handler and the `otp suppression` commands read: those need the table,
//! the HMAC keys and the subject key (suppressions are named under a key
//! derived from it, older ones under the HMAC keys), never the SMTP URL or
//! the signing keys, so their function holds no secret it does not use.

use super::rules::keys_from;
use super::store::{store_from, store_timeout_from};
use super::telemetry::logs_from;
use super::{Env, Runtime, SettingsError, StoreSettings};
use crate::domain::CodeHasher;
use crate::suppression::SuppressionSettings;
use crate::telemetry::LogFormat;
use std::collections::HashMap;
use std::time::Duration;

const DAY: u64 = 24 * 3600;

/// What the binary serves on Lambda (`OTP_HANDLER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// The page, the API and the OpenID Connect endpoints (`http`, the default).
    Http,
    /// SES bounce and complaint notifications delivered by SNS (`notifications`).
    Notifications,
}

impl Handler {
    pub fn from_env() -> Result<Handler, SettingsError> {
        Handler::from_vars(&std::env::vars().collect())
    }

    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Handler, SettingsError> {
        match vars.get("OTP_HANDLER").map(|v| v.trim()) {
            None | Some("") | Some("http") => Ok(Handler::Http),
            Some("notifications") => Ok(Handler::Notifications),
            Some(other) => Err(SettingsError::Invalid {
                var: "OTP_HANDLER",
                why: format!("`{other}`, expected `http` or `notifications`"),
            }),
        }
    }
}

/// `OTP_BOUNCE_SUPPRESSION_DAYS` and `OTP_COMPLAINT_SUPPRESSION_DAYS`.
pub(super) fn suppression_from(env: &Env) -> Result<SuppressionSettings, SettingsError> {
    let defaults = SuppressionSettings::default();
    let days = |var, default: Duration| -> Result<Duration, SettingsError> {
        let days = env.bounded_or(var, default.as_secs() / DAY, 0..=3650)?;
        Ok(Duration::from_secs(days * DAY))
    };
    Ok(SuppressionSettings {
        bounce: days("OTP_BOUNCE_SUPPRESSION_DAYS", defaults.bounce)?,
        complaint: days("OTP_COMPLAINT_SUPPRESSION_DAYS", defaults.complaint)?,
    })
}

/// `OTP_SES_CONFIGURATION_SET`: a configuration set name as SES allows it
/// (letters, digits, `_` and `-`, at most 64).
pub(super) fn ses_configuration_set_from(env: &Env) -> Result<Option<String>, SettingsError> {
    let Some(name) = env.get("OTP_SES_CONFIGURATION_SET") else {
        return Ok(None);
    };
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if name.len() > 64 || !name.bytes().all(allowed) {
        return Err(SettingsError::Invalid {
            var: "OTP_SES_CONFIGURATION_SET",
            why: format!("`{name}`: 1 to 64 letters, digits, `_` or `-` expected"),
        });
    }
    Ok(Some(name.to_owned()))
}

/// What the notifications handler and the `otp suppression` commands need.
#[derive(Debug, Clone)]
pub struct ListSettings {
    pub runtime: Runtime,
    pub store: StoreSettings,
    pub store_timeout: Duration,
    pub hasher: CodeHasher,
    pub suppression: SuppressionSettings,
    pub log_format: LogFormat,
    pub metrics_namespace: String,
}

impl ListSettings {
    pub fn from_env() -> Result<ListSettings, SettingsError> {
        ListSettings::from_vars(std::env::vars().collect())
    }

    /// Like [`super::Settings::from_vars`], and as strict on Lambda: the
    /// table and the keys are required there.
    pub fn from_vars(vars: HashMap<String, String>) -> Result<ListSettings, SettingsError> {
        let env = Env(vars);
        let on_lambda = env.runtime() == Runtime::Lambda;
        ListSettings::read(&env, on_lambda)
    }

    /// [`ListSettings::for_command`] of the process environment.
    pub fn for_command_from_env() -> Result<ListSettings, SettingsError> {
        ListSettings::for_command(std::env::vars().collect())
    }

    /// For the `otp suppression` commands, wherever they run: the table and
    /// the keys are required (with keys of its own the command would look
    /// under the wrong names and find nothing), and the table is never
    /// created.
    pub fn for_command(vars: HashMap<String, String>) -> Result<ListSettings, SettingsError> {
        let mut settings = ListSettings::read(&Env(vars), true).map_err(|e| match e {
            SettingsError::Missing { var, why } => SettingsError::Invalid {
                var,
                why: format!("not set; the suppression commands need it ({why})"),
            },
            other => other,
        })?;
        if let StoreSettings::DynamoDb { create_table, .. } = &mut settings.store {
            *create_table = false;
        }
        Ok(settings)
    }

    fn read(env: &Env, required: bool) -> Result<ListSettings, SettingsError> {
        let runtime = env.runtime();
        let (log_format, metrics_namespace) = logs_from(env, runtime == Runtime::Lambda)?;
        Ok(ListSettings {
            runtime,
            store: store_from(env, required)?,
            store_timeout: store_timeout_from(env)?,
            hasher: keys_from(env, required)?.0,
            suppression: suppression_from(env)?,
            log_format,
            metrics_namespace,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::{KEY, vars};

    #[test]
    fn the_handler_is_http_unless_told() {
        assert_eq!(Handler::from_vars(&vars(&[])).unwrap(), Handler::Http);
        let notifications = vars(&[("OTP_HANDLER", "notifications")]);
        assert_eq!(
            Handler::from_vars(&notifications).unwrap(),
            Handler::Notifications
        );
        let err = Handler::from_vars(&vars(&[("OTP_HANDLER", "sqs")])).unwrap_err();
        assert!(err.to_string().starts_with("OTP_HANDLER"), "{err}");
    }

    /// The notifications function runs with the table and the keys alone.
    #[test]
    fn the_list_needs_only_the_table_and_the_keys_on_lambda() {
        let lambda = [("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")];
        let err = ListSettings::from_vars(vars(&lambda)).unwrap_err();
        assert!(err.to_string().contains("OTP_TABLE"), "{err}");
        let keys = format!("k1:{KEY}");
        let err = ListSettings::from_vars(vars(&[
            lambda[0],
            ("OTP_TABLE", "otp"),
            ("OTP_HMAC_KEYS", &keys),
        ]))
        .unwrap_err();
        assert!(err.to_string().contains("OTP_SUBJECT_KEY"), "{err}");
        let s = ListSettings::from_vars(vars(&[
            lambda[0],
            ("OTP_TABLE", "otp"),
            ("OTP_HMAC_KEYS", &keys),
            ("OTP_SUBJECT_KEY", KEY),
            ("OTP_COMPLAINT_SUPPRESSION_DAYS", "0"),
        ]))
        .unwrap();
        assert_eq!(s.runtime, Runtime::Lambda);
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.suppression.bounce, Duration::from_secs(90 * DAY));
        assert_eq!(s.suppression.complaint, Duration::ZERO);
    }

    /// The commands run locally, against the deployed table: they need its
    /// name and the keys, and never create it.
    #[test]
    fn the_commands_need_the_table_and_the_keys_anywhere() {
        let keys = format!("k1:{KEY}");
        let err = ListSettings::for_command(vars(&[("OTP_TABLE", "otp")])).unwrap_err();
        assert!(err.to_string().contains("OTP_HMAC_KEYS"), "{err}");
        let err = ListSettings::for_command(vars(&[("OTP_HMAC_KEYS", &keys)])).unwrap_err();
        assert!(err.to_string().contains("OTP_TABLE"), "{err}");
        let err =
            ListSettings::for_command(vars(&[("OTP_TABLE", "otp"), ("OTP_HMAC_KEYS", &keys)]))
                .unwrap_err();
        assert!(err.to_string().contains("OTP_SUBJECT_KEY"), "{err}");
        let s = ListSettings::for_command(vars(&[
            ("OTP_TABLE", "otp"),
            ("OTP_HMAC_KEYS", &keys),
            ("OTP_SUBJECT_KEY", KEY),
            ("OTP_CREATE_TABLE", "true"),
        ]))
        .unwrap();
        assert_eq!(s.runtime, Runtime::Local);
        assert_eq!(s.log_format, LogFormat::Pretty);
        assert!(matches!(
            s.store,
            StoreSettings::DynamoDb {
                create_table: false,
                ..
            }
        ));
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("OTP_BOUNCE_SUPPRESSION_DAYS", "-1"),
            ("OTP_BOUNCE_SUPPRESSION_DAYS", "3651"),
            ("OTP_COMPLAINT_SUPPRESSION_DAYS", "a month"),
        ] {
            let err = ListSettings::from_vars(vars(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
        }
        for name in ["otp feedback", &"x".repeat(65), "otp.set"] {
            let env = Env(vars(&[("OTP_SES_CONFIGURATION_SET", name)]));
            let err = ses_configuration_set_from(&env).unwrap_err();
            assert!(err.to_string().starts_with("OTP_SES_CONFIGURATION_SET"));
        }
        let env = Env(vars(&[("OTP_SES_CONFIGURATION_SET", "otp-feedback")]));
        assert_eq!(
            ses_configuration_set_from(&env).unwrap().as_deref(),
            Some("otp-feedback")
        );
    }
}
