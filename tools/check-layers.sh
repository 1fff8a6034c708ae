#!/usr/bin/env bash
# Enforces the layering of DESIGN.md/STYLE.md with grep: only the shim sees libtorch,
# only db/ includes sqlite3.h, only tui/ includes curses.h, and core/ includes nothing
# from the layers above it.
set -u
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }
for f in $(git ls-files '*.c' '*.h' '*.cpp' 2>/dev/null || find . -name '*.[ch]'); do
    case "$f" in core/shim/tensor_torch.cpp) continue ;; esac
    grep -qE '#include *<(torch|ATen|c10)/' "$f" && bad "$f includes libtorch (only core/shim may)"
    case "$f" in db/*) ;; *) grep -q '#include *<sqlite3.h>' "$f" && bad "$f includes sqlite3.h (only db/ may)" ;; esac
    case "$f" in tui/*) ;; *) grep -qE '#include *<n?curses(w)?.h>' "$f" && bad "$f includes curses (only tui/ may)" ;; esac
    case "$f" in core/*|util/*) grep -qE '#include *"(bench|db|plots|tui|cli)/' "$f" && bad "$f (core) includes a higher layer" ;; esac
done
exit $fail
