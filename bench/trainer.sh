#!/bin/sh
# bench/trainer.sh: one epoch of the MLP (784-256-128-10) and the default
# CNN with bin/hpod-train and with PyTorch, at 1 and 2 threads, runs
# interleaved. Prints seconds per epoch (training + validation), images/s,
# peak RSS (/usr/bin/time) and hpod/PyTorch ratios. PyTorch runs on the
# OpenMP OpenBLAS, as shared/BENCHMARKS.md requires.
# Usage: bench/trainer.sh [models] [threads], e.g. bench/trainer.sh "mlp" "2"
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
MODELS=${1:-"mlp cnn"}
THREADS=${2:-"1 2"}
TORCH_BLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
N_TRAIN=50000 # images per epoch: 60k minus the 1/6 validation split
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# field NAME FILE: value of "NAME" in the last JSON line of FILE.
field() {
    /usr/bin/python3 -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
print(rows[-1][sys.argv[1]] if sys.argv[1] in rows[-1] else rows[0][sys.argv[1]])' "$1" "$2"
}
rss_mb() { awk '/Maximum resident/ {printf "%.0f", $NF/1024}' "$1"; }

echo "setup: $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "hpod: $(ldd bin/hpod-train | grep -o 'libopenblas[^ ]* => [^ ]*')"
printf "%-4s %3s | %9s %9s %8s | %9s %9s %8s | %6s %6s\n" model thr \
    hpod_s hpod_im/s hpod_MB torch_s torch_im/s torch_MB t_ratio m_ratio
for m in $MODELS; do
    for t in $THREADS; do
        /usr/bin/time -v -o "$tmp/h.time" bin/hpod-train --model "$m" \
            --epochs 1 --seed 1 --threads "$t" >"$tmp/h.out" 2>/dev/null
        OMP_NUM_THREADS=$t LD_LIBRARY_PATH=$TORCH_BLAS /usr/bin/time -v \
            -o "$tmp/t.time" /usr/bin/python3 bench/trainer_torch.py "$m" "$t" \
            >"$tmp/t.out"
        hs=$(field epoch_s "$tmp/h.out")
        ts=$(field epoch_s "$tmp/t.out")
        hm=$(rss_mb "$tmp/h.time")
        tm=$(rss_mb "$tmp/t.time")
        awk -v m="$m" -v t="$t" -v hs="$hs" -v ts="$ts" -v hm="$hm" \
            -v tm="$tm" -v n="$N_TRAIN" 'BEGIN {
            printf "%-4s %3s | %9.2f %9.0f %8d | %9.2f %9.0f %8d | %6.2f %6.2f\n",
                m, t, hs, n / hs, hm, ts, n / ts, tm, hs / ts, hm / tm }'
        echo "     val_accuracy hpod $(field val_accuracy "$tmp/h.out")" \
            "torch $(field val_accuracy "$tmp/t.out");" \
            "torch blas $(field blas "$tmp/t.out")"
    done
done
