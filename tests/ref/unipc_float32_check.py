#!/usr/bin/env python3
"""Float32 side-by-side of ComfyUI's UniPC and fbw's UniPC (diagnostic, not a fixture).

Written independently from comfy/extra_samplers/uni_pc.py's maths (sample_unipc, SigmaConvert,
predict_eps_sigma, data_prediction_fn, multistep_uni_pc_bh_update, UniPC.sample) and from
core/sampler_uni_pc.c's description; no code of either is copied.

  comfy   every sigma-derived quantity a float32 torch tensor, as ComfyUI computes it
          (SigmaConvert's log/exp/sqrt, h_phi recursion, torch.linalg.solve in float32), and
          the data prediction through the eps round trip x0 = (x - std eps) / alpha.
  fbw     fbw's algorithm: host doubles for the coefficients (closed forms), float32 tensors
          for x and the model values, m = D exactly.
  exact   the comfy algorithm in float64 throughout (the truth both approximate).

The denoiser is a deterministic float32 toy with an EPS network's shape,
D(x_in, s) = x_in - s eps(x_in / sqrt(1 + s^2), s), so that ComfyUI's round trip meets the
same cancellations it meets on a real model.  Schedules: DiT's linear-beta EPS table (as the
random DiT), KSampler's steps + 1 with the penultimate sigma dropped, float32 sigmas.

Switches (--swap NAME, repeatable) replace one comfy quantity by fbw's to locate the drift:
  m       the data prediction is D itself (no eps round trip)
  vp      alpha, std, lambda from double closed forms (rounded to float32)
  rho     b, R and the rhos in float64 (LAPACK double solve)

Run:  .venv/bin/python tests/ref/unipc_float32_check.py [--swap m] [--swap vp] ...
Prints max|a - b| / max|b| per schedule / step count for comfy-vs-fbw, each against exact.

Finding (this toy, output O(1)): fbw stays within ~3e-6 of exact on every schedule; ComfyUI's
float32 run is 1e-5 .. 9e-5 away, on karras as much as on normal, and `--swap vp` alone removes it.
The cause is SigmaConvert at the substituted final sigma 0.001: in float32, s^2 + 1 rounds to
1 + 8 ulp, so std(0.001) comes out 2.34% low and lambda(0.001) 0.0237 high; the last (order-1)
update then carries an error of about 0.0234 * std_t * eps = 2.3e-5 |eps| (absolute).  Neither
the eps round trip (`m`) nor the float32 solve (`rho`) matters.  On a real model, whose output is
far larger than eps, this is below 3e-6 relative; it is not the `normal` drift (see
unipc_timestep_check.py).
"""

import argparse
import math
import os
import sys

import torch

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schedulers as ref  # noqa: E402  (the sibling reference script, not fbw)

F32, F64 = torch.float32, torch.float64


# ---- toy EPS denoiser (float32 unless told) -----------------------------------------------------

def make_denoiser(dtype, cfg=2.5):
    g = torch.Generator().manual_seed(7)
    w1 = torch.randn(4, 4, generator=g, dtype=F64) * 0.5
    w2 = torch.randn(4, 4, generator=g, dtype=F64) * 0.5
    w1, w2 = w1.to(dtype), w2.to(dtype)

    def eps_net(z, s, w):
        # z (B, 4, H, W); a channel mix, a nonlinearity and a sigma-dependent bias
        mix = torch.einsum("oc,bchw->bohw", w, z)
        ls = torch.log(torch.as_tensor(s, dtype=dtype))
        return torch.tanh(mix + 0.3 * torch.sin(ls)) + 0.5 * z

    def denoise(x_in, s):
        s_t = torch.as_tensor(s, dtype=dtype)
        c_in = 1.0 / (s_t * s_t + 1.0) ** 0.5
        z = x_in * c_in
        e_c, e_u = eps_net(z, s, w1), eps_net(z, s, w2)
        e = e_u + cfg * (e_c - e_u)                    # cfg on the eps-shaped output
        return x_in - e * s_t
    return denoise


# ---- schedules --------------------------------------------------------------------------------

def ksampler_sigmas(sched, steps):
    tab = ref.Table("linear")
    sig = ref.f32(ref.SCHEDULERS[sched](tab, steps + 1))
    if len(sig) >= 3:
        sig = sig[:-2] + sig[-1:]
    return sig


# ---- ComfyUI's algorithm, in a chosen dtype -----------------------------------------------------

class Comfy:
    def __init__(self, dtype, swaps):
        self.dt, self.swaps = dtype, swaps

    def t(self, v):
        return torch.as_tensor(v, dtype=self.dt)

    # SigmaConvert
    def log_alpha(self, s):
        if "vp" in self.swaps:
            return self.t(-0.5 * math.log1p(float(s) ** 2))
        return 0.5 * torch.log(1 / (s * s + 1))

    def alpha(self, s):
        if "vp" in self.swaps:
            return self.t(1.0 / math.sqrt(1.0 + float(s) ** 2))
        return torch.exp(self.log_alpha(s))

    def std(self, s):
        if "vp" in self.swaps:
            return self.t(float(s) / math.sqrt(1.0 + float(s) ** 2))
        return torch.sqrt(1.0 - torch.exp(2.0 * self.log_alpha(s)))

    def lam(self, s):
        if "vp" in self.swaps:
            return self.t(-math.log(float(s)))
        la = self.log_alpha(s)
        return la - 0.5 * torch.log(1.0 - torch.exp(2.0 * la))

    def model(self, den, x, s):
        if "m" in self.swaps:
            return den(x * float(math.sqrt(float(s) ** 2 + 1.0)), float(s))
        x_in = x * ((s * s + 1.0) ** 0.5)
        eps = (x_in - den(x_in, s)) / s
        return (x - self.std(s) * eps) / self.alpha(s)

    def rhos(self, rks, hh, b_h, order, want_p):
        dt = F64 if "rho" in self.swaps else self.dt
        rks = rks.to(dt)
        hh, b_h = hh.to(dt), b_h.to(dt)
        h_phi_k = torch.expm1(hh) / hh - 1
        fact = 1
        R, b = [], []
        for i in range(1, order + 1):
            R.append(torch.pow(rks, i - 1))
            b.append(h_phi_k * fact / b_h)
            fact *= i + 1
            h_phi_k = h_phi_k / hh - 1 / fact
        R, b = torch.stack(R), torch.stack(b)
        rp = None
        if want_p:
            rp = torch.tensor([0.5], dtype=dt) if order == 2 else torch.linalg.solve(R[:-1, :-1], b[:-1])
        rc = torch.tensor([0.5], dtype=dt) if order == 1 else torch.linalg.solve(R, b)
        return (None if rp is None else rp.to(self.dt)), rc.to(self.dt)

    def update(self, den, x, ms, ts, t, order, variant, corrector):
        s0, m0 = ts[-1], ms[-1]
        lam0, lam_t = self.lam(s0), self.lam(t)
        h = lam_t - lam0
        rks, d1s = [], []
        for i in range(1, order):
            rk = (self.lam(ts[-(i + 1)]) - lam0) / h
            rks.append(rk)
            d1s.append((ms[-(i + 1)] - m0) / rk)
        rks = torch.stack(rks + [self.t(1.0)])
        hh = -h
        h_phi_1 = torch.expm1(hh)
        b_h = hh if variant == "bh1" else torch.expm1(hh)
        rp, rc = self.rhos(rks, hh, b_h, order, len(d1s) > 0)
        alpha_t = torch.exp(self.log_alpha(t)) if "vp" not in self.swaps else self.alpha(t)
        x_ = (self.std(t) / self.std(s0)) * x - (alpha_t * h_phi_1) * m0
        x_t = x_
        if d1s:
            x_t = x_ - (alpha_t * b_h) * torch.einsum("k,kbchw->bchw", rp, torch.stack(d1s))
        m_t = None
        if corrector:
            m_t = self.model(den, x_t, t)
            corr = torch.einsum("k,kbchw->bchw", rc[:-1], torch.stack(d1s)) if d1s else 0
            x_t = x_ - (alpha_t * b_h) * (corr + rc[-1] * (m_t - m0))
        return x_t, m_t

    def sample(self, den, x_ks, sigmas, variant):
        ts = torch.tensor(sigmas, dtype=F32).to(self.dt)
        if float(ts[-1]) == 0:
            ts[-1] = torch.tensor(0.001, dtype=F32).to(self.dt)
        x = x_ks.to(self.dt) / torch.sqrt(1.0 + ts[0] ** 2.0)
        steps = len(ts) - 1
        order = min(3, len(ts) - 2)
        ms, tl = [self.model(den, x, ts[0])], [ts[0]]
        for i in range(1, steps):
            if i < order:
                x, m = self.update(den, x, ms, tl, ts[i], i, variant, True)
                ms.append(m)
                tl.append(ts[i])
                continue
            for step in range(i, i + 1 + (i == steps - 1)):
                p = min(order, steps + 1 - step)
                x, m = self.update(den, x, ms, tl, ts[step], p, variant, step != steps)
                ms, tl = ms[1:] + [m], tl[1:] + [ts[step]]
        return x / self.alpha(ts[-1])


# ---- fbw's algorithm: double host coefficients, float32 tensors --------------------------------

def fbw_sample(den, x_ks, sigmas, variant, final=0.001):
    n = len(sigmas)
    sig = [float(s) for s in sigmas]
    if sig[-1] == 0:
        sig[-1] = final
    steps, order = n - 1, min(3, n - 2)

    def alpha(s):
        return 1.0 / math.sqrt(1.0 + s * s)

    def std(s):
        return s / math.sqrt(1.0 + s * s)

    def model(x, s):
        return den(x * math.sqrt(s * s + 1.0), s)

    def solve(a, b):
        return torch.linalg.solve(torch.tensor(a, dtype=F64), torch.tensor(b, dtype=F64)).tolist()

    def update(hs, hm, x, t, p, corrector):
        s0 = hs[-1]
        lam0 = -math.log(s0)
        step = -math.log(t) - lam0
        hh = -step
        rk = [(-math.log(hs[-1 - k]) - lam0) / step for k in range(1, p)] + [1.0]
        b_h = hh if variant == "bh1" else math.expm1(hh)
        R = [[rk[k] ** i for k in range(p)] for i in range(p)]
        b, hp, fact = [], math.expm1(hh) / hh - 1.0, 1.0
        for i in range(p):
            b.append(hp * fact / b_h)
            fact *= i + 2
            hp = hp / hh - 1.0 / fact
        rp = [0.5] if p == 2 else (solve([r[:p - 1] for r in R[:p - 1]], b[:p - 1]) if p > 2 else [])
        rc = [0.5] if p == 1 else solve(R, b)
        m0 = hm[-1]
        d1 = [(hm[-1 - k] - m0) / rk[k - 1] for k in range(1, p)]
        x_lin = torch.add(x * (std(t) / std(s0)), m0, alpha=-alpha(t) * math.expm1(hh))
        res = alpha(t) * b_h

        def weighted(w, ts):
            acc = ts[0] * w[0]
            for k in range(1, len(ts)):
                acc = torch.add(acc, ts[k], alpha=w[k])
            return acc
        x_pred = x_lin if p == 1 else torch.add(x_lin, weighted(rp, d1), alpha=-res)
        if not corrector:
            return x_pred, None
        m_t = model(x_pred, t)
        return torch.add(x_lin, weighted(rc, d1 + [m_t - m0]), alpha=-res), m_t

    x = x_ks / math.sqrt(1.0 + sig[0] ** 2)
    hs, hm = [], []
    cap = max(order, 1)

    def push(s, m):
        hs.append(s)
        hm.append(m)
        if len(hs) > cap:
            del hs[0], hm[0]
    for i in range(steps):
        t = sig[i]
        if i == 0:
            push(t, model(x, t))
            continue
        p = i if i < order else min(order, steps + 1 - i)
        x, m = update(hs, hm, x, t, p, True)
        push(t, m)
        if i == steps - 1:
            x, _ = update(hs, hm, x, sig[steps], 1, False)
    return x / alpha(sig[steps])


def rel(a, b):
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swap", action="append", default=[], choices=["m", "vp", "rho"])
    ap.add_argument("--variant", default="bh1", choices=["bh1", "bh2"])
    args = ap.parse_args()
    den32, den64 = make_denoiser(F32), make_denoiser(F64)
    g = torch.Generator().manual_seed(42)
    noise = torch.randn(1, 4, 16, 16, generator=g, dtype=F64)
    print(f"variant {args.variant}, comfy swaps {args.swap or 'none'}")
    print(f"{'sched':12s} {'steps':>5s} {'comfy~fbw':>10s} {'comfy~exact':>11s} {'fbw~exact':>10s}")
    for sched in ("normal", "karras", "exponential", "simple"):
        for steps in (4, 12, 30):
            sig = ksampler_sigmas(sched, steps)
            x_ks = (noise * math.sqrt(1.0 + sig[0] ** 2)).to(F32)   # max-denoise start
            c = Comfy(F32, set(args.swap)).sample(den32, x_ks, sig, args.variant)
            f = fbw_sample(den32, x_ks, sig, args.variant)
            e = Comfy(F64, set()).sample(den64, x_ks.double(), sig, args.variant)
            print(f"{sched:12s} {steps:5d} {rel(c, f):10.2e} {rel(c, e):11.2e} {rel(f, e):10.2e}")


if __name__ == "__main__":
    main()
