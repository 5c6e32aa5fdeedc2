//! A part of the period pass timed at debug level (`PINGYI_LOG=debug`),
//! so a profile of compute at scale needs no profiler.

use anyhow::Result;

/// `f`'s result, its time logged at debug level.
pub(super) fn timed<T>(part: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let started = std::time::Instant::now();
    let out = f();
    let seconds = started.elapsed().as_secs_f64();
    tracing::debug!(part, seconds, "period part");
    out
}
