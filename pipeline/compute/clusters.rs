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

use super::codes::{Dicts, FileColumns};
use super::period::timed;
use super::responses::{
    accumulate, cell_key, combo_cells, merge, rows_of, Cells, PerSubject, Responses, Valid,
};
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
    subjects: HashMap<String, [Option<String>; 5]>,
    quotas: HashMap<(String, String), (String, f64)>,
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

/// One file's rows as the pass needs them: the cube's codes, the response
/// fingerprint `r`, the integrity checks' codes (rater key `k` and
/// collector `co`, null where the text is; time of day `tc`, rating `g`),
/// the valid and satisfied flags and the day (`d`, days since 1970 of
/// `rated_at`).
pub fn rows(file: &FileColumns, dicts: &Dicts) -> Result<DataFrame> {
    let mut columns: Vec<Column> = CODES
        .iter()
        .zip(&file.codes)
        .map(|(name, c)| Series::new((*name).into(), c.as_slice()).into_column())
        .collect();
    columns.push(Series::new("r".into(), file.prints[0].as_slice()).into_column());
    let nullable = |name: &str, i: usize| {
        let null = dicts.get(i).null_code();
        let codes = file.codes[i]
            .iter()
            .map(|&c| (Some(c) != null).then_some(c));
        UInt32Chunked::from_iter_options(name.into(), codes).into_column()
    };
    columns.push(nullable("k", RATER_KEY));
    columns.push(nullable("co", COLLECTOR));
    columns.push(Series::new("tc".into(), file.codes[TIME].as_slice()).into_column());
    columns.push(Series::new("g".into(), file.codes[RATING].as_slice()).into_column());
    for v in &file.values[..2] {
        columns.push(v.clone().into_column());
    }
    let day = file.values[3].cast(&DataType::Int32)?.with_name("d".into());
    columns.push(day.into_column());
    Ok(DataFrame::new_infer_height(columns)?)
}

/// A code column's texts, as a frame (code, text) to join.
fn dict_frame(dicts: &Dicts, i: usize, text: &str) -> Result<DataFrame> {
    let d = dicts.get(i);
    let n = d.len() as u32;
    Ok(DataFrame::new_infer_height(vec![
        Series::new("code".into(), (0..n).collect::<Vec<_>>()).into_column(),
        d.series(text, 0..n).into_column(),
    ])?)
}

/// `lf` with the text of its code column `code` (dictionary `i`) as the
/// column `text`: a left join on the dictionary's (code, text) frame.
pub(super) fn decode(
    lf: LazyFrame,
    dicts: &Dicts,
    code: &str,
    i: usize,
    text: &str,
) -> Result<LazyFrame> {
    Ok(lf.join(
        dict_frame(dicts, i, text)?.lazy(),
        [col(code)],
        [col("code")],
        JoinArgs::new(JoinType::Left),
    ))
}

/// The cluster sums of one period's rows, per level and group (`level`,
/// `group`, `period`, `raters`, `m`, `y`, `yy`, `ym`, `mm`), and the
/// post-stratified variance's pieces per subject (`post_stratified`), and
/// the valid rows' m and y per period, subject, category, method, channel
/// and response (codes; `method_cells` sums them further).
pub fn period_sums(
    rows: LazyFrame,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<(DataFrame, DataFrame, PerSubject)> {
    let (valid, responses, per_subject) = timed("per-response sums", || {
        let valid = Valid::collect(rows)?;
        let responses = Responses::new(&valid.r);
        let per_subject = PerSubject::new(&valid, &responses);
        Ok((valid, responses, per_subject))
    })?;
    let sums = timed("levels", || {
        levels(&valid, &responses, &per_subject, dicts, lookup)
    })?;
    let ps = timed("post-stratified", || {
        let frame = per_subject.frame(&valid, &responses)?;
        let ps = post_stratified(frame.lazy(), dicts, lookup)?;
        let ps = decode(
            decode(ps, dicts, "p", 1, "period")?,
            dicts,
            "s",
            0,
            "subject_id",
        )?;
        let columns = [
            "subject_id",
            "period",
            "ps_raters",
            "ps_zz",
            "ps_w",
            "ps_ww",
        ];
        Ok(ps.select(columns.map(col)).collect()?)
    })?;
    Ok((sums, ps, per_subject))
}

/// The ten levels' cluster sums of one period (`period_sums`): the item
/// level from the rows (a form rates each item once), the others from the
/// per-subject parts, each a walk over the responses (`responses.rs`).
fn levels(
    valid: &Valid,
    responses: &Responses,
    per_subject: &PerSubject,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<DataFrame> {
    let mut out = LevelRows::default();
    for (level, key) in &LEVELS {
        if let Key::Code("it", i) = key {
            let parts = merge(
                rows_of(responses),
                |r| cell_key(valid.code(1, r), valid.code(5, r)),
                |_| 1.0,
                |r| valid.y[r],
            );
            let d = dicts.get(*i);
            out.add(*level, &accumulate(&parts), dicts, |g| {
                d.text(g).map(String::from)
            });
            continue;
        }
        // Each combination's group code, and the group's text by code.
        let (group_of, text): (Vec<u32>, Box<dyn Fn(u32) -> Option<String>>) = match key {
            Key::Code(name, i) => {
                let c = CODES.iter().position(|x| x == name).expect("a code column");
                let d = dicts.get(*i);
                let texts: Vec<Option<String>> = (0..d.len() as u32)
                    .map(|g| d.text(g).map(String::from))
                    .collect();
                (
                    per_subject.combos.iter().map(|k| k[c]).collect(),
                    Box::new(move |g| texts[g as usize].clone()),
                )
            }
            Key::Subject(attr) => {
                let (of_subject, texts) = attribute_codes(dicts, lookup, attr);
                (
                    per_subject
                        .combos
                        .iter()
                        .map(|k| of_subject[k[0] as usize])
                        .collect(),
                    Box::new(move |g| texts[g as usize].clone()),
                )
            }
            Key::County => (
                vec![0; per_subject.combos.len()],
                Box::new(|_| Some("全县".to_string())),
            ),
        };
        let cell_of: Vec<Option<u64>> = per_subject
            .combos
            .iter()
            .zip(&group_of)
            .map(|(k, &g)| Some(cell_key(k[1], g)))
            .collect();
        out.add(*level, &combo_cells(per_subject, &cell_of), dicts, text);
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

/// (subject code, category code) → quota group and quota, for the pairs of
/// this pass whose org type sets a quota for the category. The quota group
/// is a code (`qg`): its rank among the configured groups' names, so codes
/// sort as the names do (`reduce` sums in that order) and the group-bys
/// and joins below key on integers, not text (perf, issue 40).
fn quota_codes(dicts: &Dicts, lookup: &Lookup) -> Result<DataFrame> {
    let mut names: Vec<&str> = lookup.quotas.values().map(|(g, _)| g.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let (subjects, categories) = (dicts.get(0), dicts.get(2));
    let (mut s, mut c, mut group, mut quota) = (vec![], vec![], vec![], vec![]);
    for sc in 0..subjects.len() as u32 {
        let org_type = subjects
            .text(sc)
            .and_then(|id| lookup.subjects.get(id))
            .and_then(|a| a[2].clone());
        let Some(org_type) = org_type else { continue };
        for cc in 0..categories.len() as u32 {
            let Some(cat) = categories.text(cc) else {
                continue;
            };
            if let Some((g, q)) = lookup.quotas.get(&(org_type.clone(), cat.to_string())) {
                s.push(sc);
                c.push(cc);
                let rank = names
                    .binary_search(&g.as_str())
                    .expect("a configured group");
                group.push(rank as u32);
                quota.push(*q);
            }
        }
    }
    Ok(DataFrame::new_infer_height(vec![
        Series::new("s".into(), s).into_column(),
        Series::new("c".into(), c).into_column(),
        Series::new("qg".into(), group).into_column(),
        Series::new("quota".into(), quota).into_column(),
    ])?)
}

/// The post-stratified variance's pieces per subject and period, as R's
/// `svymean` on `postStratify(svydesign(ids = ~response_id), ~quota_group,
/// quotas)` computes them: each rating of quota group g weighs
/// w = Q_g / n_g; its residual from the group's rate is
/// e = w·(y − p_g) / Σ_{g present} Q_g; a response's z_c sums its ratings' e,
/// and Var = k/(k − 1)·Σ z_c² (`ps_zz` here, the factor applied by
/// `evidence`). `ps_w`, `ps_ww`: Σ and Σ² of the responses' weights (each
/// the sum of its ratings' w), for Kish's size where the variance is 0.
fn post_stratified(per_subject: LazyFrame, dicts: &Dicts, lookup: &Lookup) -> Result<LazyFrame> {
    let by_group = per_subject
        .join(
            quota_codes(dicts, lookup)?.lazy(),
            [col("s"), col("c")],
            [col("s"), col("c")],
            JoinArgs::new(JoinType::Inner),
        )
        .group_by([col("p"), col("s"), col("qg"), col("r")])
        .agg([col("m").sum(), col("y").sum(), col("quota").first()])
        .cache();
    let groups = by_group
        .clone()
        .group_by([col("p"), col("s"), col("qg")])
        .agg([
            col("m").sum().alias("n_g"),
            col("y").sum().alias("s_g"),
            col("quota").first(),
        ])
        .with_columns([
            (col("s_g") / col("n_g")).alias("p_g"),
            (col("quota") / col("n_g")).alias("w"),
        ]);
    // Each (form, group)'s weighted residual and weight, elementwise (the
    // same bits in any row order); summed below in a fixed order.
    let rows = by_group
        .join(
            groups.clone(),
            [col("p"), col("s"), col("qg")],
            [col("p"), col("s"), col("qg")],
            JoinArgs::new(JoinType::Inner),
        )
        .select([
            col("p"),
            col("s"),
            col("r"),
            col("qg"),
            (col("w") * (col("y") - col("p_g") * col("m"))).alias("e"),
            (col("w") * col("m")).alias("wm"),
        ])
        .collect()?;
    let quotas = groups
        .select([col("p"), col("s"), col("qg"), col("quota")])
        .collect()?;
    Ok(reduce(&rows, &quotas)?.lazy())
}

/// Σ z², Σ w_c and Σ w_c² per (period, subject) from the (form, group) rows,
/// and the coverage from the groups' quotas. The sums are of fractions, so
/// their order decides the last bits: here it is fixed (cells, then forms
/// by fingerprint, then groups by name: `qg` codes sort as the names), so
/// the same warehouse gives the same bytes; a group-by's row order is not
/// fixed. The keys are distinct per row, so an unstable sort is exact.
fn reduce(rows: &DataFrame, quotas: &DataFrame) -> Result<DataFrame> {
    let u32s = |df: &DataFrame, c: &str| -> Result<Vec<u32>> {
        Ok(df.column(c)?.u32()?.into_no_null_iter().collect())
    };
    let f64s = |df: &DataFrame, c: &str| -> Result<Vec<f64>> {
        Ok(df.column(c)?.f64()?.into_no_null_iter().collect())
    };
    let mut coverage: HashMap<(u32, u32), f64> = HashMap::new();
    {
        let (p, s, g, q) = (
            u32s(quotas, "p")?,
            u32s(quotas, "s")?,
            u32s(quotas, "qg")?,
            f64s(quotas, "quota")?,
        );
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_unstable_by_key(|&i| (p[i], s[i], g[i]));
        for i in order {
            *coverage.entry((p[i], s[i])).or_insert(0.0) += q[i];
        }
    }
    let (p, s, g) = (u32s(rows, "p")?, u32s(rows, "s")?, u32s(rows, "qg")?);
    let r: Vec<u64> = rows.column("r")?.u64()?.into_no_null_iter().collect();
    let (e, wm) = (f64s(rows, "e")?, f64s(rows, "wm")?);
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_unstable_by_key(|&i| (p[i], s[i], r[i], g[i]));
    let mut out = Reduced::default();
    let mut i = 0;
    while i < order.len() {
        let (cell, form) = ((p[order[i]], s[order[i]]), r[order[i]]);
        let (mut z, mut wc) = (0.0, 0.0);
        while i < order.len() && (p[order[i]], s[order[i]]) == cell && r[order[i]] == form {
            z += e[order[i]];
            wc += wm[order[i]];
            i += 1;
        }
        let cov = coverage.get(&cell).copied().unwrap_or(1.0);
        out.add(cell, z / cov, wc);
    }
    out.frame()
}

/// The per-cell accumulators of `reduce`, cells in the order they end.
#[derive(Default)]
struct Reduced {
    p: Vec<u32>,
    s: Vec<u32>,
    raters: Vec<u32>,
    zz: Vec<f64>,
    w: Vec<f64>,
    ww: Vec<f64>,
}

impl Reduced {
    fn add(&mut self, (p, s): (u32, u32), z: f64, wc: f64) {
        if self.p.last() != Some(&p) || self.s.last() != Some(&s) {
            self.p.push(p);
            self.s.push(s);
            self.raters.push(0);
            self.zz.push(0.0);
            self.w.push(0.0);
            self.ww.push(0.0);
        }
        let last = self.p.len() - 1;
        self.raters[last] += 1;
        self.zz[last] += z * z;
        self.w[last] += wc;
        self.ww[last] += wc * wc;
    }

    fn frame(self) -> Result<DataFrame> {
        Ok(DataFrame::new_infer_height(vec![
            Series::new("p".into(), self.p).into_column(),
            Series::new("s".into(), self.s).into_column(),
            Series::new("ps_raters".into(), self.raters).into_column(),
            Series::new("ps_zz".into(), self.zz).into_column(),
            Series::new("ps_w".into(), self.w).into_column(),
            Series::new("ps_ww".into(), self.ww).into_column(),
        ])?)
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
