//! The environment as the settings read it: a variable is set when its
//! value is not empty after trimming; a value that does not parse, or lies
//! outside its range, is an error naming the variable.

use super::{Runtime, SettingsError};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

pub(super) struct Env(pub(super) HashMap<String, String>);

impl Env {
    /// A set, non-empty value.
    pub(super) fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// On AWS Lambda when its runtime API is announced, locally otherwise.
    pub(super) fn runtime(&self) -> Runtime {
        if self.get("AWS_LAMBDA_RUNTIME_API").is_some() {
            Runtime::Lambda
        } else {
            Runtime::Local
        }
    }

    pub(super) fn parse_or<T: FromStr>(
        &self,
        var: &'static str,
        default: T,
    ) -> Result<T, SettingsError>
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

    pub(super) fn bounded_or<T>(
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

    pub(super) fn secs_or(
        &self,
        var: &'static str,
        default: Duration,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, SettingsError> {
        self.bounded_or(var, default.as_secs(), range)
            .map(Duration::from_secs)
    }
}
