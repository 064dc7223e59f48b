#!/bin/sh
# demo.sh: the main job behind `make demo`. Starts the server (with its
# embedded PostgreSQL) on 127.0.0.1:${HPOD_PORT:-8080}, creates or resumes
# the study in examples/fashion-mnist-mlp.json (TPE + ASHA tuning an MLP on
# Fashion-MNIST), shows progress, then the leaderboard and the best trial's
# test accuracy, and keeps the dashboard up until Ctrl-C.
# SPDX-License-Identifier: MIT
set -eu
cd "$(dirname "$0")/.."
PORT=${HPOD_PORT:-8080}
URL="http://127.0.0.1:$PORT"
SPEC=examples/fashion-mnist-mlp.json
NAME=fashion-mnist-mlp
export HPOD_SERVER="$URL"

mkdir -p var
bin/hpod serve --port "$PORT" >> var/hpod.log 2>&1 &
server=$!
watcher=
stop() {
    [ -n "$watcher" ] && kill "$watcher" 2>/dev/null
    echo
    echo "stopping the server (running trials go back to the queue);"
    echo "run make demo again to continue this study"
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    exit 130
}
trap stop INT TERM

i=0
until curl -fs "$URL/readyz" >/dev/null 2>&1; do
    i=$((i + 1))
    if ! kill -0 "$server" 2>/dev/null || [ "$i" -gt 600 ]; then
        echo "the server did not start; the end of var/hpod.log says:" >&2
        tail -n 20 var/hpod.log >&2
        exit 1
    fi
    sleep 0.1
done
echo "server up at $URL (log: var/hpod.log)"

state() {
    curl -fs "$URL/api/v1/studies/$1" 2>/dev/null |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null ||
        echo missing
}

# A finished study stays for the record; a new run gets the next free name.
n=1
while [ "$(state "$NAME")" = done ]; do
    n=$((n + 1))
    NAME="fashion-mnist-mlp-$n"
done
case "$(state "$NAME")" in
missing)
    sed "s/\"name\": \"fashion-mnist-mlp\"/\"name\": \"$NAME\"/" "$SPEC" | bin/hpod study create -
    ;;
stopped)
    bin/hpod study resume "$NAME"
    ;;
*)
    echo "continuing study $NAME where it stopped"
    ;;
esac
echo "dashboard: $URL/#/study/$NAME"
echo "tuning (TPE + ASHA, 2 trials at a time, about ten minutes; Ctrl-C stops, make demo resumes)"
# In the background so that Ctrl-C runs the trap at once (a shell waits for
# a foreground command before it handles a signal).
bin/hpod study watch "$NAME" &
watcher=$!
wait "$watcher"
watcher=
echo
bin/hpod study leaderboard "$NAME" --limit 25

best=$(curl -fs "$URL/api/v1/studies/$NAME")
params=$(echo "$best" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
p = dict(s["definition"]["trainer"]["fixed"], **s["best"]["params"])
p["seed"] = s["definition"]["searcher"]["seed"] + s["best"]["number"]
print(json.dumps(p))')
epochs=$(echo "$best" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["definition"]["trainer"]["epochs"])')
echo
echo "retraining the best trial's parameters to score it once on the test set..."
acc=$(bin/hpod-train --params "$params" --epochs "$epochs" --threads 1 --test \
    --print test_accuracy 2>/dev/null)
echo "best trial: validation accuracy $(echo "$best" | /usr/bin/python3 -c \
    'import json,sys; print(json.load(sys.stdin)["best"]["values"][0])'), test accuracy $acc"
echo
echo "dashboard: $URL/#/study/$NAME  (Ctrl-C to stop)"
wait "$server"
