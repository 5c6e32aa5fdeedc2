//! `pingyi ingest`: rating exports, rosters and ledgers into the warehouse.
//!
//! A batch: find the files; skip those already ingested (same SHA-256);
//! open each, decide its kind, refuse it whole on a file-level problem;
//! process rosters first (ratings are checked against them), then ledgers
//! and ratings; write the staged files; commit the manifest last.

mod batch;
mod case_rows;
mod coded;
pub(crate) mod csv;
mod decode;
mod dedupe;
mod exprs;
pub mod format;
pub mod formats;
pub mod fuzz;
mod input;
mod jsonl;
mod ledger_rows;
mod mapping;
mod normalize;
mod parallel;
mod period_column;
mod piece;
pub mod plain;
mod prepare;
mod privacy;
mod quarantine;
mod ratings;
mod rules;
mod scan;
mod store;
mod table;
mod traditional;
mod validate;
mod xlsx;
mod xlsx_cells;
mod xlsx_flags;
mod xlsx_parts;
mod xlsx_stream;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;
use serde::Serialize;

pub use input::Hints;

use crate::config::Config;
use crate::contract::{Kind, Refusal};
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
        self.files
            .iter()
            .filter(|f| f.status == FileStatus::Refused)
            .count()
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
        Kind::Cases => 4,
    }
}

/// One batch, in order: discover the files, triage them (seen or refused
/// before, or opened), read each opened file through the batch (read →
/// prepare → validate → quarantine → dedupe → write, `batch.rs`), then
/// stage the snapshots and quarantine and commit the manifest last.
pub fn run(cfg: &Config, wh: &Warehouse, paths: &[PathBuf], hints: &Hints) -> Result<Report> {
    let old = wh.manifest()?;
    old.require_current(&wh.root)?;
    // Leftovers of a batch that crashed before its commit are not data.
    wh.collect_garbage(&old)?;
    let discovered = input::discover(paths)?;
    let started = std::time::Instant::now();
    let (found, too_big) = within_limit(cfg, discovered.found)?;
    let Triage {
        mut files,
        mut records,
        mut opened,
    } = triage(cfg, &old, &found, &discovered.other, hints)?;
    files.extend(
        discovered
            .refused
            .into_iter()
            .chain(too_big)
            .map(|(p, refusal)| refused_unopened(&p, refusal)),
    );
    if opened.is_empty() && records.is_empty() {
        return Ok(Report::nothing(files));
    }
    opened.sort_by_key(|o| rank(o.file.mapping.kind));
    let seconds = started.elapsed().as_secs_f64();
    tracing::info!(
        found = found.len(),
        opened = opened.len(),
        seconds,
        "files triaged"
    );
    let as_of = match hints.as_of {
        Some(d) => d,
        None => crate::dates::as_of(None, &cfg.report.as_of)?,
    };
    let mut batch = batch::Batch::new(cfg, wh, &old, cfg.date_bounds(as_of))?;
    for o in opened {
        let started = std::time::Instant::now();
        match read(&mut batch, &old, o)? {
            Read::Recorded(record) => {
                files.push(FileReport::from(&record));
                records.push(record);
            }
            Read::RefusedBefore(report) => files.push(report),
        }
        if let Some(f) = files.last() {
            // The nightly log says which input took the time.
            let seconds = started.elapsed().as_secs_f64();
            tracing::info!(file = %f.path, status = ?f.status, accepted = f.accepted, quarantined = f.quarantined, seconds, "file read");
        }
        // A workbook is read whole; what its reading freed goes back to the
        // system before the next file (at 100 M ratings the 800,000-item
        // ledger left ~1 GB in glibc's arenas for the rest of the batch).
        crate::fsutil::release_freed_memory();
    }
    if records.is_empty() {
        // Everything was refused before, for the same reasons.
        return Ok(Report::nothing(files));
    }
    let (manifest, csv) = stage(wh, &old, batch, records)?;
    wh.commit(&manifest)?;
    Ok(Report {
        batch: manifest.batches.last().map(|b| b.id),
        files,
        quarantine_csv: csv,
    })
}

impl Report {
    /// A batch that wrote nothing: every file was seen or refused before.
    fn nothing(files: Vec<FileReport>) -> Report {
        Report {
            batch: None,
            files,
            quarantine_csv: None,
        }
    }
}

/// A file that passed triage: opened, its mapping known, to be read.
struct Opened {
    path: PathBuf,
    shown: String,
    /// Taken before reading when the file may repeat one; else while reading.
    sha: Option<String>,
    bytes: u64,
    sheet: Option<String>,
    file: input::Opened,
}

/// What triage decided: reports of files not read, records of files
/// refused now (they are written to the manifest), and the files to read.
struct Triage {
    files: Vec<FileReport>,
    records: Vec<FileRecord>,
    opened: Vec<Opened>,
}

/// Sorts the discovered files before any is read: not an export, the same
/// content as a file ingested before (or earlier in this batch), refused
/// before for the same reason, refused now (unreadable, no known columns),
/// or opened.
fn triage(
    cfg: &Config,
    old: &Manifest,
    found: &[(PathBuf, input::Format)],
    other: &[PathBuf],
    hints: &Hints,
) -> Result<Triage> {
    let mut t = Triage {
        files: other.iter().map(|p| not_an_export(p)).collect(),
        records: Vec::new(),
        opened: Vec::new(),
    };
    let mut hashes_now: Vec<String> = Vec::new();
    let sizes = sizes(found)?;
    // Hashing a big file before reading it costs a pass over it: a CSV
    // whose size no other input has cannot repeat one, so its hash is
    // taken while it is read. The others are hashed side by side.
    let shas = found
        .par_iter()
        .zip(&sizes)
        .map(|((path, format), &bytes)| {
            let may_repeat = !format.reader().hashes_while_reading()
                || old.may_hold_size(bytes)
                || sizes.iter().filter(|&&b| b == bytes).count() > 1;
            may_repeat
                .then(|| crate::fsutil::sha256_file(path))
                .transpose()
        })
        .collect::<Vec<Result<Option<String>>>>();
    // Decided in order: a file seen before is not opened at all.
    let mut steps: Vec<Step> = Vec::new();
    for (((path, format), &bytes), sha) in found.iter().zip(&sizes).zip(shas) {
        let shown = shown_path(path);
        let sha = sha?;
        let sheet = hints.sheet.clone().filter(|_| format.reader().has_sheets());
        if let Some(sha) = &sha {
            if let Some(seen) = seen_before(old, &hashes_now, sha, sheet.as_deref(), &shown) {
                steps.push(Step::Seen(seen));
                continue;
            }
            hashes_now.push(sha.clone());
        }
        steps.push(Step::Open {
            path: path.clone(),
            format: *format,
            shown,
            sha,
            bytes,
            sheet,
        });
    }
    // Opening parses workbooks whole and reads the first chunk of the
    // others: the files are opened side by side (the ledger workbook alone
    // took half a second before the first file was read).
    let mut opened = steps
        .par_iter()
        .filter_map(|s| match s {
            Step::Open { path, format, .. } => Some(input::open(cfg, path, *format, hints)),
            Step::Seen(_) => None,
        })
        .collect::<Vec<_>>()
        .into_iter();
    for step in steps {
        let (path, shown, sha, bytes, sheet) = match step {
            Step::Seen(seen) => {
                t.files.push(seen);
                continue;
            }
            Step::Open {
                path,
                shown,
                sha,
                bytes,
                sheet,
                ..
            } => (path, shown, sha, bytes, sheet),
        };
        match opened.next().expect("one per file to open")? {
            Ok(file) => t.opened.push(Opened {
                path,
                shown,
                sha,
                bytes,
                sheet,
                file,
            }),
            Err(refusal) => {
                let sha = sha.map_or_else(|| crate::fsutil::sha256_file(&path), Ok)?;
                if old.refused_before(&sha, sheet.as_deref(), &refusal) {
                    t.files.push(refused_before(&shown, sha, refusal));
                    continue;
                }
                let record = FileRecord {
                    path: shown,
                    sha256: sha,
                    bytes: Some(bytes),
                    sheet,
                    kind: None,
                    status: FileStatus::Refused,
                    rows: 0,
                    accepted: 0,
                    quarantined: 0,
                    quarantined_by_reason: BTreeMap::new(),
                    message: refusal.message,
                };
                t.files.push(FileReport::from(&record));
                t.records.push(record);
            }
        }
    }
    Ok(t)
}

/// A discovered file after the hash check: seen before, or to be opened.
enum Step {
    Seen(FileReport),
    Open {
        path: PathBuf,
        format: input::Format,
        shown: String,
        sha: Option<String>,
        bytes: u64,
        sheet: Option<String>,
    },
}

fn not_an_export(p: &std::path::Path) -> FileReport {
    report(
        &p.display().to_string(),
        FileStatus::NotAnExport,
        "not a CSV, TSV, XLSX or JSON-lines file; left alone".into(),
    )
}

/// An input refused before it is opened (not a regular file, too large):
/// reported, not recorded (it was never read, so it has no hash).
fn refused_unopened(p: &std::path::Path, refusal: Refusal) -> FileReport {
    report(&shown_path(p), FileStatus::Refused, refusal.message)
}

/// Splits off the files larger than `ingest.max_file_bytes`, each with
/// the reason: they are refused unread (hashing alone would read them).
fn within_limit(
    cfg: &Config,
    found: input::Found,
) -> Result<(input::Found, Vec<(PathBuf, Refusal)>)> {
    let limit = cfg.ingest.max_file_bytes;
    let sizes = sizes(&found)?;
    let mut kept = Vec::with_capacity(found.len());
    let mut refused = Vec::new();
    for (f, bytes) in found.into_iter().zip(sizes) {
        if bytes > limit {
            let why = format!(
                "the file is {} bytes, more than ingest.max_file_bytes ({limit} bytes): split the export into smaller files, or raise ingest.max_file_bytes in pingyi.toml",
                bytes
            );
            refused.push((f.0, Refusal::unopened(why)));
        } else {
            kept.push(f);
        }
    }
    Ok((kept, refused))
}

fn refused_before(shown: &str, sha: String, refusal: Refusal) -> FileReport {
    FileReport {
        sha256: sha,
        ..report(shown, FileStatus::AlreadyRefused, refusal.message)
    }
}

/// What reading one opened file gave.
enum Read {
    /// Ingested, or refused now: goes to the manifest.
    Recorded(FileRecord),
    /// Refused for the reason it was refused in an earlier batch.
    RefusedBefore(FileReport),
}

/// Reads one opened file through the batch and records its outcome.
fn read(batch: &mut batch::Batch, old: &Manifest, o: Opened) -> Result<Read> {
    let Opened {
        path,
        shown,
        sha,
        bytes,
        sheet,
        file,
    } = o;
    let kind = file.mapping.kind;
    let mut notes = file.notes.clone();
    if !file.mapping.ignored.is_empty() {
        notes.push(format!(
            "columns not used: {}",
            file.mapping.ignored.join(", ")
        ));
    }
    let (read_sha, outcome) = batch.file(&path, &shown, file)?;
    let sha = sha.or(read_sha).expect("hashed before or while reading");
    let (status, counts, message) = match outcome {
        Ok(c) => (FileStatus::Ingested, c, notes.join("; ")),
        Err(refusal) if old.refused_before(&sha, sheet.as_deref(), &refusal) => {
            return Ok(Read::RefusedBefore(refused_before(&shown, sha, refusal)));
        }
        Err(refusal) => (
            FileStatus::Refused,
            batch::Counts::default(),
            refusal.message,
        ),
    };
    Ok(Read::Recorded(FileRecord {
        path: shown,
        sha256: sha,
        bytes: Some(bytes),
        sheet,
        kind: Some(kind.name().into()),
        status,
        rows: counts.rows,
        accepted: counts.accepted,
        quarantined: counts.by_reason.values().sum(),
        quarantined_by_reason: counts.by_reason,
        message,
    }))
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
    if m.rater_key_fingerprint.is_none() {
        m.rater_key_fingerprint = batch.key_fingerprint();
    }
    m.tables
        .entry("ratings".into())
        .or_default()
        .extend(batch.ratings_files.iter().cloned());
    let snapshots = [
        (Kind::Subjects, "subjects", "subject_id"),
        (Kind::Raters, "raters", "person_key"),
        (Kind::Ledger, "suggestions", "suggestion_id"),
        (Kind::Cases, "case_records", "case_id"),
    ];
    for (kind, table, key) in snapshots {
        let Some(frames) = batch.new.get(&kind).filter(|f| !f.is_empty()) else {
            continue;
        };
        let new = concat_frames(frames)?;
        // Ledger items and case records keep every version ever ingested.
        if matches!(kind, Kind::Ledger | Kind::Cases) {
            let history = format!("{table}_history");
            let rel = format!("{history}/b{id:06}.parquet");
            write_parquet(&mut new.clone(), &wh.root.join(&rel))?;
            m.tables.entry(history).or_default().push(rel);
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
