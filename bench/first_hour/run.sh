#!/bin/bash
# Issue 14, item 3: what the T-form / `duelist train` defaults do on little data.
# 1. the demo's 60 comparisons judged by a scripted judge (judge_demo.py) then trained;
# 2. the first 20/60/200/1000 hh pairs trained at the defaults, one at a time;
# 3. each hh model re-calibrated with the held-out rule and scored on 200 unseen hh
#    pairs (rows 1300-1499 of ../shared/data/hh_train.json; none is in any training set).
# Usage: bench/first_hour/run.sh [WORKDIR]   (needs ../shared/data/hh_train.json)
set -e
REPO=$(cd "$(dirname "$0")/../.." && pwd)
DUELIST="$REPO/.venv/bin/duelist"; PY="$REPO/.venv/bin/python"
W=${1:-/tmp/duelist-first-hour}; mkdir -p "$W"; cd "$W"
HH="$REPO/../shared/data/hh_train.json"
"$PY" - "$HH" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for n in (20, 60, 200, 1000):
    json.dump(d[:n], open(f"hh_{n}.json", "w"))
json.dump(d[1300:1500], open("hh_test200.json", "w"))
PY
rm -rf demo && "$DUELIST" demo --no-tui --dir demo
"$PY" "$REPO/bench/first_hour/judge_demo.py" demo/duelist.db "$REPO/assets/demo.jsonl"
(cd demo && "$DUELIST" train --db ./duelist.db 2>&1 | tee train.log)
for n in 20 60 200 1000; do
  mkdir -p hh$n && (cd hh$n && /usr/bin/time -f "wall %e s" "$DUELIST" train \
      --data-path ../hh_$n.json --db ./duelist.db 2>&1 | tee train.log)
done
BENCH_DIR="$W" "$PY" "$REPO/bench/first_hour/eval_heldout.py" hh20 hh60 hh200 hh1000
