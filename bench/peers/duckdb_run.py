"""DuckDB doing the core of a nightly `pingyi run` on one export: the
ingest of duckdb_ingest.py (CSV → Parquet partitioned by period, dates
parsed), then the core group-bys of duckdb_compute.py on that Parquet
(rates by subject × period and township × period, composition by rater
category, the <60% × 1 / <70% × 2 rule). A smaller share of the work.

usage: duckdb_run.py CSV ROSTER_CSV OUT_DIR
"""
import os
import sys

import duckdb

src, roster, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
con = duckdb.connect()
d = "try_strptime(\"评议日期\", '%Y/%-m/%-d')"
con.execute(f"""
    copy (select *, {d}::date as rated_at,
                 strftime({d}, '%Y') || 'Q' || cast(quarter({d}) as varchar) as period
          from read_csv('{src}', header = true, all_varchar = true, ignore_errors = true))
    to '{out}/ratings' (format parquet, compression zstd, partition_by (period))""")
con.execute(f"""create view ratings as select "被评议对象编号" as subject_id, period, "评议人类别" as rater_category,
    ("评价" <> '不了解') as valid, ("评价" in ('满意', '基本满意')) as satisfied
    from read_parquet('{out}/ratings/**/*.parquet', hive_partitioning = true)""")
con.execute(f"""create view subjects as select "被评议对象编号" as subject_id, "乡镇" as township
    from read_csv('{roster}', header = true, all_varchar = true)""")
queries = {
    "subject_period": """select subject_id, period, sum(valid::int) as valid, sum(satisfied::int) as satisfied,
        sum(satisfied::int) / nullif(sum(valid::int), 0) as rate from ratings group by subject_id, period""",
    "township_period": """select s.township, r.period, sum(r.valid::int) as valid, sum(r.satisfied::int) as satisfied,
        sum(r.satisfied::int) / nullif(sum(r.valid::int), 0) as rate
        from ratings r left join subjects s using (subject_id) group by s.township, r.period""",
    "composition": """select subject_id, period, rater_category, count(*) as n,
        count(*) / sum(count(*)) over (partition by subject_id, period) as share
        from ratings group by subject_id, period, rater_category""",
    "breaches": """with sp as (select subject_id, period, substr(period, 1, 4) as yr,
            sum(satisfied::int) / nullif(sum(valid::int), 0) as rate from ratings group by subject_id, period)
        select subject_id, yr, sum((rate < 0.6)::int) as below60, sum((rate < 0.7)::int) as below70
        from sp group by subject_id, yr having sum((rate < 0.6)::int) >= 1 or sum((rate < 0.7)::int) >= 2""",
}
for name, sql in queries.items():
    con.execute(f"copy ({sql}) to '{out}/{name}.parquet' (format parquet, compression zstd)")
print(len(queries))
