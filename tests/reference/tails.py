"""Writes tails.csv: the one-sided tail probabilities the integrity checks
use, as scipy computes them: `binom.sf(x - 1, n, p)` = P(X >= x) for the
straight-lining test, `norm.sf(z)` = P(Z >= z) for the method effect's
two-proportion z test. pipeline/stats.rs is tested against the CSV only, so
the tests do not need scipy.

    python3 -m venv /tmp/sm && /tmp/sm/bin/pip install scipy
    /tmp/sm/bin/python tests/reference/tails.py > tests/reference/tails.csv
"""

import sys

import scipy
from scipy.stats import binom, norm

rows = [
    # small, textbook, at and around the mode, far tails, large n
    (5, 10, 0.5), (0, 10, 0.3), (10, 10, 0.3), (11, 10, 0.3), (3, 20, 0.1),
    (8, 20, 0.1), (15, 20, 0.25), (40, 50, 0.27), (49, 50, 0.27), (1, 1, 0.5),
    (300, 1000, 0.27), (270, 1000, 0.27), (260, 1000, 0.27), (400, 1000, 0.27),
    (30, 40, 0.26), (981, 1000, 0.62), (650, 1000, 0.62), (2900, 3179, 0.28),
    (1, 200, 0.001), (5, 200, 0.001),
]
print("dist,x,n,p_or_z,upper_tail")
for x, n, p in rows:
    print(f"binom,{x},{n},{p},{float(binom.sf(x - 1, n, p))!r}")
for z in [-3.0, -1.0, 0.0, 0.5, 1.959963984540054, 2.5, 4.0, 8.0, 12.0]:
    print(f"norm,,,{z},{float(norm.sf(z))!r}")
print(f"# scipy {scipy.__version__}", file=sys.stderr)
