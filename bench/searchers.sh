#!/bin/sh
# searchers.sh: build bench/searchers.c against build/libhpod.a with the
# Makefile's flags, run it and bench/searchers_optuna.py on the same
# problems, and print the comparison table (bench/searchers_report.py).
# Usage: bench/searchers.sh [--quick] [--seeds N] [--only "branin timing"]
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
LIB=${HPOD_LIB:-build/libhpod.a}
[ -f "$LIB" ] || make "$LIB"
mkdir -p build/bench
gcc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
    $(pkg-config --cflags jansson openblas) -Iserver \
    bench/searchers.c "$LIB" -o build/bench/searchers \
    $(pkg-config --libs jansson openblas libpq zlib) -lpthread -lm
if ! /usr/bin/python3 -c 'import optuna' 2>/dev/null; then
    echo "searchers.sh: needs Debian's python3-optuna (apt-get install -y python3-optuna)" >&2
    exit 1
fi
out=build/bench/searchers.out
# One side after the other, never both at once: they share 2 cores and
# the timing lines would suffer.
build/bench/searchers "$@" > "$out"
/usr/bin/python3 bench/searchers_optuna.py "$@" >> "$out"
/usr/bin/python3 bench/searchers_report.py < "$out"
