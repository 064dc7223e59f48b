#!/bin/sh
# run.sh: the test runner behind `make test`. Runs the C unit tests (Check),
# then the integration tests (pytest against a real PostgreSQL and the real
# server), then the browser tests (headless Chromium). Ends with pytest's
# summary line. Argument: unit | integration | browser | all (default).
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
what=${1:-all}
BUILD=${BUILD:-build}
failed=0

if [ "$what" = all ] || [ "$what" = unit ]; then
    echo "== unit tests"
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        case "$t" in *.d|*.o) continue ;; esac
        if ! "$t"; then
            echo "FAILED: $t"
            failed=1
        fi
    done
fi

if [ "$what" = all ] || [ "$what" = browser ]; then
    if [ -f tests/browser/package.json ]; then
        echo "== browser tests"
        (cd tests/browser && npm ci --no-audit --no-fund --silent && node run.mjs) || failed=1
    fi
fi

if [ "$what" = all ] || [ "$what" = integration ]; then
    echo "== integration tests"
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration ${PYTEST_ARGS:-} || failed=1
fi

if [ "$failed" -ne 0 ]; then
    echo "== some suites failed"
    exit 1
fi
