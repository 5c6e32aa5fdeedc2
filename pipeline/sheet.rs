//! Sheets: a table of typed cells written both as an XLSX worksheet and
//! as a CSV (UTF-8 with BOM, RFC 4180), so a workbook and its CSVs always
//! agree. Shared by the report's HR workbook and `sample`'s draw lists; the
//! creation time in a workbook is the caller's as-of date, so the same
//! inputs give the same bytes.

use std::path::Path;

use anyhow::Result;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use crate::dates::{parse_loose, Date};
use crate::fsutil::write_atomic;

/// A cell keeps its type to the workbook: numbers and dates stay numbers
/// and dates, so HR can sort, sum and filter them in Excel.
pub enum Cell {
    Text(String),
    Int(u64),
    /// A rate 0..1, shown as a percentage; `None` is empty (no rate, or suppressed).
    Pct(Option<f64>),
    /// A change in percentage points (already ×100), shown signed.
    Points(Option<f64>),
    /// A date as `YYYY-MM-DD` (empty or unparsable: written as text).
    Date(String),
}

pub struct Sheet {
    /// Sheet name in the workbook and CSV file stem.
    pub name: String,
    pub file: &'static str,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// Writes `sheets` as one workbook, atomically.
pub fn write_xlsx(sheets: &[Sheet], as_of: &str, path: &Path) -> Result<()> {
    let mut book = Workbook::new();
    let d = parse_loose(as_of).unwrap_or(Date::from_days(0));
    let created = ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&created)
            .set_author("pingyi"),
    );
    let bold = Format::new().set_bold().set_text_wrap();
    let percent = Format::new().set_num_format("0.0%");
    let points = Format::new().set_num_format("+0.0;-0.0;0.0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for sheet in sheets {
        let ws = book.add_worksheet();
        // Excel caps sheet names at 31 characters and forbids some symbols.
        let name: String = sheet
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        ws.set_name(&name)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, width(sheet, c))?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(r, c, crate::csvsafe::defuse(t))?;
                    }
                    Cell::Int(n) => {
                        ws.write_number(r, c, *n as f64)?;
                    }
                    Cell::Pct(Some(p)) if p.is_finite() => {
                        ws.write_number_with_format(r, c, *p, &percent)?;
                    }
                    Cell::Pct(_) | Cell::Points(None) => {}
                    Cell::Points(Some(p)) => {
                        ws.write_number_with_format(r, c, *p, &points)?;
                    }
                    Cell::Date(d) => match parse_loose(d) {
                        Some(d) => {
                            let x =
                                ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
                            ws.write_datetime_with_format(r, c, &x, &date)?;
                        }
                        None if d.is_empty() => {}
                        None => {
                            ws.write_string(r, c, crate::csvsafe::defuse(d))?;
                        }
                    },
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !sheet.rows.is_empty() {
            ws.autofilter(
                0,
                0,
                sheet.rows.len() as u32,
                sheet.headers.len().saturating_sub(1) as u16,
            )?;
        }
    }
    write_atomic(path, &book.save_to_buffer()?)
}

/// Column width in Excel units: CJK characters count double, capped.
fn width(sheet: &Sheet, c: usize) -> f64 {
    let w = |s: &str| {
        s.chars()
            .map(|ch| if ch.is_ascii() { 1.0 } else { 2.0 })
            .sum::<f64>()
    };
    let longest = sheet
        .rows
        .iter()
        .take(200)
        .filter_map(|r| match r.get(c) {
            Some(Cell::Text(t) | Cell::Date(t)) => Some(w(t)),
            _ => None,
        })
        .fold(w(&sheet.headers[c]), f64::max);
    (longest + 2.0).clamp(8.0, 60.0)
}

/// Writes a sheet as CSV, UTF-8 with BOM, RFC 4180 quoting, atomically.
pub fn write_csv(sheet: &Sheet, path: &Path) -> Result<()> {
    write_atomic(path, csv_text(sheet).as_bytes())
}

/// A sheet as CSV text: BOM, RFC 4180 quoting, formula-like text defused.
pub fn csv_text(sheet: &Sheet) -> String {
    let mut text = String::from("\u{feff}");
    let line =
        |cells: Vec<String>| cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",") + "\r\n";
    text.push_str(&line(sheet.headers.clone()));
    for row in &sheet.rows {
        text.push_str(&line(row.iter().map(csv_value).collect()));
    }
    text
}

fn csv_value(c: &Cell) -> String {
    match c {
        Cell::Text(t) => crate::csvsafe::defuse(t).into_owned(),
        Cell::Int(n) => n.to_string(),
        // Four decimals: a CSV is read by programs too, not only by eye.
        Cell::Pct(p) => p
            .filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.4}")),
        Cell::Points(p) => p
            .filter(|x| x.is_finite())
            .map_or(String::new(), |x| format!("{x:.2}")),
        Cell::Date(d) => crate::csvsafe::defuse(d).into_owned(),
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
