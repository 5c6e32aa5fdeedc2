//! Rows for the quarantine table: where (file, sheet, line), which column,
//! the value as the file had it, the reason and how to fix it, and the whole
//! row as JSON with clear identities replaced by their keyed hash.

use std::collections::BTreeMap;

use anyhow::Result;
use polars::prelude::*;

use super::mapping::Mapping;
use super::privacy;
use super::table::{col_name, LINE};
use crate::contract::Kind;

/// One quarantined row, as the quarantine table's columns hold it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The line (or Excel row) it came from.
    pub line: u32,
    /// The canonical column at fault; empty when the row's shape is.
    pub column: &'a str,
    /// The cell as the file had it (clear identities masked).
    pub value: String,
    /// The reason's code (`warehouse/schema.rs` lists them).
    pub reason: &'a str,
    /// What is wrong and how to fix it.
    pub detail: String,
    /// The whole row as JSON.
    pub row: String,
}

/// The header of the column holding clear identities, masked in the quarantine.
pub fn private_column(m: &Mapping, headers: &[String]) -> Option<String> {
    ["rater_id", "person_id"]
        .iter()
        .find_map(|c| m.position(c))
        .map(|i| headers[i].clone())
}

pub fn frame(
    kind: Kind,
    sheet: Option<&str>,
    rows: &[Row],
    batch: u32,
    shown: &str,
) -> Result<DataFrame> {
    let n = rows.len();
    let s = |name: &str, f: &dyn Fn(&Row) -> String| -> Column {
        Series::new(name.into(), rows.iter().map(f).collect::<Vec<_>>()).into()
    };
    let df = DataFrame::new_infer_height(vec![
        Series::new("kind".into(), vec![kind.name(); n]).into(),
        Series::new("sheet".into(), vec![sheet.unwrap_or_default(); n]).into(),
        s("column", &|r| r.column.to_string()),
        s("value", &|r| r.value.clone()),
        s("reason", &|r| r.reason.to_string()),
        s("detail", &|r| r.detail.clone()),
        s("row", &|r| r.row.clone()),
        Series::new("batch_id".into(), vec![batch; n]).into(),
        Series::new("source_file".into(), vec![shown.to_string(); n]).into(),
        Series::new(
            "source_line".into(),
            rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        )
        .into(),
    ])?;
    Ok(df)
}

/// A clear identity as the quarantine shows it: its keyed hash, of the id
/// normalized as an accepted row's is (so it equals that rater's key).
pub fn masked(key: &[u8], v: &str) -> String {
    let id = super::normalize::cell(v, super::normalize::Fold::Id);
    format!("hmac:{}", privacy::hash(key, &id))
}

/// Quarantine rows for the failing rows of a table, each with its
/// first broken check, the cell as the file had it and the whole row as
/// JSON (clear identities replaced by their keyed hash).
#[allow(clippy::too_many_arguments)]
pub fn rows(
    key: &[u8],
    batch: u32,
    shown: &str,
    m: &Mapping,
    (headers, sheet): (&[String], Option<&str>),
    failed: &DataFrame,
    checks: &[(&'static str, &'static str, String)],
    private: Option<&str>,
    by_reason: &mut BTreeMap<String, u64>,
) -> Result<DataFrame> {
    let mask = |header: &str, v: String| {
        if Some(header) == private {
            masked(key, &v)
        } else {
            v
        }
    };
    let cells: Vec<Vec<Option<String>>> = (0..headers.len())
        .map(|i| {
            Ok(failed
                .column(&col_name(i))?
                .str()?
                .iter()
                .map(|v| v.map(String::from))
                .collect())
        })
        .collect::<Result<_>>()?;
    let index = failed.column("__check")?.u32()?.clone();
    let lines = failed.column(LINE)?.u32()?.clone();
    let mut rows = Vec::with_capacity(failed.height());
    for r in 0..failed.height() {
        let (column, reason, detail) = &checks[index.get(r).unwrap_or(0) as usize];
        *by_reason.entry(reason.to_string()).or_default() += 1;
        let obj: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    h.clone(),
                    cells[i][r].clone().map_or(serde_json::Value::Null, |v| {
                        serde_json::Value::String(mask(h, v))
                    }),
                )
            })
            .collect();
        let value = match (
            m.position(column),
            m.constants.iter().find(|k| k.0 == *column),
        ) {
            (Some(i), _) => cells[i][r]
                .clone()
                .map(|v| mask(&headers[i], v))
                .unwrap_or_default(),
            (None, Some((_, v))) => v.clone(),
            (None, None) => String::new(),
        };
        rows.push(Row {
            line: lines.get(r).unwrap_or(0),
            column,
            value,
            reason,
            detail: detail.clone(),
            row: serde_json::Value::Object(obj).to_string(),
        });
    }
    frame(m.kind, sheet, &rows, batch, shown)
}
