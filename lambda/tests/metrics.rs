//! The metrics an operator gets, as CloudWatch will read them: the built
//! binary with the JSON log format runs a person's flow and an app's
//! sign-in, and its output holds one Embedded Metric Format line per event,
//! with the right names, units, dimensions and values, and nothing that
//! identifies the person, the flow or a secret.

use crate::support::{
    Running, STORE_TIMEOUT_MS, dynamodb_local_env, random_token, s256, service_env, service_or_skip,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

const NAMESPACE: &str = "otp-test/metrics";
const CLIENT_ID: &str = "shop";
const REDIRECT_URI: &str = "http://127.0.0.1:53682/callback";

/// One EMF event: its metric's name, its dimension (key, value) if any,
/// and its value.
type Event = (String, Option<(String, String)>, Value);

/// The EMF objects among the lines: `(metric name, dimension, value)`,
/// each checked for the shape CloudWatch requires.
fn metrics_of(lines: &[String], started_ms: u128) -> Vec<Event> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut found = Vec::new();
    for line in lines {
        let Ok(object) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(aws) = object.get("_aws") else {
            continue;
        };
        let ts = aws["Timestamp"].as_u64().expect("a Timestamp in ms") as u128;
        assert!(
            (started_ms..=now_ms).contains(&ts),
            "the Timestamp is the time of the event: {line}"
        );
        let directives = aws["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1, "{line}");
        let directive = &directives[0];
        assert_eq!(directive["Namespace"], json!(NAMESPACE), "{line}");
        let metric = &directive["Metrics"].as_array().unwrap()[..];
        assert_eq!(metric.len(), 1, "{line}");
        let name = metric[0]["Name"].as_str().unwrap().to_owned();
        let unit = metric[0]["Unit"].as_str().unwrap();
        let dimension_sets = directive["Dimensions"].as_array().unwrap();
        assert_eq!(dimension_sets.len(), 1, "one dimension set: {line}");
        let keys: Vec<&str> = dimension_sets[0]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(keys.len() <= 1, "at most one dimension: {line}");
        let dimension = keys.first().map(|k| {
            let value = object[*k]
                .as_str()
                .expect("the dimension's value is a string");
            ((*k).to_owned(), value.to_owned())
        });
        // Nothing besides the directive, the value and the dimension: no
        // field where anything about the person or the request could hide.
        let mut expected: Vec<&str> = vec!["_aws", &name];
        expected.extend(keys.iter().copied());
        let mut present: Vec<&str> = object
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        present.sort();
        expected.sort();
        assert_eq!(present, expected, "{line}");
        let value = object[&name].clone();
        match name.as_str() {
            "Latency" => {
                assert_eq!(unit, "Milliseconds", "{line}");
                let ms = value.as_f64().expect("a number");
                assert!(ms > 0.0 && ms < 20_000.0, "{line}");
            }
            _ => {
                assert_eq!(unit, "Count", "{line}");
                assert_eq!(value, json!(1), "{line}");
            }
        }
        found.push((name, dimension, value));
    }
    found
}

/// How many events of each `name` and `dimension value` there were.
fn counts(metrics: &[Event]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (name, dimension, _) in metrics {
        let key = match dimension {
            Some((k, v)) => format!("{name} {k}={v}"),
            None => name.clone(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Every key and string value of a JSON log line but its own timestamp.
fn strings_of(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings_of(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push(k.clone());
                if k != "timestamp" {
                    strings_of(v, out);
                }
            }
        }
        _ => {}
    }
}

/// Checks that no line but the outbox's holds any of `secrets` (what, text),
/// in any key or string value of a JSON line, or anywhere in another line;
/// returns how many lines were JSON.
fn assert_no_line_holds(lines: &[String], secrets: &[(&str, String)]) -> usize {
    let mut json_lines = 0;
    for line in lines.iter().filter(|l| !l.starts_with("code ")) {
        let texts = match serde_json::from_str::<Value>(line) {
            Ok(object) => {
                json_lines += 1;
                let mut texts = Vec::new();
                strings_of(&object, &mut texts);
                texts
            }
            Err(_) => vec![line.clone()],
        };
        for text in texts {
            for (what, secret) in secrets {
                assert!(
                    !text.to_lowercase().contains(&secret.to_lowercase()),
                    "{what} is in a log line: {line}"
                );
            }
        }
    }
    json_lines
}

#[test]
fn a_flow_and_a_sign_in_write_their_metrics_and_nothing_about_the_person() {
    let started_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let outbox = std::env::temp_dir().join(format!("otp-metrics-{}", random_token(8)));
    let outbox = outbox.display().to_string();
    let mut key = [0u8; 32];
    rand::rng().fill(&mut key);
    let hmac_key = STANDARD.encode(key);
    let client_secret = format!("metrics-secret-{}", random_token(24));
    let clients = json!([{
        "id": CLIENT_ID,
        "name": "Shop",
        "redirect_uris": [REDIRECT_URI],
        "secret": client_secret,
    }])
    .to_string();
    let hmac_keys = format!("k1:{hmac_key}");
    let mut envs = vec![
        ("OTP_BIND", "127.0.0.1:0".to_owned()),
        ("OTP_OUTBOX_DIR", outbox.clone()),
        ("OTP_LOG_FORMAT", "json".to_owned()),
        ("OTP_METRICS_NAMESPACE", NAMESPACE.to_owned()),
        ("OTP_HMAC_KEYS", hmac_keys),
        ("OTP_CLIENTS", clients),
    ];
    // On DynamoDB Local when the test services run, as deployed.
    if let Some(endpoint) = service_env("OTP_TEST_DYNAMODB_ENDPOINT") {
        envs.extend([
            ("OTP_TABLE", format!("otp-metrics-{}", random_token(6))),
            ("OTP_CREATE_TABLE", "true".to_owned()),
            ("OTP_STORE_TIMEOUT_MS", STORE_TIMEOUT_MS.to_owned()),
        ]);
        envs.extend(dynamodb_local_env(&endpoint));
    }
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut server = Running::start(&envs);
    let addr = server.address();
    let base = format!("http://{addr}");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post_json = |path: &str, body: Value| -> (u16, Value) {
        runtime.block_on(async {
            let response = http
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap())
        })
    };

    // The app sends the person here.
    let verifier = random_token(32);
    let challenge = s256(&verifier);
    let location = runtime.block_on(async {
        let response = http
            .get(format!("{base}/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid email"),
                ("state", "st"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
        response.headers()["location"].to_str().unwrap().to_owned()
    });
    let sign_in = location
        .strip_prefix("/?sign_in=")
        .expect("the page with its sign-in")
        .to_owned();

    // Send, a wrong code, the right code.
    let email = "Metrics.Person@Example.com";
    let (status, sent) = post_json(
        "/api/otp/send",
        json!({ "email": email, "sign_in": sign_in }),
    );
    assert_eq!(status, 202, "{sent}");
    let flow_id = sent["flow_id"].as_str().unwrap().to_owned();
    let code = server.wait_for("printed code", |line| {
        line.strip_prefix("code ").map(|rest| rest[..6].to_owned())
    });
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, answer) = post_json(
        "/api/otp/verify",
        json!({ "flow_id": flow_id, "code": wrong }),
    );
    assert_eq!(status, 422, "{answer}");
    let (status, approved) = post_json(
        "/api/otp/verify",
        json!({ "flow_id": flow_id, "code": code }),
    );
    assert_eq!(status, 200, "{approved}");
    let redirect = url::Url::parse(approved["redirect_to"].as_str().unwrap()).unwrap();
    let auth_code = redirect
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code for the app");

    // The app redeems the code; a second redemption is refused.
    let redeem = || -> (u16, Value) {
        runtime.block_on(async {
            let response = http
                .post(format!("{base}/token"))
                .basic_auth(CLIENT_ID, Some(&client_secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", &auth_code),
                    ("redirect_uri", REDIRECT_URI),
                    ("code_verifier", &verifier),
                ])
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json().await.unwrap())
        })
    };
    let (status, tokens) = redeem();
    assert_eq!(status, 200, "{tokens}");
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let (status, again) = redeem();
    assert_eq!((status, &again["error"]), (400, &json!("invalid_grant")));

    // The last event of the last request is its latency.
    let done = |seen: &[String]| {
        let metrics = metrics_of(seen, started_ms);
        counts(&metrics)
            .get("Latency Route=/token")
            .is_some_and(|n| *n == 2)
    };
    server.wait_until("latency of both token requests", done);

    let metrics = metrics_of(&server.seen, started_ms);
    let expected: BTreeMap<String, usize> = [
        ("SignIns Stage=started", 1),
        ("CodesSent", 1),
        ("Verifies Outcome=wrong", 1),
        ("Verifies Outcome=approved", 1),
        ("SignIns Stage=completed", 1),
        ("TokenExchanges Outcome=ok", 1),
        ("TokenExchanges Outcome=invalid_grant", 1),
        ("Latency Route=/authorize", 1),
        ("Latency Route=/api/otp/send", 1),
        ("Latency Route=/api/otp/verify", 2),
        ("Latency Route=/token", 2),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(counts(&metrics), expected, "{:#?}", server.seen);

    // Nothing in any line identifies the person, the flow or a secret. The
    // outbox's own line is the message itself, printed for the developer.
    let secrets = [
        ("the address", "metrics.person".to_owned()),
        ("the code", code.clone()),
        ("the wrong code", wrong.to_owned()),
        ("the flow id", flow_id.clone()),
        ("the HMAC key", hmac_key.clone()),
        ("the client secret", client_secret.clone()),
        ("the authorization code", auth_code.clone()),
        ("the access token", access_token.clone()),
        ("the code verifier", verifier.clone()),
    ];
    let json_lines = assert_no_line_holds(&server.seen, &secrets);
    assert!(json_lines > metrics.len(), "log lines beside the metrics");
    std::fs::remove_dir_all(&outbox).ok();
}

/// Messages the relay refuses count by whose move it is, and a client over
/// its budget counts as a refusal; no code was sent, so none is counted.
#[test]
fn refused_messages_count_by_class_and_refusals_by_budget() {
    let Some(relay) = service_or_skip("OTP_TEST_REPLIES_SMTP") else {
        return;
    };
    let started_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let smtp_url = format!("smtp://{relay}");
    let mut server = Running::start(&[
        ("OTP_BIND", "127.0.0.1:0"),
        ("OTP_SMTP_URL", &smtp_url),
        ("OTP_SMTP_TIMEOUT_SECS", "5"),
        ("OTP_LOG_FORMAT", "json"),
        ("OTP_METRICS_NAMESPACE", NAMESPACE),
        // One message an hour per client: a refused address keeps its
        // charge, a failure of ours or the relay's gives it back.
        ("OTP_SENDS_PER_IP_PER_HOUR", "1"),
    ]);
    let base = format!("http://{}", server.address());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let send = |email: &str| -> (u16, Value) {
        runtime.block_on(async {
            let response = reqwest::Client::new()
                .post(format!("{base}/api/otp/send"))
                .json(&json!({ "email": email }))
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            (status, response.json().await.unwrap())
        })
    };
    let operator = "554-5.7.1@example.com";
    let transient = "450-4.2.1@example.com";
    let undeliverable = "550-5.1.1@example.com";
    for (email, status, error) in [
        (operator, 503, "unavailable"),
        (transient, 503, "unavailable"),
        (undeliverable, 422, "undeliverable"),
        // The client's one message of the hour went to the refused address.
        (undeliverable, 429, "rate_limited"),
    ] {
        let (got, body) = send(email);
        assert_eq!(
            (got, &body["error"]["code"]),
            (status, &json!(error)),
            "{email}: {body}"
        );
    }
    server.wait_until("latency of the four sends", |seen| {
        counts(&metrics_of(seen, started_ms))
            .get("Latency Route=/api/otp/send")
            .is_some_and(|n| *n == 4)
    });
    let metrics = metrics_of(&server.seen, started_ms);
    let expected: BTreeMap<String, usize> = [
        ("DeliveryFailures Class=operator", 1),
        ("DeliveryFailures Class=transient", 1),
        ("DeliveryFailures Class=undeliverable", 1),
        ("Refusals Budget=client_sends", 1),
        ("Latency Route=/api/otp/send", 4),
    ]
    .into_iter()
    .map(|(k, n)| (k.to_owned(), n))
    .collect();
    assert_eq!(counts(&metrics), expected, "{:#?}", server.seen);
    let secrets = [operator, transient, undeliverable].map(|a| ("an address", a.to_owned()));
    assert_no_line_holds(&server.seen, &secrets);
}

/// The readable format shows the same events as ordinary log lines, and no
/// EMF object.
#[test]
fn the_readable_format_shows_metrics_as_log_lines() {
    let outbox = std::env::temp_dir().join(format!("otp-metrics-{}", random_token(8)));
    let outbox = outbox.display().to_string();
    let mut server = Running::start(&[
        ("OTP_BIND", "127.0.0.1:0"),
        ("OTP_OUTBOX_DIR", &outbox),
        ("OTP_LOG_FORMAT", "pretty"),
    ]);
    let base = format!("http://{}", server.address());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        reqwest::get(format!("{base}/api/health"))
            .await
            .expect("the server answers")
            .status()
            .as_u16()
    });
    assert_eq!(status, 200);
    server.wait_for("the latency as a log line", |line| {
        (line.contains("metric Latency Route=/api/health") && line.contains("Milliseconds"))
            .then_some(())
    });
    assert!(
        !server.seen.iter().any(|l| l.contains("_aws")),
        "{:#?}",
        server.seen
    );
    std::fs::remove_dir_all(&outbox).ok();
}
