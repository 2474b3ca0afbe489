. "$SKILLSMITH_TOP/tests/lib.sh"
# skillsmith-sim over real HTTP with curl: options, the agent, the auxiliary
# roles, embeddings, streaming, Anthropic, faults, the request log.

pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT INT TERM

# start_sim NAME ARGS...: starts the simulator, sets URL and PID
start_sim() {
	name=$1; shift
	"$SIM" --port 0 "$@" >"$name.out" 2>"$name.err" &
	PID=$!
	pids="$pids $PID"
	i=0
	while [ $i -lt 100 ] && ! grep -q '^listening on ' "$name.out" 2>/dev/null; do
		sleep 0.05; i=$((i + 1))
	done
	URL=$(sed -n '1s/^listening on //p' "$name.out")
}

stop_sim() {
	kill -TERM "$1" 2>/dev/null
	wait "$1"
}

# chat SYSTEM USER [MODEL]: prints the assistant content (JSON-escaped)
chat_body() {
	printf '{"model": "%s", "messages": [{"role": "system", "content": "%s"}, {"role": "user", "content": "%s"}]}' \
		"${3:-sim-agent}" "$1" "$2"
}
answer_of() { sed -n 's/.*Answer: \([^"]*\)".*/\1/p'; }

expect_exit 0 "--help exits 0" "$SIM" --help
expect_out "SIMULATION of an LLM provider" "--help says it is a simulation"
expect_out "--latency-ms" "--help documents the latency option"
expect_exit 2 "an unknown option is bad input" "$SIM" --frobnicate
expect_exit 2 "a bad latency spec is bad input" "$SIM" --latency-ms fast
expect_exit 2 "an unknown fault kind is bad input" "$SIM" --faults 418
expect_out "unknown fault kind '418'" "the bad fault kind is named"

"$SIM" --write-suite suite.jsonl
check "--write-suite writes 200 instances" test "$(wc -l < suite.jsonl)" -eq 200
check "the committed demo suite is what the simulator generates" \
	cmp -s suite.jsonl "$TOP/sample-runs/demo/tasks.jsonl"
check "every instance carries a traps list" test "$(grep -c '"traps": \[' suite.jsonl)" -eq 200
check "some instances have no trap" grep -q '"traps": \[\]' suite.jsonl
for t in leap_year inclusive_count day_month_order month_end year_boundary; do
	check "some instances have the $t trap" grep -q "\"$t\"" suite.jsonl
done
"$SIM" --write-suite small.jsonl --count 12
check "--count sets the suite size" test "$(wc -l < small.jsonl)" -eq 12
check "a smaller suite is a prefix of the default one" sh -c 'head -12 suite.jsonl | cmp -s - small.jsonl'

start_sim main --seed 7 --request-log req.log
case "$URL" in
http://127.0.0.1:[0-9]*) ok "--port 0 prints the loopback URL first" ;;
*) notok "--port 0 prints the loopback URL first: '$URL'" ;;
esac

# the agent: deterministic, a worked trajectory ending in an answer
q=$(sed -n '7s/.*"input": "\([^"]*\)".*/\1/p' suite.jsonl)
chat_body "You are a careful assistant." "$q" > body.json
curl -s -H 'Authorization: Bearer sk-test-SECRET-123' "$URL/v1/chat/completions" -d @body.json > r1.json
curl -s "$URL/v1/chat/completions" -d @body.json > r2.json
a1=$(answer_of < r1.json)
check "the agent ends with an Answer line" test -n "$a1"
check "the same request gives the same answer" test "$a1" = "$(answer_of < r2.json)"
check "the agent shows its working" grep -q 'Start: .*\\n.*\\nAnswer: ' r1.json
check "usage is reported" grep -q '"usage":{"prompt_tokens":[1-9]' r1.json

# the request log: the body as sent, secrets redacted
check "the request log records the body" grep -q "\"content\":\"$q\"" req.log
check "the request log redacts Authorization" grep -q '"Authorization":"\[redacted\]"' req.log
check "the key never reaches the request log" sh -c '! grep -q "SECRET-123" req.log'
check "the request log names the instance" grep -q '"instance":"cal-007"' req.log

# trap mechanics over HTTP: the system prompt's rules decide
right() { # right SYSTEM FILE: count right answers over the instances in FILE
	n=0
	while IFS= read -r line; do
		in=$(printf '%s' "$line" | sed 's/.*"input": "\([^"]*\)".*/\1/')
		ex=$(printf '%s' "$line" | sed 's/.*"expected": "\([^"]*\)".*/\1/')
		chat_body "$1" "$in" > b.json
		got=$(curl -s "$URL/v1/chat/completions" -d @b.json | answer_of)
		[ "$got" = "$ex" ] && n=$((n + 1))
	done < "$2"
	echo $n
}
grep '"leap_year"' suite.jsonl > leap.jsonl
base=$(right "You are a careful assistant." leap.jsonl)
rule=$(right "You are a careful assistant. Check for a leap year: February 29 exists in leap years." leap.jsonl)
echo "# leap_year instances right: $base without the rule, $rule with it (of $(wc -l < leap.jsonl))"
check "a leap-year rule raises accuracy on leap-year instances" test "$rule" -gt $((base + 5))
# (the other traps and the over-general rules: tests/test_sim.c)

# auxiliary roles through response_format
aux_body() { # aux_body SCHEMA TEXT [MODEL]
	printf '{"model": "%s", "response_format": {"type": "json_schema", "json_schema": {"name": "%s", "schema": {"type": "object"}}}, "messages": [{"role": "system", "content": "You analyse agent trajectories."}, {"role": "user", "content": "%s"}]}' \
		"${3:-sim-optimizer}" "$1" "$2"
}
traj='Trajectory F1: Start: 2028-02-19. End: 2028-03-16.\\nI take February 2028 to have 28 days.\\nThe difference between the dates is 25 days.\\nAnswer: 25'
aux_body failure_summary "$traj" > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > fs.json
check "failure_summary has a summary" grep -q '\\"summary\\":' fs.json
check "failure_summary has a root cause" grep -q '\\"root_cause\\":' fs.json
check "the root cause names the leap-year trap" grep -q 'root_cause\\":\\"[^\\]*leap year' fs.json
aux_body failure_cluster "$traj" > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > fc.json
for f in pattern_name root_cause where_it_appears observable_signals corrective_rule; do
	check "failure_cluster has $f" grep -q "\\\\\"$f\\\\\":" fc.json
done
aux_body skill "Failure cluster F1: Missed leap day; root cause: treated February as 28 days in a leap year. Pair P2: the success checked the leap year." > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > sk.json
for f in name description context success_patterns failure_lessons; do
	check "skill has $f" grep -q "\\\\\"$f\\\\\":" sk.json
done
check "the skill cites evidence ids from the request" grep -q '\\"F1\\"' sk.json
aux_body skill "Failure cluster F1: Missed leap day in a leap year. Failure cluster F2: counts both ends were not counted inclusive." sim-optimizer-harmful > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > skh.json
check "the harmful optimizer writes over-general rules" grep -q 'February always has 29 days' skh.json
check "the harmful optimizer writes no precise rule" sh -c '! grep -q "check whether the year is a leap" skh.json'

# embeddings: count, dimension, and same-trap texts closer than others
printf '{"model": "sim-embed", "input": ["%s", "%s", "%s"]}' \
	"Treated February as 28 days in a leap year and missed February 29." \
	"The agent forgot the leap day: 2024 is a leap year with 29 days in February." \
	"Read the DD/MM date month first, swapping day and month." > b.json
curl -s "$URL/v1/embeddings" -d @b.json > emb.json
tr '[' '\n' < emb.json | sed -n 's/^\([-0-9.e,]*\)\].*/\1/p' > vecs.txt
check "embeddings return one vector per input" test "$(grep -c '' vecs.txt)" -eq 3
check "embeddings have 256 dimensions" test "$(head -1 vecs.txt | tr ',' '\n' | wc -l)" -eq 256
cos=$(awk -F, '{ for (i = 1; i <= NF; i++) v[NR, i] = $i; n = NF }
	END { for (i = 1; i <= n; i++) { s12 += v[1, i] * v[2, i]; s13 += v[1, i] * v[3, i] }
	      printf "%d", (s12 > s13) }' vecs.txt)
check "same-trap texts are closer than different-trap texts" test "$cos" = 1
printf '{"model": "sim-embed", "input": "one text", "dimensions": 64}' > b.json
check "a single string input with dimensions works" sh -c \
	"curl -s '$URL/v1/embeddings' -d @b.json | tr '[' '\n' | sed -n 's/^\([-0-9.e,]*\)\].*/\1/p' | tr ',' '\n' | grep -c '' | grep -qx 64"

# streaming (OpenAI)
printf '{"model": "sim-agent", "stream": true, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "%s"}]}' "$q" > b.json
curl -s -N "$URL/v1/chat/completions" -d @b.json > st.txt
check "a stream sends chunks" grep -q '^data: {.*"chat.completion.chunk"' st.txt
check "a stream ends with [DONE]" grep -q '^data: \[DONE\]' st.txt
check "a stream carries a usage chunk on request" grep -q '"choices":\[\],"usage"' st.txt
check "the streamed text joins to the answer" sh -c \
	"sed -n 's/.*\"content\":\"\([^\"]*\)\".*/\1/p' st.txt | tr -d '\n' | grep -q 'Answer: '"

# tool calls: the agent submits through a submit_answer tool when offered
tools='"tools": [{"type": "function", "function": {"name": "submit_answer", "parameters": {"type": "object"}}}]'
printf '{"model": "sim-agent", %s, "messages": [{"role": "user", "content": "%s"}]}' "$tools" "$q" > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > tc1.json
check "the agent calls submit_answer when it is offered" \
	grep -q '"tool_calls":\[{"id":"call_sim_0","type":"function","function":{"name":"submit_answer","arguments":"{\\"answer\\": \\"'"$a1"'\\"}"}}\]' tc1.json
check "a tool call finishes with tool_calls" grep -q '"finish_reason":"tool_calls"' tc1.json
printf '{"model": "sim-agent", %s, "messages": [{"role": "user", "content": "%s"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call_sim_0", "type": "function", "function": {"name": "submit_answer", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "call_sim_0", "content": "recorded"}]}' "$tools" "$q" > b.json
curl -s "$URL/v1/chat/completions" -d @b.json > tc2.json
check "after the tool result the agent closes with its answer" grep -q "\"content\":\"Answer: $a1\"" tc2.json
aux_body failure_summary "$traj" | sed 's/"response_format": {[^}]*}}},/"tool_choice": {"type": "function", "function": {"name": "failure_summary"}}, "tools": [{"type": "function", "function": {"name": "failure_summary", "parameters": {"type": "object"}}}], "stream": true,/' > b.json
curl -s -N "$URL/v1/chat/completions" -d @b.json > tcs.txt
check "a forced function streams its name first" grep -q '"tool_calls":\[{"index":0,"id":"call_sim_0","type":"function","function":{"name":"failure_summary","arguments":""}}\]' tcs.txt
check "then argument fragments by index" \
	test "$(grep -c '"tool_calls":\[{"index":0,"function":{"arguments":' tcs.txt)" -ge 2

# Anthropic Messages
printf '{"model": "sim-agent", "max_tokens": 256, "system": [{"type": "text", "text": "You are a careful assistant. Here is a long cached skill block about calendars and dates.", "cache_control": {"type": "ephemeral"}}], "messages": [{"role": "user", "content": "%s"}]}' "$q" > b.json
curl -s -H 'x-api-key: sk-ant-SECRET-9' -H 'anthropic-version: 2023-06-01' "$URL/v1/messages" -d @b.json > an1.json
curl -s "$URL/v1/messages" -d @b.json > an2.json
check "anthropic answers with a text block" grep -q '"content":\[{"type":"text","text":"Start: ' an1.json
check "the first cached prefix is a cache creation" grep -q '"cache_creation_input_tokens":[1-9]' an1.json
check "the repeated prefix is a cache read" grep -q '"cache_read_input_tokens":[1-9]' an2.json
check "x-api-key is redacted in the log" grep -q '"x-api-key":"\[redacted\]"' req.log
printf '{"model": "sim-optimizer", "max_tokens": 256, "tool_choice": {"type": "tool", "name": "failure_summary"}, "tools": [{"name": "failure_summary", "input_schema": {"type": "object"}}], "messages": [{"role": "user", "content": "%s"}]}' "$traj" > b.json
curl -s "$URL/v1/messages" -d @b.json > an3.json
check "anthropic forced tool returns the role's JSON as input" grep -q '"type":"tool_use".*"input":{"summary":' an3.json
sed 's/"max_tokens": 256,/"max_tokens": 256, "stream": true,/' b.json > bs.json
curl -s -N "$URL/v1/messages" -d @bs.json > ans.txt
for e in message_start content_block_start content_block_delta content_block_stop message_delta message_stop; do
	check "anthropic stream has the $e event" grep -q "^event: $e" ans.txt
done
check "anthropic stream sends input_json_delta" grep -q '"input_json_delta"' ans.txt

stop_sim "$PID"
check "SIGTERM stops the simulator with exit 0" test $? -eq 0

# faults: every kind at rate 1
chat_body "s" "$q" > b.json
start_sim f429 --fault-rate 1 --faults 429 --retry-after 3 --retry-after-ms 2500
code=$(curl -s -D h.txt -o body.txt -w '%{http_code}' "$URL/v1/chat/completions" -d @b.json)
check "fault 429 answers 429" test "$code" = 429
check "fault 429 carries Retry-After" grep -qi '^retry-after: 3' h.txt
check "fault 429 carries retry-after-ms on request" grep -qi '^retry-after-ms: 2500' h.txt
stop_sim "$PID"

start_sim f500 --fault-rate 1 --faults 500
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/chat/completions" -d @b.json)
check "fault 500 answers 500" test "$code" = 500
stop_sim "$PID"

start_sim f529 --fault-rate 1 --faults 529
printf '{"model": "sim-agent", "max_tokens": 64, "messages": [{"role": "user", "content": "%s"}]}' "$q" > ba.json
code=$(curl -s -o body.txt -w '%{http_code}' "$URL/v1/messages" -d @ba.json)
check "fault 529 answers 529" test "$code" = 529
check "fault 529 is an overloaded_error" grep -q '"type": "overloaded_error"' body.txt
stop_sim "$PID"

start_sim ftimeout --fault-rate 1 --faults timeout --hang-ms 20000
curl -s -m 1 -o /dev/null "$URL/v1/chat/completions" -d @b.json
check "fault timeout hangs past the client's timeout" test $? -eq 28
stop_sim "$PID"
check "a hanging request does not keep the simulator from stopping" test $? -eq 0

start_sim fmal --fault-rate 1 --faults malformed
code=$(curl -s -o body.txt -w '%{http_code}' "$URL/v1/chat/completions" -d @b.json)
check "fault malformed answers 200" test "$code" = 200
check "fault malformed sends a broken JSON body" sh -c '! grep -q "\"usage\"" body.txt && grep -q "}{\$" body.txt'
stop_sim "$PID"

start_sim ftrunc --fault-rate 1 --faults truncated
printf '{"model": "sim-agent", "stream": true, "messages": [{"role": "user", "content": "%s"}]}' "$q" > bs.json
curl -s -N -o st.txt "$URL/v1/chat/completions" -d @bs.json
rc=$?
check "fault truncated breaks the transfer" test "$rc" -ne 0
check "a truncated stream never reaches [DONE]" sh -c '! grep -q "\[DONE\]" st.txt'
check "a truncated stream sent part of the answer" grep -q '^data: ' st.txt
stop_sim "$PID"

start_sim fhalf --seed 3 --fault-rate 0.5 --faults 500 --request-log half.log
for i in 1 2 3 4 5 6 7 8; do
	chat_body "s$i" "$q" > b$i.json
	curl -s -o /dev/null -w '%{http_code}\n' "$URL/v1/chat/completions" -d @b$i.json
done > codes1.txt
stop_sim "$PID"
start_sim fhalf2 --seed 3 --fault-rate 0.5 --faults 500
for i in 8 7 6 5 4 3 2 1; do
	curl -s -o /dev/null -w '%{http_code}\n' "$URL/v1/chat/completions" -d @b$i.json
done | sed -n '1!G;h;$p' > codes2.txt
stop_sim "$PID"
check "faults are reproducible per request whatever the order" cmp -s codes1.txt codes2.txt
check "a fault rate of 0.5 lets some requests through" grep -q 200 codes1.txt
check "the request log records the fault" grep -q '"fault":"500"' half.log

# concurrency: 64 at once all served; a limit rejects beyond it
start_sim conc --latency-ms 300
i=0
cpids=""
while [ $i -lt 64 ]; do
	curl -s -m 30 -o /dev/null -w '%{http_code}\n' "$URL/v1/chat/completions" -d @b.json > conc$i.out &
	cpids="$cpids $!"
	i=$((i + 1))
done
wait $cpids
check "64 concurrent requests are all served" test "$(cat conc*.out | grep -c 200)" -eq 64
curl -s "$URL/sim/stats" > stats.json
echo "# $(cat stats.json)"
check "stats report the peak concurrency" grep -q '"peak_in_flight": [1-9]' stats.json
stop_sim "$PID"
rm -f conc*.out

start_sim limit --latency-ms 1500 --max-concurrency 1
curl -s -o /dev/null -w '%{http_code}\n' "$URL/v1/chat/completions" -d @b.json > l1.txt &
sleep 0.5
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/chat/completions" -d @b.json)
wait $!
check "a request beyond --max-concurrency is rejected with 429" test "$code" = 429
stop_sim "$PID"
