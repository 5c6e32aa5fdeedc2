"""Python polars computing the core group-bys of `pingyi compute` on the
same warehouse files: rates by subject × period and township × period,
composition by rater category per subject × period, and the <60% × 1 /
<70% × 2 rule per subject and year. No intervals, quotas, trends or ledger:
a smaller share of the work.

usage: polars_compute.py WAREHOUSE OUT_DIR
"""
import json
import os
import sys

import polars as pl


def group_bys(r, subjects, out):
    """r: subject_id, period, rater_category, valid, satisfied; subjects:
    subject_id, township. Writes the four tables to `out`."""
    counts = [pl.col("valid").sum().alias("valid"), pl.col("satisfied").sum().alias("satisfied")]
    rate = (pl.col("satisfied") / pl.col("valid")).alias("rate")
    sp = r.group_by("subject_id", "period").agg(counts).with_columns(rate)
    plans = {
        "subject_period": sp,
        "township_period": r.join(subjects, on="subject_id", how="left").group_by("township", "period").agg(counts).with_columns(rate),
        "composition": r.group_by("subject_id", "period", "rater_category").agg(n=pl.len()).with_columns(
            share=pl.col("n") / pl.col("n").sum().over("subject_id", "period")
        ),
        "breaches": sp.with_columns(yr=pl.col("period").str.slice(0, 4))
        .group_by("subject_id", "yr")
        .agg(below60=(pl.col("rate") < 0.6).sum(), below70=(pl.col("rate") < 0.7).sum())
        .filter((pl.col("below60") >= 1) | (pl.col("below70") >= 2)),
    }
    frames = pl.collect_all(list(plans.values()))
    for name, df in zip(plans, frames):
        df.write_parquet(os.path.join(out, f"{name}.parquet"), compression="zstd")
    return len(frames)


if __name__ == "__main__":
    wh, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    manifest = json.load(open(os.path.join(wh, "MANIFEST.json")))
    files = lambda t: [os.path.join(wh, f) for f in manifest["tables"][t]]
    r = pl.scan_parquet(files("ratings"), hive_partitioning=False).select(
        "subject_id", "period", "rater_category", "valid", satisfied=pl.col("satisfied").fill_null(False)
    )
    subjects = pl.scan_parquet(files("subjects")).select("subject_id", "township")
    print(group_bys(r, subjects, out))
