#!/usr/bin/env python3
"""peer.py - the Python peer a user would pick instead of fbw: the same DiT in plain PyTorch eager.

Written from the published maths, not from fbw's C: facebookresearch/DiT models.py (timm PatchEmbed
conv, fixed 2-D sin-cos position embedding, 256-frequency timestep embedding cos first, label table
with a trailing null class, adaLN-Zero blocks, final layer, unpatchify), ComfyUI's model sampling
(ModelSamplingDiscrete / ModelSamplingDiscreteFlow), normal and simple schedulers, EPS/CONST
denoising with batched CFG [cond; uncond], k-diffusion's Euler, and Comfy-WaveSpeed's First Block
Cache (indicator = block-0 output minus its input over the whole CFG batch; hit iff
mean|prev - cur| / mean|prev| < threshold, strict; the reference changes only on a miss; a hit adds
the stored residual of blocks 1..n-1 to block 0's output; the first call never hits).

It reads fbw's own safetensors model files (DiT's parameter names; the config JSON in
__metadata__["fbw.config"]) with json + struct, and runs in float32 under torch.inference_mode.

    peer.py generate --model F [--class N --seed S --steps N --cfg F --scheduler normal|simple
                     --threshold F --max-hits N --threads N --trace F.jsonl --latent-out F]
    peer.py check  --fbw ./fbw --model F [same knobs]     equivalence with `fbw generate`
    peer.py bench  --fbw ./fbw [--models A,B] [--rounds R] interleaved fbw vs peer timing

Every generation prints fbw's summary line: "steps N, model calls N, hits N, hit rate X%, wall S s",
where wall covers what fbw's engine_generate covers: sigmas, noise, sampling, output on the host.
"""
import argparse
import json
import math
import os
import random
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---- safetensors -----------------------------------------------------------------------------

ST_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def st_load(path):
    """(metadata dict, {name: tensor}) from a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {}) or {}
    data = bytearray(blob[8 + n:])
    tensors = {}
    for name, info in header.items():
        lo, hi = info["data_offsets"]
        dt = ST_DTYPES[info["dtype"]]
        t = torch.frombuffer(data, dtype=dt, offset=lo, count=(hi - lo) // dt.itemsize)
        tensors[name] = t.reshape(info["shape"]).clone()
    return meta, tensors


def st_save(path, tensors, meta=None):
    """Write {name: float32 tensor} (plus string metadata) as safetensors."""
    header, chunks, off = {}, [], 0
    if meta:
        header["__metadata__"] = meta
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))
    os.replace(tmp, path)


# ---- DiT (facebookresearch/DiT models.py) ----------------------------------------------------

def modulate(x, shift, scale):
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class PatchEmbed(nn.Module):
    """timm PatchEmbed: a p x p stride-p conv, flattened to (B, T, H)."""

    def __init__(self, in_chans, embed_dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch, stride=patch, bias=True)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class TimestepEmbedder(nn.Module):
    def __init__(self, hidden, freq_dim=256):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(freq_dim, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.freq_dim = freq_dim

    @staticmethod
    def timestep_embedding(t, dim, max_period=10000):
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
        args = t[:, None].float() * freqs[None].to(t.device)
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
        if dim % 2:
            emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
        return emb

    def forward(self, t):
        return self.mlp(self.timestep_embedding(t, self.freq_dim))


class LabelEmbedder(nn.Module):
    def __init__(self, num_classes, hidden):
        super().__init__()
        self.embedding_table = nn.Embedding(num_classes + 1, hidden)    # + the null class

    def forward(self, y):
        return self.embedding_table(y)


class Attention(nn.Module):
    """timm Attention (qkv_bias=True); fused = F.scaled_dot_product_attention, timm's default."""

    def __init__(self, dim, num_heads, fused=True):
        super().__init__()
        self.num_heads, self.head_dim, self.fused = num_heads, dim // num_heads, fused
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused:
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            attn = (q * self.scale) @ k.transpose(-2, -1)
            x = attn.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate="tanh")
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DiTBlock(nn.Module):
    def __init__(self, hidden, num_heads, mlp_ratio, fused):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.attn = Attention(hidden, num_heads, fused)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.mlp = Mlp(hidden, int(hidden * mlp_ratio))
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 6 * hidden))

    def forward(self, x, c):
        sh_a, sc_a, g_a, sh_m, sc_m, g_m = self.adaLN_modulation(c).chunk(6, dim=1)
        x = x + g_a.unsqueeze(1) * self.attn(modulate(self.norm1(x), sh_a, sc_a))
        return x + g_m.unsqueeze(1) * self.mlp(modulate(self.norm2(x), sh_m, sc_m))


class FinalLayer(nn.Module):
    def __init__(self, hidden, patch, out_channels):
        super().__init__()
        self.norm_final = nn.LayerNorm(hidden, elementwise_affine=False, eps=1e-6)
        self.linear = nn.Linear(hidden, patch * patch * out_channels)
        self.adaLN_modulation = nn.Sequential(nn.SiLU(), nn.Linear(hidden, 2 * hidden))

    def forward(self, x, c):
        shift, scale = self.adaLN_modulation(c).chunk(2, dim=1)
        return self.linear(modulate(self.norm_final(x), shift, scale))


def sincos_2d(embed_dim, grid):
    """DiT get_2d_sincos_pos_embed: first half encodes the column (w), second the row (h)."""
    def one_d(dim, pos):
        omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0))
        out = pos.reshape(-1)[:, None] * omega[None]
        return torch.cat([torch.sin(out), torch.cos(out)], dim=1)
    g = torch.arange(grid, dtype=torch.float64)
    rows, cols = torch.meshgrid(g, g, indexing="ij")
    return torch.cat([one_d(embed_dim // 2, cols), one_d(embed_dim // 2, rows)], dim=1).float()


class DiT(nn.Module):
    def __init__(self, cfg, fused=True):
        super().__init__()
        self.cfg = cfg
        H, p, C = cfg["hidden_size"], cfg["patch_size"], cfg["in_channels"]
        self.in_channels, self.patch = C, p
        self.out_channels = 2 * C if cfg.get("learn_sigma") else C
        self.x_embedder = PatchEmbed(C, H, p)
        self.t_embedder = TimestepEmbedder(H)
        self.y_embedder = LabelEmbedder(cfg["num_classes"], H)
        T = (cfg["input_size"] // p) ** 2
        self.pos_embed = nn.Parameter(torch.zeros(1, T, H), requires_grad=False)
        self.blocks = nn.ModuleList(DiTBlock(H, cfg["num_heads"], cfg.get("mlp_ratio", 4.0), fused)
                                    for _ in range(cfg["depth"]))
        self.final_layer = FinalLayer(H, p, self.out_channels)

    def embed(self, x, t, y):
        """(tokens h0 (B, T, H), conditioning c (B, H))."""
        return self.x_embedder(x) + self.pos_embed, self.t_embedder(t) + self.y_embedder(y)

    def unpatchify(self, x):
        c, p = self.out_channels, self.patch
        h = w = int(x.shape[1] ** 0.5)
        x = x.reshape(x.shape[0], h, w, p, p, c)
        return torch.einsum("nhwpqc->nchpwq", x).reshape(x.shape[0], c, h * p, w * p)

    def head(self, h, c):
        return self.unpatchify(self.final_layer(h, c))

    def forward(self, x, t, y):
        h, c = self.embed(x, t, y)
        for b in self.blocks:
            h = b(h, c)
        return self.head(h, c)


def load_model(path, fused=True):
    meta, tensors = st_load(path)
    cfg = json.loads(meta["fbw.config"])
    if cfg.get("arch", "dit") != "dit":
        raise SystemExit(f"peer: '{path}': arch {cfg['arch']!r} is not dit")
    model = DiT(cfg, fused)
    model.load_state_dict(tensors, strict=True)
    model.eval()
    g = cfg["input_size"] // cfg["patch_size"]
    pos_err = (sincos_2d(cfg["hidden_size"], g) - model.pos_embed[0]).abs().max().item()
    return model, cfg, pos_err


# ---- model sampling, schedulers (ComfyUI) ----------------------------------------------------

class ModelSampling:
    """ModelSamplingDiscrete (eps) or ModelSamplingDiscreteFlow (flow), float32 tables."""

    def __init__(self, cfg):
        n = cfg.get("num_timesteps", 1000)
        self.flow = cfg.get("prediction", "eps") == "flow"
        if self.flow:
            self.shift, self.mult = cfg.get("shift", 1.0), cfg.get("multiplier", 1000.0)
            t = torch.arange(1, n + 1, dtype=torch.float32) / n * self.mult
            self.sigmas = self._shift(t / self.mult)
        else:
            sched = cfg.get("beta_schedule", "linear")
            if sched == "linear":         # DiT's get_beta_schedule("linear")
                b0, b1 = cfg.get("beta_start") or 1e-4, cfg.get("beta_end") or 0.02
                betas = torch.linspace(b0, b1, n, dtype=torch.float64)
            elif sched == "scaled_linear":  # ComfyUI/SD "linear" in sqrt space
                b0, b1 = cfg.get("beta_start") or 0.00085, cfg.get("beta_end") or 0.012
                betas = torch.linspace(b0 ** 0.5, b1 ** 0.5, n, dtype=torch.float64) ** 2
            else:
                raise SystemExit(f"peer: unknown beta_schedule {sched!r}")
            ac = torch.cumprod(1.0 - betas, 0)
            self.sigmas = (((1 - ac) / ac) ** 0.5).float()
        self.log_sigmas = self.sigmas.log()
        self.sigma_min, self.sigma_max = float(self.sigmas[0]), float(self.sigmas[-1])

    def _shift(self, t):
        return t if self.shift == 1.0 else self.shift * t / (1 + (self.shift - 1) * t)

    def timestep(self, sigma):
        if self.flow:
            return sigma * self.mult
        d = (math.log(sigma) - self.log_sigmas.double()).abs()
        return float(torch.argmin(d))

    def sigma(self, t):
        if self.flow:
            return self._shift(t / self.mult)
        t = min(max(t, 0.0), len(self.sigmas) - 1.0)
        lo, hi, w = math.floor(t), math.ceil(t), t - math.floor(t)
        ls = self.log_sigmas.double()
        return math.exp((1 - w) * float(ls[lo]) + w * float(ls[hi]))

    def percent_to_sigma(self, p):
        if p <= 0:
            return 1.0 if self.flow else 999999999.9
        if p >= 1:
            return 0.0
        return self._shift(1.0 - p) if self.flow else self.sigma((1.0 - p) * 999.0)


def f32(v):
    return struct.unpack("f", struct.pack("f", v))[0]


def scheduler_sigmas(ms, name, steps):
    if name == "simple":
        ss = len(ms.sigmas) / steps
        out = [float(ms.sigmas[-(1 + int(x * ss))]) for x in range(steps)] + [0.0]
    elif name == "normal":
        start, end = ms.timestep(ms.sigma_max), ms.timestep(ms.sigma_min)
        append_zero = True
        if abs(ms.sigma(end)) <= 1e-5:
            steps, append_zero = steps + 1, False
        ts = [start + i * (end - start) / (steps - 1) if steps > 1 else start
              for i in range(steps)]
        if steps > 1:
            ts[-1] = end
        out = [ms.sigma(t) for t in ts] + ([0.0] if append_zero else [])
    else:
        raise SystemExit(f"peer: scheduler {name!r} is not implemented (normal, simple)")
    return [f32(s) for s in out]


# ---- First Block Cache (Comfy-WaveSpeed) -----------------------------------------------------

class FBCache:
    def __init__(self, threshold, max_hits=-1, start_sigma=1e18, end_sigma=0.0):
        self.thr, self.max_hits = threshold, max_hits
        self.start_sigma, self.end_sigma = start_sigma, end_sigma
        self.active = threshold > 0 and max_hits != 0
        self.reset()

    def reset(self):
        self.prev_sigma, self.prev_shape, self.seq = None, None, 0
        self.slots = {}           # seq -> (indicator, residual)
        self.use, self.reason, self.consecutive = False, "first", 0

    def __call__(self, model, x, t, y, sigma, rec):
        if not self.active:
            rec.update(seq=0, reason="off", hit=False, rel_l1=None)
            return model(x, t, y)
        if (self.prev_sigma is None or tuple(x.shape[1:]) != self.prev_shape
                or sigma > self.prev_sigma):
            self.reset()
        elif sigma == self.prev_sigma:
            self.seq += 1
        else:
            self.seq = 0
        self.prev_shape = tuple(x.shape[1:])
        h0, c = model.embed(x, t, y)
        h1 = model.blocks[0](h0, c)
        ind = h1 - h0
        rel, reason = None, "first"
        slot = self.slots.get(self.seq)
        if slot is not None:
            if self.seq > 0:
                self.use = self.use and slot[0].shape == ind.shape
                reason = "hit" if self.use else self.reason
            else:
                if slot[0].shape != ind.shape:
                    reason = "threshold"
                else:
                    rel = ((slot[0] - ind).abs().mean() / slot[0].abs().mean()).item()
                    if not rel < self.thr:
                        reason = "threshold"
                    elif not self.end_sigma <= sigma <= self.start_sigma:
                        reason = "window"
                    elif self.max_hits >= 0 and self.consecutive >= self.max_hits:
                        reason = "max_hits"
                    else:
                        reason = "hit"
                self.consecutive = self.consecutive + 1 if reason == "hit" else 0
                self.use, self.reason = reason == "hit", reason
        if reason == "hit":
            h = h1 + slot[1]
        else:
            h = h1
            for b in model.blocks[1:]:
                h = b(h, c)
            self.slots[self.seq] = (ind, h - h1)
        self.prev_sigma = sigma
        rec.update(seq=self.seq, reason=reason, hit=reason == "hit", rel_l1=rel)
        return model.head(h, c)


# ---- one generation (ComfyUI KSampler, euler) ------------------------------------------------

def generate(model, cfg, a):
    """(x0 (1, C, I, I), trace records, wall seconds); the wall covers what fbw's does."""
    t0 = time.perf_counter()
    ms = ModelSampling(cfg)
    sig = scheduler_sigmas(ms, a.scheduler, a.steps)
    cache = FBCache(a.threshold, a.max_hits, ms.percent_to_sigma(a.start),
                    ms.percent_to_sigma(a.end))
    C, I = cfg["in_channels"], cfg["input_size"]
    gen = torch.Generator().manual_seed(a.seed)
    noise = torch.randn((1, C, I, I), generator=gen, dtype=torch.float32)
    s0 = sig[0]
    if ms.flow:
        x = noise * s0
    else:
        max_denoise = math.isclose(ms.sigma_max, s0, rel_tol=1e-05) or s0 > ms.sigma_max
        x = noise * (math.sqrt(1.0 + s0 * s0) if max_denoise else s0)
    batched = not math.isclose(a.cfg, 1.0)
    labels = [a.cls, cfg["num_classes"]] if batched else [a.cls]
    y = torch.tensor(labels, dtype=torch.int64)
    trace = []
    for i in range(len(sig) - 1):
        s, s_next = sig[i], sig[i + 1]
        c0 = time.perf_counter()
        ts = ms.timestep(s)
        rec = {"step": i, "call": 0, "sigma": s, "timestep": ts}
        xin = x if ms.flow else x / math.sqrt(s * s + 1.0)
        xb = torch.cat([xin, xin]) if batched else xin
        t = torch.full((len(labels),), ts, dtype=torch.float32)
        out = cache(model, xb, t, y, s, rec)[:, :C]
        den = x - s * out                          # (cond; uncond) x0 predictions
        if batched:
            den = den[1:] + (den[:1] - den[1:]) * a.cfg
        rec["ms"] = (time.perf_counter() - c0) * 1e3
        trace.append(rec)
        d = (x - den) / s
        x = x + d * (s_next - s)
    if ms.flow and sig[-1] != 1.0:
        x = x / (1.0 - sig[-1])
    out = x.contiguous().numpy().copy()
    return torch.from_numpy(out), trace, time.perf_counter() - t0


def summary(trace, wall):
    hits = sum(r["hit"] for r in trace)
    n = len(trace)
    return (f"steps {n}, model calls {n}, hits {hits}, hit rate {100.0 * hits / max(n, 1):.1f}%, "
            f"wall {wall:.3f} s")


def add_knobs(p):
    p.add_argument("--model", default="models/default.safetensors")
    p.add_argument("--class", dest="cls", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--cfg", type=float, default=4.0)
    p.add_argument("--sampler", default="euler", choices=["euler"])
    p.add_argument("--scheduler", default="normal", choices=["normal", "simple"])
    p.add_argument("--threshold", "--residual-diff-threshold", type=float, default=0.0)
    p.add_argument("--max-hits", "--max-consecutive-cache-hits", type=int, default=-1)
    p.add_argument("--start", type=float, default=0.0)
    p.add_argument("--end", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--attn", choices=["sdpa", "math"], default="sdpa",
                   help="timm's fused F.scaled_dot_product_attention (default) or the math path")


def setup_threads(n):
    torch.set_num_threads(n)
    try:
        torch.set_num_interop_threads(1)    # as fbw: no parallel ops side by side
    except RuntimeError:
        pass


def cmd_generate(a):
    setup_threads(a.threads)
    model, cfg, _ = load_model(a.model, a.attn == "sdpa")
    with torch.inference_mode():
        x0, trace, wall = generate(model, cfg, a)
    if a.trace:
        with open(a.trace, "w") as f:
            for r in trace:
                f.write(json.dumps(r) + "\n")
    if a.latent_out:
        st_save(a.latent_out, {"x0": x0}, {"parameters": "fbw peer.py"})
    print(summary(trace, wall), flush=True)


# ---- equivalence with fbw ---------------------------------------------------------------------

def fbw_generate(fbw, a, tmp, tag, extra=()):
    lat, tr = os.path.join(tmp, tag + ".safetensors"), os.path.join(tmp, tag + ".jsonl")
    cmd = [fbw, "generate", "--model", a.model, "--class", str(a.cls), "--seed", str(a.seed),
           "--steps", str(a.steps), "--cfg", repr(a.cfg), "--sampler", "euler",
           "--scheduler", a.scheduler, "--residual-diff-threshold", repr(a.threshold),
           "--max-consecutive-cache-hits", str(a.max_hits), "--start", repr(a.start),
           "--end", repr(a.end), "--threads", str(a.threads), "--quiet",
           "--out", os.path.join(tmp, tag + ".png"), "--trace", tr, "--latent-out", lat, *extra]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    with open(tr) as f:
        trace = [json.loads(line) for line in f]
    return st_load(lat)[1]["x0"], trace, res.stdout.strip()


def cmd_check(a):
    setup_threads(a.threads)
    model, cfg, pos_err = load_model(a.model, a.attn == "sdpa")
    thresholds = [float(v) for v in a.thresholds.split(",")]
    ok = True
    print(f"peer check: {a.model} ({cfg['prediction'] if 'prediction' in cfg else 'eps'}, hidden "
          f"{cfg['hidden_size']}, depth {cfg['depth']}), euler/{a.scheduler}, {a.steps} steps, "
          f"cfg {a.cfg:g}, seed {a.seed}, class {a.cls}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, attention {a.attn}")
    print(f"  pos_embed in the file vs DiT's sincos: max |diff| {pos_err:.2e}")
    with tempfile.TemporaryDirectory() as tmp:
        for thr in thresholds:
            a.threshold = thr
            fx, ftr, _ = fbw_generate(a.fbw, a, tmp, f"t{thr}")
            with torch.inference_mode():
                px, ptr, _ = generate(model, cfg, a)
            scale = fx.abs().max().item()
            rel = (px - fx).abs().max().item() / scale
            dsig = max(abs(p["sigma"] - f["sigma"]) / f["sigma"] for p, f in zip(ptr, ftr))
            dts = max(abs(p["timestep"] - f["timestep"]) for p, f in zip(ptr, ftr))
            fd = [(r["hit"], r["reason"]) for r in ftr]
            pd = [(r["hit"], r["reason"]) for r in ptr]
            rels = [(p["rel_l1"], f["rel_l1"]) for p, f in zip(ptr, ftr)
                    if p["rel_l1"] is not None and f["rel_l1"] is not None]
            drel = max((abs(p - f) for p, f in rels), default=0.0)
            same = fd == pd and len(ptr) == len(ftr)
            good = same and rel < a.tolerance
            ok &= good
            print(f"  threshold {thr:<6g} max|peer-fbw|/max|fbw| {rel:.2e} (scale {scale:.3g}); "
                  f"sigma rel {dsig:.1e}, timestep {dts:g}; decisions "
                  f"{'match' if same else 'DIFFER'} ({sum(h for h, _ in fd)}/{len(fd)} hits "
                  f"fbw, {sum(h for h, _ in pd)}/{len(pd)} peer), max|d rel_l1| {drel:.1e}"
                  f"{'' if good else '  <-- FAIL'}")
            if not same:
                print("    fbw  " + "".join("H" if h else "." for h, _ in fd))
                print("    peer " + "".join("H" if h else "." for h, _ in pd))
    return 0 if ok else 1


# ---- interleaved benchmark --------------------------------------------------------------------

WALL = re.compile(r"hits (\d+), hit rate [\d.]+%, wall ([\d.]+) s")


def bench_one(cmd, trace):
    """(generation wall s, process wall s, hits, median full-call ms after the first call)."""
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    proc = time.perf_counter() - t0
    m = WALL.search(res.stdout)
    if res.returncode != 0 or m is None:
        raise SystemExit(f"peer bench: {' '.join(cmd)} failed:\n{res.stdout}{res.stderr}")
    with open(trace) as f:
        recs = [json.loads(line) for line in f]
    full = [r["ms"] for r in recs[1:] if not r["hit"]]
    return float(m.group(2)), proc, int(m.group(1)), statistics.median(full) if full else math.nan


def spread(v):
    return f"{statistics.median(v):8.1f}  [{min(v):.1f}..{max(v):.1f}]"


def cmd_bench(a):
    py, me = sys.executable, os.path.abspath(__file__)
    models = [(m.split("@")[0], float(m.split("@")[1]) if "@" in m else a.threshold)
              for m in a.models.split(",")]
    print(f"peer bench: torch {torch.__version__} (fbw links the same libtorch: "
          f"{os.path.dirname(torch.__file__)}), {a.threads} threads, euler/{a.scheduler}, "
          f"{a.steps} steps, cfg {a.cfg:g}, seed {a.seed}, class {a.cls}, attention {a.attn}")
    print(f"each generation is its own process; times are the generation only (fbw's summary "
          f"'wall', the peer's same span), {a.rounds} rounds, arms shuffled per round "
          f"(seed {a.order_seed}); load avg at start {os.getloadavg()[0]:.2f}")
    t_all = time.perf_counter()
    rc = 0
    with tempfile.TemporaryDirectory() as tmp:
        tr, png = os.path.join(tmp, "t.jsonl"), os.path.join(tmp, "o.png")

        def argv(side, model, thr, steps):
            knobs = ["--model", model, "--class", str(a.cls), "--seed", str(a.seed),
                     "--steps", str(steps), "--cfg", repr(a.cfg), "--scheduler", a.scheduler,
                     "--residual-diff-threshold", repr(thr), "--threads", str(a.threads),
                     "--trace", tr]
            if side == "fbw":
                return [a.fbw, "generate", *knobs, "--quiet", "--out", png]
            return [py, me, "generate", *knobs, "--attn", a.attn]

        for side in ("fbw", "peer"):     # warm the page cache and the loader, unmeasured
            bench_one(argv(side, models[0][0], 0.0, 2), tr)
        for model, thr in models:
            arms = [("fbw", 0.0), ("peer", 0.0), ("fbw", thr), ("peer", thr)]
            res = {arm: [] for arm in arms}
            for k in range(a.rounds):
                order = arms[:]
                random.Random(a.order_seed * 1000 + k).shuffle(order)
                for arm in order:
                    res[arm].append(bench_one(argv(arm[0], model, arm[1], a.steps), tr))
                print(f"\r  {os.path.basename(model)}: round {k + 1}/{a.rounds}", end="",
                      file=sys.stderr, flush=True)
            print(file=sys.stderr)
            _, cfg, _ = load_model(model)
            print(f"\n{model}: DiT hidden {cfg['hidden_size']}, depth {cfg['depth']}, "
                  f"{(cfg['input_size'] // cfg['patch_size']) ** 2} tokens, "
                  f"{cfg.get('prediction', 'eps')}; cached arms at threshold {thr:g}")
            print("  arm              gen ms median [min..max]    hits  full call ms  process s")
            for side, t in arms:
                r = res[(side, t)]
                hits = sorted({x[2] for x in r})
                print(f"  {side:4} {'cached' if t else 'uncached':9}  "
                      f"{spread([x[0] * 1e3 for x in r])}  {','.join(map(str, hits)):>6}"
                      f"  {statistics.median(x[3] for x in r):9.2f}"
                      f"  {statistics.median(x[1] for x in r):9.2f}")
            for t in (0.0, thr):
                ratios = [p[0] / f[0] for p, f in zip(res[("peer", t)], res[("fbw", t)])]
                calls = [p[3] / f[3] for p, f in zip(res[("peer", t)], res[("fbw", t)])]
                print(f"  peer/fbw {'cached' if t else 'uncached':9} generation: median "
                      f"{statistics.median(ratios):.3f}  [{min(ratios):.3f}..{max(ratios):.3f}]"
                      f" over {len(ratios)} paired rounds; full call: median "
                      f"{statistics.median(calls):.3f}")
                if {x[2] for x in res[("peer", t)]} != {x[2] for x in res[("fbw", t)]}:
                    print("  WARNING: fbw and the peer made different cache decisions")
                    rc = 1
    print(f"\nbench wall {time.perf_counter() - t_all:.1f} s, load avg at end "
          f"{os.getloadavg()[0]:.2f}")
    return rc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="one generation, fbw generate's summary line")
    add_knobs(g)
    g.add_argument("--trace")
    g.add_argument("--latent-out")
    c = sub.add_parser("check", help="compare with fbw generate (--latent-out, --trace)")
    add_knobs(c)
    c.add_argument("--fbw", default="./fbw")
    c.add_argument("--thresholds", default="0,0.1", help="comma-separated; 0 = uncached")
    c.add_argument("--tolerance", type=float, default=1e-3,
                   help="largest accepted max|peer-fbw|/max|fbw|")
    b = sub.add_parser("bench", help="interleaved fbw vs peer generation times")
    add_knobs(b)
    b.add_argument("--fbw", default="./fbw")
    b.set_defaults(threshold=0.1)
    b.add_argument("--models", default="models/default.safetensors",
                   help="comma-separated MODEL[@THRESHOLD] (threshold of the cached arms)")
    b.add_argument("--rounds", type=int, default=5)
    b.add_argument("--order-seed", type=int, default=1)
    a = ap.parse_args()
    if a.cmd == "generate":
        cmd_generate(a)
        return 0
    return cmd_check(a) if a.cmd == "check" else cmd_bench(a)


if __name__ == "__main__":
    sys.exit(main())
