//! [`Inbox`]: the messages a service sent, read back from maildev (its REST
//! API) or from the outbox folder.

use otp::domain::Email;
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::{Instant, sleep};

/// How long a message may take to arrive before the test fails.
const ARRIVAL: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// Where the app's messages can be read back.
#[derive(Clone)]
pub enum Inbox {
    Maildev { api: String },
    Outbox { dir: PathBuf },
}

/// Every message maildev holds, oldest first.
async fn maildev_emails(api: &str) -> Vec<Value> {
    reqwest::Client::new()
        .get(format!("{api}/api/email"))
        .send()
        .await
        .expect("maildev answers")
        .json()
        .await
        .expect("maildev lists emails")
}

impl Inbox {
    /// Waits until `count` messages reached `to`, returns the code of the newest.
    pub async fn wait_for_code(&self, to: &str, count: usize) -> String {
        let deadline = Instant::now() + ARRIVAL;
        loop {
            let subjects = self.subjects(to).await;
            if subjects.len() >= count {
                let subject = subjects.last().unwrap();
                return subject
                    .split_whitespace()
                    .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
                    .unwrap_or_else(|| panic!("no code in subject {subject:?}"))
                    .to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) to {to} did not arrive; got {}",
                subjects.len()
            );
            sleep(POLL).await;
        }
    }

    /// The newest message to `to` as maildev parsed it (see
    /// [`Inbox::maildev_messages`]), once one has arrived.
    pub async fn wait_for_message(&self, to: &str) -> Value {
        let deadline = Instant::now() + ARRIVAL;
        loop {
            let messages = self
                .maildev_messages(to)
                .await
                .expect("messages read from maildev");
            if let Some(newest) = messages.last() {
                return newest.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no message to {to} arrived within {ARRIVAL:?}"
            );
            sleep(POLL).await;
        }
    }

    /// The recipient of every message in the inbox, whoever sent it.
    pub async fn recipients(&self) -> Vec<String> {
        match self {
            Inbox::Maildev { api } => maildev_emails(api)
                .await
                .iter()
                .flat_map(|e| e["to"].as_array().cloned().unwrap_or_default())
                .filter_map(|to| to["address"].as_str().map(str::to_owned))
                .collect(),
            Inbox::Outbox { dir } => std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|text| {
                    text.lines()
                        .find_map(|l| l.strip_prefix("To: "))
                        .map(str::to_owned)
                })
                .collect(),
        }
    }

    /// The messages to `to` as maildev parsed them (`subject`, `text`,
    /// `html`, `headers`), oldest first; `None` without maildev.
    pub async fn maildev_messages(&self, to: &str) -> Option<Vec<Value>> {
        let Inbox::Maildev { api } = self else {
            return None;
        };
        // maildev shows the address as it parsed it (IDN domains in
        // Unicode, local part as sent): compare normalized forms.
        let wanted = Email::parse(to).expect("a valid address");
        let mut emails = maildev_emails(api).await;
        emails.retain(|e| {
            e["to"].as_array().into_iter().flatten().any(|t| {
                t["address"]
                    .as_str()
                    .and_then(|a| Email::parse(a).ok())
                    .is_some_and(|a| a == wanted)
            })
        });
        Some(emails)
    }

    /// Subjects of the messages to `to`, oldest first.
    pub async fn subjects(&self, to: &str) -> Vec<String> {
        match self {
            Inbox::Maildev { .. } => self
                .maildev_messages(to)
                .await
                .unwrap_or_default()
                .iter()
                .map(|e| e["subject"].as_str().unwrap_or_default().to_owned())
                .collect(),
            Inbox::Outbox { dir } => {
                let mut found = Vec::new();
                let Ok(entries) = std::fs::read_dir(dir) else {
                    return found;
                };
                let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                paths.sort();
                for path in paths {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    // Domains ignore case, and servers treat local parts
                    // the same way: `Ann@` and `ann@` are one inbox.
                    let to = to.to_ascii_lowercase();
                    let to_line =
                        |l: &str| l.starts_with("To:") && l.to_ascii_lowercase().contains(&to);
                    if !text.lines().any(to_line) {
                        continue;
                    }
                    if let Some(subject) = text.lines().find_map(|l| l.strip_prefix("Subject: ")) {
                        found.push(subject.to_owned());
                    }
                }
                found
            }
        }
    }
}
