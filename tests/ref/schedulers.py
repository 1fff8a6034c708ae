#!/usr/bin/env python3
"""Independent reference for fbw's model-sampling tables and schedulers.

Written from the formulas in shared/reference/sampling.md (A.2, A.3), not from fbw's C code, and
run with the project's python (numpy, scipy and torch: FBW_REF_DEPS=1 make deps):

    .venv/bin/python tests/ref/schedulers.py            # rewrites tests/ref/schedulers.txt

Tables follow ComfyUI comfy/model_sampling.py:

    scaled_linear, linear   ModelSamplingDiscrete (EPS): betas and their cumulative product in
                            float64, sigmas and log sigmas stored as float32 (log taken before
                            the float32 cast)
    sd3                     ModelSamplingDiscreteFlow shift 3, multiplier 1000 (SD3)
    schnell                 ModelSamplingDiscreteFlow shift 1, multiplier 1 (FLUX-schnell)
    flux                    ModelSamplingFlux shift 1.15, 10000 entries (FLUX.1-dev)

The flow tables are built the way ComfyUI builds them: float32 torch arithmetic, one rounding
per operation, Python constants rounded to float32, and `a / tensor` evaluated as
`tensor.reciprocal() * a` (torch's __rtruediv__).  Their log sigma (ComfyUI keeps none) is
float32(log(sigma)).  Their timestep(), sigma() and percent_to_sigma() are the float64 formulas.

The EPS tables' timestep() and sigma() are float32 torch operations as in ComfyUI, and normal and
sgm_uniform take their timesteps from torch's float32 linspace there: at the half-integer
timesteps of, e.g., 4 and 12 steps the two neighbouring table entries tie in float32, and the
float64 formulas picked the other entry (uni_pc then drifted 1e-4 from ComfyUI).  Other schedules
are computed in float64 from the float32 tables and each value is rounded to float32, as ComfyUI
returns float32 tensors.  self_check() also runs normal, sgm_uniform,
kl_optimal and linear_quadratic on the flow tables in float32 the way torch does, and asserts
that the float64 values stay within the tolerances the C test uses.

Output format (one record per line, whitespace separated, '#' starts a comment):

    fbw-ref schedulers 1                             magic and version (first line)
    table <tab> <n> <index> <sigma> <log_sigma>      a table entry
    sched <name> <tab> <steps> <count> <v0> ... <v(count-1)>
    timestep <tab> <sigma> <t>                       EPS: nearest table index in log space;
                                                     flow: sigma * multiplier; flux: sigma
    sigma <tab> <t> <sigma>                          EPS: log-linear interpolation at t;
                                                     flow/flux: the shift at t / multiplier
    percent <tab> <p> <sigma>                        percent_to_sigma(p)

<tab> is a beta schedule name (an EPS table) or one of the flow table tags above.
"""

import math
import os
import sys

import numpy as np
import scipy.stats
import torch

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

    # ComfyUI's timestep() and sigma() run on float32 torch tensors: sigma and the table are
    # float32, so the distances and the interpolation are float32 operations.  log and exp are
    # torch's own (on one element, the C library's logf/expf; numpy's float32 exp differs from
    # them in the last bit, e.g. sigma(999) of scaled_linear).
    def timestep(self, sigma):
        d = (torch.tensor(sigma, dtype=torch.float32).log() -
             torch.from_numpy(self.log_sigmas)).abs()
        return int(d.argmin())            # first index on ties

    def sigma(self, t):
        t = min(max(F32(t), F32(0)), F32(self.n - 1))
        lo, hi = int(math.floor(t)), int(math.ceil(t))
        w = t - F32(lo)
        ls = (F32(1) - w) * self.log_sigmas[lo] + w * self.log_sigmas[hi]
        assert ls.dtype == np.float32
        return float(torch.tensor(ls).exp())

    def percent_to_sigma(self, p):
        if p <= 0.0:
            return 999999999.9
        if p >= 1.0:
            return 0.0
        return self.sigma((1.0 - p) * (self.n - 1))


F32 = np.float32


def time_snr_shift(alpha, t):
    """comfy/model_sampling.py time_snr_shift, on Python floats (float64)."""
    if alpha == 1.0:
        return t
    return alpha * t / (1 + (alpha - 1) * t)


def flux_time_shift(mu, t):
    """comfy/model_sampling.py flux_time_shift(mu, 1.0, t), float64; t = 0 gives 0."""
    with np.errstate(divide="ignore"):
        inv = np.float64(1.0) / np.float64(t)
    return float(math.exp(mu) / (math.exp(mu) + (inv - 1.0)))


def shift_f32(alpha, t):
    """time_snr_shift on a float32 tensor t, as torch evaluates it."""
    if alpha == 1.0:
        return t
    return (F32(alpha) * t) / (F32(1) + F32(alpha - 1) * t)


def flux_shift_f32(mu, t):
    """flux_time_shift(mu, 1.0, t) on a float32 tensor t, as torch evaluates it: 1 / t and
    exp(mu) / d are reciprocal() * scalar (Tensor.__rtruediv__), and ** 1.0 is a copy."""
    e = F32(math.exp(mu))
    with np.errstate(divide="ignore"):
        d = (F32(1) / t) * F32(1) - F32(1) + e
    return (F32(1) / d) * e


class FlowTable:
    """ModelSamplingDiscreteFlow (kind "flow") or ModelSamplingFlux ("flux"), A.2."""

    def __init__(self, kind, shift, multiplier=1.0):
        self.kind, self.shift, self.multiplier = kind, shift, multiplier
        self.n = 1000 if kind == "flow" else 10000
        i = np.arange(1, self.n + 1).astype(F32)          # torch.arange(1, n + 1, 1)
        t = i / F32(self.n)                               # int64 / int -> float32
        if kind == "flow":
            # set_parameters: sigma((arange / timesteps) * multiplier), sigma divides it back
            t = (t * F32(multiplier)) / F32(multiplier)
            self.sigmas = shift_f32(shift, t)
        else:
            self.sigmas = flux_shift_f32(shift, t)
        assert self.sigmas.dtype == np.float32
        self.log_sigmas = np.log(self.sigmas.astype(np.float64)).astype(F32)
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def timestep(self, sigma):
        return sigma * self.multiplier if self.kind == "flow" else sigma

    def sigma(self, t):
        if self.kind == "flow":
            return time_snr_shift(self.shift, t / self.multiplier)
        return flux_time_shift(self.shift, t)

    def percent_to_sigma(self, p):
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0
        if self.kind == "flow":
            return time_snr_shift(self.shift, 1.0 - p)
        return flux_time_shift(self.shift, 1.0 - p)

    # float32 versions of the maps, for the torch cross-check in self_check()
    def timestep_f32(self, sigma):
        return F32(sigma) * F32(self.multiplier) if self.kind == "flow" else F32(sigma)

    def sigma_f32(self, t):
        if self.kind == "flow":
            return shift_f32(self.shift, F32(t) / F32(self.multiplier))
        return flux_shift_f32(self.shift, F32(t))


# fbw tag: (kind, shift, multiplier).  ComfyUI's ModelSamplingSD3 node (shift 3, multiplier
# 1000), FLUX.1-dev's default ModelSamplingFlux shift, and FLUX-schnell's DiscreteFlow.
FLOW_TABLES = {
    "sd3": ("flow", 3.0, 1000.0),
    "flux": ("flux", 1.15, 1.0),
    "schnell": ("flow", 1.0, 1.0),
}


def make_table(tag):
    if tag in BETAS:
        return Table(tag)
    kind, shift, mult = FLOW_TABLES[tag]
    return FlowTable(kind, shift, mult)


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
    # On an EPS table the timesteps are torch's float32 linspace (its half-integer points decide
    # table ties in timestep()); the flow maps are float64 (cross_check_torch bounds the gap).
    # (The toy scripts bring flow tables of their own: an EPS table is this file's Table.)
    space = torch_linspace_f32 if isinstance(tab, Table) else linspace
    start = tab.timestep(tab.sigma_max)
    end = tab.timestep(tab.sigma_min)
    append_zero = True
    if sgm:
        ts = space(start, end, steps + 1)[:-1]
    else:
        if abs(tab.sigma(end)) <= 1e-5:
            steps += 1
            append_zero = False
        ts = space(start, end, steps)
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


# The flow tables' edge cases, quoted from sampling.md (A.2-A.4) and fbcache.md.
SD3_SIMPLE_10 = [1, 0.964286, 0.923077, 0.875000, 0.818182, 0.750000, 0.666667, 0.562500,
                 0.428571, 0.250000, 0]                                  # A.4
SD3_NORMAL_END = 0.008929       # A.3: normal applies the shift twice at the low end...
SD3_SIGMA_MIN = 0.002994        # ...instead of ending at sigma_min = shift(0.001)
FLUX_NORMAL_END = 0.000997      # A.3
FLUX_PERCENT_02 = 0.927         # fbcache.md: start 0.2 -> e^1.15 / (e^1.15 + 0.25)
STEPS_FLOW = [1, 2, 3, 10, 30]


def torch_linspace_f32(start, end, steps):
    """torch.linspace(start, end, steps) in float32 (CPU kernel): the step is float32 and the
    second half counts back from end."""
    start, end = F32(start), F32(end)
    if steps == 1:
        return [start]
    step = (end - start) / F32(steps - 1)
    half = steps // 2
    return [start + step * F32(i) if i < half else end - step * F32(steps - i - 1)
            for i in range(steps)]


def normal_torch(tab, steps, sgm=False):
    """ComfyUI normal_scheduler on a flow table in float32, the way torch runs it."""
    start, end = tab.timestep_f32(tab.sigma_max), tab.timestep_f32(tab.sigma_min)
    append_zero = True
    if sgm:
        ts = torch_linspace_f32(start, end, steps + 1)[:-1]
    else:
        if abs(float(tab.sigma_f32(end))) <= 1e-5:
            steps += 1
            append_zero = False
        ts = torch_linspace_f32(start, end, steps)
    sigs = [float(tab.sigma_f32(t)) for t in ts]
    return sigs + [0.0] if append_zero else sigs


def kl_optimal_torch(tab, n):
    adj = np.arange(n, dtype=F32) / F32(n - 1)
    v = adj * F32(math.atan(tab.sigma_min)) + (F32(1) - adj) * F32(math.atan(tab.sigma_max))
    return [float(x) for x in np.tan(v)] + [0.0]


def linear_quadratic_torch(tab, steps):
    sched = np.array(linear_quadratic(FixedMax, steps), dtype=F32)
    return [float(x) for x in sched * F32(tab.sigma_max)]


class FixedMax:
    sigma_max = 1.0


def cross_check_torch(tab, tag):
    """fbw computes schedules in float64 and rounds once; ComfyUI runs some of them in float32
    torch arithmetic.  Assert the two stay close on the flow tables: within the C test's
    tolerances, except kl_optimal past 30 steps, where ComfyUI's float32
    adj * atan(sigma_min) + (1 - adj) * atan(sigma_max) cancels near the low end (up to ~1.5e-6
    relative at 60-100 steps; fbw's float64 value is the more accurate one)."""
    checks = (("normal", lambda n: normal_torch(tab, n), 1e-5),
              ("sgm_uniform", lambda n: normal_torch(tab, n, sgm=True), 1e-5),
              ("kl_optimal", lambda n: kl_optimal_torch(tab, n), 2e-6),
              ("linear_quadratic", lambda n: linear_quadratic_torch(tab, n), 1e-6))
    for name, torch_fn, rtol in checks:
        worst = 0.0
        for steps in STEPS_FLOW + [60, 100]:
            if (name, steps) in NOT_DEFINED:
                continue
            ours, theirs = f32(SCHEDULERS[name](tab, steps)), torch_fn(steps)
            assert len(ours) == len(theirs), (tag, name, steps)
            for a, b in zip(ours, theirs):
                worst = max(worst, abs(a - b) / b if b else abs(a))
        assert worst <= rtol, (tag, name, worst)
        print("%s %s: float64 vs torch float32, max rel diff %.2g" % (tag, name, worst),
              file=sys.stderr)


def close6(got, want):
    """Equal to a value quoted to 6 decimals."""
    return abs(got - want) <= 5e-7 + 1e-6 * abs(want)


def self_check_flow():
    sd3, flux, schnell = (make_table(t) for t in ("sd3", "flux", "schnell"))
    assert sd3.n == 1000 and flux.n == 10000 and schnell.n == 1000
    assert sd3.sigma_max == 1.0 and flux.sigma_max == 1.0 and schnell.sigma_max == 1.0
    assert close6(sd3.sigma_min, SD3_SIGMA_MIN), sd3.sigma_min
    assert schnell.sigma_min == float(F32(0.001)), schnell.sigma_min
    got = f32(simple(sd3, 10))
    assert len(got) == len(SD3_SIMPLE_10) and all(map(close6, got, SD3_SIMPLE_10)), got
    for tab, want in ((sd3, SD3_NORMAL_END), (flux, FLUX_NORMAL_END)):
        for steps in (2, 3, 10, 30):
            v = f32(normal(tab, steps))
            assert len(v) == steps + 1 and v[-1] == 0.0 and close6(v[-2], want), v
    e = math.exp(1.15)
    assert abs(flux.percent_to_sigma(0.2) - e / (e + 0.25)) <= 1e-15
    assert abs(flux.percent_to_sigma(0.2) - FLUX_PERCENT_02) <= 5e-4
    for tag, tab in (("sd3", sd3), ("flux", flux), ("schnell", schnell)):
        cross_check_torch(tab, tag)


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
    self_check_flow()


def fmt(v):
    return repr(float(v))


def flow_records(tag):
    """The records for one flow table: ~50 table entries, all nine schedulers, the maps."""
    tab = make_table(tag)
    out = ["# %s: %s shift %r multiplier %r" % ((tag,) + FLOW_TABLES[tag])]
    idx = sorted(set([0, 1, 2, 3, tab.n - 3, tab.n - 2, tab.n - 1] +
                     list(range(0, tab.n, tab.n // 50))))
    for i in idx:
        out.append("table %s %d %d %s %s" % (tag, tab.n, i, fmt(tab.sigmas[i]),
                                             fmt(tab.log_sigmas[i])))
    for name, fn in SCHEDULERS.items():
        for steps in sorted(set(STEPS_FLOW + EXTRA_STEPS.get(name, []))):
            if (name, steps) in NOT_DEFINED:
                continue
            v = f32(fn(tab, steps))
            out.append("sched %s %s %d %d %s" % (name, tag, steps, len(v),
                                                 " ".join(fmt(x) for x in v)))
    probes = [tab.sigma_min, tab.sigma_max, 1e-3, 0.1, 0.25, 0.5, 0.75, 1.0,
              float(tab.sigmas[tab.n // 2])]
    for s in probes:
        out.append("timestep %s %s %s" % (tag, fmt(s), fmt(tab.timestep(s))))
    ts = [tab.timestep(tab.sigma_min)] + [f * tab.multiplier for f in
                                          (0.0, 1e-4, 1e-3, 0.25, 0.5, 0.777125, 0.999, 1.0, 1.2)]
    for t in ts:
        out.append("sigma %s %s %s" % (tag, fmt(t), fmt(tab.sigma(t))))
    for p in (-0.5, 0.0, 1e-4, 0.1, 0.2, 0.25, 0.5, 0.75, 0.999, 1.0, 2.0):
        out.append("percent %s %s %s" % (tag, fmt(p), fmt(tab.percent_to_sigma(p))))
    return out


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
    for tag in FLOW_TABLES:
        out.extend(flow_records(tag))
    path = os.path.join(here, "schedulers.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
