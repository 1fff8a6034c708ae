#!/usr/bin/env bash
# check-layers.sh [ROOT] - the layering rules, checked with grep over ROOT's sources (default:
# this checkout).  Every top-level folder has a rank; a file may include headers of its own
# folder and of folders ranked below it, never of a folder ranked the same or higher:
#
#   0 util/       plumbing with no domain knowledge (errors, clock, hashing, statistics, ...)
#   1 core/shim/  libtorch behind a C API
#   2 core/       the engine: models, sampling, cache, trace, images, metrics
#   3 train/      the procedural data set and the trainer       (beside db/, not using it)
#   3 db/         the SQLite store                               (beside train/, not using it)
#   4 bench/      sweep specs and the runner (writes through db/)
#   5 plots/      gnuplot pictures of a stored sweep
#   6 tui/        the curses workbench
#   7 cli/        the commands
#
# Besides: only core/shim/tensor_torch.cpp includes libtorch, only db/ includes sqlite3.h and
# only tui/ includes curses.  tests/ and tools/ are not ranked.  Exit 1 with one line per
# offending include; tests/e2e/layers.sh plants upward includes in a copy to prove it fails.
set -u
root=${1:-$(dirname "$0")/..}
cd "$root" || exit 2
rank() {
    case "$1" in
        util) echo 0 ;; core/shim) echo 1 ;; core) echo 2 ;; train|db) echo 3 ;; bench) echo 4 ;;
        plots) echo 5 ;; tui) echo 6 ;; cli) echo 7 ;; *) echo - ;;
    esac
}
layer() {   # the layer of a path: core/shim/..., else the first component
    case "$1" in core/shim/*) echo core/shim ;; */*) echo "${1%%/*}" ;; *) echo - ;; esac
}
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }
files=$(find util core train db bench plots tui cli -name '*.[ch]' -o -name '*.cpp' 2>/dev/null |
        sort)
[ -n "$files" ] || { echo "check-layers: no sources under $root" >&2; exit 2; }
for f in $files; do
    from=$(layer "$f"); rf=$(rank "$from")
    if [ "$rf" = - ]; then
        bad "$f: folder '$from' has no rank (add it to tools/check-layers.sh)"
        continue
    fi
    while IFS= read -r inc; do
        to=$(layer "$inc"); rt=$(rank "$to")
        [ "$rt" = - ] && continue
        if [ "$to" != "$from" ] && [ "$rt" -ge "$rf" ]; then
            bad "$f (rank $rf, $from) includes \"$inc\" (rank $rt, $to): layers point down"
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
    case "$f" in core/shim/tensor_torch.cpp) ;; *)
        grep -qE '#include *<(torch|ATen|c10)/' "$f" &&
            bad "$f includes libtorch (only core/shim may)" ;;
    esac
    case "$f" in db/*) ;; *)
        grep -q '#include *<sqlite3.h>' "$f" && bad "$f includes sqlite3.h (only db/ may)" ;;
    esac
    case "$f" in tui/*) ;; *)
        grep -qE '#include *<n?curses(w)?.h>' "$f" && bad "$f includes curses (only tui/ may)" ;;
    esac
done
exit $fail
