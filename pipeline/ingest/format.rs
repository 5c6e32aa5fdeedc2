//! What an input format is: a `Reader` (its extensions, how it opens a
//! file, a file for the fuzz tests to start from) and the shapes an opened
//! file's rows arrive in (`Tables`). The list of formats and the choice of
//! one by a file's extension: `formats.rs`.

use std::path::Path;

use anyhow::Result;

use super::csv::CsvChunks;
use super::jsonl::JsonlChunks;
use super::table::RawTable;
use super::xlsx_flags::Flag;
use crate::config::Encoding;
use crate::contract::Refusal;
use crate::rng::Rng;

/// A reader of one input format.
pub trait Reader: Sync {
    /// Its short name, lower case (`csv`): the fuzz target's name.
    fn name(&self) -> &'static str;
    /// The file extensions it reads, lower case, without the dot.
    fn extensions(&self) -> &'static [&'static str];
    /// Opens the file far enough that its headers are known;
    /// Ok(Err) refuses the file (`Refusal::unreadable`).
    fn open(&self, path: &Path, how: &How) -> Result<std::result::Result<Source, Refusal>>;
    /// Whether reading the file takes its SHA-256 on the way, so triage
    /// need not read it once more to hash it first.
    fn hashes_while_reading(&self) -> bool {
        false
    }
    /// Whether the file holds sheets (`--sheet` names one of them).
    fn has_sheets(&self) -> bool {
        false
    }
    /// A realistic file of this format, for the fuzz tests to mutate.
    fn fuzz_seed(&self, rng: &mut Rng) -> Vec<u8>;
}

/// What a reader is told when it opens a file.
pub struct How<'a> {
    /// The encoding named on the command line or by the file's source.
    pub encoding: Option<Encoding>,
    /// The one sheet to read (`--sheet`).
    pub sheet: Option<&'a str>,
    /// Whether a header is one the mapping knows (to find the header row
    /// below title rows).
    pub known: &'a dyn Fn(&str) -> bool,
    /// `ingest.max_sheet_bytes`.
    pub max_sheet_bytes: u64,
}

/// An opened file: its tables, notes for the file's report (encoding,
/// hidden sheets) and, for each loaded table, its rows flagged to be set
/// aside once the table's columns are known (a workbook's hidden rows and
/// formula cells; empty for other formats).
pub struct Source {
    pub tables: Tables,
    pub notes: Vec<String>,
    pub flags: Vec<Vec<Flag>>,
}

/// How an opened file's rows arrive; a new format hands its rows over in
/// one of these shapes.
pub enum Tables {
    /// Blocks of CSV records, parsed and coded on several threads.
    Csv(CsvChunks),
    /// JSON lines, read in chunks of lines.
    Jsonl(JsonlChunks),
    /// Tables read whole (workbook sheets).
    Loaded(Vec<RawTable>),
}

impl Tables {
    /// The headers of each table, as far as the file was read to open it.
    pub fn headers(&self) -> Vec<Vec<String>> {
        match self {
            Tables::Csv(c) => vec![c.headers.clone()],
            Tables::Jsonl(c) => vec![c.headers().to_vec()],
            Tables::Loaded(ts) => ts.iter().map(|t| t.headers.clone()).collect(),
        }
    }
}
