. "$SKILLSMITH_TOP/tests/lib.sh"

expect_exit 0 "--help exits 0" "$SS" --help
expect_out "validate" "--help lists commands"
expect_exit 0 "--version exits 0" "$SS" --version
expect_out "skillsmith " "--version prints the name"
expect_exit 2 "no command is bad input" "$SS"
expect_exit 2 "unknown command is bad input" "$SS" frobnicate
expect_out "unknown command 'frobnicate'" "unknown command named"
for c in demo run watch status report import induce log diff approve reject audit validate export; do
	expect_exit 0 "$c --help exits 0" "$SS" "$c" --help
	expect_out "usage: skillsmith $c" "$c --help shows usage"
done
