#!/bin/sh
# skillsmith demo --headless: starts the simulator itself, runs the demo
# config, prints the report, stops the simulator, exits 0.
. "$SKILLSMITH_TOP/tests/lib.sh"

expect_exit 0 "demo --headless" $SS demo --headless --workspace demo-ws --seed 7
expect_out "skill " "it prints the report"
expect_out "simulat" "it says the agent is simulated"
$SS report --json --workspace demo-ws >rep.json 2>/dev/null
st=$(sqlite3 :memory: "SELECT json_extract(readfile('rep.json'), '\$.status')")
d=$(sqlite3 :memory: "SELECT json_extract(readfile('rep.json'), '\$.test.delta') > 0")
[ "$st" = active ] && [ "$d" = 1 ] && ok "the demo skill is active with a positive held-out delta" ||
	notok "demo: status $st, delta>0 $d"
simexe=$(readlink -f "$SIM")
pids=
for p in /proc/[0-9]*; do
	[ "$(readlink "$p/exe" 2>/dev/null)" = "$simexe" ] &&
		[ "$(readlink "$p/cwd" 2>/dev/null)" = "$(pwd -P)" ] && pids="$pids ${p#/proc/}"
done
[ -z "$pids" ] && ok "the simulator is stopped" || notok "a simulator is still running: $pids"
expect_exit 0 "a second demo in the workspace starts a new run" $SS demo --headless --workspace demo-ws --seed 7
[ "$(sqlite3 demo-ws/store.db "SELECT count(*) FROM runs")" = 2 ] && ok "two demo runs" ||
	notok "runs: $(sqlite3 demo-ws/store.db "SELECT id FROM runs")"
expect_exit 2 "demo rejects a bad seed" $SS demo --headless --seed x
