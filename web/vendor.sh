#!/bin/sh
# vendor.sh: copy the chart library that package-lock.json pins from
# node_modules/ into web/vendor/, where the server can serve it. Runs
# `npm ci` first when node_modules/ is missing or older than the lockfile.
# web/vendor/ and web/node_modules/ are build outputs and never committed.
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")"
if [ ! -f node_modules/uplot/dist/uPlot.esm.js ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --silent
fi
mkdir -p vendor
cp node_modules/uplot/dist/uPlot.esm.js vendor/uPlot.esm.js
cp node_modules/uplot/dist/uPlot.min.css vendor/uPlot.min.css
cp node_modules/uplot/LICENSE vendor/uPlot.LICENSE
