//! Trends of each subject's and each group's rate over the periods: the
//! change against the previous period (percentage points) and, with at least
//! four periods, the Mann-Kendall test and Sen's slope (`stats.rs`,
//! matching pymannkendall). "declining": p < 0.05 and a negative slope.

use anyhow::Result;
use polars::prelude::*;

use crate::stats::mann_kendall;

/// Periods needed before a trend test is run.
pub const MIN_PERIODS: usize = 4;

#[derive(Default)]
struct Columns {
    level: Vec<String>,
    group: Vec<String>,
    n_periods: Vec<u32>,
    last_period: Vec<String>,
    rate_last: Vec<f64>,
    delta_last: Vec<Option<f64>>,
    mk: [Vec<Option<f64>>; 6],
    declining: Vec<bool>,
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
    Ok(df!(
        "level" => out.level, "group" => out.group, "n_periods" => out.n_periods, "last_period" => out.last_period,
        "rate_last" => out.rate_last, "delta_last" => out.delta_last,
        "mk_s" => s, "mk_var_s" => var_s, "mk_z" => z, "mk_p" => p, "tau" => tau, "sen_slope" => slope,
        "declining" => out.declining
    )?)
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
    out.declining
        .push(mk.is_some_and(|m| m.p < 0.05 && m.sen_slope < 0.0));
}
