#!/usr/bin/env bash
# The test command (README, "The tests"): installs what the tests need when
# it is missing, then runs `cargo test --locked` (extra arguments go to
# cargo test). `tests/run.sh --setup-only` installs and checks, runs nothing.
#
# What the tests need besides the Rust toolchain (Debian packages, installed
# with apt-get when missing, through sudo when not root):
#   chromium        the report tests print HTML to PDF with headless Chromium
#   fonts-noto-cjk  without a CJK font every Chinese glyph prints as a box
#   poppler-utils   pdftotext and pdfinfo read the PDFs back
#   python3-venv    the query tests create a virtual environment under
#                   target/tmp/ and install DuckDB from PyPI into it, to check
#                   the named queries give the same rows there
# The tests fail, not skip, without them. PINGYI_PYTHON=/path/to/python
# points the query tests at a Python that already has DuckDB.
set -euo pipefail
cd "$(dirname "$0")/.."

setup_only=false
if [[ ${1:-} == --setup-only ]]; then
    setup_only=true
    shift
fi

if ! command -v cargo >/dev/null; then
    echo "tests: the Rust toolchain is missing: install it from https://rustup.rs (curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh), then run this again" >&2
    exit 1
fi

report_pkgs=(chromium fonts-noto-cjk poppler-utils python3-venv)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
if command -v dpkg-query >/dev/null; then
    missing=()
    for p in "${report_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
    if ((${#missing[@]})); then
        sudo=()
        if [[ $(id -u) != 0 ]]; then
            command -v sudo >/dev/null || { echo "tests: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
            sudo=(sudo)
        fi
        # Wait for a running apt (unattended upgrades on a fresh machine)
        # instead of failing on its lock.
        apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
        echo "tests: installing ${missing[*]}"
        # A mirror hiccup on a fresh machine should not fail the run: retry once.
        "${apt[@]}" update -q || { sleep 10; "${apt[@]}" update -q; }
        # Recommends are not needed: the PDFs come out with Chinese text
        # without them (checked with pdftotext on a minimal Debian 12).
        "${apt[@]}" install -y -q --no-install-recommends "${missing[@]}"
    fi
    echo "tests: report test tools:"
    dpkg-query -W -f='  ${Package} ${Version}\n' "${report_pkgs[@]}"
else
    echo "tests: not Debian; install ${report_pkgs[*]} (or their equivalents: Chromium, a Noto CJK font, poppler's pdftotext and pdfinfo, Python's venv module) yourself" >&2
fi

cargo --version
if $setup_only; then
    exit 0
fi
exec cargo test --locked "$@"
