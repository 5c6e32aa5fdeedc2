//! Accepted ratings as their block gave them: each column checked on a
//! dictionary (text, dates, scores, flags) as that dictionary and one code
//! per row; the others (source lines, the batch) as polars columns.
//!
//! Ratings stay coded from validation (`ratings.rs`) to the Parquet writer
//! (`store.rs`), which writes the dictionaries as Parquet's own. Gathering
//! every text cell into a string column cost a copy per cell, joining the
//! blocks of a file another, and the writer then hashed every cell again to
//! rediscover the dictionaries the reader already had (a fifth of ingest's
//! CPU at 10M ratings). The files are the same: the same columns, types and
//! values, dictionary-encoded as before.

use anyhow::{bail, Result};
use polars::prelude::*;

/// One column of a piece.
pub enum Cells {
    Plain(Column),
    /// `dict` is a series of the column's values (an entry may be null);
    /// `keys` index it, one per row.
    Coded {
        dict: Series,
        keys: Vec<u32>,
    },
}

impl Cells {
    /// A text column with one value in every row.
    pub fn constant(text: &str, rows: usize) -> Cells {
        Cells::Coded {
            dict: Series::new("v".into(), [text]),
            keys: vec![0; rows],
        }
    }

    /// The rows at `rows`, in that order.
    fn take(&self, rows: &[IdxSize]) -> Result<Cells> {
        Ok(match self {
            Cells::Plain(c) => Cells::Plain(c.take_slice(rows)?),
            Cells::Coded { dict, keys } => Cells::Coded {
                dict: dict.clone(),
                keys: rows.iter().map(|&r| keys[r as usize]).collect(),
            },
        })
    }
}

/// Accepted rows of one block (or of one period of it), columns in order.
pub struct Piece {
    pub height: usize,
    pub columns: Vec<(PlSmallStr, Cells)>,
}

impl Piece {
    pub fn cells(&self, name: &str) -> Result<&Cells> {
        match self.columns.iter().find(|(n, _)| n == name) {
            Some((_, c)) => Ok(c),
            None => bail!("accepted ratings have no column {name}"),
        }
    }

    /// Takes a column out, leaving the others in order.
    pub fn remove(&mut self, name: &str) -> Result<Cells> {
        match self.columns.iter().position(|(n, _)| n == name) {
            Some(i) => Ok(self.columns.remove(i).1),
            None => bail!("accepted ratings have no column {name}"),
        }
    }

    /// A text column's value in each row.
    pub fn texts(&self, name: &str) -> Result<Vec<Option<&str>>> {
        Ok(match self.cells(name)? {
            Cells::Coded { dict, keys } => {
                let dict: Vec<Option<&str>> = dict.str()?.iter().collect();
                keys.iter().map(|&k| dict[k as usize]).collect()
            }
            Cells::Plain(c) => c.str()?.iter().collect(),
        })
    }

    /// A u32 column (`source_line`, `batch_id`).
    pub fn u32s(&self, name: &str) -> Result<&UInt32Chunked> {
        match self.cells(name)? {
            Cells::Plain(c) => Ok(c.u32()?),
            Cells::Coded { .. } => bail!("{name} is a coded column"),
        }
    }

    /// The rows at `rows`, in that order.
    fn take(&self, rows: &[IdxSize]) -> Result<Piece> {
        let columns = self
            .columns
            .iter()
            .map(|(n, c)| Ok((n.clone(), c.take(rows)?)))
            .collect::<Result<_>>()?;
        Ok(Piece {
            height: rows.len(),
            columns,
        })
    }

    /// The piece split by the text of column `name`, rows keeping their
    /// order within each part; the parts in order of first appearance.
    pub fn split_by(self, name: &str) -> Result<Vec<(String, Piece)>> {
        let mut names: Vec<String> = Vec::new();
        let mut part_of = |t: Option<&str>| {
            let t = t.unwrap_or_default();
            names.iter().position(|n| n == t).unwrap_or_else(|| {
                names.push(t.to_string());
                names.len() - 1
            })
        };
        // A coded column is split by its dictionary: one look-up per distinct text.
        let part: Vec<usize> = match self.cells(name)? {
            Cells::Coded { dict, keys } => {
                let by_code: Vec<usize> = dict.str()?.iter().map(&mut part_of).collect();
                keys.iter().map(|&k| by_code[k as usize]).collect()
            }
            Cells::Plain(c) => c.str()?.iter().map(&mut part_of).collect(),
        };
        // Each part's rows in one pass; the parts in order of their first row.
        let mut rows_of: Vec<Vec<IdxSize>> = vec![Vec::new(); names.len()];
        for (r, &p) in part.iter().enumerate() {
            rows_of[p].push(r as IdxSize);
        }
        let mut used: Vec<usize> = (0..names.len())
            .filter(|&p| !rows_of[p].is_empty())
            .collect();
        used.sort_by_key(|&p| rows_of[p][0]);
        if used.len() <= 1 {
            let only = used.first().map(|&p| names[p].clone()).unwrap_or_default();
            return Ok(vec![(only, self)]);
        }
        used.iter()
            .map(|&p| Ok((names[p].clone(), self.take(&rows_of[p])?)))
            .collect()
    }
}
