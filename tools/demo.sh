#!/usr/bin/env bash
# The main job until the trained default model lands: make a small DiT with random
# weights, generate the same seed with the cache off and on, and show what the cache did.
set -eu
FBW="${FBW:-./fbw}"
out=build/demo
mkdir -p "$out"
model="$out/dit-random.safetensors"
[ -f "$model" ] || "$FBW" init-model --out "$model" --input-size 32 --in-channels 4 \
    --hidden-size 192 --depth 6 --num-heads 6 --seed 1
"$FBW" info "$model" | head -4
echo
echo "== uncached reference (euler, karras, 20 steps, cfg 4, class 3, seed 42)"
"$FBW" generate --model "$model" --class 3 --seed 42 --steps 20 --sampler euler \
    --scheduler karras --cfg 4 --out "$out/ref.png" --trace "$out/ref.jsonl"
echo
echo "== First Block Cache, residual_diff_threshold 0.75 (random weights move block 0 a lot)"
"$FBW" generate --model "$model" --class 3 --seed 42 --steps 20 --sampler euler \
    --scheduler karras --cfg 4 --residual-diff-threshold 0.75 \
    --out "$out/fbcache.png" --trace "$out/fbcache.jsonl"
echo
echo "per-step decisions (step, sigma, rel_l1, reason):"
sed -E 's/.*"step":([0-9]+).*"sigma":([0-9.e+-]+).*"rel_l1":([0-9.e+-]+|null).*"reason":"([a-z_]+)".*/  \1 \2 \3 \4/' \
    "$out/fbcache.jsonl"
echo
echo "images: $out/ref.png $out/fbcache.png; traces: $out/ref.jsonl $out/fbcache.jsonl"
echo "(random weights: the pictures are noise-like; the trained default model is a later issue)"
