#!/usr/bin/env bash
# Hit rates of First Block Cache over samplers x schedulers, as a Markdown table.
#
#   tools/hit-table.sh [MODEL] [THRESHOLD] [STEPS]
#
# One 30-step generation per cell (same class, seed and cfg), the cache at one threshold;
# each cell shows the hit rate per model call and, in brackets, per step (a step counts
# when every call in it hit).  Without MODEL a random-weights DiT is written to build/.
# A one-command look at "ancestral and SDE samplers defeat the cache" on any checkpoint; a
# sweep (fbw sweep --x sampler=... --y scheduler=...) gives the same with timing and PSNR.
set -eu
FBW="${FBW:-./fbw}"
model="${1:-}"
thr="${2:-0.6}"
steps="${3:-30}"
if [ -z "$model" ]; then
    model=build/hit-table/dit-random.safetensors
    mkdir -p build/hit-table
    [ -f "$model" ] || "$FBW" init-model --out "$model" --input-size 32 --in-channels 4 \
        --hidden-size 128 --depth 6 --num-heads 4 --seed 1 >/dev/null
fi
work=$(mktemp -d /tmp/fbw-hits-XXXXXX)
trap 'rm -rf "$work"' EXIT
samplers=$("$FBW" list samplers | awk 'NR > 1 {print $1}')
schedulers=$("$FBW" list schedulers | awk '{print $1}')
echo "FBCache hit rate per call [per step], residual_diff_threshold $thr, $steps steps, cfg 4,"
echo "class 1, seed 42; model: $model"
echo
printf '| sampler (family) |'; for s in $schedulers; do printf ' %s |' "$s"; done; echo
printf '|---|'; for s in $schedulers; do printf -- '---|'; done; echo
total=$(( $(echo "$samplers" | wc -w) * $(echo "$schedulers" | wc -w) )); n=0
for smp in $samplers; do
    fam=$("$FBW" list samplers | awk -v s="$smp" '$1 == s {print $2}')
    printf '| %s (%s) |' "$smp" "$fam"
    for sch in $schedulers; do
        n=$((n + 1))
        printf '\r[%d/%d] %s %s          ' "$n" "$total" "$smp" "$sch" >&2
        if "$FBW" generate --model "$model" --class 1 --seed 42 --steps "$steps" --cfg 4 \
               --sampler "$smp" --scheduler "$sch" --threshold "$thr" --quiet \
               --out "$work/x.png" --trace "$work/t.jsonl" >"$work/out" 2>"$work/err"; then
            awk '
                { match($0, /"step":[0-9]+/); st = substr($0, RSTART + 7, RLENGTH - 7)
                  h = ($0 ~ /"hit":true/)
                  calls++; hits += h; if (!(st in all)) { all[st] = 1; order++ }
                  if (!h) all[st] = 0 }
                END { ns = 0; for (s in all) if (all[s]) ns++
                      printf " %.0f%% [%.0f%%] |", 100 * hits / calls, 100 * ns / order }' "$work/t.jsonl"
        else
            printf ' error |'
        fi
    done
    echo
done
printf '\r%60s\r' '' >&2
