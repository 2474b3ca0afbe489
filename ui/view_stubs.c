/* Views still to come: each says so. */
#include "ui/tui.h"

static int stub_read(struct view *v, struct ui *ui)
{
	view_clear_lines(v);
	struct line *l = view_add_line(v, ROLE_DIM, 0, 0);
	line_add(l, ROLE_DIM, "  this view is not available in this version yet");
	return 0;
}

#define STUB(var, nm, tt) const struct view_ops var = { .name = nm, .title = tt, .read = stub_read }
STUB(clusters_ops, "clusters", "Clusters");
STUB(pairs_ops, "pairs", "Pairs");
STUB(diff_ops, "diff", "Diff");
STUB(edits_ops, "edits", "Edits");
STUB(log_ops, "log", "Log");
STUB(traj_ops, "trajectory", "Trajectory");
STUB(pair_ops, "pair", "Pair");
