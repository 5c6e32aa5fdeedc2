//! Who needs attention in the open window, split by what a leader can do
//! about it:
//!
//! - **firm** breaches and watch entries (evidence `certain` or `likely`):
//!   the 诫勉谈话 list and the watchlist proper;
//! - **needs more ratings** (需补充评议): a breach or a watch entry resting
//!   only on periods with fewer valid ratings than `breach.min_valid`. A rate
//!   of 0% from one rating is no finding; the step is a follow-up draw of
//!   raters, so these subjects are listed per township with the ratings
//!   still missing, and written as `needs-ratings.csv`, the target list
//!   `pingyi sample --targets` takes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::leadership::{BreachRow, WatchRow};
use super::model::{Index, Who};

/// One subject whose finding rests on too few ratings.
#[derive(Debug, Clone, Serialize)]
pub struct Need {
    pub who: Who,
    pub village: String,
    /// `breach` (the rule is triggered) or `watch` (one period below 70%).
    pub reason: String,
    /// The lowest-rated triggering period, its rate and valid ratings.
    pub period: String,
    pub rate: f64,
    pub valid: u64,
    /// Valid ratings still missing in that period to reach the minimum.
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
    min_valid: u64,
    cards: &str,
) -> Attention {
    let mut needs: Vec<Need> = Vec::new();
    for b in breaches.iter().filter(|b| b.evidence == "thin") {
        // The lowest-rated period shows what a follow-up draw must settle.
        if let Some(p) = b
            .periods
            .iter()
            .min_by(|x, y| x.rate.total_cmp(&y.rate).then(x.period.cmp(&y.period)))
        {
            needs.push(need(
                &b.who, "breach", &p.period, p.rate, p.valid, idx, min_valid, cards,
            ));
        }
    }
    let mut firm_watch = Vec::new();
    for w in watchlist {
        if w.at.evidence == "thin" {
            needs.push(need(
                &w.who,
                "watch",
                &w.at.period,
                w.at.rate,
                w.at.valid,
                idx,
                min_valid,
                cards,
            ));
        } else {
            firm_watch.push(w.clone());
        }
    }
    firm_watch.sort_by(|a, b| {
        strength(&b.at.evidence)
            .cmp(&strength(&a.at.evidence))
            .then(a.at.rate.total_cmp(&b.at.rate))
            .then(a.who.subject_id.cmp(&b.who.subject_id))
    });
    let needs_total = needs.len();
    let needed_total = needs.iter().map(|n| n.needed).sum();
    Attention {
        firm_watch,
        needs: by_township(needs),
        needs_total,
        needed_total,
    }
}

/// certain > likely > thin.
pub fn strength(evidence: &str) -> u8 {
    match evidence {
        "certain" => 3,
        "likely" => 2,
        _ => 1,
    }
}

#[allow(clippy::too_many_arguments)] // the fields of one row
fn need(
    who: &Who,
    reason: &str,
    period: &str,
    rate: f64,
    valid: u64,
    idx: &Index,
    min_valid: u64,
    cards: &str,
) -> Need {
    let village = idx
        .subjects
        .get(who.subject_id.as_str())
        .and_then(|s| s.village.clone())
        .unwrap_or_default();
    Need {
        who: who.clone(),
        village,
        reason: reason.to_string(),
        period: period.to_string(),
        rate,
        valid,
        needed: min_valid.saturating_sub(valid),
        card: format!("{cards}/{}", super::units::file_name(&who.subject_id)),
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
