//! Schemas of the constrained strings and numbers of the wire types, for the
//! OpenAPI document the server builds (feature `openapi`; the page does not
//! enable it).
//!
//! Each pattern is an ECMA-262 regular expression (what JSON Schema uses),
//! written in the subset that Python's `re` and Rust's `regex` read the same
//! way, so schema fuzzers and the server's tests agree with the document.
//! The server's tests prove each one against its parser: the code and flow id
//! patterns match exactly what the parsers accept; every address matching
//! [`EMAIL_PATTERN`] is accepted, though more are (see [`email`]).

use crate::{CODE_LENGTH, MAX_CHALLENGE_LEN, MAX_EMAIL_LEN, MAX_REQUEST_ID_LEN};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

// Rust's `char::is_whitespace`, spelled out: `\s` differs between ECMA-262
// (which adds U+FEFF) and Rust and Python (which add U+0085).
macro_rules! ws {
    () => {
        "\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
    };
}
// RFC 5322 `atext`, ASCII only.
macro_rules! atext {
    () => {
        "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
    };
}
// A domain label: letters, digits and inner hyphens, at most 63 long, and
// never `-` in both its third and fourth places. Such a label (`xn--…`) is
// an A-label, which parses only if it is valid Punycode, and a regular
// expression cannot tell; the first character is the macro's argument.
macro_rules! label {
    ($first:literal) => {
        concat!(
            "(?:",
            $first,
            "(?:[A-Za-z0-9-]{0,2}[A-Za-z0-9])?|",
            $first,
            "[A-Za-z0-9-](?:[A-Za-z0-9][A-Za-z0-9-]|-[A-Za-z0-9])[A-Za-z0-9-]{0,58}[A-Za-z0-9])"
        )
    };
}

/// What [`crate::parse_code`] accepts: six ASCII digits, with any whitespace
/// (Unicode `White_Space`, as `char::is_whitespace`) or dashes around and
/// between them.
pub const CODE_PATTERN: &str = concat!("^[", ws!(), "-]*(?:[0-9][", ws!(), "-]*){6}$");

/// A flow id: 16 random bytes in unpadded base64url, 22 characters. The last
/// one carries 2 bits and 4 zero bits, so only `A`, `Q`, `g` and `w` are
/// canonical there.
pub const FLOW_ID_PATTERN: &str = "^[A-Za-z0-9_-]{21}[AQgw]$";

/// A conservative ASCII address: a dot-atom local part of at most 32
/// characters besides its dots (so at most 63 in all, under the limit of
/// 64), and at least two domain labels of letters, digits and inner hyphens,
/// each at most 63 long and none an A-label (`xn--…`), the last starting
/// with a letter (an all-digit top-level label is no domain). A regular expression cannot count the local part
/// with its dots; this bound keeps every match within the limit.
pub const EMAIL_PATTERN: &str = concat!(
    "^(?:",
    atext!(),
    "\\.?){0,31}",
    atext!(),
    "@(?:",
    label!("[A-Za-z0-9]"),
    "\\.)+",
    label!("[A-Za-z]"),
    "$"
);

/// An idempotency key: printable ASCII, no space.
pub const REQUEST_ID_PATTERN: &str = "^[!-~]+$";

/// The largest nonce: 2^53 - 1, what JavaScript numbers carry exactly.
const MAX_NONCE: u64 = crate::MAX_SAFE_INTEGER;

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))
}

/// The code as a person types or pastes it.
pub fn code() -> ObjectBuilder {
    string()
        .pattern(Some(CODE_PATTERN))
        .description(Some(format!(
            "{CODE_LENGTH} digits; whitespace and dashes around and between them are ignored."
        )))
        .examples(["123456", "123 456"])
}

pub fn flow_id() -> ObjectBuilder {
    string()
        .pattern(Some(FLOW_ID_PATTERN))
        .min_length(Some(22))
        .max_length(Some(22))
        .description(Some("Opaque id of one flow (128 random bits, base64url)."))
}

/// The address of a send. The service accepts every address matching the
/// pattern, and more: internationalized ones, longer local parts, quoted
/// local parts. It rejects what is not an address with `invalid_email`.
pub fn email() -> ObjectBuilder {
    string()
        .pattern(Some(EMAIL_PATTERN))
        .max_length(Some(MAX_EMAIL_LEN))
        .description(Some(
            "The address to send the code to; surrounding whitespace and case are ignored. \
             Every address matching the pattern is accepted; so are some others \
             (internationalized addresses, longer local parts).",
        ))
        .examples(["ann@example.com"])
}

/// `request_id` may also be `null`, which is the same as leaving it out.
pub fn request_id() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some(REQUEST_ID_PATTERN))
        .min_length(Some(1))
        .max_length(Some(MAX_REQUEST_ID_LEN))
        .description(Some(
            "Idempotency key: a repeated send with the same key and address maps to the \
             first flow and sends nothing more.",
        ))
}

pub fn challenge_token() -> ObjectBuilder {
    string()
        .min_length(Some(1))
        .max_length(Some(MAX_CHALLENGE_LEN))
}

pub fn nonce() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .minimum(Some(0))
        .maximum(Some(MAX_NONCE))
}

/// A sign-in request's handle: like a flow id, 128 random bits in base64url.
pub fn sign_in() -> ObjectBuilder {
    string()
        .pattern(Some(FLOW_ID_PATTERN))
        .min_length(Some(22))
        .max_length(Some(22))
        .description(Some(
            "Opaque handle of a sign-in request started at `/authorize` (the `sign_in` \
             parameter of the page's address).",
        ))
}

/// `sign_in` of a send may also be `null`, which is the same as leaving it out.
pub fn optional_sign_in() -> ObjectBuilder {
    sign_in().schema_type(SchemaType::from_iter([Type::String, Type::Null]))
}

/// A language of [`crate::locale::LANGUAGES`]; `null` is the same as leaving it out.
pub fn locale() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            crate::locale::LANGUAGES
                .iter()
                .map(|l| Some(l.tag))
                .chain([None]),
        ))
        .description(Some(
            "Language of the code mail (BCP 47 tag of a supported language, compared \
             without regard to case); the service's default when absent.",
        ))
}
