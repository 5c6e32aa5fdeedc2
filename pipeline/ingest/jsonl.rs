//! JSON-lines exports (evaluation devices): one object per line, read in
//! chunks of lines so that memory is one chunk's whatever the file's size
//! (the whole file as rows of strings took gigabytes at 100 M ratings).
//! Keys become headers in order of first appearance in the file so far, so
//! a header keeps its position from one chunk to the next; a line that is
//! not an object is set aside with the parser's message.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result};

use super::decode;
use super::table::{from_rows, BadRow, RawTable};
use crate::config::Encoding;

/// Lines per chunk: a few megabytes of votes.
const CHUNK_LINES: usize = 50_000;

pub struct JsonlChunks {
    reader: BufReader<File>,
    /// Lines read so far.
    line: usize,
    headers: Vec<String>,
    at_end: bool,
    /// The chunk `open` read to learn the headers, handed out first.
    first: Option<RawTable>,
}

impl JsonlChunks {
    /// Opens the file and reads up to its first object, so the headers are
    /// known; Err(message) refuses the file (not UTF-8, no object at all).
    pub fn open(path: &Path) -> Result<std::result::Result<JsonlChunks, String>> {
        let f = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut c = JsonlChunks {
            reader: BufReader::with_capacity(1 << 20, f),
            line: 0,
            headers: Vec::new(),
            at_end: false,
            first: None,
        };
        let mut bad: Vec<BadRow> = Vec::new();
        loop {
            let chunk = c
                .read_chunk()
                .with_context(|| format!("cannot read {}", path.display()))?;
            match chunk {
                None => {
                    return Ok(Err(match bad.first() {
                        None => "the file is empty".into(),
                        Some(b) => {
                            format!("no line is a JSON object (line {}: {})", b.line, b.reason)
                        }
                    }))
                }
                Some(Err(refusal)) => return Ok(Err(refusal)),
                Some(Ok(mut t)) if t.df.height() > 0 => {
                    bad.append(&mut t.bad);
                    t.bad = bad;
                    c.first = Some(t);
                    return Ok(Ok(c));
                }
                Some(Ok(mut t)) => bad.append(&mut t.bad),
            }
        }
    }

    /// The headers known after the first chunk.
    pub fn headers(&self) -> &[String] {
        self.first.as_ref().map_or(&self.headers, |t| &t.headers)
    }

    /// The next chunk as a table; Some(Err(message)) refuses the file (a
    /// line that is not UTF-8).
    pub fn next_table(&mut self) -> Result<Option<std::result::Result<RawTable, String>>> {
        if let Some(t) = self.first.take() {
            return Ok(Some(Ok(t)));
        }
        Ok(self.read_chunk()?)
    }

    fn read_chunk(&mut self) -> Result<Option<std::result::Result<RawTable, String>>> {
        let first_line = self.line + 1;
        let mut bytes = Vec::new();
        let mut n = 0;
        while n < CHUNK_LINES && !self.at_end {
            if self.reader.read_until(b'\n', &mut bytes)? == 0 {
                self.at_end = true;
            } else {
                n += 1;
            }
        }
        if n == 0 {
            return Ok(None);
        }
        self.line += n;
        let text = match decode::decode_owned(bytes, Encoding::Utf8, first_line) {
            Ok(t) => t,
            Err(mut e) => {
                e.how = "JSON lines are always UTF-8";
                return Ok(Some(Err(e.to_string())));
            }
        };
        Ok(Some(Ok(self.parse(&text, first_line))))
    }

    fn parse(&mut self, text: &str, first_line: usize) -> RawTable {
        let mut rows = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let n = (first_line + i) as u32;
            match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
                Ok(obj) => rows.push((n, self.cells(obj))),
                Err(e) => bad.push(BadRow {
                    line: n,
                    reason: format!("not a JSON object: {e}"),
                    raw: line.to_string(),
                    fields: None,
                }),
            }
        }
        RawTable {
            sheet: None,
            df: from_rows(&self.headers, rows),
            headers: self.headers.clone(),
            bad,
        }
    }

    /// An object's values in header order; a new key becomes a header.
    fn cells(&mut self, obj: serde_json::Map<String, serde_json::Value>) -> Vec<Option<String>> {
        let mut cells = vec![None; self.headers.len()];
        for (k, v) in obj {
            let at = self
                .headers
                .iter()
                .position(|h| *h == k)
                .unwrap_or_else(|| {
                    self.headers.push(k);
                    cells.push(None);
                    self.headers.len() - 1
                });
            cells[at] = value_text(&v);
        }
        cells
    }
}

fn value_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}
