//! Method-standardized rates of groups (DESIGN §5 "Evidence"): a group's
//! rate as if its ratings had been collected with the county's mix of
//! methods, so that a township rated mostly by the random draw (随机抽查,
//! whose raters nobody chooses and whose rates run higher) is not ranked
//! above one rated by 群众测评 for that alone.
//!
//! rate_std = Σ_m W_m·p_m / Σ_{m present} W_m, over the methods m with valid
//! ratings in the cell; p_m the cell's rate by method m; W_m the county's
//! share of method m's valid ratings over the assessment year the cell
//! belongs to. For the `method` level itself the one method present gives
//! rate_std = rate.

use polars::prelude::*;

use super::levels::{group, with_attributes, LEVELS};
use crate::contract::Level;

/// A cell's values as a list, in the order of their methods' names.
fn in_method_order(e: Expr) -> Expr {
    e.sort_by([col("method")], SortMultipleOptions::default())
}

/// (level, group, span, period, rate_std) for every cell of `group_period`
/// with a valid rating.
pub fn rate_std(cube: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    let year = || col("period").str().slice(lit(0), lit(4));
    let by_subject = with_attributes(
        cube.clone()
            .group_by([col("subject_id"), col("period"), col("method")])
            .agg([col("valid").sum(), col("satisfied").sum()]),
        subjects,
    );
    let by_method = cube
        .clone()
        .group_by([year().alias("year"), col("method")])
        .agg([col("valid").sum().cast(DataType::Float64).alias("w")]);
    let weights = by_method
        .clone()
        .join(
            by_method
                .group_by([col("year")])
                .agg([col("w").sum().alias("total")]),
            [col("year")],
            [col("year")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("year"),
            col("method"),
            (col("w") / col("total")).alias("w"),
        ]);
    let cells: Vec<LazyFrame> = LEVELS
        .iter()
        .flat_map(|level| [("period", col("period")), ("year", year())].map(|s| (*level, s)))
        .map(|(level, (span, by))| {
            let source = match level {
                Level::RaterCategory | Level::Method | Level::Channel | Level::Item => cube.clone(),
                _ => by_subject.clone(),
            };
            source
                .group_by([
                    group(level).alias("group"),
                    by.alias("period"),
                    col("method"),
                ])
                .agg([col("valid").sum(), col("satisfied").sum()])
                .with_columns([lit(level.as_str()).alias("level"), lit(span).alias("span")])
                .select(
                    [
                        "level",
                        "group",
                        "span",
                        "period",
                        "method",
                        "valid",
                        "satisfied",
                    ]
                    .map(col),
                )
        })
        .collect();
    let p = col("satisfied").cast(DataType::Float64) / col("valid").cast(DataType::Float64);
    concat(cells, UnionArgs::default())
        .expect("same schema by construction")
        .filter(col("valid").gt(lit(0)))
        .with_column(year().alias("year"))
        .join(
            weights,
            [col("year"), col("method")],
            [col("year"), col("method")],
            JoinArgs::new(JoinType::Left),
        )
        // Summed in the order of the methods' names: a float sum in the
        // order rows happen to arrive (the group-bys give none) differs in
        // its last bits from run to run, and the same warehouse must give
        // the same bytes. A sort inside a summing aggregation is optimized
        // away, so each cell's terms are gathered into a list in method
        // order first and the lists summed after.
        .group_by(["level", "group", "span", "period"].map(col))
        .agg([
            in_method_order(col("w") * p).alias("__terms"),
            in_method_order(col("w")).alias("__weights"),
        ])
        .with_column(
            (col("__terms").list().sum() / col("__weights").list().sum()).alias("rate_std"),
        )
        .drop(cols(["__terms", "__weights"]))
}
