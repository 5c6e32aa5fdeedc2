//! `pingyi ingest`: rating exports, rosters and ledgers into the warehouse.
//!
//! A batch: find the files; skip those already ingested (same SHA-256);
//! open each, decide its kind, refuse it whole on a file-level problem;
//! process rosters first (ratings are checked against them), then ledgers
//! and ratings; write the staged files; commit the manifest last.

mod batch;
mod coded;
pub(crate) mod csv;
mod decode;
mod dedupe;
mod exprs;
pub mod fuzz;
mod input;
mod jsonl;
mod mapping;
mod parallel;
pub mod plain;
mod prepare;
mod privacy;
mod quarantine;
mod ratings;
mod table;
mod validate;
mod xlsx;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

pub use input::Hints;

use crate::config::Config;
use crate::contract::Kind;
use crate::warehouse::{
    write_csv_bom, write_parquet, BatchRecord, FileRecord, FileStatus, Manifest, Warehouse,
};

#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub path: String,
    /// SHA-256 of the file's bytes (empty for files that are not exports).
    pub sha256: String,
    pub status: FileStatus,
    pub kind: Option<String>,
    pub rows: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The committed batch, or None when there was nothing new.
    pub batch: Option<u32>,
    pub files: Vec<FileReport>,
    pub quarantine_csv: Option<String>,
}

impl Report {
    pub fn quarantined(&self) -> u64 {
        self.files.iter().map(|f| f.quarantined).sum()
    }

    pub fn refused(&self) -> usize {
        self.files.iter().filter(|f| f.status == FileStatus::Refused).count()
    }
}

/// A committed file's report says what its manifest record says.
impl From<&FileRecord> for FileReport {
    fn from(r: &FileRecord) -> FileReport {
        FileReport {
            path: r.path.clone(),
            sha256: r.sha256.clone(),
            status: r.status,
            kind: r.kind.clone(),
            rows: r.rows,
            accepted: r.accepted,
            quarantined: r.quarantined,
            quarantined_by_reason: r.quarantined_by_reason.clone(),
            message: r.message.clone(),
        }
    }
}

/// The run record keeps each file's report, without the counts by reason.
impl From<&FileReport> for crate::warehouse::runs::Input {
    fn from(f: &FileReport) -> Self {
        Self {
            path: f.path.clone(),
            sha256: f.sha256.clone(),
            status: f.status,
            rows: f.rows,
            accepted: f.accepted,
            quarantined: f.quarantined,
            message: f.message.clone(),
        }
    }
}

/// The report of a file left without a manifest record.
fn report(path: &str, status: FileStatus, message: String) -> FileReport {
    FileReport {
        path: path.to_string(),
        sha256: String::new(),
        status,
        kind: None,
        rows: 0,
        accepted: 0,
        quarantined: 0,
        quarantined_by_reason: BTreeMap::new(),
        message,
    }
}

/// The order files are processed in: what others are checked against first.
fn rank(kind: Kind) -> u8 {
    match kind {
        Kind::Subjects => 0,
        Kind::Raters => 1,
        Kind::Ledger => 2,
        Kind::Ratings => 3,
    }
}

pub fn run(cfg: &Config, wh: &Warehouse, paths: &[PathBuf], hints: &Hints) -> Result<Report> {
    let old = wh.manifest()?;
    // Leftovers of a batch that crashed before its commit are not data.
    wh.collect_garbage(&old)?;
    let (found, other) = input::discover(paths)?;
    let mut files: Vec<FileReport> = other
        .iter()
        .map(|p| {
            report(
                &p.display().to_string(),
                FileStatus::NotAnExport,
                "not a CSV, TSV, XLSX or JSON-lines file; left alone".into(),
            )
        })
        .collect();
    let mut records = Vec::new();
    let mut opened = Vec::new();
    let mut hashes_now: Vec<String> = Vec::new();
    let sizes = sizes(&found)?;
    for ((path, format), &bytes) in found.iter().zip(&sizes) {
        let shown = shown_path(path);
        // Hashing a big file before reading it costs a pass over it: a CSV
        // whose size no other input has cannot repeat one, so its hash is
        // taken while it is read.
        let may_repeat = *format != input::Format::Csv
            || old.may_hold_size(bytes)
            || sizes.iter().filter(|&&b| b == bytes).count() > 1;
        let sha = if may_repeat {
            Some(crate::fsutil::sha256_file(path)?)
        } else {
            None
        };
        let sheet = hints
            .sheet
            .clone()
            .filter(|_| *format == input::Format::Xlsx);
        if let Some(sha) = &sha {
            if let Some(seen) = seen_before(&old, &hashes_now, sha, sheet.as_deref(), &shown) {
                files.push(seen);
                continue;
            }
            hashes_now.push(sha.clone());
        }
        match input::open(cfg, path, *format, hints)? {
            Ok(o) => opened.push((path.clone(), shown, sha, bytes, sheet, o)),
            Err(message) => {
                let sha = sha.map_or_else(|| crate::fsutil::sha256_file(path), Ok)?;
                if old.refused_before(&sha, sheet.as_deref(), &message) {
                    files.push(FileReport {
                        sha256: sha.clone(),
                        ..report(&shown, FileStatus::AlreadyRefused, message)
                    });
                    continue;
                }
                let record = FileRecord {
                    path: shown,
                    sha256: sha,
                    bytes: Some(bytes),
                    sheet: sheet.clone(),
                    kind: None,
                    status: FileStatus::Refused,
                    rows: 0,
                    accepted: 0,
                    quarantined: 0,
                    quarantined_by_reason: BTreeMap::new(),
                    message,
                };
                files.push(FileReport::from(&record));
                records.push(record);
            }
        }
    }
    if opened.is_empty() && records.is_empty() {
        return Ok(Report {
            batch: None,
            files,
            quarantine_csv: None,
        });
    }
    opened.sort_by_key(|o| rank(o.5.mapping.kind));
    let as_of = match hints.as_of {
        Some(d) => d,
        None => crate::cmd::compute::as_of(None, &cfg.report.as_of)?,
    };
    let mut batch = batch::Batch::new(cfg, wh, &old, cfg.date_bounds(as_of))?;
    for (path, shown, sha, bytes, sheet, o) in opened {
        let kind = o.mapping.kind;
        let mut notes = o.notes.clone();
        if !o.mapping.ignored.is_empty() {
            notes.push(format!(
                "columns not used: {}",
                o.mapping.ignored.join(", ")
            ));
        }
        let notes = notes.join("; ");
        let (read_sha, outcome) = batch.file(&path, &shown, o)?;
        let sha = sha.or(read_sha).expect("hashed before or while reading");
        let (status, counts, message) = match outcome {
            Ok(c) => (FileStatus::Ingested, c, notes),
            Err(refusal) if old.refused_before(&sha, sheet.as_deref(), &refusal) => {
                files.push(FileReport {
                    sha256: sha.clone(),
                    ..report(&shown, FileStatus::AlreadyRefused, refusal)
                });
                continue;
            }
            Err(refusal) => (FileStatus::Refused, batch::Counts::default(), refusal),
        };
        let quarantined: u64 = counts.by_reason.values().sum();
        let record = FileRecord {
            path: shown,
            sha256: sha,
            bytes: Some(bytes),
            sheet,
            kind: Some(kind.name().into()),
            status,
            rows: counts.rows,
            accepted: counts.accepted,
            quarantined,
            quarantined_by_reason: counts.by_reason,
            message,
        };
        files.push(FileReport::from(&record));
        records.push(record);
    }
    if records.is_empty() {
        // Everything was refused before, for the same reasons.
        return Ok(Report {
            batch: None,
            files,
            quarantine_csv: None,
        });
    }
    let (manifest, csv) = stage(wh, &old, batch, records)?;
    wh.commit(&manifest)?;
    Ok(Report {
        batch: manifest.batches.last().map(|b| b.id),
        files,
        quarantine_csv: csv,
    })
}

fn sizes(found: &[(PathBuf, input::Format)]) -> Result<Vec<u64>> {
    found
        .iter()
        .map(|(p, _)| {
            Ok(std::fs::metadata(p)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?
                .len())
        })
        .collect()
}

/// The report of a file whose content was ingested before, in an earlier
/// batch or earlier in this one.
fn seen_before(
    old: &Manifest,
    hashes_now: &[String],
    sha: &str,
    sheet: Option<&str>,
    shown: &str,
) -> Option<FileReport> {
    let message = match old.find_hash(sha, sheet) {
        Some((b, _)) => format!("same content as a file ingested in batch {}", b.id),
        None if hashes_now.iter().any(|h| h == sha) => {
            "same content as another file of this batch".into()
        }
        None => return None,
    };
    Some(FileReport {
        sha256: sha.to_string(),
        ..report(shown, FileStatus::AlreadyIngested, message)
    })
}

/// Writes the batch's snapshots and quarantine, and returns the new manifest.
fn stage(
    wh: &Warehouse,
    old: &Manifest,
    batch: batch::Batch,
    records: Vec<FileRecord>,
) -> Result<(Manifest, Option<String>)> {
    let mut m = old.clone();
    let id = batch.id;
    m.tables
        .entry("ratings".into())
        .or_default()
        .extend(batch.ratings_files.iter().cloned());
    let snapshots = [
        (Kind::Subjects, "subjects", "subject_id"),
        (Kind::Raters, "raters", "person_key"),
        (Kind::Ledger, "suggestions", "suggestion_id"),
    ];
    for (kind, table, key) in snapshots {
        let Some(frames) = batch.new.get(&kind).filter(|f| !f.is_empty()) else {
            continue;
        };
        let new = concat_frames(frames)?;
        if kind == Kind::Ledger {
            let rel = format!("suggestions_history/b{id:06}.parquet");
            write_parquet(&mut new.clone(), &wh.root.join(&rel))?;
            m.tables
                .entry("suggestions_history".into())
                .or_default()
                .push(rel);
        }
        // Latest wins: the old snapshot first, then this batch in file and line order.
        let old_rows = wh.scan(old, table)?.collect()?;
        let mut merged = concat_frames(&[old_rows, new])?.unique_stable(
            Some(&[key.to_string()]),
            UniqueKeepStrategy::Last,
            None,
        )?;
        let rel = format!("{table}/b{id:06}.parquet");
        write_parquet(&mut merged, &wh.root.join(&rel))?;
        m.tables.insert(table.into(), vec![rel]);
    }
    let mut csv = None;
    if !batch.quarantine.is_empty() {
        let mut q = concat_frames(&batch.quarantine)?;
        if q.height() > 0 {
            let rel = format!("quarantine/b{id:06}.parquet");
            write_parquet(&mut q, &wh.root.join(&rel))?;
            m.tables.entry("quarantine".into()).or_default().push(rel);
            let rel = format!("quarantine_csv/b{id:06}.csv");
            write_csv_bom(&mut q.drop("row")?, &wh.root.join(&rel))?;
            m.tables
                .entry("quarantine_csv".into())
                .or_default()
                .push(rel.clone());
            csv = Some(wh.root.join(rel).display().to_string());
        }
    }
    m.batches.push(BatchRecord {
        id,
        committed_at: crate::fsutil::now_utc(),
        files: records,
    });
    Ok((m, csv))
}

/// A path as the warehouse records it: relative to the working folder when
/// it lies below it, so the same inputs give the same warehouse anywhere.
fn shown_path(path: &std::path::Path) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    match path.strip_prefix(&cwd) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

fn concat_frames(frames: &[DataFrame]) -> Result<DataFrame> {
    let lazy: Vec<LazyFrame> = frames.iter().map(|f| f.clone().lazy()).collect();
    Ok(concat(lazy, UnionArgs::default())?.collect()?)
}
