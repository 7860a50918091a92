//! What a bounce suppresses: the identity key of the address that bounced,
//! never the budget key. A tag on a domain whose provider does not document
//! sub-addressing is another mailbox, so its bounce (a tag the receiving
//! server refuses) leaves the untagged address alone; on Gmail the tag and
//! the dots provably reach one mailbox, so its bounce covers all of them.
//! The same holds for a suppression the operator adds with `otp suppression
//! add`.

use super::*;
use crate::support::{dynamodb_local_env, random_suffix, service_or_skip};

/// A fresh local part, so runs sharing maildev do not count each other's mail.
fn someone() -> String {
    format!("ann{}", &random_suffix()[..10])
}

impl Harness {
    /// A send to `address` is accepted and its message arrives.
    async fn assert_delivered(&self, address: &str) {
        let before = self.messages_to(address).await;
        self.assert_sent(address).await;
        self.assert_messages(address, before + 1).await;
    }
}

/// `ann+x@corp.example` bounces: that address is refused, in any case;
/// `ann@corp.example` and another tag still get their codes.
#[tokio::test]
async fn a_bounce_of_a_tag_off_the_provider_list_suppresses_that_address_only() {
    let app = harness().await;
    let ann = someone();
    let tagged = format!("{ann}+x@corp.example");
    let tally = app.list.handle(&bounce_of(&tagged)).await.unwrap();
    assert_eq!(tally.suppressed, 1);

    let before = app.messages_to(&tagged).await;
    app.assert_refused(&tagged).await;
    app.assert_refused(&format!("{}+X@Corp.Example", ann.to_uppercase()))
        .await;
    app.assert_delivered(&format!("{ann}@corp.example")).await;
    app.assert_delivered(&format!("{ann}+y@corp.example")).await;
    app.assert_messages(&tagged, before).await;
}

/// `a.nn+x@gmail.com` bounces: Gmail documents that dots and tags reach one
/// mailbox, so `ann@gmail.com` (and `ann@googlemail.com`) are refused too.
#[tokio::test]
async fn a_bounce_of_a_gmail_spelling_suppresses_the_gmail_mailbox() {
    let app = harness().await;
    let ann = someone();
    let (first, rest) = ann.split_at(1);
    let tally = app
        .list
        .handle(&bounce_of(&format!("{first}.{rest}+x@gmail.com")))
        .await
        .unwrap();
    assert_eq!(tally.suppressed, 1);
    let before = app.messages_to(&format!("{ann}@gmail.com")).await;
    for spelling in [
        format!("{ann}@gmail.com"),
        format!("{ann}+other@googlemail.com"),
    ] {
        app.assert_refused(&spelling).await;
    }
    app.assert_messages(&format!("{ann}@gmail.com"), before)
        .await;
}

/// `otp suppression add`, run as the operator runs it against the table the
/// service uses: the same keys as a bounce, the operator's length, `manual`
/// in `show`, and `lift` sends codes again.
#[tokio::test]
async fn the_operator_suppresses_an_identity_with_add() {
    let app = harness().await;
    let (Some(table), Some(endpoint)) = (
        app.table.clone(),
        service_or_skip("OTP_TEST_DYNAMODB_ENDPOINT"),
    ) else {
        return;
    };
    let dynamodb = dynamodb_local_env(&endpoint);
    let otp = |words: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_otp"))
            .env_clear()
            .envs([
                ("OTP_TABLE", table.as_str()),
                ("OTP_HMAC_KEYS", KEYS),
                ("OTP_SUBJECT_KEY", SUBJECT_KEY),
            ])
            .envs(dynamodb.iter().map(|(k, v)| (*k, v.as_str())))
            .arg("suppression")
            .args(words)
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{words:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let ann = someone();
    let tagged = format!("{ann}+x@corp.example");
    let added = otp(&["add", &format!("{ann}+X@corp.example"), "--days", "7"]);
    assert!(
        added.starts_with(&format!("{tagged}: suppressed until "))
            && added.contains("(manual, added ")
            && added.ends_with(", 7 days left)\n"),
        "{added}"
    );
    app.assert_refused(&tagged).await;
    app.assert_delivered(&format!("{ann}@corp.example")).await;

    let (first, rest) = ann.split_at(1);
    let added = otp(&["add", &format!("{first}.{rest}+x@GoogleMail.com")]);
    assert!(
        added.starts_with(&format!("{ann}@gmail.com: suppressed until "))
            && added.contains(", 90 days left)"),
        "{added}"
    );
    app.assert_refused(&format!("{ann}@gmail.com")).await;
    assert_eq!(
        otp(&["lift", &format!("{ann}@googlemail.com")]),
        format!("{ann}@gmail.com: suppression lifted, codes are sent again\n")
    );
    app.assert_delivered(&format!("{ann}@gmail.com")).await;
    let shown = otp(&["show", &format!("{ann}+x@CORP.example")]);
    assert!(
        shown.starts_with(&format!("{tagged}: suppressed until "))
            && shown.contains("(manual, added "),
        "{shown}"
    );
}
