//! The integrity checks counted inside the period pass (`period.rs`), on
//! the codes and fingerprints every rating is read as, not on its text:
//! the rater-key checks (`keys.rs`: stuffed forms, busy days) and the
//! per-form counts straight-lining tests (`straight.rs`). A form, a key's
//! stuffing of a subject and a day all lie in one period (ingest holds the
//! period to the date), so per period nothing is missed; only the rows a
//! check lists, or a unit's two counts, get their texts back.
//!
//! Before (issue 40), each check grouped the whole ratings table again on
//! its text columns: at ten million ratings the stuffed-key recount took
//! 6.8 s and straight-lining 4.3 s of a 30 s compute, and their text
//! frames set the 2.9 GB peak.
//!
//! Forms are told apart by the stored 64-bit `response_key` (`r`), as
//! everywhere in compute; two ids sharing a key (about n²/2⁶⁵) would count
//! as one form, never as more.

use anyhow::Result;
use polars::prelude::*;

use crate::compute::clusters::{self, Lookup, COLLECTOR, RATER_KEY, RATING, TIME};
use crate::compute::codes::Dicts;

/// One period's findings, texts decoded.
pub struct Findings {
    /// One key, one subject, one period, more forms than the limit:
    /// rater_key, subject_id, period, n, first, last (`stamp` values).
    pub stuffed: DataFrame,
    /// One key, one day, more subjects than the limit: rater_key,
    /// rated_at, n, first, last.
    pub busy: DataFrame,
    /// Forms and all-top forms per collector and channel: unit, unit_id,
    /// k, x (`straight.rs` sums the periods and tests).
    pub straight: DataFrame,
}

/// Counts one period's checks over `rows` (`clusters::rows` of every
/// rating, none excluded: the audit sees what the rates leave out).
pub fn findings(rows: LazyFrame, dicts: &Dicts, lookup: &Lookup) -> Result<Findings> {
    let rows = rows.with_column(stamp(dicts)?.alias("t")).cache();
    let known = rows.clone().filter(col("k").is_not_null());
    let counted = |distinct: &str| {
        [
            col(distinct).n_unique().alias("n"),
            col("t").min().alias("first"),
            col("t").max().alias("last"),
        ]
    };
    let stuffed = known
        .clone()
        .group_by([col("s"), col("p"), col("k")])
        .agg(counted("r"))
        .filter(col("n").gt(lit(lookup.max_forms_per_key)));
    let stuffed = decoded(
        stuffed,
        dicts,
        &[("s", 0, "subject_id"), ("p", 1, "period")],
    )?;
    let busy = known
        .group_by([col("k"), col("d")])
        .agg(counted("s"))
        .filter(col("n").gt(lit(lookup.max_subjects_per_key_day)))
        .with_column(col("d").cast(DataType::Date).alias("rated_at"));
    let busy = decoded(busy, dicts, &[])?;
    Ok(Findings {
        stuffed: stuffed
            .select(["rater_key", "subject_id", "period", "n", "first", "last"].map(col))
            .collect()?,
        busy: busy
            .select(["rater_key", "rated_at", "n", "first", "last"].map(col))
            .collect()?,
        straight: straight_counts(rows, dicts, lookup)?,
    })
}

/// `lf` with its key code `k` and the other code columns `more` (column,
/// dictionary, text name) decoded.
fn decoded(lf: LazyFrame, dicts: &Dicts, more: &[(&str, usize, &str)]) -> Result<LazyFrame> {
    let mut lf = clusters::decode(lf, dicts, "k", RATER_KEY, "rater_key")?;
    for (code, i, text) in more {
        lf = clusters::decode(lf, dicts, code, *i, text)?;
    }
    Ok(lf)
}

/// A rating's time as one integer that sorts as its text (`first_at`,
/// `last_at`) does: seconds since 1970 × 2 + 1 with a time of day, the
/// day's first second × 2 without one (`2012-12-07` sorts before
/// `2012-12-07 00:00:00`); null for a time that does not parse. Each time
/// of day in the dictionary is parsed once (`super::time_of_day`), each row
/// looks its offset up by code.
fn stamp(dicts: &Dicts) -> Result<Expr> {
    let texts = dicts.get(TIME).all("rated_time");
    let offsets = DataFrame::new_infer_height(vec![texts.into_column()])?
        .lazy()
        .select([when(col("rated_time").is_null())
            .then(lit(0i64))
            .otherwise(super::time_of_day() * lit(2i64) + lit(1i64))
            .alias("offset")])
        .collect()?;
    let offsets = offsets.column("offset")?.as_materialized_series().clone();
    let day = col("d").cast(DataType::Int64) * lit(2 * 86_400i64);
    Ok(day + lit(offsets).gather(col("tc"), false))
}

/// Per form (`r`) with at least `straight_min_items` valid ratings: is
/// every valid rating at the top level, its collector (the first given)
/// and channel; then per collector and per channel the forms `k` and the
/// all-top ones `x`, texts decoded.
fn straight_counts(rows: LazyFrame, dicts: &Dicts, lookup: &Lookup) -> Result<DataFrame> {
    // No code when no rating carries the top label: then no form is all-top.
    let top = {
        let d = dicts.get(RATING);
        (0..d.len() as u32).find(|&c| d.text(c) == Some(lookup.top_label.as_str()))
    };
    let is_top = match top {
        Some(code) => col("g").eq(lit(code)),
        None => lit(false),
    };
    let forms = rows
        .filter(col("valid"))
        .group_by([col("r")])
        .agg([
            len().alias("m"),
            is_top.cast(DataType::UInt32).sum().alias("top"),
            col("co").drop_nulls().first().alias("co"),
            col("ch").first(),
        ])
        .filter(col("m").gt_eq(lit(lookup.straight_min_items)))
        .with_column(col("top").eq(col("m")).alias("all_top"))
        .cache();
    let by = |unit: super::Unit, code: &str, i: usize| -> Result<LazyFrame> {
        let counts = forms
            .clone()
            .filter(col(code).is_not_null())
            .group_by([col(code)])
            .agg([
                len().cast(DataType::UInt32).alias("k"),
                col("all_top").cast(DataType::UInt32).sum().alias("x"),
            ]);
        Ok(clusters::decode(counts, dicts, code, i, "unit_id")?
            .filter(col("unit_id").is_not_null())
            .select([
                lit(unit.as_str()).alias("unit"),
                col("unit_id"),
                col("k"),
                col("x"),
            ]))
    };
    let both = [
        by(super::Unit::Collector, "co", COLLECTOR)?,
        by(super::Unit::Channel, "ch", 4)?,
    ];
    Ok(concat(both, UnionArgs::default())?.collect()?)
}

/// The findings' columns with no rows: what an empty warehouse gives.
pub fn empty() -> Result<Findings> {
    let text = |n: &str| Series::new_empty(n.into(), &DataType::String).into_column();
    let typed = |n: &str, t: DataType| Series::new_empty(n.into(), &t).into_column();
    let figures = || {
        [
            typed("n", DataType::UInt32),
            typed("first", DataType::Int64),
            typed("last", DataType::Int64),
        ]
    };
    let stuffed = [text("rater_key"), text("subject_id"), text("period")];
    let busy = [text("rater_key"), typed("rated_at", DataType::Date)];
    Ok(Findings {
        stuffed: DataFrame::new_infer_height(stuffed.into_iter().chain(figures()).collect())?,
        busy: DataFrame::new_infer_height(busy.into_iter().chain(figures()).collect())?,
        straight: DataFrame::new_infer_height(vec![
            text("unit"),
            text("unit_id"),
            typed("k", DataType::UInt32),
            typed("x", DataType::UInt32),
        ])?,
    })
}
