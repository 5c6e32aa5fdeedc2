"""DuckDB computing the core group-bys of `pingyi compute` on the same
warehouse files: rates by subject × period and township × period,
composition by rater category per subject × period, and the <60% × 1 /
<70% × 2 rule per subject and year. No intervals, quotas, trends or ledger:
a smaller share of the work.

usage: duckdb_compute.py WAREHOUSE OUT_DIR
"""
import json
import os
import sys

import duckdb

wh, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
manifest = json.load(open(os.path.join(wh, "MANIFEST.json")))
files = lambda t: "[" + ",".join(f"'{os.path.join(wh, f)}'" for f in manifest["tables"][t]) + "]"
con = duckdb.connect()
con.execute(f"create view ratings as select * from read_parquet({files('ratings')})")
con.execute(f"create view subjects as select * from read_parquet({files('subjects')})")
queries = {
    "subject_period": """
        select subject_id, period, sum(valid::int) as valid, sum(coalesce(satisfied, false)::int) as satisfied,
               sum(coalesce(satisfied, false)::int) / nullif(sum(valid::int), 0) as rate
        from ratings group by subject_id, period""",
    "township_period": """
        select s.township, r.period, sum(r.valid::int) as valid, sum(coalesce(r.satisfied, false)::int) as satisfied,
               sum(coalesce(r.satisfied, false)::int) / nullif(sum(r.valid::int), 0) as rate
        from ratings r join subjects s using (subject_id) group by s.township, r.period""",
    "composition": """
        select subject_id, period, rater_category, count(*) as n,
               count(*) / sum(count(*)) over (partition by subject_id, period) as share
        from ratings group by subject_id, period, rater_category""",
    "breaches": """
        with sp as (
            select subject_id, period, substr(period, 1, 4) as yr,
                   sum(coalesce(satisfied, false)::int) / nullif(sum(valid::int), 0) as rate
            from ratings group by subject_id, period)
        select subject_id, yr, sum((rate < 0.6)::int) as below60, sum((rate < 0.7)::int) as below70
        from sp group by subject_id, yr
        having sum((rate < 0.6)::int) >= 1 or sum((rate < 0.7)::int) >= 2""",
}
for name, sql in queries.items():
    con.execute(f"copy ({sql}) to '{os.path.join(out, name)}.parquet' (format parquet, compression zstd)")
print(len(queries))
