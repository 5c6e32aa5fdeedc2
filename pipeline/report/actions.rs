//! The leadership page's action plan (行动计划): one table of who must do
//! what, by when, and where it stands — a leader reads actions, not a list
//! of names. In order:
//!
//! 1. **诫勉谈话**: every case of the open window (`cases`: a breach on
//!    certain evidence), with the leader who holds the talk, its due date in
//!    working days and its status (overdue cases first);
//! 2. **补充评议**: follow-up draws, grouped by township with the people the
//!    township needs in all — the thin breaches and watch entries of
//!    需补充评议 (`attention`) and the likely breaches, which open no case;
//! 3. **整改**: rectification items past their deadline (the ledger).
//!
//! Every row names the person with unit and position (two 许祥 in one
//! village are two people). The operator's commands (`pingyi sample
//! --targets`) belong to the methodology, never to this table.

use std::collections::BTreeMap;

use serde::Serialize;

use super::attention::{Attention, Plan};
use super::ledger::LedgerView;
use super::load::Data;
use super::model::BreachRow;
use super::model::{Index, Who};
use super::templates::Labels;
use crate::config::Config;

/// One action.
#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub who: Who,
    /// A cadre's organization, an organization's village or township.
    pub unit: String,
    /// talk, draw or rectify.
    pub kind: String,
    /// What, in the page's language (诫勉谈话 · 2012-ZZ0131, 补充评议 2012Q3 …).
    pub what: String,
    pub leader: String,
    /// Due date (YYYY-MM-DD), empty when the action has none.
    pub due: String,
    pub status: String,
    /// Past due and not done: printed in words, not only in colour.
    pub overdue: bool,
    pub card: String,
}

/// The follow-up draws of one township.
#[derive(Debug, Clone, Serialize)]
pub struct DrawGroup {
    pub township: String,
    /// The leaders of its subjects (the township's party secretary for its
    /// villages), distinct, joined.
    pub leader: String,
    /// People the township's follow-up draws need in all.
    pub needed: u64,
    pub rows: Vec<Action>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionPlan {
    pub talks: Vec<Action>,
    pub overdue_talks: usize,
    pub draws: Vec<DrawGroup>,
    /// Subjects with a follow-up draw, and the people they need in all.
    pub draw_subjects: usize,
    pub draws_needed: u64,
    pub rectify: Vec<Action>,
}

/// What the plan is built from.
pub struct Sources<'a> {
    pub cfg: &'a Config,
    pub data: &'a Data,
    pub idx: &'a Index<'a>,
    pub labels: &'a Labels,
    pub window: &'a str,
    pub attention: &'a Attention,
    pub likely: &'a [BreachRow],
    pub plan: &'a Plan,
    pub ledger: &'a LedgerView,
    pub cards: &'a str,
}

pub fn build(s: &Sources) -> ActionPlan {
    let talks = talks(s);
    let draws = draws(s);
    ActionPlan {
        overdue_talks: talks.iter().filter(|t| t.overdue).count(),
        draw_subjects: draws.iter().map(|g| g.rows.len()).sum(),
        draws_needed: draws.iter().map(|g| g.needed).sum(),
        talks,
        draws,
        rectify: rectify(s),
    }
}

/// A subject's unit: a cadre's organization, else its village, else its township.
fn unit(idx: &Index, id: &str) -> String {
    idx.subjects
        .get(id)
        .and_then(|s| {
            s.parent
                .clone()
                .or_else(|| s.village.clone())
                .or_else(|| s.township.clone())
        })
        .unwrap_or_default()
}

fn action(s: &Sources, id: &str, kind: &str, what: String) -> Action {
    Action {
        who: s.idx.who(id),
        unit: unit(s.idx, id),
        kind: kind.to_string(),
        what,
        leader: String::new(),
        due: String::new(),
        status: String::new(),
        overdue: false,
        card: format!("{}/{}", s.cards, super::format::file_name(id)),
    }
}

/// The open window's cases, overdue first, then by due date.
fn talks(s: &Sources) -> Vec<Action> {
    let talk = s.labels.get("action_talk");
    let mut rows: Vec<Action> = s
        .data
        .cases
        .iter()
        .filter(|c| c.window == s.window)
        .map(|c| Action {
            leader: c.leader.clone(),
            due: c.due.clone().unwrap_or_default(),
            status: match &c.held_on {
                Some(d) => format!("{} {d}", c.status),
                None => c.status.clone(),
            },
            overdue: c.overdue.unwrap_or(false),
            ..action(s, &c.subject_id, "talk", format!("{talk} · {}", c.case_id))
        })
        .collect();
    rows.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then_with(|| a.due.cmp(&b.due))
            .then_with(|| a.who.subject_id.cmp(&b.who.subject_id))
    });
    rows
}

/// 需补充评议 and the likely breaches by township, with the people needed.
fn draws(s: &Sources) -> Vec<DrawGroup> {
    let draw = s.labels.get("action_draw");
    let pending = s.labels.get("action_pending");
    let mut by: BTreeMap<String, (u64, Vec<Action>)> = BTreeMap::new();
    let leader = |w: &Who| s.cfg.cases.leader(&w.org_type, &w.township);
    for g in &s.attention.needs {
        for n in &g.subjects {
            let what = draw_what(&draw, &n.period, n.raters, n.people);
            let row = Action {
                leader: leader(&n.who),
                status: pending.clone(),
                ..action(s, &n.who.subject_id, "draw", what)
            };
            let e = by.entry(g.township.clone()).or_default();
            e.0 += n.needed;
            e.1.push(row);
        }
    }
    for b in s.likely.iter().filter(|b| b.window == s.window) {
        let Some(p) = b.periods.iter().min_by(|x, y| x.rate.total_cmp(&y.rate)) else {
            continue;
        };
        let people = s.plan.people(&b.who.subject_id, &p.period, p.rate);
        let what = draw_what(&draw, &p.period, p.raters, people);
        let row = Action {
            leader: leader(&b.who),
            status: pending.clone(),
            ..action(s, &b.who.subject_id, "draw", what)
        };
        let e = by.entry(b.who.township.clone()).or_default();
        e.0 += people.saturating_sub(p.raters);
        e.1.push(row);
    }
    let mut out: Vec<DrawGroup> = by
        .into_iter()
        .map(|(township, (needed, rows))| {
            let mut leaders: Vec<&str> = rows.iter().map(|r| r.leader.as_str()).collect();
            leaders.sort_unstable();
            leaders.dedup();
            DrawGroup {
                leader: leaders.join("、"),
                township,
                needed,
                rows,
            }
        })
        .collect();
    out.sort_by(|a, b| b.needed.cmp(&a.needed).then(a.township.cmp(&b.township)));
    out
}

/// "补充评议（2012Q3：已评 5 人，共需 62 人）" from the label's placeholders.
fn draw_what(label: &str, period: &str, raters: u64, people: u64) -> String {
    label
        .replace("{period}", period)
        .replace("{raters}", &raters.to_string())
        .replace("{people}", &people.to_string())
}

/// Overdue rectification items, the longest overdue first (as the ledger
/// section orders them).
fn rectify(s: &Sources) -> Vec<Action> {
    let fix = s.labels.get("action_rectify");
    let late = s.labels.get("action_days_overdue");
    s.ledger
        .overdue
        .iter()
        .map(|i| {
            let days = i.days_overdue.unwrap_or(0).to_string();
            Action {
                leader: i.owner.clone(),
                due: i.deadline.clone(),
                status: format!("{} · {}", i.status, late.replace("{n}", &days)),
                overdue: true,
                ..action(
                    s,
                    &i.who.subject_id,
                    "rectify",
                    format!("{fix} · {} {}", i.suggestion_id, i.category),
                )
            }
        })
        .collect()
}
