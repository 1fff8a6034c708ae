#!/usr/bin/env bash
# End-to-end: `fbw plot` on a store made by `fbw sweep` on a tiny model: every kind to PNG with
# its script and data beside it (and the script re-renders it), SVG, the dumb terminal, the
# flags' checks, and the failures (gnuplot missing, unknown metric, no terminal to draw on).
. "$(dirname "$0")/lib/common.sh"

model="$dir/small.safetensors"
"$FBW" init-model --out "$model" --prediction flow --hidden-size 64 --depth 4 --num-heads 4 \
    --input-size 16 --in-channels 3 --patch-size 2 --num-classes 4 --seed 3 >/dev/null \
    || { fail "init-model"; e2e_finish; }
db="$dir/p.db"
"$FBW" sweep --model "$model" --x 'threshold=0, 0.2, 10' --y scheduler=simple,karras --steps 6 \
    --repeat 2 --warmup 0 --db "$db" --name plots --quiet >/dev/null 2>&1 \
    || { fail "sweep"; e2e_finish; }

# png_ok FILE: a PNG of sensible size
png_ok() {
    python3 - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert 300 <= w <= 4000 and 200 <= h <= 4000 and len(b) > 5000, (w, h, len(b))
EOF
}

# ---- every kind to PNG, script and data beside it --------------------------------------------
for kind in grid lines heatmap pareto trace; do
    expect_rc 0 "plot $kind" "$FBW" plot "$kind" --db "$db" --out "$dir/$kind.png"
    grep -q "^wrote $dir/$kind.png" "$dir/out" && png_ok "$dir/$kind.png" \
        && pass "$kind: a PNG of sensible size" || fail "$kind png: $(cat "$dir/out")"
    data="$dir/$kind.dat"; [ "$kind" = grid ] && data="$dir/$kind.rgb"
    [ -s "$dir/$kind.gp" ] && [ -s "$data" ] \
        && grep -q 'set termoption noenhanced' "$dir/$kind.gp" \
        && pass "$kind: script and data beside it" || fail "$kind: no script or data"
done
grep -q "'residual_diff_threshold'" "$dir/grid.gp" && grep -q "'karras'" "$dir/grid.gp" \
    && grep -q "'reference'" "$dir/grid.gp" \
    && grep -q "x: residual_diff_threshold=0, 0.2, 10" "$dir/grid.gp" \
    && pass "grid: axis names, values, references and the spec" || fail "grid script"
grep -q "title 'simple' noenhanced" "$dir/lines.gp" \
    && grep -q "title 'karras' noenhanced" "$dir/lines.gp" \
    && grep -q 'yerrorlines' "$dir/lines.gp" \
    && pass "lines: one series per scheduler, error bars" \
    || fail "lines script: $(grep plot -A4 "$dir/lines.gp")"
grep -q "title 'Pareto frontier'" "$dir/pareto.gp" && pass "pareto: the frontier" \
    || fail "pareto script"
# the trace's default cells are at the middle threshold (0.2); threshold 10 hits 5 of 6 calls
cell=$("$FBW" runs --db "$db" --sweep plots \
    | awk '$2 == "cell" && $4 == "10" && $5 == "karras" {print $1}')
expect_rc 0 "trace of chosen runs by sigma" "$FBW" plot trace --db "$db" --runs "$cell" --vs sigma \
    --out "$dir/t10.png"
[ "$(awk '$1 !~ /^#/ && NF == 6 && $3 == 1' "$dir/t10.dat" | wc -l)" -eq 5 ] \
    && grep -q "title 'threshold 10'" "$dir/t10.gp" \
    && pass "trace: 5 hits marked, the threshold drawn" || fail "trace data: $(cat "$dir/t10.dat")"

# the script re-renders from its own directory
rm -f "$dir/heatmap.png"
(cd "$dir" && gnuplot heatmap.gp) && png_ok "$dir/heatmap.png" \
    && pass "gnuplot heatmap.gp re-renders it" || fail "re-render"

expect_rc 0 "svg" "$FBW" plot grid --db "$db" --diff --out "$dir/grid.svg"
grep -q '<svg' "$dir/grid.svg" && grep -q 'difference from the uncached reference' "$dir/grid.svg" \
    && pass "svg with the diff heatmaps" || fail "svg"

# ---- the dumb terminal ---------------------------------------------------------------------
expect_rc 0 "dumb lines" "$FBW" plot lines --db "$db" --term dumb --size 100x30 --mono
grep -q 'residual_diff_threshold' "$dir/out" \
    && grep -q 'median wall time per image (ms)' "$dir/out" \
    && grep -q "sweep 'plots'" "$dir/out" && ! grep -q $'\f' "$dir/out" \
    && pass "dumb: title and axis labels, no form feed" || fail "dumb: $(cat "$dir/out")"
expect_rc 0 "dumb heatmap in colour" "$FBW" plot heatmap --db "$db" --term dumb --metric speedup
grep -q $'\033\\[' "$dir/out" && grep -q 'scheduler' "$dir/out" && pass "dumb: ANSI colours" \
    || fail "dumb colour"
expect_rc 0 "dumb grid to a file" "$FBW" plot grid --db "$db" --out "$dir/grid.txt" --size 90x40
grep -q 'reference' "$dir/grid.txt" && [ -s "$dir/grid.gp" ] && pass "dumb grid written to a .txt" \
    || fail "grid.txt"

# ---- checks and failures ----------------------------------------------------------------------
expect_rc 0 "--help" "$FBW" plot --help
grep -q 'pareto' "$dir/out" && pass "help lists the kinds" || fail "help"
expect_rc 2 "no terminal, no --out" "$FBW" plot lines --db "$db"
grep_err "stdout is not a terminal" "asks for --out"
expect_rc 2 "unknown kind" "$FBW" plot histogram --db "$db"
grep_err "unknown plot kind 'histogram'" "names the kind"
expect_rc 2 "--diff on lines" "$FBW" plot lines --diff --db "$db" --out "$dir/x.png"
expect_rc 2 "unknown extension" "$FBW" plot lines --db "$db" --out "$dir/x.jpg"
expect_rc 1 "unknown metric" "$FBW" plot heatmap --db "$db" --metric psnrr --out "$dir/x.png"
grep_err "no metric 'psnrr'" "names the metric"
expect_rc 1 "unknown sweep" "$FBW" plot lines --db "$db" --sweep nope --out "$dir/x.png"
FBW_GNUPLOT=/nonexistent/gnuplot expect_rc 1 "gnuplot missing" \
    "$FBW" plot lines --db "$db" --out "$dir/x.png"
grep_err "apt-get install gnuplot-nox" "says how to install gnuplot"

e2e_finish
