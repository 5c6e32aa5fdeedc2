"""Writes bh_fdr.csv: Benjamini-Hochberg q-values as statsmodels computes them
(`multipletests(p, method="fdr_bh")[1]`), the reference pingyi's `mk_q` is
tested against (tests/it/changes.rs). The Rust tests read the CSV only, so
they do not need statsmodels.

    python3 -m venv /tmp/sm && /tmp/sm/bin/pip install statsmodels
    /tmp/sm/bin/python tests/reference/bh_fdr.py > tests/reference/bh_fdr.csv

Families (each corrected on its own, as pingyi corrects each level of
`trends`): a textbook example, ties and p = 1, one p-value alone, tiny and
large p-values mixed, and a seeded draw of 200 as many series give.
"""

import csv
import random
import sys

import statsmodels
from statsmodels.stats.multitest import multipletests

FAMILIES = {
    # Benjamini & Hochberg (1995), table 1: the 15 p-values of their example.
    "bh1995": [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
               0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000],
    "ties": [0.04, 0.01, 0.04, 0.04, 1.0, 0.01, 0.5, 0.2, 1.0, 0.03],
    "single": [0.03],
    "mixed": [1e-12, 0.9, 0.049, 0.051, 0.0026, 0.33, 0.7, 0.0125],
}
rng = random.Random(20260501)
# Mostly null p-values (uniform) and a few real signals, unsorted.
FAMILIES["draw200"] = [rng.random() if i % 10 else rng.random() * 1e-3 for i in range(200)]

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(["family", "p", "q"])
for family, p in FAMILIES.items():
    q = multipletests(p, method="fdr_bh")[1]
    for pi, qi in zip(p, q):
        out.writerow([family, repr(float(pi)), repr(float(qi))])
print(f"statsmodels {statsmodels.__version__}", file=sys.stderr)
