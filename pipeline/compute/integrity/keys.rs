//! Rater-key checks: a key is one person (the keyed hash of a rater id), so
//! many forms from one key for one subject is ballot stuffing, and one key
//! rating a whole county's subjects in a day is a typist, not a person.

use polars::prelude::*;

use super::{stamp_order, stamp_text, Check, Unit};
use crate::compute::codes::NULL_PRINT;
use crate::config::Config;

/// One key, one subject, one period: more forms than
/// `integrity.max_forms_per_key` (a person may meet a subject at a talk and
/// again in the draw; twelve forms is stuffing).
///
/// Counted on the text of the (subject, period) cells the pass over the
/// codes found over the limit (`stuffed_cells`), not on every rating: the
/// text keys of every rating were a tenth of compute (issue 40).
pub fn duplicate_key(
    cfg: &Config,
    ratings: LazyFrame,
    suspects: &DataFrame,
) -> PolarsResult<LazyFrame> {
    let max = cfg.integrity.max_forms_per_key;
    let on = || [col("subject_id"), col("period")];
    // The few suspected subjects picked out first by a set lookup, so the
    // join on two text keys sees their ratings only, not every rating.
    let ids = suspects
        .column("subject_id")?
        .as_materialized_series()
        .unique()?;
    let suspected = ratings
        .filter(col("subject_id").is_in(lit(ids).implode(false), false))
        .join(
            suspects.clone().lazy(),
            on(),
            on(),
            JoinArgs::new(JoinType::Semi),
        );
    let over = over_limit(
        suspected,
        &["rater_key", "subject_id", "period"],
        "response_id",
        max,
    );
    Ok(flag_rows(
        over,
        Check::DuplicateKey,
        vec![col("subject_id"), col("period").alias("window")],
        max,
        (
            "需核实：同一评议人本期对该对象提交",
            format!("份测评表（上限{max}份）"),
        ),
    ))
}

/// The cells (subject and period codes `s`, `p`) of one period's rows
/// (`clusters::rows`: response and key fingerprints `r`, `k`) where a known
/// key gave more than `max` forms. Fingerprints count a response or key the
/// way the text does but for a collision (`distinct.rs`), which could only
/// hide a form, so `duplicate_key` counts these cells again on their text.
pub fn stuffed_cells(rows: LazyFrame, max: u32) -> LazyFrame {
    rows.filter(col("k").neq(lit(NULL_PRINT)))
        .group_by([col("s"), col("p"), col("k")])
        .agg([col("r").n_unique().alias("n")])
        .filter(col("n").gt(lit(max)))
        .select([col("s"), col("p")])
        .unique(None, UniqueKeepStrategy::Any)
}

/// The days (`rated_at`) of one period's rows (`clusters::rows`: subject
/// code `s`, rater key fingerprint `k`, day `d`) on which a known key rated
/// more than `max` subjects. A day lies in one period (ingest holds the
/// period to the date), so counted per period nothing is missed; a
/// fingerprint collision could only add a day, which `busy_key` counts
/// again on the text.
pub fn busy_days(rows: LazyFrame, max: u32) -> LazyFrame {
    rows.filter(col("k").neq(lit(NULL_PRINT)))
        .group_by([col("k"), col("d")])
        .agg([col("s").n_unique().alias("n")])
        .filter(col("n").gt(lit(max)))
        .select([col("d").cast(DataType::Date).alias("rated_at")])
        .unique(None, UniqueKeepStrategy::Any)
}

/// `busy_days`' columns with no rows.
pub fn no_busy_days() -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        Series::new_empty("rated_at".into(), &DataType::Date).into_column()
    ])
}

/// One key, one day: more distinct subjects than
/// `integrity.max_subjects_per_key_day`. Counted on the text of the days
/// the pass over the codes found (`busy_days`), not on every rating.
pub fn busy_key(cfg: &Config, ratings: LazyFrame, days: &DataFrame) -> PolarsResult<LazyFrame> {
    let max = cfg.integrity.max_subjects_per_key_day;
    let days = days.column("rated_at")?.as_materialized_series().clone();
    let ratings = ratings.filter(col("rated_at").is_in(lit(days).implode(false), false));
    let over = over_limit(ratings, &["rater_key", "rated_at"], "subject_id", max);
    Ok(flag_rows(
        over,
        Check::BusyKey,
        vec![col("rated_at").cast(DataType::String).alias("window")],
        max,
        (
            "需核实：同一评议人一天内评议",
            format!("个对象（上限{max}个）"),
        ),
    ))
}

/// The groups of a known key over `keys` whose distinct `counted` values
/// (`n`) exceed `max`, with their first and last timestamp: one group-by,
/// the time kept as a number (`stamp_order`) and written as text for the
/// groups over the limit only.
fn over_limit(ratings: LazyFrame, keys: &[&str], counted: &str, max: u32) -> LazyFrame {
    let by = || keys.iter().map(|k| col(*k)).collect::<Vec<_>>();
    let known = ratings.filter(col("rater_key").is_not_null());
    let over = known
        .clone()
        .group_by(by())
        .agg([col(counted).n_unique().alias("n")])
        .filter(col("n").gt(lit(max)));
    // The times of the groups over the limit only: a rating's time parsed
    // for every row doubled the check's cost.
    known
        .join(over, by(), by(), JoinArgs::new(JoinType::Inner))
        .group_by(by())
        .agg([
            col("n").first(),
            stamp_order().min().alias("first"),
            stamp_order().max().alias("last"),
        ])
        .with_columns([
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
