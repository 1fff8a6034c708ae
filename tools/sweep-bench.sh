#!/usr/bin/env bash
# The sweep runner's own figures (make sweep-bench): a 4x3 sweep on the default model -
# residual_diff_threshold 0.05, 0.1, 0.2, 0.3 x scheduler simple, karras, normal; euler, 30 steps,
# cfg 3, R = 3 measured rounds after 1 warm-up - into a fresh store, then its wall time,
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
    scratch=$(dirname "$db")
fi
"$FBW" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2, 0.3' --y scheduler=simple,karras,normal \
    --steps 30 --cfg 3 --repeat 3 --warmup 1 --db "$db" --name bench
echo
"$FBW" runs --db "$db" --sweep bench

# The speed-up on a quiet and on a loaded machine: the starter sweep (threshold 0.05, 0.1, 0.2 x
# simple, karras; 30 steps; the default 10 rounds) twice, the second time beside a busy loop on
# one core that this script starts and stops.  Prints each cell's measured speed-up with its 95%
# interval, the FLOP- and time-modelled speed-ups, the efficiency, the rounds and how many were
# disturbed.  A cell with 0 hits computes what its reference computes: its speed-up should be
# 1.00, inside its interval.  FBW_OLD=BINARY also runs the quiet sweep with another fbw (e.g.
# the runner before paired rounds) for the wall time of the same R.
starter() {     # starter FBW NAME: the sweep into $db2, then its figures
    "$1" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2' --y scheduler=simple,karras \
        --steps 30 --cfg 3 --repeat 10 --warmup 1 --db "$db2" --name "$2" --quiet | tail -1
}
figures() {     # figures NAME
    "$FBW" export --db "$db2" --sweep "$1" --format json | python3 -c '
import json, math, sys
doc = json.load(sys.stdin)
f = lambda v, fmt="%.2f": "-" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt % v
print("  %-5s %-7s %5s  %-22s %6s %6s %5s %s" % ("thr", "sched", "hits", "speed-up [95% CI]",
      "S_flop", "S_time", "eff", "rounds (disturbed)"))
for r in doc["results"]:
    if r.get("kind") != "cell":
        continue
    p, m = r.get("parameters", {}), r.get("metrics", {}) or {}
    sp, lo, hi = m.get("speedup"), m.get("speedup_lo"), m.get("speedup_hi")
    ci = "%s [%s, %s]" % (f(sp), f(lo), f(hi))
    zero = m.get("hits") == 0
    note = ""
    if zero and lo is not None:
        note = "  0 hits: 1.00 %s the interval, %+.1f%% off" % (
            "inside" if lo <= 1 <= hi else "OUTSIDE", 100 * (sp - 1))
    print("  %-5s %-7s %4.0f%%  %-22s %6s %6s %5s %d (%d)%s" % (
        p.get("residual_diff_threshold", "-"), p.get("scheduler", "?"),
        100 * (m.get("hit_rate") or 0), ci, f(m.get("flop_speedup")), f(m.get("time_speedup")),
        f(m.get("efficiency")), m.get("rounds") or 0, m.get("rounds_disturbed") or 0, note))
'
}
db2=$(mktemp -d /tmp/fbw-sweep-load-XXXXXX)/load.db
trap 'rm -rf "$(dirname "$db2")" ${scratch:+"$scratch"}; [ -z "${busy:-}" ] || kill "$busy" 2>/dev/null' EXIT
echo
echo "== starter sweep, quiet"
t0=$(date +%s.%N); starter "$FBW" quiet; t1=$(date +%s.%N)
quiet=$(echo "$t1 - $t0" | bc)
figures quiet
echo "  wall $quiet s"
if [ -n "${FBW_OLD:-}" ]; then
    echo "== the same sweep with $FBW_OLD (the same R, its own store)"
    db2_new=$db2
    db2=$(dirname "$db2_new")/old.db
    t0=$(date +%s.%N); starter "$FBW_OLD" old; t1=$(date +%s.%N)
    old=$(echo "$t1 - $t0" | bc)
    echo "  wall $old s; paired rounds / that runner: $(echo "scale=3; $quiet / $old" | bc)"
    db2=$db2_new
fi
echo "== starter sweep, beside a busy loop on one core"
( while :; do :; done ) &
busy=$!
t0=$(date +%s.%N); starter "$FBW" loaded; t1=$(date +%s.%N)
kill "$busy"; wait "$busy" 2>/dev/null || true
busy=
figures loaded
echo "  wall $(echo "$t1 - $t0" | bc) s"
