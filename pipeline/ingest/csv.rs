//! CSV and TSV exports, read in blocks of whole records so memory stays
//! bounded on files of any size. `CsvChunks` cuts the file into blocks of
//! bytes with the physical line each starts on (cheap, sequential); a
//! `Parser` turns a block into a table (the costly part, so blocks can be
//! parsed in parallel): it decodes it (UTF-8 or GB18030), locates its records
//! with their physical line numbers (quotes may hold newlines), drops blank
//! lines, sets aside rows with too many fields, and codes every field against
//! its column's dictionary (`coded.rs`) in the same pass.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use std::borrow::Cow;

use super::coded::{CodedTable, Coder};
use super::decode;
use super::scan::{count_byte, scan_record, Field, Marks};
use super::table::{pick_header, BadRow, RawTable};
use crate::config::Encoding;

/// Bytes read at a time: large enough for polars to parse in parallel,
/// small enough that a block's intermediate columns stay well under 1 GiB.
const BLOCK: usize = 8 << 20;

/// The longest a record may run (checked once a block's worth more has
/// been read without finding its end, so a file is refused somewhere
/// between 8 and 16 MiB past the record's start): a quote left open (a
/// stray quote in an unquoted field) would otherwise make the rest of the
/// file one record, read into memory whole. No real export has such a field.
const MAX_RECORD: usize = BLOCK;

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

/// Bytes of whole records and the physical line the first one starts on;
/// or, instead, why the file cannot be read on from there.
pub struct Block {
    pub bytes: Vec<u8>,
    pub first_line: usize,
    refused: Option<Refusal>,
}

/// What turns a block into a table; shared by the threads that parse blocks.
#[derive(Clone)]
pub struct Parser {
    encoding: Encoding,
    told: bool,
    sep: u8,
    pub headers: Vec<String>,
}

/// A file-level problem: the file is refused whole.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}, column {column}: a quote opens a field that is still open {lines} lines ({mib} MiB) later, so the rest of the file would be one record: remove the stray quote, or put the whole field in quotes and write a quote inside it as \"\"")]
    OpenQuote {
        line: usize,
        column: String,
        lines: usize,
        mib: usize,
    },
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
            if count_byte(&buf[..nl], b'"') % 2 == 0 {
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
                self.next_line += count_byte(&bytes, b'\n');
                return Ok(Some(Block {
                    bytes,
                    first_line,
                    refused: None,
                }));
            }
            if self.pending.len() > MAX_RECORD {
                return Ok(Some(self.open_quote()));
            }
            // Read straight onto the unfinished record (no 8 MB copy).
            let start = self.pending.len();
            self.pending.reserve(BLOCK);
            (&mut self.file)
                .take(BLOCK as u64)
                .read_to_end(&mut self.pending)?;
            sha2::Digest::update(&mut self.hasher, &self.pending[start..]);
            self.eof = self.pending.len() - start < BLOCK;
        }
    }

    /// The block that refuses the file when one record runs past
    /// `MAX_RECORD`: it names the line and column of the quote left open.
    /// Reading stops here (the rest is only hashed).
    fn open_quote(&mut self) -> Block {
        let pending = std::mem::take(&mut self.pending);
        self.eof = true;
        // The last quote that opens a field and is never closed.
        let (mut quoted, mut column, mut newlines) = (false, 0, 0);
        let mut opened = (0, 0);
        for &b in &pending {
            match b {
                b'"' => {
                    quoted = !quoted;
                    if quoted {
                        opened = (newlines, column);
                    }
                }
                b'\n' if quoted => newlines += 1,
                b'\n' => (newlines, column) = (newlines + 1, 0),
                _ if b == self.sep && !quoted => column += 1,
                _ => {}
            }
        }
        let column = self.headers.get(opened.1).map_or_else(
            || format!("{}", opened.1 + 1),
            |h| format!("{} ({h})", opened.1 + 1),
        );
        Block {
            bytes: Vec::new(),
            first_line: self.next_line + opened.0,
            refused: Some(Refusal::OpenQuote {
                line: self.next_line + opened.0,
                column,
                lines: newlines - opened.0,
                mib: pending.len() >> 20,
            }),
        }
    }

    /// The next block as text columns (for `plain` and the fuzzer), or None
    /// at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<std::result::Result<RawTable, Refusal>>> {
        let parser = self.parser();
        let Some(block) = self.next_block()? else {
            return Ok(None);
        };
        Ok(Some(match parser.parse(block)? {
            Ok(coded) => Ok(coded.into_raw()?),
            Err(r) => Err(r),
        }))
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
    pub fn parse(&self, block: Block) -> Result<std::result::Result<CodedTable, Refusal>> {
        let Block {
            bytes,
            first_line,
            refused,
        } = block;
        if let Some(refusal) = refused {
            return Ok(Err(refusal));
        }
        match decode::decode_owned(bytes, self.encoding, first_line) {
            Ok(text) => Ok(Ok(self.split(&text, first_line))),
            Err(mut e) => {
                e.how = decode::how(self.told);
                Ok(Err(e.into()))
            }
        }
    }

    /// Splits the block's records into fields and codes each field against
    /// its column's dictionary, in one pass. Blank lines are skipped, rows
    /// with too many fields are set aside, short rows are padded with empty
    /// cells; every record keeps the physical line it starts on (quotes may
    /// hold newlines).
    fn split(&self, text: &str, first_line: usize) -> CodedTable {
        let n = self.headers.len();
        let rows_guess = text.len() / 64 + 1;
        let mut coders: Vec<Coder> = (0..n).map(|_| Coder::with_capacity(rows_guess)).collect();
        let mut lines: Vec<u32> = Vec::with_capacity(rows_guess);
        let mut bad = Vec::new();
        let mut walk = Records::new(text, first_line, self.sep);
        while let Some((line, rec, newlines)) = walk.next_record() {
            let fields = &walk.fields;
            let at = line as u32;
            if rec.trim().is_empty() {
                continue;
            }
            // A stray quote in a field makes the following lines part of
            // that field: the record is set aside rather than swallowing rows.
            let stray = newlines > 0
                && fields
                    .iter()
                    .any(|f| f.quoted && !well_quoted(&text[f.start..f.end]));
            if fields.len() > n || stray {
                let reason = if stray {
                    format!("a quote in a field runs over {} lines (to line {}): put the whole field in quotes and write a quote inside it as \"\"", newlines + 1, at as usize + newlines)
                } else {
                    format!("the row has {} fields, the header has {n}", fields.len())
                };
                bad.push(BadRow {
                    line: at,
                    reason,
                    raw: rec.to_string(),
                    fields: Some((self::fields(rec, self.sep), char::from(self.sep))),
                });
                continue;
            }
            for (j, coder) in coders.iter_mut().enumerate() {
                match fields.get(j) {
                    Some(f) if !f.quoted => match f.end - f.start {
                        0 => coder.push(None),
                        _ => coder.push_field(text, f.start, f.end),
                    },
                    Some(f) => coder.push(Some(Cow::Owned(unquote(&text[f.start..f.end])))),
                    None => coder.push(None),
                }
            }
            lines.push(at);
        }
        CodedTable {
            sheet: None,
            headers: self.headers.clone(),
            columns: coders.into_iter().map(Coder::finish).collect(),
            lines,
            bad,
        }
    }
}

/// `"…"` with every quote inside doubled: a properly quoted field.
fn well_quoted(field: &str) -> bool {
    let inner = field.strip_prefix('"').and_then(|f| f.strip_suffix('"'));
    inner.is_some_and(|inner| inner.replace("\"\"", "").find('"').is_none())
}

/// A field with quotes as its text: quotes dropped, `""` inside quotes kept as one.
fn unquote(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut quoted = false;
    let mut chars = field.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.push('"');
            }
            '"' => quoted = !quoted,
            c => out.push(c),
        }
    }
    out
}

/// End of the line containing byte `at` (to decode whole lines only).
fn line_end(bytes: &[u8], at: usize) -> usize {
    let at = at.min(bytes.len());
    bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| at + p + 1)
}

/// Walks the records of a text: the one place that decides where a record
/// ends (a newline outside quotes) and which line it starts on.
struct Records<'t> {
    text: &'t str,
    sep: u8,
    marks: Marks<'t>,
    pos: usize,
    line: usize,
    /// The fields of the record `next_record` returned last.
    fields: Vec<Field>,
}

impl<'t> Records<'t> {
    fn new(text: &'t str, first_line: usize, sep: u8) -> Records<'t> {
        Records {
            text,
            sep,
            marks: Marks::new(text.as_bytes(), sep),
            pos: 0,
            line: first_line,
            fields: Vec::new(),
        }
    }

    /// The next record: the line it starts on, its text without the
    /// trailing `\r`, and how many newlines its quoted fields hold.
    fn next_record(&mut self) -> Option<(usize, &'t str, usize)> {
        let (text, pos) = (self.text, self.pos);
        if pos >= text.len() {
            return None;
        }
        // Records without quotes go mark to mark; a quoted one is walked
        // byte by byte, which decides what its quotes mean.
        let (end, newlines) = match self.marks.record(pos, &mut self.fields) {
            Some(end) => (end, 0),
            None => {
                let found = scan_record(text.as_bytes(), pos, self.sep, &mut self.fields);
                self.marks.seek(found.0 + 1);
                found
            }
        };
        let rec = text[pos..end].strip_suffix('\r').unwrap_or(&text[pos..end]);
        if let Some(last) = self.fields.last_mut() {
            last.end = last.end.min(pos + rec.len());
        }
        let at = self.line;
        self.line += newlines + 1;
        self.pos = end + 1;
        Some((at, rec, newlines))
    }
}

/// Records of `text` with the physical line each starts on; a record ends at
/// a newline outside quotes. The trailing `\r` is dropped.
pub fn records(text: &str, first_line: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut walk = Records::new(text, first_line, b',');
    std::iter::from_fn(move || walk.next_record().map(|(line, rec, _)| (line, rec)))
}

/// Splits one record into fields (header detection, rows set aside).
pub fn fields(rec: &str, sep: u8) -> Vec<String> {
    let mut found = Vec::new();
    scan_record(rec.as_bytes(), 0, sep, &mut found);
    found
        .iter()
        .map(|f| unquote(&rec[f.start..f.end]))
        .collect()
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
        assert_eq!(fields("\"a,b\",c,", b',').len(), 3);
        assert!(well_quoted("\"a \"\"b\"\"\nc\""));
        assert!(!well_quoted("a\"b\nc\""));
        assert!(!well_quoted("\"never closed\nd"));
    }
}
