//! `otp suppression show|add|lift <email>`: the operator's view of the
//! list, against the table the settings name (`OTP_TABLE`, `OTP_HMAC_KEYS`
//! and the usual AWS credentials and region). Every command works on the
//! address's suppression key, which each answer starts with: another
//! spelling of the same identity finds the same suppression.
//!
//! `add` is for suppressing on a person's request (or a bounce learned some
//! other way): `--reason` is `manual` (the default), `bounce` or
//! `complaint`; `--days N` (1 to 3650) sets its length, by default the
//! settings' length for that reason (`OTP_BOUNCE_SUPPRESSION_DAYS` for a
//! manual one). A suppression already recorded that ends no earlier stands.

use super::SuppressionList;
use crate::domain::Email;
use crate::store::{StoreError, Suppression, SuppressionReason};
use aws_sdk_dynamodb::primitives::{DateTime, DateTimeFormat};
use std::time::Duration;

pub const USAGE: &str = "usage: otp suppression show <email>
       otp suppression add <email> [--days N] [--reason manual|bounce|complaint]
       otp suppression lift <email>";

/// Longest suppression `add` makes, in days (as the settings' lengths).
const MAX_DAYS: u64 = 3650;
const DAY: u64 = 24 * 3600;

/// A command, its address parsed.
#[derive(Debug, PartialEq)]
pub enum Command {
    Show(Email),
    /// `days`: `None` for the reason's default length.
    Add {
        email: Email,
        days: Option<u64>,
        reason: SuppressionReason,
    },
    Lift(Email),
}

/// Reads the words after `otp suppression`; an error is the line to print.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let [verb, address, options @ ..] = args else {
        return Err(USAGE.into());
    };
    let email = Email::parse(address).map_err(|_| format!("`{address}` is not an address"))?;
    match (verb.as_str(), options) {
        ("show", []) => Ok(Command::Show(email)),
        ("lift", []) => Ok(Command::Lift(email)),
        ("add", options) => {
            let (mut days, mut reason) = (None, SuppressionReason::Manual);
            let mut options = options.iter();
            while let Some(option) = options.next() {
                let value = options
                    .next()
                    .ok_or_else(|| format!("{option} needs a value"))?;
                match option.as_str() {
                    "--days" => {
                        days = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|d| (1..=MAX_DAYS).contains(d))
                                .ok_or_else(|| {
                                    format!("--days must be a whole number from 1 to {MAX_DAYS}")
                                })?,
                        )
                    }
                    "--reason" => {
                        reason = SuppressionReason::parse(value).ok_or_else(|| {
                            "--reason must be manual, bounce or complaint".to_owned()
                        })?
                    }
                    _ => return Err(USAGE.into()),
                }
            }
            Ok(Command::Add {
                email,
                days,
                reason,
            })
        }
        _ => Err(USAGE.into()),
    }
}

/// Runs `command`; returns the line to print, or an error line that is the
/// operator's to fix.
pub async fn run(list: &SuppressionList, command: &Command) -> Result<String, CommandError> {
    Ok(match command {
        Command::Show(email) => describe(email, list.show(email).await?, list.now()),
        Command::Add {
            email,
            days,
            reason,
        } => {
            let length = match days {
                Some(days) => Duration::from_secs(days * DAY),
                None => list.default_length(*reason),
            };
            if length.is_zero() {
                return Err(CommandError::Usage(format!(
                    "{} suppressions are turned off by the settings: give --days",
                    reason.as_str()
                )));
            }
            let written = list.suppress_for(email, *reason, length).await?;
            let now = describe(email, list.show(email).await?, list.now());
            if written {
                now
            } else {
                format!("{now}; it ends no earlier than the one asked for, so it stands")
            }
        }
        Command::Lift(email) if list.lift(email).await? => format!(
            "{}: suppression lifted, codes are sent again",
            email.suppression_key()
        ),
        Command::Lift(email) => format!("{}: was not suppressed", email.suppression_key()),
    })
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(email: &Email, found: Option<Suppression>, now: u64) -> String {
    let key = email.suppression_key();
    match found {
        None => format!("{key}: not suppressed"),
        Some(s) if s.until <= now => format!(
            "{key}: not suppressed (a {} suppression ended {})",
            s.reason.as_str(),
            date(s.until)
        ),
        Some(s) => format!(
            "{key}: suppressed until {} ({} {}, {} days left)",
            date(s.until),
            match s.reason {
                SuppressionReason::Manual => "manual, added",
                SuppressionReason::Bounce => "bounce reported",
                SuppressionReason::Complaint => "complaint reported",
            },
            date(s.since),
            (s.until - now).div_ceil(DAY)
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
    use crate::domain::{CodeHasher, ManualClock};
    use crate::store::MemoryStore;
    use crate::suppression::SuppressionSettings;
    use std::sync::Arc;

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
        assert_eq!(
            parse(&args(&["show", "a@example.com", "--days", "3"])),
            Err(USAGE.into())
        );
        assert!(parse(&args(&["show", "nobody"])).is_err());
    }

    #[test]
    fn add_takes_a_length_and_a_reason() {
        let ann = Email::parse("ann@example.com").unwrap();
        let add = |words: &[&str]| parse(&args(&[&["add", "ann@example.com"], words].concat()));
        assert_eq!(
            add(&[]),
            Ok(Command::Add {
                email: ann.clone(),
                days: None,
                reason: SuppressionReason::Manual
            })
        );
        assert_eq!(
            add(&["--reason", "complaint", "--days", "3650"]),
            Ok(Command::Add {
                email: ann,
                days: Some(3650),
                reason: SuppressionReason::Complaint
            })
        );
        for bad in [
            &["--days", "0"][..],
            &["--days", "3651"],
            &["--days", "-1"],
            &["--days", "1.5"],
            &["--days"],
            &["--reason", "spite"],
            &["--until", "2030-01-01"],
        ] {
            assert!(add(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_suppression_reads_with_dates() {
        let email = Email::parse("Ann@example.com").unwrap();
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
        let manual = Suppression {
            reason: SuppressionReason::Manual,
            ..s
        };
        assert_eq!(
            describe(&email, Some(manual), 1_799_999_999),
            "ann@example.com: suppressed until 2027-01-15T08:00:00Z \
             (manual, added 2026-10-17T08:00:00Z, 1 days left)"
        );
        let tagged = Email::parse("ann+x@example.com").unwrap();
        assert_eq!(
            describe(&tagged, None, 0),
            "ann+x@example.com: not suppressed"
        );
    }

    /// `add` writes for the length asked, keeps a longer suppression, and
    /// refuses a kind the settings turned off unless given a length.
    #[tokio::test]
    async fn add_suppresses_for_the_days_asked() {
        let clock = ManualClock::new(1_792_224_000);
        let list = SuppressionList::new(
            Arc::new(MemoryStore::new()),
            CodeHasher::ephemeral(),
            Arc::new(clock.clone()),
            SuppressionSettings {
                complaint: Duration::ZERO,
                ..SuppressionSettings::default()
            },
        );
        let run = |words: &[&str]| {
            let command = parse(&args(words)).unwrap();
            let list = &list;
            async move { run(list, &command).await }
        };
        assert_eq!(
            run(&["add", "Ann+X@example.com", "--days", "7"])
                .await
                .unwrap(),
            "ann+x@example.com: suppressed until 2026-10-24T08:00:00Z \
             (manual, added 2026-10-17T08:00:00Z, 7 days left)"
        );
        assert_eq!(
            run(&["show", "ann@example.com"]).await.unwrap(),
            "ann@example.com: not suppressed"
        );
        assert_eq!(
            run(&[
                "add",
                "ann+x@example.com",
                "--days",
                "2",
                "--reason",
                "bounce"
            ])
            .await
            .unwrap(),
            "ann+x@example.com: suppressed until 2026-10-24T08:00:00Z \
             (manual, added 2026-10-17T08:00:00Z, 7 days left); \
             it ends no earlier than the one asked for, so it stands"
        );
        let off = run(&["add", "bob@example.com", "--reason", "complaint"]).await;
        assert!(
            matches!(&off, Err(CommandError::Usage(line)) if line.contains("--days")),
            "{off:?}"
        );
        assert_eq!(
            run(&["add", "bob@example.com"]).await.unwrap(),
            "bob@example.com: suppressed until 2027-01-15T08:00:00Z \
             (manual, added 2026-10-17T08:00:00Z, 90 days left)"
        );
    }
}
