//! What every reader produces: the file's cells as text, in columns named by
//! position (`c0`, `c1`, …) beside the original headers, with the line (CSV,
//! JSON lines) or Excel row each record came from. Rows whose shape is wrong
//! (too many fields, not a JSON object) are set aside as `BadRow`s.

use polars::prelude::{Column, DataFrame, IntoSeries, NamedFrom, Series, StringChunkedBuilder};

pub const LINE: &str = "__line";

#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: u32,
    /// The quarantine reason: `malformed_row`, or for a workbook's rows
    /// `hidden_row` and `formula_cell` (`xlsx_flags.rs`).
    pub code: &'static str,
    pub reason: String,
    pub raw: String,
    /// The record split into fields with its separator (delimited text),
    /// so the quarantine can mask the ones that may hold a clear identity.
    pub fields: Option<(Vec<String>, char)>,
}

impl BadRow {
    /// The row as the quarantine may show it when column `private` of
    /// `n` holds clear identities: with too many fields the identity may
    /// have shifted right by the surplus, so every field it could be in is
    /// replaced by `mask(field)`; a line that could not be split (not JSON)
    /// is not shown at all.
    pub fn shown(&self, private: Option<usize>, n: usize, mask: &dyn Fn(&str) -> String) -> String {
        let Some(p) = private else {
            return self.raw.clone();
        };
        match &self.fields {
            Some((fields, sep)) => {
                let surplus = fields.len().saturating_sub(n);
                fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| {
                        if (p..=p + surplus).contains(&i) {
                            mask(f)
                        } else {
                            f.clone()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(&sep.to_string())
            }
            None => format!(
                "(not shown: the line may hold a rater id; see line {} of the file)",
                self.line
            ),
        }
    }
}

#[derive(Debug)]
pub struct RawTable {
    pub sheet: Option<String>,
    pub headers: Vec<String>,
    /// `c{i}` String columns plus `__line`.
    pub df: DataFrame,
    pub bad: Vec<BadRow>,
}

pub fn col_name(i: usize) -> String {
    format!("c{i}")
}

/// Builds the `n` positional columns (and `__line`) from rows of cells,
/// each cell appended to its column as it comes: no copy of the rows in
/// between (for an 800,000-item ledger workbook, a String per cell, the
/// row vectors and freeing them were a third of its reading). Cells past
/// the `n`th are dropped, missing ones are null.
pub fn from_cells<S, C>(n: usize, rows: impl Iterator<Item = (u32, C)>, height: usize) -> DataFrame
where
    S: AsRef<str>,
    C: IntoIterator<Item = Option<S>>,
{
    let mut cols: Vec<StringChunkedBuilder> = (0..n)
        .map(|i| StringChunkedBuilder::new(col_name(i).into(), height))
        .collect();
    let mut lines = Vec::with_capacity(height);
    for (line, cells) in rows {
        let mut cells = cells.into_iter();
        for col in &mut cols {
            col.append_option(cells.next().flatten());
        }
        lines.push(line);
    }
    let mut columns: Vec<Column> = cols
        .into_iter()
        .map(|b| b.finish().into_series().into())
        .collect();
    columns.push(Series::new(LINE.into(), lines).into());
    DataFrame::new_infer_height(columns).expect("equal lengths by construction")
}

/// The header row: among the first rows, the one naming the most known
/// columns (`score` counts them); a title row above the header is skipped.
pub fn pick_header<'a>(
    candidates: impl Iterator<Item = (usize, &'a [String])>,
    score: &dyn Fn(&str) -> bool,
) -> Option<usize> {
    candidates
        .take(10)
        .map(|(i, row)| (i, row.iter().filter(|h| score(h)).count()))
        .filter(|(_, n)| *n >= 2)
        .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
}
