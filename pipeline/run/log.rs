//! Logging of `pingyi run`: JSON lines appended to `warehouse/logs/pingyi.log`
//! (everything at info and above, for machines and later reading), and
//! human lines on stderr: warnings and errors only when stderr is not a
//! terminal (cron mails whatever a job prints), progress too on a terminal
//! or with `--verbose`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, Result};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{fmt, Layer};

pub const FILE: &str = "logs/pingyi.log";

/// `PINGYI_LOG=debug` (or `trace`, `info`, …) sets what the terminal
/// shows: `debug` adds the timings of the period pass's parts, for
/// profiling (BENCHMARKS.md). Unset or not a level: the default.
fn level_from_env() -> Option<LevelFilter> {
    std::env::var("PINGYI_LOG").ok()?.parse().ok()
}

/// Installs the subscriber for this process; returns the log file's path.
pub fn init(warehouse: &Path, verbose: bool) -> Result<PathBuf> {
    let path = warehouse.join(FILE);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot open the log {}", path.display()))?;
    let loud = verbose || std::io::stderr().is_terminal();
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_ansi(std::io::stderr().is_terminal())
        .with_filter(if let Some(level) = level_from_env() {
            level
        } else if loud {
            LevelFilter::INFO
        } else {
            LevelFilter::WARN
        });
    let json = fmt::layer()
        .json()
        .with_writer(Mutex::new(file))
        .with_target(false)
        .with_filter(LevelFilter::INFO);
    let subscriber = tracing_subscriber::registry().with(stderr).with(json);
    // A second init in one process (tests) keeps the first.
    let _ = tracing::subscriber::set_global_default(subscriber);
    Ok(path)
}
