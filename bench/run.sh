#!/usr/bin/env bash
# Benchmarks (not tests): pingyi beside DuckDB and Python polars on the same
# generated data, in the same run, at 1M and 10M ratings: peers doing less
# work (one CSV, core group-bys) and peers doing equal work (the project's
# SQL models on the same warehouse; every export with SQL checks, then the
# models), the latter checked equal to pingyi's tables. Writes the table
# into BENCHMARKS.md. Usage:
#   bench/run.sh [--scales 1000000,10000000] [--reps N] [--stages ingest,compute,report,run,query,generate] [--no-write]
# PINGYI_PROFILE=bench-fast builds and measures the faster-to-build profile
# (no LTO) while developing; the published table uses the default, release.
# Installs its Python peers (bench/peers/requirements.txt: duckdb, polars, fastexcel)
# in bench/.venv; caches generated data in bench/data.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pingyi/target}"
PROFILE="${PINGYI_PROFILE:-release}"
cargo build --profile "$PROFILE" --locked
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/peers/requirements.txt
exec bench/.venv/bin/python bench/harness.py --pingyi "$CARGO_TARGET_DIR/$PROFILE/pingyi" "$@"
