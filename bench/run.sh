#!/bin/sh
# Run every benchmark binary build/bench/bench_*; each prints TSV rows
# "figure<TAB>value<TAB>unit<TAB>aim".  Collect them into bench/results.tsv
# with a fifth column `met` (yes / no, or - when the aim is not a bound
# such as "<=1" or ">=0.9") and print the table.
BUILD=${BUILD:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=bench/results.tsv
tmp=$(mktemp "${TMPDIR:-/tmp}/bench.XXXXXX")
trap 'rm -f "$tmp"' EXIT
printf 'figure\tvalue\tunit\taim\tmet\n' > "$tmp"
status=0
for b in "$BUILD"/bench/bench_* bench/bench_*.sh; do
	[ -x "$b" ] || continue
	case "$b" in *.o|*.d) continue ;; esac
	if ! BUILD="$BUILD" "$b" > "$tmp.rows"; then
		echo "bench: $(basename "$b") failed" >&2
		status=1
	fi
	awk -F '\t' 'BEGIN { OFS = "\t" }
	NF >= 4 {
		aim = $4; v = $2 + 0; met = "-"
		if (aim ~ /^<=/) met = (v <= substr(aim, 3) + 0) ? "yes" : "no"
		else if (aim ~ /^>=/) met = (v >= substr(aim, 3) + 0) ? "yes" : "no"
		else if (aim ~ /^</) met = (v < substr(aim, 2) + 0) ? "yes" : "no"
		else if (aim ~ /^>/) met = (v > substr(aim, 2) + 0) ? "yes" : "no"
		print $1, $2, $3, $4, met
	}' "$tmp.rows" >> "$tmp"
	rm -f "$tmp.rows"
done
cp "$tmp" "$out"
column -t -s "$(printf '\t')" "$out" 2>/dev/null || cat "$out"
exit $status
