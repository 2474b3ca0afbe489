# The example environment of the tools harness, spoken to directly in the
# JSON-lines protocol.
. "$SKILLSMITH_TOP/tests/lib.sh"

ENV="$(dirname "$SS")/examples/calendar_env"
check "calendar_env is built" test -x "$ENV"

step() { printf '{"op":"step","tool_call":{"id":"c","name":"%s","arguments":%s}}\n' "$1" "$2"; }

out=$( {
	echo '{"op":"reset","instance":{"id":"d-1","input":"q","expected":"2024-03-01"}}'
	step add_days '{"date":"2024-02-27","days":3}'
	step add_days '{"date":"2023-02-27","days":3}'
	step days_between '{"start":"2024-01-01","end":"2024-03-01"}'
	step days_between '{"start":"2024-01-01","end":"2024-01-31","inclusive":true}'
	step add_months '{"date":"2024-01-31","months":1}'
	step add_months '{"date":"2023-01-31","months":13}'
	step weekday '{"date":"2024-03-01"}'
	step convert_date '{"date":"03/04/2024","format":"DD/MM/YYYY"}'
	step convert_date '{"date":"03/04/2024","format":"MM/DD/YYYY"}'
	step add_days '{"date":"2023-02-29","days":1}'
	step no_such_tool '{}'
	step submit_answer '{"answer":" 2024-03-01 "}'
} | "$ENV")

line() { echo "$out" | sed -n "${1}p"; }
expect_line() {
	case "$(line "$1")" in
	*"$2"*) ok "$3" ;;
	*) notok "$3: line $1 is '$(line "$1")'" ;;
	esac
}
expect_line 1 '"tools":[{"type":"function","function":{"name":"days_between"' "reset lists the tools"
expect_line 2 '{"observation":"2024-03-01","done":false}' "add_days across a leap day"
expect_line 3 '"observation":"2023-03-02"' "add_days in a common year"
expect_line 4 '"observation":"60"' "days_between"
expect_line 5 '"observation":"31"' "days_between inclusive"
expect_line 6 '"observation":"2024-02-29"' "add_months clamps to the month end"
expect_line 7 '"observation":"2024-02-29"' "add_months across a year"
expect_line 8 '"observation":"Friday"' "weekday"
expect_line 9 '"observation":"2024-04-03"' "convert_date day first"
expect_line 10 '"observation":"2024-03-04"' "convert_date month first"
expect_line 11 '"observation":"error: ' "an impossible date is an error observation"
expect_line 12 "unknown tool 'no_such_tool'" "an unknown tool is an error observation"
expect_line 13 '"done":true,"reward":1' "submit_answer ends with the reward"

out=$(printf '%s\n' '{"op":"reset","instance":{"id":"x","input":"q"}}' \
	'{"op":"step","tool_call":{"id":"c","name":"submit_answer","arguments":{"answer":"a"}}}' | "$ENV")
case "$(line 2)" in
*reward*) notok "no reward without an expected answer: $(line 2)" ;;
*'"done":true'*) ok "no reward without an expected answer" ;;
*) notok "submit ends the episode: $(line 2)" ;;
esac
