//! The rectification ledger (整改销号台账) by subject, township, category and
//! for the county: suggestions, closed (已销号), closure rate, overdue as of
//! the date (deadline passed, not closed), median days to close, answered on
//! the spot.

use polars::prelude::*;

use crate::calendar::WorkCalendar;
use crate::contract::Level;
use crate::dates::Date;

pub fn ledger_summary(
    suggestions: LazyFrame,
    subjects: LazyFrame,
    cal: &WorkCalendar,
    as_of: Date,
) -> anyhow::Result<LazyFrame> {
    let closed = col("status").eq(lit(crate::overdue::CLOSED));
    let base = crate::overdue::with_due(suggestions, cal, as_of)?
        .join(
            subjects.select([col("subject_id"), col("township")]),
            [col("subject_id")],
            [col("subject_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            closed.clone().alias("__closed"),
            crate::overdue::overdue(as_of).alias("__overdue"),
            when(closed)
                .then(
                    (col("closed_at").cast(DataType::Int32)
                        - col("received_at").cast(DataType::Int32))
                    .cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("__days"),
        ]);
    let per_level: Vec<LazyFrame> = [
        (Level::Subject, col("subject_id")),
        (Level::Township, col("township")),
        (Level::Category, col("category")),
        (Level::County, lit("全县")),
    ]
    .into_iter()
    .map(|(level, group)| {
        base.clone()
            .group_by([group.alias("group")])
            .agg([
                len().cast(DataType::UInt32).alias("suggestions"),
                col("__closed").cast(DataType::UInt32).sum().alias("closed"),
                col("__overdue")
                    .fill_null(lit(false))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias("overdue"),
                col("__days").median().alias("median_days_to_close"),
                col("answered_on_spot")
                    .fill_null(lit(false))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias("answered_on_spot"),
            ])
            .with_column(lit(level.as_str()).alias("level"))
    })
    .collect();
    Ok(concat(per_level, UnionArgs::default())
        .expect("same schema by construction")
        // An empty ledger still has its county row (0 suggestions): no
        // closure rate there rather than 0/0.
        .with_column(
            when(col("suggestions").gt(lit(0)))
                .then(
                    col("closed").cast(DataType::Float64)
                        / col("suggestions").cast(DataType::Float64),
                )
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("closure_rate"),
        )
        .select([
            col("level"),
            col("group"),
            col("suggestions"),
            col("closed"),
            col("closure_rate"),
            col("overdue"),
            col("median_days_to_close"),
            col("answered_on_spot"),
        ])
        .sort(["level", "group"], Default::default()))
}

/// The headline figures of the whole warehouse; `people` is the one-row
/// count of distinct rater keys (`super::people`).
pub fn headline(
    people: LazyFrame,
    cube: LazyFrame,
    suggestions: LazyFrame,
    sums: LazyFrame,
) -> LazyFrame {
    let r = cube.select([
        col("n").sum().alias("ratings"),
        col("valid").sum().alias("valid"),
        col("satisfied").sum().alias("satisfied"),
        col("subject_id")
            .n_unique()
            .cast(DataType::UInt32)
            .alias("subjects_rated"),
    ]);
    // Every response of the warehouse is one cluster of the county's cell.
    let county = super::rates::level_sums(sums, Level::County)
        .select(["raters", "m", "y", "yy", "ym", "mm"].map(|c| col(c).sum()));
    let n = col("valid").cast(DataType::Float64);
    let rated = concat_lf_horizontal([r, county], Default::default())
        .expect("one row each")
        .with_column((col("satisfied").cast(DataType::Float64) / n).alias("rate"));
    let rated = super::evidence::clustered(rated).select(
        [
            "ratings",
            "valid",
            "raters",
            "n_eff",
            "subjects_rated",
            "rate",
            "ci_low",
            "ci_high",
        ]
        .map(col),
    );
    let s = suggestions.select([len().cast(DataType::UInt32).alias("suggestions")]);
    concat_lf_horizontal([people, rated, s], Default::default()).expect("one row each")
}
