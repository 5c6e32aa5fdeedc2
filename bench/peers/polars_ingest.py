"""Python polars doing the core of pingyi's ingest on one export: read the
CSV as text, parse the dates (2012/9/3), derive the quarter, write Parquet
(zstd) partitioned by period. No validation, quarantine, dedupe or
hashing: a smaller share of the work than pingyi does.

usage: polars_ingest.py CSV OUT_DIR
"""
import os
import sys

import polars as pl


def ingest(src, out):
    """CSV → period-partitioned Parquet under `out`; returns the row count."""
    date = pl.col("评议日期").str.to_date("%Y/%m/%d", strict=False)
    df = (
        pl.scan_csv(src, infer_schema=False, encoding="utf8")
        .with_columns(rated_at=date)
        .with_columns(period=pl.col("rated_at").dt.year().cast(pl.String) + "Q" + pl.col("rated_at").dt.quarter().cast(pl.String))
        .collect()
    )
    df.write_parquet(out, compression="zstd", partition_by="period")
    return df.height


if __name__ == "__main__":
    os.makedirs(sys.argv[2], exist_ok=True)
    print(ingest(sys.argv[1], sys.argv[2]))
