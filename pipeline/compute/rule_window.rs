//! The evaluations the breach rules count, per subject kind
//! (`breach.window`): for a kind counted by `period`, each period of
//! `subject_period` is one evaluation in the assessment year it falls in; for
//! a kind counted by `year`, the assessment year's ratings pooled (the
//! `grades` cell: rate, people, clustered interval) are one evaluation, and
//! it counts in its own year's window and in the windows of the following
//! years a rule spans ("below 70% × 2": the year and the year before).
//!
//! One frame of cells, `subject_id, period, window, offset, rule_window,
//! valid, raters, rate, ci_low, ci_high`: `offset` is how many years the
//! window lies after the evaluation (always 0 for periods), so a rule with
//! `times = T` counts the cells with `offset < T`.

use polars::prelude::*;

use crate::config::{Basis, Config, RuleWindow};

/// The largest `times` of the rules: how many windows a pooled year counts in.
pub fn span(cfg: &Config) -> u32 {
    cfg.breach.rules.iter().map(|r| r.times).max().unwrap_or(1)
}

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

/// `rule_window` of each subject: its kind's configured window.
fn windows_of(cfg: &Config, subjects: LazyFrame) -> LazyFrame {
    let w = &cfg.breach.window;
    subjects.select([
        col("subject_id"),
        when(col("kind").eq(lit("干部")))
            .then(lit(w.cadre.as_str()))
            .otherwise(lit(w.organization.as_str()))
            .alias("rule_window"),
    ])
}

const FIGURES: [&str; 5] = ["valid", "raters", "rate", "ci_low", "ci_high"];

fn cell_columns() -> Vec<Expr> {
    let mut out = vec![
        col("subject_id"),
        col("period"),
        col("window"),
        col("offset"),
        col("rule_window"),
    ];
    out.extend(FIGURES.map(|c| match c {
        "valid" | "raters" => col(c).cast(DataType::UInt32),
        _ => col(c),
    }));
    out
}

/// Every evaluation with a rate, in the windows it counts in.
/// `sp` is `subject_period`, `grades` the pooled years, `subjects` the roster.
pub fn cells(cfg: &Config, sp: LazyFrame, grades: LazyFrame, subjects: LazyFrame) -> LazyFrame {
    let kinds = windows_of(cfg, subjects);
    let inner = JoinArgs::new(JoinType::Inner);
    let key = || [col("subject_id")];
    let periods = on_basis(cfg, sp)
        .join(kinds.clone(), key(), key(), inner.clone())
        .filter(col("rule_window").eq(lit(RuleWindow::Period.as_str())))
        .with_columns([
            col("period").str().slice(lit(0), lit(4)).alias("window"),
            lit(0i32).alias("offset"),
        ])
        .select(cell_columns());
    let years = grades
        .join(kinds, key(), key(), inner)
        .filter(col("rule_window").eq(lit(RuleWindow::Year.as_str())))
        .with_column(col("window").alias("period"));
    let mut parts = vec![periods];
    // A pooled year counts in its own window and in the next span − 1.
    parts.extend((0..span(cfg) as i32).map(|o| {
        years
            .clone()
            .with_columns([
                (col("period").cast(DataType::Int32) + lit(o))
                    .cast(DataType::String)
                    .alias("window"),
                lit(o).alias("offset"),
            ])
            .select(cell_columns())
    }));
    concat(parts, UnionArgs::default())
        .expect("cells of the same columns")
        .filter(col("rate").is_not_null())
}

/// The windows evaluations are made in (offset 0) up to `last_year`: the
/// latest is the window a watchlist watches.
pub fn latest_window(cells: LazyFrame, last_year: i32) -> LazyFrame {
    cells
        .filter(
            col("offset")
                .eq(lit(0i32))
                .and(col("window").lt_eq(lit(last_year.to_string()))),
        )
        .select([col("window").max()])
}
