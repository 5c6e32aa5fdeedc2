//! Who needs attention in the open window, split by what a leader can do
//! about it:
//!
//! - **firm** watch entries (evidence `certain` or `likely`, on at least
//!   `rules.min_raters` people): the watchlist proper (the 诫勉谈话 list of
//!   `certain` breaches is the leadership report's own);
//! - **needs more people** (需补充评议): a breach or a watch entry resting
//!   only on periods with fewer people than `rules.min_raters`. A rate of 0%
//!   from one person is no finding; the step is a follow-up draw of raters,
//!   so these subjects are listed per township with the people still
//!   missing for a firm answer (the plan of DESIGN §5: enough people for an
//!   interval of ±`rules.plan_half_width`), and written as
//!   `needs-ratings.csv`, the target list `pingyi sample --targets` takes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::load::{Data, Evidence};
use super::model::{BreachRow, WatchRow};
use super::model::{Index, Who};
use crate::compute::evidence::people_for_half_width;
use crate::config::Config;

/// What a cell needs for a firm answer: at least `min_raters` people, and
/// enough for an interval of ±`half_width` at its rate and design effect.
pub struct Plan {
    pub min_raters: u64,
    pub half_width: f64,
    /// (subject, period) → its people and effective n; a pooled year (the
    /// evaluation of a kind counted by year) under its window, `2012`.
    cells: BTreeMap<(String, String), (u64, Option<f64>)>,
}

impl Plan {
    pub fn new(cfg: &Config, data: &Data) -> Plan {
        let cells = data
            .subject_period
            .iter()
            .map(|r| {
                let key = (r.subject_id.clone(), r.period.clone());
                (key, (r.raters.unwrap_or(0), r.n_eff))
            })
            .chain(data.grades.iter().map(|g| {
                let key = (g.subject_id.clone(), g.window.clone());
                (key, (g.raters.unwrap_or(0), g.n_eff))
            }))
            .collect();
        Plan {
            min_raters: u64::from(cfg.rules.min_raters),
            half_width: cfg.rules.plan_half_width,
            cells,
        }
    }

    /// People a subject's period needs in all: the plan's k*, at least the
    /// minimum.
    pub fn people(&self, subject: &str, period: &str, rate: f64) -> u64 {
        let (k, n_eff) = self
            .cells
            .get(&(subject.to_string(), period.to_string()))
            .copied()
            .unwrap_or((0, None));
        people_for_half_width(Some(rate), k, n_eff, self.half_width).max(self.min_raters)
    }
}

/// One subject whose finding rests on too few ratings.
#[derive(Debug, Clone, Serialize)]
pub struct Need {
    pub who: Who,
    pub village: String,
    /// The roster's township (a county body's seat, not 县直单位): where a
    /// follow-up draw finds its raters.
    pub seat: String,
    /// `breach` (the rule is triggered) or `watch` (one period below 70%).
    pub reason: String,
    /// The lowest-rated triggering period, its rate, valid ratings and people.
    pub period: String,
    pub rate: f64,
    pub valid: u64,
    pub raters: u64,
    /// People a firm answer on that period needs in all (the plan).
    pub people: u64,
    /// People still missing: `people` less those who rated.
    pub needed: u64,
    /// The subject's card, relative to the leadership report.
    pub card: String,
}

/// The subjects of one township needing more ratings.
#[derive(Debug, Clone, Serialize)]
pub struct NeedTownship {
    pub township: String,
    pub breach: usize,
    pub watch: usize,
    pub needed: u64,
    pub subjects: Vec<Need>,
}

/// Firm watch entries, and everything thin by township.
#[derive(Debug, Serialize)]
pub struct Attention {
    pub firm_watch: Vec<WatchRow>,
    /// Watch entries whose window ended without triggering (评议期已结束，未触发).
    pub closed_watch: usize,
    /// The watched window has ended at the as-of date (every entry is
    /// `closed` or `carries`).
    pub window_closed: bool,
    pub needs: Vec<NeedTownship>,
    pub needs_total: usize,
    pub needed_total: u64,
}

/// `breaches` and `watchlist` are the window's rows; `cards` the relative
/// folder of the unit cards (`../units-zh/cards`).
pub fn build(
    breaches: &[&BreachRow],
    watchlist: &[WatchRow],
    idx: &Index,
    plan: &Plan,
    cards: &str,
) -> Attention {
    let mut needs: Vec<Need> = Vec::new();
    for b in breaches.iter().filter(|b| b.evidence == Evidence::Thin) {
        // The lowest-rated period shows what a follow-up draw must settle.
        if let Some(p) = b
            .periods
            .iter()
            .min_by(|x, y| x.rate.total_cmp(&y.rate).then(x.period.cmp(&y.period)))
        {
            needs.push(need(&b.who, "breach", p, idx, plan, cards));
        }
    }
    let mut firm_watch = Vec::new();
    let mut closed_watch = 0;
    for w in watchlist {
        if w.status == "closed" {
            // The window is over without triggering: no rating can change
            // it, so no follow-up draw is asked for.
            closed_watch += 1;
        } else if w.at.evidence == Evidence::Thin {
            needs.push(need(&w.who, "watch", &w.at, idx, plan, cards));
        } else {
            firm_watch.push(w.clone());
        }
    }
    firm_watch.sort_by(|a, b| {
        b.at.evidence
            .cmp(&a.at.evidence)
            .then(a.at.rate.total_cmp(&b.at.rate))
            .then(a.who.subject_id.cmp(&b.who.subject_id))
    });
    let needs_total = needs.len();
    let needed_total = needs.iter().map(|n| n.needed).sum();
    Attention {
        window_closed: watchlist.iter().any(|w| w.status != "open"),
        firm_watch,
        closed_watch,
        needs: by_township(needs),
        needs_total,
        needed_total,
    }
}

fn need(
    who: &Who,
    reason: &str,
    at: &super::load::PeriodFigures,
    idx: &Index,
    plan: &Plan,
    cards: &str,
) -> Need {
    let subject = idx.subjects.get(who.subject_id.as_str());
    let village = subject.and_then(|s| s.village.clone()).unwrap_or_default();
    let seat = subject
        .and_then(|s| s.seat.clone().or_else(|| s.township.clone()))
        .unwrap_or_default();
    let people = plan.people(&who.subject_id, &at.period, at.rate);
    Need {
        who: who.clone(),
        village,
        seat,
        reason: reason.to_string(),
        period: at.period.clone(),
        rate: at.rate,
        valid: at.valid,
        raters: at.raters,
        people,
        needed: people.saturating_sub(at.raters),
        card: format!("{cards}/{}", super::format::file_name(&who.subject_id)),
    }
}

/// Townships with the most subjects first; within one, breaches before
/// watch entries, then the lowest rate.
fn by_township(needs: Vec<Need>) -> Vec<NeedTownship> {
    let mut by: BTreeMap<String, Vec<Need>> = BTreeMap::new();
    for n in needs {
        by.entry(n.who.township.clone()).or_default().push(n);
    }
    let mut out: Vec<NeedTownship> = by
        .into_iter()
        .map(|(township, mut subjects)| {
            subjects.sort_by(|a, b| {
                (a.reason != "breach")
                    .cmp(&(b.reason != "breach"))
                    .then(a.rate.total_cmp(&b.rate))
                    .then(a.who.subject_id.cmp(&b.who.subject_id))
            });
            NeedTownship {
                breach: subjects.iter().filter(|n| n.reason == "breach").count(),
                watch: subjects.iter().filter(|n| n.reason == "watch").count(),
                needed: subjects.iter().map(|n| n.needed).sum(),
                township,
                subjects,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.subjects
            .len()
            .cmp(&a.subjects.len())
            .then(a.township.cmp(&b.township))
    });
    out
}
