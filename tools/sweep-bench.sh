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

# The speed-up on a quiet and on a loaded machine: the starter sweep (threshold 0.05, 0.1, 0.2 x
# simple, karras; R = 5) twice, the second time beside a busy loop on one core that this script
# starts and stops.  Prints each cell's speed-up with hyperfine's error, its hit rate, and the
# disturbed generations; a cell with 0 hits computes what its reference computes, so its
# speed-up should be 1.
starter() {     # starter NAME: the sweep into $db2, then its figures
    "$FBW" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2' --y scheduler=simple,karras \
        --steps 30 --cfg 3 --repeat 5 --warmup 1 --db "$db2" --name "$1" --quiet | tail -1
    "$FBW" export --db "$db2" --sweep "$1" --format json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows = doc["results"] if isinstance(doc, dict) else doc
for r in rows:
    p = r.get("parameters", {})
    m = r.get("metrics", {}) or {}
    meas = [s for s in r.get("samples", []) if s.get("phase") == "measure"]
    dist = sum(1 for s in meas if s.get("disturbed"))
    sp = m.get("speedup")
    print("  %-9s %-6s %-6s speed-up %-14s hits %5.1f%%  disturbed %d/%d" % (
        r.get("kind", "?"), p.get("residual_diff_threshold", "-"), p.get("scheduler", "?"),
        "-" if sp is None else "%.2f +- %.2f" % (sp, m.get("speedup_err") or 0),
        100 * (m.get("hit_rate") or 0), dist, len(meas)))
'
}
db2=$(mktemp -d /tmp/fbw-sweep-load-XXXXXX)/load.db
echo
echo "== starter sweep, quiet"
t0=$(date +%s.%N); starter quiet; t1=$(date +%s.%N)
echo "  wall $(echo "$t1 - $t0" | bc) s"
echo "== starter sweep, beside a busy loop on one core"
( while :; do :; done ) &
busy=$!
t0=$(date +%s.%N); starter loaded; t1=$(date +%s.%N)
kill "$busy"; wait "$busy" 2>/dev/null || true
echo "  wall $(echo "$t1 - $t0" | bc) s"
rm -rf "$(dirname "$db2")"
