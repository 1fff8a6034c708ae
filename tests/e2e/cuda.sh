#!/usr/bin/env bash
# End-to-end: what fbw says about the libtorch it runs on, and --device cuda.  On a CPU-only
# build, --device cuda must name the build as the cause; on a CUDA build without a GPU, the
# missing device; on a GPU, a generation on CUDA in f32 and bf16 is checked against the CPU's
# (the GPU part is skipped here, with a message, where no GPU is visible).
. "$(dirname "$0")/lib/common.sh"

expect_rc 0 "fbw version" "$FBW" version
cp "$dir/out" "$dir/version"
ver=$(awk -F': ' '$1 == "libtorch" {print $2}' "$dir/version")
echo "$ver" | awk -F. '{exit !($1 > 2 || ($1 == 2 && $2 >= 6))}' \
    && pass "libtorch $ver (2.6 or newer)" || fail "libtorch version: $(cat "$dir/version")"
grep -q '^threads: [0-9]* intra-op (OpenMP, MKL), 1 inter-op$' "$dir/version" \
    && pass "one thread policy: inter-op pool at 1" || fail "threads: $(cat "$dir/version")"
grep -q '^malloc tuning: on$' "$dir/version" && pass "malloc tuning on by default" \
    || fail "malloc: $(cat "$dir/version")"
FBW_MALLOC_TUNING=off "$FBW" version | grep -q '^malloc tuning: off' \
    && pass "FBW_MALLOC_TUNING=off leaves glibc's defaults, and says so" || fail "malloc off"
"$FBW" version --threads 1 >/dev/null 2>&1; [ $? -eq 2 ] && pass "version takes no arguments" \
    || fail "version with an argument"

# Which libtorch the binary loaded, independently of fbw: a CUDA build links libtorch_cuda.
if ldd "$FBW" | grep -q 'libtorch_cuda\.so'; then cuda_build=1; else cuda_build=0; fi
if [ $cuda_build = 1 ]; then
    grep -q '^cuda build: yes$' "$dir/version" && pass "version: a CUDA build (links libtorch_cuda)" \
        || fail "version disagrees with ldd: $(cat "$dir/version")"
else
    grep -q '^cuda build: no' "$dir/version" && pass "version: a CPU-only build" \
        || fail "version disagrees with ldd: $(cat "$dir/version")"
fi

model="$dir/m.safetensors"
"$FBW" init-model --out "$model" --hidden-size 64 --depth 3 --num-heads 4 --input-size 16 \
    --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null \
    || { fail "init-model"; e2e_finish; }
gpu=0
grep -q '^cuda device: cuda' "$dir/version" && gpu=1
if [ $gpu = 0 ]; then
    expect_rc 2 "--device cuda without a GPU is a usage error" "$FBW" generate --model "$model" \
        --device cuda --steps 2 --out "$dir/c.png"
    grep_err "invalid value 'cuda' for --device" "the error names the flag and the device"
    if [ $cuda_build = 1 ]; then
        grep_err "no CUDA device is visible" "a CUDA build says no GPU is visible"
    else
        grep_err "built against a CPU-only libtorch" "a CPU-only build says so, and how to fix it"
    fi
    [ -e "$dir/c.png" ] && fail "an image was written" || pass "nothing written"
    expect_rc 2 "a sweep on cuda without a GPU is refused up front" "$FBW" sweep --model "$model" \
        --device cuda --x 'threshold=0.1' --steps 2 --db "$dir/c.db" --dry-run
    grep_err "for --device" "the sweep's error names --device"
    echo "SKIP: generation on CUDA (f32 and bf16 against the CPU) and CUDA-event timing:" \
         "no GPU visible here ($( [ $cuda_build = 1 ] && echo CUDA || echo CPU-only) build)"
    e2e_finish
    exit 0
fi

# On a GPU: the same generation on the CPU and on CUDA (f32, then bf16).
gen() {     # gen NAME DEVICE DTYPE
    "$FBW" generate --model "$model" --class 1 --seed 4 --steps 8 --cfg 3 --threshold 0.3 \
        --device "$2" --dtype "$3" --out "$dir/$1.png" --trace "$dir/$1.jsonl" \
        --latent-out "$dir/$1.safetensors" --quiet >/dev/null 2>"$dir/err" \
        && pass "generate on $2 in $3" || fail "generate on $2 in $3: $(cat "$dir/err")"
}
gen cpu cpu f32; gen gpu cuda f32; gen gpub cuda bf16
for pair in "gpu 60" "gpub 30"; do
    set -- $pair
    out=$("$FBW" compare "$dir/cpu.safetensors" "$dir/$1.safetensors")
    echo "   cpu f32 vs $1: $out"
    echo "$out" | awk -v min="$2" '{exit !($2 >= min)}' && pass "$1 within $2 dB of the CPU" \
        || fail "$1 vs cpu: $out"
done
python3 - "$dir" <<'PY' && pass "GPU calls timed (ms > 0), decisions mostly as on the CPU" || fail "GPU trace"
import json, sys
d = sys.argv[1]
c = [json.loads(l) for l in open(f"{d}/cpu.jsonl")]
g = [json.loads(l) for l in open(f"{d}/gpu.jsonl")]
assert len(c) == len(g) and all(r["ms"] > 0 for r in g)
assert sum(a["hit"] != b["hit"] for a, b in zip(c, g)) <= 1
PY
e2e_finish
