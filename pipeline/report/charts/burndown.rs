//! The rectification ledger burn-down: open and overdue items over time.

use std::iter::once;

use plotters::prelude::*;

use super::frame::{category_labels, draw_line, legend_frame, slot_px, Margins, Ticks};
use super::legend::{pair_legend, Mark};
use super::numbers::{count_axis_max, count_tick};
use super::svg::{axis_label, placeholder, render};
use super::{BurnPoint, Text, ALERT, CALM, WIDTH};

/// Rectification ledger burn-down: open items (line over a light area) and
/// overdue items (line) over time, legend names from `legend` (open,
/// overdue). x axis labels are the dates, thinned from the latest back so
/// they do not overlap.
pub fn burndown(points: &[BurnPoint], legend: (&str, &str), text: &Text) -> String {
    if points.is_empty() {
        return placeholder(&text.title);
    }
    let n = points.len();
    let most = points
        .iter()
        .map(|p| p.open.max(p.overdue))
        .max()
        .unwrap_or(0);
    let y_max = count_axis_max(most);
    let legend = pair_legend(legend, (Mark::Line(CALM), Mark::Line(ALERT)), WIDTH);
    // Right: half of the latest date's label hangs past the plot.
    let margins = Margins::under_legend(legend.rows, 0, 36, text);
    let dates: Vec<String> = points.iter().map(|p| axis_label(&p.date)).collect();
    let open: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, f64::from(p.open)))
        .collect();
    let overdue: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64, f64::from(p.overdue)))
        .collect();
    render((WIDTH, 260), &text.title, |root| {
        let y_ticks = Ticks::grid(6, &count_tick);
        let mut chart = legend_frame(root, text, (&legend, &margins), (n, 0.0..y_max), y_ticks)?;
        if n > 1 {
            let floor = [(n as f64 - 1.0, 0.0), (0.0, 0.0)];
            let area: Vec<(f64, f64)> = open.iter().copied().chain(floor).collect();
            chart.draw_series(once(Polygon::new(area, CALM.mix(0.12).filled())))?;
        }
        // Markers only while they stay apart; a year of daily points is a line.
        let markers = slot_px(&chart, n) >= 12.0;
        draw_line(&mut chart, &open, CALM, markers)?;
        draw_line(&mut chart, &overdue, ALERT, markers)?;
        category_labels(root, &chart, &dates)
    })
}
