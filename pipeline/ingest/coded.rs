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

/// Builds one column's dictionary as its cells arrive.
pub struct Coder<'a> {
    map: HashMap<Cow<'a, str>, u32, Fast>,
    null: Option<u32>,
    /// The previous cell and its code: records of one response repeat their
    /// id, subject, date and rater, so most cells are the one before.
    last: Option<(&'a str, u32)>,
    codes: Vec<u32>,
}

impl<'a> Coder<'a> {
    pub fn with_capacity(rows: usize) -> Coder<'a> {
        Coder {
            map: HashMap::with_hasher(Fast::default()),
            null: None,
            last: None,
            codes: Vec::with_capacity(rows),
        }
    }

    fn next_code(&self) -> u32 {
        (self.map.len() + usize::from(self.null.is_some())) as u32
    }

    /// Codes a borrowed cell, trying the previous cell first.
    #[inline]
    pub fn push_str(&mut self, v: &'a str) {
        if let Some((last, code)) = self.last {
            if last == v {
                self.codes.push(code);
                return;
            }
        }
        let code = match self.map.get(v) {
            Some(&c) => c,
            None => {
                let c = self.next_code();
                self.map.insert(Cow::Borrowed(v), c);
                c
            }
        };
        self.last = Some((v, code));
        self.codes.push(code);
    }

    pub fn push(&mut self, v: Option<Cow<'a, str>>) {
        match v {
            Some(Cow::Borrowed(s)) => self.push_str(s),
            Some(Cow::Owned(s)) => {
                let code = match self.map.get(s.as_str()) {
                    Some(&c) => c,
                    None => {
                        let c = self.next_code();
                        self.map.insert(Cow::Owned(s), c);
                        c
                    }
                };
                self.codes.push(code);
            }
            None => {
                let code = match self.null {
                    Some(c) => c,
                    None => {
                        let c = self.next_code();
                        self.null = Some(c);
                        c
                    }
                };
                self.codes.push(code);
            }
        }
    }

    pub fn finish(self) -> Coded {
        let mut texts: Vec<Option<&str>> = vec![None; self.next_code() as usize];
        for (text, &code) in &self.map {
            texts[code as usize] = Some(text.as_ref());
        }
        Coded {
            dict: Series::new("v".into(), texts),
            codes: self.codes,
        }
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
}
