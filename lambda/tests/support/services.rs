//! The test services: DynamoDB Local, maildev, an SMTP server that requires
//! STARTTLS and one that refuses as the addresses ask. `scripts/services`
//! (and `scripts/test`) starts them on free loopback ports and exports their
//! addresses as `OTP_TEST_*` variables, with `OTP_TEST_SERVICES=1`.
//!
//! One rule for every test: a variable that is set is used. One that is not
//! is a failure under `OTP_TEST_SERVICES=1`, which promises them all;
//! otherwise the test runs without that service (the memory store, the
//! outbox) or, when it cannot, says it is skipped and passes.

use aws_sdk_dynamodb::config::{Credentials, Region};

/// Whether the test command promises the services: `OTP_TEST_SERVICES=1`.
/// Unset or empty, it does not; any other value is a mistake, refused
/// rather than read either way.
fn services_promised() -> bool {
    match std::env::var_os("OTP_TEST_SERVICES") {
        None => false,
        Some(value) if value.is_empty() => false,
        Some(value) if value == "1" => true,
        Some(value) => panic!(
            "OTP_TEST_SERVICES is {value:?}: set it to 1 when the test services run, or leave it unset"
        ),
    }
}

/// The value of a test service's variable (`OTP_TEST_DYNAMODB_ENDPOINT`, …),
/// or `None` when it is not set and the services are not promised.
pub fn service_env(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if services_promised() => {
            panic!("{var} is not set, but OTP_TEST_SERVICES=1 says the test services run")
        }
        _ => None,
    }
}

/// [`service_env`] for a test that cannot run without the service: `None`
/// after saying that the test is skipped.
pub fn service_or_skip(var: &str) -> Option<String> {
    let value = service_env(var);
    if value.is_none() {
        eprintln!("skipped: {var} is not set (scripts/services starts the test services)");
    }
    value
}

/// `OTP_STORE_TIMEOUT_MS` of a service on DynamoDB Local: on two cores,
/// shared with every other test, it serializes 50 parallel writes to one
/// item far slower than DynamoDB.
pub const STORE_TIMEOUT_MS: &str = "15000";

/// The access key and region DynamoDB Local keeps a test's tables under (it
/// keeps tables per key and region), as `scripts/services` exports them.
const ACCESS_KEY: &str = "test";
const REGION: &str = "us-east-1";

/// What the built binary needs to reach DynamoDB Local at `endpoint`: a child
/// process starts with an empty environment, so the credentials and region
/// come along.
pub fn dynamodb_local_env(endpoint: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT_URL_DYNAMODB", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", ACCESS_KEY.to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}

/// A DynamoDB client configuration with DynamoDB Local's credentials and
/// region, whatever the environment holds (`otp::startup::build_store`
/// takes it as its `configure`).
pub fn dynamodb_local(
    config: aws_sdk_dynamodb::config::Builder,
) -> aws_sdk_dynamodb::config::Builder {
    config
        .credentials_provider(Credentials::new(ACCESS_KEY, ACCESS_KEY, None, None, "test"))
        .region(Region::new(REGION))
}
