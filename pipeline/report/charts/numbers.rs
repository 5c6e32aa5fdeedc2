//! Numbers: usable rates and thresholds, axis ranges, tick and value labels.

/// A usable rate: finite, clamped to 0..1.
pub(super) fn rate(v: f64) -> Option<f64> {
    v.is_finite().then(|| v.clamp(0.0, 1.0))
}

/// Thresholds strictly inside 0..1, ascending, without duplicates.
pub(super) fn clean_thresholds(ts: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = ts
        .iter()
        .copied()
        .filter(|t| t.is_finite() && *t > 0.0 && *t < 1.0)
        .collect();
    out.sort_by(f64::total_cmp);
    out.dedup();
    out
}

/// Top of a count axis: some room above the highest bar or point, at least
/// 5 so that plotters' ticks (steps of 1, 2, 5, …) stay whole numbers.
pub(super) fn count_axis_max(most: u32) -> f64 {
    (f64::from(most) * 1.12).ceil().max(5.0)
}

/// "60%", or "62.5%" when the value is not a whole percent. `+ 0.0` turns a
/// negative zero into "0%".
pub(super) fn pct_tick(v: &f64) -> String {
    let p = v * 100.0;
    if (p - p.round()).abs() < 1e-6 {
        format!("{:.0}%", p.round() + 0.0)
    } else {
        format!("{:.1}%", p + 0.0)
    }
}

pub(super) fn pct1(v: f64) -> String {
    format!("{:.1}%", v * 100.0 + 0.0)
}

pub(super) fn count_tick(v: &f64) -> String {
    format!("{:.0}", v.round() + 0.0)
}

pub(super) fn no_tick(_: &f64) -> String {
    String::new()
}
