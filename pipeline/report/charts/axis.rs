//! Rate axes chosen from the data: where the axis starts and ends, its tick
//! step, which threshold lines stay in view, the zig-zag that marks an axis
//! not starting at 0, and the note for thresholds left out.
//!
//! Why: on a 0–100 % axis, rates of 89.5 % and 91.7 % look equal. The axis
//! starts at a round tick below the smallest value instead, and spans at
//! least ten percentage points so that noise of a point or two is not blown up to
//! look like a gulf. Threshold lines far from the data would squeeze the
//! bars back together, so they are left out and a note says where they are.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::numbers::pct_tick;
use super::svg::style;
use super::{Area, Chart, DrawResult, Text, BREAK, MUTED, SMALL_PX};

/// The narrowest axis, as a fraction: ten percentage points.
const MIN_SPAN_PM: i64 = 100;
#[cfg(test)]
pub(super) const MIN_SPAN: f64 = MIN_SPAN_PM as f64 / 1000.0;
/// A threshold stays in view when it is within this distance of the data,
/// or within the data's own spread if that is larger.
const NEAR: f64 = 0.05;
/// Tick steps in permille, finest first; the finest giving at most
/// [`MAX_INTERVALS`] intervals is taken.
const STEPS_PM: [i64; 4] = [10, 20, 50, 100];
const MAX_INTERVALS: i64 = 10;

/// A rate axis in fractions 0..1. Bounds and step are whole permille, so
/// ticks print as round percentages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct RateAxis {
    lo_pm: i64,
    hi_pm: i64,
    step_pm: i64,
    /// Thresholds drawn, with their rank among all thresholds (0 = lowest),
    /// which picks their colour.
    pub(super) shown: Vec<(usize, f64)>,
    /// Thresholds left out as far from the data, ascending.
    pub(super) far: Vec<f64>,
}

impl RateAxis {
    /// 0–100 % in 10 % steps with every threshold: the axis when there is
    /// no data to choose from.
    pub(super) fn full(ths: &[f64]) -> RateAxis {
        RateAxis {
            lo_pm: 0,
            hi_pm: 1000,
            step_pm: 100,
            shown: ths.iter().copied().enumerate().collect(),
            far: Vec::new(),
        }
    }

    /// From `tens` × 10 % to 100 % in 10 % steps; thresholds below the
    /// floor are far, the others shown.
    pub(super) fn tens_from(tens: usize, ths: &[f64]) -> RateAxis {
        let lo_pm = (tens.min(9) * 100) as i64;
        let lo = lo_pm as f64 / 1000.0;
        let ranked = ths.iter().copied().enumerate();
        RateAxis {
            lo_pm,
            hi_pm: 1000,
            step_pm: 100,
            shown: ranked.clone().filter(|&(_, t)| t >= lo).collect(),
            far: ranked.filter(|&(_, t)| t < lo).map(|(_, t)| t).collect(),
        }
    }

    pub(super) fn lo(&self) -> f64 {
        self.lo_pm as f64 / 1000.0
    }

    pub(super) fn hi(&self) -> f64 {
        self.hi_pm as f64 / 1000.0
    }

    pub(super) fn step(&self) -> f64 {
        self.step_pm as f64 / 1000.0
    }

    /// The axis does not start at 0: lengths from it are not ratios.
    pub(super) fn broken(&self) -> bool {
        self.lo_pm > 0
    }

    /// Tick values from the floor to the top, both included.
    pub(super) fn ticks(&self) -> Vec<f64> {
        let step = usize::try_from(self.step_pm.max(1)).unwrap_or(1);
        (self.lo_pm..=self.hi_pm)
            .step_by(step)
            .map(|pm| pm as f64 / 1000.0)
            .collect()
    }

    /// Tick count to ask plotters for: with a 1-2-5 step (all of
    /// [`STEPS_PM`] are) plotters then picks exactly these ticks.
    pub(super) fn tick_count(&self) -> usize {
        self.ticks().len()
    }
}

/// The axis for `values` (usable rates, 0..1) and the thresholds (clean,
/// ascending): from a round tick below the smallest value (or the lowest
/// threshold near the data) to the round tick above the largest, at most
/// 100 %, at least ten points wide; a floor within two steps of 0 becomes 0.
pub(super) fn rate_axis(values: &[f64], ths: &[f64]) -> RateAxis {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let Some((lo, hi)) = finite.fold(None, |acc: Option<(f64, f64)>, v| {
        let v = v.clamp(0.0, 1.0);
        Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v))))
    }) else {
        return RateAxis::full(ths);
    };
    let reach = (hi - lo).max(NEAR) + 1e-9;
    let (mut shown, mut far) = (Vec::new(), Vec::new());
    let (mut a, mut b) = (lo, hi);
    for (i, &t) in ths.iter().enumerate() {
        if t >= lo - reach && t <= hi + reach {
            shown.push((i, t));
            (a, b) = (a.min(t), b.max(t));
        } else {
            far.push(t);
        }
    }
    let (a_pm, b_pm) = (a * 1000.0, b * 1000.0);
    let step_pm = pick_step((b_pm - a_pm).max(MIN_SPAN_PM as f64));
    let hi_pm = round_up(b_pm, step_pm).min(1000);
    let mut lo_pm = round_down(a_pm, step_pm);
    // Keep the smallest bar visible and the lowest point off the axis line.
    if a_pm - (lo_pm as f64) < step_pm as f64 / 4.0 {
        lo_pm -= step_pm;
    }
    lo_pm = lo_pm.min(hi_pm - MIN_SPAN_PM);
    lo_pm = lo_pm - lo_pm.rem_euclid(step_pm);
    if lo_pm <= 2 * step_pm {
        lo_pm = 0;
    }
    // Data at 0 % only: the span is found above the floor.
    let hi_pm = hi_pm.max(lo_pm + MIN_SPAN_PM);
    // Widening to 0 can call for a coarser step; the top follows it.
    let step_pm = pick_step((hi_pm - lo_pm) as f64);
    let hi_pm = round_up(hi_pm as f64, step_pm).min(1000);
    let lo_pm = lo_pm - lo_pm.rem_euclid(step_pm);
    RateAxis {
        lo_pm,
        hi_pm,
        step_pm,
        shown,
        far,
    }
}

fn pick_step(span_pm: f64) -> i64 {
    STEPS_PM
        .into_iter()
        .find(|&s| span_pm <= (s * MAX_INTERVALS) as f64 + 1e-6)
        .unwrap_or(100)
}

fn round_down(v_pm: f64, step_pm: i64) -> i64 {
    ((v_pm + 1e-6) / step_pm as f64).floor() as i64 * step_pm
}

fn round_up(v_pm: f64, step_pm: i64) -> i64 {
    ((v_pm - 1e-6) / step_pm as f64).ceil() as i64 * step_pm
}

// ------------------------------------------------------------ the note

/// The small note for thresholds left out, in the captions' language
/// (Chinese when the title or a caption has a CJK character): the charts get
/// no language of their own, and their captions always come in the report's.
pub(super) fn far_note(axis: &RateAxis, text: &Text) -> Option<String> {
    let zh = is_zh(text);
    let below: Vec<String> = (axis.far.iter().filter(|&&t| t < axis.lo()))
        .map(pct_tick)
        .collect();
    let above: Vec<String> = (axis.far.iter().filter(|&&t| t > axis.hi()))
        .map(pct_tick)
        .collect();
    let part = |ts: &[String], down: bool| -> Option<String> {
        if ts.is_empty() {
            return None;
        }
        Some(match (zh, down) {
            (true, true) => format!("{} 线远低于数据，未画出", ts.join("、")),
            (true, false) => format!("{} 线远高于数据，未画出", ts.join("、")),
            (false, true) => format!("{} far below the data, not drawn", en_lines(ts)),
            (false, false) => format!("{} far above the data, not drawn", en_lines(ts)),
        })
    };
    let parts: Vec<String> = [part(&below, true), part(&above, false)]
        .into_iter()
        .flatten()
        .collect();
    (!parts.is_empty()).then(|| parts.join(if zh { "；" } else { "; " }))
}

fn en_lines(ts: &[String]) -> String {
    match ts {
        [a] => format!("{a} line"),
        [a, b] => format!("{a} and {b} lines"),
        _ => format!("{} lines", ts.join(", ")),
    }
}

fn is_zh(text: &Text) -> bool {
    [&text.title, &text.x, &text.y]
        .iter()
        .flat_map(|s| s.chars())
        .any(|c| matches!(c as u32, 0x3400..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFD))
}

/// Draws the note in small muted text, anchored at `at` by `h`.
pub(super) fn draw_note(root: &Area, note: &str, at: (i32, i32), h: HPos) -> DrawResult {
    root.draw_text(note, &style(SMALL_PX, MUTED, h, VPos::Center), at)
}

// ------------------------------------------------------ the break marks

/// Distance of the break mark from the start of the axis, px.
const BREAK_AT: i32 = 9;
/// Half the length of the zig-zag along the axis, px.
const BREAK_HALF: i32 = 6;

/// The zig-zag on a horizontal (x) axis near its start: the axis line is
/// cut and bridged by a zig-zag in [`BREAK`].
pub(super) fn x_axis_break(root: &Area, chart: &Chart) -> DrawResult {
    let (x0, y0) = (chart.x_range().start, chart.y_range().start);
    let (px, py) = chart.backend_coord(&(x0, y0));
    let bx = px + BREAK_AT;
    let gap = Rectangle::new(
        [(bx - BREAK_HALF, py - 2), (bx + BREAK_HALF, py + 2)],
        WHITE.filled(),
    );
    root.draw(&gap)?;
    let h = BREAK_HALF;
    let zig = vec![
        (bx - h, py),
        (bx - h / 2, py - 4),
        (bx, py + 4),
        (bx + h / 2, py - 4),
        (bx + h, py),
    ];
    root.draw(&PathElement::new(zig, BREAK.stroke_width(1)))
}

/// The zig-zag on a vertical (y) axis near its start.
pub(super) fn y_axis_break(root: &Area, chart: &Chart) -> DrawResult {
    let (x0, y0) = (chart.x_range().start, chart.y_range().start);
    let (px, py) = chart.backend_coord(&(x0, y0));
    y_break_at(root, px, py)
}

/// The zig-zag on a vertical axis whose bottom end is at `(px, py)`, in
/// backend pixels (the small multiples draw their axes themselves).
pub(super) fn y_break_at(root: &Area, px: i32, py: i32) -> DrawResult {
    let by = py - BREAK_AT;
    let h = BREAK_HALF;
    let gap = Rectangle::new([(px - 2, by - h), (px + 2, by + h)], WHITE.filled());
    root.draw(&gap)?;
    let zig = vec![
        (px, by + h),
        (px - 4, by + h / 2),
        (px + 4, by),
        (px - 4, by - h / 2),
        (px, by - h),
    ];
    root.draw(&PathElement::new(zig, BREAK.stroke_width(1)))
}

/// A white zig-zag cut across a horizontal bar from `top` to `bottom`
/// (backend y), at the same distance from the axis start as the axis mark:
/// the bar visibly does not start at 0.
pub(super) fn bar_cut(root: &Area, chart: &Chart, top: i32, bottom: i32) -> DrawResult {
    let (x0, y0) = (chart.x_range().start, chart.y_range().start);
    let bx = chart.backend_coord(&(x0, y0)).0 + BREAK_AT;
    let mut zig = Vec::new();
    let (mut y, mut left) = (top - 1, true);
    while y < bottom + 1 {
        zig.push((if left { bx - 2 } else { bx + 2 }, y));
        y += 3;
        left = !left;
    }
    zig.push((if left { bx - 2 } else { bx + 2 }, bottom + 1));
    root.draw(&PathElement::new(zig, WHITE.stroke_width(3)))
}
