//! Forms as clusters (DESIGN §5 "Evidence"): a filled form or a device vote
//! (`response_id`) holds several ratings of one person, so a cell's
//! uncertainty rests on its people, not its ratings. Per cell (a subject or a
//! group in a period) and response i with m_i valid ratings of which y_i are
//! satisfied, this pass keeps the sums the design-based variance needs:
//! k (responses with a valid rating), Σm, Σy, Σy², Σym, Σm², since
//! Σ(y − p·m)² = Σy² − 2pΣym + p²Σm². `evidence::clustered` turns them into
//! n_eff and the Wilson interval; sums of a year are sums of its periods (a
//! response has one period: `distinct.rs` counts on it too).
//!
//! Computed inside the one pass over a period's files (`period.rs`) on the
//! rows' dictionary codes and response fingerprints: one group-by per
//! (cell, response), then per cell, no text keys until the few result rows.
//! The post-stratified variance (R `survey`'s `postStratify` on the clustered
//! design) is computed there too, per subject and period: residuals of each
//! rating from its quota group's rate, weighted, summed per response.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

use super::codes::Dicts;
use super::period::timed;
use super::poststrat;
use super::responses::{
    accumulate, cell_key, combo_cells, merge, rated_of, Cells, PerSubject, Responses,
};
use super::rows::Rows;
use crate::config::Config;
use crate::contract::Level;

/// The levels a cell can be of: the subject, then `group_period`'s levels.
/// Each is grouped by a code column of the rows or an attribute of the subject.
enum Key {
    /// A column of the period's rows, decoded by the dictionary of that index.
    Code(&'static str, usize),
    /// An attribute of the subject (`township` …), from the subject roster.
    Subject(&'static str),
    County,
}

const LEVELS: [(Level, Key); 10] = [
    (Level::Subject, Key::Code("s", 0)),
    (Level::County, Key::County),
    (Level::Township, Key::Subject("township")),
    (Level::Village, Key::Subject("village")),
    (Level::OrgType, Key::Subject("org_type")),
    (Level::PioneerCategory, Key::Subject("pioneer_category")),
    (Level::RaterCategory, Key::Code("c", 2)),
    (Level::Method, Key::Code("me", 3)),
    (Level::Channel, Key::Code("ch", 4)),
    (Level::Item, Key::Code("it", 5)),
];

/// The code columns of a period's rows, in the cube's key order
/// (`rates::CUBE_KEYS`).
const CODES: [&str; 6] = ["s", "p", "c", "me", "ch", "it"];

/// The text columns a period's files are read as codes (`period.rs`), one
/// dictionary each: the cube's keys (`rates::CUBE_KEYS`), then what the
/// integrity checks group by (`integrity::pass`), at the indices below.
pub const CODED: [&str; 10] = [
    "subject_id",
    "period",
    "rater_category",
    "method",
    "channel",
    "item",
    "rater_key",
    "rated_time",
    "rating",
    "collector",
];
pub const CHANNEL: usize = 4;
pub const RATER_KEY: usize = 6;
pub const TIME: usize = 7;
pub const RATING: usize = 8;
pub const COLLECTOR: usize = 9;

/// What the pass needs beyond the ratings: each subject's attributes (the
/// group levels) and each (org type, rater category)'s quota group.
#[derive(Default)]
pub struct Lookup {
    pub(super) subjects: HashMap<String, [Option<String>; 5]>,
    pub(super) quotas: HashMap<(String, String), (String, f64)>,
    /// `integrity.max_forms_per_key`, for the stuffing check's cells.
    pub max_forms_per_key: u32,
    /// `integrity.max_subjects_per_key_day`, for the busy-key check's days.
    pub max_subjects_per_key_day: u32,
    /// The scale's top label and `integrity.straight_min_items`, for the
    /// straight-lining counts.
    pub top_label: String,
    pub straight_min_items: u32,
}

/// The subject attributes the levels group by, in `Lookup::subjects` order;
/// `kind` (required in the roster) for `method_cells`.
const ATTRIBUTES: [&str; 5] = [
    "township",
    "village",
    "org_type",
    "pioneer_category",
    "kind",
];

impl Lookup {
    pub fn new(cfg: &Config, subjects: &DataFrame) -> Result<Lookup> {
        let ids = subjects.column("subject_id")?.str()?;
        let attrs = ATTRIBUTES
            .iter()
            .map(|a| Ok(subjects.column(a)?.str()?.clone()))
            .collect::<Result<Vec<_>>>()?;
        let mut by_id = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            if let Some(id) = id {
                let row = [0, 1, 2, 3, 4].map(|a| attrs[a].get(i).map(String::from));
                by_id.insert(id.to_string(), row);
            }
        }
        let quotas = cfg
            .quota_rows()
            .map(|(o, c, g, share, _)| ((o.to_string(), c.to_string()), (g.to_string(), share)))
            .collect();
        Ok(Lookup {
            subjects: by_id,
            quotas,
            max_forms_per_key: cfg.integrity.max_forms_per_key,
            max_subjects_per_key_day: cfg.integrity.max_subjects_per_key_day,
            top_label: cfg.top_label(),
            straight_min_items: cfg.integrity.straight_min_items,
        })
    }
}

/// The cluster sums of one period's rows, per level and group (`level`,
/// `group`, `period`, `raters`, `m`, `y`, `yy`, `ym`, `mm`), and the
/// post-stratified variance's pieces per subject (`post_stratified`), and
/// the valid rows' m and y per period, subject, category, method, channel
/// and response (codes; `method_cells` sums them further).
pub fn period_sums(
    rows: &Rows,
    responses: &Responses,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<(DataFrame, DataFrame, PerSubject)> {
    let per_subject = timed("per-response sums", || Ok(PerSubject::new(rows, responses)))?;
    let sums = timed("levels", || {
        levels(rows, responses, &per_subject, dicts, lookup)
    })?;
    let ps = timed("post-stratified", || {
        poststrat::pieces(&per_subject, rows, responses, dicts, lookup)
    })?;
    Ok((sums, ps, per_subject))
}

/// The ten levels' cluster sums of one period (`period_sums`): the item
/// level from the rows (a form rates each item once), the others from the
/// per-subject parts, each a walk over the responses (`responses.rs`).
fn levels(
    rows: &Rows,
    responses: &Responses,
    per_subject: &PerSubject,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<DataFrame> {
    let mut out = LevelRows::default();
    for (level, key) in &LEVELS {
        if let Key::Code("it", i) = key {
            let parts = merge(
                rated_of(rows, responses),
                |r| cell_key(rows.period(r), rows.code(5, r)),
                |_| 1.0,
                |r| rows.y[r],
            );
            let d = dicts.get(*i);
            out.add(*level, &accumulate(&parts), dicts, |g| {
                d.text(g).map(String::from)
            });
            continue;
        }
        // Each combination's group code, and the group's text by code.
        let (group_of, texts): (Vec<u32>, Vec<Option<String>>) = match key {
            Key::Code(name, i) => {
                let c = CODES.iter().position(|x| x == name).expect("a code column");
                let d = dicts.get(*i);
                let texts: Vec<Option<String>> = (0..d.len() as u32)
                    .map(|g| d.text(g).map(String::from))
                    .collect();
                (per_subject.combos.iter().map(|k| k[c]).collect(), texts)
            }
            Key::Subject(attr) => {
                let (of_subject, texts) = attribute_codes(dicts, lookup, attr);
                (
                    per_subject
                        .combos
                        .iter()
                        .map(|k| of_subject[k[0] as usize])
                        .collect(),
                    texts,
                )
            }
            Key::County => (
                vec![0; per_subject.combos.len()],
                vec![Some("全县".to_string())],
            ),
        };
        let cell_of: Vec<Option<u64>> = per_subject
            .combos
            .iter()
            .zip(&group_of)
            .map(|(k, &g)| Some(cell_key(k[1], g)))
            .collect();
        out.add(*level, &combo_cells(per_subject, &cell_of), dicts, |g| {
            texts[g as usize].clone()
        });
    }
    out.frame()
}

/// Attribute `attr` of each subject code (`ATTRIBUTES`), as codes into the
/// distinct texts (None: not in the roster or not given).
pub(super) fn attribute_codes(
    dicts: &Dicts,
    lookup: &Lookup,
    attr: &str,
) -> (Vec<u32>, Vec<Option<String>>) {
    let a = ATTRIBUTES
        .iter()
        .position(|x| *x == attr)
        .expect("a subject attribute");
    let subjects = dicts.get(0);
    let mut texts: Vec<Option<String>> = Vec::new();
    let mut index: HashMap<Option<String>, u32> = HashMap::new();
    let codes = (0..subjects.len() as u32)
        .map(|s| {
            let text = subjects
                .text(s)
                .and_then(|id| lookup.subjects.get(id))
                .and_then(|row| row[a].clone());
            *index.entry(text.clone()).or_insert_with(|| {
                texts.push(text);
                texts.len() as u32 - 1
            })
        })
        .collect();
    (codes, texts)
}

/// The levels' cells as the sums frame's columns.
#[derive(Default)]
struct LevelRows {
    level: Vec<&'static str>,
    group: Vec<Option<String>>,
    period: Vec<Option<String>>,
    raters: Vec<u32>,
    sums: [Vec<f64>; 5],
}

impl LevelRows {
    fn add(
        &mut self,
        level: Level,
        cells: &Cells,
        dicts: &Dicts,
        text: impl Fn(u32) -> Option<String>,
    ) {
        let periods = dicts.get(1);
        for (i, &key) in cells.key.iter().enumerate() {
            self.level.push(level.as_str());
            self.group.push(text(key as u32));
            self.period
                .push(periods.text((key >> 32) as u32).map(String::from));
            self.raters.push(cells.raters[i]);
            for (out, from) in self
                .sums
                .iter_mut()
                .zip([&cells.m, &cells.y, &cells.yy, &cells.ym, &cells.mm])
            {
                out.push(from[i]);
            }
        }
    }

    fn frame(self) -> Result<DataFrame> {
        let mut columns = vec![
            Series::new("level".into(), self.level).into_column(),
            Series::new("group".into(), self.group).into_column(),
            Series::new("period".into(), self.period).into_column(),
            Series::new("raters".into(), self.raters).into_column(),
        ];
        for (name, values) in ["m", "y", "yy", "ym", "mm"].iter().zip(self.sums) {
            columns.push(Series::new((*name).into(), values).into_column());
        }
        Ok(DataFrame::new_infer_height(columns)?)
    }
}

/// The sums' columns with no rows: what an empty warehouse gives.
pub fn empty_sums() -> Result<DataFrame> {
    let text = |n: &str| Series::new_empty(n.into(), &DataType::String).into_column();
    let num = |n: &str| Series::new_empty(n.into(), &DataType::Float64).into_column();
    let mut columns = vec![text("level"), text("group"), text("period")];
    columns.push(Series::new_empty("raters".into(), &DataType::UInt32).into_column());
    columns.extend(["m", "y", "yy", "ym", "mm"].map(num));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The post-stratified pieces' columns with no rows.
pub fn empty_ps() -> Result<DataFrame> {
    let text = |n: &str| Series::new_empty(n.into(), &DataType::String).into_column();
    let num = |n: &str| Series::new_empty(n.into(), &DataType::Float64).into_column();
    let mut columns = vec![text("subject_id"), text("period")];
    columns.push(Series::new_empty("ps_raters".into(), &DataType::UInt32).into_column());
    columns.extend(["ps_zz", "ps_w", "ps_ww"].map(num));
    Ok(DataFrame::new_infer_height(columns)?)
}
