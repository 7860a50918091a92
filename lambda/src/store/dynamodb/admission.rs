//! An [`Admission`] as items of a `TransactWriteItems`, one per check with
//! an item in the order of [`Admission::checks`], and the reading of its
//! refusal from the cancellation reasons, which DynamoDB gives in the same
//! order; after them, a `ConditionCheck` per [`crate::store::Untried`] flow.
//!
//! Each charge is an `ADD` refused at its limit (one also adding the flow
//! to its `flows` set), each suppression a `ConditionCheck` refused while
//! it lasts, the proof a `Put` refused if it exists: the transaction writes
//! all of them with the flow change or none of them. A lockout has no item:
//! when one refuses, no transaction is sent, and the items of the other
//! checks are read to name the refusal ([`DynamoStore::locked_out`]).

use super::item::{Item, get_optional_n, n, s};
use super::{CONDITION_FAILED, DynamoStore, sdk_error};
use crate::domain::FlowId;
use crate::store::admission::{Check, Found, UNDER_LIMIT, UNSPENT, UNSUPPRESSED, UNTRIED};
use crate::store::{Admission, Refusal, StoreError, keys};
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};

impl DynamoStore {
    /// The items that check and charge `admission`, in the order of its
    /// checks, then the checks of its untried flows but `written` (the flow
    /// the transaction writes, whose own condition says it).
    pub(super) fn admission_items(
        &self,
        admission: &Admission,
        written: &FlowId,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let checks = admission
            .checks()
            .filter_map(|check| self.check_item(&check, admission).transpose());
        let untried = (admission.untried.iter())
            .filter(|seen| &seen.flow != written)
            .map(|seen| {
                let condition = ConditionCheck::builder()
                    .table_name(&self.table)
                    .key("pk", s(keys::flow(&seen.flow)))
                    .condition_expression(UNTRIED)
                    .expression_attribute_values(":seen", n(seen.attempts))
                    .build()
                    .map_err(sdk_error("TransactWriteItems"))?;
                Ok(TransactWriteItem::builder()
                    .condition_check(condition)
                    .build())
            });
        checks.chain(untried).collect()
    }

    /// The refusal of an admission a lockout refuses, written nowhere: the
    /// items of its other checks read (consistently) and judged by their
    /// rules, so the answer names what the transaction would have.
    pub(super) async fn locked_out(&self, admission: &Admission) -> Result<Refusal, StoreError> {
        let keys: Vec<String> = (admission.checks().filter_map(|check| check.key()))
            .map(str::to_owned)
            .collect();
        let items = self.batch_get(&keys).await?;
        let mut failed = Vec::new();
        for check in admission.checks() {
            let item = check.key().and_then(|key| items.get(key));
            let found = found(item)?;
            if !check.passes(&found, admission) {
                failed.push((check, found));
            }
        }
        admission
            .refusal(failed)
            .ok_or_else(|| super::unexpected("BatchGetItem", "a lockout that refuses nothing"))
    }

    /// The item of `check`; `None` for a lockout, which has none.
    fn check_item(
        &self,
        check: &Check<'_>,
        admission: &Admission,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let built = sdk_error("TransactWriteItems");
        let old = ReturnValuesOnConditionCheckFailure::AllOld;
        Ok(Some(match check {
            Check::Charge { charge, .. } => {
                let update = Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(&charge.key))
                    .condition_expression(UNDER_LIMIT)
                    .expression_attribute_names("#count", "count")
                    .expression_attribute_names("#ttl", "ttl")
                    .expression_attribute_values(":one", n(1))
                    .expression_attribute_values(":ttl", n(charge.ttl))
                    .expression_attribute_values(":limit", n(charge.limit))
                    .return_values_on_condition_check_failure(old);
                let update = match &charge.lists {
                    None => update
                        .update_expression("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)"),
                    Some(flow) => update
                        .update_expression(
                            "ADD #count :one, #flows :flow SET #ttl = if_not_exists(#ttl, :ttl)",
                        )
                        .expression_attribute_names("#flows", "flows")
                        .expression_attribute_values(
                            ":flow",
                            AttributeValue::Ss(vec![flow.as_str().to_owned()]),
                        ),
                };
                TransactWriteItem::builder()
                    .update(update.build().map_err(built)?)
                    .build()
            }
            Check::Unlocked(_) => return Ok(None),
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
        }))
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
        .filter(|check| check.key().is_some())
        .zip(reasons)
        .filter(|(_, reason)| reason.code() == Some(CONDITION_FAILED))
        .map(|(check, reason)| Ok((check, found(reason.item())?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(admission.refusal(failed))
}

/// Whether one of the reasons after the admission's checks, those of its
/// untried flows, says a flow holds other tries by now.
pub(super) fn stale(admission: &Admission, reasons: &[CancellationReason]) -> bool {
    let checks = admission.checks().filter(|c| c.key().is_some()).count();
    (reasons.iter().skip(checks)).any(|reason| reason.code() == Some(CONDITION_FAILED))
}

/// What a check's item held, as a refusal returned it or a read found it.
fn found(item: Option<&Item>) -> Result<Found, StoreError> {
    let Some(item) = item else {
        return Ok(Found::default());
    };
    Ok(Found {
        count: get_optional_n(item, "count")?,
        until: get_optional_n(item, "until")?,
        exists: true,
    })
}
