#!/bin/sh
# kill -9 at seeded points, resume: no finished rollout is repeated (the
# simulator's request log), none is missing, and the report is the one of
# an uninterrupted run.  A budget cap stops cleanly (exit 3) and the run
# resumes with a higher cap.  SIGTERM stops cleanly too.
. "$SKILLSMITH_TOP/tests/lib.sh"
. "$TOP/tests/cli/engine.inc"

if ! start_sim --seed 11 --latency-ms 4 --request-log requests.jsonl; then
	notok "the simulator starts"
	exit 1
fi
ok "the simulator starts"
demo_config cfg 3 sim-optimizer
# no response cache: a finished rollout must be skipped by the engine
# itself, not merely served from the cache
sed -i 's/"strategy"/"cache": false, "strategy"/' cfg/config.json

# the reference: an uninterrupted run
expect_exit 0 "an uninterrupted run" $SS run cfg/config.json --headless --workspace ref
$SS report --json --workspace ref >ref.json 2>/dev/null
# progress: rows the engine writes as work finishes (rollouts, summaries,
# cluster summaries, candidates, analyses, feedback)
progress="SELECT (SELECT count(*) FROM rollouts) + (SELECT count(*) FROM summaries) +
  (SELECT count(*) FROM clusters WHERE summary IS NOT NULL) + (SELECT count(*) FROM candidates) +
  (SELECT count(*) FROM verdicts WHERE analysis IS NOT NULL) + (SELECT count(*) FROM feedback)"
total=$(q ref "$progress")
[ "$total" -gt 50 ] && ok "the reference run did $total units of work" || notok "reference work: $total"

# kill points: seeded fractions of the reference's calls
set -- $(awk -v n="$total" 'BEGIN { srand(20261203); a = int(n * (0.1 + 0.35 * rand())); b = int(n * (0.5 + 0.25 * rand())); print a, b }')
start=$(wc -l <requests.jsonl)
kills=0
for point in "$@"; do
	$SS run cfg/config.json --headless --workspace ws >/dev/null 2>run.err &
	pid=$!
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 3000 ]; do
		c=$(q ws "$progress" 2>/dev/null || echo 0)
		[ "${c:-0}" -ge "$point" ] && break
		sleep 0.01
		i=$((i + 1))
	done
	if kill -9 $pid 2>/dev/null; then
		kills=$((kills + 1))
	else
		echo "# the run ended before reaching $point units (at ${c:-?})"
	fi
	wait $pid 2>/dev/null
	# a copy of the store as it was when it died, and the log position
	cp ws/store.db snap.$kills.db
	[ -f ws/store.db-wal ] && cp ws/store.db-wal snap.$kills.db-wal
	wc -l <requests.jsonl >lines.$kills
done
[ "$kills" -eq 2 ] && ok "killed -9 twice mid-run" || notok "killed $kills times"
expect_exit 0 "the resumed run ends" $SS run cfg/config.json --headless --workspace ws
if [ "$(sqlite3 snap.$kills.db "SELECT state FROM runs")" = done ]; then
	expect_out "is finished" "the last kill came after the end: it says so"
else
	expect_out "resuming" "it resumes the same run"
fi
[ "$(q ws "SELECT count(*) FROM runs")" = 1 ] && ok "one run in the workspace" ||
	notok "runs: $(q ws "SELECT id FROM runs")"
$SS report --json --workspace ws >res.json 2>/dev/null
[ "$(report_core ref.json)" = "$(report_core res.json)" ] &&
	ok "the resumed report equals the uninterrupted one" ||
	notok "reports differ: $(report_core ref.json) vs $(report_core res.json)"

# none missing, none twice
for p in base test_base; do
	a=$(q ref "SELECT count(*) FROM rollouts WHERE phase = '$p' AND status = 'done'")
	b=$(q ws "SELECT count(*) FROM rollouts WHERE phase = '$p' AND status = 'done'")
	[ "$a" = "$b" ] && ok "$p rollouts: $b, none missing" || notok "$p rollouts: $b, want $a"
done
a=$(q ref "SELECT group_concat(round || ':' || m, ',') FROM (SELECT round, m FROM candidates ORDER BY round)")
b=$(q ws "SELECT group_concat(round || ':' || m, ',') FROM (SELECT round, m FROM candidates ORDER BY round)")
[ "$a" = "$b" ] && ok "every round verified on the same instances" || notok "rounds: $b, want $a"

# the request log: no agent request after a kill repeats a rollout that was
# finished at that kill.  A rollout is its instance and its system prompt
# (the skill, or none; the trajectory keeps it); several rollouts may share
# both (rounds that write the same skill), so a request counts as a repeat
# only when every rollout with its instance and system prompt had finished.
sed -n "$((start + 1)),\$p" requests.jsonl | sed -e '1s/^/[/' -e '$!s/$/,/' -e '$s/$/]/' >log.json
n_rep=0
k=1
while [ $k -le "$kills" ]; do
	from=$(($(cat lines.$k) - start))
	r=$(sqlite3 snap.$k.db "
	  ATTACH 'ws/store.db' AS fin;
	  CREATE TEMP TABLE req AS SELECT json_extract(value, '\$.instance') AS inst,
	         json_extract(value, '\$.body.messages[0].content') AS sys
	    FROM json_each(readfile('log.json'))
	    WHERE json_extract(value, '\$.role') = 'agent' AND key >= $from;
	  CREATE TEMP TABLE f AS SELECT id, instance_id AS inst,
	         json_extract(trajectory, '\$.messages[0].content') AS sys,
	         (instance_id, phase, candidate_id) IN (SELECT instance_id, phase, candidate_id
	           FROM main.rollouts WHERE status = 'done') AS was_done
	    FROM fin.rollouts WHERE status = 'done';
	  SELECT count(*) FROM req
	  WHERE EXISTS (SELECT 1 FROM f WHERE f.inst = req.inst AND f.sys = req.sys)
	    AND NOT EXISTS (SELECT 1 FROM f WHERE f.inst = req.inst AND f.sys = req.sys AND NOT f.was_done);")
	n_rep=$((n_rep + ${r:-0}))
	k=$((k + 1))
done
[ "$n_rep" -eq 0 ] && ok "no finished rollout was sent again after a kill" ||
	notok "$n_rep finished rollouts were sent again"
fin1=$(sqlite3 snap.1.db "SELECT count(*) FROM rollouts WHERE status = 'done'")
[ "$fin1" -gt 0 ] && ok "the first kill left $fin1 finished rollouts to reuse" ||
	notok "the first kill came before any rollout finished"

# a budget cap stops cleanly and the run resumes with a higher cap
demo_config capped 2 sim-optimizer
sed -i 's/"strategy"/"budget": {"max_tokens": 20000}, "strategy"/' capped/config.json
expect_exit 3 "a budget cap stops the run (exit 3)" $SS run capped/config.json --headless --workspace wsb
expect_out "budget" "the message names the budget"
[ "$(q wsb "SELECT state FROM runs")" = stopped ] && ok "the run is stopped" ||
	notok "state: $(q wsb "SELECT state FROM runs")"
sed -i 's/"max_tokens": 20000/"max_tokens": 100000000/' capped/config.json
expect_exit 0 "a higher cap resumes it" $SS run capped/config.json --headless --workspace wsb
[ "$(q wsb "SELECT count(*) || state FROM runs")" = 1done ] && ok "the same run finished" ||
	notok "runs: $(q wsb "SELECT id, state FROM runs")"

# SIGTERM: a clean stop, resumable
$SS run cfg/config.json --headless --workspace wst >/dev/null 2>term.err &
pid=$!
i=0
while [ $i -lt 3000 ]; do
	c=$(q wst "SELECT count(*) FROM llm_calls" 2>/dev/null || echo 0)
	[ "${c:-0}" -ge 30 ] && break
	sleep 0.01
	i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
[ "$rc" -ne 0 ] && [ "$(q wst "SELECT state FROM runs")" = stopped ] && ok "SIGTERM stops cleanly (exit $rc)" ||
	notok "SIGTERM: exit $rc, state $(q wst "SELECT state FROM runs")"
expect_exit 0 "and the run resumes" $SS run cfg/config.json --headless --workspace wst
