#!/usr/bin/env bash
# The example plots in docs/plots/ (make plot-examples): the 4x3 sweep of tools/sweep-bench.sh
# on the default model (residual_diff_threshold 0.05-0.3 x scheduler simple, karras, normal;
# euler, 30 steps, cfg 3, R = 3), then one plot of every kind from its store, each with the
# gnuplot script and data file beside it.
set -eu
FBW="${FBW:-./fbw}"
out=docs/plots
db=build/examples.db
mkdir -p "$out" build
FBW_SWEEP_DB="$db" FBW="$FBW" tools/sweep-bench.sh
plot() { echo "fbw plot $*"; "$FBW" plot "$@" --db "$db" --sweep bench; }
plot grid --out "$out/grid.png"
plot grid --diff --out "$out/grid-diff.png"
plot lines --metric wall_ms --out "$out/lines-time.png"
plot lines --metric psnr --out "$out/lines-psnr.png"
plot heatmap --metric hit_rate --out "$out/heatmap-hit-rate.png"
plot pareto --metric psnr --out "$out/pareto.png"
plot trace --out "$out/trace.png"
plot heatmap --metric hit_rate --term dumb --size 100x24 --mono >"$out/heatmap-dumb.txt"
