/*
 * Pre-deployment audit of a skill: content checks line by line, Agent
 * Skills validity, the size budget, and for runs the verification
 * evidence and rule provenance.
 */
#include "skillsmith/audit.h"
#include "skillsmith/attrib.h"
#include "skillsmith/buf.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"
#include "skillsmith/skill.h"
#include "skillsmith/stats.h"
#include "skillsmith/store.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define AUDIT_MAX_FILE (1024 * 1024)  /* larger files are not scanned */
#define BUDGET_LINES SKILL_BODY_MAX_LINES
#define BUDGET_TOKENS SKILL_BODY_MAX_TOKENS
#define BLOB_MIN 200
#define EXCERPT_BEFORE 32
#define EXCERPT_AFTER 64

/* ------------------------------------------------------------------ */
/* Report                                                              */

static const char *const severity_names[] = { "info", "low", "medium", "high" };

const char *audit_severity_name(enum audit_severity s)
{
	return (unsigned)s < AUDIT_NR_SEVERITIES ? severity_names[s] : "unknown";
}

int audit_severity_parse(const char *s)
{
	for (int i = 0; s && i < AUDIT_NR_SEVERITIES; i++)
		if (!strcasecmp(s, severity_names[i]))
			return i;
	return -1;
}

/* Sanitized single-line form: tabs become spaces first. */
static char *clean_line(const char *s)
{
	char *t = xstrdup(s ? s : "");
	for (char *p = t; *p; p++)
		if (*p == '\t')
			*p = ' ';
	char *out = sanitize_dup(t, 0);
	free(t);
	return out;
}

void audit_add(struct audit_report *r, enum audit_severity sev,
	       const char *rule, const char *file, int line,
	       const char *message, const char *excerpt)
{
	ALLOC_GROW(r->findings, r->nr + 1, r->alloc);
	struct audit_finding *f = &r->findings[r->nr++];
	f->severity = sev;
	f->rule = xstrdup(rule);
	f->file = clean_line(file);
	f->line = line;
	f->message = clean_line(message);
	f->excerpt = clean_line(excerpt);
}

void audit_report_release(struct audit_report *r)
{
	for (size_t i = 0; i < r->nr; i++) {
		free(r->findings[i].rule);
		free(r->findings[i].file);
		free(r->findings[i].message);
		free(r->findings[i].excerpt);
	}
	free(r->findings);
	for (size_t i = 0; i < r->nr_prov; i++) {
		free(r->prov[i].section);
		free(r->prov[i].text);
		for (size_t j = 0; j < r->prov[i].nr_evidence; j++)
			free(r->prov[i].evidence[j]);
		free(r->prov[i].evidence);
	}
	free(r->prov);
	for (size_t i = 0; i < r->nr_attr; i++) {
		free(r->attr[i].section);
		free(r->attr[i].text);
		free(r->attr[i].verdict);
	}
	free(r->attr);
	free(r->path);
	free(r->run_id);
	free(r->model);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

size_t audit_count_at_least(const struct audit_report *r, enum audit_severity min)
{
	size_t n = 0;
	for (size_t i = 0; i < r->nr; i++)
		n += r->findings[i].severity >= min;
	return n;
}

/* ------------------------------------------------------------------ */
/* Patterns                                                            */

enum scope { ANYWHERE, CODE_ONLY };

#define P_ICASE   0x1
#define P_SECRET  0x2  /* mask the match (or group) in every excerpt */
#define P_ENTROPY 0x4  /* the group must look random */

struct pattern {
	const char *rule;
	enum audit_severity sev;
	enum scope scope;
	unsigned flags;
	int group;          /* submatch that is the secret value, 0 whole */
	const char *re;
	const char *message;
	regex_t rx;
};

#define SP "[[:space:]]+"
#define OS "[[:space:]]*"

static struct pattern patterns[] = {
	/* secrets first: they are masked in every other excerpt */
	{ "secret-anthropic", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "sk-ant-[A-Za-z0-9_-]{16,}", "Anthropic API key", { 0 } },
	{ "secret-openai", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "sk-(proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}", "OpenAI-style API key", { 0 } },
	{ "secret-aws", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "(AKIA|ASIA)[0-9A-Z]{16}", "AWS access key id", { 0 } },
	{ "secret-github", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})",
	  "GitHub token", { 0 } },
	{ "secret-slack", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "xox[abposr]-[A-Za-z0-9-]{10,}", "Slack token", { 0 } },
	{ "secret-google", AUDIT_HIGH, ANYWHERE, P_SECRET, 0,
	  "AIza[0-9A-Za-z_-]{35}", "Google API key", { 0 } },
	{ "secret-generic", AUDIT_MEDIUM, ANYWHERE, P_SECRET | P_ICASE | P_ENTROPY, 3,
	  "(api[_-]?key|secret|token|passw(or)?d|access[_-]?key|auth[_-]?key|credential)"
	  "[a-z0-9_-]*[\"']?" OS "[:=]" OS "[\"']?([A-Za-z0-9_/+.=-]{16,})",
	  "high-entropy value assigned to a credential name", { 0 } },

	/* the key's lines are not shown: only the marker line has a finding */
	{ "secret-private-key", AUDIT_HIGH, ANYWHERE, 0, 0,
	  "-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----",
	  "private key block", { 0 } },

	/* prompt injection, anywhere */
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "ignore" SP "(all" SP "|any" SP ")?(of" SP ")?(the" SP "|your" SP "|my" SP ")?"
	  "(previous|prior|above|earlier|preceding|foregoing|former|original|system)" SP
	  "(instructions?|prompts?|rules|directions|guidelines|messages?|context|directives)",
	  "tells the agent to ignore its instructions", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "disregard" SP "(all" SP "|any" SP ")?(of" SP ")?(the" SP "|your" SP ")?"
	  "(previous|prior|above|earlier|preceding|foregoing|system|original)",
	  "tells the agent to disregard its instructions", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "forget" SP "(all" SP "|everything" SP ")?(of" SP ")?(the" SP "|your" SP ")?"
	  "(previous|prior|above|earlier|original)" SP "(instructions?|rules|prompts?|guidelines)",
	  "tells the agent to forget its instructions", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "override" SP "(your|the|all|any)" SP "(previous" SP "|prior" SP "|safety" SP "|system" SP ")?"
	  "(instructions|rules|guidelines|restrictions|prompt)",
	  "tells the agent to override its instructions", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "you" SP "are" SP "now" SP "(a|an|the|my|dan|no" SP "longer|unrestricted|jailbroken|"
	  "free" SP "(of|from)|in" SP "(developer|god|dan|jailbreak|admin|unrestricted)" SP "mode)"
	  "([^a-z]|$)",
	  "reassigns the agent's role", { 0 } },
	{ "prompt-injection", AUDIT_LOW, ANYWHERE, P_ICASE, 0,
	  "(^|[^a-z])you" SP "are" SP "now([^a-z]|$)",
	  "'you are now' phrasing", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "system" OS "prompt" OS ":",
	  "poses as a system prompt", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "(<\\|(im_start|im_end|system|endoftext)\\|>|\\[/?INST\\]|<</?SYS>>)",
	  "chat-template role marker", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "(do" SP "not|don'?t|never)" SP "(tell|inform|notify|alert|warn|"
	  "(mention|reveal|show|disclose)" SP "(this|it|these)" SP "to)" SP "(the" SP ")?user",
	  "hides actions from the user", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "without" SP "(telling|informing|notifying|asking|alerting)" SP "(the" SP ")?user",
	  "acts without the user's knowledge", { 0 } },
	{ "prompt-injection", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "(keep|hide)" SP "(this|these|it)" SP "(secret" SP "|hidden" SP ")?from" SP "(the" SP ")?user",
	  "hides actions from the user", { 0 } },
	{ "prompt-injection", AUDIT_MEDIUM, ANYWHERE, P_ICASE, 0,
	  "(new|updated|real|actual)" SP "instructions" OS ":",
	  "announces new instructions", { 0 } },

	/* exfiltration, anywhere */
	{ "exfil-send", AUDIT_HIGH, ANYWHERE, P_ICASE, 0,
	  "(send|post|upload|transmit|forward|exfiltrate|submit|leak|copy)[^!?]{0,80}"
	  "[[:space:]](to|at)" SP "(<?https?://|the" SP "webhook|this" SP "webhook)",
	  "sends data to a remote address", { 0 } },
	{ "exfil-upload", AUDIT_HIGH, ANYWHERE, 0, 0,
	  "curl[^|;]*[[:space:]](-d|--data[a-z-]*|-F|--form)" OS "[\"']?([A-Za-z0-9_.-]*=)?"
	  "(@|\\$\\((cat|env|printenv|base64|tar)|`(cat|env|printenv))",
	  "curl uploads a file or command output", { 0 } },
	{ "exfil-upload", AUDIT_HIGH, ANYWHERE, 0, 0,
	  "curl[^|;]*[[:space:]](-T|--upload-file)[[:space:]]",
	  "curl uploads a file", { 0 } },
	{ "exfil-upload", AUDIT_HIGH, ANYWHERE, 0, 0,
	  "wget[^|;]*--post-(file|data)",
	  "wget posts a file or data", { 0 } },
	{ "sensitive-path", AUDIT_MEDIUM, ANYWHERE, 0, 0,
	  "(~|\\$HOME|\\$\\{HOME\\}|/root|/home/[a-z0-9_-]+)/\\.(aws|ssh|gnupg|netrc|docker|kube|config/gcloud)"
	  "|/etc/(shadow|sudoers)|id_(rsa|ed25519|ecdsa)([^.a-z]|$)|(^|[^a-zA-Z0-9_])\\.env([^a-zA-Z0-9_]|$)",
	  "refers to a credential file", { 0 } },

	/* dangerous commands: scripts and fenced code only */
	{ "cmd-pipe-shell", AUDIT_HIGH, CODE_ONLY, 0, 0,
	  "(curl|wget|fetch)[^|]*\\|" OS "(sudo" SP "(-[a-zA-Z]+" SP ")*)?"
	  "((ba|z|da|k|fi|c|tc)?sh|python[0-9.]*|perl|ruby|node|php)([^a-zA-Z0-9_.-]|$)",
	  "downloads a script and runs it", { 0 } },
	{ "cmd-pipe-shell", AUDIT_HIGH, CODE_ONLY, 0, 0,
	  "base64" SP "(-d|--decode|-D)[^|]*\\|" OS "(sudo" SP ")?((ba|z|da|k)?sh|python[0-9.]*|perl)([^a-z0-9_.-]|$)",
	  "decodes hidden code and runs it", { 0 } },
	{ "cmd-pipe-shell", AUDIT_HIGH, CODE_ONLY, 0, 0,
	  "(ba|z)?sh" SP "(-c" SP ")?[\"']?(<\\(|\\$\\()" OS "(curl|wget)",
	  "downloads a script and runs it", { 0 } },
	{ "cmd-rm-rf", AUDIT_HIGH, CODE_ONLY, 0, 0,
	  "(^|[^a-z0-9_-])rm" SP "(-[a-zA-Z]*[rR][a-zA-Z]*" SP "|-[a-zA-Z]*f[a-zA-Z]*" SP
	  "|--recursive" SP "|--force" SP "|--no-preserve-root" SP ")+"
	  "[\"']?(/|/\\*|~|~/|~/\\*|\\$HOME|\\$\\{HOME\\}|\\$HOME/\\*|\\*|\\.|\\.\\.)[\"']?([[:space:];&|]|$)",
	  "rm -rf on the root, the home folder or everything", { 0 } },
	{ "cmd-rm-rf", AUDIT_MEDIUM, CODE_ONLY, 0, 0,
	  "(^|[^a-z0-9_-])rm" SP "(-[a-zA-Z]*([rR][a-zA-Z]*f|f[a-zA-Z]*[rR])[a-zA-Z]*|"
	  "(-[rR]|--recursive)" SP "(-f|--force)|(-f|--force)" SP "(-[rR]|--recursive))([^a-zA-Z]|$)",
	  "recursive forced delete", { 0 } },
	{ "cmd-eval", AUDIT_MEDIUM, CODE_ONLY, 0, 0,
	  "(^|[^a-zA-Z0-9_.$-])eval([[:space:](\"'`$]|$)",
	  "eval runs text as code", { 0 } },
	{ "cmd-chmod-777", AUDIT_MEDIUM, CODE_ONLY, 0, 0,
	  "chmod" SP "(-[a-zA-Z]+" SP ")*(0?777|a\\+rwx|ugo\\+rwx)([^0-9]|$)",
	  "makes files writable by everyone", { 0 } },
	{ "cmd-ssh-write", AUDIT_HIGH, CODE_ONLY, 0, 0,
	  "(>>?|tee" SP "(-a" SP ")?|cp" SP "|mv" SP "|install" SP "|ln" SP "-s" SP "|scp" SP ")"
	  "([^|;&]*[[:space:]])?[\"']?(~|\\$HOME|\\$\\{HOME\\}|/root|/home/[a-z0-9_-]+)/\\.ssh([/[:space:]\"']|$)",
	  "writes to ~/.ssh", { 0 } },
};

static int patterns_ready;

static void compile_patterns(void)
{
	if (patterns_ready)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		int fl = REG_EXTENDED | ((patterns[i].flags & P_ICASE) ? REG_ICASE : 0);
		int rc = regcomp(&patterns[i].rx, patterns[i].re, fl);
		if (rc) {
			char msg[256];
			regerror(rc, &patterns[i].rx, msg, sizeof(msg));
			die("audit: pattern %zu (%s): %s", i, patterns[i].rule, msg);
		}
	}
	patterns_ready = 1;
}

/* Shannon entropy in bits per character. */
static double entropy(const char *s, size_t n)
{
	int counts[256] = { 0 };
	double h = 0;
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		counts[(unsigned char)s[i]]++;
	for (int c = 0; c < 256; c++) {
		if (!counts[c])
			continue;
		double p = (double)counts[c] / n;
		h -= p * log2(p);
	}
	return h;
}

static int looks_random(const char *s, size_t n)
{
	int digit = 0, alpha = 0;
	for (size_t i = 0; i < n; i++) {
		digit |= isdigit((unsigned char)s[i]) != 0;
		alpha |= isalpha((unsigned char)s[i]) != 0;
	}
	return digit && alpha && entropy(s, n) >= 3.5;
}

/* ------------------------------------------------------------------ */
/* Lines                                                               */

struct span {
	size_t start, end;
};

/* The state of one line while it is scanned. */
struct line_ctx {
	struct audit_report *r;
	const char *file;
	int lineno;
	const char *line;   /* NUL-terminated copy of the line */
	size_t len;
	char *masked;       /* the line with every secret masked */
	char fired[64][24]; /* rules already reported on this line */
	int nr_fired;
	struct span secrets[16];
	int nr_secrets;
};

static int fired(struct line_ctx *c, const char *rule)
{
	for (int i = 0; i < c->nr_fired; i++)
		if (!strcmp(c->fired[i], rule))
			return 1;
	return 0;
}

static void mark_fired(struct line_ctx *c, const char *rule)
{
	if (c->nr_fired < (int)ARRAY_SIZE(c->fired)) {
		snprintf(c->fired[c->nr_fired], sizeof(c->fired[0]), "%s", rule);
		c->nr_fired++;
	}
}

static int is_cont(unsigned char ch)
{
	return (ch & 0xC0) == 0x80;
}

/* The excerpt around [start, end) of the masked line, on UTF-8 bounds. */
static char *excerpt(struct line_ctx *c, size_t start, size_t end)
{
	const char *s = c->masked;
	size_t from = start > EXCERPT_BEFORE ? start - EXCERPT_BEFORE : 0;
	size_t to = end + EXCERPT_AFTER < c->len ? end + EXCERPT_AFTER : c->len;
	while (from > 0 && is_cont((unsigned char)s[from]))
		from--;
	while (to < c->len && is_cont((unsigned char)s[to]))
		to++;
	/* skip leading blanks of the line */
	while (from < start && (s[from] == ' ' || s[from] == '\t'))
		from++;
	struct buf b = BUF_INIT;
	if (from > 0)
		buf_adds(&b, "...");
	buf_add(&b, s + from, to - from);
	if (to < c->len)
		buf_adds(&b, "...");
	buf_trim(&b);
	return buf_detach(&b, NULL);
}

static void add_at(struct line_ctx *c, enum audit_severity sev, const char *rule,
		   const char *message, size_t start, size_t end)
{
	char *ex = excerpt(c, start, end);
	audit_add(c->r, sev, rule, c->file, c->lineno, message, ex);
	free(ex);
	mark_fired(c, rule);
}

static int overlaps_secret(struct line_ctx *c, size_t s, size_t e)
{
	for (int i = 0; i < c->nr_secrets; i++)
		if (s < c->secrets[i].end && c->secrets[i].start < e)
			return 1;
	return 0;
}

/* Mask a secret: keep a short prefix, stars for the rest. */
static void mask(struct line_ctx *c, size_t s, size_t e)
{
	size_t keep = 4;
	for (size_t i = s; i < e && i < c->len; i++)
		if (i >= s + keep)
			c->masked[i] = '*';
}

/* Find and mask the secrets of the line (before any excerpt is taken). */
static void scan_secrets(struct line_ctx *c)
{
	int found_by[16];
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		struct pattern *p = &patterns[i];
		if (!(p->flags & P_SECRET))
			continue;
		size_t off = 0;
		regmatch_t m[8];
		while (off < c->len &&
		       !regexec(&p->rx, c->line + off, ARRAY_SIZE(m), m, off ? REG_NOTBOL : 0)) {
			size_t ms = off + (size_t)m[0].rm_so, me = off + (size_t)m[0].rm_eo;
			size_t gs = ms, ge = me;
			if (p->group && m[p->group].rm_so >= 0) {
				gs = off + (size_t)m[p->group].rm_so;
				ge = off + (size_t)m[p->group].rm_eo;
			}
			if (me == ms)
				break;
			off = me;
			if (overlaps_secret(c, gs, ge))
				continue;
			if ((p->flags & P_ENTROPY) && !looks_random(c->line + gs, ge - gs))
				continue;
			if (c->nr_secrets < (int)ARRAY_SIZE(c->secrets)) {
				c->secrets[c->nr_secrets].start = gs;
				c->secrets[c->nr_secrets].end = ge;
				found_by[c->nr_secrets] = (int)i;
				c->nr_secrets++;
			}
			mask(c, gs, ge);
		}
	}
	/* report after masking, so no excerpt shows another secret */
	for (int k = 0; k < c->nr_secrets; k++) {
		const struct pattern *p = &patterns[found_by[k]];
		if (!fired(c, p->rule))
			add_at(c, p->sev, p->rule, p->message, c->secrets[k].start,
			       c->secrets[k].end);
	}
}

/* URLs: a plain scan, then a look at host and query. */
static int url_char(unsigned char ch)
{
	return ch > ' ' && ch != '"' && ch != '\'' && ch != '<' && ch != '>' &&
	       ch != '`' && ch != ')' && ch != ']' && ch != '}' && ch != '|' &&
	       ch < 0x7f;
}

static const char *const capture_hosts[] = {
	"hooks.slack.com", "discord.com/api/webhooks", "discordapp.com/api/webhooks",
	"webhook.site", "requestbin", "pipedream.net", "ngrok.io", "ngrok-free.app",
	"ngrok.app", "burpcollaborator.net", "oastify.com", "interact.sh",
	"beeceptor.com", "pastebin.com", "transfer.sh", "hookbin.com",
	"canarytokens.com", "requestcatcher.com", "ipinfo.io", "api.telegram.org",
};

static void scan_urls(struct line_ctx *c)
{
	const char *s = c->line;
	size_t i = 0;
	while (i < c->len) {
		size_t st = i;
		size_t skip = 0;
		if (!strncasecmp(s + i, "http://", 7))
			skip = 7;
		else if (!strncasecmp(s + i, "https://", 8))
			skip = 8;
		if (!skip) {
			i++;
			continue;
		}
		size_t e = st + skip;
		while (e < c->len && url_char((unsigned char)s[e]))
			e++;
		/* a template placeholder such as {data} belongs to the URL */
		while (e < c->len && (s[e] == '}' || s[e] == ')') && e > st + skip) {
			size_t k = e + 1;
			while (k < c->len && url_char((unsigned char)s[k]))
				k++;
			if (k == e + 1)
				break;
			e = k;
		}
		while (e > st + skip && strchr(".,;:!?", s[e - 1]))
			e--;
		i = e > st ? e : st + 1;
		if (e <= st + skip)
			continue;

		char *url = xstrndup(s + st, e - st);
		const char *host = url + skip;
		size_t hlen = strcspn(host, "/?#");
		char *hostname = xstrndup(host, hlen);
		char *q = strchr(url, '?');

		int capture = 0;
		for (size_t k = 0; k < ARRAY_SIZE(capture_hosts); k++)
			if (strcasestr(url + skip, capture_hosts[k]))
				capture = 1;
		int ip = hlen > 0 && strspn(hostname, "0123456789.:") == hlen &&
			 strncmp(hostname, "127.", 4) != 0;
		int templ = q && strpbrk(q, "${<`") != NULL;
		templ |= q && strstr(q, "%s") != NULL;
		int query_data = q && strchr(q, '=') != NULL;

		char *msg;
		if (capture && !fired(c, "exfil-host")) {
			msg = xasprintf("link to a webhook or capture host '%s'", hostname);
			add_at(c, AUDIT_HIGH, "exfil-host", msg, st, e);
			free(msg);
		}
		if (templ && !fired(c, "exfil-url")) {
			add_at(c, AUDIT_HIGH, "exfil-url",
			       "URL query filled from a variable: data may leave with the request", st, e);
		} else if (query_data && !fired(c, "url-query")) {
			msg = xasprintf("URL to '%s' passes data in its query string", hostname);
			add_at(c, AUDIT_MEDIUM, "url-query", msg, st, e);
			free(msg);
		}
		if (ip && !fired(c, "url-ip")) {
			msg = xasprintf("URL to a raw IP address '%s'", hostname);
			add_at(c, AUDIT_MEDIUM, "url-ip", msg, st, e);
			free(msg);
		}
		if (!fired(c, "url")) {
			msg = xasprintf("link to '%s'", hostname);
			add_at(c, AUDIT_INFO, "url", msg, st, e);
			free(msg);
		}
		free(hostname);
		free(url);
	}
}

static int b64_char(unsigned char ch)
{
	return isalnum(ch) || ch == '+' || ch == '/' || ch == '=' || ch == '-' || ch == '_';
}

static void scan_blobs(struct line_ctx *c)
{
	size_t i = 0;
	while (i < c->len) {
		if (!b64_char((unsigned char)c->line[i])) {
			i++;
			continue;
		}
		size_t st = i;
		int upper = 0, lower = 0, digit = 0;
		while (i < c->len && b64_char((unsigned char)c->line[i])) {
			unsigned char ch = (unsigned char)c->line[i];
			upper |= isupper(ch) != 0;
			lower |= islower(ch) != 0;
			digit |= isdigit(ch) != 0;
			i++;
		}
		if (i - st >= BLOB_MIN && upper + lower + digit >= 2 &&
		    !fired(c, "base64-blob") && !overlaps_secret(c, st, i)) {
			char *msg = xasprintf("encoded blob of %zu characters", i - st);
			add_at(c, AUDIT_MEDIUM, "base64-blob", msg, st, st + 16);
			free(msg);
		}
	}
}

static void scan_patterns(struct line_ctx *c, const char *text, size_t len,
			  int code, const char *where)
{
	for (size_t i = 0; i < ARRAY_SIZE(patterns); i++) {
		struct pattern *p = &patterns[i];
		regmatch_t m[1];
		if (p->flags & P_SECRET)
			continue;
		if (p->scope == CODE_ONLY && !code)
			continue;
		if (fired(c, p->rule))
			continue;
		if (regexec(&p->rx, text, 1, m, 0))
			continue;
		size_t s = (size_t)m[0].rm_so, e = (size_t)m[0].rm_eo;
		if (s < len && (text[s] == ' ' || text[s] == '\n'))
			s++;
		if (where) {
			/* found in decoded hidden text: excerpt the hidden text */
			char *msg = xasprintf("%s (%s)", p->message, where);
			char *ex = xstrndup(text + s, e - s);
			audit_add(c->r, p->sev, p->rule, c->file, c->lineno, msg, ex);
			mark_fired(c, p->rule);
			free(ex);
			free(msg);
		} else {
			add_at(c, p->sev, p->rule, p->message, s, e);
		}
	}
}

/* Invisible and deceptive code points, one finding per kind and line. */
static void scan_unicode(struct line_ctx *c, int first_line)
{
	size_t i = 0;
	int n_tag = 0, n_zw = 0, n_bidi = 0, n_bad = 0;
	size_t at_tag = 0, at_zw = 0, at_bidi = 0, at_bad = 0;
	struct buf hidden = BUF_INIT;
	while (i < c->len) {
		uint32_t cp;
		int n = sanitize_utf8_decode(c->line + i, c->len - i, &cp);
		if (cp == UINT32_MAX) {
			if (!n_bad++)
				at_bad = i;
		} else if (cp >= 0xE0000 && cp <= 0xE007F) {
			if (!n_tag++)
				at_tag = i;
			if (cp >= 0xE0020 && cp <= 0xE007E)
				buf_addch(&hidden, (int)(cp - 0xE0000));
		} else if ((cp >= 0x200B && cp <= 0x200F) || cp == 0x2060 ||
			   (cp == 0xFEFF && !(first_line && i == 0))) {
			if (!n_zw++)
				at_zw = i;
		} else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
			if (!n_bidi++)
				at_bidi = i;
		}
		i += (size_t)n;
	}
	char *msg;
	if (n_tag) {
		char *shown = clean_line(hidden.buf);
		msg = xasprintf("%d invisible tag character%s spelling \"%s\"", n_tag,
				n_tag == 1 ? "" : "s", shown);
		add_at(c, AUDIT_HIGH, "unicode-tag", msg, at_tag, at_tag + 4);
		free(msg);
		free(shown);
		/* what the hidden text says is checked like visible text */
		if (hidden.len)
			scan_patterns(c, hidden.buf, hidden.len, 0, "in hidden tag text");
	}
	if (n_bidi) {
		msg = xasprintf("%d bidirectional override%s: the text may read differently than it runs",
				n_bidi, n_bidi == 1 ? "" : "s");
		add_at(c, AUDIT_HIGH, "unicode-bidi", msg, at_bidi, at_bidi + 3);
		free(msg);
	}
	if (n_zw) {
		msg = xasprintf("%d zero-width character%s", n_zw, n_zw == 1 ? "" : "s");
		add_at(c, AUDIT_MEDIUM, "unicode-zero-width", msg, at_zw, at_zw + 3);
		free(msg);
	}
	if (n_bad) {
		msg = xasprintf("%d byte%s that are not UTF-8", n_bad, n_bad == 1 ? "" : "s");
		add_at(c, AUDIT_LOW, "unicode-invalid", msg, at_bad, at_bad + 1);
		free(msg);
	}
	buf_release(&hidden);
}

static void scan_line(struct audit_report *r, const char *file, int lineno,
		      const char *line, size_t len, int code)
{
	struct line_ctx *c = xcalloc(1, sizeof(*c));
	c->r = r;
	c->file = file;
	c->lineno = lineno;
	c->line = line;
	c->len = len;
	c->masked = xstrndup(line, len);
	scan_secrets(c);
	scan_unicode(c, lineno == 1);
	scan_patterns(c, line, len, code, NULL);
	scan_urls(c);
	scan_blobs(c);
	free(c->masked);
	free(c);
}

/* A fence line: up to 3 spaces, then ``` or ~~~. */
static int fence(const char *l, size_t len)
{
	size_t i = 0;
	while (i < len && i < 3 && l[i] == ' ')
		i++;
	return len - i >= 3 && (!strncmp(l + i, "```", 3) || !strncmp(l + i, "~~~", 3));
}

void audit_text(struct audit_report *r, const char *file,
		const char *text, size_t len, unsigned flags)
{
	compile_patterns();
	int in_code = 0, lineno = 0, body_lines = 0, in_front = 0, front_done = 0;
	size_t body_bytes = 0;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - text) : len;
		size_t l = e - i;
		if (l && text[e - 1] == '\r')
			l--;
		/* a NUL ends the line for the regex scan; it is marked as invalid */
		char *line = xstrndup(text + i, l);
		lineno++;
		if (flags & AUDIT_SKILL_MD) {
			if (lineno == 1 && !strcmp(line, "---"))
				in_front = 1;
			else if (in_front && !strcmp(line, "---")) {
				in_front = 0;
				front_done = 1;
			} else if (!in_front) {
				body_lines++;
				body_bytes += l + 1;
			}
		}
		int is_fence = (flags & AUDIT_MARKDOWN) && fence(line, l);
		int code = (flags & AUDIT_CODE) || (in_code && !is_fence);
		scan_line(r, file, lineno, line, strlen(line), code);
		if (is_fence)
			in_code = !in_code;
		free(line);
		i = e + 1;
	}
	(void)front_done;
	if (flags & AUDIT_SKILL_MD) {
		if (body_lines > BUDGET_LINES) {
			char *msg = xasprintf("body has %d lines, more than the %d the Agent "
					      "Skills guidance allows", body_lines, BUDGET_LINES);
			audit_add(r, AUDIT_LOW, "size-lines", file, 0, msg, "");
			free(msg);
		}
		size_t tokens = (body_bytes + 3) / 4;
		if (tokens > BUDGET_TOKENS) {
			char *msg = xasprintf("body is about %zu tokens, more than %d",
					      tokens, BUDGET_TOKENS);
			audit_add(r, AUDIT_LOW, "size-tokens", file, 0, msg, "");
			free(msg);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Validity                                                            */

/*
 * The skill module's issues as findings: errors are skill-invalid
 * (medium), warnings skill-warning (low).  The body size warnings are
 * left out: the size-lines / size-tokens checks report them.  `prefix`
 * (may be NULL) is cut from the front of file names.
 */
static void add_skill_issues(struct audit_report *r, const struct skill_report *rep,
			     const char *prefix)
{
	size_t pl = prefix ? strlen(prefix) : 0;
	for (int i = 0; i < rep->nr; i++) {
		const struct skill_issue *is = &rep->v[i];
		if (is->severity == SKILL_WARNING && is->field && !strcmp(is->field, "body"))
			continue;
		const char *file = is->file ? is->file : "SKILL.md";
		if (pl && !strncmp(file, prefix, pl) && file[pl] == '/')
			file += pl + 1;
		char *msg = is->field ? xasprintf("field '%s': %s", is->field, is->message)
				      : xstrdup(is->message);
		if (is->severity == SKILL_ERROR)
			audit_add(r, AUDIT_MEDIUM, "skill-invalid", file, is->line, msg, "");
		else
			audit_add(r, AUDIT_LOW, "skill-warning", file, is->line, msg, "");
		free(msg);
	}
}

void audit_validity(struct audit_report *r, const char *md, size_t len,
		    const char *folder)
{
	struct skill s;
	struct skill_report rep = SKILL_REPORT_INIT;
	skill_parse(&s, md, len, "SKILL.md", folder, &rep);
	add_skill_issues(r, &rep, NULL);
	skill_release(&s);
	skill_report_release(&rep);
}

/* Validity of a folder: SKILL.md and the folder layout. */
static void audit_validity_dir(struct audit_report *r, const char *dir)
{
	struct skill s;
	struct skill_report rep = SKILL_REPORT_INIT;
	char *prefix = xstrdup(dir);
	size_t n = strlen(prefix);
	while (n > 1 && prefix[n - 1] == '/')
		prefix[--n] = 0;
	skill_read(&s, dir, &rep);
	add_skill_issues(r, &rep, prefix);
	skill_release(&s);
	skill_report_release(&rep);
	free(prefix);
}

/* ------------------------------------------------------------------ */
/* Folders                                                             */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_script(const char *rel)
{
	static const char *const ext[] = {
		".sh", ".bash", ".zsh", ".py", ".js", ".mjs", ".ts", ".rb", ".pl",
		".php", ".ps1", ".bat", ".cmd", ".lua",
	};
	if (!strncmp(rel, "scripts/", 8))
		return 1;
	const char *dot = strrchr(rel, '.');
	for (size_t i = 0; dot && i < ARRAY_SIZE(ext); i++)
		if (!strcasecmp(dot, ext[i]))
			return 1;
	return 0;
}

static int is_markdown(const char *rel)
{
	const char *dot = strrchr(rel, '.');
	return dot && (!strcasecmp(dot, ".md") || !strcasecmp(dot, ".markdown"));
}

static void audit_one_file(struct audit_report *r, const char *full, const char *rel)
{
	struct stat sb;
	if (lstat(full, &sb))
		return;
	if (S_ISLNK(sb.st_mode)) {
		audit_add(r, AUDIT_LOW, "file-symlink", rel, 0,
			  "symbolic link: not followed, it may point outside the skill", "");
		return;
	}
	if (!S_ISREG(sb.st_mode))
		return;
	if (sb.st_size > AUDIT_MAX_FILE) {
		audit_add(r, AUDIT_LOW, "file-too-large", rel, 0,
			  "file larger than 1 MiB: not scanned", "");
		return;
	}
	size_t len;
	char *text = ss_read_file(full, &len);
	if (!text) {
		audit_add(r, AUDIT_LOW, "file-unreadable", rel, 0, ss_err_last(), "");
		return;
	}
	if (memchr(text, 0, len)) {
		free(text); /* binary (an image, an archive): not text to scan */
		return;
	}
	unsigned flags = 0;
	if (is_script(rel))
		flags |= AUDIT_CODE;
	if (is_markdown(rel))
		flags |= AUDIT_MARKDOWN;
	if (!strcmp(rel, "SKILL.md"))
		flags |= AUDIT_SKILL_MD;
	audit_text(r, rel, text, len, flags);
	free(text);
}

/* Collect the files under dir (relative names), without dot entries. */
static void collect(const char *root, const char *rel, char ***list, size_t *nr,
		    size_t *alloc, int depth)
{
	char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *d = opendir(dir);
	if (!d) {
		free(dir);
		return;
	}
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, a = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		ALLOC_GROW(names, n + 1, a);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *r = *rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		char *full = xasprintf("%s/%s", root, r);
		struct stat sb;
		if (!lstat(full, &sb) && S_ISDIR(sb.st_mode) && depth < 16) {
			collect(root, r, list, nr, alloc, depth + 1);
			free(r);
		} else {
			ALLOC_GROW(*list, *nr + 1, *alloc);
			(*list)[(*nr)++] = r;
		}
		free(full);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static char *base_name(const char *path)
{
	char *p = xstrdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	char *slash = strrchr(p, '/');
	char *b = xstrdup(slash ? slash + 1 : p);
	free(p);
	return b;
}

int audit_path(struct audit_report *r, const char *path)
{
	struct stat sb;
	if (stat(path, &sb))
		return ss_err_set(SS_ENOTFOUND, "'%s': %s", path, strerror(errno));
	free(r->path);
	r->path = xstrdup(path);
	if (S_ISREG(sb.st_mode)) {
		/* a single SKILL.md (or any text file) */
		size_t len;
		char *text = ss_read_file(path, &len);
		if (!text)
			return ss_err_prefix(SS_EINPUT, "'%s'", path);
		char *base = base_name(path);
		if (!strcmp(base, "SKILL.md")) {
			audit_validity(r, text, len, NULL);
			audit_text(r, "SKILL.md", text, len, AUDIT_MARKDOWN | AUDIT_SKILL_MD);
		} else {
			unsigned fl = is_script(base) ? AUDIT_CODE : 0;
			fl |= is_markdown(base) ? AUDIT_MARKDOWN : 0;
			audit_text(r, base, text, len, fl);
		}
		free(base);
		free(text);
		return 0;
	}
	if (!S_ISDIR(sb.st_mode))
		return ss_err_set(SS_EINPUT, "'%s' is neither a folder nor a file", path);

	char *skill_md = xasprintf("%s/SKILL.md", path);
	size_t len;
	char *text = ss_read_file(skill_md, &len);
	if (!text) {
		free(skill_md);
		return ss_err_set(SS_EINPUT, "'%s': no SKILL.md in the folder", path);
	}
	audit_validity_dir(r, path);
	free(text);
	free(skill_md);

	char **files = NULL;
	size_t nr = 0, alloc = 0;
	collect(path, "", &files, &nr, &alloc, 0);
	/* SKILL.md first, the rest in name order */
	for (size_t i = 0; i < nr; i++) {
		if (!strcmp(files[i], "SKILL.md")) {
			char *full = xasprintf("%s/%s", path, files[i]);
			audit_one_file(r, full, files[i]);
			free(full);
		}
	}
	for (size_t i = 0; i < nr; i++) {
		if (strcmp(files[i], "SKILL.md")) {
			char *full = xasprintf("%s/%s", path, files[i]);
			audit_one_file(r, full, files[i]);
			free(full);
		}
		free(files[i]);
	}
	free(files);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Runs                                                                */

static void load_test(struct audit_report *r, struct store *st, const char *run_id,
		      int cand)
{
	sqlite3_stmt *s = store_prepare(st,
		"SELECT b.outcome, k.outcome FROM rollouts b JOIN rollouts k"
		" ON k.run_id = b.run_id AND k.instance_id = b.instance_id"
		" WHERE b.run_id = ?1 AND b.phase = 'test_base' AND b.status = 'done'"
		" AND k.phase = 'test_skill' AND k.candidate_id = ?2 AND k.status = 'done'");
	if (!s)
		return;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, cand);
	struct paired_counts c = { 0 };
	while (sqlite3_step(s) == SQLITE_ROW)
		stats_add(&c, sqlite3_column_int(s, 0) != 0, sqlite3_column_int(s, 1) != 0);
	sqlite3_finalize(s);
	int m = stats_m(&c);
	if (!m)
		return;
	r->has_test = 1;
	r->test_m = m;
	r->test_base_acc = (double)(c.n10 + c.n11) / m;
	r->test_skill_acc = (double)(c.n01 + c.n11) / m;
	r->test_delta = r->test_skill_acc - r->test_base_acc;
}

static char *config_model(const char *config_json)
{
	cJSON *j = config_json ? cJSON_Parse(config_json) : NULL;
	char *model = NULL;
	const cJSON *agent = cJSON_GetObjectItemCaseSensitive(j, "agent");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(agent, "model");
	if (cJSON_IsString(m))
		model = xstrdup(m->valuestring);
	cJSON_Delete(j);
	return model;
}

static void evidence_findings(struct audit_report *r)
{
	char *file = xasprintf("run:%s", r->run_id);
	char *msg;
	if (!r->verified) {
		audit_add(r, AUDIT_MEDIUM, "evidence-missing", file, 0,
			  "the selected skill has no verification counts", "");
		free(file);
		return;
	}
	char *with = r->model ? xasprintf(", verified with %s", r->model) : xstrdup("");
	if (!strcmp(r->status, "active")) {
		msg = xasprintf("active: G = %d >= gate %d on m = %d (%d repairs, %d regressions), "
				"p = %.3g, delta 95%% CI [%+.3f, %+.3f]%s", r->net_gain, r->gate,
				r->m, r->n01, r->n10, r->p_value, r->ci_low, r->ci_high, with);
		audit_add(r, AUDIT_INFO, "evidence-gate", file, 0, msg, "");
	} else {
		msg = xasprintf("%s: G = %d below gate %d on m = %d (%d repairs, %d regressions)%s; "
				"deployment treats it as no skill", *r->status ? r->status : "not gated",
				r->net_gain, r->gate, r->m, r->n01, r->n10, with);
		audit_add(r, AUDIT_MEDIUM, "evidence-gate", file, 0, msg, "");
	}
	free(msg);
	free(with);
	if (r->p_value >= 0.05) {
		msg = xasprintf("gain not significant on verification (exact McNemar p = %.3g)",
				r->p_value);
		audit_add(r, AUDIT_LOW, "evidence-weak", file, 0, msg, "");
		free(msg);
	}
	if (!r->has_test) {
		audit_add(r, AUDIT_LOW, "evidence-test", file, 0,
			  "no held-out test results for the selected skill", "");
	} else {
		msg = xasprintf("held-out test on %d instances: %.3f -> %.3f (delta %+.3f)",
				r->test_m, r->test_base_acc, r->test_skill_acc, r->test_delta);
		audit_add(r, r->test_delta < 0 ? AUDIT_MEDIUM : AUDIT_INFO, "evidence-test",
			  file, 0, msg, "");
		free(msg);
	}
	free(file);
}

static void load_provenance(struct audit_report *r, const char *skill_json)
{
	struct attrib_rule *rules = NULL;
	size_t nr = 0;
	if (attrib_provenance(skill_json, &rules, &nr) < 0)
		return;
	for (size_t i = 0; i < nr; i++) {
		ALLOC_GROW(r->prov, r->nr_prov + 1, r->alloc_prov);
		struct audit_provenance *p = &r->prov[r->nr_prov++];
		p->section = clean_line(rules[i].section);
		p->text = clean_line(rules[i].text);
		p->nr_evidence = rules[i].nr_evidence;
		p->evidence = p->nr_evidence ? xcalloc(p->nr_evidence, sizeof(char *)) : NULL;
		for (size_t j = 0; j < p->nr_evidence; j++)
			p->evidence[j] = clean_line(rules[i].evidence[j]);
	}
	attrib_rules_free(rules, nr);
}

/* The attribution saved by the engine, if it is about candidate `cand`. */
static void load_attribution(struct audit_report *r, struct store *st,
			     const char *run_id, int cand)
{
	char *json = store_state_get(st, run_id, "attribution");
	cJSON *j = json ? cJSON_Parse(json) : NULL;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "candidate");
	const cJSON *pruned = cJSON_GetObjectItemCaseSensitive(j, "pruned_candidate");
	const cJSON *rules = cJSON_GetObjectItemCaseSensitive(j, "rules");
	const cJSON *g = cJSON_GetObjectItemCaseSensitive(j, "net_gain");
	char *file = xasprintf("run:%s", run_id);
	/*
	 * About the selected candidate, or about its parent when the pruned
	 * skill was selected: then the list is shown, but the harmful and
	 * no-effect rules are gone and give no finding.
	 */
	int of_parent = cJSON_IsNumber(pruned) && pruned->valueint == cand;
	if (!cJSON_IsNumber(id) || (id->valueint != cand && !of_parent) || !cJSON_IsArray(rules))
		goto cleanup;
	r->attr_pruned = of_parent;
	r->attr_g_full = cJSON_IsNumber(g) ? g->valueint : 0;
	int n = cJSON_GetArraySize(rules);
	r->attr = n > 0 ? xcalloc((size_t)n, sizeof(*r->attr)) : NULL;
	const cJSON *it;
	cJSON_ArrayForEach(it, rules) {
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(it, "section");
		const cJSON *text = cJSON_GetObjectItemCaseSensitive(it, "text");
		const cJSON *marg = cJSON_GetObjectItemCaseSensitive(it, "marginal");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(it, "p_value");
		if (!cJSON_IsString(text) || !cJSON_IsNumber(marg))
			continue;
		struct audit_attribution *a = &r->attr[r->nr_attr++];
		a->section = clean_line(cJSON_IsString(sec) ? sec->valuestring : "");
		a->text = clean_line(text->valuestring);
		a->marginal = marg->valueint;
		a->verdict = xstrdup(a->marginal > 0 ? "helps" : a->marginal < 0 ? "harmful" : "no-effect");
		a->p_value = cJSON_IsNumber(p) ? p->valuedouble : 1.0;
		char *msg;
		if (of_parent)
			continue;
		if (a->marginal < 0) {
			msg = xasprintf("rule %zu lowers the net gain by %d on verification "
					"(leave-one-out, p = %.3g)", r->nr_attr, -a->marginal, a->p_value);
			audit_add(r, AUDIT_LOW, "attrib-harmful", file, 0, msg, a->text);
			free(msg);
		} else if (a->marginal == 0) {
			msg = xasprintf("rule %zu has no measured effect on verification", r->nr_attr);
			audit_add(r, AUDIT_INFO, "attrib-no-effect", file, 0, msg, a->text);
			free(msg);
		}
	}
cleanup:
	free(file);
	cJSON_Delete(j);
	free(json);
}

int audit_run(struct audit_report *r, struct store *st, const char *run_id)
{
	int ret = 0;
	sqlite3_stmt *s = store_prepare(st,
		"SELECT r.selected_candidate, r.final_status, r.gate_threshold, r.config_json,"
		" c.body, c.skill_json, c.n00, c.n01, c.n10, c.n11, c.p_value, c.ci_low,"
		" c.ci_high, c.id"
		" FROM runs r LEFT JOIN candidates c ON c.id = r.selected_candidate"
		" WHERE r.id = ?1");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) != SQLITE_ROW) {
		ret = ss_err_set(SS_ENOTFOUND, "unknown run '%s'", run_id);
		goto cleanup;
	}
	if (sqlite3_column_type(s, 0) == SQLITE_NULL || sqlite3_column_type(s, 4) == SQLITE_NULL) {
		ret = ss_err_set(SS_ENOTFOUND, "run '%s' has no selected skill yet", run_id);
		goto cleanup;
	}
	free(r->path);
	r->path = xasprintf("run:%s", run_id);
	r->run_id = xstrdup(run_id);
	r->has_evidence = 1;
	r->status = xstrdup(store_col_text(s, 1));
	r->gate = sqlite3_column_int(s, 2);
	r->model = config_model((const char *)sqlite3_column_text(s, 3));
	const char *body = store_col_text(s, 4);
	size_t len = (size_t)sqlite3_column_bytes(s, 4);
	r->verified = sqlite3_column_type(s, 6) != SQLITE_NULL;
	if (r->verified) {
		struct paired_counts c = {
			sqlite3_column_int(s, 6), sqlite3_column_int(s, 7),
			sqlite3_column_int(s, 8), sqlite3_column_int(s, 9),
		};
		struct paired_summary sum;
		stats_summarize(&c, &sum);
		r->n00 = c.n00;
		r->n01 = c.n01;
		r->n10 = c.n10;
		r->n11 = c.n11;
		r->m = sum.m;
		r->net_gain = sum.net_gain;
		/* stored figures win; missing ones are computed */
		r->p_value = sqlite3_column_type(s, 10) != SQLITE_NULL ?
			     sqlite3_column_double(s, 10) : sum.p_value;
		r->ci_low = sqlite3_column_type(s, 11) != SQLITE_NULL ?
			    sqlite3_column_double(s, 11) : sum.ci_low;
		r->ci_high = sqlite3_column_type(s, 12) != SQLITE_NULL ?
			     sqlite3_column_double(s, 12) : sum.ci_high;
	}
	audit_validity(r, body, len, NULL);
	audit_text(r, "SKILL.md", body, len, AUDIT_MARKDOWN | AUDIT_SKILL_MD);
	load_test(r, st, run_id, sqlite3_column_int(s, 13));
	evidence_findings(r);
	if (sqlite3_column_type(s, 5) != SQLITE_NULL)
		load_provenance(r, store_col_text(s, 5));
	load_attribution(r, st, run_id, sqlite3_column_int(s, 13));
cleanup:
	sqlite3_finalize(s);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void upper(char *dst, const char *src, size_t n)
{
	size_t i = 0;
	for (; src[i] && i + 1 < n; i++)
		dst[i] = (char)toupper((unsigned char)src[i]);
	dst[i] = 0;
}

void audit_format_text(const struct audit_report *r, enum audit_severity fail_at,
		       struct buf *out)
{
	size_t counts[AUDIT_NR_SEVERITIES] = { 0 };
	for (size_t i = 0; i < r->nr; i++) {
		const struct audit_finding *f = &r->findings[i];
		char sev[16];
		upper(sev, audit_severity_name(f->severity), sizeof(sev));
		counts[f->severity]++;
		buf_addf(out, "%-6s %s %s:%d: %s", sev, f->rule, f->file, f->line, f->message);
		if (*f->excerpt)
			buf_addf(out, " \u2014 %s", f->excerpt);
		buf_addch(out, '\n');
	}
	if (r->nr_prov) {
		buf_adds(out, "\nprovenance of the rules:\n");
		for (size_t i = 0; i < r->nr_prov; i++) {
			const struct audit_provenance *p = &r->prov[i];
			buf_addf(out, "  %zu. [%s] %s\n     evidence: ", i + 1, p->section, p->text);
			if (!p->nr_evidence)
				buf_adds(out, "none recorded");
			for (size_t j = 0; j < p->nr_evidence; j++)
				buf_addf(out, "%s%s (%s)", j ? ", " : "", p->evidence[j],
					 attrib_evidence_kind(p->evidence[j]));
			buf_addch(out, '\n');
		}
	}
	if (r->nr_attr) {
		buf_addf(out, "\nattribution (leave one rule out, G of the full skill %d%s):\n",
			 r->attr_g_full, r->attr_pruned ?
			 "; the selected skill is this one pruned of its harmful and no-effect rules" : "");
		for (size_t i = 0; i < r->nr_attr; i++) {
			const struct audit_attribution *a = &r->attr[i];
			buf_addf(out, "  %zu. %+d %-9s [%s] %s\n", i + 1, a->marginal, a->verdict,
				 a->section, a->text);
		}
	}
	size_t bad = audit_count_at_least(r, fail_at);
	if (r->nr || r->nr_prov || r->nr_attr)
		buf_addch(out, '\n');
	buf_addf(out, "%s: %zu finding%s (%zu high, %zu medium, %zu low, %zu info); ",
		 r->path ? r->path : "", r->nr, r->nr == 1 ? "" : "s",
		 counts[AUDIT_HIGH], counts[AUDIT_MEDIUM], counts[AUDIT_LOW], counts[AUDIT_INFO]);
	if (bad)
		buf_addf(out, "%zu at or above %s: audit failed\n", bad, audit_severity_name(fail_at));
	else
		buf_addf(out, "none at or above %s: audit passed\n", audit_severity_name(fail_at));
}

static cJSON *json_str(const char *s)
{
	return cJSON_CreateString(s ? s : "");
}

void audit_format_json(const struct audit_report *r, enum audit_severity fail_at,
		       struct buf *out)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "path", json_str(r->path));
	cJSON *arr = cJSON_AddArrayToObject(root, "findings");
	size_t counts[AUDIT_NR_SEVERITIES] = { 0 };
	for (size_t i = 0; i < r->nr; i++) {
		const struct audit_finding *f = &r->findings[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "severity", audit_severity_name(f->severity));
		cJSON_AddStringToObject(o, "rule", f->rule);
		cJSON_AddStringToObject(o, "file", f->file);
		cJSON_AddNumberToObject(o, "line", f->line);
		cJSON_AddStringToObject(o, "message", f->message);
		cJSON_AddStringToObject(o, "excerpt", f->excerpt);
		cJSON_AddItemToArray(arr, o);
		counts[f->severity]++;
	}
	cJSON *c = cJSON_AddObjectToObject(root, "counts");
	for (int i = 0; i < AUDIT_NR_SEVERITIES; i++)
		cJSON_AddNumberToObject(c, severity_names[i], (double)counts[i]);
	cJSON_AddNumberToObject(c, "total", (double)r->nr);
	cJSON_AddNumberToObject(c, "at_or_above", (double)audit_count_at_least(r, fail_at));
	cJSON_AddStringToObject(c, "threshold", audit_severity_name(fail_at));
	if (r->has_evidence) {
		cJSON *e = cJSON_AddObjectToObject(root, "evidence");
		cJSON_AddItemToObject(e, "run", json_str(r->run_id));
		cJSON_AddItemToObject(e, "status", json_str(r->status));
		cJSON_AddItemToObject(e, "model", r->model ? json_str(r->model) : cJSON_CreateNull());
		cJSON_AddBoolToObject(e, "verified", r->verified);
		if (r->verified) {
			cJSON_AddNumberToObject(e, "gate", r->gate);
			cJSON_AddNumberToObject(e, "m", r->m);
			cJSON_AddNumberToObject(e, "net_gain", r->net_gain);
			cJSON_AddNumberToObject(e, "repairs", r->n01);
			cJSON_AddNumberToObject(e, "regressions", r->n10);
			cJSON_AddNumberToObject(e, "p_value", r->p_value);
			cJSON_AddNumberToObject(e, "ci_low", r->ci_low);
			cJSON_AddNumberToObject(e, "ci_high", r->ci_high);
		}
		if (r->has_test) {
			cJSON *t = cJSON_AddObjectToObject(e, "test");
			cJSON_AddNumberToObject(t, "m", r->test_m);
			cJSON_AddNumberToObject(t, "base_accuracy", r->test_base_acc);
			cJSON_AddNumberToObject(t, "skill_accuracy", r->test_skill_acc);
			cJSON_AddNumberToObject(t, "delta", r->test_delta);
		}
	}
	if (r->nr_prov) {
		cJSON *pa = cJSON_AddArrayToObject(root, "provenance");
		for (size_t i = 0; i < r->nr_prov; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "section", r->prov[i].section);
			cJSON_AddStringToObject(o, "text", r->prov[i].text);
			cJSON *ev = cJSON_AddArrayToObject(o, "evidence");
			for (size_t j = 0; j < r->prov[i].nr_evidence; j++)
				cJSON_AddItemToArray(ev, json_str(r->prov[i].evidence[j]));
			cJSON_AddItemToArray(pa, o);
		}
	}
	if (r->nr_attr) {
		cJSON *ao = cJSON_AddObjectToObject(root, "attribution");
		cJSON_AddNumberToObject(ao, "g_full", r->attr_g_full);
		cJSON_AddBoolToObject(ao, "of_parent", r->attr_pruned);
		cJSON *aa = cJSON_AddArrayToObject(ao, "rules");
		for (size_t i = 0; i < r->nr_attr; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "section", r->attr[i].section);
			cJSON_AddStringToObject(o, "text", r->attr[i].text);
			cJSON_AddNumberToObject(o, "marginal", r->attr[i].marginal);
			cJSON_AddStringToObject(o, "verdict", r->attr[i].verdict);
			cJSON_AddNumberToObject(o, "p_value", r->attr[i].p_value);
			cJSON_AddItemToArray(aa, o);
		}
	}
	char *s = cJSON_Print(root);
	buf_adds(out, s);
	buf_addch(out, '\n');
	free(s);
	cJSON_Delete(root);
}

/* SARIF levels: high is an error, medium a warning, the rest notes. */
static const char *sarif_level(enum audit_severity s)
{
	return s == AUDIT_HIGH ? "error" : s == AUDIT_MEDIUM ? "warning" : "note";
}

void audit_format_sarif(const struct audit_report *r, struct buf *out)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
	cJSON_AddStringToObject(root, "version", "2.1.0");
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	cJSON *run = cJSON_CreateObject();
	cJSON_AddItemToArray(runs, run);
	cJSON *driver = cJSON_AddObjectToObject(cJSON_AddObjectToObject(run, "tool"), "driver");
	cJSON_AddStringToObject(driver, "name", "skillsmith audit");
	cJSON_AddStringToObject(driver, "version", SKILLSMITH_VERSION);
	cJSON *rules = cJSON_AddArrayToObject(driver, "rules");
	cJSON *results = cJSON_AddArrayToObject(run, "results");
	for (size_t i = 0; i < r->nr; i++) {
		const struct audit_finding *f = &r->findings[i];
		int seen = 0;
		const cJSON *it;
		cJSON_ArrayForEach(it, rules) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
			seen |= cJSON_IsString(id) && !strcmp(id->valuestring, f->rule);
		}
		if (!seen) {
			cJSON *rule = cJSON_CreateObject();
			cJSON_AddStringToObject(rule, "id", f->rule);
			cJSON_AddItemToArray(rules, rule);
		}
		cJSON *res = cJSON_CreateObject();
		cJSON_AddStringToObject(res, "ruleId", f->rule);
		cJSON_AddStringToObject(res, "level", sarif_level(f->severity));
		cJSON_AddStringToObject(cJSON_AddObjectToObject(res, "message"), "text", f->message);
		cJSON *loc = cJSON_CreateObject();
		cJSON *phys = cJSON_AddObjectToObject(loc, "physicalLocation");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(phys, "artifactLocation"), "uri", f->file);
		if (f->line > 0)
			cJSON_AddNumberToObject(cJSON_AddObjectToObject(phys, "region"), "startLine", f->line);
		cJSON_AddItemToArray(cJSON_AddArrayToObject(res, "locations"), loc);
		cJSON *props = cJSON_AddObjectToObject(res, "properties");
		cJSON_AddStringToObject(props, "severity", audit_severity_name(f->severity));
		cJSON_AddStringToObject(props, "excerpt", f->excerpt);
		cJSON_AddItemToArray(results, res);
	}
	char *s = cJSON_Print(root);
	buf_adds(out, s);
	buf_addch(out, '\n');
	free(s);
	cJSON_Delete(root);
}
