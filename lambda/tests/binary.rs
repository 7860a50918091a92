//! The `otp` binary as a newcomer runs it: no configuration, a local server,
//! the code printed in the terminal and nowhere in the logs.

use crate::support::Running;
use std::process::Command;

fn post(addr: &str, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("http://{addr}{path}"))
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    })
}

#[test]
fn local_run_prints_the_code_and_logs_never_hold_it() {
    let outbox = std::env::temp_dir().join(format!("otp-bin-{}", std::process::id()));
    let outbox = outbox.display().to_string();
    let mut server = Running::start(&[
        ("OTP_BIND", "127.0.0.1:0"),
        ("OTP_OUTBOX_DIR", &outbox),
        ("OTP_LOG_FORMAT", "json"),
    ]);
    let addr = server.address();

    let email = "Secret.Person@Example.com";
    let (status, sent) = post(
        &addr,
        "/api/otp/send",
        serde_json::json!({ "email": email }),
    );
    assert_eq!(status, 202, "{sent}");
    let code = server.wait_for("printed code", |line| {
        line.strip_prefix("code ").map(|rest| rest[..6].to_owned())
    });
    let flow_id = sent["flow_id"].as_str().unwrap().to_owned();

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _) = post(
        &addr,
        "/api/otp/verify",
        serde_json::json!({ "flow_id": flow_id, "code": wrong }),
    );
    assert_eq!(status, 422);
    let (status, approved) = post(
        &addr,
        "/api/otp/verify",
        serde_json::json!({ "flow_id": flow_id, "code": code }),
    );
    assert_eq!(status, 200, "{approved}");
    server.wait_for("approval log line", |line| {
        line.contains("approved").then_some(())
    });

    let logs: Vec<&String> = server.seen.iter().filter(|l| l.starts_with('{')).collect();
    assert!(
        logs.len() >= 4,
        "expected JSON log lines, got {:?}",
        server.seen
    );
    for line in logs {
        serde_json::from_str::<serde_json::Value>(line).expect("each log line is JSON");
        assert!(
            !line.contains(&code),
            "the code leaked into a log line: {line}"
        );
        assert!(
            !line.contains(wrong),
            "a submitted code leaked into a log line: {line}"
        );
        assert!(
            !line.to_lowercase().contains("secret.person"),
            "the address leaked: {line}"
        );
        assert!(!line.contains(&flow_id), "the whole flow id leaked: {line}");
    }
    std::fs::remove_dir_all(&outbox).ok();
}

#[test]
fn on_lambda_missing_configuration_stops_the_start_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_otp"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("OTP_TABLE"), "{stderr}");
}
