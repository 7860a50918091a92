//! The binary under test as a child process on a free loopback port.

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// Long enough for a first start that creates the table in DynamoDB Local.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// A loopback address nobody listens on right now.
pub(crate) fn free_addr() -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("no free loopback port")?;
    Ok(listener.local_addr()?)
}

/// `otp` with this process's environment and `OTP_BIND=addr`; its fatal
/// errors reach our stderr, its logs (stdout) go where the caller says.
pub(crate) fn command(bin: &Path, addr: SocketAddr) -> Command {
    let mut command = Command::new(bin);
    command
        .env("OTP_BIND", addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// One `GET /api/health` on a fresh connection: `Ok(true)` for a `200`.
/// Raw TCP, so that polling costs microseconds and measures the server only.
pub(crate) fn health_is_ok(addr: SocketAddr) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream
        .write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    Ok(&head == b"HTTP/1.1 200")
}

/// A running server, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Starts the server and waits until it answers `/api/health`. With
    /// `codes`, the outbox's `code NNNNNN for …` lines on stdout are
    /// forwarded, in order, to the returned receiver.
    pub(crate) fn start(
        bin: &Path,
        codes: bool,
    ) -> anyhow::Result<(Server, Option<Receiver<String>>)> {
        Server::start_at(bin, free_addr()?, codes, &[])
    }

    /// [`Server::start`] on `addr`, with `env` added to the environment
    /// (settings that name the server's own address, such as its issuer).
    pub(crate) fn start_at(
        bin: &Path,
        addr: SocketAddr,
        codes: bool,
        env: &[(&str, &str)],
    ) -> anyhow::Result<(Server, Option<Receiver<String>>)> {
        let mut command = command(bin, addr);
        command.envs(env.iter().copied());
        if codes {
            command.stdout(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let receiver = child.stdout.take().map(|stdout| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(rest) = line.strip_prefix("code ") {
                        let code: String = rest.chars().take(6).collect();
                        if tx.send(code).is_err() {
                            break;
                        }
                    }
                }
            });
            rx
        });
        let mut server = Server { child, addr };
        server.wait_ready()?;
        Ok((server, receiver))
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited during start-up ({status})");
            }
            if matches!(health_is_ok(self.addr), Ok(true)) {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!("the server did not answer /api/health within {READY_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Peak resident set size so far, in KiB (`VmHWM`).
    pub(crate) fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        status_kib(self.child.id(), "VmHWM:")
    }

    /// Current resident set size, in KiB (`VmRSS`).
    pub(crate) fn rss_kib(&self) -> anyhow::Result<u64> {
        status_kib(self.child.id(), "VmRSS:")
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_kib(pid: u32, field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .with_context(|| format!("no {field} in /proc/{pid}/status"))?;
    let kib = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?;
    Ok(kib)
}
