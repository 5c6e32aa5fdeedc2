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
//! rows' dictionary codes, as walks over the responses (`responses.rs`):
//! per (cell, response), then per cell, no text until the few result rows.
//! The post-stratified variance (R `survey`'s `postStratify` on the clustered
//! design) is computed there too, per subject and period: residuals of each
//! rating from its quota group's rate, weighted, summed per response.

use anyhow::Result;
use polars::prelude::*;

use super::codes::Dicts;
use super::lookup::{attribute_codes, Lookup};
use super::poststrat;
use super::responses::{
    accumulate, cell_key, combo_cells, merge, rated_of, Cells, PerSubject, Responses,
};
use super::rows::Rows;
use super::timed::timed;
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
    // Two walks over the same parts, independent: side by side.
    let (sums, ps) = rayon::join(
        || {
            timed("levels", || {
                levels(rows, responses, &per_subject, dicts, lookup)
            })
        },
        || {
            timed("post-stratified", || {
                poststrat::pieces(&per_subject, rows, responses, dicts, lookup)
            })
        },
    );
    Ok((sums?, ps?, per_subject))
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
