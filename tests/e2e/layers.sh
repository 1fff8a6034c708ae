#!/usr/bin/env bash
# End-to-end: tools/check-layers.sh passes on this tree and fails on a scratch copy with one
# upward include planted at a time (and on the other two rules), naming the file.
. "$(dirname "$0")/lib/common.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
check="$src/tools/check-layers.sh"

expect_rc 0 "the tree's layers point down" "$check" "$src"

# plant FILE LINE DESC: a fresh copy with LINE added to FILE must fail, naming FILE
plant() {
    local copy="$dir/copy"
    rm -rf "$copy" && mkdir -p "$copy"
    (cd "$src" && cp -r util core train db bench plots tui cli "$copy/")
    printf '%s\n' "$2" >>"$copy/$1"
    expect_rc 1 "$3 fails the check" "$check" "$copy"
    grep_err "$1" "  and the message names $1"
}
plant util/err.c '#include "core/model.h"' "util including core"
plant core/engine.c '#include "db/store.h"' "core including db"
plant db/store.c '#include "bench/spec.h"' "db including bench (the old cycle)"
plant db/query.c '#include "train/train.h"' "db including train (same rank)"
plant core/shim/tensor.h '#include "core/model.h"' "the shim including core"
plant bench/runner.c '#include "tui/tui.h"' "bench including tui"
plant plots/plot.c '#include "cli/cli.h"' "plots including cli"
plant core/model.c '#include <sqlite3.h>' "sqlite3.h outside db"
plant bench/spec.c '#include <curses.h>' "curses outside tui"
plant util/clock.c '#include <torch/torch.h>' "libtorch outside the shim"
# A downward include is allowed: the check does not simply fail every planted line.
rm -rf "$dir/copy" && mkdir -p "$dir/copy" && (cd "$src" && cp -r util core train db bench plots tui cli "$dir/copy/")
printf '#include "util/stats.h"\n' >>"$dir/copy/db/export.c"
printf '#include "core/model.h"\n' >>"$dir/copy/train/dataset.c"
expect_rc 0 "downward includes (db -> util, train -> core) pass" "$check" "$dir/copy"
e2e_finish
