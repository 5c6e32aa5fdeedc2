//! Case records (诫勉谈话台账): the sheet the organization department fills
//! to say what became of each case the metrics opened. A record must name
//! a case of the last compute (`unknown_case` otherwise: a typo would
//! silently leave the real case 待谈话), a talk held has its day, not before
//! the case opened, and a talk not held says why. Stored as a snapshot
//! (`case_records`, latest row per case wins) with every version kept in
//! `case_records_history`, as the ledger is.

use anyhow::Result;
use polars::prelude::*;

use super::exprs::{map_values, Check};
use super::rules::{bad_date, missing, out_of_bounds, Context, Dates, Plan};
use crate::contract::CaseStatus;
use crate::warehouse::{Manifest, Warehouse};

/// The cases of the warehouse's last compute as (case_id, opened_on in
/// days since 1970, as text for `map_values`); none before a compute.
pub fn known(wh: &Warehouse, m: &Manifest) -> Result<Vec<(String, String)>> {
    if m.tables.get("cases").is_none_or(|f| f.is_empty()) {
        return Ok(Vec::new());
    }
    let df = wh
        .scan(m, "cases")?
        .select([
            col("case_id"),
            col("opened_on")
                .cast(DataType::Int32)
                .cast(DataType::String),
        ])
        .collect()?;
    let ids = df.column("case_id")?.str()?;
    let days = df.column("opened_on")?.str()?;
    Ok(ids
        .iter()
        .zip(days.iter())
        .filter_map(|(i, d)| Some((i?.to_string(), d?.to_string())))
        .collect())
}

/// Derived columns, checks and output of a case sheet.
pub fn plan(ctx: &Context, header: &dyn Fn(&str) -> String, dates: &Dates) -> Plan {
    let statuses: Vec<(String, String)> = CaseStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), s.as_str().to_string()))
        .collect();
    let derived = vec![
        dates["held_on"].clone().alias("__held"),
        map_values(col("status"), &statuses).alias("__status"),
        map_values(col("case_id"), ctx.cases)
            .cast(DataType::Int32)
            .cast(DataType::Date)
            .alias("__opened"),
    ];
    let mut checks = vec![
        missing("case_id", header),
        Check {
            column: "case_id",
            bad: col("__opened").is_null(),
            reason: "unknown_case",
            detail: format!(
                "{} names no case of the last compute: copy the id from `pingyi cases` (run `pingyi compute` first when the cases are new)",
                header("case_id")
            ),
        },
        missing("status", header),
        Check {
            column: "status",
            bad: col("status").is_not_null().and(col("__status").is_null()),
            reason: "unknown_status",
            detail: format!("{} must be 待谈话, 已谈话 or 不予谈话", header("status")),
        },
        bad_date("held_on", "__held", header),
        out_of_bounds("held_on", "__held", header, ctx.bounds, true),
    ];
    checks.extend(consistency(header));
    let output = vec![
        col("case_id"),
        col("subject_id"),
        col("__status").alias("status"),
        col("__held").alias("held_on"),
        col("outcome"),
        col("reason"),
        col("interviewer"),
        col(super::table::LINE),
    ];
    (derived, checks, output)
}

/// A record that contradicts itself or its case.
fn consistency(header: &dyn Fn(&str) -> String) -> Vec<Check> {
    let (status, held, reason) = (header("status"), header("held_on"), header("reason"));
    let is = |s: CaseStatus| col("__status").eq(lit(s.as_str()));
    vec![
        Check {
            column: "held_on",
            bad: is(CaseStatus::Held).and(col("__held").is_null()),
            reason: "held_without_date",
            detail: format!("{status} is 已谈话 but {held} is empty: enter the day the talk was held"),
        },
        Check {
            column: "held_on",
            bad: col("__held").lt(col("__opened")),
            reason: "held_before_opened",
            detail: format!("{held} is before the day the case opened (`pingyi cases` shows it): a talk on this breach cannot precede it; correct the date or the case id"),
        },
        Check {
            column: "reason",
            bad: is(CaseStatus::Declined).and(col("reason").is_null()),
            reason: "declined_without_reason",
            detail: format!("{status} is 不予谈话 but {reason} is empty: say why no talk is held"),
        },
    ]
}
