#!/usr/bin/env python3
"""Reference image differences for fbw's core/metrics.c: PSNR, SSIM, MAE and max |a - b|,
computed with numpy alone and independently of the C code:

    .venv/bin/python tests/ref/metrics_ref.py      # rewrites tests/ref/metrics_ref.txt

tests/core/metrics_test.c regenerates the same image pairs and compares its figures to 1e-9
relative.

SSIM follows Wang, Bovik, Sheikh and Simoncelli's ssim.m: the 2-D window is fspecial's
exp(-(x^2 + y^2) / (2 sigma^2)) over an n x n grid centred at (n - 1) / 2, sigma 1.5, divided
by its sum (n = 11, or min(H, W) for smaller images); every statistic is a "valid" correlation
(explicit sliding windows, no padding); C1 = 0.01^2, C2 = 0.03^2 (L = 1); the map is averaged
over positions, then over channels.  All figures use the outputs mapped from [-1, 1] to [0, 1]
and clipped.  PSNR is 10 log10(1 / MSE), and inf (written "inf") when the MSE is 0.

The image pairs (C, H, W), float32, come from a 32-bit LCG the C test reproduces:

    next:  state = (1664525 state + 1013904223) mod 2^32;  u = ((state >> 8) - 2^23) / 2^23
    a[c, y, x] = float32(((x^2 + 3xy + y + 7c) mod 64) / 32 - 1 + u / 16)   in c, y, x order
    b = a                                       when shift < 0, else, continuing the stream,
    b[c, y, x] = float32(float64(a[c, y, x]) + u * 2^-shift)

Every intermediate value is exact in float64, so the one rounding (to float32) is the same
in C and numpy.  The pattern plus noise pokes slightly outside [-1, 1], so clipping matters.

Output format (one record per line, whitespace separated):

    fbw-ref metrics 1                                                magic and version
    case <name> <C> <H> <W> <seed> <shift> <psnr> <ssim> <mae> <max_abs>
"""

import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

MAGIC = "fbw-ref metrics 1"
CASES = [
    # name, C, H, W, seed, shift
    ("rgb32", 3, 32, 32, 1, 2),        # fbw's default output size, visible differences
    ("noise32", 3, 32, 32, 2, 8),      # noise-level differences (about 0.002 on [0, 1])
    ("identical32", 3, 32, 32, 3, -1),  # SSIM exactly 1, PSNR inf
    ("small", 2, 7, 9, 4, 3),          # smaller than 11: a 7 x 7 window
    ("small_identical", 1, 5, 5, 6, -1),
    ("wide", 4, 12, 20, 5, 4),         # 11 x 11 window, 2 x 10 positions
    ("line", 1, 1, 6, 7, 1),           # 1 x 1 window
]
K1, K2, SIGMA = 0.01, 0.03, 1.5


class Lcg:
    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def u(self):
        self.state = (1664525 * self.state + 1013904223) & 0xFFFFFFFF
        return ((self.state >> 8) - 2**23) / 2.0**23


def make_pair(C, H, W, seed, shift):
    rng = Lcg(seed)
    a = np.empty((C, H, W), dtype=np.float32)
    for c in range(C):
        for y in range(H):
            for x in range(W):
                pattern = ((x * x + 3 * x * y + y + 7 * c) % 64) / 32.0 - 1.0
                a[c, y, x] = np.float32(pattern + rng.u() / 16.0)
    if shift < 0:
        return a, a.copy()
    b = np.empty_like(a)
    for c in range(C):
        for y in range(H):
            for x in range(W):
                b[c, y, x] = np.float32(float(a[c, y, x]) + rng.u() * 2.0**-shift)
    return a, b


def unit(x):
    return np.clip((x.astype(np.float64) + 1.0) * 0.5, 0.0, 1.0)


def gaussian_window(n):
    """fspecial('gaussian', n, 1.5), normalised to sum 1."""
    ax = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    xx, yy = np.meshgrid(ax, ax)
    h = np.exp(-(xx**2 + yy**2) / (2.0 * SIGMA**2))
    return h / h.sum()


def filter_valid(img, w):
    """filter2(w, img, 'valid'): the weighted sum under every full placement of w."""
    views = sliding_window_view(img, w.shape)
    return (views * w).sum(axis=(-2, -1))


def ssim(a, b):
    C, H, W = a.shape
    w = gaussian_window(min(11, H, W))
    c1, c2 = K1**2, K2**2
    per_channel = []
    for c in range(C):
        x, y = unit(a[c]), unit(b[c])
        mu1, mu2 = filter_valid(x, w), filter_valid(y, w)
        s11 = filter_valid(x * x, w) - mu1 * mu1
        s22 = filter_valid(y * y, w) - mu2 * mu2
        s12 = filter_valid(x * y, w) - mu1 * mu2
        m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s11 + s22 + c2))
        per_channel.append(m.mean())
    return float(np.mean(per_channel))


def figures(a, b):
    e = np.abs(unit(a) - unit(b))
    mse = float(np.mean(e**2))
    psnr = float("inf") if mse == 0 else float(10.0 * np.log10(1.0 / mse))
    return psnr, ssim(a, b), float(e.mean()), float(e.max())


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics_ref.txt")
    lines = [MAGIC]
    for name, C, H, W, seed, shift in CASES:
        a, b = make_pair(C, H, W, seed, shift)
        vals = figures(a, b)
        lines.append("case %s %d %d %d %d %d %s" % (name, C, H, W, seed, shift,
                                                    " ".join(repr(float(v)) for v in vals)))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    sys.stdout.write("wrote %s (%d cases)\n" % (out, len(lines) - 1))


if __name__ == "__main__":
    main()
