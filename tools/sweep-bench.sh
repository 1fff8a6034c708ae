#!/usr/bin/env bash
# The sweep runner's own figures (make sweep-bench): a 4x3 sweep on the default model -
# residual_diff_threshold 0.05, 0.1, 0.2, 0.3 x scheduler simple, karras, normal; euler, 30 steps,
# cfg 3, R = 3 measured generations after 1 warm-up - into a fresh store, then its wall time,
# the runner's overhead (metrics, PNG encoding, store writes) as a share of generation time,
# and the results table.  FBW_SWEEP_DB=FILE keeps the store there (tools/plot-examples.sh).
set -eu
FBW="${FBW:-./fbw}"
model="${1:-models/default.safetensors}"
if [ -n "${FBW_SWEEP_DB:-}" ]; then
    db="$FBW_SWEEP_DB"
    rm -f "$db" "$db-wal" "$db-shm"
else
    db=$(mktemp -d /tmp/fbw-sweep-bench-XXXXXX)/bench.db
    trap 'rm -rf "$(dirname "$db")"' EXIT
fi
"$FBW" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2, 0.3' --y scheduler=simple,karras,normal \
    --steps 30 --cfg 3 --repeat 3 --warmup 1 --db "$db" --name bench
echo
"$FBW" runs --db "$db" --sweep bench
