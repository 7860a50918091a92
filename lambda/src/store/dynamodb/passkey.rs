//! Passkeys (`passkey#<credential id>`: `subject`, `email`, `user_handle`,
//! `name`, `credential`, `sign_count`, `created_at`, `last_used_at?`; no
//! `ttl`), each identity's user handle and list of them
//! (`passkeys#<subject>`: `user_handle`, `ids`, a string set) and WebAuthn
//! ceremonies (`ceremony#<id>`: `kind`, `state`, `session?`, `subject?`,
//! `email?`, `user_handle?`, `sign_in?`, `created_at`, `expires_at`,
//! `ttl`).
//!
//! Completing a ceremony is one transaction: the ceremony's conditional
//! delete with the passkey's write (and, adding one, the identity's list);
//! the cancellation reasons, in the items' order, say which condition
//! failed. Removing a passkey is one transaction with the list.

use super::item::{Item, get_n, get_optional_n, get_s, malformed, n, s};
use super::sign_in::placeholders;
use super::{CONDITION_FAILED, DynamoStore, reason_code, sdk_error};
use crate::domain::{CeremonyId, SessionId, SignInId};
use crate::store::flow::NEW_ITEM;
use crate::store::passkey::{CEREMONY_OPEN, OWNED, PASSKEY_UNCHANGED, SAME_USER_HANDLE};
use crate::store::{
    Added, Ceremony, Passkey, PasskeyList, PasskeyStore, PasskeyUse, Purpose, StoreError, Used,
    keys,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use std::collections::HashMap;

fn ceremony_item(ceremony: &Ceremony, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), s(keys::ceremony(&ceremony.id))),
        ("kind".to_owned(), s(ceremony.purpose.kind())),
        ("state".to_owned(), s(&ceremony.state)),
        ("created_at".to_owned(), n(ceremony.created_at)),
        ("expires_at".to_owned(), n(ceremony.expires_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    match &ceremony.purpose {
        Purpose::Register {
            session,
            subject,
            email,
            user_handle,
        } => {
            item.insert("session".to_owned(), s(session.as_str()));
            item.insert("subject".to_owned(), s(subject));
            item.insert("email".to_owned(), s(email));
            item.insert("user_handle".to_owned(), s(user_handle));
        }
        Purpose::SignIn { sign_in } => {
            if let Some(id) = sign_in {
                item.insert("sign_in".to_owned(), s(id.as_str()));
            }
        }
    }
    item
}

fn ceremony_from_item(item: &Item) -> Result<Ceremony, StoreError> {
    let id = keys::ceremony_id_of(get_s(item, "pk")?)
        .ok_or_else(|| malformed("pk", "not a ceremony key"))?;
    let string = |name| get_s(item, name).map(str::to_owned);
    let purpose = match get_s(item, "kind")? {
        Purpose::REGISTER => Purpose::Register {
            session: SessionId::parse(get_s(item, "session")?)
                .ok_or_else(|| malformed("session", "not a session id"))?,
            subject: string("subject")?,
            email: string("email")?,
            user_handle: string("user_handle")?,
        },
        Purpose::SIGN_IN => Purpose::SignIn {
            sign_in: match item.get("sign_in") {
                None => None,
                Some(_) => Some(
                    SignInId::parse(get_s(item, "sign_in")?)
                        .ok_or_else(|| malformed("sign_in", "not a sign-in id"))?,
                ),
            },
        },
        _ => return Err(malformed("kind", "not a ceremony's purpose")),
    };
    Ok(Ceremony {
        id,
        purpose,
        state: string("state")?,
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
    })
}

fn passkey_item(passkey: &Passkey) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), s(keys::passkey(&passkey.id))),
        ("subject".to_owned(), s(&passkey.subject)),
        ("email".to_owned(), s(&passkey.email)),
        ("user_handle".to_owned(), s(&passkey.user_handle)),
        ("name".to_owned(), s(&passkey.name)),
        ("credential".to_owned(), s(&passkey.credential)),
        ("sign_count".to_owned(), n(passkey.sign_count)),
        ("created_at".to_owned(), n(passkey.created_at)),
    ]);
    if let Some(at) = passkey.last_used_at {
        item.insert("last_used_at".to_owned(), n(at));
    }
    item
}

fn passkey_from_item(item: &Item) -> Result<Passkey, StoreError> {
    let id = keys::passkey_id_of(get_s(item, "pk")?)
        .ok_or_else(|| malformed("pk", "not a passkey key"))?;
    let string = |name| get_s(item, name).map(str::to_owned);
    Ok(Passkey {
        id: id.to_owned(),
        subject: string("subject")?,
        email: string("email")?,
        user_handle: string("user_handle")?,
        name: string("name")?,
        credential: string("credential")?,
        sign_count: get_n(item, "sign_count")?,
        created_at: get_n(item, "created_at")?,
        last_used_at: get_optional_n(item, "last_used_at")?,
    })
}

/// The condition's `#name` placeholders, each bound to its attribute.
fn names(expressions: &[&str]) -> Option<HashMap<String, String>> {
    let names: HashMap<String, String> = placeholders(expressions)
        .into_iter()
        .map(|name| {
            let attribute = name[1..].to_owned();
            (name, attribute)
        })
        .collect();
    (!names.is_empty()).then_some(names)
}

fn values(values: Vec<(&str, AttributeValue)>) -> Option<HashMap<String, AttributeValue>> {
    Some(values.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

impl DynamoStore {
    /// The ceremony's delete if it is open at `now` for `kind`, as the first
    /// item of the transaction that completes it.
    fn consume(
        &self,
        ceremony: &CeremonyId,
        kind: &str,
        now: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(keys::ceremony(ceremony)))
            .condition_expression(CEREMONY_OPEN)
            .set_expression_attribute_names(names(&[CEREMONY_OPEN]))
            .set_expression_attribute_values(values(vec![(":now", n(now)), (":kind", s(kind))]))
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    fn update(
        &self,
        key: String,
        update: &str,
        condition: Option<&str>,
        bound: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let expressions: Vec<&str> = [Some(update), condition].into_iter().flatten().collect();
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression(update)
            .set_condition_expression(condition.map(str::to_owned))
            .set_expression_attribute_names(names(&expressions))
            .set_expression_attribute_values(values(bound))
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[async_trait]
impl PasskeyStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(ceremony = %ceremony.id))]
    async fn put_ceremony(&self, ceremony: &Ceremony, ttl: u64) -> Result<(), StoreError> {
        self.put_new(ceremony_item(ceremony, ttl), "the ceremony id is taken")
            .await
    }

    #[tracing::instrument(skip_all, fields(ceremony = %id))]
    async fn get_ceremony(&self, id: &CeremonyId) -> Result<Option<Ceremony>, StoreError> {
        self.get(s(keys::ceremony(id)))
            .await?
            .as_ref()
            .map(ceremony_from_item)
            .transpose()
    }

    async fn passkeys_of(&self, subject: &str) -> Result<PasskeyList, StoreError> {
        let Some(item) = self.get(s(keys::passkeys(subject))).await? else {
            return Ok(PasskeyList::default());
        };
        let user_handle = match item.get("user_handle") {
            Some(_) => Some(get_s(&item, "user_handle")?.to_owned()),
            None => None,
        };
        let ids = match item.get("ids") {
            Some(ids) => ids
                .as_ss()
                .map_err(|_| malformed("ids", "not a string set"))?
                .clone(),
            None => Vec::new(),
        };
        Ok(PasskeyList { user_handle, ids })
    }

    async fn get_passkey(&self, id: &str) -> Result<Option<Passkey>, StoreError> {
        self.get(s(keys::passkey(id)))
            .await?
            .as_ref()
            .map(passkey_from_item)
            .transpose()
    }

    #[tracing::instrument(skip_all, fields(ceremony = %ceremony))]
    async fn add_passkey(
        &self,
        ceremony: &CeremonyId,
        passkey: &Passkey,
        now: u64,
    ) -> Result<Added, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(passkey_item(passkey)))
            .condition_expression(NEW_ITEM)
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let items = vec![
            self.consume(ceremony, Purpose::REGISTER, now)?,
            TransactWriteItem::builder().put(put).build(),
            self.update(
                keys::passkeys(&passkey.subject),
                "SET #user_handle = :user_handle ADD #ids :id",
                Some(SAME_USER_HANDLE),
                vec![
                    (":user_handle", s(&passkey.user_handle)),
                    (":id", AttributeValue::Ss(vec![passkey.id.clone()])),
                ],
            )?,
        ];
        Ok(match self.transact(items).await? {
            Ok(()) => Added::Done,
            Err(reasons) if reason_code(&reasons, 0) == Some(CONDITION_FAILED) => {
                Added::CeremonyOver
            }
            Err(_) => Added::Taken,
        })
    }

    #[tracing::instrument(skip_all, fields(ceremony = %ceremony))]
    async fn use_passkey(
        &self,
        ceremony: &CeremonyId,
        use_: &PasskeyUse,
    ) -> Result<Used, StoreError> {
        let items = vec![
            self.consume(ceremony, Purpose::SIGN_IN, use_.now)?,
            self.update(
                keys::passkey(&use_.id),
                "SET #sign_count = :sign_count, #credential = :credential, \
                 #last_used_at = :now",
                Some(PASSKEY_UNCHANGED),
                vec![
                    (":sign_count", n(use_.sign_count)),
                    (":credential", s(&use_.credential)),
                    (":now", n(use_.now)),
                    (":subject", s(&use_.subject)),
                    (":sign_count_before", n(use_.sign_count_before)),
                ],
            )?,
        ];
        Ok(match self.transact(items).await? {
            Ok(()) => Used::Done,
            Err(reasons) if reason_code(&reasons, 0) == Some(CONDITION_FAILED) => {
                Used::CeremonyOver
            }
            Err(_) => Used::PasskeyChanged,
        })
    }

    async fn remove_passkey(&self, subject: &str, id: &str) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(keys::passkey(id)))
            .condition_expression(OWNED)
            .set_expression_attribute_names(names(&[OWNED]))
            .set_expression_attribute_values(values(vec![(":subject", s(subject))]))
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.update(
                keys::passkeys(subject),
                "DELETE #ids :id",
                None,
                vec![(":id", AttributeValue::Ss(vec![id.to_owned()]))],
            )?,
        ];
        Ok(self.transact(items).await?.is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let passkey = Passkey {
            id: "AbC-_9".into(),
            subject: "sub-of-ann".into(),
            email: "ann@example.com".into(),
            user_handle: "aGFuZGxl".into(),
            name: "Linux".into(),
            credential: "{}".into(),
            sign_count: 7,
            created_at: 100,
            last_used_at: Some(200),
        };
        assert_eq!(passkey_from_item(&passkey_item(&passkey)).unwrap(), passkey);
        let unused = Passkey {
            last_used_at: None,
            ..passkey
        };
        assert_eq!(passkey_from_item(&passkey_item(&unused)).unwrap(), unused);
        let purposes = [
            Purpose::Register {
                session: SessionId::generate(),
                subject: "sub-of-ann".into(),
                email: "ann@example.com".into(),
                user_handle: "aGFuZGxl".into(),
            },
            Purpose::SignIn {
                sign_in: Some(SignInId::generate()),
            },
            Purpose::SignIn { sign_in: None },
        ];
        for purpose in purposes {
            let ceremony = Ceremony {
                id: CeremonyId::generate(),
                purpose,
                state: "{\"challenge\":\"x\"}".into(),
                created_at: 100,
                expires_at: 400,
            };
            let item = ceremony_item(&ceremony, 9);
            assert_eq!(ceremony_from_item(&item).unwrap(), ceremony);
        }
    }

    /// A damaged item is an error naming the attribute, never its value.
    #[test]
    fn malformed_items_are_errors() {
        let ceremony = Ceremony {
            id: CeremonyId::generate(),
            purpose: Purpose::SignIn { sign_in: None },
            state: "{}".into(),
            created_at: 1,
            expires_at: 2,
        };
        let good = ceremony_item(&ceremony, 9);
        for (name, value) in [
            ("kind", Some(s("login"))),
            ("sign_in", Some(s("not-an-id"))),
            ("state", None),
            ("pk", Some(s("passkey#x"))),
        ] {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let err = ceremony_from_item(&item).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
        }
    }
}
