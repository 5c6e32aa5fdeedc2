//! The integrity checks counted inside the period pass (`period.rs`), on
//! the codes and fingerprints every rating is read as, not on its text:
//! the rater-key checks (`keys.rs`: stuffed forms, busy days) and the
//! per-form counts straight-lining tests (`straight.rs`). A form, a key's
//! stuffing of a subject and a day all lie in one period (ingest holds the
//! period to the date), so per period nothing is missed; only the rows a
//! check lists, or a unit's two counts, get their texts back.
//!
//! Before (issue 40), each check grouped the whole ratings table again on
//! its text columns: at ten million ratings the stuffed-key recount took
//! 6.8 s and straight-lining 4.3 s of a 30 s compute, and their text
//! frames set the 2.9 GB peak.
//!
//! Forms are told apart by the stored 64-bit `response_key` (`r`), as
//! everywhere in compute; two ids sharing a key (about n²/2⁶⁵) would count
//! as one form, never as more.

use anyhow::Result;
use polars::prelude::*;

use std::collections::HashMap;

use crate::compute::codes::Dicts;
use crate::compute::lookup::Lookup;
use crate::compute::responses::{number, Responses};
use crate::compute::rows::Rows;
use crate::compute::rows::{CHANNEL, COLLECTOR, RATER_KEY, RATING, TIME};

/// One period's findings, texts decoded.
pub struct Findings {
    /// One key, one subject, one period, more forms than the limit:
    /// rater_key, subject_id, period, n, first, last (`stamp` values).
    pub stuffed: DataFrame,
    /// One key, one day, more subjects than the limit: rater_key,
    /// rated_at, n, first, last.
    pub busy: DataFrame,
    /// Forms and all-top forms per collector and channel: unit, unit_id,
    /// k, x (`straight.rs` sums the periods and tests).
    pub straight: DataFrame,
}

/// Counts one period's checks over `rows` (`rows.rs` of every
/// rating, none excluded: the audit sees what the rates leave out).
pub fn findings(
    rows: &Rows,
    responses: &Responses,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<Findings> {
    let offsets = offsets(dicts)?;
    let t: Vec<Option<i64>> = rows
        .d
        .iter()
        .zip(&rows.tc)
        .map(|(d, &tc)| Some(i64::from((*d)?) * 2 * 86_400 + offsets[tc as usize]?))
        .collect();
    Ok(Findings {
        stuffed: stuffed(rows, &t, responses, dicts, lookup.max_forms_per_key)?,
        busy: busy(rows, &t, dicts, lookup.max_subjects_per_key_day)?,
        straight: straight_counts(rows, responses, dicts, lookup)?,
    })
}

/// A numbered cell's count and first and last time.
#[derive(Clone, Copy, Default)]
struct Tally {
    n: u32,
    first: Option<i64>,
    last: Option<i64>,
}

/// Each cell's first and last time over its rows (`of_row`), count zero.
fn times(of_row: &[Option<u32>], t: &[Option<i64>], cells: usize) -> Vec<Tally> {
    let mut out = vec![Tally::default(); cells];
    for (cell, &t) in of_row.iter().zip(t) {
        let (Some(cell), Some(t)) = (cell, t) else {
            continue;
        };
        let c = &mut out[*cell as usize];
        c.first = Some(c.first.map_or(t, |f| f.min(t)));
        c.last = Some(c.last.map_or(t, |l| l.max(t)));
    }
    out
}

/// One key, one subject, one period: the forms (distinct responses) per
/// (subject, period, known key), the cells over `max` listed.
fn stuffed(
    rows: &Rows,
    t: &[Option<i64>],
    responses: &Responses,
    dicts: &Dicts,
    max: u32,
) -> Result<DataFrame> {
    let (of_row, cells) = number(rows.len(), |i| {
        Some((rows.subject(i), rows.period(i), rows.k[i]?))
    });
    let mut tally = times(&of_row, t, cells.len());
    let mut seen = Vec::new();
    for run in responses.runs() {
        seen.clear();
        for cell in run.iter().filter_map(|&i| of_row[i as usize]) {
            if !seen.contains(&cell) {
                seen.push(cell);
                tally[cell as usize].n += 1;
            }
        }
    }
    let over: Vec<usize> = (0..cells.len()).filter(|&c| tally[c].n > max).collect();
    let (subjects, periods, keys) = (dicts.get(0), dicts.get(1), dicts.get(RATER_KEY));
    let text = |d: &crate::compute::codes::Dict, f: &dyn Fn(usize) -> u32| {
        Series::new(
            "".into(),
            over.iter().map(|&c| d.text(f(c))).collect::<Vec<_>>(),
        )
    };
    let mut columns = vec![
        text(&keys, &|c| cells[c].2)
            .with_name("rater_key".into())
            .into_column(),
        text(&subjects, &|c| cells[c].0)
            .with_name("subject_id".into())
            .into_column(),
        text(&periods, &|c| cells[c].1)
            .with_name("period".into())
            .into_column(),
    ];
    columns.extend(figures(&over, &tally));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// One key, one day: the distinct subjects per (known key, day), the
/// cells over `max` listed.
fn busy(rows: &Rows, t: &[Option<i64>], dicts: &Dicts, max: u32) -> Result<DataFrame> {
    let (of_row, cells) = number(rows.len(), |i| Some((rows.k[i]?, rows.d[i])));
    let mut tally = times(&of_row, t, cells.len());
    let (with_subject, _) = number(rows.len(), |i| Some((of_row[i]?, rows.subject(i))));
    // Each (cell, subject) numbered once: its first row counts the subject.
    let mut counted = vec![false; rows.len()];
    for (i, pair) in with_subject.iter().enumerate() {
        if let Some(pair) = pair {
            let first = !std::mem::replace(&mut counted[*pair as usize], true);
            if first {
                tally[of_row[i].expect("a numbered cell") as usize].n += 1;
            }
        }
    }
    let over: Vec<usize> = (0..cells.len()).filter(|&c| tally[c].n > max).collect();
    let keys = dicts.get(RATER_KEY);
    let key_texts: Vec<Option<&str>> = over.iter().map(|&c| keys.text(cells[c].0)).collect();
    let days: Vec<Option<i32>> = over.iter().map(|&c| cells[c].1).collect();
    let mut columns = vec![
        Series::new("rater_key".into(), key_texts).into_column(),
        Series::new("rated_at".into(), days)
            .cast(&DataType::Date)?
            .into_column(),
    ];
    columns.extend(figures(&over, &tally));
    Ok(DataFrame::new_infer_height(columns)?)
}

/// The n, first and last columns of the cells `over`.
fn figures(over: &[usize], tally: &[Tally]) -> [Column; 3] {
    let pick =
        |f: &dyn Fn(&Tally) -> Option<i64>| over.iter().map(|&c| f(&tally[c])).collect::<Vec<_>>();
    [
        Series::new(
            "n".into(),
            over.iter().map(|&c| tally[c].n).collect::<Vec<_>>(),
        )
        .into_column(),
        Series::new("first".into(), pick(&|t| t.first)).into_column(),
        Series::new("last".into(), pick(&|t| t.last)).into_column(),
    ]
}

/// A rating's time as one integer that sorts as its text (`first_at`,
/// `last_at`) does: seconds since 1970 × 2 + 1 with a time of day, the
/// day's first second × 2 without one (`2012-12-07` sorts before
/// `2012-12-07 00:00:00`); null for a time that does not parse. Here the
/// offset added to the day's × 2 per time-of-day code: each time in the
/// dictionary parsed once (`super::time_of_day`).
fn offsets(dicts: &Dicts) -> Result<Vec<Option<i64>>> {
    let texts = dicts.get(TIME).all("rated_time");
    let offsets = DataFrame::new_infer_height(vec![texts.into_column()])?
        .lazy()
        .select([when(col("rated_time").is_null())
            .then(lit(0i64))
            .otherwise(super::time_of_day() * lit(2i64) + lit(1i64))
            .alias("offset")])
        .collect()?;
    Ok(offsets.column("offset")?.i64()?.iter().collect())
}

/// Per form (response) with at least `straight_min_items` valid ratings:
/// is every valid rating at the top level, its collector (the first given)
/// and channel (its first valid row's); then per collector and per
/// channel the forms `k` and the all-top ones `x`, texts decoded.
fn straight_counts(
    rows: &Rows,
    responses: &Responses,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<DataFrame> {
    // No code when no rating carries the top label: then no form is all-top.
    let top = {
        let d = dicts.get(RATING);
        (0..d.len() as u32).find(|&c| d.text(c) == Some(lookup.top_label.as_str()))
    };
    let mut by_collector: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut by_channel: HashMap<u32, (u32, u32)> = HashMap::new();
    for run in responses.runs() {
        let valid: Vec<usize> = run
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| rows.valid[i])
            .collect();
        if valid.is_empty() || (valid.len() as u32) < lookup.straight_min_items {
            continue;
        }
        let all_top = valid.iter().all(|&i| Some(rows.g[i]) == top);
        let add = |map: &mut HashMap<u32, (u32, u32)>, unit: u32| {
            let e = map.entry(unit).or_default();
            e.0 += 1;
            e.1 += u32::from(all_top);
        };
        if let Some(co) = valid.iter().find_map(|&i| rows.co[i]) {
            add(&mut by_collector, co);
        }
        add(&mut by_channel, rows.channel(valid[0]));
    }
    let mut out: (Vec<&str>, Vec<String>, Vec<u32>, Vec<u32>) = Default::default();
    for (unit, map, i) in [
        (super::Unit::Collector, by_collector, COLLECTOR),
        (super::Unit::Channel, by_channel, CHANNEL),
    ] {
        let d = dicts.get(i);
        for (code, (k, x)) in map {
            // A unit with no text (a null channel) is not a unit.
            if let Some(id) = d.text(code) {
                out.0.push(unit.as_str());
                out.1.push(id.to_string());
                out.2.push(k);
                out.3.push(x);
            }
        }
    }
    Ok(DataFrame::new_infer_height(vec![
        Series::new("unit".into(), out.0).into_column(),
        Series::new("unit_id".into(), out.1).into_column(),
        Series::new("k".into(), out.2).into_column(),
        Series::new("x".into(), out.3).into_column(),
    ])?)
}

/// The findings' columns with no rows: what an empty warehouse gives.
pub fn empty() -> Result<Findings> {
    let text = |n: &str| Series::new_empty(n.into(), &DataType::String).into_column();
    let typed = |n: &str, t: DataType| Series::new_empty(n.into(), &t).into_column();
    let figures = || {
        [
            typed("n", DataType::UInt32),
            typed("first", DataType::Int64),
            typed("last", DataType::Int64),
        ]
    };
    let stuffed = [text("rater_key"), text("subject_id"), text("period")];
    let busy = [text("rater_key"), typed("rated_at", DataType::Date)];
    Ok(Findings {
        stuffed: DataFrame::new_infer_height(stuffed.into_iter().chain(figures()).collect())?,
        busy: DataFrame::new_infer_height(busy.into_iter().chain(figures()).collect())?,
        straight: DataFrame::new_infer_height(vec![
            text("unit"),
            text("unit_id"),
            typed("k", DataType::UInt32),
            typed("x", DataType::UInt32),
        ])?,
    })
}
