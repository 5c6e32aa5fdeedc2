//! Report charts as inline SVG strings.
//!
//! One function per chart the HTML reports show: [`trend`], [`ranking`],
//! [`composition`], [`distribution`] and [`burndown`]. Each takes plain data
//! plus the captions in the report's language and returns one complete
//! `<svg …>` element, ready to be inlined in a single-file HTML report: no XML
//! declaration, `role="img"` with the title as `aria-label`, `width`/`height`
//! and a `viewBox` so CSS (`width: 100%`) can scale it.
//!
//! Rates are fractions 0..1 and shown as percent. Thresholds (the seed's 60 %
//! and 70 %) are drawn as dashed lines, the lowest in red, the others in amber,
//! the same colours the ranking uses for the bars below them.
//!
//! Guarantees the callers rely on:
//! - Deterministic: same input, byte-identical output (reports are diffed and
//!   snapshot-tested). Nothing here iterates a hash map in output order.
//! - Escaped: plotters' SVG backend XML-escapes text content and attribute
//!   values (`< > & " '`), so labels are handed to it raw; escaping them first
//!   would double-escape. On top of that every `{` and `}` in the finished SVG
//!   becomes a character reference, so a label such as `{{ x }}` can never be
//!   picked up by a template engine the SVG may pass through.
//! - Never panics: empty input gives a small SVG with the title and a dash,
//!   non-finite numbers are dropped, rates are clamped to 0..1, and a plotters
//!   error falls back to the same small SVG.
//!
//! Text sizes are estimated here (CJK ≈ 1 em, Latin ≈ 0.55 em) because plotters
//! has no font files in this build and its own estimate counts UTF-8 bytes;
//! the browser renders the labels with [`FONT`].

use std::collections::HashMap;
use std::iter::once;
use std::ops::Range;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Font stack for every text element: CJK fonts first, as the reports are
/// mostly Chinese. No quotes inside, so it is safe in an SVG attribute.
pub const FONT: &str = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, sans-serif";

/// Title and axis captions in the report language.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub title: String,
    pub x: String,
    pub y: String,
}

/// One period of a trend series: the rate and its Wilson interval, all 0..1.
#[derive(Debug, Clone)]
pub struct Point {
    pub period: String,
    pub rate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// One line of a trend chart.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub points: Vec<Point>,
}

/// One bar of a ranking: a label and a rate (0..1).
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
}

/// Realized share of ratings in a quota group against its quota (both 0..1).
#[derive(Debug, Clone)]
pub struct QuotaBar {
    pub group: String,
    pub share: f64,
    pub quota: f64,
}

/// Rectification ledger state on one day.
#[derive(Debug, Clone)]
pub struct BurnPoint {
    /// YYYY-MM-DD, sorted ascending by the caller.
    pub date: String,
    pub open: u32,
    pub overdue: u32,
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
type DrawResult<T = ()> = Result<T, DrawingAreaErrorKind<std::io::Error>>;

const WIDTH: u32 = 640;

const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const MUTED: RGBColor = RGBColor(0x77, 0x77, 0x77);
const GRID: RGBColor = RGBColor(0xE6, 0xE6, 0xE6);
const AXIS: RGBColor = RGBColor(0x99, 0x99, 0x99);
const CALM: RGBColor = RGBColor(0x4A, 0x7E, 0xBB);
const AMBER: RGBColor = RGBColor(0xE0, 0x9B, 0x2D);
const ALERT: RGBColor = RGBColor(0xD0, 0x4E, 0x45);
const QUOTA: RGBColor = RGBColor(0x2B, 0x2B, 0x2B);
/// Threshold lines are drawn solid in a marker colour (one unit off the real
/// one, used nowhere else) and made dashed in [`finish`]: plotters' own dashes
/// are one `<polyline>` per dash, over a hundred per chart, which made up
/// most of the SVG and of the rendering time.
const DASHED: [(RGBColor, RGBColor); 2] = [
    (RGBColor(0xD0, 0x4E, 0x46), ALERT),
    (RGBColor(0xE0, 0x9B, 0x2E), AMBER),
];
const DASH_ARRAY: &str = "6 4";
/// Series colours for the trend, cycled; blue first so a single series looks
/// like the other charts.
const PALETTE: [RGBColor; 8] = [
    CALM,
    RGBColor(0xE0, 0x7B, 0x28),
    RGBColor(0x3A, 0x9A, 0x5B),
    RGBColor(0x8E, 0x5E, 0xB8),
    RGBColor(0xC2, 0x3B, 0x3B),
    RGBColor(0x1F, 0x9E, 0xA8),
    RGBColor(0x8C, 0x6D, 0x46),
    RGBColor(0x6B, 0x6B, 0x6B),
];

// Sizes in CSS px. Chosen so that `px * 1.24 / 1.24` is exact in f64:
// plotters writes font-size as size / 1.24, and 13 or 15 would come out as
// 13.000000000000002.
const TITLE_PX: f64 = 16.0;
const LABEL_PX: f64 = 12.0;
const TICK_PX: f64 = 11.0;
const SMALL_PX: f64 = 10.0;
/// Axis labels longer than this are cut with "…".
const MAX_LABEL_CHARS: usize = 16;
const MAX_LEGEND_CHARS: usize = 24;
/// Rows of legend above the plot; more would squeeze the plot to nothing.
const MAX_LEGEND_ROWS: usize = 3;
const TICK_MARK: i32 = 4;

// ---------------------------------------------------------------- charts

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

/// Horizontal bars (rates, 0..1), in the order given, top to bottom, value
/// printed at the bar end as "93.1%" ("—" for a non-finite value); bars below
/// the lowest threshold red-ish, below the highest threshold amber, others a
/// calm blue; threshold lines dashed, labelled above the plot.
/// Height: 22 px per bar plus 74 px (90 px with an x caption).
pub fn ranking(bars: &[Bar], thresholds: &[f64], text: &Text) -> String {
    if bars.is_empty() {
        return placeholder(&text.title);
    }
    let ths = clean_thresholds(thresholds);
    let labels: Vec<String> = bars.iter().map(|b| axis_label(&b.label)).collect();
    let widest = labels
        .iter()
        .map(|l| text_width(l, LABEL_PX))
        .fold(0.0, f64::max);
    let label_room = (widest + 14.0).clamp(48.0, 220.0);
    let n = bars.len();
    let margins = Margins {
        top: 44,
        right: 52,
        bottom: x_area(&text.x),
        left: label_room as u32 + desc_room(&text.y),
    };
    let height = margins.top + 22 * n as u32 + margins.bottom + 8;
    render((WIDTH, height), &text.title, |root| {
        draw_title(root, &text.title)?;
        let mut chart = frame(root, &margins, 0.0..1.0, 0.0..n as f64)?;
        let x_ticks = Ticks {
            n: 11,
            fmt: &pct_tick,
            grid: true,
        };
        mesh(&mut chart, text, x_ticks, Ticks::CATEGORIES)?;
        for (i, t) in ths.iter().enumerate() {
            vertical_threshold(root, &mut chart, *t, i)?;
        }
        for (i, bar) in bars.iter().enumerate() {
            // Plotters' y grows upwards; the first bar goes on top.
            let y = (n - 1 - i) as f64;
            let label = fit(&labels[i], label_room - 12.0, LABEL_PX);
            let p = chart.backend_coord(&(0.0, y + 0.5));
            root.draw_text(
                &label,
                &style(LABEL_PX, INK, HPos::Right, VPos::Center),
                (p.0 - 8, p.1),
            )?;
            draw_ranking_bar(root, &mut chart, y, rate(bar.value), &ths)?;
        }
        Ok(())
    })
}

/// Realized share vs quota per quota group: a bar for the realized share with
/// its value above, and a dark tick mark across it at the quota; legend names
/// from `legend` (realized, quota). Group labels are cut to fit their slot.
pub fn composition(rows: &[QuotaBar], legend: (&str, &str), text: &Text) -> String {
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
    let legend = legend_layout(&[
        LegendItem {
            name: legend_label(legend.0),
            mark: Mark::Block(CALM),
        },
        LegendItem {
            name: legend_label(legend.1),
            mark: Mark::Tick(QUOTA),
        },
    ]);
    let margins = Margins {
        top: 34 + 18 * legend.rows,
        right: 16,
        bottom: x_area(&text.x),
        left: y_area(&text.y, 40),
    };
    let groups: Vec<String> = rows.iter().map(|r| axis_label(&r.group)).collect();
    let n = rows.len();
    render((WIDTH, 260), &text.title, |root| {
        draw_title(root, &text.title)?;
        draw_legend(root, &legend, 38)?;
        let mut chart = frame(root, &margins, -0.5..n as f64 - 0.5, 0.0..y_max)?;
        mesh(
            &mut chart,
            text,
            Ticks::CATEGORIES,
            Ticks {
                n: 7,
                fmt: &pct_tick,
                grid: true,
            },
        )?;
        let slot = slot_px(&chart, n);
        for i in 0..n {
            draw_quota_bar(root, &mut chart, i as f64, shares[i], quotas[i], slot)?;
        }
        fitted_category_labels(root, &chart, &groups, slot)
    })
}

/// Histogram of subject rates in 5-percentage-point bins from 0 % to 100 %
/// (the last bin includes 100 %), bars coloured by the thresholds like the
/// ranking, counts above the bars, threshold lines drawn; y = number of
/// subjects.
pub fn distribution(rates: &[f64], thresholds: &[f64], text: &Text) -> String {
    let counts = bin_counts(rates);
    let most = counts.iter().copied().max().unwrap_or(0);
    if most == 0 {
        return placeholder(&text.title);
    }
    let ths = clean_thresholds(thresholds);
    let y_max = count_axis_max(most);
    // Right margin: half of the "100%" tick label hangs past the plot.
    let margins = Margins {
        top: 44,
        right: 28,
        bottom: x_area(&text.x),
        left: y_area(&text.y, 40),
    };
    render((WIDTH, 260), &text.title, |root| {
        draw_title(root, &text.title)?;
        let mut chart = frame(root, &margins, 0.0..1.0, 0.0..y_max)?;
        let x_ticks = Ticks {
            n: 11,
            fmt: &pct_tick,
            grid: false,
        };
        mesh(
            &mut chart,
            text,
            x_ticks,
            Ticks {
                n: 6,
                fmt: &count_tick,
                grid: true,
            },
        )?;
        for (bin, &count) in counts.iter().enumerate() {
            draw_bin(root, &mut chart, bin, count, &ths)?;
        }
        for (i, t) in ths.iter().enumerate() {
            vertical_threshold(root, &mut chart, *t, i)?;
        }
        Ok(())
    })
}

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
    let legend = legend_layout(&[
        LegendItem {
            name: legend_label(legend.0),
            mark: Mark::Line(CALM),
        },
        LegendItem {
            name: legend_label(legend.1),
            mark: Mark::Line(ALERT),
        },
    ]);
    let margins = Margins {
        top: 34 + 18 * legend.rows,
        // Half of the latest date's label hangs past the plot.
        right: 36,
        bottom: x_area(&text.x),
        left: y_area(&text.y, 40),
    };
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
        draw_title(root, &text.title)?;
        draw_legend(root, &legend, 38)?;
        let mut chart = frame(root, &margins, -0.5..n as f64 - 0.5, 0.0..y_max)?;
        mesh(
            &mut chart,
            text,
            Ticks::CATEGORIES,
            Ticks {
                n: 6,
                fmt: &count_tick,
                grid: true,
            },
        )?;
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

// ---------------------------------------------------------------- trend data

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
fn trend_floor(lowest: f64) -> f64 {
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

fn draw_line(
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

// ---------------------------------------------------------------- bars

fn draw_ranking_bar(
    root: &Area,
    chart: &mut Chart,
    y: f64,
    value: Option<f64>,
    ths: &[f64],
) -> DrawResult {
    let value_style = style(TICK_PX, INK, HPos::Left, VPos::Center);
    let Some(v) = value else {
        let p = chart.backend_coord(&(0.0, y + 0.5));
        return root.draw_text("—", &value_style, (p.0 + 4, p.1));
    };
    let bar = Rectangle::new([(0.0, y + 0.18), (v, y + 0.82)], bar_color(v, ths).filled());
    chart.draw_series(once(bar))?;
    let p = chart.backend_coord(&(v, y + 0.5));
    root.draw_text(&pct1(v), &value_style, (p.0 + 4, p.1))
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

/// Rates per 5-point bin; 100 % goes into the last bin, and a small epsilon
/// keeps 0.6 (stored as 0.59999…) in the 60–65 % bin where the rule puts it.
fn bin_counts(rates: &[f64]) -> [u32; 20] {
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

// ---------------------------------------------------------------- frame

struct Margins {
    top: u32,
    right: u32,
    bottom: u32,
    left: u32,
}

/// Tick labels for one axis. Categorical axes get none from plotters (its
/// float key points need not land on the categories); they are drawn by
/// [`category_labels`].
#[derive(Clone, Copy)]
struct Ticks<'f> {
    n: usize,
    fmt: &'f dyn Fn(&f64) -> String,
    grid: bool,
}

impl Ticks<'static> {
    const CATEGORIES: Ticks<'static> = Ticks {
        n: 0,
        fmt: &no_tick,
        grid: false,
    };
}

fn frame<'a, 'b>(
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

fn mesh(chart: &mut Chart, text: &Text, x: Ticks, y: Ticks) -> DrawResult {
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
fn x_area(caption: &str) -> u32 {
    24 + desc_room(caption)
}

/// Width left of the plot: tick labels, plus the y caption if there is one.
fn y_area(caption: &str, ticks: u32) -> u32 {
    ticks + desc_room(caption)
}

fn desc_room(caption: &str) -> u32 {
    if clean(caption).is_empty() {
        0
    } else {
        18
    }
}

fn draw_title(root: &Area, title: &str) -> DrawResult {
    let title = fit(&clean(title), f64::from(WIDTH) - 24.0, TITLE_PX);
    if title.is_empty() {
        return Ok(());
    }
    let font = FontDesc::new(FontFamily::Name(FONT), TITLE_PX * 1.24, FontStyle::Bold);
    let title_style = font.color(&INK).pos(Pos::new(HPos::Center, VPos::Top));
    root.draw_text(&title, &title_style, (WIDTH as i32 / 2, 8))
}

/// A threshold line; `i` is the threshold's rank (0 = lowest).
fn dashed(chart: &mut Chart, from: (f64, f64), to: (f64, f64), i: usize) -> DrawResult {
    let marker = DASHED[i.min(1)].0;
    chart.draw_series(once(PathElement::new(
        vec![from, to],
        marker.stroke_width(1),
    )))?;
    Ok(())
}

/// A vertical threshold line over the whole plot, its label just above it.
fn vertical_threshold(root: &Area, chart: &mut Chart, t: f64, i: usize) -> DrawResult {
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
fn threshold_color(i: usize) -> RGBColor {
    DASHED[i.min(1)].1
}

fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Pixel distance between neighbouring categories (the plot width for one).
fn slot_px(chart: &Chart, n: usize) -> f64 {
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
fn category_labels(root: &Area, chart: &Chart, labels: &[String]) -> DrawResult {
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
fn fitted_category_labels(root: &Area, chart: &Chart, labels: &[String], slot: f64) -> DrawResult {
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

// ---------------------------------------------------------------- legend

#[derive(Clone, Copy)]
enum Mark {
    Line(RGBColor),
    Block(RGBColor),
    Tick(RGBColor),
    /// Text only (the "… +k" entry for series left out).
    None,
}

#[derive(Clone)]
struct LegendItem {
    name: String,
    mark: Mark,
}

/// Legend items placed in centred rows under the title: (x, row) each.
struct Legend {
    items: Vec<(LegendItem, i32, u32)>,
    rows: u32,
}

const SWATCH: f64 = 18.0;

fn legend_layout(items: &[LegendItem]) -> Legend {
    let room = f64::from(WIDTH) - 40.0;
    let mut rows: Vec<Vec<LegendItem>> = Vec::new();
    for item in items {
        match rows.last_mut() {
            Some(row) if row_width(row) + item_width(item) <= room => row.push(item.clone()),
            _ => rows.push(vec![item.clone()]),
        }
    }
    if rows.len() > MAX_LEGEND_ROWS {
        // Say how many series the legend leaves out rather than hide them.
        let mut dropped: usize = rows.drain(MAX_LEGEND_ROWS..).map(|row| row.len()).sum();
        let more = |n: usize| LegendItem {
            name: format!("… +{n}"),
            mark: Mark::None,
        };
        let last = &mut rows[MAX_LEGEND_ROWS - 1];
        while last.len() > 1 && row_width(last) + item_width(&more(dropped)) > room {
            last.pop();
            dropped += 1;
        }
        last.push(more(dropped));
    }
    let mut placed = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut x = (f64::from(WIDTH) - row_width(row)) / 2.0;
        for item in row {
            placed.push((item.clone(), x as i32, r as u32));
            x += item_width(item);
        }
    }
    Legend {
        items: placed,
        rows: rows.len() as u32,
    }
}

fn item_width(item: &LegendItem) -> f64 {
    SWATCH + 4.0 + text_width(&item.name, LABEL_PX) + 16.0
}

fn row_width(row: &[LegendItem]) -> f64 {
    row.iter().map(item_width).sum()
}

fn draw_legend(root: &Area, legend: &Legend, top: i32) -> DrawResult {
    let label_style = style(LABEL_PX, INK, HPos::Left, VPos::Center);
    for (item, x, row) in &legend.items {
        let y = top + 18 * *row as i32;
        let (x0, x1) = (*x, *x + SWATCH as i32);
        match item.mark {
            Mark::None => {}
            Mark::Line(c) => {
                root.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2)))?;
                root.draw(&Circle::new(((x0 + x1) / 2, y), 3, c.filled()))?;
            }
            Mark::Block(c) => root.draw(&Rectangle::new(
                [(x0 + 2, y - 5), (x1 - 2, y + 5)],
                c.filled(),
            ))?,
            Mark::Tick(c) => {
                root.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(3)))?
            }
        }
        root.draw_text(&item.name, &label_style, (x1 + 4, y))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- output

/// Draws with plotters into a string and finishes the root element; any
/// plotters error gives the placeholder instead.
fn render(size: (u32, u32), title: &str, draw: impl FnOnce(&Area) -> DrawResult) -> String {
    let mut svg = String::with_capacity(24 * 1024);
    let drawn = {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let result = root
            .fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present());
        result.is_ok()
    };
    if drawn {
        finish(&svg, title)
    } else {
        placeholder(title)
    }
}

/// Makes plotters' document inlinable: anything before `<svg` (an XML
/// declaration, should a later plotters write one) goes, the root gets
/// `role="img"` and the title as `aria-label`, and braces are neutralized.
fn finish(svg: &str, title: &str) -> String {
    let Some(body) = svg.find("<svg").map(|i| &svg[i + "<svg".len()..]) else {
        return placeholder(title);
    };
    let mut out = String::with_capacity(svg.len() + title.len() + 64);
    out.push_str("<svg role=\"img\" aria-label=\"");
    escape_into(&mut out, &clean(title));
    out.push('"');
    out.push_str(body);
    protect_braces(dash_thresholds(out))
}

/// Turns the marker-coloured threshold lines into dashed ones in the real
/// colour. Should plotters ever write colours differently, the lines stay
/// solid (and the tests fail); nothing else changes.
fn dash_thresholds(mut svg: String) -> String {
    for (marker, real) in DASHED {
        let from = format!("stroke=\"{}\"", hex(marker));
        if svg.contains(&from) {
            svg = svg.replace(
                &from,
                &format!("stroke=\"{}\" stroke-dasharray=\"{DASH_ARRAY}\"", hex(real)),
            );
        }
    }
    svg
}

/// A colour the way plotters-svg writes it.
fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Small SVG for "nothing to show": the title and a dash, in no language.
fn placeholder(title: &str) -> String {
    let (w, h) = (WIDTH, 80);
    let mut aria = String::new();
    escape_into(&mut aria, &clean(title));
    let mut shown = String::new();
    escape_into(
        &mut shown,
        &fit(&clean(title), f64::from(w) - 24.0, TITLE_PX),
    );
    let text = |y: u32, size: u32, weight: &str, fill: &str, body: &str| {
        format!(
            "<text x=\"{}\" y=\"{y}\" text-anchor=\"middle\" font-family=\"{FONT}\" font-size=\"{size}\"{weight} fill=\"{fill}\">{body}</text>\n",
            w / 2
        )
    };
    let svg = format!(
        "<svg role=\"img\" aria-label=\"{aria}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n{}{}</svg>\n",
        text(26, 16, " font-weight=\"bold\"", "#333333", &shown),
        text(58, 14, "", "#777777", "—"),
    );
    protect_braces(svg)
}

/// The same escaping plotters applies to its text and attributes.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

/// Plotters never writes braces itself, so every brace in the output came
/// from a label; as character references they render the same but are inert
/// to template engines.
fn protect_braces(svg: String) -> String {
    if svg.contains(['{', '}']) {
        svg.replace('{', "&#123;").replace('}', "&#125;")
    } else {
        svg
    }
}

// ---------------------------------------------------------------- text

fn style(px: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), px * 1.24, FontStyle::Normal)
        .color(&color)
        .pos(Pos::new(h, v))
}

/// Control characters are not allowed in XML; they become spaces.
fn clean(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.trim().to_string()
}

fn axis_label(s: &str) -> String {
    truncate(&clean(s), MAX_LABEL_CHARS)
}

fn legend_label(s: &str) -> String {
    truncate(&clean(s), MAX_LEGEND_CHARS)
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Cuts `s` with "…" so that it fits `max_px` at `px`.
fn fit(s: &str, max_px: f64, px: f64) -> String {
    if text_width(s, px) <= max_px {
        return s.to_string();
    }
    let mut used = char_width('…') * px;
    let mut out = String::new();
    for c in s.chars() {
        used += char_width(c) * px;
        if used > max_px {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

fn text_width(s: &str, px: f64) -> f64 {
    s.chars().map(char_width).sum::<f64>() * px
}

/// Rough advance width in em: full width for CJK and full-width forms, a bit
/// more than half for Latin, enough to keep labels from overlapping.
fn char_width(c: char) -> f64 {
    match c as u32 {
        0x1100..=0x115F | 0x2026 | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF => 1.0,
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD => 1.0,
        _ if c.is_ascii_uppercase() || "%MWmw@".contains(c) => 0.75,
        _ => 0.56,
    }
}

// ---------------------------------------------------------------- numbers

/// A usable rate: finite, clamped to 0..1.
fn rate(v: f64) -> Option<f64> {
    v.is_finite().then(|| v.clamp(0.0, 1.0))
}

/// Thresholds strictly inside 0..1, ascending, without duplicates.
fn clean_thresholds(ts: &[f64]) -> Vec<f64> {
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
fn count_axis_max(most: u32) -> f64 {
    (f64::from(most) * 1.12).ceil().max(5.0)
}

/// "60%", or "62.5%" when the value is not a whole percent. `+ 0.0` turns a
/// negative zero into "0%".
fn pct_tick(v: &f64) -> String {
    let p = v * 100.0;
    if (p - p.round()).abs() < 1e-6 {
        format!("{:.0}%", p.round() + 0.0)
    } else {
        format!("{:.1}%", p + 0.0)
    }
}

fn pct1(v: f64) -> String {
    format!("{:.1}%", v * 100.0 + 0.0)
}

fn count_tick(v: &f64) -> String {
    format!("{:.0}", v.round() + 0.0)
}

fn no_tick(_: &f64) -> String {
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(title: &str) -> Text {
        Text {
            title: title.into(),
            x: "期别".into(),
            y: "满意率".into(),
        }
    }

    fn point(period: &str, rate: Option<f64>) -> Point {
        Point {
            period: period.into(),
            rate,
            ci_low: rate.map(|r| r - 0.03),
            ci_high: rate.map(|r| r + 0.02),
        }
    }

    fn series(name: &str, rates: &[Option<f64>]) -> Series {
        let points = (rates.iter().enumerate())
            .map(|(i, &r)| point(&format!("2024Q{}", i + 1), r))
            .collect();
        Series {
            name: name.into(),
            points,
        }
    }

    fn burn(n: usize) -> Vec<BurnPoint> {
        (0..n)
            .map(|i| BurnPoint {
                date: format!("2024-{:02}-{:02}", 1 + i / 28, 1 + i % 28),
                open: (40 - (i as u32).min(40)),
                overdue: (i as u32 % 7).min(40 - (i as u32).min(40)),
            })
            .collect()
    }

    /// One of each chart, with `label` wherever the caller can put text.
    fn all_charts(label: &str) -> Vec<String> {
        let t = Text {
            title: label.into(),
            x: label.into(),
            y: label.into(),
        };
        let ths = [0.6, 0.7];
        vec![
            trend(
                &[
                    series(label, &[Some(0.8), None, Some(0.9)]),
                    series("乡镇", &[Some(0.7)]),
                ],
                &ths,
                &t,
            ),
            ranking(
                &[Bar {
                    label: label.into(),
                    value: 0.55,
                }],
                &ths,
                &t,
            ),
            composition(
                &[QuotaBar {
                    group: label.into(),
                    share: 0.3,
                    quota: 0.25,
                }],
                (label, label),
                &t,
            ),
            distribution(&[0.5, 0.65, 0.9], &ths, &t),
            burndown(&burn(3), (label, label), &t),
        ]
    }

    #[test]
    fn deterministic() {
        assert_eq!(all_charts("满意率"), all_charts("满意率"));
    }

    #[test]
    fn labels_are_escaped() {
        for label in [
            "<script>alert(1)</script>",
            "\"onerror=alert(1) x='",
            "{{ x }} & {% if %}",
        ] {
            for svg in all_charts(label) {
                for raw in ["<script", "\"onerror=", "{{", "}}", "{%", "'", "& "] {
                    assert!(
                        !svg.contains(raw),
                        "{raw:?} raw in output for {label:?}:\n{svg}"
                    );
                }
            }
        }
        for svg in all_charts("<script>alert(1)</script>") {
            assert!(svg.contains("&lt;script"), "{svg}");
        }
        for svg in all_charts("{{ x }}") {
            assert!(svg.contains("&#123;&#123; x &#125;&#125;"), "{svg}");
        }
    }

    #[test]
    fn chinese_labels_verbatim_and_inlinable_root() {
        for svg in all_charts("满意率") {
            assert!(
                svg.starts_with("<svg role=\"img\" aria-label=\"满意率\""),
                "{svg}"
            );
            assert!(svg.contains(">\n满意率\n</text>"), "{svg}");
            assert!(svg.contains("viewBox=\"0 0 640 "), "{svg}");
            assert!(svg.contains(&format!("font-family=\"{FONT}\"")), "{svg}");
            assert!(!svg.contains("<?xml"));
            assert!(svg.trim_end().ends_with("</svg>"));
        }
    }

    #[test]
    fn trend_draws_threshold_labels() {
        let svg = trend(
            &[series("全县", &[Some(0.93), Some(0.88)])],
            &[0.6, 0.7],
            &text("满意率趋势"),
        );
        assert!(svg.contains(">\n60%\n</text>"), "{svg}");
        assert!(svg.contains(">\n70%\n</text>"), "{svg}");
        assert!(svg.contains(">\n2024Q2\n</text>"), "{svg}");
        // Both threshold lines dashed, in their real colours.
        assert_eq!(svg.matches("stroke-dasharray=\"6 4\"").count(), 2, "{svg}");
        assert!(
            svg.contains("stroke=\"#D04E45\" stroke-dasharray")
                && svg.contains("stroke=\"#E09B2D\" stroke-dasharray")
        );
    }

    #[test]
    fn empty_and_degenerate_inputs_do_not_panic() {
        let t = text("");
        let none = series("x", &[None, None]);
        let edge = series(
            "x",
            &[
                Some(0.0),
                Some(1.0),
                Some(f64::NAN),
                Some(f64::INFINITY),
                Some(-3.0),
            ],
        );
        let odd = [f64::NAN, -1.0, 0.0, 1.0, 2.0, f64::INFINITY];
        let outputs = [
            trend(&[], &[], &t),
            trend(std::slice::from_ref(&none), &[0.6, 0.7], &t),
            trend(
                &[Series {
                    name: String::new(),
                    points: vec![],
                }],
                &[],
                &t,
            ),
            trend(&[series("x", &[Some(0.9)])], &odd, &t),
            trend(&[edge.clone(), none], &odd, &t),
            ranking(&[], &[0.6], &t),
            ranking(
                &[Bar {
                    label: String::new(),
                    value: f64::NAN,
                }],
                &[],
                &t,
            ),
            ranking(
                &[
                    Bar {
                        label: "a".into(),
                        value: 0.0,
                    },
                    Bar {
                        label: "b".into(),
                        value: 1.0,
                    },
                ],
                &odd,
                &t,
            ),
            composition(&[], ("", ""), &t),
            composition(
                &[QuotaBar {
                    group: "g".into(),
                    share: 0.0,
                    quota: 0.0,
                }],
                ("", ""),
                &t,
            ),
            composition(
                &[QuotaBar {
                    group: "g".into(),
                    share: 1.0,
                    quota: f64::NAN,
                }],
                ("", ""),
                &t,
            ),
            distribution(&[], &[], &t),
            distribution(&[f64::NAN], &[0.6], &t),
            distribution(&odd, &odd, &t),
            burndown(&[], ("", ""), &t),
            burndown(&burn(1), ("", ""), &t),
            burndown(
                &[BurnPoint {
                    date: String::new(),
                    open: 0,
                    overdue: 0,
                }],
                ("", ""),
                &t,
            ),
            burndown(&burn(400), ("open", "overdue"), &t),
        ];
        for svg in outputs {
            assert!(svg.starts_with("<svg "), "{svg}");
            assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        }
    }

    #[test]
    fn crowded_legend_says_how_many_are_left_out() {
        let many: Vec<Series> = (0..40)
            .map(|i| series(&format!("第{i}乡镇"), &[Some(0.8), Some(0.9)]))
            .collect();
        let svg = trend(&many, &[0.6, 0.7], &text("t"));
        assert!(
            svg.contains(">\n第0乡镇\n</text>") && !svg.contains(">\n第39乡镇\n</text>"),
            "{svg}"
        );
        assert!(svg.contains(">\n… +"), "{svg}");
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "一二三四五六七八九十一二三四五六七八九十";
        let svg = ranking(
            &[Bar {
                label: long.into(),
                value: 0.9,
            }],
            &[0.6, 0.7],
            &text("t"),
        );
        assert!(!svg.contains(long));
        assert!(svg.contains("一二三四五六七八九十一二三四五…"), "{svg}");
    }

    #[test]
    fn bins_put_thresholds_and_100_percent_in_the_right_place() {
        let counts = bin_counts(&[0.6, 0.6499, 0.65, 1.0, 0.0, 0.0499]);
        assert_eq!(
            (counts[0], counts[12], counts[13], counts[19]),
            (2, 2, 1, 1)
        );
    }

    #[test]
    fn trend_floor_is_round_and_at_most_40_percent() {
        assert_eq!(trend_floor(0.9), 0.4);
        assert_eq!(trend_floor(0.41), 0.35);
        assert_eq!(trend_floor(0.0), 0.0);
    }

    /// Writes one example of each chart for a look in a browser:
    /// `PINGYI_CHART_DEMO=/tmp/charts-demo cargo test --lib report::charts -- --ignored`
    #[test]
    #[ignore = "writes files; run by hand"]
    fn write_demo() {
        let dir = std::env::var("PINGYI_CHART_DEMO").unwrap_or_else(|_| "/tmp/charts-demo".into());
        std::fs::create_dir_all(&dir).unwrap();
        let ths = [0.6, 0.7];
        let quarters = |r: &[Option<f64>]| series("全县", r);
        let mut towns = vec![
            quarters(&[
                Some(0.91),
                Some(0.93),
                Some(0.9),
                Some(0.95),
                Some(0.94),
                Some(0.96),
                Some(0.95),
                Some(0.97),
            ]),
            series(
                "城关镇",
                &[
                    Some(0.82),
                    Some(0.79),
                    None,
                    Some(0.71),
                    Some(0.66),
                    Some(0.72),
                    Some(0.78),
                    Some(0.81),
                ],
            ),
            series(
                "Riverside Township",
                &[
                    Some(0.7),
                    Some(0.74),
                    Some(0.77),
                    Some(0.75),
                    None,
                    None,
                    Some(0.84),
                    Some(0.86),
                ],
            ),
        ];
        towns[1].points[6].ci_low = None;
        let single = vec![towns[0].clone()];
        let bars: Vec<Bar> = [
            ("城关镇党委", 0.971),
            ("东风街道党工委", 0.931),
            ("县财政局党组", 0.884),
            ("Riverside Township", 0.812),
            ("县自然资源和规划局机关党委（很长的名称会被截断）", 0.74),
            ("南山乡", 0.689),
            ("北湖乡", 0.652),
            ("西岭镇", 0.58),
        ]
        .iter()
        .map(|&(l, v)| Bar {
            label: l.into(),
            value: v,
        })
        .collect();
        let quota = [
            ("党员", 0.31, 0.3),
            ("群众代表", 0.42, 0.4),
            ("服务对象", 0.12, 0.2),
            ("两代表一委员", 0.15, 0.1),
        ]
        .iter()
        .map(|&(g, s, q)| QuotaBar {
            group: g.into(),
            share: s,
            quota: q,
        })
        .collect::<Vec<_>>();
        let rates: Vec<f64> = (0..240)
            .map(|i| 0.55 + 0.45 * (((i * 37) % 100) as f64 / 100.0).powf(0.4))
            .collect();
        let t = |title: &str, x: &str, y: &str| Text {
            title: title.into(),
            x: x.into(),
            y: y.into(),
        };
        let charts = [
            (
                "trend",
                trend(&towns, &ths, &t("各乡镇满意率趋势", "季度", "满意率")),
            ),
            (
                "trend-single",
                trend(&single, &ths, &t("全县满意率", "季度", "满意率")),
            ),
            (
                "ranking",
                ranking(&bars, &ths, &t("单位满意率排名", "满意率", "")),
            ),
            (
                "composition",
                composition(
                    &quota,
                    ("实际占比", "配额"),
                    &t("评议人构成与配额", "", "占比"),
                ),
            ),
            (
                "distribution",
                distribution(&rates, &ths, &t("单位满意率分布", "满意率", "单位数")),
            ),
            (
                "burndown",
                burndown(
                    &burn(75),
                    ("未整改", "已逾期"),
                    &t("整改台账", "日期", "事项数"),
                ),
            ),
            ("empty", trend(&[], &ths, &t("无数据的图", "", ""))),
        ];
        for (name, svg) in charts {
            std::fs::write(format!("{dir}/{name}.svg"), svg).unwrap();
        }
    }
}
