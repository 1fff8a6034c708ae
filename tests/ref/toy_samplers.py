#!/usr/bin/env python3
"""Reference results of deterministic samplers on the scalar toy problem (sampling.md A.7).

Data x0 ~ N(0, 1) (a scalar), variance-exploding (EPS) form x = x0 + sigma * eps, so the exact
denoiser is D(x, sigma) = x / (1 + sigma^2) and the exact probability-flow ODE carries
x_T = sqrt(1 + sigma_0^2) (ComfyUI's max_denoise start with eps = 1) to x0 = 1.  Each sampler
follows ComfyUI's k-diffusion update rules (A.6) in float64 on a schedule computed by
schedulers.py (float32 values, as ComfyUI's sigmas are float32):

    euler      x += (x - D) / sigma * (sigma' - sigma)
    heun       Euler predictor, trapezoid corrector; plain Euler when sigma' = 0
    dpmpp_2m   DPM-Solver++(2M) in t = -log sigma; first-order on the first and last steps

Run with the project's venv (FBW_REF_DEPS=1 make deps: torch, numpy, scipy):
    .venv/bin/python tests/ref/toy_samplers.py
It rewrites tests/ref/toy_samplers.txt:

    fbw-ref toy_samplers 1
    toy <sampler> <beta> <scheduler> <steps> <x_T> <x0>      (%.12g)
"""

import math
import os
import sys

sys.dont_write_bytecode = True      # keep tests/ref free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

MAGIC = "fbw-ref toy_samplers 1"


def denoise_ve(x, sigma):
    return x / (1.0 + sigma * sigma)


def denoise_flow(x, sigma):
    """Exact D for x = (1 - sigma) x0 + sigma eps with x0, eps ~ N(0, 1) (CONST form)."""
    a = 1.0 - sigma
    return a * x / (a * a + sigma * sigma)


denoise = denoise_ve    # switched per case in main(); the update rules are the same for both


def to_d(x, sigma, d):
    return (x - d) / sigma


def euler(x, sigmas):
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        x = x + to_d(x, s, denoise(x, s)) * (s_next - s)
    return x


def heun(x, sigmas):
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        d = to_d(x, s, denoise(x, s))
        dt = s_next - s
        if s_next == 0:
            x = x + d * dt
        else:
            x2 = x + d * dt
            d2 = to_d(x2, s_next, denoise(x2, s_next))
            x = x + (d + d2) / 2 * dt
    return x


def dpmpp_2m(x, sigmas):
    old = None
    for i in range(len(sigmas) - 1):
        s, s_next = sigmas[i], sigmas[i + 1]
        den = denoise(x, s)
        if s_next == 0:
            x = den                           # e^{-inf} x - expm1(-inf) D
        else:
            t, t_next = -math.log(s), -math.log(s_next)
            h = t_next - t
            if old is None:
                dd = den
            else:
                r = (t - (-math.log(sigmas[i - 1]))) / h
                dd = (1 + 1 / (2 * r)) * den - (1 / (2 * r)) * old
            x = (math.exp(-t_next) / math.exp(-t)) * x - math.expm1(-h) * dd
        old = den
    return x


SAMPLERS = {"euler": euler, "heun": heun, "dpmpp_2m": dpmpp_2m}
CASES = [  # (table: EPS beta schedule or flow tag, scheduler, steps)
    ("scaled_linear", "karras", 10),
    ("scaled_linear", "normal", 10),
    ("linear", "simple", 30),
    ("linear", "karras", 30),
    ("sd3", "simple", 10),
    ("sd3", "karras", 30),
    ("flux", "simple", 10),
    ("flux", "normal", 30),
]
FLOW_TAGS = ("sd3", "flux")


def self_check():
    """A.7: euler on SD1.5 karras(10) gives 0.844542025.

    A.7 was computed on the float64 schedule (x_T = 14.648813545 needs sigma_max =
    14.614641229); on ComfyUI's float32 schedule the result moves by 1.1e-9, to 0.844542024027.
    """
    tab = ref.Table("scaled_linear")
    for sigmas in (ref.karras(tab, 10), ref.f32(ref.karras(tab, 10))):
        x0 = euler(math.sqrt(1.0 + sigmas[0] * sigmas[0]), sigmas)
        assert abs(x0 - 0.844542025) < 2e-9, x0


def main():
    global denoise
    self_check()
    out = [MAGIC]
    tables = {}
    for beta, sched, steps in CASES:
        flow = beta in FLOW_TAGS
        tab = tables.setdefault(beta, ref.make_table(beta) if flow else ref.Table(beta))
        sigmas = ref.f32(ref.SCHEDULERS[sched](tab, steps))
        # The start for eps = 1: VE sqrt(1 + s0^2) (max denoise); CONST s0 * eps.
        x_t = sigmas[0] if flow else math.sqrt(1.0 + sigmas[0] * sigmas[0])
        denoise = denoise_flow if flow else denoise_ve
        if (beta, sched, steps) == ("flux", "simple", 10):
            # A.7: "FLOW, FLUX simple(10): x_1 = 1.0 -> dpmpp_2m 0.997388158", computed on a
            # float64 table; on ComfyUI's float32 table it moves by 1.5e-8.
            assert abs(dpmpp_2m(x_t, sigmas) - 0.997388158) < 3e-8
        for name, fn in SAMPLERS.items():
            out.append("toy %s %s %s %d %.12g %.12g" % (name, beta, sched, steps, x_t,
                                                       fn(x_t, sigmas)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_samplers.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote %s (%d lines)" % (path, len(out)), file=sys.stderr)


if __name__ == "__main__":
    main()
