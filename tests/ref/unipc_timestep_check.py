#!/usr/bin/env python3
"""Why fbw's uni_pc drifts from ComfyUI on the `normal` schedule of an EPS DiT (diagnostic).

Finding: not the UniPC maths.  KSampler asks `normal` for steps + 1 sigmas for uni_pc (it drops
the penultimate one), so at 4 and 12 steps linspace(999, 0, steps + 1) hits half-integer
timesteps (499.5; 832.5, 499.5, 166.5).  There sigma(t) = exp((L_lo + L_hi) / 2) sits on the
midpoint of two table entries, and ModelSamplingDiscrete.timestep (nearest log-sigma) is decided
by rounding:
  * t = 832.5: both sides get the same float32 sigma, but ComfyUI measures the two distances in
    float32, finds an exact tie and takes the first index (832); fbw measures them in double and
    gets 833.
  * t = 499.5: ComfyUI computes sigma(t) in float32 ((1 - w) L_lo + w L_hi, exp), fbw in double
    rounded once; the two float32 sigmas differ by one ulp and fall on opposite sides (500 vs 499).
The network then sees a different integer timestep at those calls.  Any sampler whose sigmas land
on a half-integer t is hit the same way (euler on `normal` at 5 steps below); karras and
exponential never land there.

This script is independent of fbw's C code: ComfyUI's side is written from comfy/model_sampling.py
(ModelSamplingDiscrete.sigma / timestep, float32), comfy/samplers.py (normal_scheduler, KSampler's
penultimate drop) and comfy/extra_samplers/uni_pc.py (via unipc_float32_check.Comfy); fbw's side
uses schedulers.py's Table, which follows fbw's float32 lookups since the fix, and, for the
column "before", a float64 Table (fbw's maths before the fix: double log/exp/interpolation and a
double linspace), both with unipc_float32_check.fbw_sample.  The denoiser is the random DiT of make_dit_fixture.py (plain torch
forward), class 1 against the null class at cfg 2.5.

Run:  .venv/bin/python tests/ref/unipc_timestep_check.py      (about 10 s on one CPU core)
"""

import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import make_dit_fixture as dit  # noqa: E402
import schedulers as ref  # noqa: E402
from unipc_float32_check import Comfy, fbw_sample, rel  # noqa: E402

F32 = torch.float32
CFG = dict(dit.CONFIG, input_size=32, hidden_size=128, depth=6, num_heads=4)
WEIGHTS = dit.make_weights(CFG, 1234)
TAB = ref.Table("linear")                          # DiT's linear betas, float32 sigmas
LOGS = torch.from_numpy(TAB.log_sigmas)            # ComfyUI: sigmas(float64).log().float()


# ---- ComfyUI, float32 -------------------------------------------------------------------------

def comfy_sigma(t):
    t = torch.clamp(torch.as_tensor(t, dtype=F32), 0, len(LOGS) - 1)
    lo, hi, w = t.floor().long(), t.ceil().long(), t.frac()
    return float(((1 - w) * LOGS[lo] + w * LOGS[hi]).exp())


def comfy_timestep(sigma):
    d = torch.tensor([sigma], dtype=F32).log() - LOGS[:, None]
    return int(d.abs().argmin(dim=0))              # first index on ties


def comfy_normal(steps):
    ts = torch.linspace(comfy_timestep(TAB.sigma_max), comfy_timestep(TAB.sigma_min), steps)
    return [comfy_sigma(t) for t in ts] + [0.0]


# ---- fbw: before the fix (double, rounded once) and now (float32) ------------------------------

class DoubleTable(ref.Table):
    """fbw before the fix: the same table, lookups and interpolation in float64."""

    def timestep(self, sigma):
        d = np.abs(math.log(sigma) - self.log_sigmas.astype(np.float64))
        return int(np.argmin(d))

    def sigma(self, t):
        t = min(max(float(t), 0.0), self.n - 1.0)
        lo, hi = int(math.floor(t)), int(math.ceil(t))
        w = t - lo
        return math.exp((1 - w) * float(self.log_sigmas[lo]) + w * float(self.log_sigmas[hi]))


OLD = DoubleTable("linear")


def fbw_normal(steps, tab=TAB):
    if tab is OLD:          # the double linspace fbw used before the fix
        start, end = tab.timestep(tab.sigma_max), tab.timestep(tab.sigma_min)
        ts = ref.linspace(start, end, steps)
        return ref.f32([tab.sigma(t) for t in ts] + [0.0])
    return ref.f32(ref.normal(tab, steps))


def fbw_timestep(sigma, tab=TAB):
    return tab.timestep(sigma)


def drop_penultimate(sig):
    return sig[:-2] + sig[-1:]


def make_denoiser(timestep, cfg=2.5):
    def denoise(x_in, s):
        s_t = torch.as_tensor(float(s), dtype=F32)
        z = x_in * (1.0 / (s_t * s_t + 1.0) ** 0.5)
        t = float(timestep(float(s)))
        out = dit.dit_forward(WEIGHTS, CFG, torch.cat([z, z]), torch.tensor([t, t]),
                              torch.tensor([1, CFG["num_classes"]]))["out"][:, :4]
        d = torch.cat([x_in, x_in]) - out * s_t
        return d[1:] + (d[:1] - d[1:]) * cfg
    return denoise


def euler(den, x, sig, f32_sigmas):
    for i in range(len(sig) - 1):
        s, s1 = sig[i], sig[i + 1]
        if f32_sigmas:
            s, s1 = torch.tensor(s, dtype=F32), torch.tensor(s1, dtype=F32)
        d = den(x, s)
        x = x + (x - d) / s * (s1 - s)
    return x


def main():
    torch.set_num_threads(1)
    noise = torch.randn(1, 4, 32, 32, generator=torch.Generator().manual_seed(42))
    den_c, den_f = make_denoiser(comfy_timestep), make_denoiser(fbw_timestep)
    den_o = make_denoiser(lambda s: fbw_timestep(s, OLD))

    def start(sig):
        return (noise * math.sqrt(1.0 + sig[0] ** 2)).float()

    print("sampler  steps  before: ComfyUI/fbw timestep   before     now        fbw maths on"
          " ComfyUI's sigmas+timesteps")
    for name, steps in (("uni_pc", 4), ("uni_pc", 12), ("uni_pc", 30), ("euler", 4),
                        ("euler", 5), ("euler", 12)):
        n = steps + 1 if name == "uni_pc" else steps
        sc, sf, so = comfy_normal(n), fbw_normal(n), fbw_normal(n, OLD)
        if name == "uni_pc":
            sc, sf, so = drop_penultimate(sc), drop_penultimate(sf), drop_penultimate(so)
        ties = [f"{comfy_timestep(a)}/{fbw_timestep(b, OLD)}" for a, b in zip(sc[:-1], so[:-1])
                if comfy_timestep(a) != fbw_timestep(b, OLD)]
        if name == "uni_pc":
            a = Comfy(F32, set()).sample(den_c, start(sc), sc, "bh1")
            o = fbw_sample(den_o, start(so), so, "bh1")
            b = fbw_sample(den_f, start(sf), sf, "bh1")
            c = fbw_sample(den_c, start(sc), sc, "bh1")
        else:
            a = euler(den_c, start(sc), sc, True)
            o = euler(den_o, start(so), so, False)
            b = euler(den_f, start(sf), sf, False)
            c = euler(den_c, start(sc), sc, False)
        print(f"{name:8s} {steps:5d}  {' '.join(ties) or '-':32s} {rel(o, a):9.2e}  "
              f"{rel(b, a):9.2e}  {rel(c, a):9.2e}")

    # The two mechanisms, value by value (the numbers a C test of the fix can use).
    print("\nnormal(13) on DiT linear betas, t = 832.5 and 499.5:")
    for t in (832.5, 499.5):
        sc = comfy_sigma(t)
        so = float(np.float32(OLD.sigma(t)))
        sf = float(np.float32(TAB.sigma(t)))
        print(f"  t={t}: sigma ComfyUI {sc!r} (timestep {comfy_timestep(sc)}); fbw before "
              f"{so!r} (timestep {fbw_timestep(so, OLD)}), now {sf!r} (timestep "
              f"{fbw_timestep(sf)})")


if __name__ == "__main__":
    main()
