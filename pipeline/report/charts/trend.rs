//! The trend chart: rate per period, one line per series with its Wilson
//! interval as a band, threshold lines at the right.

use std::collections::HashMap;
use std::iter::once;
use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::frame::{
    category_labels, dashed, draw_line, draw_title, frame, mesh, series_color, threshold_color,
    x_area, y_area, Margins, Ticks,
};
use super::legend::{draw_legend, legend_layout, LegendItem, Mark};
use super::numbers::{clean_thresholds, pct_tick, rate};
use super::svg::{axis_label, legend_label, placeholder, render, style};
use super::{Area, Chart, DrawResult, Series, Text, SMALL_PX, WIDTH};

/// Rate over periods: one line per series (legend when more than one), the
/// Wilson interval as a shaded band (an error bar where only one period in a
/// row has it) for every series whose points carry one, and dashed
/// horizontal lines at each threshold, labelled "60%", "70%" at the right.
/// Periods on the x axis are the union of the series' periods in the order
/// first seen, categorical; labels are thinned from the latest period back
/// when they would overlap. Missing rates (None) break the line.
/// y axis: percent, from min(0.4, lowest value or interval − 0.05) rounded
/// down to a multiple of 5 %, to 100 %.
pub fn trend(series: &[Series], thresholds: &[f64], text: &Text) -> String {
    let (periods, tracks) = tracks(series);
    let Some(lowest) = tracks.iter().flat_map(Track::values).reduce(f64::min) else {
        return placeholder(&text.title);
    };
    let ths = clean_thresholds(thresholds);
    let y0 = trend_floor(lowest);
    let legend: Vec<LegendItem> = if tracks.len() > 1 {
        (tracks.iter().enumerate())
            .map(|(i, t)| LegendItem {
                name: t.name.clone(),
                mark: Mark::Line(series_color(i)),
            })
            .collect()
    } else {
        Vec::new()
    };
    let legend = legend_layout(&legend);
    let margins = Margins {
        top: 34 + 18 * legend.rows,
        right: 40,
        bottom: x_area(&text.x),
        left: y_area(&text.y, 40),
    };
    let x = -0.5..periods.len() as f64 - 0.5;
    render((WIDTH, 300), &text.title, |root| {
        draw_title(root, &text.title)?;
        draw_legend(root, &legend, 38)?;
        let mut chart = frame(root, &margins, x.clone(), y0..1.0)?;
        mesh(
            &mut chart,
            text,
            Ticks::CATEGORIES,
            Ticks {
                n: 11,
                fmt: &pct_tick,
                grid: true,
            },
        )?;
        for (i, &t) in ths.iter().enumerate() {
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
        category_labels(root, &chart, &periods)
    })
}

/// A series laid out on the shared period axis.
struct Track {
    name: String,
    rate: Vec<Option<f64>>,
    ci: Vec<Option<(f64, f64)>>,
}

impl Track {
    fn values(&self) -> impl Iterator<Item = f64> + '_ {
        let ci = self.ci.iter().flatten().flat_map(|&(lo, hi)| [lo, hi]);
        self.rate.iter().flatten().copied().chain(ci)
    }
}

/// Union of the periods in first-seen order, and each series indexed by it.
/// A hash map for the lookup keeps this linear; output order comes from the
/// vector only.
fn tracks(series: &[Series]) -> (Vec<String>, Vec<Track>) {
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
                track.rate[i] = p.rate.and_then(rate);
                track.ci[i] = match (p.ci_low.and_then(rate), p.ci_high.and_then(rate)) {
                    (Some(a), Some(b)) => Some((a.min(b), a.max(b))),
                    _ => None,
                };
            }
            track
        })
        .collect();
    (periods.into_iter().map(axis_label).collect(), tracks)
}

/// Lower end of the trend's y axis: at most 40 %, lower when the data (or
/// its interval) goes there, on a 5 % step so the ticks stay round.
pub(super) fn trend_floor(lowest: f64) -> f64 {
    let y = (lowest - 0.05).clamp(0.0, 0.4);
    ((y * 20.0 + 1e-9).floor() / 20.0).max(0.0)
}

/// Index ranges of consecutive `Some`s: the pieces of a line broken by gaps.
fn runs<T>(values: &[Option<T>]) -> Vec<Range<usize>> {
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

fn draw_track(root: &Area, chart: &mut Chart, track: &Track, color: RGBColor) -> DrawResult {
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
