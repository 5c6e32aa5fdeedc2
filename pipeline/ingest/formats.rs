//! The input formats read, and which one a file is: one reader each in
//! `READERS`, chosen once by the file's extension (`Format::from_path`);
//! discovery, `plain`, the batch and the fuzz tests all go through this
//! list. A new format is one file (its reader, implementing
//! `format::Reader`) and one line in `READERS`. The CSV and JSON-lines
//! readers are bound here rather than in their own files because their
//! streams are shapes of `format::Tables` (which would make a circle);
//! the workbook reader, whose sheets are loaded whole, is in `xlsx.rs`.

use std::path::Path;

use anyhow::Result;

use super::csv::CsvChunks;
use super::format::{How, Reader, Source, Tables};
use super::jsonl::JsonlChunks;
use crate::contract::Refusal;
use crate::rng::Rng;

/// Every format read, in the order their fuzz targets run.
const READERS: &[&dyn Reader] = &[&Csv, &Jsonl, &super::xlsx::Xlsx];

/// An input format: one of `READERS`.
#[derive(Clone, Copy)]
pub struct Format(&'static dyn Reader);

impl Format {
    /// The format a file's extension names (any case); None for a file
    /// that is no export.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_string_lossy().to_lowercase();
        Format::all().find(|f| f.0.extensions().contains(&ext.as_str()))
    }

    pub fn all() -> impl Iterator<Item = Format> {
        READERS.iter().map(|r| Format(*r))
    }

    pub fn reader(self) -> &'static dyn Reader {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Format {}

impl PartialOrd for Format {
    fn partial_cmp(&self, other: &Format) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Format {
    fn cmp(&self, other: &Format) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

/// CSV, TSV and text exports (`csv/`).
pub struct Csv;

impl Reader for Csv {
    fn name(&self) -> &'static str {
        "csv"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["csv", "tsv", "txt"]
    }

    fn open(&self, path: &Path, how: &How) -> Result<std::result::Result<Source, Refusal>> {
        Ok(match CsvChunks::open(path, how.encoding, how.known)? {
            Ok(c) => Ok(Source {
                notes: vec![super::decode::name(c.encoding()).to_string()],
                tables: Tables::Csv(c),
                flags: Vec::new(),
            }),
            Err(e) => Err(e.into()),
        })
    }

    /// The blocks are hashed as they are read (`finish_sha256`).
    fn hashes_while_reading(&self) -> bool {
        true
    }

    /// An export as saved: GB18030, with a BOM, tab-separated with CRLF
    /// line ends, or plain UTF-8.
    fn fuzz_seed(&self, rng: &mut Rng) -> Vec<u8> {
        let text = rng.pick(super::csv::FUZZ_SEEDS);
        match rng.below(4) {
            0 => encoding_rs::GB18030.encode(text).0.into_owned(),
            1 => [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat(),
            2 => text.replace(',', "\t").replace('\n', "\r\n").into_bytes(),
            _ => text.as_bytes().to_vec(),
        }
    }
}

/// JSON-lines exports of evaluation devices (`jsonl.rs`).
pub struct Jsonl;

impl Reader for Jsonl {
    fn name(&self) -> &'static str {
        "jsonl"
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["jsonl", "ndjson"]
    }

    fn open(&self, path: &Path, _: &How) -> Result<std::result::Result<Source, Refusal>> {
        Ok(JsonlChunks::open(path)?.map(|c| Source {
            tables: Tables::Jsonl(c),
            notes: Vec::new(),
            flags: Vec::new(),
        }))
    }

    fn fuzz_seed(&self, rng: &mut Rng) -> Vec<u8> {
        rng.pick(super::jsonl::FUZZ_SEEDS).as_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extension_names_one_format() {
        let of = |p: &str| Format::from_path(Path::new(p)).map(Format::name);
        assert_eq!(of("a/评议.CSV"), Some("csv"));
        assert_eq!(of("a.tsv"), Some("csv"));
        assert_eq!(of("a.txt"), Some("csv"));
        assert_eq!(of("a.xlsm"), Some("xlsx"));
        assert_eq!(of("a.xls"), Some("xlsx"));
        assert_eq!(of("a.ndjson"), Some("jsonl"));
        assert_eq!(of("a.pdf"), None);
        assert_eq!(of("README"), None);
        let mut seen = Vec::new();
        for f in Format::all() {
            for e in f.reader().extensions() {
                assert!(!seen.contains(e), "{e} claimed twice");
                seen.push(e);
            }
        }
    }
}
