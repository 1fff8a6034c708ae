#!/usr/bin/env bash
# Measures a trained model for its card: loss curve (gnuplot PNG), a sample grid of every
# class, the held-out loss table and the FBCache figures (hit rate and PSNR against the
# uncached image).  Prints Markdown; writes the PNGs into OUTDIR.
#
#   tools/model-card.sh MODEL LOSS.csv OUTDIR
set -eu
FBW="${FBW:-./fbw}"
model=$1 log=$2 outdir=$3
mkdir -p "$outdir"
work=$(mktemp -d /tmp/fbw-card-XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v gnuplot >/dev/null || { echo "model-card: gnuplot is missing (apt-get install gnuplot-nox)" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 800,450 font ",10"
set output "$outdir/loss.png"
set datafile separator ","
set key off
set title "training loss (mean over 10 steps)" noenhanced
set xlabel "step"
set ylabel "flow-matching loss"
set logscale y
set grid
plot "$log" every ::1 using 1:2 with lines lw 1.5
GP
echo "wrote $outdir/loss.png" >&2

"$FBW" samples --model "$model" --count 8 --steps 30 --cfg 3 --out "$outdir/samples.png" >&2

echo "### Held-out loss per noise level"
echo
"$FBW" evaluate "$model"
echo
echo "### First Block Cache on this model"
echo
echo "30 steps, cfg 3, class 0..11 summed (one image per class, seed 42); hit rate per model call;"
echo "PSNR of each cached image against the uncached one of the same seed, averaged over classes."
echo
echo "| sampler | scheduler | threshold | hit rate | PSNR (dB) |"
echo "|---|---|---|---|---|"
classes=$("$FBW" dataset --list | wc -l)
for smp in euler euler_ancestral; do
    for sch in simple karras; do
        for k in $(seq 0 $((classes - 1))); do
            "$FBW" generate --model "$model" --class "$k" --seed 42 --steps 30 --cfg 3 --sampler $smp \
                --scheduler $sch --out "$work/ref.png" --latent-out "$work/ref-$k.safetensors" --quiet >/dev/null
        done
        for thr in 0.05 0.1 0.2 0.3; do
            calls=0 hits=0 psnr=0
            for k in $(seq 0 $((classes - 1))); do
                line=$("$FBW" generate --model "$model" --class "$k" --seed 42 --steps 30 --cfg 3 \
                    --sampler $smp --scheduler $sch --threshold $thr --out "$work/c.png" \
                    --latent-out "$work/c.safetensors" --quiet)
                c=$(echo "$line" | sed -E 's/.*model calls ([0-9]+).*/\1/')
                h=$(echo "$line" | sed -E 's/.*hits ([0-9]+),.*/\1/')
                p=$("$FBW" compare "$work/ref-$k.safetensors" "$work/c.safetensors" | sed -E 's/psnr ([0-9.]+|[+]inf) dB.*/\1/')
                calls=$((calls + c)); hits=$((hits + h)); psnr=$(echo "$psnr + $p" | awk '{print $1 + $3}')
            done
            awk -v s=$smp -v c=$sch -v t=$thr -v h=$hits -v n=$calls -v p=$psnr -v k=$classes \
                'BEGIN { printf "| %s | %s | %s | %.1f%% | %.2f |\n", s, c, t, 100 * h / n, p / k }'
        done
    done
done
