#ifndef SKILLSMITH_VCS_H
#define SKILLSMITH_VCS_H
/*
 * The skill repository: every candidate skill is a git commit (libgit2).
 *
 * A workspace holds an ordinary, non-bare repository at <workspace>/skills,
 * so `git -C <workspace>/skills log`, tig or any hosting service can browse
 * it.  Each run has its own branch `run/<run-id>`; each candidate of each
 * round is one commit on it whose tree is an Agent Skills folder:
 *
 *     <skill-name>/SKILL.md
 *     <skill-name>/scripts/...      (optional)
 *     <skill-name>/references/...   (optional)
 *
 * The tree of a commit is the whole candidate (a snapshot, not a patch on
 * the previous round).  The first commit of a run branch is a root commit,
 * so `git log run/<id>` shows exactly the run's candidates.
 *
 * Robustness.  Commits are written with object APIs only: blobs and trees
 * in memory (git_treebuilder), git_commit_create() without touching any
 * ref, then a compare-and-swap of the branch from the tip the commit was
 * built on (git_reference_create_matching), rebuilt and retried if the
 * branch moved.  The work tree and the index are never read or written,
 * not even when a user has checked out the run branch: the history is what
 * matters, and a user's uncommitted work must never be overwritten (their
 * `git status` will then show the new candidate as a difference; `git
 * checkout -f` or `git reset --hard` brings the work tree up to date).
 * The one exception is a repository vcs_open() creates: it gets a first
 * commit on its default branch (a README saying how the repository is laid
 * out), checked out, so that `git log` works from the start.
 *
 * Messages.  Failures return < 0 with ss_err_last() holding our context and
 * libgit2's own message ("skills: cannot update 'refs/heads/run/x': ...").
 */
#include <stddef.h>
#include <stdint.h>
#include <limits.h>

#include "skillsmith/buf.h"

struct store;
struct vcs;

/* A metric that is not known (yet): the commit leaves its trailer out. */
#define VCS_NA INT_MIN

/* Hex object ids: 40 characters and a NUL. */
#define VCS_OID_HEXSZ 40

/*
 * Open the repository <workspace>/skills, creating it (and the workspace)
 * if needed.  An existing repository is used as it is, whatever is checked
 * out and however dirty its work tree.  Free with vcs_close().
 */
int vcs_open(struct vcs **out, const char *workspace);
/*
 * Open <workspace>/skills only if it exists (for readers: log, diff,
 * export, the dashboard); SS_ENOTFOUND, and nothing created, if not.
 */
int vcs_open_existing(struct vcs **out, const char *workspace);
void vcs_close(struct vcs *v);

/* The repository's directory ("<workspace>/skills"); owned by v. */
const char *vcs_path(const struct vcs *v);

/*
 * The identity of commits, tags and notes: "skillsmith
 * <skillsmith@localhost>" unless set here (the config's or the user's).
 * NULL keeps the current value.
 */
void vcs_set_identity(struct vcs *v, const char *name, const char *email);

/* The branch of a run: "run/<run-id>" (malloc'd).  Full ref: "refs/heads/..." */
char *vcs_branch_name(const char *run_id);

/* A file of a candidate besides SKILL.md, relative to the skill folder. */
struct vcs_file {
	const char *path;     /* "scripts/check.py", "references/dates.md" */
	const char *content;
	size_t len;           /* 0: strlen(content) */
	int executable;       /* mode 100755 instead of 100644 */
};

/* An extra trailer ("Skillsmith-P-Value", "0.031"). */
struct vcs_trailer {
	const char *key;
	const char *value;
};

/*
 * One candidate to commit.  Start from VCS_CANDIDATE_INIT and set what is
 * known; metrics left at VCS_NA are left out of the summary and trailers.
 * Strings are borrowed for the duration of the call.  Trailer values are
 * made single-line (CR and LF become spaces).
 */
struct vcs_candidate {
	const char *run_id;          /* required */
	int round;                   /* required, >= 0 (the step for the edit strategy) */
	const char *skill_name;      /* required: the folder name */
	const char *skill_md;        /* required: the full SKILL.md */
	const struct vcs_file *files;
	size_t nr_files;

	const char *strategy;        /* "skillgen" | "edit" */
	int net_gain;                /* G = n01 - n10 */
	int repairs;                 /* n01 */
	int regressions;             /* n10 */
	int m;                       /* verified instances */
	const char *status;          /* candidates.status: generated, verified, ... */
	const char *parent;          /* parent candidate (round, id or oid); NULL: none */

	/* First line; NULL builds "round 3: G=+5 (7 repairs, 2 regressions) on 40"
	   ("step 3: ..." for the edit strategy; "round 1: generated" unverified). */
	const char *summary;
	/* What changed and why (from the feedback); NULL or "" for none. */
	const char *body;

	/* Decisions made by hand (approve / reject): who, when, why. */
	const char *decided_by;
	const char *decided_at;      /* ISO 8601 text as the caller has it */
	const char *decision_reason;

	const struct vcs_trailer *trailers;  /* extra trailers, after ours */
	size_t nr_trailers;

	/* Author and committer date, seconds since the epoch (UTC); 0: now. */
	int64_t time;
};

#define VCS_CANDIDATE_INIT { NULL, 0, NULL, NULL, NULL, 0, NULL, \
		VCS_NA, VCS_NA, VCS_NA, VCS_NA, NULL, NULL, NULL, NULL, \
		NULL, NULL, NULL, NULL, 0, 0 }

/*
 * Commit a candidate on its run branch (creating the branch).  Writes the
 * new commit's hex id to `oid_out` (41 bytes) when it is not NULL.  If the
 * branch moves while the commit is built (another process, a user's git),
 * the commit is rebuilt on the new tip; nothing is lost.
 */
int vcs_commit_candidate(char *oid_out, struct vcs *v, const struct vcs_candidate *c);

/* The summary line vcs_commit_candidate() uses by default (malloc'd). */
char *vcs_summary(const struct vcs_candidate *c);

/*
 * Tag the selected candidate `commit` (a hex id or any commit-ish) with an
 * annotated tag "skill/<run-id>/active" or "skill/<run-id>/deprecated";
 * `message` (for example the metrics and the gate) is the tag's message.
 * Replaces an earlier tag of the same run (both names), so a resumed run
 * that selects again leaves one tag.  `oid_out` as above, may be NULL.
 */
int vcs_tag_selected(char *oid_out, struct vcs *v, const char *run_id,
		     const char *commit, int active, const char *message,
		     int64_t time);

/* The tag name for a run (malloc'd): "skill/<run-id>/active" or ".../deprecated". */
char *vcs_tag_name(const char *run_id, int active);

/* The notes ref holding the metrics. */
#define VCS_NOTES_REF "refs/notes/skillsmith"

/*
 * Attach `json` (the full metrics; must parse as JSON, else SS_EINPUT) as a
 * git note in refs/notes/skillsmith to `commit`, replacing an earlier note.  `git notes --ref=skillsmith show
 * <commit>` prints it.
 */
int vcs_note(struct vcs *v, const char *commit, const char *json, int64_t time);
/* The note on `commit` (malloc'd), or NULL with SS_ENOTFOUND if it has none. */
char *vcs_note_read(struct vcs *v, const char *commit);

/*
 * Resolve a revision to a commit's hex id (oid_out, 41 bytes):
 *   - "RUN:ROUND" or "ROUND" (digits): the candidate of that round, from
 *     the store (candidates.commit_oid) when `st` is given and knows it,
 *     else the newest commit of run/RUN whose Skillsmith-Round trailer is
 *     ROUND (so a repository works without its store).  ROUND alone means
 *     the run `run_id`, else the store's latest run, else the run branch
 *     with the newest commit.
 *   - anything git understands: a hex id, a branch, a tag, "run/x~2".
 * SS_ENOTFOUND when nothing matches.
 */
int vcs_resolve(char *oid_out, struct vcs *v, struct store *st,
		const char *run_id, const char *spec);

/* One line of a diff, for drawing (unified or side by side). */
enum vcs_line_kind {
	VCS_LINE_FILE = 'F',      /* file header (diff --git, ---, +++): content */
	VCS_LINE_HUNK = 'H',      /* "@@ -1,4 +1,5 @@ ..." */
	VCS_LINE_CONTEXT = ' ',
	VCS_LINE_ADD = '+',
	VCS_LINE_DEL = '-',
	VCS_LINE_NOTE = '\\',     /* "\ No newline at end of file", binary notices */
};

struct vcs_diff_line {
	enum vcs_line_kind kind;
	const char *old_path;     /* path of the file in A (NULL if added) */
	const char *new_path;     /* path of the file in B (NULL if deleted) */
	const char *content;      /* not NUL-terminated; the line's own '\n' included */
	size_t len;
	int old_lineno;           /* -1 when the line is not in A */
	int new_lineno;           /* -1 when the line is not in B */
};

/* Return non-zero to stop the walk (vcs_diff_foreach() then returns it). */
typedef int (*vcs_diff_cb)(const struct vcs_diff_line *line, void *payload);

struct vcs_diff_options {
	int color;                /* ANSI: header bold, hunk cyan, - red, + green */
	int context;              /* context lines, default 3 */
	const char *path;         /* limit to paths under this prefix; NULL: all */
	int sanitize;             /* vcs_diff(): make content lines safe for a
				     terminal (sanitize.h); the patch is then for
				     reading, not for `git apply` */
};
#define VCS_DIFF_OPTIONS_INIT { 0, 3, NULL, 0 }

/*
 * Diff commit `a` to commit `b` (hex ids, as from vcs_resolve()).  `a` NULL
 * means b's first parent (the empty tree for a root commit).  Renames are
 * detected (a skill renamed between rounds shows as a rename).
 */
int vcs_diff(struct buf *out, struct vcs *v, const char *a, const char *b,
	     const struct vcs_diff_options *opts);
int vcs_diff_foreach(struct vcs *v, const char *a, const char *b,
		     const struct vcs_diff_options *opts, vcs_diff_cb cb, void *payload);

/* A commit of a run branch with its trailers parsed. */
struct vcs_log_entry {
	char oid[VCS_OID_HEXSZ + 1];
	char *summary;            /* first line */
	char *body;               /* the rest up to the trailers ("" if none) */
	int64_t time;             /* committer time, seconds since the epoch */
	char *author;             /* "name <email>" */
	/* From the trailers; VCS_NA / NULL when absent. */
	int round, net_gain, repairs, regressions, m;
	char *run_id, *strategy, *status, *parent;
	char *decided_by, *decided_at, *decision_reason;
	/* Every trailer, in order (ours and others). */
	struct vcs_trailer *trailers;   /* strings owned by the entry */
	size_t nr_trailers;
	/* Tags pointing at this commit ("skill/demo-1/active"), comma-separated, or NULL. */
	char *tags;
};

/* Order of vcs_log(): oldest first (round order) is the default. */
#define VCS_LOG_NEWEST_FIRST 1

/*
 * The commits of run `run_id`'s branch, first parents only, oldest first
 * unless VCS_LOG_NEWEST_FIRST.  *out is an array of *nr entries; free it
 * with vcs_log_free().  SS_ENOTFOUND if the run has no branch.
 */
int vcs_log(struct vcs_log_entry **out, size_t *nr, struct vcs *v,
	    const char *run_id, int flags);
void vcs_log_free(struct vcs_log_entry *entries, size_t nr);

/*
 * Runs that have a branch, newest tip first (malloc'd array of malloc'd
 * names, *nr of them); free with vcs_strings_free().
 */
int vcs_runs(char ***out, size_t *nr, struct vcs *v);
void vcs_strings_free(char **list, size_t nr);

/*
 * Write the skill folder of `commit` into `dir` (created; existing files of
 * the same names are overwritten, others left alone).  The commit's tree
 * must hold exactly one folder with a SKILL.md; its name goes to name_out
 * (malloc'd) when that is not NULL.
 */
int vcs_checkout_skill(char **name_out, struct vcs *v, const char *commit, const char *dir);
/* The skill folder name of `commit` (malloc'd), without writing anything. */
int vcs_skill_name(char **name_out, struct vcs *v, const char *commit);

/*
 * The content of `path` ("date-math/SKILL.md") at `commit`: *out is
 * malloc'd and NUL-terminated, *len (may be NULL) its size.  SS_ENOTFOUND
 * if the commit has no such file.
 */
int vcs_read_file(char **out, size_t *len, struct vcs *v, const char *commit, const char *path);

#endif
