# An approval made in `skillsmith watch` (keys scripted: open the Edits view,
# approve, confirm) reaches the engine of a run executing in another
# process, which applies it and goes on.
. "$SKILLSMITH_TOP/tests/lib.sh"
. "$SKILLSMITH_TOP/tests/cli/engine.inc"

start_sim --seed 3 || { notok "simulator starts"; exit 1; }
demo_config cfg 4 sim-optimizer
sed -i -e 's/"kind": "skillgen"/"kind": "edit"/' \
       -e 's/"strategy": {/"approval": {"policy": "edits"}, "strategy": {"edit": {"epochs": 1, "steps_per_epoch": 1}, /' cfg/config.json
"$SS" run cfg/config.json --headless --workspace ws >run.out 2>run.err &
pid=$!
id=
i=0
while [ $i -lt 300 ] && [ -z "$id" ] && kill -0 $pid 2>/dev/null; do
	id=$(q ws "SELECT id FROM edits WHERE status = 'pending'" 2>/dev/null)
	sleep 0.1
	i=$((i + 1))
done
[ -n "$id" ] && ok "the engine waits on edit $id" || notok "no pending edit"

printf ':view edits\na\ny\n' >keys
USER=reviewer SKILLSMITH_UI_SCRIPT=$PWD/keys SKILLSMITH_UI_DUMP=$PWD/screen TERM=xterm-256color \
	"$SS" watch --workspace ws >raw 2>err
rc=$?
[ $rc = 0 ] && ok "watch plays the keys and quits" || notok "watch exit $rc: $(cat err)"
grep -q "approved edit $id: sent to the engine" screen && ok "the dashboard confirms the decision" \
	|| notok "screen: $(tail -2 screen)"
[ "$(q ws "SELECT who || ' ' || decision FROM decisions WHERE subject = 'edit' AND subject_id = $id")" = "reviewer approve" ] \
	&& ok "the decision row names who approved" || notok "decision: $(q ws 'SELECT * FROM decisions')"

# the engine applies it: the edit is approved and the decision marked applied
i=0
while [ $i -lt 100 ]; do
	st=$(q ws "SELECT status FROM edits WHERE id = $id")
	[ "$st" != pending ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "$st" = approved ] || [ "$st" = applied ] && ok "the engine applied the approval (edit $id $st)" || notok "edit $id is $st"
[ -n "$(q ws "SELECT applied_at FROM decisions WHERE subject_id = $id")" ] && ok "the decision is marked applied" \
	|| notok "decision not applied"

# reject the rest from the command line so the run can finish
while kill -0 $pid 2>/dev/null; do
	nid=$(q ws "SELECT e.id FROM edits e WHERE e.status = 'pending' AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.subject = 'edit' AND d.subject_id = e.id) LIMIT 1" 2>/dev/null)
	[ -n "$nid" ] && "$SS" reject "edit:$nid" --reason "not now" --workspace ws >/dev/null 2>&1
	sleep 0.1
done
wait $pid
[ $? = 0 ] && ok "the run finishes" || notok "run failed: $(tail -3 run.err)"
