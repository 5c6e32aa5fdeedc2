//! Report charts as inline SVG strings.
//!
//! One function per chart the HTML reports show: [`trend`], [`trend_grid`]
//! (small multiples, one panel per township), [`ranking`], [`composition`],
//! [`distribution`] and [`burndown`]. Each takes plain data plus the captions
//! in the report's language and returns one complete `<svg …>` element,
//! ready to be inlined in a single-file HTML report: no XML declaration,
//! `role="img"` with the title as `aria-label`, `width`/`height` and a
//! `viewBox` so CSS (`width: 100%`) can scale it.
//!
//! Rates are fractions 0..1 and shown as percent. Rate axes start near the
//! data, not at 0 (`axis`): a round tick below the smallest value, at least
//! ten points wide; an axis that does not start at 0 carries a zig-zag, and
//! the ranking's bars a white cut at the same place, so lengths are not read
//! as ratios. Thresholds (the seed's 60 % and 70 %) near the data are drawn
//! as dashed lines, the lowest in red, the others in amber, the colours the
//! ranking uses for the bars below them; thresholds far from the data are
//! named in a small note (in the captions' language) instead of squashing
//! the data against them. A trend's series colours are all distinct and
//! never a threshold's red or amber; the burn-down's two lines are blue and
//! red (overdue is the alarm).
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
//!
//! Layout: one file per chart (`trend`, `grid` for the small multiples,
//! `bars` for the ranking and the distribution, `composition`, `burndown`);
//! shared drawing in `frame` (axes, ticks, threshold lines, category labels)
//! and `legend`; `axis` chooses rate axes and draws their break marks and
//! notes; `svg` turns plotters' output into the finished string and measures
//! and cuts text; `numbers` cleans and formats values.

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::estimate::Estimate;

mod axis;
mod bars;
mod burndown;
mod composition;
mod frame;
mod grid;
mod legend;
mod numbers;
mod svg;
#[cfg(test)]
mod tests;
mod trend;

pub use bars::{distribution, ranking};
pub use burndown::burndown;
pub use composition::{composition, composition_sized, PANEL as COMPOSITION_PANEL};
pub use grid::trend_grid;
pub use trend::trend;

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
    pub est: Estimate,
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
/// one, used nowhere else) and made dashed in [`svg::finish`]: plotters' own dashes
/// are one `<polyline>` per dash, over a hundred per chart, which made up
/// most of the SVG and of the rendering time.
const DASHED: [(RGBColor, RGBColor); 2] = [
    (RGBColor(0xD0, 0x4E, 0x46), ALERT),
    (RGBColor(0xE0, 0x9B, 0x2E), AMBER),
];
const DASH_ARRAY: &str = "6 4";
/// Series colours, all distinct, and none a threshold's red or amber (a
/// series in those would read as a threshold). Blue first so a single series
/// looks like the other charts. A trend draws at most this many series; the
/// legend says how many more were left out (the small multiples of
/// [`trend_grid`] are the chart for more).
const PALETTE: [RGBColor; 9] = [
    CALM,
    RGBColor(0x3A, 0x9A, 0x5B),
    RGBColor(0x8E, 0x5E, 0xB8),
    RGBColor(0x1F, 0x9E, 0xA8),
    RGBColor(0x8C, 0x6D, 0x46),
    RGBColor(0xC0, 0x55, 0x9B),
    RGBColor(0x8A, 0x9A, 0x2B),
    RGBColor(0x2F, 0x3E, 0x73),
    RGBColor(0x6B, 0x6B, 0x6B),
];
/// The reference line (the county) drawn faintly in each small multiple.
const REFERENCE: RGBColor = RGBColor(0xA8, 0xA8, 0xA8);
/// The zig-zag marking an axis that does not start at 0; used for nothing
/// else, so it is easy to find in the SVG.
const BREAK: RGBColor = RGBColor(0x55, 0x55, 0x55);

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
