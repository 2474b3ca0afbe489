/*
 * The skill repository (libgit2): candidates as commits, tags, notes,
 * diffs and the history of a run.  See include/skillsmith/vcs.h for the
 * layout and the rules (object APIs only, compare-and-swap on the branch,
 * never the user's work tree or index).
 */
#include "skillsmith/vcs.h"
#include "skillsmith/common.h"
#include "skillsmith/sanitize.h"
#include "skillsmith/store.h"

#include <cjson/cJSON.h>
#include <git2.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VCS_DEFAULT_NAME "skillsmith"
#define VCS_DEFAULT_EMAIL "skillsmith@localhost"
/* Attempts at moving a ref that others move too; each waits a little longer. */
#define VCS_RETRIES 50

struct vcs {
	git_repository *repo;
	char *path;
	char *name;
	char *email;
};

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/*
 * Set the error message to our context followed by libgit2's own message
 * and return SS_ENOTFOUND for GIT_ENOTFOUND, SS_ERR otherwise.
 */
__attribute__((format(printf, 2, 3)))
static int git_fail(int gitrc, const char *fmt, ...)
{
	char ctx[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	const git_error *e = git_error_last();
	int code = gitrc == GIT_ENOTFOUND ? SS_ENOTFOUND : SS_ERR;
	if (e && e->message && *e->message)
		return ss_err_set(code, "%s: %s", ctx, e->message);
	return ss_err_set(code, "%s: libgit2 error %d", ctx, gitrc);
}

/* ------------------------------------------------------------------ */
/* Opening                                                             */

static const char readme[] =
	"# Skill repository\n"
	"\n"
	"Written by skillsmith.  Each run has its own branch `run/<run-id>`; each\n"
	"candidate skill of each round is one commit on it, holding an Agent\n"
	"Skills folder `<skill-name>/SKILL.md` (plus `scripts/`, `references/`).\n"
	"Commit messages carry the metrics as `Skillsmith-*` trailers\n"
	"(`git log --format='%(trailers)' run/<run-id>`), the selected candidate\n"
	"is tagged `skill/<run-id>/active` or `skill/<run-id>/deprecated`, and\n"
	"`git notes --ref=skillsmith show <commit>` prints the full metrics.\n"
	"\n"
	"    git log --oneline --all\n"
	"    git log -p run/<run-id>\n";

static int vcs_signature(git_signature **sig, struct vcs *v, int64_t t)
{
	int rc;
	if (t > 0)
		rc = git_signature_new(sig, v->name, v->email, (git_time_t)t, 0);
	else
		rc = git_signature_new(sig, v->name, v->email, (git_time_t)time(NULL), 0);
	if (rc < 0)
		return git_fail(rc, "skills: bad identity '%s <%s>'", v->name, v->email);
	return 0;
}

/* Give a repository we have just created a first commit, checked out. */
static int vcs_first_commit(struct vcs *v)
{
	git_oid blob, tree_oid, commit;
	git_treebuilder *tb = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	int rc;

	if ((rc = git_blob_create_from_buffer(&blob, v->repo, readme, strlen(readme))) < 0 ||
	    (rc = git_treebuilder_new(&tb, v->repo, NULL)) < 0 ||
	    (rc = git_treebuilder_insert(NULL, tb, "README.md", &blob, GIT_FILEMODE_BLOB)) < 0 ||
	    (rc = git_treebuilder_write(&tree_oid, tb)) < 0 ||
	    (rc = git_tree_lookup(&tree, v->repo, &tree_oid)) < 0) {
		rc = git_fail(rc, "skills '%s': cannot write the first commit", v->path);
		goto cleanup;
	}
	if ((rc = vcs_signature(&sig, v, 0)) < 0)
		goto cleanup;
	rc = git_commit_create(&commit, v->repo, "HEAD", sig, sig, NULL,
			       "Start the skill repository\n", tree, 0, NULL);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		rc = 0; /* someone else started it at the same time */
		goto cleanup;
	}
	if (rc < 0) {
		rc = git_fail(rc, "skills '%s': cannot write the first commit", v->path);
		goto cleanup;
	}
	/* A brand-new repository: SAFE never overwrites a file already there. */
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_SAFE;
	if (git_checkout_head(v->repo, &co) < 0)
		git_error_clear(); /* the commit exists; the work tree is a nicety */
	rc = 0;
cleanup:
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	return rc;
}

static int open_repo(struct vcs **out, const char *workspace, int create)
{
	struct vcs *v = xcalloc(1, sizeof(*v));
	int rc, created = 0;

	*out = NULL;
	git_libgit2_init();
	v->path = xasprintf("%s/skills", workspace);
	v->name = xstrdup(VCS_DEFAULT_NAME);
	v->email = xstrdup(VCS_DEFAULT_EMAIL);

	rc = git_repository_open_ext(&v->repo, v->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == GIT_ENOTFOUND && !create) {
		rc = ss_err_set(SS_ENOTFOUND, "workspace '%s' has no skill repository '%s'",
				workspace, v->path);
		goto fail;
	}
	if (rc == GIT_ENOTFOUND) {
		git_repository_init_options io;
		git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		io.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_MKDIR;
		rc = git_repository_init_ext(&v->repo, v->path, &io);
		created = 1;
	}
	if (rc < 0) {
		rc = git_fail(rc, "skills: cannot open the repository '%s'", v->path);
		goto fail;
	}
	if (git_repository_is_bare(v->repo)) {
		rc = ss_err_set(SS_EINPUT, "skills: '%s' is a bare repository; "
				"the skill repository must have a work tree", v->path);
		goto fail;
	}
	git_repository_set_ident(v->repo, v->name, v->email);
	if (created && git_repository_head_unborn(v->repo) == 1 &&
	    (rc = vcs_first_commit(v)) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	vcs_close(v);
	return rc;
}

int vcs_open(struct vcs **out, const char *workspace)
{
	return open_repo(out, workspace, 1);
}

int vcs_open_existing(struct vcs **out, const char *workspace)
{
	return open_repo(out, workspace, 0);
}

void vcs_close(struct vcs *v)
{
	if (!v)
		return;
	git_repository_free(v->repo);
	free(v->path);
	free(v->name);
	free(v->email);
	free(v);
	git_libgit2_shutdown();
}

const char *vcs_path(const struct vcs *v)
{
	return v->path;
}

void vcs_set_identity(struct vcs *v, const char *name, const char *email)
{
	if (name && *name) {
		free(v->name);
		v->name = xstrdup(name);
	}
	if (email && *email) {
		free(v->email);
		v->email = xstrdup(email);
	}
	git_repository_set_ident(v->repo, v->name, v->email);
}

char *vcs_branch_name(const char *run_id)
{
	return xasprintf("run/%s", run_id);
}

char *vcs_tag_name(const char *run_id, int active)
{
	return xasprintf("skill/%s/%s", run_id, active ? "active" : "deprecated");
}

/* A run id must make valid ref names: "refs/heads/run/<id>". */
static int check_run_id(const char *run_id)
{
	if (!run_id || !*run_id)
		return ss_err_set(SS_EINPUT, "skills: a run id is required");
	char *ref = xasprintf("refs/heads/run/%s", run_id);
	int valid = 0;
	git_reference_name_is_valid(&valid, ref);
	free(ref);
	if (!valid || strchr(run_id, '/'))
		return ss_err_set(SS_EINPUT, "skills: run id '%s' cannot name a git branch", run_id);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */

/* Append `s` as one line: CR, LF and tabs become spaces, ends trimmed. */
static void add_one_line(struct buf *b, const char *s)
{
	size_t start = b->len;
	int space = 0;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			space = 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f)
			continue;
		if (space && b->len > start)
			buf_addch(b, ' ');
		space = 0;
		buf_addch(b, (char)c);
	}
}

static int valid_trailer_key(const char *k)
{
	if (!k || !*k)
		return 0;
	for (; *k; k++)
		if (!isalnum((unsigned char)*k) && *k != '-')
			return 0;
	return 1;
}

static void add_trailer(struct buf *b, const char *key, const char *value)
{
	struct buf val = BUF_INIT;
	add_one_line(&val, value);
	if (val.len)
		buf_addf(b, "%s: %s\n", key, val.buf);
	buf_release(&val);
}

static void add_trailer_int(struct buf *b, const char *key, int value, int sign)
{
	if (value == VCS_NA)
		return;
	buf_addf(b, sign && value > 0 ? "%s: +%d\n" : "%s: %d\n", key, value);
}

char *vcs_summary(const struct vcs_candidate *c)
{
	struct buf b = BUF_INIT;
	/* The edit strategy counts accepted steps, SkillGen rounds. */
	buf_addf(&b, "%s %d: ", c->strategy && !strcmp(c->strategy, "edit") ? "step" : "round",
		 c->round);
	if (c->net_gain != VCS_NA)
		buf_addf(&b, c->net_gain > 0 ? "G=+%d" : "G=%d", c->net_gain);
	else
		buf_adds(&b, c->status && *c->status ? c->status : "candidate");
	if (c->repairs != VCS_NA && c->regressions != VCS_NA)
		buf_addf(&b, " (%d repair%s, %d regression%s)", c->repairs,
			 c->repairs == 1 ? "" : "s", c->regressions,
			 c->regressions == 1 ? "" : "s");
	if (c->m != VCS_NA)
		buf_addf(&b, " on %d", c->m);
	return buf_detach(&b, NULL);
}

/*
 * The body, cleaned so that the trailer block stays the last paragraph git
 * reads: trailing blanks trimmed, runs of blank lines collapsed, and lines
 * starting with "---" (which git interpret-trailers takes for the start of
 * a patch) indented by one space.
 */
static void add_body(struct buf *b, const char *body)
{
	struct buf t = BUF_INIT;
	int blank = 0;
	const char *p = body;
	while (p && *p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!n) {
			blank = t.len > 0;
		} else {
			if (blank)
				buf_addch(&t, '\n');
			blank = 0;
			if (n >= 3 && !strncmp(p, "---", 3))
				buf_addch(&t, ' ');
			buf_add(&t, p, n);
			buf_addch(&t, '\n');
		}
		p = e ? e + 1 : p + n;
	}
	if (t.len) {
		buf_add(b, t.buf, t.len);
		buf_addch(b, '\n');
	}
	buf_release(&t);
}

static int build_message(struct buf *msg, const struct vcs_candidate *c)
{
	for (size_t i = 0; i < c->nr_trailers; i++)
		if (!valid_trailer_key(c->trailers[i].key))
			return ss_err_set(SS_EINPUT, "skills: trailer key '%s' must be letters, "
					  "digits and hyphens", c->trailers[i].key ? c->trailers[i].key : "");
	char *def = NULL;
	struct buf line = BUF_INIT;
	add_one_line(&line, c->summary && *c->summary ? c->summary : (def = vcs_summary(c)));
	free(def);
	if (!line.len)
		buf_adds(&line, "candidate");
	if (!strncmp(line.buf, "---", 3))
		buf_adds(msg, " ");
	buf_addf(msg, "%s\n\n", line.buf);
	buf_release(&line);
	add_body(msg, c->body);

	char round[32];
	snprintf(round, sizeof(round), "%d", c->round);
	add_trailer(msg, "Skillsmith-Run", c->run_id);
	add_trailer(msg, "Skillsmith-Round", round);
	add_trailer(msg, "Skillsmith-Strategy", c->strategy);
	add_trailer_int(msg, "Skillsmith-Net-Gain", c->net_gain, 1);
	add_trailer_int(msg, "Skillsmith-Repairs", c->repairs, 0);
	add_trailer_int(msg, "Skillsmith-Regressions", c->regressions, 0);
	add_trailer_int(msg, "Skillsmith-M", c->m, 0);
	add_trailer(msg, "Skillsmith-Status", c->status);
	add_trailer(msg, "Skillsmith-Parent-Candidate", c->parent);
	add_trailer(msg, "Skillsmith-Decided-By", c->decided_by);
	add_trailer(msg, "Skillsmith-Decided-At", c->decided_at);
	add_trailer(msg, "Skillsmith-Decision-Reason", c->decision_reason);
	for (size_t i = 0; i < c->nr_trailers; i++)
		add_trailer(msg, c->trailers[i].key, c->trailers[i].value);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Trees and commits                                                   */

/* A relative path inside the skill folder: no "..", no empty parts. */
static int check_rel_path(const char *path)
{
	if (!path || !*path || *path == '/')
		return -1;
	const char *p = path;
	while (*p) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)) ||
		    (n == 4 && !strncasecmp(p, ".git", 4)))
			return -1;
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			return -1;
	}
	return 0;
}

/*
 * A user's `git gc` running beside us removes empty object fan-out folders
 * (objects/xx/) between libgit2 creating one and renaming a new object into
 * it; writing again recreates the folder.  Retry such object writes.
 */
#define OBJECT_WRITE_TRIES 8

static void object_retry_wait(int attempt)
{
	struct timespec ts = { 0, (long)(1 + attempt) * 3000000L };
	nanosleep(&ts, NULL);
}

static int index_add_blob(git_index *idx, git_repository *repo, const char *path,
			  const char *data, size_t len, int executable)
{
	git_index_entry e;
	int rc;
	memset(&e, 0, sizeof(e));
	for (int attempt = 0; attempt < OBJECT_WRITE_TRIES; attempt++) {
		if ((rc = git_blob_create_from_buffer(&e.id, repo, data, len)) == 0)
			break;
		object_retry_wait(attempt);
	}
	if (rc < 0)
		return git_fail(rc, "skills: cannot write '%s'", path);
	e.path = path;
	e.mode = executable ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	e.file_size = (uint32_t)len;
	if ((rc = git_index_add(idx, &e)) < 0)
		return git_fail(rc, "skills: cannot add '%s'", path);
	return 0;
}

/* The tree of a candidate, built in memory (never the repository's index). */
static int candidate_tree(git_oid *out, struct vcs *v, const struct vcs_candidate *c)
{
	git_index *idx = NULL;
	char *path = NULL;
	int rc;

	if ((rc = git_index_new(&idx)) < 0)
		return git_fail(rc, "skills: cannot make an index");
	path = xasprintf("%s/SKILL.md", c->skill_name);
	if ((rc = index_add_blob(idx, v->repo, path, c->skill_md, strlen(c->skill_md), 0)) < 0)
		goto cleanup;
	for (size_t i = 0; i < c->nr_files; i++) {
		const struct vcs_file *f = &c->files[i];
		if (check_rel_path(f->path) < 0 || !f->content) {
			rc = ss_err_set(SS_EINPUT, "skills: file '%s' of skill '%s' must be a "
					"relative path inside the skill folder, with content",
					f->path ? f->path : "", c->skill_name);
			goto cleanup;
		}
		free(path);
		path = xasprintf("%s/%s", c->skill_name, f->path);
		size_t len = f->len ? f->len : strlen(f->content);
		if ((rc = index_add_blob(idx, v->repo, path, f->content, len, f->executable)) < 0)
			goto cleanup;
	}
	for (int attempt = 0; attempt < OBJECT_WRITE_TRIES; attempt++) {
		if ((rc = git_index_write_tree_to(out, idx, v->repo)) == 0)
			break;
		object_retry_wait(attempt);
	}
	if (rc < 0)
		rc = git_fail(rc, "skills: cannot write the tree of '%s'", c->skill_name);
cleanup:
	free(path);
	git_index_free(idx);
	return rc;
}

/* Skill names: the Agent Skills rule, a-z, 0-9 and single inner hyphens. */
static int check_skill_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	int ok = n >= 1 && n <= 64 && name[0] != '-' && name[n - 1] != '-';
	for (size_t i = 0; ok && i < n; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
			ok = 0;
		if (ch == '-' && i + 1 < n && name[i + 1] == '-')
			ok = 0;
	}
	if (!ok)
		return ss_err_set(SS_EINPUT, "skills: skill name '%s' must be 1-64 characters "
				  "of a-z, 0-9 and single hyphens", name ? name : "");
	return 0;
}

static void short_wait(int attempt)
{
	struct timespec ts = { 0, (long)(1 + attempt) * 2000000L };
	nanosleep(&ts, NULL);
}

/*
 * Point `refname` at a new commit made by `make` on top of the ref's
 * current tip, with a compare-and-swap; rebuild and retry if the ref moved
 * or is locked.  `make` gets the tip (NULL if the ref does not exist).
 */
typedef int (*make_commit_fn)(git_oid *out, struct vcs *v, const git_commit *tip, void *payload);

static int cas_update(git_oid *out, struct vcs *v, const char *refname, const char *log,
		      make_commit_fn make, void *payload)
{
	int rc = 0;
	for (int attempt = 0; attempt < VCS_RETRIES; attempt++) {
		git_oid tip_oid, new_oid;
		git_commit *tip = NULL;
		git_reference *ref = NULL;
		int have_tip;

		rc = git_reference_name_to_id(&tip_oid, v->repo, refname);
		if (rc < 0 && rc != GIT_ENOTFOUND)
			return git_fail(rc, "skills: cannot read '%s'", refname);
		have_tip = rc == 0;
		if (have_tip && (rc = git_commit_lookup(&tip, v->repo, &tip_oid)) < 0) {
			/* A repack by a user's git gc may have moved it: look again. */
			if (rc == GIT_ENOTFOUND && attempt + 1 < VCS_RETRIES) {
				git_odb *odb = NULL;
				if (git_repository_odb(&odb, v->repo) == 0)
					git_odb_refresh(odb);
				git_odb_free(odb);
				short_wait(attempt);
				continue;
			}
			return git_fail(rc, "skills: cannot read the tip of '%s'", refname);
		}
		rc = make(&new_oid, v, tip, payload);
		git_commit_free(tip);
		if (rc < 0)
			return rc;
		if (rc > 0) { /* nothing to do: the tip is it */
			git_oid_cpy(out, &tip_oid);
			return 0;
		}
		if (have_tip)
			rc = git_reference_create_matching(&ref, v->repo, refname, &new_oid, 1,
							   &tip_oid, log);
		else
			rc = git_reference_create(&ref, v->repo, refname, &new_oid, 0, log);
		git_reference_free(ref);
		if (rc == 0) {
			git_oid_cpy(out, &new_oid);
			return 0;
		}
		/*
		 * Moved (EMODIFIED, EEXISTS) or locked by someone else: try
		 * again from the new tip.  Other failures are retried too: a
		 * user's `git pack-refs` removes empty ref folders while
		 * libgit2 creates its lock file in one (ENOENT); a lasting
		 * failure still ends the loop with libgit2's message.
		 */
		if (attempt + 1 == VCS_RETRIES)
			break;
		short_wait(attempt);
	}
	return git_fail(rc, "skills: cannot update '%s' (%d attempts)", refname, VCS_RETRIES);
}

struct commit_job {
	const struct vcs_candidate *c;
	const char *message;
	git_oid tree;
	git_signature *sig;
};

static int make_candidate_commit(git_oid *out, struct vcs *v, const git_commit *tip, void *payload)
{
	struct commit_job *job = payload;
	git_tree *tree = NULL;
	int rc;

	/* A resumed run committing the same candidate again: keep the tip. */
	if (tip && git_oid_equal(git_commit_tree_id(tip), &job->tree) &&
	    !strcmp(git_commit_message(tip), job->message))
		return 1;
	if ((rc = git_tree_lookup(&tree, v->repo, &job->tree)) < 0)
		return git_fail(rc, "skills: cannot read the candidate tree");
	const git_commit *parents[1] = { tip };
	for (int attempt = 0; attempt < OBJECT_WRITE_TRIES; attempt++) {
		rc = git_commit_create(out, v->repo, NULL, job->sig, job->sig, NULL, job->message,
				       tree, tip ? 1 : 0, parents);
		if (rc == 0)
			break;
		object_retry_wait(attempt);
	}
	git_tree_free(tree);
	if (rc < 0)
		return git_fail(rc, "skills: cannot write the commit of round %d", job->c->round);
	return 0;
}

int vcs_commit_candidate(char *oid_out, struct vcs *v, const struct vcs_candidate *c)
{
	struct buf msg = BUF_INIT;
	struct commit_job job = { c, NULL, { { 0 } }, NULL };
	char *ref = NULL, *log = NULL;
	git_oid oid;
	int rc;

	if ((rc = check_run_id(c->run_id)) < 0 || (rc = check_skill_name(c->skill_name)) < 0)
		return rc;
	if (!c->skill_md || c->round < 0)
		return ss_err_set(SS_EINPUT, "skills: candidate of run '%s' needs a SKILL.md "
				  "and a round >= 0", c->run_id);
	if ((rc = build_message(&msg, c)) < 0)
		goto cleanup;
	job.message = msg.buf;
	if ((rc = candidate_tree(&job.tree, v, c)) < 0 ||
	    (rc = vcs_signature(&job.sig, v, c->time)) < 0)
		goto cleanup;
	ref = xasprintf("refs/heads/run/%s", c->run_id);
	log = xasprintf("skillsmith: round %d", c->round);
	if ((rc = cas_update(&oid, v, ref, log, make_candidate_commit, &job)) < 0)
		goto cleanup;
	if (oid_out)
		git_oid_tostr(oid_out, VCS_OID_HEXSZ + 1, &oid);
cleanup:
	git_signature_free(job.sig);
	buf_release(&msg);
	free(ref);
	free(log);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Resolving revisions                                                 */

static int lookup_commit(git_commit **out, struct vcs *v, const char *spec)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc = git_revparse_single(&obj, v->repo, spec);
	if (rc < 0)
		return git_fail(rc, "skills: unknown revision '%s'", spec);
	rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc < 0)
		return git_fail(rc, "skills: '%s' is not a commit", spec);
	*out = (git_commit *)peeled;
	return 0;
}

static int all_digits(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* candidates.commit_oid of (run, round): 0, SS_ENOTFOUND or an error. */
static int store_candidate_oid(char *oid_out, struct store *st, const char *run_id, int round)
{
	sqlite3_stmt *s = store_prepare(st, "SELECT commit_oid FROM candidates "
				       "WHERE run_id = ? AND round = ?");
	if (!s)
		return SS_ERR;
	sqlite3_bind_text(s, 1, run_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(s, 2, round);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && sqlite3_column_text(s, 0)) {
		snprintf(oid_out, VCS_OID_HEXSZ + 1, "%s", (const char *)sqlite3_column_text(s, 0));
		rc = 0;
	} else if (rc == SQLITE_ROW) {
		rc = ss_err_set(SS_ENOTFOUND, "run '%s' round %d has no commit yet", run_id, round);
	} else if (rc == SQLITE_DONE) {
		rc = ss_err_set(SS_ENOTFOUND, "run '%s' has no candidate of round %d", run_id, round);
	} else {
		rc = ss_err_set(SS_ERR, "store: %s", sqlite3_errmsg(st->db));
	}
	sqlite3_finalize(s);
	return rc;
}

/* The newest commit of run/<run> whose Skillsmith-Round trailer is `round`. */
static int branch_round_oid(char *oid_out, struct vcs *v, const char *run, int round)
{
	struct vcs_log_entry *e = NULL;
	size_t nr = 0;
	int rc = vcs_log(&e, &nr, v, run, VCS_LOG_NEWEST_FIRST);
	if (rc < 0)
		return rc;
	rc = ss_err_set(SS_ENOTFOUND, "run '%s' has no candidate of round %d", run, round);
	for (size_t i = 0; i < nr; i++) {
		if (e[i].round == round) {
			memcpy(oid_out, e[i].oid, VCS_OID_HEXSZ + 1);
			rc = 0;
			break;
		}
	}
	vcs_log_free(e, nr);
	return rc;
}

/* The run "ROUND" alone refers to: run_id, the store's latest, the newest branch. */
static char *default_run(struct vcs *v, struct store *st, const char *run_id)
{
	if (run_id)
		return xstrdup(run_id);
	char *run = st ? store_latest_run(st) : NULL;
	if (!run) {
		char **runs = NULL;
		size_t nr = 0;
		if (vcs_runs(&runs, &nr, v) == 0 && nr)
			run = xstrdup(runs[0]);
		vcs_strings_free(runs, nr);
	}
	return run;
}

int vcs_resolve(char *oid_out, struct vcs *v, struct store *st,
		const char *run_id, const char *spec)
{
	const char *colon, *round = NULL;
	char *run = NULL;
	git_commit *c = NULL;
	int rc;

	if (!spec || !*spec)
		return ss_err_set(SS_EINPUT, "skills: empty revision");
	colon = strrchr(spec, ':');
	if (colon && colon > spec && all_digits(colon + 1) && strlen(colon + 1) < 7) {
		run = xstrndup(spec, (size_t)(colon - spec));
		round = colon + 1;
	} else if (all_digits(spec) && strlen(spec) < 7) {
		run = default_run(v, st, run_id);
		round = spec;
	}
	if (round) {
		if (!run)
			rc = ss_err_set(SS_ENOTFOUND, "no run to take round %s from", round);
		else if (st && (rc = store_candidate_oid(oid_out, st, run, atoi(round))) != SS_ENOTFOUND)
			; /* found in the store, or the store failed */
		else
			rc = branch_round_oid(oid_out, v, run, atoi(round));
		free(run);
		if (rc != SS_ENOTFOUND)
			return rc;
		/* Not a candidate: perhaps git knows it (a short id). */
		char saved[1024];
		snprintf(saved, sizeof(saved), "%s", ss_err_last());
		if (lookup_commit(&c, v, spec) < 0)
			return ss_err_set(SS_ENOTFOUND, "%s", saved);
	} else if ((rc = lookup_commit(&c, v, spec)) < 0) {
		return rc;
	}
	git_oid_tostr(oid_out, VCS_OID_HEXSZ + 1, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Tags and notes                                                      */

int vcs_tag_selected(char *oid_out, struct vcs *v, const char *run_id,
		     const char *commit, int active, const char *message, int64_t time)
{
	git_commit *c = NULL;
	git_signature *sig = NULL;
	char *name = NULL, *other = NULL;
	struct buf msg = BUF_INIT;
	git_oid oid;
	int rc;

	if ((rc = check_run_id(run_id)) < 0 || (rc = lookup_commit(&c, v, commit)) < 0)
		return rc;
	if ((rc = vcs_signature(&sig, v, time)) < 0)
		goto cleanup;
	name = vcs_tag_name(run_id, active);
	other = vcs_tag_name(run_id, !active);
	if (message && *message)
		buf_adds(&msg, message);
	else
		buf_addf(&msg, "run %s: selected candidate, %s", run_id,
			 active ? "active" : "deprecated");
	if (msg.len && msg.buf[msg.len - 1] != '\n')
		buf_addch(&msg, '\n');
	for (int attempt = 0; attempt < VCS_RETRIES; attempt++) {
		rc = git_tag_create(&oid, v->repo, name, (const git_object *)c, sig, msg.buf, 1);
		if (rc == 0 || attempt + 1 == VCS_RETRIES)
			break;
		short_wait(attempt); /* locked or racing a pack-refs: see cas_update() */
	}
	if (rc < 0) {
		rc = git_fail(rc, "skills: cannot tag '%s'", name);
		goto cleanup;
	}
	/* One verdict per run: drop the opposite tag of an earlier selection. */
	for (int attempt = 0; attempt < VCS_RETRIES; attempt++) {
		rc = git_tag_delete(v->repo, other);
		if (rc == 0 || rc == GIT_ENOTFOUND || attempt + 1 == VCS_RETRIES)
			break;
		short_wait(attempt);
	}
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		rc = git_fail(rc, "skills: cannot remove the old tag '%s'", other);
		goto cleanup;
	}
	git_error_clear();
	rc = 0;
	if (oid_out)
		git_oid_tostr(oid_out, VCS_OID_HEXSZ + 1, &oid);
cleanup:
	buf_release(&msg);
	free(name);
	free(other);
	git_signature_free(sig);
	git_commit_free(c);
	return rc;
}

int vcs_note(struct vcs *v, const char *commit, const char *json, int64_t time)
{
	git_commit *c = NULL;
	git_signature *sig = NULL;
	git_oid note;
	int rc;

	if (json) {
		cJSON *parsed = cJSON_Parse(json);
		if (!parsed)
			return ss_err_set(SS_EINPUT, "skills: the note for '%s' is not valid JSON",
					  commit);
		cJSON_Delete(parsed);
	}
	if ((rc = lookup_commit(&c, v, commit)) < 0)
		return rc;
	if ((rc = vcs_signature(&sig, v, time)) < 0)
		goto cleanup;
	/* libgit2 moves the notes ref only from the tip it read: retry if it moved. */
	for (int attempt = 0; attempt < VCS_RETRIES; attempt++) {
		rc = git_note_create(&note, v->repo, VCS_NOTES_REF, sig, sig,
				     git_commit_id(c), json ? json : "{}", 1);
		if (rc == 0 || attempt + 1 == VCS_RETRIES)
			break;
		short_wait(attempt); /* moved or locked: see cas_update() */
	}
	if (rc < 0)
		rc = git_fail(rc, "skills: cannot write the note of '%s'", commit);
cleanup:
	git_signature_free(sig);
	git_commit_free(c);
	return rc;
}

char *vcs_note_read(struct vcs *v, const char *commit)
{
	git_commit *c = NULL;
	git_note *note = NULL;
	char *out = NULL;
	if (lookup_commit(&c, v, commit) < 0)
		return NULL;
	int rc = git_note_read(&note, v->repo, VCS_NOTES_REF, git_commit_id(c));
	if (rc < 0)
		git_fail(rc, "skills: no note on '%s'", commit);
	else
		out = xstrdup(git_note_message(note));
	git_note_free(note);
	git_commit_free(c);
	return out;
}

/* ------------------------------------------------------------------ */
/* Diff                                                                */

struct diff_walk {
	vcs_diff_cb cb;
	void *payload;
	int stopped;
};

static int emit(struct diff_walk *w, enum vcs_line_kind kind, const git_diff_delta *d,
		const char *content, size_t len, int old_no, int new_no)
{
	struct vcs_diff_line l;
	l.kind = kind;
	l.old_path = d && d->status != GIT_DELTA_ADDED ? d->old_file.path : NULL;
	l.new_path = d && d->status != GIT_DELTA_DELETED ? d->new_file.path : NULL;
	l.content = content;
	l.len = len;
	l.old_lineno = old_no;
	l.new_lineno = new_no;
	int rc = w->cb(&l, w->payload);
	if (rc)
		w->stopped = rc;
	return rc;
}

static int diff_line_cb(const git_diff_delta *d, const git_diff_hunk *h,
			const git_diff_line *line, void *payload)
{
	struct diff_walk *w = payload;
	const char *p = line->content;
	size_t n = line->content_len;
	(void)h;

	switch (line->origin) {
	case GIT_DIFF_LINE_FILE_HDR: {
		/* One header, several lines: hand them over one by one. */
		while (n) {
			const char *e = memchr(p, '\n', n);
			size_t k = e ? (size_t)(e - p) + 1 : n;
			if (emit(w, VCS_LINE_FILE, d, p, k, -1, -1))
				return 1;
			p += k;
			n -= k;
		}
		return 0;
	}
	case GIT_DIFF_LINE_HUNK_HDR:
		return emit(w, VCS_LINE_HUNK, d, p, n, -1, -1) ? 1 : 0;
	case GIT_DIFF_LINE_CONTEXT:
	case GIT_DIFF_LINE_ADDITION:
	case GIT_DIFF_LINE_DELETION:
		return emit(w, (enum vcs_line_kind)line->origin, d, p, n,
			    line->old_lineno, line->new_lineno) ? 1 : 0;
	case GIT_DIFF_LINE_CONTEXT_EOFNL:
	case GIT_DIFF_LINE_ADD_EOFNL:
	case GIT_DIFF_LINE_DEL_EOFNL:
	case GIT_DIFF_LINE_BINARY:
		/* libgit2 starts the no-newline notice with the missing '\n'. */
		if (n && *p == '\n') {
			p++;
			n--;
		}
		return emit(w, VCS_LINE_NOTE, d, p, n, -1, -1) ? 1 : 0;
	default:
		return 0;
	}
}

static int commit_tree(git_tree **out, struct vcs *v, const char *spec, git_commit **commit_out)
{
	git_commit *c = NULL;
	int rc = lookup_commit(&c, v, spec);
	if (rc < 0)
		return rc;
	if ((rc = git_commit_tree(out, c)) < 0) {
		git_commit_free(c);
		return git_fail(rc, "skills: cannot read the tree of '%s'", spec);
	}
	if (commit_out)
		*commit_out = c;
	else
		git_commit_free(c);
	return 0;
}

int vcs_diff_foreach(struct vcs *v, const char *a, const char *b,
		     const struct vcs_diff_options *opts, vcs_diff_cb cb, void *payload)
{
	struct vcs_diff_options defaults = VCS_DIFF_OPTIONS_INIT;
	git_tree *ta = NULL, *tb = NULL;
	git_commit *cb_commit = NULL, *parent = NULL;
	git_diff *diff = NULL;
	struct diff_walk w = { cb, payload, 0 };
	char *pathspec[1];
	int rc;

	if (!opts)
		opts = &defaults;
	if ((rc = commit_tree(&tb, v, b, &cb_commit)) < 0)
		goto cleanup;
	if (a && *a) {
		if ((rc = commit_tree(&ta, v, a, NULL)) < 0)
			goto cleanup;
	} else if (git_commit_parentcount(cb_commit) > 0) {
		if ((rc = git_commit_parent(&parent, cb_commit, 0)) < 0 ||
		    (rc = git_commit_tree(&ta, parent)) < 0) {
			rc = git_fail(rc, "skills: cannot read the parent of '%s'", b);
			goto cleanup;
		}
	}
	git_diff_options dopts;
	git_diff_options_init(&dopts, GIT_DIFF_OPTIONS_VERSION);
	dopts.context_lines = opts->context >= 0 ? (uint32_t)opts->context : 3;
	if (opts->path && *opts->path) {
		pathspec[0] = (char *)opts->path;
		dopts.pathspec.strings = pathspec;
		dopts.pathspec.count = 1;
	}
	if ((rc = git_diff_tree_to_tree(&diff, v->repo, ta, tb, &dopts)) < 0) {
		rc = git_fail(rc, "skills: cannot diff '%s' and '%s'", a ? a : "parent", b);
		goto cleanup;
	}
	git_diff_find_options fo;
	git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
	fo.flags = GIT_DIFF_FIND_RENAMES;
	if ((rc = git_diff_find_similar(diff, &fo)) < 0) {
		rc = git_fail(rc, "skills: cannot find renames");
		goto cleanup;
	}
	rc = git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, diff_line_cb, &w);
	if (w.stopped) {
		git_error_clear();
		rc = w.stopped;
	} else if (rc < 0) {
		rc = git_fail(rc, "skills: cannot print the diff");
	}
cleanup:
	git_diff_free(diff);
	git_tree_free(ta);
	git_tree_free(tb);
	git_commit_free(parent);
	git_commit_free(cb_commit);
	return rc;
}

struct diff_text {
	struct buf *out;
	int color;
	int sanitize;
};

#define ANSI_BOLD "\033[1m"
#define ANSI_CYAN "\033[36m"
#define ANSI_RED "\033[31m"
#define ANSI_GREEN "\033[32m"
#define ANSI_RESET "\033[m"

static int diff_text_cb(const struct vcs_diff_line *l, void *payload)
{
	struct diff_text *t = payload;
	struct buf *b = t->out;
	const char *color = NULL;
	size_t n = l->len;
	int nl;

	/* A line without its newline ends the file: the notice goes below it. */
	if (b->len && b->buf[b->len - 1] != '\n')
		buf_addch(b, '\n');
	nl = n && l->content[n - 1] == '\n';
	if (nl)
		n--;
	if (t->color) {
		switch (l->kind) {
		case VCS_LINE_FILE: color = ANSI_BOLD; break;
		case VCS_LINE_HUNK: color = ANSI_CYAN; break;
		case VCS_LINE_ADD: color = ANSI_GREEN; break;
		case VCS_LINE_DEL: color = ANSI_RED; break;
		default: break;
		}
	}
	if (color)
		buf_adds(b, color);
	if (l->kind == VCS_LINE_ADD || l->kind == VCS_LINE_DEL || l->kind == VCS_LINE_CONTEXT)
		buf_addch(b, (char)l->kind);
	if (t->sanitize)
		sanitize_append(b, l->content, n, SANITIZE_TABS);
	else
		buf_add(b, l->content, n);
	if (color)
		buf_adds(b, ANSI_RESET);
	if (nl)
		buf_addch(b, '\n');
	return 0;
}

int vcs_diff(struct buf *out, struct vcs *v, const char *a, const char *b,
	     const struct vcs_diff_options *opts)
{
	struct diff_text t = { out, opts ? opts->color : 0, opts ? opts->sanitize : 0 };
	int rc = vcs_diff_foreach(v, a, b, opts, diff_text_cb, &t);
	if (rc == 0 && out->len && out->buf[out->len - 1] != '\n')
		buf_addch(out, '\n');
	return rc;
}

/* ------------------------------------------------------------------ */
/* Log                                                                 */

struct tag_map {
	git_oid *oids;
	char **names;
	size_t nr, alloc;
	git_repository *repo;
};

static int tag_cb(const char *name, git_oid *oid, void *payload)
{
	struct tag_map *m = payload;
	git_object *obj = NULL, *peeled = NULL;
	if (git_object_lookup(&obj, m->repo, oid, GIT_OBJECT_ANY) < 0 ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		git_error_clear();
		git_object_free(obj);
		return 0;
	}
	ALLOC_GROW(m->oids, m->nr + 1, m->alloc);
	m->names = xrealloc(m->names, m->alloc * sizeof(*m->names));
	git_oid_cpy(&m->oids[m->nr], git_object_id(peeled));
	m->names[m->nr++] = xstrdup(!strncmp(name, "refs/tags/", 10) ? name + 10 : name);
	git_object_free(peeled);
	git_object_free(obj);
	return 0;
}

static char *tags_of(const struct tag_map *m, const git_oid *oid)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < m->nr; i++) {
		if (!git_oid_equal(&m->oids[i], oid))
			continue;
		if (b.len)
			buf_adds(&b, ", ");
		buf_adds(&b, m->names[i]);
	}
	return b.len ? buf_detach(&b, NULL) : NULL;
}

static int trailer_int(const char *value)
{
	char *end;
	errno = 0;
	long n = strtol(value, &end, 10);
	if (errno || end == value || n < INT_MIN + 1 || n > INT_MAX)
		return VCS_NA;
	return (int)n;
}

static void parse_entry(struct vcs_log_entry *e, const git_commit *c, const struct tag_map *tags)
{
	const char *msg = git_commit_message(c);
	const git_signature *a = git_commit_author(c);
	git_message_trailer_array arr;

	git_oid_tostr(e->oid, sizeof(e->oid), git_commit_id(c));
	e->time = (int64_t)git_commit_time(c);
	e->author = xasprintf("%s <%s>", a->name, a->email);
	e->round = e->net_gain = e->repairs = e->regressions = e->m = VCS_NA;
	e->tags = tags_of(tags, git_commit_id(c));

	const char *nl = strchr(msg, '\n');
	e->summary = nl ? xstrndup(msg, (size_t)(nl - msg)) : xstrdup(msg);

	memset(&arr, 0, sizeof(arr));
	if (git_message_trailers(&arr, msg) < 0) {
		git_error_clear();
		memset(&arr, 0, sizeof(arr));
	}
	/* The body: after the summary's blank line, up to the trailer block. */
	struct buf body = BUF_INIT;
	if (nl) {
		buf_adds(&body, nl + 1);
		buf_trim(&body);
		/* Trailers are the last paragraph; the body is what precedes it. */
		if (arr.count) {
			char *last = NULL;
			for (char *p = strstr(body.buf, "\n\n"); p; p = strstr(p + 1, "\n\n"))
				last = p;
			buf_setlen(&body, last ? (size_t)(last - body.buf) : 0);
			buf_trim(&body);
		}
	}
	e->body = buf_detach(&body, NULL);

	e->nr_trailers = arr.count;
	e->trailers = arr.count ? xcalloc(arr.count, sizeof(*e->trailers)) : NULL;
	for (size_t i = 0; i < arr.count; i++) {
		const char *k = arr.trailers[i].key, *val = arr.trailers[i].value;
		e->trailers[i].key = xstrdup(k);
		e->trailers[i].value = xstrdup(val);
		if (!strcasecmp(k, "Skillsmith-Run")) { free(e->run_id); e->run_id = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Round")) e->round = trailer_int(val);
		else if (!strcasecmp(k, "Skillsmith-Strategy")) { free(e->strategy); e->strategy = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Net-Gain")) e->net_gain = trailer_int(val);
		else if (!strcasecmp(k, "Skillsmith-Repairs")) e->repairs = trailer_int(val);
		else if (!strcasecmp(k, "Skillsmith-Regressions")) e->regressions = trailer_int(val);
		else if (!strcasecmp(k, "Skillsmith-M")) e->m = trailer_int(val);
		else if (!strcasecmp(k, "Skillsmith-Status")) { free(e->status); e->status = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Parent-Candidate")) { free(e->parent); e->parent = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Decided-By")) { free(e->decided_by); e->decided_by = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Decided-At")) { free(e->decided_at); e->decided_at = xstrdup(val); }
		else if (!strcasecmp(k, "Skillsmith-Decision-Reason")) { free(e->decision_reason); e->decision_reason = xstrdup(val); }
	}
	git_message_trailer_array_free(&arr);
}

static void tag_map_release(struct tag_map *m)
{
	for (size_t i = 0; i < m->nr; i++)
		free(m->names[i]);
	free(m->names);
	free(m->oids);
}

int vcs_log(struct vcs_log_entry **out, size_t *nr, struct vcs *v,
	    const char *run_id, int flags)
{
	git_revwalk *walk = NULL;
	struct tag_map tags = { NULL, NULL, 0, 0, v->repo };
	struct vcs_log_entry *list = NULL;
	size_t n = 0, alloc = 0;
	char *ref = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	*nr = 0;
	if ((rc = check_run_id(run_id)) < 0)
		return rc;
	ref = xasprintf("refs/heads/run/%s", run_id);
	if ((rc = git_reference_name_to_id(&oid, v->repo, ref)) < 0) {
		rc = rc == GIT_ENOTFOUND
			? ss_err_set(SS_ENOTFOUND, "skills: run '%s' has no branch 'run/%s' in '%s'",
				     run_id, run_id, v->path)
			: git_fail(rc, "skills: cannot read '%s'", ref);
		goto cleanup;
	}
	if ((rc = git_revwalk_new(&walk, v->repo)) < 0 ||
	    (rc = git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL |
				      (flags & VCS_LOG_NEWEST_FIRST ? 0 : GIT_SORT_REVERSE))) < 0 ||
	    (rc = git_revwalk_simplify_first_parent(walk)) < 0 ||
	    (rc = git_revwalk_push(walk, &oid)) < 0) {
		rc = git_fail(rc, "skills: cannot walk '%s'", ref);
		goto cleanup;
	}
	if (git_tag_foreach(v->repo, tag_cb, &tags) < 0)
		git_error_clear();
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		git_commit *c = NULL;
		if ((rc = git_commit_lookup(&c, v->repo, &oid)) < 0) {
			rc = git_fail(rc, "skills: cannot read a commit of '%s'", ref);
			goto cleanup;
		}
		ALLOC_GROW(list, n + 1, alloc);
		memset(&list[n], 0, sizeof(list[n]));
		parse_entry(&list[n++], c, &tags);
		git_commit_free(c);
	}
	if (rc != GIT_ITEROVER) {
		rc = git_fail(rc, "skills: cannot walk '%s'", ref);
		goto cleanup;
	}
	git_error_clear();
	rc = 0;
	*out = list;
	*nr = n;
	list = NULL;
	n = 0;
cleanup:
	vcs_log_free(list, n);
	tag_map_release(&tags);
	git_revwalk_free(walk);
	free(ref);
	return rc;
}

void vcs_log_free(struct vcs_log_entry *entries, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		struct vcs_log_entry *e = &entries[i];
		free(e->summary);
		free(e->body);
		free(e->author);
		free(e->run_id);
		free(e->strategy);
		free(e->status);
		free(e->parent);
		free(e->decided_by);
		free(e->decided_at);
		free(e->decision_reason);
		free(e->tags);
		for (size_t j = 0; j < e->nr_trailers; j++) {
			free((char *)e->trailers[j].key);
			free((char *)e->trailers[j].value);
		}
		free(e->trailers);
	}
	free(entries);
}

struct run_tip {
	char *name;
	int64_t time;
};

static int cmp_tip(const void *a, const void *b)
{
	const struct run_tip *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? 1 : -1;
	return strcmp(x->name, y->name);
}

int vcs_runs(char ***out, size_t *nr, struct vcs *v)
{
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	struct run_tip *tips = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	*out = NULL;
	*nr = 0;
	if ((rc = git_branch_iterator_new(&it, v->repo, GIT_BRANCH_LOCAL)) < 0)
		return git_fail(rc, "skills: cannot list branches");
	while ((rc = git_branch_next(&ref, &type, it)) == 0) {
		const char *name = git_reference_shorthand(ref);
		git_commit *c = NULL;
		if (!strncmp(name, "run/", 4) && name[4] && git_reference_target(ref) &&
		    git_commit_lookup(&c, v->repo, git_reference_target(ref)) == 0) {
			ALLOC_GROW(tips, n + 1, alloc);
			tips[n].name = xstrdup(name + 4);
			tips[n++].time = (int64_t)git_commit_time(c);
			git_commit_free(c);
		}
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	if (rc != GIT_ITEROVER) {
		for (size_t i = 0; i < n; i++)
			free(tips[i].name);
		free(tips);
		return git_fail(rc, "skills: cannot list branches");
	}
	git_error_clear();
	qsort(tips, n, sizeof(*tips), cmp_tip);
	char **list = n ? xcalloc(n, sizeof(*list)) : NULL;
	for (size_t i = 0; i < n; i++)
		list[i] = tips[i].name;
	free(tips);
	*out = list;
	*nr = n;
	return 0;
}

void vcs_strings_free(char **list, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(list[i]);
	free(list);
}

/* ------------------------------------------------------------------ */
/* Reading a skill back                                                */

/* The one top-level folder of `tree` that holds a SKILL.md blob. */
static int find_skill_entry(const git_tree_entry **out, git_tree *tree, struct vcs *v,
			    const char *commit)
{
	const git_tree_entry *found = NULL;
	size_t count = git_tree_entrycount(tree), nfound = 0;
	for (size_t i = 0; i < count; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);
		git_tree *sub = NULL;
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
			continue;
		if (git_tree_lookup(&sub, v->repo, git_tree_entry_id(e)) < 0) {
			git_error_clear();
			continue;
		}
		const git_tree_entry *md = git_tree_entry_byname(sub, "SKILL.md");
		if (md && git_tree_entry_type(md) == GIT_OBJECT_BLOB) {
			found = e;
			nfound++;
		}
		git_tree_free(sub);
	}
	if (nfound != 1)
		return ss_err_set(nfound ? SS_EINPUT : SS_ENOTFOUND,
				  "skills: commit '%s' holds %zu skill folders (a folder with "
				  "SKILL.md); expected one", commit, nfound);
	*out = found;
	return 0;
}

int vcs_skill_name(char **name_out, struct vcs *v, const char *commit)
{
	git_tree *tree = NULL;
	const git_tree_entry *e;
	int rc = commit_tree(&tree, v, commit, NULL);
	if (rc < 0)
		return rc;
	if ((rc = find_skill_entry(&e, tree, v, commit)) == 0)
		*name_out = xstrdup(git_tree_entry_name(e));
	git_tree_free(tree);
	return rc;
}

struct export_walk {
	struct vcs *v;
	const char *dir;
	int rc;
};

static int export_cb(const char *root, const git_tree_entry *e, void *payload)
{
	struct export_walk *w = payload;
	char *path = xasprintf("%s/%s%s", w->dir, root, git_tree_entry_name(e));
	git_blob *blob = NULL;
	int rc = 0;

	if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
		if (ss_mkdirs(path, 0755) < 0)
			rc = -1;
	} else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
		if ((rc = git_blob_lookup(&blob, w->v->repo, git_tree_entry_id(e))) < 0) {
			rc = git_fail(rc, "skills: cannot read '%s%s'", root, git_tree_entry_name(e));
		} else if ((rc = ss_write_file(path, git_blob_rawcontent(blob),
					       (size_t)git_blob_rawsize(blob))) == 0 &&
			   git_tree_entry_filemode(e) == GIT_FILEMODE_BLOB_EXECUTABLE) {
			if (chmod(path, 0755) < 0)
				rc = ss_err_set(SS_ERR, "cannot make '%s' executable: %s",
						path, strerror(errno));
		}
	}
	git_blob_free(blob);
	free(path);
	if (rc < 0) {
		w->rc = rc < 0 ? rc : SS_ERR;
		return -1;
	}
	return 0;
}

int vcs_checkout_skill(char **name_out, struct vcs *v, const char *commit, const char *dir)
{
	git_tree *tree = NULL, *sub = NULL;
	const git_tree_entry *e;
	struct export_walk w = { v, dir, 0 };
	int rc;

	if ((rc = commit_tree(&tree, v, commit, NULL)) < 0)
		return rc;
	if ((rc = find_skill_entry(&e, tree, v, commit)) < 0)
		goto cleanup;
	if ((rc = git_tree_lookup(&sub, v->repo, git_tree_entry_id(e))) < 0) {
		rc = git_fail(rc, "skills: cannot read the skill folder of '%s'", commit);
		goto cleanup;
	}
	if ((rc = ss_mkdirs(dir, 0755)) < 0)
		goto cleanup;
	rc = git_tree_walk(sub, GIT_TREEWALK_PRE, export_cb, &w);
	if (w.rc < 0) {
		rc = w.rc;
		goto cleanup;
	}
	if (rc < 0) {
		rc = git_fail(rc, "skills: cannot write the skill of '%s'", commit);
		goto cleanup;
	}
	if (name_out)
		*name_out = xstrdup(git_tree_entry_name(e));
cleanup:
	git_tree_free(sub);
	git_tree_free(tree);
	return rc;
}

int vcs_read_file(char **out, size_t *len, struct vcs *v, const char *commit, const char *path)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc;

	*out = NULL;
	if ((rc = commit_tree(&tree, v, commit, NULL)) < 0)
		return rc;
	if ((rc = git_tree_entry_bypath(&e, tree, path)) < 0) {
		rc = git_fail(rc, "skills: no '%s' in '%s'", path, commit);
		goto cleanup;
	}
	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB) {
		rc = ss_err_set(SS_ENOTFOUND, "skills: '%s' in '%s' is not a file", path, commit);
		goto cleanup;
	}
	if ((rc = git_blob_lookup(&blob, v->repo, git_tree_entry_id(e))) < 0) {
		rc = git_fail(rc, "skills: cannot read '%s' in '%s'", path, commit);
		goto cleanup;
	}
	size_t n = (size_t)git_blob_rawsize(blob);
	*out = xmalloc(n + 1);
	memcpy(*out, git_blob_rawcontent(blob), n);
	(*out)[n] = '\0';
	if (len)
		*len = n;
cleanup:
	git_blob_free(blob);
	git_tree_entry_free(e);
	git_tree_free(tree);
	return rc;
}
