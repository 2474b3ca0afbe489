# The edit strategy (SkillOpt) against the simulator, and approval by hand.
. "$SKILLSMITH_TOP/tests/lib.sh"
. "$SKILLSMITH_TOP/tests/cli/engine.inc"

start_sim --seed 3 || { notok "simulator starts"; exit 1; }

# -- the demo with the edit strategy
expect_exit 0 "demo --strategy edit exits 0" "$SS" demo --headless --strategy edit --workspace ws1
expect_out "step  epoch  lr" "the text report has the per-step table"
"$SS" report --json --workspace ws1 >rep1.json
[ "$(jget rep1.json '$.strategy')" = edit ] && ok "report says strategy edit" || notok "strategy: $(jget rep1.json '$.strategy')"
[ "$(jget rep1.json '$.status')" = active ] && ok "the edited skill passes the gate" || notok "status $(jget rep1.json '$.status')"
d=$(jget rep1.json '$.test.delta')
case "$d" in 0|0.0|-*) notok "test delta $d not positive" ;; *) ok "held-out delta is positive ($d)" ;; esac
nsteps=$(sqlite3 :memory: "SELECT json_array_length(readfile('rep1.json'), '\$.steps')")
[ "$nsteps" = 16 ] && ok "16 steps reported (4 epochs x 4 steps)" || notok "steps reported: $nsteps"
# cosine schedule from 4 down to 1
lrs=$(sqlite3 :memory: "SELECT group_concat(json_extract(value, '\$.learning_rate'), ',') FROM json_each(json_extract(readfile('rep1.json'), '\$.steps'))")
[ "$lrs" = "4,4,4,4,4,4,3,3,2,2,2,1,1,1,1,1" ] && ok "cosine learning-rate schedule" || notok "learning rates $lrs"
applied=$(q ws1 "SELECT count(*) FROM edits WHERE status = 'applied'")
[ "$applied" -gt 0 ] && ok "edits were applied ($applied)" || notok "no edit applied"
over=$(q ws1 "SELECT count(*) FROM (SELECT step, count(*) c FROM edits WHERE status = 'applied' GROUP BY step) s JOIN (SELECT key, value FROM run_state WHERE key LIKE 'edit.stepinfo.%') r ON r.key = 'edit.stepinfo.' || s.step WHERE s.c > json_extract(r.value, '\$.learning_rate')")
[ "$over" = 0 ] && ok "no step applies more edits than its learning rate" || notok "$over steps over the learning rate"
# accepted candidates are commits; the selected one is tagged
acc=$(q ws1 "SELECT count(*) FROM candidates WHERE status IN ('verified','selected')")
commits=$(git -C ws1/skills rev-list --count run/demo-1)
[ "$acc" = "$commits" ] && ok "every accepted candidate is a commit ($commits)" || notok "accepted $acc, commits $commits"
git -C ws1/skills tag -l 'skill/demo-1/*' | grep -q active && ok "selected candidate tagged active" || notok "no active tag"
# the buffer and the meta-skill stay out of SKILL.md
body=$(q ws1 "SELECT c.body FROM runs r JOIN candidates c ON c.id = r.selected_candidate")
case "$body" in *rejected*|*meta*) notok "optimizer state leaked into SKILL.md" ;; *) ok "SKILL.md holds neither buffer nor meta-skill" ;; esac
[ -n "$(q ws1 "SELECT value FROM run_state WHERE key = 'edit.meta'")" ] && ok "the meta-skill notes are kept in the store" || notok "no meta-skill notes"

# -- an optimizer that only proposes harmful edits: every candidate rejected
demo_config h 4 sim-optimizer-harmful
sed -i 's/"kind": "skillgen"/"kind": "edit"/' h/config.json
expect_exit 0 "harmful edit run exits 0" "$SS" run h/config.json --headless --workspace ws2
"$SS" report --json --workspace ws2 >rep2.json
# every kept step strictly improved, and no rejected edit reached the skill
worse=$(q ws2 "SELECT count(*) FROM candidates c JOIN candidates p ON p.id = c.parent_id WHERE (c.status = 'verified' OR (c.status = 'selected' AND (SELECT final_status FROM runs) = 'active')) AND c.net_gain <= p.net_gain")
# with nothing kept, the run is deprecated (the best candidate tried is shown as evidence)
if [ -z "$(q ws2 "SELECT value FROM run_state WHERE key = 'edit.current'")" ]; then
	[ "$(jget rep2.json '$.status')" = deprecated ] && ok "nothing kept: deprecated" || notok "nothing kept but $(jget rep2.json '$.status')"
fi
[ "$worse" = 0 ] && ok "every kept candidate strictly improved on its parent" || notok "$worse kept candidates did not improve"
first_neg=$(q ws2 "SELECT count(*) FROM candidates WHERE parent_id IS NULL AND (status = 'verified' OR (status = 'selected' AND (SELECT final_status FROM runs) = 'active')) AND net_gain <= 0")
[ "$first_neg" = 0 ] && ok "no candidate at or below the baseline was kept" || notok "$first_neg candidates kept at G <= 0"
leak=$(q ws2 "SELECT count(*) FROM edits e, runs r JOIN candidates c ON c.id = r.selected_candidate WHERE r.final_status = 'active' AND e.status = 'rejected' AND e.op = 'append' AND instr(c.body, e.content) > 0 AND NOT EXISTS (SELECT 1 FROM edits a WHERE a.status = 'applied' AND a.content = e.content)")
[ "$leak" = 0 ] && ok "no rejected edit is in the selected skill" || notok "$leak rejected edits reached the skill"
rej=$(q ws2 "SELECT count(*) FROM edits WHERE status = 'rejected' AND reason LIKE 'selection score did not strictly improve%'")
[ "$rej" -gt 0 ] && ok "rejected edits carry the gate's reason ($rej)" || notok "no edit rejected by the gate"
"$SS" report --workspace ws2 >rep2.txt
grep -q "rejected .*selection score did not strictly improve" rep2.txt && ok "text report lists rejected edits with reasons" || notok "text report lacks rejections"
buf=$(q ws2 "SELECT count(*) FROM llm_calls WHERE stage = 'reflect'")
[ "$buf" -gt 0 ] && ok "reflection calls recorded" || notok "no reflection calls"

# -- approval by hand: the run waits for each edit; decisions from another
# process reach it; a restart while waiting waits again
demo_config a 4 sim-optimizer
sed -i -e 's/"kind": "skillgen"/"kind": "edit"/' \
       -e 's/"strategy": {/"approval": {"policy": "edits"}, "strategy": {"edit": {"epochs": 1, "steps_per_epoch": 2}, /' a/config.json
"$SS" run a/config.json --headless --workspace ws3 >run3.out 2>run3.err &
pid=$!
wait_pending() {
	i=0
	while [ $i -lt 300 ]; do
		id=$(q ws3 "SELECT id FROM edits WHERE status = 'pending' ORDER BY id LIMIT 1" 2>/dev/null)
		[ -n "$id" ] && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
if wait_pending $pid; then ok "the run waits with an edit pending"; else notok "no pending edit"; fi
[ "$(q ws3 "SELECT state FROM runs")" = waiting ] && ok "run state is waiting" || notok "state $(q ws3 'SELECT state FROM runs')"
# stop while waiting, restart: it waits again for the same edit
kill -TERM $pid; wait $pid 2>/dev/null
first=$id
"$SS" run a/config.json --headless --workspace ws3 >run4.out 2>run4.err &
pid=$!
wait_pending $pid && [ "$id" = "$first" ] && ok "a restarted run waits again for edit $first" || notok "restart: pending '$id' vs '$first'"
expect_exit 0 "reject from another terminal" "$SS" reject "edit:$id" --reason "too broad" --workspace ws3
# approve everything else as it comes
while kill -0 $pid 2>/dev/null; do
	nid=$(q ws3 "SELECT e.id FROM edits e WHERE e.status = 'pending' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.subject = 'edit' AND d.subject_id = e.id) LIMIT 1" 2>/dev/null)
	[ -n "$nid" ] && "$SS" approve "edit:$nid" --workspace ws3 >/dev/null 2>&1
	sleep 0.1
done
wait $pid
rc=$?
[ $rc = 0 ] && ok "the approved run finishes" || notok "run exit $rc: $(tail -3 run4.err)"
[ "$(q ws3 "SELECT status || ' ' || reason FROM edits WHERE id = $first")" = "rejected rejected by hand: too broad" ] \
	&& ok "the rejected edit records the reason" || notok "edit $first: $(q ws3 "SELECT status, reason FROM edits WHERE id = $first")"
[ "$(q ws3 "SELECT count(*) FROM decisions WHERE applied_at IS NULL")" = 0 ] && ok "every decision was applied" || notok "unapplied decisions"
who=$(q ws3 "SELECT who FROM decisions WHERE subject_id = $first")
[ -n "$who" ] && ok "the decision records who ($who)" || notok "no decider recorded"
if [ "$(git -C ws3/skills rev-list --count run/demo-1 2>/dev/null || echo 0)" -gt 0 ]; then
	git -C ws3/skills log --format=%B run/demo-1 | git interpret-trailers --parse | grep -q '^Skillsmith-Decided-By: ' \
		&& ok "commits of approved edits name who decided" || notok "no Skillsmith-Decided-By trailer"
	git -C ws3/skills log --format=%B run/demo-1 | git interpret-trailers --parse | grep -q '^Skillsmith-Strategy: edit' \
		&& ok "commits carry the edit strategy" || notok "strategy trailer is not edit"
else
	notok "no candidate of the approved run was kept"
fi

# -- approval of SkillGen candidates: the run waits before verifying each
stop_sim
start_sim --seed 3 --request-log sg.jsonl || { notok "simulator restarts"; exit 1; }
demo_config g 3 sim-optimizer
sed -i 's/"strategy"/"approval": {"policy": "candidates"}, "strategy"/' g/config.json
"$SS" run g/config.json --headless --workspace ws4 >run5.out 2>run5.err &
pid=$!
decided=0
while kill -0 $pid 2>/dev/null; do
	cid=$(q ws4 "SELECT c.id FROM candidates c WHERE c.verified_at IS NULL AND c.status = 'generated' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.subject = 'candidate' AND d.subject_id = c.id) LIMIT 1" 2>/dev/null)
	if [ -n "$cid" ] && [ "$(q ws4 'SELECT state FROM runs')" = waiting ]; then
		round=$(q ws4 "SELECT round FROM candidates WHERE id = $cid")
		if [ "$round" = 2 ]; then
			"$SS" reject "candidate:$cid" --reason "rules too long" --workspace ws4 >/dev/null 2>&1
		else
			"$SS" approve "candidate:$cid" --workspace ws4 >/dev/null 2>&1
		fi
		decided=$((decided + 1))
	fi
	sleep 0.1
done
wait $pid
rc=$?
[ $rc = 0 ] && ok "the run with candidate approval finishes" || notok "run exit $rc: $(tail -3 run5.err)"
[ "$decided" = 3 ] && ok "three candidates waited for a decision" || notok "decided $decided candidates"
[ "$(q ws4 "SELECT status FROM candidates WHERE round = 2")" = rejected ] && ok "the rejected candidate is marked" || notok "round 2: $(q ws4 "SELECT status FROM candidates WHERE round = 2")"
[ "$(q ws4 "SELECT count(*) FROM candidates WHERE round = 2 AND verified_at IS NOT NULL")" = 0 ] && ok "the rejected candidate was not verified" || notok "rejected candidate verified"
grep -q "rules too long" sg.jsonl && ok "the next refinement sees the reason" || notok "the reason never reached the optimizer"
"$SS" report --json --workspace ws4 >rep4.json
[ "$(jget rep4.json '$.rounds[1].round')" = 3 ] && ok "the report lists only verified rounds" || notok "rounds: $(jget rep4.json '$.rounds')"

# -- nobody answers: the configured timeout decides
demo_config tmo 4 sim-optimizer
sed -i -e 's/"kind": "skillgen"/"kind": "edit"/' \
       -e 's/"strategy": {/"approval": {"policy": "edits", "timeout_s": 1, "on_timeout": "reject"}, "strategy": {"edit": {"epochs": 1, "steps_per_epoch": 1}, /' tmo/config.json
expect_exit 0 "an unanswered run finishes by its timeout" "$SS" run tmo/config.json --headless --workspace ws5
t=$(q ws5 "SELECT count(*) FROM decisions WHERE who = 'timeout' AND decision = 'reject'")
[ "$t" -gt 0 ] && ok "the timeout rejected $t edits" || notok "no timeout decision"
[ "$(q ws5 "SELECT count(*) FROM edits WHERE status = 'applied'")" = 0 ] && ok "no edit applied without approval" || notok "edits applied after timeout-reject"
