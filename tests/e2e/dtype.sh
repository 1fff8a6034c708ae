#!/usr/bin/env bash
# End-to-end: compute dtypes.  The default model generates the same image in f32 and in bf16
# (euler/simple, 30 steps, cfg 3, FBCache threshold 0.1); the bf16 run must really run in bf16
# and stay close to f32, with the same cache decisions.  Then --dtype's errors, and a sweep
# with dtype on an axis into the store (runs, show, export).
. "$(dirname "$0")/lib/common.sh"

default="$(dirname "$(readlink -f "$FBW")")/models/default.safetensors"
[ -f "$default" ] || { fail "no models/default.safetensors beside $FBW"; e2e_finish; }

gen() {     # gen DTYPE: one generation into $dir/DTYPE.{png,jsonl,safetensors}, timed
    local t0 t1
    t0=$(date +%s%N)
    "$FBW" generate --model "$default" --class 1 --seed 5 --steps 30 --sampler euler \
        --scheduler simple --cfg 3 --threshold 0.1 --dtype "$1" --out "$dir/$1.png" \
        --trace "$dir/$1.jsonl" --latent-out "$dir/$1.safetensors" --quiet >"$dir/out-$1" 2>"$dir/err" \
        || { fail "generate --dtype $1: $(cat "$dir/err")"; return 1; }
    t1=$(date +%s%N)
    echo "   $1: $(cat "$dir/out-$1") (process $(( (t1 - t0) / 1000000 )) ms)"
}
gen f32 && gen bf16 || e2e_finish

grep -q 'dtype: f32, model: ' "$dir/f32.png" && grep -q 'dtype: bf16, model: ' "$dir/bf16.png" \
    && pass "the PNG parameters name the dtype" || fail "no dtype in the PNG's parameters"
cmp -s "$dir/f32.safetensors" "$dir/bf16.safetensors" \
    && fail "bf16 output is bit-identical to f32: bf16 was not applied" \
    || pass "bf16 output differs from f32 (bf16 really ran)"

# The measured figures (this machine, libtorch 2.13 CPU): PSNR 46.5 dB, 0 of 30 decisions
# changed, max |rel-L1 difference| 0.003, every bf16 rel-L1 a bf16 number.  Bounds, and the
# regressions they catch (each measured by building it):
#   - 38 <= PSNR <= 55 dB.  bf16 not applied gives identical bits (100 dB, caught above too);
#     the timestep rounded to bf16 before its sin-cos embedding gives 32.3 dB; the model run in
#     f16 instead gives 62.6 dB.  46.5 sits 8.5 dB inside either bound.
#   - every bf16 rel-L1 value is a bf16 number (mean|prev - cur| / mean|prev| computed on bf16
#     tensors and read back, as WaveSpeed's .item()): weights rounded to bf16 but blocks run in
#     float32 give 51.8 dB, inside the PSNR bounds, but 0 of 29 rel-L1 values are bf16 numbers.
#     The f32 run's values are not (checked, so the test can tell them apart).
#   - at most 2 of 30 decisions change, and every rel-L1 within 0.01 of f32's: the f32 values
#     closest to the threshold are 0.0046 from it and bf16 moves them by <= 0.003, so a change
#     or two is rounding luck, more is a broken indicator (wrong dtype, stale reference).
#   - the output is an F32 (1, 3, 32, 32) tensor and the trace records carry "dtype".
#   Weight double rounding (f32 -> f16 -> bf16) moves the image by only 0.2 dB; the unit test
#   tests/core/model_test.c (test_load_as_dtype) checks the weights' bits for that.
python3 - "$dir" <<'PY' && pass "bf16 vs f32 within the stated bounds" || fail "bf16 vs f32 bounds"
import json, math, struct, sys
d = sys.argv[1]

def x0(name):
    raw = open(f"{d}/{name}.safetensors", "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    t = json.loads(raw[8:8 + n])["x0"]
    assert t["dtype"] == "F32" and t["shape"] == [1, 3, 32, 32], t
    a, b = t["data_offsets"]
    body = raw[8 + n + a:8 + n + b]
    return struct.unpack(f"<{len(body) // 4}f", body)

def pixel(v):   # [-1, 1] -> [0, 1], clamped: what a viewer sees (core/metrics.h)
    return min(1.0, max(0.0, (v + 1) / 2))

def is_bf16(v):
    return struct.unpack("<I", struct.pack("<f", v))[0] & 0xFFFF == 0

f, b = x0("f32"), x0("bf16")
mse = sum((pixel(p) - pixel(q)) ** 2 for p, q in zip(f, b)) / len(f)
psnr = 100.0 if mse == 0 else min(100.0, 10 * math.log10(1 / mse))
tf = [json.loads(l) for l in open(f"{d}/f32.jsonl")]
tb = [json.loads(l) for l in open(f"{d}/bf16.jsonl")]
assert len(tf) == len(tb) == 30, (len(tf), len(tb))
changed = sum(r["hit"] != s["hit"] for r, s in zip(tf, tb))
pairs = [(r["rel_l1"], s["rel_l1"]) for r, s in zip(tf, tb) if r["rel_l1"] is not None]
drift = max(abs(p - q) for p, q in pairs)
print(f"   bf16 vs f32: PSNR {psnr:.2f} dB; cache decisions changed {changed} of {len(tf)} "
      f"(hits {sum(r['hit'] for r in tf)} f32, {sum(s['hit'] for s in tb)} bf16); "
      f"max |rel-L1 difference| {drift:.4f}")
assert all(r["dtype"] == "f32" for r in tf) and all(s["dtype"] == "bf16" for s in tb)
assert 38 <= psnr <= 55, psnr
assert changed <= 2, changed
assert drift < 0.01, drift
assert all(is_bf16(q) for p, q in pairs), [q for p, q in pairs if not is_bf16(q)]
assert sum(is_bf16(p) for p, q in pairs) < len(pairs) / 2
PY
psnr=$("$FBW" compare "$dir/f32.safetensors" "$dir/bf16.safetensors")
echo "   fbw compare: $psnr"
echo "$psnr" | awk '{exit !($2 >= 38 && $2 <= 55)}' && pass "fbw compare agrees" || fail "fbw compare: $psnr"

# Usage errors name the value and suggest the closest dtype.
expect_rc 2 "--dtype bf61 is a usage error" "$FBW" generate --dtype bf61 --out "$dir/x.png"
grep_err "unknown dtype 'bf61' (did you mean 'bf16'?)" "generate: the closest dtype suggested"
expect_rc 2 "dtype=fp16 in a sweep is a usage error" "$FBW" sweep --x 'dtype=f32,fp16' --db "$dir/x.db" --dry-run
grep_err "unknown dtype 'fp16' (did you mean 'f16'?)" "sweep: the closest dtype suggested"
expect_rc 0 "list knobs" "$FBW" list knobs
grep -Eq '^dtype +f32 +' "$dir/out" && pass "list knobs shows dtype, default f32" || fail "list knobs: $(cat "$dir/out")"
expect_rc 0 "generate --help" "$FBW" generate --help
grep -q -- '--dtype f32|bf16|f16' "$dir/out" && pass "generate --help documents --dtype" || fail "help"

# A sweep over dtype: one reference per dtype, the dtype stored with every run.
model="$dir/small.safetensors"
"$FBW" init-model --out "$model" --prediction flow --hidden-size 64 --depth 3 --num-heads 4 \
    --input-size 16 --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null \
    || { fail "init-model"; e2e_finish; }
db="$dir/d.db"
expect_rc 0 "a dtype x threshold sweep" "$FBW" sweep --model "$model" --x 'threshold=0.2, 10' \
    --y 'dtype=f32, bf16' --steps 4 --repeat 1 --warmup 0 --db "$db" --name dt --quiet
grep -q "6 runs, 6 done now" "$dir/out" && pass "4 cells and 2 references (one per dtype)" \
    || fail "sweep: $(cat "$dir/out")"
expect_rc 0 "export csv" "$FBW" export --db "$db" --format csv
python3 - "$dir/out" <<'PY' && pass "csv: parameter_dtype on every run, bf16 cells differ from f32" || fail "csv dtype: $(cat "$dir/out")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 6 and all(r["parameter_dtype"] in ("f32", "bf16") for r in rows), rows
refs = sorted(r["parameter_dtype"] for r in rows if r["kind"] == "reference")
assert refs == ["bf16", "f32"], refs
# threshold 10 hits every call after the first in both dtypes
for r in rows:
    if r["kind"] == "cell" and r["parameter_residual_diff_threshold"] == "10":
        assert abs(float(r["hit_rate"]) - 3 / 4) < 1e-9, r
PY
cell=$("$FBW" runs --db "$db" --sweep dt | awk '$2 == "cell" && / bf16 / {print $1; exit}')
expect_rc 0 "show a bf16 cell" "$FBW" show "$cell" --db "$db"
grep -q 'dtype=bf16' "$dir/out" && pass "show names the dtype" || fail "show: $(cat "$dir/out")"
grep -q 'Device memory' "$dir/out" && fail "show: a device peak on the CPU" || pass "show: no device peak on the CPU"
expect_rc 0 "the same sweep again" "$FBW" sweep --model "$model" --x 'threshold=0.2, 10' \
    --y 'dtype=f32, bf16' --steps 4 --repeat 1 --warmup 0 --db "$db" --name dt --quiet
grep -q "0 done now, 6 already complete" "$dir/out" && pass "resumed: nothing recomputed" \
    || fail "rerun: $(cat "$dir/out")"

e2e_finish
