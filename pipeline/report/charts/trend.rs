//! The trend chart: rate per period, one line per series with its Wilson
//! interval as a band, threshold lines at the right.

use std::collections::HashMap;
use std::iter::once;
use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::{draw_note, far_note, rate_axis, y_axis_break};
use super::frame::{
    category_labels, dashed, draw_line, legend_frame, series_color, threshold_color, Margins, Ticks,
};
use super::legend::{legend_layout, LegendItem, Mark};
use super::numbers::{clean_thresholds, pct_tick, rate};
use super::svg::{axis_label, legend_label, placeholder, render, style};
use super::{Area, Chart, DrawResult, Series, Text, PALETTE, SMALL_PX, WIDTH};

/// Rate over periods: one line per series (legend when more than one), the
/// Wilson interval as a shaded band (an error bar where only one period in a
/// row has it) for every series whose points carry one, and dashed
/// horizontal lines at the thresholds near the data, labelled "60%", "70%"
/// at the right; thresholds far from the data are named in a note instead.
/// Periods on the x axis are the union of the series' periods in the order
/// first seen, categorical; labels are thinned from the latest period back
/// when they would overlap. Missing rates (None) break the line.
/// y axis: chosen from the values and intervals ([`rate_axis`]), with a
/// zig-zag on the axis when it does not start at 0.
/// At most [`PALETTE`](super::PALETTE)`.len()` series are drawn, each in its
/// own colour; the legend ends with "… +k" for the ones left out.
pub fn trend(series: &[Series], thresholds: &[f64], text: &Text) -> String {
    let (periods, mut tracks) = tracks(series);
    let left_out = tracks.len().saturating_sub(PALETTE.len());
    tracks.truncate(PALETTE.len());
    let values: Vec<f64> = tracks.iter().flat_map(Track::values).collect();
    if values.is_empty() {
        return placeholder(&text.title);
    }
    let axis = rate_axis(&values, &clean_thresholds(thresholds));
    let note = far_note(&axis, text);
    let mut items: Vec<LegendItem> = Vec::new();
    if tracks.len() > 1 {
        items.extend(tracks.iter().enumerate().map(|(i, t)| LegendItem {
            name: t.name.clone(),
            mark: Mark::Line(series_color(i)),
        }));
    }
    if left_out > 0 {
        items.push(LegendItem {
            name: format!("… +{left_out}"),
            mark: Mark::None,
        });
    }
    let legend = legend_layout(&items);
    let note_room = if note.is_some() { NOTE_ROW } else { 0 };
    let margins = Margins::under_legend(legend.rows, note_room, 40, text);
    let x = -0.5..periods.len() as f64 - 0.5;
    render((WIDTH, 300 + note_room), &text.title, |root| {
        let y_ticks = Ticks::grid(axis.tick_count(), &pct_tick);
        let y = axis.lo()..axis.hi();
        let n = periods.len();
        let mut chart = legend_frame(root, text, (&legend, &margins), (n, y), y_ticks)?;
        for &(i, t) in &axis.shown {
            let color = threshold_color(i);
            dashed(&mut chart, (x.start, t), (x.end, t), i)?;
            let p = chart.backend_coord(&(x.end, t));
            root.draw_text(
                &pct_tick(&t),
                &style(SMALL_PX, color, HPos::Left, VPos::Center),
                (p.0 + 4, p.1),
            )?;
        }
        for (i, track) in tracks.iter().enumerate() {
            draw_track(root, &mut chart, track, series_color(i))?;
        }
        if axis.broken() {
            y_axis_break(root, &chart)?;
        }
        if let Some(note) = &note {
            let p = chart.backend_coord(&(x.end, axis.hi()));
            draw_note(
                root,
                note,
                (p.0, p.1 - NOTE_ROW as i32 / 2 - 2),
                HPos::Right,
            )?;
        }
        category_labels(root, &chart, &periods)
    })
}

/// Height of the row above the plot that holds the far-threshold note.
pub(super) const NOTE_ROW: u32 = 16;

/// A series laid out on the shared period axis.
pub(super) struct Track {
    pub(super) name: String,
    pub(super) rate: Vec<Option<f64>>,
    pub(super) ci: Vec<Option<(f64, f64)>>,
}

impl Track {
    pub(super) fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let ci = self.ci.iter().flatten().flat_map(|&(lo, hi)| [lo, hi]);
        self.rate.iter().flatten().copied().chain(ci)
    }
}

/// Union of the periods in first-seen order, and each series indexed by it.
/// A hash map for the lookup keeps this linear; output order comes from the
/// vector only.
pub(super) fn tracks(series: &[Series]) -> (Vec<String>, Vec<Track>) {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut periods: Vec<&str> = Vec::new();
    for p in series.iter().flat_map(|s| &s.points) {
        index.entry(p.period.as_str()).or_insert_with(|| {
            periods.push(p.period.as_str());
            periods.len() - 1
        });
    }
    let n = periods.len();
    let tracks = series
        .iter()
        .map(|s| {
            let mut track = Track {
                name: legend_label(&s.name),
                rate: vec![None; n],
                ci: vec![None; n],
            };
            for p in &s.points {
                let Some(&i) = index.get(p.period.as_str()) else {
                    continue;
                };
                track.rate[i] = p.est.rate.and_then(rate);
                track.ci[i] = match (p.est.ci_low.and_then(rate), p.est.ci_high.and_then(rate)) {
                    (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
                    _ => None,
                };
            }
            track
        })
        .collect();
    (periods.into_iter().map(axis_label).collect(), tracks)
}

/// Index ranges of consecutive `Some`s: the pieces of a line broken by gaps.
pub(super) fn runs<T>(values: &[Option<T>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, v) in values.iter().enumerate() {
        match (v.is_some(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..values.len());
    }
    out
}

pub(super) fn draw_track(
    root: &Area,
    chart: &mut Chart,
    track: &Track,
    color: RGBColor,
) -> DrawResult {
    for run in runs(&track.ci) {
        let ci: Vec<(f64, (f64, f64))> = run
            .filter_map(|i| track.ci[i].map(|ci| (i as f64, ci)))
            .collect();
        if let [(x, (lo, hi))] = ci[..] {
            error_bar(root, chart, x, lo, hi, color)?;
        } else {
            let upper = ci.iter().map(|&(x, (_, hi))| (x, hi));
            let lower = ci.iter().rev().map(|&(x, (lo, _))| (x, lo));
            let band: Vec<(f64, f64)> = upper.chain(lower).collect();
            chart.draw_series(once(Polygon::new(band, color.mix(0.15).filled())))?;
        }
    }
    for run in runs(&track.rate) {
        let line: Vec<(f64, f64)> = run
            .filter_map(|i| track.rate[i].map(|v| (i as f64, v)))
            .collect();
        draw_line(chart, &line, color, true)?;
    }
    Ok(())
}

/// An interval standing alone (no neighbour to make a band with).
fn error_bar(root: &Area, chart: &Chart, x: f64, lo: f64, hi: f64, color: RGBColor) -> DrawResult {
    let (a, b) = (chart.backend_coord(&(x, lo)), chart.backend_coord(&(x, hi)));
    let pen = color.mix(0.6).stroke_width(1);
    root.draw(&PathElement::new(vec![a, b], pen))?;
    root.draw(&PathElement::new(vec![(a.0 - 4, a.1), (a.0 + 4, a.1)], pen))?;
    root.draw(&PathElement::new(vec![(b.0 - 4, b.1), (b.0 + 4, b.1)], pen))
}
