# skillsmith induce on imported trajectories, offline with the local
# embedding, the optimizer played by the simulator.
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

cp "$TOP/sample-runs/demo/tasks.jsonl" .
cp "$TOP/sample-runs/demo/config.json" .
ws=$PWD/ws
q() { sqlite3 "$ws/store.db" "$1"; }

# 48 trajectories of a foreign shape: the task object nested, a reward
head -n 48 tasks.jsonl | awk '{ printf "{\"task\": %s, \"reward\": %s, \"answer\": \"x%d\"}\n", $0, (NR % 3 == 0) ? "0.9" : "0.1", NR }' > traj.jsonl
maps="--map input=task.input --map instance_id=task.id --map type=task.type --map outcome=reward --map output=answer --threshold 0.5"

# shellcheck disable=SC2086
expect_exit 0 "import without a config" "$SS" import traj.jsonl --workspace "$ws" $maps
run1=$(echo "$out" | tail -n 1)
expect_exit 2 "induce needs a config then" "$SS" induce "$run1" --workspace "$ws" --quiet
expect_out "--config CONFIG" "the error says how"

expect_exit 0 "induce with the demo config" "$SS" induce "$run1" --workspace "$ws" --config config.json --quiet
expect_out "32 failures in" "failures counted"
expect_out "16 successes in" "successes counted"
check "failure clusters cover every failure" test "$(q "SELECT sum(size) FROM clusters WHERE run_id = '$run1' AND kind = 'failure'")" = 32
check "adaptive k: 32 failures give 2 clusters" test "$(q "SELECT count(*) FROM clusters WHERE run_id = '$run1' AND kind = 'failure'")" = 2
check "16 successes: round(16/15) = 1, clamped to k_min 2" test "$(q "SELECT count(*) FROM clusters WHERE run_id = '$run1' AND kind = 'success'")" = 2
check "embeddings are local (512 floats)" test "$(q "SELECT min(dim) || ' ' || min(length(vec)) FROM embeddings WHERE run_id = '$run1'")" = "512 2048"
np=$(q "SELECT count(*) FROM pairs WHERE run_id = '$run1'")
check "some contrastive pairs" test "$np" -gt 0
check "at most 20 pairs" test "$np" -le 20
check "every pair has one task type" test "$(q "SELECT count(*) FROM pairs p
	JOIN rollouts f ON f.id = p.failure_rollout JOIN rollouts s ON s.id = p.success_rollout
	JOIN instances fi ON fi.run_id = f.run_id AND fi.id = f.instance_id
	JOIN instances si ON si.run_id = s.run_id AND si.id = s.instance_id
	WHERE p.run_id = '$run1' AND fi.type = si.type AND f.outcome = 0 AND s.outcome = 1")" = "$np"
check "no embedding call went to a provider" test "$(q "SELECT count(*) FROM llm_calls WHERE role = 'embed'")" = 0

calls=$(q "SELECT count(*) FROM llm_calls WHERE run_id = '$run1'")
expect_exit 0 "induce again" "$SS" induce "$run1" --workspace "$ws" --quiet
check "a second induce makes no call" test "$(q "SELECT count(*) FROM llm_calls WHERE run_id = '$run1'")" = "$calls"

# the same trajectories imported with the config give the same clusters
# shellcheck disable=SC2086
expect_exit 0 "import with a config" "$SS" import traj.jsonl --workspace "$ws" --config config.json $maps
run2=$(echo "$out" | tail -n 1)
expect_out "demo-1" "named after the config"
expect_exit 0 "induce the second import" "$SS" induce "$run2" --workspace "$ws" --quiet
members() {
	q "SELECT c.kind || c.idx || ':' || group_concat(r.instance_id) FROM clusters c
	   JOIN cluster_members m ON m.cluster_id = c.id JOIN rollouts r ON r.id = m.rollout_id
	   WHERE c.run_id = '$1' GROUP BY c.id ORDER BY c.kind, c.idx"
}
check "clusters are deterministic" test "$(members "$run1")" = "$(members "$run2")"

expect_exit 2 "an unknown run" "$SS" induce nope-1 --workspace "$ws"
