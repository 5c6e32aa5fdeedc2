//! Excel workbooks: every sheet (or the one named), each a table with its own
//! header row, found below any title rows. Date cells become ISO dates. Sheets
//! with no header row beside one that has it (instructions, lists) are skipped.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use super::table::{from_rows, pick_header, RawTable};
use crate::dates::Date;

/// Reads the sheets; Err is a file-level refusal (not a workbook, no such sheet).
pub fn read(
    path: &Path,
    sheet: Option<&str>,
    known: &dyn Fn(&str) -> bool,
) -> Result<Vec<RawTable>, String> {
    let mut book =
        open_workbook_auto(path).map_err(|e| format!("not a readable spreadsheet: {e}"))?;
    let names = book.sheet_names();
    let wanted: Vec<String> = match sheet {
        Some(s) if names.iter().any(|n| n == s) => vec![s.to_string()],
        Some(s) => {
            return Err(format!(
                "no sheet named `{s}`; the sheets are: {}",
                names.join(", ")
            ))
        }
        None => names,
    };
    let mut out = Vec::new();
    let mut unheaded = Vec::new();
    for name in wanted {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("sheet `{name}` cannot be read: {e}"))?;
        let top = range.start().map_or(0, |s| s.0);
        let rows: Vec<Vec<Option<String>>> =
            range.rows().map(|r| r.iter().map(text).collect()).collect();
        // The sheet's cells are text now: hold one copy, not two, while the
        // columns are built (an 800,000-item ledger is hundreds of MB).
        drop(range);
        if rows.iter().all(|r| r.iter().all(Option::is_none)) {
            continue;
        }
        let as_text: Vec<Vec<String>> = rows
            .iter()
            .take(10)
            .map(|r| r.iter().map(|c| c.clone().unwrap_or_default()).collect())
            .collect();
        let picked = pick_header(
            as_text.iter().enumerate().map(|(i, r)| (i, r.as_slice())),
            known,
        );
        if picked.is_none() {
            unheaded.push(out.len());
        }
        let header_at = picked.unwrap_or(0);
        let headers: Vec<String> = as_text[header_at]
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let data: Vec<(u32, Vec<Option<String>>)> = rows
            .into_iter()
            .enumerate()
            .skip(header_at + 1)
            .filter(|(_, r)| r.iter().any(Option::is_some))
            .map(|(i, r)| (top + i as u32 + 1, r))
            .collect();
        out.push(RawTable {
            sheet: Some(name),
            df: from_rows(&headers, data),
            headers,
            bad: Vec::new(),
        });
    }
    if out.is_empty() {
        return Err("the workbook has no data in any sheet".into());
    }
    // Sheets with no row of known headers beside one that has them are
    // notes, not data (an entry template's instructions and drop-down
    // lists); alone, such a sheet is still read, so its mapping error names
    // the missing columns.
    if unheaded.len() < out.len() {
        let mut i = 0;
        out.retain(|_| {
            i += 1;
            !unheaded.contains(&(i - 1))
        });
    }
    Ok(out)
}

fn text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty => None,
        Data::String(s) if s.trim().is_empty() => None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{}", *f as i64)),
        Data::Float(f) => Some(f.to_string()),
        Data::Int(i) => Some(i.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(d) => Some(serial_to_text(d.as_f64())),
        Data::Error(e) => Some(format!("#{e:?}")),
    }
}

/// An Excel serial (1900 system) as `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`.
pub fn serial_to_text(serial: f64) -> String {
    let days = serial.floor();
    let date = Date::from_days(days as i64 - 25_569);
    let secs = ((serial - days) * 86_400.0).round() as i64;
    if secs == 0 {
        date.to_string()
    } else {
        format!(
            "{date} {:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}
