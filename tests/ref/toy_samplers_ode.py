#!/usr/bin/env python3
"""Reference results of ComfyUI's deterministic higher-order samplers on the toy problem.

Independent of fbw's C code: written from shared/reference/sampling.md (A.5, A.6, A.7) and
ComfyUI's comfy/k_diffusion/sampling.py + deis.py, in float64.  Data x0 ~ N(0, 1) (a scalar),
so the exact denoiser is known in closed form (A.7):

    VE   ("sd1", "dit"):   x = x0 + s eps,            D(x, s) = x / (1 + s^2)
    flow ("sd3", "flux"):  x = (1 - s) x0 + s eps,    D(x, s) = (1 - s) x / ((1 - s)^2 + s^2)

and each sampler starts from eps = 1 (VE x_T = sqrt(1 + s0^2), ComfyUI's max_denoise start;
flow x_T = s0), where the exact probability-flow ODE ends at x0 = 1.

    heunpp2              Heun++ (3 calls; Heun on the step before the last, Euler on the last),
                         s_churn = 0: no noise (ComfyUI draws an unused randn_like; we do not)
    dpm_2                DPM-Solver-2 midpoint in log sigma, on KSampler's schedule with the
                         penultimate sigma discarded
    lms                  linear multistep, order 4; coefficients = integrals of Lagrange
                         polynomials in sigma (scipy.integrate.quad here)
    ipndm                fixed Adams-Bashforth coefficients in sigma, order 4
    ipndm_v              variable-step Adams-Bashforth coefficients (ComfyUI's formulas)
    deis                 DEIS 'tab', order 3: sigma -> VP time through edm2t with the hard-coded
                         sigma_min 0.002, sigma_max 80, eps_s 1e-3; coefficients are
                         10000-point rectangle sums of dsigma/dtau * Lagrange_j(tau) exactly as
                         ComfyUI (linspace including both ends, times (t' - t) / 10000)
    ddim                 ComfyUI's "ddim" is Euler
    gradient_estimation  Euler plus (gamma - 1)(d - d_prev) dt, gamma = 2; last step x = D

Schedules come from schedulers.py (VE tables) and the flow tables below (A.2, float32 as
ComfyUI builds them), each value rounded to float32 as ComfyUI returns float32 schedules.

Run with the project's venv (FBW_REF_DEPS=1 make deps: torch, numpy, scipy):
    .venv/bin/python tests/ref/toy_samplers_ode.py
It rewrites tests/ref/toy_samplers_ode.txt:

    fbw-ref toy_samplers_ode 1
    toy <sampler> <table> <scheduler> <steps> <x_T> <x0> <model calls> <n> <sigma_0> ... <sigma_n-1>

(%.17g).  The schedule the sampler ran on is part of the record, so the C test can run on exactly
these sigmas and check its own scheduler against them only loosely.
"""

import math
import os
import sys

import numpy as np
from scipy import integrate

sys.dont_write_bytecode = True      # keep tests/ref free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

MAGIC = "fbw-ref toy_samplers_ode 1"


# ---- flow model-sampling tables (A.2) ----------------------------------------------------------

class FlowTable:
    """ModelSamplingDiscreteFlow (shift, multiplier) or ModelSamplingFlux (mu).

    The table is built as ComfyUI's set_parameters builds it: torch float32 arithmetic on
    arange(1, n + 1) / n, one rounding per operation, Python constants rounded to float32
    (Flux's `1 / t` and `exp(mu) / d` are Tensor.__rtruediv__: reciprocal times the scalar).
    Computing in float64 and rounding once differs by an ulp in many entries, which the simple
    scheduler hands to the sampler as they are.  sigma(t) for the formula schedulers (normal)
    is the closed form in float64, rounded by schedulers.f32 like every schedule.
    """

    def __init__(self, kind, shift, multiplier, n):
        self.kind, self.shift, self.multiplier, self.n = kind, shift, multiplier, n
        f = np.float32
        t = np.arange(1, n + 1).astype(f) / f(n)
        if kind == "flux":
            e = f(math.exp(shift))
            self.sigmas = (f(1) / ((f(1) / t - f(1)) + e)) * e
        else:
            t = (t * f(multiplier)) / f(multiplier)
            self.sigmas = t if shift == 1.0 else (f(shift) * t) / (f(1) + f(shift - 1.0) * t)
        assert self.sigmas.dtype == f
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def shifted(self, t):
        if self.kind == "flux":                       # flux_time_shift(mu, 1, t)
            return math.exp(self.shift) / (math.exp(self.shift) + (1.0 / t - 1.0))
        a = self.shift                                # time_snr_shift(a, t)
        return t if a == 1.0 else a * t / (1.0 + (a - 1.0) * t)

    def timestep(self, sigma):
        return sigma * self.multiplier

    def sigma(self, t):
        return self.shifted(t / self.multiplier)


def make_table(name):
    if name == "sd1":
        return ref.Table("scaled_linear")
    if name == "dit":
        return ref.Table("linear")
    if name == "sd3":
        return FlowTable("flow", 3.0, 1000.0, 1000)
    if name == "flux":
        return FlowTable("flux", 1.15, 1.0, 10000)
    raise ValueError(name)


def is_flow(table):
    return table in ("sd3", "flux")


def schedule(tab, sched, steps, discard_penultimate):
    """KSampler.calculate_sigmas: steps + 1 and drop the penultimate for dpm_2 (and friends)."""
    if discard_penultimate:
        s = ref.f32(ref.SCHEDULERS[sched](tab, steps + 1))
        return s[:-2] + s[-1:]
    return ref.f32(ref.SCHEDULERS[sched](tab, steps))


# ---- the exact toy denoiser, counting calls -----------------------------------------------------

class Toy:
    def __init__(self, flow):
        self.flow, self.calls = flow, 0

    def __call__(self, x, s):
        self.calls += 1
        if self.flow:
            a = 1.0 - s
            return a * x / (a * a + s * s)
        return x / (1.0 + s * s)

    def d(self, x, s):
        """k-diffusion to_d at sigma s (one model call)."""
        return (x - self(x, s)) / s


# ---- samplers ---------------------------------------------------------------------------------

def heunpp2(D, x, sig):
    s_end = sig[-1]
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        d = D.d(x, s)
        dt = s1 - s
        if s1 == s_end:
            x = x + d * dt
        elif sig[i + 2] == s_end:
            x2 = x + d * dt
            d2 = D.d(x2, s1)
            w2 = s1 / (2 * sig[0])
            x = x + (d * (1 - w2) + d2 * w2) * dt
        else:
            x2 = x + d * dt
            d2 = D.d(x2, s1)
            x3 = x2 + d2 * (sig[i + 2] - s1)
            d3 = D.d(x3, sig[i + 2])
            w2, w3 = s1 / (3 * sig[0]), sig[i + 2] / (3 * sig[0])
            x = x + ((1 - w2 - w3) * d + w2 * d2 + w3 * d3) * dt
    return x


def dpm_2(D, x, sig):
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        d = D.d(x, s)
        if s1 == 0:
            x = x + d * (s1 - s)
        else:
            mid = math.sqrt(s * s1)          # exp of the mean of the logs
            x2 = x + d * (mid - s)
            x = x + D.d(x2, mid) * (s1 - s)
    return x


def lms_coeff(sig, i, order, j):
    def basis(tau):
        p = 1.0
        for k in range(order):
            if k != j:
                p *= (tau - sig[i - k]) / (sig[i - j] - sig[i - k])
        return p
    return integrate.quad(basis, sig[i], sig[i + 1], epsrel=1e-12, epsabs=0)[0]


def lms(D, x, sig, order=4):
    ds = []
    for i in range(len(sig) - 1):
        s = sig[i]
        den = D(x, s)
        ds.insert(0, (x - den) / s)          # newest first
        del ds[order:]
        if sig[i + 1] == 0:
            x = den
        else:
            o = min(i + 1, order)
            x = x + sum(lms_coeff(sig, i, o, j) * ds[j] for j in range(o))
    return x


AB = {1: [1.0], 2: [3 / 2, -1 / 2], 3: [23 / 12, -16 / 12, 5 / 12],
      4: [55 / 24, -59 / 24, 37 / 24, -9 / 24]}


def ipndm(D, x, sig):
    hist = []                                # older d's, newest first (at most 3)
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        den = D(x, s)
        d = (x - den) / s
        ds = [d] + hist
        o = min(4, i + 1)
        x = den if s1 == 0 else x + (s1 - s) * sum(c * dd for c, dd in zip(AB[o], ds))
        hist = ds[:3]
    return x


def ipndm_v_coeffs(sig, i, order):
    """ComfyUI sample_ipndm_v's variable-step coefficients (zju-pi diff-solvers)."""
    if order == 1:
        return [1.0]
    hn = sig[i + 1] - sig[i]
    h1 = sig[i] - sig[i - 1]
    if order == 2:
        return [(2 + hn / h1) / 2, -(hn / h1) / 2]
    h2 = sig[i - 1] - sig[i - 2]
    t1 = (1 - hn / (3 * (hn + h1)) * (hn * (hn + h1)) / (h1 * (h1 + h2))) / 2
    if order == 3:
        return [(2 + hn / h1) / 2 + t1, -(hn / h1) / 2 - (1 + h1 / h2) * t1, t1 * h1 / h2]
    h3 = sig[i - 2] - sig[i - 3]
    t2 = (((1 - hn / (3 * (hn + h1))) / 2 + (1 - hn / (2 * (hn + h1))) * hn / (6 * (hn + h1 + h2)))
          * (hn * (hn + h1) * (hn + h1 + h2)) / (h1 * (h1 + h2) * (h1 + h2 + h3)))
    q = h1 * (h1 + h2) / (h2 * (h2 + h3))
    return [(2 + hn / h1) / 2 + t1 + t2,
            -(hn / h1) / 2 - (1 + h1 / h2) * t1 - (1 + h1 / h2 + q) * t2,
            t1 * h1 / h2 + (h1 / h2 + q * (1 + h2 / h3)) * t2,
            -t2 * q * h1 / h2]


def ipndm_v(D, x, sig):
    hist = []
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        den = D(x, s)
        d = (x - den) / s
        ds = [d] + hist
        o = min(4, i + 1)
        x = den if s1 == 0 else x + (s1 - s) * sum(c * dd for c, dd in
                                                    zip(ipndm_v_coeffs(sig, i, o), ds))
        hist = ds[:3]
    return x


# DEIS 'tab' (comfy/k_diffusion/deis.py): edm2t's VP schedule with hard-coded constants.
DEIS_EPS_S, DEIS_SMIN, DEIS_SMAX, DEIS_N = 1e-3, 0.002, 80.0, 10000
DEIS_BETA_D = 2 * (math.log(DEIS_SMIN ** 2 + 1) / DEIS_EPS_S - math.log(DEIS_SMAX ** 2 + 1)) \
    / (DEIS_EPS_S - 1)
DEIS_BETA_MIN = math.log(DEIS_SMAX ** 2 + 1) - 0.5 * DEIS_BETA_D


def deis_t(sigma):
    """The VP time t whose sqrt(e^{beta_d t^2/2 + beta_min t} - 1) is sigma."""
    b0, bd = DEIS_BETA_MIN, DEIS_BETA_D
    return (math.sqrt(b0 * b0 + 2 * bd * math.log(sigma * sigma + 1)) - b0) / bd


def deis_coeffs(sig, i, order):
    ts = [deis_t(sig[i - k]) for k in range(order)]
    t_next = deis_t(sig[i + 1])
    taus = np.linspace(ts[0], t_next, DEIS_N)
    alpha = np.exp(-0.5 * taus ** 2 * DEIS_BETA_D - taus * DEIS_BETA_MIN)
    dlog_alpha = -taus * DEIS_BETA_D - DEIS_BETA_MIN
    integrand = -0.5 * dlog_alpha / np.sqrt(alpha * (1 - alpha))     # = dsigma/dtau
    dtau = (t_next - ts[0]) / DEIS_N
    out = []
    for j in range(order):
        poly = np.ones_like(taus)
        for k in range(order):
            if k != j:
                poly = poly * (taus - ts[k]) / (ts[j] - ts[k])
        out.append(float(np.sum(integrand * poly)) * dtau)
    return out


def deis(D, x, sig, max_order=3):
    hist = []
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        den = D(x, s)
        d = (x - den) / s
        ds = [d] + hist
        o = 1 if s1 <= 0 else min(max_order, i + 1)
        if o == 1:
            x = x + (s1 - s) * d
        else:
            x = x + sum(c * dd for c, dd in zip(deis_coeffs(sig, i, o), ds))
        hist = ds[:max_order - 1]
    return x


def euler(D, x, sig):
    for i in range(len(sig) - 1):
        x = x + D.d(x, sig[i]) * (sig[i + 1] - sig[i])
    return x


def gradient_estimation(D, x, sig, gamma=2.0):
    old = None
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        den = D(x, s)
        d = (x - den) / s
        dt = s1 - s
        if s1 == 0:
            x = den
        else:
            x = x + d * dt
            if i >= 1:
                x = x + (gamma - 1) * (d - old) * dt
        old = d
    return x


# name: (function, discard_penultimate)
SAMPLERS = {
    "heunpp2": (heunpp2, 0), "dpm_2": (dpm_2, 1), "lms": (lms, 0), "ipndm": (ipndm, 0),
    "ipndm_v": (ipndm_v, 0), "deis": (deis, 0), "ddim": (euler, 0),
    "gradient_estimation": (gradient_estimation, 0),
}
CASES = [  # (table, scheduler, steps)
    ("sd1", "karras", 10),
    ("sd1", "normal", 10),
    ("dit", "simple", 30),
    ("dit", "karras", 30),
    ("sd3", "simple", 10),
    ("sd3", "normal", 30),
    ("flux", "karras", 10),
    ("flux", "simple", 30),
]


def run(name, table, tab, sched, steps):
    fn, discard = SAMPLERS[name]
    sig = schedule(tab, sched, steps, discard)
    x_t = sig[0] if is_flow(table) else math.sqrt(1.0 + sig[0] * sig[0])
    D = Toy(is_flow(table))
    return x_t, fn(D, x_t, sig), D.calls, sig


# ---- self checks ------------------------------------------------------------------------------

def self_check():
    # A.7's euler value (VE) and the flow tables through A.7's FLUX dpmpp_2m value.
    tab = make_table("sd1")
    sig = ref.f32(ref.karras(tab, 10))
    assert abs(euler(Toy(False), math.sqrt(1 + sig[0] ** 2), sig) - 0.844542025) < 2e-9
    sig = ref.f32(ref.simple(make_table("flux"), 10))
    D, x, old = Toy(True), sig[0], None
    for i in range(len(sig) - 1):
        den = D(x, sig[i])
        if sig[i + 1] == 0:
            x = den
        else:
            t, tn = -math.log(sig[i]), -math.log(sig[i + 1])
            h = tn - t
            dd = den
            if old is not None:
                r = (t + math.log(sig[i - 1])) / h
                dd = (1 + 1 / (2 * r)) * den - (1 / (2 * r)) * old
            x = (sig[i + 1] / sig[i]) * x - math.expm1(-h) * dd
        old = den
    # A.7 quotes 0.997388158, computed on a table evaluated in float64 and rounded once; on
    # the table as ComfyUI builds it (float32 arithmetic, above) the value is 0.9973881734.
    assert abs(x - 0.997388158) < 2e-8 and abs(x - 0.9973881734) < 1e-10, x
    # ipndm_v on uniform steps: AB2 and AB3 exactly, but order 4 gives (57, -65, 43, -11)/24,
    # not AB4's (55, -59, 37, -9)/24.  On uneven steps its order-4 coefficients do not even sum
    # to 1: coeff4 ends in h_n_1/h_n_2 where the divided difference needs h_n_2/h_n_3 (sum =
    # 1 + temp2 q (h_n_2/h_n_3 - h_n_1/h_n_2)).  We reproduce ComfyUI's formula as it is.
    u = [5.0, 4.0, 3.0, 2.0, 1.0]
    for o in (2, 3):
        assert np.allclose(ipndm_v_coeffs(u, 3, o), AB[o], rtol=0, atol=1e-15), o
    assert np.allclose(np.array(ipndm_v_coeffs(u, 3, 4)) * 24, [57, -65, 43, -11], rtol=0,
                       atol=1e-13)
    assert abs(sum(ipndm_v_coeffs([9.0, 6.0, 4.0, 2.5, 1.7], 3, 4)) - 1) > 1e-3
    # lms / deis coefficients reproduce the step for a linear d(sigma) = sigma (sum of
    # Lagrange bases = 1, times the sigma increment): lms exactly, deis to its rectangle rule.
    sig = ref.f32(ref.karras(tab, 10))
    for i in range(3, 9):
        assert abs(sum(lms_coeff(sig, i, 4, j) for j in range(4)) - (sig[i + 1] - sig[i])) \
            < 1e-12 * sig[i]
        c = deis_coeffs(sig, i, 3)
        assert abs(sum(c) - (sig[i + 1] - sig[i])) < 1e-3 * (sig[i] - sig[i + 1])
    # On 30 steps the higher-order samplers land within 1% of the exact ODE value 1; Euler
    # (ddim), heunpp2 (its weights s'/(3 s0) make it nearly Euler once s << s0) and
    # gradient_estimation within 10%.
    loose = ("ddim", "heunpp2", "gradient_estimation")
    for name in SAMPLERS:
        for table, sched in (("dit", "karras"), ("sd3", "normal")):
            _, x0, _, _ = run(name, table, make_table(table), sched, 30)
            assert abs(x0 - 1) < (0.1 if name in loose else 0.01), (name, table, x0)


def main():
    self_check()
    out = [MAGIC]
    tables = {}
    for table, sched, steps in CASES:
        tab = tables.setdefault(table, make_table(table))
        for name in SAMPLERS:
            x_t, x0, calls, sig = run(name, table, tab, sched, steps)
            out.append("toy %s %s %s %d %.17g %.17g %d %d %s" % (
                name, table, sched, steps, x_t, x0, calls, len(sig),
                " ".join("%.17g" % v for v in sig)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers_ode.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
