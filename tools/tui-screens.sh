#!/usr/bin/env bash
# Text captures of every TUI screen, for docs/tui/: the TUI runs in a detached 120x40 tmux
# session on a fresh store, plans and runs the starter sweep (threshold 0.05, 0.1, 0.2 x
# scheduler simple, karras) and visits each screen; capture-pane writes what it shows.
#
#   tools/tui-screens.sh [--model FILE] [--out DIR]
#
# The model defaults to models/default.safetensors (the starter sweep takes about a minute on
# two cores); FBW names the binary (default ./fbw).  Captures: editor, editor-error, run,
# results, cell, plot-grid, plot-lines, plot-heatmap, plot-pareto, plot-trace, help,
# too-small (.txt, plain text).
set -eu
FBW="${FBW:-./fbw}"
model=models/default.safetensors
out=docs/tui
while [ $# -gt 0 ]; do
    case "$1" in
    --model) model=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: tools/tui-screens.sh [--model FILE] [--out DIR]" >&2; exit 2 ;;
    esac
done
command -v tmux >/dev/null || { echo "tui-screens: tmux is needed (apt-get install tmux)" >&2; exit 1; }
[ -f "$model" ] || { echo "tui-screens: no model '$model'" >&2; exit 1; }
fbw_abs=$(cd "$(dirname "$FBW")" && pwd)/$(basename "$FBW")
mkdir -p "$out"
out_abs=$(cd "$out" && pwd)
work=$(mktemp -d /tmp/fbw-screens-XXXXXX)
# the TUI runs in the scratch directory; the model is linked there so the captures show a
# short relative path rather than this machine's
model_dir=$(cd "$(dirname "$model")" && pwd)
ln -s "$model_dir" "$work/models"
model_rel="models/$(basename "$model")"
sock="fbw-screens-$$"
T() { tmux -L "$sock" -f /dev/null "$@"; }
sock_path="${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock"
trap 'T kill-server 2>/dev/null || true; rm -f "$sock_path"; rm -rf "$work"' EXIT
screen() { T capture-pane -p -t tui; }
keys() { T send-keys -t tui "$@"; }
text() { T send-keys -t tui -l "$1"; }
wait_for() {    # wait_for PATTERN [SECONDS]
    local i
    for ((i = 0; i < ${2:-30} * 10; i++)); do
        screen | grep -qE -- "$1" && return 0
        sleep 0.1
    done
    echo "tui-screens: timed out waiting for /$1/; the screen:" >&2
    screen >&2
    exit 1
}
wait_plot() {   # wait_plot KIND: that kind's picture, rendered
    local i
    for ((i = 0; i < 600; i++)); do
        screen | sed -n 2p | grep -qE "^ $1 " && ! screen | sed -n 2p | grep -q "rendering" \
            && { sleep 0.3; return 0; }
        sleep 0.1
    done
    echo "tui-screens: the $1 plot did not render" >&2
    exit 1
}
snap() {        # snap NAME: the screen, trailing blanks trimmed
    screen | sed 's/[[:space:]]*$//' >"$out_abs/$1.txt"
    echo "  $out/$1.txt"
}

echo "capturing the TUI's screens into $out (model $model)"
T new-session -d -s tui -x 120 -y 40 -c "$work" \
    "env TERM=tmux-256color LANG=C.UTF-8 '$fbw_abs' tui --db screens.db --model '$model_rel' \
     --starter"
wait_for "estimated time: at most" 60
snap editor
keys C-u; text "treshold=0.05-0.2 [4]"
wait_for "did you mean"
snap editor-error
keys F9
wait_for "6 cells \+ 2 uncached references"
keys F6
wait_for "sweep 'starter' running"
# a cached cell in its measured generations, with a few finished runs above it
for ((i = 0; i < 3000; i++)); do
    s=$(screen)
    grep -qE '^ cell  threshold=0\.(1|2) ' <<<"$s" && grep -qE 'round [0-9]+/[0-9]+  step (1[6-9]|2[0-9])/30' <<<"$s" \
        && break
    sleep 0.1
done
snap run
wait_for "sweep 'starter' done" 900
keys F4
wait_for "sweep 'starter' \(id 1, done\)"
for _ in 1 2 3 4 5 6; do keys s; done
wait_for "sorted by speed-up"
snap results
keys Home Enter
wait_for "Time \(mean ± σ\)"
snap cell
keys Escape F5
for kind in grid lines heatmap pareto trace; do
    wait_plot "$kind"
    snap "plot-$kind"
    keys k
done
keys F1
wait_for "keys \(Esc closes"
snap help
keys Escape
T resize-window -t tui -x 50 -y 12
wait_for "Terminal size too small"
snap too-small
keys F10
for ((i = 0; i < 100; i++)); do T has-session -t tui 2>/dev/null || break; sleep 0.1; done
echo "done"
