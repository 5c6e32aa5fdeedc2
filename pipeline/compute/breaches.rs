//! Result use (结果运用): the breach rule (seed default: one period below 60%
//! or two below 70% in an assessment year → 诫勉谈话), the watchlist of
//! subjects one period away from a rule, and annual grades. Every threshold
//! and count comes from `[breach]` and `[[grades]]` in the configuration.

use polars::prelude::*;

use crate::config::{Basis, Config};
use crate::dates::Date;

/// The rate a breach is judged on: raw (as counted by hand, the default) or
/// post-stratified, with its interval; `valid` stays the raw count for the
/// `thin` label.
fn on_basis(cfg: &Config, sp: LazyFrame) -> LazyFrame {
    match cfg.breach.basis {
        Basis::Raw => sp,
        Basis::PostStratified => sp.with_columns([
            col("rate_ps").alias("rate"),
            col("ps_ci_low").alias("ci_low"),
            col("ps_ci_high").alias("ci_high"),
        ]),
    }
}

/// The assessment window of a period label (`2012Q3`, `2012-09`, `2012H2`, `2012` → `2012`).
fn window() -> Expr {
    col("period").str().slice(lit(0), lit(4)).alias("window")
}

/// `thin`: fewer valid ratings than `breach.min_valid`; `certain`: the
/// interval lies below the threshold; `likely`: the rate does, the interval
/// straddles it.
fn evidence(cfg: &Config, threshold: Expr) -> Expr {
    when(col("valid").lt(lit(cfg.breach.min_valid)))
        .then(lit("thin"))
        .when(col("ci_high").lt(threshold))
        .then(lit("certain"))
        .otherwise(lit("likely"))
}

fn label(below: f64, times: u32) -> String {
    format!("below {:.0}% × {times}", below * 100.0)
}

/// Per subject and window: for each rule, how many periods fell below it.
fn counted(cfg: &Config, sp: LazyFrame) -> LazyFrame {
    let aggs: Vec<Expr> = cfg
        .breach
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            col("rate")
                .lt(lit(r.below))
                .cast(DataType::UInt32)
                .sum()
                .alias(format!("__below{i}"))
        })
        .collect();
    sp.filter(col("rate").is_not_null())
        .with_column(window())
        .group_by([col("subject_id"), col("window")])
        .agg(aggs)
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

/// One row per subject and window that breaks a rule: the rules broken, the
/// periods below the highest broken threshold with their rates, valid n,
/// intervals and evidence (`certain`: the interval lies below the threshold;
/// `likely`: the rate does, the interval straddles it; `thin`: fewer valid
/// ratings than `breach.min_valid`).
pub fn breaches(cfg: &Config, sp: LazyFrame) -> LazyFrame {
    let sp = on_basis(cfg, sp);
    let rules = &cfg.breach.rules;
    let any = any_broken(cfg);
    let threshold = polars::lazy::dsl::max_horizontal(
        (0..rules.len())
            .map(|i| {
                when(triggered(cfg, i))
                    .then(lit(rules[i].below))
                    .otherwise(lit(NULL).cast(DataType::Float64))
            })
            .collect::<Vec<_>>(),
    )
    .expect("at least one rule (checked in configuration)");
    let rule = concat_str(
        (0..rules.len())
            .map(|i| {
                when(triggered(cfg, i))
                    .then(lit(label(rules[i].below, rules[i].times)))
                    .otherwise(lit(NULL).cast(DataType::String))
            })
            .collect::<Vec<_>>(),
        "; ",
        true,
    );
    let broken = counted(cfg, sp.clone()).filter(any).select([
        col("subject_id"),
        col("window"),
        rule.alias("rule"),
        threshold.alias("threshold"),
    ]);
    let evidence = evidence(cfg, col("threshold"));
    let fmt = |e: Expr| e.round(4, RoundMode::HalfToEven).cast(DataType::String);
    sp.with_column(window())
        .join(
            broken,
            [col("subject_id"), col("window")],
            [col("subject_id"), col("window")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("rate").lt(col("threshold")))
        .sort(["subject_id", "period"], Default::default())
        .group_by_stable([col("subject_id"), col("window")])
        .agg([
            col("rule").first(),
            col("period").str().join(",", true).alias("periods"),
            fmt(col("rate")).str().join(",", true).alias("rates"),
            col("valid")
                .cast(DataType::String)
                .str()
                .join(",", true)
                .alias("valid_n"),
            concat_str(
                [
                    lit("["),
                    fmt(col("ci_low")),
                    lit(", "),
                    fmt(col("ci_high")),
                    lit("]"),
                ],
                "",
                true,
            )
            .str()
            .join(",", true)
            .alias("intervals"),
            evidence.str().join(",", true).alias("evidence"),
        ])
        .with_column(lit(cfg.breach.action.clone()).alias("action"))
        .sort(["window", "subject_id"], Default::default())
}

/// Subjects one period away from a rule in the window that contains the
/// as-of date (with the seed's rules: exactly one period below 70%, none
/// below 60%).
pub fn watchlist(cfg: &Config, sp: LazyFrame, as_of: Date) -> LazyFrame {
    let sp = on_basis(cfg, sp);
    let rules = &cfg.breach.rules;
    let any = any_broken(cfg);
    let near = (0..rules.len())
        .filter(|&i| rules[i].times > 1)
        .map(|i| col(format!("__below{i}")).eq(lit(rules[i].times - 1)))
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false));
    let top = rules.iter().map(|r| r.below).fold(0.0, f64::max);
    let open = as_of.year.to_string();
    let watched = counted(cfg, sp.clone())
        .filter(col("window").eq(lit(open)).and(near).and(any.not()))
        .select([col("subject_id"), col("window")]);
    sp.with_column(window())
        .join(
            watched,
            [col("subject_id"), col("window")],
            [col("subject_id"), col("window")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("rate").lt(lit(top)))
        .with_column(evidence(cfg, lit(top)).alias("evidence"))
        .select([
            col("subject_id"),
            col("window"),
            col("period"),
            col("rate"),
            col("valid"),
            col("ci_low"),
            col("ci_high"),
            col("evidence"),
        ])
        .sort(["subject_id", "period"], Default::default())
}

/// Annual rate per subject (all its ratings in the window), the raters it
/// rests on, and its grade band.
pub fn grades(cfg: &Config, cube: LazyFrame, raters: LazyFrame) -> LazyFrame {
    let raters = raters
        .with_column(window())
        .group_by([col("subject_id"), col("window")])
        .agg([col("raters").sum()]);
    let rate = col("satisfied").cast(DataType::Float64) / col("valid").cast(DataType::Float64);
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
    cube.with_column(window())
        .group_by([col("subject_id"), col("window")])
        .agg([
            col("valid").sum().alias("valid"),
            col("satisfied").sum().alias("satisfied"),
        ])
        .with_column(
            when(col("valid").gt(lit(0)))
                .then(rate)
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("rate"),
        )
        .with_column(grade.alias("grade"))
        .join(
            raters,
            [col("subject_id"), col("window")],
            [col("subject_id"), col("window")],
            JoinArgs::new(JoinType::Left),
        )
        .select([
            col("subject_id"),
            col("window"),
            col("valid"),
            col("satisfied"),
            col("raters"),
            col("rate"),
            col("grade"),
        ])
        .sort(["subject_id", "window"], Default::default())
}
