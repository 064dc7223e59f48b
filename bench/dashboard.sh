#!/bin/sh
# dashboard.sh: time to the first leaderboard and the first learning-curve
# chart of a 10,000-trial, 20-step study in headless Chromium (see
# dashboard.mjs). Needs bin/hpod and web/vendor/ (`make all`) and installs
# the browser tests' npm packages when missing. N_TRIALS, N_STEPS and RUNS
# override the defaults.
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
exec node bench/dashboard.mjs
