# Helpers for command-line tests, in the TAP style: each check prints
# "ok N - what" or "not ok N - what".  Source this file first.
SS=${SKILLSMITH_BIN:?run through tests/run.sh}
SIM=${SKILLSMITH_SIM:?run through tests/run.sh}
TOP=${SKILLSMITH_TOP:?run through tests/run.sh}
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }

# check "what" command...: passes when the command exits 0
check() {
	what=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else notok "$what"; fi
}

# expect_exit CODE "what" command...: captures stdout+stderr in $out
expect_exit() {
	want=$1; what=$2; shift 2
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$what"; else notok "$what (exit $rc, want $want): $out"; fi
}

# expect_out "substring" "what": checks the last $out
expect_out() {
	case "$out" in
	*"$1"*) ok "$2" ;;
	*) notok "$2: output lacks '$1': $out" ;;
	esac
}
