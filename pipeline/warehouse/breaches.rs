//! Breaches counted by assessment year from the computed `breaches` table:
//! what a run record keeps and `pingyi status` shows.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use polars::prelude::col;

use super::Warehouse;

/// Subjects breaking the 诫勉谈话 rule in one assessment year: all of them,
/// and those on sufficient evidence (the breach's evidence `certain`); the
/// rest are possibly below or rest on too few people to act on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BreachCount {
    pub all: u64,
    pub firm: u64,
}

/// 诫勉谈话 cases of the last compute not yet held: pending (待谈话) and,
/// of those, overdue on the compute's as-of date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CaseCount {
    pub pending: u64,
    pub overdue: u64,
}

/// The cases of the last compute (none before compute).
pub fn cases_open(wh: &Warehouse) -> Result<CaseCount> {
    let m = wh.manifest()?;
    if !m.tables.contains_key("cases") {
        return Ok(CaseCount::default());
    }
    let pending = col("status").eq(polars::prelude::lit(
        crate::contract::CaseStatus::Pending.as_str(),
    ));
    let df = wh
        .scan(&m, "cases")?
        .select([
            pending
                .cast(polars::prelude::DataType::UInt64)
                .sum()
                .cast(polars::prelude::DataType::UInt64)
                .alias("pending"),
            col("overdue")
                .cast(polars::prelude::DataType::UInt64)
                .sum()
                .cast(polars::prelude::DataType::UInt64)
                .alias("overdue"),
        ])
        .collect()
        .context("cannot count cases")?;
    let get = |c: &str| -> Result<u64> { Ok(df.column(c)?.u64()?.get(0).unwrap_or(0)) };
    Ok(CaseCount {
        pending: get("pending")?,
        overdue: get("overdue")?,
    })
}

/// Breaches by assessment year (none before compute).
pub fn breaches_by_window(wh: &Warehouse) -> Result<BTreeMap<String, BreachCount>> {
    let m = wh.manifest()?;
    let mut out: BTreeMap<String, BreachCount> = BTreeMap::new();
    if !m.tables.contains_key("breaches") {
        return Ok(out);
    }
    let df = wh
        .scan(&m, "breaches")?
        .select([col("window"), col("evidence")])
        .collect()
        .context("cannot count breaches")?;
    let (windows, evidence) = (df.column("window")?.str()?, df.column("evidence")?.str()?);
    for (w, e) in windows.iter().zip(evidence.iter()) {
        let Some(w) = w else { continue };
        let c = out.entry(w.to_string()).or_default();
        c.all += 1;
        if e == Some(crate::contract::Evidence::Certain.as_str()) {
            c.firm += 1;
        }
    }
    Ok(out)
}
