/*
 * Requests, key names and the key table.  The same table drives input and
 * writes the help screen, so help never goes out of date.
 *
 * keys.conf ($XDG_CONFIG_HOME/skillsmith/keys.conf, else
 * ~/.config/skillsmith/keys.conf), one binding a line:
 *
 *     # comment
 *     bind generic J move-down
 *     bind grid F filter
 *     bind edits <C-a> approve
 *
 * VIEW is "generic" (every view) or a view name (overview grid clusters
 * pairs diff edits log trajectory pair help); ACTION is a request name as
 * listed by the help screen; "none" unbinds.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const req_names[REQ__COUNT] = {
#define REQ_NAME(id, name, help) name,
	REQ_LIST(REQ_NAME)
#undef REQ_NAME
};
static const char *const req_helps[REQ__COUNT] = {
#define REQ_HELP(id, name, help) help,
	REQ_LIST(REQ_HELP)
#undef REQ_HELP
};

const char *request_name(enum request r)
{
	return r < REQ__COUNT ? req_names[r] : "?";
}

const char *request_help(enum request r)
{
	return r < REQ__COUNT ? req_helps[r] : "?";
}

enum request request_from_name(const char *name)
{
	for (int i = 0; i < REQ__COUNT; i++)
		if (!strcmp(req_names[i], name))
			return (enum request)i;
	return REQ__COUNT;
}

static const struct { const char *name; int key; } key_names[] = {
	{ "Enter", KEY_RETURN }, { "Return", KEY_RETURN }, { "Esc", KEY_ESCAPE },
	{ "Tab", KEY_TAB }, { "BackTab", FN(KEY_BTAB) }, { "S-Tab", FN(KEY_BTAB) },
	{ "Space", ' ' }, { "Up", FN(KEY_UP) }, { "Down", FN(KEY_DOWN) },
	{ "Left", FN(KEY_LEFT) }, { "Right", FN(KEY_RIGHT) }, { "PgUp", FN(KEY_PPAGE) },
	{ "PgDn", FN(KEY_NPAGE) }, { "PageUp", FN(KEY_PPAGE) }, { "PageDown", FN(KEY_NPAGE) },
	{ "Home", FN(KEY_HOME) }, { "End", FN(KEY_END) }, { "Backspace", FN(KEY_BACKSPACE) },
	{ "Del", FN(KEY_DC) }, { "LessThan", '<' }, { "Hash", '#' },
	{ "F1", FN(KEY_F(1)) }, { "F5", FN(KEY_F(5)) }, { "F10", FN(KEY_F(10)) },
};

int key_parse(const char *s, size_t *len)
{
	if (s[0] == '<' && s[1] && s[1] != '>') {
		const char *end = strchr(s, '>');
		if (end) {
			size_t n = (size_t)(end - s - 1);
			*len = (size_t)(end - s + 1);
			if (n == 3 && (s[1] == 'C' || s[1] == 'c') && s[2] == '-')
				return tolower((unsigned char)s[3]) & 0x1f;
			for (size_t i = 0; i < ARRAY_SIZE(key_names); i++)
				if (strlen(key_names[i].name) == n &&
				    !strncasecmp(key_names[i].name, s + 1, n))
					return key_names[i].key;
			return -1;
		}
	}
	uint32_t cp;
	int n = sanitize_utf8_decode(s, strlen(s), &cp);
	*len = (size_t)n;
	return cp == UINT32_MAX ? -1 : (int)cp;
}

const char *key_name(int key)
{
	static char out[16];
	if (key == ' ')
		return "<Space>";
	if (key == '<')
		return "<";
	for (size_t i = 0; i < ARRAY_SIZE(key_names); i++) {
		if (key_names[i].key == key && strcmp(key_names[i].name, "Return") &&
		    strcmp(key_names[i].name, "PageUp") && strcmp(key_names[i].name, "PageDown") &&
		    strcmp(key_names[i].name, "S-Tab") && strcmp(key_names[i].name, "LessThan") &&
		    strcmp(key_names[i].name, "Hash")) {
			snprintf(out, sizeof(out), "<%s>", key_names[i].name);
			return out;
		}
	}
	if (key > 0 && key < 32) {
		snprintf(out, sizeof(out), "<C-%c>", key + 'a' - 1);
		return out;
	}
	if (key >= 32 && key < 127) {
		snprintf(out, sizeof(out), "%c", key);
		return out;
	}
	if (!KEY_IS_FN(key) && key > 127 && key < 0x110000) {
		out[sanitize_utf8_encode((uint32_t)key, out)] = '\0';
		return out;
	}
	snprintf(out, sizeof(out), "<%d>", key);
	return out;
}

static const struct keybinding default_keys[] = {
	{ '1', REQ_VIEW_OVERVIEW, -1 }, { '2', REQ_VIEW_GRID, -1 },
	{ '3', REQ_VIEW_CLUSTERS, -1 }, { '4', REQ_VIEW_PAIRS, -1 },
	{ '5', REQ_VIEW_DIFF, -1 }, { '6', REQ_VIEW_EDITS, -1 },
	{ '7', REQ_VIEW_LOG, -1 },
	{ KEY_TAB, REQ_VIEW_NEXT, -1 }, { FN(KEY_BTAB), REQ_VIEW_PREV, -1 },
	{ '?', REQ_HELP, -1 }, { FN(KEY_F(1)), REQ_HELP, -1 },
	{ KEY_ESCAPE, REQ_BACK, -1 }, { '<', REQ_BACK, -1 },
	{ 'q', REQ_CLOSE, -1 }, { 'Q', REQ_QUIT, -1 },
	{ 'k', REQ_MOVE_UP, -1 }, { FN(KEY_UP), REQ_MOVE_UP, -1 },
	{ 'j', REQ_MOVE_DOWN, -1 }, { FN(KEY_DOWN), REQ_MOVE_DOWN, -1 },
	{ 'h', REQ_MOVE_LEFT, -1 }, { FN(KEY_LEFT), REQ_MOVE_LEFT, -1 },
	{ 'l', REQ_MOVE_RIGHT, -1 }, { FN(KEY_RIGHT), REQ_MOVE_RIGHT, -1 },
	{ FN(KEY_PPAGE), REQ_PAGE_UP, -1 }, { FN(KEY_NPAGE), REQ_PAGE_DOWN, -1 },
	{ 'u' & 0x1f, REQ_HALF_UP, -1 }, { 'd' & 0x1f, REQ_HALF_DOWN, -1 },
	{ 'b' & 0x1f, REQ_PAGE_UP, -1 }, { 'f' & 0x1f, REQ_PAGE_DOWN, -1 },
	{ 'g', REQ_FIRST, -1 }, { FN(KEY_HOME), REQ_FIRST, -1 },
	{ 'G', REQ_LAST, -1 }, { FN(KEY_END), REQ_LAST, -1 },
	{ KEY_RETURN, REQ_ENTER, -1 }, { FN(KEY_ENTER), REQ_ENTER, -1 },
	{ '/', REQ_SEARCH, -1 }, { 'n', REQ_SEARCH_NEXT, -1 }, { 'N', REQ_SEARCH_PREV, -1 },
	{ ':', REQ_PROMPT, -1 }, { 'R', REQ_REFRESH, -1 }, { FN(KEY_F(5)), REQ_REFRESH, -1 },
	{ 'p', REQ_PAUSE, -1 },
	{ 'f', REQ_FILTER, VIEW_GRID }, { 's', REQ_SORT, VIEW_GRID },
	{ 'c', REQ_FILTER_CLUSTER, VIEW_GRID }, { 't', REQ_FILTER_TYPE, VIEW_GRID },
	{ 'v', REQ_LAYOUT, VIEW_PAIR }, { '[', REQ_PREV_ITEM, VIEW_PAIR },
	{ ']', REQ_NEXT_ITEM, VIEW_PAIR },
	{ 'v', REQ_LAYOUT, VIEW_DIFF }, { '[', REQ_PREV_ITEM, VIEW_DIFF },
	{ ']', REQ_NEXT_ITEM, VIEW_DIFF },
	{ ' ', REQ_MARK, VIEW_LOG }, { 'd', REQ_DIFF, VIEW_LOG },
	{ 'a', REQ_APPROVE, VIEW_EDITS }, { 'x', REQ_REJECT, VIEW_EDITS },
};

static struct keybinding *table;
static size_t table_nr, table_alloc;

void keys_init(void)
{
	table_nr = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_keys); i++) {
		ALLOC_GROW(table, table_nr + 1, table_alloc);
		table[table_nr++] = default_keys[i];
	}
}

static void bind(int key, enum request req, int view)
{
	for (size_t i = 0; i < table_nr; i++) {
		if (table[i].key == key && table[i].view == view) {
			table[i].req = req;
			return;
		}
	}
	ALLOC_GROW(table, table_nr + 1, table_alloc);
	table[table_nr].key = key;
	table[table_nr].req = req;
	table[table_nr].view = view;
	table_nr++;
}

static int view_by_name(const char *name)
{
	static const char *const names[VIEW__COUNT] = {
		"overview", "grid", "clusters", "pairs", "diff", "edits", "log",
		"trajectory", "pair", "help",
	};
	if (!strcmp(name, "generic"))
		return -1;
	for (int i = 0; i < VIEW__COUNT; i++)
		if (!strcmp(names[i], name))
			return i;
	return -2;
}

int keys_load(const char *path, char **err)
{
	struct buf errs = BUF_INIT;
	char *text = ss_read_file(path, NULL);
	if (!text) {
		*err = NULL;
		return 0;  /* no file: defaults */
	}
	int lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		char *w[4];
		int nw = 0;
		char *s2 = NULL;
		for (char *tok = strtok_r(line, " \t\r", &s2); tok && nw < 4; tok = strtok_r(NULL, " \t\r", &s2))
			w[nw++] = tok;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (strcmp(w[0], "bind") || nw != 4) {
			buf_addf(&errs, "%s%s:%d: expected 'bind VIEW KEY ACTION'",
				 errs.len ? "; " : "", path, lineno);
			continue;
		}
		int view = view_by_name(w[1]);
		size_t used;
		int key = key_parse(w[2], &used);
		enum request req = request_from_name(w[3]);
		if (view < -1)
			buf_addf(&errs, "%s%s:%d: unknown view '%s'", errs.len ? "; " : "", path, lineno, w[1]);
		else if (key < 0 || used != strlen(w[2]))
			buf_addf(&errs, "%s%s:%d: unknown key '%s'", errs.len ? "; " : "", path, lineno, w[2]);
		else if (req == REQ__COUNT)
			buf_addf(&errs, "%s%s:%d: unknown action '%s'", errs.len ? "; " : "", path, lineno, w[3]);
		else
			bind(key, req, view);
	}
	free(text);
	*err = errs.len ? buf_detach(&errs, NULL) : NULL;
	buf_release(&errs);
	return *err ? SS_EINPUT : 0;
}

enum request keys_lookup(int key, int view)
{
	for (size_t i = 0; i < table_nr; i++)
		if (table[i].key == key && table[i].view == view)
			return table[i].req;
	for (size_t i = 0; i < table_nr; i++)
		if (table[i].key == key && table[i].view == -1)
			return table[i].req;
	return REQ_NONE;
}

const struct keybinding *keys_table(size_t *n)
{
	*n = table_nr;
	return table;
}

int keys_first(enum request req, int view)
{
	for (size_t i = 0; i < table_nr; i++)
		if (table[i].req == req && (table[i].view == view || table[i].view == -1))
			return table[i].key;
	return -1;
}

char *keys_default_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	if (xdg && *xdg)
		return xasprintf("%s/skillsmith/keys.conf", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.config/skillsmith/keys.conf", home ? home : ".");
}
