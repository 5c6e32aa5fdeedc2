//! What a run does with its input files, which it never modifies: a refused
//! file is recorded in `warehouse/rejected/` by a reason file naming its
//! path and SHA-256 (not copied: it may hold rater ids in clear, which the
//! warehouse never stores);
//! with `--archive DIR`, files whose content is committed are moved there
//! after the commit (their place below the inbox kept).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::ingest::FileReport;
use crate::warehouse::FileStatus;

pub const REJECTED: &str = "rejected";

/// Writes `warehouse/rejected/NAME.reason.txt` for each newly refused file:
/// where it is, its SHA-256 and why. Returns the paths written.
pub fn reject(warehouse: &Path, files: &[FileReport]) -> Result<Vec<PathBuf>> {
    let dir = warehouse.join(REJECTED);
    let mut written = Vec::new();
    for f in files.iter().filter(|f| f.status == FileStatus::Refused) {
        let src = Path::new(&f.path);
        let name = src
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let reason = dir.join(format!("{name}.reason.txt"));
        let text = format!(
            "file: {}\nsha256: {}\nrefused: {}\n\nThe file is not copied here (it may hold rater ids in clear); it stays where it is.\nFix the file (or add aliases under [columns] in pingyi.toml) and put it in the inbox again.\n",
            f.path, f.sha256, f.message
        );
        std::fs::write(&reason, text)
            .with_context(|| format!("cannot write {}", reason.display()))?;
        written.push(reason);
    }
    Ok(written)
}

/// Moves committed inputs (ingested now or before) from below `inbox` to
/// the same place below `archive`. Files outside the inbox stay.
pub fn archive(inbox: &Path, archive: &Path, files: &[FileReport]) -> Result<usize> {
    let mut moved = 0;
    for f in files.iter().filter(|f| f.status.committed()) {
        let src = absolute(Path::new(&f.path));
        let Ok(rel) = src.strip_prefix(absolute(inbox)) else {
            continue;
        };
        let dest = archive.join(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // Across file systems rename fails: copy, then remove the original.
        if std::fs::rename(&src, &dest).is_err() {
            std::fs::copy(&src, &dest).with_context(|| {
                format!("cannot archive {} to {}", src.display(), dest.display())
            })?;
            std::fs::remove_file(&src)
                .with_context(|| format!("cannot remove archived {}", src.display()))?;
        }
        moved += 1;
    }
    Ok(moved)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
