#!/bin/sh
# Run every unit test binary and every command-line test, then print one
# closing line "N passed, N failed".  Hermetic: fixed TZ, HOME, TERM, locale.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

export TZ=UTC LC_ALL=C.UTF-8 TERM=xterm-256color LINES=24 COLUMNS=80
export SKILLSMITH_TOP="$top" SKILLSMITH_BIN="$top/$BUILD/skillsmith" \
       SKILLSMITH_SIM="$top/$BUILD/skillsmith-sim"
tmproot=$(mktemp -d "${TMPDIR:-/tmp}/skillsmith-tests.XXXXXX")
export HOME="$tmproot/home" XDG_CONFIG_HOME="$tmproot/home/.config"
mkdir -p "$HOME"
unset SKILLSMITH_WORKSPACE NO_COLOR
trap 'rm -rf "$tmproot"' EXIT

pass=0
fail=0
failed=""
filter=${1:-}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	name=$(basename "$t")
	[ -n "$filter" ] && case "$name" in *"$filter"*) ;; *) continue ;; esac
	out="$tmproot/$name.out"
	(cd "$tmproot" && TMPDIR="$tmproot" "$top/$t") >"$out" 2>&1
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $name"
		echo "FAIL $name"
		cat "$out"
	else
		echo "ok   $name ($p)"
	fi
done

for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t" .sh)
	[ -n "$filter" ] && case "$name" in *"$filter"*) ;; *) continue ;; esac
	out="$tmproot/cli-$name.out"
	work="$tmproot/cli-$name"
	mkdir -p "$work"
	(cd "$work" && TMPDIR="$work" sh "$top/$t") >"$out" 2>&1
	rc=$?
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -ne 0 ]; then
		failed="$failed $name"
		echo "FAIL cli/$name"
		cat "$out"
	else
		echo "ok   cli/$name ($p)"
	fi
done

[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
