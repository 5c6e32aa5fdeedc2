//! A table of text cells held as per-column dictionaries: each column is its
//! distinct texts (in order of first appearance) and one `u32` code per row.
//!
//! Exports repeat a few dozen categories, a few hundred dates and a few
//! thousand subject ids over millions of rows. Coding them once, as the CSV
//! reader splits the record, lets validation check each distinct text once
//! (`validate::coded`) and build the output columns by gathering from the
//! checked dictionaries, instead of copying every cell of every column
//! through cleaning, mapping and filtering. Tables read from XLSX and JSON
//! lines are coded after reading (`CodedTable::from_raw`), so ratings have
//! one validator whatever their format.

use std::borrow::Cow;
use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{Column, DataFrame, IdxSize, NamedFrom, Series};

use super::table::{col_name, BadRow, RawTable, LINE};

/// One column: its distinct texts (null for an empty cell) and each row's code.
pub struct Coded {
    /// String series of the distinct texts, indexed by code.
    pub dict: Series,
    pub codes: Vec<u32>,
}

impl Coded {
    /// The texts of the rows at `rows` (positions in the table).
    pub fn gather(&self, rows: &[IdxSize]) -> Result<Series> {
        let idx: Vec<IdxSize> = rows
            .iter()
            .map(|&r| self.codes[r as usize] as IdxSize)
            .collect();
        Ok(self.dict.take_slice(&idx)?)
    }
}

pub struct CodedTable {
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    /// One per header, in the file's order.
    pub columns: Vec<Coded>,
    /// The line (CSV, JSON lines) or Excel row of each record.
    pub lines: Vec<u32>,
    pub bad: Vec<BadRow>,
}

impl CodedTable {
    pub fn height(&self) -> usize {
        self.lines.len()
    }

    /// Codes a table read as text columns (XLSX sheets, JSON lines).
    pub fn from_raw(t: &RawTable) -> Result<CodedTable> {
        let mut columns = Vec::with_capacity(t.headers.len());
        for i in 0..t.headers.len() {
            let texts = t.df.column(&col_name(i))?.str()?;
            let mut coder = Coder::with_capacity(texts.len());
            for v in texts.iter() {
                coder.push(v.map(Cow::Borrowed));
            }
            columns.push(coder.finish());
        }
        Ok(CodedTable {
            sheet: t.sheet.clone(),
            headers: t.headers.clone(),
            columns,
            lines: t.df.column(LINE)?.u32()?.into_no_null_iter().collect(),
            bad: t.bad.clone(),
        })
    }

    /// The cells of the rows at `rows` as text columns `c0…` plus `__line`.
    pub fn rows(&self, rows: &[IdxSize]) -> Result<DataFrame> {
        let mut cols: Vec<Column> = Vec::with_capacity(self.columns.len() + 1);
        for (i, c) in self.columns.iter().enumerate() {
            cols.push(c.gather(rows)?.with_name(col_name(i).into()).into());
        }
        let lines: Vec<u32> = rows.iter().map(|&r| self.lines[r as usize]).collect();
        cols.push(Series::new(LINE.into(), lines).into());
        Ok(DataFrame::new(rows.len(), cols)?)
    }

    /// Back to text columns, for the kinds validated row by row (rosters,
    /// ledgers) and for `plain` reading.
    pub fn into_raw(self) -> Result<RawTable> {
        let all: Vec<IdxSize> = (0..self.height() as IdxSize).collect();
        let df = self.rows(&all)?;
        Ok(RawTable {
            sheet: self.sheet,
            headers: self.headers,
            df,
            bad: self.bad,
        })
    }
}

type Fast = foldhash::fast::RandomState;

/// Texts this long or shorter are coded by their bytes packed into one
/// integer (`Small`): nearly every cell of an export (ids, dates,
/// categories, a Chinese village name of five characters) fits, and
/// comparing or hashing one integer replaced a `memcmp` call per cell
/// (5 % of a nightly run's CPU).
const SMALL: usize = 15;

/// Up to `SMALL` bytes and their length in the top byte: equal keys are
/// equal texts.
type Small = u128;

/// The key of a text of at most `SMALL` bytes.
#[inline]
fn small(bytes: &[u8]) -> Small {
    let mut b = [0u8; 16];
    b[..bytes.len()].copy_from_slice(bytes);
    b[15] = bytes.len() as u8;
    Small::from_le_bytes(b)
}

/// The key of `text[start..end]` when it is short, read as one 16-byte load
/// where the text has 16 bytes from `start` (all but a block's last cells).
#[inline]
fn small_at(text: &[u8], start: usize, end: usize) -> Option<Small> {
    let n = end - start;
    if n > SMALL {
        return None;
    }
    let Some(wide) = text.get(start..start + 16) else {
        return Some(small(&text[start..end]));
    };
    let raw = Small::from_le_bytes(wide.try_into().expect("16 bytes"));
    let mask = if n == 0 {
        0
    } else {
        Small::MAX >> (128 - 8 * n)
    };
    Some((raw & mask) | ((n as Small) << 120))
}

/// Builds one column's dictionary as its cells arrive. Cells are coded by
/// their bytes, so a CSV block in GB18030 is coded before it is decoded
/// and each distinct text is decoded once, when the dictionary is finished.
pub struct Coder<'a> {
    /// The texts by code (None: the empty cell), in order of first appearance.
    texts: Vec<Option<Cow<'a, [u8]>>>,
    short: HashMap<Small, u32, Fast>,
    long: HashMap<Cow<'a, [u8]>, u32, Fast>,
    null: Option<u32>,
    /// The previous cell and its code: records of one response repeat their
    /// id, subject, date and rater, so most cells are the one before.
    last: Option<(Small, u32)>,
    last_long: Option<(&'a [u8], u32)>,
    codes: Vec<u32>,
}

impl<'a> Coder<'a> {
    pub fn with_capacity(rows: usize) -> Coder<'a> {
        Coder {
            texts: Vec::new(),
            short: HashMap::with_hasher(Fast::default()),
            long: HashMap::with_hasher(Fast::default()),
            null: None,
            last: None,
            last_long: None,
            codes: Vec::with_capacity(rows),
        }
    }

    /// Codes the cell `text[start..end]` (a field of a CSV block).
    #[inline]
    pub fn push_field(&mut self, text: &'a [u8], start: usize, end: usize) {
        match small_at(text, start, end) {
            Some(key) => self.push_small(key, Cow::Borrowed(&text[start..end])),
            None => self.push_bytes(&text[start..end]),
        }
    }

    /// Codes a borrowed cell.
    #[inline]
    pub fn push_str(&mut self, v: &'a str) {
        self.push_bytes(v.as_bytes())
    }

    #[inline]
    fn push_bytes(&mut self, v: &'a [u8]) {
        if v.len() <= SMALL {
            return self.push_small(small(v), Cow::Borrowed(v));
        }
        if let Some((last, code)) = self.last_long {
            if last == v {
                self.codes.push(code);
                return;
            }
        }
        let code = self.long_code(Cow::Borrowed(v));
        self.last_long = Some((v, code));
        self.codes.push(code);
    }

    #[inline]
    fn push_small(&mut self, key: Small, v: Cow<'a, [u8]>) {
        if let Some((last, code)) = self.last {
            if last == key {
                self.codes.push(code);
                return;
            }
        }
        let next = self.texts.len() as u32;
        let code = *self.short.entry(key).or_insert(next);
        if code == next {
            self.texts.push(Some(v));
        }
        self.last = Some((key, code));
        self.codes.push(code);
    }

    fn long_code(&mut self, v: Cow<'a, [u8]>) -> u32 {
        if let Some(&c) = self.long.get(v.as_ref()) {
            return c;
        }
        let c = self.texts.len() as u32;
        self.texts.push(Some(v.clone()));
        self.long.insert(v, c);
        c
    }

    pub fn push(&mut self, v: Option<Cow<'a, str>>) {
        match v {
            Some(Cow::Borrowed(s)) => self.push_str(s),
            Some(Cow::Owned(s)) => self.push_owned(s.into_bytes()),
            None => {
                let code = match self.null {
                    Some(c) => c,
                    None => {
                        let c = self.texts.len() as u32;
                        self.texts.push(None);
                        self.null = Some(c);
                        c
                    }
                };
                self.codes.push(code);
            }
        }
    }

    /// Codes a cell made for it (a CSV field without its quotes).
    pub fn push_owned(&mut self, v: Vec<u8>) {
        if v.len() <= SMALL {
            return self.push_small(small(&v), Cow::Owned(v));
        }
        let code = self.long_code(Cow::Owned(v));
        self.codes.push(code);
    }

    /// The column, its cells having arrived as text.
    pub fn finish(self) -> Coded {
        let texts: Vec<Option<Cow<str>>> = self
            .texts
            .iter()
            .map(|t| t.as_deref().map(String::from_utf8_lossy))
            .collect();
        coded(&texts, self.codes)
    }

    /// The column, each distinct text decoded once by `decode`; None when
    /// one does not decode.
    pub fn finish_with(self, decode: impl Fn(&[u8]) -> Option<Cow<'_, str>>) -> Option<Coded> {
        let texts = self
            .texts
            .iter()
            .map(|t| match t {
                Some(t) => decode(t).map(Some),
                None => Some(None),
            })
            .collect::<Option<Vec<Option<Cow<str>>>>>()?;
        Some(coded(&texts, self.codes))
    }
}

fn coded(texts: &[Option<Cow<str>>], codes: Vec<u32>) -> Coded {
    let texts: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
    Coded {
        dict: Series::new("v".into(), texts),
        codes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_first_appearance_and_nulls_have_one_code() {
        let mut c = Coder::with_capacity(6);
        for v in ["a", "b", "a"] {
            c.push_str(v);
        }
        c.push(None);
        c.push(Some(Cow::Owned("b".to_string())));
        c.push(None);
        let coded = c.finish();
        assert_eq!(coded.codes, vec![0, 1, 0, 2, 1, 2]);
        let texts: Vec<Option<&str>> = coded.dict.str().unwrap().iter().collect();
        assert_eq!(texts, vec![Some("a"), Some("b"), None]);
        let got = coded.gather(&[5, 1, 0]).unwrap();
        let got: Vec<Option<&str>> = got.str().unwrap().iter().collect();
        assert_eq!(got, vec![None, Some("b"), Some("a")]);
    }

    /// Short texts are coded by packed bytes, long ones by the text: the
    /// same text gets the same code however it arrives (a field inside a
    /// block, at its end without 16 bytes after it, borrowed or owned), and
    /// texts differing only past a prefix, in length or by a NUL do not.
    #[test]
    fn a_text_has_one_code_however_it_arrives() {
        let texts: Vec<String> = (0..=20)
            .flat_map(|n| ["满".repeat(n / 3) + &"a".repeat(n % 3), "x".repeat(n)])
            .chain(["ab\0".into(), "ab".into(), "ab\0\0".into()])
            .collect();
        let block = texts.join(",");
        let mut fields = Vec::new();
        let mut at = 0;
        for t in &texts {
            fields.push((at, at + t.len()));
            at += t.len() + 1;
        }
        let mut c = Coder::with_capacity(texts.len() * 3);
        for &(start, end) in &fields {
            c.push_field(block.as_bytes(), start, end);
        }
        for t in &texts {
            c.push_str(t);
        }
        for t in &texts {
            c.push(Some(Cow::Owned(t.clone())));
        }
        let coded = c.finish();
        let n = texts.len();
        let distinct: std::collections::HashSet<&String> = texts.iter().collect();
        assert_eq!(coded.dict.len(), distinct.len());
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(coded.codes[i], coded.codes[n + i], "{t:?}");
            assert_eq!(coded.codes[i], coded.codes[2 * n + i], "{t:?}");
            let text = coded.dict.str().unwrap().get(coded.codes[i] as usize);
            assert_eq!(text, Some(t.as_str()));
        }
    }
}
