//! Each collection method's cells with forms as clusters, made inside the
//! one pass over a period's files (`period.rs`) from the rows' codes: per
//! period, subject × method, township group × subject kind × method and
//! subject kind × method (the county, 全县), each with k and the sums
//! `evidence::clustered` needs. `method_rates` and the integrity audit's
//! method effect sum them over a year's periods (a response has one
//! period) and over the methods of a side (a form is collected one way).
//!
//! Both read the whole ratings as text before, each grouping every valid
//! rating by its response id: about half of compute at a million ratings
//! (issue 40); here they are integer group-bys over the pass's per-response
//! rows.

use anyhow::Result;
use polars::prelude::*;

use std::collections::HashMap;

use super::codes::Dicts;
use super::lookup::{attribute_codes, Lookup};
use super::responses::{combo_cells, PerSubject};
use crate::contract::Level;

/// The group of the county-wide cells.
pub const COUNTY: &str = "全县";

/// The table's columns, in order.
const COLUMNS: [&str; 11] = [
    "level", "group", "kind", "method", "period", "raters", "m", "y", "yy", "ym", "mm",
];

/// One period's method cells from its per-subject parts (`responses.rs`):
/// each part's cell numbered per (period, group, kind, method) once per
/// combination of codes, then summed over the responses.
pub fn period_cells(per_subject: &PerSubject, dicts: &Dicts, lookup: &Lookup) -> Result<DataFrame> {
    let (kind_of, kinds) = attribute_codes(dicts, lookup, "kind");
    let (township_of, townships) = attribute_codes(dicts, lookup, "township");
    let subjects = dicts.get(0);
    let mut out = Rows::default();
    for level in [Level::Subject, Level::Township, Level::County] {
        // (period, group text, kind, method) per cell, numbered.
        let mut cells: Vec<(u32, Option<String>, u32, u32)> = Vec::new();
        let mut number: HashMap<(u32, u32, u32, u32), u32> = HashMap::new();
        let cell_of: Vec<Option<u64>> = per_subject
            .combos
            .iter()
            .map(|&[s, p, _, me, _]| {
                let kind = kind_of[s as usize];
                // The township and county cells count the roster's subjects
                // only (kind is required there), as the roster join did.
                let rostered = kinds[kind as usize].is_some();
                let (group, text) = match level {
                    Level::Subject => (s, subjects.text(s).map(String::from)),
                    Level::Township if rostered => {
                        let t = township_of[s as usize];
                        (t, Some(townships[t as usize].clone().unwrap_or_default()))
                    }
                    Level::County if rostered => (0, Some(COUNTY.to_string())),
                    _ => return None,
                };
                let n = *number.entry((p, group, kind, me)).or_insert_with(|| {
                    cells.push((p, text, kind, me));
                    cells.len() as u32 - 1
                });
                Some(u64::from(n))
            })
            .collect();
        let sums = combo_cells(per_subject, &cell_of);
        for (i, &n) in sums.key.iter().enumerate() {
            let (p, group, kind, me) = &cells[n as usize];
            out.level.push(level.as_str());
            out.group.push(group.clone());
            out.kind.push(kinds[*kind as usize].clone());
            out.method.push(dicts.get(3).text(*me).map(String::from));
            out.period.push(dicts.get(1).text(*p).map(String::from));
            out.raters.push(sums.raters[i]);
            for (to, from) in out
                .sums
                .iter_mut()
                .zip([&sums.m, &sums.y, &sums.yy, &sums.ym, &sums.mm])
            {
                to.push(from[i]);
            }
        }
    }
    out.frame()
}

/// The cells as the table's columns.
#[derive(Default)]
struct Rows {
    level: Vec<&'static str>,
    group: Vec<Option<String>>,
    kind: Vec<Option<String>>,
    method: Vec<Option<String>>,
    period: Vec<Option<String>>,
    raters: Vec<u32>,
    sums: [Vec<f64>; 5],
}

impl Rows {
    fn frame(self) -> Result<DataFrame> {
        let mut columns = vec![
            Series::new("level".into(), self.level).into_column(),
            Series::new("group".into(), self.group).into_column(),
            Series::new("kind".into(), self.kind).into_column(),
            Series::new("method".into(), self.method).into_column(),
            Series::new("period".into(), self.period).into_column(),
            Series::new("raters".into(), self.raters).into_column(),
        ];
        for (name, values) in ["m", "y", "yy", "ym", "mm"].iter().zip(self.sums) {
            columns.push(Series::new((*name).into(), values).into_column());
        }
        Ok(DataFrame::new_infer_height(columns)?)
    }
}

/// The columns with no rows (a warehouse without ratings).
pub fn empty() -> Result<DataFrame> {
    let columns: Vec<Column> = COLUMNS
        .iter()
        .map(|&name| {
            let dtype = match name {
                "raters" => DataType::UInt32,
                "m" | "y" | "yy" | "ym" | "mm" => DataType::Float64,
                _ => DataType::String,
            };
            Series::new_empty(name.into(), &dtype).into_column()
        })
        .collect();
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The cells of `level` summed to (group, kind, method, year): a year's
/// sums are its periods' (a response has one period).
pub fn by_year(cells: LazyFrame, level: Level) -> LazyFrame {
    cells
        .filter(col("level").eq(lit(level.as_str())))
        .group_by([
            col("group"),
            col("kind"),
            col("method"),
            col("period").str().slice(lit(0), lit(4)).alias("window"),
        ])
        .agg(sums())
}

/// k and the sums of cells added together.
pub fn sums() -> [Expr; 6] {
    [
        col("raters").sum().cast(DataType::UInt32).alias("raters"),
        col("m").sum().alias("m"),
        col("y").sum().alias("y"),
        col("yy").sum().alias("yy"),
        col("ym").sum().alias("ym"),
        col("mm").sum().alias("mm"),
    ]
}
