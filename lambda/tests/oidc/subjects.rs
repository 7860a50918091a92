//! `sub` follows the identity key: two spellings are one subject only where
//! they provably reach one mailbox. `ann+x@corp.example` may be read by
//! someone else than `ann@corp.example` (a catch-all, a shared inbox, a
//! server without sub-addressing), so the two sign in as two people; Gmail
//! documents that dots and `+tag`s reach one mailbox, so `a.nn+x@gmail.com`
//! and `ann@gmail.com` sign in as one.

use super::support::{AuthParams, OidcApp, SHOP, spawn_oidc, verified_claims};
use crate::support::random_suffix;
use serde_json::Value;

/// A whole sign-in of `email` at the shop: the verified ID token's claims.
async fn claims_of(app: &OidcApp, email: &str) -> Value {
    let params = AuthParams::new(SHOP);
    let code = app.sign_in(&params, email).await.must("code").to_owned();
    let body = app.redeem(SHOP, &code, &params).await;
    verified_claims(app, body["id_token"].as_str().unwrap(), SHOP.id).await
}

#[tokio::test]
async fn a_tag_off_the_provider_list_is_another_subject() {
    let app = spawn_oidc().await;
    let ann = format!("ann{}", &random_suffix()[..10]);
    let plain = claims_of(&app, &format!("{ann}@corp.example")).await;
    let tagged = claims_of(&app, &format!("{ann}+x@corp.example")).await;
    assert_ne!(plain["sub"], tagged["sub"], "two mailboxes, two people");
    assert_eq!(plain["email"], format!("{ann}@corp.example"));
    assert_eq!(tagged["email"], format!("{ann}+x@corp.example"));
    let again = claims_of(&app, &format!("{}@Corp.Example", ann.to_uppercase())).await;
    assert_eq!(again["sub"], plain["sub"], "case is one mailbox");
}

#[tokio::test]
async fn a_gmail_spelling_is_the_same_subject() {
    let app = spawn_oidc().await;
    let ann = format!("ann{}", &random_suffix()[..10]);
    let (first, rest) = ann.split_at(1);
    let spelled = claims_of(&app, &format!("{first}.{rest}+x@gmail.com")).await;
    let plain = claims_of(&app, &format!("{ann}@gmail.com")).await;
    assert_eq!(
        spelled["sub"], plain["sub"],
        "one Gmail mailbox, one person"
    );
    assert_eq!(spelled["email"], format!("{ann}@gmail.com"));
    assert_eq!(plain["email"], spelled["email"]);
}
