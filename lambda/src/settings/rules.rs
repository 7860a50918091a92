//! The rules of a verification: the code policy, the budgets beyond a flow
//! and the keys codes and budget subjects are hashed under.

use super::oidc::subject_key_from;
use super::{Env, SettingsError};
use crate::domain::{CodeHasher, Policy};
use crate::oidc::subject::SubjectKey;
use crate::service::Limits;

/// The code's lifetime, tries, resends and default language.
pub(super) fn policy_from(env: &Env) -> Result<Policy, SettingsError> {
    let defaults = Policy::default();
    Ok(Policy {
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
    })
}

/// The budgets beyond a flow; the cap with proof of work is never below
/// the free budget.
pub(super) fn limits_from(env: &Env) -> Result<Limits, SettingsError> {
    let defaults = Limits::default();
    let limits = Limits {
        sends_per_email_per_day: env.bounded_or(
            "OTP_SENDS_PER_EMAIL_PER_DAY",
            defaults.sends_per_email_per_day,
            1..=10_000,
        )?,
        sends_per_email_per_client_per_day: env.bounded_or(
            "OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY",
            defaults.sends_per_email_per_client_per_day,
            1..=10_000,
        )?,
        max_sends_per_email_per_day: env.bounded_or(
            "OTP_MAX_SENDS_PER_EMAIL_PER_DAY",
            defaults.max_sends_per_email_per_day,
            1..=10_000,
        )?,
        // At most 24, so the hardest challenge (6 bits more) stays
        // solvable within its five minutes in a browser.
        pow_difficulty: env.bounded_or("OTP_POW_DIFFICULTY", defaults.pow_difficulty, 1..=24)?,
        failures_per_email_per_day: env.bounded_or(
            "OTP_FAILURES_PER_EMAIL_PER_DAY",
            defaults.failures_per_email_per_day,
            1..=10_000,
        )?,
        sends_per_ip_per_hour: env.bounded_or(
            "OTP_SENDS_PER_IP_PER_HOUR",
            defaults.sends_per_ip_per_hour,
            1..=1_000_000,
        )?,
        verifies_per_ip_per_hour: env.bounded_or(
            "OTP_VERIFIES_PER_IP_PER_HOUR",
            defaults.verifies_per_ip_per_hour,
            1..=1_000_000,
        )?,
        authorizes_per_ip_per_hour: env.bounded_or(
            "OTP_AUTHORIZES_PER_IP_PER_HOUR",
            defaults.authorizes_per_ip_per_hour,
            1..=1_000_000,
        )?,
        sign_in_reads_per_ip_per_hour: env.bounded_or(
            "OTP_SIGN_IN_READS_PER_IP_PER_HOUR",
            defaults.sign_in_reads_per_ip_per_hour,
            1..=1_000_000,
        )?,
        sign_in_cancels_per_ip_per_hour: env.bounded_or(
            "OTP_SIGN_IN_CANCELS_PER_IP_PER_HOUR",
            defaults.sign_in_cancels_per_ip_per_hour,
            1..=1_000_000,
        )?,
        userinfo_failures_per_ip_per_hour: env.bounded_or(
            "OTP_USERINFO_FAILURES_PER_IP_PER_HOUR",
            defaults.userinfo_failures_per_ip_per_hour,
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
    Ok(limits)
}

/// The keys of the service's keyed hashes: the HMAC keys `OTP_HMAC_KEYS`
/// (required when `required`, as on Lambda, else a key of this process),
/// and the subject key `OTP_SUBJECT_KEY`, which keys `sub` and, through the
/// pseudonym key derived from it, the names of budgets and suppressions; and
/// whether the subject key was generated.
pub(super) fn keys_from(
    env: &Env,
    required: bool,
) -> Result<(CodeHasher, SubjectKey, bool), SettingsError> {
    let spec = env.get("OTP_HMAC_KEYS");
    if spec.is_none() && required {
        return Err(SettingsError::Missing {
            var: "OTP_HMAC_KEYS",
            why: "`id:base64key[,id:base64key…]`, the first hashes new codes",
        });
    }
    let (subject_key, generated) = subject_key_from(env, required)?;
    let pseudonyms = subject_key.pseudonym_key();
    let hasher = match spec {
        Some(spec) => {
            CodeHasher::from_spec(spec, pseudonyms).map_err(|why| SettingsError::Invalid {
                var: "OTP_HMAC_KEYS",
                why,
            })?
        }
        None => CodeHasher::with_random_key(pseudonyms),
    };
    Ok((hasher, subject_key, generated))
}

/// `en, de, …`: the tags of the supported languages, for error messages.
fn supported_tags() -> String {
    let tags: Vec<&str> = otp_api::locale::LANGUAGES.iter().map(|l| l.tag).collect();
    tags.join(", ")
}
