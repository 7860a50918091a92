//! The message that carries a code: the code in the subject (so it shows in
//! a notification without opening the mail), a plain-text and an HTML part
//! that say the same thing, and no links at all: mail scanners follow links,
//! and a code mail that trains people to click is a phishing template.
//!
//! The words come from the person's language's catalog (`locales/<tag>.ftl`,
//! the `mail-` messages); the code and the last line of the plain-text part,
//! the origin-bound one-time code line `@<web_host> #<code>` that lets
//! browsers and password managers offer the code only on the page it belongs
//! to, are never translated and never move.

use super::{CodeMessage, MailError};
use crate::i18n::Catalog;
use fluent_bundle::FluentArgs;
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use otp_api::locale::Language;
use rand::Rng;

/// The parts of the message that come from configuration.
#[derive(Debug, Clone)]
pub struct MessageTemplate {
    pub from: Mailbox,
    /// Name of the product asking for the code, shown in subject and body.
    pub product: String,
    /// Host of the page that asks for the code (no scheme, no path), for the
    /// origin-bound code line.
    pub web_host: String,
}

/// The translated sentences of one message, as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wording {
    pub(crate) language: &'static Language,
    /// What follows the code in the subject.
    pub(crate) subject: String,
    pub(crate) title: String,
    pub(crate) intro: String,
    pub(crate) expiry: String,
    pub(crate) secret: String,
    pub(crate) unasked: String,
}

impl Wording {
    /// The sentences in `language`, with the product's name, the minutes
    /// until the code expires (the catalogs choose the plural form) and the
    /// app whose sign-in asked for the code, if any.
    pub(crate) fn new(
        language: &'static Language,
        product: &str,
        minutes: u64,
        app: Option<&str>,
    ) -> Wording {
        let catalog = Catalog::of(language);
        let mut args = FluentArgs::new();
        args.set("product", product);
        args.set("minutes", minutes);
        if let Some(app) = app {
            args.set("app", app);
        }
        let text = |id| catalog.message(id, Some(&args));
        let (subject, title, intro) = match app {
            None => ("mail-subject", "mail-title", "mail-intro"),
            Some(_) => ("mail-subject-app", "mail-title-app", "mail-intro-app"),
        };
        Wording {
            language: catalog.language(),
            subject: text(subject),
            title: text(title),
            intro: text(intro),
            expiry: text("mail-expiry"),
            secret: text("mail-secret"),
            unasked: text("mail-unasked"),
        }
    }
}

impl MessageTemplate {
    /// The complete message for one code.
    pub fn build(&self, msg: &CodeMessage) -> Result<Message, MailError> {
        self.validate()?;
        let code = msg.code.expose();
        // The delivery form: ASCII (A-label domain) and a dot-atom local
        // part, which `Email::parse` guarantees lettre can put in the header
        // and read back into the envelope (see the property test below).
        let to = msg.to.delivery().parse().map_err(|e| {
            MailError::new(format!("recipient not accepted by the mail library: {e}"))
        })?;
        let wording = Wording::new(
            msg.language,
            &self.product,
            msg.expires_in_minutes,
            msg.app.as_deref(),
        );
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(format!("{code} {}", wording.subject))
            .message_id(Some(self.message_id()))
            // RFC 3834: stops vacation responders answering a machine.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ))
            // RFC 3282: the language of the text, for clients and screen readers.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                wording.language.tag.to_owned(),
            ))
            .multipart(MultiPart::alternative_plain_html(
                self.plain_text(code, &wording),
                self.html(code, &wording),
            ))
            .map_err(MailError::new)
    }

    /// Whether the configured parts make a sound message: checked on every
    /// build, so a bad product name fails the send instead of becoming a
    /// subject with a line break in it or a code line browsers ignore. Start-up
    /// can call it to fail before the first request.
    pub fn validate(&self) -> Result<(), MailError> {
        if self.product.trim().is_empty() || self.product.chars().any(char::is_control) {
            return Err(MailError::new(
                "the product name must be non-empty and without control characters",
            ));
        }
        let host_ok = !self.web_host.is_empty()
            && self
                .web_host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
        if !host_ok {
            return Err(MailError::new(
                "the web host must be a bare host name such as otp.example.com",
            ));
        }
        Ok(())
    }

    /// `<random@sender-domain>`: a Message-ID in the sender's own domain
    /// scores better with spam filters than one naming the sending machine.
    fn message_id(&self) -> String {
        let random: [u8; 16] = rand::rng().random();
        format!("<{}@{}>", hex::encode(random), self.from.email.domain())
    }

    fn plain_text(&self, code: &str, w: &Wording) -> String {
        format!(
            "{intro}\n\
             \n\
             {code}\n\
             \n\
             {expiry}\n\
             {secret}\n\
             \n\
             {unasked}\n\
             \n\
             @{host} #{code}\n",
            intro = w.intro,
            expiry = w.expiry,
            secret = w.secret,
            unasked = w.unasked,
            host = self.web_host,
        )
    }

    /// Plain semantic markup with inline styles (mail clients drop `<style>`
    /// blocks), readable without images or CSS. The web host is left out: a
    /// domain in HTML is what clients turn into a link. Every translated
    /// sentence is escaped: a catalog (or a product name) cannot add markup.
    fn html(&self, code: &str, w: &Wording) -> String {
        let lang = w.language.tag;
        let dir = w.language.dir();
        let [title, intro, expiry, secret, unasked] =
            [&w.title, &w.intro, &w.expiry, &w.secret, &w.unasked].map(|t| escape_html(t));
        format!(
            r#"<!DOCTYPE html>
<html lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body style="margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;">
<div style="max-width:480px;margin:0 auto;">
<p style="margin:0 0 8px;">{intro}</p>
<p style="margin:0 0 16px;font-family:'Courier New',Courier,monospace;font-size:32px;font-weight:bold;letter-spacing:6px;color:#000000;">{code}</p>
<p style="margin:0 0 16px;">{expiry} {secret}</p>
<p style="margin:0;color:#4a4a4a;font-size:14px;">{unasked}</p>
</div>
</body>
</html>
"#
        )
    }
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Code, Email};
    use otp_api::locale::{LANGUAGES, SOURCE, exact};

    fn template(product: &str) -> MessageTemplate {
        MessageTemplate {
            from: "Example <no-reply@example.com>".parse().unwrap(),
            product: product.to_owned(),
            web_host: "otp.example.com".to_owned(),
        }
    }

    fn message(code: &str) -> CodeMessage {
        CodeMessage {
            to: Email::parse("ann@example.net").unwrap(),
            code: Code::parse(code).unwrap(),
            expires_in_minutes: 10,
            language: SOURCE,
            app: None,
        }
    }

    /// The English sentences for a code valid 10 minutes.
    fn english(t: &MessageTemplate) -> Wording {
        Wording::new(SOURCE, &t.product, 10, None)
    }

    fn formatted(template: &MessageTemplate, code: &str) -> String {
        let built = template.build(&message(code)).unwrap();
        String::from_utf8(built.formatted()).unwrap()
    }

    #[test]
    fn subject_carries_the_code_and_product() {
        let mail = formatted(&template("Example"), "042137");
        assert!(
            mail.contains("Subject: 042137 is your Example verification code\r\n"),
            "{mail}"
        );
        assert!(mail.contains("To: ann@example.net\r\n"), "{mail}");
        assert!(
            mail.contains("Auto-Submitted: auto-generated\r\n"),
            "{mail}"
        );
        let message_id = mail
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("a Message-ID header");
        assert!(message_id.ends_with("@example.com>"), "{message_id}");
    }

    #[test]
    fn has_plain_text_and_html_alternatives() {
        let mail = formatted(&template("Example"), "042137");
        assert!(
            mail.contains("Content-Type: multipart/alternative;"),
            "{mail}"
        );
        assert!(
            mail.contains("Content-Type: text/plain; charset=utf-8"),
            "{mail}"
        );
        assert!(
            mail.contains("Content-Type: text/html; charset=utf-8"),
            "{mail}"
        );
    }

    #[test]
    fn plain_text_ends_with_the_origin_bound_code_line() {
        let t = template("Example");
        let text = t.plain_text("042137", &english(&t));
        assert_eq!(text.lines().last(), Some("@otp.example.com #042137"));
        assert!(text.contains("expires in 10 minutes"));
        assert!(text.contains("If you did not ask for this code, ignore this message"));
    }

    #[test]
    fn html_states_code_expiry_and_what_to_do_if_unasked() {
        let t = template("Example");
        let html = t.html("042137", &english(&t));
        assert!(html.contains(">042137</p>"));
        assert!(html.contains("monospace"));
        assert!(html.contains("<html lang=\"en\" dir=\"ltr\">"));
        assert!(html.contains("expires in 10 minutes"));
        assert!(html.contains("If you did not ask for this code, ignore this message"));
    }

    #[test]
    fn bodies_contain_nothing_a_client_would_turn_into_a_link() {
        let t = template("Example");
        let expiry = english(&t);
        for body in [t.plain_text("042137", &expiry), t.html("042137", &expiry)] {
            let lower = body.to_lowercase();
            for bad in ["http", "www.", "<a ", "<img", "mailto:", "ann@example.net"] {
                assert!(!lower.contains(bad), "{bad:?} in {body}");
            }
        }
        // The only host name is the code line's, and only in plain text.
        assert!(!t.html("042137", &expiry).contains("example.com"));
        let text = t.plain_text("042137", &expiry);
        assert_eq!(text.matches("example.com").count(), 1);
    }

    #[test]
    fn product_name_is_escaped_in_html() {
        let t = template("<script>alert('x')</script> & \"Co\"");
        let html = t.html("042137", &english(&t));
        assert!(!html.contains("<script>"));
        assert!(
            html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
        );
    }

    /// The message for `email`, and its one envelope recipient.
    fn envelope_recipient(email: &Email) -> Result<(Message, String), MailError> {
        let msg = CodeMessage {
            to: email.clone(),
            code: Code::parse("042137").unwrap(),
            expires_in_minutes: 10,
            language: SOURCE,
            app: None,
        };
        let built = template("Example").build(&msg)?;
        let to = built.envelope().to();
        assert_eq!(to.len(), 1, "one recipient for {email:?}");
        let recipient = to[0].to_string();
        Ok((built, recipient))
    }

    /// Accepted means deliverable: the cases from the security review that
    /// used to be accepted and then fail at send time (a 503).
    #[test]
    fn quoted_local_parts_are_refused_or_delivered() {
        for input in [
            "\"quoted local\"@example.com",
            "\"ann@lee\"@example.com",
            "\"ann\"@example.com",
            "\"Ann.Lee+otp\"@example.com",
            "ännchen@example.com",
            "ann@bücher.de",
        ] {
            if let Ok(email) = Email::parse(input) {
                let (_, recipient) = envelope_recipient(&email)
                    .unwrap_or_else(|e| panic!("{input:?} accepted but not deliverable: {e}"));
                assert_eq!(recipient, email.delivery(), "{input:?}");
            }
        }
    }

    #[test]
    fn the_recipient_is_the_delivery_form_with_an_ascii_domain() {
        let email = Email::parse(" \"Ann.Lee\"@Bücher.DE ").unwrap();
        let (built, recipient) = envelope_recipient(&email).unwrap();
        assert_eq!(recipient, "Ann.Lee@xn--bcher-kva.de");
        let mail = String::from_utf8(built.formatted()).unwrap();
        assert!(mail.contains("To: Ann.Lee@xn--bcher-kva.de\r\n"), "{mail}");
    }

    proptest::proptest! {
        /// Every address `Email::parse` accepts builds a message (as the SMTP
        /// and outbox mailers do) whose envelope names it, in ASCII so no
        /// SMTPUTF8 is needed, and whose `To:` header carries it.
        #[test]
        fn every_accepted_address_builds_a_message_with_a_recipient(
            input in crate::domain::email::tests::any_input()
        ) {
            if let Ok(email) = Email::parse(&input) {
                let (built, recipient) = envelope_recipient(&email)
                    .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{input:?}: {e}")))?;
                proptest::prop_assert_eq!(&recipient, email.delivery());
                proptest::prop_assert!(recipient.is_ascii());
                let mail = String::from_utf8(built.formatted()).unwrap();
                let to_line = format!("To: {}\r\n", email.delivery());
                proptest::prop_assert!(mail.contains(&to_line), "{}", mail);
            }
        }
    }

    #[test]
    fn expiry_reads_naturally() {
        let minutes = |n| Wording::new(SOURCE, "Example", n, None).expiry;
        assert!(
            minutes(1).ends_with("It expires in 1 minute."),
            "{}",
            minutes(1)
        );
        assert!(minutes(10).ends_with("It expires in 10 minutes."));
    }

    /// Each language: the subject starts with the code and goes on in the
    /// language, both parts say the catalog's sentences, the HTML part
    /// declares the language and direction, and the code line stays last.
    #[test]
    fn every_language_writes_the_whole_message_in_it() {
        let t = template("Example");
        for language in LANGUAGES {
            let w = Wording::new(language, "Example", 10, None);
            let english = english(&t);
            if language != SOURCE {
                for (translated, source) in [
                    (&w.subject, &english.subject),
                    (&w.intro, &english.intro),
                    (&w.expiry, &english.expiry),
                    (&w.secret, &english.secret),
                    (&w.unasked, &english.unasked),
                ] {
                    assert_ne!(translated, source, "{} not translated", language.tag);
                }
            }
            assert!(w.subject.contains("Example") && w.intro.contains("Example"));
            assert!(w.expiry.contains("10"), "{}: {}", language.tag, w.expiry);

            let msg = CodeMessage {
                language,
                ..message("042137")
            };
            let built = t.build(&msg).unwrap();
            let headers = built.headers();
            assert_eq!(
                headers.get_raw("Subject"),
                Some(format!("042137 {}", w.subject).as_str())
            );
            assert_eq!(headers.get_raw("Content-Language"), Some(language.tag));

            let text = t.plain_text("042137", &w);
            for sentence in [&w.intro, &w.expiry, &w.secret, &w.unasked] {
                assert!(text.contains(sentence.as_str()), "{}: {text}", language.tag);
            }
            assert!(text.contains("\n042137\n"));
            assert_eq!(text.lines().last(), Some("@otp.example.com #042137"));

            let html = t.html("042137", &w);
            let root = format!(
                "<html lang=\"{}\" dir=\"{}\">",
                language.tag,
                language.dir()
            );
            assert!(html.contains(&root), "{html}");
            for sentence in [&w.title, &w.intro, &w.expiry, &w.secret, &w.unasked] {
                assert!(
                    html.contains(&escape_html(sentence)),
                    "{}: {html}",
                    language.tag
                );
            }
            assert!(html.contains(">042137</p>"));
        }
    }

    #[test]
    fn arabic_is_written_right_to_left_and_german_formally() {
        let t = template("Example");
        let arabic = t.html(
            "042137",
            &Wording::new(exact("ar").unwrap(), "Example", 10, None),
        );
        assert!(arabic.contains("<html lang=\"ar\" dir=\"rtl\">"));
        let german = Wording::new(exact("de").unwrap(), "Example", 10, None);
        assert!(german.expiry.starts_with("Geben Sie"), "{}", german.expiry);
    }

    /// A translation is text: markup in a sentence (here the product name,
    /// which every sentence may carry) arrives escaped in every language.
    #[test]
    fn translated_sentences_are_escaped_in_html() {
        let t = template("<b>Co</b>");
        for language in LANGUAGES {
            let html = t.html("042137", &Wording::new(language, &t.product, 10, None));
            assert!(!html.contains("<b>"), "{}: {html}", language.tag);
            assert!(html.contains("&lt;b&gt;Co&lt;/b&gt;"), "{}", language.tag);
        }
    }

    #[test]
    fn rejects_configuration_that_would_break_the_message() {
        let mut bad_product = template("Example");
        bad_product.product = "Example\r\nBcc: all@example.com".into();
        assert!(bad_product.build(&message("042137")).is_err());
        let mut bad_host = template("Example");
        bad_host.web_host = "https://otp.example.com/".into();
        assert!(bad_host.build(&message("042137")).is_err());
    }
}
