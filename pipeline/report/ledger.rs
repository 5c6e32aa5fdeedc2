//! The rectification ledger (整改销号台账) as reports show it: summaries by
//! township and category, the overdue items with owner and deadline, and the
//! burn-down of open items over time. Free text passes through `redact` here,
//! so no audience can show a phone or ID number from a suggestion.

use serde::Serialize;

use super::charts;
use super::load::{Data, Suggestion};
use super::model::{ledger_rows, Index, LedgerRow, Who};
use super::redact::Redactor;
use super::templates::Labels;
use crate::contract::Level;
use crate::dates::{parse_loose, Date};
use crate::overdue::CLOSED;

#[derive(Debug, Serialize)]
pub struct LedgerView {
    pub county: Option<LedgerRow>,
    pub townships: Vec<LedgerRow>,
    pub categories: Vec<LedgerRow>,
    pub overdue: Vec<Item>,
    pub burndown: String,
}

/// One suggestion and what was done about it.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub suggestion_id: String,
    pub who: Who,
    pub category: String,
    pub content: String,
    pub measure: String,
    pub owner: String,
    pub received_at: String,
    pub deadline: String,
    pub status: String,
    pub closed_at: String,
    pub follow_up: String,
    pub answered_on_spot: bool,
    pub closed: bool,
    pub days_overdue: Option<i64>,
}

pub fn view(data: &Data, idx: &Index, labels: &Labels) -> LedgerView {
    let as_of = parse_loose(&data.as_of);
    let redactor = Redactor::new(labels);
    let mut overdue: Vec<Item> = data
        .suggestions
        .iter()
        .map(|s| item(s, idx, &redactor))
        .filter(|i| i.days_overdue.is_some())
        .collect();
    overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then_with(|| a.suggestion_id.cmp(&b.suggestion_id))
    });
    LedgerView {
        county: ledger_rows(data, Level::County).into_iter().next(),
        townships: ledger_rows(data, Level::Township),
        categories: ledger_rows(data, Level::Category),
        overdue,
        burndown: burndown_chart(&data.suggestions, as_of, labels),
    }
}

/// Items of one subject, oldest first (for unit cards). The redactor is
/// built once for all cards: compiling its patterns per card cost more
/// than rendering the card.
pub fn items_of(idx: &Index, subject_id: &str, redactor: &Redactor) -> Vec<Item> {
    let mut items: Vec<Item> = idx
        .suggestions
        .get(subject_id)
        .into_iter()
        .flatten()
        .map(|s| item(s, idx, redactor))
        .collect();
    items.sort_by(|a, b| {
        a.received_at
            .cmp(&b.received_at)
            .then(a.suggestion_id.cmp(&b.suggestion_id))
    });
    items
}

pub fn item(s: &Suggestion, idx: &Index, redactor: &Redactor) -> Item {
    let text = |v: &Option<String>| redactor.redact(v.as_deref().unwrap_or(""));
    Item {
        suggestion_id: s.suggestion_id.clone(),
        who: idx.who(s.subject_id.as_deref().unwrap_or("")),
        category: text(&s.category),
        content: text(&s.content),
        measure: text(&s.measure),
        owner: text(&s.owner),
        received_at: s.received_at.clone().unwrap_or_default(),
        deadline: s.deadline.clone().unwrap_or_default(),
        status: s.status.clone().unwrap_or_default(),
        closed_at: s.closed_at.clone().unwrap_or_default(),
        follow_up: text(&s.follow_up),
        answered_on_spot: s.answered_on_spot.unwrap_or(false),
        closed: s.status.as_deref() == Some(CLOSED),
        days_overdue: s.days_overdue,
    }
}

/// At most this many points on the burn-down (weekly steps, wider for long ledgers).
const BURN_POINTS: i64 = 120;

/// Open and overdue items at weekly steps from the first suggestion to the as-of date.
pub fn burndown(suggestions: &[Suggestion], as_of: Option<Date>) -> Vec<charts::BurnPoint> {
    let dated: Vec<(i64, Option<i64>, Option<i64>)> = suggestions
        .iter()
        .filter_map(|s| {
            let received = s.received_at.as_deref().and_then(parse_loose)?.to_days();
            let closed = (s.status.as_deref() == Some(CLOSED))
                .then(|| {
                    s.closed_at
                        .as_deref()
                        .and_then(parse_loose)
                        .map(Date::to_days)
                })
                .flatten();
            let deadline = s
                .deadline
                .as_deref()
                .and_then(parse_loose)
                .map(Date::to_days);
            Some((received, closed, deadline))
        })
        .collect();
    let (Some(first), Some(end)) = (dated.iter().map(|d| d.0).min(), as_of.map(Date::to_days))
    else {
        return Vec::new();
    };
    let step = ((end - first) / BURN_POINTS).max(7);
    let mut points = Vec::new();
    let mut day = first;
    while day <= end {
        let open: Vec<_> = dated
            .iter()
            .filter(|(r, c, _)| *r <= day && c.is_none_or(|c| c > day))
            .collect();
        points.push(charts::BurnPoint {
            date: Date::from_days(day).to_string(),
            open: open.len() as u32,
            overdue: open
                .iter()
                .filter(|(_, _, d)| d.is_some_and(|d| d < day))
                .count() as u32,
        });
        day += step;
    }
    points
}

fn burndown_chart(suggestions: &[Suggestion], as_of: Option<Date>, labels: &Labels) -> String {
    let text = charts::Text {
        title: labels.get("ledger_burndown"),
        x: String::new(),
        y: labels.get("count"),
    };
    charts::burndown(
        &burndown(suggestions, as_of),
        (&labels.get("open_items"), &labels.get("overdue")),
        &text,
    )
}
