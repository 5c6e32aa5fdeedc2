"""The benchmark harness: runs each case several times, reports the median
wall time, CPU time and peak RSS, and ratios against peers measured in the
same run. Writes bench/results/latest.json and prints a Markdown table for
BENCHMARKS.md.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PY = sys.executable


def measure(cmd, cwd=None, env=None):
    """Runs cmd under GNU time; returns wall s, cpu s, peak RSS MiB."""
    fmt = "%e %U %S %M"
    with tempfile.NamedTemporaryFile("r") as t:
        proc = subprocess.run(["/usr/bin/time", "-f", fmt, "-o", t.name, *cmd], cwd=cwd, env=env, capture_output=True, text=True)
        if proc.returncode not in (0, 3):
            sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
        wall, user, sys_, rss = t.read().split()[-4:]
    return float(wall), float(user) + float(sys_), int(rss) / 1024, proc.stdout


def median_of(reps, run):
    results = [run() for _ in range(reps)]
    return {
        "wall_s": statistics.median(r[0] for r in results),
        "cpu_s": statistics.median(r[1] for r in results),
        "rss_mib": max(r[2] for r in results),
        "runs": len(results),
    }


def data(pingyi, scale):
    out = BENCH / "data" / f"scale-{scale}"
    if not (out / "generate-summary.json").exists():
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run([pingyi, "generate", "--seed", "2012", "--scale", str(scale), "--out", str(out)], check=True, capture_output=True)
    return out


def case_generate(args):
    def run():
        with tempfile.TemporaryDirectory() as d:
            return measure([args.pingyi, "generate", "--seed", "2012", "--scale", str(args.scale), "--out", d])
    r = median_of(args.reps, run)
    r["rows"] = args.scale
    return {"pingyi generate": r}


def case_ingest(args):
    # A scale whose largest CSV export (talks and online forms) has ~10M rows.
    inbox = data(args.pingyi, args.ingest_scale) / "inbox"
    csv = max(inbox.glob("*.csv"), key=lambda p: p.stat().st_size)
    roster = next(inbox.glob("评议对象名册.csv"))
    rows = sum(1 for _ in open(csv, encoding="utf-8-sig")) - 1
    results = {}

    def pingyi_run():
        with tempfile.TemporaryDirectory() as d:
            Path(d, "pingyi.toml").write_text('[paths]\nwarehouse = "wh"\n[privacy]\nrater_key = "bench"\n')
            subprocess.run([args.pingyi, "ingest", str(roster)], cwd=d, check=False, capture_output=True)
            return measure([args.pingyi, "ingest", str(csv)], cwd=d)

    def duckdb_run():
        with tempfile.TemporaryDirectory() as d:
            return measure([PY, str(BENCH / "peers" / "duckdb_ingest.py"), str(csv), str(Path(d) / "out")])

    results["pingyi ingest"] = median_of(args.reps, pingyi_run)
    results["duckdb csv→parquet"] = median_of(args.reps, duckdb_run)
    for r in results.values():
        r["rows"] = rows
        r["rows_per_s"] = rows / r["wall_s"]
    results["pingyi ingest"]["ratio_vs_duckdb"] = results["pingyi ingest"]["wall_s"] / results["duckdb csv→parquet"]["wall_s"]
    results["_file"] = {"name": csv.name, "bytes": csv.stat().st_size}
    return results


def case_compute(args):
    inbox = data(args.pingyi, args.scale) / "inbox"
    results = {}
    with tempfile.TemporaryDirectory() as d:
        Path(d, "pingyi.toml").write_text(f'[paths]\ninbox = "{inbox}"\nwarehouse = "wh"\n[privacy]\nrater_key = "bench"\n[report]\nas_of = "2012-12-31"\n' + DEVICE_SOURCE)
        ingest = measure([args.pingyi, "ingest"], cwd=d)
        results["pingyi ingest (whole inbox)"] = {"wall_s": ingest[0], "cpu_s": ingest[1], "rss_mib": ingest[2], "runs": 1}
        rows = int(subprocess.run([args.pingyi, "query", "--format", "csv", "select count(*) from ratings"], cwd=d, capture_output=True, text=True).stdout.split()[-1])
        results["pingyi compute"] = median_of(args.reps, lambda: measure([args.pingyi, "compute"], cwd=d))
        results["duckdb group-bys"] = median_of(args.reps, lambda: measure([PY, str(BENCH / "peers" / "duckdb_compute.py"), str(Path(d, "wh")), str(Path(d, "duck"))]))
    for r in results.values():
        r["rows"] = rows
    results["pingyi compute"]["ratio_vs_duckdb"] = results["pingyi compute"]["wall_s"] / results["duckdb group-bys"]["wall_s"]
    return results


def computed_warehouse(pingyi, inbox, d):
    """Ingests `inbox` into d/wh and computes it (untimed); returns the ratings count."""
    Path(d, "pingyi.toml").write_text(f'[paths]\ninbox = "{inbox}"\nwarehouse = "wh"\nreports = "reports"\n[privacy]\nrater_key = "bench"\n[report]\nas_of = "2012-12-31"\n' + DEVICE_SOURCE)
    subprocess.run([pingyi, "ingest"], cwd=d, capture_output=True)
    subprocess.run([pingyi, "compute"], cwd=d, check=True, capture_output=True)
    out = subprocess.run([pingyi, "query", "--format", "csv", "select count(*) from ratings"], cwd=d, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def case_report(args):
    """All audiences (leadership, public, every unit card) from a computed
    10M-rating warehouse, HTML + workbook + CSVs (no PDF: that is Chromium's time)."""
    inbox = data(args.pingyi, args.scale) / "inbox"
    results = {}
    with tempfile.TemporaryDirectory() as d:
        rows = computed_warehouse(args.pingyi, inbox, d)
        last = {}

        def run():
            r = measure([args.pingyi, "report", "--audience", "all"], cwd=d)
            last["stdout"] = r[3]
            return r
        results["pingyi report (all audiences)"] = median_of(args.reps, run)
        cards = next((int(l.split()[0]) for l in last["stdout"].splitlines() if l.endswith("unit cards")), 0)
        size = sum(f.stat().st_size for f in Path(d, "reports").rglob("*") if f.is_file())
    r = results["pingyi report (all audiences)"]
    r["rows"] = rows
    r["cards"] = cards
    r["output_mib"] = size / 2**20
    return results


def case_run(args):
    """The whole nightly `pingyi run` on the 10M inbox (all seven exports,
    every metric, every report), beside DuckDB and Python polars doing the
    core ingest and group-bys of its largest export."""
    inbox = data(args.pingyi, args.scale) / "inbox"
    csv = max(inbox.glob("*.csv"), key=lambda p: p.stat().st_size)
    roster = next(inbox.glob("评议对象名册.csv"))
    csv_rows = sum(1 for _ in open(csv, encoding="utf-8-sig")) - 1
    results, stages, rerun = {}, [], []

    def pingyi_run():
        with tempfile.TemporaryDirectory() as d:
            Path(d, "pingyi.toml").write_text(f'[paths]\ninbox = "{inbox}"\nwarehouse = "wh"\nreports = "reports"\n[privacy]\nrater_key = "bench"\n[report]\nas_of = "2012-12-31"\n' + DEVICE_SOURCE)
            r = measure([args.pingyi, "run"], cwd=d)
            rec = json.loads(Path(d, "wh/runs/run-000001.json").read_text())
            stages.append({s["name"]: s["seconds"] for s in rec["stages"]})
            stages[-1]["rows"] = rec["rows_accepted"]
            rerun.append(measure([args.pingyi, "run"], cwd=d))
            return r

    def peer(script):
        def run():
            with tempfile.TemporaryDirectory() as d:
                return measure([PY, str(BENCH / "peers" / script), str(csv), str(roster), str(Path(d) / "out")])
        return run

    results["pingyi run (whole inbox)"] = median_of(args.reps, pingyi_run)
    results["pingyi run (whole inbox)"]["rows"] = stages[-1]["rows"]
    for name in ("ingest", "compute", "report"):
        results[f"  of which {name}"] = {"wall_s": statistics.median(s[name] for s in stages), "cpu_s": float("nan"), "rss_mib": float("nan"), "runs": len(stages), "rows": stages[-1]["rows"]}
    results["pingyi run, nothing new"] = {"wall_s": statistics.median(r[0] for r in rerun), "cpu_s": statistics.median(r[1] for r in rerun), "rss_mib": max(r[2] for r in rerun), "runs": len(rerun), "rows": stages[-1]["rows"]}
    results["duckdb ingest + group-bys (largest CSV)"] = median_of(args.reps, peer("duckdb_run.py"))
    results["python polars ingest + group-bys (largest CSV)"] = median_of(args.reps, peer("polars_run.py"))
    for k in ("duckdb ingest + group-bys (largest CSV)", "python polars ingest + group-bys (largest CSV)"):
        results[k]["rows"] = csv_rows
    faster = min(results[k]["wall_s"] for k in ("duckdb ingest + group-bys (largest CSV)", "python polars ingest + group-bys (largest CSV)"))
    results["pingyi run (whole inbox)"]["ratio_vs_faster_peer"] = results["pingyi run (whole inbox)"]["wall_s"] / faster
    return results


# Analyst queries timed beside DuckDB: two that scan the raw ratings (a
# distinct count by method and channel; the 2:7:1 recount per village) and
# one over the metrics tables.
ANALYST_QUERIES = ["methods_channels_compared", "villages_missing_ratio", "breach_list"]


def case_query(args):
    """Named queries over the 10M-rating warehouse: `pingyi query --name`
    beside DuckDB running the same SQL file on the same Parquet files
    (queries/engines/duckdb_run.py). Both are a fresh process per query, so
    both pay their start-up: Python and `import duckdb` on one side, reading
    the manifest on the other."""
    sys.path.insert(0, str(ROOT / "queries" / "engines"))
    import common
    inbox = data(args.pingyi, args.scale) / "inbox"
    queries = {q["name"]: q for q in common.load_queries(ROOT / "queries")}
    results = {}
    with tempfile.TemporaryDirectory() as d:
        rows = computed_warehouse(args.pingyi, inbox, d)
        for name in ANALYST_QUERIES:
            params = [f"--param={k}={v}" for k, v in queries[name]["example"].items()]
            mine = median_of(args.reps, lambda: measure([args.pingyi, "query", "--queries", str(ROOT / "queries"), "--name", name, "--format", "csv", *params], cwd=d))
            duck = median_of(args.reps, lambda: measure([PY, str(ROOT / "queries" / "engines" / "duckdb_run.py"), "--warehouse", "wh", "--name", name, *params], cwd=d))
            mine["ratio_vs_duckdb"] = mine["wall_s"] / duck["wall_s"]
            results[f"pingyi query {name}"] = mine
            results[f"duckdb, same SQL: {name}"] = duck
    for r in results.values():
        r["rows"] = rows
    return results


# The evaluation devices' mapping, as in the repository's pingyi.toml.
DEVICE_SOURCE = (ROOT / "pingyi.toml").read_text().split("[sources.evaluation_device]", 1)[1]
DEVICE_SOURCE = "[sources.evaluation_device]" + DEVICE_SOURCE


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) // 1024 // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pingyi", required=True)
    ap.add_argument("--scale", type=int, default=10_000_000)
    ap.add_argument("--ingest-scale", type=int, default=14_700_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cases", default="generate,ingest,compute,report,run")
    args = ap.parse_args()
    started = time.time()
    out = {"machine": machine(), "scale": args.scale, "reps": args.reps, "cases": {}}
    for case in args.cases.split(","):
        out["cases"][case] = globals()[f"case_{case}"](args)
    (BENCH / "results").mkdir(exist_ok=True)
    (BENCH / "results" / "latest.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"machine: {out['machine']}; scale {args.scale}; median of {args.reps}; {time.time() - started:.0f} s in all\n")
    print("| case | rows | wall s | CPU s | peak RSS MiB | rows/s | vs DuckDB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for case in out["cases"].values():
        for name, r in case.items():
            if name.startswith("_"):
                continue
            ratio = f"{r['ratio_vs_duckdb']:.2f}×" if "ratio_vs_duckdb" in r else ""
            if "ratio_vs_faster_peer" in r:
                ratio = f"{r['ratio_vs_faster_peer']:.2f}× faster peer"
            rps = f"{r.get('rows_per_s', r['rows'] / r['wall_s']):,.0f}"
            print(f"| {name} | {r['rows']:,} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} | {r['rss_mib']:.0f} | {rps} | {ratio} |".replace("nan", "–"))
            if "cards" in r:
                print(f"\n(report: {r['cards']:,} unit cards, {r['output_mib']:.0f} MiB of output)\n")


if __name__ == "__main__":
    main()
