//! JSON-lines exports (evaluation devices): one object per line, read in
//! chunks of lines so that memory is one chunk's whatever the file's size
//! (the whole file as rows of strings took gigabytes at 100 M ratings).
//! Keys become headers in order of first appearance in the file so far, so
//! a header keeps its position from one chunk to the next; a line that is
//! not an object is set aside with the parser's message.
//!
//! One thread cuts the chunks (`next_chunk`); several parse them (`parse`),
//! each starting from the headers of the file's first chunk. A chunk that
//! brings a key the file had not shown before it, or lacks one, comes out
//! with other headers than the file so far: `Batch` then builds it again
//! from its columns under the file's headers (`under`), so the result
//! is the one of reading the chunks one after the other.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame, DataType};

use super::decode;
use super::table::{col_name, from_cells, BadRow, RawTable, LINE};
use crate::config::Encoding;
use crate::contract::Refusal;

/// Lines per chunk: a few megabytes of votes.
const CHUNK_LINES: usize = 50_000;

/// The longest line read (a vote is a few hundred bytes).
const MAX_LINE: usize = 8 << 20;

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
    /// known; Err refuses the file (not UTF-8, no object at all).
    pub fn open(path: &Path) -> Result<std::result::Result<JsonlChunks, Refusal>> {
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
                .next_table()
                .with_context(|| format!("cannot read {}", path.display()))?;
            match chunk {
                None => {
                    return Ok(Err(Refusal::unreadable(match bad.first() {
                        None => "the file is empty".into(),
                        Some(b) => {
                            format!("no line is a JSON object (line {}: {})", b.line, b.reason)
                        }
                    })))
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

    /// The next chunk: the one `open` parsed, then raw lines.
    /// Some(Err(message)) refuses the file (a line that is not UTF-8).
    pub fn next_chunk(&mut self) -> Result<Option<Chunk>> {
        if let Some(t) = self.first.take() {
            return Ok(Some(Chunk::Parsed(t)));
        }
        let first_line = self.line + 1;
        let mut bytes = Vec::new();
        let mut n = 0;
        while n < CHUNK_LINES && !self.at_end {
            // Bounded: a line with no end (or a file of one huge line)
            // is refused at the limit, not read whole.
            let read = (&mut self.reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut bytes)?;
            if read == 0 {
                self.at_end = true;
            } else if read > MAX_LINE {
                self.at_end = true;
                return Ok(Some(Chunk::TooLong {
                    line: self.line + n + 1,
                }));
            } else {
                n += 1;
            }
        }
        if n == 0 {
            return Ok(None);
        }
        self.line += n;
        Ok(Some(Chunk::Raw { bytes, first_line }))
    }

    /// The next chunk parsed under the headers so far, one after the
    /// other (`open`, and `plain` reading); Some(Err) refuses the file.
    pub fn next_table(&mut self) -> Result<Option<std::result::Result<RawTable, Refusal>>> {
        let Some(chunk) = self.next_chunk()? else {
            return Ok(None);
        };
        let parsed = chunk.parse(&self.headers);
        if let Ok(t) = &parsed {
            self.headers = t.headers.clone();
        }
        Ok(Some(parsed))
    }
}

/// A chunk of lines as the reading thread hands it on.
pub enum Chunk {
    /// The first chunk, parsed by `open` to learn the headers.
    Parsed(RawTable),
    Raw {
        bytes: Vec<u8>,
        first_line: usize,
    },
    /// A line longer than `MAX_LINE`: the file is refused there.
    TooLong {
        line: usize,
    },
}

impl Chunk {
    /// The chunk's objects as a table whose headers are `seed` followed by
    /// the keys `seed` lacks, in order of first appearance; Err refuses
    /// the file.
    pub fn parse(self, seed: &[String]) -> std::result::Result<RawTable, Refusal> {
        let (bytes, first_line) = match self {
            Chunk::Parsed(t) => return Ok(t),
            Chunk::Raw { bytes, first_line } => (bytes, first_line),
            Chunk::TooLong { line } => return Err(Refusal::unreadable(format!("line {line} is longer than {} MiB, the most a line may hold: a device writes one vote per line; this is not a JSON-lines export (or its line ends were lost)", MAX_LINE >> 20))),
        };
        let text = match decode::decode_owned(bytes, Encoding::Utf8, first_line) {
            Ok(t) => t,
            Err(mut e) => {
                e.how = "JSON lines are always UTF-8";
                return Err(Refusal::unreadable(e.to_string()));
            }
        };
        let mut headers = seed.to_vec();
        let mut rows: Vec<(u32, Vec<Option<Cow<str>>>)> = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let n = (first_line + i) as u32;
            match serde_json::from_str::<Pairs>(line) {
                Ok(Pairs(pairs)) => rows.push((n, cells(&mut headers, pairs))),
                Err(e) => bad.push(BadRow {
                    line: n,
                    code: "malformed_row",
                    reason: format!("not a JSON object: {e}"),
                    raw: line.to_string(),
                    fields: None,
                }),
            }
        }
        let height = rows.len();
        let df = from_cells(headers.len(), rows.into_iter(), height);
        Ok(RawTable {
            sheet: None,
            df,
            headers,
            bad,
        })
    }
}

/// An object's keys and values, in the line's order, borrowed from the line
/// where they have no escapes (`Value` maps and a String per key and value
/// were most of reading the device's votes).
struct Pairs<'a>(Vec<(Key<'a>, Text<'a>)>);

/// A key, borrowed from the line unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Key<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(Visit)
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Pairs<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Pairs<'de>, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<Key<'de>, Text<'de>>()? {
                    pairs.push(pair);
                }
                Ok(Pairs(pairs))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// An object's values in header order; a new key becomes a header. A key
/// given twice keeps its last value, as a JSON map reads it.
fn cells<'a>(
    headers: &mut Vec<String>,
    pairs: Vec<(Key<'a>, Text<'a>)>,
) -> Vec<Option<Cow<'a, str>>> {
    let mut cells = vec![None; headers.len()];
    for (Key(k), Text(v)) in pairs {
        let at = headers.iter().position(|h| *h == k).unwrap_or_else(|| {
            headers.push(k.into_owned());
            cells.push(None);
            headers.len() - 1
        });
        cells[at] = v;
    }
    cells
}

/// A value as its text: a string as it is (borrowed unless it has
/// escapes), null as no text, anything else as `serde_json::Value` shows it
/// (a number as JSON writes it, an object as compact JSON).
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        use serde_json::Value;
        struct Visit;
        fn shown<'a>(v: Value) -> Text<'a> {
            Text(Some(Cow::Owned(v.to_string())))
        }
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_unit<E>(self) -> std::result::Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<Text<'de>, E> {
                Ok(shown(Value::Bool(v)))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<Text<'de>, E> {
                Ok(shown(Value::from(v)))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<Text<'de>, E> {
                Ok(shown(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<Text<'de>, E> {
                Ok(shown(Value::from(v)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Text<'de>, A::Error> {
                Ok(shown(serde::Deserialize::deserialize(
                    MapAccessDeserializer::new(map),
                )?))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Text<'de>, A::Error> {
                Ok(shown(serde::Deserialize::deserialize(
                    SeqAccessDeserializer::new(seq),
                )?))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A parsed chunk with its columns moved under `headers` (the file's
/// headers so far, a superset of the chunk's): a header the chunk lacks is
/// an empty column, as reading the chunks one after the other gives it.
pub fn under(t: RawTable, headers: &[String]) -> Result<RawTable> {
    let height = t.df.height();
    let mut columns = Vec::with_capacity(headers.len() + 1);
    for (i, h) in headers.iter().enumerate() {
        let name = col_name(i);
        let column = match t.headers.iter().position(|x| x == h) {
            Some(j) => t.df.column(&col_name(j))?.clone().with_name(name.into()),
            None => Column::full_null(name.into(), height, &DataType::String),
        };
        columns.push(column);
    }
    columns.push(t.df.column(LINE)?.clone());
    Ok(RawTable {
        sheet: t.sheet,
        df: DataFrame::new(height, columns)?,
        headers: headers.to_vec(),
        bad: t.bad,
    })
}

/// Files the fuzz tests start from (`formats.rs`): device votes (a number, a null), the
/// paper form's headers with nested values, lines that are no object.
pub const FUZZ_SEEDS: &[&str] = &[
    "{\"vote_id\":\"DV1\",\"device_id\":\"PJQ-000\",\"target_code\":\"ZZ0001\",\"ts\":\"2011-06-10 14:05:42\",\"button\":2,\"remark\":\"\"}\n{\"vote_id\":\"DV2\",\"target_code\":\"ZZ0001\",\"ts\":\"2011-04-16\",\"button\":1,\"remark\":null}\n",
    "{\"问卷编号\":\"J1\",\"被评议对象编号\":\"ZZ0001\",\"评议日期\":\"2012-09-03\",\"评议人类别\":\"普通群众\",\"评议方式\":\"群众测评\",\"评议途径\":\"问卷\",\"评价\":\"满意\",\"x\":[1,{\"y\":2.5e10}],\"b\":true}\n",
    "not json\n{}\n[]\n{\"a\":\"\\u00e9\\ud83d\\ude00\"}\n",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's text is what `serde_json::Value` shows for it (strings
    /// unquoted and unescaped, null as no text), and a key given twice keeps
    /// its last value, as reading the line into a JSON map gives.
    #[test]
    fn values_read_from_the_line_are_the_texts_a_json_map_gives() {
        let lines = [
            r#"{"a":"plain","b":2,"c":-3,"d":2.50,"e":1e3,"f":true,"g":null}"#,
            r#"{"a":"esc\"aped\\ \u6ee1\u610f","b":{"x":[1,"y",null]},"c":[],"a":"last"}"#,
            r#"{"k\u0065y":"escaped key","b":12345678901234567890,"d":-0.0}"#,
        ];
        for line in lines {
            let map: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap();
            let want: Vec<(String, Option<String>)> = map
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s),
                        other => Some(other.to_string()),
                    };
                    (k, text)
                })
                .collect();
            let Pairs(pairs) = serde_json::from_str(line).unwrap();
            let mut headers = Vec::new();
            let got = cells(&mut headers, pairs);
            for (k, text) in want {
                let at = headers.iter().position(|h| *h == k).unwrap();
                assert_eq!(got[at].as_deref(), text.as_deref(), "{k} in {line}");
            }
        }
    }
}
