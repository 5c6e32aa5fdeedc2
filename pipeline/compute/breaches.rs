//! Result use (结果运用): the breach rule (seed default: one period below 60%
//! or two below 70% in an assessment year → 诫勉谈话), the watchlist of
//! subjects one period away from a rule, and annual grades. Every threshold
//! and count comes from `[breach]` and `[[grades]]` in the configuration.

use polars::prelude::*;

use super::evidence::{self, Evidence};
use crate::config::{Basis, Config};
use crate::dates::Date;

/// The rate a breach is judged on: raw (as counted by hand, the default) or
/// post-stratified, with its interval; `raters` (people) decide `thin`.
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

fn label(below: f64, times: u32) -> String {
    format!("below {:.0}% × {times}", below * 100.0)
}

/// Per subject and window: for each rule, how many periods fell below it,
/// and how many of them on sufficient evidence (enough people, the whole
/// interval below the rule's threshold).
fn counted(cfg: &Config, sp: LazyFrame) -> LazyFrame {
    let enough = col("raters").gt_eq(lit(cfg.rules.min_raters));
    let aggs: Vec<Expr> = cfg
        .breach
        .rules
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            [
                col("rate")
                    .lt(lit(r.below))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("__below{i}")),
                enough
                    .clone()
                    .and(col("ci_high").lt(lit(r.below)))
                    .cast(DataType::UInt32)
                    .sum()
                    .alias(format!("__certain{i}")),
            ]
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

/// True where some broken rule is broken on sufficient evidence alone: at
/// least `times` of its periods certainly below its threshold.
fn certainly_broken(cfg: &Config) -> Expr {
    (0..cfg.breach.rules.len())
        .map(|i| {
            triggered(cfg, i)
                .and(col(format!("__certain{i}")).gt_eq(lit(cfg.breach.rules[i].times)))
        })
        .reduce(|a, b| a.or(b))
        .unwrap_or(lit(false))
}

/// One row per subject and window that breaks a rule: the rules broken, the
/// highest broken threshold, the breach's evidence (`certain` when some
/// broken rule holds on sufficient evidence alone, `thin` when every listed
/// period rests on too few people, else `likely`), and the periods below the
/// threshold as lists, in period order: their rates, valid ratings, people,
/// interval bounds and evidence against the threshold.
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
        certainly_broken(cfg).alias("__certain"),
    ]);
    let thin = lit(Evidence::Thin.as_str());
    sp.with_column(window())
        .join(
            broken,
            [col("subject_id"), col("window")],
            [col("subject_id"), col("window")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("rate").lt(col("threshold")))
        .with_column(evidence::label(cfg, col("threshold")).alias("period_evidence"))
        .sort(["subject_id", "period"], Default::default())
        .group_by_stable([col("subject_id"), col("window")])
        .agg([
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
        .with_column(evidence::label(cfg, lit(top)).alias("evidence"))
        .select([
            col("subject_id"),
            col("window"),
            col("period"),
            col("rate"),
            col("valid"),
            col("raters"),
            col("ci_low"),
            col("ci_high"),
            col("evidence"),
        ])
        .sort(["subject_id", "period"], Default::default())
}

/// Annual rate per subject (all its ratings in the window), the people
/// (`raters`) and effective n it rests on, its clustered interval, and its
/// grade band when it rests on at least `rules.min_raters` people.
pub fn grades(cfg: &Config, cube: LazyFrame, sums: LazyFrame) -> LazyFrame {
    let sums = super::rates::yearly(super::rates::level_sums(sums, "subject"), &["group"]).rename(
        ["group", "period"],
        ["subject_id", "window"],
        true,
    );
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
