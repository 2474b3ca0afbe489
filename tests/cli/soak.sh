# Fault soak: the simulator fails 20 % of requests, mixing every fault kind
# (429 with Retry-After, 500, 529, timeouts, malformed JSON, truncated
# bodies).  The run completes with the same selected skill as a fault-free
# run, and every failure is in the store with its retry history.
. "$SKILLSMITH_TOP/tests/lib.sh"
. "$SKILLSMITH_TOP/tests/cli/engine.inc"

demo_config cfg 3 sim-optimizer
# short timeouts so the hanging requests cost seconds, not minutes; no
# response cache so every call really goes over the wire
sed -i -e 's/"concurrency": 32/"concurrency": 32, "timeout_s": 2, "backoff_base_ms": 50, "backoff_max_ms": 2000, "max_retries": 8/' \
       -e 's/"strategy"/"cache": false, "strategy"/' cfg/config.json

start_sim --seed 5 || { notok "simulator starts"; exit 1; }
expect_exit 0 "a fault-free run" "$SS" run cfg/config.json --headless --workspace clean
"$SS" report --json --workspace clean >clean.json
stop_sim

start_sim --seed 5 --fault-rate 0.2 --faults 429,500,529,timeout,malformed,truncated \
	--hang-ms 4000 --retry-after 1 --request-log faults.jsonl || { notok "faulty simulator starts"; exit 1; }
expect_exit 0 "the run completes under a 20 % fault rate" "$SS" run cfg/config.json --headless --workspace soak
"$SS" report --json --workspace soak >soak.json
stop_sim

same() {
	a=$(jget clean.json "$1"); b=$(jget soak.json "$1")
	[ "$a" = "$b" ] && ok "$2: $b" || notok "$2 differs: $a vs $b"
}
same '$.selected_round' "same selected round"
same '$.status' "same status"
same '$.gate.net_gain' "same net gain"
same '$.test.delta' "same held-out delta"
a=$(sqlite3 clean/store.db "SELECT body FROM candidates c JOIN runs r ON r.selected_candidate = c.id")
b=$(sqlite3 soak/store.db "SELECT body FROM candidates c JOIN runs r ON r.selected_candidate = c.id")
[ "$a" = "$b" ] && ok "the selected SKILL.md is identical" || notok "the selected skills differ"

faults=$(grep '"fault":"' faults.jsonl | grep -vc '"fault":"none"')
echo "# faults injected: $faults"
[ "$faults" -gt 20 ] && ok "faults were injected ($faults)" || notok "only $faults faults injected"
for kind in 429 500 529 timeout malformed truncated; do
	grep -q "\"fault\":\"$kind\"" faults.jsonl && ok "fault kind $kind seen" || notok "fault kind $kind never drawn"
done
attempts=$(sqlite3 soak/store.db "SELECT count(*) FROM llm_attempts")
[ "$attempts" -ge "$faults" ] && ok "every injected failure has a retry row ($attempts >= $faults)" \
	|| notok "retry history: $attempts rows for $faults faults"
for st in 429 500 529; do
	cnt=$(sqlite3 soak/store.db "SELECT count(*) FROM llm_attempts WHERE http_status = $st")
	[ "$cnt" -gt 0 ] && ok "HTTP $st attempts recorded ($cnt)" || notok "no HTTP $st attempt recorded"
done
cnt=$(sqlite3 soak/store.db "SELECT count(*) FROM llm_attempts WHERE error IS NOT NULL AND error != ''")
[ "$cnt" -gt 0 ] && ok "attempt errors carry a message ($cnt)" || notok "attempt errors have no message"
multi=$(sqlite3 soak/store.db "SELECT count(*) FROM llm_calls WHERE attempts > 1 AND status = 'ok'")
[ "$multi" -gt 0 ] && ok "calls that succeeded after retries: $multi" || notok "no call needed a retry"
[ "$(sqlite3 soak/store.db 'PRAGMA integrity_check')" = ok ] && ok "store intact" || notok "store damaged"
