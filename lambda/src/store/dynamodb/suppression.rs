//! The suppression list: one `suppress#<subject>` item per mailbox (`until`,
//! `reason`, `since`, `ttl`). Recording one is a conditional `UpdateItem`
//! that only ever moves `until` later, so notifications handled twice or out
//! of order end at the longest suppression.

use super::item::{Item, get_n, get_s, malformed, n, s};
use super::{Conditional, DynamoStore, conditional, sdk_error};
use crate::store::suppression::OUTLASTS;
use crate::store::{StoreError, Suppression, SuppressionReason, SuppressionStore};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::ReturnValue;

fn suppression_from_item(item: &Item) -> Result<Suppression, StoreError> {
    let reason = SuppressionReason::parse(get_s(item, "reason")?)
        .ok_or_else(|| malformed("reason", "not a suppression reason"))?;
    Ok(Suppression {
        until: get_n(item, "until")?,
        reason,
        since: get_n(item, "since")?,
    })
}

#[async_trait]
impl SuppressionStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(reason = suppression.reason.as_str()))]
    async fn suppress(
        &self,
        key: &str,
        suppression: &Suppression,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET #until = :until, reason = :reason, since = :since, #ttl = :ttl")
            .condition_expression(OUTLASTS)
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":until", n(suppression.until))
            .expression_attribute_values(":reason", s(suppression.reason.as_str()))
            .expression_attribute_values(":since", n(suppression.since))
            .expression_attribute_values(":ttl", n(ttl))
            .send()
            .await;
        Ok(matches!(conditional(result)?, Conditional::Written(_)))
    }

    #[tracing::instrument(skip_all)]
    async fn suppression(&self, key: &str) -> Result<Option<Suppression>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        out.item().map(suppression_from_item).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn lift_suppression(&self, key: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error("DeleteItem"))?;
        Ok(out.attributes().is_some_and(|a| !a.is_empty()))
    }
}
