//! Delivery over SMTP with lettre: one pooled, shared transport, configured
//! from a single connection URL.
//!
//! # The connection URL
//!
//! The grammar is lettre's own (`AsyncSmtpTransport::from_url`):
//!
//! | URL | transport | default port |
//! |---|---|---|
//! | `smtp://host[:port]` | plain text, no TLS | 25 |
//! | `smtp://host[:port]?tls=required` | STARTTLS, refuses to continue without it | 587 |
//! | `smtp://host[:port]?tls=opportunistic` | STARTTLS when offered, else plain text | 587 |
//! | `smtps://host[:port]` | implicit TLS from the first byte (the `tls` parameter is ignored) | 465 |
//!
//! `user:password@` before the host logs in with AUTH PLAIN or LOGIN; both
//! are percent-decoded, so a `@` or `/` in a password is written `%40`, `%2F`.
//! A path (`smtp://host/client.example.com`) sets the EHLO name. With a
//! password, the URL must use `tls=required` or `smtps` unless the host is
//! loopback: `opportunistic` would hand the password to anyone who strips the
//! STARTTLS offer.
//!
//! The server's certificate is checked against the public web roots; an extra
//! CA in PEM (`OTP_SMTP_CA_FILE`, for a private relay or a test server) is
//! trusted in addition to them, never instead.
//!
//! The URL holds the password, so it is never logged nor put in an error:
//! only `host:port` is.
//!
//! # Latency
//!
//! A pooled connection hands a message over in the exchange's own round
//! trips (NOOP, MAIL, RCPT, DATA, the message): lettre sets `TCP_NODELAY` on
//! every connection (the patched copy in `vendor/lettre`). Without it the
//! final `.`, written apart from the body, waited for the relay's delayed
//! ACK of the body: 40 ms or more on every message.

use super::message::MessageTemplate;
use super::refusal::{self, Cause};
use super::{CodeMessage, MailError, MailFailure, Mailer};
use crate::domain::Email;
use async_trait::async_trait;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::fmt;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use url::Url;

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Connections kept open to the relay. A Lambda instance handles one request
/// at a time and a local server few; more would only hold sockets the relay
/// may count against a per-client limit.
const POOL_MAX_SIZE: u32 = 4;
/// Relays drop idle clients after a minute or so; closing first avoids
/// picking up a connection the server has already half-closed.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The header that tells SES which configuration set a message belongs to.
pub const CONFIGURATION_SET_HEADER: &str = "X-SES-CONFIGURATION-SET";

pub struct SmtpMailer {
    /// `host:port`: the only part of the URL fit for logs and errors.
    server: String,
    /// Kept to rebuild the pool after a timeout (see [`SmtpMailer::timed_out`]).
    builder: AsyncSmtpTransportBuilder,
    transport: Mutex<Transport>,
    template: MessageTemplate,
    timeout: Duration,
    /// The SES configuration set every message names
    /// (`X-SES-CONFIGURATION-SET`), whose event destination reports bounces
    /// and complaints (see [`crate::suppression`]).
    configuration_set: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    None,
    Opportunistic,
    Required,
    Implicit,
}

impl SmtpMailer {
    /// A mailer for the server in `url` (see the module docs for the grammar).
    ///
    /// `timeout` bounds each send and each [`check`](Self::check) as a whole:
    /// connecting, TLS, login and the message. lettre's own timeout only
    /// covers the TCP connect, so a server that accepts and then says
    /// nothing would otherwise hold the request forever.
    ///
    /// Must run inside a Tokio runtime: the pool starts its cleanup task here.
    pub fn from_url(
        url: &str,
        template: MessageTemplate,
        timeout: Duration,
    ) -> Result<SmtpMailer, MailError> {
        SmtpMailer::from_url_with_ca(url, None, template, timeout)
    }

    /// Like [`from_url`](Self::from_url), also trusting the CA certificate(s)
    /// in `extra_ca_pem` (the contents of `OTP_SMTP_CA_FILE`).
    pub fn from_url_with_ca(
        url: &str,
        extra_ca_pem: Option<Vec<u8>>,
        template: MessageTemplate,
        timeout: Duration,
    ) -> Result<SmtpMailer, MailError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(MailError::new(
                "the SMTP pool must be created inside a Tokio runtime",
            ));
        }
        let parsed =
            Url::parse(url).map_err(|e| MailError::new(format!("invalid SMTP URL: {e}")))?;
        let mode = tls_mode(&parsed)?;
        let host = parsed
            .host_str()
            .ok_or_else(|| MailError::new("the SMTP URL has no host"))?
            .to_owned();
        let port = parsed.port().unwrap_or(match mode {
            TlsMode::None => 25,
            TlsMode::Opportunistic | TlsMode::Required => 587,
            TlsMode::Implicit => 465,
        });
        let server = format!("{host}:{port}");
        if parsed.password().is_some()
            && !matches!(mode, TlsMode::Required | TlsMode::Implicit)
            && !is_loopback(&host)
        {
            return Err(MailError::new(format!(
                "refusing to send the SMTP password to {server} without TLS: use ?tls=required or smtps://"
            )));
        }

        let mut builder = Transport::from_url(url)
            .map_err(|e| MailError::new(format!("invalid SMTP URL for {server}: {e}")))?;
        if let Some(pem) = extra_ca_pem {
            let wrap = match mode {
                TlsMode::Required => Tls::Required,
                TlsMode::Opportunistic => Tls::Opportunistic,
                TlsMode::Implicit => Tls::Wrapper,
                TlsMode::None => {
                    return Err(MailError::new(format!(
                        "an SMTP CA file was given but the URL for {server} does not use TLS"
                    )));
                }
            };
            builder = builder.tls(wrap(tls_with_extra_ca(&host, &pem)?));
        }
        let builder = builder.timeout(Some(timeout)).pool_config(
            PoolConfig::new()
                .max_size(POOL_MAX_SIZE)
                .idle_timeout(POOL_IDLE_TIMEOUT),
        );
        Ok(SmtpMailer {
            server,
            transport: Mutex::new(builder.clone().build()),
            builder,
            template,
            timeout,
            configuration_set: None,
        })
    }

    /// Names the SES configuration set `name` in every message, so SES
    /// reports its bounces and complaints to that set's event destination.
    /// SES removes the header before delivery.
    pub fn with_configuration_set(mut self, name: Option<String>) -> SmtpMailer {
        self.configuration_set = name;
        self
    }

    /// `host:port` of the relay, for start-up logs.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Connects, upgrades to TLS and logs in, and leaves the connection in
    /// the pool: at start-up this surfaces a wrong URL, password or CA at
    /// once, and the first code goes out on a warm connection.
    #[tracing::instrument(skip_all, fields(server = %self.server))]
    pub async fn check(&self) -> Result<(), MailError> {
        let transport = self.current();
        match tokio::time::timeout(self.timeout, transport.test_connection()).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(MailError::new(format!(
                "{} did not answer NOOP",
                self.server
            ))),
            Ok(Err(e)) => Err(self.failure(&e, None)),
            Err(_) => Err(self.timed_out()),
        }
    }

    fn current(&self) -> Transport {
        self.transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A send cut off by the timeout leaves its connection mid-conversation,
    /// and the pool would hand it out again: every later send would then
    /// wait on the same dead socket. A fresh pool starts clean; the old one
    /// closes its connections once the last send using it is done.
    fn timed_out(&self) -> MailError {
        *self
            .transport
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = self.builder.clone().build();
        tracing::warn!(server = %self.server, timeout = ?self.timeout, "SMTP server did not answer in time; connection pool replaced");
        MailError::with_failure(
            MailFailure::Transient,
            format!("{} did not answer within {:?}", self.server, self.timeout),
        )
    }

    /// The error with its whole cause chain, flattened into text so a cause
    /// printed later cannot bring back what is redacted here: servers often
    /// quote the recipient address in a rejection. Classified (see
    /// [`refusal`]) and logged once here, with what an operator should check
    /// when the failure is theirs.
    fn failure(&self, error: &lettre::transport::smtp::Error, to: Option<&Email>) -> MailError {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !text.contains(&cause_text) {
                text.push_str(": ");
                text.push_str(&cause_text);
            }
            source = cause.source();
        }
        if let Some(to) = to {
            text = mask_address(&text, to);
        }
        let cause = refusal::cause(error, self.template.from.email.as_ref());
        log_failure(cause, &text);
        MailError::with_failure(cause.failure(), format!("{}: {text}", self.server))
    }
}

/// Operator failures at `error` with what to check; the others are no fault
/// of this service: a refused address is the person's, a 4xx passes.
fn log_failure(cause: Cause, text: &str) {
    let advice = cause.advice();
    match cause.failure() {
        MailFailure::Operator => tracing::error!(
            ?cause,
            error = %text,
            advice,
            "SMTP delivery failed; the relay or its configuration needs attention"
        ),
        MailFailure::Undeliverable => {
            tracing::info!(error = %text, "the address does not receive mail")
        }
        MailFailure::Transient => {
            tracing::warn!(error = %text, advice, "SMTP delivery failed for now; a retry may pass")
        }
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    #[tracing::instrument(skip_all, fields(to = %message.to.masked(), server = %self.server))]
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError> {
        let mut mail = self.template.build(message)?;
        if let Some(set) = &self.configuration_set {
            mail.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str(CONFIGURATION_SET_HEADER),
                set.clone(),
            ));
        }
        let transport = self.current();
        match tokio::time::timeout(self.timeout, transport.send(mail)).await {
            Ok(Ok(_)) => {
                tracing::debug!("code mail accepted by the relay");
                Ok(())
            }
            Ok(Err(e)) => Err(self.failure(&e, Some(&message.to))),
            Err(_) => Err(self.timed_out()),
        }
    }
}

/// Shows the server only: the transport holds the password.
impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("server", &self.server)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The same reading of scheme and `tls` parameter as lettre's `from_url`
/// (first `tls` pair wins), so an extra CA goes into the mode lettre chose.
fn tls_mode(url: &Url) -> Result<TlsMode, MailError> {
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v);
    match (url.scheme(), tls.as_deref()) {
        ("smtp", None) => Ok(TlsMode::None),
        ("smtp", Some("required")) => Ok(TlsMode::Required),
        ("smtp", Some("opportunistic")) => Ok(TlsMode::Opportunistic),
        ("smtps", _) => Ok(TlsMode::Implicit),
        (scheme, tls) => Err(MailError::new(format!(
            "unsupported SMTP URL: scheme {scheme:?}, tls {tls:?} (use smtp://, smtp://…?tls=required or smtps://)"
        ))),
    }
}

fn tls_with_extra_ca(host: &str, pem: &[u8]) -> Result<TlsParameters, MailError> {
    // lettre accepts a file without any certificate in it and trusts nothing
    // more, which would surface much later as an unexplained TLS failure.
    const MARKER: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(MARKER.len()).any(|w| w == MARKER) {
        return Err(MailError::new("the SMTP CA file holds no PEM certificate"));
    }
    let cert = Certificate::from_pem(pem)
        .map_err(|e| MailError::new(format!("the SMTP CA file is not valid PEM: {e}")))?;
    TlsParameters::builder(host.to_owned())
        .add_root_certificate(cert)
        .build_rustls()
        .map_err(|e| MailError::new(format!("cannot use the SMTP CA file: {e}")))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `text` with every spelling of `to` masked: servers quote the address as
/// it was delivered (its case kept), and it is ASCII, so case is all that
/// can differ from the normalized form.
fn mask_address(text: &str, to: &Email) -> String {
    let needle = to.as_str();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(needle) {
        if at < last {
            continue;
        }
        out.push_str(&text[last..at]);
        out.push_str(&to.masked());
        last = at + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> MessageTemplate {
        MessageTemplate {
            from: "Example <no-reply@example.com>".parse().unwrap(),
            product: "Example".into(),
            web_host: "otp.example.com".into(),
        }
    }

    fn mailer(url: &str, ca: Option<Vec<u8>>) -> Result<SmtpMailer, MailError> {
        SmtpMailer::from_url_with_ca(url, ca, template(), Duration::from_secs(1))
    }

    #[test]
    fn a_quoted_address_is_masked_whatever_its_case() {
        let to = Email::parse("Ann.Lee@Example.com").unwrap();
        let text = "550 5.1.1 <Ann.Lee@example.com>: no such user; ANN.LEE@EXAMPLE.COM again";
        let masked = mask_address(text, &to);
        assert!(
            !masked.to_ascii_lowercase().contains("ann.lee@"),
            "{masked}"
        );
        assert_eq!(masked.matches("a***@example.com").count(), 2, "{masked}");
    }

    #[test]
    fn tls_mode_follows_lettre_url_grammar() {
        let mode = |u: &str| tls_mode(&Url::parse(u).unwrap()).ok();
        assert_eq!(mode("smtp://h"), Some(TlsMode::None));
        assert_eq!(mode("smtp://h:2525?tls=required"), Some(TlsMode::Required));
        assert_eq!(
            mode("smtp://h?tls=opportunistic"),
            Some(TlsMode::Opportunistic)
        );
        assert_eq!(mode("smtps://h"), Some(TlsMode::Implicit));
        assert_eq!(mode("smtp://h?tls=yes"), None);
        assert_eq!(mode("http://h"), None);
    }

    #[tokio::test]
    async fn server_name_has_default_ports_and_never_the_password() {
        let m = mailer("smtp://u:secret-pw@mail.example.com?tls=required", None).unwrap();
        assert_eq!(m.server(), "mail.example.com:587");
        assert!(!format!("{m:?}").contains("secret-pw"));
        assert_eq!(
            mailer("smtps://mail.example.com", None).unwrap().server(),
            "mail.example.com:465"
        );
        assert_eq!(
            mailer("smtp://127.0.0.1", None).unwrap().server(),
            "127.0.0.1:25"
        );
    }

    #[tokio::test]
    async fn refuses_a_password_without_tls_except_on_loopback() {
        let err = mailer("smtp://u:secret-pw@mail.example.com", None).unwrap_err();
        assert!(!err.to_string().contains("secret-pw"), "{err}");
        assert!(mailer("smtp://u:p@mail.example.com?tls=opportunistic", None).is_err());
        assert!(mailer("smtp://u:p@127.0.0.1:2525", None).is_ok());
        assert!(mailer("smtp://u:p@localhost:2525", None).is_ok());
    }

    #[tokio::test]
    async fn bad_urls_and_ca_files_are_errors() {
        assert!(mailer("not a url", None).is_err());
        assert!(mailer("smtp://h?tls=maybe", None).is_err());
        assert!(
            mailer(
                "smtp://h?tls=required",
                Some(b"no certificate here".to_vec())
            )
            .is_err()
        );
        let bogus = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        assert!(mailer("smtp://h?tls=required", Some(bogus.to_vec())).is_err());
        // A CA for a connection that never uses TLS is a configuration mistake.
        let err = mailer("smtp://h", Some(bogus.to_vec())).unwrap_err();
        assert!(err.to_string().contains("does not use TLS"), "{err}");
    }

    #[test]
    fn needs_a_runtime_instead_of_panicking() {
        assert!(mailer("smtp://127.0.0.1", None).is_err());
    }
}
