#!/bin/sh
# api.sh: ask/report/complete throughput and ask latency of hpod against
# Optuna's RDB storage, both on one throwaway PostgreSQL started here, in
# the same run. See bench/api_bench.py for what is measured and how.
# Usage: bench/api.sh [--clients N] [--seconds S] [--rounds R] [--stored N]
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
[ -x bin/hpod ] || make bin/hpod
LIB=build/libhpod.a
[ -f "$LIB" ] || make "$LIB"
mkdir -p build/bench
gcc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
    $(pkg-config --cflags jansson libcurl) -Iserver \
    bench/api_client.c "$LIB" -o build/bench/api_client \
    $(pkg-config --libs jansson libcurl) -lpthread -lm
if ! /usr/bin/python3 -c 'import optuna, sqlalchemy, psycopg2' 2>/dev/null; then
    echo "api.sh: needs python3-optuna python3-sqlalchemy python3-psycopg2 (apt-get)" >&2
    exit 1
fi
exec /usr/bin/python3 bench/api_bench.py "$@"
