//! CSV and TSV exports, read in blocks of whole records so memory stays
//! bounded on files of any size. `CsvChunks` cuts the file into blocks of
//! bytes with the physical line each starts on (cheap, sequential); a
//! `Parser` turns a block into a table (the costly part, so blocks can be
//! parsed in parallel): it decodes it (UTF-8 or GB18030), locates its records
//! with their physical line numbers (quotes may hold newlines), drops blank
//! lines, sets aside rows with too many fields, and has polars' CSV reader
//! parse the rest into text columns.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use polars::prelude::{
    Column, CsvParseOptions, CsvReadOptions, DataFrame, DataType, Field, NamedFrom, PolarsResult,
    Schema, SerReader, Series,
};

use super::decode;
use super::table::{col_name, pick_header, BadRow, RawTable, LINE};
use crate::config::Encoding;

/// Bytes read at a time: large enough for polars to parse in parallel,
/// small enough that a block's intermediate columns stay well under 1 GiB.
const BLOCK: usize = 8 << 20;

pub struct CsvChunks {
    file: File,
    encoding: Encoding,
    /// Whether `--encoding` named the encoding (for an error's message).
    told: bool,
    sep: u8,
    pending: Vec<u8>,
    /// Every byte read so far, hashed on the way (the file's SHA-256).
    hasher: sha2::Sha256,
    eof: bool,
    /// Physical line number of the first line in `pending`.
    next_line: usize,
    pub headers: Vec<String>,
    pub header_line: usize,
}

/// A file-level problem: the file is refused whole.
/// Bytes of whole records and the physical line the first one starts on.
pub struct Block {
    pub bytes: Vec<u8>,
    pub first_line: usize,
}

/// What turns a block into a table; shared by the threads that parse blocks.
#[derive(Clone)]
pub struct Parser {
    encoding: Encoding,
    told: bool,
    sep: u8,
    pub headers: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the file is empty")]
    Empty,
    #[error(transparent)]
    Undecodable(#[from] decode::Undecodable),
}

impl CsvChunks {
    pub fn open(
        path: &Path,
        told: Option<Encoding>,
        known: &dyn Fn(&str) -> bool,
    ) -> Result<std::result::Result<CsvChunks, Refusal>> {
        let mut file =
            File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut head = Vec::new();
        (&mut file).take(BLOCK as u64).read_to_end(&mut head)?;
        let eof = head.len() < BLOCK;
        let encoding = decode::detect(&head, told);
        let mut hasher = sha2::Sha256::default();
        sha2::Digest::update(&mut hasher, &head);
        let mut me = CsvChunks {
            file,
            encoding,
            told: told.is_some(),
            sep: b',',
            hasher,
            pending: head,
            eof,
            next_line: 1,
            headers: Vec::new(),
            header_line: 0,
        };
        // The header is among the first records: decode just enough of them.
        let upto = line_end(&me.pending, (1 << 16).min(me.pending.len()));
        let text = match decode::decode(&me.pending[..upto], encoding, 1) {
            Ok(t) => t,
            Err(mut e) => {
                e.how = decode::how(told.is_some());
                return Ok(Err(e.into()));
            }
        };
        let records: Vec<(usize, &str)> = records(&text, 1)
            .filter(|(_, r)| !r.trim().is_empty())
            .take(10)
            .collect();
        if records.is_empty() {
            return Ok(Err(Refusal::Empty));
        }
        me.sep = if records
            .iter()
            .map(|r| r.1.matches('\t').count())
            .sum::<usize>()
            > records
                .iter()
                .map(|r| r.1.matches(',').count())
                .sum::<usize>()
        {
            b'\t'
        } else {
            b','
        };
        let split: Vec<(usize, Vec<String>)> = records
            .iter()
            .map(|(l, r)| (*l, fields(r, me.sep)))
            .collect();
        let pick = pick_header(
            split
                .iter()
                .enumerate()
                .map(|(i, (_, f))| (i, f.as_slice())),
            known,
        )
        .unwrap_or(0);
        me.headers = split[pick]
            .1
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        me.header_line = split[pick].0;
        me.skip_lines(me.header_line)?;
        Ok(Ok(me))
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// Drops the first `n` physical lines (title rows and the header).
    fn skip_lines(&mut self, n: usize) -> Result<()> {
        let mut pos = 0;
        for _ in 0..n {
            match self.pending[pos..].iter().position(|&b| b == b'\n') {
                Some(p) => pos += p + 1,
                None => pos = self.pending.len(),
            }
        }
        self.pending.drain(..pos);
        self.next_line += n;
        Ok(())
    }

    /// The end of the last complete record in `pending` (after its newline).
    fn split_point(&self) -> Option<usize> {
        // A newline ends a record when an even number of quotes precedes it:
        // look back from the end, counting quotes (a vectorized count).
        let buf = &self.pending;
        let mut end = buf.len();
        for _ in 0..64 {
            let nl = buf[..end].iter().rposition(|&b| b == b'\n')?;
            if buf[..nl].iter().filter(|&&b| b == b'"').count() % 2 == 0 {
                return Some(nl + 1);
            }
            end = nl;
        }
        // Many newlines inside one quoted field: walk forward instead.
        let mut quoted = false;
        let mut last = None;
        for (i, &b) in buf.iter().enumerate() {
            match b {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => last = Some(i + 1),
                _ => {}
            }
        }
        last
    }

    /// The next block of records, or None at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<Block>> {
        loop {
            if self.pending.is_empty() && self.eof {
                return Ok(None);
            }
            let cut = if self.eof {
                Some(self.pending.len())
            } else {
                self.split_point()
            };
            if let Some(cut) = cut {
                let rest = self.pending.split_off(cut);
                let bytes = std::mem::replace(&mut self.pending, rest);
                let first_line = self.next_line;
                self.next_line += bytes.iter().filter(|&&b| b == b'\n').count();
                return Ok(Some(Block { bytes, first_line }));
            }
            let mut more = Vec::with_capacity(BLOCK);
            (&mut self.file).take(BLOCK as u64).read_to_end(&mut more)?;
            sha2::Digest::update(&mut self.hasher, &more);
            self.eof = more.len() < BLOCK;
            self.pending.extend_from_slice(&more);
        }
    }

    /// The next block parsed, or None at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<std::result::Result<RawTable, Refusal>>> {
        let parser = self.parser();
        self.next_block()?.map(|b| parser.parse(b)).transpose()
    }

    pub fn parser(&self) -> Parser {
        Parser {
            encoding: self.encoding,
            told: self.told,
            sep: self.sep,
            headers: self.headers.clone(),
        }
    }

    /// The SHA-256 of the whole file: of the bytes read, and of the rest
    /// when reading stopped early (a refused file).
    pub fn finish_sha256(mut self) -> Result<String> {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = self.file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha2::Digest::update(&mut self.hasher, &buf[..n]);
        }
        Ok(crate::fsutil::hex(&sha2::Digest::finalize(self.hasher)))
    }
}

impl Parser {
    /// Decodes and parses one block; Ok(Err) when it cannot be decoded.
    pub fn parse(&self, block: Block) -> Result<std::result::Result<RawTable, Refusal>> {
        let Block { bytes, first_line } = block;
        match decode::decode_owned(bytes, self.encoding, first_line) {
            Ok(text) => Ok(Ok(self.parse_text(text, first_line)?)),
            Err(mut e) => {
                e.how = decode::how(self.told);
                Ok(Err(e.into()))
            }
        }
    }

    fn parse_text(&self, text: String, first_line: usize) -> Result<RawTable> {
        // Fast path: without quotes and blank lines, record i is on line
        // first_line + i; polars refuses rows that are too wide, and then the
        // careful path below finds them.
        if !text.contains('"') && !has_blank_line(&text) {
            let records = text.bytes().filter(|&b| b == b'\n').count()
                + usize::from(!text.ends_with('\n') && !text.is_empty());
            let lines: Vec<u32> = (0..records).map(|i| (first_line + i) as u32).collect();
            if let Ok(df) = self.polars(text.as_bytes()) {
                if df.height() == lines.len() {
                    return self.table(df, lines, Vec::new());
                }
            }
        }
        self.parse_careful(text, first_line)
    }

    fn table(&self, mut df: DataFrame, lines: Vec<u32>, bad: Vec<BadRow>) -> Result<RawTable> {
        anyhow::ensure!(
            df.height() == lines.len(),
            "internal: parsed {} rows for {} records",
            df.height(),
            lines.len()
        );
        df.with_column(Column::from(Series::new(LINE.into(), lines)))?;
        Ok(RawTable {
            sheet: None,
            headers: self.headers.clone(),
            df,
            bad,
        })
    }

    fn polars(&self, text: &[u8]) -> PolarsResult<DataFrame> {
        let schema: Schema = (0..self.headers.len())
            .map(|i| Field::new(col_name(i).into(), DataType::String))
            .collect();
        let sep = self.sep;
        CsvReadOptions::default()
            .with_has_header(false)
            .with_schema(Some(Arc::new(schema)))
            .map_parse_options(|o: CsvParseOptions| {
                o.with_separator(sep).with_quote_char(Some(b'"'))
            })
            .into_reader_with_file_handle(Cursor::new(text))
            .finish()
    }

    /// Locates every record, sets aside rows that are too wide, and rewrites
    /// the block when it has blank lines or such rows.
    fn parse_careful(&self, text: String, first_line: usize) -> Result<RawTable> {
        let n = self.headers.len();
        let mut lines: Vec<u32> = Vec::new();
        let mut bad = Vec::new();
        // Most blocks are clean and go to polars as they are (it reads CRLF
        // line ends); a block with blank lines or rows of the wrong width is rewritten.
        let mut dirty = false;
        for (line, rec) in records(&text, first_line) {
            let count = count_fields(rec, self.sep);
            if rec.trim().is_empty() || count != n {
                dirty = true;
            }
            if count > n {
                bad.push(BadRow {
                    line: line as u32,
                    reason: format!("the row has {count} fields, the header has {n}"),
                    raw: rec.to_string(),
                    fields: Some((fields(rec, self.sep), char::from(self.sep))),
                });
            } else if !rec.trim().is_empty() {
                lines.push(line as u32);
            }
        }
        let text = if dirty {
            self.rewrite(&text, first_line)
        } else {
            text
        };
        let df = self.polars(text.as_bytes())?;
        self.table(df, lines, bad)
    }
}

impl Parser {
    /// The block without blank lines, CRs and too-wide rows; short rows padded.
    fn rewrite(&self, text: &str, first_line: usize) -> String {
        let n = self.headers.len();
        let mut clean = String::with_capacity(text.len());
        for (_, rec) in records(text, first_line) {
            let count = count_fields(rec, self.sep);
            if rec.trim().is_empty() || count > n {
                continue;
            }
            clean.push_str(rec);
            for _ in count..n {
                clean.push(self.sep as char);
            }
            clean.push('\n');
        }
        clean
    }
}

/// A line with nothing on it (polars would skip it and shift the line numbers).
fn has_blank_line(text: &str) -> bool {
    text.starts_with('\n')
        || text.starts_with("\r\n")
        || text.contains("\n\n")
        || text.contains("\n\r\n")
}

/// End of the line containing byte `at` (to decode whole lines only).
fn line_end(bytes: &[u8], at: usize) -> usize {
    let at = at.min(bytes.len());
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| at + p + 1)
}

/// Records of `text` with the physical line each starts on; a record ends at
/// a newline outside quotes. The trailing `\r` is dropped.
pub fn records(text: &str, first_line: usize) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut line = first_line;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let mut quoted = false;
        let mut newlines = 0;
        let mut i = start;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => break,
                b'\n' => newlines += 1,
                _ => {}
            }
            i += 1;
        }
        let rec = text[start..i].strip_suffix('\r').unwrap_or(&text[start..i]);
        let at = line;
        line += newlines + 1;
        start = i + 1;
        Some((at, rec))
    })
}

fn count_fields(rec: &str, sep: u8) -> usize {
    let mut quoted = false;
    1 + rec
        .bytes()
        .filter(|&b| {
            if b == b'"' {
                quoted = !quoted;
            }
            b == sep && !quoted
        })
        .count()
}

/// Splits one record into fields (for header detection only).
pub fn fields(rec: &str, sep: u8) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = rec.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("non-empty").push('"');
            }
            '"' => quoted = !quoted,
            c if c as u32 == u32::from(sep) && !quoted => out.push(String::new()),
            c => out.last_mut().expect("non-empty").push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_physical_lines_across_quoted_newlines() {
        let text = "a,b\r\n\"x\ny\",2\n\n3,4\n";
        let r: Vec<(usize, &str)> = records(text, 1).collect();
        assert_eq!(r, vec![(1, "a,b"), (2, "\"x\ny\",2"), (4, ""), (5, "3,4")]);
    }

    #[test]
    fn fields_and_counts_respect_quotes() {
        assert_eq!(fields("\"a,b\",\"c\"\"d\",", b','), vec!["a,b", "c\"d", ""]);
        assert_eq!(count_fields("\"a,b\",c,", b','), 3);
    }
}
