//! Trends of each subject's and each group's rate over the periods: the
//! change against the previous period (percentage points) and, with at least
//! four periods, the Mann-Kendall test and Sen's slope (`stats.rs`,
//! matching pymannkendall), with Benjamini-Hochberg q-values over the tests
//! of each level (`mk_q`): among thousands of series some reach p < 0.05 by
//! chance alone, so "declining" needs q < 0.05 and a negative slope.

use anyhow::Result;
use polars::prelude::*;

use crate::stats::{benjamini_hochberg, mann_kendall};

/// Periods needed before a trend test is run.
pub const MIN_PERIODS: usize = 4;

/// The false discovery rate a flag may carry (q below it).
pub const FDR: f64 = 0.05;

#[derive(Default)]
struct Columns {
    level: Vec<String>,
    group: Vec<String>,
    n_periods: Vec<u32>,
    last_period: Vec<String>,
    rate_last: Vec<f64>,
    delta_last: Vec<Option<f64>>,
    mk: [Vec<Option<f64>>; 6],
}

/// One row per subject (level `subject`) and per group of `group_period`.
/// The inputs are small (one row per group and period): the series are
/// built in Rust and each tested once.
pub fn trends(subject_period: &DataFrame, group_period: &DataFrame) -> Result<DataFrame> {
    let mut out = Columns::default();
    let sp = subject_period
        .clone()
        .lazy()
        .select([
            lit("subject").alias("level"),
            col("subject_id").alias("group"),
            col("period"),
            col("rate"),
        ])
        .collect()?;
    // A series holds periods of one granularity: group_period also has the
    // assessment-year rows (`span = "year"`), which would interleave with
    // the quarters ("2012" sorts before "2012Q1") and count as periods.
    let gp = group_period
        .clone()
        .lazy()
        .filter(col("span").eq(lit("period")))
        .drop(cols(["span"]))
        .collect()?;
    for df in [&sp, &gp] {
        let df = df
            .clone()
            .lazy()
            .filter(col("rate").is_not_null())
            .sort(["level", "group", "period"], Default::default())
            .collect()?;
        let (level, group, period, rate) = (
            df.column("level")?.str()?,
            df.column("group")?.str()?,
            df.column("period")?.str()?,
            df.column("rate")?.f64()?,
        );
        let mut start = 0;
        for i in 0..=df.height() {
            let same = i < df.height()
                && i > start
                && level.get(i) == level.get(start)
                && group.get(i) == group.get(start);
            if i == df.height() || (i > start && !same) {
                if i > start {
                    let series: Vec<f64> = (start..i)
                        .map(|k| rate.get(k).unwrap_or(f64::NAN))
                        .collect();
                    push(
                        &mut out,
                        level.get(start).unwrap_or(""),
                        group.get(start).unwrap_or(""),
                        period.get(i - 1).unwrap_or(""),
                        &series,
                    );
                }
                start = i;
            }
        }
    }
    let [s, var_s, z, p, tau, slope] = out.mk;
    let q = q_values(&out.level, &p);
    let declining: Vec<bool> = q
        .iter()
        .zip(&slope)
        .map(|(q, b)| q.zip(*b).is_some_and(|(q, b)| q < FDR && b < 0.0))
        .collect();
    Ok(df!(
        "level" => out.level, "group" => out.group, "n_periods" => out.n_periods, "last_period" => out.last_period,
        "rate_last" => out.rate_last, "delta_last" => out.delta_last,
        "mk_s" => s, "mk_var_s" => var_s, "mk_z" => z, "mk_p" => p, "mk_q" => q,
        "tau" => tau, "sen_slope" => slope, "declining" => declining
    )?)
}

/// Benjamini-Hochberg q of each row's p-value within its level (the rows
/// with a p-value only): subjects are one family of thousands of tests,
/// each group level one of its own.
fn q_values(level: &[String], p: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut families: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, (l, p)) in level.iter().zip(p).enumerate() {
        if p.is_some() {
            families.entry(l.as_str()).or_default().push(i);
        }
    }
    let mut q = vec![None; p.len()];
    for rows in families.values() {
        let ps: Vec<f64> = rows.iter().filter_map(|&i| p[i]).collect();
        for (&i, qi) in rows.iter().zip(benjamini_hochberg(&ps)) {
            q[i] = Some(qi);
        }
    }
    q
}

fn push(out: &mut Columns, level: &str, group: &str, last_period: &str, series: &[f64]) {
    let n = series.len();
    out.level.push(level.to_string());
    out.group.push(group.to_string());
    out.n_periods.push(n as u32);
    out.last_period.push(last_period.to_string());
    out.rate_last.push(series[n - 1]);
    out.delta_last
        .push((n >= 2).then(|| (series[n - 1] - series[n - 2]) * 100.0));
    let mk = (n >= MIN_PERIODS).then(|| mann_kendall(series)).flatten();
    let values = mk.map(|m| [m.s, m.var_s, m.z, m.p, m.tau, m.sen_slope]);
    for (k, col) in out.mk.iter_mut().enumerate() {
        col.push(values.map(|v| v[k]));
    }
}
