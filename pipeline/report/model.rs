//! View-model pieces every audience shares: the letterhead (`Meta`), ranking
//! rows, ledger rows, and `Index`, the loaded tables keyed by subject so each
//! builder looks things up instead of scanning.

use std::collections::BTreeMap;

use serde::Serialize;

use super::load::{
    Data, Detail, Evidence, Grade, GroupPeriod, LedgerSummary, PeriodFigures, Subject,
    SubjectPeriod, Suggestion,
};
use super::templates::Labels;
use crate::config::Config;
use crate::contract::Level;

/// Letterhead and dating of a report.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub title: String,
    pub issuer: String,
    pub as_of: String,
    pub window: String,
    pub first_period: String,
    pub last_period: String,
    pub lang: String,
    pub version: String,
    /// The metrics predate the current rules or data (`Data::stale`).
    pub stale: bool,
}

impl Meta {
    pub fn new(cfg: &Config, data: &Data, labels: &Labels, title_key: &str) -> Meta {
        let periods: Vec<&str> = data
            .subject_period
            .iter()
            .map(|r| r.period.as_str())
            .collect();
        Meta {
            title: labels.get(title_key),
            issuer: cfg.report.issuer.clone(),
            as_of: data.as_of.clone(),
            window: window(data),
            first_period: periods
                .iter()
                .min()
                .map_or(String::new(), |p| p.to_string()),
            last_period: periods
                .iter()
                .max()
                .map_or(String::new(), |p| p.to_string()),
            lang: labels.get("lang"),
            version: env!("CARGO_PKG_VERSION").to_string(),
            stale: data.stale,
        }
    }
}

/// The assessment year reported: the latest one with grades up to the as-of
/// year (a report dated 2013-01-05 still reads 2012 until 2013 has ratings).
pub fn window(data: &Data) -> String {
    let as_of_year = data.as_of.get(..4).unwrap_or("").to_string();
    data.grades
        .iter()
        .map(|g| g.window.clone())
        .filter(|w| *w <= as_of_year)
        .max()
        .unwrap_or(as_of_year)
}

/// The year before `window` (`2012` → `2011`).
pub fn previous(window: &str) -> String {
    window
        .parse::<i32>()
        .map_or(String::new(), |y| (y - 1).to_string())
}

/// A row of a ranking table (township, org type, pioneer category…).
#[derive(Debug, Clone, Serialize)]
pub struct RankRow {
    /// Position in the order of the method-standardized rate.
    pub rank: usize,
    /// The ranks the group could hold given the intervals: `(best, worst)`,
    /// equal when no other group's interval overlaps its own (`ties`).
    pub places: (usize, usize),
    pub group: String,
    pub valid: u64,
    pub rate: Option<f64>,
    /// The rate at the county's mix of collection methods: what the
    /// ranking orders by, so a group is not ranked high for being rated
    /// mostly by the method whose rates run high.
    pub rate_std: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub prev_rate: Option<f64>,
    pub change: Option<f64>,
    /// `change` split by collection method (同口径 and 评议方式构成).
    pub split: Option<super::change::Split>,
}

/// A level of `group_period` in one year, best first, with last year's rate.
pub fn ranking(data: &Data, level: Level, window: &str) -> Vec<RankRow> {
    ranked(group_rows(data, level, window))
}

/// The township ranking without the county bodies' group (`[groups]
/// county_bodies`), and that group's row apart: a leader ranks townships
/// against townships, and the county's own organs are no township (their
/// raters, units and duties differ), so they are shown below the ranking,
/// unranked, not placed among the townships.
pub fn township_ranking(
    data: &Data,
    window: &str,
    county_bodies: &str,
) -> (Vec<RankRow>, Option<RankRow>) {
    let (apart, townships): (Vec<RankRow>, Vec<RankRow>) =
        group_rows(data, Level::Township, window)
            .into_iter()
            .partition(|r| !county_bodies.is_empty() && r.group == county_bodies);
    (ranked(townships), apart.into_iter().next())
}

/// Rows ordered by the standardized rate, numbered, with their tied places.
fn ranked(mut rows: Vec<RankRow>) -> Vec<RankRow> {
    rows.sort_by(|a, b| desc(b.rate_std, a.rate_std).then_with(|| a.group.cmp(&b.group)));
    for (i, r) in rows.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    ties(&mut rows);
    rows
}

/// One unranked row per group of `level` in `window`.
fn group_rows(data: &Data, level: Level, window: &str) -> Vec<RankRow> {
    let prev = previous(window);
    let year = |w: &str| -> BTreeMap<String, &GroupPeriod> {
        data.group_period
            .iter()
            .filter(|g| g.level == level && g.span == "year" && g.period == w)
            .map(|g| (g.group.clone().unwrap_or_default(), g))
            .collect()
    };
    let (now, before) = (year(window), year(&prev));
    now.iter()
        .map(|(group, g)| {
            let prev_rate = before.get(group).and_then(|p| p.rate);
            RankRow {
                rank: 0,
                places: (0, 0),
                group: group.clone(),
                valid: g.valid,
                rate: g.rate,
                rate_std: g.rate_std.or(g.rate),
                ci_low: g.ci_low,
                ci_high: g.ci_high,
                prev_rate,
                change: g.rate.zip(prev_rate).map(|(a, b)| a - b),
                split: super::change::year_split(data, level.as_str(), group, window),
            }
        })
        .collect()
}

/// The places each group could hold: better than every group whose
/// interval lies wholly below its own, worse than every group whose
/// interval lies wholly above. Groups whose intervals overlap share a
/// range (并列 2–6), instead of a 2nd and a 6th that chance could swap.
/// The interval is the raw rate's clustered interval moved to the
/// standardized rate (standardizing moves the centre; its width is the
/// cell's own sampling error).
fn ties(rows: &mut [RankRow]) {
    let bounds: Vec<Option<(f64, f64)>> = rows
        .iter()
        .map(|r| {
            let (std, raw) = (r.rate_std?, r.rate?);
            Some((std - (raw - r.ci_low?), std + (r.ci_high? - raw)))
        })
        .collect();
    let n = rows.len();
    for (i, row) in rows.iter_mut().enumerate() {
        row.places = match bounds[i] {
            None => (row.rank, row.rank),
            Some((low, high)) => {
                let above = bounds.iter().flatten().filter(|(l, _)| *l > high).count();
                let below = bounds.iter().flatten().filter(|(_, h)| *h < low).count();
                (above + 1, n - below)
            }
        };
    }
}

/// Compares rates with a missing one lowest: `desc(b, a)` sorts best first,
/// missing rates last.
pub(super) fn desc(a: Option<f64>, b: Option<f64>) -> std::cmp::Ordering {
    a.unwrap_or(-1.0).total_cmp(&b.unwrap_or(-1.0))
}

/// A ledger summary row for tables.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub group: String,
    pub suggestions: u64,
    pub closed: u64,
    pub closure_rate: Option<f64>,
    pub overdue: u64,
    pub median_days: Option<f64>,
    pub answered_on_spot: u64,
}

pub fn ledger_rows(data: &Data, level: Level) -> Vec<LedgerRow> {
    data.ledger_summary
        .iter()
        .filter(|l| l.level == level)
        .map(ledger_row)
        .collect()
}

fn ledger_row(l: &LedgerSummary) -> LedgerRow {
    LedgerRow {
        group: l.group.clone().unwrap_or_default(),
        suggestions: l.suggestions,
        closed: l.closed,
        closure_rate: l.closure_rate.filter(|r| r.is_finite()),
        overdue: l.overdue,
        median_days: l.median_days_to_close,
        answered_on_spot: l.answered_on_spot,
    }
}

/// The loaded tables keyed by subject, built once per render.
pub struct Index<'a> {
    pub subjects: BTreeMap<&'a str, &'a Subject>,
    pub periods: BTreeMap<&'a str, Vec<&'a SubjectPeriod>>,
    pub grades: BTreeMap<(&'a str, &'a str), &'a Grade>,
    pub detail: BTreeMap<&'a str, Vec<&'a Detail>>,
    pub suggestions: BTreeMap<&'a str, Vec<&'a Suggestion>>,
}

impl<'a> Index<'a> {
    pub fn new(data: &'a Data) -> Index<'a> {
        let mut periods: BTreeMap<&str, Vec<&SubjectPeriod>> = BTreeMap::new();
        for r in &data.subject_period {
            periods.entry(r.subject_id.as_str()).or_default().push(r);
        }
        for v in periods.values_mut() {
            v.sort_by(|a, b| a.period.cmp(&b.period));
        }
        let mut detail: BTreeMap<&str, Vec<&Detail>> = BTreeMap::new();
        for d in &data.detail {
            detail.entry(d.subject_id.as_str()).or_default().push(d);
        }
        let mut suggestions: BTreeMap<&str, Vec<&Suggestion>> = BTreeMap::new();
        for s in &data.suggestions {
            suggestions
                .entry(s.subject_id.as_deref().unwrap_or(""))
                .or_default()
                .push(s);
        }
        Index {
            suggestions,
            subjects: data
                .subjects
                .iter()
                .map(|s| (s.subject_id.as_str(), s))
                .collect(),
            periods,
            grades: data
                .grades
                .iter()
                .map(|g| ((g.subject_id.as_str(), g.window.as_str()), g))
                .collect(),
            detail,
        }
    }

    /// Name, township, org type of a subject, for tables that list subjects.
    pub fn who(&self, id: &str) -> Who {
        let s = self.subjects.get(id);
        let text = |f: fn(&Subject) -> Option<String>| s.and_then(|s| f(s)).unwrap_or_default();
        Who {
            subject_id: id.to_string(),
            name: s.map_or_else(|| id.to_string(), |s| s.name.clone()),
            kind: s.map_or(String::new(), |s| s.kind.clone()),
            township: text(|s| s.township.clone()),
            org_type: text(|s| s.org_type.clone()),
            position: text(|s| s.position.clone()),
            // A cadre's unit: the organization the roster files them under,
            // else their village; names alone repeat within a township.
            unit: text(|s| s.parent.clone().or_else(|| s.village.clone())),
        }
    }
}

/// Who a row is about.
#[derive(Debug, Clone, Serialize)]
pub struct Who {
    pub subject_id: String,
    pub name: String,
    pub kind: String,
    pub township: String,
    pub org_type: String,
    pub position: String,
    pub unit: String,
}

/// One subject-window on the 诫勉谈话 list, its periods unpacked.
#[derive(Debug, Clone, Serialize)]
pub struct BreachRow {
    pub window: String,
    pub who: Who,
    pub rule: String,
    pub action: String,
    pub periods: Vec<PeriodFigures>,
    /// The breach's evidence: certain only when a broken rule holds on
    /// sufficient evidence alone (compute's `breaches.evidence`).
    pub evidence: Evidence,
    /// Some integrity check flags this subject's ratings (需核实).
    pub flagged: bool,
}

/// A watched subject's period below the threshold: the same figures as a
/// breach's period, shown flat beside the subject.
#[derive(Debug, Clone, Serialize)]
pub struct WatchRow {
    pub who: Who,
    pub window: String,
    /// `period` or `year` (the subject kind's rule window).
    pub rule_window: String,
    /// `open`, `closed` or `carries` at the as-of date (compute's watchlist).
    pub status: String,
    #[serde(flatten)]
    pub at: PeriodFigures,
}

#[derive(Debug, Serialize)]
pub struct CompositionRow {
    pub org_type: String,
    pub subject_periods: usize,
    pub compliant: usize,
    pub compliant_share: Option<f64>,
    pub groups: Vec<QuotaShare>,
    pub chart: String,
}

#[derive(Debug, Serialize)]
pub struct QuotaShare {
    pub group: String,
    pub quota: f64,
    pub realized: Option<f64>,
}
