//! The suggestion and rectification ledger (整改销号台账): each suggestion gets
//! a measure, an owner and a deadline; by the as-of date some are closed on
//! time, some late, some still open and overdue.

use super::model::Suggestion;
use super::names::{FOLLOW_UP, SUGGESTIONS};
use super::plan::Plan;
use crate::dates::Date;
use crate::rng::Rng;

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub subject: usize,
    pub received: Date,
    pub method: u8,
    pub category: &'static str,
    pub content: &'static str,
    pub answered_on_spot: bool,
    pub measure: &'static str,
    pub owner: String,
    pub deadline: Date,
    pub status: &'static str,
    pub closed: Option<Date>,
    pub follow_up: &'static str,
}

pub fn build(plan: &Plan, suggestions: &[Suggestion], as_of: Date) -> Vec<Item> {
    // The person responsible: the cadre rated, or the head of the organization.
    let subjects = &plan.county.subjects;
    let mut owners: Vec<String> = subjects
        .iter()
        .map(|s| {
            if s.cadre {
                s.name.clone()
            } else {
                "未明确".to_string()
            }
        })
        .collect();
    for c in subjects.iter().filter(|c| c.cadre && c.head) {
        owners[c.org] = c.name.clone();
    }
    suggestions
        .iter()
        .enumerate()
        .map(|(i, s)| item(plan, i, s, as_of, &owners[s.subject as usize]))
        .collect()
}

fn item(plan: &Plan, i: usize, s: &Suggestion, as_of: Date, owner: &str) -> Item {
    let mut rng = Rng::derive(plan.seed, &[30, i as u64]);
    let (category, content, measure) = SUGGESTIONS[s.template];
    let answered_on_spot = rng.chance(0.3);
    let deadline = s.received.add_days(*rng.pick(&[30i64, 45, 60, 90]));
    let allowed = deadline.to_days() - s.received.to_days();
    // Most close within the time allowed, some late, a few never.
    let took = if answered_on_spot {
        rng.below(8) as i64
    } else {
        (allowed as f64 * (0.3 + 1.1 * rng.f64())) as i64
    };
    let closes = s.received.add_days(took);
    let never = rng.chance(0.08);
    let (status, closed) = if !never && closes <= as_of {
        ("已销号", Some(closes))
    } else if rng.chance(0.6) {
        ("整改中", None)
    } else {
        ("未整改", None)
    };
    Item {
        id: format!("YJ{:05}", i + 1),
        subject: s.subject as usize,
        received: s.received,
        method: s.method,
        category,
        content,
        answered_on_spot,
        measure,
        owner: owner.to_string(),
        deadline,
        status,
        closed,
        follow_up: closed.map_or("", |_| *rng.pick(FOLLOW_UP)),
    }
}
