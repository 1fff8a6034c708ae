#!/usr/bin/env bash
# End-to-end: the machine's state on record, and the modelled speed-up.  Every generation of a sweep stores its CPU time,
# context switches and page faults; each run its load averages and how many measured
# generations util/usage.h's rule flags; show, the JSON export and the progress stream say so.
. "$(dirname "$0")/lib/common.sh"

model="$dir/m.safetensors"
"$FBW" init-model --out "$model" --hidden-size 64 --depth 3 --num-heads 4 --input-size 16 \
    --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null || fail "init-model"
db="$dir/d.db"
expect_rc 0 "a small sweep" "$FBW" sweep --model "$model" --x 'threshold=0.2' --steps 6 \
    --repeat 4 --warmup 1 --db "$db" --name m --quiet --progress-fd 3 3>"$dir/progress"
grep -q '"load":[0-9]' "$dir/progress" && pass "progress carries the load average" \
    || fail "no load in progress: $(head -c 300 "$dir/progress")"

expect_rc 0 "export json" "$FBW" export --db "$db" --format json
cp "$dir/out" "$dir/json"
expect_rc 0 "show the cell" "$FBW" show 2 --db "$db"
cp "$dir/out" "$dir/show"
grep -Eq '^  Machine: +load [0-9.]+ -> [0-9.]+ \(1-minute average\); CPU [0-9.]+ s per wall s' \
    "$dir/show" && pass "show: the machine line" || fail "show: $(cat "$dir/show")"
python3 - "$dir/json" "$dir/show" <<'PY' && pass "json samples carry the counters; show counts the same flags" || fail "counters"
import json, re, sys
doc = json.load(open(sys.argv[1]))
runs = doc["results"] if isinstance(doc, dict) and "results" in doc else doc
found = False
for r in (runs if isinstance(runs, list) else []):
    if r.get("cell") != 2 and r.get("run") != 2 and r.get("id") != 2:
        continue
    found = True
    meas = [s for s in r["samples"] if s["phase"] == "measure"]
    assert len(meas) == 4, meas
    for s in r["samples"]:
        assert s["cpu_ms"] > 0 and s["nivcsw"] >= 0 and s["nvcsw"] >= 0, s
        assert s["minflt"] >= 0 and s["majflt"] >= 0 and s["disturbed"] in (True, False), s
    n = sum(s["disturbed"] for s in meas)
    m = re.search(r"Disturbed: +(\d+) of (\d+) measured", open(sys.argv[2]).read())
    assert m and int(m.group(1)) == n and int(m.group(2)) == 4, (m and m.groups(), n)
assert found, "run 2 not in the export"
PY
# The FLOP-modelled speed-up beside the measured one: at threshold 10 every call after the
# first hits, so 5 of 6 calls compute embed + block 0 + final.  By hand for this DiT (hidden 64,
# depth 3, 64 tokens; tests/core/model_test.c counts the parts): full 22421504 FLOP, hit
# 7643136, so 6 x full / (full + 5 x hit) = 2.2186.
db2="$dir/f.db"
expect_rc 0 "a cell that hits every call after the first" "$FBW" sweep --model "$model" \
    --x 'threshold=10' --steps 6 --repeat 2 --warmup 0 --db "$db2" --name f --quiet
expect_rc 0 "export json" "$FBW" export --db "$db2" --format json
python3 - "$dir/out" <<'PY' && pass "flop_speedup 2.2186 by hand; efficiency = measured / modelled" || fail "flop model"
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
cell = [r for r in rows if r["kind"] == "cell"][0]["metrics"]
assert abs(cell["flop_speedup"] - 6 * 22421504 / (22421504 + 5 * 7643136)) < 1e-9, cell
assert abs(cell["efficiency"] - cell["speedup"] / cell["flop_speedup"]) < 1e-9, cell
PY
expect_rc 0 "show the cell" "$FBW" show 2 --db "$db2"
grep -Eq '^  Speed-up over the uncached reference \(run 1\):$' "$dir/out" \
    && grep -Eq '^    FLOP-modelled \(what cache-dit calls speed-up\): 2\.22x ' "$dir/out" \
    && grep -Eq '^    efficiency = measured / FLOP-modelled [0-9.]+' "$dir/out" \
    && pass "show: measured and modelled side by side, named" || fail "show: $(cat "$dir/out")"
e2e_finish
