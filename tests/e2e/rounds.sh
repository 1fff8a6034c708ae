#!/usr/bin/env bash
# End-to-end: a reference group measured in rounds (shared/reference/timing.md 2).  Checked from
# the store with Python, independently of fbw's code: every round's order replays from its
# recorded seed (SHA-256 -> splitmix64 -> Fisher-Yates), every member runs once per measured
# round, each cell's speed-up is the median of its per-round paired ratios with the binomial
# order-statistic interval (recomputed here with math.comb), and a group stopped by Ctrl-C or
# killed mid-round resumes from its complete rounds without recomputing one.
. "$(dirname "$0")/lib/common.sh"

model="$dir/small.safetensors"
"$FBW" init-model --out "$model" --prediction flow --hidden-size 64 --depth 4 --num-heads 4 \
    --input-size 16 --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null \
    || { fail "init-model"; e2e_finish; }

# q DB SQL: the rows of a query, '|'-separated as the sqlite3 shell prints them (Python's sqlite3,
# so the test needs no package beyond what fbw needs).
q() {
    python3 -c 'import sqlite3, sys
for row in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))' "$1" "$2"
}

# check DB ROUNDS: the figures of every group of the store, recomputed from its rows.
check() {
    python3 - "$1" "$2" <<'PY'
import hashlib, json, math, sqlite3, sys
db, R = sqlite3.connect(sys.argv[1]), int(sys.argv[2])
M64 = (1 << 64) - 1

def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)

def order(members, seed):
    idx, state = list(members), seed
    for i in range(len(idx) - 1, 0, -1):
        state, r = splitmix(state)
        j = r % (i + 1)
        idx[i], idx[j] = idx[j], idx[i]
    return idx

def rank(n, level=0.95):      # largest j with sum_{i<j} C(n,i) 2^-n <= (1-level)/2, 0: none
    j, tail = 0, 0
    while j < n and (tail + math.comb(n, j)) / 2**n <= (1 - level) / 2:
        tail += math.comb(n, j)
        j += 1
    return j if j >= 1 and j <= n + 1 - j else 0

def median(v):
    v = sorted(v); n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2

for ref_id, ref_hash in db.execute("SELECT id, config_hash FROM run WHERE kind = 'reference'"):
    cells = [r for (r,) in db.execute("SELECT id FROM run WHERE ref_id = ? ORDER BY number",
                                      (ref_id,))]
    members = [ref_id] + cells
    rounds = db.execute("SELECT id, k, seed, plan, state FROM round WHERE ref_id = ?"
                        " ORDER BY id", (ref_id,)).fetchall()
    ks = [k for (_, k, _, _, st) in rounds if st == "complete" and k > 0]
    assert sorted(ks) == list(range(1, R + 1)), ("measured rounds", ks)
    times = {}
    for rid, k, seed, plan, st in rounds:
        text = "fbw-round:%s:%d" % (ref_hash, k)
        want = int(hashlib.sha256(text.encode()).hexdigest()[:16], 16)
        assert seed & M64 == want, ("seed", k, seed, want)
        assert json.loads(plan) == order(members, want), ("order", k, plan)
        got = [run for (run,) in db.execute("SELECT run_id FROM round_member WHERE round_id = ?"
                                            " AND phase = 'measure' ORDER BY position", (rid,))]
        if st == "complete" and k > 0:
            assert got == json.loads(plan), ("once each, in order", k, got, plan)
            for run, ms in db.execute(
                    "SELECT m.run_id, s.value FROM round_member m JOIN sample s ON"
                    " s.run_id = m.run_id AND s.phase = m.phase AND s.rep = m.rep"
                    " AND s.key = 'wall_ms' WHERE m.round_id = ?", (rid,)):
                times.setdefault(run, {})[k] = ms
    for c in cells:
        x = sorted(math.log(times[ref_id][k] / times[c][k]) for k in times[c])
        res = dict(db.execute("SELECT key, value FROM result WHERE run_id = ?", (c,)))
        assert res["rounds"] == len(x) == R, (res["rounds"], len(x))
        assert abs(res["speedup"] / math.exp(median(x)) - 1) < 1e-9, (res["speedup"], x)
        j = rank(len(x))
        if j:
            assert abs(res["speedup_lo"] / math.exp(x[j - 1]) - 1) < 1e-9, res
            assert abs(res["speedup_hi"] / math.exp(x[len(x) - j]) - 1) < 1e-9, res
        else:
            assert res.get("speedup_lo") is None, res
        n = db.execute("SELECT count(*) FROM sample WHERE run_id = ? AND phase = 'measure'"
                       " AND key = 'wall_ms'", (c,)).fetchone()[0]
        s = db.execute("SELECT n FROM summary WHERE run_id = ? AND key = 'wall_ms'",
                       (c,)).fetchone()[0]
        assert s == R, ("the member's statistics take the complete rounds only", s, n)
print("ok")
PY
}

# ---- one sweep: orders, pairing, interval ------------------------------------------------------
db="$dir/a.db"
expect_rc 0 "a 3-cell group, 7 rounds" "$FBW" sweep --model "$model" --x 'threshold=0, 0.1, 10' \
    --steps 6 --repeat 7 --warmup 1 --db "$db" --name a --quiet
check "$db" 7 >"$dir/py" 2>&1 && pass "orders replay from their seeds, every member once per round," \
    "speed-up = median paired ratio with its binomial interval" || fail "rounds: $(cat "$dir/py")"
[ "$(q "$db" "SELECT count(*) FROM round WHERE k = 0")" = 1 ] \
    && pass "one warm-up round (k = 0) per group and process run" || fail "warm-up rounds"
expect_rc 0 "5 rounds: no interval" "$FBW" sweep --model "$model" --x 'threshold=0.1' \
    --steps 6 --repeat 5 --warmup 0 --db "$dir/five.db" --name five --quiet
check "$dir/five.db" 5 >"$dir/py" 2>&1 && pass "5 rounds: no 95% interval stored, and none made up" \
    || fail "5 rounds: $(cat "$dir/py")"

# ---- threads follow the idle CPUs ------------------------------------------------------------------
# With every CPU but one kept busy, --threads auto (the default) runs one ATen thread, says so and
# records it; --threads 2 is obeyed as given.
cpus=$(nproc)
busy=()
for _ in $(seq $((cpus - 1))); do ( while :; do :; done ) & busy+=($!); done
expect_rc 0 "a sweep beside $((cpus - 1)) busy loop(s)" "$FBW" sweep --model "$model" --x threshold=0.1 \
    --steps 4 --repeat 1 --warmup 0 --db "$dir/t.db" --name t
[ "$cpus" -lt 2 ] || grep_err "other tasks are running: 1 ATen thread instead of $cpus" "auto says so"
expect_rc 0 "--threads $cpus beside them" "$FBW" sweep --model "$model" --x threshold=0.1 \
    --steps 4 --repeat 1 --warmup 0 --db "$dir/t2.db" --name t2 --threads "$cpus"
kill "${busy[@]}"
wait "${busy[@]}" 2>/dev/null
env_threads() { q "$1" "SELECT json_extract(json, '$.threads') FROM env"; }
[ "$(env_threads "$dir/t.db")" = 1 ] && pass "auto: 1 thread on record" \
    || fail "auto threads: $(env_threads "$dir/t.db")"
[ "$(env_threads "$dir/t2.db")" = "$cpus" ] && pass "an explicit --threads is kept" \
    || fail "explicit threads: $(env_threads "$dir/t2.db")"

# ---- stop and kill mid-group ---------------------------------------------------------------------
long=("$FBW" sweep --model models/default.safetensors --x 'threshold=0.05, 0.2' --steps 20
      --repeat 12 --warmup 1 --name long --quiet)
rounds_done() { q "$1" "SELECT count(*) FROM round WHERE state = 'complete' AND k > 0" \
                2>/dev/null || echo 0; }
wait_rounds() {     # wait_rounds DB N: until N measured rounds are complete (at most 120 s)
    for _ in $(seq 1200); do [ "$(rounds_done "$1")" -ge "$2" ] && return 0; sleep 0.1; done
    return 1
}
kept() { q "$1" "SELECT id, k, seed, plan FROM round WHERE state = 'complete' AND k > 0"; }

for sig in INT KILL; do
    db="$dir/$sig.db"
    (exec "${long[@]}" --db "$db" >"$dir/out" 2>"$dir/err") &
    pid=$!
    wait_sigint $pid
    wait_rounds "$db" 3 && kill -$sig $pid
    wait $pid 2>/dev/null
    before=$(kept "$db")
    n=$(rounds_done "$db")
    [ "$n" -ge 3 ] && [ "$n" -lt 12 ] && [ "$(q "$db" "SELECT count(*) FROM run WHERE state = 'complete'")" = 0 ] \
        && pass "SIG$sig mid-group: $n complete rounds on record, no run complete yet" \
        || fail "SIG$sig: $n rounds, $(q "$db" "SELECT state, count(*) FROM run GROUP BY state")"
    expect_rc 0 "resume after SIG$sig" "${long[@]}" --db "$db"
    check "$db" 12 >"$dir/py" 2>&1 && pass "after SIG$sig: 12 rounds, orders and figures check" \
        || fail "after SIG$sig: $(cat "$dir/py")"
    [ "$(kept "$db" | head -n "$n")" = "$before" ] \
        && pass "after SIG$sig: the $n rounds complete before are kept as they were, not rerun" \
        || fail "after SIG$sig: rounds changed"
    [ "$(q "$db" "SELECT count(*) FROM round WHERE state = 'abandoned'")" = 1 ] \
        && [ "$(q "$db" "SELECT count(DISTINCT session) FROM round WHERE k = 0")" = 2 ] \
        && pass "after SIG$sig: the round in flight abandoned, a new warm-up round for the new process" \
        || fail "after SIG$sig: $(q "$db" "SELECT k, session, state FROM round")"
    [ "$(q "$db" "SELECT count(*) FROM run WHERE state = 'complete'")" = 3 ] \
        && pass "after SIG$sig: the group's 3 runs complete" || fail "after SIG$sig: runs"
done

# ---- a disturbed round, kept, counted and replaced -----------------------------------------------
# SIGSTOP for 0.6 s in the middle of the measured rounds: the generation in flight gets far less
# CPU per wall second than its siblings, so util/usage.h's rule flags it and its round.
db="$dir/redo.db"
(exec "$FBW" sweep --model models/default.safetensors --x 'threshold=0.2' --steps 20 --repeat 8 \
      --warmup 1 --redo-disturbed 3 --db "$db" --name redo --quiet >"$dir/out" 2>"$dir/err") &
pid=$!
# Twice, a round apart, in case one pause falls between two generations.
for at in 3 5; do
    wait_rounds "$db" $at && sleep 0.05 && kill -STOP $pid && sleep 0.6 && kill -CONT $pid
done
wait $pid
rc=$?
bad=$(q "$db" "SELECT count(*) FROM round WHERE k > 0 AND disturbed = 1")
total=$(q "$db" "SELECT count(*) FROM round WHERE k > 0 AND state = 'complete'")
[ $rc -eq 0 ] && [ "$bad" -ge 1 ] && [ "$total" -eq $((8 + (bad < 3 ? bad : 3))) ] \
    && pass "a stopped round is flagged disturbed ($bad) and replaced: $total rounds" \
    || fail "redo: rc $rc, $bad disturbed of $total: $(cat "$dir/err")"
python3 - "$db" "$bad" "$total" <<'PY' && pass "the cell counts its disturbed rounds and keeps a clean estimate" || fail "redo figures"
import sqlite3, sys
db, bad, total = sqlite3.connect(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
res = dict(db.execute("SELECT key, value FROM result WHERE run_id = 2"))
assert res["rounds"] == total and res["rounds_disturbed"] == bad, res
assert res["speedup_clean"] > 0, res
PY

e2e_finish
