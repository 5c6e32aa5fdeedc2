//! The overdue rule of the rectification ledger (整改销号台账), written once:
//! an item is overdue on a date when it is not closed (已销号) and its
//! deadline has passed; its days overdue count from the deadline. The
//! metrics (`compute/ledger.rs`), `pingyi ledger` and the reports (through
//! the `days_overdue` column `report/load.rs` adds to each suggestion) all
//! read these expressions, so the three can never disagree on an item.

use polars::prelude::*;

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

/// Open and past its deadline on `as_of` (null where the deadline is).
pub fn overdue(as_of: Date) -> Expr {
    open().and(col("deadline").lt(date_lit(as_of)))
}

/// Days from the deadline to `as_of` for an overdue item, else null.
pub fn days_overdue(as_of: Date) -> Expr {
    when(overdue(as_of))
        .then(date_lit(as_of).cast(DataType::Int32) - col("deadline").cast(DataType::Int32))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .alias("days_overdue")
}
