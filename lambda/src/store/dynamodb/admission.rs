//! An [`Admission`] as items of a `TransactWriteItems`, one per check in
//! the order of [`Admission::checks`], and the reading of its refusal from
//! the cancellation reasons, which DynamoDB gives in the same order.
//!
//! Each charge is an `ADD` refused at its limit, each lock and suppression
//! a `ConditionCheck` refused while it lasts, the proof a `Put` refused if
//! it exists: the transaction writes all of them with the flow change or
//! none of them.

use super::item::{Item, get_optional_n, n, s};
use super::{CONDITION_FAILED, DynamoStore, sdk_error};
use crate::store::admission::{Check, Found, UNDER_LIMIT, UNLOCKED, UNSPENT, UNSUPPRESSED};
use crate::store::{Admission, Refusal, StoreError};
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

impl DynamoStore {
    /// The items that check and charge `admission`, in the order of its checks.
    pub(super) fn admission_items(
        &self,
        admission: &Admission,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        admission
            .checks()
            .map(|check| self.check_item(&check, admission))
            .collect()
    }

    fn check_item(
        &self,
        check: &Check<'_>,
        admission: &Admission,
    ) -> Result<TransactWriteItem, StoreError> {
        let built = sdk_error("TransactWriteItems");
        let old = ReturnValuesOnConditionCheckFailure::AllOld;
        Ok(match check {
            Check::Charge { charge, .. } => {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(&charge.key))
                    .update_expression("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)")
                    .condition_expression(UNDER_LIMIT)
                    .expression_attribute_names("#count", "count")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":ttl", n(charge.ttl))
                    .expression_attribute_values(":limit", n(charge.limit))
                    .return_values_on_condition_check_failure(old)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder().update(update).build()
            }
            Check::Unlocked(key) => {
                let condition = ConditionCheck::builder()
                    .table_name(&self.table)
                    .key("pk", s(*key))
                    .condition_expression(UNLOCKED)
                    .expression_attribute_names("#until", "until")
                    .expression_attribute_names("#n", "n")
                    .expression_attribute_values(":now", n(admission.now))
                    .expression_attribute_values(":allowance", n(admission.lock_allowance))
                    .return_values_on_condition_check_failure(old)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder()
                    .condition_check(condition)
                    .build()
            }
            Check::ProofUnspent(proof) => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .item("pk", s(&proof.key))
                    .item("ttl", n(proof.ttl))
                    .condition_expression(UNSPENT)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder().put(put).build()
            }
            Check::Unsuppressed(key) => {
                let condition = ConditionCheck::builder()
                    .table_name(&self.table)
                    .key("pk", s(*key))
                    .condition_expression(UNSUPPRESSED)
                    .expression_attribute_names("#until", "until")
                    .expression_attribute_values(":now", n(admission.now))
                    .return_values_on_condition_check_failure(old)
                    .build()
                    .map_err(built)?;
                TransactWriteItem::builder()
                    .condition_check(condition)
                    .build()
            }
        })
    }
}

/// Which check of `admission` refused, from the reasons of its items (as
/// [`DynamoStore::admission_items`] wrote them); `None` if none did.
pub(super) fn refusal(
    admission: &Admission,
    reasons: &[CancellationReason],
) -> Result<Option<Refusal>, StoreError> {
    let failed = admission
        .checks()
        .zip(reasons)
        .filter(|(_, reason)| reason.code() == Some(CONDITION_FAILED))
        .map(|(check, reason)| Ok((check, found(reason.item())?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(admission.refusal(failed))
}

/// What a refused check's item held, as the refusal returned it.
fn found(item: Option<&Item>) -> Result<Found, StoreError> {
    let Some(item) = item else {
        return Ok(Found::default());
    };
    Ok(Found {
        count: get_optional_n(item, "count")?,
        until: get_optional_n(item, "until")?,
        n: get_optional_n(item, "n")?,
        exists: true,
    })
}
