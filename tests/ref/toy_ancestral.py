#!/usr/bin/env python3
"""Exact output variance of euler_ancestral on the scalar Gaussian toy problem.

Independent of fbw's C code.  With data x0 ~ N(0, 1) the exact VE denoiser is
D(x, s) = x / (1 + s^2), so one euler_ancestral step (k-diffusion
sample_euler_ancestral, eta = 1) is linear in x plus fresh noise:
    x' = x * (1 + s * (s_down - s) / (1 + s^2)) + s_up * eps
and the output variance follows the recursion var' = a^2 var + s_up^2 from
var_T = 1 + s_0^2 (the max-denoise start).  Run: .venv/bin/python tests/ref/toy_ancestral.py
Writes tests/ref/toy_ancestral.txt.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the independent scheduler reference)


def ancestral_step(s_from, s_to, eta=1.0):
    up = min(s_to, eta * math.sqrt(s_to ** 2 * (s_from ** 2 - s_to ** 2) / s_from ** 2))
    return math.sqrt(s_to ** 2 - up ** 2), up


def variance(sigmas):
    var = 1.0 + sigmas[0] ** 2
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        down, up = ancestral_step(s, s_next)
        if down == 0:
            a, up = 1.0 / (1.0 + s * s), 0.0      # x = D
        else:
            a = 1.0 + s * (down - s) / (1.0 + s * s)
        var = a * a * var + up * up
    return var


def main():
    out = ["fbw-ref toy_ancestral 1"]
    for beta, sched, steps in (("linear", "karras", 30), ("scaled_linear", "normal", 20)):
        tab = ref.Table(beta)
        sig = [float(v) for v in ref.f32(getattr(ref, sched)(tab, steps))]
        out.append("var euler_ancestral %s %s %d %.12g" % (beta, sched, steps, variance(sig)))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "toy_ancestral.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
