#!/usr/bin/env python3
"""Reference results of ComfyUI's ancestral samplers on the scalar toy problem (sampling.md A.7).

Independent of fbw's C code: the update rules below are written from ComfyUI
comfy/k_diffusion/sampling.py (@a125cd8) and shared/reference/sampling.md A.5/A.6, in float64 on
schedules from schedulers.py (EPS tables) and the flow tables built here from A.2 (in float32
arithmetic, as ComfyUI builds them), every schedule value rounded to float32 as ComfyUI's sigmas
are float32.

Data x0 ~ N(0, 1) (a scalar) and the exact denoiser:
    VE (EPS tables "sd1", "dit"):  x = x0 + s eps,          D(x, s) = x / (1 + s^2)
    CONST (flow "sd3", "flux"):    x = (1 - s) x0 + s eps,  D(x, s) = (1 - s) x / ((1 - s)^2 + s^2)
Start: VE sqrt(1 + s0^2) (the max-denoise start with eps = 1), CONST s0.

Samplers (ComfyUI names; eta where the sampler has one):
    euler_ancestral          VE, or sample_euler_ancestral_RF on CONST
    dpm_2_ancestral          VE, or sample_dpm_2_ancestral_RF; KSampler drops the penultimate sigma
    dpmpp_2s_ancestral       VE (t = -log sigma), or sample_dpmpp_2s_ancestral_RF
                             (lambda = log((1 - s)/s), sigma_s = 0.9999 when s = 1)
    ddpm                     generic_step_sampler + DDPMSampler_step (VP space; no CONST form)
    lcm                      x = D, then noise_scaling(s', eps, x)
    res_multistep            res_multistep(eta = 0); no CONST form in ComfyUI
    res_multistep_ancestral  res_multistep(eta)

Every sampler here is linear in (x_T, noise draws) for this denoiser, so running it on a vector
state [coefficient of x_T, coefficient of draw 1, ...] gives the output's exact coefficients:
    var(out) = a^2 var(x_T) + sum_k b_k^2,  mean 0.
Draws are taken exactly where ComfyUI's code takes them (also where their factor is 0).

Run with the project's venv (FBW_REF_DEPS=1 make deps: torch, numpy, scipy):
    .venv/bin/python tests/ref/toy_samplers_ancestral.py
It rewrites tests/ref/toy_samplers_ancestral.txt (%.17g):

    fbw-ref toy_samplers_ancestral 1
    det  <sampler> <table> <scheduler> <steps> <eta> <x_T> <x0> <calls>
         deterministic run (eta = 0 removes all noise) from x_T; calls = denoiser calls
    var  <sampler> <table> <scheduler> <steps> <eta> <var_T> <var_out>
         exact output variance from x_T ~ N(0, var_T), var_T = start^2
    traj <sampler> <table> <scheduler> <steps> <eta> <seed> <x_T> <x0>
         one run from x_T with the per-step noise torch.randn((1, 1, 1, 1)) drawn in order from
         torch.Generator().manual_seed(seed) (float32 values), as fbw's toy harness draws it

torch is used only as that noise source (the same libtorch release fbw links); every update
rule is plain float64 Python.
"""

import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True      # keep tests/ref free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

MAGIC = "fbw-ref toy_samplers_ancestral 1"


# ---- model-sampling tables (A.2) --------------------------------------------------------------

class FlowTable:
    """ModelSamplingDiscreteFlow (shift, multiplier, 1000) or ModelSamplingFlux (mu, 10000).

    The table is built as ComfyUI's set_parameters builds it: float32 torch arithmetic, one
    rounding per operation, Python constants rounded to float32, `a / tensor` evaluated as
    tensor.reciprocal() * a.  The maps (timestep, sigma) are the float64 formulas.
    """

    def __init__(self, kind, shift, multiplier=1.0):
        f32 = np.float32
        self.kind, self.shift, self.multiplier = kind, shift, multiplier
        self.n = 10000 if kind == "flux" else 1000
        t = np.arange(1, self.n + 1).astype(f32) / f32(self.n)
        if kind == "flux":          # e / (e + (1 / t - 1) ** 1)
            e = f32(math.exp(shift))
            d = (f32(1) / t) * f32(1) - f32(1) + e
            self.sigmas = (f32(1) / d) * e
        else:                       # time_snr_shift(a, (t * m) / m) = a t / (1 + (a - 1) t)
            t = (t * f32(multiplier)) / f32(multiplier)
            self.sigmas = t if shift == 1.0 else \
                (f32(shift) * t) / (f32(1) + f32(shift - 1.0) * t)
        assert self.sigmas.dtype == np.float32
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def shifted(self, t):
        if self.kind == "flux":            # flux_time_shift(mu, 1, t)
            return math.exp(self.shift) / (math.exp(self.shift) + (1.0 / t - 1.0))
        a = self.shift                     # time_snr_shift(alpha, t)
        return t if a == 1.0 else a * t / (1.0 + (a - 1.0) * t)

    def timestep(self, sigma):
        return sigma * self.multiplier

    def sigma(self, t):
        return self.shifted(t / self.multiplier)


TABLES = {
    "sd1": lambda: ref.Table("scaled_linear"),
    "dit": lambda: ref.Table("linear"),
    "sd3": lambda: FlowTable("flow", 3.0, 1000.0),
    "flux": lambda: FlowTable("flux", 1.15),
}
CONST = {"sd1": False, "dit": False, "sd3": True, "flux": True}
_table_cache = {}


def schedule(table, sched, steps, discard):
    """scheduler(steps) (steps + 1 and the penultimate sigma dropped when discard), float32."""
    tab = _table_cache.get(table)
    if tab is None:
        tab = _table_cache[table] = TABLES[table]()
    sig = ref.f32(ref.SCHEDULERS[sched](tab, steps + (1 if discard else 0)))
    if discard and len(sig) >= 3:
        sig = sig[:-2] + sig[-1:]
    return sig


# ---- the toy problem -------------------------------------------------------------------------

class Toy:
    """The exact denoiser (counting calls) and the noise source of one run."""

    def __init__(self, const, noise):
        self.const, self.noise, self.calls = const, noise, 0

    def D(self, x, s):
        self.calls += 1
        if self.const:
            a = 1.0 - s
            return x * (a / (a * a + s * s))
        return x * (1.0 / (1.0 + s * s))


def ancestral_step(s_from, s_to, eta):
    """k-diffusion get_ancestral_step."""
    if eta == 0:
        return s_to, 0.0
    up = min(s_to, eta * math.sqrt(s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2))
    return math.sqrt(s_to ** 2 - up ** 2), up


def rf_step(s, s_next, eta):
    """The RF samplers' sigma_down, alpha_{i+1}/alpha_down and renoise coefficient."""
    down = s_next * (1.0 + (s_next / s - 1.0) * eta)
    a_next, a_down = 1.0 - s_next, 1.0 - down
    renoise = math.sqrt(max(0.0, s_next ** 2 - down ** 2 * a_next ** 2 / a_down ** 2))
    return down, a_next / a_down, renoise


# ---- samplers --------------------------------------------------------------------------------

def euler_ancestral(x, sig, toy, eta):
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        if toy.const:
            if sn == 0:
                x = den
                continue
            down, ra, c = rf_step(s, sn, eta)
            x = (down / s) * x + (1.0 - down / s) * den
            if eta > 0:
                x = ra * x + c * toy.noise()
        else:
            down, up = ancestral_step(s, sn, eta)
            if down == 0:
                x = den
            else:
                x = x + (x - den) / s * (down - s) + up * toy.noise()
    return x


def dpm_2_ancestral(x, sig, toy, eta):
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        if toy.const:
            down, ra, c = rf_step(s, sn, eta)
        else:
            down, up = ancestral_step(s, sn, eta)
        d = (x - den) / s
        if down == 0:
            x = x + d * (down - s)
            continue
        mid = math.exp(0.5 * (math.log(s) + math.log(down)))    # geometric midpoint
        x2 = x + d * (mid - s)
        d2 = (x2 - toy.D(x2, mid)) / mid
        x = x + d2 * (down - s)
        if toy.const:
            x = ra * x + c * toy.noise()
        else:
            x = x + up * toy.noise()
    return x


def dpmpp_2s_ancestral(x, sig, toy, eta):
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        if toy.const:
            down, ra, c = rf_step(s, sn, eta)
            if sn == 0:
                x = x + (x - den) / s * (down - s)
            else:
                if s == 1.0:
                    s_mid = 0.9999
                else:
                    lam = lambda v: math.log((1.0 - v) / v)     # noqa: E731
                    lam_mid = lam(s) + 0.5 * (lam(down) - lam(s))
                    s_mid = 1.0 / (1.0 + math.exp(lam_mid))
                u = (s_mid / s) * x + (1.0 - s_mid / s) * den
                den2 = toy.D(u, s_mid)
                x = (down / s) * x + (1.0 - down / s) * den2
            if sn > 0 and eta > 0:
                x = ra * x + c * toy.noise()
        else:
            down, up = ancestral_step(s, sn, eta)
            if down == 0:
                x = x + (x - den) / s * (down - s)
            else:
                t, tn = -math.log(s), -math.log(down)
                h = tn - t
                tm = t + 0.5 * h
                x2 = (math.exp(-tm) / math.exp(-t)) * x - math.expm1(-0.5 * h) * den
                den2 = toy.D(x2, math.exp(-tm))
                x = (math.exp(-tn) / math.exp(-t)) * x - math.expm1(-h) * den2
            if sn > 0:
                x = x + up * toy.noise()
    return x


def ddpm(x, sig, toy, eta):
    del eta                                    # DDPM has none
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        x_vp = x / math.sqrt(1.0 + s * s)
        eps = (x - den) / s
        ac, ac_next = 1.0 / (s * s + 1.0), 1.0 / (sn * sn + 1.0)
        a = ac / ac_next
        mu = math.sqrt(1.0 / a) * (x_vp - (1.0 - a) * eps / math.sqrt(1.0 - ac))
        if sn > 0:
            mu = mu + math.sqrt((1.0 - a) * (1.0 - ac_next) / (1.0 - ac)) * toy.noise()
        x = mu * math.sqrt(1.0 + sn * sn) if sn != 0 else mu
    return x


def lcm(x, sig, toy, eta):
    del eta
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        x = toy.D(x, s)
        if sn > 0:
            e = toy.noise()
            x = sn * e + (1.0 - sn) * x if toy.const else x + sn * e
    return x


def nan_to_num(v):
    return float(np.nan_to_num(np.float64(v), nan=0.0))


def res_multistep_eta(x, sig, toy, eta):
    old_den, old_down = None, None
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        down, up = ancestral_step(s, sn, eta)
        if down == 0 or old_den is None:
            x = x + (x - den) / s * (down - s)
        else:
            t, t_old, tn, t_prev = -math.log(s), -math.log(old_down), -math.log(down), \
                -math.log(sig[i - 1])
            h = tn - t
            c2 = (t_prev - t_old) / h
            phi1 = math.expm1(-h) / -h
            phi2 = (phi1 - 1.0) / -h
            b1 = nan_to_num(phi1 - phi2 / c2)
            b2 = nan_to_num(phi2 / c2)
            x = math.exp(-h) * x + h * (b1 * den + b2 * old_den)
        if sn > 0:
            x = x + up * toy.noise()
        old_den, old_down = den, down
    return x


def res_multistep(x, sig, toy, eta):
    del eta                                    # sample_res_multistep fixes eta = 0
    return res_multistep_eta(x, sig, toy, 0.0)


SAMPLERS = {
    "euler_ancestral": (euler_ancestral, False),
    "dpm_2_ancestral": (dpm_2_ancestral, True),
    "dpmpp_2s_ancestral": (dpmpp_2s_ancestral, False),
    "ddpm": (ddpm, False),
    "lcm": (lcm, False),
    "res_multistep": (res_multistep, False),
    "res_multistep_ancestral": (res_multistep_eta, False),
}


# ---- runs ------------------------------------------------------------------------------------

def start(table, sig):
    return sig[0] if CONST[table] else math.sqrt(1.0 + sig[0] * sig[0])


def run_det(name, table, sched, steps, eta):
    fn, discard = SAMPLERS[name]
    sig = schedule(table, sched, steps, discard)
    toy = Toy(CONST[table], lambda: 0.0)
    x_t = start(table, sig)
    return x_t, fn(x_t, sig, toy, eta), toy.calls


def run_var(name, table, sched, steps, eta):
    """Exact variance: the run on a vector of coefficients (x_T, draw 1, draw 2, ...)."""
    fn, discard = SAMPLERS[name]
    sig = schedule(table, sched, steps, discard)
    width = 1 + 2 * len(sig)
    drawn = [0]

    def unit_draw():
        drawn[0] += 1
        assert drawn[0] < width
        e = np.zeros(width)
        e[drawn[0]] = 1.0
        return e

    x = np.zeros(width)
    x[0] = 1.0
    out = fn(x, sig, Toy(CONST[table], unit_draw), eta)
    var_t = start(table, sig) ** 2
    return var_t, out[0] ** 2 * var_t + float(np.sum(out[1:] ** 2))


def run_traj(name, table, sched, steps, eta, seed):
    import torch                               # only the noise source
    fn, discard = SAMPLERS[name]
    sig = schedule(table, sched, steps, discard)
    gen = torch.Generator().manual_seed(seed)
    draw = lambda: float(torch.randn((1, 1, 1, 1), generator=gen).item())  # noqa: E731
    x_t = start(table, sig)
    return x_t, fn(x_t, sig, Toy(CONST[table], draw), eta)


DET_CASES = [  # (table, scheduler, steps)
    ("sd1", "karras", 10),
    ("sd1", "normal", 30),
    ("dit", "simple", 30),
    ("sd3", "simple", 10),
    ("sd3", "karras", 30),
    ("flux", "normal", 10),
    ("flux", "simple", 30),
]
DET_SAMPLERS = ["euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral", "res_multistep",
                "res_multistep_ancestral"]
STOCHASTIC = [  # (sampler, eta) at ComfyUI's defaults
    ("dpm_2_ancestral", 1.0), ("dpmpp_2s_ancestral", 1.0), ("ddpm", 0.0), ("lcm", 0.0),
    ("res_multistep_ancestral", 1.0),
]
VAR_CASES = [("dit", "karras", 30), ("sd3", "simple", 20)]
EA_VAR_CASES = [("sd3", "simple", 20), ("sd3", "karras", 30), ("flux", "normal", 10)]
TRAJ_CASES = [("sd1", "karras", 10), ("sd3", "simple", 10), ("flux", "karras", 20)]
TRAJ_SEED = 42


def self_check():
    """A.7's FLUX simple(10) dpmpp_2m value, through this file's flux table and the flow toy.

    A.7 used a float64 table; ComfyUI's float32-built one moves the result by 1.5e-8, to
    0.99738817338.
    """
    sig = schedule("flux", "simple", 10, False)
    toy = Toy(True, lambda: 0.0)
    x, old = 1.0, None
    for i in range(len(sig) - 1):
        s, sn = sig[i], sig[i + 1]
        den = toy.D(x, s)
        if sn == 0:
            x = den
        else:
            h = -math.log(sn) + math.log(s)
            dd = den
            if old is not None:
                r = (math.log(sig[i - 1]) - math.log(s)) / h
                dd = (1 + 1 / (2 * r)) * den - (1 / (2 * r)) * old
            x = (sn / s) * x - math.expm1(-h) * dd
        old = den
    assert abs(x - 0.997388158) < 3e-8, x
    # eta = 0 ancestral samplers reduce to known ODE solvers: euler_ancestral to Euler.
    for table in ("sd1", "sd3"):
        sig = schedule(table, "karras", 10, False)
        x = start(table, sig)
        toy = Toy(CONST[table], lambda: 0.0)
        for i in range(len(sig) - 1):
            x = x + (x - toy.D(x, sig[i])) / sig[i] * (sig[i + 1] - sig[i])
        assert abs(x - run_det("euler_ancestral", table, "karras", 10, 0.0)[1]) < 1e-12


def main():
    self_check()
    out = [MAGIC]
    for name in DET_SAMPLERS:
        for table, sched, steps in DET_CASES:
            x_t, x0, calls = run_det(name, table, sched, steps, 0.0)
            out.append("det %s %s %s %d 0 %.17g %.17g %d" % (name, table, sched, steps, x_t, x0,
                                                             calls))
    var_cases = [(n, e, c) for n, e in STOCHASTIC for c in VAR_CASES]
    var_cases += [("euler_ancestral", 1.0, c) for c in EA_VAR_CASES]
    for name, eta, (table, sched, steps) in var_cases:
        var_t, var = run_var(name, table, sched, steps, eta)
        out.append("var %s %s %s %d %.17g %.17g %.17g" % (name, table, sched, steps, eta, var_t,
                                                         var))
    for name, eta in STOCHASTIC + [("euler_ancestral", 1.0)]:
        for table, sched, steps in TRAJ_CASES:
            x_t, x0 = run_traj(name, table, sched, steps, eta, TRAJ_SEED)
            out.append("traj %s %s %s %d %.17g %d %.17g %.17g" % (name, table, sched, steps, eta,
                                                                 TRAJ_SEED, x_t, x0))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers_ancestral.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
