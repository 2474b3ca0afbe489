/*
 * Drawing: the one path from text to the terminal (draw_text, which
 * sanitizes everything), lines made of role segments, the generic line
 * view body, glyphs with ASCII fallbacks, number and time formatting, and
 * the screen dump used by the tests.
 */
#include "ui/tui.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

/* ------------------------------------------------------------------ */
/* Glyphs. */

static const char *const glyph_utf8[G__COUNT] = {
	"\xe2\x9c\x93", "\xe2\x9c\x97", "\xc2\xb7", "~", "!", " ",
	"\xe2\x9c\x93", "\xe2\x96\xb6", "\xc2\xb7", "\xe2\x86\x92", "\xe2\x96\x88", "\xe2\x96\x91",
	"\xe2\x80\xa6", "\xe2\x94\x82", "\xe2\x94\x80", "\xc3\x97", "\xe2\x89\xa5",
	"\xe2\x96\xb2", "\xe2\x96\xbc", "\xc2\xb7",
};
static const char *const glyph_ascii[G__COUNT] = {
	"o", "x", ".", "~", "!", " ",
	"*", ">", ".", "->", "#", "-",
	"~", "|", "-", "x", ">=",
	"+", "-", ".",
};

const char *glyph(struct ui *ui, enum glyph g)
{
	return ui->utf8 ? glyph_utf8[g] : glyph_ascii[g];
}

const char *glyph_spark(struct ui *ui, int level)
{
	static const char *const u[8] = {
		"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
		"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88",
	};
	static const char *const a[8] = { "_", ".", "-", "~", "=", "+", "*", "#" };
	if (level < 0)
		level = 0;
	if (level > 7)
		level = 7;
	return ui->utf8 ? u[level] : a[level];
}

/* ------------------------------------------------------------------ */
/* Formatting. */

void fmt_count(char *out, size_t n, double v)
{
	if (v < 0)
		v = 0;
	if (v < 1000)
		snprintf(out, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(out, n, "%.1fk", v / 1e3);
	else if (v < 1e9)
		snprintf(out, n, "%.1fM", v / 1e6);
	else
		snprintf(out, n, "%.1fG", v / 1e9);
}

void fmt_duration(char *out, size_t n, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, n, "%ds", (int)s);
	else if (s < 3600)
		snprintf(out, n, "%dm%02ds", (int)(s / 60), (int)(s % 60));
	else if (s < 86400 * 2)
		snprintf(out, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(out, n, "%dd%02dh", (int)(s / 86400), (int)(s / 3600 % 24));
}

void fmt_clock(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(out, n, "%H:%M:%S", &tm);
}

void fmt_datetime(char *out, size_t n, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%d %H:%M", &tm);
}

/* ------------------------------------------------------------------ */
/* Text. */

struct emitter {
	int y, x, w;       /* area */
	int col;           /* columns used */
	int skip;          /* columns still to skip */
	int role;          /* role of the pending run */
	wchar_t run[256];
	int nrun;
	int base;          /* a printable character precedes in this run */
};

static void flush(struct emitter *e)
{
	if (!e->nrun)
		return;
	e->run[e->nrun] = 0;
	wattr_set(stdscr, theme_attr(e->role), theme_pair(e->role), NULL);
	waddnwstr(stdscr, e->run, e->nrun);
	e->nrun = 0;
}

/* Returns 0 when the area is full. */
static int emit(struct emitter *e, wchar_t c, int width, int role)
{
	if (width == 0) {
		/* combining: attach only to a character drawn in this run */
		if (e->skip > 0 || !e->base || e->nrun == 0 || e->role != role)
			return 1;
		if (e->nrun < (int)ARRAY_SIZE(e->run) - 1)
			e->run[e->nrun++] = c;
		return 1;
	}
	if (e->skip > 0) {
		e->skip -= width;
		if (e->skip < 0) {
			/* half of a wide character scrolled off: a blank */
			int blanks = -e->skip;
			e->skip = 0;
			while (blanks-- > 0)
				if (!emit(e, L' ', 1, role))
					return 0;
		}
		return 1;
	}
	if (e->col + width > e->w)
		return 0;
	if (e->role != role || e->nrun >= (int)ARRAY_SIZE(e->run) - 2) {
		flush(e);
		e->role = role;
	}
	e->run[e->nrun++] = c;
	e->col += width;
	e->base = 1;
	return 1;
}

static int emit_text(struct ui *ui, struct emitter *e, const char *s, size_t len, int role)
{
	struct sanitize_tok t;
	while (len > 0) {
		sanitize_next(&t, s, len, ui->san_flags);
		s += t.len;
		len -= t.len;
		if (t.marker[0]) {
			for (const char *m = t.marker; *m; m++)
				if (!emit(e, (wchar_t)*m, 1, ROLE_MARKER))
					return 0;
			continue;
		}
		if (t.width == 0 && (!e->base || e->role != role)) {
			char m[16];
			snprintf(m, sizeof(m), "<U+%04X>", (unsigned)t.cp);
			for (const char *p = m; *p; p++)
				if (!emit(e, (wchar_t)*p, 1, ROLE_MARKER))
					return 0;
			continue;
		}
		if (!emit(e, (wchar_t)t.cp, t.width, role))
			return 0;
	}
	return 1;
}

static void emitter_init(struct emitter *e, int y, int x, int w, int skip, int role)
{
	memset(e, 0, sizeof(*e));
	e->y = y;
	e->x = x;
	e->w = w;
	e->skip = skip;
	e->role = role;
	wmove(stdscr, y, x);
}

int draw_text(struct ui *ui, int y, int x, int w, int role, const char *s, int skip)
{
	if (w <= 0 || !s)
		return 0;
	struct emitter e;
	emitter_init(&e, y, x, w, skip, role);
	emit_text(ui, &e, s, strlen(s), role);
	flush(&e);
	return e.col;
}

void draw_fill(struct ui *ui, int y, int x, int w, int role)
{
	if (w <= 0)
		return;
	wattr_set(stdscr, theme_attr(role), theme_pair(role), NULL);
	mvwhline(stdscr, y, x, ' ', w);
}

void draw_line(struct ui *ui, const struct line *l, int y, int x, int w, int xoff, int cursor)
{
	struct emitter e;
	int base_role = cursor ? ROLE_CURSOR : l->role;
	emitter_init(&e, y, x, w, xoff, base_role);
	if (l->nseg == 0) {
		emit_text(ui, &e, l->text.buf, l->text.len, base_role);
	} else {
		if (l->seg[0].start > 0)
			emit_text(ui, &e, l->text.buf, l->seg[0].start, base_role);
		for (int i = 0; i < l->nseg; i++) {
			size_t start = l->seg[i].start;
			size_t end = i + 1 < l->nseg ? l->seg[i + 1].start : l->text.len;
			int role = cursor ? ROLE_CURSOR : l->seg[i].role;
			if (!emit_text(ui, &e, l->text.buf + start, end - start, role))
				break;
		}
	}
	flush(&e);
	if (e.col < w)
		draw_fill(ui, y, x + e.col, w - e.col, base_role);
}

void draw_lines(struct view *v, struct ui *ui, int y, int h)
{
	for (int i = 0; i < h; i++) {
		size_t n = v->offset + (size_t)i;
		if (n < v->lines)
			draw_line(ui, &v->line[n], y + i, 0, ui->cols, v->xoff, n == v->lineno);
		else
			draw_fill(ui, y + i, 0, ui->cols, ROLE_DEFAULT);
	}
}

/* ------------------------------------------------------------------ */
/* Lines. */

struct line *view_add_line(struct view *v, int role, int kind, int64_t id)
{
	ALLOC_GROW(v->line, v->lines + 1, v->alloc);
	struct line *l = &v->line[v->lines++];
	memset(l, 0, sizeof(*l));
	buf_init(&l->text, 0);
	l->role = role;
	l->kind = kind;
	l->id = id;
	return l;
}

void line_add(struct line *l, int role, const char *s)
{
	if (!s || !*s)
		return;
	if (l->nseg == 0 || l->seg[l->nseg - 1].role != role) {
		if (l->nseg == 0 && l->text.len == 0 && role == l->role) {
			buf_adds(&l->text, s);
			return;
		}
		if (l->nseg == 0 && l->text.len > 0) {
			/* the text so far is in the line role */
			ALLOC_GROW(l->seg, 1, l->aseg);
			l->seg[0].start = 0;
			l->seg[0].role = l->role;
			l->nseg = 1;
		}
		if (l->nseg == 0 || l->seg[l->nseg - 1].role != role) {
			ALLOC_GROW(l->seg, (size_t)l->nseg + 1, l->aseg);
			l->seg[l->nseg].start = (unsigned)l->text.len;
			l->seg[l->nseg].role = role;
			l->nseg++;
		}
	}
	buf_adds(&l->text, s);
}

void line_addf(struct line *l, int role, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	line_add(l, role, tmp);
}

/* Truncate safe text to w columns (with an ellipsis when cut). */
static void clip_safe(struct ui *ui, struct buf *out, const char *safe, int w, int *used)
{
	size_t len = strlen(safe);
	int total = (int)sanitize_width(safe);
	int limit = total > w ? w - 1 : w;
	int col = 0;
	const char *p = safe;
	while (len > 0) {
		uint32_t cp;
		int n = sanitize_utf8_decode(p, len, &cp);
		int cw = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
		if (cw < 0)
			cw = 1;
		if (col + cw > limit)
			break;
		buf_add(out, p, (size_t)n);
		col += cw;
		p += n;
		len -= (size_t)n;
	}
	if (total > w && w > 0) {
		buf_adds(out, glyph(ui, G_ELLIPSIS));
		col++;
	}
	*used = col;
}

void line_add_cell(struct ui *ui, struct line *l, int role, int w, int right, const char *s)
{
	char *safe = sanitize_dup(s ? s : "", ui->san_flags);
	struct buf b = BUF_INIT;
	struct buf clipped = BUF_INIT;
	int used;
	clip_safe(ui, &clipped, safe, w, &used);
	if (right)
		for (int i = used; i < w; i++)
			buf_addch(&b, ' ');
	buf_add(&b, clipped.buf, clipped.len);
	if (!right)
		for (int i = used; i < w; i++)
			buf_addch(&b, ' ');
	line_add(l, role, b.buf);
	buf_release(&b);
	buf_release(&clipped);
	free(safe);
}

void view_add_wrapped(struct ui *ui, struct view *v, int role, int kind, int64_t id,
		      int indent, int w, const char *s)
{
	if (w < 10)
		w = 10;
	struct buf safe = BUF_INIT;
	sanitize_append(&safe, s ? s : "", s ? strlen(s) : 0,
			ui->san_flags | SANITIZE_NEWLINES | SANITIZE_TABS);
	const char *p = safe.buf;
	int avail = w - indent;
	if (avail < 8)
		avail = 8;
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t plen = eol ? (size_t)(eol - p) : strlen(p);
		/* break the paragraph into chunks of at most avail columns */
		size_t off = 0;
		do {
			size_t i = off, last_space = 0, cut = plen;
			int col = 0;
			while (i < plen) {
				uint32_t cp;
				int n = sanitize_utf8_decode(p + i, plen - i, &cp);
				int cw = cp < 0x80 ? 1 : wcwidth((wchar_t)cp);
				if (cw < 0)
					cw = 1;
				if (col + cw > avail) {
					cut = i;
					break;
				}
				if (cp == ' ')
					last_space = i;
				col += cw;
				i += (size_t)n;
			}
			if (cut < plen && last_space > off)
				cut = last_space + 1;
			struct line *l = view_add_line(v, role, kind, id);
			for (int k = 0; k < indent; k++)
				buf_addch(&l->text, ' ');
			buf_add(&l->text, p + off, cut - off);
			off = cut;
		} while (off < plen);
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_release(&safe);
}

void view_clear_lines(struct view *v)
{
	for (size_t i = 0; i < v->lines; i++) {
		buf_release(&v->line[i].text);
		free(v->line[i].seg);
	}
	v->lines = 0;
}

void view_restore(struct view *v, int kind, int64_t id)
{
	for (size_t i = 0; i < v->lines; i++) {
		if (v->line[i].kind == kind && v->line[i].id == id) {
			v->lineno = i;
			return;
		}
	}
	if (v->lineno >= v->lines)
		v->lineno = v->lines ? v->lines - 1 : 0;
}

/* ------------------------------------------------------------------ */
/* Screen dump. */

int ui_dump(struct ui *ui, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return ss_err_set(SS_ERR, "cannot write '%s'", path);
	struct buf row = BUF_INIT;
	for (int y = 0; y < ui->rows; y++) {
		buf_reset(&row);
		for (int x = 0; x < ui->cols;) {
			cchar_t cc;
			wchar_t wch[CCHARW_MAX + 1];
			attr_t a;
			short pair;
			int w = 1;
			if (mvwin_wch(stdscr, y, x, &cc) == OK &&
			    getcchar(&cc, wch, &a, &pair, NULL) != ERR && wch[0]) {
				int cw = wcwidth(wch[0]);
				w = cw > 1 ? cw : 1;
				for (int i = 0; wch[i] && i < CCHARW_MAX; i++) {
					char enc[4];
					buf_add(&row, enc, (size_t)sanitize_utf8_encode((uint32_t)wch[i], enc));
				}
			} else {
				buf_addch(&row, ' ');
			}
			x += w;
		}
		while (row.len && row.buf[row.len - 1] == ' ')
			buf_setlen(&row, row.len - 1);
		fprintf(f, "%s\n", row.buf);
	}
	buf_release(&row);
	if (fclose(f) != 0)
		return ss_err_set(SS_ERR, "cannot write '%s'", path);
	return 0;
}
