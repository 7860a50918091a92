//! An SDK interceptor on the store's DynamoDB client that records every call
//! the service makes: the operation, the kind of each item it touches (the
//! key's prefix: `flow`, `idem`, `limit`, `authreq`, …) and the capacity it
//! consumed. It asks DynamoDB for that capacity (`ReturnConsumedCapacity:
//! TOTAL`), which changes nothing else about the call.

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::delete_item::{DeleteItemInput, DeleteItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::put_item::{PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsInput, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemInput, UpdateItemOutput};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::Value;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// One call to DynamoDB as the service made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// `GetItem`, `UpdateItem`, `TransactWriteItems`, …
    pub operation: String,
    /// The kind of each item, in the order of the request; a transaction's
    /// `ConditionCheck` is marked `check:`.
    pub items: Vec<String>,
    /// A `GetItem` (or `BatchGetItem`) with `ConsistentRead`.
    pub consistent: bool,
    /// Whether DynamoDB accepted it (a failed condition is still billed).
    pub ok: bool,
    /// The capacity DynamoDB reported, read and write units.
    pub reported: Option<Units>,
}

/// Read and write capacity units.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Units {
    pub read: f64,
    pub write: f64,
}

impl std::ops::AddAssign for Units {
    fn add_assign(&mut self, other: Units) {
        self.read += other.read;
        self.write += other.write;
    }
}

impl Call {
    /// Whether DynamoDB Local reports the units DynamoDB bills for this
    /// call: not for a transaction (it reports one plain write, 2 units for
    /// 7 items), nor for a batch read (it reports only the items found;
    /// DynamoDB bills a missing item as a read of the smallest size).
    pub fn reported_as_billed(&self) -> bool {
        !self.operation.starts_with("Transact") && !self.operation.starts_with("Batch")
    }

    /// The units the call costs by DynamoDB's documented rules for items of
    /// at most 1 KB (every item here is far smaller): a read is 1 unit
    /// strongly consistent, ½ eventually consistent; a write is 1 unit per
    /// item; a transaction pays twice for each item, a `ConditionCheck`
    /// included.
    pub fn rule_units(&self) -> Units {
        let items = self.items.len() as f64;
        match self.operation.as_str() {
            "GetItem" | "BatchGetItem" => Units {
                read: items * if self.consistent { 1.0 } else { 0.5 },
                write: 0.0,
            },
            "TransactWriteItems" => Units {
                read: 0.0,
                write: 2.0 * items,
            },
            "TransactGetItems" => Units {
                read: 2.0 * items,
                write: 0.0,
            },
            _ => Units {
                read: 0.0,
                write: items,
            },
        }
    }
}

/// `UpdateItem flow`, `TransactWriteItems flow+idem+limit`, with `(failed)`
/// for a refused condition and `(consistent)` for a strong read.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.operation, self.items.join("+"))?;
        if self.consistent {
            f.write_str(" (consistent)")?;
        }
        if !self.ok {
            f.write_str(" (failed)")?;
        }
        Ok(())
    }
}

/// Shared between the client's interceptor and the test.
#[derive(Debug, Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Call>>>);

impl Recorder {
    /// The calls recorded since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "CostRecorder"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        let total = Some(ReturnConsumedCapacity::Total);
        if let Some(i) = input.downcast_mut::<UpdateItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<GetItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<PutItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<DeleteItemInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<TransactWriteItemsInput>() {
            i.return_consumed_capacity = total;
        } else if let Some(i) = input.downcast_mut::<BatchGetItemInput>() {
            i.return_consumed_capacity = total;
        }
        Ok(())
    }

    /// Reads the call from the request as sent: the `X-Amz-Target` header
    /// and the JSON body. Kept in the operation's own state until it ends.
    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null);
        // A batch read names its consistency per table; this one has one.
        let batch = body["RequestItems"]
            .as_object()
            .and_then(|t| t.values().next());
        let consistent = batch.unwrap_or(&body)["ConsistentRead"].as_bool();
        cfg.interceptor_state().store_put(Sent(Call {
            operation,
            items: item_kinds(&body),
            consistent: consistent.unwrap_or(false),
            ok: false,
            reported: None,
        }));
        Ok(())
    }

    /// Completes the call with its outcome and the capacity DynamoDB
    /// reported in the typed output.
    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Sent(call)) = cfg.load::<Sent>() else {
            return Ok(());
        };
        let mut call = call.clone();
        if let Some(Ok(output)) = context.output_or_error() {
            let one = |c: Option<&ConsumedCapacity>, reads| c.map(|c| units_of(c, reads));
            call.ok = true;
            call.reported = if let Some(o) = output.downcast_ref::<UpdateItemOutput>() {
                one(o.consumed_capacity(), false)
            } else if let Some(o) = output.downcast_ref::<GetItemOutput>() {
                one(o.consumed_capacity(), true)
            } else if let Some(o) = output.downcast_ref::<PutItemOutput>() {
                one(o.consumed_capacity(), false)
            } else if let Some(o) = output.downcast_ref::<DeleteItemOutput>() {
                one(o.consumed_capacity(), false)
            } else if let Some(o) = output.downcast_ref::<TransactWriteItemsOutput>() {
                sum_of(o.consumed_capacity(), false)
            } else if let Some(o) = output.downcast_ref::<BatchGetItemOutput>() {
                sum_of(o.consumed_capacity(), true)
            } else {
                None
            };
        }
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
        Ok(())
    }
}

/// The call as sent, until its outcome is known.
#[derive(Debug, Clone)]
struct Sent(Call);

impl Storable for Sent {
    type Storer = StoreReplace<Self>;
}

/// The capacity of a call that reports it per table, summed.
fn sum_of(all: &[ConsumedCapacity], reads: bool) -> Option<Units> {
    (!all.is_empty()).then(|| {
        let mut sum = Units::default();
        for c in all {
            sum += units_of(c, reads);
        }
        sum
    })
}

/// The kind of each item a request names: the prefix of its `pk` before
/// the first `#`, and for a budget's counter its scope (`limit:send-ip`);
/// a batch read names each of its keys.
fn item_kinds(body: &Value) -> Vec<String> {
    fn kind(item: &Value) -> String {
        let pk = item["Key"]["pk"]["S"]
            .as_str()
            .or_else(|| item["Item"]["pk"]["S"].as_str())
            .unwrap_or("?");
        let mut parts = pk.split('#');
        match (parts.next(), parts.next()) {
            (Some("limit"), Some(scope)) => format!("limit:{scope}"),
            (Some(prefix), _) => prefix.to_owned(),
            (None, _) => pk.to_owned(),
        }
    }
    if let Some(tables) = body["RequestItems"].as_object() {
        return (tables.values())
            .flat_map(|table| table["Keys"].as_array().cloned().unwrap_or_default())
            .map(|key| kind(&serde_json::json!({ "Key": key })))
            .collect();
    }
    match body["TransactItems"].as_array() {
        Some(items) => items
            .iter()
            .map(|entry| {
                let (action, item) = entry
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .expect("one action per transaction item");
                let kind = kind(item);
                match action.as_str() {
                    "ConditionCheck" => format!("check:{kind}"),
                    _ => kind,
                }
            })
            .collect(),
        None => vec![kind(body)],
    }
}

/// Splits a reported capacity into read and write units: `TOTAL` may give
/// only the sum, which is then all reads for a read, all writes otherwise.
fn units_of(capacity: &ConsumedCapacity, reads: bool) -> Units {
    let total = capacity.capacity_units().unwrap_or(0.0);
    match (
        capacity.read_capacity_units(),
        capacity.write_capacity_units(),
    ) {
        (None, None) if reads => Units {
            read: total,
            write: 0.0,
        },
        (None, None) => Units {
            read: 0.0,
            write: total,
        },
        (read, write) => Units {
            read: read.unwrap_or(0.0),
            write: write.unwrap_or(0.0),
        },
    }
}
