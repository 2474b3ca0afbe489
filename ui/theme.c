/*
 * Themes: colour and attributes per role, read from themes/NAME.theme
 * files over the built-in dark theme, reduced to what the terminal can
 * show (direct colour, 256, 8, or none).
 *
 * File format, one role a line (any part may be left out):
 *
 *     # comment
 *     ROLE  FG  [BG]  [ATTR...]   # a comment after a blank and "# "
 *
 * FG and BG are "default", a name (black red green yellow blue magenta
 * cyan white, bright-NAME), "colorN" (0..255) or "#rrggbb"; "-" keeps the
 * current value.  ATTR is bold, dim, underline, reverse, italic, standout
 * or normal (clears).  Meaning never rests on colour alone: every role
 * also has attributes for terminals without colour (and NO_COLOR).
 */
#include "ui/tui.h"
#include "skillsmith/common.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

/* The xterm palette, for reducing and for direct colour. */
static const uint32_t palette16[16] = {
	0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
	0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};

static const char *const role_names[ROLE__COUNT] = {
#define ROLE_NAME(id, name, fg, bg, mono) name,
	ROLE_LIST(ROLE_NAME)
#undef ROLE_NAME
};

static attr_t role_attr_tab[ROLE__COUNT];
static short role_pair_tab[ROLE__COUNT];

int theme_parse_color(struct theme_color *c, const char *s)
{
	if (!strcmp(s, "default")) {
		c->kind = 0;
		c->value = 0;
		return 0;
	}
	for (int i = 0; i < 16; i++) {
		if (!strcmp(s, color_names[i])) {
			c->kind = 1;
			c->value = (uint32_t)i;
			return 0;
		}
	}
	if (!strncmp(s, "color", 5) && isdigit((unsigned char)s[5])) {
		char *end;
		long n = strtol(s + 5, &end, 10);
		if (*end || n < 0 || n > 255)
			return -1;
		c->kind = 1;
		c->value = (uint32_t)n;
		return 0;
	}
	if (s[0] == '#' && strlen(s) == 7) {
		for (int i = 1; i < 7; i++)
			if (!isxdigit((unsigned char)s[i]))
				return -1;
		c->kind = 2;
		c->value = (uint32_t)strtoul(s + 1, NULL, 16);
		return 0;
	}
	return -1;
}

static uint32_t index_rgb(uint32_t idx)
{
	if (idx < 16)
		return palette16[idx];
	if (idx < 232) {
		static const int lv[6] = { 0, 95, 135, 175, 215, 255 };
		idx -= 16;
		return (uint32_t)(lv[idx / 36] << 16 | lv[(idx / 6) % 6] << 8 | lv[idx % 6]);
	}
	uint32_t g = 8 + (idx - 232) * 10;
	return g << 16 | g << 8 | g;
}

static int cube_level(int v)
{
	if (v < 48)
		return 0;
	if (v < 115)
		return 1;
	return (v - 35) / 40;
}

static int rgb_to_256(uint32_t rgb)
{
	int r = (int)(rgb >> 16) & 0xff, g = (int)(rgb >> 8) & 0xff, b = (int)rgb & 0xff;
	int cr = cube_level(r), cg = cube_level(g), cb = cube_level(b);
	int cube = 16 + 36 * cr + 6 * cg + cb;
	uint32_t crgb = index_rgb((uint32_t)cube);
	int avg = (r + g + b) / 3;
	int gi = avg > 238 ? 23 : (avg - 3) / 10;
	if (gi < 0)
		gi = 0;
	uint32_t grgb = index_rgb((uint32_t)(232 + gi));
	long dc = 0, dg = 0;
	for (int sh = 0; sh <= 16; sh += 8) {
		long v = (long)((rgb >> sh) & 0xff);
		long c1 = (long)((crgb >> sh) & 0xff), c2 = (long)((grgb >> sh) & 0xff);
		dc += (v - c1) * (v - c1);
		dg += (v - c2) * (v - c2);
	}
	return dg < dc ? 232 + gi : cube;
}

static int rgb_to_8(uint32_t rgb)
{
	int best = 0;
	long bestd = LONG_MAX;
	for (int i = 0; i < 8; i++) {
		long d = 0;
		for (int sh = 0; sh <= 16; sh += 8) {
			long a = (long)((rgb >> sh) & 0xff), b = (long)((palette16[i] >> sh) & 0xff);
			d += (a - b) * (a - b);
		}
		if (d < bestd) {
			bestd = d;
			best = i;
		}
	}
	return best;
}

int theme_resolve(const struct theme_color *c, enum color_mode mode)
{
	if (c->kind == 0 || mode == COLOR_MODE_MONO)
		return -1;
	uint32_t rgb = c->kind == 2 ? c->value : index_rgb(c->value);
	switch (mode) {
	case COLOR_MODE_DIRECT:
		return (int)rgb;
	case COLOR_MODE_256:
		return c->kind == 1 ? (int)c->value : rgb_to_256(rgb);
	case COLOR_MODE_8:
		if (c->kind == 1 && c->value < 16)
			return (int)(c->value & 7);
		return rgb_to_8(rgb);
	default:
		return -1;
	}
}

void theme_init(struct theme *t)
{
	static const struct { const char *fg, *bg; attr_t mono; } def[ROLE__COUNT] = {
#define ROLE_DEF(id, name, fg, bg, mono) { fg, bg, mono },
		ROLE_LIST(ROLE_DEF)
#undef ROLE_DEF
	};
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < ROLE__COUNT; i++) {
		theme_parse_color(&t->role[i].fg, def[i].fg);
		theme_parse_color(&t->role[i].bg, def[i].bg);
		t->role[i].mono = def[i].mono;
	}
	/* a few roles are bold in colour too */
	t->role[ROLE_TITLE].attrs = A_BOLD;
	t->role[ROLE_TAB_ACTIVE].attrs = A_BOLD;
	t->role[ROLE_HEADER].attrs = A_BOLD;
	t->role[ROLE_REPAIR].attrs = A_BOLD;
	t->role[ROLE_REGRESSION].attrs = A_BOLD;
	t->role[ROLE_GOOD].attrs = A_BOLD;
	t->role[ROLE_BAD].attrs = A_BOLD;
	t->role[ROLE_WARN].attrs = A_BOLD;
	t->role[ROLE_KEY].attrs = A_BOLD;
	t->role[ROLE_MARKER].attrs = A_UNDERLINE;
	t->name = xstrdup("dark");
}

void theme_release(struct theme *t)
{
	free(t->name);
	t->name = NULL;
}

static int parse_attr(const char *s, attr_t *a)
{
	static const struct { const char *name; attr_t attr; } tab[] = {
		{ "bold", A_BOLD }, { "dim", A_DIM }, { "underline", A_UNDERLINE },
		{ "reverse", A_REVERSE }, { "italic", A_ITALIC },
		{ "standout", A_STANDOUT }, { "normal", 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		if (!strcmp(s, tab[i].name)) {
			*a = tab[i].attr;
			return 0;
		}
	}
	return -1;
}

int theme_parse(struct theme *t, const char *text, const char *file)
{
	int lineno = 0;
	const char *p = text;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		char *line = xstrndup(p, n);
		p += n + (eol ? 1 : 0);
		lineno++;
		/* '#' starts a comment at the start of a line, or as a word of
		 * its own ("# ..."); "#rrggbb" is a colour */
		char *hash = line + strspn(line, " \t");
		if (*hash != '#') {
			hash = strstr(line, " #");
			while (hash && hash[2] && !isspace((unsigned char)hash[2]))
				hash = strstr(hash + 2, " #");
		}
		if (hash && *hash != '#')
			hash++;
		if (hash && *hash != '#')
			hash = NULL;
		if (hash)
			*hash = '\0';
		char *words[8];
		int nw = 0;
		for (char *tok = strtok(line, " \t\r"); tok && nw < 8; tok = strtok(NULL, " \t\r"))
			words[nw++] = tok;
		if (nw == 0) {
			free(line);
			continue;
		}
		int role = -1;
		for (int i = 0; i < ROLE__COUNT; i++)
			if (!strcmp(words[0], role_names[i]))
				role = i;
		int rc = 0;
		if (role < 0) {
			rc = ss_err_set(SS_EINPUT, "%s:%d: unknown role '%s'", file, lineno, words[0]);
			goto bad;
		}
		struct theme_entry e = t->role[role];
		int ncolor = 0;
		int reset_attrs = 1;
		for (int i = 1; i < nw; i++) {
			struct theme_color c;
			attr_t a;
			if (ncolor < 2 && !strcmp(words[i], "-")) {
				ncolor++;
			} else if (ncolor < 2 && theme_parse_color(&c, words[i]) == 0) {
				if (ncolor == 0)
					e.fg = c;
				else
					e.bg = c;
				ncolor++;
			} else if (parse_attr(words[i], &a) == 0) {
				if (reset_attrs) {
					e.attrs = 0;
					reset_attrs = 0;
				}
				e.attrs |= a;
				ncolor = 2;
			} else {
				rc = ss_err_set(SS_EINPUT, "%s:%d: '%s' is neither a colour nor an attribute",
						file, lineno, words[i]);
				goto bad;
			}
		}
		t->role[role] = e;
		free(line);
		continue;
bad:
		free(line);
		return rc;
	}
	return 0;
}

static char *find_theme(const char *name)
{
	if (strchr(name, '/'))
		return xstrdup(name);
	char *cand[4] = { NULL, NULL, NULL, NULL };
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		cand[0] = xasprintf("%s/skillsmith/themes/%s.theme", xdg, name);
	else if (home && *home)
		cand[0] = xasprintf("%s/.config/skillsmith/themes/%s.theme", home, name);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		cand[1] = xasprintf("%s/../themes/%s.theme", exe, name);
		cand[2] = xasprintf("%s/../share/skillsmith/themes/%s.theme", exe, name);
	}
	cand[3] = xasprintf("themes/%s.theme", name);
	char *found = NULL;
	for (int i = 0; i < 4; i++) {
		if (!found && cand[i] && access(cand[i], R_OK) == 0)
			found = cand[i];
		else
			free(cand[i]);
	}
	return found;
}

int theme_load(struct theme *t, const char *name)
{
	char *path = find_theme(name);
	if (!path) {
		if (!strcmp(name, "dark"))
			return 0;
		return ss_err_set(SS_ENOTFOUND, "theme '%s' not found", name);
	}
	char *text = ss_read_file(path, NULL);
	if (!text) {
		free(path);
		return SS_ERR;
	}
	int rc = theme_parse(t, text, path);
	if (rc == 0) {
		free(t->name);
		t->name = xstrdup(name);
	}
	free(text);
	free(path);
	return rc;
}

void theme_apply(const struct theme *t, enum color_mode mode)
{
	for (int i = 0; i < ROLE__COUNT; i++) {
		const struct theme_entry *e = &t->role[i];
		if (mode == COLOR_MODE_MONO) {
			role_attr_tab[i] = e->attrs | e->mono;
			role_pair_tab[i] = 0;
			continue;
		}
		int fg = theme_resolve(&e->fg, mode);
		int bg = theme_resolve(&e->bg, mode);
		short pair = (short)(i + 1);
		init_extended_pair(pair, fg, bg);
		role_pair_tab[i] = pair;
		role_attr_tab[i] = e->attrs;
		/* without a background colour, cursor-like roles need reverse */
		if (bg < 0 && (e->mono & A_REVERSE) && (i == ROLE_CURSOR || i == ROLE_STATUS ||
							i == ROLE_SEARCH || i == ROLE_TAB_ACTIVE))
			role_attr_tab[i] |= A_REVERSE;
	}
}

attr_t theme_attr(int role)
{
	return role_attr_tab[role];
}

short theme_pair(int role)
{
	return role_pair_tab[role];
}
