//! MANIFEST.json: the committed batches with what happened to each input
//! file, and the files that make up each table.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::contract::Refusal;

/// The warehouse format this pingyi writes. 2: ratings store
/// `response_key` (`keys.rs`). A warehouse of an older format is read as it
/// is and written to only after `pingyi migrate` brings it up to this one
/// (`migrate.rs`); a newer one is refused.
pub const FORMAT: u32 = 2;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub batches: Vec<BatchRecord>,
    /// table → files relative to the warehouse root
    pub tables: BTreeMap<String, Vec<String>>,
    /// The as-of date of the metrics tables, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed_as_of: Option<String>,
    /// What the metrics were computed from (`compute::inputs_key`): the
    /// input tables' files, the as-of date and the configuration. `run`
    /// skips compute when it has not changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_input: Option<String>,
    /// Size and SHA-256 of every listed file, recorded at commit
    /// (`seal`); manifests written before seals were kept have none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub seals: BTreeMap<String, super::seal::Seal>,
    /// `ingest::privacy::fingerprint` of the key rater and person ids were
    /// hashed with, from the first batch committed with a key; ingest
    /// refuses another key. None before a key was used (or before kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rater_key_fingerprint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchRecord {
    pub id: u32,
    /// UTC, RFC 3339.
    pub committed_at: String,
    pub files: Vec<FileRecord>,
}

/// What became of one input file: the one outcome type of the manifest,
/// the ingest report and the run record. The manifest records only
/// `Ingested` and `Refused` (the files a batch committed); the others are
/// files an ingest looked at and left. Serialized in snake_case, as
/// `MANIFEST.json`, `ingest --json` and run records have always spelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Ingested,
    Refused,
    /// Same content as a file ingested before (or earlier in the batch).
    AlreadyIngested,
    /// Same content refused before for the same reason.
    AlreadyRefused,
    /// Not a CSV, TSV, XLSX or JSON-lines file; left alone.
    NotAnExport,
}

impl FileStatus {
    /// The serialized name (`already_ingested`), for text output and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Ingested => "ingested",
            FileStatus::Refused => "refused",
            FileStatus::AlreadyIngested => "already_ingested",
            FileStatus::AlreadyRefused => "already_refused",
            FileStatus::NotAnExport => "not_an_export",
        }
    }

    /// Whether the file's content is in the warehouse (now or from before):
    /// what `run --archive` moves.
    pub fn committed(self) -> bool {
        matches!(self, FileStatus::Ingested | FileStatus::AlreadyIngested)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    pub sha256: String,
    /// The file's size; None in records written before sizes were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The one sheet read, when ingest was told `--sheet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    pub kind: Option<String>,
    pub status: FileStatus,
    pub rows: u64,
    pub accepted: u64,
    pub quarantined: u64,
    pub quarantined_by_reason: BTreeMap<String, u64>,
    /// Why a refused file was refused; notes (ignored columns) for others.
    pub message: String,
}

/// A warehouse of a format this pingyi does not write: an older one until
/// `pingyi migrate`, a newer one never. Exit code 8.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub struct OtherFormat {
    pub warehouse: String,
    pub found: u32,
}

impl OtherFormat {
    fn message(&self) -> String {
        if self.found > FORMAT {
            format!(
                "the warehouse {} is format {}, written by a newer pingyi; this one reads and writes \
                 format {FORMAT}. Run the pingyi that wrote it (nothing was changed)",
                self.warehouse, self.found
            )
        } else {
            format!(
                "the warehouse {} is format {}; this pingyi writes format {FORMAT} (ratings store \
                 response_key). Run `pingyi migrate` once to bring it up to format {FORMAT}, then \
                 run this command again (nothing was changed)",
                self.warehouse, self.found
            )
        }
    }
}

impl crate::exit::Coded for OtherFormat {
    const CODE: u8 = crate::exit::FORMAT;
}

impl Manifest {
    /// The committed manifest; an empty one of this format where none is.
    /// A manifest of a newer format is refused (`OtherFormat`): its files
    /// may hold what this pingyi would misread.
    pub fn load(path: &Path) -> Result<Manifest> {
        let m = Manifest::read(path)?;
        if m.format > FORMAT {
            m.require_current(path.parent().unwrap_or(Path::new(".")))?;
        }
        Ok(m)
    }

    /// Refuses a warehouse of an older format to the commands that need
    /// this one: ingest (its ratings files would then differ in their
    /// columns) and compute (it reads the columns format 2 added).
    pub fn require_current(&self, root: &Path) -> Result<(), OtherFormat> {
        if self.format == FORMAT {
            return Ok(());
        }
        Err(OtherFormat {
            warehouse: root.display().to_string(),
            found: self.format,
        })
    }

    fn read(path: &Path) -> Result<Manifest> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .with_context(|| format!("{} is damaged; restore it from backup", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest {
                format: FORMAT,
                ..Default::default()
            }),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Writes to a temporary file, syncs it, renames it over the old one.
    pub fn store(&self, path: &Path) -> Result<()> {
        let tmp = path.with_extension("json.tmp");
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()?;
        drop(f);
        crate::fsutil::fault_point("before-manifest");
        std::fs::rename(&tmp, path).with_context(|| format!("cannot commit {}", path.display()))?;
        crate::fsutil::sync_dir(path.parent().unwrap_or(Path::new(".")));
        Ok(())
    }

    /// A file refused before with the same content and the same reason:
    /// refusing it again adds nothing to the record. A refusal of a file
    /// never opened is never recorded, so never found. The record keeps
    /// the reason's message only (its JSON is as it always was), so the
    /// reason is the same when the message is.
    pub fn refused_before(&self, sha256: &str, sheet: Option<&str>, refusal: &Refusal) -> bool {
        if !refusal.recorded() {
            return false;
        }
        self.batches.iter().flat_map(|b| &b.files).any(|f| {
            f.sha256 == sha256
                && f.sheet.as_deref() == sheet
                && f.status == FileStatus::Refused
                && f.message == refusal.message
        })
    }

    /// Whether some recorded file may have this size (records without a
    /// size may have any): a file of a size never seen cannot repeat one.
    pub fn may_hold_size(&self, bytes: u64) -> bool {
        self.batches
            .iter()
            .flat_map(|b| &b.files)
            .any(|f| f.bytes.is_none_or(|b| b == bytes))
    }

    pub fn next_batch_id(&self) -> u32 {
        self.batches.iter().map(|b| b.id).max().unwrap_or(0) + 1
    }

    /// The batch and file record of an input already ingested with this
    /// content hash (and the same sheet, when only one sheet was read).
    pub fn find_hash(
        &self,
        sha256: &str,
        sheet: Option<&str>,
    ) -> Option<(&BatchRecord, &FileRecord)> {
        self.batches
            .iter()
            .flat_map(|b| b.files.iter().map(move |f| (b, f)))
            .find(|(_, f)| {
                f.sha256 == sha256
                    && f.sheet.as_deref() == sheet
                    && f.status == FileStatus::Ingested
            })
    }
}

#[cfg(test)]
mod tests {
    use super::FileStatus;

    /// Text output and the `batches` table print `as_str`; JSON prints the
    /// serde name: the two must not drift apart.
    #[test]
    fn the_text_name_of_a_file_status_is_its_json_name() {
        use FileStatus::*;
        for s in [
            Ingested,
            Refused,
            AlreadyIngested,
            AlreadyRefused,
            NotAnExport,
        ] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<FileStatus>(&json).unwrap(), s);
        }
    }
}
