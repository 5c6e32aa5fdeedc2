//! Writing a result: an aligned table that counts Chinese characters as two
//! columns wide, CSV (optionally with a BOM for Excel), JSON lines, or
//! Parquet (to a file only).

use std::io::Write;

use anyhow::Result;
use polars::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    /// JSON lines: one object per row
    Json,
    /// Parquet, with --out FILE
    Parquet,
}

impl Format {
    /// The format a file name asks for: `.csv`, `.jsonl`/`.json`, `.parquet`.
    pub fn from_extension(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" | "jsonl" | "ndjson" => Some(Format::Json),
            "parquet" => Some(Format::Parquet),
            "txt" => Some(Format::Table),
            _ => None,
        }
    }
}

/// How CSV is written: `bom` for Excel; `raw` leaves text that a
/// spreadsheet would run as a formula as it is (for programs reading the
/// CSV), otherwise such text gets a leading `'` (`crate::csvsafe`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions {
    pub bom: bool,
    pub raw: bool,
}

pub fn write(
    df: &mut DataFrame,
    format: Format,
    csv: CsvOptions,
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Csv => {
            if csv.bom {
                out.write_all("\u{feff}".as_bytes())?;
            }
            let mut flat = lists_as_text(df)?;
            if csv.raw {
                CsvWriter::new(out).include_header(true).finish(&mut flat)?;
            } else {
                let mut safe = crate::csvsafe::defuse_frame(&flat)?;
                CsvWriter::new(out).include_header(true).finish(&mut safe)?;
            }
        }
        Format::Json => JsonWriter::new(out)
            .with_json_format(JsonFormat::JsonLines)
            .finish(df)?,
        Format::Table => table(df, out)?,
        Format::Parquet => {
            ParquetWriter::new(out).finish(df)?;
        }
    }
    Ok(())
}

/// List columns (the breaches' periods, rates …) as text, their values
/// joined by "," as a spreadsheet reads them: CSV has no lists.
fn lists_as_text(df: &DataFrame) -> Result<DataFrame> {
    let mut out = df.clone();
    for column in df.columns() {
        if !matches!(column.dtype(), DataType::List(_)) {
            continue;
        }
        let lists = column.as_materialized_series().list()?.clone();
        let texts: Vec<Option<String>> = (0..lists.len())
            .map(|i| lists.get_as_series(i))
            .map(|v| {
                v.map(|s| {
                    s.iter()
                        .map(|x| if x.is_null() { String::new() } else { cell(x) })
                        .collect::<Vec<_>>()
                        .join(",")
                })
            })
            .collect();
        let name = column.name().clone();
        out.replace(&name, Series::new(name.clone(), texts).into_column())?;
    }
    Ok(out)
}

/// Writes a result to `path` atomically: the old file or the new, never part.
pub fn write_file(
    df: &mut DataFrame,
    format: Format,
    csv: CsvOptions,
    path: &std::path::Path,
) -> Result<()> {
    let mut bytes = Vec::new();
    write(df, format, csv, &mut bytes)?;
    crate::fsutil::write_atomic(path, &bytes)
}

/// Tables as the sheets of one workbook (name, table): numbers and booleans
/// as Excel values, everything else as text (defused: `crate::csvsafe`);
/// the header row bold and frozen.
pub fn xlsx(sheets: &[(&str, DataFrame)]) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format as Style, Workbook};
    let mut book = Workbook::new();
    // A fixed creation date: the same tables give the same bytes.
    book.set_properties(
        &DocProperties::new()
            .set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?)
            .set_author("pingyi"),
    );
    let bold = Style::new().set_bold();
    for (name, df) in sheets {
        let ws = book.add_worksheet().set_name(*name)?;
        for (c, column) in df.columns().iter().enumerate() {
            let c = c as u16;
            ws.write_with_format(0, c, column.name().as_str(), &bold)?;
            for (r, v) in (0..df.height())
                .map(|i| column.get(i).unwrap_or(AnyValue::Null))
                .enumerate()
            {
                let r = r as u32 + 1;
                match v {
                    AnyValue::Null => {}
                    AnyValue::Boolean(b) => {
                        ws.write_boolean(r, c, b)?;
                    }
                    v if v.is_primitive_numeric() => {
                        ws.write_number(r, c, v.extract::<f64>().unwrap_or(f64::NAN))?;
                    }
                    v => {
                        ws.write_string(r, c, crate::csvsafe::defuse(&cell(v)))?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
    }
    Ok(book.save_to_buffer()?)
}

/// Display width: East Asian wide characters take two columns.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

fn cell(v: AnyValue) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float64(f) => format!("{f:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string(),
        other => other.to_string(),
    }
}

fn table(df: &DataFrame, out: &mut dyn Write) -> Result<()> {
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(df.height());
    let cols = df.columns();
    for i in 0..df.height() {
        rows.push(
            cols.iter()
                .map(|c| cell(c.get(i).unwrap_or(AnyValue::Null)))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..names.len())
        .map(|c| {
            rows.iter()
                .map(|r| width(&r[c]))
                .chain([width(&names[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - width(c))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&names))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    )?;
    for r in &rows {
        writeln!(out, "{}", line(r))?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn chinese_is_double_width() {
        assert_eq!(super::width("满意a"), 5);
    }
}
