//! Sessions (`session#<id>`: `secret_hash`, `email`, `subject`, `amr`,
//! `auth_time`, `passkey?`, `created_at`, `expires_at`, `idle_expires_at`, `clients?`
//! (a string set), `ended_at?`, `ttl`), each identity's list of them
//! (`sessions#<subject>`: `ids`, a string set, `ttl`) and logout requests
//! (`logout#<id>`: `client_id?`, `redirect_to?`, `ui_locales?`,
//! `created_at`, `expires_at`, `used_at?`, `ttl`).
//!
//! Creating and renewing a session are one transaction with its identity's
//! list; every other step is one conditional `UpdateItem` whose condition
//! is the rule of [`crate::store::session`] it mirrors.

use super::item::{Item, get_n, get_optional_n, get_s, malformed, n, s};
use super::sign_in::placeholders;
use super::{CONDITION_FAILED, Conditional, DynamoStore, conditional, sdk_error, unexpected};
use crate::domain::{LogoutId, SessionId};
use crate::store::flow::NEW_ITEM;
use crate::store::session::{LIVE, OPEN, RENEWABLE};
use crate::store::{
    LogoutRecord, LogoutRequest, Renewal, Session, SessionStep, SessionStore, StoreError, keys,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    Update,
};
use std::collections::HashMap;

pub(super) fn session_key(id: &SessionId) -> AttributeValue {
    s(keys::session(id))
}

fn session_item(session: &Session, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), session_key(&session.id)),
        ("secret_hash".to_owned(), s(&session.secret_hash)),
        ("email".to_owned(), s(&session.email)),
        ("subject".to_owned(), s(&session.subject)),
        ("amr".to_owned(), s(&session.amr)),
        ("auth_time".to_owned(), n(session.auth_time)),
        ("created_at".to_owned(), n(session.created_at)),
        ("expires_at".to_owned(), n(session.expires_at)),
        ("idle_expires_at".to_owned(), n(session.idle_expires_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    // A string set cannot be empty: no apps, no attribute.
    if !session.clients.is_empty() {
        let clients = session.clients.iter().cloned().collect();
        item.insert("clients".to_owned(), AttributeValue::Ss(clients));
    }
    if let Some(ended_at) = session.ended_at {
        item.insert("ended_at".to_owned(), n(ended_at));
    }
    if let Some(passkey) = &session.passkey {
        item.insert("passkey".to_owned(), s(passkey));
    }
    item
}

fn session_from_item(item: &Item) -> Result<Session, StoreError> {
    let id = keys::session_id_of(get_s(item, "pk")?)
        .ok_or_else(|| malformed("pk", "not a session key"))?;
    let clients = match item.get("clients") {
        None => Default::default(),
        Some(value) => value
            .as_ss()
            .map_err(|_| malformed("clients", "not a string set"))?
            .iter()
            .cloned()
            .collect(),
    };
    let string = |name| get_s(item, name).map(str::to_owned);
    Ok(Session {
        id,
        secret_hash: string("secret_hash")?,
        email: string("email")?,
        subject: string("subject")?,
        amr: string("amr")?,
        auth_time: get_n(item, "auth_time")?,
        passkey: match item.get("passkey") {
            Some(_) => Some(string("passkey")?),
            None => None,
        },
        created_at: get_n(item, "created_at")?,
        expires_at: get_n(item, "expires_at")?,
        idle_expires_at: get_n(item, "idle_expires_at")?,
        clients,
        ended_at: get_optional_n(item, "ended_at")?,
    })
}

fn logout_key(id: &LogoutId) -> AttributeValue {
    s(keys::logout(id))
}

fn logout_item(request: &LogoutRequest, ttl: u64) -> Item {
    let mut item = HashMap::from([
        ("pk".to_owned(), logout_key(&request.id)),
        ("created_at".to_owned(), n(request.created_at)),
        ("expires_at".to_owned(), n(request.expires_at)),
        ("ttl".to_owned(), n(ttl)),
    ]);
    let optional = [
        ("client_id", &request.client_id),
        ("redirect_to", &request.redirect_to),
        ("ui_locales", &request.ui_locales),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
}

fn logout_from_item(item: &Item) -> Result<LogoutRecord, StoreError> {
    let id = keys::logout_id_of(get_s(item, "pk")?)
        .ok_or_else(|| malformed("pk", "not a logout key"))?;
    let optional = |name| -> Result<Option<String>, StoreError> {
        item.get(name)
            .map(|_| get_s(item, name).map(str::to_owned))
            .transpose()
    };
    Ok(LogoutRecord {
        request: LogoutRequest {
            id,
            client_id: optional("client_id")?,
            redirect_to: optional("redirect_to")?,
            ui_locales: optional("ui_locales")?,
            created_at: get_n(item, "created_at")?,
            expires_at: get_n(item, "expires_at")?,
        },
        used_at: get_optional_n(item, "used_at")?,
    })
}

impl DynamoStore {
    /// The update that adds `id` to its identity's list and sets the list's
    /// `ttl`, as an item of a transaction.
    fn list_item(
        &self,
        subject: &str,
        id: &SessionId,
        ttl: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(keys::sessions(subject)))
            .update_expression("ADD #ids :id SET #ttl = :ttl")
            .expression_attribute_names("#ids", "ids")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":id", AttributeValue::Ss(vec![id.as_str().to_owned()]))
            .expression_attribute_values(":ttl", n(ttl))
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// One conditional `UpdateItem` of a session, returning it after the
    /// write or, refused, as it was.
    async fn session_update(
        &self,
        id: &SessionId,
        update: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<SessionStep, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", session_key(id))
            .update_expression(update)
            .condition_expression(condition)
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for name in placeholders(&[update, condition]) {
            let attribute = name[1..].to_owned();
            request = request.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(placeholder, value);
        }
        Ok(match conditional(request.send().await)? {
            Conditional::Written(item) => {
                let item = item.ok_or_else(|| unexpected("UpdateItem", "no item returned"))?;
                SessionStep::Done(session_from_item(&item)?)
            }
            Conditional::Refused(None) => SessionStep::Refused(None),
            Conditional::Refused(Some(item)) => {
                SessionStep::Refused(Some(session_from_item(&item)?))
            }
        })
    }

    pub(super) async fn put_new(&self, item: Item, what: &'static str) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(NEW_ITEM)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.into_service_error() {
                PutItemError::ConditionalCheckFailedException(_) => {
                    Err(unexpected("PutItem", what))
                }
                other => Err(sdk_error("PutItem")(other)),
            },
        }
    }

    pub(super) async fn get(&self, key: AttributeValue) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", key)
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error("GetItem"))?;
        Ok(out.item)
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    #[tracing::instrument(skip_all, fields(session = %session.id))]
    async fn create_session(&self, session: &Session, ttl: u64) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(session_item(session, ttl)))
            .condition_expression(NEW_ITEM)
            .build()
            .map_err(sdk_error("TransactWriteItems"))?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            self.list_item(&session.subject, &session.id, ttl)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(_) => Err(unexpected("TransactWriteItems", "the session id is taken")),
        }
    }

    #[tracing::instrument(skip_all, fields(session = %id))]
    async fn get_session(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        self.get(session_key(id))
            .await?
            .as_ref()
            .map(session_from_item)
            .transpose()
    }

    #[tracing::instrument(skip_all, fields(session = %id))]
    async fn renew_session(
        &self,
        id: &SessionId,
        renewal: &Renewal,
        now: u64,
        ttl: u64,
    ) -> Result<bool, StoreError> {
        let mut update = "SET #secret_hash = :secret_hash, #amr = :amr, #auth_time = :auth_time, \
             #expires_at = :expires_at, #idle_expires_at = :idle_expires_at, #ttl = :ttl"
            .to_owned();
        let mut values = vec![
            (":secret_hash", s(&renewal.secret_hash)),
            (":amr", s(&renewal.amr)),
            (":auth_time", n(renewal.auth_time)),
            (":expires_at", n(renewal.expires_at)),
            (":idle_expires_at", n(renewal.idle_expires_at)),
            (":ttl", n(ttl)),
            (":now", n(now)),
            (":old_secret_hash", s(&renewal.old_secret_hash)),
            (":subject", s(&renewal.subject)),
        ];
        match &renewal.passkey {
            Some(passkey) => {
                update.push_str(", #passkey = :passkey");
                values.push((":passkey", s(passkey)));
            }
            None => update.push_str(" REMOVE #passkey"),
        }
        if let Some(client) = &renewal.client {
            update.push_str(" ADD #clients :client");
            values.push((":client", AttributeValue::Ss(vec![client.clone()])));
        }
        let mut session = Update::builder()
            .table_name(&self.table)
            .key("pk", session_key(id))
            .update_expression(&update)
            .condition_expression(RENEWABLE);
        for name in placeholders(&[&update, RENEWABLE]) {
            let attribute = name[1..].to_owned();
            session = session.expression_attribute_names(name, attribute);
        }
        for (placeholder, value) in values {
            session = session.expression_attribute_values(placeholder, value);
        }
        let session = session.build().map_err(sdk_error("TransactWriteItems"))?;
        let items = vec![
            TransactWriteItem::builder().update(session).build(),
            self.list_item(&renewal.subject, id, ttl)?,
        ];
        match self.transact(items).await? {
            Ok(()) => Ok(true),
            Err(reasons) if reasons.first().and_then(|r| r.code()) == Some(CONDITION_FAILED) => {
                Ok(false)
            }
            Err(_) => Err(unexpected(
                "TransactWriteItems",
                "a session renewal was cancelled",
            )),
        }
    }

    #[tracing::instrument(skip_all, fields(session = %id))]
    async fn end_session(&self, id: &SessionId, now: u64) -> Result<SessionStep, StoreError> {
        self.session_update(id, "SET #ended_at = :now", LIVE, vec![(":now", n(now))])
            .await
    }

    async fn sessions_of(&self, subject: &str) -> Result<Vec<SessionId>, StoreError> {
        let Some(item) = self.get(s(keys::sessions(subject))).await? else {
            return Ok(Vec::new());
        };
        let Some(ids) = item.get("ids") else {
            return Ok(Vec::new());
        };
        let ids = ids
            .as_ss()
            .map_err(|_| malformed("ids", "not a string set"))?;
        ids.iter()
            .map(|id| SessionId::parse(id).ok_or_else(|| malformed("ids", "not session ids")))
            .collect()
    }

    async fn forget_sessions(&self, subject: &str, ids: &[SessionId]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids = ids.iter().map(|id| id.as_str().to_owned()).collect();
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(keys::sessions(subject)))
            .update_expression("DELETE #ids :ids")
            .expression_attribute_names("#ids", "ids")
            .expression_attribute_values(":ids", AttributeValue::Ss(ids))
            .send()
            .await
            .map_err(sdk_error("UpdateItem"))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(logout = %request.id))]
    async fn put_logout(&self, request: &LogoutRequest, ttl: u64) -> Result<(), StoreError> {
        self.put_new(logout_item(request, ttl), "the logout id is taken")
            .await
    }

    #[tracing::instrument(skip_all, fields(logout = %id))]
    async fn get_logout(&self, id: &LogoutId) -> Result<Option<LogoutRecord>, StoreError> {
        self.get(logout_key(id))
            .await?
            .as_ref()
            .map(logout_from_item)
            .transpose()
    }

    #[tracing::instrument(skip_all, fields(logout = %id))]
    async fn use_logout(
        &self,
        id: &LogoutId,
        now: u64,
    ) -> Result<Option<LogoutRecord>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", logout_key(id))
            .update_expression("SET #used_at = :now")
            .condition_expression(OPEN)
            .expression_attribute_names("#used_at", "used_at")
            .expression_attribute_names("#expires_at", "expires_at")
            .expression_attribute_values(":now", n(now))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match conditional(result)? {
            Conditional::Written(item) => {
                let item = item.ok_or_else(|| unexpected("UpdateItem", "no item returned"))?;
                Ok(Some(logout_from_item(&item)?))
            }
            Conditional::Refused(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            id: SessionId::generate(),
            secret_hash: "a".repeat(64),
            email: "ann@example.com".into(),
            subject: "sub-of-ann".into(),
            amr: "otp".into(),
            auth_time: 100,
            passkey: Some("AbC-_9".into()),
            created_at: 90,
            expires_at: 100 + 30 * 86_400,
            idle_expires_at: 100 + 7 * 86_400,
            clients: ["shop".to_owned(), "spa".to_owned()].into(),
            ended_at: Some(500),
        }
    }

    #[test]
    fn items_round_trip() {
        let full = session();
        assert_eq!(session_from_item(&session_item(&full, 9)).unwrap(), full);
        let bare = Session {
            clients: Default::default(),
            ended_at: None,
            passkey: None,
            ..full
        };
        let item = session_item(&bare, 9);
        assert!(
            !item.contains_key("clients")
                && !item.contains_key("ended_at")
                && !item.contains_key("passkey")
        );
        assert_eq!(session_from_item(&item).unwrap(), bare);
        let logout = LogoutRecord {
            request: LogoutRequest {
                id: LogoutId::generate(),
                client_id: Some("shop".into()),
                redirect_to: Some("https://shop.example/bye?state=s".into()),
                ui_locales: Some("de".into()),
                created_at: 1,
                expires_at: 601,
            },
            used_at: None,
        };
        let item = logout_item(&logout.request, 9);
        assert_eq!(logout_from_item(&item).unwrap(), logout);
    }

    /// A damaged item is an error naming the attribute, never its value.
    #[test]
    fn malformed_items_are_errors() {
        let good = session_item(&session(), 9);
        let cases: [(&str, Option<AttributeValue>); 5] = [
            ("pk", Some(s("authreq#x"))),
            ("secret_hash", None),
            ("clients", Some(s("shop"))),
            ("idle_expires_at", Some(s("soon"))),
            ("email", Some(n(1))),
        ];
        for (name, value) in cases {
            let mut item = good.clone();
            match value {
                Some(v) => item.insert(name.to_owned(), v),
                None => item.remove(name),
            };
            let err = session_from_item(&item).expect_err(name).to_string();
            assert!(err.contains(name), "{err}");
            assert!(!err.contains("ann@"), "{err}");
        }
    }
}
