//! Several rows for one item (`suggestion_id`) in one ledger file. The
//! ledger is a snapshot where the latest row per item wins across batches;
//! inside one file there is no "latest", so taking the last row would be a
//! silent guess. Rows that repeat the first exactly are duplicates (the
//! first is kept); rows that disagree are all quarantined as
//! `conflicting_rows`, for the operator to say which is true. Checked over
//! the whole file once it is read, since a CSV is validated block by block.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use polars::prelude::*;

use super::quarantine;
use crate::contract::Kind;

/// Columns that say where a row came from, not what it says.
const PROVENANCE: [&str; 3] = ["batch_id", "source_file", "source_line"];

/// The file's accepted ledger rows without repeated items, the quarantine
/// rows of those taken out, and their counts by reason.
pub struct Sorted {
    pub kept: Vec<DataFrame>,
    pub quarantine: Option<DataFrame>,
    pub by_reason: BTreeMap<String, u64>,
}

/// Takes repeated items out of a ledger file's accepted rows.
pub fn sort_out(frames: Vec<DataFrame>, batch: u32, shown: &str, id: &str) -> Result<Sorted> {
    let df = match frames.len() {
        0 | 1 => frames.into_iter().next(),
        _ => Some(
            concat(
                frames.into_iter().map(IntoLazy::lazy).collect::<Vec<_>>(),
                UnionArgs::default(),
            )?
            .collect()?,
        ),
    };
    let Some(df) = df else {
        return Ok(Sorted {
            kept: Vec::new(),
            quarantine: None,
            by_reason: BTreeMap::new(),
        });
    };
    let groups = repeated(&df)?;
    if groups.is_empty() {
        return Ok(Sorted {
            kept: vec![df],
            quarantine: None,
            by_reason: BTreeMap::new(),
        });
    }
    let mut drop = vec![false; df.height()];
    let mut rows = Vec::new();
    let mut by_reason = BTreeMap::new();
    for group in groups {
        for (row, reason, detail) in judge(&df, &group, id)? {
            drop[row] = true;
            *by_reason.entry(reason.to_string()).or_default() += 1;
            rows.push(quarantine_row(&df, row, reason, detail)?);
        }
    }
    rows.sort_by_key(|r| r.line);
    let keep: BooleanChunked = drop.iter().map(|d| Some(!d)).collect();
    Ok(Sorted {
        kept: vec![df.filter(&keep)?],
        quarantine: Some(quarantine::frame(Kind::Ledger, None, &rows, batch, shown)?),
        by_reason,
    })
}

/// The rows of each item that has more than one, in file order.
fn repeated(df: &DataFrame) -> Result<Vec<Vec<usize>>> {
    let ids = df.column("suggestion_id")?.str()?;
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for (row, id) in ids.iter().enumerate() {
        let Some(id) = id else { continue };
        match seen.get(id) {
            None => {
                seen.insert(id, row);
            }
            Some(&first) => {
                let g = *group_of.entry(first).or_insert_with(|| {
                    groups.push(vec![first]);
                    groups.len() - 1
                });
                groups[g].push(row);
            }
        }
    }
    Ok(groups)
}

/// Which rows of one item's group leave, with reason and detail.
fn judge(df: &DataFrame, group: &[usize], id: &str) -> Result<Vec<(usize, &'static str, String)>> {
    let values = |row: usize| -> Result<Vec<String>> {
        Ok(df
            .columns()
            .iter()
            .filter(|c| !PROVENANCE.contains(&c.name().as_str()))
            .map(|c| c.get(row).map(|v| v.to_string()))
            .collect::<PolarsResult<Vec<_>>>()?)
    };
    let line =
        |row: usize| -> Result<u32> { Ok(df.column("source_line")?.u32()?.get(row).unwrap_or(0)) };
    let first = values(group[0])?;
    let mut same = true;
    for &row in &group[1..] {
        same &= values(row)? == first;
    }
    let key = df
        .column("suggestion_id")?
        .str()?
        .get(group[0])
        .unwrap_or("");
    if same {
        let at = line(group[0])?;
        return group[1..]
            .iter()
            .map(|&row| {
                Ok((
                    row,
                    "duplicate",
                    format!("{id} {key} again, the same as line {at}: one row per item"),
                ))
            })
            .collect();
    }
    let lines = group
        .iter()
        .map(|&r| line(r).map(|l| l.to_string()))
        .collect::<Result<Vec<_>>>()?
        .join(", ");
    let detail = format!("{id} {key} has {} rows in this file that disagree (lines {lines}): which one is true is not known, so none is taken; keep one row per item, with its latest state", group.len());
    Ok(group
        .iter()
        .map(|&row| (row, "conflicting_rows", detail.clone()))
        .collect())
}

/// One quarantine row for ledger row `row`: the id as its value, the row's
/// accepted values as JSON.
fn quarantine_row(
    df: &DataFrame,
    row: usize,
    reason: &'static str,
    detail: String,
) -> Result<quarantine::Row<'static>> {
    let mut obj = serde_json::Map::new();
    for c in df.columns() {
        let name = c.name().as_str();
        if PROVENANCE.contains(&name) {
            continue;
        }
        let v = c.get(row)?;
        let v = match v {
            AnyValue::Null => serde_json::Value::Null,
            AnyValue::String(s) => serde_json::Value::String(s.to_string()),
            other => serde_json::Value::String(other.to_string()),
        };
        obj.insert(name.to_string(), v);
    }
    let id = df.column("suggestion_id")?.str()?.get(row).unwrap_or("");
    Ok(quarantine::Row {
        line: df.column("source_line")?.u32()?.get(row).unwrap_or(0),
        column: "suggestion_id",
        value: id.to_string(),
        reason,
        detail,
        row: serde_json::Value::Object(obj).to_string(),
    })
}
