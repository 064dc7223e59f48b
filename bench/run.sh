#!/bin/sh
# run.sh: every benchmark behind `make bench`, each printing its setup, the
# raw figures of both sides and the ratio. They take about an hour in all
# on two cores; run one alone with bench/<name>.sh. Installs the reference
# tools (PyTorch, Optuna) from Debian first.
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
HPOD_DEPS_EXTRA="python3-torch python3-optuna python3-sqlalchemy libopenblas0-openmp" \
    scripts/deps.sh
uptime
for b in trainer api searchers dashboard; do
    echo "== bench/$b.sh"
    "bench/$b.sh"
done
