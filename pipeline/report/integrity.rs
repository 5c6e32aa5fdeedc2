//! What the internal reports show of the integrity audit (`compute::integrity`):
//! every flag needing verification (需核实), with the subject it concerns
//! where it concerns one. Internal only: the leadership report and the unit
//! cards show these; the public board never does (a flag is a question,
//! not a finding about a person). Nothing is removed from any figure,
//! unless the configuration leaves device bursts out (`excluded_votes`).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::load::{Data, IntegrityFlag};
use super::model::{Index, Who};
use super::templates::Labels;
use crate::compute::integrity::Check;
use crate::render::format::{fill, pct};

/// One flag as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FlagRow {
    /// The check in the report's language.
    pub check: String,
    /// The subject concerned, when the flag is about one.
    pub who: Option<Who>,
    /// The device, collector, channel, rater key (shortened) or kind.
    pub unit: String,
    pub window: String,
    /// When: the first and last rating counted.
    pub span: String,
    pub n: Option<u64>,
    pub q: Option<f64>,
    pub note: String,
    /// The method effect's two rates, face to face beside the draw (the
    /// straight-lining note has its shares already); empty otherwise.
    pub figures: String,
}

/// The label key of a check (`integrity_check_burst` …).
fn label(labels: &Labels, check: &str) -> String {
    match Check::parse(check) {
        Some(c) => labels.get(&format!("integrity_check_{}", c.as_str())),
        None => check.to_string(),
    }
}

/// The unit in words: a rater key is shown by its first characters only
/// (enough to find it with `query`, nothing to recognize a person by).
fn unit(labels: &Labels, f: &IntegrityFlag) -> String {
    let id = f.unit_id.clone().unwrap_or_default();
    let id = if f.unit == "rater_key" {
        format!("{}…", id.chars().take(16).collect::<String>())
    } else {
        id
    };
    format!("{} {id}", labels.get(&format!("integrity_unit_{}", f.unit)))
}

/// The rates a method-effect flag compared, as `integrity_figures_method_effect`
/// words them.
fn figures(labels: &Labels, f: &IntegrityFlag) -> String {
    let method = Check::parse(&f.check) == Some(Check::MethodEffect);
    match (f.share, f.baseline) {
        (Some(share), Some(baseline)) if method => fill(
            &labels.get("integrity_figures_method_effect"),
            &[
                ("share", &pct(Some(share), 1)),
                ("baseline", &pct(Some(baseline), 1)),
            ],
        ),
        _ => String::new(),
    }
}

fn row(f: &IntegrityFlag, idx: &Index, labels: &Labels) -> FlagRow {
    let span = match (&f.first_at, &f.last_at) {
        (Some(a), Some(b)) if a != b => format!("{a} – {b}"),
        (Some(a), _) => a.clone(),
        _ => String::new(),
    };
    FlagRow {
        check: label(labels, &f.check),
        who: f.subject_id.as_deref().map(|s| idx.who(s)),
        unit: unit(labels, f),
        window: f.window.clone().unwrap_or_default(),
        span,
        n: f.n,
        q: f.q,
        note: f.note.clone().unwrap_or_default(),
        figures: figures(labels, f),
    }
}

/// Every flag, in the table's order (check, unit, window): the CSV beside
/// the leadership page (`tables::integrity_sheet`).
pub fn rows(data: &Data, idx: &Index, labels: &Labels) -> Vec<FlagRow> {
    data.integrity.iter().map(|f| row(f, idx, labels)).collect()
}

/// The most flags of one check the leadership page lists; the rest are in
/// `csv/integrity.csv`. A county whose rater keys repeat a lot (or a
/// generated one at ten million ratings: 190,000 duplicate-key flags) made
/// a page of 80 MB no one could read and the run wait seconds to write it.
pub const PAGE_LIMIT: usize = 200;

/// One check's count on the leadership page.
#[derive(Debug, Clone, Serialize)]
pub struct CheckCount {
    pub check: String,
    pub n: usize,
    /// How many of them the page lists (at most `PAGE_LIMIT`).
    pub shown: usize,
}

/// What the leadership page shows of the audit: every check's count, and
/// of each check the `PAGE_LIMIT` flags with the most ratings behind them
/// (ties in the table's order), the checks in the table's order.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Page {
    pub total: usize,
    pub checks: Vec<CheckCount>,
    pub rows: Vec<FlagRow>,
    pub limit: usize,
}

pub fn page(data: &Data, idx: &Index, labels: &Labels) -> Page {
    // Each check's flags, in the order the table first names the check.
    let mut at: HashMap<&str, usize> = HashMap::new();
    let mut groups: Vec<Vec<&IntegrityFlag>> = Vec::new();
    for f in &data.integrity {
        let i = *at.entry(f.check.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(f);
    }
    let mut out = Page {
        total: data.integrity.len(),
        limit: PAGE_LIMIT,
        ..Page::default()
    };
    for mut flags in groups {
        let n = flags.len();
        // Stable: equal counts keep the table's order.
        flags.sort_by_key(|f| std::cmp::Reverse(f.n.unwrap_or(0)));
        flags.truncate(PAGE_LIMIT);
        out.checks.push(CheckCount {
            check: label(labels, &flags[0].check),
            n,
            shown: flags.len(),
        });
        out.rows
            .extend(flags.into_iter().map(|f| row(f, idx, labels)));
    }
    out
}

/// The flags by the subject they concern, in the table's order, for the
/// cards.
pub struct BySubject<'a>(HashMap<&'a str, Vec<&'a IntegrityFlag>>);

impl<'a> BySubject<'a> {
    pub fn new(data: &'a Data) -> BySubject<'a> {
        let mut by: HashMap<&str, Vec<&IntegrityFlag>> = HashMap::new();
        for f in &data.integrity {
            if let Some(s) = f.subject_id.as_deref() {
                by.entry(s).or_default().push(f);
            }
        }
        BySubject(by)
    }

    /// The flags about one subject, as its card lists them.
    pub fn rows(&self, idx: &Index, labels: &Labels, subject: &str) -> Vec<FlagRow> {
        self.0
            .get(subject)
            .map(|fs| fs.iter().map(|f| row(f, idx, labels)).collect())
            .unwrap_or_default()
    }

    /// Whether a subject's figures leave out some of its votes: a device
    /// burst on it while `integrity.exclude_bursts` is on (its card then
    /// says so).
    pub fn excluded(&self, cfg: &crate::config::Config, subject: &str) -> bool {
        cfg.integrity.exclude_bursts
            && self
                .0
                .get(subject)
                .is_some_and(|fs| fs.iter().any(|f| is_device_burst(f)))
    }
}

/// A device's burst: the flag whose votes `integrity.exclude_bursts` leaves
/// out of the rates.
fn is_device_burst(f: &IntegrityFlag) -> bool {
    f.check == Check::Burst.as_str() && f.unit == "device"
}

/// With `integrity.exclude_bursts` on, the votes compute left out of the
/// rates: every vote of a device burst (each vote lies in one burst, the
/// bursts of one device, subject and day being one row).
pub fn excluded_votes(cfg: &crate::config::Config, data: &Data) -> Option<u64> {
    cfg.integrity.exclude_bursts.then(|| {
        data.integrity
            .iter()
            .filter(|f| is_device_burst(f))
            .filter_map(|f| f.n)
            .sum()
    })
}

/// The subjects some flag concerns: their ratings need verification.
pub fn flagged_subjects(data: &Data) -> BTreeSet<&str> {
    data.integrity
        .iter()
        .filter_map(|f| f.subject_id.as_deref())
        .collect()
}
