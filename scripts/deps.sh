#!/bin/sh
# deps.sh: install the Debian packages hpod needs to build, run and test.
# As root it runs apt-get; otherwise it prints the exact command and stops.
# Set HPOD_DEPS_EXTRA to add packages (bench/run.sh adds the reference tools).
# SPDX-License-Identifier: MIT
set -eu

PKGS="gcc make pkg-config libmicrohttpd-dev libjansson-dev libpq-dev \
libopenblas-dev libcurl4-openssl-dev zlib1g-dev check \
postgresql-15 postgresql-client-15 dataset-fashion-mnist \
python3 python3-pytest python3-requests python3-jsonschema python3-yaml \
python3-psycopg2 python3-optuna curl procps nodejs chromium ${HPOD_DEPS_EXTRA:-}"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# Some machines carry a Node.js build that bundles npm and conflicts with
# Debian's npm package: ask for the package only when the command is absent.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "hpod needs these Debian packages:$missing" >&2
    echo "run: sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || true
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
