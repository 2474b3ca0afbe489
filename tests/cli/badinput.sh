# Bad input, case by case: each gets its message (file, line, key) and exit 2.
. "$SKILLSMITH_TOP/tests/lib.sh"
D=$TOP/tests/data/foundation

expect_exit 2 "validate without a path" "$SS" validate
expect_exit 2 "a missing skill path" "$SS" validate does-not-exist
expect_out "'does-not-exist' does not exist" "names the missing path"
expect_exit 2 "an unknown option" "$SS" validate --frobnicate
expect_out "unknown option '--frobnicate'" "names the option"

# configs
expect_exit 2 "an out-of-range value" "$SS" validate --config "$D/config-rounds.json"
expect_out "config-rounds.json: strategy.rounds: must be an integer from 1 to 64" "names the key path"
expect_exit 2 "an unknown key" "$SS" validate --config "$D/config-unknown.json"
expect_out "config-unknown.json: agent.temprature: unknown key (did you mean 'temperature'?)" "names the unknown key and the likely one"
expect_exit 2 "invalid JSON" "$SS" validate --config "$D/config-badjson.json"
expect_out "config-badjson.json:4:3: invalid JSON" "gives line and column"
expect_exit 2 "a missing config" "$SS" validate --config nope.json
expect_out "nope.json" "names the missing file"
printf '{"tasks": "t.jsonl", "providers": {"p": {}}, "agent": {"model": "m", "provider": "q"}}' > noprov.json
expect_exit 2 "an unknown provider" "$SS" validate --config noprov.json
expect_out "noprov.json: agent.provider: no provider named 'q' in providers" "names the provider"
printf '{"tasks": "missing.jsonl", "providers": {"p": {}}, "agent": {"model": "m"}}' > notasks.json
expect_exit 2 "a config whose task file is missing" "$SS" validate --config notasks.json
expect_out "missing.jsonl" "names the task file"
printf '{"tasks": "tiny.jsonl", "providers": {"p": {}}, "agent": {"model": "m"}}' > tiny.json
printf '{"id": "a", "input": "x"}\n{"id": "b", "input": "y"}\n' > tiny.jsonl
expect_exit 2 "a suite too small to split" "$SS" validate --config tiny.json
expect_out "tiny.jsonl: 2 instances are too few to split" "says why"

# task files
expect_exit 2 "duplicate ids" "$SS" validate --tasks "$D/tasks-dup.jsonl"
expect_out "tasks-dup.jsonl:3: duplicate id 'a' (first on line 1)" "names both lines"
expect_exit 2 "an empty task file" "$SS" validate --tasks "$D/tasks-empty.jsonl"
expect_out "tasks-empty.jsonl: no tasks (the file is empty)" "says it is empty"
expect_exit 2 "non-UTF-8 text" "$SS" validate --tasks "$D/tasks-latin1.jsonl"
expect_out "tasks-latin1.jsonl:1: invalid UTF-8" "names the line"
expect_exit 2 "invalid JSON in a task" "$SS" validate --tasks "$D/tasks-badjson.jsonl"
expect_out "tasks-badjson.jsonl:2: invalid JSON" "names the line"
expect_exit 2 "a task without an id" "$SS" validate --tasks "$D/tasks-noid.jsonl"
expect_out "tasks-noid.jsonl:2: field 'id' is missing" "names the field"
expect_exit 2 "a wrong type" "$SS" validate --tasks "$D/tasks-type.jsonl"
expect_out "tasks-type.jsonl:1: field 'expected' must be a string" "names the field"
expect_exit 2 "a bad grader override" "$SS" validate --tasks "$D/tasks-grader.jsonl"
expect_out "tasks-grader.jsonl:1: grader.pattern: is required by the regex grader" "names line and key"
{ printf '{"id": "a", "input": "x"}\n{"id": "b", "input": "'; head -c 1100000 /dev/zero | tr '\0' 'y'; printf '"}\n'; } > long.jsonl
expect_exit 2 "an overlong line" "$SS" validate --tasks long.jsonl
expect_out "long.jsonl:2: line is longer than 1048576 bytes" "names the line"
head -c 3000 /dev/urandom > random.jsonl
expect_exit 2 "binary garbage" "$SS" validate --tasks random.jsonl
expect_out "random.jsonl:" "names the file"

# no partial state: validating creates nothing in the working directory
before=$(ls -a | wc -l)
"$SS" validate --tasks "$D/tasks-dup.jsonl" >/dev/null 2>&1
"$SS" validate --config "$D/config-rounds.json" >/dev/null 2>&1
after=$(ls -a | wc -l)
if [ "$before" -eq "$after" ] && [ ! -e .skillsmith ]; then ok "bad input leaves nothing behind"; else notok "bad input leaves nothing behind"; fi
