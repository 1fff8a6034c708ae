#!/usr/bin/env python3
# make_dit_fixture.py: independent Python reference for fbw's DiT model code.
#
# Writes a tiny facebookresearch-DiT checkpoint (F32, F16 and BF16 safetensors, DiT's own state-dict key
# names, fbw's config JSON in __metadata__["fbw.config"]) plus a file of inputs and expected activations
# (tests/fixtures/dit/dit_tiny_io.safetensors) that fbw's C implementation is tested against.
#
# This script is INDEPENDENT of fbw's C code: the DiT forward pass here was written from facebookresearch/DiT
# models.py (and timm's PatchEmbed/Attention/Mlp) in plain torch, and the safetensors files are written by
# hand with struct + json (no safetensors package). It is deterministic (fixed seeds).
#
# Regenerate (from the repository root, with the project venv: FBW_REF_DEPS=1 make deps):
#     .venv/bin/python tests/ref/make_dit_fixture.py
#
# Unlike DiT's adaLN-Zero init, the adaLN modulation layers and the final linear layer get real random
# (non-zero) weights, so every block and the final layer actually contribute to the output.
#
# Self-checks run before anything is written: the sin-cos tables against hand-evaluated values, the whole
# torch forward against a second, loop-based float64 numpy forward, and every written file is read back
# with a small independent reader (offsets tile the data section, values round-trip bit-exactly).

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

CONFIG = {
    "arch": "dit",
    "input_size": 8,
    "patch_size": 2,
    "in_channels": 4,
    "hidden_size": 64,
    "depth": 3,
    "num_heads": 4,
    "mlp_ratio": 4.0,
    "num_classes": 10,
    "learn_sigma": True,
    "prediction": "eps",
    "beta_schedule": "linear",
    "num_timesteps": 1000,
    "class_names": ["c%d" % i for i in range(10)],
}

WEIGHT_SEED = 20240601
INPUT_SEED = 7
T_STEPS = [0.0, 417.0, 999.0]  # DiT feeds integer DDPM steps as float
Y_LABELS = [3, 10, 7]  # 10 = num_classes = the CFG null class (last table row)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "dit")


# ----------------------------------------------------------------------------------------------------------
# Fixed sin-cos tables
# ----------------------------------------------------------------------------------------------------------

def sincos_1d(dim, pos):
    """1-D table, float64: [sin(pos*w), cos(pos*w)] (SIN first), w_k = 1/10000^(k/(dim/2))."""
    assert dim % 2 == 0
    k = np.arange(dim // 2, dtype=np.float64)
    omega = 1.0 / (10000.0 ** (k / (dim / 2.0)))
    ang = np.outer(np.asarray(pos, dtype=np.float64).reshape(-1), omega)
    return np.concatenate([np.sin(ang), np.cos(ang)], axis=1)


def pos_embed_2d(dim, gs):
    """DiT/MAE 2-D table (gs*gs, dim), float64. Tokens row-major (row outer, column inner). The FIRST half
    encodes the column coordinate (np.meshgrid(w, h)[0]), the second half the row."""
    rows, cols = np.divmod(np.arange(gs * gs), gs)
    return np.concatenate([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], axis=1)


def timestep_freq(t, dim=256, max_period=10000.0):
    """GLIDE/DiT timestep embedding, float32 as upstream: cat[cos(t*f), sin(t*f)] (COS first)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(0, half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


# ----------------------------------------------------------------------------------------------------------
# Weights
# ----------------------------------------------------------------------------------------------------------

def make_weights(cfg, seed):
    H, C, p = cfg["hidden_size"], cfg["in_channels"], cfg["patch_size"]
    out_c = C * 2 if cfg["learn_sigma"] else C
    mlp_h = int(H * cfg["mlp_ratio"])
    T = (cfg["input_size"] // p) ** 2
    g = torch.Generator().manual_seed(seed)

    def xavier(out_f, in_f):  # xavier-uniform on a [out, in] matrix
        a = math.sqrt(6.0 / (in_f + out_f))
        return (torch.rand(out_f, in_f, generator=g, dtype=torch.float32) * 2.0 - 1.0) * a

    def normal(shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * std

    w = {}
    w["x_embedder.proj.weight"] = xavier(H, C * p * p).reshape(H, C, p, p)
    w["x_embedder.proj.bias"] = normal([H], 0.05)
    w["pos_embed"] = torch.from_numpy(pos_embed_2d(H, cfg["input_size"] // p)).float().reshape(1, T, H)
    w["t_embedder.mlp.0.weight"] = xavier(H, 256)
    w["t_embedder.mlp.0.bias"] = normal([H], 0.05)
    w["t_embedder.mlp.2.weight"] = xavier(H, H)
    w["t_embedder.mlp.2.bias"] = normal([H], 0.05)
    # Larger than DiT's N(0, 0.02) so that the label (and the null class) visibly changes the output.
    w["y_embedder.embedding_table.weight"] = normal([cfg["num_classes"] + 1, H], 0.5)
    for i in range(cfg["depth"]):
        b = "blocks.%d." % i
        w[b + "attn.qkv.weight"] = xavier(3 * H, H)
        w[b + "attn.qkv.bias"] = normal([3 * H], 0.05)
        w[b + "attn.proj.weight"] = xavier(H, H)
        w[b + "attn.proj.bias"] = normal([H], 0.05)
        w[b + "mlp.fc1.weight"] = xavier(mlp_h, H)
        w[b + "mlp.fc1.bias"] = normal([mlp_h], 0.05)
        w[b + "mlp.fc2.weight"] = xavier(H, mlp_h)
        w[b + "mlp.fc2.bias"] = normal([H], 0.05)
        # NOT zero (unlike adaLN-Zero): real modulation so that each block contributes.
        w[b + "adaLN_modulation.1.weight"] = normal([6 * H, H], 0.08)
        w[b + "adaLN_modulation.1.bias"] = normal([6 * H], 0.1)
    w["final_layer.adaLN_modulation.1.weight"] = normal([2 * H, H], 0.08)
    w["final_layer.adaLN_modulation.1.bias"] = normal([2 * H], 0.1)
    w["final_layer.linear.weight"] = xavier(p * p * out_c, H)
    w["final_layer.linear.bias"] = normal([p * p * out_c], 0.05)
    return w


# ----------------------------------------------------------------------------------------------------------
# DiT forward in plain torch (float32)
# ----------------------------------------------------------------------------------------------------------

def modulate(x, shift, scale):
    return x * (1 + scale[:, None, :]) + shift[:, None, :]


def layer_norm(x):
    return F.layer_norm(x, (x.shape[-1],), eps=1e-6)


def dit_forward(w, cfg, x, t, y):
    """Returns a dict of activations: embed_x, embed_c, block_i, out."""
    H, heads, p = cfg["hidden_size"], cfg["num_heads"], cfg["patch_size"]
    out_c = cfg["in_channels"] * 2 if cfg["learn_sigma"] else cfg["in_channels"]
    hd = H // heads
    acts = {}

    # PatchEmbed: conv kernel = stride = p, then (N, H, h, w) -> (N, T, H)
    h = F.conv2d(x, w["x_embedder.proj.weight"], w["x_embedder.proj.bias"], stride=p)
    h = h.flatten(2).transpose(1, 2) + w["pos_embed"]
    acts["embed_x"] = h

    te = timestep_freq(t)
    te = F.linear(te, w["t_embedder.mlp.0.weight"], w["t_embedder.mlp.0.bias"])
    te = F.linear(F.silu(te), w["t_embedder.mlp.2.weight"], w["t_embedder.mlp.2.bias"])
    ye = F.embedding(y, w["y_embedder.embedding_table.weight"])
    c = te + ye
    acts["embed_c"] = c
    sc = F.silu(c)

    N, T, _ = h.shape
    for i in range(cfg["depth"]):
        b = "blocks.%d." % i
        mod = F.linear(sc, w[b + "adaLN_modulation.1.weight"], w[b + "adaLN_modulation.1.bias"])
        sh_a, sc_a, g_a, sh_m, sc_m, g_m = mod.chunk(6, dim=1)

        a = modulate(layer_norm(h), sh_a, sc_a)
        qkv = F.linear(a, w[b + "attn.qkv.weight"], w[b + "attn.qkv.bias"])
        qkv = qkv.reshape(N, T, 3, heads, hd).permute(2, 0, 3, 1, 4)  # (3, N, heads, T, hd)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(hd), dim=-1)
        a = (att @ v).transpose(1, 2).reshape(N, T, H)
        a = F.linear(a, w[b + "attn.proj.weight"], w[b + "attn.proj.bias"])
        h = h + g_a[:, None, :] * a

        m = modulate(layer_norm(h), sh_m, sc_m)
        m = F.linear(m, w[b + "mlp.fc1.weight"], w[b + "mlp.fc1.bias"])
        m = F.gelu(m, approximate="tanh")
        m = F.linear(m, w[b + "mlp.fc2.weight"], w[b + "mlp.fc2.bias"])
        h = h + g_m[:, None, :] * m
        acts["block_%d" % i] = h

    mod = F.linear(sc, w["final_layer.adaLN_modulation.1.weight"], w["final_layer.adaLN_modulation.1.bias"])
    shift, scale = mod.chunk(2, dim=1)  # SHIFT first, then scale
    o = F.linear(modulate(layer_norm(h), shift, scale), w["final_layer.linear.weight"],
                 w["final_layer.linear.bias"])
    # unpatchify: (N, T, p*p*C) -> (N, gh, gw, p, q, C) -> (N, C, gh, p, gw, q): channel LAST per patch
    gs = int(round(math.sqrt(T)))
    o = o.reshape(N, gs, gs, p, p, out_c).permute(0, 5, 1, 3, 2, 4).reshape(N, out_c, gs * p, gs * p)
    acts["out"] = o
    return acts


# ----------------------------------------------------------------------------------------------------------
# Second, loop-based float64 numpy forward (self-check only)
# ----------------------------------------------------------------------------------------------------------

def np_forward(w, cfg, x, t, y):
    W = {k: v.double().numpy() for k, v in w.items()}
    H, heads, p = cfg["hidden_size"], cfg["num_heads"], cfg["patch_size"]
    C = cfg["in_channels"]
    out_c = 2 * C if cfg["learn_sigma"] else C
    hd = H // heads
    x = x.double().numpy()
    N, _, S, _ = x.shape
    gs = S // p
    T = gs * gs

    def silu(z):
        return z / (1.0 + np.exp(-z))

    def ln(z):
        mu = z.mean(-1, keepdims=True)
        var = ((z - mu) ** 2).mean(-1, keepdims=True)
        return (z - mu) / np.sqrt(var + 1e-6)

    def gelu_tanh(z):
        return 0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z ** 3)))

    # patch embed as explicit patch dot products, token index = row*gs + col
    pw = W["x_embedder.proj.weight"].reshape(H, -1)
    h = np.zeros((N, T, H))
    for n in range(N):
        for r in range(gs):
            for cc in range(gs):
                patch = x[n, :, r * p:(r + 1) * p, cc * p:(cc + 1) * p].reshape(-1)  # (C, p, p) order
                h[n, r * gs + cc] = pw @ patch + W["x_embedder.proj.bias"]
    h = h + W["pos_embed"]
    embed_x = h.copy()

    half = 128
    freqs = np.exp(-math.log(10000.0) * np.arange(half) / half)
    tf = np.array([[math.cos(tt * f) for f in freqs] + [math.sin(tt * f) for f in freqs] for tt in t.tolist()])
    te = silu(tf @ W["t_embedder.mlp.0.weight"].T + W["t_embedder.mlp.0.bias"])
    te = te @ W["t_embedder.mlp.2.weight"].T + W["t_embedder.mlp.2.bias"]
    c = te + W["y_embedder.embedding_table.weight"][y.numpy()]
    sc = silu(c)

    blocks = []
    for i in range(cfg["depth"]):
        b = "blocks.%d." % i
        mod = sc @ W[b + "adaLN_modulation.1.weight"].T + W[b + "adaLN_modulation.1.bias"]
        sh_a, sc_a, g_a, sh_m, sc_m, g_m = [mod[:, j * H:(j + 1) * H] for j in range(6)]
        a = ln(h) * (1 + sc_a[:, None]) + sh_a[:, None]
        qkv = a @ W[b + "attn.qkv.weight"].T + W[b + "attn.qkv.bias"]  # (N, T, 3H): [q | k | v], heads inside
        att_out = np.zeros((N, T, H))
        for n in range(N):
            for hh in range(heads):
                q = qkv[n, :, 0 * H + hh * hd:0 * H + (hh + 1) * hd]
                k = qkv[n, :, 1 * H + hh * hd:1 * H + (hh + 1) * hd]
                v = qkv[n, :, 2 * H + hh * hd:2 * H + (hh + 1) * hd]
                s = q @ k.T / math.sqrt(hd)
                s = np.exp(s - s.max(-1, keepdims=True))
                s /= s.sum(-1, keepdims=True)
                att_out[n, :, hh * hd:(hh + 1) * hd] = s @ v
        a = att_out @ W[b + "attn.proj.weight"].T + W[b + "attn.proj.bias"]
        h = h + g_a[:, None] * a
        m = ln(h) * (1 + sc_m[:, None]) + sh_m[:, None]
        m = gelu_tanh(m @ W[b + "mlp.fc1.weight"].T + W[b + "mlp.fc1.bias"])
        m = m @ W[b + "mlp.fc2.weight"].T + W[b + "mlp.fc2.bias"]
        h = h + g_m[:, None] * m
        blocks.append(h.copy())

    mod = sc @ W["final_layer.adaLN_modulation.1.weight"].T + W["final_layer.adaLN_modulation.1.bias"]
    shift, scale = mod[:, :H], mod[:, H:]
    o = (ln(h) * (1 + scale[:, None]) + shift[:, None]) @ W["final_layer.linear.weight"].T
    o = o + W["final_layer.linear.bias"]
    out = np.zeros((N, out_c, S, S))
    for n in range(N):
        for r in range(gs):
            for cc in range(gs):
                for pi in range(p):
                    for qi in range(p):
                        for ch in range(out_c):
                            out[n, ch, r * p + pi, cc * p + qi] = o[n, r * gs + cc, (pi * p + qi) * out_c + ch]
    return {"embed_x": embed_x, "embed_c": c, "out": out,
            **{"block_%d" % i: blocks[i] for i in range(len(blocks))}}


# ----------------------------------------------------------------------------------------------------------
# safetensors, by hand
# ----------------------------------------------------------------------------------------------------------

DTYPES = {  # torch dtype -> (safetensors name, byte size)
    torch.float32: ("F32", 4),
    torch.float16: ("F16", 2),
    torch.bfloat16: ("BF16", 2),
    torch.int64: ("I64", 8),
}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: reinterpret the bits as int16
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    np_le = {torch.float32: "<f4", torch.float16: "<f2", torch.int64: "<i8"}[t.dtype]
    return t.numpy().astype(np_le).tobytes()


def write_safetensors(path, tensors, metadata):
    # Like the reference Rust writer: descending dtype size, then name; header lists __metadata__ first,
    # then tensors in offset order; header padded with spaces to a multiple of 8.
    names = sorted(tensors, key=lambda n: (-DTYPES[tensors[n].dtype][1], n))
    header = {"__metadata__": dict(metadata)}
    for v in metadata.values():
        assert isinstance(v, str)
    blobs, off = [], 0
    for n in names:
        t = tensors[n]
        data = tensor_bytes(t)
        assert len(data) == t.numel() * DTYPES[t.dtype][1]
        header[n] = {"dtype": DTYPES[t.dtype][0], "shape": list(t.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Small independent reader: checks the format rules and returns (metadata, {name: torch tensor})."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, "our writer pads the header to a multiple of 8"
    hdr = json.loads(raw[8:8 + n].decode("utf-8"))
    assert list(hdr)[0] == "__metadata__"
    meta = hdr.pop("__metadata__")
    data = raw[8 + n:]
    ents = sorted(hdr.items(), key=lambda kv: kv[1]["data_offsets"][0])
    end = 0
    out = {}
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8}
    for name, e in ents:
        b, e_ = e["data_offsets"]
        assert b == end, "%s: hole or overlap at %d (expected %d)" % (name, b, end)
        sz = sizes[e["dtype"]]
        assert b % sz == 0, "%s misaligned" % name
        assert e_ - b == sz * int(np.prod(e["shape"], dtype=np.int64)), name
        chunk = data[b:e_]
        if e["dtype"] == "BF16":
            arr = np.frombuffer(chunk, dtype="<i2").copy()
            t = torch.from_numpy(arr).view(torch.bfloat16)
        else:
            arr = np.frombuffer(chunk, dtype={"F32": "<f4", "F16": "<f2", "I64": "<i8"}[e["dtype"]]).copy()
            t = torch.from_numpy(arr)
        out[name] = t.reshape(e["shape"])
        end = e_
    assert 8 + n + end == len(raw), "data section does not tile the file"
    return meta, out


# ----------------------------------------------------------------------------------------------------------
# Self-checks
# ----------------------------------------------------------------------------------------------------------

def check(cond, what):
    if not cond:
        sys.exit("SELF-CHECK FAILED: " + what)


def self_check_tables(w, cfg):
    H = cfg["hidden_size"]
    q = H // 4
    pe = w["pos_embed"][0].double()
    # token 0 = (row 0, col 0): [sin 0 ...|cos 0 ...|sin 0 ...|cos 0 ...] = [0]*q [1]*q [0]*q [1]*q
    want0 = torch.cat([torch.zeros(q), torch.ones(q), torch.zeros(q), torch.ones(q)]).double()
    check(torch.equal(pe[0], want0), "pos_embed[0,0] pattern")
    gs = cfg["input_size"] // cfg["patch_size"]
    # hand-evaluated entries: token (row r, col c) -> column in the first half, row in the second
    for (r, cc) in [(0, 1), (1, 0), (2, 3), (3, 3)]:
        tok = r * gs + cc
        for k in range(q):
            om = 1.0 / 10000.0 ** (k / q)
            exp = [math.sin(cc * om), math.cos(cc * om), math.sin(r * om), math.cos(r * om)]
            got = [pe[tok, k].item(), pe[tok, q + k].item(), pe[tok, 2 * q + k].item(), pe[tok, 3 * q + k].item()]
            check(max(abs(a - b) for a, b in zip(exp, got)) < 1e-7, "pos_embed token (%d,%d) k=%d" % (r, cc, k))
    # Cross-check against upstream's construction literally: meshgrid(w, h), grid[0] to the first half.
    gh = np.arange(gs, dtype=np.float32)
    gw = np.arange(gs, dtype=np.float32)
    grid = np.stack(np.meshgrid(gw, gh), axis=0).reshape(2, 1, gs, gs)
    up = np.concatenate([sincos_1d(H // 2, grid[0]), sincos_1d(H // 2, grid[1])], axis=1)
    check(np.array_equal(np.float32(up), w["pos_embed"][0].numpy()), "pos_embed vs meshgrid construction")
    # timestep embedding: t=0 -> [cos 0]*128 + [sin 0]*128 = ones then zeros (cos FIRST)
    tf = timestep_freq(torch.tensor([0.0, 1.0]))
    check(torch.equal(tf[0], torch.cat([torch.ones(128), torch.zeros(128)])), "t-embed cos-first at t=0")
    check(abs(tf[1, 0].item() - math.cos(1.0)) < 1e-6 and abs(tf[1, 128].item() - math.sin(1.0)) < 1e-6,
          "t-embed at t=1, freq 0")
    check(abs(tf[1, 127].item() - math.cos(math.exp(-math.log(10000.0) * 127 / 128))) < 1e-6, "t-embed last freq")


def self_check_forward(w, cfg, x, t, y, acts):
    ref = np_forward(w, cfg, x, t, y)
    for k, v in ref.items():
        got = acts[k].double().numpy()
        err = np.abs(got - v).max()
        scale = max(1.0, np.abs(v).max())
        check(err < 1e-4 * scale, "torch vs numpy forward on %s: max err %g" % (k, err))
    # every block and the final layer must matter (non-zero modulation)
    prev = acts["embed_x"]
    for i in range(cfg["depth"]):
        cur = acts["block_%d" % i]
        rel = ((cur - prev).norm() / prev.norm()).item()
        check(rel > 0.05, "block %d barely changes the state (rel %g)" % (i, rel))
        prev = cur
    # the label (incl. the null class) and t matter
    o = acts["out"]
    check(o.abs().max().item() < 50 and o.std().item() > 0.1, "output not O(1)")


def roundtrip_check(path, tensors, metadata):
    meta, got = read_safetensors(path)
    check(meta == metadata, "%s: metadata round trip" % path)
    check(set(got) == set(tensors), "%s: names round trip" % path)
    for k, v in tensors.items():
        g = got[k]
        check(g.dtype == v.dtype and list(g.shape) == list(v.shape), "%s: %s dtype/shape" % (path, k))
        if v.dtype == torch.bfloat16:
            check(torch.equal(g.view(torch.int16), v.contiguous().view(torch.int16)), "%s: %s bits" % (path, k))
        elif v.is_floating_point():
            check(np.array_equal(g.numpy().view(np.uint8), v.contiguous().numpy().view(np.uint8)),
                  "%s: %s bits" % (path, k))
        else:
            check(torch.equal(g, v), "%s: %s values" % (path, k))


# ----------------------------------------------------------------------------------------------------------

def main():
    torch.set_grad_enabled(False)
    torch.set_num_threads(1)
    cfg = CONFIG
    w32 = make_weights(cfg, WEIGHT_SEED)
    self_check_tables(w32, cfg)

    gi = torch.Generator().manual_seed(INPUT_SEED)
    C, S = cfg["in_channels"], cfg["input_size"]
    x = torch.randn(3, C, S, S, generator=gi, dtype=torch.float32)
    t = torch.tensor(T_STEPS, dtype=torch.float32)
    y = torch.tensor(Y_LABELS, dtype=torch.int64)

    acts = dit_forward(w32, cfg, x, t, y)
    self_check_forward(w32, cfg, x, t, y, acts)

    w16 = {k: v.to(torch.float16) for k, v in w32.items()}
    wbf = {k: v.to(torch.bfloat16) for k, v in w32.items()}
    out_f16 = dit_forward({k: v.float() for k, v in w16.items()}, cfg, x, t, y)["out"]
    out_bf16 = dit_forward({k: v.float() for k, v in wbf.items()}, cfg, x, t, y)["out"]

    meta = {"fbw.config": json.dumps(cfg, separators=(",", ":")),
            "fbw.generator": "tests/ref/make_dit_fixture.py (independent Python reference)"}
    io_meta = {"fbw.generator": meta["fbw.generator"],
               "fbw.note": "expected activations for dit_tiny_f32; out_f16/out_bf16 computed in float32 from "
                           "the F16/BF16-rounded weights"}
    io = {"x": x, "t": t, "y": y}
    for k in ["embed_x", "embed_c"] + ["block_%d" % i for i in range(cfg["depth"])] + ["out"]:
        io[k] = acts[k].contiguous()
    io["out_f16"] = out_f16.contiguous()
    io["out_bf16"] = out_bf16.contiguous()

    os.makedirs(OUT_DIR, exist_ok=True)
    files = [("dit_tiny_f32.safetensors", w32, meta), ("dit_tiny_f16.safetensors", w16, meta),
             ("dit_tiny_bf16.safetensors", wbf, meta), ("dit_tiny_io.safetensors", io, io_meta)]
    for name, tensors, m in files:
        path = os.path.normpath(os.path.join(OUT_DIR, name))
        write_safetensors(path, tensors, m)
        roundtrip_check(path, tensors, m)
        print("wrote %s (%d bytes, %d tensors)" % (os.path.relpath(path), os.path.getsize(path), len(tensors)))
    d16 = (out_f16 - acts["out"]).abs().max().item()
    dbf = (out_bf16 - acts["out"]).abs().max().item()
    print("self-checks passed; |out| max %.3f std %.3f; max |out_f16-out| %.2e, max |out_bf16-out| %.2e"
          % (acts["out"].abs().max().item(), acts["out"].std().item(), d16, dbf))


if __name__ == "__main__":
    main()
