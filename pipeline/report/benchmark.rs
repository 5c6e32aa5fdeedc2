//! The method effect on the leadership page: each collection method's rate
//! in the assessment year with its interval, beside the random draw
//! (随机抽查), the benchmark — the only method whose raters the rated unit
//! does not choose. A method far above the draw is where ratings may have
//! been collected from friendly raters; the breakdown by subject kind and
//! township is the named query `method_effect`.

use serde::Serialize;

use super::load::Data;

/// The benchmark method: the seed's random draw, the method `pingyi
/// sample` draws raters for (methods are configured by name).
pub const BENCHMARK: &str = "随机抽查";

#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub valid: u64,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub benchmark: bool,
    /// rate − the draw's rate, a fraction (`pp` shows points); None
    /// without a draw in the year.
    pub vs_benchmark: Option<f64>,
}

/// The county's methods in `window` (group_period, level `method`, span
/// `year`), the benchmark first, then by rate.
pub fn rows(data: &Data, window: &str) -> Vec<MethodRow> {
    let year = || {
        data.group_period
            .iter()
            .filter(|g| g.level == "method" && g.span == "year" && g.period == window)
    };
    let draw = year()
        .find(|g| g.group.as_deref() == Some(BENCHMARK))
        .and_then(|g| g.rate);
    let mut rows: Vec<MethodRow> = year()
        .map(|g| {
            let method = g.group.clone().unwrap_or_default();
            MethodRow {
                benchmark: method == BENCHMARK,
                vs_benchmark: g.rate.zip(draw).map(|(r, d)| r - d),
                method,
                valid: g.valid,
                rate: g.rate,
                ci_low: g.ci_low,
                ci_high: g.ci_high,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.benchmark
            .cmp(&a.benchmark)
            .then_with(|| b.rate.unwrap_or(-1.0).total_cmp(&a.rate.unwrap_or(-1.0)))
            .then_with(|| a.method.cmp(&b.method))
    });
    rows
}
