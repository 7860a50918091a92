//! `otp suppression show <email>` and `otp suppression lift <email>`: the
//! operator's view of the list, against the table the settings name
//! (`OTP_TABLE`, `OTP_HMAC_KEYS` and the usual AWS credentials and region).

use super::SuppressionList;
use crate::domain::Email;
use crate::store::{StoreError, Suppression};
use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};

pub const USAGE: &str = "usage: otp suppression show <email>\n       otp suppression lift <email>";

/// A command, its address parsed.
#[derive(Debug, PartialEq)]
pub enum Command {
    Show(Email),
    Lift(Email),
}

/// Reads the words after `otp suppression`; an error is the line to print.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let [verb, address] = args else {
        return Err(USAGE.into());
    };
    let email = Email::parse(address).map_err(|_| format!("`{address}` is not an address"))?;
    match verb.as_str() {
        "show" => Ok(Command::Show(email)),
        "lift" => Ok(Command::Lift(email)),
        _ => Err(USAGE.into()),
    }
}

/// Runs `command`; returns the line to print.
pub async fn run(list: &SuppressionList, command: &Command) -> Result<String, StoreError> {
    Ok(match command {
        Command::Show(email) => describe(email, list.show(email).await?, list.now()),
        Command::Lift(email) if list.lift(email).await? => format!(
            "{}: suppression lifted, codes are sent again",
            email.mailbox()
        ),
        Command::Lift(email) => format!("{}: was not suppressed", email.mailbox()),
    })
}

fn describe(email: &Email, found: Option<Suppression>, now: u64) -> String {
    let mailbox = email.mailbox();
    match found {
        None => format!("{mailbox}: not suppressed"),
        Some(s) if s.until <= now => format!(
            "{mailbox}: not suppressed (a {} suppression ended {})",
            s.reason.as_str(),
            date(s.until)
        ),
        Some(s) => format!(
            "{mailbox}: suppressed until {} ({} reported {}, {} days left)",
            date(s.until),
            s.reason.as_str(),
            date(s.since),
            (s.until - now).div_ceil(24 * 3600)
        ),
    }
}

fn date(secs: u64) -> String {
    let t = DateTime::from_secs(i64::try_from(secs).unwrap_or(i64::MAX));
    t.fmt(DateTimeFormat::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SuppressionReason;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn commands_take_one_address() {
        let email = Email::parse("Ann+x@Example.com").unwrap();
        assert_eq!(
            parse(&args(&["show", "Ann+x@Example.com"])),
            Ok(Command::Show(email.clone()))
        );
        assert_eq!(
            parse(&args(&["lift", "Ann+x@Example.com"])),
            Ok(Command::Lift(email))
        );
        assert_eq!(parse(&args(&["show"])), Err(USAGE.into()));
        assert_eq!(parse(&args(&["drop", "a@example.com"])), Err(USAGE.into()));
        assert!(parse(&args(&["show", "nobody"])).is_err());
    }

    #[test]
    fn a_suppression_reads_with_dates() {
        let email = Email::parse("ann+x@example.com").unwrap();
        let s = Suppression {
            until: 1_800_000_000,
            reason: SuppressionReason::Bounce,
            since: 1_792_224_000,
        };
        assert_eq!(
            describe(&email, Some(s), 1_792_224_000),
            "ann@example.com: suppressed until 2027-01-15T08:00:00Z \
             (bounce reported 2026-10-17T08:00:00Z, 90 days left)"
        );
        assert_eq!(
            describe(&email, Some(s), 1_800_000_000),
            "ann@example.com: not suppressed (a bounce suppression ended 2027-01-15T08:00:00Z)"
        );
        assert_eq!(describe(&email, None, 0), "ann@example.com: not suppressed");
    }
}
