//! Duplicate ratings: a (response_id, subject_id, item) seen earlier in the
//! batch or already in the warehouse, found in bounded memory.
//!
//! Each key is a 64-bit fingerprint. A segment's keys (one CSV or JSON-lines
//! file, one workbook sheet) are appended, with where they were seen, to 256
//! run files on disk chosen by the fingerprint's top byte; when the segment
//! ends, each partition's new keys are sorted (stably, so the first of equal
//! keys stays first) and merged against the keys of everything before it,
//! kept sorted on disk. A new key equal to an older one is a repeat. Memory
//! is a few megabytes of buffers and one partition at a time, whatever the
//! batch's size; a hash map of every key held instead 2.3 GB at 100 M
//! ratings (BENCHMARKS.md).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

/// Where a rating key was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A line (or Excel row) of a file of this batch, by its index in the batch.
    Line { file: u32, line: u32 },
    /// A batch already committed to the warehouse.
    Warehouse { batch: u32 },
}

impl Origin {
    pub fn describe(self, files: &[String]) -> String {
        match self {
            Origin::Warehouse { batch } => format!("is already in the warehouse (batch {batch})"),
            Origin::Line { file, line } => match files.get(file as usize) {
                Some(f) => format!("repeats line {line} of {f}"),
                None => format!("repeats line {line} of an earlier file of this batch"),
            },
        }
    }
}

/// A key and where it was seen, 16 bytes on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    key: u64,
    /// The file's index in the batch; `WAREHOUSE` for a committed batch.
    file: u32,
    /// The line, or the committed batch's id.
    line: u32,
}

const WAREHOUSE: u32 = u32::MAX;
const ENTRY: usize = 16;

impl Entry {
    fn new(key: u64, origin: Origin) -> Entry {
        let (file, line) = match origin {
            Origin::Line { file, line } => (file, line),
            Origin::Warehouse { batch } => (WAREHOUSE, batch),
        };
        Entry { key, file, line }
    }

    fn origin(self) -> Origin {
        match self.file {
            WAREHOUSE => Origin::Warehouse { batch: self.line },
            file => Origin::Line {
                file,
                line: self.line,
            },
        }
    }

    fn write(entries: &[Entry], out: &mut Vec<u8>) {
        out.reserve(entries.len() * ENTRY);
        for e in entries {
            out.extend_from_slice(&e.key.to_le_bytes());
            out.extend_from_slice(&e.file.to_le_bytes());
            out.extend_from_slice(&e.line.to_le_bytes());
        }
    }

    fn read(bytes: &[u8]) -> Vec<Entry> {
        let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        bytes
            .chunks_exact(ENTRY)
            .map(|b| Entry {
                key: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
                file: word(&b[8..12]),
                line: word(&b[12..16]),
            })
            .collect()
    }
}

/// A key of the segment that repeats an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repeat {
    /// The repeating row's line in the segment's file.
    pub line: u32,
    /// Where the key was first seen.
    pub first: Origin,
}

/// Every key of the batch and the warehouse, in sorted runs on disk.
pub struct Keys {
    dir: PathBuf,
    /// The segment's keys not yet appended to their partition's file.
    pending: Vec<Vec<Entry>>,
}

const PARTITIONS: usize = 256;
/// Entries held per partition before they are appended to disk: 256 × 4096
/// × 16 bytes is 16 MB at most.
const SPILL_AT: usize = 4096;

impl Keys {
    /// The folder of the batch's run files, below the warehouse; removed when
    /// the batch ends, and by the next batch if a crash left it behind.
    pub fn folder(warehouse: &Path) -> PathBuf {
        warehouse.join(".dedupe")
    }

    /// Removes the run files a crashed batch left behind.
    pub fn sweep(warehouse: &Path) -> Result<()> {
        let dir = Keys::folder(warehouse);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove the leftover {}", dir.display()))?;
        }
        Ok(())
    }

    pub fn create(dir: PathBuf) -> Result<Keys> {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(Keys {
            dir,
            pending: vec![Vec::new(); PARTITIONS],
        })
    }

    /// Adds a key of the current segment; keys pushed earlier win over
    /// later equal ones.
    pub fn push(&mut self, key: u64, origin: Origin) -> Result<()> {
        let p = (key >> 56) as usize;
        self.pending[p].push(Entry::new(key, origin));
        if self.pending[p].len() >= SPILL_AT {
            self.spill(p)?;
        }
        Ok(())
    }

    fn spill(&mut self, p: usize) -> Result<()> {
        let path = self.new_file(p);
        let mut bytes = Vec::new();
        Entry::write(&self.pending[p], &mut bytes);
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&bytes))
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.pending[p].clear();
        Ok(())
    }

    /// Ends the segment: its keys join the others, and those that were seen
    /// before (earlier in the segment, the batch or the warehouse) come back
    /// in line order with where they were first seen.
    pub fn commit(&mut self) -> Result<Vec<Repeat>> {
        let pending = std::mem::replace(&mut self.pending, vec![Vec::new(); PARTITIONS]);
        let repeats: Vec<Vec<Repeat>> = pending
            .into_par_iter()
            .enumerate()
            .map(|(p, held)| self.merge(p, held))
            .collect::<Result<_>>()?;
        let mut repeats: Vec<Repeat> = repeats.into_iter().flatten().collect();
        repeats.sort_by_key(|r| r.line);
        Ok(repeats)
    }

    /// Forgets the segment's keys (its file was refused).
    pub fn discard(&mut self) -> Result<()> {
        for (p, held) in self.pending.iter_mut().enumerate() {
            held.clear();
            let path = self.dir.join(format!("new-{p:03}"));
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
            }
        }
        Ok(())
    }

    /// One partition: the segment's keys sorted and merged into the run.
    fn merge(&self, p: usize, held: Vec<Entry>) -> Result<Vec<Repeat>> {
        let new_path = self.new_file(p);
        let mut new = read_entries(&new_path)?;
        new.extend(held);
        if new.is_empty() {
            return Ok(Vec::new());
        }
        // Stable: of equal keys, the one pushed first stays first.
        new.sort_by_key(|e| e.key);
        let run_path = self.dir.join(format!("run-{p:03}"));
        let old = read_entries(&run_path)?;
        let (run, repeats) = merge_sorted(&old, &new);
        let mut bytes = Vec::new();
        Entry::write(&run, &mut bytes);
        let tmp = run_path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &run_path))
            .with_context(|| format!("cannot write {}", run_path.display()))?;
        if new_path.exists() {
            std::fs::remove_file(&new_path)
                .with_context(|| format!("cannot remove {}", new_path.display()))?;
        }
        Ok(repeats)
    }

    fn new_file(&self, p: usize) -> PathBuf {
        self.dir.join(format!("new-{p:03}"))
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_entries(path: &Path) -> Result<Vec<Entry>> {
    let mut bytes = Vec::new();
    match File::open(path) {
        Ok(mut f) => f
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    };
    Ok(Entry::read(&bytes))
}

/// Merges sorted new entries into a sorted run of distinct keys: the run
/// with the new keys not seen before, and the new entries that repeat a key
/// (of the run, or an earlier new entry) with where it was first seen.
fn merge_sorted(old: &[Entry], new: &[Entry]) -> (Vec<Entry>, Vec<Repeat>) {
    let mut run: Vec<Entry> = Vec::with_capacity(old.len() + new.len());
    let mut repeats = Vec::new();
    let mut i = 0;
    for &e in new {
        while i < old.len() && old[i].key < e.key {
            run.push(old[i]);
            i += 1;
        }
        let first = match old.get(i) {
            Some(o) if o.key == e.key => Some(*o),
            _ => run.last().filter(|l| l.key == e.key).copied(),
        };
        match first {
            Some(f) => repeats.push(Repeat {
                line: e.line,
                first: f.origin(),
            }),
            None => run.push(e),
        }
    }
    run.extend_from_slice(&old[i..]);
    (run, repeats)
}

/// A 64-bit fingerprint of a rating's key. Two different keys share one
/// with probability about n²/2⁶⁵ (1e-5 at 20 million rows); a collision would
/// quarantine a row as a duplicate, visibly, never drop it.
pub fn fingerprint(response: &str, subject: &str, item: &str) -> u64 {
    // One-shot hashing of the joined key: the streaming state costs more
    // to set up than the few bytes cost to hash.
    let mut key = [0u8; 128];
    let n = response.len() + subject.len() + item.len() + 2;
    if n > key.len() {
        return xxhash_rust::xxh3::xxh3_64(format!("{response}\x1f{subject}\x1f{item}").as_bytes());
    }
    let mut at = 0;
    for part in [
        response.as_bytes(),
        b"\x1f",
        subject.as_bytes(),
        b"\x1f",
        item.as_bytes(),
    ] {
        key[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    xxhash_rust::xxh3::xxh3_64(&key[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(file: u32, line: u32) -> Origin {
        Origin::Line { file, line }
    }

    fn repeat(line: u32, first: Origin) -> Repeat {
        Repeat { line, first }
    }

    #[test]
    fn the_first_of_equal_keys_wins_across_segments_and_spills() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = Keys::create(dir.path().join("k")).expect("create");
        keys.push(7, Origin::Warehouse { batch: 3 }).expect("push");
        assert!(keys.commit().expect("commit").is_empty());
        // Enough keys in one partition to spill several times.
        for line in 0..(3 * SPILL_AT as u32) {
            keys.push(u64::from(line) * 2 + 100, at(0, line))
                .expect("push");
        }
        keys.push(100, at(0, 50_000)).expect("push");
        keys.push(7, at(0, 50_001)).expect("push");
        let got = keys.commit().expect("commit");
        let warehouse = Origin::Warehouse { batch: 3 };
        assert_eq!(got, [repeat(50_000, at(0, 0)), repeat(50_001, warehouse)]);
        // A later segment repeats the first and itself.
        keys.push(102, at(1, 9)).expect("push");
        keys.push(5, at(1, 10)).expect("push");
        keys.push(5, at(1, 11)).expect("push");
        let got = keys.commit().expect("commit");
        assert_eq!(got, [repeat(9, at(0, 1)), repeat(11, at(1, 10))]);
    }

    #[test]
    fn a_discarded_segment_is_forgotten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = Keys::create(dir.path().join("k")).expect("create");
        for line in 0..(2 * SPILL_AT as u32) {
            keys.push(u64::from(line), at(0, line)).expect("push");
        }
        keys.discard().expect("discard");
        keys.push(1, at(1, 1)).expect("push");
        assert!(keys.commit().expect("commit").is_empty());
        let folder = dir.path().join("k");
        drop(keys);
        assert!(!folder.exists(), "the run files outlive the batch");
    }
}
