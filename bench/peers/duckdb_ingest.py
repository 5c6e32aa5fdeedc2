"""DuckDB doing the core of pingyi's ingest on one export: read the CSV as
text, parse the dates (2012/9/3), derive the quarter, write Parquet (zstd)
partitioned by period. No validation, quarantine, dedupe or hashing: a
smaller share of the work than pingyi does.

usage: duckdb_ingest.py CSV OUT_DIR
"""
import os
import sys

import duckdb

src, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
con = duckdb.connect()
con.execute(
    f"""
    copy (
        select *,
               try_strptime("评议日期", '%Y/%-m/%-d')::date as rated_at,
               strftime(try_strptime("评议日期", '%Y/%-m/%-d'), '%Y') || 'Q'
                 || cast(quarter(try_strptime("评议日期", '%Y/%-m/%-d')) as varchar) as period
        from read_csv('{src}', header = true, all_varchar = true, ignore_errors = true)
    ) to '{out}' (format parquet, compression zstd, partition_by (period))
    """
)
rows = con.execute(f"select count(*) from read_parquet('{out}/**/*.parquet')").fetchone()[0]
print(rows)
