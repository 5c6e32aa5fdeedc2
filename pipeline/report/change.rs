//! A change as the reports state it: the total beside its like-for-like
//! part (同口径, within collection methods) and the part due to the mix of
//! methods (评议方式构成), from the `changes` table, so that a quarter that
//! merely lost the random draw does not read as a fall. Also the plain-words
//! account of a series from its first to its last period, with intervals,
//! that unit cards and the summary give whatever the trend test says.

use std::collections::BTreeMap;

use serde::Serialize;

use super::estimate::Estimate;
use super::format;
use super::format::fill;
use super::load::{Change, Data};
use super::templates::Labels;

/// A change split in two, as fractions like every rate the reports format
/// (`pp` shows them in percentage points).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Split {
    pub delta: Option<f64>,
    pub within: Option<f64>,
    pub mix: Option<f64>,
}

impl From<&Change> for Split {
    fn from(c: &Change) -> Split {
        Split {
            delta: c.delta,
            within: c.within_method,
            mix: c.method_mix,
        }
    }
}

/// The `changes` rows keyed by level, group, kind and later period, built
/// once per report (cards look up thousands).
pub struct Changes<'a>(BTreeMap<(&'a str, &'a str, &'a str, &'a str), &'a Change>);

impl<'a> Changes<'a> {
    pub fn new(data: &'a Data) -> Changes<'a> {
        Changes(
            data.changes
                .iter()
                .map(|c| {
                    let key = (c.level.as_str(), c.group.as_str(), c.kind.as_str());
                    ((key.0, key.1, key.2, c.to.as_str()), c)
                })
                .collect(),
        )
    }

    /// The change of `group` into period `to` against its previous period.
    pub fn period(&self, level: &str, group: &str, to: &str) -> Option<Split> {
        self.get(level, group, "period", to)
    }

    /// The change of `group` into the assessment year `to` against the year before.
    pub fn year(&self, level: &str, group: &str, to: &str) -> Option<Split> {
        self.get(level, group, "year", to)
    }

    fn get(&self, level: &str, group: &str, kind: &str, to: &str) -> Option<Split> {
        self.0
            .get(&(level, group, kind, to))
            .map(|c| Split::from(*c))
    }
}

/// One group's change on the year before, for the few rows of a ranking
/// (a scan: no index is worth building for them).
pub fn year_split(data: &Data, level: &str, group: &str, year: &str) -> Option<Split> {
    data.changes
        .iter()
        .find(|c| c.kind == "year" && c.to == year && c.level == level && c.group == group)
        .map(Split::from)
}

/// "−2.6 个百分点（同口径 +0.1，评议方式构成 −2.7）"; the total alone when
/// no split exists.
pub fn phrase(split: Option<Split>, total: Option<f64>, labels: &Labels) -> String {
    match split {
        Some(s) => fill(
            &labels.get("change_split"),
            &[
                ("delta", &format::pp(s.delta)),
                ("within", &format::pp(s.within)),
                ("mix", &format::pp(s.mix)),
            ],
        ),
        None => fill(
            &labels.get("change_plain"),
            &[("delta", &format::pp(total))],
        ),
    }
}

/// One end of a series: its period, rate and interval. Unlike an
/// `Estimate` its rate is always there: a period without one is no end.
#[derive(Debug, Clone, Serialize)]
pub struct End {
    pub period: String,
    pub rate: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

impl End {
    /// The period as an end of a series, where it has a rate.
    pub fn at(period: &str, est: Estimate) -> Option<End> {
        Some(End {
            period: period.to_string(),
            rate: est.rate?,
            ci_low: est.ci_low,
            ci_high: est.ci_high,
        })
    }
}

/// A series from its first to its last period with a rate, in plain words:
/// "从 2011Q1 的 92.3%（区间 …）降至 2012Q4 的 57.1%（…），下降 35.2 个百分点".
#[derive(Debug, Clone, Serialize)]
pub struct Course {
    pub first: End,
    pub last: End,
    /// last − first, a fraction.
    pub change: f64,
    /// The two intervals overlap: the difference is within what chance
    /// gives (变化在随机波动范围内), whatever the trend test says.
    pub overlap: bool,
    pub text: String,
}

/// The course of a series of at least two periods with a rate (in period order).
pub fn course(ends: &[End], labels: &Labels) -> Option<Course> {
    let (first, last) = match ends {
        [first, .., last] => (first.clone(), last.clone()),
        _ => return None,
    };
    let change = last.rate - first.rate;
    let overlap = match (first.ci_low, first.ci_high, last.ci_low, last.ci_high) {
        (Some(a), Some(b), Some(c), Some(d)) => a <= d && c <= b,
        _ => false,
    };
    let key = if (change * 1000.0).round() < 0.0 {
        "course_down"
    } else if (change * 1000.0).round() > 0.0 {
        "course_up"
    } else {
        "course_same"
    };
    let mut text = fill(
        &labels.get(key),
        &[
            ("first", &first.period),
            ("rate_first", &format::pct(Some(first.rate), 1)),
            ("ci_first", &format::range(first.ci_low, first.ci_high)),
            ("last", &last.period),
            ("rate_last", &format::pct(Some(last.rate), 1)),
            ("ci_last", &format::range(last.ci_low, last.ci_high)),
            ("pp", &format!("{:.1}", (change * 100.0).abs())),
        ],
    );
    if let Some((key, e)) = turn(ends, key) {
        text.push_str(&fill(
            &labels.get(key),
            &[
                ("period", &e.period),
                ("rate", &format::pct(Some(e.rate), 1)),
                ("ci", &format::range(e.ci_low, e.ci_high)),
            ],
        ));
    }
    Some(Course {
        first,
        last,
        change,
        overlap,
        text,
    })
}

/// The period a fall started higher than the first (a peak), or a rise
/// lower (a trough), when it is neither end: "从 80.0% 降至 57.1%" alone
/// would hide a peak of 92.3% two quarters before the end.
fn turn<'e>(ends: &'e [End], course: &str) -> Option<(&'static str, &'e End)> {
    let inner = ends.get(1..ends.len().saturating_sub(1))?;
    let first = ends.first()?.rate;
    match course {
        "course_down" => inner
            .iter()
            .filter(|e| e.rate > first)
            .max_by(|a, b| {
                a.rate
                    .total_cmp(&b.rate)
                    .then_with(|| b.period.cmp(&a.period))
            })
            .map(|e| ("course_peak", e)),
        "course_up" => inner
            .iter()
            .filter(|e| e.rate < first)
            .min_by(|a, b| {
                a.rate
                    .total_cmp(&b.rate)
                    .then_with(|| a.period.cmp(&b.period))
            })
            .map(|e| ("course_trough", e)),
        _ => None,
    }
}
