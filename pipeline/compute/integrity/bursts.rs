//! Device and collector checks on the time of day (`rated_time`): many
//! votes for one subject within minutes (a button pressed over and over),
//! and votes outside the hours a service hall or a home visit keeps. Only
//! ratings with a time of day and a device or collector take part.

use polars::prelude::*;

use super::{day_of, seconds, text_of, Check, Unit};
use crate::config::Config;

/// One row per vote (response) of one subject by one device or collector:
/// unit, unit_id, subject_id, period, ts (seconds). Collected once for
/// both checks (`super::integrity`): each scanned the ratings before.
pub(super) fn votes(ratings: LazyFrame) -> LazyFrame {
    let timed = ratings.filter(col("rated_time").is_not_null());
    let by = |unit: Unit, column: &str| {
        timed
            .clone()
            .filter(col(column).is_not_null())
            .group_by([
                col(column).alias("unit_id"),
                col("subject_id"),
                col("response_id"),
            ])
            .agg([col("period").first(), seconds().min().alias("ts")])
            .with_column(lit(unit.as_str()).alias("unit"))
    };
    concat(
        [
            by(Unit::Device, "device_id"),
            by(Unit::Collector, "collector"),
        ],
        UnionArgs::default(),
    )
    .expect("two frames of the same columns")
}

/// Each vote inside a burst: more than `burst_votes` votes for one subject
/// from one unit within `burst_minutes`. With a unit's votes for a subject
/// in time order, vote i ends such a window when vote i − N (N =
/// burst_votes) is of the same unit and subject and less than T minutes
/// before it. The windows ending on one day make one burst, its votes those
/// between the first window's start and the last one's end.
fn burst_votes(cfg: &Config, all: LazyFrame) -> LazyFrame {
    let (n, minutes) = (cfg.integrity.burst_votes, cfg.integrity.burst_minutes);
    let keys = ["unit", "unit_id", "subject_id"];
    let back = |c: &str| col(c).shift(lit(n as i64));
    let same = keys
        .iter()
        .map(|k| back(k).eq(col(*k)))
        .reduce(|a, b| a.and(b))
        .expect("three keys");
    let ends = all
        .clone()
        .sort(["unit", "unit_id", "subject_id", "ts"], Default::default())
        .with_column(back("ts").alias("from_ts"))
        .filter(same.and((col("ts") - col("from_ts")).lt(lit(minutes as i64 * 60))))
        .group_by([
            col("unit"),
            col("unit_id"),
            col("subject_id"),
            day_of(col("ts")).alias("window"),
        ])
        .agg([col("from_ts").min(), col("ts").max().alias("to_ts")])
        .with_columns([
            text_of(col("from_ts")).alias("first_at"),
            text_of(col("to_ts")).alias("last_at"),
        ]);
    ends.join(
        all,
        keys.map(col),
        keys.map(col),
        JoinArgs::new(JoinType::Inner),
    )
    .filter(
        col("ts")
            .gt_eq(col("from_ts"))
            .and(col("ts").lt_eq(col("to_ts"))),
    )
}

/// The bursts, one row per unit, subject and day (see `burst_votes`), of
/// the `votes`.
pub fn bursts(cfg: &Config, votes: LazyFrame) -> LazyFrame {
    let (n, minutes) = (cfg.integrity.burst_votes, cfg.integrity.burst_minutes);
    burst_votes(cfg, votes)
        .group_by(
            [
                "unit",
                "unit_id",
                "subject_id",
                "window",
                "first_at",
                "last_at",
            ]
            .map(col),
        )
        .agg([len().alias("n")])
        .with_columns([
            lit(Check::Burst.as_str()).alias("check"),
            lit(n as f64).alias("threshold"),
            lit(true).alias("flagged"),
            concat_str(
                [
                    lit("需核实："),
                    col("n").cast(DataType::String),
                    lit(format!("票在{minutes}分钟内来自同一")),
                    when(col("unit").eq(lit(Unit::Device.as_str())))
                        .then(lit("评价器"))
                        .otherwise(lit("采集人")),
                    lit(format!("（上限{n}票）")),
                ],
                "",
                true,
            )
            .alias("note"),
        ])
}

/// The votes of device bursts as (response_id, subject_id), for leaving
/// them out of the rates when `integrity.exclude_bursts` is on. A device
/// vote is one response of one rating.
pub fn device_burst_votes(cfg: &Config, ratings: LazyFrame) -> LazyFrame {
    burst_votes(cfg, votes(ratings))
        .filter(col("unit").eq(lit(Unit::Device.as_str())))
        .select([col("response_id"), col("subject_id")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(["subject_id", "response_id"], Default::default())
}

/// `off_hours_votes` or more votes for one subject from one unit in one
/// period outside `hours` (from o'clock up to, not including, to), of the
/// `votes`.
pub fn off_hours(cfg: &Config, votes: LazyFrame) -> LazyFrame {
    let [from, to] = cfg.integrity.hours;
    let min = cfg.integrity.off_hours_votes;
    let hour = (col("ts") % lit(86_400i64)) / lit(3600i64);
    votes
        .filter(
            hour.clone()
                .lt(lit(from as i64))
                .or(hour.gt_eq(lit(to as i64))),
        )
        .group_by(["unit", "unit_id", "subject_id", "period"].map(col))
        .agg([
            len().alias("n"),
            col("ts").min().alias("first_ts"),
            col("ts").max().alias("last_ts"),
        ])
        .filter(col("n").gt_eq(lit(min)))
        .with_columns([
            text_of(col("first_ts")).alias("first_at"),
            text_of(col("last_ts")).alias("last_at"),
        ])
        .with_columns([
            lit(Check::OffHours.as_str()).alias("check"),
            col("period").alias("window"),
            lit(min as f64).alias("threshold"),
            lit(true).alias("flagged"),
            concat_str(
                [
                    lit("需核实："),
                    col("n").cast(DataType::String),
                    lit(format!("票在{from:02}:00–{to:02}:00以外")),
                ],
                "",
                true,
            )
            .alias("note"),
        ])
}
