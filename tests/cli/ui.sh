# `skillsmith watch` from the command line: arguments, workspace paths,
# read-only mode, and what reaches the terminal.
. "$SKILLSMITH_TOP/tests/lib.sh"

mkstore() {
	mkdir -p "$1"
	{ cat "$TOP/src/schema.sql"; echo "PRAGMA user_version = 1;"; cat "$2"; } | sqlite3 "$1/store.db"
}

cat > fixture.sql <<'SQL'
INSERT INTO runs (id, created_at, updated_at, config_json, strategy, seed, state, stage, round, rounds_total, gate_threshold)
VALUES ('r-1', 1800000000, 1800000000, '{}', 'skillgen', 1, 'done', 'done', 2, 2, 2);
INSERT INTO instances (run_id, id, idx, split, type, input) VALUES ('r-1', 'q-1', 0, 'ver', 'date', 'x');
INSERT INTO candidates (id, run_id, round, strategy, body, status, created_at) VALUES (1, 'r-1', 1, 'skillgen', 'body', 'pending', 1800000000);
INSERT INTO events (run_id, at, kind, message) VALUES ('r-1', 1800000000, 'info', 'title ' || char(27) || ']0;pwned' || char(7) || ' clear ' || char(27) || '[2JCLEARED');
SQL
mkstore ws fixture.sql

expect_exit 0 "watch --help" "$SS" watch --help
expect_out "workspace directory" "watch --help explains RUN may be a path"
expect_exit 2 "watch with no store is bad input" "$SS" watch --workspace nowhere
expect_out "no store at 'nowhere/store.db'" "the missing store is named"
expect_exit 2 "watch of an unknown run is bad input" "$SS" watch nope --workspace ws
expect_out "no run 'nope'" "the unknown run is named"
expect_exit 2 "watch without a terminal is bad input" "$SS" watch ws </dev/null
expect_out "needs a terminal" "says it needs a terminal"
expect_exit 2 "unknown option" "$SS" watch --frob

printf ':resize 100x30\n' > script
SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=xterm-256color \
	"$SS" watch ws >raw 2>err
rc=$?
if [ $rc -eq 0 ] && grep -q "run r-1" dump; then ok "watch opens a workspace directory given as RUN"; else notok "watch ws (exit $rc): $(cat err)"; fi
if grep -q '\^\[\]0;pwned\^G' dump; then ok "escape sequences shown as markers"; else notok "markers missing: $(cat dump)"; fi
if grep -q "$(printf '\033]0;pwned')" raw || grep -q "$(printf '\033\\[2JCLEARED')" raw; then
	notok "an escape sequence from the store reached the terminal"
else
	ok "no escape sequence from the store reached the terminal"
fi

SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=xterm-256color \
	"$SS" watch ws/store.db --readonly >raw 2>err
if [ $? -eq 0 ] && grep -q "finished ro" dump; then ok "watch takes a store path and --readonly"; else notok "watch store.db --readonly: $(cat err)"; fi

SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=xterm-256color \
	"$SS" watch r-1 --workspace ws >raw 2>err
if [ $? -eq 0 ] && grep -q "run r-1" dump; then ok "watch RUN --workspace DIR"; else notok "watch r-1: $(cat err)"; fi

SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=dumb NO_COLOR=1 \
	"$SS" watch ws >raw 2>err
if [ $? -eq 0 ] && grep -q "run r-1" dump; then ok "works on a dumb terminal with NO_COLOR"; else notok "dumb terminal: $(cat err)"; fi

mkdir -p holder && mkstore holder/.skillsmith fixture.sql
SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=xterm-256color \
	"$SS" watch holder >raw 2>err
if [ $? -eq 0 ] && grep -q "run r-1" dump; then ok "watch DIR finds DIR/.skillsmith/store.db"; else notok "watch holder: $(cat err)"; fi

# the finished sample workspaces open on a fresh checkout
for d in "$TOP"/sample-runs/*/; do
	ws=""
	for c in "$d" "$d.skillsmith/" "${d}workspace/"; do
		[ -f "${c}store.db" ] && ws=$c && break
	done
	[ -n "$ws" ] || continue
	SKILLSMITH_UI_SCRIPT=$PWD/script SKILLSMITH_UI_DUMP=$PWD/dump TERM=xterm-256color \
		"$SS" watch "$d" --readonly >raw 2>err
	if [ $? -eq 0 ] && grep -q "^run " dump; then ok "watch $(basename "$d") opens"; else notok "watch $d: $(cat err)"; fi
done
