#!/usr/bin/env bash
# peer-bench.sh - fbw against the Python peer a user would pick instead (bench/peer.py: the same
# DiT in plain PyTorch eager, same weights, same sampler, same First Block Cache rule, same
# libtorch and thread count), interleaved: R rounds, each running fbw uncached, peer uncached,
# fbw cached and peer cached in a shuffled order, on the default model and on a DiT-S/2-shaped
# model with random weights written here.  Prints per-generation medians and the paired
# peer/fbw ratios (median, min..max over rounds).
#
#   tools/peer-bench.sh [peer.py bench flags: --rounds R --threads N --steps N --cfg F ...]
#   CHECK=1 tools/peer-bench.sh     first prove the peer computes what fbw computes (on
#                                   peer.py check's default settings)
#
# FBW names the binary (./fbw), PYTHON the interpreter with torch (.venv/bin/python).  The
# random model's block-0 residual changes by 55-95% per step, so its cached arms use threshold
# 0.6 (about 40% hits at 30 steps); the trained default model uses WaveSpeed's 0.1.
# About 2 minutes on an idle 2-core machine at the defaults.
set -eu
FBW="${FBW:-./fbw}"
PYTHON="${PYTHON:-.venv/bin/python}"
DEFAULT_MODEL="${DEFAULT_MODEL:-models/default.safetensors}"
[ -x "$FBW" ] || { echo "peer-bench: no fbw binary '$FBW' (run make, or set FBW)" >&2; exit 1; }
"$PYTHON" -c 'import torch' 2>/dev/null ||
    { echo "peer-bench: '$PYTHON' cannot import torch (make deps, or set PYTHON)" >&2; exit 1; }
dir=$(mktemp -d /tmp/fbw-peer-XXXXXX)
trap 'rm -rf "$dir"' EXIT
s2="$dir/dit-s2.safetensors"
"$FBW" init-model --out "$s2" --hidden-size 384 --depth 12 --num-heads 6 --patch-size 2 \
    --input-size 32 --in-channels 4 --seed 1 >/dev/null
peer=bench/peer.py
if [ "${CHECK:-0}" = 1 ]; then
    "$PYTHON" "$peer" check --fbw "$FBW" --model "$DEFAULT_MODEL" --thresholds 0,0.1
    "$PYTHON" "$peer" check --fbw "$FBW" --model "$s2" --thresholds 0,0.6
fi
exec "$PYTHON" "$peer" bench --fbw "$FBW" --models "$DEFAULT_MODEL@0.1,$s2@0.6" "$@"
