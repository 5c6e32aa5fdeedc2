//! The plot frame shared by all charts: margins, axes and tick labels,
//! title, dashed threshold lines, category labels and data lines.

use std::iter::once;
use std::ops::Range;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::legend::{draw_legend, Legend};
use super::numbers::{no_tick, pct_tick};
use super::svg::{axis_label, clean, fit, style, text_width};
use super::{
    Area, Chart, DrawResult, Text, AXIS, DASHED, FONT, GRID, INK, LABEL_PX, PALETTE, SMALL_PX,
    TICK_MARK, TICK_PX, TITLE_PX,
};

pub(super) struct Margins {
    pub(super) top: u32,
    pub(super) right: u32,
    pub(super) bottom: u32,
    pub(super) left: u32,
}

impl Margins {
    /// The margins of a chart with `legend_rows` rows of legend (and `note`
    /// px of note) between its title and the plot, `right` px right of the
    /// plot, and 40 px of y tick labels plus `text`'s captions at the left
    /// and under it.
    pub(super) fn under_legend(legend_rows: u32, note: u32, right: u32, text: &Text) -> Margins {
        Margins {
            top: 34 + 18 * legend_rows + note,
            right,
            bottom: x_area(&text.x),
            left: y_area(&text.y, 40),
        }
    }
}

/// Tick labels for one axis. Categorical axes get none from plotters (its
/// float key points need not land on the categories); they are drawn by
/// [`category_labels`].
#[derive(Clone, Copy)]
pub(super) struct Ticks<'f> {
    pub(super) n: usize,
    pub(super) fmt: &'f dyn Fn(&f64) -> String,
    pub(super) grid: bool,
}

impl Ticks<'static> {
    pub(super) const CATEGORIES: Ticks<'static> = Ticks {
        n: 0,
        fmt: &no_tick,
        grid: false,
    };
}

impl<'f> Ticks<'f> {
    /// `n` ticks labelled by `fmt`, each with its grid line.
    pub(super) fn grid(n: usize, fmt: &'f dyn Fn(&f64) -> String) -> Ticks<'f> {
        Ticks { n, fmt, grid: true }
    }
}

pub(super) fn frame<'a, 'b>(
    root: &'a Area<'b>,
    m: &Margins,
    x: Range<f64>,
    y: Range<f64>,
) -> DrawResult<Chart<'a, 'b>> {
    ChartBuilder::on(root)
        .margin_top(m.top)
        .margin_right(m.right)
        .margin_left(6)
        .margin_bottom(6)
        .x_label_area_size(m.bottom)
        .y_label_area_size(m.left)
        .build_cartesian_2d(x, y)
}

/// The title, the legend and the frame with its mesh (`n` categories on x,
/// centred on 0 … n - 1, no ticks there; `y` with `y_ticks`): how every
/// chart over categories with a legend begins.
pub(super) fn legend_frame<'a, 'b>(
    root: &'a Area<'b>,
    text: &Text,
    (legend, margins): (&Legend, &Margins),
    (n, y): (usize, Range<f64>),
    y_ticks: Ticks,
) -> DrawResult<Chart<'a, 'b>> {
    draw_title(root, &text.title)?;
    draw_legend(root, legend, 38)?;
    let mut chart = frame(root, margins, -0.5..n as f64 - 0.5, y)?;
    mesh(&mut chart, text, Ticks::CATEGORIES, y_ticks)?;
    Ok(chart)
}

pub(super) fn mesh(chart: &mut Chart, text: &Text, x: Ticks, y: Ticks) -> DrawResult {
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x.n)
        .y_labels(y.n)
        .x_label_formatter(x.fmt)
        .y_label_formatter(y.fmt)
        .label_style(style(TICK_PX, INK, HPos::Center, VPos::Center))
        .axis_desc_style(style(LABEL_PX, INK, HPos::Center, VPos::Center))
        .bold_line_style(GRID)
        .light_line_style(TRANSPARENT)
        .max_light_lines(0)
        .axis_style(AXIS)
        .set_all_tick_mark_size(TICK_MARK);
    if !x.grid {
        mesh.disable_x_mesh();
    }
    if !y.grid {
        mesh.disable_y_mesh();
    }
    let (x_desc, y_desc) = (clean(&text.x), clean(&text.y));
    if !x_desc.is_empty() {
        mesh.x_desc(axis_label(&x_desc));
    }
    if !y_desc.is_empty() {
        mesh.y_desc(axis_label(&y_desc));
    }
    mesh.draw()
}

/// Height under the plot: tick labels, plus the x caption if there is one.
pub(super) fn x_area(caption: &str) -> u32 {
    24 + desc_room(caption)
}

/// Width left of the plot: tick labels, plus the y caption if there is one.
pub(super) fn y_area(caption: &str, ticks: u32) -> u32 {
    ticks + desc_room(caption)
}

pub(super) fn desc_room(caption: &str) -> u32 {
    if clean(caption).is_empty() {
        0
    } else {
        18
    }
}

pub(super) fn draw_title(root: &Area, title: &str) -> DrawResult {
    // The area's own width: a small-multiples panel is narrower than WIDTH.
    let width = root.dim_in_pixel().0;
    let title = fit(&clean(title), f64::from(width) - 24.0, TITLE_PX);
    if title.is_empty() {
        return Ok(());
    }
    let font = FontDesc::new(FontFamily::Name(FONT), TITLE_PX * 1.24, FontStyle::Bold);
    let title_style = font.color(&INK).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&title, &title_style, (width as i32 / 2, 8))
}

/// A threshold line; `i` is the threshold's rank (0 = lowest).
pub(super) fn dashed(chart: &mut Chart, from: (f64, f64), to: (f64, f64), i: usize) -> DrawResult {
    let marker = DASHED[i.min(1)].0;
    chart.draw_series(once(PathElement::new(
        vec![from, to],
        marker.stroke_width(1),
    )))?;
    Ok(())
}

/// A vertical threshold line over the whole plot, its label just above it.
pub(super) fn vertical_threshold(root: &Area, chart: &mut Chart, t: f64, i: usize) -> DrawResult {
    let (y0, y1) = (chart.y_range().start, chart.y_range().end);
    if !chart.x_range().contains(&t) {
        return Ok(());
    }
    dashed(chart, (t, y0), (t, y1), i)?;
    let color = threshold_color(i);
    let p = chart.backend_coord(&(t, y1));
    root.draw_text(
        &pct_tick(&t),
        &style(SMALL_PX, color, HPos::Center, VPos::Bottom),
        (p.0, p.1 - 3),
    )
}

/// The lowest threshold in red, the others amber, like the bars below them.
pub(super) fn threshold_color(i: usize) -> RGBColor {
    DASHED[i.min(1)].1
}

pub(super) fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Pixel distance between neighbouring categories (the plot width for one).
pub(super) fn slot_px(chart: &Chart, n: usize) -> f64 {
    let y = chart.y_range().start;
    let (a, b) = (
        chart.backend_coord(&(0.0, y)),
        chart.backend_coord(&(1.0, y)),
    );
    let slot = if n > 1 { b.0 - a.0 } else { 2 * (b.0 - a.0) };
    f64::from(slot.max(1))
}

/// Category labels under the x axis, every k-th counted back from the last
/// (the latest period matters most) so that none overlap.
pub(super) fn category_labels(root: &Area, chart: &Chart, labels: &[String]) -> DrawResult {
    let n = labels.len();
    let widest = labels
        .iter()
        .map(|l| text_width(l, TICK_PX))
        .fold(0.0, f64::max);
    let step = ((widest + 10.0) / slot_px(chart, n)).ceil().max(1.0) as usize;
    let y = chart.y_range().start;
    let label_style = style(TICK_PX, INK, HPos::Center, VPos::Top);
    for (i, label) in labels
        .iter()
        .enumerate()
        .filter(|(i, _)| (n - 1 - i) % step == 0)
    {
        let p = chart.backend_coord(&(i as f64, y));
        root.draw(&PathElement::new(
            vec![p, (p.0, p.1 + TICK_MARK)],
            AXIS.stroke_width(1),
        ))?;
        root.draw_text(label, &label_style, (p.0, p.1 + 2 * TICK_MARK))?;
    }
    Ok(())
}

/// Category labels where every one must show (quota groups): each is cut to
/// its slot instead.
pub(super) fn fitted_category_labels(
    root: &Area,
    chart: &Chart,
    labels: &[String],
    slot: f64,
) -> DrawResult {
    let y = chart.y_range().start;
    let label_style = style(TICK_PX, INK, HPos::Center, VPos::Top);
    for (i, label) in labels.iter().enumerate() {
        let p = chart.backend_coord(&(i as f64, y));
        root.draw_text(
            &fit(label, slot - 6.0, TICK_PX),
            &label_style,
            (p.0, p.1 + 2 * TICK_MARK),
        )?;
    }
    Ok(())
}

pub(super) fn draw_line(
    chart: &mut Chart,
    points: &[(f64, f64)],
    color: RGBColor,
    markers: bool,
) -> DrawResult {
    if points.len() > 1 {
        chart.draw_series(once(PathElement::new(
            points.to_vec(),
            color.stroke_width(2),
        )))?;
    }
    // A lone point has no line, so it always gets its marker.
    if markers || points.len() == 1 {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    Ok(())
}
