//! Reading one export into its canonical columns as text, with the line each
//! row came from, through the same decoding, header detection and aliases as
//! ingest, but without validation, privacy keys or the warehouse: for
//! commands that need the clear values and check them themselves (the random
//! draw needs the people's ids to tell the teams whom to visit).

use std::path::Path;

use anyhow::{bail, Result};
use polars::prelude::DataFrame;

use super::input::{self, Format, Hints};
use super::table::{col_name, RawTable, LINE};
use crate::config::Config;
use crate::contract::Kind;

/// One row: its line (CSV) or Excel row, and each canonical column's text
/// (None for an empty cell or a column the file lacks).
#[derive(Debug, Clone)]
pub struct Row {
    pub line: u32,
    pub cells: Vec<Option<String>>,
}

#[derive(Debug)]
pub struct Plain {
    /// The canonical columns, in the order of `Row::cells`.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Row>,
    /// Rows whose shape was wrong (too many fields): (line, reason).
    pub bad: Vec<(u32, String)>,
    /// Encoding and source notes, as ingest reports them.
    pub notes: Vec<String>,
}

/// Reads `path` as a file of `kind`; a file that cannot be read as one is an
/// error naming the file and what is wrong.
pub fn read(cfg: &Config, path: &Path, kind: Kind) -> Result<Plain> {
    let Some(format) = Format::from_path(path) else {
        bail!("{}: not a CSV, XLSX or JSON-lines file", path.display());
    };
    let hints = Hints {
        kind: Some(kind),
        ..Hints::default()
    };
    let mut opened = match input::open(cfg, path, format, &hints)? {
        Ok(o) => o,
        Err(why) => bail!("{}: {why}", path.display()),
    };
    let columns: Vec<&'static str> = kind.columns().iter().map(|c| c.0).collect();
    let mut out = Plain {
        columns,
        rows: Vec::new(),
        bad: Vec::new(),
        notes: std::mem::take(&mut opened.notes),
    };
    if let Err(why) = opened.each_table(cfg, path, |t, m| take(t, m, &mut out))? {
        bail!("{}: {why}", path.display());
    }
    Ok(out)
}

/// One table's rows, under its mapping.
fn take(table: &RawTable, m: &super::mapping::Mapping, out: &mut Plain) -> Result<()> {
    let df: &DataFrame = &table.df;
    let lines = df.column(LINE)?.u32()?.clone();
    let cols = out
        .columns
        .iter()
        .map(|c| match m.position(c) {
            Some(i) => Ok(Some(df.column(&col_name(i))?.str()?.clone())),
            None => Ok(None),
        })
        .collect::<Result<Vec<_>>>()?;
    for i in 0..df.height() {
        let cells = cols
            .iter()
            .map(|c| {
                c.as_ref()
                    .and_then(|c| c.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .collect();
        out.rows.push(Row {
            line: lines.get(i).unwrap_or(0),
            cells,
        });
    }
    out.bad
        .extend(table.bad.iter().map(|b| (b.line, b.reason.clone())));
    Ok(())
}
