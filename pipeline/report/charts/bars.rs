//! Bar charts coloured by the thresholds: the [`ranking`] (horizontal bars,
//! one per subject) and the [`distribution`] (histogram of rates).

use std::iter::once;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::{bar_cut, draw_note, far_note, rate_axis, x_axis_break, RateAxis};
use super::frame::{
    desc_room, draw_title, frame, mesh, vertical_threshold, x_area, y_area, Margins, Ticks,
};
use super::numbers::{clean_thresholds, count_axis_max, count_tick, pct1, pct_tick, rate};
use super::svg::{axis_label, fit, placeholder, render, style, text_width};
use super::trend::NOTE_ROW;
use super::{
    Area, Bar, Chart, DrawResult, Text, ALERT, AMBER, CALM, INK, LABEL_PX, MUTED, SMALL_PX,
    TICK_PX, WIDTH,
};

/// Horizontal bars (rates, 0..1), in the order given, top to bottom (the
/// callers pass rows ranked best first, like the ranking table beside the
/// chart; nothing is re-sorted here), value printed at the bar end as
/// "93.1%" ("—" for a non-finite value); bars below the lowest threshold
/// red-ish, below the highest threshold amber, others a calm blue.
/// The rate axis starts near the data ([`rate_axis`]); when it does not
/// start at 0 the axis carries a zig-zag and every bar a white cut at the
/// same place, so nobody reads bar lengths as ratios. Threshold lines near
/// the data are dashed and labelled above the plot; far ones are named in a
/// note above the plot instead.
/// Height: 22 px per bar plus 74 px (90 px with an x caption, 16 px more
/// with a note).
pub fn ranking(bars: &[Bar], thresholds: &[f64], text: &Text) -> String {
    if bars.is_empty() {
        return placeholder(&text.title);
    }
    let ths = clean_thresholds(thresholds);
    let values: Vec<f64> = bars.iter().filter_map(|b| rate(b.value)).collect();
    let axis = rate_axis(&values, &ths);
    let note = far_note(&axis, text);
    let note_room = note_room(&axis, note.as_deref());
    let labels: Vec<String> = bars.iter().map(|b| axis_label(&b.label)).collect();
    let widest = labels
        .iter()
        .map(|l| text_width(l, LABEL_PX))
        .fold(0.0, f64::max);
    let label_room = (widest + 14.0).clamp(48.0, 220.0);
    let n = bars.len();
    let margins = Margins {
        top: 44 + note_room,
        right: 52,
        bottom: x_area(&text.x),
        left: label_room as u32 + desc_room(&text.y),
    };
    let height = margins.top + 22 * n as u32 + margins.bottom + 8;
    render((WIDTH, height), &text.title, |root| {
        draw_title(root, &text.title)?;
        let mut chart = frame(root, &margins, axis.lo()..axis.hi(), 0.0..n as f64)?;
        let x_ticks = Ticks::grid(axis.tick_count(), &pct_tick);
        mesh(&mut chart, text, x_ticks, Ticks::CATEGORIES)?;
        for &(i, t) in &axis.shown {
            vertical_threshold(root, &mut chart, t, i)?;
        }
        for (i, bar) in bars.iter().enumerate() {
            // Plotters' y grows upwards; the first bar goes on top.
            let y = (n - 1 - i) as f64;
            let label = fit(&labels[i], label_room - 12.0, LABEL_PX);
            let p = chart.backend_coord(&(axis.lo(), y + 0.5));
            root.draw_text(
                &label,
                &style(LABEL_PX, INK, HPos::Right, VPos::Center),
                (p.0 - 8, p.1),
            )?;
            draw_ranking_bar(root, &mut chart, y, rate(bar.value), &ths, axis.broken())?;
        }
        if axis.broken() {
            x_axis_break(root, &chart)?;
        }
        if let Some(note) = &note {
            let p = chart.backend_coord(&(axis.lo(), n as f64));
            draw_note(root, note, (p.0, p.1 - 8 - note_room as i32), HPos::Left)?;
        }
        Ok(())
    })
}

/// Histogram of subject rates in 5-percentage-point bins (the last bin
/// includes 100 %), bars coloured by the thresholds like the ranking, counts
/// above the bars, threshold lines drawn; y = number of subjects. The x axis
/// runs to 100 % from the 10 % tick at or below the lowest non-empty bin
/// ([`histogram_axis`]), with a zig-zag when that is not 0; thresholds below
/// it are named in a note.
pub fn distribution(rates: &[f64], thresholds: &[f64], text: &Text) -> String {
    let counts = bin_counts(rates);
    let most = counts.iter().copied().max().unwrap_or(0);
    if most == 0 {
        return placeholder(&text.title);
    }
    let ths = clean_thresholds(thresholds);
    let axis = histogram_axis(&counts, &ths);
    let note = far_note(&axis, text);
    let note_room = note_room(&axis, note.as_deref());
    let y_max = count_axis_max(most);
    // Right margin: half of the "100%" tick label hangs past the plot.
    let margins = Margins {
        top: 44 + note_room,
        right: 28,
        bottom: x_area(&text.x),
        left: y_area(&text.y, 40),
    };
    render((WIDTH, 260 + note_room), &text.title, |root| {
        draw_title(root, &text.title)?;
        let mut chart = frame(root, &margins, axis.lo()..1.0, 0.0..y_max)?;
        let x_ticks = Ticks {
            n: axis.tick_count(),
            fmt: &pct_tick,
            grid: false,
        };
        mesh(&mut chart, text, x_ticks, Ticks::grid(6, &count_tick))?;
        for (bin, &count) in counts.iter().enumerate() {
            draw_bin(root, &mut chart, bin, count, &ths)?;
        }
        for &(i, t) in &axis.shown {
            vertical_threshold(root, &mut chart, t, i)?;
        }
        if axis.broken() {
            x_axis_break(root, &chart)?;
        }
        if let Some(note) = &note {
            let p = chart.backend_coord(&(axis.lo(), y_max));
            draw_note(root, note, (p.0, p.1 - 8 - note_room as i32), HPos::Left)?;
        }
        Ok(())
    })
}

/// The histogram's x axis: bins are 5 % wide and the axis must hold whole
/// bins, so it starts at the 10 % tick at or below the lowest non-empty bin
/// (0 when that is 20 % or less) and always ends at 100 %.
pub(super) fn histogram_axis(counts: &[u32; 20], ths: &[f64]) -> RateAxis {
    let first = counts.iter().position(|&c| c > 0).unwrap_or(0);
    let floor = first / 2;
    let floor = if floor <= 2 { 0 } else { floor };
    RateAxis::tens_from(floor, ths)
}

/// Threshold labels sit in a row just above the plot; the note takes that
/// row when no threshold is shown, and a row of its own above it otherwise.
fn note_room(axis: &RateAxis, note: Option<&str>) -> u32 {
    if note.is_some() && !axis.shown.is_empty() {
        NOTE_ROW
    } else {
        0
    }
}

fn draw_ranking_bar(
    root: &Area,
    chart: &mut Chart,
    y: f64,
    value: Option<f64>,
    ths: &[f64],
    cut: bool,
) -> DrawResult {
    let value_style = style(TICK_PX, INK, HPos::Left, VPos::Center);
    let x0 = chart.x_range().start;
    let Some(v) = value else {
        let p = chart.backend_coord(&(x0, y + 0.5));
        return root.draw_text("—", &value_style, (p.0 + 4, p.1));
    };
    let bar = Rectangle::new(
        [(x0, y + 0.18), (v.max(x0), y + 0.82)],
        bar_color(v, ths).filled(),
    );
    chart.draw_series(once(bar))?;
    if cut {
        let (top, bottom) = (
            chart.backend_coord(&(x0, y + 0.82)).1,
            chart.backend_coord(&(x0, y + 0.18)).1,
        );
        bar_cut(root, chart, top, bottom)?;
    }
    let p = chart.backend_coord(&(v.max(x0), y + 0.5));
    root.draw_text(&pct1(v), &value_style, (p.0 + 4, p.1))
}

/// Rates per 5-point bin; 100 % goes into the last bin, and a small epsilon
/// keeps 0.6 (stored as 0.59999…) in the 60–65 % bin where the rule puts it.
pub(super) fn bin_counts(rates: &[f64]) -> [u32; 20] {
    let mut counts = [0u32; 20];
    for v in rates.iter().copied().filter_map(rate) {
        let bin = ((v * 20.0 + 1e-9).floor() as usize).min(19);
        counts[bin] = counts[bin].saturating_add(1);
    }
    counts
}

fn draw_bin(root: &Area, chart: &mut Chart, bin: usize, count: u32, ths: &[f64]) -> DrawResult {
    if count == 0 {
        return Ok(());
    }
    let (lo, hi, c) = (bin as f64 / 20.0, (bin + 1) as f64 / 20.0, f64::from(count));
    let mut bar = Rectangle::new(
        [(lo, 0.0), (hi, c)],
        bar_color((lo + hi) / 2.0, ths).filled(),
    );
    bar.set_margin(0, 0, 1, 1);
    chart.draw_series(once(bar))?;
    let p = chart.backend_coord(&((lo + hi) / 2.0, c));
    let label_style = style(SMALL_PX, MUTED, HPos::Center, VPos::Bottom);
    root.draw_text(&count.to_string(), &label_style, (p.0, p.1 - 2))
}

fn bar_color(v: f64, ths: &[f64]) -> RGBColor {
    match (ths.first(), ths.last()) {
        (Some(&low), _) if v < low => ALERT,
        (_, Some(&high)) if v < high => AMBER,
        _ => CALM,
    }
}
