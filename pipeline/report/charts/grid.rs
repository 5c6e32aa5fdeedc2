//! Small multiples of a trend: one small panel per series (a township), all
//! on the same rate axis, the reference series (the county) drawn faintly in
//! each, threshold lines, laid out three to a row so the grid fills an A4
//! page width and stays readable there.
//!
//! Why not one chart: nine lines with overlapping interval bands cannot be
//! told apart (and no palette keeps nine colours distinct from each other
//! and from the threshold colours); one panel per township needs one colour.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::axis::{draw_note, far_note, rate_axis, y_break_at, RateAxis};
use super::frame::{dashed, draw_line, draw_title, threshold_color};
use super::legend::{draw_legend, legend_layout, LegendItem, Mark};
use super::numbers::{clean_thresholds, pct_tick};
use super::svg::{fit, placeholder, render_with, style, text_width};
use super::trend::{draw_track, runs, tracks, Track, NOTE_ROW};
use super::{
    Area, DrawResult, Series, Text, AXIS, CALM, GRID, INK, LABEL_PX, MUTED, REFERENCE, SMALL_PX,
    TICK_PX, WIDTH,
};

/// Panels per row: three keep 8 quarters legible at A4 width.
const COLS: usize = 3;
/// Left of the first column: its y tick labels.
const LEFT: i32 = 40;
/// Right of the last column: its threshold labels.
const RIGHT: i32 = 30;
/// Horizontal space between panels.
const GAP: i32 = 14;
const PANEL_TITLE: i32 = 18;
const PLOT_H: i32 = 100;
const X_LABELS: i32 = 18;
const ROW_GAP: i32 = 8;
const ROW_H: i32 = PANEL_TITLE + PLOT_H + X_LABELS + ROW_GAP;
/// Least distance between y tick labels in a panel, px.
const TICK_SPACING: f64 = 16.0;

/// One panel per series in `series` (in the order given), each with its
/// rate line and Wilson band in blue, `county` (if given) as a faint grey
/// line for reference, and the thresholds near the data as dashed lines
/// (labelled at the right end of each row; far ones named in a note).
/// Every panel has the same y axis, chosen from all the values and intervals
/// ([`rate_axis`]), with a zig-zag when it does not start at 0, and the same
/// periods on x (the union, first seen first), of which the first and the
/// last are labelled. y tick labels are in the first column only; the
/// legend names the county line. `text.x` and `text.y` are not drawn: the
/// title says what the panels show. The root carries
/// `style="max-height:none"`: the grid is meant to fill the page width in
/// print, where single charts are capped in height.
/// Height: 50 px (66 with a note) plus 144 px per row of three.
pub fn trend_grid(
    series: &[Series],
    county: Option<&Series>,
    thresholds: &[f64],
    text: &Text,
) -> String {
    let all: Vec<Series> = county.into_iter().chain(series).cloned().collect();
    let (periods, mut tracks) = tracks(&all);
    let reference = county.map(|_| tracks.remove(0));
    let values: Vec<f64> = (reference.iter().chain(&tracks))
        .flat_map(Track::values)
        .collect();
    if tracks.is_empty() || values.is_empty() {
        return placeholder(&text.title);
    }
    let axis = rate_axis(&values, &clean_thresholds(thresholds));
    let note = far_note(&axis, text);
    let legend = legend_layout(
        &(reference.iter())
            .map(|r| LegendItem {
                name: r.name.clone(),
                mark: Mark::Plain(REFERENCE),
            })
            .collect::<Vec<_>>(),
    );
    let top = 32 + 18 * legend.rows as i32 + if note.is_some() { NOTE_ROW as i32 } else { 0 };
    let rows = tracks.len().div_ceil(COLS);
    let height = top + rows as i32 * ROW_H + 4;
    let layout = Layout {
        top,
        col_w: (WIDTH as i32 - LEFT - RIGHT) / COLS as i32,
        periods: &periods,
        axis: &axis,
        panels: tracks.len(),
    };
    let size = (WIDTH, u32::try_from(height).unwrap_or(u32::MAX));
    render_with(size, &text.title, " style=\"max-height:none\"", |root| {
        draw_title(root, &text.title)?;
        draw_legend(root, &legend, 38)?;
        if let Some(note) = &note {
            let y = top - NOTE_ROW as i32 / 2 - 2;
            draw_note(root, note, (WIDTH as i32 / 2, y), HPos::Center)?;
        }
        for (k, track) in tracks.iter().enumerate() {
            layout.panel(root, k, track, reference.as_ref())?;
        }
        Ok(())
    })
}

struct Layout<'a> {
    top: i32,
    col_w: i32,
    periods: &'a [String],
    axis: &'a RateAxis,
    panels: usize,
}

impl Layout<'_> {
    /// Panel `k`: row-major, three to a row.
    fn panel(&self, root: &Area, k: usize, track: &Track, reference: Option<&Track>) -> DrawResult {
        let (row, col) = ((k / COLS) as i32, k % COLS);
        let x0 = LEFT + col as i32 * self.col_w;
        let y0 = self.top + row * ROW_H;
        let plot_w = self.col_w - GAP;
        let name = fit(&track.name, f64::from(plot_w), LABEL_PX);
        root.draw_text(
            &name,
            &style(LABEL_PX, INK, HPos::Left, VPos::Center),
            (x0, y0 + PANEL_TITLE / 2),
        )?;
        let area = root
            .clone()
            .shrink((x0, y0 + PANEL_TITLE), (plot_w, PLOT_H));
        let n = self.periods.len();
        let mut chart = ChartBuilder::on(&area)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, self.axis.lo()..self.axis.hi())?;
        let (left, bottom) = (x0, y0 + PANEL_TITLE + PLOT_H - 1);
        let right = x0 + plot_w - 1;
        self.grid_lines(root, &chart, col == 0)?;
        for &(i, t) in &self.axis.shown {
            dashed(&mut chart, (-0.5, t), (n as f64 - 0.5, t), i)?;
            // Labelled at the right end of each row.
            if col == COLS - 1 || k + 1 == self.panels {
                let y = chart.backend_coord(&(0.0, t)).1;
                root.draw_text(
                    &pct_tick(&t),
                    &style(SMALL_PX, threshold_color(i), HPos::Left, VPos::Center),
                    (right + 4, y),
                )?;
            }
        }
        root.draw(&PathElement::new(
            vec![(left, y0 + PANEL_TITLE), (left, bottom), (right, bottom)],
            AXIS.stroke_width(1),
        ))?;
        if let Some(r) = reference {
            for run in runs(&r.rate) {
                let line: Vec<(f64, f64)> = run
                    .filter_map(|i| r.rate[i].map(|v| (i as f64, v)))
                    .collect();
                draw_line(&mut chart, &line, REFERENCE, false)?;
            }
        }
        if track.rate.iter().all(Option::is_none) {
            let mid = ((left + right) / 2, y0 + PANEL_TITLE + PLOT_H / 2);
            root.draw_text(
                "—",
                &style(LABEL_PX, MUTED, HPos::Center, VPos::Center),
                mid,
            )?;
        }
        draw_track(root, &mut chart, track, CALM)?;
        if self.axis.broken() {
            y_break_at(root, left, bottom)?;
        }
        self.x_labels(root, left, right, bottom)
    }

    /// Grid lines at the axis ticks; their labels in the first column only,
    /// thinned from the top down so they keep apart.
    fn grid_lines(&self, root: &Area, chart: &super::Chart, labelled: bool) -> DrawResult {
        let ticks = self.axis.ticks();
        let tick_px = f64::from(PLOT_H) * self.axis.step() / (self.axis.hi() - self.axis.lo());
        let every = (TICK_SPACING / tick_px.max(1.0)).ceil().max(1.0) as usize;
        let n = ticks.len();
        for (j, &v) in ticks.iter().enumerate() {
            let (a, b) = (
                chart.backend_coord(&(chart.x_range().start, v)),
                chart.backend_coord(&(chart.x_range().end, v)),
            );
            root.draw(&PathElement::new(vec![a, b], GRID.stroke_width(1)))?;
            if labelled && (n - 1 - j) % every == 0 {
                root.draw_text(
                    &pct_tick(&v),
                    &style(TICK_PX, INK, HPos::Right, VPos::Center),
                    (a.0 - 5, a.1),
                )?;
            }
        }
        Ok(())
    }

    /// The first and the last period under the panel.
    fn x_labels(&self, root: &Area, left: i32, right: i32, bottom: i32) -> DrawResult {
        let y = bottom + 4;
        let (Some(first), Some(last)) = (self.periods.first(), self.periods.last()) else {
            return Ok(());
        };
        let label = |h| style(SMALL_PX, MUTED, h, VPos::Top);
        if self.periods.len() == 1 {
            return root.draw_text(first, &label(HPos::Center), ((left + right) / 2, y));
        }
        let room = f64::from(right - left) / 2.0 - 4.0;
        let first = fit(first, room, SMALL_PX);
        let last = fit(last, room, SMALL_PX);
        if text_width(&first, SMALL_PX) + text_width(&last, SMALL_PX) > f64::from(right - left) {
            return root.draw_text(&last, &label(HPos::Right), (right, y));
        }
        root.draw_text(&first, &label(HPos::Left), (left, y))?;
        root.draw_text(&last, &label(HPos::Right), (right, y))
    }
}
