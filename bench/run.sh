#!/usr/bin/env bash
# Benchmarks (not tests): pingyi beside DuckDB on the same generated data, in
# the same run. Usage: bench/run.sh [--scale ROWS] [--reps N] [--cases generate,ingest,compute,report]
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
