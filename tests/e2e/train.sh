#!/usr/bin/env bash
# End-to-end: fbw train as a user runs it, then generate from what it wrote.  $FBW is the binary.
. "$(dirname "$0")/lib/common.sh"
tiny=(--hidden-size 32 --depth 2 --num-heads 2 --patch-size 8 --batch 4 --quiet)

expect_rc 0 "train --help" "$FBW" train --help
grep -q "usage: fbw train" "$dir/out" && pass "help shows usage" || fail "help: $(head -3 "$dir/out")"
expect_rc 2 "train without --out" "$FBW" train --steps 3
expect_rc 2 "bad --batch" "$FBW" train --out "$dir/m.safetensors" --batch 0
grep -q "invalid value '0' for --batch" "$dir/err" && pass "bad value named" || fail "$(cat "$dir/err")"

m="$dir/m.safetensors"
expect_rc 0 "train 6 steps" "$FBW" train --out "$m" --steps 6 --save-every 3 --log "$dir/loss.csv" "${tiny[@]}"
for f in "$m" "$m.state.safetensors" "$m.optim.safetensors"; do
    [ -s "$f" ] && pass "wrote $(basename "$f")" || fail "missing $f"
done
grep -Eq '^steps 0\.\.6, final loss [0-9.]+, ' "$dir/out" && pass "summary line" || fail "summary: $(cat "$dir/out")"
[ "$(head -1 "$dir/loss.csv")" = "step,loss,lr,seconds" ] && pass "loss log header" || fail "log: $(head -2 "$dir/loss.csv")"
expect_rc 0 "resume to 9 steps" "$FBW" train --out "$m" --steps 9 --resume "${tiny[@]}"
grep -q '^steps 6\.\.9,' "$dir/out" && pass "resumed from step 6" || fail "resume: $(cat "$dir/out")"
expect_rc 0 "info on the trained model" "$FBW" info "$m"
grep -q 'prediction:  flow' "$dir/out" && pass "it is a flow model" || fail "info: $(cat "$dir/out")"
expect_rc 0 "generate from it" "$FBW" generate --model "$m" --class 2 --steps 5 --cfg 3 --out "$dir/g.png" --quiet
[ -s "$dir/g.png" ] && pass "image written" || fail "no image"
expect_rc 0 "samples grid from it" "$FBW" samples --model "$m" --count 2 --steps 3 --out "$dir/grid.png"
# 12 classes x 2 columns of 32 px tiles with 2 px gaps: 70 x 410 px (PNG IHDR width, height).
[ "$(od -An -tu1 -j16 -N8 "$dir/grid.png" | tr -s ' ')" = " 0 0 0 70 0 0 1 154" ] \
    && pass "grid is 70 x 410" || fail "grid size: $(od -An -tu1 -j16 -N8 "$dir/grid.png")"
expect_rc 0 "evaluate it" "$FBW" evaluate "$m"
[ "$(grep -c '^| 0\.' "$dir/out")" -eq 11 ] && pass "11 noise levels" || fail "evaluate: $(cat "$dir/out")"
"$FBW" generate --model "$m" --steps 4 --out "$dir/a.png" --latent-out "$dir/a.safetensors" --quiet >/dev/null
expect_rc 0 "compare an output with itself" "$FBW" compare "$dir/a.safetensors" "$dir/a.safetensors"
grep -q '^psnr +inf dB (identical), mae 0.00000, max 0.00000$' "$dir/out" \
    && pass "identical: +inf dB, not a cap" || fail "$(cat "$dir/out")"
# "+inf" is a number to mawk and gawk alike, read as one ($2 + 0; a bare field compares as text).
awk '{exit !($2 + 0 > 1e308)}' "$dir/out" && pass "identical: awk reads \$2 as infinity" \
    || fail "awk \$2: $(cat "$dir/out")"
expect_rc 1 "compare with a non-output" "$FBW" compare "$dir/a.safetensors" "$m"
expect_rc 1 "resume with nothing to resume" "$FBW" train --out "$dir/none.safetensors" --resume "${tiny[@]}"
grep -q "none.safetensors.state.safetensors" "$dir/err" && pass "names the missing file" || fail "$(cat "$dir/err")"

e2e_finish
