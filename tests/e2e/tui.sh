#!/usr/bin/env bash
# End-to-end: the TUI driven in tmux as a user drives it (tmux's regress style: send-keys,
# capture-pane, polling the screen with a timeout).  Open it, edit a 2x2 sweep (an inline
# error with the closest name and Tab completion on the way), save it, run it, watch the
# progress, pause and resume it, open the results, sort (keys and a header click), filter,
# open a cell, open a plot (a tab click) and write its files, resize to too small and back,
# quit, and find every run in the store.  Then: mono colours, cancel, quitting while a sweep
# runs (asks, then stops it cleanly), SIGTERM, and `fbw tui` refusing a non-terminal.
#
# Every session runs on the default model, the repository's models/default.safetensors
# (32x32 images), given with --model as an absolute path: the TUI runs in a scratch
# directory, and the path must not depend on where the binary under test lies.  The 2x2
# sweep is kept short: 6 steps, 1 first + 0 warm-up generations a run and 3 rounds, a few
# seconds in all.  The starter sweep of the later sessions (30 steps) is only cancelled and
# stopped, so its length just keeps it running while the keys are pressed.  Every wait
# allows a loaded 2-core machine ample time; a passing run takes well under a minute.
# KEEP=1 keeps the scratch directory for a look afterwards.
. "$(dirname "$0")/lib/common.sh"

command -v tmux >/dev/null || { echo "skip: tmux is not installed (apt-get install tmux)"; exit 0; }
fbw_abs=$(cd "$(dirname "$FBW")" && pwd)/$(basename "$FBW")
root=$(cd "$(dirname "$0")/../.." && pwd)
model="$root/models/default.safetensors"
[ -s "$model" ] || { fail "the default model $model is missing"; e2e_finish; }

sock="fbw-e2e-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
sock_path="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
trap 'T kill-server 2>/dev/null; rm -f "$sock_path"; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
screen() { T capture-pane -p -t tui 2>/dev/null; }
keys() { T send-keys -t tui "$@"; }
text() { T send-keys -t tui -l "$1"; }
# wait_for PATTERN DESC [SECONDS]: poll the screen until PATTERN (grep -E) shows (60 s unless
# told: generous for a loaded 2-core machine; a passing test waits far less)
wait_for() {
    local i
    for ((i = 0; i < ${3:-60} * 10; i++)); do
        screen | grep -qE -- "$1" && { pass "$2"; return 0; }
        sleep 0.1
    done
    fail "$2: no /$1/ on the screen:"
    screen | sed 's/^/      | /'
    return 1
}
# start NAME ENV...: the TUI in a detached 120x40 session; its exit status lands in $dir/NAME.rc
start() {
    local name=$1; shift
    T new-session -d -s tui -x 120 -y 40 -c "$dir" \
        "env TERM=tmux-256color LANG=C.UTF-8 $* '$fbw_abs' tui --db '$dir/t.db' --model '$model' \
         2>'$dir/$name.err'; echo \$? >'$dir/$name.rc'"
}
wait_exit() {   # wait_exit NAME: until the TUI has ended (at most 60 s); prints its status
    local i
    for ((i = 0; i < 600; i++)); do
        [ -s "$dir/$1.rc" ] && { cat "$dir/$1.rc"; return 0; }
        sleep 0.1
    done
    echo timeout
}
check() { local desc=$1; shift; if "$@"; then pass "$desc"; else fail "$desc"; fi; }
check_not() { local desc=$1; shift; if "$@"; then fail "$desc"; else pass "$desc"; fi; }
# check_soon DESC CMD...: like check, but polls CMD for up to 60 s (the screen may lag a key)
check_soon() {
    local desc=$1 i; shift
    for ((i = 0; i < 600; i++)); do
        "$@" && { pass "$desc"; return 0; }
        sleep 0.1
    done
    fail "$desc"
    screen | sed 's/^/      | /'
    return 1
}
on_screen() { screen | grep -qE -- "$1"; }
# click X Y: a left click at column X, row Y (0-based), in the X10 mouse encoding tmux-256color has
click() {
    local at
    at=$(printf '\\%03o\\%03o' $(($1 + 33)) $(($2 + 33)))
    T send-keys -t tui -l "$(printf "\033[M $at\033[M#$at")"
}
coloured() { T capture-pane -e -p -t tui | grep -qE $'\e\\[[0-9;]*(38|48);5;'; }
# the runs of sweep NAME in the store: complete running waiting failed
states() { "$FBW" runs --db "$dir/t.db" | awk -v n="$1" '$2 == n {print $6, $7, $8, $9}'; }
# the time column of the results table, in row order
times() { screen | awk '$2 ~ /^(0|10)$/ && $4 == "complete" {print $5}'; }
sorted() { times | sort -g -c ${1:-} 2>/dev/null; }

# ---- open: the editor with the starter sweep ------------------------------------------------
start main "FBW_TUI_TEST_STDERR='probe: written to stderr while curses ran'"
wait_for "sweep 'starter' into" "opens on the editor with the starter sweep"
wait_for "6 cells \+ 2 uncached references = 8 runs" "the preview counts the starter's cells"
wait_for "estimated time: at most" "the estimate comes from a timed model call"
check_not "stderr is captured, not drawn" on_screen "probe:"
check "colours on a 256-colour terminal" coloured

# ---- edit a 2x2 sweep -----------------------------------------------------------------------
keys C-u; text "treshold=0, 10"
wait_for "unknown knob 'treshold' \(did you mean" "an inline error as you type"
wait_for "'threshold'\?\)" "the error names the closest knob"
keys C-u; text "thr"; keys Tab
wait_for "X axis +threshold" "Tab completes the knob name"
text "=0, 10"
wait_for "X  residual_diff_threshold \(2\): 0, 10" "the preview expands the X values as typed"
keys Up C-u; text "e2e"
keys Down Down C-u; text "scheduler=simple,kar"; keys Tab
wait_for "Y  scheduler \(2\): simple, karras" "Tab completes a scheduler name"
keys Down Down C-u; text "3"                    # repeat
keys Down C-u; text "0"                         # warm-up
for _ in 1 2 3 4 5; do keys Down; done          # max_hits start end sampler steps
keys C-u; text "6"                              # steps: few, to keep the sweep short
for _ in 1 2 3 4; do keys Down; done            # cfg seed class model
keys C-u; text "$root/models/defa"; keys Tab
wait_for "model +$model( |$)" "Tab completes a model file (the default model)"
wait_for "4 cells \+ 2 uncached references = 6 runs" "2x2 sweep: 4 cells and 2 shared references"
wait_for "1 first \+ 0 warm-up, then 3 rounds \(n<6: no CI\)" "rounds as typed, and what too few means"
wait_for "the same on the command line" "the equivalent command line"
wait_for "fbw sweep --x 'threshold=0," "the command line has the axes"
keys F7
wait_for "save the spec as: e2e.json" "F7 asks where to save the spec"
keys Enter
wait_for "saved 'e2e.json'" "the spec is saved"
python3 - "$dir/e2e.json" "$model" <<'EOF' && pass "the saved spec is the sweep as edited" \
    || fail "spec: $(cat "$dir/e2e.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == "e2e" and s["repeat"] == 3 and s["warmup"] == 0, s
assert "threshold=0, 10" in s["x"] and "scheduler=simple,karras" in s["y"], s
assert str(s["fixed"]["steps"]) == "6" and s["fixed"]["model"] == sys.argv[2], s
EOF

# ---- run it, watch it, pause and resume -----------------------------------------------------
keys F6
wait_for "sweep 'e2e' running" "F6 runs the sweep in the background"
wait_for "/6 runs .*ETA" "overall progress with an ETA"
wait_for "(round|compile) [0-9]+/[0-9]+  step [0-9]+/6" "the current generation's phase (a round) and step"
wait_for "rel-L1 per model call" "the per-call strip"
wait_for "\[[1-5]/6\] .*complete" "finished runs are listed"
keys F6
wait_for "sweep 'e2e' paused" "F6 pauses between steps"
read -r -a c <<<"$("$FBW" runs --db "$dir/t.db" | awk '$2 == "e2e" {print $6, $7}')"
[ "${c[0]:-0}" -ge 1 ] && [ "${c[0]}" -lt 6 ] && [ "${c[1]:-1}" = 0 ] \
    && pass "paused: ${c[0]} runs complete in the store, none left running" \
    || fail "paused store: $("$FBW" runs --db "$dir/t.db")"
keys F6
wait_for "sweep 'e2e' running|sweep 'e2e' done" "F6 resumes"
wait_for "sweep 'e2e' done" "the sweep finishes" 120
wait_for "6/6 runs 100%" "progress reaches 6/6"

# ---- results: sort, open a cell --------------------------------------------------------------
keys F4
wait_for "sweep 'e2e' \(id 1, done\): 4 cells \+ 2 references, 6 complete" \
    "F4: the results of the sweep"
wait_for "run +threshold +scheduler +state +median ms ± sd +speed-up +rounds +hits +PSNR dB +SSIM" \
    "the table's columns"
for _ in 1 2 3 4 5; do keys s; done
wait_for "sorted by median ms ± sd" "s sorts by the next column"
check_soon "rows in increasing median time" sorted
keys i
check_soon "i inverts the order" sorted -r
wait_for "PSNR dB.*" "header still there"
keys / ; text "karras"; keys Enter
wait_for "filter 'karras': 3 shown" "/ filters the rows"
keys / C-u; text "complete"; keys Enter       # cells only (references read 'reference')
wait_for "filter 'complete': 4 shown" "a filter on the state"
keys Home Enter
wait_for "Time \(mean ± σ\):" "Enter opens a cell: its statistics"
wait_for "this run \(32x32\) .*uncached reference \(32x32\) .*difference \(32x32\)" \
    "the image beside the reference and the diff"
wait_for "trace: rel-L1 per call" "the cell's trace"
keys n
wait_for "run [0-9]+ +Cell" "n opens the next cell"
keys Escape
wait_for "run +threshold +scheduler +state" "Esc goes back to the table"
# (X10 mouse reports reach column 94 at most: the speed-up column is left of it)
col=$(python3 -c 'import sys; print(sys.argv[1].index("speed-up"))' "$(screen | sed -n 3p)")
click "$col" 2
wait_for "sorted by speed-up" "a click on a header sorts by that column"
click 10 3; click 10 3
wait_for "Time \(mean ± σ\):" "a double click on a row opens its cell"
keys Escape

# ---- plots ---------------------------------------------------------------------------------------
click 42 0
wait_for "images against the uncached reference" "a click on the Plot tab: the image grid"
keys k
wait_for "median wall time per image" "k: the next kind (lines)"
keys m
wait_for "lines \[wall_ms\]" "m: the next metric"
keys w
wait_for "wrote e2e-lines-wall_ms.png and e2e-lines-wall_ms.svg" "w writes PNG and SVG"
check "the PNG, SVG and script are on disk" test -s "$dir/e2e-lines-wall_ms.png" -a \
    -s "$dir/e2e-lines-wall_ms.svg" -a -s "$dir/e2e-lines-wall_ms.gp"

# ---- resize, help, quit ------------------------------------------------------------------------
T resize-window -t tui -x 50 -y 12
wait_for "Terminal size too small:" "a too-small terminal says so"
wait_for "Width = 50 Height = 12" "with the size it has"
T resize-window -t tui -x 120 -y 40
wait_for "median wall time per image" "back to the plot after resizing back"
T resize-window -t tui -x 80 -y 24
wait_for "F4 Results" "80x24 draws the frame"
T resize-window -t tui -x 120 -y 40
keys F1
wait_for "keys \(Esc closes" "F1: help from the key table"
wait_for "F6 s +sort by the next column" "help lists the results keys"
keys Escape F10
check "F10 quits with status 0" test "$(wait_exit main)" = 0
check "stderr written while curses ran is replayed after exit" \
    grep -q "probe: written to stderr while curses ran" "$dir/main.err"
check "the store has the 4 cells and 2 references, all complete" test "$(states e2e)" = "6 0 0 0"

# ---- mono; cancel; quit while a sweep runs --------------------------------------------------
start mono "NO_COLOR=1"
wait_for "sweep 'e2e' \(id 1, done\)" "with a store, the TUI opens on the results"
check_not "NO_COLOR: attributes only, no colours" coloured
keys Enter
wait_for "Time \(mean ± σ\):" "mono: a cell opens"
keys F2 F6                                      # the starter sweep, 8 runs
wait_for "sweep 'starter' running" "the starter sweep runs"
wait_for "\[1/8\] reference .*complete" "its first run completes"
keys F8
wait_for "sweep 'starter' cancelled" "F8 cancels"
read -r done running waiting failed <<<"$(states starter)"
check "cancelled: complete runs kept, none left running or failed ($(states starter))" \
    test "$running" = 0 -a "$failed" = 0 -a $((done + waiting)) = 8
keys F6
wait_for "sweep 'starter' running" "F6 resumes a cancelled sweep"
wait_for "step [0-9]+/30" "the resumed sweep is at work"
keys F10
wait_for "A sweep is running. Quit and stop it" "quitting while a sweep runs asks first"
keys n
wait_for "sweep 'starter' running" "n keeps the TUI and the sweep"
keys F10 y
check "y quits with status 0" test "$(wait_exit mono)" = 0
read -r done running waiting failed <<<"$(states starter)"
check "quitting stopped the sweep cleanly: none left running ($(states starter))" \
    test "$running" = 0 -a "$failed" = 0

# ---- a signal; no terminal; flags -----------------------------------------------------------------
start sig ""
wait_for "F4 Results" "a third session"
pid=$(pgrep -P "$(T display -p -t tui '#{pane_pid}')" -f ' tui --db ' | head -1)
kill -TERM "$pid" 2>/dev/null
check "SIGTERM ends the TUI cleanly, status 0" test "$(wait_exit sig)" = 0
expect_rc 1 "no terminal: a clear error" "$FBW" tui --db "$dir/t.db" </dev/null
grep_err "needs a terminal" "the error says a terminal is needed"
expect_rc 2 "bad flag" "$FBW" tui --bogus
expect_rc 0 "tui --help" "$FBW" tui --help
check "help shows the usage" grep -q "usage: fbw tui" "$dir/out"
e2e_finish
