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

/// What a walk of the inputs found: exports, files of other types (to be
/// reported) and inputs refused unopened, each with the reason.
#[derive(Default)]
pub struct Discovered {
    pub found: Found,
    pub other: Vec<PathBuf>,
    pub refused: Vec<(PathBuf, String)>,
}

/// Files under `paths` (folders are walked, in name order); hidden files are
/// skipped; files of other types are returned separately to be reported.
/// Inside a folder nothing but regular files and folders is opened: a
/// symbolic link could point anywhere on the machine (a key, /etc/shadow,
/// /dev/zero) and a FIFO or device blocks or never ends, so both are
/// refused by their `symlink_metadata`, never followed or opened. The
/// paths named (or the configured inbox) are the operator's choice and are
/// followed, but must still be a folder or a regular file.
pub fn discover(paths: &[PathBuf]) -> Result<Discovered> {
    let mut d = Discovered::default();
    for p in paths {
        anyhow::ensure!(p.exists(), "{} does not exist: name the files or folders to ingest, or create the inbox set in [paths] of the configuration", p.display());
        let meta = std::fs::metadata(p)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
        walk(p, meta.file_type(), &mut d)?;
    }
    d.found.sort();
    d.found.dedup();
    Ok(d)
}

fn walk(p: &Path, kind: std::fs::FileType, d: &mut Discovered) -> Result<()> {
    let hidden = p
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    if kind.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        entries.sort();
        for e in entries.iter().filter(|e| {
            !e.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        }) {
            let meta = std::fs::symlink_metadata(e)
                .map_err(|err| anyhow::anyhow!("cannot read {}: {err}", e.display()))?;
            walk(e, meta.file_type(), d)?;
        }
        return Ok(());
    }
    if hidden {
        return Ok(());
    }
    if let Some(reason) = not_regular(kind) {
        d.refused.push((p.to_path_buf(), reason.to_string()));
        return Ok(());
    }
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "tsv" | "txt" => d.found.push((p.to_path_buf(), Format::Csv)),
        "xlsx" | "xlsm" | "xls" => d.found.push((p.to_path_buf(), Format::Xlsx)),
        "jsonl" | "ndjson" => d.found.push((p.to_path_buf(), Format::Jsonl)),
        _ => d.other.push(p.to_path_buf()),
    }
    Ok(())
}

/// Why an entry that is not a regular file is refused; None for a file.
fn not_regular(kind: std::fs::FileType) -> Option<&'static str> {
    if kind.is_file() {
        return None;
    }
    Some(if kind.is_symlink() {
        "is a symbolic link: pingyi does not follow links in the inbox (one could point at any file on this machine); copy the export itself into the folder"
    } else if pipe_or_socket(kind) {
        "is a FIFO or socket, not a file: reading it could wait forever; copy the export itself into the folder as a regular file"
    } else {
        "is a device or other special file, not a regular file: pingyi reads only regular files; copy the export itself into the folder"
    })
}

#[cfg(unix)]
fn pipe_or_socket(kind: std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo() || kind.is_socket()
}

#[cfg(not(unix))]
fn pipe_or_socket(_: std::fs::FileType) -> bool {
    false
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
    let mut sheet_flags = Vec::new();
    let (mut tables, headers): (Tables, Vec<Vec<String>>) = match format {
        Format::Csv => match CsvChunks::open(path, encoding, &known)? {
            Ok(c) => {
                notes.push(super::decode::name(c.encoding()).to_string());
                let h = vec![c.headers.clone()];
                (Tables::Csv(c), h)
            }
            Err(e) => return Ok(Err(e.to_string())),
        },
        Format::Xlsx => match super::xlsx::read(
            path,
            hints.sheet.as_deref(),
            &known,
            cfg.ingest.max_sheet_bytes,
        ) {
            Ok(book) => {
                notes.extend(book.notes);
                let (t, flags): (Vec<RawTable>, Vec<_>) = book.tables.into_iter().unzip();
                sheet_flags = flags;
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
    let mut mappings = Vec::with_capacity(headers.len());
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
            chosen = Some(m.clone());
        }
        mappings.push(m);
    }
    // A workbook's hidden rows and formula cells, now that each sheet's
    // columns are known.
    if let Tables::Loaded(ts) = &mut tables {
        for ((t, flags), m) in ts.iter_mut().zip(sheet_flags).zip(&mappings) {
            super::xlsx_flags::divert(m, t, flags)?;
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
