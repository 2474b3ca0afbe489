# skillsmith log / diff / export against a skill repository written by the
# real git command line (an independent writer) and a store made with the
# sqlite3 command line.
. "$SKILLSMITH_TOP/tests/lib.sh"

ws=$PWD/ws
repo=$ws/skills
mkdir -p "$repo"
git -C "$repo" init -q -b master
export GIT_AUTHOR_NAME=skillsmith GIT_AUTHOR_EMAIL=skillsmith@localhost
export GIT_COMMITTER_NAME=skillsmith GIT_COMMITTER_EMAIL=skillsmith@localhost

# mkc RUN ROUND G REPAIRS REGRESSIONS STATUS SKILL_TEXT: commit a candidate on
# run/RUN with git plumbing; prints the commit id.
mkc() {
	d=$(mktemp -d)
	mkdir -p "$d/date-math/scripts"
	printf '%s' "$7" > "$d/date-math/SKILL.md"
	printf 'echo ok\n' > "$d/date-math/scripts/check.sh"
	tree=$(GIT_INDEX_FILE="$d.idx" git --git-dir="$repo/.git" --work-tree="$d" add -A &&
	       GIT_INDEX_FILE="$d.idx" git --git-dir="$repo/.git" write-tree)
	parent=$(git -C "$repo" rev-parse -q --verify "run/$1" || true)
	msg=$(printf 'round %s: G=%s (%s repairs, %s regressions) on 40\n\nWhy round %s changed.\n\nSkillsmith-Run: %s\nSkillsmith-Round: %s\nSkillsmith-Strategy: skillgen\nSkillsmith-Net-Gain: %s\nSkillsmith-Repairs: %s\nSkillsmith-Regressions: %s\nSkillsmith-M: 40\nSkillsmith-Status: %s\n' \
		"$2" "$3" "$4" "$5" "$2" "$1" "$2" "$3" "$4" "$5" "$6")
	export GIT_AUTHOR_DATE="@$((1700000000 + $2 * 60)) +0000" GIT_COMMITTER_DATE="@$((1700000000 + $2 * 60)) +0000"
	c=$(git -C "$repo" commit-tree "$tree" ${parent:+-p "$parent"} -m "$msg")
	git -C "$repo" update-ref "refs/heads/run/$1" "$c"
	rm -rf "$d" "$d.idx"
	echo "$c"
}

md() {
	printf -- '---\nname: date-math\ndescription: Work out date arithmetic step by step.\n---\n# Date math\n\n%s\n' "$1"
}

a1=$(mkc demo-1 1 +1 3 2 verified "$(md 'Count days on a calendar.')")
a2=$(mkc demo-1 2 0 2 2 verified "$(md 'Count days on a calendar.
Check leap years.')")
b1=$(mkc demo-2 1 +2 4 2 verified "$(md 'Write the start date first.')")
b2=$(mkc demo-2 2 +5 7 2 selected "$(md 'Write the start date first.
Check leap years.')")
git -C "$repo" tag -a -m "selected: G=+5" skill/demo-2/active "$b2"

sqlite3 "$ws/store.db" < "$TOP/src/schema.sql"
sqlite3 "$ws/store.db" <<EOF
PRAGMA user_version = 1;
INSERT INTO runs(id, created_at, updated_at, config_json, strategy, seed, state, stage,
                 selected_candidate, final_status, gate_threshold)
VALUES ('demo-1', 100, 100, '{}', 'skillgen', 1, 'done', 'done', 1, 'deprecated', 2),
       ('demo-2', 200, 200, '{}', 'skillgen', 1, 'done', 'done', 4, 'active', 2),
       ('demo-3', 300, 300, '{}', 'skillgen', 1, 'running', 'verify', NULL, NULL, 2);
INSERT INTO candidates(id, run_id, round, strategy, body, net_gain, m, commit_oid, created_at)
VALUES (1, 'demo-1', 1, 'skillgen', 'x', 1, 40, '$a1', 1),
       (2, 'demo-1', 2, 'skillgen', 'x', 0, 40, '$a2', 1),
       (3, 'demo-2', 1, 'skillgen', 'x', 2, 40, '$b1', 1),
       (4, 'demo-2', 2, 'skillgen', 'x', 5, 40, '$b2', 1);
EOF

# ---- log
expect_exit 0 "log RUN exits 0" "$SS" log demo-2 --workspace "$ws"
expect_out "round 1: G=+2 (4 repairs, 2 regressions) on 40" "log shows round 1"
expect_out "(skill/demo-2/active)" "log marks the selected candidate"
first=$(printf '%s\n' "$out" | grep -n 'round 1:' | cut -d: -f1)
second=$(printf '%s\n' "$out" | grep -n 'round 2:' | cut -d: -f1)
if [ -n "$first" ] && [ -n "$second" ] && [ "$first" -lt "$second" ]; then
	ok "log is oldest first"; else notok "log is oldest first: $out"; fi
short=$(echo "$b2" | cut -c1-7)
line=$(printf '%s\n' "$out" | grep 'round 2:')
case "$line" in
*"    2   +5       7           2   40  selected   $short  round 2:"*) ok "log line has round, G, repairs, regressions, m, status, oid" ;;
*) notok "log line has the metrics: $line" ;;
esac
expect_exit 0 "log --newest-first" "$SS" log demo-2 --workspace "$ws" --newest-first
first=$(printf '%s\n' "$out" | grep -n 'round 1:' | cut -d: -f1)
second=$(printf '%s\n' "$out" | grep -n 'round 2:' | cut -d: -f1)
if [ "$second" -lt "$first" ]; then ok "newest first reverses"; else notok "newest first: $out"; fi
expect_exit 0 "log -v shows bodies" "$SS" log demo-1 --workspace "$ws" -v
expect_out "Why round 2 changed." "log -v shows why"
# RUN defaults to the latest run of the store (demo-3 has no candidate yet).
expect_exit 0 "log of a run without candidates yet" "$SS" log --workspace "$ws"
expect_out "run demo-3, branch run/demo-3, 0 candidates" "names the run, no candidates"
expect_exit 0 "log --json" "$SS" log demo-2 --json --workspace "$ws"
tab=$(printf '\t')
case "$out" in
*"\"net_gain\":${tab}5,"*"\"repairs\":${tab}7,"*"\"tags\":${tab}\"skill/demo-2/active\""*) ok "log --json carries the metrics" ;;
*) notok "log --json: $out" ;;
esac
expect_out '"key":	"Skillsmith-M",' "log --json lists the trailers"
SKILLSMITH_WORKSPACE=$ws expect_exit 0 "log takes the workspace from the environment" "$SS" log demo-1
expect_exit 2 "log of an unknown run" "$SS" log nope --workspace "$ws"
expect_exit 2 "log of a missing workspace" "$SS" log --workspace "$PWD/missing"
if [ ! -e "$PWD/missing" ]; then ok "log creates nothing"; else notok "log created a workspace"; fi

# ---- diff
expect_exit 0 "diff two commits" "$SS" diff "$b1" "$b2" --workspace "$ws"
git -C "$repo" diff "$b1" "$b2" > git.diff
printf '%s\n' "$out" > ss.diff
if cmp -s git.diff ss.diff; then ok "diff is git's patch"; else notok "diff differs from git: $(diff git.diff ss.diff)"; fi
case "$out" in *"$(printf '\033')"*) notok "diff is plain when not a terminal" ;; *) ok "diff is plain when not a terminal" ;; esac
expect_exit 0 "diff RUN:ROUND" "$SS" diff demo-2:1 demo-2:2 --workspace "$ws"
expect_out "+Check leap years." "RUN:ROUND resolves through the store"
expect_exit 0 "diff ROUND of --run" "$SS" diff 1 2 --run demo-1 --workspace "$ws"
expect_out "+Check leap years." "ROUND resolves in --run"
expect_exit 0 "diff tag against its parent" "$SS" diff skill/demo-2/active --workspace "$ws"
expect_out "-Write the start date first." "one revision diffs against the parent"
expect_exit 0 "diff --color=always" "$SS" diff "$b1" "$b2" --color=always --workspace "$ws"
expect_out "$(printf '\033[32m+Check leap years.')" "additions are green"
expect_out "$(printf '\033[1mdiff --git')" "headers are bold"
if script -qec "'$SS' diff $b1 $b2 --workspace '$ws'" /dev/null > tty.out 2>&1 && grep -q "$(printf '\033\\[31m')" tty.out; then
	ok "diff colours on a terminal"; else notok "diff colours on a terminal: $(cat tty.out)"; fi
if NO_COLOR=1 script -qec "'$SS' diff $b1 $b2 --workspace '$ws'" /dev/null > tty.out 2>&1 && ! grep -q "$(printf '\033\\[3')" tty.out; then
	ok "NO_COLOR disables colour"; else notok "NO_COLOR disables colour: $(cat tty.out)"; fi
expect_exit 2 "diff of an unknown revision" "$SS" diff nope "$b2" --workspace "$ws"
expect_out "nope" "names the revision"
expect_exit 2 "diff --color=sometimes is bad input" "$SS" diff "$b1" --color=sometimes --workspace "$ws"
expect_exit 2 "diff without revisions is bad input" "$SS" diff --workspace "$ws"

# ---- export
expect_exit 0 "export the active skill" "$SS" export demo-2 --to out --workspace "$ws"
expect_out "out/date-math" "says where"
if grep -q 'Check leap years.' out/date-math/SKILL.md && [ -f out/date-math/scripts/check.sh ]; then
	ok "export writes SKILL.md and scripts"; else notok "export content: $(ls -R out)"; fi
if git -C "$repo" show "$b2:date-math/SKILL.md" | cmp -s - out/date-math/SKILL.md; then
	ok "exported SKILL.md is the selected commit's"; else notok "exported SKILL.md differs"; fi
if ls -a out | grep -q skillsmith-export; then notok "staging folder left behind"; else ok "no staging folder left"; fi
expect_exit 1 "export refuses to overwrite" "$SS" export demo-2 --to out --workspace "$ws"
expect_out "--force" "says how to overwrite"
echo stale > out/date-math/stale.txt
expect_exit 0 "export --force replaces" "$SS" export demo-2 --to out --workspace "$ws" --force
if [ ! -e out/date-math/stale.txt ]; then ok "replaced whole"; else notok "stale file kept"; fi
expect_exit 0 "export into a folder named like the skill" "$SS" export demo-2 --to skills/date-math --workspace "$ws"
if [ -f skills/date-math/SKILL.md ] && [ ! -e skills/date-math/date-math ]; then
	ok "DIR named like the skill is the skill folder"; else notok "layout: $(find skills)"; fi
expect_exit 1 "export refuses a deprecated skill" "$SS" export demo-1 --to dep --workspace "$ws"
expect_out "run demo-1 ended deprecated: G=+1 below the gate 2; use --force to export anyway" "says why"
if [ ! -e dep ]; then ok "refusal writes nothing"; else notok "refusal wrote $(find dep)"; fi
expect_exit 0 "export --force exports a deprecated skill" "$SS" export demo-1 --to dep --workspace "$ws" --force
expect_out "deprecated" "warns it is deprecated"
if grep -q 'Count days on a calendar.' dep/date-math/SKILL.md; then ok "deprecated skill written"; else notok "deprecated skill missing"; fi
expect_exit 1 "export of a run still running" "$SS" export demo-3 --to x --workspace "$ws"
expect_out "no selected skill" "says there is no selection"
expect_exit 1 "RUN defaults to the latest run" "$SS" export --to x --workspace "$ws"
expect_out "demo-3" "latest run named"
expect_exit 2 "export needs --to" "$SS" export demo-2 --workspace "$ws"
expect_exit 2 "export of an unknown run" "$SS" export nope --to x --workspace "$ws"

# A selected skill whose name does not match its folder fails validation.
bad=$(mkc demo-4 1 +9 9 0 selected "$(printf -- '---\nname: other-name\ndescription: x\n---\nbody\n')")
sqlite3 "$ws/store.db" "INSERT INTO runs(id, created_at, updated_at, config_json, strategy, seed, state,
  selected_candidate, final_status, gate_threshold) VALUES ('demo-4', 50, 50, '{}', 'skillgen', 1, 'done', 9, 'active', 2);
  INSERT INTO candidates(id, run_id, round, strategy, body, net_gain, m, commit_oid, created_at)
  VALUES (9, 'demo-4', 1, 'skillgen', 'x', 9, 40, '$bad', 1);"
expect_exit 1 "export validates the skill" "$SS" export demo-4 --to inv --workspace "$ws"
expect_out "field 'name'" "names the field"
if [ ! -e inv/date-math ]; then ok "invalid export leaves nothing"; else notok "invalid export left files"; fi

expect_exit 0 "exported skill passes skillsmith validate" "$SS" validate out/date-math
expect_out "valid skill 'date-math'" "validate names the skill"
expect_exit 0 "skill exported into a folder named like it passes validate" "$SS" validate skills/date-math

git -C "$repo" fsck --strict >/dev/null 2>&1 && ok "repository still fsck-clean" || notok "fsck"

# ---- a real run against the simulator, with the user's git busy meanwhile
. "$TOP/tests/cli/engine.inc"
if ! start_sim --seed 7; then
	notok "the simulator starts"
	exit 1
fi
demo_config good 3 sim-optimizer
rws=$PWD/rws
# The user runs git gc and pack-refs on the skill repository during the run.
( i=0; while [ $i -lt 400 ] && [ ! -e "$PWD/run.done" ]; do
	[ -d "$rws/skills/.git" ] && { git -C "$rws/skills" gc -q 2>/dev/null; git -C "$rws/skills" pack-refs --all 2>/dev/null; }
	sleep 0.05; i=$((i + 1)); done ) &
busy=$!
expect_exit 0 "a run with a busy user repository ends" "$SS" run good/config.json --headless --workspace "$rws"
touch run.done
wait "$busy"
stop_sim
run=$(sqlite3 "$rws/store.db" "SELECT id FROM runs")
want=$(sqlite3 "$rws/store.db" "SELECT round || ' ' || commit_oid FROM candidates WHERE run_id = '$run' ORDER BY round")
got=$(git -C "$rws/skills" log --reverse --format='%(trailers:key=Skillsmith-Round,valueonly,separator=) %H' "run/$run")
if [ -n "$want" ] && [ "$want" = "$got" ]; then ok "git log shows every candidate, in round order, with its commit in the store"
else notok "git log vs store: want '$want' got '$got'"; fi
ncommits=0; bad=0
for c in $(git -C "$rws/skills" rev-list "run/$run"); do
	ncommits=$((ncommits + 1))
	git -C "$rws/skills" log -1 --format=%B "$c" | git interpret-trailers --parse | grep -q "^Skillsmith-Run: $run\$" || bad=$((bad + 1))
done
[ "$ncommits" -ge 1 ] && [ "$bad" -eq 0 ] && ok "every commit's trailers parse ($ncommits commits)" ||
	notok "trailers: $bad of $ncommits bad"
git -C "$rws/skills" fsck --strict >/dev/null 2>&1 && ok "fsck --strict after the run" || notok "fsck after the run"
status=$(sqlite3 "$rws/store.db" "SELECT final_status FROM runs")
sel=$(sqlite3 "$rws/store.db" "SELECT c.commit_oid FROM runs r JOIN candidates c ON c.id = r.selected_candidate")
[ "$(git -C "$rws/skills" rev-parse "skill/$run/$status^{commit}" 2>/dev/null)" = "$sel" ] &&
	ok "the selected candidate is tagged $status" || notok "tag skill/$run/$status"
git -C "$rws/skills" notes --ref=skillsmith show "$sel" > note.json 2>/dev/null
[ "$(sqlite3 :memory: "SELECT json_valid(readfile('note.json'))")" = 1 ] &&
	ok "the selected commit has a JSON note" || notok "note: $(cat note.json)"
expect_exit 0 "log of the run" "$SS" log --workspace "$rws"
expect_out "$(echo "$sel" | cut -c1-7)" "log lists the selected commit"
expect_exit 0 "diff rounds 1 and 2" "$SS" diff 1 2 --workspace "$rws"
expect_out "diff --git a/" "the diff is a patch"
if [ "$status" = active ]; then
	expect_exit 0 "export the run's skill" "$SS" export --to real --workspace "$rws"
else
	expect_exit 0 "export the run's skill" "$SS" export --to real --force --workspace "$rws"
fi
expect_exit 0 "the exported skill passes skillsmith validate" "$SS" validate real/*
