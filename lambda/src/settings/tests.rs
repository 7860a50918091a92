//! The settings as a whole: local defaults, what Lambda requires, errors
//! that name the variable, secrets that never print.

use super::*;

/// An environment of `pairs`; also for the tests of the settings' parts.
pub(super) fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[test]
fn local_defaults_need_no_configuration() {
    let s = Settings::from_vars(HashMap::new()).unwrap();
    assert_eq!(s.runtime, Runtime::Local);
    assert_eq!(s.store, StoreSettings::Memory);
    assert!(matches!(s.mail, MailSettings::Outbox { .. }));
    assert_eq!(s.bind.to_string(), "127.0.0.1:3000");
    assert_eq!(s.policy.max_attempts, 5);
    assert_eq!(s.policy.default_language.tag, "en");
    assert_eq!(s.log_format, LogFormat::Pretty);
}

#[test]
fn the_default_locale_is_a_supported_tag() {
    let s = Settings::from_vars(vars(&[("OTP_DEFAULT_LOCALE", "PT-br")])).unwrap();
    assert_eq!(s.policy.default_language.tag, "pt-BR");
    for bad in ["pt-PT", "de_DE", "klingon", "*"] {
        let err = Settings::from_vars(vars(&[("OTP_DEFAULT_LOCALE", bad)])).unwrap_err();
        let err = err.to_string();
        assert!(err.starts_with("OTP_DEFAULT_LOCALE is invalid"), "{err}");
        assert!(err.contains("en, de, fr, es, pt-BR, ja, ar"), "{err}");
    }
}

#[test]
fn lambda_refuses_to_fall_back_to_local_defaults() {
    let err =
        Settings::from_vars(vars(&[("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")])).unwrap_err();
    assert!(err.to_string().contains("OTP_TABLE"), "{err}");
    let err = Settings::from_vars(vars(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("OTP_TABLE", "otp"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("OTP_SMTP_URL"), "{err}");
    let err = Settings::from_vars(vars(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("OTP_TABLE", "otp"),
        (
            "OTP_SMTP_URL",
            "smtp://u:p@mail.example.com:587?tls=required",
        ),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("OTP_HMAC_KEYS"), "{err}");
    let mut env = lambda_env();
    for var in ["OTP_ISSUER", "OTP_SIGNING_KEYS", "OTP_SUBJECT_KEY"] {
        let value = env.remove(var).unwrap();
        let err = Settings::from_vars(env.clone()).unwrap_err();
        assert!(err.to_string().starts_with(var), "{err}");
        env.insert(var.into(), value);
    }
    assert!(Settings::from_vars(env).is_ok());
}

/// A complete Lambda configuration.
fn lambda_env() -> HashMap<String, String> {
    let keys = format!("k2:{KEY},k1:{KEY}");
    vars(&[
        ("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"),
        ("OTP_TABLE", "otp"),
        (
            "OTP_SMTP_URL",
            "smtp://u:p@mail.example.com:587?tls=required",
        ),
        ("OTP_HMAC_KEYS", &keys),
        ("OTP_ISSUER", "https://otp.example.com/"),
        (
            "OTP_SIGNING_KEYS",
            crate::oidc::keys::tests::test_pkcs8_pem(),
        ),
        ("OTP_SUBJECT_KEY", KEY),
    ])
}

#[test]
fn the_provider_is_configured_or_local() {
    let s = Settings::from_vars(lambda_env()).unwrap();
    assert_eq!(s.oidc.issuer.as_deref(), Some("https://otp.example.com"));
    assert!(!s.oidc.subject_key_generated);
    assert_eq!(s.oidc.describe_keys(), "configured");
    let bound: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    assert_eq!(s.oidc.issuer_for(bound), "https://otp.example.com");
    let local = Settings::from_vars(HashMap::new()).unwrap();
    assert_eq!(local.oidc.issuer, None);
    assert!(local.oidc.subject_key_generated);
    assert!(local.oidc.clients.is_empty());
    assert_eq!(local.oidc.issuer_for(bound), "http://127.0.0.1:4000");
    assert_eq!(
        local.oidc.issuer_for("0.0.0.0:4000".parse().unwrap()),
        "http://127.0.0.1:4000"
    );
    assert!(
        local
            .oidc
            .describe_keys()
            .starts_with("signing key generated")
    );
    let clients = r#"[{"id":"app","name":"App","redirect_uris":["http://127.0.0.1:9/cb"]}]"#;
    let s = Settings::from_vars(vars(&[("OTP_CLIENTS", clients)])).unwrap();
    assert!(s.oidc.clients.get("app").is_some());
}

#[test]
fn lambda_with_full_configuration_starts() {
    let mut env = lambda_env();
    let s = Settings::from_vars(env.clone()).unwrap();
    assert_eq!(s.hasher.current_key_id(), "k2");
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.metrics_namespace, "otp");
    assert_eq!(
        s.store,
        StoreSettings::DynamoDb {
            table: "otp".into(),
            endpoint: None,
            create_table: false
        }
    );
    // Without the page's host it runs, and says what it is missing.
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("OTP_WEB_HOST is not set"));
    env.insert("OTP_WEB_HOST".into(), "otp.example.com".into());
    let s = Settings::from_vars(env.clone()).unwrap();
    assert_eq!(s.warnings(), Vec::<&str>::new());
    let local = Settings::from_vars(HashMap::new()).unwrap();
    assert_eq!(local.warnings(), Vec::<&str>::new(), "localhost is right");

    // CloudFront's header without the secret that proves a request came
    // through CloudFront: anyone can forge it at the function URL.
    env.insert(
        "OTP_CLIENT_IP_HEADER".into(),
        "CloudFront-Viewer-Address".into(),
    );
    let s = Settings::from_vars(env.clone()).unwrap();
    let warnings = s.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("OTP_ORIGIN_VERIFY_SECRET is not set"));
    env.insert(
        "OTP_ORIGIN_VERIFY_SECRET".into(),
        "Q7w2Er9Ty4Ui1Op6As3Df8Gh5Jk0Lz7Xc2Vb9Nm4".into(),
    );
    let s = Settings::from_vars(env).unwrap();
    assert_eq!(s.warnings(), Vec::<&str>::new());
}

#[test]
fn errors_name_the_variable() {
    for (var, value) in [
        ("OTP_MAX_ATTEMPTS", "0"),
        ("OTP_MAX_ATTEMPTS", "five"),
        ("OTP_CODE_TTL_SECS", "999999"),
        ("OTP_BIND", "localhost"),
        ("OTP_MAIL_FROM", "not an address"),
        ("OTP_LOG_FORMAT", "xml"),
        ("OTP_METRICS_NAMESPACE", "AWS/Lambda"),
        ("OTP_METRICS_NAMESPACE", "otp{prod}"),
        ("OTP_HMAC_KEYS", "k1:c2hvcnQ="),
        ("OTP_HMAC_KEYS", "k1"),
        ("OTP_MAX_SENDS_PER_EMAIL_PER_DAY", "3"),
        ("OTP_POW_DIFFICULTY", "25"),
        ("OTP_CLIENT_IP_HEADER", "not a header"),
        ("OTP_ISSUER", "http://otp.example.com"),
        ("OTP_CLIENTS", "{}"),
        (
            "OTP_CLIENTS",
            r#"[{"id":"app","name":"App","redirect_uris":[]}]"#,
        ),
        ("OTP_SIGNING_KEYS", "not a key"),
        ("OTP_SUBJECT_KEY", "c2hvcnQ="),
    ] {
        let err = Settings::from_vars(vars(&[(var, value)])).unwrap_err();
        assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
    }
}

#[test]
fn secrets_do_not_print() {
    let s = Settings::from_vars(vars(&[
        ("OTP_SMTP_URL", "smtp://user:hunter2@mail.example.com"),
        ("OTP_HMAC_KEYS", &format!("k1:{KEY}")),
        ("OTP_SUBJECT_KEY", KEY),
        (
            "OTP_CLIENTS",
            r#"[{"id":"app","name":"App","redirect_uris":["https://a.example/cb"],"secret":"correct-horse-battery-staple-0123456789"}]"#,
        ),
        (
            "OTP_SIGNING_KEYS",
            crate::oidc::keys::tests::test_pkcs8_pem(),
        ),
    ]))
    .unwrap();
    let printed = format!("{s:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(!printed.contains(KEY), "{printed}");
    assert!(!printed.contains("correct-horse"), "{printed}");
    assert!(!printed.contains("PRIVATE"), "{printed}");
}

/// Budget subjects follow `OTP_SUBJECT_KEY`, not `OTP_HMAC_KEYS`: a rotation
/// of the HMAC keys names every budget as before.
#[test]
fn budget_subjects_are_named_under_the_subject_key() {
    let other = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
    let subject_of = |hmac_keys: &str, subject_key: &str| {
        Settings::from_vars(vars(&[
            ("OTP_HMAC_KEYS", hmac_keys),
            ("OTP_SUBJECT_KEY", subject_key),
        ]))
        .unwrap()
        .hasher
        .subject("send-email", "ann@example.com")
    };
    let before = subject_of(&format!("k1:{KEY}"), KEY);
    assert_eq!(before, subject_of(&format!("k2:{other},k1:{KEY}"), KEY));
    assert_eq!(before, subject_of(&format!("k2:{other}"), KEY));
    assert_ne!(before, subject_of(&format!("k1:{KEY}"), other));
}
