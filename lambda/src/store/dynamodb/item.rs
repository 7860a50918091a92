//! Items of the table and the records they hold. A damaged item is a
//! [`StoreError`] naming the attribute, never its value.

use super::DynamoError;
use crate::domain::{ApprovingTry, CodeHash, Email, FlowRecord, SealedCode, SignInId};
use crate::store::{StoreError, keys};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use otp_api::locale::{self, Language};
use std::collections::HashMap;

pub(super) type Item = HashMap<String, AttributeValue>;

/// The attribute of a flow's language (a BCP 47 tag). `LANGUAGE` is a
/// reserved word of DynamoDB expressions, so expressions name it `#lang`.
pub(super) const LANGUAGE: &str = "language";

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn b(hash: &CodeHash) -> AttributeValue {
    AttributeValue::B(Blob::new(hash.0.to_vec()))
}

pub(super) fn sealed(code: &SealedCode) -> AttributeValue {
    AttributeValue::B(Blob::new(code.0.clone()))
}

/// The attribute of a flow's try times (a list of numbers).
pub(super) const TRIES: &str = "tries";
/// The attributes of a flow's approving try ([`ApprovingTry`]).
pub(super) const APPROVED_TRY: &str = "approved_try";
pub(super) const TRIES_AT_APPROVAL: &str = "tries_at_approval";

pub(super) fn malformed(name: &'static str, what: &'static str) -> StoreError {
    StoreError::new(DynamoError::Malformed(name, what))
}

pub(super) fn get<'a>(
    item: &'a Item,
    name: &'static str,
) -> Result<&'a AttributeValue, StoreError> {
    item.get(name).ok_or_else(|| malformed(name, "missing"))
}

pub(super) fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str, StoreError> {
    get(item, name)?
        .as_s()
        .map(String::as_str)
        .map_err(|_| malformed(name, "not a string"))
}

pub(super) fn get_n<T: std::str::FromStr>(
    item: &Item,
    name: &'static str,
) -> Result<T, StoreError> {
    get(item, name)?
        .as_n()
        .map_err(|_| malformed(name, "not a number"))?
        .parse()
        .map_err(|_| malformed(name, "out of range"))
}

/// A number attribute that may be missing.
pub(super) fn get_optional_n<T: std::str::FromStr>(
    item: &Item,
    name: &'static str,
) -> Result<Option<T>, StoreError> {
    item.get(name).map(|_| get_n(item, name)).transpose()
}

pub(super) fn flow_item(flow: &FlowRecord, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), s(keys::flow(&flow.id))),
        ("email".to_owned(), s(flow.email.delivery())),
        ("code_hash".to_owned(), b(&flow.code_hash)),
        ("key_id".to_owned(), s(&flow.key_id)),
        ("attempts".to_owned(), n(flow.attempts)),
        (
            TRIES.to_owned(),
            AttributeValue::L(flow.tries.iter().map(n).collect()),
        ),
        ("sends".to_owned(), n(flow.sends)),
        ("created_at".to_owned(), n(flow.created_at)),
        ("expires_at".to_owned(), n(flow.expires_at)),
        ("last_sent_at".to_owned(), n(flow.last_sent_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    if let Some(used_at) = flow.used_at {
        item.insert("used_at".to_owned(), n(used_at));
    }
    if let Some(by) = flow.approved_by {
        item.insert(APPROVED_TRY.to_owned(), n(by.number));
        item.insert(TRIES_AT_APPROVAL.to_owned(), n(by.counted));
    }
    if let Some(code) = &flow.sealed_code {
        item.insert("sealed_code".to_owned(), sealed(code));
    }
    if let Some(sign_in) = &flow.sign_in {
        item.insert("sign_in".to_owned(), s(sign_in.as_str()));
    }
    item.insert(LANGUAGE.to_owned(), s(flow.language.tag));
    item
}

/// A flow's language. A flow stored before flows had one was written in
/// English; a language no longer offered finds its nearest (or English),
/// so an item never becomes unreadable over a catalog change.
fn language_of(item: &Item) -> Result<&'static Language, StoreError> {
    Ok(match item.get(LANGUAGE) {
        None => locale::SOURCE,
        Some(_) => locale::lookup(get_s(item, LANGUAGE)?).unwrap_or(locale::SOURCE),
    })
}

pub(super) fn flow_from_item(item: &Item) -> Result<FlowRecord, StoreError> {
    let id =
        keys::flow_id_of(get_s(item, "pk")?).ok_or_else(|| malformed("pk", "not a flow key"))?;
    let email =
        Email::parse(get_s(item, "email")?).map_err(|_| malformed("email", "not an address"))?;
    let code_hash = get(item, "code_hash")?
        .as_b()
        .ok()
        .and_then(|blob| CodeHash::from_slice(blob.as_ref()))
        .ok_or_else(|| malformed("code_hash", "not 32 bytes"))?;
    let used_at = get_optional_n(item, "used_at")?;
    let sealed_code = match item.get("sealed_code") {
        None => None,
        Some(value) => Some(SealedCode(
            value
                .as_b()
                .map_err(|_| malformed("sealed_code", "not binary"))?
                .as_ref()
                .to_vec(),
        )),
    };
    let approved_by = match (
        get_optional_n(item, APPROVED_TRY)?,
        get_optional_n(item, TRIES_AT_APPROVAL)?,
    ) {
        (Some(number), Some(counted)) => Some(ApprovingTry { number, counted }),
        _ => None,
    };
    let sign_in = match item.get("sign_in") {
        None => None,
        Some(_) => Some(
            SignInId::parse(get_s(item, "sign_in")?)
                .ok_or_else(|| malformed("sign_in", "not a sign-in id"))?,
        ),
    };
    Ok(FlowRecord {
        id,
        email,
        code_hash,
        sealed_code,
        key_id: get_s(item, "key_id")?.to_owned(),
        attempts: get_n(item, "attempts")?,
        tries: tries_of(item)?,
        sends: get_n(item, "sends")?,
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
        last_sent_at: get_n(item, "last_sent_at")?,
        used_at,
        approved_by,
        sign_in,
        language: language_of(item)?,
    })
}

/// A flow's try times; none for a flow stored before tries were timed.
fn tries_of(item: &Item) -> Result<Vec<u64>, StoreError> {
    let Some(value) = item.get(TRIES) else {
        return Ok(Vec::new());
    };
    let list = value.as_l().map_err(|_| malformed(TRIES, "not a list"))?;
    list.iter()
        .map(|at| {
            at.as_n()
                .map_err(|_| malformed(TRIES, "not a list of numbers"))?
                .parse()
                .map_err(|_| malformed(TRIES, "out of range"))
        })
        .collect()
}

pub(super) fn flow_from_refusal(item: Option<Item>) -> Result<Option<FlowRecord>, StoreError> {
    item.as_ref().map(flow_from_item).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FlowId;

    fn record() -> FlowRecord {
        FlowRecord {
            id: FlowId::generate(),
            email: Email::parse("ann@example.com").unwrap(),
            code_hash: CodeHash([9; 32]),
            sealed_code: Some(SealedCode(vec![7; 34])),
            key_id: "k1".into(),
            attempts: 2,
            tries: vec![600, 650],
            sends: 3,
            created_at: 100,
            expires_at: 700,
            last_sent_at: 160,
            used_at: Some(650),
            approved_by: Some(ApprovingTry {
                number: 2,
                counted: 2,
            }),
            sign_in: Some(SignInId::generate()),
            language: locale::exact("pt-BR").unwrap(),
        }
    }

    #[test]
    fn items_round_trip() {
        let flow = record();
        let item = flow_item(&flow, 90_000);
        assert_eq!(item["ttl"], n(90_000));
        assert_eq!(flow_from_item(&item).unwrap(), flow);
        let unused = FlowRecord {
            used_at: None,
            approved_by: None,
            sealed_code: None,
            ..flow
        };
        let item = flow_item(&unused, 90_000);
        assert!(!item.contains_key("used_at") && !item.contains_key("sealed_code"));
        assert_eq!(flow_from_item(&item).unwrap(), unused);
    }

    /// A flow stored before tries were timed reads as one without times.
    #[test]
    fn a_flow_without_try_times_reads_as_one_without_failures() {
        let mut item = flow_item(&record(), 1);
        item.remove(TRIES);
        let flow = flow_from_item(&item).unwrap();
        assert_eq!((flow.attempts, flow.tries.len()), (2, 0));
    }

    /// A flow written before flows had a language was mailed in English; a
    /// tag no longer offered finds its nearest language instead of making
    /// the flow unreadable.
    #[test]
    fn a_flow_without_a_known_language_reads_as_its_nearest() {
        let mut item = flow_item(&record(), 1);
        assert_eq!(item[LANGUAGE], s("pt-BR"));
        item.remove(LANGUAGE);
        assert_eq!(flow_from_item(&item).unwrap().language, locale::SOURCE);
        item.insert(LANGUAGE.to_owned(), s("de-CH"));
        assert_eq!(flow_from_item(&item).unwrap().language.tag, "de");
        item.insert(LANGUAGE.to_owned(), s("tlh"));
        assert_eq!(flow_from_item(&item).unwrap().language, locale::SOURCE);
        item.insert(LANGUAGE.to_owned(), n(1));
        let err = flow_from_item(&item).unwrap_err().to_string();
        assert!(err.contains(LANGUAGE), "{err}");
    }

    /// A damaged item is an error for the caller, never a panic, and the
    /// message names the attribute but not its value.
    #[test]
    fn malformed_items_are_errors() {
        let good = flow_item(&record(), 1);
        let cases: [(&str, Option<AttributeValue>); 8] = [
            ("code_hash", Some(AttributeValue::B(Blob::new(vec![1; 31])))),
            ("sealed_code", Some(s("not binary"))),
            (TRIES, Some(AttributeValue::L(vec![s("1")]))),
            ("attempts", Some(n(-1))),
            ("sends", Some(s("3"))),
            ("email", Some(s("not-an-address"))),
            ("pk", Some(s("idem#x"))),
            ("created_at", None),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let err = flow_from_item(&item).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
            assert!(!err.contains("ann@"), "{err}");
        }
    }
}
