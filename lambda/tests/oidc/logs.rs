//! What a refused client authentication writes to the log: the client id
//! it claimed only when that id is well-formed (as a registered id is),
//! never a stranger's text, which Basic credentials percent-decode (a
//! newline, a bidirectional override, kilobytes).

use super::support::{AuthParams, SHOP, basic_auth, spawn_oidc};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything written through it, for a subscriber of this thread only.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// The test runs on one thread (tokio's current-thread runtime), so the
/// server's tasks log through this thread's subscriber, in the readable
/// format a terminal gets.
#[tokio::test]
async fn a_malformed_client_id_never_reaches_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = spawn_oidc().await;
    let params = AuthParams::new(SHOP);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", SHOP.redirect_uri),
        ("code_verifier", params.verifier.as_str()),
    ];
    let long = format!("long{}", "y".repeat(300));
    for id in [
        "forged\nline: admin signed in",
        "bidi\u{202e}nigis",
        long.as_str(),
        "spa ce",
    ] {
        let response = app
            .http
            .post(app.url("/token"))
            .header("authorization", basic_auth(id, "secret"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{id:?}");
    }
    let mut post = form.to_vec();
    post.push(("client_id", "body\r\ninjected"));
    let response = app.token(&post, None).await;
    assert_eq!(response.status(), 401);
    // A well-formed id that is registered to nobody is logged as claimed.
    let response = app
        .http
        .post(app.url("/token"))
        .header("authorization", basic_auth("nobody-42", "secret"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    let log = captured.text();
    assert!(log.contains("nobody-42"), "the capture works:\n{log}");
    for leaked in [
        "forged",
        "admin signed",
        "nigis",
        "yyyyyyyy",
        "spa ce",
        "injected",
    ] {
        assert!(!log.contains(leaked), "{leaked:?} reached the log:\n{log}");
    }
}
