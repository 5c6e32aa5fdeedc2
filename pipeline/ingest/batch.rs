//! One ingest batch: validated tables become staged Parquet files, rows that
//! fail go to the quarantine, duplicates are caught against the batch and the
//! warehouse, and a refused file leaves nothing behind.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use polars::prelude::*;

use super::dedupe::{fingerprint, Origin, Seen};
use super::input::{mapping_for, Opened, Tables};
use super::prepare::{workers, Prep, Prepared};
use super::privacy;
use super::quarantine;
use crate::config::Config;
use crate::contract::Kind;
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
    seen: Option<Seen>,
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
    written: Vec<String>,
    /// Accepted ratings by period, written out in files of many blocks.
    buffers: BTreeMap<String, Vec<DataFrame>>,
    buffered: usize,
    parts: u32,
    frames: Vec<DataFrame>,
    quarantine: Vec<DataFrame>,
    counts: Counts,
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
        Ok(Batch {
            cfg,
            wh,
            old,
            id: old.next_batch_id(),
            key: privacy::key(cfg),
            bounds,
            known_subjects,
            seen: None,
            files: Vec::new(),
            ratings_files: Vec::new(),
            new: BTreeMap::new(),
            quarantine: Vec::new(),
        })
    }

    /// Ingests every table of a file; Ok(Err(message)) when the file is
    /// refused. Also returns the file's SHA-256 when it was taken while reading.
    pub fn file(
        &mut self,
        path: &Path,
        shown: &str,
        opened: Opened,
    ) -> Result<(Option<String>, std::result::Result<Counts, String>)> {
        let file = self.files.len() as u32;
        self.files.push(shown.to_string());
        let mut pending = Pending::default();
        let kind = opened.mapping.kind;
        let result = self.tables(path, shown, file, opened, &mut pending);
        let sha = pending.sha256.take();
        let outcome = match result {
            Ok(None) => {
                self.ratings_files.extend(pending.written);
                self.new.entry(kind).or_default().extend(pending.frames);
                self.quarantine.extend(pending.quarantine);
                if kind == Kind::Subjects {
                    self.refresh_subjects()?;
                }
                Ok(Ok(pending.counts))
            }
            Ok(Some(refusal)) => {
                for f in &pending.written {
                    let _ = std::fs::remove_file(self.wh.root.join(f));
                }
                // Forget the refused file's keys (the only rows of file index `file`).
                if let Some(seen) = &mut self.seen {
                    seen.retain(|o| o.0 >> 24 != file.min(0xFE));
                }
                Ok(Err(refusal))
            }
            Err(e) => Err(e),
        };
        Ok((sha, outcome?))
    }

    /// Ok(Some(message)) when a later block of the file refuses it.
    fn tables(
        &mut self,
        path: &Path,
        shown: &str,
        file: u32,
        opened: Opened,
        pending: &mut Pending,
    ) -> Result<Option<String>> {
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
            batch: self.id,
            shown: shown.to_string(),
        };
        match tables {
            Tables::Loaded(tables) => {
                for t in &tables {
                    let m = mapping_for(self.cfg, &mapping, t, path);
                    let p = prep.prepare(&m, t)?;
                    self.absorb(file, &m, p, pending)?;
                }
            }
            Tables::Csv(mut reader) => {
                // Blocks are decoded, parsed and validated on several threads
                // while this one takes them in file order for the duplicate check.
                let parser = reader.parser();
                let mut refusal = None;
                super::parallel::ordered(
                    workers(),
                    || reader.next_block(),
                    |block| match parser.parse(block)? {
                        Ok(t) => Ok(Ok(prep.prepare_coded(&mapping, t)?)),
                        Err(r) => Ok(Err(r.to_string())),
                    },
                    |prepared| match prepared {
                        Ok(p) => self.absorb(file, &mapping, p, pending).map(|()| true),
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
            }
        }
        self.flush(file, pending)?;
        Ok(None)
    }

    /// Takes a prepared table in file order: duplicates against everything
    /// seen before, then counts, quarantine and the accepted rows.
    fn absorb(
        &mut self,
        file: u32,
        m: &super::mapping::Mapping,
        p: Prepared,
        pending: &mut Pending,
    ) -> Result<()> {
        let Prepared {
            rows,
            mut accepted,
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
        if m.kind != Kind::Ratings {
            pending.counts.accepted += accepted.height() as u64;
            pending.frames.push(accepted);
            return Ok(());
        }
        let dups = self.duplicates(&accepted, &fingerprints, file)?;
        if dups.any() {
            let rows = self.duplicate_rows(&accepted, &dups, &key_header)?;
            *pending
                .counts
                .by_reason
                .entry("duplicate".into())
                .or_default() += rows.len() as u64;
            let shown = &self.files[file as usize];
            pending.quarantine.push(quarantine::frame(
                m.kind,
                sheet.as_deref(),
                &rows,
                self.id,
                shown,
            )?);
            accepted = accepted.filter(&!&dups)?;
        }
        pending.counts.accepted += accepted.height() as u64;
        self.buffer_ratings(accepted, file, pending)
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

    /// Marks rows whose (response_id, subject_id, item) was seen before in
    /// this batch or is already in the warehouse; the first one seen wins.
    fn duplicates(&mut self, df: &DataFrame, keys: &[u64], file: u32) -> Result<BooleanChunked> {
        if self.seen.is_none() {
            self.seen = Some(self.warehouse_keys()?);
        }
        let seen = self.seen.as_mut().expect("loaded");
        let lines = df.column("source_line")?.u32()?;
        let dup: Vec<bool> = keys
            .iter()
            .zip(lines.iter())
            .map(|(&k, line)| !seen.insert_new(k, Origin::line(file, line.unwrap_or(0))))
            .collect();
        Ok(BooleanChunked::from_slice("dup".into(), &dup))
    }

    fn warehouse_keys(&self) -> Result<Seen> {
        let df = self
            .wh
            .scan(self.old, "ratings")?
            .select([
                col("response_id"),
                col("subject_id"),
                col("item"),
                col("batch_id"),
            ])
            .collect()?;
        let (r, s, i, b) = (
            df.column("response_id")?.str()?,
            df.column("subject_id")?.str()?,
            df.column("item")?.str()?,
            df.column("batch_id")?.u32()?,
        );
        let mut map = Seen::with_capacity(df.height());
        for (((r, s), i), b) in r.iter().zip(s.iter()).zip(i.iter()).zip(b.iter()) {
            map.insert_new(
                fingerprint(r.unwrap_or(""), s.unwrap_or(""), i.unwrap_or("")),
                Origin::warehouse(b.unwrap_or(0)),
            );
        }
        Ok(map)
    }

    fn duplicate_rows(
        &self,
        df: &DataFrame,
        dups: &BooleanChunked,
        key: &str,
    ) -> Result<Vec<quarantine::Row<'static>>> {
        let d = df.filter(dups)?;
        let seen = self.seen.as_ref().expect("loaded");
        let (r, s, i, l) = (
            d.column("response_id")?.str()?,
            d.column("subject_id")?.str()?,
            d.column("item")?.str()?,
            d.column("source_line")?.u32()?,
        );
        let mut out = Vec::new();
        for (((r, s), i), line) in r.iter().zip(s.iter()).zip(i.iter()).zip(l.iter()) {
            let (r, s, i) = (r.unwrap_or(""), s.unwrap_or(""), i.unwrap_or(""));
            let detail = match seen.get(fingerprint(r, s, i)) {
                Some(origin) => format!("{key} {}", origin.describe(&self.files)),
                None => format!("{key} repeats an earlier row"),
            };
            let row =
                serde_json::json!({ "response_id": r, "subject_id": s, "item": i }).to_string();
            out.push((
                line.unwrap_or(0),
                "response_id",
                r.to_string(),
                "duplicate",
                detail,
                row,
            ));
        }
        Ok(out)
    }

    /// Holds accepted ratings by period until enough have gathered for
    /// files of a useful size.
    fn buffer_ratings(&self, df: DataFrame, file: u32, pending: &mut Pending) -> Result<()> {
        const FLUSH_ROWS: usize = 500_000;
        pending.buffered += df.height();
        if df.height() == 0 {
            return Ok(());
        }
        // Exports run in date order: most blocks hold one period, and
        // splitting them would copy every value for nothing.
        let periods = df.column("period")?.str()?;
        let first = periods.get(0).unwrap_or_default();
        let parts = if periods.equal(first).all() {
            vec![df]
        } else {
            df.partition_by_stable(["period"], true)?
        };
        for part in parts {
            let period = part
                .column("period")?
                .str()?
                .get(0)
                .unwrap_or_default()
                .to_string();
            pending.buffers.entry(period).or_default().push(part);
        }
        if pending.buffered >= FLUSH_ROWS {
            self.flush(file, pending)?;
        }
        Ok(())
    }

    /// Writes the buffered ratings, one file per period (hive layout `period=2012Q3`).
    fn flush(&self, file: u32, pending: &mut Pending) -> Result<()> {
        for (period, frames) in std::mem::take(&mut pending.buffers) {
            let mut df = super::concat_frames(&frames)?;
            let rel = format!(
                "ratings/period={period}/b{:06}-f{file:03}-p{:04}.parquet",
                self.id, pending.parts
            );
            write_parquet(&mut df, &self.wh.root.join(&rel))?;
            pending.written.push(rel);
            crate::fsutil::fault_point("after-ratings-file");
        }
        pending.parts += 1;
        pending.buffered = 0;
        Ok(())
    }
}

/// A progress line on a terminal (never in logs or under cron).
fn progress(shown: &str, rows: u64) {
    use std::io::IsTerminal;
    if rows >= 200_000 && std::io::stderr().is_terminal() {
        eprint!("\r  {shown}: {rows} rows read…");
    }
}
