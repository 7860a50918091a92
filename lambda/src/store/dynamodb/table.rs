//! Creating the table, for local runs and tests, and warming the client at
//! start.

use super::{DynamoStore, s, sdk_error};
use crate::store::{StoreError, keys};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::operation::create_table::CreateTableError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use std::time::Duration;

/// How long [`DynamoStore::create_table`] waits for the table to be usable.
const TABLE_READY_WAIT: Duration = Duration::from_secs(300);

impl DynamoStore {
    /// Creates the table this store expects (on-demand capacity, TTL on
    /// `ttl`) and returns once it is usable; a table that already exists is
    /// left as it is apart from enabling TTL. For local runs and tests: the
    /// deployed table comes from the infrastructure template.
    pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
        let pk = AttributeDefinition::builder()
            .attribute_name("pk")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(sdk_error("CreateTable"))?;
        let key = KeySchemaElement::builder()
            .attribute_name("pk")
            .key_type(KeyType::Hash)
            .build()
            .map_err(sdk_error("CreateTable"))?;
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(pk)
            .key_schema(key)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        let active = match created {
            Ok(out) => out
                .table_description()
                .and_then(|t| t.table_status())
                .is_some_and(|s| *s == TableStatus::Active),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(CreateTableError::ResourceInUseException(_))
                ) =>
            {
                false
            }
            Err(e) => return Err(sdk_error("CreateTable")(e)),
        };
        if !active {
            client
                .wait_until_table_exists()
                .table_name(table)
                .wait(TABLE_READY_WAIT)
                .await
                .map_err(sdk_error("DescribeTable"))?;
        }

        let ttl = client
            .describe_time_to_live()
            .table_name(table)
            .send()
            .await
            .map_err(sdk_error("DescribeTimeToLive"))?;
        let enabled = ttl.time_to_live_description().is_some_and(|d| {
            d.attribute_name() == Some("ttl")
                && matches!(
                    d.time_to_live_status(),
                    Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
                )
        });
        if !enabled {
            let spec = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name("ttl")
                .build()
                .map_err(sdk_error("UpdateTimeToLive"))?;
            client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(sdk_error("UpdateTimeToLive"))?;
        }
        Ok(())
    }

    /// Makes the client ready before the first request needs it: one
    /// eventually consistent read of a key that is never written (half a
    /// read unit), so that credentials are resolved, the endpoint is known
    /// and a connection (with its TLS session, on AWS) waits in the pool.
    /// Its key ([`keys::WARM`]) is outside every prefix the store writes.
    pub async fn warm(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(keys::WARM))
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        Ok(())
    }
}
