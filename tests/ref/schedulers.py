#!/usr/bin/python3
"""Independent reference for fbw's model-sampling tables and schedulers.

Written from the formulas in shared/reference/sampling.md (A.2, A.3), not from fbw's C code, and
run with Debian's python (/usr/bin/python3: numpy + scipy):

    /usr/bin/python3 tests/ref/schedulers.py            # rewrites tests/ref/schedulers.txt

Tables follow ComfyUI's ModelSamplingDiscrete: betas and their cumulative product in float64,
sigmas and log sigmas stored as float32 (log taken before the float32 cast).  Schedules are
computed in float64 from those float32 tables and each value is rounded to float32, as ComfyUI
returns float32 tensors.

Output format (one record per line, whitespace separated, '#' starts a comment):

    fbw-ref schedulers 1                             magic and version (first line)
    table <beta> <n> <index> <sigma> <log_sigma>     a table entry
    sched <name> <beta> <steps> <count> <v0> ... <v(count-1)>
    timestep <beta> <sigma> <index>                  nearest table index to sigma in log space
    sigma <beta> <t> <sigma>                         log-linear interpolation at timestep t
    percent <beta> <p> <sigma>                       percent_to_sigma(p)
"""

import math
import os
import sys

import numpy as np
import scipy.stats

MAGIC = "fbw-ref schedulers 1"
TIMESTEPS = 1000
BETAS = {
    # fbw name: (linspace space, start, end).  ComfyUI calls the SD one "linear".
    "scaled_linear": ("sqrt", 0.00085, 0.012),
    "linear": ("beta", 1e-4, 0.02),
}


class Table:
    """ModelSamplingDiscrete (EPS), A.2."""

    def __init__(self, beta):
        space, start, end = BETAS[beta]
        if space == "sqrt":
            betas = np.linspace(math.sqrt(start), math.sqrt(end), TIMESTEPS, dtype=np.float64) ** 2
        else:
            betas = np.linspace(start, end, TIMESTEPS, dtype=np.float64)
        ac = np.cumprod(1.0 - betas)
        s64 = np.sqrt((1.0 - ac) / ac)
        self.sigmas = s64.astype(np.float32)
        self.log_sigmas = np.log(s64).astype(np.float32)
        self.n = len(self.sigmas)
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def timestep(self, sigma):
        d = np.abs(math.log(sigma) - self.log_sigmas.astype(np.float64))
        return int(np.argmin(d))          # first index on ties

    def sigma(self, t):
        t = min(max(float(t), 0.0), float(self.n - 1))
        lo, hi = math.floor(t), math.ceil(t)
        w = t - lo
        ls = (1.0 - w) * float(self.log_sigmas[lo]) + w * float(self.log_sigmas[hi])
        return math.exp(ls)

    def percent_to_sigma(self, p):
        if p <= 0.0:
            return 999999999.9
        if p >= 1.0:
            return 0.0
        return self.sigma((1.0 - p) * (self.n - 1))


def f32(values):
    return [float(np.float32(v)) for v in values]


def linspace(a, b, n):
    return list(np.linspace(a, b, n, dtype=np.float64))


def karras(tab, n, rho=7.0):
    lo, hi = tab.sigma_min ** (1.0 / rho), tab.sigma_max ** (1.0 / rho)
    return [(hi + r * (lo - hi)) ** rho for r in linspace(0.0, 1.0, n)] + [0.0]


def exponential(tab, n):
    logs = linspace(math.log(tab.sigma_max), math.log(tab.sigma_min), n)
    return [math.exp(v) for v in logs] + [0.0]


def simple(tab, steps):
    ss = tab.n / steps
    return [float(tab.sigmas[-(1 + int(x * ss))]) for x in range(steps)] + [0.0]


def ddim_uniform(tab, steps):
    if abs(float(tab.sigmas[1])) <= 1e-5:
        steps += 1
        sigs = []
    else:
        sigs = [0.0]
    ss = max(tab.n // steps, 1)
    x = 1
    while x < tab.n:
        sigs.append(float(tab.sigmas[x]))
        x += ss
    return sigs[::-1]


def normal(tab, steps, sgm=False):
    start = tab.timestep(tab.sigma_max)
    end = tab.timestep(tab.sigma_min)
    append_zero = True
    if sgm:
        ts = linspace(start, end, steps + 1)[:-1]
    else:
        if abs(tab.sigma(end)) <= 1e-5:
            steps += 1
            append_zero = False
        ts = linspace(start, end, steps)
    sigs = [tab.sigma(t) for t in ts]
    return sigs + [0.0] if append_zero else sigs


def sgm_uniform(tab, steps):
    return normal(tab, steps, sgm=True)


def beta(tab, steps, alpha=0.6, b=0.6):
    total = tab.n - 1
    q = 1.0 - np.linspace(0.0, 1.0, steps, endpoint=False)
    ts = np.rint(scipy.stats.beta.ppf(q, alpha, b) * total)
    sigs, last = [], -1
    for t in ts:
        if t != last:
            sigs.append(float(tab.sigmas[int(t)]))
        last = t
    return sigs + [0.0]


def linear_quadratic(tab, steps, thr=0.025):
    if steps == 1:
        sched = [1.0, 0.0]
    else:
        lin_steps = steps // 2
        lin = [i * thr / lin_steps for i in range(lin_steps)]
        diff = lin_steps - thr * steps
        quad_steps = steps - lin_steps
        qc = diff / (lin_steps * quad_steps ** 2)
        lc = thr / lin_steps - 2 * diff / (quad_steps ** 2)
        c = qc * lin_steps ** 2
        quad = [qc * i ** 2 + lc * i + c for i in range(lin_steps, steps)]
        sched = [1.0 - v for v in lin + quad + [1.0]]
    return [v * tab.sigma_max for v in sched]


def kl_optimal(tab, n):
    lo, hi = math.atan(tab.sigma_min), math.atan(tab.sigma_max)
    return [math.tan((i / (n - 1)) * lo + (1.0 - i / (n - 1)) * hi) for i in range(n)] + [0.0]


SCHEDULERS = {
    "simple": simple, "sgm_uniform": sgm_uniform, "karras": karras, "exponential": exponential,
    "ddim_uniform": ddim_uniform, "beta": beta, "normal": normal,
    "linear_quadratic": linear_quadratic, "kl_optimal": kl_optimal,
}
STEPS = [1, 2, 3, 10, 30, 60]
EXTRA_STEPS = {
    "ddim_uniform": [7, 999],                       # counts other than steps+1
    "beta": list(range(4, 41)) + [50, 64, 100],     # rint() of the beta quantiles
    "simple": [7],
}
NOT_DEFINED = {("kl_optimal", 1)}                   # ComfyUI divides by zero (NaN)


# sampling.md A.4, quoted to 6 decimals: the script checks itself against them before writing.
A4 = [
    ("karras", None, 10, [14.614600, 9.103405, 5.479027, 3.169204, 1.749901, 0.914420, 0.447145,
                          0.201532, 0.081981, 0.029200, 0]),
    ("karras", "scaled_linear", 10, [14.614641, 9.102928, 5.478392, 3.168603, 1.749417, 0.914072,
                                     0.446918, 0.201398, 0.081910, 0.029167, 0]),
    ("normal", "scaled_linear", 10, [14.614641, 7.839883, 4.609174, 2.918307, 1.950161, 1.344928,
                                     0.932358, 0.624977, 0.368658, 0.029167, 0]),
]


class FixedRange:
    """Just the endpoints, for the formula schedulers (karras(10, 0.0292, 14.6146) in A.4)."""
    sigma_min, sigma_max = 0.0292, 14.6146


def self_check():
    sd = Table("scaled_linear")
    for want, got in ((0.029167158, sd.sigma_min), (14.614641229, sd.sigma_max),
                      (0.041314412, sd.sigmas[1]), (1.618278826, sd.sigmas[500])):
        assert abs(got - want) <= 1e-7 * want, (got, want)
    dit = Table("linear")
    assert abs(dit.sigma_min - 0.0100005) <= 1e-6 * 0.0100005, dit.sigma_min
    assert abs(dit.sigma_max - 157.40728) <= 1e-6 * 157.40728, dit.sigma_max
    for name, beta, steps, want in A4:
        got = f32(SCHEDULERS[name](Table(beta) if beta else FixedRange(), steps))
        assert len(got) == len(want), (name, got)
        for g, w in zip(got, want):
            assert abs(g - w) <= 5e-7 + 1e-6 * w, (name, beta, g, w)


def fmt(v):
    return repr(float(v))


def main():
    self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    out = [MAGIC]
    for bname in BETAS:
        tab = Table(bname)
        for i in (0, 1, 2, 250, 500, 998, 999):
            out.append("table %s %d %d %s %s" % (bname, tab.n, i, fmt(tab.sigmas[i]),
                                                 fmt(tab.log_sigmas[i])))
        for name, fn in SCHEDULERS.items():
            for steps in sorted(set(STEPS + EXTRA_STEPS.get(name, []))):
                if (name, steps) in NOT_DEFINED:
                    continue
                v = f32(fn(tab, steps))
                out.append("sched %s %s %d %d %s" % (name, bname, steps, len(v),
                                                     " ".join(fmt(x) for x in v)))
        probes = [tab.sigma_min, tab.sigma_max, 1e-3, 1e3, 1.0, 0.5, 3.0,
                  float(tab.sigmas[500]), math.sqrt(float(tab.sigmas[10]) * float(tab.sigmas[11]))]
        for s in probes:
            out.append("timestep %s %s %d" % (bname, fmt(s), tab.timestep(s)))
        for t in (-5.0, 0.0, 0.25, 1.5, 10.0, 499.5, 500.0, 777.125, 998.75, 999.0, 1200.0):
            out.append("sigma %s %s %s" % (bname, fmt(t), fmt(tab.sigma(t))))
        for p in (-0.5, 0.0, 1e-4, 0.1, 0.25, 0.5, 0.75, 0.999, 1.0, 2.0):
            out.append("percent %s %s %s" % (bname, fmt(p), fmt(tab.percent_to_sigma(p))))
    path = os.path.join(here, "schedulers.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
