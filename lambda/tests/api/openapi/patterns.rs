//! Each constrained field of the document against the parser the service
//! uses for it. The schemas are taken from the generated document and
//! evaluated by a JSON Schema validator (ECMA-262 patterns, as schema fuzzers
//! read them); the patterns also serve as proptest generators (without their
//! `^`/`$` anchors, which proptest's generator does not take).
//!
//! - code and flow id: the schema accepts exactly what the parser accepts
//! - address: every string the schema accepts, the parser accepts
//! - request id, proof: the bounds are the service's constants

use super::document;
use jsonschema::Validator;
use otp::domain::{Email, FlowId};
use otp_api::{MAX_CHALLENGE_LEN, MAX_EMAIL_LEN, MAX_REQUEST_ID_LEN, parse_code, pow};
use proptest::prelude::*;
use proptest::string::string_regex;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// A property's schema in a component of the document.
fn property(component: &str, name: &str) -> Value {
    let schema = document()["components"]["schemas"][component]["properties"][name].clone();
    assert!(
        schema.is_object(),
        "{component}.{name} is not in the document"
    );
    schema
}

fn validator(component: &str, name: &str) -> Validator {
    jsonschema::draft202012::new(&property(component, name)).expect("the schema compiles")
}

/// The property's pattern without its anchors, as a proptest strategy.
fn generator(component: &str, name: &str) -> impl Strategy<Value = String> {
    let schema = property(component, name);
    let pattern = schema["pattern"].as_str().expect("a pattern");
    let inner = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .expect("an anchored pattern");
    string_regex(inner).expect("proptest reads the pattern")
}

static CODE: LazyLock<Validator> = LazyLock::new(|| validator("VerifyRequest", "code"));
static FLOW_ID: LazyLock<Validator> = LazyLock::new(|| validator("VerifyRequest", "flow_id"));
static EMAIL: LazyLock<Validator> = LazyLock::new(|| validator("SendRequest", "email"));
static REQUEST_ID: LazyLock<Validator> = LazyLock::new(|| validator("SendRequest", "request_id"));

fn valid(validator: &Validator, s: &str) -> bool {
    validator.is_valid(&json!(s))
}

/// Five to seven digits (ASCII, with a fullwidth one now and then) with
/// runs of separators around and between them, and now and then a near
/// miss: a character that looks like a separator and is not one to Rust.
fn code_like() -> impl Strategy<Value = String> {
    let digit = prop_oneof![9 => "[0-9]", 1 => "[１-９]"];
    let gap = prop_oneof![
        8 => "[ \\-\t\n\u{0B}\u{85}\u{A0}\u{3000}]{0,2}",
        1 => "[\u{FEFF}\u{200B}\u{180E}_a.+]",
    ];
    (
        prop::collection::vec(digit, 5..=7),
        prop::collection::vec(gap, 8),
    )
        .prop_map(|(digits, gaps)| {
            let mut s = gaps[0].clone();
            for (digit, gap) in digits.iter().zip(&gaps[1..]) {
                s.push_str(digit);
                s.push_str(gap);
            }
            s
        })
}

#[test]
fn openapi_code_schema_samples() {
    for ok in [
        "123456",
        " 123 456 ",
        "123-456",
        "1-2-3-4-5-6",
        "\t123\u{3000}456\n",
    ] {
        assert!(valid(&CODE, ok), "{ok:?} should match");
    }
    for bad in [
        "",
        "12345",
        "1234567",
        "12a456",
        "１２３４５６",
        "123_456",
        "+12345",
    ] {
        assert!(!valid(&CODE, bad), "{bad:?} should not match");
    }
}

/// Every character, in every place a separator can be: the schema skips
/// exactly what `parse_code` skips.
#[test]
fn openapi_code_schema_skips_what_parse_code_skips() {
    for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
        for s in [
            format!("{c}123456"),
            format!("123{c}456"),
            format!("123456{c}"),
        ] {
            assert_eq!(valid(&CODE, &s), parse_code(&s).is_some(), "{s:?}");
        }
    }
}

#[test]
fn openapi_bounds_are_the_services() {
    let email = property("SendRequest", "email");
    assert_eq!(email["maxLength"], json!(MAX_EMAIL_LEN));
    let request_id = property("SendRequest", "request_id");
    assert_eq!(request_id["maxLength"], json!(MAX_REQUEST_ID_LEN));
    assert_eq!(request_id["minLength"], json!(1));
    assert_eq!(
        property("Proof", "challenge")["maxLength"],
        json!(MAX_CHALLENGE_LEN)
    );
    assert_eq!(
        property("Challenge", "token")["maxLength"],
        json!(MAX_CHALLENGE_LEN)
    );
    let nonce = property("Proof", "nonce");
    assert_eq!(nonce["minimum"], json!(0));
    assert_eq!(nonce["maximum"], json!(pow::MAX_NONCE));
    // The flow id in every place it appears is the same schema.
    for (component, field) in [("SendResponse", "flow_id"), ("ResendRequest", "flow_id")] {
        assert_eq!(
            property(component, field),
            property("VerifyRequest", "flow_id")
        );
    }
}

#[test]
fn openapi_generated_flow_ids_match() {
    for _ in 0..1000 {
        let id = FlowId::generate();
        assert!(valid(&FLOW_ID, id.as_str()), "{:?}", id.as_str());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn openapi_code_pattern_strings_parse(s in generator("VerifyRequest", "code")) {
        prop_assert!(valid(&CODE, &s));
        prop_assert!(parse_code(&s).is_some(), "{:?}", s);
    }

    #[test]
    fn openapi_code_schema_is_parse_code(s in code_like()) {
        prop_assert_eq!(valid(&CODE, &s), parse_code(&s).is_some(), "{:?}", s);
    }

    #[test]
    fn openapi_code_schema_is_parse_code_on_any_text(s in "\\PC{0,10}") {
        prop_assert_eq!(valid(&CODE, &s), parse_code(&s).is_some(), "{:?}", s);
    }

    #[test]
    fn openapi_flow_id_pattern_strings_parse(s in generator("VerifyRequest", "flow_id")) {
        prop_assert!(valid(&FLOW_ID, &s));
        prop_assert!(FlowId::parse(&s).is_some(), "{:?}", s);
    }

    #[test]
    fn openapi_flow_id_schema_is_flow_id_parse(s in "[A-Za-z0-9_=+/.-]{20,24}") {
        prop_assert_eq!(valid(&FLOW_ID, &s), FlowId::parse(&s).is_some(), "{:?}", s);
    }

    #[test]
    fn openapi_email_pattern_strings_parse(s in generator("SendRequest", "email")) {
        // Longer matches are outside the schema by its `maxLength`.
        if s.len() <= MAX_EMAIL_LEN {
            prop_assert!(valid(&EMAIL, &s), "{:?}", s);
            prop_assert!(Email::parse(&s).is_ok(), "{:?}", s);
        }
    }

    #[test]
    fn openapi_email_schema_accepts_only_what_parses(
        local in "[a-z0-9._+'-]{1,70}",
        domain in "[a-z0-9.-]{1,70}",
    ) {
        let s = format!("{local}@{domain}");
        if valid(&EMAIL, &s) {
            prop_assert!(Email::parse(&s).is_ok(), "{:?}", s);
        }
    }

    #[test]
    fn openapi_request_id_schema_is_the_services_rule(s in "[ -~\u{7F}\u{E9}]{0,130}") {
        // The service's rule (`Service::send`): 1 to 128 printable ASCII characters.
        let rule = !s.is_empty() && s.len() <= MAX_REQUEST_ID_LEN && s.bytes().all(|b| b.is_ascii_graphic());
        prop_assert_eq!(valid(&REQUEST_ID, &s), rule, "{:?}", s);
    }
}

/// The pattern's bounds at their edges: the longest local part it takes
/// (32 characters besides dots, so 63 in all) and the longest label parse;
/// one more does not match.
#[test]
fn openapi_email_pattern_edges() {
    let dotted = |n: usize| vec!["a"; n].join(".");
    let label = |n: usize| "b".repeat(n);
    // `a@` and this make 254 characters, the limit.
    let domain = format!("{}.{}.{}.{}", label(63), label(63), label(63), label(60));
    for ok in [
        format!("{}@example.com", dotted(32)),
        format!("{}@example.com", "a".repeat(32)),
        format!("a@{}.com", label(63)),
        format!("a@{domain}"),
    ] {
        assert!(ok.len() <= MAX_EMAIL_LEN, "{}", ok.len());
        assert!(valid(&EMAIL, &ok), "{ok:?} should match");
        assert!(Email::parse(&ok).is_ok(), "{ok:?} should parse");
    }
    for outside in [
        format!("{}@example.com", dotted(33)),
        format!("{}@example.com", "a".repeat(33)),
        format!("a@{}.com", label(64)),
        format!("ab@{domain}"),
    ] {
        assert!(!valid(&EMAIL, &outside), "{outside:?} should not match");
    }
}

#[test]
fn openapi_email_samples() {
    for ok in [
        "ann@example.com",
        "Ann.Lee+otp@Example.COM",
        "o'neil@mail.example.co.uk",
        "x@a.b",
        "!#$%&'*+/=?^_`{|}~-@x-1.example",
        "ann@a-b.c-d-e.example",
    ] {
        assert!(valid(&EMAIL, ok), "{ok:?} should match");
        assert!(Email::parse(ok).is_ok(), "{ok:?} should parse");
    }
    // Not matched, though some parse: the pattern is a conservative subset.
    for outside in [
        "",
        "ann",
        "ann@localhost",
        "ann@bücher.de",
        ".ann@example.com",
        "ann.@example.com",
        "a..b@example.com",
        "ann@-example.com",
        "ann@example-.com",
        " ann@example.com",
        "\"ann\"@example.com",
        // A-labels: valid Punycode or not, a pattern cannot tell.
        "/@xn--A.a",
        "ann@xn--bcher-kva.de",
        "ann@example.xn--p1ai",
        "ann@ab--cd.example",
    ] {
        assert!(!valid(&EMAIL, outside), "{outside:?} should not match");
    }
}
