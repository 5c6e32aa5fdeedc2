//! One ingest batch: validated tables become staged Parquet files, rows that
//! fail go to the quarantine, duplicates are caught against the batch and the
//! warehouse, and a refused file leaves nothing behind.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;

use super::dedupe::{fingerprint, Keys, Origin, Repeat};
use super::input::{mapping_for, remap, Opened, Tables};
use super::piece::Piece;
use super::prepare::{workers, Prep, Prepared};
use super::privacy;
use super::quarantine;
use super::rules::Accepted;
use super::table::RawTable;
use crate::config::Config;
use crate::contract::{Kind, Refusal};
use crate::dates::Bounds;
use crate::warehouse::{write_parquet, Manifest, Warehouse};

/// What became of one file's rows.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub rows: u64,
    pub accepted: u64,
    pub by_reason: BTreeMap<String, u64>,
}

pub struct Batch<'a> {
    cfg: &'a Config,
    wh: &'a Warehouse,
    old: &'a Manifest,
    pub id: u32,
    key: Option<Vec<u8>>,
    bounds: Bounds,
    known_subjects: Vec<String>,
    /// The cases of the last compute (case_id, opened_on as days).
    known_cases: Vec<(String, String)>,
    /// Every rating key seen, loaded with the warehouse's at the first ratings file.
    keys: Option<Keys>,
    files: Vec<String>,
    /// New ratings files, relative to the warehouse root.
    pub ratings_files: Vec<String>,
    pub new: BTreeMap<Kind, Vec<DataFrame>>,
    pub quarantine: Vec<DataFrame>,
}

/// One file's staged output, merged into the batch only if the file is not refused.
#[derive(Default)]
struct Pending {
    /// The file's SHA-256 when it was taken while reading (CSV).
    sha256: Option<String>,
    written: Vec<Part>,
    /// Where the current segment's parts start in `written`.
    segment_start: usize,
    /// The current segment's sheet and key header, once it has ratings.
    segment: Option<(Option<String>, String)>,
    /// Accepted ratings by period, written out in files of many blocks.
    buffers: BTreeMap<String, Vec<Piece>>,
    buffered: usize,
    parts: u32,
    frames: Vec<DataFrame>,
    quarantine: Vec<DataFrame>,
    counts: Counts,
}

/// A ratings file written for the batch, and the lines its rows came from.
struct Part {
    rel: String,
    lines: (u32, u32),
}

impl<'a> Batch<'a> {
    pub fn new(
        cfg: &'a Config,
        wh: &'a Warehouse,
        old: &'a Manifest,
        bounds: Bounds,
    ) -> Result<Batch<'a>> {
        let subjects = wh
            .scan(old, "subjects")?
            .select([col("subject_id")])
            .collect()?;
        let known_subjects = subjects
            .column("subject_id")?
            .str()?
            .iter()
            .flatten()
            .map(String::from)
            .collect();
        let key = privacy::key(cfg);
        privacy::same_key(cfg, key.as_deref(), old.rater_key_fingerprint.as_deref())?;
        Keys::sweep(&wh.root)?;
        Ok(Batch {
            cfg,
            wh,
            old,
            id: old.next_batch_id(),
            key,
            bounds,
            known_subjects,
            known_cases: super::case_rows::known(wh, old)?,
            keys: None,
            files: Vec::new(),
            ratings_files: Vec::new(),
            new: BTreeMap::new(),
            quarantine: Vec::new(),
        })
    }

    /// The fingerprint of the batch's rater key, for the manifest.
    pub fn key_fingerprint(&self) -> Option<String> {
        self.key.as_deref().map(privacy::fingerprint)
    }

    /// Ingests every table of a file; Ok(Err) when the file is refused.
    /// Also returns the file's SHA-256 when it was taken while reading.
    pub fn file(
        &mut self,
        path: &Path,
        shown: &str,
        opened: Opened,
    ) -> Result<(Option<String>, std::result::Result<Counts, Refusal>)> {
        let file = self.files.len() as u32;
        self.files.push(shown.to_string());
        let mut pending = Pending::default();
        let kind = opened.mapping.kind;
        let result = self.tables(path, shown, file, opened, &mut pending);
        let sha = pending.sha256.take();
        let outcome = match result {
            Ok(None) => {
                if kind == Kind::Ledger {
                    self.sort_ledger(file, &mut pending)?;
                }
                self.ratings_files
                    .extend(pending.written.into_iter().map(|p| p.rel));
                self.new.entry(kind).or_default().extend(pending.frames);
                self.quarantine.extend(pending.quarantine);
                if kind == Kind::Subjects {
                    self.refresh_subjects()?;
                }
                Ok(Ok(pending.counts))
            }
            Ok(Some(refusal)) => {
                for f in &pending.written {
                    let _ = std::fs::remove_file(self.wh.root.join(&f.rel));
                }
                // Forget the refused file's keys: a refusal comes before its
                // only segment ends, so none of them joined the others.
                if let Some(keys) = &mut self.keys {
                    keys.discard()?;
                }
                Ok(Err(refusal))
            }
            Err(e) => Err(e),
        };
        Ok((sha, outcome?))
    }

    /// Ok(Some(refusal)) when a later block of the file refuses it.
    fn tables(
        &mut self,
        path: &Path,
        shown: &str,
        file: u32,
        opened: Opened,
        pending: &mut Pending,
    ) -> Result<Option<Refusal>> {
        let Opened {
            mapping,
            tables,
            source_scale,
            ..
        } = opened;
        let prep = Prep {
            cfg: self.cfg,
            key: self.key.clone(),
            bounds: self.bounds,
            subjects: Series::new("ids".into(), &self.known_subjects),
            source_scale,
            cases: self.known_cases.clone(),
            batch: self.id,
            shown: shown.to_string(),
        };
        match tables {
            Tables::Loaded(tables) => {
                // Each sheet is a segment: its lines are its own.
                for t in &tables {
                    let m = mapping_for(self.cfg, &mapping, t, path);
                    let p = prep.prepare(&m, t)?;
                    self.absorb(file, p, pending)?;
                    self.settle(file, pending)?;
                }
            }
            Tables::Jsonl(mut chunks) => {
                // Chunks are parsed and prepared on several threads under
                // the first chunk's headers; one whose headers turn out
                // other than the file's so far is prepared again here.
                let seed = chunks.headers().to_vec();
                let mut headers = seed.clone();
                let cfg = self.cfg;
                let prepare = |t: &RawTable| -> Result<std::result::Result<Prepared, Refusal>> {
                    // Keys first seen in a later chunk map too.
                    Ok(match remap(cfg, mapping.kind, &t.headers, path) {
                        Ok(m) => Ok(prep.prepare(&m, t)?),
                        Err(refusal) => Err(refusal),
                    })
                };
                let mut refusal = None;
                let mut take = |done: std::result::Result<_, Refusal>| {
                    let (t, p): (RawTable, _) = match done {
                        Ok(done) => done,
                        Err(r) => return Ok(Err(r)),
                    };
                    for h in &t.headers {
                        if !headers.contains(h) {
                            headers.push(h.clone());
                        }
                    }
                    if t.headers == headers {
                        return Ok(p);
                    }
                    prepare(&super::jsonl::under(t, &headers)?)
                };
                super::parallel::ordered(
                    workers(),
                    || chunks.next_chunk(),
                    |chunk| {
                        Ok(match chunk.parse(&seed) {
                            Ok(t) => {
                                let p = prepare(&t)?;
                                Ok((t, p))
                            }
                            Err(r) => Err(r),
                        })
                    },
                    |done| match take(done)? {
                        Ok(p) => self.absorb(file, p, pending).map(|()| true),
                        Err(r) => {
                            refusal = Some(r);
                            Ok(false)
                        }
                    },
                )?;
                if refusal.is_some() {
                    return Ok(refusal);
                }
                self.settle(file, pending)?;
            }
            Tables::Csv(mut reader) => {
                // Blocks are decoded, parsed and validated on several threads
                // while this one takes them in file order (counts, keys, buffers).
                let parser = reader.parser();
                let mut refusal = None;
                super::parallel::ordered(
                    workers(),
                    || reader.next_block(),
                    |block| match parser.parse(block)? {
                        Ok(t) => Ok(Ok(prep.prepare_coded(&mapping, t)?)),
                        Err(r) => Ok(Err(Refusal::from(r))),
                    },
                    |prepared| match prepared {
                        Ok(p) => self.absorb(file, p, pending).map(|()| true),
                        Err(r) => {
                            refusal = Some(r);
                            Ok(false)
                        }
                    },
                )?;
                pending.sha256 = Some(reader.finish_sha256()?);
                if refusal.is_some() {
                    return Ok(refusal);
                }
                self.settle(file, pending)?;
            }
        }
        Ok(None)
    }

    /// Takes a prepared table in file order: counts, quarantine, the
    /// accepted rows and, for ratings, their keys (checked when the segment
    /// ends, `settle`).
    fn absorb(&mut self, file: u32, p: Prepared, pending: &mut Pending) -> Result<()> {
        let Prepared {
            rows,
            accepted,
            fingerprints,
            quarantine,
            by_reason,
            sheet,
            key_header,
        } = p;
        pending.counts.rows += rows;
        progress(&self.files[file as usize], pending.counts.rows);
        for (reason, n) in by_reason {
            *pending.counts.by_reason.entry(reason).or_default() += n;
        }
        pending.quarantine.extend(quarantine);
        let accepted = match accepted {
            Accepted::Frame(df) => {
                pending.counts.accepted += df.height() as u64;
                pending.frames.push(df);
                return Ok(());
            }
            Accepted::Coded(piece) => piece,
        };
        self.remember(accepted.u32s("source_line")?, &fingerprints, file)?;
        pending.segment = Some((sheet, key_header));
        pending.counts.accepted += accepted.height as u64;
        self.buffer_ratings(accepted, file, pending)
    }

    /// Ends a segment (a CSV or JSON-lines file, a sheet): its ratings are
    /// written, then the rows whose key was seen before are moved from the
    /// written files to the quarantine. Before the manifest commits, so no
    /// reader ever sees them.
    fn settle(&mut self, file: u32, pending: &mut Pending) -> Result<()> {
        self.flush(file, pending)?;
        let start = std::mem::replace(&mut pending.segment_start, pending.written.len());
        let Some((sheet, key_header)) = pending.segment.take() else {
            return Ok(());
        };
        let repeats = self.keys.as_mut().expect("loaded").commit()?;
        if repeats.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(repeats.len());
        let parts: Vec<Part> = pending.written.drain(start..).collect();
        for part in parts {
            if let Some(part) = self.unwrite(part, &repeats, &key_header, &mut rows)? {
                pending.written.push(part);
            }
        }
        pending.segment_start = pending.written.len();
        rows.sort_by_key(|r| r.line);
        pending.counts.accepted -= rows.len() as u64;
        *pending
            .counts
            .by_reason
            .entry("duplicate".into())
            .or_default() += rows.len() as u64;
        pending.quarantine.push(quarantine::frame(
            Kind::Ratings,
            sheet.as_deref(),
            &rows,
            self.id,
            &self.files[file as usize],
        )?);
        Ok(())
    }

    /// A ledger file's rows repeating an item leave for the quarantine
    /// (`ledger_rows.rs`), now that the whole file is read.
    fn sort_ledger(&self, file: u32, pending: &mut Pending) -> Result<()> {
        let id = match self
            .cfg
            .columns
            .get("suggestion_id")
            .and_then(|a| a.first())
        {
            Some(alias) => format!("suggestion_id ({alias})"),
            None => "suggestion_id".to_string(),
        };
        let frames = std::mem::take(&mut pending.frames);
        let sorted =
            super::ledger_rows::sort_out(frames, self.id, &self.files[file as usize], &id)?;
        pending.frames = sorted.kept;
        for (reason, n) in sorted.by_reason {
            pending.counts.accepted -= n;
            *pending.counts.by_reason.entry(reason).or_default() += n;
        }
        pending.quarantine.extend(sorted.quarantine);
        Ok(())
    }

    fn refresh_subjects(&mut self) -> Result<()> {
        for df in self.new.get(&Kind::Subjects).into_iter().flatten() {
            self.known_subjects.extend(
                df.column("subject_id")?
                    .str()?
                    .iter()
                    .flatten()
                    .map(String::from),
            );
        }
        self.known_subjects.sort_unstable();
        self.known_subjects.dedup();
        Ok(())
    }

    /// Adds the rows' keys to those seen; the warehouse's come first.
    fn remember(&mut self, lines: &UInt32Chunked, keys: &[u64], file: u32) -> Result<()> {
        if self.keys.is_none() {
            self.keys = Some(self.warehouse_keys()?);
        }
        let seen = self.keys.as_mut().expect("loaded");
        for (&k, line) in keys.iter().zip(lines.iter()) {
            let line = line.unwrap_or(0);
            seen.push(k, Origin::Line { file, line })?;
        }
        Ok(())
    }

    /// The keys of the committed ratings, one file at a time so memory
    /// stays that of one file's three key columns.
    fn warehouse_keys(&self) -> Result<Keys> {
        let mut keys = Keys::create(Keys::folder(&self.wh.root))?;
        for rel in self.old.tables.get("ratings").into_iter().flatten() {
            let df = self
                .wh
                .scan_file(self.old, "ratings", rel)?
                .select([
                    col("response_id"),
                    col("subject_id"),
                    col("item"),
                    col("batch_id"),
                ])
                .collect()?;
            for (r, s, i, batch) in keyed(&df, "batch_id")? {
                keys.push(fingerprint(r, s, i), Origin::Warehouse { batch })?;
            }
        }
        keys.commit()?;
        Ok(keys)
    }

    /// Takes the repeated rows out of a written file, as quarantine rows;
    /// the file is rewritten without them, or removed when none is left.
    fn unwrite(
        &self,
        part: Part,
        repeats: &[Repeat],
        key: &str,
        rows: &mut Vec<quarantine::Row<'static>>,
    ) -> Result<Option<Part>> {
        let (lo, hi) = part.lines;
        let from = repeats.partition_point(|r| r.line < lo);
        if repeats.get(from).is_none_or(|r| r.line > hi) {
            return Ok(Some(part));
        }
        let path = self.wh.root.join(&part.rel);
        let df = crate::warehouse::read_parquet(&path)?;
        let first = |line: u32| {
            repeats
                .binary_search_by_key(&line, |r| r.line)
                .ok()
                .map(|i| repeats[i].first)
        };
        let lines = df.column("source_line")?.u32()?;
        let dup: BooleanChunked = lines
            .iter()
            .map(|l| Some(l.and_then(first).is_some()))
            .collect();
        let d = df.filter(&dup)?;
        for (r, s, i, line) in keyed(&d, "source_line")? {
            let origin = first(line).expect("a repeated line");
            let row =
                serde_json::json!({ "response_id": r, "subject_id": s, "item": i }).to_string();
            rows.push(quarantine::Row {
                line,
                column: "response_id",
                value: r.to_string(),
                reason: "duplicate",
                detail: format!("{key} {}", origin.describe(&self.files)),
                row,
            });
        }
        let mut kept = df.filter(&!&dup)?;
        if kept.height() == 0 {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            return Ok(None);
        }
        write_parquet(&mut kept, &path)?;
        Ok(Some(part))
    }

    /// Holds accepted ratings by period until enough have gathered for
    /// files of a useful size.
    fn buffer_ratings(&self, piece: Piece, file: u32, pending: &mut Pending) -> Result<()> {
        const FLUSH_ROWS: usize = 500_000;
        pending.buffered += piece.height;
        if piece.height == 0 {
            return Ok(());
        }
        for (period, part) in piece.split_by("period")? {
            pending.buffers.entry(period).or_default().push(part);
        }
        if pending.buffered >= FLUSH_ROWS {
            self.flush(file, pending)?;
        }
        Ok(())
    }

    /// Writes the buffered ratings, one file per period (hive layout `period=2012Q3`).
    fn flush(&self, file: u32, pending: &mut Pending) -> Result<()> {
        let schema = crate::warehouse::schema::of("ratings");
        for (period, pieces) in std::mem::take(&mut pending.buffers) {
            let rel = format!(
                "ratings/period={period}/b{:06}-f{file:03}-p{:04}.parquet",
                self.id, pending.parts
            );
            let mut lines = (u32::MAX, 0);
            for p in &pieces {
                let l = p.u32s("source_line")?;
                lines.0 = lines.0.min(l.min().unwrap_or(u32::MAX));
                lines.1 = lines.1.max(l.max().unwrap_or(0));
            }
            super::store::write_pieces(&pieces, &schema, &self.wh.root.join(&rel))?;
            pending.written.push(Part { rel, lines });
            crate::fsutil::fault_point("after-ratings-file");
        }
        pending.parts += 1;
        pending.buffered = 0;
        Ok(())
    }
}

/// Each row's rating key (response_id, subject_id, item) and the u32
/// column `other` beside it.
fn keyed<'a>(df: &'a DataFrame, other: &str) -> Result<Vec<(&'a str, &'a str, &'a str, u32)>> {
    let (r, s, i, o) = (
        df.column("response_id")?.str()?,
        df.column("subject_id")?.str()?,
        df.column("item")?.str()?,
        df.column(other)?.u32()?,
    );
    let text = |v: Option<&'a str>| v.unwrap_or("");
    Ok(r.iter()
        .zip(s.iter())
        .zip(i.iter())
        .zip(o.iter())
        .map(|(((r, s), i), o)| (text(r), text(s), text(i), o.unwrap_or(0)))
        .collect())
}

/// A progress line on a terminal (never in logs or under cron).
fn progress(shown: &str, rows: u64) {
    use std::io::IsTerminal;
    if rows >= 200_000 && std::io::stderr().is_terminal() {
        eprint!("\r  {shown}: {rows} rows read…");
    }
}
