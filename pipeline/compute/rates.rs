//! Rates by subject and by group, per period, with Wilson 95% intervals:
//! valid = ratings not abstaining; satisfied = valid ratings whose level counts
//! as satisfied; rate = satisfied / valid (null when nothing is valid).

use polars::prelude::*;

use super::evidence::wilson_columns;
use super::levels::{group, with_attributes, LEVELS};
use crate::contract::Level;

/// The cube's keys: what one of its rows counts.
pub const CUBE_KEYS: [&str; 6] = [
    "subject_id",
    "period",
    "rater_category",
    "method",
    "channel",
    "item",
];

/// The one pass over the ratings: counts per subject, period, rater
/// category, method, channel and item. Every metric aggregates this cube
/// instead of the raw rows (a few hundred thousand rows for ten million
/// ratings).
pub fn cube(ratings: LazyFrame) -> LazyFrame {
    ratings.group_by(CUBE_KEYS.map(col)).agg(cube_counts())
}

/// The cube's counts of a group of ratings rows.
pub fn cube_counts() -> Vec<Expr> {
    vec![
        len().cast(DataType::UInt32).alias("n"),
        col("valid").cast(DataType::UInt32).sum().alias("valid"),
        col("satisfied")
            .fill_null(lit(false))
            .cast(DataType::UInt32)
            .sum()
            .alias("satisfied"),
        col("valid")
            .not()
            .cast(DataType::UInt32)
            .sum()
            .alias("abstained"),
        col("score").sum().alias("score_sum"),
        col("score").count().cast(DataType::UInt32).alias("score_n"),
    ]
}

/// The columns the cube sums, in its order.
const SUMS: [&str; 6] = [
    "n",
    "valid",
    "satisfied",
    "abstained",
    "score_sum",
    "score_n",
];

/// The cube summed over method, channel and item: counts per subject,
/// period and rater category, a tenth of the cube's rows. Computed once
/// (`compute::shared`) for every builder that groups by none of those three,
/// instead of each grouping the whole cube again.
pub fn cube_categories(cube: LazyFrame) -> LazyFrame {
    cube.group_by([col("subject_id"), col("period"), col("rater_category")])
        .agg(SUMS.map(|c| col(c).sum()))
}

/// valid, satisfied, abstained, score_mean (null when nothing is scored) over cube rows.
pub fn counts() -> Vec<Expr> {
    vec![
        col("valid").sum().alias("valid"),
        col("satisfied").sum().alias("satisfied"),
        col("abstained").sum().alias("abstained"),
        // Null, not NaN (0/0), where nothing is scored: an analyst's avg()
        // over NaN is NaN, over null it skips the row.
        when(col("score_n").sum().gt(lit(0)))
            .then(col("score_sum").sum() / col("score_n").sum().cast(DataType::Float64))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .alias("score_mean"),
    ]
}

/// rate, ci_low, ci_high from `satisfied` and `valid` columns.
pub fn with_rate(lf: LazyFrame) -> LazyFrame {
    let n = col("valid").cast(DataType::Float64);
    let p = col("satisfied").cast(DataType::Float64) / n.clone();
    let rate = when(n.clone().gt(lit(0.0)))
        .then(p)
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias("rate");
    lf.with_column(rate)
        .with_columns(wilson_columns(col("rate"), n, "ci_low", "ci_high"))
}

/// Per subject and assessment year, rates by item and by rater category: what
/// a unit card shows. `dimension` is `item` or `rater_category`.
/// `raters`: for an item, the ratings of it (one per response); for a rater
/// category, its distinct responses.
pub fn subject_detail(cube: LazyFrame, categories: LazyFrame, raters: LazyFrame) -> LazyFrame {
    let year = col("period").str().slice(lit(0), lit(4)).alias("window");
    let by_category = raters
        .group_by([
            col("subject_id"),
            year.clone(),
            col("rater_category").alias("group"),
        ])
        .agg([col("raters").sum().alias("__raters")])
        .with_column(lit("rater_category").alias("dimension"));
    let per_dim: Vec<LazyFrame> = ["item", "rater_category"]
        .into_iter()
        .map(|dim| {
            let source = if dim == "item" { &cube } else { &categories };
            source
                .clone()
                .group_by([col("subject_id"), year.clone(), col(dim).alias("group")])
                .agg(counts())
                .with_column(lit(dim).alias("dimension"))
                .select([
                    col("subject_id"),
                    col("window"),
                    col("dimension"),
                    col("group"),
                    (col("valid") + col("abstained")).alias("raters"),
                    col("valid"),
                    col("satisfied"),
                    col("abstained"),
                    col("score_mean"),
                ])
        })
        .collect();
    let keys = [
        col("subject_id"),
        col("window"),
        col("dimension"),
        col("group"),
    ];
    let all = concat(per_dim, UnionArgs::default())
        .expect("same schema by construction")
        .join(
            by_category,
            keys.clone(),
            keys,
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            when(col("__raters").is_not_null())
                .then(col("__raters"))
                .otherwise(col("raters"))
                .alias("raters"),
        )
        .drop(cols(["__raters"]));
    with_rate(all).sort(
        ["subject_id", "window", "dimension", "group"],
        Default::default(),
    )
}

/// Rates per subject and period with their clustered intervals, the
/// people (`raters`) and effective n they rest on, and the post-stratified
/// rate from the composition rows with its interval (`evidence.rs`).
pub fn subject_period(
    cube: LazyFrame,
    composition: LazyFrame,
    sums: LazyFrame,
    ps: LazyFrame,
) -> LazyFrame {
    let key = || [col("subject_id"), col("period")];
    let sums = level_sums(sums, Level::Subject).rename(["group"], ["subject_id"], true);
    let rated = with_sums(cube.group_by(key()).agg(counts()), sums, &key());
    let post = super::evidence::post_stratified(
        super::composition::post_stratified(composition).join(ps, key(), key(), left()),
    );
    rated
        .join(post, key(), key(), left())
        .select(
            [
                "subject_id",
                "period",
                "valid",
                "raters",
                "n_eff",
                "satisfied",
                "abstained",
                "score_mean",
                "rate",
                "ci_low",
                "ci_high",
                "rate_ps",
                "ps_ci_low",
                "ps_ci_high",
                "ps_n_eff",
                "coverage",
            ]
            .map(col),
        )
        // Joins need not keep row order: sort last, so equal inputs give
        // byte-identical files.
        .sort(["subject_id", "period"], Default::default())
}

/// A left join where a null key matches a null key (a subject without a
/// township is the group null in both frames).
pub fn left() -> JoinArgs {
    JoinArgs {
        nulls_equal: true,
        ..JoinArgs::new(JoinType::Left)
    }
}

/// One level's rows of the cluster sums (`clusters.rs`), without the level.
pub fn level_sums(sums: LazyFrame, level: Level) -> LazyFrame {
    sums.filter(col("level").eq(lit(level.as_str())))
        .drop(cols(["level"]))
}

/// The cluster sums summed per assessment year (a response has one period,
/// so a year's responses are its periods' responses).
pub fn yearly(sums: LazyFrame, keys: &[&str]) -> LazyFrame {
    let mut by: Vec<Expr> = keys.iter().map(|k| col(*k)).collect();
    by.push(col("period").str().slice(lit(0), lit(4)).alias("period"));
    sums.group_by(by)
        .agg(["raters", "m", "y", "yy", "ym", "mm"].map(|c| col(c).sum()))
}

/// Counts joined to their cells' cluster sums on `key`, with the rate and
/// its clustered interval; the sums dropped again. `raters` is 0 where
/// nothing is valid.
pub fn with_sums(counts: LazyFrame, sums: LazyFrame, key: &[Expr]) -> LazyFrame {
    let n = col("valid").cast(DataType::Float64);
    let rate = when(n.clone().gt(lit(0.0)))
        .then(col("satisfied").cast(DataType::Float64) / n)
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias("rate");
    let joined = counts
        .join(sums, key.to_vec(), key.to_vec(), left())
        .with_columns([rate, col("raters").fill_null(lit(0u32))]);
    super::evidence::clustered(joined).drop(cols(["m", "y", "yy", "ym", "mm"]))
}

/// The share of 不了解 answers per subject and period: ratings at an
/// abstain level of the scale (`valid` is false for them, so the cube's
/// `abstained` counts them) among all ratings.
pub fn dont_know(cube: LazyFrame) -> LazyFrame {
    cube.group_by([col("subject_id"), col("period")])
        .agg([
            col("n").sum().alias("answers"),
            col("abstained").sum().alias("dont_know"),
        ])
        .with_column(
            (col("dont_know").cast(DataType::Float64) / col("answers").cast(DataType::Float64))
                .alias("share"),
        )
        .sort(["subject_id", "period"], Default::default())
}

/// Every level at once: one plan per level, concatenated. The levels that
/// are attributes of the subject (county … pioneer_category) aggregate the
/// counts summed per subject and period and joined to the subjects (tens of
/// thousands of rows); the rating's own levels (rater_category … item)
/// aggregate `cube_categories` or the cube, summed per level and period
/// first. Joining the whole cube to the subjects first held a copy of it
/// with four more text columns, the largest part of compute's peak at
/// 100 M ratings.
pub fn group_period(
    cube: LazyFrame,
    categories: LazyFrame,
    subjects: LazyFrame,
    clusters: LazyFrame,
) -> LazyFrame {
    let sums = ["valid", "satisfied", "abstained", "score_sum", "score_n"].map(|c| col(c).sum());
    let by_subject = with_attributes(
        categories
            .clone()
            .group_by([col("subject_id"), col("period")])
            .agg(sums.clone()),
        subjects.clone(),
    );
    // A rating's own level is summed per period once; its period and year
    // spans then group those sums instead of the whole cube twice.
    let source = |level: Level| match level {
        Level::RaterCategory => categories
            .clone()
            .group_by([col(level.as_str()), col("period")])
            .agg(sums.clone()),
        Level::Method | Level::Channel | Level::Item => cube
            .clone()
            .group_by([col(level.as_str()), col("period")])
            .agg(sums.clone()),
        _ => by_subject.clone(),
    };
    // Each level per period and per assessment year (`span`), the year
    // written in `period` as `2012`.
    let year = col("period").str().slice(lit(0), lit(4));
    let per_level: Vec<LazyFrame> = LEVELS
        .iter()
        .flat_map(|level| {
            [("period", col("period")), ("year", year.clone())].map(|(span, by)| (*level, span, by))
        })
        .map(|(level, span, by)| {
            source(level)
                .group_by([group(level).alias("group"), by.alias("period")])
                .agg(counts())
                .with_columns([lit(level.as_str()).alias("level"), lit(span).alias("span")])
                .select([
                    col("level"),
                    col("group"),
                    col("span"),
                    col("period"),
                    col("valid"),
                    col("satisfied"),
                    col("abstained"),
                    col("score_mean"),
                ])
        })
        .collect();
    let all = concat(per_level, UnionArgs::default()).expect("same schema by construction");
    let clusters = clusters.filter(col("level").neq(lit("subject")));
    let spans = concat(
        [
            clusters.clone().with_column(lit("period").alias("span")),
            yearly(clusters, &["level", "group"]).with_column(lit("year").alias("span")),
        ],
        UnionArgs::default(),
    )
    .expect("same schema by construction");
    let key = ["level", "group", "span", "period"].map(col);
    let std = super::standardize::rate_std(cube, subjects);
    with_sums(all, spans, &key)
        .join(std, key.to_vec(), key.to_vec(), left())
        .select(
            [
                "level",
                "group",
                "span",
                "period",
                "valid",
                "raters",
                "n_eff",
                "satisfied",
                "abstained",
                "score_mean",
                "rate",
                "ci_low",
                "ci_high",
                "rate_std",
            ]
            .map(col),
        )
        .sort(["level", "group", "span", "period"], Default::default())
}
