//! The code mail in the person's language, read back from maildev: each
//! language's subject and both parts say what that language's catalog says,
//! the code leads the subject, and the plain part ends with `@<host> #<code>`.
//! A resend keeps the flow's language unless it names another.

use crate::support::{TestApp, expect_error, random_email, spawn_app, spawn_app_with};
use fluent_bundle::FluentArgs;
use otp::i18n::Catalog;
use otp_api::locale::{LANGUAGES, Language, exact};
use otp_api::{ErrorCode, SendResponse};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The product name and the expiry of the test settings.
const PRODUCT: &str = "OTP";
const MINUTES: u64 = 10;
const WEB_HOST: &str = "otp.test";

/// What the catalog of `language` says for `id` in the test settings.
fn says(language: &'static Language, id: &str, minutes: u64) -> String {
    let mut args = FluentArgs::new();
    args.set("product", PRODUCT);
    args.set("minutes", minutes);
    Catalog::of(language).message(id, Some(&args))
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Waits for message number `count` to `to` and checks that it is written
/// in `language`, its code expiring in `minutes`; returns its code.
async fn expect_mail_in(
    app: &TestApp,
    to: &str,
    count: usize,
    language: &'static Language,
    minutes: u64,
) -> Option<String> {
    let code = app.inbox.wait_for_code(to, count).await;
    let messages = app.inbox.maildev_messages(to).await?;
    let mail = &messages[count - 1];
    let tag = language.tag;

    let subject = mail["subject"].as_str().unwrap();
    assert_eq!(
        subject,
        format!("{code} {}", says(language, "mail-subject", minutes))
    );

    let text = mail["text"].as_str().unwrap();
    for id in ["mail-intro", "mail-expiry", "mail-secret", "mail-unasked"] {
        let sentence = says(language, id, minutes);
        assert!(
            text.contains(&sentence),
            "{tag} {id}: {sentence:?} not in {text}"
        );
    }
    assert!(
        text.lines().any(|l| l == code),
        "{tag}: the code alone on a line"
    );
    let last = text.lines().rev().find(|l| !l.trim().is_empty());
    assert_eq!(last, Some(format!("@{WEB_HOST} #{code}").as_str()), "{tag}");

    let html = mail["html"].as_str().unwrap();
    let root = format!("<html lang=\"{tag}\" dir=\"{}\">", language.dir());
    assert!(html.contains(&root), "{tag}: {html}");
    for id in [
        "mail-title",
        "mail-intro",
        "mail-expiry",
        "mail-secret",
        "mail-unasked",
    ] {
        let sentence = escaped(&says(language, id, minutes));
        assert!(
            html.contains(&sentence),
            "{tag} {id}: {sentence:?} not in {html}"
        );
    }
    assert!(html.contains(&format!(">{code}</p>")), "{tag}: {html}");

    let headers = &mail["headers"];
    assert_eq!(headers["content-language"].as_str(), Some(tag), "{headers}");
    Some(code)
}

async fn send(app: &TestApp, email: &str, locale: Option<&str>) -> SendResponse {
    let mut body = json!({ "email": email });
    if let Some(locale) = locale {
        body["locale"] = Value::from(locale);
    }
    let response = app.post("/api/otp/send", body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    response.json().await.unwrap()
}

async fn resend(app: &TestApp, flow_id: &str, locale: Option<&str>) {
    app.clock.advance(60);
    let mut body = json!({ "flow_id": flow_id });
    if let Some(locale) = locale {
        body["locale"] = Value::from(locale);
    }
    let response = app.post("/api/otp/resend", body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
}

fn skipped() {
    println!("skipped: reading the parts of a message needs maildev (OTP_TEST_MAILDEV_API)");
}

#[tokio::test]
async fn the_mail_is_written_in_each_language() {
    let app = spawn_app().await;
    for language in LANGUAGES {
        let email = random_email();
        let sent = send(&app, &email, Some(language.tag)).await;
        if expect_mail_in(&app, &email, 1, language, MINUTES)
            .await
            .is_none()
        {
            return skipped();
        }
        // The code of the mail is the one that verifies.
        let code = app.inbox.wait_for_code(&email, 1).await;
        let verified = app.post_verify(&sent.flow_id, &code).await;
        assert_eq!(verified.status(), StatusCode::OK, "{}", language.tag);
    }
}

#[tokio::test]
async fn a_resend_keeps_the_flows_language_unless_it_names_another() {
    let app = spawn_app().await;
    let email = random_email();
    let sent = send(&app, &email, Some("ja")).await;
    let ja = exact("ja").unwrap();
    if expect_mail_in(&app, &email, 1, ja, MINUTES).await.is_none() {
        return skipped();
    }
    // Each resend a minute later: the same code, a minute less to live.
    resend(&app, &sent.flow_id, None).await;
    expect_mail_in(&app, &email, 2, ja, MINUTES - 1).await;
    resend(&app, &sent.flow_id, Some("ar")).await;
    let ar = exact("ar").unwrap();
    expect_mail_in(&app, &email, 3, ar, MINUTES - 2).await;
    // The switch is the flow's language from then on.
    resend(&app, &sent.flow_id, None).await;
    let code = expect_mail_in(&app, &email, 4, ar, MINUTES - 3)
        .await
        .unwrap();
    let verified = app.post_verify(&sent.flow_id, &code).await;
    assert_eq!(verified.status(), StatusCode::OK);
}

#[tokio::test]
async fn without_a_locale_the_mail_is_in_the_default_language() {
    let app = spawn_app_with(&[("OTP_DEFAULT_LOCALE", "pt-BR")]).await;
    let email = random_email();
    send(&app, &email, None).await;
    if expect_mail_in(&app, &email, 1, exact("pt-BR").unwrap(), MINUTES)
        .await
        .is_none()
    {
        return skipped();
    }
    // A tag in another case is the same language.
    let email = random_email();
    send(&app, &email, Some("DE")).await;
    expect_mail_in(&app, &email, 1, exact("de").unwrap(), MINUTES).await;
}

/// An unsupported or malformed `locale` is a 400 that names the field and
/// the languages there are, on send and on resend, and nothing is sent.
#[tokio::test]
async fn an_unsupported_locale_is_a_bad_request() {
    let app = spawn_app().await;
    let email = random_email();
    let sent = send(&app, &email, None).await;
    app.inbox.wait_for_code(&email, 1).await;
    for bad in ["pt-PT", "zh", "de_DE", "", "en-", "x".repeat(40).as_str()] {
        let response = app
            .post("/api/otp/send", json!({ "email": email, "locale": bad }))
            .await;
        let body = expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
        let message = body.error.message;
        assert!(message.contains("locale"), "{message}");
        assert!(
            message.contains("en, de, fr, es, pt-BR, ja, ar"),
            "{message}"
        );

        app.clock.advance(60);
        let response = app
            .post(
                "/api/otp/resend",
                json!({ "flow_id": sent.flow_id, "locale": bad }),
            )
            .await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest).await;
    }
    assert_eq!(
        app.inbox.subjects(&email).await.len(),
        1,
        "nothing more sent"
    );
}

/// The served page declares the default language on its root element, the
/// page's last fallback, under an ETag of its own.
#[tokio::test]
async fn the_page_declares_the_default_language() {
    let page = |app: &TestApp| {
        let request = app
            .client
            .get(app.url("/"))
            .header("accept-encoding", "br, gzip");
        async move {
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let etag = response.headers()["etag"].to_str().unwrap().to_owned();
            (etag, response.text().await.unwrap())
        }
    };
    let (english_etag, _) = page(&spawn_app().await).await;
    for (tag, dir) in [("ar", "rtl"), ("de", "ltr")] {
        let app = spawn_app_with(&[("OTP_DEFAULT_LOCALE", tag)]).await;
        let (etag, html) = page(&app).await;
        assert!(
            html.contains(&format!("<html lang=\"{tag}\" dir=\"{dir}\"")),
            "{html}"
        );
        assert_ne!(etag, english_etag);
    }
}
