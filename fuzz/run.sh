#!/bin/sh
# Run every libFuzzer target for SECONDS on a copy of its seed corpus.
# Usage: fuzz/run.sh BUILD_DIR SECONDS.  Prints "N passed, N failed".
build=${1:-build-fuzz}
secs=${2:-10}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
work=$(mktemp -d "${TMPDIR:-/tmp}/skillsmith-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
for t in "$build"/fuzz/fuzz_*; do
	case "$t" in *.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	name=${t##*/fuzz_}
	mkdir -p "$work/$name"
	[ -d "fuzz/corpus/$name" ] && cp -r "fuzz/corpus/$name/." "$work/$name/"
	if ASAN_OPTIONS=detect_leaks=1 "$t" -max_total_time="$secs" -max_len=65536 \
		-rss_limit_mb=2048 -artifact_prefix="$work/$name-" "$work/$name" \
		>"$work/$name.log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$work/$name.log" | tail -1)
		echo "ok   fuzz_$name ($runs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz_$name"
		tail -40 "$work/$name.log"
		for a in "$work/$name-"*; do
			[ -f "$a" ] && { mkdir -p fuzz/crashes; cp "$a" fuzz/crashes/; echo "  input saved in fuzz/crashes/${a##*/}"; }
		done
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
