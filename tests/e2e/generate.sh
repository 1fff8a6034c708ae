#!/usr/bin/env bash
# End-to-end: drive the real binary the way a user does.  $FBW is the binary under test.
. "$(dirname "$0")/lib/common.sh"

model="$dir/tiny.safetensors"
expect_rc 0 "init-model writes a random DiT" "$FBW" init-model --out "$model" --hidden-size 64 --depth 3 --seed 4
expect_rc 0 "info reads it back" "$FBW" info "$model"
grep -q 'depth 3' "$dir/out" && pass "info shows the depth" || fail "info output: $(cat "$dir/out")"

gen() { "$FBW" generate --model "$model" --class 2 --seed 11 --steps 8 --sampler "$1" --scheduler karras \
        --cfg 3 --threshold 0.3 --out "$2.png" --trace "$2.jsonl" --latent-out "$2.safetensors" --quiet; }
for s in euler euler_ancestral heun dpmpp_2m; do
    gen $s "$dir/a-$s" >"$dir/out-a" 2>"$dir/err" && gen $s "$dir/b-$s" >"$dir/out-b" 2>>"$dir/err" \
        || { fail "generate $s: $(cat "$dir/err")"; continue; }
    cmp -s "$dir/a-$s.png" "$dir/b-$s.png" && cmp -s "$dir/a-$s.safetensors" "$dir/b-$s.safetensors" \
        && pass "$s: same settings give identical image and output bytes" \
        || fail "$s: two runs with the same settings differ"
    # The traces agree on everything but the wall times.
    strip() { sed 's/"ms":[0-9.e+-]*,//' "$1"; }
    diff <(strip "$dir/a-$s.jsonl") <(strip "$dir/b-$s.jsonl") >/dev/null \
        && pass "$s: identical cache decisions" || fail "$s: traces differ"
    grep -Eq '^steps 8, model calls [0-9]+, hits [0-9]+, hit rate [0-9.]+%, wall [0-9.]+ s$' "$dir/out-a" \
        && pass "$s: summary line" || fail "$s: summary line was: $(cat "$dir/out-a")"
done
lines=$(wc -l <"$dir/a-heun.jsonl")
[ "$lines" -eq 15 ] && pass "heun: 2N-1 = 15 trace records" || fail "heun trace has $lines records"
head -1 "$dir/a-euler.jsonl" | grep -Eq '^\{"step":0,"call":0,"sigma":[0-9.e+-]+,"timestep":[0-9.e+-]+,"rel_l1":null,"hit":false,"reason":"first","ms":' \
    && pass "trace keys in DESIGN.md order" || fail "trace line: $(head -1 "$dir/a-euler.jsonl")"
grep -q 'parameters' "$dir/a-euler.png" && grep -q 'sampler: euler' "$dir/a-euler.png" \
    && pass "PNG carries its parameters" || fail "no parameters tEXt in the PNG"
cmp -s "$dir/a-euler.png" "$dir/a-heun.png" && fail "different samplers gave the same image" || pass "samplers differ"

# A flow-matching (rectified flow) DiT samples through the same engine.
flow="$dir/flow.safetensors"
expect_rc 0 "init-model --prediction flow" "$FBW" init-model --out "$flow" --prediction flow --shift 2 --depth 3
expect_rc 0 "info on a flow model" "$FBW" info "$flow"
grep -q 'prediction:  flow (rectified flow), shift 2, multiplier 1000' "$dir/out" \
    && pass "info shows the flow parameters" || fail "flow info: $(cat "$dir/out")"
for s in euler_ancestral dpmpp_2m_sde uni_pc; do
    expect_rc 0 "flow model with $s" "$FBW" generate --model "$flow" --sampler $s --scheduler simple \
        --steps 6 --threshold 0.5 --out "$dir/flow-$s.png" --quiet
done
expect_rc 2 "bad --prediction" "$FBW" init-model --out "$dir/x.safetensors" --prediction velocity
grep_err "must be eps or flow, not 'velocity'" "bad prediction named"

# Without --model, generate uses models/default.safetensors beside the binary.
if [ -f "$(dirname "$(readlink -f "$FBW")")/models/default.safetensors" ]; then
    expect_rc 0 "generate with the default model" "$FBW" generate --steps 3 --out "$dir/default.png" --quiet
    grep -q 'model: .*models/default.safetensors' "$dir/default.png" && pass "its PNG names the default model" \
        || fail "default model not recorded"
else
    fail "no models/default.safetensors beside $FBW"
fi

# A threshold no residual can beat hits every call after the first.
expect_rc 0 "generate with a huge threshold" "$FBW" generate --model "$model" --steps 6 --threshold 1e9 --out "$dir/h.png" --quiet
grep -q 'model calls 6, hits 5,' "$dir/out" && pass "every call after the first hits" || fail "huge threshold: $(cat "$dir/out")"

# sigmas: SD1.5 karras(10) from shared/reference/sampling.md A.4.
expect_rc 0 "sigmas karras on SD1.5" "$FBW" sigmas --scheduler karras --steps 10 --beta-schedule scaled_linear
want="14.614641 9.102928 5.478392 3.168603 1.749417 0.914072 0.446918 0.201398 0.081910 0.029167 0"
got=$(awk '{printf "%s%.6f", (NR > 1 ? " " : ""), $1}' "$dir/out" | sed 's/ 0.000000$/ 0/')
[ "$got" = "$want" ] && pass "sigmas match the reference vector" || fail "sigmas: $got"

# Usage errors exit 2 and say what is wrong; runtime errors exit 1 and name the file.
expect_rc 2 "unknown sampler is a usage error" "$FBW" generate --model "$model" --sampler eulr --out "$dir/x.png"
grep_err "did you mean 'euler'" "closest sampler suggested"
expect_rc 2 "bad number" "$FBW" generate --model "$model" --cfg abc --out "$dir/x.png"
grep_err "invalid value 'abc' for --cfg" "bad value named"
expect_rc 2 "missing --out" "$FBW" generate --model "$model"
expect_rc 2 "unknown option" "$FBW" generate --bogus
expect_rc 2 "class out of range" "$FBW" generate --model "$model" --class 99 --out "$dir/x.png"
expect_rc 2 "unknown command" "$FBW" frobnicate
expect_rc 2 "unknown scheduler" "$FBW" sigmas --scheduler karas --steps 3
grep_err "did you mean 'karras'" "closest scheduler suggested"
printf 'not a safetensors file at all' >"$dir/bad.safetensors"
expect_rc 1 "corrupt model is a runtime error" "$FBW" generate --model "$dir/bad.safetensors" --out "$dir/x.png"
grep_err "bad.safetensors" "error names the file"
[ ! -e "$dir/x.png" ] && pass "no image left behind on failure" || fail "an image was written"
expect_rc 1 "missing model file" "$FBW" info "$dir/nope.safetensors"
for c in generate sigmas list info init-model bench; do
    expect_rc 0 "$c --help" "$FBW" $c --help
    grep -q "usage: fbw $c" "$dir/out" || fail "$c --help shows no usage"
done
expect_rc 0 "list samplers" "$FBW" list samplers
grep -Eq '^heun +deterministic +2$' "$dir/out" && pass "list shows calls per step" || fail "list: $(cat "$dir/out")"

# Ctrl-C stops between steps: exit 130, and no output file (not even a partial one) appears.
slow="$dir/slow.safetensors"
"$FBW" init-model --out "$slow" --input-size 32 --hidden-size 192 --depth 6 --num-heads 6 >/dev/null
"$FBW" generate --model "$slow" --steps 2000 --out "$dir/int.png" --trace "$dir/int.jsonl" --quiet \
    >"$dir/out" 2>"$dir/err" &
pid=$!
wait_sigint $pid
sleep 1
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && pass "Ctrl-C exits 130" || fail "Ctrl-C: exit $rc: $(cat "$dir/err")"
grep_err "interrupted" "Ctrl-C is reported"
ls "$dir"/int* >/dev/null 2>&1 && fail "files left after Ctrl-C: $(ls "$dir"/int*)" || pass "nothing written on Ctrl-C"

e2e_finish
