//! Every change of a rate split in two (DESIGN §5 Evidence, Kitagawa): how
//! much the rated units did better or worse within each collection method
//! (`within_method`), and how much the mix of methods moved (`method_mix`).
//! The methods do not rate alike — in the sample's 2012Q3 the random draw
//! (随机抽查) rated 94.6%, the other two 88.8% and 90.0% — so a quarter with
//! the draw and one without differ even when nobody changed: 2012Q3 → Q4
//! is −2.6 points in all, +0.1 within methods, −2.7 mix.
//!
//! With w_m = valid_m / valid and p_m the rate of method m in a period,
//! over the methods with valid ratings in both periods:
//! within = Σ_m (w1_m + w2_m)/2 · (p2_m − p1_m); mix = (p2 − p1) − within.
//! A method present in one period only falls wholly into the mix. All three
//! in percentage points.
//!
//! Levels: the county, townships, villages, org types, pioneer categories
//! and subjects: every level of the subject whose trend or ranking the
//! reports state (the rating's own levels — method, rater category … — are
//! not split: by method the split is the change itself). Kinds: `period`,
//! against the group's previous period with valid ratings (the change
//! `trends.delta_last` states); `year`, the assessment year against the
//! year before (the change the rankings and the headline state), only when
//! that year has valid ratings.

use crate::contract::Level;
use polars::prelude::*;

/// The levels a change is stated for, and what groups each.
pub const LEVELS: [Level; 6] = [
    Level::County,
    Level::Township,
    Level::Village,
    Level::OrgType,
    Level::PioneerCategory,
    Level::Subject,
];

/// The keys of one change.
const KEY: [&str; 3] = ["level", "group", "kind"];

/// The cells and their totals are collected once: each is read by two
/// branches of the plan below, and polars ran each branch's copy (at a
/// million ratings 2.0 s, against 0.2 s collected once).
pub fn changes(cube: LazyFrame, subjects: LazyFrame) -> PolarsResult<LazyFrame> {
    let cells = method_cells(cube, subjects)?.collect()?.lazy();
    let totals = cells
        .clone()
        .group_by(cols4(["level", "group", "kind", "period"]))
        .agg([col("valid").sum(), col("satisfied").sum()])
        .with_column(ratio("satisfied", "valid").alias("rate"))
        .collect()?
        .lazy();
    let pairs = pairs(totals.clone())?;
    let within = within(&pairs, cells, totals);
    let on = || {
        KEY.map(col)
            .into_iter()
            .chain([col("to")])
            .collect::<Vec<_>>()
    };
    Ok(pairs
        .join(within, on(), on(), JoinArgs::new(JoinType::Left))
        .with_columns([
            ((col("rate_to") - col("rate_from")) * lit(100.0)).alias("delta"),
            (col("within").fill_null(lit(0.0)) * lit(100.0)).alias("within_method"),
        ])
        .with_column((col("delta") - col("within_method")).alias("method_mix"))
        .select([
            col("level"),
            col("group"),
            col("kind"),
            col("from"),
            col("to"),
            col("rate_from"),
            col("rate_to"),
            col("delta"),
            col("within_method"),
            col("method_mix"),
        ])
        // Joins need not keep row order: sort last, so equal inputs give
        // byte-identical files.
        .sort(["level", "group", "kind", "to"], Default::default()))
}

/// Valid and satisfied ratings per level, group, kind, period (or year) and
/// method, only where the method has valid ratings (a method whose every
/// rating abstained has no rate to compare). The cube is summed per subject,
/// period and method first (tens of thousands of rows), then joined to the
/// roster, as `rates::group_period` does.
fn method_cells(cube: LazyFrame, subjects: LazyFrame) -> PolarsResult<LazyFrame> {
    let sums = || [col("valid").sum(), col("satisfied").sum()];
    let by_subject = super::levels::with_attributes(
        cube.group_by([col("subject_id"), col("period"), col("method")])
            .agg(sums()),
        subjects,
    )
    .collect()?
    .lazy();
    let year = col("period").str().slice(lit(0), lit(4));
    let per_level: Vec<LazyFrame> = LEVELS
        .iter()
        .flat_map(|level| [("period", col("period")), ("year", year.clone())].map(|k| (*level, k)))
        .map(|(level, (kind, by))| {
            // A subject without a township, village, org type or pioneer
            // category is the group '', as in `trends`: a null key would
            // drop out of the joins below.
            let group = match level {
                Level::County => lit("全县"),
                Level::Subject => col("subject_id"),
                _ => col(level.as_str()).fill_null(lit("")),
            };
            by_subject
                .clone()
                .group_by([group.alias("group"), by.alias("period"), col("method")])
                .agg(sums())
                .with_columns([lit(level.as_str()).alias("level"), lit(kind).alias("kind")])
                .select(
                    cols4(["level", "group", "kind", "period"])
                        .into_iter()
                        .chain([col("method"), col("valid"), col("satisfied")])
                        .collect::<Vec<_>>(),
                )
        })
        .collect();
    Ok(concat(per_level, UnionArgs::default())?.filter(col("valid").gt(lit(0))))
}

/// Each group's period (or year) beside the one before it with valid
/// ratings: `from`, `to` and their rates. A year is compared with the year
/// immediately before it only.
fn pairs(totals: LazyFrame) -> PolarsResult<LazyFrame> {
    let before = |c: &str| col(c).shift(lit(1)).over(KEY.map(col));
    let year = |c: &str| col(c).str().slice(lit(0), lit(4)).cast(DataType::Int32);
    Ok(totals
        .sort(["level", "group", "kind", "period"], Default::default())
        .with_columns([
            before("period")?.alias("from"),
            before("rate")?.alias("rate_from"),
            col("period").alias("to"),
            col("rate").alias("rate_to"),
        ])
        .filter(
            col("from").is_not_null().and(
                col("kind")
                    .eq(lit("period"))
                    .or((year("from") + lit(1)).eq(year("to"))),
            ),
        )
        .select(
            KEY.map(col)
                .into_iter()
                .chain([col("from"), col("to"), col("rate_from"), col("rate_to")])
                .collect::<Vec<_>>(),
        ))
}

/// Σ_m (w1_m + w2_m)/2 · (p2_m − p1_m) per pair, over the methods with valid
/// ratings in both of its periods (an inner join on the method).
fn within(pairs: &LazyFrame, cells: LazyFrame, totals: LazyFrame) -> LazyFrame {
    let on = |p: &str| KEY.map(col).into_iter().chain([col(p)]).collect::<Vec<_>>();
    let shares = cells
        .join(
            totals.select(
                on("period")
                    .into_iter()
                    .chain([col("valid").alias("total")])
                    .collect::<Vec<_>>(),
            ),
            on("period"),
            on("period"),
            JoinArgs::new(JoinType::Inner),
        )
        .with_columns([
            ratio("valid", "total").alias("w"),
            ratio("satisfied", "valid").alias("p"),
        ]);
    let side = |end: &str| {
        shares.clone().select(
            KEY.map(col)
                .into_iter()
                .chain([
                    col("period").alias(end),
                    col("method"),
                    col("w").alias(format!("w_{end}")),
                    col("p").alias(format!("p_{end}")),
                ])
                .collect::<Vec<_>>(),
        )
    };
    let with_method = |p: &str| on(p).into_iter().chain([col("method")]).collect::<Vec<_>>();
    pairs
        .clone()
        .select(
            on("from")
                .into_iter()
                .chain([col("to")])
                .collect::<Vec<_>>(),
        )
        .join(
            side("from"),
            on("from"),
            on("from"),
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            side("to"),
            with_method("to"),
            with_method("to"),
            JoinArgs::new(JoinType::Inner),
        )
        .group_by(on("to"))
        .agg([
            (((col("w_from") + col("w_to")) / lit(2.0)) * (col("p_to") - col("p_from")))
                .sum()
                .alias("within"),
        ])
}

/// a / b as a float (b is never 0 here: cells and totals have valid ratings).
fn ratio(a: &str, b: &str) -> Expr {
    col(a).cast(DataType::Float64) / col(b).cast(DataType::Float64)
}

fn cols4(names: [&str; 4]) -> Vec<Expr> {
    names.map(col).to_vec()
}
