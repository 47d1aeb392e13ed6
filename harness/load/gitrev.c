/*
 * The export of --baseline-rev (see gitrev.h).  Each git command runs to
 * its end with its stdout read whole (at most MAX_GIT_OUTPUT bytes); its
 * stderr is ours, so git's own message about a bad revision is shown.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/load/gitrev.h"
#include "harness/core/buf.h"
#include "harness/core/message.h"
#include "harness/core/process.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* The most a git command may print: a prompt file or a file list. */
#define MAX_GIT_OUTPUT ((size_t)64 << 20)

/*
 * Runs argv (git, or rm to clean up) to its end, its stdout in out.  Returns its exit status (0
 * for success), 128 + signal when killed, or -1 with errno set when it
 * could not be run or printed too much.
 */
static int run_program(char *const *argv, struct pe_buf *out)
{
	struct pe_process p;
	int rc = pe_process_start(&p, argv, NULL), status = 0;
	char chunk[65536];

	if (rc) {
		errno = rc;
		return -1;
	}
	pe_fd_close(&p.in_fd);
	for (;;) {
		struct pollfd pfd = { p.out_fd, POLLIN, 0 };
		ssize_t got;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		got = read(p.out_fd, chunk, sizeof(chunk));
		if (got > 0 && out->len + (size_t)got <= MAX_GIT_OUTPUT)
			pe_buf_add(out, chunk, (size_t)got);
		else if (got > 0)
			rc = EFBIG;
		else if (got == 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	pe_fd_close(&p.out_fd);
	pe_fd_close(&p.pidfd);
	while (waitpid(p.pid, &status, 0) < 0 && errno == EINTR)
		;
	pe_process_kill_group(p.pid);
	if (rc) {
		errno = rc;
		return -1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* The output of a git command that must succeed, trimmed; NULL if not. */
static char *git_line(char *const *argv)
{
	struct pe_buf out;
	int rc;

	pe_buf_init(&out, 0);
	rc = run_program(argv, &out);
	if (rc) {
		pe_buf_release(&out);
		return NULL;
	}
	while (out.len && (out.data[out.len - 1] == '\n'))
		out.data[--out.len] = '\0';
	return pe_buf_detach(&out, NULL);
}

/* Writes data to path, making its folders. */
static int write_file(const char *path, const struct pe_buf *data)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;

	if (slash) {
		*slash = '\0';
		rc = pe_make_dirs(dir, 0);
	}
	free(dir);
	return rc ? rc : pe_file_write_atomic(path, data->data, data->len, 0);
}

/* Writes "git show REV:./file" to DIR/file. */
static int export_file(const char *rev, const char *file, const char *dir)
{
	char *object = xstrfmt("%s:./%s", rev, file);
	char *argv[] = { "git", "show", object, NULL };
	char *to = xstrfmt("%s/%s", dir, file);
	struct pe_buf data;
	int rc;

	pe_buf_init(&data, 0);
	rc = run_program(argv, &data);
	if (rc > 0) {
		pe_error("git show %s failed", object);
		rc = PE_ERR_INVALID;
	} else if (rc < 0) {
		rc = PE_ERR_IO;
	} else {
		rc = write_file(to, &data);
	}
	pe_buf_release(&data);
	free(to);
	free(object);
	return rc;
}

/*
 * Exports the files under one PATH (names relative to the current
 * folder, as git ls-tree gives them); returns how many, or -1.
 */
static long export_path(const char *rev, const char *path, const char *dir)
{
	char *argv[] = { "git",		"ls-tree",    "-r",
			 "--name-only", "-z",	      (char *)rev,
			 "--",		(char *)path, NULL };
	struct pe_buf list;
	long files = 0;

	pe_buf_init(&list, 0);
	if (run_program(argv, &list)) {
		pe_error("git ls-tree %s -- %s failed", rev, path);
		files = -1;
	}
	for (size_t at = 0; files >= 0 && at < list.len;) {
		const char *file = list.data + at;

		at += strlen(file) + 1;
		if (export_file(rev, file, dir))
			files = -1;
		else
			files++;
	}
	pe_buf_release(&list);
	return files;
}

/* True for a PATH inside the current folder: relative, without "..". */
static int path_is_inside(const char *path)
{
	const char *p = path;

	if (*path == '/')
		return 0;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 2 && !strncmp(p, "..", 2))
			return 0;
		p += len;
		p += *p == '/';
	}
	return 1;
}

/* Checks the work tree and the revision; 0 or PE_ERR_INVALID. */
static int check_revision(const char *rev)
{
	char *inside[] = { "git", "rev-parse", "--is-inside-work-tree", NULL };
	char *commit = xstrfmt("%s^{commit}", rev);
	char *verify[] = { "git",     "rev-parse", "--verify",
			   "--quiet", commit,	   NULL };
	char *answer = git_line(inside), *hash = NULL;
	int rc = PE_ERR_INVALID;

	if (!answer || strcmp(answer, "true"))
		pe_error("--baseline-rev needs a git work tree, and the "
			 "current folder is in none");
	else if (!(hash = git_line(verify)) || !*hash)
		pe_error("--baseline-rev %s: no such revision", rev);
	else
		rc = PE_OK;
	free(hash);
	free(answer);
	free(commit);
	return rc;
}

/* Exports paths at rev; see gitrev.h. */
int pe_gitrev_export(const char *rev, char *const *paths, size_t n,
		     struct pe_gitrev *out)
{
	const char *tmp = getenv("TMPDIR");
	char *dir;
	int rc;

	memset(out, 0, sizeof(*out));
	pe_strlist_init(&out->paths);
	for (size_t i = 0; i < n; i++)
		if (!path_is_inside(paths[i])) {
			pe_error("--baseline-rev: %s is not inside the current "
				 "folder",
				 paths[i]);
			return PE_ERR_INVALID;
		}
	rc = check_revision(rev);
	if (rc)
		return rc;
	dir = xstrfmt("%s/prompteval-rev-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		free(dir);
		return PE_ERR_IO;
	}
	out->dir = dir;
	for (size_t i = 0; i < n; i++) {
		long files = export_path(rev, paths[i], dir);
		char *mapped = xstrfmt("%s/%s", dir, paths[i]);

		if (files < 0)
			rc = PE_ERR_INVALID;
		else if (!files)
			out->missing++;
		else
			out->files += (size_t)files;
		pe_strlist_push(&out->paths, mapped);
		free(mapped);
	}
	return rc;
}

/* Removes the folder tree under path (files and folders only). */
static void remove_tree(const char *path)
{
	char *argv[] = { "rm", "-rf", "--", (char *)path, NULL };
	struct pe_buf out;

	pe_buf_init(&out, 0);
	run_program(argv, &out);
	pe_buf_release(&out);
}

/* Frees an export and removes its folder; see gitrev.h. */
void pe_gitrev_release(struct pe_gitrev *g)
{
	if (g->dir)
		remove_tree(g->dir);
	free(g->dir);
	pe_strlist_release(&g->paths);
	memset(g, 0, sizeof(*g));
}
