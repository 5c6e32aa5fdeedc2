"""The metric tables as SQL models (queries/metrics/NAME.sql), shared by the
DuckDB and Spark runners' --compute: read the models and the order their
inputs impose, and turn pingyi's configuration into the small parameter
tables the models join (params_methods, params_groups, params_quota, params_breach_rules,
params_grades, params_run, and params_calendar: every day of the working-day calendar).

The configuration is read as pingyi reads it: the built-in defaults
(pipeline/config/defaults.toml) with the given pingyi.toml merged over them,
tables key by key, arrays replaced whole. Where the repository is not at
hand (a cluster), pass the effective configuration that
`pingyi config show > pingyi-effective.toml` prints: it is complete, so the
missing defaults change nothing.
"""

import math
import re
import time
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

DEFAULTS = Path(__file__).resolve().parents[2] / "pipeline" / "config" / "defaults.toml"
CALENDAR = Path(__file__).resolve().parents[2] / "pipeline" / "calendar" / "cn-holidays.toml"
# The data dictionary `pingyi tables --format markdown` writes (a test holds
# it current): the columns of a warehouse table the warehouse does not hold
# yet, such as case_records before the first case sheet is ingested.
DICTIONARY = Path(__file__).resolve().parents[2] / "docs" / "tables.md"

# The breach model joins at most this many rules' labels (its pivot has one
# slot each).
MAX_RULES = 6


# Expressions more than one model needs, written once (as dbt's macros): a
# model says `{{ wilson_centre(rate, n_valid) }}` and gets the expression
# with its arguments in place. The Wilson score interval, z =
# 1.959963984540054 (statsmodels proportion_confint(method="wilson")):
# centre = (p + z²/2n) / (1 + z²/n), half = z·sqrt(p(1−p)/n + z²/4n²) /
# (1 + z²/n); z² = 3.8414588206941254. Constants carry an exponent so that
# Spark reads them as DOUBLE (a decimal literal would make its division a
# DECIMAL one, rounded to 6 places). n is null where nothing is valid: no
# interval, and no division by zero.
#
# The effective n with forms as clusters (DESIGN §5 "Evidence"), from the
# rate p, valid ratings m, people k and the sums over forms Σy², Σym, Σm²:
# ss = Σy² − 2pΣym + p²Σm² (= Σ(y − p·m)², at least 0), Var = k/(k−1)·ss/m²,
# n_eff = p(1−p)/Var clamped to [k, m]; k when p is 0 or 1, k < 2, or ss is
# rounding (at most 1e-12·Σm²); null without a valid rating. The
# post-stratified one: Var = k/(k−1)·Σz², n_eff = p(1−p)/Var unclamped, or
# Kish's (Σw)²/Σw² when Var is 0, k < 2, or p is 0 or 1.
SS = "greatest({yy} - 2.0e0 * {p} * {ym} + {p} * {p} * {mm}, 0.0e0)"
MACROS = {
    "wilson_centre": (("p", "n"), "({p} + 3.8414588206941254e0 / (2.0 * {n})) / (1.0 + 3.8414588206941254e0 / {n})"),
    "wilson_half": (("p", "n"), "1.959963984540054e0 * sqrt({p} * (1.0 - {p}) / {n} + 3.8414588206941254e0 / (4.0 * {n} * {n}))"
                    " / (1.0 + 3.8414588206941254e0 / {n})"),
    "clustered_n_eff": (("p", "m", "k", "yy", "ym", "mm"),
                        "case when {m} is null or {m} <= 0 or {p} is null then cast(null as double)"
                        " when {k} < 2 or {p} = 0.0e0 or {p} = 1.0e0 or " + SS + " <= 1.0e-12 * {mm}"
                        " then cast({k} as double)"
                        " else least(greatest({p} * (1.0e0 - {p}) / (cast({k} as double) / (cast({k} as double) - 1.0e0)"
                        " * " + SS + " / (cast({m} as double) * cast({m} as double))), cast({k} as double)),"
                        " cast({m} as double)) end"),
    "ps_n_eff": (("p", "k", "zz", "w", "ww"),
                 "case when {p} is null or {ww} is null then cast(null as double)"
                 " when {k} < 2 or {p} = 0.0e0 or {p} = 1.0e0 or {zz} <= 1.0e-12 * {ww} then {w} * {w} / {ww}"
                 " else {p} * (1.0e0 - {p}) / (cast({k} as double) / (cast({k} as double) - 1.0e0) * {zz}) end"),
}
# The broken rules' labels, "; "-separated in rule order: one slot per rule
# (an aggregate per slot, as both engines spell a pivot).
MACROS["rule_labels"] = (("rule_no", "label"), "concat_ws('; ', " + ", ".join(
    f"max(case when {{rule_no}} = {n} then {{label}} end)" for n in range(1, MAX_RULES + 1)) + ")")
# Spelled per engine: an aggregate's values as a list ordered by a key.
DIALECT_MACROS = {
    "duckdb": {"ordered_list": (("value", "key"), "list({value} order by {key})"),
               "list_last": (("items",), "{items}[len({items})]")},
    "spark": {"ordered_list": (("value", "key"),
                               "transform(array_sort(collect_list(named_struct('k', {key}, 'v', {value}))), s -> s.v)"),
              "list_last": (("items",), "element_at({items}, -1)")},
}
MACRO_CALL = re.compile(r"\{\{\s*(\w+)\(([\w\s,.]*)\)\s*\}\}")
# CTEs more than one model shares (as dbt's ephemeral models): a model says
# `with {{ include(evaluations) }}, …` and gets parts/evaluations.sql's
# CTEs, its leading comment lines left out.
INCLUDE = re.compile(r"\{\{\s*include\((\w+)\)\s*\}\}")


def include_parts(text, where):
    """`text` with each `{{ include(name) }}` replaced by parts/name.sql."""
    def one(m):
        part = Path(where).parent / "parts" / f"{m.group(1)}.sql"
        if not part.is_file():
            raise SystemExit(f"{where}: include({m.group(1)}): no file {part}")
        lines = part.read_text(encoding="utf-8").splitlines()
        while lines and lines[0].startswith("--"):
            lines.pop(0)
        return "\n".join(lines).strip()
    return INCLUDE.sub(one, text)


def expand(text, where, dialect="duckdb"):
    """`text` with each `{{ macro(a, b, …) }}` replaced by its expression,
    spelled for `dialect` (duckdb or spark) where engines differ."""
    macros = {**MACROS, **DIALECT_MACROS[dialect]}

    def one(m):
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
        if name not in macros:
            raise SystemExit(f"{where}: no macro {name} (known: {', '.join(sorted(macros))})")
        params, body = macros[name]
        if len(args) != len(params):
            raise SystemExit(f"{where}: {name} takes {len(params)} arguments ({', '.join(params)}), got {len(args)}")
        return body.format(**dict(zip(params, args)))
    out = MACRO_CALL.sub(one, text)
    if "{{" in out:
        line = out[:out.index("{{")].count("\n") + 1
        raise SystemExit(f"{where}:{line}: a `{{{{ … }}}}` that is not a macro call like {{{{ wilson_half(rate, n) }}}}")
    return out


def load_models(folder, dialect="duckdb"):
    """Every NAME.sql of `folder` as {name, inputs, sql}, macros expanded for
    `dialect`, in an order where each model comes after the models it reads."""
    models = {}
    for p in sorted(Path(folder).glob("*.sql")):
        text = expand(include_parts(p.read_text(encoding="utf-8"), p), p, dialect)
        found = re.search(r"^--[ \t]*inputs:[ \t]*(.*)$", text, re.MULTILINE)
        if not found:
            raise SystemExit(f"{p}: the header names no `-- inputs:` line")
        inputs = [i.strip() for i in found.group(1).split(",") if i.strip()]
        models[p.stem] = {"name": p.stem, "inputs": inputs, "sql": text}
    ordered, seen = [], set()

    def visit(name, path):
        if name in seen:
            return
        if name in path:
            raise SystemExit(f"models read each other in a cycle: {' -> '.join(path + [name])}")
        for i in models[name]["inputs"]:
            if i in models:
                visit(i, path + [name])
        seen.add(name)
        ordered.append(models[name])

    for name in models:
        visit(name, [])
    return ordered


def merge(base, over):
    """pingyi's rule: tables merge key by key, anything else replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_config(path):
    cfg = tomllib.loads(DEFAULTS.read_text(encoding="utf-8")) if DEFAULTS.exists() else {}
    if path:
        p = Path(path)
        if not p.exists():
            raise SystemExit(f"{p}: no such configuration file (pass --config pingyi.toml)")
        try:
            cfg = merge(cfg, tomllib.loads(p.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as e:
            raise SystemExit(f"{p}: not valid TOML: {e}")
    for key in ("org_types", "breach", "rules", "grades"):
        if key not in cfg:
            raise SystemExit(f"configuration has no [{key}] (and no defaults at {DEFAULTS}): "
                             "pass the output of `pingyi config show` as --config")
    return cfg


def as_of_date(text, cfg):
    """--as-of, else report.as_of, else today (pingyi compute's rule)."""
    text = text or cfg.get("report", {}).get("as_of", "")
    try:
        return date.fromisoformat(text) if text else date.today()
    except ValueError:
        raise SystemExit(f"as-of date {text!r} is not YYYY-MM-DD")


def rule_label(below, times):
    """As pingyi labels a rule: `below 60% × 1`."""
    return f"below {below * 100:.0f}% × {times}"


def rule_windows(breach):
    """params_rule_window: (kind, rule_window) from breach.window, as pingyi
    reads it (`quarter` is another name for `period`)."""
    out = []
    for kind, key in (("组织", "organization"), ("干部", "cadre")):
        value = breach.get("window", {}).get(key, "period")
        value = {"quarter": "period"}.get(value, value)
        if value not in ("period", "year"):
            raise SystemExit(f"breach.window.{key}: {value!r} is not period or year")
        out.append((kind, value))
    return out


def params(cfg, as_of):
    """Parameter table name -> (columns with SQL types, rows)."""
    quota = [
        (o["name"], c, g["group"], float(g["share"]), float(o["quota_tolerance"]))
        for o in cfg["org_types"]
        for g in o["quota"]
        for c in g["categories"]
    ]
    rules = [(i + 1, float(r["below"]), int(r["times"]), rule_label(float(r["below"]), int(r["times"])))
             for i, r in enumerate(cfg["breach"]["rules"])]
    if not rules or len(rules) > MAX_RULES:
        raise SystemExit(f"breach.rules: {len(rules)} rules; the breach model takes 1 to {MAX_RULES}")
    grades = [(i + 1, g["name"], float(g["min"])) for i, g in enumerate(cfg["grades"])]
    b = cfg["breach"]
    run = [(as_of, int(cfg["rules"]["min_raters"]), b["action"], b["basis"])]
    windows = rule_windows(b)
    offsets = [(o,) for o in range(max(r[2] for r in rules))]
    cases = cfg.get("cases", {})
    leaders = [(l["org_type"], l["leader"]) for l in cases.get("leaders", [])]
    g = cfg["groups"]
    # The county-body rule (pipeline/compute/groups.rs), one row per listed
    # value; no 'name' row when the group is switched off.
    groups = ([("name", g["county_bodies"])] if g["county_bodies"] else []) + \
        [("parent", v) for v in g["county_body_parents"]] + [("org_type", v) for v in g["county_body_org_types"]]
    # Every configured method, the benchmark (integrity.benchmark) flagged.
    methods = [(m["name"], m["name"] == cfg["integrity"]["benchmark"]) for m in cfg["methods"]]
    return {
        "params_methods": ([("method", "string"), ("benchmark", "boolean")], methods),
        "params_groups": ([("rule", "string"), ("value", "string")], groups),
        "params_quota": ([("org_type", "string"), ("rater_category", "string"), ("quota_group", "string"),
                          ("quota", "double"), ("tolerance", "double")], quota),
        "params_breach_rules": ([("rule_no", "int"), ("below", "double"), ("times", "int"), ("label", "string")],
                                rules),
        "params_grades": ([("band", "int"), ("name", "string"), ("min_rate", "double")], grades),
        "params_rule_window": ([("kind", "string"), ("rule_window", "string")], windows),
        "params_offsets": ([("year_offset", "int")], offsets),
        "params_run": ([("as_of", "date"), ("min_raters", "int"), ("action", "string"), ("basis", "string")], run),
        # [cases]: who holds a talk (by org type, `{township}` filled in; else the default) and in how
        # many working days.
        "params_case_leaders": ([("org_type", "string"), ("leader", "string")], leaders),
        "params_cases": ([("due_workdays", "int"), ("default_leader", "string")],
                         [(int(cases.get("due_workdays", 10)), cases.get("default_leader", ""))]),
    }


def calendar_days(cfg, config_path):
    """params_calendar: (day, workday) for every day of the years the
    working-day calendar covers (pipeline/calendar/mod.rs's rule: a 调休
    workday works, else holidays and weekends are off)."""
    file = cfg.get("calendar", {}).get("file", "")
    if file:
        path = Path(file)
        if not path.is_absolute() and config_path:
            path = Path(config_path).resolve().parent / path
    else:
        path = CALENDAR
    cal = tomllib.loads(path.read_text(encoding="utf-8"))
    off, worked = set(), set()
    for year in cal["years"].values():
        for text in year["holidays"]:
            first, _, last = text.partition("..")
            d, end = date.fromisoformat(first), date.fromisoformat(last or first)
            while d <= end:
                off.add(d)
                d += timedelta(days=1)
        worked.update(date.fromisoformat(t) for t in year.get("workdays", []))
    rows = []
    for y in sorted(int(k) for k in cal["years"]):
        d = date(y, 1, 1)
        while d.year == y:
            rows.append((d, d in worked or (d.weekday() < 5 and d not in off)))
            d += timedelta(days=1)
    return rows


SQL_TYPES = {"str": "string", "date": "date", "bool": "boolean", "f64": "double", "datetime": "timestamp"}


def dictionary_columns(table):
    """(column, SQL type) of `table` as docs/tables.md declares it; None when
    the dictionary lacks the table."""
    if not DICTIONARY.exists():
        return None
    text = DICTIONARY.read_text(encoding="utf-8")
    found = re.search(r"^## `" + re.escape(table) + r"`\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    if not found:
        return None
    rows = re.findall(r"^\| `(\w+)` \| ([\w\[\]]+) \|", found.group(1), re.MULTILINE)
    out = []
    for column, kind in rows:
        if kind in SQL_TYPES:
            out.append((column, SQL_TYPES[kind]))
        elif re.fullmatch(r"[ui](8|16|32|64)", kind):
            out.append((column, "bigint"))
        else:
            raise SystemExit(f"{DICTIONARY}: {table}.{column} is {kind}; an absent table of that type cannot be made empty")
    return out


def register_absent(engine, models):
    """A warehouse table a model reads but the warehouse does not hold yet
    (no case sheet ingested, no ledger) is empty, as pingyi compute reads
    it: registered with its dictionary columns and no rows."""
    produced = {m["name"] for m in models}
    for model in models:
        for name in model["inputs"]:
            if engine.has(name) or name in produced:
                continue
            columns = dictionary_columns(name)
            if columns:
                engine.register_sql(name, values_sql(columns, []))


def values_table(columns, rows):
    """A long parameter table as one VALUES list (DuckDB and Spark both
    read `select * from (values …) as t(…)`; a UNION ALL of a thousand
    selects is slow to plan)."""
    body = ",\n".join("(" + ", ".join(literal(v, t) for v, (_, t) in zip(row, columns)) + ")" for row in rows)
    return f"select * from (values {body}) as t({', '.join(c for c, _ in columns)})"


def literal(value, sql_type):
    if value is None:
        return f"cast(null as {sql_type})"
    if sql_type == "string":
        return "'" + str(value).replace("'", "''") + "'"
    if sql_type == "date":
        return f"date '{value.isoformat()}'"
    if sql_type == "boolean":
        return "true" if value else "false"
    return f"cast({value!r} as {sql_type})"


def values_sql(columns, rows):
    """A SELECT of the rows (UNION ALL of literal rows; typed even when
    empty), portable to DuckDB and Spark."""
    if not rows:
        return "select " + ", ".join(f"{literal(None, t)} as {c}" for c, t in columns) + " where 1 = 0"
    return "\nunion all\n".join(
        "select " + ", ".join(f"{literal(v, t)} as {c}" for v, (c, t) in zip(row, columns)) for row in rows)


def keys(model):
    """The columns a model's `-- key:` header names (its rows are unique on them)."""
    found = re.search(r"^--[ \t]*key:[ \t]*(.*)$", model["sql"], re.MULTILINE)
    return [k.strip() for k in found.group(1).split(",") if k.strip()] if found else []


def compute(engine, args, warehouse_tables):
    """Registers the warehouse tables and parameter tables on `engine`, runs
    every model in input order, writes each as Parquet under args.out and
    registers it for the models after it. With args.check, compares each
    table with the one pingyi wrote into the warehouse; returns how many differ."""
    cfg = load_config(args.config)
    as_of = as_of_date(args.as_of, cfg)
    models = load_models(args.models, getattr(engine, "dialect", "duckdb"))
    produced = {m["name"] for m in models}
    for name, files in warehouse_tables.items():
        # pingyi's own metric tables are read only to compare with.
        if name not in produced:
            engine.register_files(name, files)
        elif args.check:
            engine.register_files("pingyi_" + name, files)
    for name, (columns, rows) in params(cfg, as_of).items():
        engine.register_sql(name, values_sql(columns, rows))
    engine.register_sql("params_calendar", values_table([("day", "date"), ("workday", "boolean")],
                                                        calendar_days(cfg, args.config)))
    register_absent(engine, models)
    differ = 0
    out = args.out.rstrip("/")
    for model in models:
        name = model["name"]
        missing = [i for i in model["inputs"] if not engine.has(i)]
        if missing:
            raise SystemExit(f"model {name} reads {missing}, which neither the warehouse nor an earlier model has")
        started = time.monotonic()
        count = engine.materialize(name, model["sql"], out)
        line = f"{name:<16} {count:>9} rows  {time.monotonic() - started:6.1f} s"
        if args.check:
            problem = check(engine, model, warehouse_tables)
            line += "  same as pingyi" if problem is None else "  DIFFERENT: " + problem
            differ += problem is not None
        print(line, flush=True)
    return differ


def check(engine, model, warehouse_tables):
    """None when the engine's table equals pingyi's row for row (sorted on the
    model's key; floats to 1e-9; NaN and null alike), else what differs."""
    name = model["name"]
    if name not in warehouse_tables:
        return f"the warehouse has no {name} table (run pingyi compute first)"
    order = ", ".join(f'"{k}" nulls first' for k in keys(model)) or "1"
    mine_cols, mine = engine.fetch(f'select * from "{name}" order by {order}')
    theirs_cols, theirs = engine.fetch(f'select * from "pingyi_{name}" order by {order}')
    if mine_cols != theirs_cols:
        return f"columns differ: model {mine_cols}, pingyi {theirs_cols}"
    if len(mine) != len(theirs):
        return f"{len(mine)} rows from the model, {len(theirs)} in pingyi's table"
    for i, (a, b) in enumerate(zip(mine, theirs)):
        bad = [c for c, x, y in zip(mine_cols, a, b) if not same(x, y)]
        if bad:
            return f"row {i + 1} differs in {bad}: model {a}, pingyi {b}"
    return None


def same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    nan = lambda v: v is None or (isinstance(v, float) and math.isnan(v))  # noqa: E731
    if nan(a) and nan(b):
        return True
    number = lambda v: isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)  # noqa: E731
    if number(a) and number(b):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return a == b
