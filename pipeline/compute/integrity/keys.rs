//! Rater-key checks: a key is one person (the keyed hash of a rater id), so
//! many forms from one key for one subject is ballot stuffing, and one key
//! rating a whole county's subjects in a day is a typist, not a person.

use polars::prelude::*;

use super::{stamp_text, Check, Unit};
use crate::config::Config;

/// One key, one subject, one period: more forms than
/// `integrity.max_forms_per_key` (a person may meet a subject at a talk and
/// again in the draw; twelve forms is stuffing). Counted in the period
/// pass on codes (`pass::findings`: `stuffed`).
pub fn duplicate_key(cfg: &Config, stuffed: &DataFrame) -> LazyFrame {
    let max = cfg.integrity.max_forms_per_key;
    flag_rows(
        with_times(stuffed),
        Check::DuplicateKey,
        vec![col("subject_id"), col("period").alias("window")],
        max,
        (
            "需核实：同一评议人本期对该对象提交",
            format!("份测评表（上限{max}份）"),
        ),
    )
}

/// One key, one day: more distinct subjects than
/// `integrity.max_subjects_per_key_day`. Counted in the period pass on
/// codes (`pass::findings`: `busy`).
pub fn busy_key(cfg: &Config, busy: &DataFrame) -> LazyFrame {
    let max = cfg.integrity.max_subjects_per_key_day;
    flag_rows(
        with_times(busy),
        Check::BusyKey,
        vec![col("rated_at").cast(DataType::String).alias("window")],
        max,
        (
            "需核实：同一评议人一天内评议",
            format!("个对象（上限{max}个）"),
        ),
    )
}

/// A finding's first and last stamps (`pass::stamp`) as text, made for the
/// rows listed only: a date format per rating was a tenth of compute.
fn with_times(found: &DataFrame) -> LazyFrame {
    found.clone().lazy().with_columns([
        stamp_text(col("first")).alias("first_at"),
        stamp_text(col("last")).alias("last_at"),
    ])
}

/// A rater-key finding as an `integrity` row: the check, the key, the
/// columns naming where (`place`), the figures and the note
/// `before{n}after`.
fn flag_rows(
    over: LazyFrame,
    check: Check,
    place: Vec<Expr>,
    max: u32,
    (before, after): (&str, String),
) -> LazyFrame {
    let mut columns = vec![
        lit(check.as_str()).alias("check"),
        lit(Unit::RaterKey.as_str()).alias("unit"),
        col("rater_key").alias("unit_id"),
    ];
    columns.extend(place);
    columns.extend([
        col("first_at"),
        col("last_at"),
        col("n"),
        lit(max as f64).alias("threshold"),
        lit(true).alias("flagged"),
        concat_str(
            [lit(before), col("n").cast(DataType::String), lit(after)],
            "",
            true,
        )
        .alias("note"),
    ]);
    over.select(columns)
}
