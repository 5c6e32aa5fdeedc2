"""Run pingyi's named queries on DuckDB over the same warehouse Parquet files.

    python queries/engines/duckdb_run.py --warehouse warehouse --name breach_list --param year=2012
    python queries/engines/duckdb_run.py --warehouse warehouse --compare target/release/pingyi

Each warehouse table becomes a DuckDB view over the files MANIFEST.json
lists. With --compare, every named query runs on DuckDB with its
`-- example:` parameters and through `pingyi query --name NAME --example`,
and the two answers must have the same columns and the same rows in the same
order (floats to 1e-9); the exit status is the number of queries that
differ.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402


def connect(warehouse):
    con = duckdb.connect()
    for name, files in common.tables(warehouse).items():
        # hive_partitioning off: ratings files sit under period=… folders and
        # carry the period column themselves.
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f'create view "{name}" as select * from read_parquet([{listed}], hive_partitioning = false)')
    return con


def run(con, query, values):
    cur = con.execute(common.bind(query, values))
    columns = [d[0] for d in cur.description]
    return columns, cur.fetchall()


def pingyi_answer(binary, config, queries, name):
    cmd = [binary, "--config", config, "query", "--queries", queries, "--name", name, "--example", "--format", "json"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pingyi failed on {name}: {done.stderr.strip()}")
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return rows


def compare(con, queries, args):
    differ = 0
    for q in queries:
        columns, rows = run(con, q, q["example"])
        theirs = pingyi_answer(args.compare, args.config, args.queries, q["name"])
        problem = None
        if len(theirs) != len(rows):
            problem = f"{len(rows)} rows on DuckDB, {len(theirs)} in pingyi"
        elif theirs and list(theirs[0].keys()) != columns:
            problem = f"columns differ: DuckDB {columns}, pingyi {list(theirs[0].keys())}"
        else:
            for i, (mine, other) in enumerate(zip(rows, theirs)):
                bad = [c for c, v in zip(columns, mine) if not common.same(v, other[c])]
                if bad:
                    problem = f"row {i + 1} differs in {bad}: DuckDB {mine}, pingyi {other}"
                    break
        status = "same" if problem is None else "DIFFERENT: " + problem
        print(f"{q['name']:<32} {len(rows):>6} rows  {status}")
        differ += problem is not None
    return differ


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", required=True, help="the warehouse folder (holds MANIFEST.json)")
    ap.add_argument("--queries", default=str(Path(__file__).resolve().parent.parent), help="folder of NAME.sql")
    ap.add_argument("--name", help="run one named query and print its rows as CSV")
    ap.add_argument("--param", action="append", default=[], help="KEY=VALUE (repeatable)")
    ap.add_argument("--compare", metavar="PINGYI", help="compare every named query with this pingyi binary")
    ap.add_argument("--config", default="pingyi.toml", help="pingyi.toml for --compare")
    args = ap.parse_args()
    con = connect(args.warehouse)
    queries = common.load_queries(args.queries)
    if args.compare:
        sys.exit(compare(con, queries, args))
    by_name = {q["name"]: q for q in queries}
    if args.name not in by_name:
        sys.exit(f"no named query {args.name!r}; known: {', '.join(by_name)}")
    values = dict(p.split("=", 1) for p in args.param)
    columns, rows = run(con, by_name[args.name], values)
    import csv
    out = csv.writer(sys.stdout)
    out.writerow(columns)
    out.writerows(rows)


if __name__ == "__main__":
    main()
