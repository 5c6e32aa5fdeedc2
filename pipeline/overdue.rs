//! The overdue rule of the rectification ledger (整改销号台账), written once:
//! an item is overdue on a date when it is not closed (已销号) and the day
//! its deadline falls due has passed. A deadline on a day off (a weekend, a
//! holiday of the State Council's notice) falls due on the next working day
//! (`crate::calendar`), so an item due on 2012-10-01 is not overdue during
//! the National Day week. Days overdue count in calendar days from the
//! deadline (what a notice board says: 逾期 565 天) and in working days from
//! the day it fell due. The metrics (`compute/ledger.rs`), `pingyi ledger`
//! and the reports (`report/load.rs`) all read these expressions, so the
//! three can never disagree on an item.

use anyhow::Result;
use polars::prelude::*;

use crate::calendar::WorkCalendar;
use crate::dates::Date;

/// The status that closes an item (整改销号).
pub const CLOSED: &str = "已销号";

fn date_lit(d: Date) -> Expr {
    lit(d.to_days() as i32).cast(DataType::Date)
}

/// Not closed (null where `status` is null; ingest quarantines those).
pub fn open() -> Expr {
    col("status").neq(lit(CLOSED))
}

/// Adds `due` (the working day the deadline falls due) and
/// `workdays_overdue` (working days after `due` up to `as_of`; null unless
/// overdue) to items with `status` and `deadline`. Only deadlines before
/// the as-of date are looked up in the calendar (a later one is not due yet
/// whatever the calendar says); one of them in a year the calendar lacks is
/// an error naming the calendar's file.
pub fn with_due(items: LazyFrame, cal: &WorkCalendar, as_of: Date) -> Result<LazyFrame> {
    let deadlines = items
        .clone()
        .filter(col("deadline").lt(date_lit(as_of)))
        .select([col("deadline").cast(DataType::Int32)])
        .unique(None, UniqueKeepStrategy::Any)
        .drop_nulls(None)
        .collect()?;
    let mut days = Vec::new();
    let (mut due, mut late) = (Vec::new(), Vec::new());
    for d in deadlines.column("deadline")?.i32()?.into_no_null_iter() {
        let falls_due = cal.due(Date::from_days(i64::from(d)))?;
        days.push(d);
        due.push(falls_due.to_days() as i32);
        late.push(cal.workdays_between(falls_due, as_of)? as i32);
    }
    let table = DataFrame::new_infer_height(vec![
        Column::new("deadline".into(), days).cast(&DataType::Date)?,
        Column::new("__due".into(), due).cast(&DataType::Date)?,
        Column::new("__late".into(), late),
    ])?;
    let joined = items.join(
        table.lazy(),
        [col("deadline")],
        [col("deadline")],
        JoinArgs::new(JoinType::Left),
    );
    Ok(joined
        .with_column(coalesce(&[col("__due"), col("deadline")]).alias("due"))
        .with_column(
            when(overdue(as_of))
                .then(col("__late"))
                .otherwise(lit(NULL).cast(DataType::Int32))
                .alias("workdays_overdue"),
        )
        .drop(cols(["__due", "__late"])))
}

/// Open and past the day its deadline fell due on `as_of` (null where the
/// deadline is). Reads `due`: call on what `with_due` returned.
pub fn overdue(as_of: Date) -> Expr {
    open().and(col("due").lt(date_lit(as_of)))
}

/// Calendar days from the deadline to `as_of` for an overdue item, else null.
pub fn days_overdue(as_of: Date) -> Expr {
    when(overdue(as_of))
        .then(date_lit(as_of).cast(DataType::Int32) - col("deadline").cast(DataType::Int32))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .alias("days_overdue")
}
