#!/usr/bin/env python3
"""Reference figures for fbw's stats_median_ci_rank and stats_paired_speedup (util/stats.c),
computed with numpy and scipy.stats.binom from the definitions in shared/reference/timing.md 2
(not from the C code):

    .venv/bin/python tests/ref/median_ci_ref.py    # rewrites tests/ref/median_ci_ref.txt

(numpy and scipy: FBW_REF_DEPS=1 make deps.)  tests/util/stats_test.c reads the file and
compares every figure to 1e-12 relative.

Definitions: for n i.i.d. values the median lies in [x(j), x(n+1-j)] (1-based order statistics)
with probability 1 - 2 P(B <= j - 1), B ~ Binomial(n, 1/2); j is the largest j >= 1 (and
j <= n + 1 - j) with P(B <= j - 1) <= (1 - level) / 2, or 0 when none qualifies (no interval,
coverage nan).  A paired sample ref[k], cell[k] gives x_k = ln(ref[k] / cell[k]); estimate =
exp(np.median(x)); lo, hi = exp(x(j)), exp(x(n+1-j)); rc 0 with an interval, 1 without (lo, hi
and coverage nan).  Each j is also checked here against exact rational arithmetic (math.comb),
and the script refuses to write a file in which a decision P(B <= j - 1) <= (1 - level) / 2 lies
closer to its threshold than 1e-9 relative, so that no rounding can flip a j on the C side.

Output format (one record per line, whitespace separated):

    fbw-ref median_ci 1                                  magic and version (first line)
    rank <n> <level> <j> <coverage>                      coverage repr of float64, nan if j == 0
    pair <name> <n> <level> <ref0> ... <ref(n-1)> <cell0> ... <cell(n-1)>
         <rc> <estimate> <lo> <hi> <coverage>            (one line)
"""

import math
import os
import sys
from fractions import Fraction

import numpy as np
from scipy.stats import binom

MAGIC = "fbw-ref median_ci 1"
LEVELS = [0.90, 0.95, 0.99]
RANK_NS = list(range(1, 61)) + [100, 250, 1000]
MARGIN = 1e-9
SEED = 20240611

# name, rounds, level, true speed-up, per-round shared load sigma, per-run noise sigma
PAIRS = [
    ("n5", 5, 0.95, 1.50, 0.10, 0.03),
    ("n6", 6, 0.95, 1.50, 0.10, 0.03),
    ("n7", 7, 0.95, 1.25, 0.20, 0.05),
    ("n10", 10, 0.95, 2.00, 0.10, 0.02),
    ("n11", 11, 0.90, 1.10, 0.30, 0.04),
    ("n20", 20, 0.95, 1.80, 0.15, 0.05),
    ("n31", 31, 0.99, 1.30, 0.10, 0.03),
    ("slower20", 20, 0.95, 0.70, 0.10, 0.04),
]


def rank(n, level):
    """j and its coverage from scipy's binomial CDF; the decision is also made exactly."""
    half_alpha = (1.0 - level) / 2.0
    j = 0
    for cand in range(1, (n + 1) // 2 + 1):
        tail = binom.cdf(cand - 1, n, 0.5)
        exact = Fraction(sum(math.comb(n, i) for i in range(cand)), 2**n)
        if (exact <= Fraction(half_alpha)) != (tail <= half_alpha):
            sys.exit("n %d level %g j %d: scipy and exact arithmetic disagree" % (n, level, cand))
        if abs(float(exact) - half_alpha) < MARGIN * half_alpha:
            sys.exit("n %d level %g j %d: too close to the threshold" % (n, level, cand))
        if tail > half_alpha:
            break
        j = cand
    if j == 0:
        return 0, float("nan")
    coverage = 1.0 - 2.0 * binom.cdf(j - 1, n, 0.5)
    exact = 1 - 2 * Fraction(sum(math.comb(n, i) for i in range(j)), 2**n)
    if abs(coverage - float(exact)) > 1e-14:
        sys.exit("n %d level %g: scipy coverage %r, exact %r" % (n, level, coverage, float(exact)))
    return j, coverage


def paired_times(rng, n, speedup, load, noise):
    """Log-normal times near 1.2 s: both runs of a round share its load, each has its own noise."""
    shared = rng.normal(0.0, load, n)
    ref = 1.2 * np.exp(shared + rng.normal(0.0, noise, n))
    cell = 1.2 / speedup * np.exp(shared + rng.normal(0.0, noise, n))
    return ref, cell


def speedup(ref, cell, level):
    x = np.sort(np.log(ref / cell))
    n = len(x)
    estimate = np.exp(np.median(x))
    j, coverage = rank(n, level)
    if j == 0:
        return 1, estimate, float("nan"), float("nan"), coverage
    return 0, estimate, np.exp(x[j - 1]), np.exp(x[n - j]), coverage


def fmt(v):
    return repr(float(v))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "median_ci_ref.txt")
    lines = [MAGIC]
    for level in LEVELS:
        for n in RANK_NS:
            j, coverage = rank(n, level)
            lines.append("rank %d %s %d %s" % (n, fmt(level), j, fmt(coverage)))
    rng = np.random.default_rng(SEED)
    for name, n, level, s, load, noise in PAIRS:
        ref, cell = paired_times(rng, n, s, load, noise)
        rc, estimate, lo, hi, coverage = speedup(ref, cell, level)
        lines.append("pair %s %d %s %s %s %d %s" % (
            name, n, fmt(level), " ".join(fmt(v) for v in ref), " ".join(fmt(v) for v in cell),
            rc, " ".join(fmt(v) for v in (estimate, lo, hi, coverage))))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    sys.stdout.write("wrote %s (%d records)\n" % (out, len(lines) - 1))


if __name__ == "__main__":
    main()
