//! The method effect on the leadership page: each collection method's rate
//! in the assessment year with its interval, beside the random draw
//! (随机抽查), the benchmark — the only method whose raters the rated unit
//! does not choose. A method far above the draw is where ratings may have
//! been collected from friendly raters; the breakdown by subject kind and
//! township is the named query `method_effect`.

use serde::Serialize;

use super::estimate::Estimate;
use super::load::Data;
use super::model::desc;
use crate::contract::Level;

/// The benchmark method: the seed's random draw, the method `pingyi
/// sample` draws raters for (methods are configured by name).
pub const BENCHMARK: &str = "随机抽查";

#[derive(Debug, Serialize)]
pub struct MethodRow {
    pub method: String,
    pub valid: u64,
    #[serde(flatten)]
    pub est: Estimate,
    pub benchmark: bool,
    /// rate − the draw's rate, a fraction (`pp` shows points); None
    /// without a draw in the year.
    pub vs_benchmark: Option<f64>,
}

/// The county's methods in `window` (group_period, level `method`, span
/// `year`), the benchmark first, then by rate.
pub fn rows(data: &Data, window: &str) -> Vec<MethodRow> {
    let year = || {
        data.group_period
            .iter()
            .filter(|g| g.level == Level::Method && g.span == "year" && g.period == window)
    };
    let draw = year()
        .find(|g| g.group.as_deref() == Some(BENCHMARK))
        .and_then(|g| g.rate);
    let mut rows: Vec<MethodRow> = year()
        .map(|g| {
            let method = g.group.clone().unwrap_or_default();
            MethodRow {
                benchmark: method == BENCHMARK,
                vs_benchmark: g.rate.zip(draw).map(|(r, d)| r - d),
                method,
                valid: g.valid,
                est: Estimate::from(g),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.benchmark
            .cmp(&a.benchmark)
            .then_with(|| desc(b.est.rate, a.est.rate))
            .then_with(|| a.method.cmp(&b.method))
    });
    rows
}

/// One method's figures in a township row of the by-kind table.
#[derive(Debug, Serialize)]
pub struct MethodCell {
    pub raters: u64,
    #[serde(flatten)]
    pub est: Estimate,
    /// rate − the benchmark's, a fraction; None for the benchmark itself
    /// or where it did not rate.
    pub vs_benchmark: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct TownshipMethods {
    pub township: String,
    /// The row's style: `total` for the county, `apart` for the county
    /// bodies, empty for a township.
    pub class: &'static str,
    /// One per method of the table, in its order; None where unrated.
    pub cells: Vec<Option<MethodCell>>,
}

/// The method effect for one subject kind, by township (`method_rates`).
#[derive(Debug, Serialize)]
pub struct KindMethods {
    pub kind: String,
    /// The methods rated, the benchmark first.
    pub methods: Vec<String>,
    pub benchmark: Option<String>,
    pub rows: Vec<TownshipMethods>,
}

/// Per subject kind in `window`: each township's rate by method, the
/// county first, then the townships in `order` (the ranking's), then any
/// other group by name (the county bodies last, after the townships).
pub fn by_kind(data: &Data, window: &str, order: &[&str], apart: &str) -> Vec<KindMethods> {
    let year: Vec<_> = data
        .method_rates
        .iter()
        .filter(|m| m.window == window)
        .collect();
    let mut kinds: Vec<&str> = year.iter().map(|m| m.kind.as_str()).collect();
    // Organizations before cadres, as the roster's kinds are listed.
    let kinds_order = |k: &&str| {
        let at = crate::contract::SUBJECT_KINDS.iter().position(|x| x == k);
        (at.unwrap_or(usize::MAX), k.to_string())
    };
    kinds.sort_by_key(kinds_order);
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let rows: Vec<_> = year.iter().filter(|m| m.kind == kind).collect();
            let benchmark = rows.iter().find(|m| m.benchmark).map(|m| m.method.clone());
            let mut methods: Vec<String> = rows.iter().map(|m| m.method.clone()).collect();
            methods.sort_by_key(|m| (Some(m) != benchmark.as_ref(), m.clone()));
            methods.dedup();
            let mut townships: Vec<&str> = rows.iter().map(|m| m.township.as_str()).collect();
            townships.sort_by_key(|t| place(t, order, apart));
            townships.dedup();
            let table = townships
                .into_iter()
                .map(|t| TownshipMethods {
                    township: t.to_string(),
                    class: match place(t, order, apart).0 {
                        0 => "total",
                        3 => "apart",
                        _ => "",
                    },
                    cells: methods
                        .iter()
                        .map(|method| {
                            rows.iter()
                                .find(|m| m.township == t && &m.method == method)
                                .map(|m| MethodCell {
                                    raters: m.raters,
                                    est: Estimate::from(**m),
                                    vs_benchmark: m
                                        .vs_benchmark
                                        .filter(|_| !m.benchmark)
                                        .map(|v| v / 100.0),
                                })
                        })
                        .collect(),
                })
                .collect();
            KindMethods {
                kind: kind.to_string(),
                methods,
                benchmark,
                rows: table,
            }
        })
        .collect()
}

/// A township's place in the by-kind table: the county, the ranked
/// townships, others by name, the county bodies.
fn place(t: &str, order: &[&str], apart: &str) -> (usize, usize, String) {
    if t == crate::compute::method_rates::COUNTY {
        return (0, 0, String::new());
    }
    match order.iter().position(|o| *o == t) {
        Some(i) => (1, i, String::new()),
        None if t == apart => (3, 0, String::new()),
        None => (2, 0, t.to_string()),
    }
}
