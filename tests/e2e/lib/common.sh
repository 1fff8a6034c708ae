# common.sh - what every end-to-end script shares (sourced, not run: tools/run-tests.sh only
# runs tests/e2e/*.sh).  Sets FBW (the binary under test, default ./fbw) and a scratch $dir
# removed at exit, and gives pass/fail counters, expect_rc and grep_err; a script ends with
# e2e_finish.
set -u
FBW="${FBW:-./fbw}"
dir=$(mktemp -d /tmp/fbw-e2e-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fails=0
pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect_rc WANT DESC CMD...: run CMD, check its exit status, keep its stdout and stderr in
# $dir/out and $dir/err
expect_rc() {
    local want=$1 desc=$2; shift 2
    "$@" >"$dir/out" 2>"$dir/err"
    local rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$desc"
    else fail "$desc (exit $rc, want $want): $(head -c 300 "$dir/err")"; fi
}
# grep_err PATTERN DESC: the last command's stderr contains PATTERN
grep_err() { grep -q -- "$1" "$dir/err" && pass "$2" || fail "$2: stderr was: $(head -c 300 "$dir/err")"; }
# wait_sigint PID: until PID has installed its SIGINT handler (a background job starts with
# SIGINT ignored, so a Ctrl-C sent before the handler is in place would be lost); at most 60 s
wait_sigint() {
    local mask
    for _ in $(seq 600); do
        mask=$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
        [ -n "$mask" ] && [ $((16#$mask & 2)) -ne 0 ] && return 0
        sleep 0.1
    done
    return 1
}
e2e_finish() {
    [ "$fails" -eq 0 ] || { echo "$fails e2e check(s) failed"; exit 1; }
}
