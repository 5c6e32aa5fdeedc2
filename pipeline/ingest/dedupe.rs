//! Duplicate ratings: a (response_id, subject_id, item) seen earlier in the
//! batch or already in the warehouse, found in bounded memory.
//!
//! Each key is a 64-bit fingerprint, in one of 256 partitions by its top
//! byte. A segment's keys (one CSV or JSON-lines file, one workbook sheet)
//! are held, then spilled to one scratch file; when the segment ends, each
//! partition's new keys are sorted (stably, so the first of equal keys stays
//! first) and checked against the keys of everything before it: a sorted run
//! on disk per partition, plus the keys of the last few small segments kept
//! in memory. A new key equal to an older one is a repeat. A large segment
//! is merged into the run (one read, one write of the partition); a small
//! one is looked up in the run by binary search and kept in memory, so a
//! workbook of many small sheets after 10 M ratings does not rewrite 160 MB
//! per sheet. Memory is a few tens of megabytes, whatever the batch's size;
//! a hash map of every key held 2.3 GB at 100 M ratings (BENCHMARKS.md).
//!
//! The scratch files are created once and rewritten in place: creating,
//! renaming and deleting files per segment cost a fifth of ingest's time in
//! the kernel (ext4 inode allocation) at 10 M ratings.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
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

    fn decode(b: &[u8]) -> Entry {
        let word = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        Entry {
            key: u64::from_le_bytes(b[..8].try_into().expect("8 bytes")),
            file: word(&b[8..12]),
            line: word(&b[12..16]),
        }
    }

    fn read(bytes: &[u8]) -> Vec<Entry> {
        bytes.chunks_exact(ENTRY).map(Entry::decode).collect()
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

/// Every key of the batch and the warehouse.
pub struct Keys {
    dir: PathBuf,
    /// The segment's spilled keys, every partition's in one file.
    spill: File,
    spill_end: u64,
    parts: Vec<Partition>,
}

/// The keys of one partition.
#[derive(Default)]
struct Partition {
    /// The segment's keys not yet spilled.
    held: Vec<Entry>,
    /// Where the segment's spilled keys are in the spill file: offset, bytes.
    chunks: Vec<(u64, usize)>,
    /// Keys committed since the run was last written: sorted, distinct, none
    /// of them in the run.
    recent: Vec<Entry>,
    /// Entries in the run file, sorted by key and distinct.
    run_len: u64,
}

const PARTITIONS: usize = 256;
/// Entries held per partition before they are spilled: 256 × 4096 × 16
/// bytes is 16 MB at most.
const SPILL_AT: usize = 4096;
/// Entries kept in memory per partition between run writes (16 MB at most).
const RECENT_CAP: usize = 4096;
/// A segment is looked up in the run, not merged into it, when the run has
/// this many times its keys: ~20 reads of 16 bytes per key against a read
/// and a write of the whole partition.
const PROBE_RATIO: u64 = 64;

impl Keys {
    /// The folder of the batch's scratch files, below the warehouse; removed
    /// when the batch ends, and by the next batch if a crash left it behind.
    pub fn folder(warehouse: &Path) -> PathBuf {
        warehouse.join(".dedupe")
    }

    /// Removes the scratch files a crashed batch left behind.
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
        let path = dir.join("spill");
        let spill = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Keys {
            dir,
            spill,
            spill_end: 0,
            parts: (0..PARTITIONS).map(|_| Partition::default()).collect(),
        })
    }

    /// Adds a key of the current segment; keys pushed earlier win over
    /// later equal ones.
    pub fn push(&mut self, key: u64, origin: Origin) -> Result<()> {
        let p = (key >> 56) as usize;
        self.parts[p].held.push(Entry::new(key, origin));
        if self.parts[p].held.len() >= SPILL_AT {
            self.spill(p)?;
        }
        Ok(())
    }

    fn spill(&mut self, p: usize) -> Result<()> {
        let part = &mut self.parts[p];
        let mut bytes = Vec::new();
        Entry::write(&part.held, &mut bytes);
        self.spill
            .write_all_at(&bytes, self.spill_end)
            .with_context(|| format!("cannot write {}", self.dir.join("spill").display()))?;
        part.chunks.push((self.spill_end, bytes.len()));
        self.spill_end += bytes.len() as u64;
        part.held.clear();
        Ok(())
    }

    /// Ends the segment: its keys join the others, and those that were seen
    /// before (earlier in the segment, the batch or the warehouse) come back
    /// in line order with where they were first seen.
    pub fn commit(&mut self) -> Result<Vec<Repeat>> {
        let (dir, spill) = (&self.dir, &self.spill);
        let repeats: Vec<Vec<Repeat>> = self
            .parts
            .par_iter_mut()
            .enumerate()
            .map(|(p, part)| part.commit(&dir.join(format!("run-{p:03}")), spill))
            .collect::<Result<_>>()?;
        self.empty_spill()?;
        let mut repeats: Vec<Repeat> = repeats.into_iter().flatten().collect();
        repeats.sort_by_key(|r| r.line);
        Ok(repeats)
    }

    /// Forgets the segment's keys (its file was refused).
    pub fn discard(&mut self) -> Result<()> {
        for part in &mut self.parts {
            part.held.clear();
            part.chunks.clear();
        }
        self.empty_spill()
    }

    fn empty_spill(&mut self) -> Result<()> {
        self.spill_end = 0;
        self.spill
            .set_len(0)
            .with_context(|| format!("cannot empty {}", self.dir.join("spill").display()))
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Partition {
    /// The segment's keys, sorted and checked against the older ones.
    fn commit(&mut self, run: &Path, spill: &File) -> Result<Vec<Repeat>> {
        let mut new = self.take_segment(spill)?;
        if new.is_empty() {
            return Ok(Vec::new());
        }
        // Stable: of equal keys, the one pushed first stays first.
        new.sort_by_key(|e| e.key);
        let fits = self.recent.len() + new.len() <= RECENT_CAP;
        if fits && new.len() as u64 * PROBE_RATIO <= self.run_len {
            self.probe(run, &new)
        } else {
            self.merge(run, &new)
        }
    }

    fn take_segment(&mut self, spill: &File) -> Result<Vec<Entry>> {
        let mut new = Vec::new();
        let mut bytes = Vec::new();
        for (at, len) in self.chunks.drain(..) {
            bytes.resize(len, 0);
            spill
                .read_exact_at(&mut bytes, at)
                .context("cannot read back the spilled rating keys")?;
            new.extend(Entry::read(&bytes));
        }
        new.append(&mut self.held);
        Ok(new)
    }

    /// Looks each distinct new key up in memory, then in the run; the keys
    /// not found are kept in memory.
    fn probe(&mut self, run: &Path, new: &[Entry]) -> Result<Vec<Repeat>> {
        let file = File::open(run).with_context(|| format!("cannot open {}", run.display()))?;
        let mut repeats = Vec::new();
        let mut fresh = Vec::new();
        for group in new.chunk_by(|a, b| a.key == b.key) {
            let key = group[0].key;
            let older = match self.recent.binary_search_by_key(&key, |e| e.key) {
                Ok(i) => Some(self.recent[i]),
                Err(_) => find(&file, self.run_len, key)
                    .with_context(|| format!("cannot read {}", run.display()))?,
            };
            let (first, rest) = match older {
                Some(first) => (first, group),
                None => {
                    fresh.push(group[0]);
                    (group[0], &group[1..])
                }
            };
            repeats.extend(rest.iter().map(|e| Repeat {
                line: e.line,
                first: first.origin(),
            }));
        }
        self.recent = merge_disjoint(&self.recent, &fresh);
        Ok(repeats)
    }

    /// Merges the new keys, and those kept in memory, into the run.
    fn merge(&mut self, run: &Path, new: &[Entry]) -> Result<Vec<Repeat>> {
        let mut old = read_entries(run, self.run_len)?;
        if !self.recent.is_empty() {
            old = merge_disjoint(&old, &std::mem::take(&mut self.recent));
        }
        let (merged, repeats) = merge_sorted(&old, new);
        let mut bytes = Vec::new();
        Entry::write(&merged, &mut bytes);
        // Rewritten in place: a crash leaves the folder to the next batch's
        // sweep, so there is nothing to keep atomic here.
        std::fs::write(run, &bytes).with_context(|| format!("cannot write {}", run.display()))?;
        self.run_len = merged.len() as u64;
        Ok(repeats)
    }
}

/// The entry with this key in a sorted run file of `len` entries.
fn find(file: &File, len: u64, key: u64) -> std::io::Result<Option<Entry>> {
    let (mut lo, mut hi) = (0, len);
    let mut buf = [0u8; ENTRY];
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        file.read_exact_at(&mut buf, mid * ENTRY as u64)?;
        let e = Entry::decode(&buf);
        match e.key.cmp(&key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Ok(Some(e)),
        }
    }
    Ok(None)
}

fn read_entries(path: &Path, len: u64) -> Result<Vec<Entry>> {
    if len == 0 {
        return Ok(Vec::new());
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Entry::read(&bytes))
}

/// Two sorted runs with no key in common, as one.
fn merge_disjoint(a: &[Entry], b: &[Entry]) -> Vec<Entry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].key < b[j].key {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
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
    fn small_segments_after_a_large_run_are_looked_up_and_remembered() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut keys = Keys::create(dir.path().join("k")).expect("create");
        // One partition (top byte 0) with a run large enough to probe.
        for line in 0..10_000u32 {
            keys.push(u64::from(line) * 2, Origin::Warehouse { batch: 1 })
                .expect("push");
        }
        assert!(keys.commit().expect("commit").is_empty());
        let warehouse = Origin::Warehouse { batch: 1 };
        // A small sheet: a key of the run twice, a new key twice.
        for (line, key) in [(2, 4000), (3, 1), (4, 4000), (5, 1)] {
            keys.push(key, at(2, line)).expect("push");
        }
        let got = keys.commit().expect("commit");
        assert_eq!(
            got,
            [
                repeat(2, warehouse),
                repeat(4, warehouse),
                repeat(5, at(2, 3))
            ]
        );
        assert_eq!(
            keys.parts[0].recent.len(),
            1,
            "the new key was not kept in memory"
        );
        // The next small sheet repeats the key kept in memory.
        keys.push(1, at(3, 7)).expect("push");
        assert_eq!(keys.commit().expect("commit"), [repeat(7, at(2, 3))]);
        // A large segment merges what memory kept into the run.
        for line in 0..5_000u32 {
            keys.push(u64::from(line) * 2 + 30_001, at(4, line))
                .expect("push");
        }
        keys.push(1, at(4, 9_999)).expect("push");
        assert_eq!(keys.commit().expect("commit"), [repeat(9_999, at(2, 3))]);
        assert!(keys.parts[0].recent.is_empty());
        keys.push(1, at(5, 1)).expect("push");
        keys.push(30_001, at(5, 2)).expect("push");
        let got = keys.commit().expect("commit");
        assert_eq!(got, [repeat(1, at(2, 3)), repeat(2, at(4, 0))]);
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
