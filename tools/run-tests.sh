#!/usr/bin/env bash
# Runs every C test binary given, then every tests/e2e/*.sh, and exits nonzero if any failed.
# FBW names the binary under test (./fbw, or ./fbw-asan for `make asan`).
set -u
export FBW="${FBW:-./fbw}"
failed=()
total=0
for t in "$@" tests/e2e/*.sh; do
    [ -e "$t" ] || continue
    total=$((total + 1))
    echo "=== $t"
    start=$(date +%s%N)
    if [[ "$t" == *.sh ]]; then bash "$t"; else "$t"; fi
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '=== %s: %s (%d ms)\n' "$t" "$([ $rc -eq 0 ] && echo ok || echo "FAILED rc=$rc")" "$ms"
    [ $rc -eq 0 ] || failed+=("$t")
done
echo
if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${#failed[@]} of $total test programs: ${failed[*]}"
    exit 1
fi
echo "all $total test programs passed"
