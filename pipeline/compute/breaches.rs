//! Result use (结果运用): the breach rule (seed default: one evaluation below
//! 60% or two below 70% → 诫勉谈话), the watchlist of subjects one evaluation
//! away from a rule, and annual grades. What one evaluation is comes per
//! subject kind from `breach.window` (`rule_window.rs`: a period of the
//! assessment year, or the year pooled); every threshold and count from
//! `[breach]` and `[[grades]]` in the configuration.

use polars::prelude::*;

use super::evidence::{self, Evidence};
use super::rule_window;
use crate::config::Config;
use crate::dates::Date;

/// The assessment window of a period label (`2012Q3`, `2012-09`, `2012H2`, `2012` → `2012`).
fn window() -> Expr {
    col("period").str().slice(lit(0), lit(4)).alias("window")
}

fn label(below: f64, times: u32) -> String {
    format!("below {:.0}% × {times}", below * 100.0)
}

/// A cell counts for rule `i` when it lies in the rule's span: every period
/// of the window, or the last `times` pooled years (`rule_window.rs`).
fn in_span(cfg: &Config, i: usize) -> Expr {
    col("offset").lt(lit(cfg.breach.rules[i].times as i32))
}

/// Per subject and window: for each rule, how many evaluations fell below
/// it, and how many of them on sufficient evidence (enough people, the
/// whole interval below the rule's threshold).
fn counted(cfg: &Config, cells: LazyFrame) -> LazyFrame {
    let enough = col("raters").gt_eq(lit(cfg.rules.min_raters));
    let aggs: Vec<Expr> = cfg
        .breach
        .rules
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            let below = in_span(cfg, i).and(col("rate").lt(lit(r.below)));
            [
                below
                    .clone()
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("__below{i}")),
                below
                    .and(enough.clone())
                    .and(col("ci_high").lt(lit(r.below)))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("__certain{i}")),
            ]
        })
        .collect();
    cells.group_by([col("subject_id"), col("window")]).agg(aggs)
}

/// True where a subject-window breaks at least one rule.
fn any_broken(cfg: &Config) -> Expr {
    (0..cfg.breach.rules.len())
        .map(|i| triggered(cfg, i))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

fn triggered(cfg: &Config, i: usize) -> Expr {
    col(format!("__below{i}")).gt_eq(lit(cfg.breach.rules[i].times))
}

/// True where some broken rule is broken on sufficient evidence alone: at
/// least `times` of its evaluations certainly below its threshold.
fn certainly_broken(cfg: &Config) -> Expr {
    (0..cfg.breach.rules.len())
        .map(|i| {
            triggered(cfg, i)
                .and(col(format!("__certain{i}")).gt_eq(lit(cfg.breach.rules[i].times)))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// The highest threshold broken, and the span of the broken rules at it
/// (the evaluations listed are those below it within that span).
fn threshold_and_span(cfg: &Config) -> [Expr; 2] {
    let rules = &cfg.breach.rules;
    let at = |i: usize, value: Expr, dtype: DataType| {
        when(triggered(cfg, i))
            .then(value)
            .otherwise(lit(NULL).cast(dtype))
    };
    let threshold = polars::lazy::dsl::max_horizontal(
        (0..rules.len())
            .map(|i| at(i, lit(rules[i].below), DataType::Float64))
            .collect::<Vec<_>>(),
    )
    .expect("at least one rule (checked in configuration)");
    let span = polars::lazy::dsl::max_horizontal(
        (0..rules.len())
            .map(|i| {
                when(triggered(cfg, i).and(lit(rules[i].below).eq(threshold.clone())))
                    .then(lit(rules[i].times as i32))
                    .otherwise(lit(NULL).cast(DataType::Int32))
            })
            .collect::<Vec<_>>(),
    )
    .expect("at least one rule (checked in configuration)");
    [threshold.alias("threshold"), span.alias("__span")]
}

/// The rules broken, as `below 60% × 1; below 70% × 2`.
fn rules_broken(cfg: &Config) -> Expr {
    let rules = &cfg.breach.rules;
    concat_str(
        (0..rules.len())
            .map(|i| {
                when(triggered(cfg, i))
                    .then(lit(label(rules[i].below, rules[i].times)))
                    .otherwise(lit(NULL).cast(DataType::String))
            })
            .collect::<Vec<_>>(),
        "; ",
        true,
    )
}

/// One row per subject and window that breaks a rule: the rule window of
/// the subject's kind, the rules broken, the highest broken threshold, the
/// breach's evidence (`certain` when some broken rule holds on sufficient
/// evidence alone, `thin` when every listed evaluation rests on too few
/// people, else `likely`), and the evaluations (periods, or pooled years)
/// below the threshold as lists, in order: their rates, valid ratings,
/// people, interval bounds and evidence against the threshold.
pub fn breaches(cfg: &Config, sp: LazyFrame, grades: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    let cells = rule_window::cells(cfg, sp, grades, subjects);
    let [threshold, span] = threshold_and_span(cfg);
    let broken = counted(cfg, cells.clone()).filter(any_broken(cfg)).select([
        col("subject_id"),
        col("window"),
        rules_broken(cfg).alias("rule"),
        threshold,
        span,
        certainly_broken(cfg).alias("__certain"),
    ]);
    let thin = lit(Evidence::Thin.as_str());
    cells
        .join(
            broken,
            [col("subject_id"), col("window")],
            [col("subject_id"), col("window")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col("rate")
                .lt(col("threshold"))
                .and(col("offset").lt(col("__span"))),
        )
        .with_column(evidence::label(cfg, col("threshold")).alias("period_evidence"))
        .sort(["subject_id", "window", "period"], Default::default())
        .group_by_stable([col("subject_id"), col("window")])
        .agg([
            col("rule_window").first(),
            col("rule").first(),
            col("threshold").first(),
            col("__certain").first(),
            col("period_evidence")
                .neq(thin.clone())
                .any(true)
                .alias("__firm"),
            col("period").alias("periods"),
            col("rate").alias("rates"),
            col("valid").alias("valid"),
            col("raters").alias("raters"),
            col("ci_low").alias("ci_low"),
            col("ci_high").alias("ci_high"),
            col("period_evidence"),
        ])
        .with_column(
            when(col("__certain"))
                .then(lit(Evidence::Certain.as_str()))
                .when(col("__firm"))
                .then(lit(Evidence::Likely.as_str()))
                .otherwise(thin)
                .alias("evidence"),
        )
        .with_column(lit(cfg.breach.action.clone()).alias("action"))
        .select(
            [
                "subject_id",
                "window",
                "rule_window",
                "rule",
                "threshold",
                "evidence",
                "periods",
                "rates",
                "valid",
                "raters",
                "ci_low",
                "ci_high",
                "period_evidence",
                "action",
            ]
            .map(col),
        )
        .sort(["window", "subject_id"], Default::default())
}

/// Where a watch stands at the as-of date: `open` while the window runs
/// (one more evaluation below triggers the rule); after its last day
/// `closed` (the window ended without triggering), or `carries` for a
/// pooled year's own evaluation, which the next window still counts.
fn status(as_of: Date) -> Expr {
    when(col("window").cast(DataType::Int32).gt_eq(lit(as_of.year)))
        .then(lit("open"))
        .when(col("period").eq(col("window")))
        .then(lit("carries"))
        .otherwise(lit("closed"))
        .alias("status")
}

/// Subjects one evaluation away from a rule in the latest assessment window
/// with evaluations up to the as-of date (with the seed's rules: exactly one
/// below 70%, none below 60%), with where the watch stands (`status`).
pub fn watchlist(
    cfg: &Config,
    sp: LazyFrame,
    grades: LazyFrame,
    subjects: LazyFrame,
    as_of: Date,
) -> LazyFrame {
    let cells = rule_window::cells(cfg, sp, grades, subjects);
    let rules = &cfg.breach.rules;
    let near = (0..rules.len())
        .filter(|&i| rules[i].times > 1)
        .map(|i| col(format!("__below{i}")).eq(lit(rules[i].times - 1)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let top = rules.iter().map(|r| r.below).fold(0.0, f64::max);
    let latest = rule_window::latest_window(cells.clone(), as_of.year);
    let on = || [col("subject_id"), col("window")];
    let watched = counted(cfg, cells.clone())
        .join(
            latest,
            [col("window")],
            [col("window")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(near.and(any_broken(cfg).not()))
        .select(on());
    cells
        .join(watched, on(), on(), JoinArgs::new(JoinType::Inner))
        .filter(col("rate").lt(lit(top)))
        .with_columns([
            evidence::label(cfg, lit(top)).alias("evidence"),
            status(as_of),
        ])
        .select([
            col("subject_id"),
            col("window"),
            col("rule_window"),
            col("period"),
            col("rate"),
            col("valid"),
            col("raters"),
            col("ci_low"),
            col("ci_high"),
            col("evidence"),
            col("status"),
        ])
        .sort(["subject_id", "period"], Default::default())
}

/// Annual rate per subject (all its ratings in the window), the people
/// (`raters`) and effective n it rests on, its clustered interval, and its
/// grade band when it rests on at least `rules.min_raters` people.
pub fn grades(cfg: &Config, cube: LazyFrame, sums: LazyFrame) -> LazyFrame {
    let sums = super::rates::yearly(
        super::rates::level_sums(sums, crate::contract::Level::Subject),
        &["group"],
    )
    .rename(["group", "period"], ["subject_id", "window"], true);
    let grade = coalesce(
        &cfg.grades
            .iter()
            .map(|g| {
                when(col("rate").gt_eq(lit(g.min)))
                    .then(lit(g.name.clone()))
                    .otherwise(lit(NULL).cast(DataType::String))
            })
            .collect::<Vec<_>>(),
    );
    let yearly = cube
        .with_column(window())
        .group_by([col("subject_id"), col("window")])
        .agg([
            col("valid").sum().alias("valid"),
            col("satisfied").sum().alias("satisfied"),
        ]);
    // A grade judges a person: none on fewer people than rules.min_raters
    // (DESIGN §5), in every output that reads this table.
    let enough = col("raters").gt_eq(lit(cfg.rules.min_raters));
    super::rates::with_sums(yearly, sums, &[col("subject_id"), col("window")])
        .with_column(
            when(enough)
                .then(grade)
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("grade"),
        )
        .select([
            col("subject_id"),
            col("window"),
            col("valid"),
            col("raters"),
            col("n_eff"),
            col("satisfied"),
            col("rate"),
            col("ci_low"),
            col("ci_high"),
            col("grade"),
        ])
        .sort(["subject_id", "window"], Default::default())
}
