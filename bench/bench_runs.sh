#!/bin/sh
# LLM calls and tokens per finished demo run, with and without the response
# cache and early stopping, measured side by side against one simulator;
# and the store's size per 1,000 rollouts.  Prints TSV rows
# "figure<TAB>value<TAB>unit<TAB>aim".
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
SS="$top/$BUILD/skillsmith"
SIM="$top/$BUILD/skillsmith-sim"
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-runs.XXXXXX")
cd "$work" || exit 1
"$SIM" --port 0 --seed 7 >sim.out 2>sim.err &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -rf "$work"' EXIT
i=0
while [ $i -lt 500 ] && ! grep -q listening sim.out; do sleep 0.02; i=$((i + 1)); done
export SKILLSMITH_SIM_URL=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' sim.out | head -n 1)

cp "$top/sample-runs/demo/tasks.jsonl" .
variant() { # NAME SED-EXPRESSION
	sed -e "$2" "$top/sample-runs/demo/config.json" >"$1.json"
	"$SS" run "$1.json" --headless --workspace "ws-$1" >/dev/null 2>&1 || echo "bench: run $1 failed" >&2
}
row() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }
usage() { # WS COLUMN-EXPRESSION
	sqlite3 "$1/store.db" "SELECT $2 FROM llm_calls"
}

variant full 's/"strategy"/"strategy"/'
variant nocache 's/"strategy": {/"cache": false, "strategy": {"early_stop": true, /'
variant noearly 's/"strategy": {/"strategy": {"early_stop": false, /'
# the same config again in the same workspace: a replay served by the cache
cp full.json replay.json
"$SS" run replay.json --headless --workspace ws-full --new >/dev/null 2>&1

for v in full noearly; do
	row "run calls ($v)" "$(usage ws-$v "count(*) FILTER (WHERE run_id = (SELECT min(id) FROM runs))")" calls -
	row "run tokens ($v)" "$(usage ws-$v "sum(prompt_tokens + completion_tokens) FILTER (WHERE run_id = (SELECT min(id) FROM runs) AND status != 'cached')")" tokens -
done
row "run calls (no cache)" "$(usage ws-nocache "count(*)")" calls -
row "run tokens (no cache)" "$(usage ws-nocache "sum(prompt_tokens + completion_tokens)")" tokens -
row "cached calls within one run" "$(usage ws-full "count(*) FILTER (WHERE status = 'cached' AND run_id = (SELECT min(id) FROM runs))")" calls -
second=$(sqlite3 ws-full/store.db "SELECT max(id) FROM runs")
row "replay: calls sent to the provider" "$(usage ws-full "count(*) FILTER (WHERE run_id = '$second' AND status != 'cached')")" calls "<=0"
row "replay: calls served from the cache" "$(usage ws-full "count(*) FILTER (WHERE run_id = '$second' AND status = 'cached')")" calls -
saved=$(sqlite3 ws-full/store.db "SELECT coalesce(sum(rollouts_saved), 0) FROM candidates WHERE run_id = (SELECT min(id) FROM runs)")
row "rollouts saved by early stopping" "$saved" rollouts -
a=$(sqlite3 ws-full/store.db "SELECT count(*) FROM rollouts WHERE run_id = (SELECT min(id) FROM runs)")
b=$(sqlite3 ws-noearly/store.db "SELECT count(*) FROM rollouts")
row "rollouts per run (early stopping on / off)" "$a / $b" rollouts -
sel_a=$(sqlite3 ws-full/store.db "SELECT c.body FROM runs r JOIN candidates c ON c.id = r.selected_candidate WHERE r.id = (SELECT min(id) FROM runs)" | cksum)
sel_b=$(sqlite3 ws-noearly/store.db "SELECT c.body FROM runs r JOIN candidates c ON c.id = r.selected_candidate" | cksum)
[ "$sel_a" = "$sel_b" ] && same=1 || same=0
row "same selected skill with early stopping on and off" "$same" bool ">=1"

# store size per 1,000 rollouts, after a checkpoint, from the no-cache run
sqlite3 ws-nocache/store.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
bytes=$(stat -c %s ws-nocache/store.db)
n=$(sqlite3 ws-nocache/store.db "SELECT count(*) FROM rollouts")
row "store size per 1,000 rollouts" "$(awk -v b="$bytes" -v n="$n" 'BEGIN { printf "%.2f", b / n * 1000 / 1048576 }')" MB -
