"""Run pingyi's named queries, or compute its metric tables, on DuckDB over the same warehouse Parquet files.

    python queries/engines/duckdb_run.py --warehouse warehouse --name breach_list --param year=2012
    python queries/engines/duckdb_run.py --warehouse warehouse --compare target/release/pingyi
    python queries/engines/duckdb_run.py --warehouse warehouse --compute --out metrics --config pingyi.toml [--check]

Each warehouse table becomes a DuckDB view over the files MANIFEST.json
lists. With --compare, every named query runs on DuckDB with its
`-- example:` parameters and through `pingyi query --name NAME --example`,
and the two answers must have the same columns and the same rows in the same
order (floats to 1e-9); the exit status is the number of queries that
differ. With --compute, every SQL model of queries/metrics runs in the order
of its inputs and is written to OUT/NAME.parquet; --check compares each with
the table `pingyi compute` wrote (exit status: how many differ).
"""

import os
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import models  # noqa: E402


def quoted(text):
    return "'" + text.replace("'", "''") + "'"


def read_parquet(files):
    # hive_partitioning off: ratings files sit under period=… folders and
    # carry the period column themselves.
    return f"read_parquet([{', '.join(quoted(f) for f in files)}], hive_partitioning = false)"


def connect(warehouse):
    con = duckdb.connect()
    for name, files in common.tables(warehouse).items():
        con.execute(f'create view "{name}" as select * from {read_parquet(files)}')
    return con


def run(con, query, values):
    cur = con.execute(common.bind(query, values))
    columns = [d[0] for d in cur.description]
    return columns, cur.fetchall()


class Engine:
    """models.compute's view of DuckDB: each model's result is written to
    Parquet (temp file, then renamed) and read back from that file."""

    def __init__(self):
        self.con = duckdb.connect()
        self.names = set()

    def register_files(self, name, files):
        self.con.execute(f'create view "{name}" as select * from {read_parquet(files)}')
        self.names.add(name)

    def register_sql(self, name, sql):
        self.con.execute(f'create view "{name}" as {sql}')
        self.names.add(name)

    def has(self, name):
        return name in self.names

    def fetch(self, sql):
        cur = self.con.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()

    def materialize(self, name, sql, out):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        final = out / f"{name}.parquet"
        tmp = out / f".{name}.parquet.tmp"
        self.con.execute(f"copy ({sql}) to {quoted(str(tmp))} (format parquet, compression zstd)")
        os.replace(tmp, final)
        self.register_files(name, [str(final)])
        return self.fetch(f'select count(*) from "{name}"')[1][0][0]


if __name__ == "__main__":
    args = common.arguments(__doc__, __file__).parse_args()
    if args.compute:
        if not args.out:
            sys.exit("--compute needs --out FOLDER")
        sys.exit(models.compute(Engine(), args, common.tables(args.warehouse)))
    common.main("DuckDB", args, lambda a: connect(a.warehouse), run)
