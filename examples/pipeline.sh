#!/bin/sh
# pipeline.sh: every step an external pipeline takes, with curl only.
# Creates a study, then loops: ask for parameters, "train" (here a formula
# standing in for your training code), report a learning curve, complete.
# Usage: HPOD_SERVER=http://127.0.0.1:8080 examples/pipeline.sh [NAME]
set -eu
S=${HPOD_SERVER:-http://127.0.0.1:8080}
NAME=${1:-pipeline-example}
J='Content-Type: application/json'

# 1. Create the study (409 study_exists if it is already there: fine).
curl -s -X POST "$S/api/v1/studies" -H "$J" -d '{
  "name": "'"$NAME"'",
  "objectives": [{"name": "loss", "goal": "minimize"}],
  "space": {
    "lr": {"type": "float", "low": 0.0001, "high": 1, "log": true},
    "layers": {"type": "int", "low": 1, "high": 4}
  },
  "searcher": {"name": "tpe", "seed": 7},
  "pruner": {"name": "median"},
  "budget": {"max_trials": 8, "parallel": 1},
  "trainer": {"kind": "external"}
}' >/dev/null

while :; do
    # 2. Ask for a trial; an empty list means the budget is spent.
    trial=$(curl -s -X POST "$S/api/v1/studies/$NAME/trials/ask" -H "$J" \
        -d '{"worker": "pipeline-example"}')
    number=$(echo "$trial" | sed -n 's/.*"number":\([0-9]*\).*/\1/p' | head -n 1)
    [ -n "$number" ] || break
    lr=$(echo "$trial" | sed -n 's/.*"lr":\([-0-9.e]*\).*/\1/p')
    layers=$(echo "$trial" | sed -n 's/.*"layers":\([0-9]*\).*/\1/p')

    # 3. Train: report one value per step; stop when the pruner says so.
    loss=0
    for step in 1 2 3; do
        loss=$(awk -v lr="$lr" -v l="$layers" -v s="$step" \
            'BEGIN { d = log(lr) / log(10) + 2.5; print d * d + (l - 2) ^ 2 + 1 / s }')
        verdict=$(curl -s -X POST "$S/api/v1/studies/$NAME/trials/$number/report" -H "$J" \
            -d "{\"step\": $step, \"value\": $loss, \"worker\": \"pipeline-example\"}")
        case "$verdict" in *'"should_stop":true'*) continue 2 ;; esac
    done

    # 4. Complete the trial with its final value.
    curl -s -X POST "$S/api/v1/studies/$NAME/trials/$number/complete" -H "$J" \
        -d "{\"value\": $loss, \"worker\": \"pipeline-example\"}" >/dev/null
    echo "trial $number: lr=$lr layers=$layers loss=$loss"
done

# 5. Read the leaderboard.
curl -s "$S/api/v1/studies/$NAME/leaderboard?limit=3"
echo
