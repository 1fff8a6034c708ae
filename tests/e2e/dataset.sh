#!/usr/bin/env bash
# End-to-end: `fbw dataset` writes grids of the procedural data set, byte for byte the same
# on every run, lists its classes, and refuses bad flags with exit 2.  $FBW is the binary.
. "$(dirname "$0")/lib/common.sh"
# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk (big-endian words at bytes 16 and 20).
png_size() {
    local b
    b=$(od -An -tu1 -j16 -N8 "$1" | tr -s ' \n' ' ')
    set -- $b
    echo "$(( ($1 << 24) | ($2 << 16) | ($3 << 8) | $4 )) $(( ($5 << 24) | ($6 << 16) | ($7 << 8) | $8 ))"
}
is_png() { [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

expect_rc 0 "dataset --list" "$FBW" dataset --list
n=$(grep -cE '^ *[0-9]+ [a-z]+$' "$dir/out")
[ "$n" -ge 10 ] && pass "--list shows $n classes (>= 10)" || fail "--list: $(cat "$dir/out")"
grep -qE '^ *0 circle$' "$dir/out" && pass "class 0 is circle" || fail "--list: $(head -2 "$dir/out")"

# Every class, 3 samples each: one row per class, 3 columns, 32 px tiles 2 px apart.
expect_rc 0 "grid of every class" "$FBW" dataset --count 3 --seed 5 --out "$dir/all.png"
want="$((3 * 34 + 2)) $((n * 34 + 2))"
is_png "$dir/all.png" && pass "writes a PNG" || fail "not a PNG: $(od -An -c -N8 "$dir/all.png")"
[ "$(png_size "$dir/all.png")" = "$want" ] && pass "grid is $want px" \
    || fail "grid size $(png_size "$dir/all.png"), want $want"
grep -q 'fbw dataset: seed 5, class all' "$dir/all.png" && pass "PNG names its seed" \
    || fail "no parameters tEXt in the PNG"
expect_rc 0 "same command again" "$FBW" dataset --count 3 --seed 5 --out "$dir/all2.png"
cmp -s "$dir/all.png" "$dir/all2.png" && pass "same command, identical bytes" \
    || fail "two runs of the same command differ"
expect_rc 0 "another seed" "$FBW" dataset --count 3 --seed 6 --out "$dir/all3.png"
cmp -s "$dir/all.png" "$dir/all3.png" && fail "seeds 5 and 6 gave the same grid" || pass "seeds differ"

# One class, by name and by number: 10 samples, 4 to a row -> 3 rows.
expect_rc 0 "one class by name" "$FBW" dataset --class ring --count 10 --cols 4 --out "$dir/ring.png"
[ "$(png_size "$dir/ring.png")" = "138 104" ] && pass "one-class grid is 138 x 104" \
    || fail "one-class grid size $(png_size "$dir/ring.png")"
ring=$("$FBW" dataset --list | awk '$2 == "ring" {print $1}')
expect_rc 0 "one class by number" "$FBW" dataset --class "$ring" --count 10 --cols 4 --out "$dir/ring2.png"
cmp -s "$dir/ring.png" "$dir/ring2.png" && pass "name and number give the same grid" \
    || fail "--class ring and --class $ring differ"
expect_rc 0 "default columns" "$FBW" dataset --class 0 --count 3 --out "$dir/c3.png"
[ "$(png_size "$dir/c3.png")" = "104 36" ] && pass "3 samples in one row" \
    || fail "3-sample grid size $(png_size "$dir/c3.png")"

# Usage errors exit 2 and say what is wrong; nothing is written.
expect_rc 2 "unknown class" "$FBW" dataset --class cirle --out "$dir/x.png"
grep_err "did you mean 'circle'" "closest class suggested"
expect_rc 2 "class number out of range" "$FBW" dataset --class 999 --out "$dir/x.png"
grep_err "invalid value '999' for --class" "bad class number named"
expect_rc 2 "bad --count" "$FBW" dataset --count 0 --out "$dir/x.png"
expect_rc 2 "bad --seed" "$FBW" dataset --seed -1 --out "$dir/x.png"
expect_rc 2 "missing --out" "$FBW" dataset --count 2
grep_err "--out is required" "missing --out named"
expect_rc 2 "--cols without --class" "$FBW" dataset --cols 3 --out "$dir/x.png"
expect_rc 2 "unknown option" "$FBW" dataset --bogus --out "$dir/x.png"
expect_rc 2 "stray argument" "$FBW" dataset --out "$dir/x.png" extra
[ ! -e "$dir/x.png" ] && pass "no image written on usage errors" || fail "an image was written"
expect_rc 1 "unwritable output is a runtime error" "$FBW" dataset --count 1 --out "$dir/no/such/dir.png"
grep_err "cannot write image" "write failure named"
expect_rc 0 "dataset --help" "$FBW" dataset --help
grep -q "usage: fbw dataset" "$dir/out" && pass "--help shows the usage" || fail "--help: $(cat "$dir/out")"

e2e_finish
