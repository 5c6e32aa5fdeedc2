//! Period labels (2024, 2024Q3, 2024H1, 2024-07) of date columns under the
//! configured granularity, as polars expressions: the one rule ingest (the
//! `period` of a rating), the ledger (the period an item closed in) and the
//! metrics share. Plain dates live in `dates.rs`.

use polars::prelude::*;

use crate::config::Granularity;

/// The period label of a date under the configured granularity.
pub fn period(date: Expr, g: Granularity) -> Expr {
    let year = date.clone().dt().year().cast(DataType::String);
    match g {
        Granularity::Year => year,
        Granularity::Quarter => concat_str(
            [year, lit("Q"), date.dt().quarter().cast(DataType::String)],
            "",
            false,
        ),
        Granularity::Half => concat_str(
            [
                year,
                lit("H"),
                when(date.dt().month().lt_eq(lit(6)))
                    .then(lit("1"))
                    .otherwise(lit("2")),
            ],
            "",
            false,
        ),
        Granularity::Month => date.dt().strftime("%Y-%m"),
    }
}
