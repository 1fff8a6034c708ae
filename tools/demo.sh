#!/usr/bin/env bash
# The main job.  On a terminal: the TUI with a ready-made starter sweep.  Otherwise (batch):
# generate the same seed with the cache off and on, show every cache decision
# and how far the cached image is from the uncached one.  Uses the default model
# (models/default.safetensors); without it, a small DiT with random weights.
set -eu
FBW="${FBW:-./fbw}"
out=build/demo
mkdir -p "$out"
# On a terminal the main job is the workbench itself: the TUI on the default model with the
# starter sweep loaded (F6 runs it).  FBW_DEMO_BATCH=1, or no terminal, runs the batch demo below.
if [ -t 0 ] && [ -t 1 ] && [ "${FBW_DEMO_BATCH:-0}" != 1 ] && [ -f models/default.safetensors ]; then
    exec "$FBW" tui --starter --db "$out/tui.db"
fi
if [ -f models/default.safetensors ]; then
    model=models/default.safetensors thr=0.1 cls=5
else
    model="$out/dit-random.safetensors" thr=0.75 cls=3
    [ -f "$model" ] || "$FBW" init-model --out "$model" --input-size 32 --in-channels 4 \
        --hidden-size 192 --depth 6 --num-heads 6 --seed 1
fi
"$FBW" info "$model" | head -5
common=(--model "$model" --class $cls --seed 42 --steps 30 --sampler euler --scheduler simple --cfg 3)
echo
echo "== uncached reference (euler, simple, 30 steps, cfg 3, class $cls, seed 42)"
"$FBW" generate "${common[@]}" --out "$out/ref.png" --trace "$out/ref.jsonl" \
    --latent-out "$out/ref.safetensors"
echo
echo "== First Block Cache, residual_diff_threshold $thr"
"$FBW" generate "${common[@]}" --residual-diff-threshold $thr --out "$out/fbcache.png" \
    --trace "$out/fbcache.jsonl" --latent-out "$out/fbcache.safetensors"
echo
echo "per-call decisions (step, sigma, rel_l1, reason):"
sed -E 's/.*"step":([0-9]+).*"sigma":([0-9.e+-]+).*"rel_l1":([0-9.e+-]+|null).*"reason":"([a-z_]+)".*/  \1 \2 \3 \4/' \
    "$out/fbcache.jsonl"
echo
echo "cached vs uncached: $("$FBW" compare "$out/ref.safetensors" "$out/fbcache.safetensors")"
echo "images: $out/ref.png $out/fbcache.png; traces: $out/ref.jsonl $out/fbcache.jsonl"
echo
echo "== a small sweep: residual_diff_threshold 0.05, 0.1, 0.2 x scheduler simple, karras"
rm -f "$out/demo.db" "$out/demo.db-wal" "$out/demo.db-shm"
"$FBW" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2' --y scheduler=simple,karras \
    --class $cls --seed 42 --steps 30 --cfg 3 --repeat 2 --warmup 0 --db "$out/demo.db" --name demo
echo
"$FBW" runs --db "$out/demo.db" --sweep demo
echo "store: $out/demo.db (fbw show RUN --db $out/demo.db; fbw export --db $out/demo.db --format md)"
