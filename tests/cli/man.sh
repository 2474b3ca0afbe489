# The manual renders without warnings and documents every command.
. "$SKILLSMITH_TOP/tests/lib.sh"
MAN=$TOP/man/skillsmith.1

if command -v groff >/dev/null 2>&1; then
	w=$(groff -ww -man -Tutf8 "$MAN" 2>&1 >/dev/null)
	if [ -z "$w" ]; then ok "groff renders the manual without warnings"; else notok "groff warnings: $w"; fi
else
	ok "# skip: groff is not installed"
fi
if command -v man >/dev/null 2>&1; then
	w=$(MANWIDTH=80 man -l "$MAN" 2>&1 >/dev/null)
	if [ -z "$w" ]; then ok "man -l renders without warnings"; else notok "man -l warnings: $w"; fi
fi

# every command of the command table has its own subsection
cmds=$("$SS" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}')
[ -n "$cmds" ] && ok "the command list is read from --help" || notok "the command list is read from --help"
for c in $cmds; do
	if grep -q "^\.SS \"skillsmith .*$c" "$MAN"; then ok "man documents $c"; else notok "man lacks a section for $c"; fi
done
for s in FILES ENVIRONMENT "EXIT STATUS" CONFIGURATION SIMULATOR; do
	if grep -q "^\.SH \"*$s" "$MAN"; then ok "man has $s"; else notok "man lacks $s"; fi
done
