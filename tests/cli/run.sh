#!/bin/sh
# skillsmith run against the simulator: a run that passes the gate with a
# positive held-out delta, idempotence, status and report, a run whose
# optimizer writes only harmful rules (deprecated, delta 0), determinism.
. "$SKILLSMITH_TOP/tests/lib.sh"
. "$TOP/tests/cli/engine.inc"

if ! start_sim --seed 7 --request-log requests.jsonl; then
	notok "the simulator starts"
	exit 1
fi
ok "the simulator starts"

# seed 2: a split on which later rounds stop verification early
demo_config good 3 sim-optimizer
sed -i 's/"seed": *[0-9][0-9]*/"seed": 2/' good/config.json
expect_exit 0 "a run ends" $SS run good/config.json --headless --workspace ws
expect_out "held-out test" "the run prints its report"
$SS report --json --workspace ws >rep.json 2>rep.err
expect_exit 0 "report --json" test -s rep.json
[ "$(jget rep.json '$.status')" = active ] && ok "the demo skill passes the gate" ||
	notok "the demo skill passes the gate: $(cat rep.json)"
delta=$(jget rep.json '$.test.delta')
awk "BEGIN { exit !($delta > 0) }" && ok "the held-out delta is positive ($delta)" ||
	notok "the held-out delta is positive: $delta"
g=$(jget rep.json '$.gate.net_gain')
t=$(jget rep.json '$.gate.threshold')
[ "$g" -ge "$t" ] && ok "G* $g reaches the gate $t" || notok "G* $g reaches the gate $t"
[ "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('rep.json'), '\$.rounds') WHERE json_extract(value, '\$.round') <= 3")" = 3 ] &&
	ok "three rounds are reported" || notok "three rounds are reported: $(jget rep.json '$.rounds')"
sel=$(jget rep.json '$.selected_round')
best=$(sqlite3 :memory: "SELECT json_extract(value, '\$.round') FROM json_each(readfile('rep.json'), '\$.rounds') ORDER BY json_extract(value, '\$.net_gain') DESC, json_extract(value, '\$.round') LIMIT 1")
[ "$sel" = "$best" ] && ok "best-of-K: the first round with the largest G is selected" ||
	notok "best-of-K: selected $sel, best $best"
for k in run strategy status selected_round gate.threshold gate.net_gain rounds[0].m \
	 rounds[0].commit rounds[0].repairs rounds[0].regressions rounds[0].p_value test.n \
	 test.base_acc test.skill_acc test.repairs test.regressions usage.calls \
	 usage.cached_calls usage.prompt_tokens usage.completion_tokens usage.cost \
	 usage.rollouts_saved; do
	v=$(sqlite3 :memory: "SELECT json_type(readfile('rep.json'), '\$.$k')")
	[ -n "$v" ] || { notok "report key $k"; continue; }
done
ok "the report has the documented keys"

# the store holds the pipeline's evidence
n_ind=$(q ws "SELECT count(*) FROM instances WHERE split = 'ind'")
n_ver=$(q ws "SELECT count(*) FROM instances WHERE split = 'ver'")
n_base=$(q ws "SELECT count(*) FROM rollouts WHERE phase = 'base' AND status = 'done'")
[ "$n_base" -eq $((n_ind + n_ver)) ] && ok "baselines on induction and verification" ||
	notok "baselines: $n_base, want $((n_ind + n_ver))"
[ "$(q ws "SELECT count(*) FROM summaries WHERE kind = 'task'")" = 1 ] && ok "a task summary" ||
	notok "a task summary"
[ "$(q ws "SELECT count(*) FROM summaries WHERE kind <> 'task'")" -eq "$n_ind" ] &&
	ok "a summary per induction rollout" || notok "a summary per induction rollout"
nc=$(q ws "SELECT count(*) FROM clusters WHERE kind = 'failure' AND summary IS NOT NULL")
[ "$nc" -ge 1 ] && [ "$nc" -le 8 ] && ok "failure clusters with summaries ($nc)" ||
	notok "failure clusters: $nc"
np=$(q ws "SELECT count(*) FROM pairs WHERE contrast IS NOT NULL")
[ "$np" -ge 1 ] && [ "$np" -le 20 ] && ok "contrastive pairs ($np)" || notok "pairs: $np"
[ "$(q ws "SELECT count(*) FROM pairs p JOIN rollouts f ON f.id = p.failure_rollout
	JOIN rollouts s ON s.id = p.success_rollout JOIN instances fi ON fi.run_id = f.run_id AND fi.id = f.instance_id
	JOIN instances si ON si.run_id = s.run_id AND si.id = s.instance_id WHERE fi.type <> si.type")" = 0 ] &&
	ok "pairs share the task type" || notok "a pair crosses task types"
[ "$(q ws "SELECT count(*) FROM candidates WHERE commit_oid IS NULL")" = 0 ] &&
	[ "$(q ws "SELECT count(*) FROM candidates")" -ge 3 ] &&
	ok "every candidate is a commit" || notok "every candidate is a commit"
# attribution of the active skill: a verdict per rule, the pruned candidate
# (if any) verified as round 4
[ "$(q ws "SELECT json_array_length(value, '\$.rules') >= 2 FROM run_state WHERE key = 'attribution'")" = 1 ] &&
	ok "each rule of the selected skill is attributed" || notok "no attribution"
nrules=$(q ws "SELECT json_array_length(value, '\$.rules') FROM run_state WHERE key = 'attribution'")
[ "$(q ws "SELECT count(*) FROM rollouts WHERE phase = 'attrib' AND status = 'done'")" = $((nrules * n_ver)) ] &&
	ok "leave-one-rule-out rollouts" || notok "no attribution rollouts"
git -C ws/skills tag | grep -q "skill/demo-1/active" && ok "the selected skill is tagged active" ||
	notok "the selected skill is tagged active: $(git -C ws/skills tag)"
[ "$(q ws "SELECT count(*) FROM verdicts v JOIN candidates c ON c.id = v.candidate_id WHERE c.round = 1")" = \
  "$(jget rep.json '$.rounds[0].m')" ] && ok "a verdict per verified instance" || notok "verdicts"

# idempotent: the finished run is summarised, nothing is rolled out again
before=$(wc -l <requests.jsonl)
expect_exit 0 "running the finished config again" $SS run good/config.json --headless --workspace ws
expect_out "is finished" "it says the run is finished"
[ "$(wc -l <requests.jsonl)" -eq "$before" ] && ok "no request is sent again" ||
	notok "requests were sent again"
expect_exit 0 "status --json" $SS status --json --workspace ws
case "$out" in *'"state":'*'"done"'*) ok "status says done" ;; *) notok "status: $out" ;; esac
expect_exit 0 "report --md" $SS report --md --workspace ws
expect_out "## Held-out test" "the Markdown report has the test"
expect_exit 2 "report of an unknown run" $SS report nope-1 --workspace ws

# determinism: the same config and seed in another workspace
expect_exit 0 "a second run with the same seed" $SS run good/config.json --headless --workspace ws2
$SS report --json --workspace ws2 >rep2.json 2>/dev/null
[ "$(report_core rep.json)" = "$(report_core rep2.json)" ] && ok "the same seed gives the same report" ||
	notok "reports differ: $(report_core rep.json) vs $(report_core rep2.json)"
[ "$(q ws "SELECT group_concat(id || split, ',') FROM (SELECT id, split FROM instances ORDER BY id)")" = \
  "$(q ws2 "SELECT group_concat(id || split, ',') FROM (SELECT id, split FROM instances ORDER BY id)")" ] &&
	ok "the same split" || notok "the split differs"
[ "$(q ws "SELECT group_concat(size, ',') FROM (SELECT size FROM clusters ORDER BY kind, idx)")" = \
  "$(q ws2 "SELECT group_concat(size, ',') FROM (SELECT size FROM clusters ORDER BY kind, idx)")" ] &&
	ok "the same clusters" || notok "the clusters differ"

# early stopping changes neither the selected skill nor its status
demo_config full 3 sim-optimizer
sed -i 's/"seed": *[0-9][0-9]*/"seed": 2/' full/config.json
sed -i 's/"kind": *"skillgen"/"kind": "skillgen", "early_stop": false/' full/config.json
expect_exit 0 "a run with early stopping off" $SS run full/config.json --headless --workspace wsf
$SS report --json --workspace wsf >repf.json 2>/dev/null
[ "$(q wsf "SELECT sum(early_stopped) FROM candidates")" = 0 ] && ok "no round stopped early" ||
	notok "a round stopped early with early_stop off"
for k in status selected_round gate.net_gain test.skill_acc test.base_acc; do
	[ "$(jget rep.json "\$.$k")" = "$(jget repf.json "\$.$k")" ] ||
		notok "early stopping changed $k: $(jget rep.json "\$.$k") vs $(jget repf.json "\$.$k")"
done
ok "early stopping selects what full verification selects"
stopped=$(q ws "SELECT count(*) FROM candidates WHERE early_stopped = 1")
[ "$stopped" -ge 1 ] && ok "with early stopping $stopped round(s) stopped early" ||
	notok "no round stopped early: the comparison proves nothing"

# an optimizer that writes only harmful rules: deprecated, delta 0
demo_config harm 2 sim-optimizer-harmful
expect_exit 0 "a run with a harmful optimizer ends (exit 0)" $SS run harm/config.json --headless --workspace wsh
$SS report --json --workspace wsh >reph.json 2>/dev/null
[ "$(jget reph.json '$.status')" = deprecated ] && ok "the harmful skill is deprecated" ||
	notok "the harmful skill is deprecated: $(cat reph.json)"
[ "$(jget reph.json '$.test.delta')" = 0 ] && ok "a deprecated skill reports delta 0" ||
	notok "delta: $(jget reph.json '$.test.delta')"
[ "$(jget reph.json '$.test.skill_acc')" = "$(jget reph.json '$.test.base_acc')" ] &&
	ok "skill accuracy is the baseline's" || notok "skill accuracy differs from the baseline"
[ "$(q wsh "SELECT count(*) FROM rollouts WHERE phase = 'test_skill'")" = 0 ] &&
	ok "the deprecated skill is never rolled out on the test split" || notok "test_skill rollouts exist"
git -C wsh/skills tag | grep -q "deprecated" && ok "tagged deprecated" || notok "tagged deprecated"

# approve / reject record decisions
cid=$(q ws "SELECT id FROM candidates WHERE round = 2")
expect_exit 0 "reject a candidate" $SS reject "candidate:$cid" --reason "too long" --workspace ws
[ "$(q ws "SELECT decision || '|' || reason FROM decisions WHERE subject = 'candidate' AND subject_id = $cid")" = "reject|too long" ] &&
	ok "the rejection is a decision row" || notok "no decision row"
expect_exit 0 "approve by bare id" $SS approve "$cid" --workspace ws
expect_exit 2 "approve an unknown id" $SS approve 99999 --workspace ws
expect_exit 2 "approve a malformed id" $SS approve abc --workspace ws

# bad input: exit 2, nothing created
printf '{"name": "bad", "tasks": "none.jsonl"}\n' >bad.json
expect_exit 2 "a config whose tasks are missing" $SS run bad.json --headless --workspace wsbad
[ ! -e wsbad/store.db ] && ok "bad input creates no store" || notok "bad input created a store"
