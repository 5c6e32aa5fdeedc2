"""Python polars doing the core of a nightly `pingyi run` on one export:
read the CSV as text, parse the dates (2012/9/3), derive the quarter,
write Parquet (zstd) partitioned by period; then, from that Parquet, the
core group-bys: rates by subject × period and township × period,
composition by rater category, the <60% × 1 / <70% × 2 rule. No
validation, quarantine, dedupe, hashing, intervals, trends, ledger or
reports: a smaller share of the work.

usage: polars_run.py CSV ROSTER_CSV OUT_DIR
"""
import os
import sys

import polars as pl

src, roster, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
SATISFIED = ["满意", "基本满意"]
ABSTAIN = ["不了解"]

date = pl.col("评议日期").str.to_date("%Y/%m/%d", strict=False)
(
    pl.scan_csv(src, infer_schema=False, encoding="utf8")
    .with_columns(rated_at=date)
    .with_columns(period=pl.col("rated_at").dt.year().cast(pl.String) + "Q" + pl.col("rated_at").dt.quarter().cast(pl.String))
    .collect()
    .write_parquet(os.path.join(out, "ratings"), compression="zstd", partition_by="period")
)

r = pl.scan_parquet(os.path.join(out, "ratings", "**", "*.parquet"), hive_partitioning=True).select(
    subject_id=pl.col("被评议对象编号"),
    period=pl.col("period"),
    rater_category=pl.col("评议人类别"),
    valid=~pl.col("评价").is_in(ABSTAIN),
    satisfied=pl.col("评价").is_in(SATISFIED),
)
subjects = pl.scan_csv(roster, infer_schema=False).select(subject_id=pl.col("被评议对象编号"), township=pl.col("乡镇"))
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
print(len(frames))
