//! Excel workbooks: every sheet (or the one named), each a table with its own
//! header row, found below any title rows. Date cells become ISO dates. Sheets
//! with no header row beside one that has it (instructions, lists) are skipped.

use std::borrow::Cow;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use super::table::{from_cells, pick_header, RawTable};
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
        if range.rows().all(|r| r.iter().all(blank)) {
            continue;
        }
        let as_text: Vec<Vec<String>> = range
            .rows()
            .take(10)
            .map(|r| r.iter().map(|c| text(c).unwrap_or_default()).collect())
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
        // Straight from the cells into the columns: text is borrowed from
        // the sheet, and only numbers and dates are formatted.
        let data = range
            .rows()
            .enumerate()
            .skip(header_at + 1)
            .filter(|(_, r)| !r.iter().all(blank))
            .map(|(i, r)| (top + i as u32 + 1, r.iter().map(cell_text)));
        let df = from_cells(headers.len(), data, range.height());
        out.push(RawTable {
            sheet: Some(name),
            df,
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

/// A cell with nothing in it (text() and cell_text() give None).
fn blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn text(cell: &Data) -> Option<String> {
    cell_text(cell).map(Cow::into_owned)
}

/// A cell as the text a user sees: borrowed when it is text already.
fn cell_text(cell: &Data) -> Option<Cow<'_, str>> {
    if blank(cell) {
        return None;
    }
    Some(match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.as_str()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            Cow::Owned(format!("{}", *f as i64))
        }
        Data::Float(f) => Cow::Owned(f.to_string()),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Bool(b) => Cow::Owned(b.to_string()),
        Data::DateTime(d) => Cow::Owned(serial_to_text(d.as_f64())),
        Data::Error(e) => Cow::Owned(format!("#{e:?}")),
        Data::Empty => return None,
    })
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
