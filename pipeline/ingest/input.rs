//! Finding input files and opening each as a sequence of raw tables, with
//! its kind decided. Problems that concern the whole file refuse it here.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::format::How;
pub use super::format::Tables;
pub use super::formats::Format;
use super::mapping::{self, Mapping};
use super::table::RawTable;
use crate::config::{Config, Encoding};
use crate::contract::{Kind, Refusal};

/// The exports found, each with its format.
pub type Found = Vec<(PathBuf, Format)>;

/// What a walk of the inputs found: exports, files of other types (to be
/// reported) and inputs refused unopened, each with the reason.
#[derive(Default)]
pub struct Discovered {
    pub found: Found,
    pub other: Vec<PathBuf>,
    pub refused: Vec<(PathBuf, Refusal)>,
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
        d.refused.push((p.to_path_buf(), Refusal::unopened(reason)));
        return Ok(());
    }
    match Format::from_path(p) {
        Some(format) => d.found.push((p.to_path_buf(), format)),
        None => d.other.push(p.to_path_buf()),
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
pub struct Opened {
    pub mapping: Mapping,
    /// What was detected, for the file's report line (encoding, source).
    pub notes: Vec<String>,
    pub tables: Tables,
    pub source_scale: Vec<(String, String)>,
}

/// Opens a file and maps its headers; Ok(Err) refuses the file.
pub fn open(
    cfg: &Config,
    path: &Path,
    format: Format,
    hints: &Hints,
) -> Result<std::result::Result<Opened, Refusal>> {
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
    let how = How {
        encoding,
        sheet: hints.sheet.as_deref(),
        known: &known,
        max_sheet_bytes: cfg.ingest.max_sheet_bytes,
    };
    let (mut tables, mut notes, sheet_flags) = match format.reader().open(path, &how)? {
        Ok(s) => (s.tables, s.notes, s.flags),
        Err(e) => return Ok(Err(e)),
    };
    let headers = tables.headers();
    // Every sheet must map to the same kind; one that cannot refuses the file.
    let mut chosen: Option<Mapping> = None;
    let mut mappings = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let m = match mapping::resolve(cfg, h, source, hints.kind) {
            Ok(m) => m,
            Err(e) if headers.len() > 1 => {
                return Ok(Err(Refusal::unmapped(format!("sheet {}: {e}", i + 1))))
            }
            Err(e) => return Ok(Err(Refusal::unmapped(e))),
        };
        if let Some(c) = &chosen {
            if c.kind != m.kind {
                return Ok(Err(Refusal::unmapped(format!("its sheets hold different kinds of data ({} and {}); put them in separate files", c.kind.name(), m.kind.name()))));
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

impl Opened {
    /// Reads every table of the file one after the other, each with its
    /// mapping, for readers that need no parallel blocks (`plain`, the
    /// fuzz tests; `batch.rs` reads each shape its own way).
    /// Ok(Err) when a later block refuses the file.
    pub fn each_table(
        self,
        cfg: &Config,
        path: &Path,
        mut f: impl FnMut(&RawTable, &Mapping) -> Result<()>,
    ) -> Result<std::result::Result<(), Refusal>> {
        let mapping = self.mapping;
        match self.tables {
            Tables::Csv(mut chunks) => {
                while let Some(next) = chunks.next_chunk()? {
                    match next {
                        Ok(t) => f(&t, &mapping_for(cfg, &mapping, &t, path))?,
                        Err(why) => return Ok(Err(why.into())),
                    }
                }
            }
            Tables::Jsonl(mut chunks) => {
                while let Some(next) = chunks.next_table()? {
                    let t = match next {
                        Ok(t) => t,
                        Err(why) => return Ok(Err(why)),
                    };
                    // Keys first seen in a later chunk map too.
                    match remap(cfg, mapping.kind, &t.headers, path) {
                        Ok(m) => f(&t, &m)?,
                        Err(why) => return Ok(Err(why)),
                    }
                }
            }
            Tables::Loaded(tables) => {
                for t in &tables {
                    f(t, &mapping_for(cfg, &mapping, t, path))?;
                }
            }
        }
        Ok(Ok(()))
    }
}

/// The mapping for one table of an opened input (sheets map separately).
pub fn mapping_for(cfg: &Config, mapping: &Mapping, table: &RawTable, path: &Path) -> Mapping {
    if !mapping.columns.is_empty() {
        return mapping.clone();
    }
    remap(cfg, mapping.kind, &table.headers, path).expect("checked when the file was opened")
}

/// The mapping of headers found after the file was opened (a JSON key first
/// seen in a later chunk); Err refuses the file.
pub fn remap(
    cfg: &Config,
    kind: Kind,
    headers: &[String],
    path: &Path,
) -> std::result::Result<Mapping, Refusal> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    mapping::resolve(cfg, headers, mapping::source_for(cfg, &name), Some(kind))
        .map_err(Refusal::unmapped)
}
