//! Dependencies that fail: the person gets a clear 503, nothing is left
//! half-written, and no budget or cooldown is consumed.

use crate::helpers::{
    Inbox, expect_error, random_email, random_suffix, service_env, spawn_app_with,
    spawn_with_settings,
};
use otp::settings::Settings;
use otp_api::ErrorCode;
use reqwest::StatusCode;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// A loopback port with nothing listening on it.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A server that accepts connections and never says a word.
async fn silent_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (addr, task)
}

/// A TCP relay to `upstream` that can be cut and restored, dropping every
/// open connection when cut.
struct Switch {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<tokio::sync::Mutex<JoinSet<()>>>,
}

impl Switch {
    async fn to(upstream: String) -> Switch {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(tokio::sync::Mutex::new(JoinSet::new()));
        let (flag, set) = (up.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    continue; // dropped: the client sees the connection close
                }
                let upstream = upstream.clone();
                set.lock().await.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Switch {
            addr,
            up,
            connections,
        }
    }

    async fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn smtp_refusing_connections_answers_503_and_spends_no_budget() {
    let smtp = closed_port().await;
    let url = format!("smtp://{smtp}");
    let app = spawn_app_with(&[("OTP_SMTP_URL", &url), ("OTP_SENDS_PER_EMAIL_PER_DAY", "1")]).await;
    let email = random_email();
    for _ in 0..3 {
        let response = app.post_send(&email).await;
        assert_eq!(response.headers()["retry-after"], "2");
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
        )
        .await;
    }
}

#[tokio::test]
async fn smtp_that_hangs_answers_503_within_the_timeout() {
    let (smtp, _server) = silent_server().await;
    let url = format!("smtp://{smtp}");
    let app = spawn_app_with(&[("OTP_SMTP_URL", &url), ("OTP_SMTP_TIMEOUT_SECS", "1")]).await;
    let response = app.post_send(&random_email()).await;
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;
}

#[tokio::test]
async fn a_failed_resend_keeps_the_old_code_and_the_cooldown() {
    let Some(maildev) = service_env("OTP_TEST_MAILDEV_SMTP") else {
        eprintln!("skipped: needs maildev (run scripts/test)");
        return;
    };
    let switch = Switch::to(maildev).await;
    let url = format!("smtp://{}", switch.addr);
    let app = spawn_app_with(&[("OTP_SMTP_URL", &url)]).await;
    let email = random_email();
    let (sent, code) = app.start_flow(&email).await;

    app.clock.advance(60);
    switch.cut().await;
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;

    // The mail is back: a resend goes through at once (the failed one used
    // no cooldown), and before it the first code still worked.
    switch.restore();
    assert_eq!(
        app.post_resend(&sent.flow_id).await.status(),
        StatusCode::ACCEPTED
    );
    let second = app.inbox.wait_for_code(&email, 2).await;
    if second != code {
        let response = app.post_verify(&sent.flow_id, &code).await;
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongCode,
        )
        .await;
    }
    assert_eq!(
        app.post_verify(&sent.flow_id, &second).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_failed_resend_leaves_the_first_code_working() {
    let Some(maildev) = service_env("OTP_TEST_MAILDEV_SMTP") else {
        eprintln!("skipped: needs maildev (run scripts/test)");
        return;
    };
    let switch = Switch::to(maildev).await;
    let url = format!("smtp://{}", switch.addr);
    let app = spawn_app_with(&[("OTP_SMTP_URL", &url)]).await;
    let (sent, code) = app.start_flow(&random_email()).await;
    app.clock.advance(60);
    switch.cut().await;
    let response = app.post_resend(&sent.flow_id).await;
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );
}

/// DynamoDB unreachable or silent: 503 with `Retry-After`, bounded by
/// `OTP_STORE_TIMEOUT_MS`, and the service answers again without a restart.
#[tokio::test]
async fn store_outage_answers_503() {
    let (silent, _server) = silent_server().await;
    let closed = closed_port().await;
    for endpoint in [format!("http://{silent}"), format!("http://{closed}")] {
        let mut vars = HashMap::new();
        for (k, v) in [
            ("OTP_BIND", "127.0.0.1:0".to_owned()),
            ("OTP_TABLE", format!("otp-down-{}", random_suffix())),
            ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.clone()),
            ("OTP_CREATE_TABLE", "false".into()),
            ("OTP_STORE_TIMEOUT_MS", "300".into()),
            (
                "OTP_OUTBOX_DIR",
                std::env::temp_dir().join("otp-down").display().to_string(),
            ),
        ] {
            vars.insert(k.to_owned(), v);
        }
        let settings = Settings::from_vars(vars).unwrap();
        let dir = std::env::temp_dir().join("otp-down");
        let app = spawn_with_settings(settings, Inbox::Outbox { dir }).await;
        let response = app.post_send(&random_email()).await;
        assert!(response.headers().contains_key("retry-after"), "{endpoint}");
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
        )
        .await;
        let response = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
        )
        .await;
    }
}
