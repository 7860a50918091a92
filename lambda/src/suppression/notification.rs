//! Reading one SES notification, the `Message` of an SNS record.
//!
//! Both ways SES reports feedback are read: a configuration set's event
//! destination (`eventType`) and an identity's feedback notifications
//! (`notificationType`); the `bounce` and `complaint` objects are the same
//! ("Amazon SNS notification contents for Amazon SES" and "Contents of event
//! data that Amazon SES publishes to Amazon SNS" in the SES developer guide).
//!
//! - `Bounce` with `bounceType` `Permanent`: each of `bouncedRecipients`
//!   is suppressed; `Transient` and `Undetermined` bounces are not (the
//!   mailbox exists, or may);
//! - `Complaint`: each of `complainedRecipients`, unless the feedback type
//!   is `not-spam` (a recipient's report that it is *not* spam);
//! - anything else (`Delivery`, `Send`, `Reject`, SES's subscription test
//!   message, …) needs nothing.
//!
//! An error never quotes the message: it holds addresses.

use crate::domain::Email;
use crate::store::SuppressionReason;
use serde::Deserialize;

/// What a notification asks of the suppression list.
#[derive(Debug, PartialEq)]
pub enum Notice {
    Suppress {
        reason: SuppressionReason,
        recipients: Vec<Email>,
        /// Recipients that are not addresses (skipped).
        unreadable: usize,
    },
    /// Nothing to do; the kind, for the log.
    Ignore(&'static str),
}

/// Why a notification could not be read; says where, never what.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Malformed {
    #[error("not an SES notification ({0} at line {1}, column {2})")]
    Json(&'static str, usize, usize),
    #[error("no notificationType or eventType")]
    NoType,
    #[error("a {0} notification without its `{1}` object")]
    Missing(&'static str, &'static str),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    notification_type: Option<String>,
    event_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    #[serde(default)]
    complained_recipients: Vec<Recipient>,
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

/// Reads the `Message` of an SNS record that SES published.
pub fn parse(message: &str) -> Result<Notice, Malformed> {
    let raw: Raw = serde_json::from_str(message).map_err(|e| {
        let class = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected fields",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        Malformed::Json(class, e.line(), e.column())
    })?;
    let kind = raw
        .notification_type
        .as_deref()
        .or(raw.event_type.as_deref())
        .ok_or(Malformed::NoType)?;
    match kind {
        "Bounce" => {
            let bounce = raw.bounce.ok_or(Malformed::Missing("Bounce", "bounce"))?;
            if bounce.bounce_type != "Permanent" {
                return Ok(Notice::Ignore("a bounce that is not permanent"));
            }
            Ok(suppress(
                SuppressionReason::Bounce,
                bounce.bounced_recipients,
            ))
        }
        "Complaint" => {
            let complaint = raw
                .complaint
                .ok_or(Malformed::Missing("Complaint", "complaint"))?;
            if complaint.complaint_feedback_type.as_deref() == Some("not-spam") {
                return Ok(Notice::Ignore("a not-spam report"));
            }
            Ok(suppress(
                SuppressionReason::Complaint,
                complaint.complained_recipients,
            ))
        }
        "Delivery" => Ok(Notice::Ignore("a delivery")),
        _ => Ok(Notice::Ignore("another kind of notification")),
    }
}

fn suppress(reason: SuppressionReason, recipients: Vec<Recipient>) -> Notice {
    let total = recipients.len();
    let recipients: Vec<Email> = recipients
        .iter()
        .filter_map(|r| address(&r.email_address))
        .collect();
    Notice::Suppress {
        reason,
        unreadable: total - recipients.len(),
        recipients,
    }
}

/// A recipient as SES reports it: usually a bare address, the DSN's
/// `Final-Recipient` sometimes with a display name around it.
fn address(reported: &str) -> Option<Email> {
    let reported = reported.trim();
    let bare = match (reported.rfind('<'), reported.rfind('>')) {
        (Some(open), Some(close)) if open < close => &reported[open + 1..close],
        _ => reported,
    };
    Email::parse(bare).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(list: &[&str]) -> Vec<Email> {
        list.iter().map(|a| Email::parse(a).unwrap()).collect()
    }

    #[test]
    fn a_permanent_bounce_suppresses_each_bounced_recipient() {
        let message = r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",
            "bounceSubType":"General","bouncedRecipients":[{"emailAddress":"jane@example.com",
            "action":"failed","status":"5.1.1"},{"emailAddress":"Rich <rich@example.com>"},
            {"emailAddress":"not an address"}],"timestamp":"2016-01-27T14:59:38.237Z"},
            "mail":{"destination":["jane@example.com"]}}"#;
        assert_eq!(
            parse(message).unwrap(),
            Notice::Suppress {
                reason: SuppressionReason::Bounce,
                recipients: emails(&["jane@example.com", "rich@example.com"]),
                unreadable: 1,
            }
        );
    }

    #[test]
    fn event_publishing_reads_like_identity_notifications() {
        let message = r#"{"eventType":"Complaint","complaint":{"complainedRecipients":
            [{"emailAddress":"ann@example.com"}],"complaintFeedbackType":"abuse"}}"#;
        assert_eq!(
            parse(message).unwrap(),
            Notice::Suppress {
                reason: SuppressionReason::Complaint,
                recipients: emails(&["ann@example.com"]),
                unreadable: 0,
            }
        );
    }

    #[test]
    fn what_does_not_suppress_is_ignored() {
        for message in [
            r#"{"notificationType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"a@example.com"}]}}"#,
            r#"{"notificationType":"Bounce","bounce":{"bounceType":"Undetermined","bouncedRecipients":[]}}"#,
            r#"{"notificationType":"Complaint","complaint":{"complaintFeedbackType":"not-spam","complainedRecipients":[{"emailAddress":"a@example.com"}]}}"#,
            r#"{"notificationType":"Delivery","delivery":{"recipients":["a@example.com"]}}"#,
            r#"{"eventType":"Send","send":{}}"#,
            r#"{"notificationType":"AmazonSnsSubscriptionSucceeded","message":"You have successfully subscribed"}"#,
        ] {
            assert!(matches!(parse(message), Ok(Notice::Ignore(_))), "{message}");
        }
    }

    /// An error says where a message broke, never what it held.
    #[test]
    fn malformed_messages_are_errors_without_their_content() {
        for message in [
            "jane@example.com bounced",
            r#"{"notificationType":"Bounce"}"#,
            r#"{"notificationType":"Bounce","bounce":{"bouncedRecipients":[{"emailAddress":"jane@example.com"}]}}"#,
            r#"{"bounce":{"bounceType":"Permanent"}}"#,
            r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":"jane@example.com"}}"#,
            r#"{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","#,
        ] {
            let err = parse(message).expect_err(message).to_string();
            assert!(!err.contains("jane"), "{err}");
        }
    }
}
