"""Shared by the engine scripts: read the named queries in queries/*.sql,
bind their :parameters as SQL literals (the same rule as `pingyi query`),
and find the warehouse's committed Parquet files through MANIFEST.json.

Only the manifest says which files are committed: a file in the warehouse
folder that the manifest does not list is an interrupted write, never data.
"""

import json
import math
import re
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


def tables(warehouse):
    """Table name -> absolute paths of its committed Parquet files."""
    root = Path(warehouse).resolve()
    manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    out = {}
    for name, files in manifest["tables"].items():
        parquet = [str(root / f) for f in files if f.endswith(".parquet")]
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
    a, b = normalize(a), normalize(b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b
