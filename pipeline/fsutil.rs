//! File-system helpers for writes that must never be seen half done.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A file written under a temporary name beside its target and renamed into
/// place by `commit` after a sync. Dropped without commit, it is removed.
///
/// Writes go through a buffer: polars' Parquet writer and serde_json write
/// a few bytes at a time (a footer field, a page header), and unbuffered
/// they were 570,000 `write` calls in one ten-million-rating nightly run.
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    pub fn create(target: &Path) -> Result<AtomicFile> {
        if target.is_dir() {
            anyhow::bail!(
                "{} is a folder: give the name of a file to write (e.g. {})",
                target.display(),
                target.join("out.csv").display()
            );
        }
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(AtomicFile {
            tmp,
            target: target.to_path_buf(),
            file: Some(BufWriter::with_capacity(1 << 16, file)),
        })
    }

    pub fn writer(&mut self) -> &mut BufWriter<File> {
        self.file.as_mut().expect("open until commit")
    }

    /// Syncs and renames; on any failure the temporary file is removed
    /// (by `drop`), so a failed write leaves nothing behind.
    pub fn commit(mut self) -> Result<()> {
        let buffered = self.file.as_mut().expect("open until commit");
        buffered
            .flush()
            .with_context(|| format!("cannot write {}", self.tmp.display()))?;
        buffered
            .get_ref()
            .sync_all()
            .with_context(|| format!("cannot sync {}", self.tmp.display()))?;
        std::fs::rename(&self.tmp, &self.target)
            .with_context(|| format!("cannot move {} into place", self.target.display()))?;
        // Renamed: nothing left for `drop` to remove.
        self.file = None;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to `path` through an `AtomicFile`: the old content or the
/// new, never a mix.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut out = AtomicFile::create(path)?;
    std::io::Write::write_all(out.writer(), bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    out.commit()
}

/// Makes a rename durable (best effort: not every file system supports it).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Test hook for crash tests: `PINGYI_FAULT=NAME` aborts the process (as a
/// kill -9 would stop it) when execution reaches the fault point `NAME`.
pub fn fault_point(name: &str) {
    if std::env::var("PINGYI_FAULT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

/// SHA-256 of a file's bytes, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// Now, as UTC RFC 3339 (to the second).
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let date = crate::dates::Date::from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// Hands memory freed by a finished stage back to the system. glibc keeps
/// freed blocks in its per-thread arenas for reuse, so without this the
/// nightly run's peak was the sum of its stages' leftovers rather than the
/// largest stage (1.35 GB against ingest's 1.15 GB at ten million ratings).
/// Allocators that return memory on their own cost 5-10 s of page faults
/// in the same run (BENCHMARKS.md).
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free pages of glibc's own heaps.
        unsafe {
            malloc_trim(0);
        }
    }
}
