//! A period's valid ratings walked response by response, for the cluster
//! sums (`clusters.rs`): each response's rows found once (`Responses`),
//! merged per cell within the response (`merge`: a form rating three items
//! of a subject is one rater of that subject with m = 3), then summed per
//! cell over responses (`accumulate`: k, Σm, Σy, Σy², Σym, Σm²).
//!
//! Polars did this as two group-bys per level, the first with about one
//! group per response (a 64-bit fingerprint among the keys): at ten
//! million ratings 1.1 s of each period's 2.3 s (perf, issue 40). Here
//! the rows are put in response order once and each level is a walk with
//! a hash lookup per (response, cell). The sums are of whole numbers, so
//! they are exact in any order and equal polars' to the bit.

use std::collections::HashMap;

use super::rows::Rows;

/// Our own keys, not an attacker's: the fast hasher.
type Fast = foldhash::fast::RandomState;

/// The rows of each response, in order of the response's first row.
pub struct Responses {
    /// Row indices, each response's rows together.
    order: Vec<u32>,
    /// Where each response's rows start in `order`, and the end.
    starts: Vec<u32>,
}

impl Responses {
    /// Groups rows by their response fingerprint `r`. A form's rows are
    /// usually consecutive, so the lookup is skipped while `r` repeats.
    pub fn new(r: &[u64]) -> Responses {
        let mut id_of: HashMap<u64, u32, Fast> = HashMap::default();
        let mut ids = Vec::with_capacity(r.len());
        let mut last: Option<(u64, u32)> = None;
        for &key in r {
            let id = match last {
                Some((k, id)) if k == key => id,
                _ => {
                    let next = id_of.len() as u32;
                    *id_of.entry(key).or_insert(next)
                }
            };
            last = Some((key, id));
            ids.push(id);
        }
        // A counting sort by response: rows keep their order within one.
        let mut starts = vec![0u32; id_of.len() + 1];
        for &id in &ids {
            starts[id as usize + 1] += 1;
        }
        for j in 1..starts.len() {
            starts[j] += starts[j - 1];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; ids.len()];
        for (row, &id) in ids.iter().enumerate() {
            order[next[id as usize] as usize] = row as u32;
            next[id as usize] += 1;
        }
        Responses { order, starts }
    }

    /// Each response's row indices.
    pub fn runs(&self) -> impl Iterator<Item = &[u32]> {
        self.starts
            .windows(2)
            .map(|w| &self.order[w[0] as usize..w[1] as usize])
    }

    /// Each response's first row.
    pub fn firsts(&self) -> impl Iterator<Item = u32> + '_ {
        self.runs().map(|run| run[0])
    }
}

/// Per response and cell key: the response's m and y in that cell, each
/// response's entries together (`start`), in the responses' order.
#[derive(Default)]
pub struct Parts {
    /// Where each response's entries start, and the end.
    pub start: Vec<u32>,
    pub key: Vec<u64>,
    pub m: Vec<f64>,
    pub y: Vec<f64>,
}

impl Parts {
    /// Each response's entry indices.
    pub fn runs(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.start.windows(2).map(|w| w[0] as usize..w[1] as usize)
    }
}

/// Merges each response's items (`runs`: indices into what `key`, `m` and
/// `y` read) by cell key: one entry per (response, cell).
pub fn merge<R, I>(
    runs: R,
    key: impl Fn(usize) -> u64,
    m: impl Fn(usize) -> f64,
    y: impl Fn(usize) -> f64,
) -> Parts
where
    R: Iterator<Item = I>,
    I: IntoIterator<Item = usize>,
{
    let mut out = Parts {
        start: vec![0],
        ..Parts::default()
    };
    for run in runs {
        let from = out.key.len();
        for i in run {
            let k = key(i);
            // A response has few cells per level: a linear search is fastest.
            match out.key[from..].iter().position(|&x| x == k) {
                Some(at) => {
                    out.m[from + at] += m(i);
                    out.y[from + at] += y(i);
                }
                None => {
                    out.key.push(k);
                    out.m.push(m(i));
                    out.y.push(y(i));
                }
            }
        }
        out.start.push(out.key.len() as u32);
    }
    out
}

/// Per cell: k (responses), Σm, Σy, Σy², Σym, Σm², cells in key order.
#[derive(Default, Debug, PartialEq)]
pub struct Cells {
    pub key: Vec<u64>,
    pub raters: Vec<u32>,
    pub m: Vec<f64>,
    pub y: Vec<f64>,
    pub yy: Vec<f64>,
    pub ym: Vec<f64>,
    pub mm: Vec<f64>,
}

/// Sums `parts` (one entry per response and cell) per cell.
pub fn accumulate(parts: &Parts) -> Cells {
    let mut at: HashMap<u64, usize, Fast> = HashMap::default();
    let mut sums: Vec<(u64, u32, [f64; 5])> = Vec::new();
    for ((&k, &m), &y) in parts.key.iter().zip(&parts.m).zip(&parts.y) {
        let next = sums.len();
        let i = *at.entry(k).or_insert(next);
        if i == next {
            sums.push((k, 0, [0.0; 5]));
        }
        let cell = &mut sums[i];
        cell.1 += 1;
        for (s, v) in cell.2.iter_mut().zip([m, y, y * y, y * m, m * m]) {
            *s += v;
        }
    }
    sums.sort_unstable_by_key(|c| c.0);
    let mut out = Cells::default();
    for (k, raters, [m, y, yy, ym, mm]) in sums {
        out.key.push(k);
        out.raters.push(raters);
        out.m.push(m);
        out.y.push(y);
        out.yy.push(yy);
        out.ym.push(ym);
        out.mm.push(mm);
    }
    out
}

/// Each response's m and y per (period, subject, category, method,
/// channel): the combinations numbered in `combos`, `parts` keyed by number.
pub struct PerSubject {
    pub combos: Vec<[u32; 5]>,
    pub parts: Parts,
}

impl PerSubject {
    /// From the rated rows (`Rows::rated`); a response without any has
    /// no parts (an empty run).
    pub fn new(rows: &Rows, responses: &Responses) -> PerSubject {
        let (of_row, combos) = number(rows.len(), |i| {
            rows.rated[i].then(|| [0, 1, 2, 3, 4].map(|c| rows.code(c, i)))
        });
        let parts = merge(
            rated_of(rows, responses),
            |i| u64::from(of_row[i].expect("every rated row numbered")),
            |_| 1.0,
            |i| rows.y[i],
        );
        PerSubject { combos, parts }
    }
}

/// Each response's rated rows (`Rows::rated`), as `merge` takes them.
pub fn rated_of<'a>(
    rows: &'a Rows,
    responses: &'a Responses,
) -> impl Iterator<Item = impl Iterator<Item = usize> + 'a> + 'a {
    responses
        .runs()
        .map(|run| run.iter().map(|&i| i as usize).filter(|&i| rows.rated[i]))
}

/// A cell's key: period code in the high half, group code in the low.
pub fn cell_key(p: u32, g: u32) -> u64 {
    (u64::from(p) << 32) | u64::from(g)
}

/// Numbers each distinct key of the rows (`key` of a row, None to skip
/// it), in order of first appearance: the numbers by row and the keys by
/// number. A form's rows mostly repeat the last key: no lookup for those.
pub fn number<K: Copy + Eq + std::hash::Hash>(
    rows: usize,
    key: impl Fn(usize) -> Option<K>,
) -> (Vec<Option<u32>>, Vec<K>) {
    let mut index: HashMap<K, u32, Fast> = HashMap::default();
    let mut keys = Vec::new();
    let mut last: Option<(K, u32)> = None;
    let of_row = (0..rows)
        .map(|i| {
            let k = key(i)?;
            let n = match last {
                Some((l, n)) if l == k => n,
                _ => *index.entry(k).or_insert_with(|| {
                    keys.push(k);
                    keys.len() as u32 - 1
                }),
            };
            last = Some((k, n));
            Some(n)
        })
        .collect();
    (of_row, keys)
}

/// The cluster sums of the per-subject parts per cell, each combination's
/// cell given by `cell_of` (None: in no cell). A response's parts in one
/// cell are merged first (a form rating two subjects of a township is one
/// rater of the township).
pub fn combo_cells(per_subject: &PerSubject, cell_of: &[Option<u64>]) -> Cells {
    let parts = &per_subject.parts;
    let cell = |j: usize| cell_of[parts.key[j] as usize];
    let merged = merge(
        parts.runs().map(|run| run.filter(|&j| cell(j).is_some())),
        |j| cell(j).expect("filtered to cells"),
        |j| parts.m[j],
        |j| parts.y[j],
    );
    accumulate(&merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Responses 7, 9 and 7 again (not consecutive), cells by hand.
    #[test]
    fn sums_merge_a_response_first_then_count_it_once_per_cell() {
        let r = [7u64, 7, 9, 7, 9];
        let cell = [1u64, 1, 1, 2, 2];
        let y = [1.0, 0.0, 1.0, 1.0, 1.0];
        let responses = Responses::new(&r);
        let runs: Vec<Vec<u32>> = responses.runs().map(|x| x.to_vec()).collect();
        assert_eq!(runs, vec![vec![0, 1, 3], vec![2, 4]]);
        let parts = merge(
            responses.runs().map(|run| run.iter().map(|&i| i as usize)),
            |i| cell[i],
            |_| 1.0,
            |i| y[i],
        );
        assert_eq!(parts.key, vec![1, 2, 1, 2]);
        assert_eq!(parts.m, vec![2.0, 1.0, 1.0, 1.0]);
        let cells = accumulate(&parts);
        // Cell 1: response 7 (m 2, y 1) and 9 (m 1, y 1).
        // Cell 2: response 7 (m 1, y 1) and 9 (m 1, y 1).
        assert_eq!(
            cells,
            Cells {
                key: vec![1, 2],
                raters: vec![2, 2],
                m: vec![3.0, 2.0],
                y: vec![2.0, 2.0],
                yy: vec![2.0, 2.0],
                ym: vec![3.0, 2.0],
                mm: vec![5.0, 2.0],
            }
        );
    }
}
