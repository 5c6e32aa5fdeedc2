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
    let keyed = ratings.filter(col("rater_key").is_not_null());
    let flagged = keyed
        .clone()
        .group_by([col("rater_key"), col("subject_id"), col("period")])
        .agg([col("response_id").n_unique().alias("n")])
        .filter(col("n").gt(lit(max)));
    with_span(flagged, keyed, &["rater_key", "subject_id", "period"]).select([
        lit(Check::DuplicateKey.as_str()).alias("check"),
        lit(Unit::RaterKey.as_str()).alias("unit"),
        col("rater_key").alias("unit_id"),
        col("subject_id"),
        col("period").alias("window"),
        col("first_at"),
        col("last_at"),
        col("n"),
        lit(max as f64).alias("threshold"),
        lit(true).alias("flagged"),
        concat_str(
            [
                lit("需核实：同一评议人本期对该对象提交"),
                col("n").cast(DataType::String),
                lit(format!("份测评表（上限{max}份）")),
            ],
            "",
            true,
        )
        .alias("note"),
    ])
}

/// One key, one day: more distinct subjects than
/// `integrity.max_subjects_per_key_day`.
pub fn busy_key(cfg: &Config, ratings: LazyFrame) -> LazyFrame {
    let max = cfg.integrity.max_subjects_per_key_day;
    let keyed = ratings.filter(col("rater_key").is_not_null());
    let flagged = keyed
        .clone()
        .group_by([col("rater_key"), col("rated_at")])
        .agg([col("subject_id").n_unique().alias("n")])
        .filter(col("n").gt(lit(max)));
    with_span(flagged, keyed, &["rater_key", "rated_at"]).select([
        lit(Check::BusyKey.as_str()).alias("check"),
        lit(Unit::RaterKey.as_str()).alias("unit"),
        col("rater_key").alias("unit_id"),
        col("rated_at").cast(DataType::String).alias("window"),
        col("first_at"),
        col("last_at"),
        col("n"),
        lit(max as f64).alias("threshold"),
        lit(true).alias("flagged"),
        concat_str(
            [
                lit("需核实：同一评议人一天内评议"),
                col("n").cast(DataType::String),
                lit(format!("个对象（上限{max}个）")),
            ],
            "",
            true,
        )
        .alias("note"),
    ])
}
