/*
 * Help: generated from the key table (so it is never out of date), then
 * the ':' commands and where keys and themes are configured.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const view_names[VIEW__COUNT] = {
	"overview", "grid", "clusters", "pairs", "diff", "edits", "log",
	"trajectory", "pair", "help",
};

static void add_bindings(struct view *v, struct ui *ui, int view)
{
	size_t n;
	const struct keybinding *kb = keys_table(&n);
	for (int r = 1; r < REQ__COUNT; r++) {
		struct buf keys = BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			if (kb[i].req != (enum request)r || kb[i].view != view)
				continue;
			/* a view binding hides the generic one of the same key */
			if (view == -1) {
				int shadowed = 0;
				(void)shadowed;
			}
			buf_addf(&keys, "%s%s", keys.len ? " " : "", key_name(kb[i].key));
		}
		if (keys.len) {
			struct line *l = view_add_line(v, ROLE_DEFAULT, 0, r);
			line_add(l, ROLE_DEFAULT, "  ");
			line_add_cell(ui, l, ROLE_KEY, 18, 0, keys.buf);
			line_add_cell(ui, l, ROLE_DIM, 16, 0, request_name((enum request)r));
			line_add(l, ROLE_DEFAULT, request_help((enum request)r));
			if (REQ_IS_DECISION(r) && ui->opt.readonly)
				line_add(l, ROLE_WARN, "  (disabled: --readonly)");
		}
		buf_release(&keys);
	}
}

static int help_read(struct view *v, struct ui *ui)
{
	view_clear_lines(v);
	struct line *l = view_add_line(v, ROLE_HEADER, 0, 0);
	line_add(l, ROLE_HEADER, "Keys in every view");
	add_bindings(v, ui, -1);
	for (int i = 0; i < VIEW__COUNT; i++) {
		size_t n;
		const struct keybinding *kb = keys_table(&n);
		int any = 0;
		for (size_t k = 0; k < n; k++)
			any |= kb[k].view == i;
		if (!any)
			continue;
		view_add_line(v, ROLE_DEFAULT, 0, 0);
		l = view_add_line(v, ROLE_HEADER, 0, 0);
		line_addf(l, ROLE_HEADER, "Keys in %s", view_names[i]);
		add_bindings(v, ui, i);
	}
	view_add_line(v, ROLE_DEFAULT, 0, 0);
	l = view_add_line(v, ROLE_HEADER, 0, 0);
	line_add(l, ROLE_HEADER, "Commands (:)");
	static const char *const cmds[][2] = {
		{ ":view NAME", "show a view (overview grid clusters pairs diff edits log)" },
		{ ":diff A [B]", "diff round A against its parent, or rounds A and B" },
		{ ":run ID", "show another run of the store" },
		{ ":goto N  or  :N", "go to line N" },
		{ ":theme NAME", "switch theme (dark light high-contrast mono, or a path)" },
		{ ":pause  :resume", "stop / restart following the store" },
		{ ":refresh", "reload everything now" },
		{ ":resize WxH", "resize the virtual screen (for key scripts)" },
		{ ":dump FILE", "write the screen text to FILE" },
		{ ":quit  :q", "quit" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		l = view_add_line(v, ROLE_DEFAULT, 0, 0);
		line_add(l, ROLE_DEFAULT, "  ");
		line_add_cell(ui, l, ROLE_KEY, 18, 0, cmds[i][0]);
		line_add(l, ROLE_DEFAULT, cmds[i][1]);
	}
	view_add_line(v, ROLE_DEFAULT, 0, 0);
	l = view_add_line(v, ROLE_HEADER, 0, 0);
	line_add(l, ROLE_HEADER, "Configuration");
	char *kp = keys_default_path();
	l = view_add_line(v, ROLE_DEFAULT, 0, 0);
	line_addf(l, ROLE_DEFAULT, "  keys: %s  (bind VIEW|generic KEY ACTION)", kp);
	free(kp);
	l = view_add_line(v, ROLE_DEFAULT, 0, 0);
	line_addf(l, ROLE_DEFAULT, "  theme: %s (--theme or $SKILLSMITH_THEME); NO_COLOR honoured",
		  ui->theme.name ? ui->theme.name : "dark");
	snprintf(v->status, sizeof(v->status), "help: q or Esc closes");
	return 0;
}

const struct view_ops help_ops = {
	.name = "help",
	.title = "Help",
	.open = NULL,
	.read = help_read,
	.draw = NULL,
	.request = NULL,
	.select = NULL,
	.done = NULL,
};
