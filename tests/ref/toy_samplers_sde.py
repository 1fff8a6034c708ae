#!/usr/bin/env python3
"""Reference results of ComfyUI's SDE samplers on the scalar toy problem (sampling.md A.6, A.7).

Independent of fbw's C code: written from ComfyUI comfy/k_diffusion/sampling.py
(sample_dpmpp_sde, sample_dpmpp_2m_sde with solver_type 'midpoint' and 'heun',
sample_dpmpp_3m_sde) and the model-sampling formulas of sampling.md A.2.

Data x0 ~ N(0, 1) (a scalar) and the exact denoiser
    VE (EPS tables "sd1", "dit"):      x = x0 + s eps,            D(x, s) = x / (1 + s^2)
    CONST (flow tables "sd3", "flux"): x = (1 - s) x0 + s eps,
                                       D(x, s) = (1 - s) x / ((1 - s)^2 + s^2)
The samplers work in half-log-SNR lambda (VE -log s, CONST log((1 - s)/s)) with alpha = s e^lambda,
and begin with offset_first_sigma_for_snr (a CONST first sigma >= 1 becomes percent_to_sigma(1e-4)).

Two kinds of record:

  * Deterministic runs.  eta = 0, or s_noise = 0 with eta = 0.5 or 1 (ComfyUI then skips the
    noise term but keeps the eta-dependent coefficients), from the deterministic start
    x_T = toy_start (VE sqrt(1 + s0^2), CONST s0), in float64.  At eta = 1 with this exact
    denoiser the noise-free update is exact (x scales by (1 + s'^2)/(1 + s^2) in VE), D stays
    constant and the multistep terms vanish, so all four samplers agree there; eta = 0.5
    exercises the multistep terms with the eta-dependent weights.

  * The exact output variance of the stochastic runs (default eta = 1, s_noise = 1).  With this
    denoiser every update is linear in (x_T, the noise draws), so running the update rule with
    x_T = 1 and no noise gives the x_T coefficient a, and with x_T = 0 and a single unit draw k the
    draw's coefficient b_k; var = a^2 var(x_T) + sum b_k^2, var(x_T) = toy_start^2, mean 0.

Noise.  ComfyUI draws these samplers' noise from torchsde's Brownian tree W(sigma), normalised
(W(s') - W(s)) / sqrt|s' - s|.  fbw uses standard-normal draws in ComfyUI's call order instead.  For
dpmpp_2m_sde, dpmpp_2m_sde_heun and dpmpp_3m_sde each draw covers the disjoint interval
[s_{i+1}, s_i], so Brownian increments are i.i.d. N(0, 1) and the distribution is the same.
dpmpp_sde asks for two increments per step over NESTED intervals, [s_s1, s_i] and then
[s_{i+1}, s_i], whose Brownian increments are correlated (rho = sqrt((s_i - s_s1)/(s_i - s_{i+1})));
here its two draws z1, z2 are the normalised increments over [s_s1, s_i] and [s_{i+1}, s_s1] and
the full-step increment is rho z1 + sqrt(1 - rho^2) z2, which is Brownian motion exactly.  The
variance of the naive variant (two independent draws) is written as a comment for comparison.

Run with the project's venv (FBW_REF_DEPS=1 make deps: torch, numpy, scipy):
    .venv/bin/python tests/ref/toy_samplers_sde.py
It rewrites tests/ref/toy_samplers_sde.txt:

    fbw-ref toy_samplers_sde 1
    toy <sampler> <table> <scheduler> <steps> <eta> <s_noise> <x_T> <x0>     (%.17g)
    var <sampler> <table> <scheduler> <steps> <var>                          (eta 1, s_noise 1)
"""

import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True      # keep tests/ref free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

MAGIC = "fbw-ref toy_samplers_sde 1"

# ComfyUI writes the offset first sigma (a Python float) into its float32 sigmas tensor, so it is
# rounded to float32; fbw's sampler_offset_first_sigma keeps the double.  1 - sigma_0 is ~3e-5,
# so the rounding moves it by ~5e-4 relative: at eta > 0 the x_T weight of the first step moves
# by ~2.5e-4 (eta 0.5) to ~5e-4 (eta 1), at eta = 0 the outputs by ~2e-8.  This follows fbw until
# the helper rounds; then set True and rerun.
OFFSET_IN_FLOAT32 = True


# ---- model sampling (sampling.md A.2) ------------------------------------------------------------

def time_snr_shift(alpha, t):
    return t if alpha == 1.0 else alpha * t / (1.0 + (alpha - 1.0) * t)


def flux_time_shift(mu, t):
    return math.exp(mu) / (math.exp(mu) + (1.0 / t - 1.0))


class FlowTable:
    """ModelSamplingDiscreteFlow (shift, multiplier) or ModelSamplingFlux (shift = mu).

    The table is what ComfyUI's set_parameters stores: float32 torch arithmetic, one rounding
    per operation, Python constants rounded to float32 (t = arange(1, n + 1) / n; DiscreteFlow
    sigma(t * m) = shift(t * m / m); Flux flux_time_shift(mu, 1, t), where torch evaluates
    `1 / t` and `e^mu / d` as reciprocal() times the scalar).  sigma(t), used by the normal
    scheduler, is the formula in double, rounded once by the scheduler (as schedulers.py does).
    """

    def __init__(self, flux, shift, multiplier, n):
        self.shift_fn = (lambda t: flux_time_shift(shift, t)) if flux else \
            (lambda t: time_snr_shift(shift, t))
        self.multiplier = multiplier
        f = np.float32
        entries = []
        for i in range(1, n + 1):
            t = f(i) / f(n)
            if flux:
                e = f(math.exp(shift))
                d = (f(1.0) / t - f(1.0)) + e
                v = (f(1.0) / d) * e
            else:
                t = (t * f(multiplier)) / f(multiplier)
                v = t if shift == 1.0 else (f(shift) * t) / (f(1.0) + f(shift - 1.0) * t)
            entries.append(v)
        self.sigmas = np.array(entries, dtype=np.float32)
        self.n = n
        self.sigma_min = float(self.sigmas[0])
        self.sigma_max = float(self.sigmas[-1])

    def timestep(self, sigma):
        return sigma * self.multiplier

    def sigma(self, t):
        return self.shift_fn(t / self.multiplier)

    def percent_to_sigma(self, p):
        if p <= 0.0:
            return 1.0
        if p >= 1.0:
            return 0.0
        return self.shift_fn(1.0 - p)


class Toy:
    """A table, a schedule on it, and the formulas the samplers need."""

    def __init__(self, table, sched, steps):
        if table == "sd1":
            self.tab, self.const = ref.Table("scaled_linear"), False
        elif table == "dit":
            self.tab, self.const = ref.Table("linear"), False
        elif table == "sd3":
            self.tab, self.const = FlowTable(False, 3.0, 1000.0, 1000), True
        elif table == "flux":
            self.tab, self.const = FlowTable(True, 1.15, 1.0, 10000), True
        else:
            raise ValueError(table)
        self.sigmas = ref.f32(ref.SCHEDULERS[sched](self.tab, steps))

    def start(self):
        s0 = self.sigmas[0]
        return s0 if self.const else math.sqrt(1.0 + s0 * s0)

    def denoise(self, x, s):
        if self.const:
            a = 1.0 - s
            return a * x / (a * a + s * s)
        return x / (1.0 + s * s)

    def lam(self, s):                       # sigma_to_half_log_snr
        return math.log((1.0 - s) / s) if self.const else -math.log(s)

    def sig(self, lam):                     # half_log_snr_to_sigma
        return 1.0 / (1.0 + math.exp(lam)) if self.const else math.exp(-lam)

    def offset_sigmas(self):
        """offset_first_sigma_for_snr: a CONST first sigma >= 1 becomes percent_to_sigma(1e-4)."""
        s = list(self.sigmas)
        if self.const and len(s) > 1 and s[0] >= 1.0:
            s[0] = self.tab.percent_to_sigma(1e-4)
            if OFFSET_IN_FLOAT32:
                s[0] = float(np.float32(s[0]))
        return s


def ancestral_step(s_from, s_to, eta):
    """k-diffusion get_ancestral_step."""
    if not eta:
        return s_to, 0.0
    up = min(s_to, eta * math.sqrt(s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2))
    return math.sqrt(s_to ** 2 - up ** 2), up


# ---- the samplers (ComfyUI comfy/k_diffusion/sampling.py) ----------------------------------------
# Each takes the toy, x_T, eta, s_noise and noise(): the next standard-normal draw.

def dpmpp_sde(toy, x, eta, s_noise, noise, brownian=True, r=0.5):
    sig = toy.offset_sigmas()
    for i in range(len(sig) - 1):
        s, t = sig[i], sig[i + 1]
        den = toy.denoise(x, s)
        if t == 0:
            x = den
            continue
        lam_s, lam_t = toy.lam(s), toy.lam(t)
        h = lam_t - lam_s
        lam_s1 = lam_s + r * h
        fac = 1.0 / (2.0 * r)
        s1 = toy.sig(lam_s1)
        alpha_s = s * math.exp(lam_s)
        alpha_s1 = s1 * math.exp(lam_s1)
        alpha_t = t * math.exp(lam_t)
        noisy = eta > 0 and s_noise > 0
        # step 1: to lambda_s1, the ancestral split done in e^{-lambda}
        sd, su = ancestral_step(math.exp(-lam_s), math.exp(-lam_s1), eta)
        h1 = -math.log(sd) - lam_s
        x2 = (alpha_s1 / alpha_s) * math.exp(-h1) * x - alpha_s1 * math.expm1(-h1) * den
        z1 = noise() if noisy else 0.0
        if noisy:
            x2 = x2 + alpha_s1 * z1 * s_noise * su
        den2 = toy.denoise(x2, s1)
        # step 2: to lambda_t
        sd, su = ancestral_step(math.exp(-lam_s), math.exp(-lam_t), eta)
        h2 = -math.log(sd) - lam_s
        den_d = (1.0 - fac) * den + fac * den2
        x = (alpha_t / alpha_s) * math.exp(-h2) * x - alpha_t * math.expm1(-h2) * den_d
        if noisy:
            z2 = noise()
            if brownian:    # W over [t, s] = W over [s1, s] + W over [t, s1]
                w = (math.sqrt(s - s1) * z1 + math.sqrt(s1 - t) * z2) / math.sqrt(s - t)
            else:
                w = z2
            x = x + alpha_t * w * s_noise * su
    return x


def dpmpp_2m_sde(toy, x, eta, s_noise, noise, solver="midpoint"):
    sig = toy.offset_sigmas()
    old, h_last = None, None
    h = None
    for i in range(len(sig) - 1):
        s, t = sig[i], sig[i + 1]
        den = toy.denoise(x, s)
        if t == 0:
            x = den
        else:
            lam_s, lam_t = toy.lam(s), toy.lam(t)
            h = lam_t - lam_s
            h_eta = h * (eta + 1.0)
            alpha_t = t * math.exp(lam_t)
            x = t / s * math.exp(-h * eta) * x + alpha_t * -math.expm1(-h_eta) * den
            if old is not None:
                rr = h_last / h
                if solver == "heun":
                    x = x + alpha_t * (-math.expm1(-h_eta) / (-h_eta) + 1.0) * (1.0 / rr) * \
                        (den - old)
                else:
                    x = x + 0.5 * alpha_t * -math.expm1(-h_eta) * (1.0 / rr) * (den - old)
            if eta > 0 and s_noise > 0:
                x = x + noise() * t * math.sqrt(-math.expm1(-2.0 * h * eta)) * s_noise
        old, h_last = den, h
    return x


def dpmpp_2m_sde_heun(toy, x, eta, s_noise, noise):
    return dpmpp_2m_sde(toy, x, eta, s_noise, noise, solver="heun")


def dpmpp_3m_sde(toy, x, eta, s_noise, noise):
    sig = toy.offset_sigmas()
    d_1 = d_2 = None
    h = h_1 = h_2 = None
    for i in range(len(sig) - 1):
        s, t = sig[i], sig[i + 1]
        den = toy.denoise(x, s)
        if t == 0:
            x = den
        else:
            lam_s, lam_t = toy.lam(s), toy.lam(t)
            h = lam_t - lam_s
            h_eta = h * (eta + 1.0)
            alpha_t = t * math.exp(lam_t)
            x = t / s * math.exp(-h * eta) * x + alpha_t * -math.expm1(-h_eta) * den
            if h_2 is not None:
                r0, r1 = h_1 / h, h_2 / h
                d1_0 = (den - d_1) / r0
                d1_1 = (d_1 - d_2) / r1
                d1 = d1_0 + (d1_0 - d1_1) * r0 / (r0 + r1)
                d2 = (d1_0 - d1_1) / (r0 + r1)
                phi_2 = math.expm1(-h_eta) / h_eta + 1.0
                phi_3 = phi_2 / h_eta - 0.5
                x = x + (alpha_t * phi_2) * d1 - (alpha_t * phi_3) * d2
            elif h_1 is not None:
                rr = h_1 / h
                phi_2 = math.expm1(-h_eta) / h_eta + 1.0
                x = x + (alpha_t * phi_2) * (den - d_1) / rr
            if eta > 0 and s_noise > 0:
                x = x + noise() * t * math.sqrt(-math.expm1(-2.0 * h * eta)) * s_noise
        d_1, d_2 = den, d_1
        h_1, h_2 = h, h_1
    return x


SAMPLERS = {
    "dpmpp_sde": dpmpp_sde,
    "dpmpp_2m_sde": dpmpp_2m_sde,
    "dpmpp_2m_sde_heun": dpmpp_2m_sde_heun,
    "dpmpp_3m_sde": dpmpp_3m_sde,
}
DET_CASES = [  # (table, scheduler, steps)
    ("sd1", "karras", 10),
    ("sd1", "normal", 10),
    ("dit", "simple", 30),
    ("dit", "karras", 30),
    ("sd3", "simple", 10),
    ("sd3", "karras", 30),
    ("flux", "normal", 10),
    ("flux", "simple", 30),
]
DET_NOISE = [(0.0, 1.0), (0.5, 0.0), (1.0, 0.0)]   # (eta, s_noise): no noise drawn
VAR_CASES = [
    ("dit", "karras", 30),
    ("sd1", "normal", 20),
    ("sd3", "simple", 20),
]


# ---- exact moments -------------------------------------------------------------------------------

class Draws:
    """noise(): unit at draw number `hot` (None: all zero); counts the draws."""

    def __init__(self, hot=None):
        self.hot, self.count = hot, 0

    def __call__(self):
        k = self.count
        self.count += 1
        return 1.0 if k == self.hot else 0.0


def variance(fn, toy, **kw):
    zero = Draws()
    a = fn(toy, 1.0, 1.0, 1.0, zero, **kw)
    b = [fn(toy, 0.0, 1.0, 1.0, Draws(k), **kw) for k in range(zero.count)]
    return a * a * toy.start() ** 2 + sum(v * v for v in b), zero.count


def monte_carlo(fn, toy, n=4000, seed=5, **kw):
    """A direct simulation of the same update rules, to check the linear bookkeeping."""
    rng = np.random.default_rng(seed)
    out = [fn(toy, toy.start() * rng.standard_normal(), 1.0, 1.0, rng.standard_normal, **kw)
           for _ in range(n)]
    return float(np.var(out))


# ---- self checks ---------------------------------------------------------------------------------

def read_toy_samplers():
    """The dpmpp_2m values of the VE cases in tests/ref/toy_samplers.txt (toy_samplers.py)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers.txt")
    want = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if (len(w) == 7 and w[0] == "toy" and w[1] == "dpmpp_2m" and
                    w[2] in ("scaled_linear", "linear")):
                want[(w[2], w[3], int(w[4]))] = float(w[6])
    return want


def self_check():
    # On VE with eta = 0, DPM-Solver++(2M) SDE (midpoint) is DPM-Solver++(2M) itself.
    beta_table = {"scaled_linear": "sd1", "linear": "dit"}
    for (beta, sched, steps), want in read_toy_samplers().items():
        toy = Toy(beta_table[beta], sched, steps)
        got = dpmpp_2m_sde(toy, toy.start(), 0.0, 1.0, Draws())
        assert abs(got - want) <= 1e-10 * abs(want), (beta, sched, steps, got, want)
    # The 3M SDE with one history is the 2M SDE heun form (same phi_2), and the first step of
    # every multistep sampler is the same first-order update.
    toy = Toy("sd1", "karras", 2)
    for eta in (0.0, 1.0):
        a = dpmpp_3m_sde(toy, 3.0, eta, 0.0, Draws())
        b = dpmpp_2m_sde_heun(toy, 3.0, eta, 0.0, Draws())
        assert abs(a - b) <= 1e-14, (a, b)
    # First-order identity (A.5): with eta = 0 one step to s' is x' = (s'/s) x + (1 - s'/s) D
    # (VE) and x' = (s'/s) x + (alpha' - alpha s'/s) D (CONST).  Checked on a 2-sigma run.
    for table in ("sd1", "sd3"):
        toy = Toy(table, "karras", 10)
        toy.sigmas = [0.6, 0.3]
        s, t = 0.6, 0.3
        den = toy.denoise(1.7, s)
        a_s, a_t = (1.0 - s, 1.0 - t) if toy.const else (1.0, 1.0)
        want = (t / s) * 1.7 + (a_t - a_s * t / s) * den
        for name in ("dpmpp_2m_sde", "dpmpp_3m_sde"):
            got = SAMPLERS[name](toy, 1.7, 0.0, 1.0, Draws())
            assert abs(got - want) <= 1e-14, (table, name, got, want)
    # The linear bookkeeping against a plain simulation (standard error ~ 2.2%).
    toy = Toy("dit", "karras", 10)
    for name, fn in SAMPLERS.items():
        v, _ = variance(fn, toy)
        mc = monte_carlo(fn, toy)
        assert abs(mc - v) <= 0.1 * v, (name, mc, v)


def main():
    self_check()
    out = [MAGIC]
    for table, sched, steps in DET_CASES:
        toy = Toy(table, sched, steps)
        x_t = toy.start()
        for name, fn in SAMPLERS.items():
            for eta, s_noise in DET_NOISE:
                x0 = fn(toy, x_t, eta, s_noise, Draws())
                out.append("toy %s %s %s %d %g %g %.17g %.17g" % (name, table, sched, steps, eta,
                                                                 s_noise, x_t, x0))
    for table, sched, steps in VAR_CASES:
        toy = Toy(table, sched, steps)
        for name, fn in SAMPLERS.items():
            v, draws = variance(fn, toy)
            out.append("var %s %s %s %d %.17g" % (name, table, sched, steps, v))
            if name == "dpmpp_sde":
                iid, _ = variance(fn, toy, brownian=False)
                out.append("# %s %s %s %d: %d draws; with two independent draws per step the "
                           "variance would be %.6f" % (name, table, sched, steps, draws, iid))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers_sde.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
