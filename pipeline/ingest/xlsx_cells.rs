//! What an Excel cell shows as text: the value a user sees in the grid
//! (whole numbers without `.0`, long ones in Excel's scientific notation,
//! date serials as ISO dates). A leaf under `xlsx.rs` (calamine's grid) and
//! `xlsx_stream.rs` (the streamed reader), so both read a cell alike.

use std::borrow::Cow;

use calamine::Data;

use crate::dates::Date;

/// A cell with nothing in it (text() and cell_text() give None).
pub(super) fn blank(cell: &Data) -> bool {
    match cell {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A cell as the text a user sees: borrowed when it is text already.
pub(super) fn cell_text(cell: &Data) -> Option<Cow<'_, str>> {
    if blank(cell) {
        return None;
    }
    Some(match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.as_str()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => {
            Cow::Owned(format!("{}", *f as i64))
        }
        Data::Float(f) if f.fract() == 0.0 => Cow::Owned(scientific(*f)),
        Data::Float(f) => Cow::Owned(f.to_string()),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Bool(b) => Cow::Owned(b.to_string()),
        Data::DateTime(d) => Cow::Owned(serial_to_text(d.as_f64())),
        Data::Error(e) => Cow::Owned(format!("#{e:?}")),
        Data::Empty => return None,
    })
}

/// A whole number of 15 digits or more (its exponent is positive), which
/// Excel stores with 15 significant digits only: shown as Excel shows it
/// (`4.10101198001011E+17`), not as a plausible long id whose last digits
/// are made up.
fn scientific(f: f64) -> String {
    let text = format!("{f:.14E}");
    let (mantissa, exponent) = text.split_once('E').unwrap_or((&text, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}E+{exponent}")
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
