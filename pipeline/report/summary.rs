//! The first screen of the leadership report: the headline tiles (each
//! compared with the year before where a year before exists) and the
//! executive summary, sentences generated from the figures in the report's
//! language, each linking to the section or the unit cards behind it.
//!
//! The order is what a leader acts on: who must be talked to (firm
//! evidence), who needs more ratings before anyone concludes anything,
//! where the county is heading, and what undermines the figures.

use serde::Serialize;

use super::attention::{Attention, Plan};
use super::change::{self, Changes, Split};
use super::format::{self, fill};
use super::load::{Data, Evidence};
use super::model::{previous, RankRow};
use super::model::{BreachRow, CompositionRow};
use super::templates::Labels;
use crate::contract::Level;

#[derive(Debug, Serialize)]
pub struct Headline {
    pub ratings: u64,
    pub people: u64,
    pub subjects_rated: u64,
    pub window_rate: Option<f64>,
    pub window_ci_low: Option<f64>,
    pub window_ci_high: Option<f64>,
    pub prev_window: String,
    pub prev_rate: Option<f64>,
    pub rate_change: Option<f64>,
    /// The county's change on the year before, split by collection method.
    pub rate_split: Option<Split>,
    /// The county's change in its last period, split by collection method.
    pub last_split: Option<Split>,
    /// Valid ratings in the window and the year before, and the people
    /// (forms with a valid rating) in the window.
    pub valid: Option<u64>,
    pub window_raters: Option<u64>,
    pub prev_valid: Option<u64>,
    pub suggestions: u64,
    pub closure_rate: Option<f64>,
    pub overdue: u64,
    /// Breaches on sufficient evidence (certain) in the window, the
    /// breaches by evidence, and the certain ones the year before.
    pub firm: usize,
    pub certain: usize,
    pub likely: usize,
    pub prev_firm: Option<usize>,
    /// Subjects whose breach or watch entry rests on too few ratings.
    pub needs_ratings: usize,
    pub thin_breaches: usize,
    pub thin_watch: usize,
    pub watch_firm: usize,
    /// Subject-periods of the window whose raters met the quotas.
    pub compliant: usize,
    pub subject_periods: usize,
    pub compliant_share: Option<f64>,
    /// What the design can decide, per kind of subject, and the plan's terms.
    pub design: Vec<Design>,
    pub min_raters: u64,
    pub plan_half_width: f64,
}

/// One kind of subject (组织, 干部) in the window: how many were rated, how
/// many rest on enough people to be judged, the median people per subject,
/// and the people a firm judgement needs (the plan at the median's rate
/// and design effect).
#[derive(Debug, Serialize)]
pub struct Design {
    pub kind: String,
    pub subjects: usize,
    pub judged: usize,
    pub median_raters: u64,
    pub planned: u64,
}

/// Inputs of the headline, all of the report's window `w`.
pub struct Figures<'a> {
    pub data: &'a Data,
    pub window: &'a str,
    pub breaches: &'a [BreachRow],
    pub attention: &'a Attention,
    pub composition: &'a [CompositionRow],
    pub overdue: u64,
    pub closure_rate: Option<f64>,
    pub plan: &'a Plan,
}

/// Per kind of subject, from the window's grades (one row per subject rated).
fn design(f: &Figures) -> Vec<Design> {
    let mut by: std::collections::BTreeMap<String, Vec<&super::load::Grade>> = Default::default();
    let kinds: std::collections::HashMap<&str, &str> = f
        .data
        .subjects
        .iter()
        .map(|s| (s.subject_id.as_str(), s.kind.as_str()))
        .collect();
    for g in f.data.grades.iter().filter(|g| g.window == f.window) {
        let kind = kinds.get(g.subject_id.as_str()).copied().unwrap_or("");
        by.entry(kind.to_string()).or_default().push(g);
    }
    by.into_iter()
        .map(|(kind, mut rows)| {
            rows.sort_by_key(|g| g.raters.unwrap_or(0));
            let mid = rows[rows.len() / 2];
            let planned = crate::compute::evidence::people_for_half_width(
                mid.rate,
                mid.raters.unwrap_or(0),
                mid.n_eff,
                f.plan.half_width,
            )
            .max(f.plan.min_raters);
            Design {
                judged: rows
                    .iter()
                    .filter(|g| g.raters.unwrap_or(0) >= f.plan.min_raters)
                    .count(),
                subjects: rows.len(),
                median_raters: mid.raters.unwrap_or(0),
                planned,
                kind,
            }
        })
        .collect()
}

pub fn headline(f: &Figures) -> Headline {
    let prev = previous(f.window);
    let county = |w: &str| {
        f.data
            .group_period
            .iter()
            .find(|g| g.level == Level::County && g.span == "year" && g.period == w)
    };
    let (now, before) = (county(f.window), county(&prev));
    let changes = Changes::new(f.data);
    let last_period = f.data.trends.iter().find(|t| t.level == Level::County);
    let firm_in = |w: &str| {
        f.breaches
            .iter()
            .filter(|b| b.window == w && b.evidence.is_sufficient())
            .count()
    };
    let evidence = |e: Evidence| {
        f.breaches
            .iter()
            .filter(|b| b.window == f.window && b.evidence == e)
            .count()
    };
    let compliant: usize = f.composition.iter().map(|c| c.compliant).sum();
    let subject_periods: usize = f.composition.iter().map(|c| c.subject_periods).sum();
    let count = |reason: &str| -> usize {
        f.attention
            .needs
            .iter()
            .map(|t| t.subjects.iter().filter(|n| n.reason == reason).count())
            .sum()
    };
    Headline {
        ratings: f.data.headline.ratings,
        people: f.data.headline.people_identified,
        // Rated in the window (every figure says its window), not since the
        // first period.
        subjects_rated: f
            .data
            .grades
            .iter()
            .filter(|g| g.window == f.window)
            .count() as u64,
        window_rate: now.and_then(|c| c.rate),
        window_ci_low: now.and_then(|c| c.ci_low),
        window_ci_high: now.and_then(|c| c.ci_high),
        prev_rate: before.and_then(|c| c.rate),
        rate_change: now
            .and_then(|c| c.rate)
            .zip(before.and_then(|c| c.rate))
            .map(|(a, b)| a - b),
        rate_split: changes.year(Level::County.as_str(), "全县", f.window),
        last_split: last_period
            .and_then(|t| changes.period(Level::County.as_str(), "全县", &t.last_period)),
        valid: now.map(|c| c.valid),
        window_raters: now.map(|c| c.raters),
        prev_valid: before.map(|c| c.valid),
        // A year without ratings has no breaches to compare with.
        prev_firm: before.map(|_| firm_in(&prev)),
        prev_window: prev,
        suggestions: f.data.headline.suggestions,
        closure_rate: f.closure_rate,
        overdue: f.overdue,
        firm: firm_in(f.window),
        certain: evidence(Evidence::Certain),
        likely: evidence(Evidence::Likely),
        needs_ratings: f.attention.needs_total,
        thin_breaches: count("breach"),
        thin_watch: count("watch"),
        watch_firm: f.attention.firm_watch.len(),
        compliant,
        subject_periods,
        compliant_share: (subject_periods > 0).then(|| compliant as f64 / subject_periods as f64),
        design: design(f),
        min_raters: f.plan.min_raters,
        plan_half_width: f.plan.half_width,
    }
}

/// One sentence of the executive summary, the section it summarizes, and
/// the subjects it names (each linking to its card).
#[derive(Debug, Serialize)]
pub struct Finding {
    pub kind: String,
    pub text: String,
    pub href: String,
    pub names: Vec<Link>,
    /// Named subjects beyond those listed.
    pub more: usize,
}

#[derive(Debug, Serialize)]
pub struct Link {
    pub name: String,
    pub note: String,
    pub href: String,
}

/// How many subjects a sentence names before "and N more".
const NAMED: usize = 8;

/// What the executive summary is written from.
#[derive(Clone, Copy)]
pub struct Facts<'a> {
    pub headline: &'a Headline,
    pub window: &'a str,
    /// The as-of date: the ledger's figures are as at it.
    pub as_of: &'a str,
    /// The window's breaches on firm evidence.
    pub firm: &'a [&'a BreachRow],
    pub attention: &'a Attention,
    /// The township ranking, best first.
    pub townships: &'a [RankRow],
    pub county_trend: Option<&'a super::load::Trend>,
}

/// The executive summary. `cards` is the unit cards' folder relative to
/// the report.
pub fn findings(facts: &Facts, labels: &Labels, cards: &str) -> Vec<Finding> {
    let Facts {
        headline: h,
        window,
        as_of,
        firm,
        attention,
        townships,
        county_trend,
    } = *facts;
    let pct = |v: Option<f64>| format::pct(v, 1);
    let mut out = Vec::new();
    let change = match (h.rate_split, h.rate_change) {
        (Some(s), _) => like_for_like(s, &h.prev_window, labels),
        (None, Some(c)) => fill(
            &labels.get(if c >= 0.0 { "sum_up" } else { "sum_down" }),
            &[
                ("prev", &h.prev_window),
                ("pp", &format!("{:.1}", c.abs() * 100.0)),
            ],
        ),
        (None, None) => labels.get("sum_no_prev"),
    };
    out.push(finding(
        "rate",
        fill(
            &labels.get("sum_rate"),
            &[
                ("window", window),
                ("rate", &pct(h.window_rate)),
                ("ci", &format::range(h.window_ci_low, h.window_ci_high)),
                ("change", &change),
            ],
        ),
        "#ranking",
    ));
    if let Some(t) = county_trend {
        out.push(finding(
            "trend",
            trend_sentence(t, h.last_split, labels),
            "#trends",
        ));
    }
    let mut f = finding(
        "firm",
        if firm.is_empty() {
            fill(&labels.get("sum_firm_none"), &[("window", window)])
        } else {
            fill(
                &labels.get("sum_firm"),
                &[("n", &firm.len().to_string()), ("window", window)],
            )
        },
        "#breaches",
    );
    let links: Vec<Link> = firm
        .iter()
        .map(|b| Link {
            name: b.who.name.clone(),
            note: b.who.township.clone(),
            href: format!("{cards}/{}", super::format::file_name(&b.who.subject_id)),
        })
        .collect();
    name_them(&mut f, links);
    out.push(f);
    for d in &h.design {
        out.push(finding(
            "design",
            fill(
                &labels.get("sum_design"),
                &[
                    ("window", window),
                    ("kind", &d.kind),
                    ("n", &format::thousands(d.subjects as u64)),
                    ("judged", &format::thousands(d.judged as u64)),
                    ("min", &h.min_raters.to_string()),
                    ("median", &d.median_raters.to_string()),
                    ("planned", &d.planned.to_string()),
                    ("hw", &format!("{:.0}", h.plan_half_width * 100.0)),
                ],
            ),
            "#needs-ratings",
        ));
    }
    if attention.needs_total > 0 {
        out.push(finding(
            "needs",
            fill(
                &labels.get("sum_needs"),
                &[
                    ("window", window),
                    ("n", &attention.needs_total.to_string()),
                    ("breach", &h.thin_breaches.to_string()),
                    ("watch", &h.thin_watch.to_string()),
                    ("needed", &format::thousands(attention.needed_total)),
                ],
            ),
            "#needs-ratings",
        ));
    }
    if h.watch_firm > 0 {
        let mut f = finding(
            "watch",
            fill(
                &labels.get("sum_watch"),
                &[("n", &h.watch_firm.to_string()), ("window", window)],
            ),
            "#watchlist",
        );
        let links = attention
            .firm_watch
            .iter()
            .map(|w| Link {
                name: w.who.name.clone(),
                note: format!("{} {}", w.at.period, pct(Some(w.at.rate))),
                href: format!("{cards}/{}", super::format::file_name(&w.who.subject_id)),
            })
            .collect();
        name_them(&mut f, links);
        out.push(f);
    }
    let worst: Vec<String> = townships
        .iter()
        .rev()
        .filter(|r| r.rate_std.is_some())
        .take(3)
        .map(|r| {
            let (best, last) = r.places;
            let place = if best == last {
                best.to_string()
            } else {
                format!("{} {best}–{last}", labels.get("tied"))
            };
            format!("{} {}（{place}）", r.group, pct(r.rate_std))
        })
        .collect();
    if !worst.is_empty() {
        out.push(finding(
            "townships",
            fill(
                &labels.get("sum_townships"),
                &[
                    ("list", &worst.join(labels.get("list_sep").as_str())),
                    ("window", window),
                ],
            ),
            "#ranking",
        ));
    }
    if h.subject_periods > 0 {
        out.push(finding(
            "composition",
            fill(
                &labels.get("sum_composition"),
                &[
                    ("window", window),
                    ("share", &pct(h.compliant_share)),
                    ("n", &format::thousands(h.compliant as u64)),
                    ("total", &format::thousands(h.subject_periods as u64)),
                ],
            ),
            "#composition",
        ));
    }
    out.push(finding(
        "ledger",
        fill(
            &labels.get(if h.overdue > 0 {
                "sum_overdue"
            } else {
                "sum_overdue_none"
            }),
            &[
                ("as_of", as_of),
                ("n", &h.overdue.to_string()),
                ("closure", &pct(h.closure_rate)),
            ],
        ),
        "#ledger",
    ));
    out
}

/// The change on the year before, like for like first (同口径, within
/// collection methods), then the total and the part the mix of methods
/// made: a year that added the random draw is not a year people were
/// served better.
fn like_for_like(s: Split, prev: &str, labels: &Labels) -> String {
    let within = s.within.unwrap_or(0.0);
    let key = match (within * 1000.0).round() {
        r if r > 0.0 => "sum_like_up",
        r if r < 0.0 => "sum_like_down",
        _ => "sum_like_flat",
    };
    let pp = format!("{:.1}", (within * 100.0).abs());
    let lead = fill(&labels.get(key), &[("prev", prev), ("pp", &pp)]);
    let total = fill(
        &labels.get("sum_like_total"),
        &[("delta", &format::pp(s.delta)), ("mix", &format::pp(s.mix))],
    );
    format!("{lead}{total}")
}

/// The county's heading in plain words: the last change, split by
/// collection method, and whether the periods so far show a trend that
/// survives the correction for the many series tested (q < 0.05).
fn trend_sentence(t: &super::load::Trend, split: Option<Split>, labels: &Labels) -> String {
    let direction = match (t.mk_q, t.sen_slope) {
        (Some(q), Some(s)) if q < 0.05 && s < 0.0 => labels.get("sum_trend_down"),
        (Some(q), Some(s)) if q < 0.05 && s > 0.0 => labels.get("sum_trend_up"),
        (Some(_), _) => labels.get("sum_trend_flat"),
        (None, _) => labels.get("sum_trend_short"),
    };
    fill(
        &labels.get("sum_trend"),
        &[
            ("period", &t.last_period),
            ("change", &change::phrase(split, t.delta_last, labels)),
            ("n", &t.n_periods.to_string()),
            ("direction", &direction),
        ],
    )
}

fn finding(kind: &str, text: String, href: &str) -> Finding {
    Finding {
        kind: kind.to_string(),
        text,
        href: href.to_string(),
        names: Vec::new(),
        more: 0,
    }
}

fn name_them(f: &mut Finding, mut links: Vec<Link>) {
    f.more = links.len().saturating_sub(NAMED);
    links.truncate(NAMED);
    f.names = links;
}
