#!/usr/bin/env bash
# End-to-end: the machine's state on record.  Every generation of a sweep stores its CPU time,
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
e2e_finish
