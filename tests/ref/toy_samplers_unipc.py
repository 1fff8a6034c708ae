#!/usr/bin/env python3
"""Reference results of ComfyUI's UniPC samplers (uni_pc = bh1, uni_pc_bh2) on the scalar toy.

Independent of fbw's C code: written from sampling.md A.6 and ComfyUI's
comfy/extra_samplers/uni_pc.py (sample_unipc, UniPC.sample, multistep_uni_pc_bh_update), in float64.

The toy (A.7): data x0 ~ N(0, 1), exact denoisers
    VE   ("sd1", "dit"):   D(x, s) = x / (1 + s^2)
    flow ("sd3", "flux"):  D(x, s) = (1 - s) x / ((1 - s)^2 + s^2)
started from eps = 1: x_T = sqrt(1 + s0^2) (VE, KSampler's max-denoise start) or x_T = s0 (flow).

What sample_unipc does, written out here on purpose the long way round (as ComfyUI does it), so
that the C code's closed forms are checked against it:
  * the schedule is the KSampler one for steps + 1 with the penultimate sigma dropped;
  * a final sigma of 0 becomes 0.001 (a nonzero final sigma is kept);
  * sigmas are mapped to VP by SigmaConvert, whatever the model sampling (flow models included):
      log_alpha = 0.5 log(1 / (s^2 + 1)), alpha = exp(log_alpha),
      std = sqrt(1 - exp(2 log_alpha)), lambda = log_alpha - 0.5 log(1 - exp(2 log_alpha));
  * x starts as x_T / sqrt(1 + s0^2); the data prediction goes through predict_eps_sigma and
    data_prediction_fn: x_in = x sqrt(s^2 + 1), eps = (x_in - D(x_in, s)) / s,
    x0 = (x - std eps) / alpha;
  * order = min(3, len(sigmas) - 2), multistep with lower_order_final, the corrector on every
    update but the last, which makes no model call;
  * the result is x / alpha(last sigma).
The 2x2 and 3x3 solves use numpy.linalg.solve (LAPACK), the C code its own elimination.

Schedules: the EPS tables and the schedulers come from schedulers.py; the flow tables are built
here from A.2 (ModelSamplingDiscreteFlow shift 3, multiplier 1000, 1000 entries;
ModelSamplingFlux shift 1.15, 10000 entries) with ComfyUI's float32 arithmetic (rounding the
double formula once differs from ComfyUI's buffer by an ulp in many entries, which "simple" hands
over verbatim), and every schedule value is rounded to float32 as the C schedulers do.

Run with the project's venv (FBW_REF_DEPS=1 make deps: torch, numpy, scipy):
    .venv/bin/python tests/ref/toy_samplers_unipc.py
It rewrites tests/ref/toy_samplers_unipc.txt:

    fbw-ref toy_samplers_unipc 1
    unipc <sampler> <table> <scheduler> <steps> <tail> <n> <sigma_sum> <x_T> <x0> <calls>
where tail is the number of trailing sigmas cut off the schedule after the penultimate drop
(KSampler's last_step without force_full_denoise: the run then ends at a nonzero sigma), n the
number of sigmas the sampler sees and sigma_sum their sum (to tell a schedule mismatch from a
sampler mismatch).  Floats are repr() (17 significant digits).
"""

import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True      # keep tests/ref free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

MAGIC = "fbw-ref toy_samplers_unipc 1"


# ---- flow model-sampling tables (A.2) ---------------------------------------------------------

def time_snr_shift(a, t):
    return t if a == 1.0 else a * t / (1.0 + (a - 1.0) * t)


def flux_time_shift(mu, t):
    return math.exp(mu) / (math.exp(mu) + (1.0 / t - 1.0))


def table_entry_f32(kind, shift, multiplier, i, n):
    """Entry i (1-based) of a flow table as ComfyUI's set_parameters computes it: float32 torch
    arithmetic, one rounding per operation, Python constants rounded to float32, and the
    reflected divisions 1 / t and exp(mu) / d done as reciprocal times the scalar (torch's
    Tensor.__rtruediv__).  DiscreteFlow: sigma((arange / n) * multiplier) with
    sigma(ts) = time_snr_shift(shift, ts / multiplier); Flux: flux_time_shift(shift, 1, arange / n).
    """
    f32 = np.float32
    t = f32(i) / f32(n)
    if kind == "flux":
        e = f32(math.exp(shift))
        d = (f32(1.0) / t) - f32(1.0)          # (1 / t - 1) ** 1.0
        d = e + d
        return (f32(1.0) / d) * e
    m = f32(multiplier)
    t = (t * m) / m
    if shift == 1.0:
        return t
    return (f32(shift) * t) / (f32(1.0) + f32(shift - 1.0) * t)


class FlowTable:
    """ModelSamplingDiscreteFlow (shift, multiplier) or ModelSamplingFlux (kind 'flux')."""

    def __init__(self, kind, shift, multiplier, n):
        self.kind, self.shift, self.multiplier = kind, shift, multiplier
        self.sigmas = np.array([table_entry_f32(kind, shift, multiplier, i, n)
                                for i in range(1, n + 1)], dtype=np.float32)
        self.n = n
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def sigma_of_fraction(self, f):
        if self.kind == "flux":
            return flux_time_shift(self.shift, f)
        return time_snr_shift(self.shift, f)

    def timestep(self, sigma):
        return sigma * self.multiplier

    def sigma(self, t):
        return self.sigma_of_fraction(t / self.multiplier)


TABLES = {
    "sd1": lambda: ref.Table("scaled_linear"),
    "dit": lambda: ref.Table("linear"),
    "sd3": lambda: FlowTable("flow", 3.0, 1000.0, 1000),
    "flux": lambda: FlowTable("flux", 1.15, 1.0, 10000),
}
FLOW = {"sd3", "flux"}


def ksampler_sigmas(tab, sched, steps):
    """KSampler.calculate_sigmas for a discard-penultimate sampler, as float32 values."""
    sig = ref.f32(ref.SCHEDULERS[sched](tab, steps + 1))
    if len(sig) >= 3:
        sig = sig[:-2] + sig[-1:]
    return sig


def denoiser(flow):
    if flow:
        return lambda x, s: (1.0 - s) * x / ((1.0 - s) ** 2 + s * s)
    return lambda x, s: x / (1.0 + s * s)


# ---- SigmaConvert, literally ------------------------------------------------------------------

def log_alpha(s):
    return 0.5 * math.log(1.0 / (s * s + 1.0))


def vp_alpha(s):
    return math.exp(log_alpha(s))


def vp_std(s):
    return math.sqrt(1.0 - math.exp(2.0 * log_alpha(s)))


def vp_lambda(s):
    la = log_alpha(s)
    return la - 0.5 * math.log(1.0 - math.exp(2.0 * la))


# ---- UniPC (bh variants, data prediction, multistep) ----------------------------------------

class UniPC:
    def __init__(self, den, variant):
        self.den, self.variant, self.calls = den, variant, 0

    def model(self, x, s):
        """data_prediction_fn over predict_eps_sigma: equals D(x sqrt(1 + s^2), s)."""
        self.calls += 1
        x_in = x * (s * s + 1.0) ** 0.5
        eps = (x_in - self.den(x_in, s)) / s
        return (x - vp_std(s) * eps) / vp_alpha(s)

    def update(self, x, ms, ts, t, order, corrector):
        """multistep_uni_pc_bh_update with predict_x0: returns (x_t, model_t or None)."""
        lam0, m0 = vp_lambda(ts[-1]), ms[-1]
        h = vp_lambda(t) - lam0
        rks, d1s = [], []
        for i in range(1, order):
            rk = (vp_lambda(ts[-(i + 1)]) - lam0) / h
            rks.append(rk)
            d1s.append((ms[-(i + 1)] - m0) / rk)
        rks.append(1.0)
        rks = np.array(rks)
        hh = -h
        h_phi_1 = math.expm1(hh)
        h_phi_k = h_phi_1 / hh - 1.0
        b_h = hh if self.variant == "bh1" else math.expm1(hh)
        rows, b, fact = [], [], 1
        for i in range(1, order + 1):
            rows.append(rks ** (i - 1))
            b.append(h_phi_k * fact / b_h)
            fact *= i + 1
            h_phi_k = h_phi_k / hh - 1.0 / fact
        R, b = np.array(rows), np.array(b)
        alpha_t = vp_alpha(t)
        x_lin = vp_std(t) / vp_std(ts[-1]) * x - alpha_t * h_phi_1 * m0
        if d1s:
            rho_p = [0.5] if order == 2 else list(np.linalg.solve(R[:-1, :-1], b[:-1]))
            x_pred = x_lin - alpha_t * b_h * sum(r * d for r, d in zip(rho_p, d1s))
        else:
            x_pred = x_lin
        if not corrector:
            return x_pred, None
        rho_c = [0.5] if order == 1 else list(np.linalg.solve(R, b))
        m_t = self.model(x_pred, t)
        corr = sum(r * d for r, d in zip(rho_c[:-1], d1s)) + rho_c[-1] * (m_t - m0)
        return x_lin - alpha_t * b_h * corr, m_t

    def run(self, x, sigmas):
        ts = list(sigmas)
        if ts[-1] == 0:
            ts[-1] = 0.001
        x = x / math.sqrt(1.0 + ts[0] ** 2)
        steps = len(ts) - 1
        order = min(3, len(ts) - 2)
        ms, hist = [], []
        for k in range(steps):
            if k == 0:
                ms, hist = [self.model(x, ts[0])], [ts[0]]
            elif k < order:                               # warm-up at order k
                x, m = self.update(x, ms, hist, ts[k], k, True)
                ms.append(m)
                hist.append(ts[k])
            else:
                last = steps if k == steps - 1 else k
                for step in range(k, last + 1):
                    p = min(order, steps + 1 - step)
                    x, m = self.update(x, ms, hist, ts[step], p, step != steps)
                    hist = hist[1:] + [ts[step]]
                    if step < steps:
                        ms = ms[1:] + [m]
        return x / vp_alpha(ts[-1])


# ---- cases ---------------------------------------------------------------------------------

SCHEDS = ("karras", "normal", "simple")
CASES = [(tab, sched, steps, 0) for tab in ("sd1", "dit", "sd3", "flux") for sched in SCHEDS
         for steps in (5, 10, 30)]
# the low orders: 1 step (one call, no update), 2 (order 1), 3 (order 2), 4 (order 3 never used)
CASES += [(tab, "karras", steps, 0) for tab in ("sd1", "flux") for steps in (1, 2, 3, 4)]
# a run that stops at a nonzero sigma (no 0.001 substitution; the end divides by its alpha)
CASES += [(tab, sched, 10, 3) for tab, sched in (("sd1", "karras"), ("sd3", "simple"))]


def self_check():
    """Sanity of the reference itself, independent of the C code."""
    # SigmaConvert is sigma in disguise: alpha = 1/sqrt(1+s^2), std = s alpha, lambda = -log s.
    for s in (0.001, 0.0292, 1.0, 14.6146, 157.4):
        assert abs(vp_alpha(s) * math.sqrt(1 + s * s) - 1) < 1e-14
        assert abs(vp_std(s) / (s * vp_alpha(s)) - 1) < 1e-9
        assert abs(vp_lambda(s) + math.log(s)) < 1e-9
    # The data prediction is exactly D.
    u = UniPC(denoiser(False), "bh1")
    for s in (0.03, 1.0, 14.6):
        x = 0.7
        assert abs(u.model(x, s) - x * math.sqrt(1 + s * s) / (1 + s * s)) < 1e-13
    # SD3 flow shift 3 simple(10) from A.4, and the flux table ends at 1.
    sd3 = FlowTable("flow", 3.0, 1000.0, 1000)
    want = [1, 0.964286, 0.923077, 0.875000, 0.818182, 0.750000, 0.666667, 0.562500, 0.428571,
            0.250000, 0]
    got = ref.f32(ref.simple(sd3, 10))
    assert all(abs(g - w) < 1e-6 for g, w in zip(got, want)), got
    assert TABLES["flux"]().sigma_max == 1.0
    # A flow start of x_T = 1 at sigma 1 under uni_pc is not the flow ODE's answer (VE maths
    # applied to flow states) but it must stay finite.
    assert math.isfinite(UniPC(denoiser(True), "bh1").run(1.0, ksampler_sigmas(sd3, "simple", 5)))


def main():
    self_check()
    out = [MAGIC]
    tables = {}
    for name, sched, steps, tail in CASES:
        tab = tables.get(name) or tables.setdefault(name, TABLES[name]())
        flow = name in FLOW
        sigmas = ksampler_sigmas(tab, sched, steps)
        if tail:
            sigmas = sigmas[:-tail]
        x_t = sigmas[0] if flow else math.sqrt(1.0 + sigmas[0] ** 2)
        for variant, sampler in (("bh1", "uni_pc"), ("bh2", "uni_pc_bh2")):
            u = UniPC(denoiser(flow), variant)
            x0 = u.run(x_t, sigmas)
            out.append("unipc %s %s %s %d %d %d %r %r %r %d" % (
                sampler, name, sched, steps, tail, len(sigmas), float(sum(sigmas)), x_t,
                float(x0), u.calls))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers_unipc.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
