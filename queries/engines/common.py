"""Shared by the engine scripts: read the named queries in queries/*.sql,
bind their :parameters as SQL literals (the same rule as `pingyi query`),
and find the warehouse's committed Parquet files through MANIFEST.json.

Only the manifest says which files are committed: a file in the warehouse
folder that the manifest does not list is an interrupted write, never data.
"""

import argparse
import csv
import json
import math
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path


def load_queries(folder):
    """Every NAME.sql in `folder`, sorted by name."""
    return [parse(p.stem, p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.sql"))]


def parse(name, text):
    header = []
    for line in text.splitlines():
        if not line.lstrip().startswith("--"):
            break
        header.append(line.lstrip().lstrip("-").strip())
    params, example = [], {}
    for h in header:
        if h.startswith("param:"):
            params.append(re.split(r"\s*[—-]\s*", h[len("param:"):].strip(), maxsplit=1)[0])
        elif h.startswith("example:"):
            example.update(kv.split("=", 1) for kv in h[len("example:"):].split() if "=" in kv)
    return {"name": name, "description": header[0] if header else "", "params": params,
            "example": example, "sql": text}


def literal(value):
    """Numbers as they are, anything else as a quoted string."""
    if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        return value
    return "'" + value.replace("'", "''") + "'"


def bind(query, values):
    missing = [p for p in query["params"] if p not in values]
    extra = [k for k in values if k not in query["params"]]
    if missing or extra:
        raise SystemExit(f"{query['name']}: missing {missing}, unknown {extra}; takes {query['params']}")
    sql = query["sql"]
    for p in query["params"]:
        # a whole placeholder: not `::type`, not the start of a longer name
        sql = re.sub(r"(?<!:):" + re.escape(p) + r"(?![A-Za-z0-9_])", lambda _m, p=p: literal(values[p]), sql)
    return sql


def tables(warehouse, read_text=None):
    """Table name -> absolute paths of its committed Parquet files. A
    warehouse given as a URI (hdfs://, s3a://) is read with `read_text`
    (the engine's own file system) and its files named under the same URI."""
    if "://" in warehouse:
        root = warehouse.rstrip("/")
        manifest = json.loads(read_text(root + "/MANIFEST.json"))
        path = lambda f: root + "/" + f  # noqa: E731
    else:
        local = Path(warehouse).resolve()
        if not (local / "MANIFEST.json").is_file():
            raise SystemExit(f"{local}: not a pingyi warehouse (no MANIFEST.json); "
                             "pass the folder `pingyi ingest` wrote (paths.warehouse in pingyi.toml)")
        try:
            manifest = json.loads((local / "MANIFEST.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise SystemExit(f"{local / 'MANIFEST.json'}: cannot be read as a pingyi manifest: {e}")
        path = lambda f: str(local / f)  # noqa: E731
    out = {}
    for name, files in manifest["tables"].items():
        parquet = [path(f) for f in files if f.endswith(".parquet")]
        if parquet:
            out[name] = parquet
    return out


def normalize(value):
    """A value as comparable across engines: numbers as floats, dates as ISO text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    a, b = normalize(a), normalize(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def pingyi_answer(binary, config, queries, name):
    """pingyi's rows for a named query with its example, as dicts in order."""
    cmd = [binary, "--config", config, "query", "--queries", queries, "--name", name, "--example", "--format", "json"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pingyi failed on {name}: {done.stderr.strip()}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def difference(engine, columns, rows, theirs):
    """None when the engine's rows equal pingyi's, else what differs."""
    if len(theirs) != len(rows):
        return f"{len(rows)} rows on {engine}, {len(theirs)} in pingyi"
    if theirs and list(theirs[0].keys()) != columns:
        return f"columns differ: {engine} {columns}, pingyi {list(theirs[0].keys())}"
    for i, (mine, other) in enumerate(zip(rows, theirs)):
        bad = [c for c, v in zip(columns, mine) if not same(v, other[c])]
        if bad:
            return f"row {i + 1} differs in {bad}: {engine} {mine}, pingyi {other}"
    return None


def compare(engine, run, handle, queries, args):
    """Every named query with its example on the engine and in pingyi; one
    line each; returns how many differ (an engine error counts)."""
    differ = 0
    for q in queries:
        try:
            columns, rows = run(handle, q, q["example"])
        except Exception as e:  # a query the engine cannot run is a difference
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"{q['name']:<32} {'-':>6} rows  DIFFERENT: {engine} failed: {first}", flush=True)
            differ += 1
            continue
        theirs = pingyi_answer(args.compare, args.config, args.queries, q["name"])
        problem = difference(engine, columns, rows, theirs)
        status = "same" if problem is None else "DIFFERENT: " + problem
        print(f"{q['name']:<32} {len(rows):>6} rows  {status}", flush=True)
        differ += problem is not None
    return differ


def arguments(doc, folder):
    """The command line both engine scripts take."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--warehouse", required=True, help="the warehouse folder (holds MANIFEST.json)")
    ap.add_argument("--queries", default=str(Path(folder).resolve().parent.parent), help="folder of NAME.sql")
    ap.add_argument("--name", help="run one named query and print its rows as CSV")
    ap.add_argument("--param", action="append", default=[], help="KEY=VALUE (repeatable)")
    ap.add_argument("--compare", metavar="PINGYI", help="compare every named query with this pingyi binary")
    ap.add_argument("--config", default="pingyi.toml", help="pingyi.toml for --compare and --compute")
    ap.add_argument("--compute", action="store_true",
                    help="compute every metric table from the SQL models (queries/metrics) into --out")
    ap.add_argument("--out", help="with --compute: the folder the metric tables are written to, NAME.parquet each")
    ap.add_argument("--models", default=str(Path(folder).resolve().parent.parent / "metrics"),
                    help="with --compute: folder of the SQL models (default queries/metrics)")
    ap.add_argument("--as-of", help="with --compute: YYYY-MM-DD (default: report.as_of, else today)")
    ap.add_argument("--check", action="store_true",
                    help="with --compute: compare each table with the one pingyi compute wrote in the warehouse")
    return ap


def main(engine, args, connect, run, close=lambda handle: None):
    """--compare, or one --name query printed as CSV; exits with the status."""
    queries = load_queries(args.queries)
    by_name = {q["name"]: q for q in queries}
    if not args.compare and args.name not in by_name:
        sys.exit(f"no named query {args.name!r}; known: {', '.join(by_name)}")
    handle = connect(args)
    try:
        if args.compare:
            code = compare(engine, run, handle, queries, args)
        else:
            values = dict(p.split("=", 1) for p in args.param)
            columns, rows = run(handle, by_name[args.name], values)
            out = csv.writer(sys.stdout)
            out.writerow(columns)
            out.writerows(rows)
            code = 0
    finally:
        close(handle)
    sys.exit(code)
