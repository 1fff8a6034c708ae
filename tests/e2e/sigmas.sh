#!/usr/bin/env bash
# End-to-end: `fbw sigmas --model-sampling` against the vectors and quirks quoted in
# shared/reference/sampling.md (A.3, A.4), and its usage errors.  $FBW is the binary under test.
. "$(dirname "$0")/lib/common.sh"
sig() { "$FBW" sigmas "$@"; }
# The last run's sigmas to 6 decimals, space separated, with a final "0.000000" written "0".
six() { awk '{printf "%s%.6f", (NR > 1 ? " " : ""), $1}' "$dir/out" | sed 's/ 0.000000$/ 0/'; }
# expect_six DESC WANT: the last run's sigmas, to 6 decimals, are WANT.
expect_six() {
    local got; got=$(six)
    [ "$got" = "$2" ] && pass "$1" || fail "$1: got $got, want $2"
}
# expect_penultimate DESC WANT: the last nonzero sigma (the line before the final 0) is WANT.
expect_penultimate() {
    local got last
    got=$(tail -2 "$dir/out" | head -1 | awk '{printf "%.6f", $1}')
    last=$(tail -1 "$dir/out")
    [ "$got" = "$2" ] && [ "$last" = 0 ] && pass "$1" || fail "$1: ends $got, $last; want $2, 0"
}

# A.4: "SD3 flow shift=3 simple", with the ModelSamplingSD3 defaults and spelled out.
sd3_simple="1.000000 0.964286 0.923077 0.875000 0.818182 0.750000 0.666667 0.562500 0.428571"
sd3_simple="$sd3_simple 0.250000 0"
expect_rc 0 "simple on flow (defaults)" sig --scheduler simple --steps 10 --model-sampling flow
expect_six "flow defaults are SD3's: A.4 simple(10)" "$sd3_simple"
expect_rc 0 "simple on flow --shift 3 --multiplier 1000" sig --scheduler simple --steps 10 \
    --model-sampling flow --shift 3 --multiplier 1000
expect_six "explicit shift 3, multiplier 1000: A.4 simple(10)" "$sd3_simple"

# A.3: normal applies the shift twice at the low end of a flow table.
expect_rc 0 "normal on flux" sig --scheduler normal --steps 10 --model-sampling flux
[ "$(wc -l <"$dir/out")" -eq 11 ] && pass "flux normal(10) has 11 values" \
    || fail "flux normal: $(six)"
expect_penultimate "flux normal ends at 0.000997 (A.3)" 0.000997
expect_rc 0 "normal on flux --shift 1.15" sig --scheduler normal --steps 30 \
    --model-sampling flux --shift 1.15
expect_penultimate "flux normal(30) ends at 0.000997 too" 0.000997
expect_rc 0 "normal on SD3" sig --scheduler normal --steps 10 --model-sampling flow
expect_penultimate "SD3 normal ends at 0.008929, not sigma_min 0.002994 (A.3)" 0.008929

# FLUX-schnell (DiscreteFlow, shift 1, multiplier 1): the table is i/1000, and no double shift.
schnell="--model-sampling flow --shift 1 --multiplier 1"
expect_rc 0 "simple on schnell" sig --scheduler simple --steps 4 $schnell
expect_six "schnell simple(4)" "1.000000 0.750000 0.500000 0.250000 0"
expect_rc 0 "normal on schnell" sig --scheduler normal --steps 10 $schnell
expect_penultimate "schnell normal ends at sigma_min 0.001" 0.001000

# sd1 and dit are the EPS tables --beta-schedule names.
sig --scheduler karras --steps 10 --beta-schedule scaled_linear >"$dir/beta" 2>&1
expect_rc 0 "karras on sd1" sig --scheduler karras --steps 10 --model-sampling sd1
cmp -s "$dir/out" "$dir/beta" && pass "sd1 = --beta-schedule scaled_linear" \
    || fail "sd1 differs from scaled_linear"
expect_six "sd1 karras(10) is A.4's SD1.5 karras" \
    "14.614641 9.102928 5.478392 3.168603 1.749417 0.914072 0.446918 0.201398 0.081910 0.029167 0"
sig --scheduler normal --steps 7 >"$dir/beta" 2>&1
expect_rc 0 "normal on dit" sig --scheduler normal --steps 7 --model-sampling dit
cmp -s "$dir/out" "$dir/beta" && pass "dit = the default (DiT's linear betas)" \
    || fail "dit differs from the default"

# kl_optimal with one step is an error in fbw (ComfyUI divides by zero), on flow tables too.
expect_rc 1 "kl_optimal(1) on flux fails" sig --scheduler kl_optimal --steps 1 --model-sampling flux
grep_err "kl_optimal needs at least 2 steps" "kl_optimal(1) says why"

# Usage errors exit 2 and name the flags.
s3() { sig --scheduler simple --steps 3 "$@"; }
expect_rc 2 "--model-sampling with --model" s3 --model-sampling flux --model "$dir/m.safetensors"
grep_err "give --model-sampling or --model, not both" "names --model-sampling and --model"
expect_rc 2 "--model-sampling with --beta-schedule" s3 --beta-schedule linear --model-sampling sd1
grep_err "give --model-sampling or --beta-schedule, not both" \
    "names --model-sampling and --beta-schedule"
expect_rc 2 "unknown --model-sampling" s3 --model-sampling flwo
grep_err "unknown --model-sampling 'flwo' (did you mean 'flow'?)" "closest model sampling suggested"
expect_rc 2 "--shift without --model-sampling" s3 --shift 2
grep_err "--shift needs --model-sampling flow or flux" "--shift needs a flow kind"
expect_rc 2 "--shift with sd1" s3 --model-sampling sd1 --shift 2
grep_err "--shift needs --model-sampling flow or flux" "--shift refused on EPS"
expect_rc 2 "--multiplier with flux" s3 --model-sampling flux --multiplier 1
grep_err "--multiplier does not apply to --model-sampling flux" "flux has no multiplier"
expect_rc 2 "--multiplier with dit" s3 --model-sampling dit --multiplier 1
grep_err "--multiplier needs --model-sampling flow" "--multiplier refused on EPS"
expect_rc 2 "--shift 0 on flow" s3 --model-sampling flow --shift 0
grep_err "invalid value '0' for --shift" "bad shift named"
expect_rc 2 "--multiplier abc" s3 --model-sampling flow --multiplier abc
grep_err "invalid value 'abc' for --multiplier" "bad multiplier named"

expect_rc 0 "sigmas --help" sig --help
for w in "--model-sampling sd1|dit|flow|flux" ModelSamplingDiscreteFlow ModelSamplingFlux \
    "default 1.15" "default 1000"; do
    grep -qF -- "$w" "$dir/out" && pass "--help mentions $w" || fail "--help lacks '$w'"
done

e2e_finish
echo "all sigmas checks passed"
