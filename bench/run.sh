#!/usr/bin/env bash
# Benchmarks (not tests): pingyi beside DuckDB and Python polars on the same
# generated data, in the same run, at 1M and 10M ratings; writes the table
# into BENCHMARKS.md. Usage:
#   bench/run.sh [--scales 1000000,10000000] [--reps N] [--stages ingest,compute,report,run,query,generate] [--no-write]
# Installs its Python peers in bench/.venv; caches generated data in bench/data.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pingyi/target}"
cargo build --release --locked
if [ ! -x bench/.venv/bin/python ]; then
  python3 -m venv bench/.venv
fi
bench/.venv/bin/pip install --quiet --disable-pip-version-check -r bench/peers/requirements.txt
exec bench/.venv/bin/python bench/harness.py --pingyi "$CARGO_TARGET_DIR/release/pingyi" "$@"
