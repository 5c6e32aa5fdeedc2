//! Seals of the files the manifest lists: each file's size and SHA-256,
//! recorded when the batch (or compute) that wrote it commits. A truncated
//! or damaged file is then found and named — by a quick check (size and
//! Parquet magic bytes) before every scan and at the start of every run,
//! and by a full check of every hash with `pingyi status --verify` —
//! instead of surfacing as polars' "expected parquet magic bytes PAR1"
//! with no file name.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Manifest;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    pub bytes: u64,
    pub sha256: String,
}

/// A listed file that is missing, of the wrong size, not Parquet, or whose
/// bytes changed. Exit code 7 (`exit::DAMAGED`).
#[derive(Debug, thiserror::Error)]
#[error("warehouse file {path} is damaged: {problem}; {}", fix(.derived))]
pub struct Damaged {
    pub path: String,
    pub problem: String,
    /// A metrics file: derived from the other tables, so recomputing
    /// replaces it and no backup is needed.
    pub derived: bool,
}

/// The remedy: metrics are rebuilt from the tables they are computed from;
/// anything else holds data only a backup has.
fn fix(derived: &bool) -> &'static str {
    if *derived {
        "it is a metrics table, derived from the others: `pingyi compute` (or the next `pingyi run`) writes it anew"
    } else {
        "restore the warehouse folder from a backup (`pingyi status --verify` checks every file)"
    }
}

/// Whether a listed file is a metrics table's (rebuilt by compute).
pub fn is_derived(rel: &str) -> bool {
    rel.starts_with("metrics/")
}

impl crate::exit::Coded for Damaged {
    const CODE: u8 = crate::exit::DAMAGED;
}

/// Seals every listed file that has none (the files just written) and
/// drops the seals of files no longer listed.
pub fn seal_new(root: &Path, m: &mut Manifest) -> Result<()> {
    let listed: std::collections::BTreeSet<String> = m.tables.values().flatten().cloned().collect();
    m.seals.retain(|f, _| listed.contains(f));
    let new: Vec<String> = listed
        .into_iter()
        .filter(|rel| !m.seals.contains_key(rel))
        .collect();
    // Hashed side by side: at commit nothing else runs (a batch of ten
    // million ratings writes ~200 files).
    let sealed = new
        .into_par_iter()
        .map(|rel| {
            let path = root.join(&rel);
            let bytes = std::fs::metadata(&path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
                .len();
            let sha256 = crate::fsutil::sha256_file(&path)?;
            Ok((rel, Seal { bytes, sha256 }))
        })
        .collect::<Result<Vec<_>>>()?;
    m.seals.extend(sealed);
    Ok(())
}

/// Cheap checks of one listed file: present, of its sealed size, and for
/// Parquet starting and ending with the magic bytes `PAR1`.
pub fn quick_check(root: &Path, m: &Manifest, rel: &str) -> Result<(), Damaged> {
    let damaged = |problem: String| Damaged {
        path: root.join(rel).display().to_string(),
        problem,
        derived: is_derived(rel),
    };
    let path = root.join(rel);
    let size = match std::fs::metadata(&path) {
        Ok(md) => md.len(),
        Err(e) => return Err(damaged(format!("cannot be read ({e})"))),
    };
    if let Some(seal) = m.seals.get(rel) {
        if seal.bytes != size {
            return Err(damaged(format!(
                "{size} bytes, the manifest recorded {}",
                seal.bytes
            )));
        }
    }
    if rel.ends_with(".parquet") && !parquet_magic(&path, size) {
        return Err(damaged(
            "not a whole Parquet file (no PAR1 magic bytes at its start and end)".into(),
        ));
    }
    Ok(())
}

fn parquet_magic(path: &Path, size: u64) -> bool {
    if size < 12 {
        return false;
    }
    let read = || -> std::io::Result<([u8; 4], [u8; 4])> {
        let mut f = std::fs::File::open(path)?;
        let (mut head, mut tail) = ([0u8; 4], [0u8; 4]);
        f.read_exact(&mut head)?;
        f.seek(SeekFrom::End(-4))?;
        f.read_exact(&mut tail)?;
        Ok((head, tail))
    };
    read().is_ok_and(|(h, t)| &h == b"PAR1" && &t == b"PAR1")
}

/// The quick check of every listed file: the first damaged one, named.
pub fn quick_check_all(root: &Path, m: &Manifest) -> Result<(), Damaged> {
    m.tables
        .values()
        .flatten()
        .try_for_each(|rel| quick_check(root, m, rel))
}

/// The quick check of the files only a backup can restore (every table
/// but the metrics): what a run needs whole before it starts.
pub fn quick_check_data(root: &Path, m: &Manifest) -> Result<(), Damaged> {
    m.tables
        .values()
        .flatten()
        .filter(|rel| !is_derived(rel))
        .try_for_each(|rel| quick_check(root, m, rel))
}

/// Whether some metrics file fails the quick check (compute rebuilds it).
pub fn metrics_damaged(root: &Path, m: &Manifest) -> bool {
    m.tables
        .values()
        .flatten()
        .filter(|rel| is_derived(rel))
        .any(|rel| quick_check(root, m, rel).is_err())
}

/// The full check of every listed file: quick check, then its SHA-256
/// against the seal. Returns (files checked, the damaged ones).
pub fn verify(root: &Path, m: &Manifest) -> (usize, Vec<Damaged>) {
    let files: Vec<&String> = m.tables.values().flatten().collect();
    let damaged = files
        .iter()
        .filter_map(|rel| {
            if let Err(d) = quick_check(root, m, rel) {
                return Some(d);
            }
            let seal = m.seals.get(*rel)?;
            match crate::fsutil::sha256_file(&root.join(rel)) {
                Ok(h) if h == seal.sha256 => None,
                Ok(h) => Some(Damaged {
                    path: root.join(rel).display().to_string(),
                    problem: format!("its SHA-256 is {h}, the manifest recorded {}", seal.sha256),
                    derived: is_derived(rel),
                }),
                Err(e) => Some(Damaged {
                    path: root.join(rel).display().to_string(),
                    problem: format!("{e:#}"),
                    derived: is_derived(rel),
                }),
            }
        })
        .collect();
    (files.len(), damaged)
}
