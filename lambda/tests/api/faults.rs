//! Dependencies that fail: the person gets a clear 503, nothing is left
//! half-written, and no budget or cooldown is consumed.

use crate::support::{
    Inbox, TestApp, expect_error, random_email, random_suffix, service_or_skip, spawn_app_with,
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

/// An app whose SMTP traffic to maildev passes through a [`Switch`].
async fn app_behind_switch() -> Option<(Switch, TestApp)> {
    let maildev = service_or_skip("OTP_TEST_MAILDEV_SMTP")?;
    let switch = Switch::to(maildev).await;
    let url = format!("smtp://{}", switch.addr);
    let app = spawn_app_with(&[("OTP_SMTP_URL", &url)]).await;
    Some((switch, app))
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
    let Some((switch, app)) = app_behind_switch().await else {
        return;
    };
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
    // no cooldown). That the first code works meanwhile is the next test.
    switch.restore();
    assert_eq!(
        app.post_resend(&sent.flow_id).await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.inbox.wait_for_code(&email, 2).await,
        code,
        "the same code"
    );
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_failed_resend_leaves_the_first_code_working() {
    let Some((switch, app)) = app_behind_switch().await else {
        return;
    };
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
/// `OTP_STORE_TIMEOUT_MS`. Recovery is proven by
/// `store_killed_mid_run_answers_503_then_recovers_without_restart`.
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

/// A DynamoDB Local of this test's own, keeping its data in a folder so it
/// survives being killed and started again on the same port.
struct OwnDynamo {
    java: String,
    home: std::path::PathBuf,
    data: std::path::PathBuf,
    port: u16,
    process: Option<std::process::Child>,
}

impl OwnDynamo {
    /// Where the test services say DynamoDB Local is installed
    /// (`OTP_TEST_DYNAMODB_HOME`); `None` (after saying so) without them.
    fn find() -> Option<OwnDynamo> {
        let home = std::path::PathBuf::from(service_or_skip("OTP_TEST_DYNAMODB_HOME")?);
        assert!(
            home.join("DynamoDBLocal.jar").is_file(),
            "DynamoDBLocal.jar is not in {} (OTP_TEST_DYNAMODB_HOME)",
            home.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let data = std::env::temp_dir().join(format!("otp-dynamo-{}", random_suffix()));
        std::fs::create_dir_all(&data).unwrap();
        Some(OwnDynamo {
            java: std::env::var("JAVA").unwrap_or_else(|_| "java".into()),
            home,
            data,
            port,
            process: None,
        })
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it answers HTTP.
    async fn start(&mut self) {
        let child = std::process::Command::new(&self.java)
            .arg(format!(
                "-Djava.library.path={}",
                self.home.join("DynamoDBLocal_lib").display()
            ))
            .args(["-XX:-UsePerfData", "-XX:TieredStopAtLevel=1", "-jar"])
            .arg(self.home.join("DynamoDBLocal.jar"))
            .args(["-sharedDb", "-disableTelemetry", "-dbPath"])
            .arg(&self.data)
            .args(["-port", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("java starts DynamoDB Local");
        self.process = Some(child);
        let client = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let answer = client
                .post(self.endpoint())
                .header("x-amz-target", "DynamoDB_20120810.ListTables")
                .header("content-type", "application/x-amz-json-1.0")
                .body("{}")
                .send()
                .await;
            if answer.is_ok() {
                return;
            }
            let exited = self.process.as_mut().unwrap().try_wait().unwrap();
            assert!(exited.is_none(), "DynamoDB Local exited: {exited:?}");
            assert!(
                tokio::time::Instant::now() < deadline,
                "DynamoDB Local did not answer within 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Kills the server outright, as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnDynamo {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

/// DynamoDB dies in the middle of traffic and comes back: meanwhile every
/// answer is a 503 with `Retry-After` (never a panic or a 500), the same
/// service answers normally once it is back, and a flow started before the
/// outage can still be approved.
#[tokio::test]
async fn store_killed_mid_run_answers_503_then_recovers_without_restart() {
    let Some(mut dynamo) = OwnDynamo::find() else {
        return;
    };
    dynamo.start().await;
    let outbox = std::env::temp_dir().join(format!("otp-outage-{}", random_suffix()));
    let mut vars = HashMap::new();
    for (k, v) in [
        ("OTP_BIND", "127.0.0.1:0".to_owned()),
        ("OTP_TABLE", format!("otp-outage-{}", random_suffix())),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamo.endpoint()),
        ("OTP_CREATE_TABLE", "true".into()),
        ("OTP_STORE_TIMEOUT_MS", "2000".into()),
        ("OTP_OUTBOX_DIR", outbox.display().to_string()),
        ("OTP_SENDS_PER_IP_PER_HOUR", "100000".into()),
        ("OTP_VERIFIES_PER_IP_PER_HOUR", "100000".into()),
    ] {
        vars.insert(k.to_owned(), v);
    }
    let settings = Settings::from_vars(vars).unwrap();
    let app = Arc::new(spawn_with_settings(settings, Inbox::Outbox { dir: outbox }).await);
    let before = random_email();
    let (sent, code) = app.start_flow(&before).await;

    // Traffic runs all along: sends to fresh addresses and verifies of
    // unknown flows, each answer recorded.
    let running = Arc::new(AtomicBool::new(true));
    let traffic = {
        let (app, running) = (app.clone(), running.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while running.load(Ordering::SeqCst) {
                let send = app.post_send(&random_email()).await;
                let retry = send.headers().get("retry-after").cloned();
                seen.push((send.status(), retry));
                let verify = app.post_verify("AAAAAAAAAAAAAAAAAAAAAA", "123456").await;
                let retry = verify.headers().get("retry-after").cloned();
                seen.push((verify.status(), retry));
            }
            seen
        })
    };
    // Wait for the traffic to be seen succeeding, then pull the plug.
    wait_until(|| async { app.inbox.subjects("@example.com").await.len() >= 3 }).await;
    dynamo.kill();

    for _ in 0..3 {
        let response = app.post_send(&random_email()).await;
        assert_eq!(response.headers()["retry-after"], "2");
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
        )
        .await;
        let response = app.post_verify(&sent.flow_id, &code).await;
        assert!(response.headers().contains_key("retry-after"));
        expect_error(
            response,
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
        )
        .await;
    }

    dynamo.start().await;
    // The same service recovers on its own: no restart, no new client.
    let recovered = {
        let app = app.clone();
        wait_until(move || {
            let app = app.clone();
            async move { app.post_send(&random_email()).await.status() == StatusCode::ACCEPTED }
        })
    };
    recovered.await;
    running.store(false, Ordering::SeqCst);
    let seen = traffic.await.expect("the traffic task did not panic");

    let unavailable = seen
        .iter()
        .filter(|(s, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    assert!(unavailable > 0, "the outage was seen by the traffic");
    for (status, retry_after) in &seen {
        match *status {
            StatusCode::ACCEPTED | StatusCode::NOT_FOUND => {}
            StatusCode::SERVICE_UNAVAILABLE => assert!(retry_after.is_some()),
            other => panic!("unexpected {other} during the outage"),
        }
    }
    // The flow from before the outage survived it and still approves.
    assert_eq!(
        app.post_verify(&sent.flow_id, &code).await.status(),
        StatusCode::OK
    );
}

/// Polls `condition` until it holds, for at most 60 s.
async fn wait_until<F, Fut>(condition: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within 60 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A relay that refuses the recipient for good: 422 `undeliverable`, no
/// `Retry-After`, nothing charged; a refusal that is the operator's (a
/// policy refusal after the message) stays a 503.
#[tokio::test]
async fn a_recipient_refused_for_good_is_undeliverable_not_an_outage() {
    let Some(relay) = service_or_skip("OTP_TEST_REPLIES_SMTP") else {
        return;
    };
    let url = format!("smtp://{relay}");
    let app = spawn_app_with(&[
        ("OTP_SMTP_URL", &url),
        ("OTP_SENDS_PER_EMAIL_PER_CLIENT_PER_DAY", "1"),
    ])
    .await;
    let nobody = format!("550-5.1.1+{}@example.com", random_suffix());
    for _ in 0..3 {
        let response = app.post_send(&nobody).await;
        assert!(response.headers().get("retry-after").is_none());
        expect_error(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Undeliverable,
        )
        .await;
    }
    let refused = format!("data-554-5.7.1+{}@example.com", random_suffix());
    let response = app.post_send(&refused).await;
    assert!(response.headers().get("retry-after").is_some());
    expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Unavailable,
    )
    .await;
}
