//! Finding input files and opening each as a sequence of raw tables, with
//! its kind decided. Problems that concern the whole file refuse it here.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::csv::CsvChunks;
use super::jsonl::JsonlChunks;
use super::mapping::{self, Mapping};
use super::table::RawTable;
use crate::config::{Config, Encoding};
use crate::contract::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Csv,
    Xlsx,
    Jsonl,
}

/// The exports found, each with its format.
pub type Found = Vec<(PathBuf, Format)>;

/// Files under `paths` (folders are walked, in name order); hidden files are
/// skipped; files of other types are returned separately to be reported.
pub fn discover(paths: &[PathBuf]) -> Result<(Found, Vec<PathBuf>)> {
    let mut found = Vec::new();
    let mut other = Vec::new();
    for p in paths {
        anyhow::ensure!(p.exists(), "{} does not exist: name the files or folders to ingest, or create the inbox set in [paths] of the configuration", p.display());
        walk(p, &mut found, &mut other)?;
    }
    found.sort();
    found.dedup();
    Ok((found, other))
}

fn walk(p: &Path, found: &mut Vec<(PathBuf, Format)>, other: &mut Vec<PathBuf>) -> Result<()> {
    let hidden = p
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    if p.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        entries.sort();
        for e in entries.iter().filter(|e| {
            !e.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        }) {
            walk(e, found, other)?;
        }
        return Ok(());
    }
    if hidden {
        return Ok(());
    }
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "txt" => found.push((p.to_path_buf(), Format::Csv)),
        "xlsx" | "xlsm" | "xls" => found.push((p.to_path_buf(), Format::Xlsx)),
        "jsonl" | "ndjson" => found.push((p.to_path_buf(), Format::Jsonl)),
        _ => other.push(p.to_path_buf()),
    }
    Ok(())
}

/// What the command line says about every file (overriding detection).
#[derive(Debug, Clone, Default)]
pub struct Hints {
    pub kind: Option<Kind>,
    pub encoding: Option<Encoding>,
    pub sheet: Option<String>,
    /// The run's as-of date (`run --as-of`): dates after it are quarantined.
    /// None: `report.as_of`, else today.
    pub as_of: Option<crate::dates::Date>,
}

/// An opened input: its kind, its tables (CSV: read block by block later).
pub enum Tables {
    Csv(CsvChunks),
    /// JSON lines, read in chunks of lines.
    Jsonl(JsonlChunks),
    /// Workbook sheets, read whole.
    Loaded(Vec<RawTable>),
}

pub struct Opened {
    pub mapping: Mapping,
    /// What was detected, for the file's report line (encoding, source).
    pub notes: Vec<String>,
    pub tables: Tables,
    pub source_scale: Vec<(String, String)>,
}

/// Opens a file and maps its headers; Err(message) refuses the file.
pub fn open(
    cfg: &Config,
    path: &Path,
    format: Format,
    hints: &Hints,
) -> Result<std::result::Result<Opened, String>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = mapping::source_for(cfg, &name);
    let aliases = mapping::alias_map(cfg, source.map(|s| s.1));
    let known = |h: &str| aliases.contains_key(&crate::headers::fold(h));
    let source_scale: Vec<(String, String)> = source
        .map(|s| {
            s.1.scale
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    let encoding = hints.encoding.or_else(|| source.and_then(|s| s.1.encoding));
    let mut notes = Vec::new();
    let (tables, headers): (Tables, Vec<Vec<String>>) = match format {
        Format::Csv => match CsvChunks::open(path, encoding, &known)? {
            Ok(c) => {
                notes.push(super::decode::name(c.encoding()).to_string());
                let h = vec![c.headers.clone()];
                (Tables::Csv(c), h)
            }
            Err(e) => return Ok(Err(e.to_string())),
        },
        Format::Xlsx => match super::xlsx::read(path, hints.sheet.as_deref(), &known) {
            Ok(t) => {
                let h = t.iter().map(|t| t.headers.clone()).collect();
                (Tables::Loaded(t), h)
            }
            Err(e) => return Ok(Err(e)),
        },
        Format::Jsonl => match JsonlChunks::open(path)? {
            Ok(c) => {
                let h = vec![c.headers().to_vec()];
                (Tables::Jsonl(c), h)
            }
            Err(e) => return Ok(Err(e)),
        },
    };
    // Every sheet must map to the same kind; one that cannot refuses the file.
    let mut chosen: Option<Mapping> = None;
    for (i, h) in headers.iter().enumerate() {
        let m = match mapping::resolve(cfg, h, source, hints.kind) {
            Ok(m) => m,
            Err(e) if headers.len() > 1 => return Ok(Err(format!("sheet {}: {e}", i + 1))),
            Err(e) => return Ok(Err(e)),
        };
        if let Some(c) = &chosen {
            if c.kind != m.kind {
                return Ok(Err(format!("its sheets hold different kinds of data ({} and {}); put them in separate files", c.kind.name(), m.kind.name())));
            }
        }
        if chosen.is_none() {
            chosen = Some(m);
        }
    }
    let mut mapping = chosen.expect("at least one table");
    // Sheets of one workbook may order their columns differently.
    if let Tables::Loaded(ts) = &tables {
        if ts.len() > 1 {
            mapping.columns.clear();
        }
    }
    if let Some(source) = &mapping.source {
        notes.push(format!("source {source}"));
    }
    Ok(Ok(Opened {
        mapping,
        notes,
        tables,
        source_scale,
    }))
}

/// The mapping for one table of an opened input (sheets map separately).
pub fn mapping_for(cfg: &Config, mapping: &Mapping, table: &RawTable, path: &Path) -> Mapping {
    if !mapping.columns.is_empty() {
        return mapping.clone();
    }
    remap(cfg, mapping.kind, &table.headers, path).expect("checked when the file was opened")
}

/// The mapping of headers found after the file was opened (a JSON key first
/// seen in a later chunk); Err(message) refuses the file.
pub fn remap(
    cfg: &Config,
    kind: Kind,
    headers: &[String],
    path: &Path,
) -> std::result::Result<Mapping, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    mapping::resolve(cfg, headers, mapping::source_for(cfg, &name), Some(kind))
}
