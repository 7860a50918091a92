//! The mailer for local runs: nothing leaves the machine. Each message is
//! written to the outbox directory as an `.eml` file (open it in any mail
//! client to see exactly what would have been sent), and one line with the
//! code goes to the developer's terminal.
//!
//! That line is printed on stdout, not through `tracing`: logs must never
//! carry codes, while stdout of a local run is the developer's own terminal.

use super::message::MessageTemplate;
use super::{CodeMessage, MailError, Mailer};
use async_trait::async_trait;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

pub struct OutboxMailer {
    dir: PathBuf,
    template: MessageTemplate,
}

impl OutboxMailer {
    /// `dir` is created on the first send if it does not exist.
    pub fn new(dir: PathBuf, template: MessageTemplate) -> OutboxMailer {
        OutboxMailer { dir, template }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    #[tracing::instrument(skip_all, fields(to = %message.to.masked()))]
    async fn send_code(&self, message: &CodeMessage) -> Result<(), MailError> {
        let mail = self.template.build(message)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| MailError::new(format!("cannot create {}: {e}", self.dir.display())))?;
        let path = self.dir.join(file_name());
        // Written under a temporary name and renamed, so whoever watches the
        // directory never opens half a message.
        let partial = path.with_extension("eml.part");
        tokio::fs::write(&partial, mail.formatted())
            .await
            .map_err(|e| MailError::new(format!("cannot write {}: {e}", partial.display())))?;
        tokio::fs::rename(&partial, &path)
            .await
            .map_err(|e| MailError::new(format!("cannot write {}: {e}", path.display())))?;
        println!(
            "code {} for {} (expires in {} min) -> {}",
            message.code.expose(),
            message.to.masked(),
            message.expires_in_minutes,
            path.display()
        );
        Ok(())
    }
}

/// `<unix-millis>-<random>.eml`: sorts by time, never collides.
fn file_name() -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("{millis}-{:08x}.eml", rand::random::<u32>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Code, Email};
    use std::path::Path;

    /// A directory of its own under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            TempDir(std::env::temp_dir().join(format!("otp-outbox-{:016x}", rand::random::<u64>())))
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mailer(dir: PathBuf) -> OutboxMailer {
        let template = MessageTemplate {
            from: "Example <no-reply@example.com>".parse().unwrap(),
            product: "Example".into(),
            web_host: "localhost".into(),
        };
        OutboxMailer::new(dir, template)
    }

    fn message(code: &str) -> CodeMessage {
        CodeMessage {
            to: Email::parse("ann@example.com").unwrap(),
            code: Code::parse(code).unwrap(),
            expires_in_minutes: 10,
            language: otp_api::locale::SOURCE,
            app: None,
        }
    }

    fn eml_files(dir: &Path) -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect()
    }

    #[tokio::test]
    async fn send_writes_one_eml_file_with_the_code() {
        let tmp = TempDir::new();
        // A directory that does not exist yet, nested, is created.
        let dir = tmp.0.join("outbox");
        mailer(dir.clone())
            .send_code(&message("042137"))
            .await
            .unwrap();

        let files = eml_files(&dir);
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".eml"), "{name}");
        let mail = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            mail.contains("Subject: 042137 is your Example verification code"),
            "{mail}"
        );
        assert!(mail.contains("@localhost #042137"), "{mail}");
    }

    #[tokio::test]
    async fn each_send_gets_its_own_file() {
        let tmp = TempDir::new();
        let outbox = mailer(tmp.0.clone());
        outbox.send_code(&message("111111")).await.unwrap();
        outbox.send_code(&message("222222")).await.unwrap();
        let files = eml_files(&tmp.0);
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(
            files
                .iter()
                .all(|f| f.extension().is_some_and(|e| e == "eml"))
        );
    }

    #[tokio::test]
    async fn an_unwritable_outbox_is_an_error() {
        let tmp = TempDir::new();
        std::fs::write(&tmp.0, b"a file, not a directory").unwrap();
        let result = mailer(tmp.0.join("outbox"))
            .send_code(&message("042137"))
            .await;
        let _ = std::fs::remove_file(&tmp.0);
        assert!(result.is_err());
    }
}
