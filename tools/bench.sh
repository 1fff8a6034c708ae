#!/usr/bin/env bash
# make bench: fbw's performance figures, each comparison measured side by side in one run.
#   1. fbw bench on a DiT-S/2-shaped random model and on the default model: full and cache-hit
#      call times, hit/full against the FLOP prediction, full-call GFLOP/s against the machine's
#      f32 matmul GFLOP/s measured in the same repetitions (model-FLOP utilisation), minor page
#      faults per generation.
#   2. The allocator before/after: fbw bench with glibc's default malloc thresholds
#      (FBW_MALLOC_TUNING=off) and with fbw's, as separate processes in alternating order,
#      ROUNDS pairs; the ratio of full-call medians per pair.
#   3. Old vs new libtorch, when OLD_FBW names an fbw built at the last Debian-libtorch 1.13
#      revision (see README: "Benchmarks"): the same alternation, old binary against this one.
#   4. fbw against the Python peer (bench/peer.py: the same DiT in PyTorch eager), interleaved.
# FBW (./fbw), ROUNDS (3), STEPS (20), PYTHON (.venv/bin/python).  About 5 minutes on 2 cores.
set -eu
cd "$(dirname "$0")/.."
FBW="${FBW:-./fbw}"
ROUNDS="${ROUNDS:-3}"
STEPS="${STEPS:-20}"
[ -x "$FBW" ] || { echo "bench: no fbw binary '$FBW' (run make)" >&2; exit 1; }
"$FBW" version
echo

echo "== 1. DiT-S/2-shaped (random weights) and the default model"
"$FBW" bench --steps "$STEPS" --repeat 3 2>/dev/null
"$FBW" bench --model models/default.safetensors --steps "$STEPS" --repeat 3 2>/dev/null
echo

# full_ms BIN [ENV...]: the median full-call ms and the median faults of one short fbw bench
full_ms() {
    local bin=$1; shift
    env "$@" "$bin" bench --steps 10 --repeat 2 2>/dev/null |
        awk 'BEGIN {pf = "n/a"} /full model call/ {ms = $4} /minor page faults/ {pf = $6 "k"}
             END {print ms, pf}'
}
# alternate NAME_A NAME_B CMD_A... -- CMD_B...: ROUNDS pairs, order alternating; prints each
# pair and the median (min..max) of B/A over the pairs
alternate() {
    local a=$1 b=$2; shift 2
    local -a ca=() cb=(); while [ "$1" != -- ]; do ca+=("$1"); shift; done; shift; cb=("$@")
    local ratios=() i ra rb
    for i in $(seq "$ROUNDS"); do
        if [ $((i % 2)) = 1 ]; then ra=$(full_ms "${ca[@]}"); rb=$(full_ms "${cb[@]}")
        else rb=$(full_ms "${cb[@]}"); ra=$(full_ms "${ca[@]}"); fi
        set -- $ra; local ma=$1 fa=$2; set -- $rb; local mb=$1 fb=$2
        printf "  pair %d: %s %.1f ms (%s faults/gen), %s %.1f ms (%s faults/gen)\n" \
            "$i" "$a" "$ma" "$fa" "$b" "$mb" "$fb"
        ratios+=("$(awk -v x="$ma" -v y="$mb" 'BEGIN {printf "%.4f", x / y}')")
    done
    printf '%s\n' "${ratios[@]}" | sort -g | awk -v a="$a" -v b="$b" \
        '{r[NR] = $1} END {m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
          printf "  full call, %s / %s: median %.3f (min %.3f, max %.3f, %d pairs)\n",
                 a, b, m, r[1], r[NR], NR}'
}

echo "== 2. malloc thresholds: glibc's defaults (before) against fbw's (after), DiT-S/2, 10 steps"
alternate "defaults" "tuned" "$FBW" FBW_MALLOC_TUNING=off -- "$FBW"
echo

echo "== 3. old libtorch (Debian 1.13 + OpenBLAS) against this build, DiT-S/2, 10 steps"
if [ -n "${OLD_FBW:-}" ] && [ -x "$OLD_FBW" ]; then
    alternate "old" "new" "$OLD_FBW" -- "$FBW"
else
    echo "  SKIPPED: set OLD_FBW to an fbw built at the last libtorch 1.13 revision (README)"
fi
echo

echo "== 4. fbw against the Python peer (PyTorch eager), interleaved"
FBW="$FBW" CHECK=1 tools/peer-bench.sh --rounds "$ROUNDS"
