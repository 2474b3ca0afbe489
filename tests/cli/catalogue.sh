# The bad-input catalogue (tests/data/catalogue/cases.tsv): each malformed
# config, task file, trajectory file and skill folder gets its message and
# exit code, and leaves no partial state: no workspace is created, or the
# store that exists is intact and holds no run.
. "$SKILLSMITH_TOP/tests/lib.sh"
dir="$TOP/tests/data/catalogue"
ws="$PWD/ws"

# an existing, healthy store must stay so after every bad command
"$SS" import "$dir/traj-good.jsonl" --workspace "$ws" >/dev/null 2>&1

while IFS='	' read -r kind file want msg; do
	case "$kind" in ''|'#'*) continue ;; esac
	runs_before=$(sqlite3 "$ws/store.db" 'SELECT count(*) FROM runs' 2>/dev/null)
	fresh="$PWD/fresh-$$"
	rm -rf "$fresh"
	case "$kind" in
	config) expect_exit "$want" "config $file exits $want" "$SS" validate --config "$dir/$file" ;;
	tasks)  expect_exit "$want" "tasks $file exits $want" "$SS" validate --tasks "$dir/$file" ;;
	skill)  expect_exit "$want" "skill $file exits $want" "$SS" validate "$dir/$file" ;;
	import) expect_exit "$want" "import $file exits $want" "$SS" import "$dir/$file" --workspace "$ws" ;;
	run)    expect_exit "$want" "run $file exits $want" "$SS" run "$dir/$file" --headless --workspace "$fresh" ;;
	esac
	expect_out "$msg" "$kind $file names the place: $msg"
	case "$kind" in
	import)
		runs_after=$(sqlite3 "$ws/store.db" 'SELECT count(*) FROM runs')
		[ "$runs_before" = "$runs_after" ] && ok "import $file adds no run" || notok "import $file added a run"
		[ "$(sqlite3 "$ws/store.db" 'PRAGMA integrity_check')" = ok ] \
			&& ok "import $file leaves the store intact" || notok "store damaged after $file" ;;
	run)
		if [ -e "$fresh/store.db" ]; then
			[ "$(sqlite3 "$fresh/store.db" 'SELECT count(*) FROM runs')" = 0 ] \
				&& ok "run $file records no run" || notok "run $file left a run behind"
		else
			ok "run $file creates no store"
		fi ;;
	esac
	rm -rf "$fresh"
done < "$dir/cases.tsv"

[ "$(sqlite3 "$ws/store.db" 'SELECT count(*) FROM runs')" = 1 ] \
	&& ok "the healthy store keeps its one run" || notok "the healthy store lost or gained runs"
