#!/usr/bin/env bash
# tools/gpu-check.sh - the one prepared check for a lent GPU machine (NVIDIA H200, its own
# PyTorch with CUDA, no package registry, no internet).
#
# What it does, in one run, printing a timestamp per phase and stopping at the first failure:
#   1. the machine: nvidia-smi, glibc, compilers, the python3 that holds PyTorch and its CUDA;
#   2. the Debian dev packages the build needs (sqlite3, ncursesw, png, zlib, jansson): each one
#      the machine lacks is unpacked from the carried .debs (dpkg-deb -x) into a private prefix,
#      build-gpu-debroot/, and only those are handed to the compiler and linker (-I, -L, rpath);
#   3. builds ./fbw-gpu (build-gpu/) against that machine's torch, with -j$(nproc);
#   4. the default model (models/default.safetensors): CPU f32 against CUDA f32 and CUDA bf16,
#      uncached and with First Block Cache at 0.15 (about half the calls hit): PSNR (fbw
#      compare) and the cache decisions, equal or changed call by call;
#   5. a DiT-XL/2-shaped random model (hidden 1152, depth 28, 16 heads, patch 2, 32x32x4,
#      learn_sigma, 1000 classes: 675 M parameters) in bf16 and f32 on CUDA: a discarded warm-up
#      generation, then REPS uncached and REPS all-hit (threshold 1e9) generations, interleaved,
#      whose per-call times come from the --trace records' "ms" (CUDA events on a GPU model):
#      median full-call and hit-call ms with min/max, hit/full ratio against the FLOP prediction
#      (embed + block 0 + final) / total (cli/cmd_bench.c's bench_flops, re-derived here);
#   6. the same model through `fbw sweep` (one process, warmed up): the device memory peak the
#      store records, and the per-call times of warm generations as a cross-check.
# Everything goes to $OUT (build-gpu-out/ where OUT is unset; at most 8 files come back):
# summary.txt, log.txt, build.log, commands.log, env.txt, sweep-xl.json and traces.tar.gz (every
# trace, the latents, the per-command logs, the sweep store).  The summary is printed last.
#
# Usage
#   Here (no GPU), once, as root: put the .debs into gpu-debs/ (ignored by git; about 5 MB):
#       tools/gpu-check.sh --fetch-debs gpu-debs
#   Then, through the device tool (make may be missing there, so call bash directly):
#       run(command="bash tools/gpu-check.sh", carry=["gpu-debs"], timeout_s=450)
#   then give_back unless rerunning at once.  It should end in about 4 minutes there and stops
#   itself, packing what it has, at its deadline of 400 s (--deadline S), inside timeout_s, so
#   the 15 minutes of device time (a start costs 1-2) leave room for one short rerun.
#   Options: --steps N (20), --reps N (3), --debs DIR (gpu-debs), --force-debs (use the carried
#   .debs even where the system has the package), --keep (keep the scratch folder, XL model too).
#   On a CPU, every path but CUDA: the "cuda" arms run with --device cpu (marked cpu*), the
#   build is build-gpucheck/ and ./fbw-gpucheck against .venv's torch, the "XL" model is
#   DiT-S/2-shaped unless --shape 1152,28,16, 2 repetitions:
#       tools/gpu-check.sh --cpu-dry-run [--force-debs] [--shape H,DEPTH,HEADS]
#   `make gpu-check` runs it (GPU_CHECK_ARGS=--cpu-dry-run for the dry run).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD

# ---------------------------------------------------------------------------------------------
# The packages: per library the build links, the test that says whether the system has it and
# the .debs (Debian's names; dev package first) that supply it when it does not.
LIB_GROUPS="sqlite ncurses png zlib jansson"
group_debs() {
    case $1 in
    sqlite)  echo libsqlite3-dev libsqlite3-0 ;;
    ncurses) echo libncurses-dev libncursesw6 libncurses6 libtinfo6 ;;
    png)     echo libpng-dev libpng16-16 ;;
    zlib)    echo zlib1g-dev zlib1g ;;
    jansson) echo libjansson-dev libjansson4 ;;
    esac
}
# header|library|an expression that uses the library (linked and run by the test)
group_probe() {
    case $1 in
    sqlite)  echo 'sqlite3.h|-lsqlite3|sqlite3_libversion_number() > 0' ;;
    ncurses) echo 'curses.h|-lncursesw|curses_version() != 0' ;;
    png)     echo 'png.h|-lpng|png_access_version_number() > 0' ;;
    zlib)    echo 'zlib.h|-lz|zlibVersion() != 0' ;;
    jansson) echo 'jansson.h|-ljansson|json_integer(1) != 0' ;;
    esac
}
ALL_DEBS="$(for g in $LIB_GROUPS; do group_debs "$g"; done | tr '\n' ' ')make"
MULTIARCH=x86_64-linux-gnu

# ---------------------------------------------------------------------------------------------
# --fetch-debs DIR: here, with apt, before the run.
fetch_debs() {
    local dir=$1
    command -v apt-get >/dev/null || { echo "gpu-check: --fetch-debs needs apt-get" >&2; exit 1; }
    [ "$(id -u)" = 0 ] || echo "gpu-check: not root; apt-get download may fail" >&2
    local arch
    arch=$(dpkg --print-architecture)
    if [ "$arch" != amd64 ]; then
        echo "gpu-check: this machine is $arch; the GPU machine is amd64 (x86-64): fetch them" >&2
        echo "  with apt-get -oAPT::Architecture=amd64 (see /work/.library/device/README.md)" >&2
        exit 1
    fi
    mkdir -p "$dir" || exit 1
    rm -f "$dir"/*.deb
    # shellcheck disable=SC2086  # the package list splits on purpose
    if ! (cd "$dir" && apt-get -o APT::Sandbox::User=root download $ALL_DEBS); then
        echo "gpu-check: apt-get download failed; run apt-get update (as root) and try again" >&2
        exit 1
    fi
    local f
    {
        local os glibc
        os=$(sed -n 's/^PRETTY_NAME=//p' /etc/os-release | tr -d '"')
        glibc=$(ldd --version | head -1 | awk '{print $NF}')
        echo "# .debs for tools/gpu-check.sh, fetched $(date -u +%FT%TZ) on $os"
        echo "# (glibc $glibc): package version architecture"
        for f in "$dir"/*.deb; do
            # shellcheck disable=SC2016  # dpkg's own ${field} syntax
            dpkg-deb -W --showformat='${Package} ${Version} ${Architecture}\n' "$f"
        done
    } >"$dir/MANIFEST"
    cat "$dir/MANIFEST"
    echo "gpu-check: $(find "$dir" -name '*.deb' | wc -l) .debs," \
         "$(du -sh "$dir" | cut -f1) in $dir; now, with the device tool:"
    echo "  run(command=\"bash tools/gpu-check.sh --debs $dir\", carry=[\"$dir\"], timeout_s=450)"
}

# ---------------------------------------------------------------------------------------------
# Options.
MODE=cuda
DEBS=gpu-debs
FORCE_DEBS=0
KEEP=0
STEPS=""
REPS=""
SHAPE=""
while [ $# -gt 0 ]; do
    case $1 in
    --fetch-debs)
        [ $# -ge 2 ] || { echo "gpu-check: --fetch-debs needs a folder" >&2; exit 2; }
        fetch_debs "$2"; exit $? ;;
    --cpu-dry-run) MODE=cpu ;;
    --debs) DEBS=${2:?--debs needs a folder}; shift ;;
    --force-debs) FORCE_DEBS=1 ;;
    --keep) KEEP=1 ;;
    --steps) STEPS=${2:?--steps needs a number}; shift ;;
    --reps) REPS=${2:?--reps needs a number}; shift ;;
    --shape) SHAPE=${2:?--shape needs HIDDEN,DEPTH,HEADS}; shift ;;
    --deadline) DEADLINE=${2:?--deadline needs seconds}; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

if [ "$MODE" = cuda ]; then
    DEVICE=cuda; BUILD_DIR=build-gpu; BIN=fbw-gpu
    STEPS=${STEPS:-20}; REPS=${REPS:-3}; SHAPE=${SHAPE:-1152,28,16}
    SWEEP_REPEAT=3; SWEEP_WARMUP=1; DEADLINE=${DEADLINE:-400}
    PY=python3
else
    DEVICE=cpu; BUILD_DIR=build-gpucheck; BIN=fbw-gpucheck
    STEPS=${STEPS:-20}; REPS=${REPS:-2}; SHAPE=${SHAPE:-384,12,6}
    SWEEP_REPEAT=1; SWEEP_WARMUP=0; DEADLINE=${DEADLINE:-1200}
    PY=python3
    [ -x .venv/bin/python3 ] && PY=.venv/bin/python3
fi
IFS=, read -r XL_HIDDEN XL_DEPTH XL_HEADS <<<"$SHAPE"
for v in "$STEPS" "$REPS" "$XL_HIDDEN" "$XL_DEPTH" "$XL_HEADS" "$DEADLINE"; do
    case $v in ''|*[!0-9]*) echo "gpu-check: not a number: '$v'" >&2; exit 2 ;; esac
done
OUT=${OUT:-$ROOT/$BUILD_DIR-out}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fbw-gpucheck-XXXXXX") || exit 1
mkdir -p "$WORK/traces" "$WORK/latents" "$WORK/logs"
FBW=$ROOT/$BIN
PREFIX=$ROOT/$BUILD_DIR-debroot
JOBS=$(nproc)
CALL_TIMEOUT=180            # seconds for one fbw command at most
SUMMARY=$OUT/summary.txt
LOG=$OUT/log.txt
CMDLOG=$OUT/commands.log
rm -f "$OUT/build.log" "$OUT/sweep-xl.json" "$OUT/traces.tar.gz"     # an earlier run's, here
: >"$SUMMARY"; : >"$LOG"; : >"$CMDLOG"; : >"$OUT/env.txt"
PHASE=start
T0=$SECONDS
# The device label in the figures: "cuda", or "cpu*" where a dry run stands in for it.
DEVLABEL=$DEVICE
[ "$MODE" = cpu ] && DEVLABEL="cpu*"

# ---------------------------------------------------------------------------------------------
# Output: say (stdout + log.txt), sum (that, and summary.txt), phase headers with timestamps.
say() { printf '%s\n' "$*" | tee -a "$LOG"; }
sum() { printf '%s\n' "$*" | tee -a "$LOG" >>"$SUMMARY"; printf '%s\n' "$*"; }
phase() {
    PHASE=$1
    say ""
    say "=== [$(date +%H:%M:%S) +$((SECONDS - T0))s] $PHASE"
}
die() {
    say "gpu-check: FAILED in phase '$PHASE' after $((SECONDS - T0)) s: $*"
    printf 'FAILED in phase %s: %s\n' "$PHASE" "$*" >>"$SUMMARY"
    exit 1
}
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
    local rc=$?
    trap - INT TERM
    # Pack what exists: traces, latents, the per-command logs and the sweep store.
    local what=(traces latents logs)
    [ -f "$WORK/xl.db" ] && what+=(xl.db)
    tar -czf "$OUT/traces.tar.gz" -C "$WORK" "${what[@]}" 2>/dev/null
    if [ "$KEEP" = 1 ]; then
        say "gpu-check: kept $WORK"
    else
        rm -rf "$WORK"
    fi
    if [ "$rc" = 0 ]; then
        local files
        files=$(find "$OUT" -maxdepth 1 -type f -printf '%f\n' | sort | paste -sd' ')
        sum "total $((SECONDS - T0)) s; in $OUT: $files"
        say ""
        say "=== [$(date +%H:%M:%S) +$((SECONDS - T0))s] done; the summary ($SUMMARY):"
    else
        say ""
        say "gpu-check: STOPPED (exit $rc) after $((SECONDS - T0)) s; what it had ($SUMMARY):"
    fi
    cat "$SUMMARY"
}
trap finish EXIT
trap 'die "interrupted"' INT TERM

# time_left MAX: sets LIMIT, the seconds the next command may take: MAX, or less so that the
# whole check ends by its deadline (before the device tool would kill it, unpacked); stops the
# check when under 10 s are left.
time_left() {
    local left=$((DEADLINE - (SECONDS - T0)))
    [ "$left" -ge 10 ] || die "out of time: the check's deadline of $DEADLINE s has passed"
    LIMIT=$1
    [ "$left" -lt "$1" ] && LIMIT=$left
    return 0
}
# How fbw and the probes run: with the private prefix on the library path where one was made
# (the rpath covers fbw itself; this covers libraries that load others from the prefix).
RUNENV=(env)
# fbw NAME ARGS...: runs fbw ARGS under a timeout, its output into logs/NAME.log (and
# commands.log); on failure shows its last lines and stops.
fbw() {
    local name=$1 log="$WORK/logs/$1.log" rc
    shift
    time_left "$CALL_TIMEOUT"
    printf '$ fbw %s\n' "$*" >>"$CMDLOG"
    timeout "$LIMIT" "${RUNENV[@]}" "$FBW" "$@" >"$log" 2>&1
    rc=$?
    cat "$log" >>"$CMDLOG"
    if [ "$rc" != 0 ]; then
        say "--- last lines of fbw $1 ($name):"
        tail -n 20 "$log" | tee -a "$LOG"
        [ "$rc" = 124 ] && die "fbw $1 ($name) timed out after $LIMIT s (deadline $DEADLINE s)"
        die "fbw $1 ($name) failed (exit $rc)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Statistics and formatting, in python3's standard library (json, statistics, sqlite3).
PYHELP=$(cat <<'PY'
import json, math, os, statistics, sys

def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]

def calls(kind, paths):
    """Per-call ms: 'full' = uncached calls but each trace's first (timed apart, as
    fbw bench does); 'hit' = cache-hit calls."""
    v = []
    for p in paths:
        for i, r in enumerate(load(p)):
            if kind == "full" and not r["hit"] and i > 0:
                v.append(r["ms"])
            elif kind == "hit" and r["hit"]:
                v.append(r["ms"])
    return v

def desc(v):
    if not v:
        return "n/a"
    return "%8.3f ms [%.3f .. %.3f], n %d" % (statistics.median(v), min(v), max(v), len(v))

def flops(cfg, B=2):
    # cli/cmd_bench.c bench_flops: multiply-add = 2 FLOPs, batch B (CFG: 2).
    H, P, C = cfg["hidden_size"], cfg["patch_size"], cfg["in_channels"]
    g = cfg["input_size"] / cfg["patch_size"]; T = g * g
    M = float(int(H * cfg.get("mlp_ratio", 4.0)))
    Co = 2 * C if cfg.get("learn_sigma") else C
    embed = 2.0 * B * (T * H * C * P * P + 256 * H + H * H)
    block = 2.0 * B * (6 * H * H + T * (3 * H * H + H * H + 2 * H * M) + 2 * T * T * H)
    final = 2.0 * B * (2 * H * H + T * H * P * P * Co)
    total = embed + cfg["depth"] * block + final
    return embed, block, final, total

def cmd_decisions(a, b):
    ra, rb = load(a), load(b)
    n = min(len(ra), len(rb))
    changed = [i for i in range(n) if ra[i]["hit"] != rb[i]["hit"]]
    d = [abs(ra[i]["rel_l1"] - rb[i]["rel_l1"]) for i in range(n)
         if ra[i]["rel_l1"] is not None and rb[i]["rel_l1"] is not None]
    hits_a = sum(r["hit"] for r in ra); hits_b = sum(r["hit"] for r in rb)
    s = "decisions equal %d/%d, changed %d" % (n - len(changed), n, len(changed))
    if changed:
        s += " (first at call %d)" % changed[0]
    if len(ra) != len(rb):
        s += ", CALL COUNTS DIFFER %d vs %d" % (len(ra), len(rb))
    s += "; hits %d vs %d" % (hits_a, hits_b)
    if d:
        s += "; max |d rel_l1| %.2e" % max(d)
    print(s)

def cmd_xl(cfgjson, dev, reps, traces, dtypes):
    cfg = json.loads(cfgjson)
    e, b, f, total = flops(cfg)
    pred = (e + b + f) / total
    print("  FLOP per full call (batch 2) %.1f GFLOP; predicted hit/full (embed+block0+final)/"
          "total = %.4f" % (total * 1e-9, pred))
    print("  per-call ms from the --trace records (CUDA events on a GPU, the host clock on a CPU),"
          " on %s: %d uncached + %d all-hit generations per dtype, each its own process, each"
          " one's first call left out:" % (dev, reps, reps))
    for dt in dtypes:
        full = calls("full", [os.path.join(traces, "xl-%s-full-%d.jsonl" % (dt, r))
                              for r in range(1, reps + 1)])
        hit = calls("hit", [os.path.join(traces, "xl-%s-hit-%d.jsonl" % (dt, r))
                            for r in range(1, reps + 1)])
        print("  %-5s full call  %s" % (dt, desc(full)))
        print("  %-5s hit call   %s" % (dt, desc(hit)))
        if full and hit:
            mf, mh = statistics.median(full), statistics.median(hit)
            print("  %-5s hit/full %.4f (predicted %.4f, measured/predicted %.2f); full call "
                  "%.1f TFLOP/s" % (dt, mh / mf, pred, mh / mf / pred,
                                    total * 1e-12 / (mf * 1e-3)))

def cmd_sweep(export, db, dtypes):
    with open(export) as fh:
        runs = json.load(fh)["results"]
    ms = {}
    try:
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        for rid, idx, hit, v in con.execute(
                "SELECT run_id, idx, hit, ms FROM call WHERE phase = 'measure'"):
            ms.setdefault(rid, []).append((idx, hit, v))
    except Exception as ex:
        print("  (per-call times from the store unavailable: %s)" % ex)
    runs.sort(key=lambda r: r["kind"] != "reference")
    for dt in dtypes:
        for r in runs:
            if r["parameters"].get("dtype") != dt:
                continue
            peaks = [s["peak_device_bytes"] for s in r.get("samples", [])
                     if s.get("phase") == "measure" and "peak_device_bytes" in s]
            peak = "%.1f MiB" % (max(peaks) / 2**20) if peaks else "n/a (not measured)"
            m = r.get("metrics", {})
            wall = r.get("summaries", {}).get("wall_ms", {}).get("median", math.nan)
            c = ms.get(r["id"], [])
            if r["kind"] == "reference":
                v = [x for i, h, x in c if not h and i > 0]
                what = "uncached  full call %s" % desc(v)
            else:
                v = [x for i, h, x in c if h]
                what = "thr 10    hit call  %s; hit rate %.0f%%, speed-up %.2f" % (
                    desc(v), 100 * m.get("hit_rate", math.nan), m.get("speedup", math.nan))
            print("  %-5s %s; generation %.1f ms; device peak %s" % (dt, what, wall, peak))

cmd = sys.argv[1]
if cmd == "decisions":
    cmd_decisions(sys.argv[2], sys.argv[3])
elif cmd == "xl":
    cmd_xl(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:])
elif cmd == "sweep":
    cmd_sweep(sys.argv[2], sys.argv[3], sys.argv[4:])
elif cmd == "hits":
    r = load(sys.argv[2]); print("%d/%d" % (sum(x["hit"] for x in r), len(r)))
else:
    sys.exit("unknown helper command " + cmd)
PY
)
pyhelp() { python3 -c "$PYHELP" "$@"; }

# ---------------------------------------------------------------------------------------------
phase "machine"
say "gpu-check: mode $MODE (device $DEVICE), steps $STEPS, reps $REPS, XL shape $SHAPE," \
    "$JOBS cores, deadline $DEADLINE s"
say "gpu-check: OUT=$OUT, scratch $WORK"
{
    echo "date: $(date -u +%FT%TZ)"; echo "host: $(uname -a)"
    [ -r /etc/os-release ] && grep PRETTY_NAME /etc/os-release
    echo "glibc: $(ldd --version 2>/dev/null | head -1)"
    echo "cc: $(cc --version 2>/dev/null | head -1)"
    echo "g++: $(g++ --version 2>/dev/null | head -1)"
    echo "make: $(make --version 2>/dev/null | head -1)"
    echo "nvcc: $(nvcc --version 2>/dev/null | tail -1)"
    echo "nproc: $JOBS"; free -g 2>/dev/null | head -2
} >>"$OUT/env.txt"
command -v python3 >/dev/null || die "no python3 on this machine"
GPU_NAME="none (CPU dry run)"
if [ "$MODE" = cuda ]; then
    command -v nvidia-smi >/dev/null \
        || die "no nvidia-smi: is this the GPU machine? (--cpu-dry-run on a CPU)"
    GPU_NAME=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader \
               2>&1 | head -1) || die "nvidia-smi failed: $GPU_NAME"
    q=name,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,utilization.gpu
    { echo; nvidia-smi; echo; nvidia-smi --format=csv --query-gpu="$q"; } >>"$OUT/env.txt" 2>&1
fi
TORCH_INFO=$($PY -c 'import os, torch
c = torch.cuda.is_available()
print(os.path.dirname(torch.__file__))
g = ", %s, capability %d.%d" % ((torch.cuda.get_device_name(0),)
                                 + torch.cuda.get_device_capability(0)) if c else ""
print("torch %s (CUDA %s), cuda available: %s%s" % (torch.__version__, torch.version.cuda, c, g))' \
    2>"$WORK/logs/torch.log") || die "$PY cannot import torch: $(tail -n 5 "$WORK/logs/torch.log")"
TORCH_DIR=$(head -1 <<<"$TORCH_INFO")
TORCH_LINE=$(tail -1 <<<"$TORCH_INFO")
TORCH_DIR=$(cd "$TORCH_DIR" && pwd) || die "no torch directory '$TORCH_DIR'"
GLIBC=$(ldd --version 2>/dev/null | head -1 | awk '{print $NF}')
say "GPU: $GPU_NAME"
say "$TORCH_LINE, at $TORCH_DIR ($PY)"
say "glibc $GLIBC; $(cc --version 2>/dev/null | head -1)"
echo "torch: $TORCH_LINE, at $TORCH_DIR" >>"$OUT/env.txt"
if [ "$MODE" = cuda ]; then
    grep -q "cuda available: True" <<<"$TORCH_LINE" || die "PyTorch here sees no GPU: $TORCH_LINE"
fi
KIND=$(bash tools/torch-check.sh "$TORCH_DIR" 2>&1) || die "torch-check refuses $TORCH_DIR: $KIND"
say "libtorch for the build: $KIND"
if [ "$MODE" = cuda ] && [ "${KIND##* }" != cuda ]; then
    die "the torch at $TORCH_DIR is not a CUDA build ($KIND)"
fi
[ -r models/default.safetensors ] || die "no models/default.safetensors in the working tree"

# ---------------------------------------------------------------------------------------------
phase "build dependencies"
command -v cc >/dev/null || die "no C compiler (cc) on this machine"
command -v g++ >/dev/null || die "no C++ compiler (g++) on this machine"
rm -rf "$PREFIX"
: >"$WORK/logs/deps.log"
EXTRA_CFLAGS=""
EXTRA_LDFLAGS=""
# probe GROUP: compiles, links and runs a use of the library with the current extra flags.
probe() {
    local hdr lib expr src="$WORK/probe-$1.c" exe="$WORK/probe-$1"
    IFS='|' read -r hdr lib expr <<<"$(group_probe "$1")"
    printf '#include <stdio.h>\n#include <%s>\nint main(void) { return !(%s); }\n' \
        "$hdr" "$expr" >"$src"
    echo "--- probe $1: cc $EXTRA_CFLAGS $src $EXTRA_LDFLAGS $lib" >>"$WORK/logs/deps.log"
    # shellcheck disable=SC2086  # the flags split on purpose
    cc $EXTRA_CFLAGS -o "$exe" "$src" $EXTRA_LDFLAGS "$lib" >>"$WORK/logs/deps.log" 2>&1 || return 1
    "${RUNENV[@]}" "$exe" >>"$WORK/logs/deps.log" 2>&1
}
# find_deb PACKAGE: the carried .deb of that package.
find_deb() {
    local f
    for f in "$DEBS/$1"_*_amd64.deb "$DEBS/$1"_*_all.deb; do
        [ -f "$f" ] && { echo "$f"; return 0; }
    done
    return 1
}
extract_deb() {
    if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$1" "$PREFIX"
    else        # no dpkg: the .deb is an ar archive holding data.tar.*
        local d deb
        deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
        d=$(mktemp -d "$WORK/deb-XXXXXX")
        (cd "$d" && ar x "$deb" && tar -xf data.tar.* -C "$PREFIX")
    fi
}
MISSING=""
for g in $LIB_GROUPS; do
    if [ "$FORCE_DEBS" = 1 ]; then
        MISSING="$MISSING $g"
    elif probe "$g"; then
        say "  $g: the system has it"
    else
        say "  $g: missing here (header or library), from the carried .debs"
        MISSING="$MISSING $g"
    fi
done
MAKE_CMD="make"
NEED_MAKE=0
if ! command -v make >/dev/null; then
    say "  make: missing here, from the carried .deb"
    NEED_MAKE=1
fi
if [ -n "$MISSING" ] || [ "$NEED_MAKE" = 1 ]; then
    FETCH_HINT="run 'tools/gpu-check.sh --fetch-debs $DEBS' where apt works, and carry $DEBS"
    [ -d "$DEBS" ] || die "no folder $DEBS with the .debs this machine needs; $FETCH_HINT"
    [ -r "$DEBS/MANIFEST" ] && say "  carried: $(head -1 "$DEBS/MANIFEST" | sed 's/^# //')"
    mkdir -p "$PREFIX"
    pkgs=""
    for g in $MISSING; do pkgs="$pkgs $(group_debs "$g")"; done
    [ "$NEED_MAKE" = 1 ] && pkgs="$pkgs make"
    for p in $pkgs; do
        deb=$(find_deb "$p") || die "no .deb of $p in $DEBS; $FETCH_HINT"
        extract_deb "$deb" >>"$WORK/logs/deps.log" 2>&1 || die "cannot unpack $deb"
        say "  unpacked $(basename "$deb")"
    done
    # Absolute symlinks (libz.so -> /lib/.../libz.so.1.2.13) point into the prefix instead.
    while IFS= read -r link; do
        target=$(readlink "$link")
        case $target in /*) [ -e "$PREFIX$target" ] && ln -sfn "$PREFIX$target" "$link" ;; esac
    done < <(find "$PREFIX" -type l)
    if [ -n "$MISSING" ]; then
        runlib=""
        EXTRA_CFLAGS="-I$PREFIX/usr/include"
        for d in "$PREFIX/usr/lib/$MULTIARCH" "$PREFIX/lib/$MULTIARCH"; do
            EXTRA_LDFLAGS="$EXTRA_LDFLAGS -L$d -Wl,-rpath,$d"
            runlib="${runlib:+$runlib:}$d"
        done
        EXTRA_LDFLAGS=${EXTRA_LDFLAGS# }
        RUNENV=(env "LD_LIBRARY_PATH=$runlib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
        for g in $MISSING; do
            if ! probe "$g"; then
                tail -n 15 "$WORK/logs/deps.log" | tee -a "$LOG"
                die "$g still does not link and run from the carried .debs"
            fi
            say "  $g: links and runs from $PREFIX"
        done
    fi
    if [ "$NEED_MAKE" = 1 ]; then
        MAKE_CMD=$PREFIX/usr/bin/make
        "$MAKE_CMD" --version >/dev/null 2>&1 || die "the carried make does not run here"
    fi
    case $GLIBC in
    2.3[0-5]|2.[0-2]*) say "  warning: glibc $GLIBC here is older than the .debs' (2.36)" ;;
    esac
fi
say "  EXTRA_CFLAGS=$EXTRA_CFLAGS"
say "  EXTRA_LDFLAGS=$EXTRA_LDFLAGS"

# ---------------------------------------------------------------------------------------------
phase "build $BIN ($BUILD_DIR, -j$JOBS)"
tb=$SECONDS
cat "$WORK/logs/deps.log" >"$OUT/build.log"
# make tracks files, not flags: a build made with another torch or other extra flags starts over
# (objects that no flag here touches, the shim's, are kept when only the extra flags changed).
STAMP=$BUILD_DIR/.gpu-check-flags
want=$(printf 'LIBTORCH=%s\nEXTRA_CFLAGS=%s\nEXTRA_LDFLAGS=%s\n' "$TORCH_DIR" "$EXTRA_CFLAGS" \
       "$EXTRA_LDFLAGS")
if [ -d "$BUILD_DIR" ] && [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
    if [ "$(head -1 "$STAMP" 2>/dev/null)" = "LIBTORCH=$TORCH_DIR" ]; then
        say "  the extra flags changed since the last build here: C objects rebuilt"
        find "$BUILD_DIR" -name '*.o' ! -path '*/shim/*' -delete
    else
        say "  $BUILD_DIR was built with other flags or another torch: rebuilt from scratch"
        rm -rf "$BUILD_DIR"
    fi
    rm -f "$BUILD_DIR/libfbw.a" "$FBW"
fi
# run_make [VAR=VALUE...]: make all into build.log, every core, under the deadline
run_make() {
    time_left 300
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL timeout "$LIMIT" "$MAKE_CMD" -j"$JOBS" \
        LIBTORCH="$TORCH_DIR" BUILD="$BUILD_DIR" BIN="$BIN" EXTRA_CFLAGS="$EXTRA_CFLAGS" \
        EXTRA_LDFLAGS="$EXTRA_LDFLAGS" "$@" all >>"$OUT/build.log" 2>&1
}
run_make
rc=$?
# Another compiler can warn where this project's does not, and -Werror makes that fatal: the
# check is about the GPU, so it says so, shows them, and builds once more without -Werror.
WERROR_NOTE=""
if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -q '\[-Werror' "$OUT/build.log"; then
    nwarn=$(grep -c '\[-Werror' "$OUT/build.log")
    say "  the build stopped on $nwarn warning(s) that -Werror made errors, with" \
        "$(cc --version | head -1):"
    grep '\[-Werror' "$OUT/build.log" | head -n 8 | tee -a "$LOG"
    say "  building again without -Werror (WARN='-Wall -Wextra'; all of it in build.log)"
    echo "=== again, without -Werror" >>"$OUT/build.log"
    run_make WARN="-Wall -Wextra"
    rc=$?
    WERROR_NOTE="; BUILT WITHOUT -Werror: $nwarn warning(s) with this compiler, see build.log"
fi
if [ "$rc" != 0 ]; then
    say "--- last lines of $OUT/build.log:"
    tail -n 40 "$OUT/build.log" | tee -a "$LOG"
    [ "$rc" = 124 ] && die "the build timed out after $LIMIT s"
    die "the build failed (exit $rc)"
fi
[ -x "$FBW" ] || die "the build made no $FBW"
# (a build without -Werror marks itself, so that the next one compiles the C files again)
printf '%s\n%s' "$want" "${WERROR_NOTE:+WARN=-Wall -Wextra
}" >"$STAMP"
say "built $BIN in $((SECONDS - tb)) s"
grep -q -- "-DFBW_CUDA=1" "$OUT/build.log" && say "  shim compiled with -DFBW_CUDA=1"
if [ "$MODE" = cuda ]; then
    # a build that was already up to date shows no compile line: ask the binary instead
    ldd "$FBW" | grep -q libtorch_cuda || die "$BIN does not link libtorch_cuda: not a CUDA build"
fi
# A library the loader cannot find: look for it among the wheel's nvidia/*/lib folders (python's
# torch preloads those itself) and put its folder on the library path; fbw's first run decides.
notfound=$("${RUNENV[@]}" ldd "$FBW" | awk '/not found/ {print $1}')
if [ -n "$notfound" ]; then
    say "  warning: ldd finds no $(echo "$notfound" | paste -sd' ')"
    extra=""
    for lib in $notfound; do
        f=$(find "$TORCH_DIR/.." -maxdepth 4 -name "$lib" 2>/dev/null | head -1)
        [ -n "$f" ] && extra="${extra:+$extra:}$(cd "$(dirname "$f")" && pwd)"
    done
    if [ -n "$extra" ]; then
        cur=${RUNENV[1]#LD_LIBRARY_PATH=}
        [ "${#RUNENV[@]}" -gt 1 ] || cur=${LD_LIBRARY_PATH:-}
        RUNENV=(env "LD_LIBRARY_PATH=$extra${cur:+:$cur}")
        say "  added to LD_LIBRARY_PATH for fbw: $extra"
    fi
fi
{ echo; echo "ldd $BIN:"; "${RUNENV[@]}" ldd "$FBW"; } >>"$OUT/env.txt"
if "${RUNENV[@]}" "$FBW" version >"$WORK/logs/version.log" 2>&1; then
    { echo; echo "fbw version:"; cat "$WORK/logs/version.log"; } >>"$OUT/env.txt"
    say "fbw version: $(paste -sd';' "$WORK/logs/version.log")"
fi

mode_text="device cuda"
[ "$MODE" = cpu ] && mode_text="CPU DRY RUN: the cuda arms ran on the CPU, marked cpu*"
sum "fbw GPU check, $(date -u +%FT%TZ), $mode_text"
sum "GPU: $GPU_NAME"
[ "$NEED_MAKE" = 1 ] && MISSING="$MISSING make"
sum "$TORCH_LINE; glibc $GLIBC; build $((SECONDS - tb)) s with -j$JOBS;" \
    "from the carried .debs:${MISSING:- nothing}$WERROR_NOTE"

# ---------------------------------------------------------------------------------------------
phase "default model: CPU f32 against $DEVLABEL f32 and bf16"
DM=models/default.safetensors
DM_THR=0.15         # about half the calls hit at 20 steps: many decisions near the threshold
COMMON=(--steps "$STEPS" --cfg 3 --seed 0 --class 0 --sampler euler --scheduler simple --quiet)
# gen NAME MODEL DEVICE DTYPE THRESHOLD: one generation, its trace and latent kept.
gen() {
    local name=$1 model=$2 dev=$3 dt=$4 thr=$5
    fbw "$name" generate --model "$model" --device "$dev" --dtype "$dt" \
        --residual-diff-threshold "$thr" "${COMMON[@]}" --out "$WORK/$name.png" \
        --trace "$WORK/traces/$name.jsonl" --latent-out "$WORK/latents/$name.safetensors"
    say "  $name: $(tail -n 1 "$WORK/logs/$name.log")"
}
# One discarded generation first, so that the device's first-use costs land on nobody.
fbw dm-warmup generate --model "$DM" --device "$DEVICE" --steps 2 --quiet --out "$WORK/warm.png"
for thr in 0 "$DM_THR"; do
    tag=off; [ "$thr" = 0 ] || tag=fbc
    gen "dm-cpu-f32-$tag" "$DM" cpu f32 "$thr"
    gen "dm-dev-f32-$tag" "$DM" "$DEVICE" f32 "$thr"
    gen "dm-dev-bf16-$tag" "$DM" "$DEVICE" bf16 "$thr"
done
# cmp LABEL A B: fbw compare of two latents
cmp() {
    fbw "cmp-$2-$3" compare "$WORK/latents/$2.safetensors" "$WORK/latents/$3.safetensors"
    sum "  $(printf '%-40s' "$1") $(tail -n 1 "$WORK/logs/cmp-$2-$3.log")"
}
sum ""
sum "default model ($DM), euler/simple, $STEPS steps, cfg 3, seed 0, class 0; fbw compare:"
cmp "uncached: $DEVLABEL f32 vs cpu f32" dm-dev-f32-off dm-cpu-f32-off
cmp "uncached: $DEVLABEL bf16 vs cpu f32" dm-dev-bf16-off dm-cpu-f32-off
cmp "uncached: $DEVLABEL bf16 vs $DEVLABEL f32" dm-dev-bf16-off dm-dev-f32-off
cmp "FBCache $DM_THR: $DEVLABEL f32 vs cpu f32" dm-dev-f32-fbc dm-cpu-f32-fbc
cmp "FBCache $DM_THR: $DEVLABEL bf16 vs cpu f32" dm-dev-bf16-fbc dm-cpu-f32-fbc
for dt in f32 bf16; do
    d=$(pyhelp decisions "$WORK/traces/dm-cpu-f32-fbc.jsonl" \
        "$WORK/traces/dm-dev-$dt-fbc.jsonl") || die "cannot compare the traces: $d"
    sum "  FBCache $DM_THR cache decisions, $DEVLABEL $dt vs cpu f32: $d"
done

# ---------------------------------------------------------------------------------------------
phase "random DiT, hidden,depth,heads $SHAPE (DiT-XL/2: 1152,28,16): init-model"
XL=$WORK/xl.safetensors
fbw xl-init init-model --out "$XL" --hidden-size "$XL_HIDDEN" --depth "$XL_DEPTH" \
    --num-heads "$XL_HEADS" --patch-size 2 --input-size 32 --in-channels 4 --learn-sigma \
    --num-classes 1000 --seed 0
fbw xl-info info "$XL"
XL_CFG=$(sed -n 's/^config: *//p' "$WORK/logs/xl-info.log")
XL_PARAMS=$(awk '$1 == "parameters:" {print $2}' "$WORK/logs/xl-info.log")
[ -n "$XL_CFG" ] || die "fbw info printed no config line"
say "  $(basename "$XL"): $XL_PARAMS parameters, $(du -h "$XL" | cut -f1)"

for dt in bf16 f32; do
    phase "XL model on $DEVLABEL $dt: warm-up, then $REPS x (uncached, all-hit), $STEPS steps"
    gen "xl-$dt-warmup" "$XL" "$DEVICE" "$dt" 0
    for r in $(seq "$REPS"); do
        gen "xl-$dt-full-$r" "$XL" "$DEVICE" "$dt" 0
        gen "xl-$dt-hit-$r" "$XL" "$DEVICE" "$dt" 1e9
        h=$(pyhelp hits "$WORK/traces/xl-$dt-hit-$r.jsonl")
        [ "${h%/*}" = $(( ${h#*/} - 1 )) ] \
            || say "  warning: xl-$dt-hit-$r: $h calls hit, not all but the first"
    done
done
sum ""
XL_NAME="DiT-XL/2-shaped random model"
[ "$SHAPE" = 1152,28,16 ] || XL_NAME="random DiT (NOT DiT-XL/2's shape: --shape $SHAPE)"
sum "$XL_NAME: $XL_PARAMS parameters, hidden $XL_HIDDEN, depth $XL_DEPTH, $XL_HEADS heads," \
    "patch 2, 32x32x4, learn_sigma; euler/simple, $STEPS steps, cfg 3 (batch 2)"
xlt=$(pyhelp xl "$XL_CFG" "$DEVLABEL" "$REPS" "$WORK/traces" bf16 f32) \
    || die "cannot read the XL traces: $xlt"
sum "$xlt"
cmp "XL uncached: $DEVLABEL bf16 vs f32" xl-bf16-full-1 xl-f32-full-1

# ---------------------------------------------------------------------------------------------
phase "XL model through fbw sweep (dtype bf16,f32; device peak memory)"
fbw xl-sweep sweep --x dtype=bf16,f32 --model "$XL" --threshold 10 --steps "$STEPS" --cfg 3 \
    --sampler euler --scheduler simple --repeat "$SWEEP_REPEAT" --warmup "$SWEEP_WARMUP" \
    --device "$DEVICE" --db "$WORK/xl.db" --name gpucheck-xl --quiet
say "  $(tail -n 2 "$WORK/logs/xl-sweep.log" | paste -sd' ')"
fbw xl-export export --db "$WORK/xl.db" --format json --out "$OUT/sweep-xl.json"
swt=$(pyhelp sweep "$OUT/sweep-xl.json" "$WORK/xl.db" bf16 f32) || die "cannot read the sweep: $swt"
sum "  fbw sweep (one process; per cell a first, $SWEEP_WARMUP warm-up and $SWEEP_REPEAT measured" \
    "generations; the cell at threshold 10):"
sum "$swt"
exit 0
