//! An email address as the service accepts it: parsed by an RFC 5322 parser,
//! trimmed and lower-cased, so `Ann@Example.COM ` and `ann@example.com` are
//! one person with one budget.

use email_address::{EmailAddress, Options};
use otp_api::MAX_EMAIL_LEN;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the address is empty")]
    Empty,
    #[error("the address is longer than {MAX_EMAIL_LEN} characters")]
    TooLong,
    #[error("the address contains a control or invisible character")]
    ControlCharacter,
    #[error("the address is not a valid email address")]
    Invalid,
}

/// A normalized, valid address. The only way to get one is [`Email::parse`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        // Length is checked before anything else touches the input, so a
        // 10 kB "address" costs nothing.
        if input.len() > MAX_EMAIL_LEN * 4 {
            return Err(EmailError::TooLong);
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        // CR/LF and friends would let an address smuggle mail headers;
        // invisible format characters would let one address pass for another.
        if trimmed.chars().any(|c| c.is_control() || is_invisible(c)) {
            return Err(EmailError::ControlCharacter);
        }
        let lowered = trimmed.to_lowercase();
        if lowered.chars().count() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let options = Options {
            // A dot in the domain: `ann@localhost` cannot receive our mail
            // and is almost always a typo.
            minimum_sub_domains: 2,
            allow_domain_literal: false,
            allow_display_text: false,
            allow_long_local_parts: false,
        };
        let parsed =
            EmailAddress::parse_with_options(&lowered, options).map_err(|_| EmailError::Invalid)?;
        // The mail library must accept it too, or the send would fail late.
        if parsed.as_str().parse::<lettre::Address>().is_err() {
            return Err(EmailError::Invalid);
        }
        Ok(Email(parsed.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical mailbox budgets key on.
    pub fn mailbox(&self) -> &str {
        &self.0
    }

    /// The address messages are delivered to.
    pub fn delivery(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// For logs: first character of the local part and the domain, `a***@example.com`.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", ""));
        let first = local.chars().next().unwrap_or('*');
        format!("{first}***@{domain}")
    }
}

/// Unicode format characters (category Cf) that render as nothing or
/// reorder text: zero-width spaces and joiners, bidirectional overrides,
/// soft hyphen, byte order mark.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Never prints the full address, so it cannot reach a log by accident.
impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalizes_case_and_surrounding_space() {
        let email = Email::parse("  Ann.Lee+otp@Example.COM \n").unwrap();
        assert_eq!(email.as_str(), "ann.lee+otp@example.com");
        assert_eq!(email.domain(), "example.com");
    }

    #[test]
    fn rejects_what_is_not_an_address() {
        for bad in [
            "",
            "   ",
            "ann",
            "ann@",
            "@example.com",
            "ann@localhost",
            "ann@@example.com",
            "Ann <ann@example.com>",
            "ann@[127.0.0.1]",
            "ann @example.com",
            "ann@exa mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn rejects_header_injection() {
        assert_eq!(
            Email::parse("ann@example.com\r\nBcc: all@example.com"),
            Err(EmailError::ControlCharacter)
        );
        assert_eq!(
            Email::parse("ann\0@example.com"),
            Err(EmailError::ControlCharacter)
        );
        for invisible in ["ann\u{200B}@example.com", "ann@exa\u{202E}moc.elpmaxe"] {
            assert_eq!(Email::parse(invisible), Err(EmailError::ControlCharacter));
        }
    }

    #[test]
    fn rejects_overlong_addresses() {
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
        let huge = "a".repeat(10_000);
        assert_eq!(Email::parse(&huge), Err(EmailError::TooLong));
    }

    #[test]
    fn debug_and_masked_hide_the_local_part() {
        let email = Email::parse("secretname@example.com").unwrap();
        assert_eq!(email.masked(), "s***@example.com");
        assert!(!format!("{email:?}").contains("secretname"));
    }

    proptest! {
        #[test]
        fn parse_is_idempotent(local in "[a-zA-Z0-9._%+-]{1,30}", domain in "[a-zA-Z0-9-]{1,20}\\.[a-zA-Z]{2,6}") {
            let input = format!("{local}@{domain}");
            if let Ok(email) = Email::parse(&input) {
                let again = Email::parse(email.as_str()).unwrap();
                prop_assert_eq!(&again, &email);
                prop_assert_eq!(email.as_str(), input.to_lowercase());
            }
        }

        #[test]
        fn case_and_whitespace_do_not_change_the_result(local in "[a-z0-9]{1,20}", domain in "[a-z0-9]{1,20}\\.[a-z]{2,6}") {
            let plain = Email::parse(&format!("{local}@{domain}")).unwrap();
            let noisy = Email::parse(&format!(" \t{}@{} ", local.to_uppercase(), domain.to_uppercase())).unwrap();
            prop_assert_eq!(plain, noisy);
        }

        #[test]
        fn accepted_addresses_are_bounded_and_clean(s in "\\PC{0,300}") {
            if let Ok(email) = Email::parse(&s) {
                prop_assert!(email.as_str().chars().count() <= MAX_EMAIL_LEN);
                prop_assert!(!email.as_str().chars().any(char::is_control));
                prop_assert!(!email.as_str().chars().any(char::is_uppercase));
                prop_assert_eq!(email.as_str().matches('@').count(), 1);
            }
        }
    }
}
