//! A table of hostile and broken requests: every one is answered in the JSON
//! error shape with a 4xx, never a 5xx, and none sends a message.

use crate::support::{TestApp, expect_error, random_suffix, spawn_app};
use otp_api::{ErrorBody, ErrorCode};
use reqwest::StatusCode;

const SEND: &str = "/api/otp/send";
const RESEND: &str = "/api/otp/resend";
const VERIFY: &str = "/api/otp/verify";
const JSON: Option<&str> = Some("application/json");

struct Case {
    name: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: StatusCode,
    code: ErrorCode,
}

fn case(
    name: &'static str,
    path: &'static str,
    content_type: Option<&'static str>,
    body: impl Into<Vec<u8>>,
    status: StatusCode,
    code: ErrorCode,
) -> Case {
    Case {
        name,
        path,
        content_type,
        body: body.into(),
        status,
        code,
    }
}

fn send_body(email: &str) -> Vec<u8> {
    serde_json::json!({ "email": email })
        .to_string()
        .into_bytes()
}

fn verify_body(flow_id: &str) -> Vec<u8> {
    serde_json::json!({ "flow_id": flow_id, "code": "123456" })
        .to_string()
        .into_bytes()
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    request.send().await.expect("the request reaches the app")
}

/// Checks the status, that the body is the API's error shape, and the code.
async fn check(app: &TestApp, case: Case) {
    let response = post_raw(app, case.path, case.content_type, case.body).await;
    let status = response.status();
    let name = case.name;
    assert!(!status.is_server_error(), "{name}: {status}");
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert_eq!(content_type, "application/json", "{name}");
    let body: ErrorBody = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("{name}: not the error shape: {e}"));
    assert_eq!(
        (status, body.error.code),
        (case.status, case.code),
        "{name}"
    );
    assert!(!body.error.message.is_empty(), "{name}");
}

#[tokio::test]
async fn bad_input_always_answers_in_the_error_shape() {
    use ErrorCode as C;
    use StatusCode as S;
    let app = spawn_app().await;
    let deep_open = "[".repeat(2_000);
    let deep_field = format!(r#"{{"email":{}"#, "[".repeat(2_000));
    let bomb = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_objects = format!("{}1{}", r#"{"a":"#.repeat(600), "}".repeat(600));
    let ten_kb = format!("{}@example.com", "a".repeat(10 * 1024));
    let almost_four_kb = format!("{}@example.com", "a".repeat(3_000));
    let long_flow = "A".repeat(3_000);
    let cases = vec![
        case(
            "malformed JSON",
            SEND,
            JSON,
            r#"{"email":"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "trailing garbage",
            SEND,
            JSON,
            r#"{"email":"a@b.co"} x"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "byte order mark",
            SEND,
            JSON,
            "\u{feff}{\"email\":\"a@b.co\"}",
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "empty body",
            SEND,
            JSON,
            "",
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "empty object",
            SEND,
            JSON,
            "{}",
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "a string, not an object",
            SEND,
            JSON,
            r#""a@b.co""#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "null body",
            SEND,
            JSON,
            "null",
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "email is a number",
            SEND,
            JSON,
            r#"{"email":42}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "email is null",
            SEND,
            JSON,
            r#"{"email":null}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "email is a list",
            SEND,
            JSON,
            r#"{"email":["a@b.co"]}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "email is an object",
            SEND,
            JSON,
            r#"{"email":{"a":1}}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "request_id is a number",
            SEND,
            JSON,
            r#"{"email":"a@b.co","request_id":7}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "code is a number",
            VERIFY,
            JSON,
            r#"{"flow_id":"AAAAAAAAAAAAAAAAAAAAAA","code":123456}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "code is huge",
            VERIFY,
            JSON,
            r#"{"flow_id":"AAAAAAAAAAAAAAAAAAAAAA","code":1e999}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow_id is a bool",
            RESEND,
            JSON,
            r#"{"flow_id":true}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "unknown field",
            SEND,
            JSON,
            r#"{"email":"a@b.co","admin":true}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "unknown field on verify",
            VERIFY,
            JSON,
            r#"{"flow_id":"AAAAAAAAAAAAAAAAAAAAAA","code":"123456","email":"a@b.co"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "duplicate keys",
            SEND,
            JSON,
            r#"{"email":"a@b.co","email":"c@d.co"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "duplicate keys on verify",
            VERIFY,
            JSON,
            r#"{"flow_id":"AAAAAAAAAAAAAAAAAAAAAA","code":"123456","code":"654321"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "huge body",
            SEND,
            JSON,
            send_body(&"a".repeat(1 << 20)),
            S::PAYLOAD_TOO_LARGE,
            C::PayloadTooLarge,
        ),
        case(
            "10 kB address",
            SEND,
            JSON,
            send_body(&ten_kb),
            S::PAYLOAD_TOO_LARGE,
            C::PayloadTooLarge,
        ),
        case(
            "3 kB address within the body limit",
            SEND,
            JSON,
            send_body(&almost_four_kb),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "nesting bomb, 10k deep",
            SEND,
            JSON,
            bomb,
            S::PAYLOAD_TOO_LARGE,
            C::PayloadTooLarge,
        ),
        case(
            "nesting, 2000 deep, unclosed",
            SEND,
            JSON,
            deep_open,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "nesting in a field, 2000 deep",
            SEND,
            JSON,
            deep_field,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "nested objects, 600 deep",
            VERIFY,
            JSON,
            deep_objects,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "CR/LF header injection",
            SEND,
            JSON,
            send_body("ann@example.com\r\nBcc: all@example.com"),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "bare LF",
            SEND,
            JSON,
            send_body("ann@exa\nmple.com"),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "escaped NUL in the address",
            SEND,
            JSON,
            send_body("ann\u{0}@example.com"),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "raw NUL byte in the body",
            SEND,
            JSON,
            b"{\"email\":\"ann\0@example.com\"}".to_vec(),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "invalid UTF-8",
            SEND,
            JSON,
            b"{\"email\":\"ann\xff@example.com\"}".to_vec(),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "lone surrogate escape",
            SEND,
            JSON,
            r#"{"email":"ann\ud800@example.com"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "display name",
            SEND,
            JSON,
            send_body("Ann <ann@example.com>"),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "two @",
            SEND,
            JSON,
            send_body("ann@@example.com"),
            S::BAD_REQUEST,
            C::InvalidEmail,
        ),
        case(
            "wrong content type",
            SEND,
            Some("text/plain"),
            send_body("a@b.co"),
            S::UNSUPPORTED_MEDIA_TYPE,
            C::UnsupportedMediaType,
        ),
        case(
            "form content type",
            VERIFY,
            Some("application/x-www-form-urlencoded"),
            "flow_id=x&code=123456",
            S::UNSUPPORTED_MEDIA_TYPE,
            C::UnsupportedMediaType,
        ),
        case(
            "no content type",
            RESEND,
            None,
            r#"{"flow_id":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
            S::UNSUPPORTED_MEDIA_TYPE,
            C::UnsupportedMediaType,
        ),
        case(
            "garbage content type",
            SEND,
            Some("*/*"),
            send_body("a@b.co"),
            S::UNSUPPORTED_MEDIA_TYPE,
            C::UnsupportedMediaType,
        ),
        case(
            "flow id too short",
            VERIFY,
            JSON,
            verify_body("AAAA"),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id too long",
            VERIFY,
            JSON,
            verify_body(&long_flow),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id with a path",
            RESEND,
            JSON,
            r#"{"flow_id":"../../../etc/passwd"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id with a key prefix",
            VERIFY,
            JSON,
            verify_body("flow#AAAAAAAAAAAAAAAAAAAAAA"),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id, non-canonical base64",
            VERIFY,
            JSON,
            verify_body("AAAAAAAAAAAAAAAAAAAAAB"),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id in Unicode",
            RESEND,
            JSON,
            r#"{"flow_id":"ÅÅÅÅÅÅÅÅÅÅÅ"}"#,
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
        case(
            "flow id with NUL",
            VERIFY,
            JSON,
            verify_body("AAAAAAAAAAAAAAAAAAAAA\u{0}"),
            S::BAD_REQUEST,
            C::InvalidRequest,
        ),
    ];
    for case in cases {
        check(&app, case).await;
    }
}

/// Internationalized domains are accepted in every spelling (Unicode, NFD,
/// upper case, the `xn--` form): one address with one inbox, reached at the
/// A-label form every SMTP server can route. A UTF-8 local part needs
/// SMTPUTF8 (RFC 6531) from every relay on the way, which Amazon SES (the
/// deployed relay) does not offer: it is refused as an invalid address, never
/// accepted to fail later as a 503.
#[tokio::test]
async fn internationalized_domains_are_accepted_utf8_local_parts_are_not() {
    let app = spawn_app().await;
    let suffix = random_suffix();
    let inbox = format!("ann-{suffix}@xn--bcher-kva.de");
    let spellings = [
        format!("ann-{suffix}@bücher.de"),
        format!("ann-{suffix}@bu\u{0308}cher.de"),
        format!("Ann-{suffix}@BÜCHER.DE"),
        format!("ann-{suffix}@xn--bcher-kva.de"),
    ];
    for (sent, email) in spellings.iter().enumerate() {
        let response = app.post_send(email).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED, "{email:?}");
        app.inbox.wait_for_code(&inbox, sent + 1).await;
    }
    let response = app.post_send(&format!("ännä-{suffix}@example.com")).await;
    expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail).await;
}

/// Invisible Unicode format characters (zero-width space, right-to-left
/// override, byte order mark) make an address that displays as another one,
/// and relays refuse some of them permanently: they are refused as an
/// invalid address, never passed on to fail later as a 503.
#[tokio::test]
async fn invisible_characters_in_addresses_are_refused() {
    let app = spawn_app().await;
    for invisible in [
        '\u{200b}', '\u{200d}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{ad}',
    ] {
        let email = format!("ann{invisible}-{}@example.com", random_suffix());
        let response = app.post_send(&email).await;
        expect_error(response, StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail).await;
    }
}

/// Every body is a JSON object: an array (which serde would read as the
/// struct's fields in order), a string, a number or `null` is refused on
/// every endpoint, and nothing is sent.
#[tokio::test]
async fn only_json_objects_are_requests() {
    let app = spawn_app().await;
    let email = format!("array-{}@example.com", crate::support::random_suffix());
    let flow = "AAAAAAAAAAAAAAAAAAAAAA";
    for (path, body) in [
        (SEND, format!(r#"["{email}"]"#)),
        (SEND, format!(r#"["{email}", "request-1"]"#)),
        (RESEND, format!(r#"["{flow}"]"#)),
        (VERIFY, format!(r#"["{flow}", "123456"]"#)),
        (SEND, format!(r#""{email}""#)),
        (VERIFY, "123456".to_owned()),
        (RESEND, "null".to_owned()),
        (SEND, " \n[]".to_owned()),
    ] {
        let name = format!("{path} {body}");
        let response = post_raw(&app, path, JSON, body.into_bytes()).await;
        let status = response.status();
        let error: ErrorBody = response.json().await.expect("the error shape");
        assert_eq!(
            (status, error.error.code),
            (StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest),
            "{name}"
        );
    }
    assert!(
        app.inbox.subjects(&email).await.is_empty(),
        "a code was sent"
    );
}
