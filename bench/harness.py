"""The benchmark harness: at each scale (1M and 10M ratings by default) it
runs every stage of the nightly job several times beside DuckDB and
Python polars on the same files, in the same run, and reports the median
wall time, the median CPU time and the largest peak RSS, the ratio of
pingyi to the faster less-work peer and to the equal-work peer, and the
growth from the smallest to the largest scale. Writes
bench/results/latest.json and the table into BENCHMARKS.md (between the
harness markers) with the machine's description.

Every peer row says its work: "less work" (a smaller share of what pingyi
does, the cheapest comparison for the peer) or "equal work" (the same
tables from the same inputs, checked equal to pingyi's untimed, once per
scale, and the check's result in the row's note).

Stages:
  ingest   the largest CSV export into a warehouse holding the roster;
           less work: CSV → Parquet partitioned by period, dates parsed
  compute  every metric from the warehouse of the whole inbox;
           less work: the core group-bys on the same Parquet files;
           equal work: DuckDB running the project's SQL models
           (queries/metrics, through queries/engines/duckdb_run.py --compute)
           on the same warehouse, its tables checked equal with --check
  report   every audience (leadership, public, 4,116 unit cards); no peer
  run      the whole `pingyi run` on the whole inbox (7 exports);
           less work: ingest + core group-bys of the largest CSV;
           equal work: DuckDB ingesting every export with the checks SQL
           can express, then the SQL models (peers/duckdb_full_run.py),
           its ratings and metric tables compared with pingyi's
  query    named analyst queries; equal work: DuckDB running the same SQL file
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS = BENCH / "peers"
PY = sys.executable
# The evaluation devices' mapping, as in the repository's pingyi.toml.
DEVICE_SOURCE = "[sources.evaluation_device]" + (ROOT / "pingyi.toml").read_text().split("[sources.evaluation_device]", 1)[1]
# A query scanning all ratings (distinct forms by method × channel), one
# that row-group statistics prune (the random-draw recount), one over metrics.
ANALYST_QUERIES = ["methods_channels_compared", "villages_missing_ratio", "breach_list"]
ENGINES = ROOT / "queries" / "engines"
sys.path.insert(0, str(ENGINES))
AS_OF = "2012-12-31"
# The warehouse tables ingest writes; every other table of the manifest is
# a metric table `pingyi compute` wrote.
INGESTED = {"ratings", "subjects", "raters", "suggestions", "suggestions_history", "quarantine", "quarantine_csv",
            "case_records"}
LESS, EQUAL = "less work", "equal work"


def measure(cmd, cwd=None):
    """Runs cmd under GNU time; returns (wall s, CPU s, peak RSS MiB, stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", t.name, *map(str, cmd)], cwd=cwd, capture_output=True, text=True)
        if proc.returncode not in (0, 3):  # 3: rows quarantined, as planted
            sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
        wall, user, sys_, rss = t.read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss) / 1024, proc.stdout


def median_of(reps, run):
    results = [run() for _ in range(reps)]
    return {
        "wall_s": statistics.median(r[0] for r in results),
        "cpu_s": statistics.median(r[1] for r in results),
        "rss_mib": max(r[2] for r in results),
    }


def config(inbox):
    return f'[paths]\ninbox = "{inbox}"\nwarehouse = "wh"\nreports = "reports"\n[privacy]\nrater_key = "bench"\n[report]\nas_of = "{AS_OF}"\n' + DEVICE_SOURCE


class Scale:
    """One generated data set (cached in bench/data) and, built once, a
    warehouse of its whole inbox with metrics computed."""

    def __init__(self, pingyi, ratings):
        self.pingyi, self.ratings = pingyi, ratings
        out = BENCH / "data" / f"scale-{ratings}"
        if not (out / "generate-summary.json").exists():
            shutil.rmtree(out, ignore_errors=True)
            print(f"generating {ratings:,} ratings into {out} …", file=sys.stderr)
            subprocess.run([pingyi, "generate", "--seed", "2012", "--scale", str(ratings), "--out", str(out)], check=True, capture_output=True)
        self.inbox = out / "inbox"
        self.csv = max(self.inbox.glob("*.csv"), key=lambda p: p.stat().st_size)
        self.roster = next(self.inbox.glob("评议对象名册.csv"))
        with open(self.csv, encoding="utf-8-sig") as f:
            self.csv_rows = sum(1 for _ in f) - 1
        self._wh = None
        self._models_note = None

    def warehouse(self):
        """A folder with the whole inbox ingested and computed (untimed)."""
        if self._wh is None:
            self._wh = tempfile.TemporaryDirectory()
            d = self._wh.name
            Path(d, "pingyi.toml").write_text(config(self.inbox))
            subprocess.run([self.pingyi, "ingest"], cwd=d, capture_output=True)
            subprocess.run([self.pingyi, "compute"], cwd=d, check=True, capture_output=True)
            out = subprocess.run([self.pingyi, "query", "--format", "csv", "select count(*) from ratings"], cwd=d, capture_output=True, text=True, check=True)
            self.warehouse_rows = int(out.stdout.split()[-1])
        return self._wh.name

    def metric_tables(self):
        """The metric tables pingyi compute wrote into the warehouse, by name."""
        import common
        return {t: f for t, f in common.tables(str(Path(self.warehouse(), "wh"))).items() if t not in INGESTED}

    def models_note(self):
        """Once per scale, untimed: the SQL models on DuckDB with --check
        against pingyi's tables; the note says how many are equal."""
        if self._models_note is None:
            d = self.warehouse()
            with tempfile.TemporaryDirectory() as o:
                done = subprocess.run([PY, ENGINES / "duckdb_run.py", "--warehouse", "wh", "--compute", "--out", o,
                                       "--config", "pingyi.toml", "--as-of", AS_OF, "--check"],
                                      cwd=d, capture_output=True, text=True)
            lines = [l for l in done.stdout.splitlines() if l.strip()]
            same = [l.split()[0] for l in lines if l.endswith("same as pingyi")]
            differ = [l for l in lines if "DIFFERENT" in l]
            if done.returncode < 0 or (done.returncode and not differ) or not lines:
                sys.exit(f"the SQL models failed on the {self.ratings:,} warehouse:\n{done.stdout}\n{done.stderr}")
            unmodeled = sorted(set(self.metric_tables()) - {l.split()[0] for l in lines})
            note = f"{len(same)} of {len(self.metric_tables())} tables checked equal"
            if unmodeled:
                note += f"; {', '.join(unmodeled)} has no model"
            if differ:
                note += "; DIFFERENT: " + " | ".join(" ".join(l.split()) for l in differ)
                loud(f"the SQL models' tables differ from pingyi's at {self.ratings:,} ratings", differ)
            self._models_note = note
        return self._models_note


def row(stage, who, rows, r, note="", work=None):
    """work: None for pingyi, else LESS or EQUAL (what the peer does of pingyi's work)."""
    return {"stage": stage, "who": who, "rows": rows, "note": note, "work": work, **r}


def loud(headline, details):
    """A peer that was to do equal work did not: said where nobody misses it."""
    bar = "!" * 78
    print(f"\n{bar}\n!! {headline}\n" + "\n".join(f"!!   {d}" for d in details) + f"\n{bar}\n", file=sys.stderr)


# Every rep's temporary folder, removed when the harness ends, not after the
# rep: ext4 skips inodes freed in the last 30 seconds when it creates a file
# (`recently_deleted`), so a rep creating thousands of files (4,116 unit
# cards) right after the previous rep's were deleted spent up to a tenth of
# its CPU searching for an inode. A nightly run starts a day after the last.
KEPT = []


def in_temp(run):
    def wrapped():
        d = tempfile.TemporaryDirectory()
        KEPT.append(d)
        return run(d.name)
    return wrapped


def stage_ingest(s, reps):
    def pingyi(d):
        Path(d, "pingyi.toml").write_text('[paths]\nwarehouse = "wh"\n[privacy]\nrater_key = "bench"\n')
        subprocess.run([s.pingyi, "ingest", s.roster], cwd=d, check=False, capture_output=True)
        return measure([s.pingyi, "ingest", s.csv], cwd=d)
    note = f"{s.csv.name}, {s.csv.stat().st_size / 2**20:,.0f} MiB"
    return [
        row("ingest", "pingyi", s.csv_rows, median_of(reps, in_temp(pingyi)), note),
        row("ingest", "DuckDB", s.csv_rows, median_of(reps, in_temp(lambda d: measure([PY, PEERS / "duckdb_ingest.py", s.csv, Path(d) / "out"]))),
            "CSV → Parquet, dates parsed; no checks", LESS),
        row("ingest", "Python polars", s.csv_rows, median_of(reps, in_temp(lambda d: measure([PY, PEERS / "polars_ingest.py", s.csv, Path(d) / "out"]))),
            "CSV → Parquet, dates parsed; no checks", LESS),
    ]


def stage_compute(s, reps):
    d = s.warehouse()
    peer = lambda script: median_of(reps, in_temp(lambda o: measure([PY, PEERS / script, Path(d, "wh"), o])))
    models = median_of(reps, in_temp(lambda o: measure([PY, ENGINES / "duckdb_run.py", "--warehouse", "wh", "--compute",
                                                        "--out", o, "--config", "pingyi.toml", "--as-of", AS_OF], cwd=d)))
    return [
        row("compute", "pingyi", s.warehouse_rows, median_of(reps, lambda: measure([s.pingyi, "compute"], cwd=d)),
            f"all {len(s.metric_tables())} metric tables"),
        row("compute", "DuckDB", s.warehouse_rows, peer("duckdb_compute.py"), "core group-bys", LESS),
        row("compute", "Python polars", s.warehouse_rows, peer("polars_compute.py"), "core group-bys", LESS),
        row("compute", "DuckDB (project's SQL models)", s.warehouse_rows, models, s.models_note(), EQUAL),
    ]


def stage_report(s, reps):
    d = s.warehouse()
    r = median_of(reps, lambda: measure([s.pingyi, "report", "--audience", "all"], cwd=d))
    size = sum(f.stat().st_size for f in Path(d, "reports").rglob("*") if f.is_file())
    return [row("report", "pingyi", s.warehouse_rows, r, f"all audiences, {size / 2**20:.0f} MiB of HTML, XLSX, CSV")]


def stage_run(s, reps):
    stages = []

    def pingyi(d):
        Path(d, "pingyi.toml").write_text(config(s.inbox))
        r = measure([s.pingyi, "run"], cwd=d)
        rec = json.loads(Path(d, "wh/runs/run-000001.json").read_text())
        stages.append({x["name"]: x["seconds"] for x in rec["stages"]} | {"rows": rec["rows_accepted"]})
        return r
    main = median_of(reps, in_temp(pingyi))
    split = ", ".join(f"{n} {statistics.median(x[n] for x in stages):.1f} s" for n in ("ingest", "compute", "report"))
    peer = lambda script: median_of(reps, in_temp(lambda d: measure([PY, PEERS / script, s.csv, s.roster, Path(d) / "out"])))
    outs = []

    def full(d):
        Path(d, "pingyi.toml").write_text(config(s.inbox))
        outs.append(Path(d, "out"))
        return measure([PY, PEERS / "duckdb_full_run.py", s.inbox, outs[-1], "--config", Path(d, "pingyi.toml")], cwd=d)
    equal = median_of(reps, in_temp(full))
    accepted, checked = full_run_check(s, outs[-1])
    exports = len([p for p in s.inbox.iterdir() if p.is_file()])
    return [
        row("run", "pingyi", stages[-1]["rows"], main, f"whole inbox, {exports} exports; {split}"),
        row("run", "DuckDB", s.csv_rows, peer("duckdb_run.py"), "largest CSV: ingest + core group-bys", LESS),
        row("run", "Python polars", s.csv_rows, peer("polars_run.py"), "largest CSV: ingest + core group-bys", LESS),
        row("run", "DuckDB (every export + models)", accepted, equal,
            f"{exports} exports, SQL checks, the SQL models, no reports; {checked}", EQUAL),
    ]


def full_run_check(s, out):
    """Untimed: the full-run peer's ratings, quarantine and metric tables
    against pingyi's warehouse of the same inbox (models.check: row for row
    on each model's key, floats to 1e-9). Returns (ratings the peer
    accepted, the note); differences are printed loudly."""
    import duckdb_run
    import models
    import common
    peer = common.tables(str(out / "wh"))
    pingyi = common.tables(str(Path(s.warehouse(), "wh")))
    engine = duckdb_run.Engine()
    count = lambda files: engine.fetch(f"select count(*) from {duckdb_run.read_parquet(files)}")[1][0][0]
    problems = []
    rows, theirs = count(peer["ratings"]), s.warehouse_rows
    if rows != theirs:
        problems.append(f"ratings: {rows:,} accepted, pingyi {theirs:,}")
    quarantined, q_theirs = count(peer["quarantine"]), count(pingyi["quarantine"])
    if quarantined != q_theirs:
        problems.append(f"quarantine: {quarantined:,} rows, pingyi {q_theirs:,}")
    same = 0
    checked = models.load_models(ROOT / "queries" / "metrics")
    for model in checked:
        name = model["name"]
        engine.register_files(name, [str(out / "metrics" / f"{name}.parquet")])
        engine.register_files("pingyi_" + name, pingyi[name])
        problem = models.check(engine, model, pingyi)
        if problem is None:
            same += 1
        else:
            problems.append(f"{name}: {problem}")
    note = f"ratings {rows:,} (pingyi {theirs:,}), quarantine {quarantined} (pingyi {q_theirs}); {same} of {len(checked)} model tables equal pingyi's"
    if problems:
        note += "; DIFFERENT: " + " | ".join(problems)
        loud(f"the full-run peer's tables differ from pingyi's at {s.ratings:,} ratings", problems)
    return rows, note


def stage_query(s, reps):
    import common
    d = s.warehouse()
    queries = {q["name"]: q for q in common.load_queries(ROOT / "queries")}
    out = []
    for name in ANALYST_QUERIES:
        params = [f"--param={k}={v}" for k, v in queries[name]["example"].items()]
        mine = median_of(reps, lambda: measure([s.pingyi, "query", "--queries", ROOT / "queries", "--name", name, "--format", "csv", *params], cwd=d))
        duck = median_of(reps, lambda: measure([PY, ROOT / "queries" / "engines" / "duckdb_run.py", "--warehouse", "wh", "--name", name, *params], cwd=d))
        out += [row(f"query {name}", "pingyi", s.warehouse_rows, mine), row(f"query {name}", "DuckDB", s.warehouse_rows, duck, "same SQL file", EQUAL)]
    return out


def generate(pingyi, ratings, reps):
    r = median_of(reps, in_temp(lambda d: measure([pingyi, "generate", "--seed", "2012", "--scale", ratings, "--out", d])))
    return [row("generate", "pingyi", ratings, r, "the synthetic county, all export formats")]


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}"


def ratios(rows):
    """pingyi / the faster less-work peer and / the (faster) equal-work peer,
    per stage and scale: the first is the cheapest comparison for the peers,
    the second the fair one."""
    for r in rows:
        if r["who"] != "pingyi":
            continue
        for work, key in ((LESS, "vs_less"), (EQUAL, "vs_equal")):
            peers = [p["wall_s"] for p in rows if (p["stage"], p["scale"], p["work"]) == (r["stage"], r["scale"], work)]
            if peers:
                r[key] = r["wall_s"] / min(peers)


def table(rows, scales):
    head = "| stage | program | work | " + " | ".join(
        f"{s / 1e6:g}M: rows | wall s | CPU s | peak MiB | ×less-work peer | ×equal-work peer" for s in scales)
    head += " | growth (wall) | notes (largest scale) |" if len(scales) > 1 else " | notes |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    keys = list(dict.fromkeys((r["stage"], r["who"]) for r in rows))
    for stage, who in keys:
        at = {r["scale"]: r for r in rows if (r["stage"], r["who"]) == (stage, who)}
        cells = [stage, who, at[max(at)]["work"] or "all of it"]
        for s in scales:
            r = at.get(s)
            if r is None:
                cells += [""] * 6
                continue
            ratio = lambda key: f"{r[key]:.2f}×" if key in r else ""
            cells += [f"{r['rows']:,}", f"{r['wall_s']:.2f}", f"{r['cpu_s']:.1f}", f"{r['rss_mib']:.0f}", ratio("vs_less"), ratio("vs_equal")]
        if len(scales) > 1:
            lo, hi = at.get(scales[0]), at.get(scales[-1])
            cells.append(f"{hi['wall_s'] / lo['wall_s']:.1f}×" if lo and hi else "")
        cells.append(at[max(at)]["note"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(rows, scales):
    """Issue 40's targets at the largest scale, checked."""
    big = scales[-1]
    get = lambda stage, who="pingyi", s=big: next((r for r in rows if (r["stage"], r["who"], r["scale"]) == (stage, who, s)), None)
    met = lambda ok: "met" if ok else "not met"
    out = []
    ingest, compute, run = get("ingest"), get("compute"), get("run")
    if ingest:
        rps = ingest["rows"] / ingest["wall_s"]
        out.append(f"- ingest: {rps / 1e6:.2f} M rows/s (target ≥ 3 M rows/s): {met(rps >= 3e6)}")
    if run and "vs_less" in run:
        x = run["vs_less"]
        out.append(f"- whole `pingyi run`: {x:.2f}× the faster less-work peer's wall time (target ≤ 1.0×): {met(x <= 1)}")
    if run and "vs_equal" in run:
        x = run["vs_equal"]
        out.append(f"- whole `pingyi run`: {x:.2f}× the equal-work peer's wall time (DuckDB, every export + models; target ≤ 0.5×): {met(x <= 0.5)}")
    if compute and "vs_equal" in compute:
        x = compute["vs_equal"]
        out.append(f"- `pingyi compute`: {x:.2f}× the equal-work peer's wall time (DuckDB, the project's SQL models; target ≤ 0.3×): {met(x <= 0.3)}")
    peak = max((r["rss_mib"] for r in rows if r["who"] == "pingyi" and r["scale"] == big and r["stage"] != "generate"), default=None)
    if peak is not None:
        out.append(f"- peak RSS of any pingyi stage at {big / 1e6:g}M: {peak:.0f} MiB (target < 1024 MiB): {met(peak < 1024)}")
    if len(scales) > 1:
        for stage in ("ingest", "compute", "report", "run"):
            lo, hi = get(stage, s=scales[0]), get(stage, s=big)
            if lo and hi:
                g = hi["wall_s"] / lo["wall_s"]
                out.append(f"- growth {scales[0] / 1e6:g}M → {big / 1e6:g}M, {stage}: {g:.1f}× the time, {hi['rss_mib'] / lo['rss_mib']:.1f}× the memory (target ≤ 10× time): {met(g <= 10)}")
    return "\n".join(out)


def write_benchmarks(text):
    path = ROOT / "BENCHMARKS.md"
    doc = path.read_text()
    begin, end = "<!-- harness:begin -->", "<!-- harness:end -->"
    block = f"{begin}\n{text}\n{end}"
    doc = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda _: block, doc, flags=re.S) if begin in doc else doc + "\n" + block + "\n"
    path.write_text(doc)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pingyi", required=True)
    ap.add_argument("--scales", default="1000000,10000000", help="ratings per data set, comma-separated")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--stages", default="ingest,compute,report,run,query", help="also: generate")
    ap.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md and bench/results/latest.json alone")
    args = ap.parse_args()
    scales = sorted(int(s) for s in args.scales.split(","))
    stages = args.stages.split(",")
    started, rows = time.time(), []
    for ratings in scales:
        if "generate" in stages:
            rows += [r | {"scale": ratings} for r in generate(args.pingyi, ratings, args.reps)]
        s = Scale(args.pingyi, ratings)
        for stage in stages:
            if stage != "generate":
                print(f"{ratings:,} ratings: {stage} …", file=sys.stderr)
                rows += [r | {"scale": ratings} for r in globals()[f"stage_{stage}"](s, args.reps)]
    ratios(rows)
    when = time.strftime("%Y-%m-%d")
    text = (
        f"`bench/run.sh` ({when}; {machine()}; pingyi's `{Path(args.pingyi).parent.name}` build; "
        f"median of {args.reps}, peak RSS the largest of them; "
        f"{time.time() - started:.0f} s in all). Peers: DuckDB and Python polars as pinned in "
        f"`bench/peers/requirements.txt`, on the same files in the same run; \"less work\" peers do a smaller "
        f"share of pingyi's work, \"equal work\" peers the same tables from the same inputs, checked equal "
        f"to pingyi's (the note says how many).\n\n"
        f"{table(rows, scales)}\n\n{targets(rows, scales)}"
    )
    print(text)
    # A partial run (--no-write while developing) leaves the last full
    # run's figures in place, as it leaves BENCHMARKS.md.
    if not args.no_write:
        (BENCH / "results").mkdir(exist_ok=True)
        (BENCH / "results" / "latest.json").write_text(json.dumps({"machine": machine(), "reps": args.reps, "rows": rows}, indent=2, ensure_ascii=False))
        write_benchmarks(text)


if __name__ == "__main__":
    main()
