#!/usr/bin/env bash
# End-to-end: fbw bench runs and reports every figure make bench relies on (tiny models: this
# checks the report, not the machine's speed), on a random DiT and on a model file.
. "$(dirname "$0")/lib/common.sh"

check_report() {    # check_report WHAT: the report in $dir/out has every figure, sane
    python3 - "$dir/out" "$1" <<'PY' && pass "$1: every figure present and sane" || fail "$1: $(cat "$dir/out")"
import re, sys
t = open(sys.argv[1]).read()
def num(label):
    m = re.search(re.escape(label) + r"\s+([0-9.]+)", t)
    assert m, label
    return float(m.group(1))
full, hit = num("full model call"), num("cache-hit model call")
assert 0 < hit < full, (hit, full)
assert 0 < num("f32 matmul 1024^3 (same run)")
assert 0 < num("model-FLOP utilisation (full call / matmul, medians)") < 2
assert num("minor page faults per generation") >= 0
assert 0 < num("FLOP prediction (embed+block0+final)/full") < 1
assert "malloc tuning on" in t or "malloc tuning off" in t
PY
}
expect_rc 0 "bench on a small random DiT" "$FBW" bench --hidden-size 64 --depth 4 --num-heads 4 \
    --input-size 16 --steps 4 --repeat 2
check_report "random DiT"
grep -q "random weights: DiT hidden 64, depth 4" "$dir/out" && pass "the model is named" \
    || fail "header: $(head -2 "$dir/out")"

model="$dir/m.safetensors"
"$FBW" init-model --out "$model" --hidden-size 64 --depth 3 --num-heads 4 --input-size 16 \
    --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null || fail "init-model"
expect_rc 0 "bench --model FILE" "$FBW" bench --model "$model" --steps 4 --repeat 1
check_report "model file"
grep -q "$model: DiT hidden 64, depth 3" "$dir/out" && pass "the file is named" \
    || fail "header: $(head -2 "$dir/out")"
FBW_MALLOC_TUNING=off "$FBW" bench --model "$model" --steps 3 --repeat 1 >"$dir/out" 2>/dev/null
grep -q "malloc tuning off" "$dir/out" && pass "FBW_MALLOC_TUNING=off is reported" \
    || fail "malloc off: $(head -2 "$dir/out")"

expect_rc 1 "bench --model of a missing file" "$FBW" bench --model "$dir/nope.safetensors"
grep_err "nope.safetensors" "the error names the file"
expect_rc 2 "bench with a stray argument" "$FBW" bench extra
grep_err "unexpected argument 'extra'" "the error names the argument"
e2e_finish
