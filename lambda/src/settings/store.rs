//! Where flows live: `OTP_TABLE` (required on Lambda) or this process's
//! memory, and the bound of every store call.

use super::{Env, SettingsError, defaults};
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

/// `OTP_TABLE` when set, required when `required`, memory otherwise.
pub(super) fn store_from(env: &Env, required: bool) -> Result<StoreSettings, SettingsError> {
    Ok(match env.get("OTP_TABLE") {
        Some(table) => StoreSettings::DynamoDb {
            table: table.to_owned(),
            endpoint: env
                .get("AWS_ENDPOINT_URL_DYNAMODB")
                .or_else(|| env.get("AWS_ENDPOINT_URL"))
                .map(str::to_owned),
            create_table: env.parse_or("OTP_CREATE_TABLE", !required)?,
        },
        None if required => {
            return Err(SettingsError::Missing {
                var: "OTP_TABLE",
                why: "the DynamoDB table that holds flows",
            });
        }
        None => StoreSettings::Memory,
    })
}

/// The bound of every store call, retries included (`OTP_STORE_TIMEOUT_MS`).
pub(super) fn store_timeout_from(env: &Env) -> Result<Duration, SettingsError> {
    Ok(Duration::from_millis(env.bounded_or(
        "OTP_STORE_TIMEOUT_MS",
        defaults::STORE_TIMEOUT_MS,
        50..=30_000,
    )?))
}
