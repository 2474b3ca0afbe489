# skillsmith audit: one fixture per finding kind, exit codes, JSON, runs.
. "$SKILLSMITH_TOP/tests/lib.sh"
D="$TOP/tests/data/audit"

# expect_rule DIR RULE...: the audit of DIR reports every RULE
expect_rules() {
	dir=$1; shift
	out=$("$SS" audit "$D/$dir" 2>&1)
	for r in "$@"; do
		case "$out" in
		*" $r "*) ok "$dir: $r" ;;
		*) notok "$dir: $r missing: $out" ;;
		esac
	done
}

expect_exit 0 "clean skill passes" "$SS" audit "$D/clean-skill"
expect_out "0 findings" "clean skill has no findings"
expect_exit 0 "clean skill passes even at info" "$SS" audit --severity info "$D/clean-skill"

expect_exit 1 "bad name fails" "$SS" audit "$D/bad-name"
expect_rules bad-name skill-invalid
expect_exit 1 "no front matter fails" "$SS" audit "$D/no-frontmatter"
expect_rules no-frontmatter skill-invalid

expect_exit 1 "tag characters fail" "$SS" audit "$D/unicode-tag"
expect_rules unicode-tag unicode-tag prompt-injection
expect_out 'spelling "ignore previous instructions"' "hidden tag text is decoded"
expect_exit 1 "bidi overrides fail" "$SS" audit "$D/unicode-bidi"
expect_rules unicode-bidi unicode-bidi
expect_out "<U+202E>" "bidi override shown as a marker"
expect_exit 1 "zero-width fails" "$SS" audit "$D/unicode-zero-width"
expect_rules unicode-zero-width unicode-zero-width

expect_exit 1 "injection fails" "$SS" audit "$D/injection"
expect_rules injection prompt-injection
case "$out" in *"SKILL.md:9:"*"SKILL.md:10:"*) ok "injection lines 9 and 10" ;; *) notok "injection lines: $out" ;; esac

expect_exit 1 "escape sequence line fails" "$SS" audit "$D/escape"
case "$out" in
*"$(printf '\033')"*) notok "raw escape reached the output" ;;
*"^[[31m"*) ok "escape shown as a visible marker" ;;
*) notok "escape marker missing: $out" ;;
esac

expect_rules exfil exfil-send exfil-host exfil-url url sensitive-path
expect_rules upload exfil-upload
expect_exit 0 "plain URL is info only" "$SS" audit "$D/url-only"
expect_exit 1 "plain URL fails at --severity info" "$SS" audit --severity info "$D/url-only"
expect_exit 1 "--fail-on is the same option" "$SS" audit --fail-on=info "$D/url-only"
expect_rules url-only url
expect_rules url-query url-query

expect_exit 1 "commands fail" "$SS" audit "$D/commands"
expect_rules commands cmd-pipe-shell cmd-rm-rf cmd-eval cmd-chmod-777 cmd-ssh-write base64-blob
case "$out" in *"SKILL.md:8:"*) notok "rm -rf in prose flagged" ;; *) ok "rm -rf in prose is not a command" ;; esac
case "$out" in *"scripts/setup.sh:3"*) ok "findings name the script and line" ;; *) notok "script line: $out" ;; esac

expect_exit 1 "secrets fail" "$SS" audit "$D/secrets"
expect_rules secrets secret-openai secret-anthropic secret-aws secret-github secret-slack secret-private-key secret-generic
case "$out" in
*FAKEfixture*|*IOSFODNN7EXAMPLE*|*Q2pL9rT4*) notok "a secret reached the output" ;;
*) ok "secrets are masked" ;;
esac

expect_exit 0 "size budget is low severity" "$SS" audit "$D/size"
expect_rules size size-lines size-tokens
expect_exit 1 "size fails at --severity low" "$SS" audit --severity low "$D/size"
expect_exit 0 "high threshold ignores medium findings" "$SS" audit --severity high "$D/url-query"

# a single SKILL.md file
expect_exit 1 "a SKILL.md file can be audited" "$SS" audit "$D/injection/SKILL.md"
expect_out "prompt-injection" "file audit finds injection"

# JSON
out=$("$SS" audit --json "$D/upload" 2>&1)
case "$out" in *'"rule":	"exfil-upload"'*'"counts":'*'"high":	1'*) ok "json has rule and counts" ;; *) notok "json: $out" ;; esac
case "$out" in *'"path":'*'"findings":'*'"excerpt":'*) ok "json has path, findings, excerpt" ;; *) notok "json keys: $out" ;; esac

# SARIF
expect_exit 1 "sarif keeps the exit status" "$SS" audit --sarif "$D/commands"
case "$out" in *'"version":	"2.1.0"'*'"ruleId":	"cmd-eval"'*'"startLine":	5'*) ok "sarif result with rule and line" ;; *) notok "sarif: $out" ;; esac
case "$out" in *'"uri":	"scripts/setup.sh"'*) ok "sarif names the script" ;; *) notok "sarif uri: $out" ;; esac

# bad input
expect_exit 2 "missing path or run" "$SS" audit
expect_exit 2 "unknown path/run" "$SS" audit no-such-thing --workspace ws
expect_out "no-such-thing" "message names the argument"
expect_exit 2 "bad severity" "$SS" audit --severity urgent "$D/clean-skill"
expect_exit 2 "unknown option" "$SS" audit --frobnicate "$D/clean-skill"

# a run in a store
mkdir -p ws
if sqlite3 ws/store.db < "$TOP/src/schema.sql" && sqlite3 ws/store.db "PRAGMA user_version = 1;"; then
	body=$(cat "$D/clean-skill/SKILL.md" | sed "s/'/''/g")
	sqlite3 ws/store.db "
INSERT INTO runs (id, created_at, updated_at, config_json, strategy, seed, selected_candidate, final_status, gate_threshold)
  VALUES ('r1', 0, 0, '{\"agent\":{\"model\":\"sim-small\"}}', 'skillgen', 1, 7, 'active', 2);
INSERT INTO runs (id, created_at, updated_at, config_json, strategy, seed)
  VALUES ('r2', 0, 0, '{}', 'skillgen', 1);
INSERT INTO candidates (id, run_id, round, strategy, body, skill_json, n00, n01, n10, n11, m, net_gain, created_at)
  VALUES (7, 'r1', 1, 'skillgen', '$body',
  '{\"context\":\"Dates\",\"success_patterns\":[{\"rule\":\"Rewrite the date as YYYY-MM-DD\",\"evidence\":[\"S1\",\"P2\"]}],\"failure_lessons\":[{\"rule\":\"Recount close options\",\"evidence\":[\"F3\",\"C:d-017\"]}]}',
  3, 9, 2, 6, 20, 7, 0);
INSERT INTO run_state (run_id, key, value) VALUES ('r1', 'attribution',
  '{\"candidate\":7,\"net_gain\":7,\"rules\":[{\"section\":\"Success patterns\",\"text\":\"Rewrite the date\",\"marginal\":5},{\"section\":\"Failure lessons\",\"text\":\"Recount close options\",\"marginal\":-1,\"p_value\":1}]}');
" || notok "fixture store"
	expect_exit 0 "audit of a run's selected skill" "$SS" audit r1 --workspace ws
	expect_out "evidence-gate" "run audit shows the gate evidence"
	expect_out "G = 7 >= gate 2 on m = 20 (9 repairs, 2 regressions)" "gate figures"
	expect_out "verified with sim-small" "model named"
	expect_out "evidence: F3 (failure cluster), C:d-017 (case)" "provenance of a rule"
	expect_out "run:r1" "run path"
	expect_out "attrib-harmful" "harmful rule reported"
	expect_out "2. -1 harmful   [Failure lessons] Recount close options" "attribution listed rule by rule"
	SKILLSMITH_WORKSPACE=ws expect_exit 0 "workspace from the environment" "$SS" audit r1
	out=$("$SS" audit --json r1 --workspace ws 2>&1)
	case "$out" in *'"evidence":'*'"p_value":'*'"provenance":'*'"S1"'*) ok "json evidence and provenance" ;; *) notok "run json: $out" ;; esac
	expect_exit 2 "unknown run" "$SS" audit r9 --workspace ws
	expect_out "r9" "unknown run named"
	expect_exit 2 "run without a selected skill" "$SS" audit r2 --workspace ws
	expect_out "no selected skill" "says why"
else
	notok "sqlite3 could not build the fixture store"
fi
