"""Python polars doing the core of a nightly `pingyi run` on one export:
the ingest of polars_ingest.py (CSV → Parquet partitioned by period, dates
parsed), then the core group-bys of polars_compute.py on that Parquet
(rates by subject × period and township × period, composition by rater
category, the <60% × 1 / <70% × 2 rule). A smaller share of the work.

usage: polars_run.py CSV ROSTER_CSV OUT_DIR
"""
import os
import sys

import polars as pl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from polars_compute import group_bys  # noqa: E402
from polars_ingest import ingest  # noqa: E402

src, roster, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
ingest(src, os.path.join(out, "ratings"))
r = pl.scan_parquet(os.path.join(out, "ratings", "**", "*.parquet"), hive_partitioning=True).select(
    subject_id=pl.col("被评议对象编号"),
    period=pl.col("period"),
    rater_category=pl.col("评议人类别"),
    valid=pl.col("评价") != "不了解",
    satisfied=pl.col("评价").is_in(["满意", "基本满意"]),
)
subjects = pl.scan_csv(roster, infer_schema=False).select(subject_id=pl.col("被评议对象编号"), township=pl.col("乡镇"))
print(group_bys(r, subjects, out))
