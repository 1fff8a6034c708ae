#!/usr/bin/env python3
"""Reference noise for fbw's tensor_randn: torch.randn on a seeded CPU torch.Generator.

This pins fbw's reproducibility contract: the same seed gives the same noise as PyTorch (and so
ComfyUI, which draws its initial latent with torch.randn on a CPU generator).  Run it with the
project's venv, whose torch is the libtorch fbw links (FBW_REF_DEPS=1 make deps):

    .venv/bin/python tests/ref/randn_ref.py            # rewrites tests/ref/randn_ref.txt

tests/core/tensor_test.c reads the file and requires bit-identical float32 values.  The shapes
cover both of ATen's CPU normal kernels: fewer than 16 elements are drawn one Box-Muller pair at
a time, 16 or more by the vectorised normal_fill, which consumes the generator differently; the
two consecutive draws ([3] then [17]) pin the order in which the stream is consumed.

Output format (one record per line, whitespace separated, '#' starts a comment):

    fbw-ref randn 1                                          magic and version (first line)
    randn <seed> <ndim> <d0> ... <sum> <count> <v0> ... <v(count-1)>
        torch.randn((d0, ...), generator=torch.Generator().manual_seed(seed)); sum is the
        float64 sum of every value, and the first count values (row-major) follow
    next <ndim> <d0> ... <sum> <count> <v0> ...
        a further draw from the generator of the record above

Values are float32 numbers printed with Python's repr of the exact float64 value, which reads
back (strtod, then a cast to float) to the same float32 bits.
"""

import os
import sys

import torch

MAGIC = "fbw-ref randn 1"
SEEDS = [0, 1, 42, 2**40 + 3]
SHAPES = [[5], [2, 3], [1, 4, 8, 8]]
SEQUENCE = [[3], [17]]
MAX_VALUES = 16


def record(tag, head, t):
    vals = t.flatten().tolist()[:MAX_VALUES]
    total = t.double().sum().item()
    dims = [str(len(t.shape))] + [str(d) for d in t.shape]
    fields = [tag] + head + dims + [repr(total), str(len(vals))] + [repr(v) for v in vals]
    return " ".join(fields)


def main():
    out = [MAGIC, "# written by tests/ref/randn_ref.py with torch " + torch.__version__]
    for seed in SEEDS:
        for shape in SHAPES:
            g = torch.Generator().manual_seed(seed)
            out.append(record("randn", [str(seed)], torch.randn(shape, generator=g)))
        g = torch.Generator().manual_seed(seed)
        for i, shape in enumerate(SEQUENCE):
            t = torch.randn(shape, generator=g)
            out.append(record("randn", [str(seed)], t) if i == 0 else record("next", [], t))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "randn_ref.txt")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    print("wrote " + path, file=sys.stderr)


if __name__ == "__main__":
    main()
