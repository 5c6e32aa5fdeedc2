//! The integrity audit (评议真实性核查, DESIGN §9 "Integrity before
//! judgement"): checks that a rating was given freely, once, by a person,
//! one row per unit (a rater key, device, collector, channel, subject or
//! subject kind) × window × check, with the figures behind it and, where
//! the check is a test, its p and Benjamini-Hochberg q.
//!
//! Rule checks (`keys.rs`, `bursts.rs`) list only what exceeds its
//! configured limit; tests (`straight.rs`, `method.rs`) list every unit
//! tested, `flagged` saying which need verification (需核实). Nothing here
//! removes or reweights a rating: the reports show the flags beside the
//! figures, before anyone is judged on them.

mod bursts;
mod keys;
mod method;
pub mod pass;
mod straight;

use anyhow::Result;
use polars::prelude::*;

use crate::config::Config;

pub use bursts::device_burst_votes;

/// The checks, in the order the table lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// One rater key, several forms for one subject in one period.
    DuplicateKey,
    /// One rater key, implausibly many subjects in one day.
    BusyKey,
    /// Many votes for one subject from one device or collector within minutes.
    Burst,
    /// Votes for one subject from one device or collector outside the configured hours.
    OffHours,
    /// A collector's or channel's forms all at the top level far more often than the others'.
    StraightLining,
    /// Face-to-face rates far above the random draw's for the same subject.
    MethodEffect,
}

impl Check {
    pub const ALL: [Check; 6] = [
        Check::DuplicateKey,
        Check::BusyKey,
        Check::Burst,
        Check::OffHours,
        Check::StraightLining,
        Check::MethodEffect,
    ];

    /// The name stored in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::DuplicateKey => "duplicate_key",
            Check::BusyKey => "busy_key",
            Check::Burst => "burst",
            Check::OffHours => "off_hours",
            Check::StraightLining => "straight_lining",
            Check::MethodEffect => "method_effect",
        }
    }

    pub fn parse(name: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// What a row is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    RaterKey,
    Device,
    Collector,
    Channel,
    Subject,
    SubjectKind,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::RaterKey => "rater_key",
            Unit::Device => "device",
            Unit::Collector => "collector",
            Unit::Channel => "channel",
            Unit::Subject => "subject",
            Unit::SubjectKind => "subject_kind",
        }
    }
}

/// The table's columns and types, in stored order (declared with their
/// meanings in `compute::tables`).
pub const COLUMNS: [(&str, DataType); 18] = [
    ("check", DataType::String),
    ("unit", DataType::String),
    ("unit_id", DataType::String),
    ("subject_id", DataType::String),
    ("window", DataType::String),
    ("first_at", DataType::String),
    ("last_at", DataType::String),
    ("n", DataType::UInt32),
    ("threshold", DataType::Float64),
    ("share", DataType::Float64),
    ("baseline", DataType::Float64),
    ("baseline_n", DataType::UInt32),
    ("gap_pp", DataType::Float64),
    ("z", DataType::Float64),
    ("p", DataType::Float64),
    ("q", DataType::Float64),
    ("flagged", DataType::Boolean),
    ("note", DataType::String),
];

/// Every check, one frame in the declared shape: the rater-key checks and
/// straight-lining from what the period pass counted (`pass::Findings`,
/// stacked over the periods), the time checks over the ratings, the method
/// effect over the method cells.
pub fn integrity(
    cfg: &Config,
    ratings: LazyFrame,
    method_cells: LazyFrame,
    found: &pass::Findings,
) -> Result<DataFrame> {
    let votes = bursts::votes(ratings).collect()?.lazy();
    let parts = vec![
        conform(keys::duplicate_key(cfg, &found.stuffed))?,
        conform(keys::busy_key(cfg, &found.busy))?,
        conform(bursts::bursts(cfg, votes.clone()))?,
        conform(bursts::off_hours(cfg, votes))?,
        conform(straight::straight_lining(cfg, &found.straight)?.lazy())?,
        conform(method::method_effect(cfg, method_cells)?.lazy())?,
    ];
    let all = concat(parts, UnionArgs::default())?;
    let order = [
        "check",
        "unit",
        "unit_id",
        "subject_id",
        "window",
        "first_at",
    ];
    Ok(all
        .with_column(
            col("check")
                .replace_strict(
                    lit(Series::new("c".into(), Check::ALL.map(|c| c.as_str()))),
                    lit(Series::new("i".into(), [0u32, 1, 2, 3, 4, 5])),
                    None,
                    Some(DataType::UInt32),
                )
                .alias("__order"),
        )
        .sort(
            std::iter::once("__order").chain(order).collect::<Vec<_>>(),
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .drop(cols(["__order"]))
        .collect()?)
}

/// A check's rows in the declared columns and types; a column the check
/// does not fill is null.
fn conform(mut lf: LazyFrame) -> Result<LazyFrame> {
    let schema = lf.collect_schema()?;
    let columns: Vec<Expr> = COLUMNS
        .iter()
        .map(|(name, dtype)| {
            let x = if schema.contains(name) {
                col(*name)
            } else {
                lit(NULL)
            };
            x.cast(dtype.clone()).alias(*name)
        })
        .collect();
    Ok(lf.select(columns))
}

/// Seconds since 1970-01-01 00:00 of a rating with a time of day
/// (`rated_time`, always `HH:MM:SS` from ingest).
fn seconds() -> Expr {
    day_start() + time_of_day()
}

/// Seconds since midnight of `rated_time` (`HH:MM:SS`).
fn time_of_day() -> Expr {
    let part = |at: i64| {
        col("rated_time")
            .str()
            .slice(lit(at), lit(2))
            .cast(DataType::Int64)
    };
    part(0) * lit(3600i64) + part(3) * lit(60i64) + part(6)
}

/// Seconds since 1970-01-01 00:00 of the start of a rating's day.
fn day_start() -> Expr {
    col("rated_at").cast(DataType::Int32).cast(DataType::Int64) * lit(86_400i64)
}

/// The day of a time in seconds, as text (`2012-12-07`).
fn day_of(ts: Expr) -> Expr {
    (ts / lit(86_400i64))
        .cast(DataType::Int32)
        .cast(DataType::Date)
        .cast(DataType::String)
}

/// The text of a time in seconds (`seconds`): `2012-12-07 03:00:00`. Made
/// for the rows a check lists only: a date format per rating was a tenth of
/// compute (perf, issue 40).
fn text_of(ts: Expr) -> Expr {
    (ts * lit(1000i64))
        .cast(DataType::Datetime(TimeUnit::Milliseconds, None))
        .dt()
        .strftime("%Y-%m-%d %H:%M:%S")
}

/// The text of a stamp (`pass::stamp`): the day alone, or the day and time.
fn stamp_text(order: Expr) -> Expr {
    let ts = order.clone() / lit(2i64);
    when((order % lit(2i64)).eq(lit(0i64)))
        .then(day_of(ts.clone()))
        .otherwise(text_of(ts))
}
