//! Rater-key checks: a key is one person (the keyed hash of a rater id), so
//! many forms from one key for one subject is ballot stuffing, and one key
//! rating a whole county's subjects in a day is a typist, not a person.

use polars::prelude::*;

use super::{with_span, Check, Unit};
use crate::config::Config;

/// One key, one subject, one period: more forms than
/// `integrity.max_forms_per_key` (a person may meet a subject at a talk and
/// again in the draw; twelve forms is stuffing).
pub fn duplicate_key(cfg: &Config, ratings: LazyFrame) -> LazyFrame {
    let max = cfg.integrity.max_forms_per_key;
    let over = over_limit(
        ratings,
        &["rater_key", "subject_id", "period"],
        "response_id",
        max,
    );
    flag_rows(
        over,
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
/// `integrity.max_subjects_per_key_day`.
pub fn busy_key(cfg: &Config, ratings: LazyFrame) -> LazyFrame {
    let max = cfg.integrity.max_subjects_per_key_day;
    let over = over_limit(ratings, &["rater_key", "rated_at"], "subject_id", max);
    flag_rows(
        over,
        Check::BusyKey,
        vec![col("rated_at").cast(DataType::String).alias("window")],
        max,
        (
            "需核实：同一评议人一天内评议",
            format!("个对象（上限{max}个）"),
        ),
    )
}

/// The groups of a known key over `keys` whose distinct `counted` values
/// (`n`) exceed `max`, with their first and last timestamp.
fn over_limit(ratings: LazyFrame, keys: &[&str], counted: &str, max: u32) -> LazyFrame {
    let keyed = ratings.filter(col("rater_key").is_not_null());
    let flagged = keyed
        .clone()
        .group_by(keys.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([col(counted).n_unique().alias("n")])
        .filter(col("n").gt(lit(max)));
    with_span(flagged, keyed, keys)
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
