//! Straight-lining: forms whose every item is at the top level (满意 down
//! the column). Some people are that satisfied; a collector whose forms are
//! so far more often than everyone else's filled them in himself (AAPOR's
//! interviewer-falsification checks compare each interviewer with the
//! rest). Tested per collector and per channel: x of its k forms all-top
//! against the others' share p0, one-sided binomial P(X ≥ x | k, p0),
//! Benjamini-Hochberg q over every unit tested.

use anyhow::Result;
use polars::prelude::*;

use super::Check;
use crate::config::Config;
use crate::stats::{benjamini_hochberg, binomial_upper_tail};

/// (unit, id, forms k, all-top x) for every collector and channel: the
/// period pass's counts (`pass::findings`: per form with at least
/// `straight_min_items` valid ratings, whether all are at the top level)
/// summed over the periods.
fn counts(per_period: &DataFrame) -> Result<DataFrame> {
    Ok(per_period
        .clone()
        .lazy()
        .group_by([col("unit"), col("unit_id")])
        .agg([
            col("k").sum().cast(DataType::UInt32),
            col("x").sum().cast(DataType::UInt32),
        ])
        .sort(["unit", "unit_id"], Default::default())
        .collect()?)
}

/// One row per collector and channel with enough forms: its all-top share
/// against the others' (of the same unit kind), p, q and the flag.
pub fn straight_lining(cfg: &Config, per_period: &DataFrame) -> Result<DataFrame> {
    let i = &cfg.integrity;
    let c = counts(per_period)?;
    let units: Vec<&str> = c
        .column("unit")?
        .str()?
        .iter()
        .map(|u| u.unwrap_or(""))
        .collect();
    let ids: Vec<Option<&str>> = c.column("unit_id")?.str()?.iter().collect();
    let k: Vec<u32> = c
        .column("k")?
        .cast(&DataType::UInt32)?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let x: Vec<u32> = c
        .column("x")?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let total = |u: &str| -> (u64, u64) {
        (0..k.len())
            .filter(|&j| units[j] == u)
            .fold((0, 0), |(a, b), j| (a + k[j] as u64, b + x[j] as u64))
    };
    let mut rows = Vec::new();
    for j in 0..k.len() {
        let (kk, xx) = total(units[j]);
        let (others_k, others_x) = (kk - k[j] as u64, xx - x[j] as u64);
        if k[j] < i.straight_min_forms || others_k == 0 {
            continue;
        }
        let p0 = others_x as f64 / others_k as f64;
        let p = binomial_upper_tail(x[j] as u64, k[j] as u64, p0);
        rows.push((j, x[j] as f64 / k[j] as f64, p0, others_k as u32, p));
    }
    let q = benjamini_hochberg(&rows.iter().map(|r| r.4).collect::<Vec<_>>());
    let flagged: Vec<bool> = rows
        .iter()
        .zip(&q)
        .map(|(r, q)| *q < i.alpha && r.1 - r.2 >= i.straight_min_gap)
        .collect();
    let note = |r: &(usize, f64, f64, u32, f64), f: bool| {
        f.then(|| {
            format!(
                "需核实：全部选“{}”的测评表占{:.1}%，其他为{:.1}%",
                cfg.top_label(),
                r.1 * 100.0,
                r.2 * 100.0
            )
        })
    };
    Ok(df! {
        "check" => vec![Check::StraightLining.as_str(); rows.len()],
        "unit" => rows.iter().map(|r| units[r.0]).collect::<Vec<_>>(),
        "unit_id" => rows.iter().map(|r| ids[r.0]).collect::<Vec<_>>(),
        "n" => rows.iter().map(|r| k[r.0]).collect::<Vec<_>>(),
        "share" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "baseline" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "baseline_n" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "gap_pp" => rows.iter().map(|r| (r.1 - r.2) * 100.0).collect::<Vec<_>>(),
        "p" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "q" => q.clone(),
        "flagged" => flagged.clone(),
        "note" => rows.iter().zip(&flagged).map(|(r, f)| note(r, *f)).collect::<Vec<_>>(),
    }?)
}
