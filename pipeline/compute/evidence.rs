//! How sure a rate is, counted in people (DESIGN §5 "Evidence"): the
//! design-based variance with responses as clusters, the effective n it
//! implies, and the Wilson interval on that n; likewise for the
//! post-stratified rate. Polars expressions over the cluster sums of
//! `clusters.rs`, so every table computes them the same way.

use crate::config::Config;
pub use crate::contract::Evidence;
use crate::stats::Z95;
use polars::prelude::*;

/// The evidence label of a row with `raters`, `rate` and `ci_high` against
/// `threshold` (the rate is below it where this is asked).
pub fn label(cfg: &Config, threshold: Expr) -> Expr {
    when(col("raters").lt(lit(cfg.rules.min_raters)))
        .then(lit(Evidence::Thin.as_str()))
        .when(col("ci_high").lt(threshold))
        .then(lit(Evidence::Certain.as_str()))
        .otherwise(lit(Evidence::Likely.as_str()))
}

/// A sum of squares at or below this share of its scale is rounding, not
/// variance: Σy² − 2pΣym + p²Σm² of a cell where every form has y = p·m is
/// 0 in exact arithmetic, a few ulps of Σm² in floating point.
const ROUNDING: f64 = 1e-12;

fn f64c(name: &str) -> Expr {
    col(name).cast(DataType::Float64)
}

fn null_f64() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

/// `n_eff`, `ci_low`, `ci_high` from `rate`, `valid` (M), `raters` (k) and
/// the cluster sums `yy`, `ym`, `mm`:
/// Var(p) = k/(k−1)·(Σy² − 2pΣym + p²Σm²)/M², n_eff = p(1−p)/Var clamped
/// to [k, M]; n_eff = k when p is 0 or 1, k < 2 or Var = 0; null without a
/// valid rating. The Wilson interval is on (rate, n_eff).
pub fn clustered(lf: LazyFrame) -> LazyFrame {
    let (p, m, k) = (col("rate"), f64c("valid"), f64c("raters"));
    let ss = (col("yy") - lit(2.0) * p.clone() * col("ym") + p.clone() * p.clone() * col("mm"))
        .clip_min(lit(0.0));
    let var = k.clone() / (k.clone() - lit(1.0)) * ss.clone() / (m.clone() * m.clone());
    let raw = p.clone() * (lit(1.0) - p.clone()) / var;
    let degenerate = k
        .clone()
        .lt(lit(2.0))
        .or(p.clone().eq(lit(0.0)))
        .or(p.clone().eq(lit(1.0)))
        .or(ss.lt_eq(lit(ROUNDING) * col("mm")));
    let n_eff = when(m.clone().lt_eq(lit(0.0)).or(p.is_null()))
        .then(null_f64())
        .when(degenerate)
        .then(k.clone())
        .otherwise(raw.clip(k, m))
        .alias("n_eff");
    lf.with_column(n_eff).with_columns(wilson_columns(
        col("rate"),
        col("n_eff"),
        "ci_low",
        "ci_high",
    ))
}

/// `ps_n_eff`, `ps_ci_low`, `ps_ci_high` from `rate_ps` and the pieces of
/// `clusters::post_stratified`: Var = k/(k−1)·Σz², ps_n_eff =
/// p(1−p)/Var, not clamped (post-stratification removes the between-group
/// variance, so it may exceed the ratings); Kish's (Σw)²/Σw² over the
/// responses' weights when Var is 0, k < 2, or the rate is 0 or 1.
pub fn post_stratified(lf: LazyFrame) -> LazyFrame {
    let (p, k) = (col("rate_ps"), f64c("ps_raters"));
    let var = k.clone() / (k.clone() - lit(1.0)) * col("ps_zz");
    let kish = col("ps_w") * col("ps_w") / col("ps_ww");
    let degenerate = k
        .lt(lit(2.0))
        .or(p.clone().eq(lit(0.0)))
        .or(p.clone().eq(lit(1.0)))
        .or(col("ps_zz").lt_eq(lit(ROUNDING) * col("ps_ww")));
    let n_eff = when(p.clone().is_null().or(col("ps_ww").is_null()))
        .then(null_f64())
        .when(degenerate)
        .then(kish)
        .otherwise(p.clone() * (lit(1.0) - p) / var)
        .alias("ps_n_eff");
    lf.with_column(n_eff).with_columns(wilson_columns(
        col("rate_ps"),
        col("ps_n_eff"),
        "ps_ci_low",
        "ps_ci_high",
    ))
}

/// People a cell needs for a 95% interval of half-width at most `h` at rate
/// `p` (0.5 when the cell is empty), with its observed design effect
/// k / n_eff (1 when empty): k* = ⌈z²·p(1−p)/h² · k/n_eff⌉ (DESIGN §5 "plan").
pub fn people_for_half_width(p: Option<f64>, k: u64, n_eff: Option<f64>, h: f64) -> u64 {
    let z2 = Z95 * Z95;
    let (p, deff) = match (p, n_eff) {
        (Some(p), Some(n)) if k > 0 && n > 0.0 => (p, k as f64 / n),
        _ => (0.5, 1.0),
    };
    // At p = 0 or 1 the formula asks for nobody; the interval there is
    // still wide on few people, so plan as at the nearest informative rate
    // a person could move (one answer the other way).
    let p = if k > 0 {
        p.clamp(1.0 / (k as f64 + 1.0), 1.0 - 1.0 / (k as f64 + 1.0))
    } else {
        p
    };
    (z2 * p * (1.0 - p) / (h * h) * deff).ceil() as u64
}

/// Wilson score interval (as statsmodels' proportion_confint(method="wilson"))
/// for a rate `p` on `n` (raw or effective); null where n is not positive.
pub fn wilson_columns(p: Expr, n: Expr, low: &str, high: &str) -> [Expr; 2] {
    let z2 = lit(Z95 * Z95);
    let denom = lit(1.0) + z2.clone() / n.clone();
    let center = (p.clone() + z2.clone() / (lit(2.0) * n.clone())) / denom.clone();
    let half = lit(Z95)
        * (p.clone() * (lit(1.0) - p) / n.clone() + z2 / (lit(4.0) * n.clone() * n.clone())).sqrt()
        / denom;
    let some = n.gt(lit(0.0));
    let guard = |e: Expr| {
        when(some.clone())
            .then(e)
            .otherwise(lit(NULL).cast(DataType::Float64))
    };
    [
        guard((center.clone() - half.clone()).clip_min(lit(0.0))).alias(low),
        guard((center + half).clip_max(lit(1.0))).alias(high),
    ]
}

#[cfg(test)]
mod tests {
    use super::people_for_half_width;

    #[test]
    fn the_plan_matches_the_design_by_hand() {
        // DESIGN §5: at p ≈ 0.65 and one rating per person about 90 people.
        assert_eq!(people_for_half_width(Some(0.65), 40, Some(40.0), 0.10), 88);
        // Empty: p = 0.5, no design effect: ⌈1.96²·0.25/0.01⌉ = 97.
        assert_eq!(people_for_half_width(None, 0, None, 0.10), 97);
        // Forms of three items with a design effect of 2 double it.
        assert_eq!(people_for_half_width(Some(0.65), 40, Some(20.0), 0.10), 175);
    }
}
