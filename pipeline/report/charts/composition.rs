//! The composition chart: realized share of ratings per quota group as a
//! bar, its quota as a tick mark across it.

use std::iter::once;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{fitted_category_labels, legend_frame, slot_px, Margins, Ticks};
use super::legend::{pair_legend, Mark};
use super::numbers::{pct1, pct_tick, rate};
use super::svg::{axis_label, placeholder, render, style, text_width};
use super::{Area, Chart, DrawResult, QuotaBar, Text, CALM, INK, QUOTA, SMALL_PX, WIDTH};

/// Realized share vs quota per quota group: a bar for the realized share with
/// its value above, and a dark tick mark across it at the quota; legend names
/// from `legend` (realized, quota). Group labels are cut to fit their slot.
pub fn composition(rows: &[QuotaBar], legend: (&str, &str), text: &Text) -> String {
    composition_sized(rows, legend, text, (WIDTH, 260))
}

/// One panel of the small multiples (one per org type, side by side): drawn
/// at its printed size, so its labels print as large as a full chart's.
pub const PANEL: (u32, u32) = (300, 210);

/// `composition` at `size` pixels.
pub fn composition_sized(
    rows: &[QuotaBar],
    legend: (&str, &str),
    text: &Text,
    size: (u32, u32),
) -> String {
    if rows.is_empty() {
        return placeholder(&text.title);
    }
    let shares: Vec<Option<f64>> = rows.iter().map(|r| rate(r.share)).collect();
    let quotas: Vec<Option<f64>> = rows.iter().map(|r| rate(r.quota)).collect();
    let top = shares
        .iter()
        .chain(&quotas)
        .flatten()
        .copied()
        .fold(0.0, f64::max);
    // Room above the tallest bar for its value, in whole 10 % steps.
    let y_max = ((top + 0.05) * 10.0).ceil().clamp(1.0, 10.0) / 10.0;
    let legend = pair_legend(legend, (Mark::Block(CALM), Mark::Tick(QUOTA)), size.0);
    let margins = Margins::under_legend(legend.rows, 0, 16, text);
    let groups: Vec<String> = rows.iter().map(|r| axis_label(&r.group)).collect();
    let n = rows.len();
    render(size, &text.title, |root| {
        let y_ticks = Ticks::grid(7, &pct_tick);
        let mut chart = legend_frame(root, text, (&legend, &margins), (n, 0.0..y_max), y_ticks)?;
        let slot = slot_px(&chart, n);
        for i in 0..n {
            draw_quota_bar(root, &mut chart, i as f64, shares[i], quotas[i], slot)?;
        }
        fitted_category_labels(root, &chart, &groups, slot)
    })
}

fn draw_quota_bar(
    root: &Area,
    chart: &mut Chart,
    x: f64,
    share: Option<f64>,
    quota: Option<f64>,
    slot: f64,
) -> DrawResult {
    if let Some(s) = share {
        chart.draw_series(once(Rectangle::new(
            [(x - 0.25, 0.0), (x + 0.25, s)],
            CALM.filled(),
        )))?;
    }
    if let Some(q) = quota {
        let tick = PathElement::new(vec![(x - 0.36, q), (x + 0.36, q)], QUOTA.stroke_width(3));
        chart.draw_series(once(tick))?;
    }
    // The value goes above whichever is higher, bar or tick, when it fits the slot.
    let Some(s) = share else { return Ok(()) };
    let top = quota.map_or(s, |q| q.max(s));
    let label = pct1(s);
    if text_width(&label, SMALL_PX) + 4.0 > slot {
        return Ok(());
    }
    let p = chart.backend_coord(&(x, top));
    root.draw_text(
        &label,
        &style(SMALL_PX, INK, HPos::Center, VPos::Bottom),
        (p.0, p.1 - 4),
    )
}
