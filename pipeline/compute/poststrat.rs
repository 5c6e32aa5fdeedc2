//! The post-stratified variance's pieces per subject and period, as R's
//! `svymean` on `postStratify(svydesign(ids = ~response_id), ~quota_group,
//! quotas)` computes them: each rating of quota group g weighs
//! w = Q_g / n_g; its residual from the group's rate is
//! e = w·(y − p_g) / Σ_{g present} Q_g; a response's z_c sums its ratings' e,
//! and Var = k/(k − 1)·Σ z_c² (`ps_zz` here, the factor applied by
//! `evidence`). `ps_w`, `ps_ww`: Σ and Σ² of the responses' weights (each
//! the sum of its ratings' w), for Kish's size where the variance is 0.
//!
//! Computed in the period pass from the per-subject parts (`responses.rs`):
//! each response's m and y merged per (period, subject, quota group), the
//! groups' n_g and rate, then the residuals summed in a fixed order. It was
//! three polars group-bys and two joins keyed on the response fingerprint,
//! 0.25 s of a 1 s period at ten million ratings (issue 40); the arithmetic
//! and its order are unchanged, so the bits are too.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::{DataFrame, IntoColumn, NamedFrom, Series};

use super::codes::Dicts;
use super::lookup::Lookup;
use super::responses::{merge, PerSubject, Responses};
use super::rows::Rows;

/// The pieces per (subject, period): subject_id, period, ps_raters,
/// ps_zz, ps_w, ps_ww.
pub fn pieces(
    per_subject: &PerSubject,
    rows: &Rows,
    responses: &Responses,
    dicts: &Dicts,
    lookup: &Lookup,
) -> Result<DataFrame> {
    let quota_of = quota_codes(dicts, lookup);
    // (period, subject, quota group, quota) per cell, numbered per combination.
    let mut cells: Vec<(u32, u32, u32, f64)> = Vec::new();
    let mut number: HashMap<(u32, u32, u32), u64> = HashMap::new();
    let cell_of: Vec<Option<u64>> = per_subject
        .combos
        .iter()
        .map(|&[s, p, c, _, _]| {
            let &(g, q) = quota_of.get(&(s, c))?;
            Some(*number.entry((p, s, g)).or_insert_with(|| {
                cells.push((p, s, g, q));
                cells.len() as u64 - 1
            }))
        })
        .collect();
    let parts = &per_subject.parts;
    let cell = |j: usize| cell_of[parts.key[j] as usize];
    let by_group = merge(
        parts.runs().map(|run| run.filter(|&j| cell(j).is_some())),
        |j| cell(j).expect("filtered to cells"),
        |j| parts.m[j],
        |j| parts.y[j],
    );
    // Each group's n_g and Σy (whole numbers: exact in any order).
    let (mut n, mut sum) = (vec![0.0; cells.len()], vec![0.0; cells.len()]);
    for ((&k, &m), &y) in by_group.key.iter().zip(&by_group.m).zip(&by_group.y) {
        n[k as usize] += m;
        sum[k as usize] += y;
    }
    // Each (form, group)'s weighted residual and weight.
    let mut residuals = Vec::with_capacity(by_group.key.len());
    for (run, first) in by_group.runs().zip(responses.firsts()) {
        let r = rows.r[first as usize];
        for j in run {
            let k = by_group.key[j] as usize;
            let (p, s, g, quota) = cells[k];
            let (p_g, w) = (sum[k] / n[k], quota / n[k]);
            let (m, y) = (by_group.m[j], by_group.y[j]);
            residuals.push(Row {
                p,
                s,
                r,
                g,
                e: w * (y - p_g * m),
                wm: w * m,
            });
        }
    }
    reduce(residuals, &cells)?.named(dicts)
}

/// (subject code, category code) → quota group and quota, for the pairs of
/// this pass whose org type sets a quota for the category. The quota group
/// is a code: its rank among the configured groups' names, so codes sort
/// as the names do (`reduce` sums in that order).
fn quota_codes(dicts: &Dicts, lookup: &Lookup) -> HashMap<(u32, u32), (u32, f64)> {
    let mut names: Vec<&str> = lookup.quotas.values().map(|(g, _)| g.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let (subjects, categories) = (dicts.get(0), dicts.get(2));
    let mut out = HashMap::new();
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
                let rank = names
                    .binary_search(&g.as_str())
                    .expect("a configured group");
                out.insert((sc, cc), (rank as u32, *q));
            }
        }
    }
    out
}

/// One response's residual and weight in one quota group of a cell.
struct Row {
    p: u32,
    s: u32,
    r: u64,
    g: u32,
    e: f64,
    wm: f64,
}

/// Σ z², Σ w_c and Σ w_c² per (period, subject) from the (form, group) rows,
/// and the coverage from the groups' quotas. The sums are of fractions, so
/// their order decides the last bits: here it is fixed (cells, then forms
/// by fingerprint, then groups by name: group codes sort as the names), so
/// the same warehouse gives the same bytes. The keys are distinct per row,
/// so an unstable sort is exact.
fn reduce(mut rows: Vec<Row>, cells: &[(u32, u32, u32, f64)]) -> Result<Reduced> {
    let mut coverage: HashMap<(u32, u32), f64> = HashMap::new();
    let mut groups: Vec<&(u32, u32, u32, f64)> = cells.iter().collect();
    groups.sort_unstable_by_key(|&&(p, s, g, _)| (p, s, g));
    for &(p, s, _, q) in groups {
        *coverage.entry((p, s)).or_insert(0.0) += q;
    }
    rows.sort_unstable_by_key(|x| (x.p, x.s, x.r, x.g));
    let mut out = Reduced::default();
    let mut i = 0;
    while i < rows.len() {
        let (cell, form) = ((rows[i].p, rows[i].s), rows[i].r);
        let (mut z, mut wc) = (0.0, 0.0);
        while i < rows.len() && (rows[i].p, rows[i].s) == cell && rows[i].r == form {
            z += rows[i].e;
            wc += rows[i].wm;
            i += 1;
        }
        let cov = coverage.get(&cell).copied().unwrap_or(1.0);
        out.add(cell, z / cov, wc);
    }
    Ok(out)
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

    /// The frame, subjects and periods as their texts.
    fn named(self, dicts: &Dicts) -> Result<DataFrame> {
        let subject = dicts.get(0).series("subject_id", self.s.into_iter());
        let period = dicts.get(1).series("period", self.p.into_iter());
        Ok(DataFrame::new_infer_height(vec![
            subject.into_column(),
            period.into_column(),
            Series::new("ps_raters".into(), self.raters).into_column(),
            Series::new("ps_zz".into(), self.zz).into_column(),
            Series::new("ps_w".into(), self.w).into_column(),
            Series::new("ps_ww".into(), self.ww).into_column(),
        ])?)
    }
}
