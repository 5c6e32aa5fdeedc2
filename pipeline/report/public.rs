//! The public notice-board report (公示版): each organization's and cadre's
//! annual result and grade by township, township and county totals, and the
//! ledger's progress. Disclosure control (`suppress`) decides what may show;
//! no rater-level data and no rating comments reach this report, and ledger
//! text is redacted. Only a closed assessment year is shown (`closed`): a
//! board that moved with every nightly batch could be differenced to learn
//! what the one new rater answered.

use std::collections::BTreeMap;

use serde::Serialize;

use super::format::thousands;
use super::ledger::{self, Item};
use super::load::{Data, GroupPeriod};
use super::model::{ledger_rows, Index, LedgerRow, Meta};
use super::notice::{self, Notice};
use super::redact::Redactor;
use super::suppress::{complement, Cell};
use super::templates::Labels;
use crate::config::Config;
use crate::contract::Level;

#[derive(Debug, Serialize)]
pub struct Public {
    /// `meta.window` is the closed year shown; empty when none is closed.
    pub meta: Meta,
    pub grace_days: u32,
    /// The latest year graded but not yet closed, and the date from which
    /// the board will show it.
    pub pending: Option<(String, String)>,
    pub min_cell: u32,
    pub min_cell_extreme: u32,
    /// Grades need this many raters; fewer: 不评定等次.
    pub min_raters: u32,
    /// Subjects graded in the year shown, and how many of them are withheld
    /// (said in the body of the notice: most of a county's cadres are rated
    /// by too few people to publish).
    pub subjects: usize,
    pub withheld: usize,
    pub notice: Notice,
    pub county: Row,
    pub townships: Vec<Township>,
    pub ledger_county: Option<LedgerRow>,
    pub ledger_townships: Vec<LedgerRow>,
    pub items: Vec<Item>,
}

/// A township's page: its total and the results that may be published.
/// Withheld results are counted, not listed: a notice board of rows of
/// dashes hides the results people look for.
#[derive(Debug, Serialize)]
pub struct Township {
    pub total: Row,
    pub organizations: Vec<Row>,
    pub cadres: Vec<Row>,
    pub withheld: usize,
}

/// A published line: figures are `None` where suppressed.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub subject_id: String,
    pub name: String,
    pub township: String,
    pub detail: String,
    /// A cadre's unit (所属组织); empty for organizations.
    pub unit: String,
    pub kind: String,
    /// The raters count as shown: the number, or "<N" below the minimum cell.
    pub raters: String,
    pub rate: Option<f64>,
    pub grade: Option<String>,
    pub suppressed: bool,
}

/// A row before disclosure control, with the raters it rests on.
struct Draft {
    row: Row,
    rate: Option<f64>,
    grade: Option<String>,
    raters: u64,
}

pub fn build(cfg: &Config, data: &Data, labels: &Labels) -> Public {
    let idx = Index::new(data);
    let grace = cfg.report.public_grace_days;
    let (w, pending) = closed(data, grace);
    let min = u64::from(cfg.report.min_cell);
    let extreme = u64::from(cfg.report.min_cell_extreme);
    let (mut drafts, groups) = drafts(data, &idx, &w);
    let (totals, county) = totals(data, &w, &groups, &drafts, labels);
    let primary = |d: &Draft| Cell::primary(d.raters, d.rate, min, extreme);
    let mut cells: Vec<Cell> = drafts.iter().map(primary).collect();
    let mut total_cells: Vec<Cell> = totals.iter().map(primary).collect();
    let county_cell = primary(&county);
    for (t, members) in groups.values().enumerate() {
        complement(&mut cells, members, !total_cells[t].suppressed, min);
    }
    let all: Vec<usize> = (0..total_cells.len()).collect();
    complement(&mut total_cells, &all, !county_cell.suppressed, min);
    let publish = |d: &mut Draft, c: &Cell| finish(d, c, min);
    let rows: Vec<Row> = drafts
        .iter_mut()
        .zip(&cells)
        .map(|(d, c)| publish(d, c))
        .collect();
    let mut townships: Vec<Township> = groups
        .values()
        .zip(totals.into_iter().zip(&total_cells))
        .map(|(members, (mut total, cell))| township(&rows, members, publish(&mut total, cell)))
        .collect();
    // The county bodies (县直单位) after the townships, as on the
    // leadership page; the townships stay in name order (a stable sort).
    townships.sort_by_key(|t| t.total.name == cfg.groups.county_bodies);
    let mut county = county;
    let subjects = rows.len();
    let withheld = rows.iter().filter(|r| r.suppressed).count();
    let mut meta = Meta::new(cfg, data, labels, "public_title");
    if !w.is_empty() {
        meta.title = labels.get("public_title_year").replace("{window}", &w);
    }
    // The periods of the year shown, not of the data so far: nothing on the
    // board moves with the open year.
    let periods = data
        .subject_period
        .iter()
        .map(|r| r.period.as_str())
        .filter(|p| !w.is_empty() && p.starts_with(w.as_str()));
    meta.first_period = periods.clone().min().unwrap_or_default().to_string();
    meta.last_period = periods.max().unwrap_or_default().to_string();
    meta.window = w;
    Public {
        meta,
        grace_days: grace,
        pending,
        min_cell: cfg.report.min_cell,
        min_cell_extreme: cfg.report.min_cell_extreme,
        min_raters: cfg.rules.min_raters,
        subjects,
        withheld,
        notice: notice::build(cfg, &data.as_of, labels),
        county: publish(&mut county, &county_cell),
        townships,
        ledger_county: ledger_rows(data, Level::County).into_iter().next(),
        ledger_townships: ledger_rows(data, Level::Township),
        items: items(data, &idx, labels),
    }
}

/// The latest graded year closed on the as-of date (its last day plus
/// `grace` days), empty when none is; and the latest graded year still open,
/// with the date it closes. Ratings dated in an open year change nothing on
/// the board, however many nights they arrive over.
fn closed(data: &Data, grace: u32) -> (String, Option<(String, String)>) {
    let as_of = crate::dates::parse_loose(&data.as_of);
    let closes = |w: &str| -> Option<crate::dates::Date> {
        let last = crate::dates::Date::new(w.parse().ok()?, 12, 31)?;
        Some(last.add_days(i64::from(grace)))
    };
    let years: std::collections::BTreeSet<&str> =
        data.grades.iter().map(|g| g.window.as_str()).collect();
    let (mut shown, mut pending) = (String::new(), None);
    for w in years {
        let (Some(closes), Some(as_of)) = (closes(w), as_of) else {
            continue;
        };
        if closes <= as_of {
            shown = w.to_string();
        } else if w.parse::<i32>().is_ok_and(|y| y <= as_of.year) {
            pending = Some((w.to_string(), closes.to_string()));
        }
    }
    (shown, pending)
}

/// One draft per subject graded in the window, grouped by township
/// (townships in name order, subjects by id).
fn drafts(data: &Data, idx: &Index, w: &str) -> (Vec<Draft>, BTreeMap<String, Vec<usize>>) {
    let mut drafts = Vec::new();
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for g in data.grades.iter().filter(|g| g.window == w) {
        let who = idx.who(&g.subject_id);
        let detail = if who.kind == "组织" {
            who.org_type.clone()
        } else {
            who.position.clone()
        };
        groups
            .entry(who.township.clone())
            .or_default()
            .push(drafts.len());
        drafts.push(Draft {
            row: Row {
                subject_id: who.subject_id,
                name: who.name,
                township: who.township,
                detail,
                unit: if who.kind == "组织" {
                    String::new()
                } else {
                    who.unit
                },
                kind: who.kind,
                raters: String::new(),
                rate: None,
                grade: None,
                suppressed: false,
            },
            rate: g.rate,
            grade: g.grade.clone(),
            raters: g.raters.unwrap_or(0),
        });
    }
    (drafts, groups)
}

/// Township totals (from `group_period`) in `groups` order, and the county's.
/// Their raters are the sums of their members', so a total never rests on
/// fewer raters than the cells under it.
fn totals(
    data: &Data,
    w: &str,
    groups: &BTreeMap<String, Vec<usize>>,
    drafts: &[Draft],
    labels: &Labels,
) -> (Vec<Draft>, Draft) {
    let find = |level: Level, group: &str| -> Option<&GroupPeriod> {
        data.group_period.iter().find(|g| {
            g.level == level
                && g.span == "year"
                && g.period == w
                && g.group.as_deref() == Some(group)
        })
    };
    let total = |name: String, gp: Option<&GroupPeriod>, raters: u64| Draft {
        row: Row {
            subject_id: String::new(),
            name: name.clone(),
            township: name,
            detail: labels.get("township_total"),
            unit: String::new(),
            kind: String::new(),
            raters: String::new(),
            rate: None,
            grade: None,
            suppressed: false,
        },
        rate: gp.and_then(|g| g.rate),
        grade: None,
        raters,
    };
    let townships: Vec<Draft> = groups
        .iter()
        .map(|(name, members)| {
            let raters = members.iter().map(|&i| drafts[i].raters).sum();
            total(name.clone(), find(Level::Township, name), raters)
        })
        .collect();
    let county_raters = drafts.iter().map(|d| d.raters).sum();
    let county = total(
        labels.get("county"),
        find(Level::County, "全县"),
        county_raters,
    );
    (townships, county)
}

fn finish(d: &mut Draft, c: &Cell, min: u64) -> Row {
    let mut row = d.row.clone();
    row.suppressed = c.suppressed;
    row.raters = if d.raters < min {
        format!("<{min}")
    } else {
        thousands(d.raters)
    };
    if !c.suppressed {
        row.rate = d.rate;
        row.grade = d.grade.clone();
    }
    row
}

fn township(rows: &[Row], members: &[usize], total: Row) -> Township {
    let withheld = members.iter().filter(|&&i| rows[i].suppressed).count();
    let (organizations, cadres) = members
        .iter()
        .map(|&i| rows[i].clone())
        .filter(|r| !r.suppressed)
        .partition(|r| r.kind == "组织");
    Township {
        total,
        organizations,
        cadres,
        withheld,
    }
}

/// The items still open (not 已销号), redacted: what the public follows
/// up on. Closed ones are counted in the progress table; listing tens of
/// thousands of them would bury the open ones on a notice board.
fn items(data: &Data, idx: &Index, labels: &Labels) -> Vec<Item> {
    let redactor = Redactor::new(labels);
    let mut items: Vec<Item> = data
        .suggestions
        .iter()
        .map(|s| ledger::item(s, idx, &redactor))
        .filter(|i| !i.closed)
        .collect();
    items.sort_by(|a, b| {
        (&a.who.township, &a.received_at, &a.suggestion_id).cmp(&(
            &b.who.township,
            &b.received_at,
            &b.suggestion_id,
        ))
    });
    items
}
