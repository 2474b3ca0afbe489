# skillsmith import: shapes, field maps, bad input (file:line:field, exit 2,
# nothing written), one run per import.
. "$SKILLSMITH_TOP/tests/lib.sh"

ws=$PWD/ws
q() { sqlite3 "$ws/store.db" "$1"; }

cat > traj.jsonl <<'JSON'
{"instance_id":"d-1","input":"What date is 3 days after 2024-02-27?","messages":[{"role":"user","content":"What date is 3 days after 2024-02-27?"},{"role":"assistant","content":"2024-03-01"}],"output":"2024-03-01","outcome":1,"score":1,"tokens":{"prompt":12,"completion":5},"latency_ms":300,"error":null,"type":"date"}
{"instance_id":"d-2","input":"What date is 1 day after 2023-02-28?","messages":[],"output":"2023-02-29","outcome":0,"type":"date"}
JSON

expect_exit 0 "import of the trajectory shape" "$SS" import traj.jsonl --workspace "$ws"
expect_out "import-1" "prints the run id"
check "store has the run" test "$(q "SELECT strategy || ' ' || state FROM runs WHERE id = 'import-1'")" = "import imported"
check "two instances in split import" test "$(q "SELECT count(*) FROM instances WHERE run_id = 'import-1' AND split = 'import'")" = 2
check "rollouts are done imports" test "$(q "SELECT group_concat(outcome) FROM (SELECT outcome FROM rollouts WHERE run_id = 'import-1' AND phase = 'import' AND status = 'done' ORDER BY instance_id)")" = "1,0"
check "tokens kept" test "$(q "SELECT prompt_tokens + completion_tokens FROM rollouts WHERE instance_id = 'd-1'")" = 17
check "config snapshot stored" test "$(q "SELECT json_valid(config_json) FROM runs WHERE id = 'import-1'")" = 1

# a foreign shape through field maps, as a JSON array
cat > foreign.json <<'JSON'
[
  {"meta": {"id": "x1"}, "task": {"prompt": "2+2?"}, "reward": 0.8, "traj": [{"role": "assistant", "content": "4"}]},
  {"meta": {"id": "x2"}, "task": {"prompt": "3+3?"}, "reward": 0.1, "traj": [{"role": "assistant", "content": "5"}]}
]
JSON
expect_exit 0 "import with field maps" "$SS" import foreign.json --workspace "$ws" --name ext \
	--map outcome=reward --map messages=traj --map input=task.prompt --map instance_id=meta.id --threshold 0.5
expect_out "ext-1" "named run"
check "outcome from the score" test "$(q "SELECT group_concat(instance_id || '=' || outcome) FROM rollouts WHERE run_id = 'ext-1'")" = "x1=1,x2=0"
check "output from the last assistant message" test "$(q "SELECT output FROM rollouts WHERE run_id = 'ext-1' AND instance_id = 'x2'")" = 5

# bad input: named file, line and field; exit 2; nothing written
runs_before=$(q "SELECT count(*) FROM runs")
rows_before=$(q "SELECT count(*) FROM rollouts")
cat > bad.jsonl <<'JSON'
{"input":"a","reward":1}
{"input":"b","reward":1}
{"input":"c","reward":"high"}
JSON
expect_exit 2 "a bad record is bad input" "$SS" import bad.jsonl --workspace "$ws" --map outcome=reward
expect_out "bad.jsonl:3: field 'outcome' (path 'reward')" "error names file, line and field"
check "no run written" test "$(q "SELECT count(*) FROM runs")" = "$runs_before"
check "no rollout written" test "$(q "SELECT count(*) FROM rollouts")" = "$rows_before"

printf '{"input":"a","outcome":1}\n{"input": oops}\n' > broken.jsonl
expect_exit 2 "broken JSON is bad input" "$SS" import broken.jsonl --workspace "$ws"
expect_out "broken.jsonl:2: not valid JSON" "names the broken line"

expect_exit 2 "unknown map field" "$SS" import traj.jsonl --workspace "$ws" --map rewardx=r
expect_out "unknown field 'rewardx'" "names the field"
expect_exit 2 "missing file" "$SS" import nope.jsonl --workspace "$ws"
expect_out "nope.jsonl" "names the missing file"
expect_exit 2 "no file" "$SS" import --workspace "$ws"

# nothing at all is created for a bad file in a fresh workspace
expect_exit 2 "bad file, fresh workspace" "$SS" import bad.jsonl --workspace "$PWD/fresh" --map outcome=reward
check "fresh workspace not created" test ! -e "$PWD/fresh"

# a second import gets the next id
expect_exit 0 "second import" "$SS" import traj.jsonl --workspace "$ws"
expect_out "import-2" "next run id"

# report and status read an imported run from the store alone
rm -rf wsr
"$SS" import "$TOP/tests/data/catalogue/traj-good.jsonl" --workspace wsr >/dev/null 2>&1
expect_exit 0 "report on an imported run exits 0" "$SS" report --workspace wsr
expect_out "no skill selected yet" "report says no skill is selected yet"
case "$out" in *nan*) notok "report prints nan: $out" ;; *) ok "report prints no nan" ;; esac
expect_exit 0 "status on an imported run exits 0" "$SS" status --workspace wsr
expect_out "rollouts: import 2" "status counts the imported rollouts"
expect_exit 2 "report on a missing workspace is bad input" "$SS" report --workspace nowhere
expect_out "no skillsmith workspace at 'nowhere'" "the missing workspace is named"
