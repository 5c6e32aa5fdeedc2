//! The warehouse: Parquet tables under one folder and the manifest that says
//! which files make up each table.
//!
//! Commit protocol: a batch writes its new files under names that include the
//! batch id (each file via a temporary name and a rename, so no half-written
//! file ever has a final name); then the manifest is replaced atomically. The
//! manifest is the commit point: readers see only the files it lists, so a
//! crash before it is replaced leaves the warehouse exactly as before the
//! batch, and the orphaned files are removed by the next run.

pub mod breaches;
pub mod keys;
mod manifest;
pub mod migrate;
mod parquet;
pub mod runs;
pub mod schema;
pub mod seal;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{
    col, lit, DataFrame, IntoLazy, LazyFrame, PlRefPath, ScanArgsParquet, SortMultipleOptions,
};

pub use manifest::{BatchRecord, FileRecord, FileStatus, Manifest, OtherFormat, FORMAT};
pub use parquet::{compression, parquet_writer, read_parquet, write_csv_bom, write_parquet};

pub const MANIFEST: &str = "MANIFEST.json";

/// The tables pingyi keeps, each a folder of Parquet files.
pub const TABLES: [&str; 8] = [
    "ratings",
    "subjects",
    "raters",
    "suggestions",
    "suggestions_history",
    "case_records",
    "case_records_history",
    "quarantine",
];

/// Folders whose files the manifest lists: the tables, and the quarantine as
/// CSV for clerks.
fn listed_dirs() -> impl Iterator<Item = &'static str> {
    TABLES.into_iter().chain(["quarantine_csv", "metrics"])
}

pub struct Warehouse {
    pub root: PathBuf,
}

impl Warehouse {
    pub fn open(root: &Path) -> Result<Warehouse> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create warehouse folder {}", root.display()))?;
        Ok(Warehouse {
            root: root.to_path_buf(),
        })
    }

    /// Opens an existing warehouse for reading; a missing one reads as empty.
    pub fn at(root: &Path) -> Warehouse {
        Warehouse {
            root: root.to_path_buf(),
        }
    }

    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::load(&self.root.join(MANIFEST))
    }

    /// Replaces the manifest atomically: the commit point of a batch. The
    /// files written since the last commit are sealed (size and SHA-256)
    /// first.
    pub fn commit(&self, manifest: &Manifest) -> Result<()> {
        let mut manifest = manifest.clone();
        seal::seal_new(&self.root, &mut manifest)?;
        manifest.store(&self.root.join(MANIFEST))?;
        self.collect_garbage(&manifest)
    }

    /// Removes table files the manifest does not list: leftovers of a batch
    /// that crashed before its commit, and snapshots a later batch replaced.
    pub fn collect_garbage(&self, manifest: &Manifest) -> Result<()> {
        let live: BTreeSet<&str> = manifest
            .tables
            .values()
            .flatten()
            .map(String::as_str)
            .collect();
        for table in listed_dirs() {
            let dir = self.root.join(table);
            if dir.is_dir() {
                remove_unlisted(&self.root, &dir, &live)?;
            }
        }
        Ok(())
    }

    /// A lazy scan of a table's committed files (an empty frame with the
    /// table's schema when it has none).
    pub fn scan(&self, manifest: &Manifest, table: &str) -> Result<LazyFrame> {
        let files: Vec<&String> = manifest.tables.get(table).into_iter().flatten().collect();
        self.scan_files(manifest, table, &files)
    }

    /// A table's committed files by partition folder
    /// (`ratings/period=2012Q3/`), for passes whose memory grows with the
    /// rows they see at once.
    pub fn partitions<'m>(&self, manifest: &'m Manifest, table: &str) -> Vec<Vec<&'m String>> {
        let mut parts: BTreeMap<&str, Vec<&String>> = BTreeMap::new();
        for f in manifest.tables.get(table).into_iter().flatten() {
            parts
                .entry(f.rsplit_once('/').map_or("", |(dir, _)| dir))
                .or_default()
                .push(f);
        }
        parts.into_values().collect()
    }

    /// The path of one of a table's committed files, checked first (size
    /// and magic bytes) as a scan checks it, for readers below polars' scan.
    pub fn checked_file(&self, manifest: &Manifest, file: &str) -> Result<PathBuf> {
        seal::quick_check(&self.root, manifest, file)?;
        Ok(self.root.join(file))
    }

    /// A lazy scan of one of a table's committed files.
    pub fn scan_file(&self, manifest: &Manifest, table: &str, file: &String) -> Result<LazyFrame> {
        self.scan_files(manifest, table, &[file])
    }

    /// Every recorded version of one row of a history table (`*_history`:
    /// the row whose `key` column is `id`), oldest batch first, with the
    /// provenance columns and `columns`.
    pub fn history(
        &self,
        manifest: &Manifest,
        table: &str,
        (key, id): (&str, &str),
        columns: &[&str],
    ) -> Result<DataFrame> {
        let shown = ["batch_id", "source_file", "source_line"]
            .iter()
            .chain(columns)
            .map(|c| col(*c))
            .collect::<Vec<_>>();
        Ok(self
            .scan(manifest, table)?
            .filter(col(key).eq(lit(id)))
            .sort_by_exprs(
                [col("batch_id"), col("source_line")],
                SortMultipleOptions::default(),
            )
            .select(shown)
            .collect()?)
    }

    /// A lazy scan of some of a table's files, each checked first (size and
    /// magic bytes) so a damaged one is named now, not as a nameless
    /// Parquet error when the scan is collected.
    pub fn scan_files(
        &self,
        manifest: &Manifest,
        table: &str,
        files: &[&String],
    ) -> Result<LazyFrame> {
        for f in files {
            seal::quick_check(&self.root, manifest, f)?;
        }
        let files: Vec<PlRefPath> = files
            .iter()
            .map(|f| PlRefPath::new(self.root.join(f).to_string_lossy().as_ref()))
            .collect();
        if files.is_empty() {
            return Ok(DataFrame::empty_with_schema(&schema::of(table)).lazy());
        }
        let args = ScanArgsParquet {
            hive_options: polars::prelude::HiveOptions {
                enabled: Some(false),
                ..Default::default()
            },
            ..Default::default()
        };
        Ok(LazyFrame::scan_parquet_files(
            files.into_iter().collect(),
            args,
        )?)
    }
}

fn remove_unlisted(root: &Path, dir: &Path, live: &BTreeSet<&str>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            remove_unlisted(root, &path, live)?;
            // An emptied partition folder goes too.
            let _ = std::fs::remove_dir(&path);
            continue;
        }
        let rel = relative(root, &path);
        if !live.contains(rel.as_str()) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove stale {}", path.display()))?;
        }
    }
    Ok(())
}

/// A path relative to the warehouse root, with `/` separators (as stored in the manifest).
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}
