#!/usr/bin/env bash
# End-to-end: sweeps into the store, as a user runs them: a 2x2 sweep, the dry run, bad specs,
# resume after Ctrl-C and after kill -9 with no lost or duplicated cell, readers while a sweep
# writes, and the read commands (runs, show, export).
. "$(dirname "$0")/lib/common.sh"

model="$dir/small.safetensors"
"$FBW" init-model --out "$model" --prediction flow --hidden-size 64 --depth 4 --num-heads 4 \
    --input-size 16 --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null \
    || { fail "init-model"; e2e_finish; }

# The sweep line of `fbw runs`: id name status cells refs complete running waiting failed.
counts() { "$FBW" runs --db "$1" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ {print $4, $5, $6, $7, $8, $9}'; }
complete() { counts "$1" | awk '{print $3 + 0}'; }

# ---- a 2x2 sweep end to end --------------------------------------------------------------
db="$dir/a.db"
expect_rc 0 "dry run" "$FBW" sweep --model "$model" --x 'threshold=0, 10' --y scheduler=simple,karras \
    --steps 6 --repeat 2 --db "$db" --dry-run
grep -q 'X  residual_diff_threshold (2): 0, 10' "$dir/out" && grep -q 'Y  scheduler (2): simple, karras' "$dir/out" \
    && pass "dry run shows the expanded axes" || fail "dry run axes: $(cat "$dir/out")"
grep -q '^cells: 4, plus 2 uncached references' "$dir/out" && grep -q '^estimated time: at most' "$dir/out" \
    && pass "dry run shows cells, references and an estimate" || fail "dry run: $(cat "$dir/out")"
[ ! -e "$db" ] && pass "dry run writes no store" || fail "dry run created $db"

expect_rc 0 "2x2 sweep runs" "$FBW" sweep --model "$model" --x 'threshold=0, 10' --y scheduler=simple,karras \
    --steps 6 --repeat 2 --db "$db" --name grid
grep -q "sweep 'grid' (id 1) in $db: 6 runs, 6 done now, 0 already complete, 0 failed" "$dir/out" \
    && pass "6 runs: 4 cells and 2 shared references" || fail "sweep summary: $(cat "$dir/out")"
[ "$(counts "$db")" = "4 2 6 0 0 0" ] && pass "runs: every run complete" || fail "runs counts: $(counts "$db")"

expect_rc 0 "export csv" "$FBW" export --db "$db" --format csv
head -1 "$dir/out" | grep -q '^cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,psnr,ssim,speedup_lo,speedup_hi,ci_level,rounds,rounds_disturbed,flop_speedup,time_speedup,efficiency,parameter_' \
    && head -1 "$dir/out" | grep -q 'parameter_residual_diff_threshold' \
    && pass "csv: hyperfine columns, the speed-up's interval and models, parameter_ columns" \
    || fail "csv header: $(head -1 "$dir/out")"
[ "$(grep -c ',cell,complete,' "$dir/out")" -eq 4 ] && [ "$(grep -c ',reference,complete,' "$dir/out")" -eq 2 ] \
    && pass "csv: 4 cells and 2 references" || fail "csv rows: $(cat "$dir/out")"
# threshold 0 is the cache off: no hit, the reference's image (PSNR +inf: identical).
# threshold 10: every call after the first hits (5 of 6), and the image moves away.
python3 - "$dir/out" <<'EOF' && pass "csv: cache off = reference; threshold 10 hits 5 of 6 calls" || fail "csv values"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["kind"] == "cell"]
assert len(rows) == 4, rows
for r in rows:
    t = r["parameter_residual_diff_threshold"]
    if t == "0":
        assert float(r["hit_rate"]) == 0 and r["psnr"] == "+inf" and float(r["ssim"]) == 1, r
    else:
        assert abs(float(r["hit_rate"]) - 5 / 6) < 1e-9 and float(r["psnr"]) < 100, r
    assert float(r["median"]) > 0 and float(r["speedup"]) > 0 and r["n"] == "2", r
EOF
expect_rc 0 "export json" "$FBW" export --db "$db" --format json --out "$dir/a.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["results"]) == 6' "$dir/a.json" \
    && pass "json export parses, 6 results" || fail "json export"
expect_rc 0 "export md" "$FBW" export --db "$db" --format md
grep -q '| speed-up \[95% CI\] | S_flop | S_time | efficiency | rounds (disturbed) |' "$dir/out" \
    && ! grep -q 'Relative' "$dir/out" \
    && grep -q "^speed-up: the median of the paired rounds' ratios" "$dir/out" \
    && pass "markdown: speed-up [95% CI] and the models, no Relative column, the method below" \
    || fail "md: $(cat "$dir/out")"

# ---- identical is identical: the threshold-0 cells' images are their references' ---------------
[ "$(grep -c ' | identical |$' "$dir/out")" -eq 2 ] && ! grep -q '100\.00' "$dir/out" \
    && pass "md: PSNR 'identical' for the 2 cache-off cells" \
    || fail "md identical: $(cat "$dir/out")"
python3 - "$dir/a.json" <<'EOF' && pass "json: psnr null, identical true (false for the others)" \
    || fail "json identical"
import json, sys
cells = [r for r in json.load(open(sys.argv[1]))["results"] if r["kind"] == "cell"]
for r in cells:
    m, t = r["metrics"], r["parameters"]["residual_diff_threshold"]
    assert m["identical"] == (t == "0"), r
    assert (m["psnr"] is None) == (t == "0") and (t != "0" or m["ssim"] == 1), m
EOF
"$FBW" runs --db "$db" --sweep grid >"$dir/runs.txt" 2>&1
[ "$(awk '$2 == "cell" && $4 == "0"' "$dir/runs.txt" | grep -c ' identical  1\.0000$')" -eq 2 ] \
    && ! grep -q '100\.00' "$dir/runs.txt" && pass "runs: PSNR 'identical', SSIM 1" \
    || fail "runs identical: $(cat "$dir/runs.txt")"
off=$(awk '$2 == "cell" && $4 == "0" && $5 == "simple" {print $1}' "$dir/runs.txt")
expect_rc 0 "show a cache-off cell" "$FBW" show "$off" --db "$db"
grep -q 'Image vs reference: PSNR +inf dB (identical), SSIM 1.0000, MAE 0.00000, max 0.00000$' \
    "$dir/out" && pass "show: PSNR +inf dB (identical)" || fail "show identical: $(cat "$dir/out")"
expect_rc 0 "pareto of a sweep with identical cells" "$FBW" plot pareto --db "$db" \
    --out "$dir/pareto.txt"
grep -q identical "$dir/pareto.txt" && grep -q "^set xtics add ('identical' " "$dir/pareto.gp" \
    && ! grep -qi 'inf\|100\.0' "$dir/pareto.dat" \
    && pass "pareto: identical cells at the right edge, labelled" \
    || fail "pareto identical: $(cat "$dir/pareto.txt" "$dir/pareto.gp")"
expect_rc 0 "heatmap of PSNR" "$FBW" plot heatmap --metric psnr --db "$db" --out "$dir/hm.txt"
grep -q identical "$dir/hm.txt" && pass "heatmap: the cache-off cells say identical" \
    || fail "heatmap identical: $(cat "$dir/hm.txt")"

cell=$("$FBW" runs --db "$db" --sweep grid | awk '$2 == "cell" && $4 == "10" && $5 == "karras" {print $1}')
expect_rc 0 "show a cell" "$FBW" show "$cell" --db "$db"
grep -q 'Time (mean ± σ):' "$dir/out" && grep -q 'Range (min … max):' "$dir/out" \
    && grep -q 'Cache: 5/6 calls hit' "$dir/out" && grep -q 'steps hit: 1-5' "$dir/out" \
    && pass "show: hyperfine block and the cache decisions" || fail "show: $(cat "$dir/out")"

expect_rc 0 "the same sweep again" "$FBW" sweep --model "$model" --x 'threshold=0, 10' \
    --y scheduler=simple,karras --steps 6 --repeat 2 --db "$db" --name grid
grep -q '0 done now, 6 already complete' "$dir/out" && pass "a complete sweep is not recomputed" \
    || fail "rerun: $(cat "$dir/out")"
expect_rc 1 "same name, other spec" "$FBW" sweep --model "$model" --x 'threshold=0.5' --steps 6 --db "$db" --name grid
grep_err "another spec" "the error says the spec differs"

# ---- a JSON spec, flags on top of it, and a time budget ------------------------------------------
cat >"$dir/spec.json" <<EOF
{"name": "from-json", "x": "cfg=1-2 (+0.5)", "y": "sampler=euler,heun",
 "fixed": {"steps": 4, "threshold": 0.2, "model": "$model"}, "repeat": 1, "warmup": 0}
EOF
expect_rc 0 "JSON spec, dry run" "$FBW" sweep "$dir/spec.json" --seed 7 --db "$dir/j.db" --dry-run
grep -q "^sweep 'from-json'" "$dir/out" && grep -q 'X  cfg (3): 1, 1.5, 2' "$dir/out" \
    && grep -q 'Y  sampler (2): euler, heun' "$dir/out" && grep -q ' seed=7 ' "$dir/out" \
    && grep -q ' steps=4 ' "$dir/out" && grep -q '^cells: 6, plus 6 uncached references' "$dir/out" \
    && pass "JSON spec read, exact decimal range, flags override fixed values" \
    || fail "JSON dry run: $(cat "$dir/out")"
expect_rc 0 "a time budget" "$FBW" sweep --model "$model" --x threshold=0.2 --steps 4 --repeat 1 \
    --warmup 0 --budget 0.3 --db "$dir/b.db"
expect_rc 0 "export the budget sweep" "$FBW" export --db "$dir/b.db" --format json
python3 - "$dir/out" <<'PY' && pass "budget: rounds until every member had 0.3 s measured, then stopped" || fail "budget sweep"
import json, sys
times = [r["times"] for r in json.load(open(sys.argv[1]))["results"]]
assert len({len(t) for t in times}) == 1, times            # one generation per member per round
assert all(sum(t) >= 0.3 for t in times), times
assert any(sum(t[:-1]) < 0.3 for t in times), times         # the last round was still needed
PY

# ---- the TUI's progress stream -------------------------------------------------------------------
expect_rc 0 "--progress-fd" "$FBW" sweep --model "$model" --x threshold=0.1,10 --steps 4 --repeat 1 \
    --warmup 0 --db "$dir/p.db" --quiet --progress-fd 3 3>"$dir/progress.jsonl"
python3 - "$dir/progress.jsonl" <<'PY' && pass "progress: valid JSON Lines, steps with the calls so far, runs, end" || fail "progress stream: $(head -c 400 "$dir/progress.jsonl")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
steps = [e for e in ev if e["event"] == "step"]
done = [e for e in ev if e["event"] == "complete"]
assert ev[-1]["event"] == "end" and ev[-1]["status"] == "done", ev[-1]
assert len(done) == 3 and [e["done"] for e in done] == [1, 2, 3], done
assert all(len(e["rel_l1"]) == len(e["hit"]) <= e["step"] for e in steps), steps
assert any(e["threshold"] == 10 and any(e["hit"]) for e in steps), "no hit seen at threshold 10"
PY

# ---- bad specs and stores ------------------------------------------------------------------
expect_rc 2 "unknown knob" "$FBW" sweep --x 'treshold=0.1' --db "$dir/x.db" --dry-run
grep_err "did you mean 'threshold'" "unknown knob: closest name suggested"
expect_rc 2 "unknown sampler" "$FBW" sweep --y 'sampler=eulr,heun' --db "$dir/x.db" --dry-run
grep_err "eulr" "unknown sampler named"
expect_rc 2 "reversed range" "$FBW" sweep --x 'steps=5-1' --db "$dir/x.db" --dry-run
grep_err "empty" "reversed range is an error"
echo "not a database at all, just text long enough to look like a header........" >"$dir/junk.db"
expect_rc 1 "a store that is not a database" "$FBW" sweep --model "$model" --x 'threshold=0.1' --steps 2 --db "$dir/junk.db"
grep_err "junk.db" "the error names the file"
expect_rc 1 "runs on a missing store" "$FBW" runs --db "$dir/none.db"
grep_err "none.db" "the error names the missing store"

# ---- Ctrl-C and kill -9 mid-sweep -------------------------------------------------------------
# 12 cells (+ 3 references) of a few hundred ms each.
long() { exec "$FBW" sweep --model "$model" --x 'threshold=0.05, 0.1, 0.2, 10' --y seed=1,2,3 --steps 30 \
         --repeat 2 --db "$1" --name long --quiet; }
wait_complete() {   # wait_complete DB N: until N runs are complete (at most 60 s)
    for _ in $(seq 600); do [ "$(complete "$1")" -ge "$2" ] 2>/dev/null && return 0; sleep 0.1; done
    return 1
}

db="$dir/int.db"
(long "$db" >"$dir/out" 2>"$dir/err") &
pid=$!
wait_complete "$db" 3 && kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && pass "Ctrl-C: exit 130" || fail "Ctrl-C: exit $rc: $(cat "$dir/err")"
read -r cells refs done running waiting failed <<<"$(counts "$db")"
[ "$running" = 0 ] && [ "$failed" = 0 ] && [ "$done" -ge 3 ] && [ $((done + waiting)) -eq 15 ] \
    && pass "Ctrl-C: $done runs kept, none left running or failed" || fail "after Ctrl-C: $(counts "$db")"
(long "$db" >"$dir/out" 2>"$dir/err") &
pid=$!
sleep 0.5
expect_rc 1 "a second sweep on the same store" "$FBW" sweep --model "$model" --x threshold=0.3 --steps 2 --db "$db"
grep_err "another fbw sweep is writing this store" "a second writer is refused, naming the lock"
reads=0 reader_fail=0
while kill -0 $pid 2>/dev/null; do   # readers while the resumed sweep writes
    "$FBW" runs --db "$db" --sweep long >/dev/null 2>>"$dir/rerr" || reader_fail=1
    "$FBW" export --db "$db" --format json >/dev/null 2>>"$dir/rerr" || reader_fail=1
    reads=$((reads + 1))
done
wait $pid
[ $reader_fail -eq 0 ] && [ $reads -ge 2 ] \
    && pass "runs and export read the store while the sweep writes it ($reads rounds)" \
    || fail "readers: $reads rounds, errors: $(cat "$dir/rerr" 2>/dev/null)"
grep -q "$((15 - done)) done now, $done already complete, 0 failed" "$dir/out" \
    && pass "resume after Ctrl-C runs only what was missing" || fail "resume: $(cat "$dir/out")"
[ "$(counts "$db")" = "12 3 15 0 0 0" ] && pass "resumed sweep complete, no duplicate" || fail "after resume: $(counts "$db")"

db="$dir/kill.db"
(long "$db" >/dev/null 2>&1) &
pid=$!
wait_complete "$db" 2
before=$(complete "$db")
kill -KILL $pid
wait $pid 2>/dev/null
read -r cells refs done running waiting failed <<<"$(counts "$db")"
# A reference group (a reference and its 4 cells) is measured in shared rounds and completes
# together, so kill -9 leaves at most one group's 5 runs `running`.
[ "$done" -ge "$before" ] && [ "$running" -le 5 ] && [ $((done + running + waiting)) -eq 15 ] \
    && pass "kill -9: $done complete runs kept, $running left running" || fail "after kill -9: $(counts "$db")"
(long "$db" >"$dir/out" 2>"$dir/err")
[ "$(counts "$db")" = "12 3 15 0 0 0" ] && pass "resume after kill -9: all complete, no duplicate" \
    || fail "after resume: $(counts "$db"): $(cat "$dir/err")"
if [ "$running" -gt 0 ]; then
    grep -q "$running runs\? left running by an earlier crash retried" "$dir/out" \
        && pass "the run in flight at kill -9 is retried" || fail "no retry message: $(cat "$dir/out")"
fi
expect_rc 0 "export after resume" "$FBW" export --db "$db" --format csv
[ "$(tail -n +2 "$dir/out" | wc -l)" -eq 15 ] && pass "15 rows, one per run" || fail "rows: $(cat "$dir/out")"

e2e_finish
