# A whole run with the tools harness: the simulated agent works through the
# example calendar environment (tool calls, observations, rewards).
. "$SKILLSMITH_TOP/tests/lib.sh"

SIM_PID=
stop_sim() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; SIM_PID=; }
trap stop_sim EXIT
trap 'stop_sim; exit 1' INT TERM
"$SIM" --port 0 >sim.out 2>sim.err &
SIM_PID=$!
i=0
while [ $i -lt 200 ] && ! grep -q '^listening on ' sim.out 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
SKILLSMITH_SIM_URL=$(sed -n '1s/^listening on \(http[^ ]*\).*/\1/p' sim.out)
export SKILLSMITH_SIM_URL
check "simulator started" test -n "$SKILLSMITH_SIM_URL"

head -n 30 "$TOP/sample-runs/demo/tasks.jsonl" > tasks.jsonl
cat > config.json <<JSON
{"name": "tools", "tasks": "tasks.jsonl", "seed": 7,
 "grader": {"kind": "exact", "normalize": ["trim", "case"]},
 "providers": {"sim": {"kind": "openai", "base_url": "\${SKILLSMITH_SIM_URL}", "concurrency": 8}},
 "agent": {"provider": "sim", "model": "sim-agent", "harness": "tools",
           "tools": {"env": ["$(dirname "$SS")/examples/calendar_env"], "max_steps": 4, "step_timeout_s": 30}},
 "optimizer": {"provider": "sim", "model": "sim-optimizer"},
 "strategy": {"kind": "skillgen", "rounds": 1}}
JSON
ws=$PWD/ws
q() { sqlite3 "$ws/store.db" "$1"; }

expect_exit 0 "a run with the tools harness finishes" "$SS" run config.json --headless --workspace "$ws"
check "every rollout is done" test "$(q "SELECT count(*) FROM rollouts WHERE status != 'done'")" = 0
nr=$(q "SELECT count(*) FROM rollouts")
check "rollouts of every phase" test "$(q "SELECT count(DISTINCT phase) FROM rollouts")" -ge 3
check "every episode ended properly" test "$(q "SELECT count(*) FROM rollouts WHERE json_extract(trajectory, '\$.end') IN ('done', 'answer', 'step_cap')")" = "$nr"
check "the environment's tools reached the agent" test "$(q "SELECT count(*) FROM rollouts WHERE json_extract(trajectory, '\$.tools[0].function.name') = 'days_between'")" = "$nr"
check "tool observations are in the trajectories" test "$(q "SELECT count(*) FROM rollouts WHERE trajectory LIKE '%\"role\":\"tool\"%'")" -gt 0
check "outcomes follow the environment's reward" test "$(q "SELECT count(*) FROM rollouts WHERE json_extract(trajectory, '\$.reward') IS NOT NULL AND outcome != (json_extract(trajectory, '\$.reward') >= 0.5)")" = 0
check "no environment process is left" test -z "$(ps -eo args | grep "[c]alendar_env" | grep "$(dirname "$SS")")"
