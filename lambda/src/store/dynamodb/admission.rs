//! An [`Admission`] as items of a `TransactWriteItems`, and the reading of
//! its refusal from the cancellation reasons.
//!
//! Each charge is an `ADD` refused at its limit, each lock a `ConditionCheck`
//! refused while the lockout lasts, the proof a `Put` refused if it exists,
//! each suppression a `ConditionCheck` refused while it lasts: the
//! transaction writes all of them with the flow change or none of them.

use super::item::{Item, get_n, n, s};
use super::{CONDITION_FAILED, DynamoStore, sdk_error};
use crate::store::{Admission, Refusal, StoreError};
use aws_sdk_dynamodb::types::{
    CancellationReason, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

impl DynamoStore {
    /// The items that check and charge `admission`, in its order: charges,
    /// then locks, then the proof, then the suppressions.
    pub(super) fn admission_items(
        &self,
        admission: &Admission,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut items = Vec::new();
        for charge in &admission.charges {
            let update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(&charge.key))
                .update_expression("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)")
                .condition_expression("attribute_not_exists(#count) OR #count < :limit")
                .expression_attribute_names("#count", "count")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":ttl", n(charge.ttl))
                .expression_attribute_values(":limit", n(charge.limit))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        for key in &admission.locks {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(key))
                .condition_expression(
                    "attribute_not_exists(#until) OR #until <= :now OR #n <= :allowance",
                )
                .expression_attribute_names("#until", "until")
                .expression_attribute_names("#n", "n")
                .expression_attribute_values(":now", n(admission.now))
                .expression_attribute_values(":allowance", n(admission.lock_allowance))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
        }
        if let Some(proof) = &admission.proof {
            let put = Put::builder()
                .table_name(&self.table)
                .item("pk", s(&proof.key))
                .item("ttl", n(proof.ttl))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        for key in &admission.suppressions {
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .key("pk", s(key))
                .condition_expression("attribute_not_exists(#until) OR #until <= :now")
                .expression_attribute_names("#until", "until")
                .expression_attribute_values(":now", n(admission.now))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(sdk_error("TransactWriteItems"))?;
            items.push(TransactWriteItem::builder().condition_check(check).build());
        }
        Ok(items)
    }
}

/// Which part of `admission` refused, from the reasons of its items (in the
/// order [`DynamoStore::admission_items`] wrote them); `None` if none did.
pub(super) fn refusal(
    admission: &Admission,
    reasons: &[CancellationReason],
) -> Result<Option<Refusal>, StoreError> {
    let failed = |i: usize| {
        reasons
            .get(i)
            .filter(|r| r.code() == Some(CONDITION_FAILED))
    };
    let charges = admission.charges.len();
    let first_suppression =
        charges + admission.locks.len() + usize::from(admission.proof.is_some());
    let suppressed = (0..admission.suppressions.len())
        .filter_map(|i| failed(first_suppression + i))
        .map(|reason| match reason.item() {
            Some(item) => get_n(item, "until"),
            None => Ok(admission.now + 1),
        })
        .collect::<Result<Vec<u64>, _>>()?;
    if let Some(until) = suppressed.into_iter().max() {
        return Ok(Some(Refusal::Suppressed { until }));
    }
    for index in 0..charges {
        if let Some(reason) = failed(index) {
            let count = reason.item().map(count_of).transpose()?.unwrap_or(0);
            return Ok(Some(Refusal::Budget { index, count }));
        }
    }
    for i in 0..admission.locks.len() {
        if let Some(reason) = failed(charges + i) {
            let (until, n) = match reason.item() {
                Some(item) => (get_n(item, "until")?, get_n(item, "n")?),
                None => (admission.now, 1),
            };
            return Ok(Some(Refusal::Locked { until, n }));
        }
    }
    if admission.proof.is_some() && failed(charges + admission.locks.len()).is_some() {
        return Ok(Some(Refusal::ProofSpent));
    }
    Ok(None)
}

fn count_of(item: &Item) -> Result<i64, StoreError> {
    get_n(item, "count")
}
