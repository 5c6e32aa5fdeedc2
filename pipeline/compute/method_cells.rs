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

use super::clusters::{cell_sums, decode, subject_attributes, Lookup};
use super::codes::Dicts;
use crate::contract::Level;

/// The group of the county-wide cells.
pub const COUNTY: &str = "全县";

/// The table's columns, in order.
const COLUMNS: [&str; 11] = [
    "level", "group", "kind", "method", "period", "raters", "m", "y", "yy", "ym", "mm",
];

/// One period's method cells from its per-response rows (`period_sums`'
/// third frame: p, s, c, me, ch, r, m, y).
pub fn period_cells(per_subject: &DataFrame, dicts: &Dicts, lookup: &Lookup) -> Result<DataFrame> {
    let rows = per_subject.clone().lazy().join(
        subject_attributes(dicts, lookup)?.lazy(),
        [col("s")],
        [col("s")],
        JoinArgs::new(JoinType::Left),
    );
    // The township and county cells count the roster's subjects only (kind
    // is required there), as the roster join of the text version did.
    let rostered = rows.clone().filter(col("kind").is_not_null());
    // A subject has one kind: keying on it too groups as the subject alone.
    let subject = decode(
        cell_sums(rows, vec![col("s"), col("kind"), col("me")]),
        dicts,
        "s",
        0,
        "group",
    )?
    .with_column(lit(Level::Subject.as_str()).alias("level"));
    let township = cell_sums(
        rostered.clone(),
        vec![
            col("township").fill_null(lit("")).alias("group"),
            col("kind"),
            col("me"),
        ],
    )
    .with_column(lit(Level::Township.as_str()).alias("level"));
    let county = cell_sums(
        rostered,
        vec![lit(COUNTY).alias("group"), col("kind"), col("me")],
    )
    .with_column(lit(Level::County.as_str()).alias("level"));
    let keep = [
        "level", "group", "kind", "me", "p", "raters", "m", "y", "yy", "ym", "mm",
    ];
    let all = concat(
        [subject, township, county].map(|lf| lf.select(keep.map(col))),
        UnionArgs::default(),
    )?;
    let named = decode(
        decode(all, dicts, "me", 3, "method")?,
        dicts,
        "p",
        1,
        "period",
    )?;
    Ok(named.select(COLUMNS.map(col)).collect()?)
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
