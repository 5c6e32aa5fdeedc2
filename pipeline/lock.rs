//! The warehouse lock: one writer at a time (`run`, `ingest`, `compute`,
//! `report`). The lock is a file created exclusively in the warehouse,
//! holding the owner's pid; a lock whose process is gone (killed, machine
//! rebooted) is stale and taken over.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub const LOCK: &str = ".pingyi.lock";

/// Another pingyi holds the warehouse (exit code `ALREADY_RUNNING`).
#[derive(Debug, thiserror::Error)]
#[error("another pingyi (pid {pid}, started {started}) is working on {warehouse}; this one stops. If no pingyi is running, remove {lock}")]
pub struct Busy {
    pub pid: u32,
    pub started: String,
    pub warehouse: String,
    pub lock: String,
}

impl crate::exit::Coded for Busy {
    const CODE: u8 = crate::exit::ALREADY_RUNNING;
}

/// Held while alive; removes the lock file when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    pub fn acquire(warehouse: &Path) -> Result<Lock> {
        std::fs::create_dir_all(warehouse)
            .with_context(|| format!("cannot create warehouse folder {}", warehouse.display()))?;
        let path = warehouse.join(LOCK);
        // Two tries: the second after removing a stale lock.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    writeln!(f, "{} {}", std::process::id(), crate::fsutil::now_utc())
                        .and_then(|()| f.sync_all())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let (pid, started) = owner(&path);
                    if pid.is_some_and(alive) {
                        return Err(Busy {
                            pid: pid.unwrap_or(0),
                            started,
                            warehouse: warehouse.display().to_string(),
                            lock: path.display().to_string(),
                        }
                        .into());
                    }
                    tracing::warn!(lock = %path.display(), ?pid, "taking over a stale lock");
                    let _ = std::fs::remove_file(&path);
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()))
                }
            }
        }
        anyhow::bail!(
            "cannot take the lock {}: it keeps reappearing",
            path.display()
        )
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The pid and start time written in a lock file (pid None if unreadable:
/// a lock killed while being written is stale).
fn owner(path: &Path) -> (Option<u32>, String) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut parts = text.split_whitespace();
    let pid = parts.next().and_then(|p| p.parse().ok());
    (pid, parts.next().unwrap_or("?").to_string())
}

/// Whether a process with this pid exists (Linux: /proc). Elsewhere a lock
/// is assumed live, and the message says how to remove it.
pub fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}
