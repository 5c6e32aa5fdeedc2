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


if __name__ == "__main__":
    common.main("DuckDB", common.arguments(__doc__, __file__).parse_args(), lambda a: connect(a.warehouse), run)
