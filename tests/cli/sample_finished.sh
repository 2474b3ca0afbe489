# The finished demo workspace shipped in sample-runs/ opens as a finished
# run with an active skill, for the report and the dashboard alike.
. "$SKILLSMITH_TOP/tests/lib.sh"
cp -r "$TOP/sample-runs/demo-finished" ws
expect_exit 0 "report on the shipped finished run" "$SS" report --json --workspace ws
expect_out '"state":	"done"' "the shipped run is finished"
expect_out '"status":	"active"' "the shipped skill is active"
[ "$(sqlite3 ws/store.db 'PRAGMA integrity_check')" = ok ] && ok "the shipped store is intact" || notok "shipped store damaged"
