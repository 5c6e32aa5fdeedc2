//! An .xlsx sheet read cell by cell into its table, without the sheet's
//! grid in memory.
//!
//! calamine's `worksheet_range` first collects every cell (a `Cell<Data>`,
//! 40 bytes, a String each), then makes a dense grid of them: for the
//! 800,000-item ledger of a province that was ~940 MiB and most of the
//! workbook's reading time (page faults for the grid). Here each row's cells
//! go straight into the columns as the XML is read. The table is the one
//! `xlsx::table_of` makes from the grid, which the test at the end checks on
//! a sheet with a title row, blank rows and a stray cell left of the table:
//!
//! - the grid spans the non-empty cells: its first row and column are theirs
//!   (so the columns are known only at the end: they are kept by absolute
//!   position and cut to the span then);
//! - the header is picked among its first ten rows;
//! - rows after the header with anything in them are data, numbered by their
//!   row in the sheet.
//!
//! Cells come in row order in every file Excel, WPS or a library writes;
//! a file whose rows go backwards is read through the grid instead
//! (`Streamed::OutOfOrder`).

use std::borrow::Cow;

use std::collections::HashMap;

use calamine::{DataRef, Xlsx, XlsxError, XlsxFormulaMetadata};
use polars::prelude::{
    Column, DataFrame, DataType, IntoSeries, NamedFrom, Series, StringChunkedBuilder,
};

use super::table::{col_name, pick_header, RawTable, LINE};
use super::xlsx_parts::MAX_CELL_CHARS;

/// What streaming one sheet gave.
pub enum Streamed {
    /// The table, whether a row of known headers was found, and its data
    /// cells holding a formula.
    Table(RawTable, bool, Vec<Formula>),
    /// A cell longer than Excel allows: its row and column, from 1.
    Overlong(u32, u32),
    /// Nothing but blank cells.
    Blank,
    /// Its rows are not in order: read it through the grid.
    OutOfOrder,
}

/// A data cell whose value is a formula's cached result.
pub struct Formula {
    /// The cell's Excel row (the table's line).
    pub line: u32,
    /// The table's column (from 0).
    pub column: usize,
    /// The formula, without its `=`.
    pub formula: String,
    /// The cached result, as the cell reads.
    pub cached: String,
}

/// The header is picked among this many rows from the first non-empty one.
const HEADER_ROWS: u32 = 10;

/// Streams sheet `name` of an .xlsx workbook into its table.
pub fn sheet<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    name: &str,
    known: &dyn Fn(&str) -> bool,
) -> Result<Streamed, XlsxError> {
    let mut cells = match book.worksheet_cells_reader(name) {
        Ok(reader) => reader,
        // A chart sheet: no cells, as calamine's grid reads it.
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Streamed::Blank),
        Err(e) => return Err(e),
    };
    let mut table = Builder::default();
    // Columns sized for the rows the sheet declares: grown by doubling,
    // their copies (onto fresh pages) were 8 % of the ledger workbook's
    // profile. Capped, as the declaration is the writer's to make.
    let declared = cells.dimensions();
    table.rows = (declared.end.0.saturating_sub(declared.start.0) as usize + 1).min(1 << 20);
    table.lines.reserve(table.rows);
    // The row of the last cell, and of the row being read.
    let mut last: Option<u32> = None;
    let mut row: Option<u32> = None;
    let mut line: Vec<(u32, Cow<str>)> = Vec::new();
    // Shared formulas' text by index: a derived cell names only the index.
    let mut shared: HashMap<usize, String> = HashMap::new();
    while let Some(cell) = cells.next_cell_with_formula_metadata()? {
        let (r, c) = cell.pos;
        // An empty cell is no cell: it neither widens the grid nor makes a row.
        if matches!(cell.value, DataRef::Empty) {
            continue;
        }
        if last.is_some_and(|at| r < at) {
            return Ok(Streamed::OutOfOrder);
        }
        last = Some(r);
        // Blank text still widens the grid.
        table.span(r, c);
        let Some(text) = text(&cell.value) else {
            continue;
        };
        if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
            return Ok(Streamed::Overlong(r + 1, c + 1));
        }
        if let Some(formula) = cell.formula.and_then(|f| formula_text(f, &mut shared)) {
            table.formulas.push((r + 1, c, formula, text.to_string()));
        }
        if row != Some(r) {
            if let Some(at) = row {
                table.row(at, &mut line, known);
            }
            row = Some(r);
        }
        line.push((c, text));
    }
    if let Some(at) = row {
        table.row(at, &mut line, known);
    }
    Ok(table.finish(name, known))
}

/// A cell's formula text; a shared formula's derived cell takes its
/// anchor's text (the anchor comes first in the sheet).
fn formula_text(f: XlsxFormulaMetadata, shared: &mut HashMap<usize, String>) -> Option<String> {
    match f {
        XlsxFormulaMetadata::Normal { formula } => Some(formula),
        XlsxFormulaMetadata::Shared {
            shared_index,
            formula,
            ..
        } => {
            shared.insert(shared_index, formula.clone());
            Some(formula)
        }
        XlsxFormulaMetadata::SharedDerived { shared_index } => Some(
            shared
                .get(&shared_index)
                .cloned()
                .unwrap_or_else(|| "(a shared formula)".into()),
        ),
        // A kind calamine may add later: a formula all the same.
        _ => Some("(a formula)".into()),
    }
}

/// A cell as the text a user sees (None when blank), as `xlsx_cells::cell_text`
/// gives it for the grid's cells.
fn text<'a>(cell: &DataRef<'a>) -> Option<Cow<'a, str>> {
    let t: Cow<'a, str> = match cell {
        DataRef::SharedString(s) => Cow::Borrowed(*s),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cow::Owned(s.clone())
        }
        DataRef::Empty => return None,
        other => {
            let cell = calamine::Data::from(other.clone());
            return super::xlsx_cells::cell_text(&cell).map(|c| Cow::Owned(c.into_owned()));
        }
    };
    (!t.trim().is_empty()).then_some(t)
}

/// The columns by absolute position, the header candidates and the span.
#[derive(Default)]
struct Builder {
    /// Column `i` of the sheet (A = 0); `None` before its first cell, which
    /// is filled with nulls for the rows before it.
    columns: Vec<StringChunkedBuilder>,
    lines: Vec<u32>,
    /// The first rows from the first non-empty one, kept until the header
    /// is picked: (row, cells).
    first: Vec<(u32, Vec<(u32, String)>)>,
    header: Option<Header>,
    /// Whether the header row names known columns.
    headed: bool,
    /// The grid's span: first row, first and last column. Rows come in
    /// order, so the first cell's row is the first row.
    top: Option<u32>,
    left: u32,
    right: u32,
    /// The rows the sheet declares it spans (a capacity, not a limit).
    rows: usize,
    /// Cells holding a formula: (Excel row, sheet column, formula, cached text).
    formulas: Vec<(u32, u32, String, String)>,
}

/// The header row picked among the first rows.
struct Header {
    row: u32,
    cells: Vec<(u32, String)>,
}

impl Builder {
    fn span(&mut self, r: u32, c: u32) {
        if self.top.is_none() {
            self.top = Some(r);
            self.left = c;
            self.right = c;
        }
        self.left = self.left.min(c);
        self.right = self.right.max(c);
    }

    /// One row's non-blank cells (taken, the vector left empty for the next).
    fn row(&mut self, r: u32, cells: &mut Vec<(u32, Cow<str>)>, known: &dyn Fn(&str) -> bool) {
        let top = self.top.expect("a row has a cell");
        if self.header.is_none() && r < top + HEADER_ROWS {
            let owned = cells.drain(..).map(|(c, t)| (c, t.into_owned())).collect();
            self.first.push((r, owned));
            return;
        }
        self.pick(known);
        self.data(r, cells);
        cells.clear();
    }

    /// Picks the header among the first rows, and puts the rows after it
    /// into the columns.
    fn pick(&mut self, known: &dyn Fn(&str) -> bool) {
        if self.header.is_some() {
            return;
        }
        let top = self.top.unwrap_or(0);
        let width = (self.right + 1) as usize;
        // Rows as the grid has them: every row from the top, blank ones too.
        let grid: Vec<Vec<String>> = (0..HEADER_ROWS)
            .map(|i| {
                let mut row = vec![String::new(); width];
                if let Some((_, cells)) = self.first.iter().find(|(r, _)| *r == top + i) {
                    for (c, t) in cells {
                        row[*c as usize] = t.clone();
                    }
                }
                row
            })
            .collect();
        let picked = pick_header(
            grid.iter().enumerate().map(|(i, r)| (i, r.as_slice())),
            known,
        );
        self.headed = picked.is_some();
        let at = picked.unwrap_or(0) as u32;
        let first = std::mem::take(&mut self.first);
        let mut header = Header {
            row: top + at,
            cells: Vec::new(),
        };
        for (r, cells) in first {
            if r == header.row {
                header.cells = cells;
            } else if r > header.row {
                let mut borrowed = cells
                    .iter()
                    .map(|(c, t)| (*c, Cow::Borrowed(t.as_str())))
                    .collect();
                self.data(r, &mut borrowed);
            }
        }
        self.header = Some(header);
    }

    /// A data row into the columns: a cell where the row has one, else null.
    fn data(&mut self, r: u32, cells: &mut Vec<(u32, Cow<str>)>) {
        let height = self.lines.len();
        if let Some(last) = cells.iter().map(|(c, _)| *c as usize).max() {
            while self.columns.len() <= last {
                let capacity = self.rows.max(height);
                let mut b =
                    StringChunkedBuilder::new(col_name(self.columns.len()).into(), capacity);
                (0..height).for_each(|_| b.append_null());
                self.columns.push(b);
            }
        }
        cells.sort_by_key(|(c, _)| *c);
        let mut next = cells.iter().peekable();
        for (i, col) in self.columns.iter_mut().enumerate() {
            match next.peek() {
                Some((c, t)) if *c as usize == i => {
                    col.append_value(t);
                    next.next();
                }
                _ => col.append_null(),
            }
        }
        self.lines.push(r + 1);
    }

    /// The table cut to the grid's columns, named from its first.
    fn finish(mut self, name: &str, known: &dyn Fn(&str) -> bool) -> Streamed {
        if self.first.is_empty() && self.header.is_none() {
            return Streamed::Blank;
        }
        self.pick(known);
        let header = self.header.take().expect("picked");
        let (left, right) = (self.left as usize, self.right as usize);
        let mut headers = vec![String::new(); right - left + 1];
        for (c, t) in &header.cells {
            headers[*c as usize - left] = t.trim().to_string();
        }
        let height = self.lines.len();
        let mut columns: Vec<Column> = Vec::with_capacity(headers.len() + 1);
        let mut built = self.columns.into_iter().map(|b| b.finish()).skip(left);
        for i in 0..headers.len() {
            let series = match built.next() {
                Some(ca) => ca.with_name(col_name(i).into()).into_series(),
                None => Series::full_null(col_name(i).into(), height, &DataType::String),
            };
            columns.push(series.into());
        }
        columns.push(Series::new(LINE.into(), self.lines).into());
        let df = DataFrame::new_infer_height(columns).expect("equal lengths by construction");
        let table = RawTable {
            sheet: Some(name.to_string()),
            df,
            headers,
            bad: Vec::new(),
        };
        // Only data cells: the header row and the rows above it are not rows.
        let formulas = self
            .formulas
            .into_iter()
            .filter(|f| f.0 > header.row + 1)
            .map(|(line, c, formula, cached)| Formula {
                line,
                column: c as usize - left,
                formula,
                cached,
            })
            .collect();
        Streamed::Table(table, self.headed, formulas)
    }
}
