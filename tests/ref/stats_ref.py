#!/usr/bin/env python3
"""Reference summaries for fbw's util/stats.c, computed with numpy from the definitions in
util/stats.h (not from the C code):

    .venv/bin/python tests/ref/stats_ref.py        # rewrites tests/ref/stats_ref.txt

tests/bench/stats_test.c reads the file and compares every figure to 1e-12 relative.

Definitions: stddev np.std(ddof=1) (0 for n == 1); median and percentiles np.percentile
(linear); MAD the median of |x - median|, unscaled; CV stddev / mean; Tukey outliers outside
[p25 - 1.5 IQR, p75 + 1.5 IQR]; modified z outliers |x - median| / MAD > 14.826 with MAD == 0
replaced by the float64 epsilon (hyperfine); first_slow when the first sample's signed z score
exceeds 14.826.

Output format (one record per line, whitespace separated):

    fbw-ref stats 1                                      magic and version (first line)
    sample <name> <n> <x0> ... <x(n-1)>                  the input, repr of float64
    stats <name> <mean> <stddev> <median> <min> <max> <p5> <p25> <p75> <p95> <mad> <cv>
          <outliers_tukey> <outliers_z> <first_slow>     (one line)
    flags <name> <tukey0> ... <tukey(n-1)> <z0> ... <z(n-1)>
    pct <name> <q> <value>                               np.percentile(x, q)
    ratio <a> <sa> <b> <sb> <ratio> <err>                a / b, err = ratio * hypot(sa/a, sb/b)
"""

import os
import sys

import numpy as np

MAGIC = "fbw-ref stats 1"
Z_THRESHOLD = 1.4826 * 10.0


def lcg_times(n, seed):
    """Timings around 1.2 s with a little spread, from a 32-bit LCG (any source would do)."""
    out, state = [], seed
    for _ in range(n):
        state = (1664525 * state + 1013904223) & 0xFFFFFFFF
        out.append(1.2 + 0.05 * (state / 2.0**32 - 0.5))
    return out


SAMPLES = [
    ("single", [2.5]),
    ("odd", [1.0, 3.0, 2.0, 10.0, 4.0]),
    ("even", [0.91, 1.02, 0.97, 1.10, 0.95, 1.01]),
    ("first_slow", [5.0, 1.00, 1.01, 0.99, 1.02, 1.00, 0.98, 1.01, 1.00, 0.99]),
    ("first_fast", [0.2, 1.00, 1.01, 0.99, 1.02, 1.00, 0.98, 1.01, 1.00, 0.99]),
    ("tukey_only", [1, 2, 3, 4, 5, 6, 7, 8, 9, 30]),
    ("mad_zero", [1.0, 1.0, 1.0, 1.0, 2.0]),
    ("mad_zero_slow_first", [2.0, 1.0, 1.0, 1.0, 1.0]),
    ("constant", [3.0, 3.0, 3.0]),
    ("two", [1.5, 0.5]),
    ("lcg40", lcg_times(40, 12345)),
]
PERCENTILES = [0, 1, 10, 33.3, 50, 62.5, 90, 99, 100]
RATIOS = [
    (2.0, 0.1, 1.0, 0.05),
    (1.234, 0.0, 0.617, 0.0),
    (10.0, 0.5, 4.0, 0.2),
    (0.8, 0.01, 1.6, 0.03),
]


def fmt(v):
    return repr(float(v))


def summarise(x):
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    mean = np.mean(x)
    std = np.std(x, ddof=1) if n > 1 else 0.0
    med = np.percentile(x, 50)
    p5, p25, p75, p95 = (np.percentile(x, q) for q in (5, 25, 75, 95))
    mad = np.percentile(np.abs(x - med), 50)
    cv = std / mean if mean != 0 else 0.0
    iqr = p75 - p25
    tukey = (x < p25 - 1.5 * iqr) | (x > p75 + 1.5 * iqr)
    zmad = mad if mad > 0 else np.finfo(np.float64).eps
    score = (x - med) / zmad
    z = np.abs(score) > Z_THRESHOLD
    first_slow = bool(score[0] > Z_THRESHOLD)
    figures = [mean, std, med, np.min(x), np.max(x), p5, p25, p75, p95, mad, cv]
    return figures, tukey, z, first_slow


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stats_ref.txt")
    lines = [MAGIC]
    for name, x in SAMPLES:
        figures, tukey, z, first_slow = summarise(x)
        lines.append("sample %s %d %s" % (name, len(x), " ".join(fmt(v) for v in x)))
        lines.append("stats %s %s %d %d %d" % (name, " ".join(fmt(v) for v in figures),
                                               int(tukey.sum()), int(z.sum()), int(first_slow)))
        lines.append("flags %s %s %s" % (name, " ".join(str(int(v)) for v in tukey),
                                         " ".join(str(int(v)) for v in z)))
        for q in PERCENTILES:
            lines.append("pct %s %s %s" % (name, fmt(q), fmt(np.percentile(np.asarray(x), q))))
    for a, sa, b, sb in RATIOS:
        r = a / b
        err = r * np.sqrt((sa / a) ** 2 + (sb / b) ** 2)
        lines.append("ratio %s" % " ".join(fmt(v) for v in (a, sa, b, sb, r, err)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    sys.stdout.write("wrote %s (%d records)\n" % (out, len(lines) - 1))


if __name__ == "__main__":
    main()
