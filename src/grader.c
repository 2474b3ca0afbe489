/*
 * Graders: exact, regex, number, choice, json, command, and the LLM
 * judge's request and reply.  See include/skillsmith/grader.h.
 */
#include "skillsmith/grader.h"
#include "skillsmith/common.h"
#include "skillsmith/buf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD_OUT_CAP (1024 * 1024)
#define CMD_ERR_CAP (64 * 1024)

void grade_result_release(struct grade_result *r)
{
	free(r->note);
	free(r->extracted);
	memset(r, 0, sizeof(*r));
}

static void set_note(struct grade_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_note(struct grade_result *r, const char *fmt, ...)
{
	va_list ap;
	struct buf b = BUF_INIT;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < b.len; i++)
		if (b.buf[i] == '\n' || b.buf[i] == '\r')
			b.buf[i] = ' ';
	free(r->note);
	r->note = buf_detach(&b, NULL);
}

static void verdict(struct grade_result *r, int pass)
{
	r->outcome = pass ? 1 : 0;
	r->score = pass ? 1.0 : 0.0;
}

/* A grader failure: outcome 0, the note and the error message agree. */
static int grader_fail(struct grade_result *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int grader_fail(struct grade_result *r, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	verdict(r, 0);
	set_note(r, "%s", msg);
	return ss_err_set(code, "%s", msg);
}

/* Quote at most 60 bytes of `s` for a note. */
static const char *clip(const char *s, char out[72])
{
	size_t n = strlen(s);
	if (n <= 60) {
		snprintf(out, 72, "%s", s);
	} else {
		size_t k = 57;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
		snprintf(out, 72, "%.*s...", (int)k, s);
	}
	return out;
}

/* =========================================================== normalise */

char *grader_normalize(const char *s, unsigned flags)
{
	struct buf b = BUF_INIT;
	int space = 0;
	for (const char *p = s ? s : ""; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((flags & NORM_PUNCTUATION) && c < 0x80 && ispunct(c))
			continue;
		if ((flags & NORM_WHITESPACE) && isspace(c)) {
			space = 1;
			continue;
		}
		if (space) {
			buf_addch(&b, ' ');
			space = 0;
		}
		if ((flags & NORM_CASE) && c < 0x80)
			c = (unsigned char)tolower(c);
		buf_addch(&b, (char)c);
	}
	if (space && !(flags & NORM_TRIM))
		buf_addch(&b, ' ');
	if (flags & NORM_TRIM)
		buf_trim(&b);
	return buf_detach(&b, NULL);
}

/* ============================================================= number */

int grader_extract_number(const char *s, double *out)
{
	const unsigned char *u = (const unsigned char *)s;
	int found = 0;
	size_t i = 0;
	while (u[i]) {
		if (!(isdigit(u[i]) || (u[i] == '.' && isdigit(u[i + 1])))) {
			i++;
			continue;
		}
		/* a number starts here; a letter or digit right before it means it
		 * is part of a word ("x2", "mp3") only if that was a letter */
		struct buf b = BUF_INIT;
		int neg = 0;
		if (i >= 1 && u[i - 1] == '-' && (i < 2 || !isalnum(u[i - 2])))
			neg = 1;
		if (i >= 3 && u[i - 3] == 0xE2 && u[i - 2] == 0x88 && u[i - 1] == 0x92)
			neg = 1; /* U+2212 MINUS SIGN */
		if (neg)
			buf_addch(&b, '-');
		size_t j = i;
		if (u[j] == '.')
			buf_addch(&b, '0');
		while (isdigit(u[j])) {
			buf_addch(&b, (char)u[j++]);
			/* thousands separators: ",ddd" not followed by another digit */
			if (u[j] == ',' && isdigit(u[j + 1]) && isdigit(u[j + 2]) && isdigit(u[j + 3]) &&
			    !isdigit(u[j + 4]))
				j++;
		}
		if (u[j] == '.' && isdigit(u[j + 1])) {
			buf_addch(&b, (char)u[j++]);
			while (isdigit(u[j]))
				buf_addch(&b, (char)u[j++]);
		}
		if ((u[j] == 'e' || u[j] == 'E') &&
		    (isdigit(u[j + 1]) || ((u[j + 1] == '+' || u[j + 1] == '-') && isdigit(u[j + 2])))) {
			buf_addch(&b, (char)u[j++]);
			if (u[j] == '+' || u[j] == '-')
				buf_addch(&b, (char)u[j++]);
			while (isdigit(u[j]))
				buf_addch(&b, (char)u[j++]);
		}
		char *end;
		double v = strtod(b.buf, &end);
		if (end != b.buf && isfinite(v)) {
			*out = v;
			found = 1;
		}
		buf_release(&b);
		i = j;
	}
	return found ? 0 : SS_ENOTFOUND;
}

static int grade_number(const struct grader_config *g, const char *answer, const char *expected,
			struct grade_result *r)
{
	double a, e;
	char q[72];
	if (!expected || grader_extract_number(expected, &e))
		return grader_fail(r, SS_EINPUT, "expected answer '%s' holds no number",
				   clip(expected ? expected : "", q));
	if (grader_extract_number(answer, &a)) {
		verdict(r, 0);
		set_note(r, "no number in the answer");
		return 0;
	}
	r->extracted = xasprintf("%.17g", a);
	double d = fabs(a - e);
	int pass = d <= g->tolerance || (g->rel_tolerance > 0 && d <= g->rel_tolerance * fabs(e));
	verdict(r, pass);
	set_note(r, "read %.10g, expected %.10g%s", a, e, pass ? "" : " (outside the tolerance)");
	return 0;
}

/* ============================================================= choice */

static int letter_at(const char *p)
{
	if (!isalpha((unsigned char)p[0]) || isalnum((unsigned char)p[1]))
		return 0;
	return toupper((unsigned char)p[0]);
}

/* Case-insensitive search for the last occurrence of `needle`. */
static const char *last_casestr(const char *hay, const char *needle)
{
	const char *last = NULL;
	size_t n = strlen(needle);
	for (const char *p = hay; *p; p++)
		if (!strncasecmp(p, needle, n))
			last = p;
	return last;
}

int grader_extract_choice(const char *s)
{
	if (!s)
		return 0;
	/* 1. "answer is (b)", "Answer: B", "**Answer:** (C)" */
	static const char *const cues[] = { "answer is", "answer:", "answer -", NULL };
	const char *best = NULL;
	size_t best_len = 0;
	for (int i = 0; cues[i]; i++) {
		const char *p = last_casestr(s, cues[i]);
		if (p && (!best || p > best)) {
			best = p;
			best_len = strlen(cues[i]);
		}
	}
	if (best) {
		const char *p = best + best_len;
		while (*p == ' ' || *p == '*' || *p == ':' || *p == '\t')
			p++;
		if (*p == '(' || *p == '[')
			p++;
		int c = letter_at(p);
		if (c)
			return c;
	}
	/* 2. the last "(X)" */
	int last = 0;
	for (const char *p = s; *p; p++)
		if (p[0] == '(' && isalpha((unsigned char)p[1]) && p[2] == ')')
			last = toupper((unsigned char)p[1]);
	if (last)
		return last;
	/* 3. the whole answer, or its last line, is a letter: "B", "B.", "b)" */
	const char *line = strrchr(s, '\n');
	for (int pass = 0; pass < 2; pass++) {
		const char *p = pass == 0 ? s : (line ? line + 1 : NULL);
		if (!p)
			break;
		while (isspace((unsigned char)*p) || *p == '*')
			p++;
		if (!isalpha((unsigned char)p[0]))
			continue;
		const char *q = p + 1;
		while (*q == '.' || *q == ')' || *q == '*' || isspace((unsigned char)*q))
			q++;
		if (!*q)
			return toupper((unsigned char)p[0]);
	}
	return 0;
}

static int grade_choice(const char *answer, const char *expected, struct grade_result *r)
{
	char q[72];
	int e = grader_extract_choice(expected);
	if (!e)
		return grader_fail(r, SS_EINPUT, "expected answer '%s' is not a choice letter",
				   clip(expected ? expected : "", q));
	int a = grader_extract_choice(answer);
	if (!a) {
		verdict(r, 0);
		set_note(r, "no choice letter in the answer");
		return 0;
	}
	r->extracted = xasprintf("(%c)", a);
	verdict(r, a == e);
	set_note(r, "read (%c), expected (%c)", a, e);
	return 0;
}

/* ============================================================== exact */

static int grade_exact(const struct grader_config *g, const char *got, const char *expected,
		       struct grade_result *r)
{
	char q1[72], q2[72];
	if (!expected)
		return grader_fail(r, SS_EINPUT, "no expected answer to compare with");
	char *a = grader_normalize(got, g->normalize);
	char *e = grader_normalize(expected, g->normalize);
	int pass = !strcmp(a, e);
	verdict(r, pass);
	if (pass)
		set_note(r, "matches '%s'", clip(e, q1));
	else
		set_note(r, "read '%s', expected '%s'", clip(a, q1), clip(e, q2));
	free(a);
	free(e);
	return 0;
}

/* ============================================================== regex */

static int grade_regex(const struct grader_config *g, const char *answer, const char *expected,
		       struct grade_result *r)
{
	regex_t re;
	int rc = regcomp(&re, g->pattern ? g->pattern : "", REG_EXTENDED);
	if (rc) {
		char msg[256];
		regerror(rc, &re, msg, sizeof(msg));
		return grader_fail(r, SS_EINPUT, "invalid regular expression: %s", msg);
	}
	regmatch_t m[10];
	size_t ngroups = re.re_nsub + 1 < 10 ? re.re_nsub + 1 : 10;
	size_t off = 0, len = strlen(answer);
	regoff_t so = -1, eo = -1;
	while (off <= len) {
		if (regexec(&re, answer + off, ngroups, m, off ? REG_NOTBOL : 0))
			break;
		if ((size_t)g->group < ngroups && m[g->group].rm_so >= 0) {
			so = (regoff_t)off + m[g->group].rm_so;
			eo = (regoff_t)off + m[g->group].rm_eo;
		}
		off += m[0].rm_eo > 0 ? (size_t)m[0].rm_eo : 1;
	}
	regfree(&re);
	if (so < 0) {
		verdict(r, 0);
		set_note(r, "the pattern did not match the answer");
		return 0;
	}
	char *cap = xstrndup(answer + so, (size_t)(eo - so));
	r->extracted = cap;
	return grade_exact(g, cap, expected, r);
}

/* =============================================================== json */

static cJSON *try_parse(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (!j)
		return NULL;
	for (const char *q = end; q < s + n; q++) {
		if (!isspace((unsigned char)*q)) {
			cJSON_Delete(j);
			return NULL;
		}
	}
	return j;
}

cJSON *grader_extract_json(const char *answer)
{
	if (!answer)
		return NULL;
	/* a fence: ```json ... ``` or ``` ... ``` */
	const char *f = strstr(answer, "```");
	while (f) {
		const char *body = strchr(f + 3, '\n');
		if (!body)
			break;
		body++;
		const char *close = strstr(body, "```");
		if (!close)
			break;
		cJSON *j = try_parse(body, (size_t)(close - body));
		if (j)
			return j;
		f = strstr(close + 3, "```");
	}
	cJSON *j = try_parse(answer, strlen(answer));
	if (j)
		return j;
	const char *o = strpbrk(answer, "{[");
	if (!o)
		return NULL;
	const char *c1 = strrchr(answer, '}'), *c2 = strrchr(answer, ']');
	const char *c = c1 > c2 ? c1 : c2;
	if (!c || c < o)
		return NULL;
	return try_parse(o, (size_t)(c - o) + 1);
}

const cJSON *grader_json_path(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;
	if (!p || !*p)
		return root;
	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char *key = xstrndup(p, n);
		if (cJSON_IsArray(cur)) {
			char *end;
			long idx = strtol(key, &end, 10);
			cur = (*key && !*end && idx >= 0) ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
		} else if (cJSON_IsObject(cur)) {
			cur = cJSON_GetObjectItemCaseSensitive(cur, key);
		} else {
			cur = NULL;
		}
		free(key);
		p = dot ? dot + 1 : p + n;
	}
	return cur;
}

static int grade_json(const struct grader_config *g, const char *answer, const char *expected,
		      struct grade_result *r)
{
	char q1[72], q2[72];
	if (!expected)
		return grader_fail(r, SS_EINPUT, "no expected answer to compare with");
	cJSON *doc = grader_extract_json(answer);
	if (!doc) {
		verdict(r, 0);
		set_note(r, "the answer holds no JSON");
		return 0;
	}
	const cJSON *v = grader_json_path(doc, g->field);
	if (!v) {
		verdict(r, 0);
		set_note(r, "field '%s' is not in the answer", g->field ? g->field : "");
		cJSON_Delete(doc);
		return 0;
	}
	int rc = 0;
	if (cJSON_IsString(v)) {
		r->extracted = xstrdup(v->valuestring);
		rc = grade_exact(g, v->valuestring, expected, r);
	} else if (cJSON_IsNumber(v)) {
		double e;
		char *end;
		e = strtod(expected, &end);
		while (isspace((unsigned char)*end))
			end++;
		r->extracted = xasprintf("%.17g", v->valuedouble);
		if (end == expected || *end) {
			rc = grade_exact(g, r->extracted, expected, r);
		} else {
			double d = fabs(v->valuedouble - e);
			int pass = d <= g->tolerance ||
				   (g->rel_tolerance > 0 && d <= g->rel_tolerance * fabs(e));
			verdict(r, pass);
			set_note(r, "field '%s' is %.10g, expected %.10g", g->field, v->valuedouble, e);
		}
	} else {
		char *got = cJSON_PrintUnformatted(v);
		cJSON *ej = cJSON_Parse(expected);
		int pass = ej ? cJSON_Compare(v, ej, 1) : 0;
		r->extracted = xstrdup(got ? got : "");
		if (!ej) {
			char *a = grader_normalize(got, g->normalize), *e = grader_normalize(expected, g->normalize);
			pass = !strcmp(a, e);
			free(a);
			free(e);
		}
		verdict(r, pass);
		set_note(r, "field '%s' is %s, expected %s", g->field, clip(got ? got : "", q1),
			 clip(expected, q2));
		cJSON_Delete(ej);
		cJSON_free(got);
	}
	cJSON_Delete(doc);
	return rc;
}

/* ============================================================ command */

struct grader_job {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	char *in_data;
	size_t in_len, in_off;
	struct buf out, err;
	int64_t deadline_ms;
	int timeout_s;
	double threshold;
	char *prog;
	int finished, exited, status, timed_out;
	int exec_errno;
};

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int grader_job_start(struct grader_job **out, const struct grader_config *g,
		     const char *stdin_data, size_t stdin_len)
{
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 }, pexec[2] = { -1, -1 };
	*out = NULL;
	if (!g->argv || !g->argv[0])
		return ss_err_set(SS_EINPUT, "the command grader has no command");
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC) ||
	    pipe2(pexec, O_CLOEXEC)) {
		int rc = ss_err_set(SS_ERR, "cannot create pipes: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			close_fd(&pin[i]);
			close_fd(&pout[i]);
			close_fd(&perr[i]);
			close_fd(&pexec[i]);
		}
		return rc;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int rc = ss_err_set(SS_ERR, "cannot fork: %s", strerror(errno));
		for (int i = 0; i < 2; i++) {
			close_fd(&pin[i]);
			close_fd(&pout[i]);
			close_fd(&perr[i]);
			close_fd(&pexec[i]);
		}
		return rc;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		execvp(g->argv[0], g->argv);
		int e = errno;
		ssize_t w = write(pexec[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	setpgid(pid, pid); /* both sides, so kill(-pid) works at once */
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	close(pexec[1]);
	struct grader_job *j = xcalloc(1, sizeof(*j));
	j->pid = pid;
	j->in_fd = pin[1];
	j->out_fd = pout[0];
	j->err_fd = perr[0];
	buf_init(&j->out, 0);
	buf_init(&j->err, 0);
	j->in_data = xmalloc(stdin_len + 1);
	memcpy(j->in_data, stdin_data ? stdin_data : "", stdin_len);
	j->in_len = stdin_len;
	j->timeout_s = g->timeout_s;
	j->threshold = g->threshold;
	j->prog = xstrdup(g->argv[0]);
	j->deadline_ms = ss_now_ms() + (int64_t)g->timeout_s * 1000;
	/* exec failure arrives on the exec pipe; success closes it (CLOEXEC) */
	int e = 0;
	ssize_t n;
	do
		n = read(pexec[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(pexec[0]);
	if (n == (ssize_t)sizeof(e))
		j->exec_errno = e;
	set_nonblock(j->in_fd);
	set_nonblock(j->out_fd);
	set_nonblock(j->err_fd);
	if (j->in_len == 0)
		close_fd(&j->in_fd);
	*out = j;
	return 0;
}

int grader_job_pollfds(struct grader_job *j, struct pollfd *pfds, int max)
{
	int n = 0;
	if (j->in_fd >= 0 && n < max)
		pfds[n++] = (struct pollfd){ .fd = j->in_fd, .events = POLLOUT };
	if (j->out_fd >= 0 && n < max)
		pfds[n++] = (struct pollfd){ .fd = j->out_fd, .events = POLLIN };
	if (j->err_fd >= 0 && n < max)
		pfds[n++] = (struct pollfd){ .fd = j->err_fd, .events = POLLIN };
	return n;
}

int64_t grader_job_deadline_ms(const struct grader_job *j)
{
	return j->deadline_ms;
}

/* Read what is there; EOF closes the fd.  Past the cap, data is dropped. */
static void drain(int *fd, struct buf *b, size_t cap)
{
	char tmp[8192];
	while (*fd >= 0) {
		ssize_t n = read(*fd, tmp, sizeof(tmp));
		if (n > 0) {
			size_t room = b->len < cap ? cap - b->len : 0;
			buf_add(b, tmp, (size_t)n < room ? (size_t)n : room);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(fd);
	}
}

static void feed(struct grader_job *j)
{
	while (j->in_fd >= 0 && j->in_off < j->in_len) {
		ssize_t n = write(j->in_fd, j->in_data + j->in_off, j->in_len - j->in_off);
		if (n > 0) {
			j->in_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		close_fd(&j->in_fd); /* EPIPE: the grader did not want it all */
	}
	if (j->in_off >= j->in_len)
		close_fd(&j->in_fd);
}

static void reap(struct grader_job *j, int block)
{
	int st;
	pid_t r;
	do
		r = waitpid(j->pid, &st, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == j->pid) {
		j->exited = 1;
		j->status = st;
	}
}

static void finish(struct grader_job *j)
{
	close_fd(&j->in_fd);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
	kill(-j->pid, SIGKILL); /* grandchildren left behind, if any */
	j->finished = 1;
}

int grader_job_step(struct grader_job *j, int timeout_ms)
{
	if (j->finished)
		return 1;
	int64_t now = ss_now_ms();
	if (now >= j->deadline_ms) {
		kill(-j->pid, SIGKILL);
		reap(j, 1);
		j->timed_out = 1;
		finish(j);
		return 1;
	}
	int64_t left = j->deadline_ms - now;
	int wait = timeout_ms < 0 || timeout_ms > left ? (int)left : timeout_ms;
	struct pollfd pfds[3];
	int n = grader_job_pollfds(j, pfds, 3);
	if (n == 0) {
		/* output closed: wait for the exit, a little at a time */
		reap(j, 0);
		if (!j->exited) {
			poll(NULL, 0, wait < 10 ? wait : 10);
			reap(j, 0);
		}
	} else {
		int pr = poll(pfds, (nfds_t)n, wait);
		if (pr < 0 && errno != EINTR)
			return ss_err_set(SS_ERR, "poll: %s", strerror(errno));
		feed(j);
		drain(&j->out_fd, &j->out, CMD_OUT_CAP);
		drain(&j->err_fd, &j->err, CMD_ERR_CAP);
		reap(j, 0);
	}
	if (j->exited) {
		/* whatever is still in the pipes */
		drain(&j->out_fd, &j->out, CMD_OUT_CAP);
		drain(&j->err_fd, &j->err, CMD_ERR_CAP);
		finish(j);
		return 1;
	}
	return 0;
}

/* The last non-empty line of `b`, trimmed (malloc'd), or NULL. */
static char *last_line(const struct buf *b)
{
	struct buf t = BUF_INIT;
	buf_add(&t, b->buf, b->len);
	buf_trim(&t);
	if (!t.len) {
		buf_release(&t);
		return NULL;
	}
	const char *nl = strrchr(t.buf, '\n');
	char *s = xstrdup(nl ? nl + 1 : t.buf);
	buf_release(&t);
	struct buf u = BUF_INIT;
	buf_adds(&u, s);
	buf_trim(&u);
	free(s);
	return buf_detach(&u, NULL);
}

int grader_job_result(struct grader_job *j, struct grade_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!j->finished)
		return grader_fail(r, SS_ERR, "grader '%s' has not finished", j->prog);
	if (j->exec_errno)
		return grader_fail(r, SS_EINPUT, "cannot run grader '%s': %s", j->prog,
				   strerror(j->exec_errno));
	if (j->timed_out)
		return grader_fail(r, SS_ERR, "grader '%s' timed out after %d s (killed)", j->prog,
				   j->timeout_s);
	if (WIFSIGNALED(j->status))
		return grader_fail(r, SS_ERR, "grader '%s' was killed by signal %d", j->prog,
				   WTERMSIG(j->status));
	int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1;
	char *line = last_line(&j->out);
	int rc = 0;
	char *end = NULL;
	double v = line ? strtod(line, &end) : 0;
	if (line && end != line && !*end) {
		if (!(v >= 0 && v <= 1) || (code != 0 && code != 1)) {
			if (code != 0 && code != 1)
				rc = grader_fail(r, SS_ERR, "grader '%s' exited with status %d", j->prog, code);
			else
				rc = grader_fail(r, SS_ERR, "grader '%s' printed score %s, outside [0, 1]",
						 j->prog, line);
		} else {
			r->score = v;
			r->outcome = v >= j->threshold;
			set_note(r, "score %g %s threshold %g", v, r->outcome ? ">=" : "<", j->threshold);
		}
	} else if (code == 0 || code == 1) {
		verdict(r, code == 0);
		char q[72];
		if (line)
			set_note(r, "%s", clip(line, q));
		else
			set_note(r, "exit status %d", code);
	} else {
		char *eline = last_line(&j->err);
		char q[72];
		rc = grader_fail(r, SS_ERR, "grader '%s' exited with status %d%s%s", j->prog, code,
				 eline ? ": " : "", eline ? clip(eline, q) : "");
		free(eline);
	}
	free(line);
	return rc;
}

void grader_job_free(struct grader_job *j)
{
	if (!j)
		return;
	if (!j->exited) {
		kill(-j->pid, SIGKILL);
		reap(j, 1);
	}
	close_fd(&j->in_fd);
	close_fd(&j->out_fd);
	close_fd(&j->err_fd);
	buf_release(&j->out);
	buf_release(&j->err);
	free(j->in_data);
	free(j->prog);
	free(j);
}

char *grader_command_input(const char *instance_id, const char *input, const char *expected,
			   const char *output, const cJSON *messages)
{
	cJSON *o = cJSON_CreateObject();
	if (instance_id)
		cJSON_AddStringToObject(o, "instance_id", instance_id);
	if (input)
		cJSON_AddStringToObject(o, "input", input);
	if (expected)
		cJSON_AddStringToObject(o, "expected", expected);
	if (output)
		cJSON_AddStringToObject(o, "output", output);
	if (messages)
		cJSON_AddItemToObject(o, "messages", cJSON_Duplicate(messages, 1));
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	char *r = xstrdup(s ? s : "{}");
	cJSON_free(s);
	return r;
}

static int grade_command(const struct grader_config *g, const char *answer, const char *expected,
			 const char *trajectory_json, struct grade_result *r)
{
	char *owned = NULL;
	if (!trajectory_json)
		trajectory_json = owned = grader_command_input(NULL, NULL, expected, answer, NULL);
	struct grader_job *j;
	int rc = grader_job_start(&j, g, trajectory_json, strlen(trajectory_json));
	free(owned);
	if (rc)
		return grader_fail(r, rc, "%s", ss_err_last());
	while ((rc = grader_job_step(j, -1)) == 0)
		;
	if (rc < 0) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", ss_err_last());
		grader_job_free(j);
		return grader_fail(r, SS_ERR, "%s", msg);
	}
	rc = grader_job_result(j, r);
	grader_job_free(j);
	return rc;
}

/* ============================================================== judge */

#define JUDGE_RUBRIC_DEFAULT \
	"Judge whether the answer correctly and completely solves the task. " \
	"If a reference answer is given, the answer passes when it agrees with the " \
	"reference in substance (wording and format may differ)."

int grader_judge_request(const struct grader_config *g, const char *input, const char *answer,
			 const char *expected, char **system, cJSON **messages, cJSON **schema)
{
	*system = xasprintf("You are a strict, fair grader. %s\n\n"
			    "Reply with JSON only: {\"score\": a number from 0 to 1, "
			    "\"verdict\": \"pass\" or \"fail\", \"reason\": one sentence}.",
			    g->judge_rubric ? g->judge_rubric : JUDGE_RUBRIC_DEFAULT);
	struct buf b = BUF_INIT;
	buf_addf(&b, "## Task\n%s\n\n", input ? input : "");
	if (expected)
		buf_addf(&b, "## Reference answer\n%s\n\n", expected);
	buf_addf(&b, "## Answer to judge\n%s\n", answer ? answer : "");
	cJSON *msgs = cJSON_CreateArray();
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", b.buf);
	cJSON_AddItemToArray(msgs, m);
	buf_release(&b);
	*messages = msgs;

	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "type", "object");
	cJSON *props = cJSON_AddObjectToObject(s, "properties");
	cJSON *score = cJSON_AddObjectToObject(props, "score");
	cJSON_AddStringToObject(score, "type", "number");
	cJSON_AddNumberToObject(score, "minimum", 0);
	cJSON_AddNumberToObject(score, "maximum", 1);
	cJSON *ver = cJSON_AddObjectToObject(props, "verdict");
	cJSON_AddStringToObject(ver, "type", "string");
	cJSON *en = cJSON_AddArrayToObject(ver, "enum");
	cJSON_AddItemToArray(en, cJSON_CreateString("pass"));
	cJSON_AddItemToArray(en, cJSON_CreateString("fail"));
	cJSON *reason = cJSON_AddObjectToObject(props, "reason");
	cJSON_AddStringToObject(reason, "type", "string");
	cJSON *req = cJSON_AddArrayToObject(s, "required");
	cJSON_AddItemToArray(req, cJSON_CreateString("score"));
	cJSON_AddItemToArray(req, cJSON_CreateString("verdict"));
	cJSON_AddItemToArray(req, cJSON_CreateString("reason"));
	cJSON_AddBoolToObject(s, "additionalProperties", 0);
	*schema = s;
	return 0;
}

int grader_judge_parse(const struct grader_config *g, const cJSON *json, const char *text,
		       struct grade_result *r)
{
	cJSON *owned = NULL;
	memset(r, 0, sizeof(*r));
	if (!json && text)
		json = owned = grader_extract_json(text);
	if (!cJSON_IsObject(json)) {
		cJSON_Delete(owned);
		return grader_fail(r, SS_ERR, "the judge's reply is not a JSON object");
	}
	const cJSON *score = cJSON_GetObjectItemCaseSensitive(json, "score");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(json, "verdict");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(json, "reason");
	int rc = 0;
	if (!cJSON_IsNumber(score) || !(score->valuedouble >= 0 && score->valuedouble <= 1)) {
		rc = grader_fail(r, SS_ERR, "the judge's reply lacks a score in [0, 1]");
	} else if (!cJSON_IsString(ver) || (strcmp(ver->valuestring, "pass") &&
					   strcmp(ver->valuestring, "fail"))) {
		rc = grader_fail(r, SS_ERR, "the judge's verdict must be \"pass\" or \"fail\"");
	} else {
		r->score = score->valuedouble;
		r->outcome = r->score >= g->threshold;
		int said_pass = !strcmp(ver->valuestring, "pass");
		const char *why = cJSON_IsString(reason) ? reason->valuestring : "";
		if (said_pass != r->outcome)
			set_note(r, "%s (judge said %s, score %g decides)", why, ver->valuestring,
				 r->score);
		else
			set_note(r, "%s", why);
		r->extracted = xstrdup(ver->valuestring);
	}
	cJSON_Delete(owned);
	return rc;
}

/* ============================================================ dispatch */

int grader_grade(const struct grader_config *g, const char *answer, const char *expected,
		 const char *trajectory_json, struct grade_result *r)
{
	memset(r, 0, sizeof(*r));
	if (!answer)
		answer = "";
	switch (g->kind) {
	case GRADER_EXACT:
		return grade_exact(g, answer, expected, r);
	case GRADER_REGEX:
		return grade_regex(g, answer, expected, r);
	case GRADER_NUMBER:
		return grade_number(g, answer, expected, r);
	case GRADER_CHOICE:
		return grade_choice(answer, expected, r);
	case GRADER_JSON:
		return grade_json(g, answer, expected, r);
	case GRADER_COMMAND:
		return grade_command(g, answer, expected, trajectory_json, r);
	case GRADER_JUDGE:
		return grader_fail(r, SS_EINPUT, "the judge grader runs through the LLM client "
				   "(grader_judge_request)");
	}
	return grader_fail(r, SS_EINPUT, "unknown grader kind");
}
