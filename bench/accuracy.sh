#!/bin/sh
# bench/accuracy.sh: test accuracy on Fashion-MNIST after 10 epochs (or
# EPOCHS) of hpod-train and of PyTorch with the same model, optimiser
# (Adam 1e-3, batch 128), split (50k/10k) and best-by-validation-loss
# rule, one seed after another, runs interleaved. Prints each seed and
# the medians and their difference in points.
# Usage: bench/accuracy.sh [model] [seeds] [threads], e.g.
#        bench/accuracy.sh mlp "1 2 3" 1;  bench/accuracy.sh cnn "1" 2
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
MODEL=${1:-mlp}
SEEDS=${2:-"1 2 3"}
THREADS=${3:-1}
EPOCHS=${EPOCHS:-10}
TORCH_BLAS=/usr/lib/x86_64-linux-gnu/openblas-openmp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# test_acc FILE: test_accuracy from the last JSON line of FILE.
test_acc() {
    /usr/bin/python3 -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(rows[-1]["test_accuracy"])' "$1"
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "setup: $MODEL, $EPOCHS epochs, threads $THREADS, load $load"
printf "%-6s | %9s %9s\n" seed hpod torch
for s in $SEEDS; do
    bin/hpod-train --model "$MODEL" --epochs "$EPOCHS" --seed "$s" \
        --threads "$THREADS" --test >"$tmp/h.$s" 2>/dev/null
    OMP_NUM_THREADS=$THREADS LD_LIBRARY_PATH=$TORCH_BLAS /usr/bin/python3 \
        bench/trainer_torch.py "$MODEL" "$THREADS" --epochs "$EPOCHS" \
        --seed "$s" --test >"$tmp/t.$s"
    h=$(test_acc "$tmp/h.$s")
    t=$(test_acc "$tmp/t.$s")
    printf "%-6s | %9.4f %9.4f\n" "$s" "$h" "$t"
    echo "$h $t" >>"$tmp/all"
done
# median COLUMN: the median of that column of $tmp/all (odd counts).
median() {
    sort -n -k"$1" "$tmp/all" |
        awk -v c="$1" '{v[NR] = $c} END {print v[int((NR + 1) / 2)]}'
}
median 1 >"$tmp/hm"
median 2 >"$tmp/tm"
awk -v h="$(cat "$tmp/hm")" -v t="$(cat "$tmp/tm")" 'BEGIN {
    printf "%-6s | %9.4f %9.4f | hpod - torch %+.2f points\n",
        "median", h, t, 100 * (h - t) }'
