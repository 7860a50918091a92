//! The built binary on a stand-in Lambda Runtime API, and the operator's
//! commands, against DynamoDB Local.

use super::*;
use crate::support::{
    Running, STORE_TIMEOUT_MS, dynamodb_local_env, random_suffix, service_or_skip,
};

/// The built binary with `OTP_HANDLER=notifications` under a Lambda Runtime
/// API: the recorded events reach the handler through `lambda_runtime`, a
/// bounce is written to DynamoDB Local, an unreadable notification and a
/// delivery end as successes (no retry), each leaves its metric line, and
/// no log line holds the address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_takes_sns_events_on_lambda() {
    let Some(endpoint) = service_or_skip("OTP_TEST_DYNAMODB_ENDPOINT") else {
        return;
    };
    let table = format!("otp-test-{}", random_suffix());
    let vars = |extra: &[(&str, &str)]| -> HashMap<String, String> {
        let mut vars: HashMap<String, String> = HashMap::from([
            ("OTP_TABLE".into(), table.clone()),
            ("OTP_HMAC_KEYS".into(), KEYS.into()),
            ("OTP_SUBJECT_KEY".into(), SUBJECT_KEY.into()),
            ("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint.clone()),
        ]);
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        vars
    };
    let settings =
        otp::settings::ListSettings::from_vars(vars(&[("OTP_CREATE_TABLE", "true")])).unwrap();
    let list =
        otp::startup::build_suppression_list(&settings, Arc::new(ManualClock::starting_now()))
            .await
            .expect("the table is created");

    let mut broken: Value = serde_json::from_str(BOUNCE_PERMANENT).unwrap();
    broken["Records"][0]["Sns"]["Message"] = json!("jane.doe@gmail.com bounced");
    let (runtime, invocations) = runtime_api::serve(vec![
        ("bounce", BOUNCE_PERMANENT.to_owned()),
        ("broken", broken.to_string()),
        ("delivery", DELIVERY.to_owned()),
    ])
    .await;
    let runtime = runtime.to_string();
    // The table and its keys, as the function and the operator's commands see them.
    let dynamodb = dynamodb_local_env(&endpoint);
    let mut store = vec![
        ("OTP_TABLE", table.as_str()),
        ("OTP_HMAC_KEYS", KEYS),
        ("OTP_SUBJECT_KEY", SUBJECT_KEY),
    ];
    store.extend(dynamodb.iter().map(|(k, v)| (*k, v.as_str())));
    let lambda = [
        ("AWS_LAMBDA_RUNTIME_API", runtime.as_str()),
        ("AWS_LAMBDA_FUNCTION_NAME", "otp-notifications"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("OTP_HANDLER", "notifications"),
        ("OTP_STORE_TIMEOUT_MS", STORE_TIMEOUT_MS),
    ];
    let mut function = Running::start(&[&lambda[..], &store[..]].concat());

    // Each invocation writes its metric line before it answers; reading the
    // output as it comes shows it all if something stalls.
    let kinds = |seen: &[String]| -> Vec<String> {
        seen.iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|l| l.get("Notifications").is_some())
            .map(|l| l["Kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    function.wait_until("three metric lines", |seen| kinds(seen).len() >= 3);
    assert_eq!(kinds(&function.seen), ["bounce", "malformed", "ignored"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while invocations.ended.lock().unwrap().len() < 3 {
        assert!(
            Instant::now() < deadline,
            "invocations ended: {:?}\n{}",
            invocations.ended.lock().unwrap(),
            function.seen.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        *invocations.ended.lock().unwrap(),
        [
            ("bounce".to_owned(), "response"),
            ("broken".to_owned(), "response"),
            ("delivery".to_owned(), "response"),
        ]
    );
    let jane = Email::parse("Jane.Doe+otp@googlemail.com").unwrap();
    let shown = list
        .show(&jane)
        .await
        .unwrap()
        .expect("the bounce is recorded");
    assert_eq!(shown.reason, SuppressionReason::Bounce);

    for line in &function.seen {
        assert!(!line.to_lowercase().contains("jane"), "{line}");
    }
    assert!(
        function
            .seen
            .iter()
            .any(|l| l.contains("address suppressed") && l.contains("j***@gmail.com")),
        "{}",
        function.seen.join("\n")
    );

    // The operator's view, from the command line, with any spelling.
    let command = |verb: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_otp"))
            .env_clear()
            .envs(store.iter().copied())
            .args(["suppression", verb, "Jane.Doe+otp@googlemail.com"])
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let shown = command("show");
    assert!(
        shown.starts_with("janedoe@gmail.com: suppressed until ")
            && shown.contains("(bounce reported "),
        "{shown}"
    );
    assert_eq!(
        command("lift"),
        "janedoe@gmail.com: suppression lifted, codes are sent again\n"
    );
    assert_eq!(command("show"), "janedoe@gmail.com: not suppressed\n");
}
