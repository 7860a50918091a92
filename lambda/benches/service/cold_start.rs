//! Cold start: from spawning a fresh process to its first `200` on
//! `/api/health`. The port is polled in a tight loop (connect, request,
//! status line), so the figure is the server's start-up plus microseconds.

use crate::server::{command, free_addr, health_is_ok};
use crate::{Options, ms, percentile, result};
use anyhow::Context;
use std::time::{Duration, Instant};

/// A start that takes this long is broken, not slow.
const GIVE_UP: Duration = Duration::from_secs(10);

pub(crate) fn run(options: &Options) -> anyhow::Result<()> {
    let mut ready = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        ready.push(once(options)?);
    }
    ready.sort();
    result("cold_start_runs", ready.len());
    result("cold_start_median_ms", ms(percentile(&ready, 0.5)));
    result("cold_start_min_ms", ms(ready[0]));
    result("cold_start_max_ms", ms(ready[ready.len() - 1]));
    Ok(())
}

fn once(options: &Options) -> anyhow::Result<Duration> {
    let addr = free_addr()?;
    let mut command = command(&options.bin, addr);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", options.bin.display()))?;
    let mut polls = 0u64;
    let outcome = loop {
        if let Ok(true) = health_is_ok(addr) {
            break Ok(started.elapsed());
        }
        polls += 1;
        // Checking the child costs a system call; often enough to notice a
        // crash quickly, rarely enough not to slow the loop.
        if polls.is_multiple_of(256) {
            if let Some(status) = child.try_wait()? {
                break Err(anyhow::anyhow!(
                    "the server exited during start-up ({status})"
                ));
            }
            if started.elapsed() > GIVE_UP {
                break Err(anyhow::anyhow!("no 200 on /api/health within {GIVE_UP:?}"));
            }
        }
        std::thread::yield_now();
    };
    let _ = child.kill();
    child.wait()?;
    outcome
}
