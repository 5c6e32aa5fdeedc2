//! Publishing rendered reports whole. Each audience and language renders
//! into a staging folder beside its target (`reports/.staging-NAME-PID`);
//! only when everything in it is written does it replace `reports/NAME`:
//! the old folder is renamed aside, the staging folder renamed in, the old
//! one removed. A reader sees the old reports or the new ones, never a mix;
//! a crash leaves at most a hidden folder, which the next render removes.
//!
//! A published folder carries its command's marker (`crate::outdir`), and
//! only a folder with that marker (or none at all) is ever replaced.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::fsutil::{fault_point, sync_dir};
use crate::outdir;

pub struct Staging {
    pub dir: PathBuf,
    target: PathBuf,
    aside: PathBuf,
}

impl Staging {
    /// Stages `reports/name` for `command` (`report`, `forms`). A folder of
    /// that name holding files that are not `command`'s output is refused
    /// before anything is written.
    pub fn new(reports: &Path, name: &str, command: &str) -> Result<Staging> {
        if reports.exists() && !reports.is_dir() {
            anyhow::bail!(
                "{} is a file, not a folder; point paths.reports at a folder",
                reports.display()
            );
        }
        std::fs::create_dir_all(reports)
            .with_context(|| format!("cannot create the reports folder {}", reports.display()))?;
        let target = reports.join(name);
        outdir::check_owned("the folder", &target, command)?;
        let pid = std::process::id();
        let dir = reports.join(format!(".staging-{name}-{pid}"));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        outdir::mark(&dir, command)?;
        Ok(Staging {
            target,
            aside: reports.join(format!(".old-{name}-{pid}")),
            dir,
        })
    }

    /// Swaps the staged folder in for the published one.
    pub fn publish(self) -> Result<PathBuf> {
        fault_point("report-staged");
        if self.target.exists() {
            std::fs::rename(&self.target, &self.aside).with_context(|| {
                format!("cannot move the previous {} aside", self.target.display())
            })?;
        }
        std::fs::rename(&self.dir, &self.target)
            .with_context(|| format!("cannot publish {}", self.target.display()))?;
        if let Some(parent) = self.target.parent() {
            sync_dir(parent);
        }
        if self.aside.exists() {
            std::fs::remove_dir_all(&self.aside)
                .with_context(|| format!("cannot remove {}", self.aside.display()))?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    /// A render that failed leaves nothing behind.
    fn drop(&mut self) {
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Removes hidden leftovers of renders that were killed (their pid, the
/// last part of the name, is gone).
pub fn clean_leftovers(reports: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(reports) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ours = name.starts_with(".staging-") || name.starts_with(".old-");
        // Only folders pingyi marked (or an empty one a crash left before
        // its marker): a user's own `.old-notes-1` is not ours to remove.
        if path.is_dir() && ours && outdir::made_by_pingyi(&path) {
            // Another render working beside this one keeps its folders.
            let pid = name.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(crate::lock::alive) {
                continue;
            }
            restore_or_remove(&path, &name)?;
        }
    }
    Ok(())
}

/// A `.old-NAME-PID` whose NAME is missing was moved aside by a render killed
/// between its two renames: put it back, so the last good reports show.
fn restore_or_remove(path: &Path, name: &str) -> Result<()> {
    if let Some(rest) = name.strip_prefix(".old-") {
        let published = rest.rsplit_once('-').map_or(rest, |(n, _)| n);
        let target = path.with_file_name(published);
        if !target.exists() {
            return std::fs::rename(path, &target)
                .with_context(|| format!("cannot restore {}", target.display()));
        }
    }
    std::fs::remove_dir_all(path).with_context(|| format!("cannot remove {}", path.display()))
}
