/*
 * Reading files and walking directories.  Directory walks sort entries so
 * that every listing and report is in a stable order, skip hidden entries
 * such as .git, and do not follow symbolic links to directories, which
 * rules out cycles.
 */
#include "harness/core/files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Initialises an empty list. */
void pe_strlist_init(struct pe_strlist *l)
{
	l->items = NULL;
	l->len = 0;
	l->alloc = 0;
}

/* Frees every string and the list. */
void pe_strlist_release(struct pe_strlist *l)
{
	for (size_t i = 0; i < l->len; i++)
		free(l->items[i]);
	free(l->items);
	pe_strlist_init(l);
}

/* Appends a copy of s. */
void pe_strlist_push(struct pe_strlist *l, const char *s)
{
	pe_grow(&l->items, &l->alloc, l->len + 1, sizeof(*l->items));
	l->items[l->len++] = xstrdup(s);
}

/* Reads a whole file; see files.h. */
int pe_file_read(const char *path, size_t max, char **data, size_t *len,
		 struct pe_diag *diag)
{
	struct pe_mark mark = { path, 0, 0 };
	struct pe_buf b;
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		pe_diag_error(diag, &mark, "cannot open: %s", strerror(errno));
		return PE_ERR_IO;
	}
	pe_buf_init(&b, max);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (pe_buf_add(&b, chunk, n)) {
			pe_diag_error(diag, &mark,
				      "file is larger than the %zu-byte limit",
				      max);
			fclose(f);
			pe_buf_release(&b);
			return PE_ERR_LIMIT;
		}
	}
	if (ferror(f)) {
		pe_diag_error(diag, &mark, "cannot read: %s", strerror(errno));
		fclose(f);
		pe_buf_release(&b);
		return PE_ERR_IO;
	}
	fclose(f);
	*data = pe_buf_detach(&b, len);
	return PE_OK;
}

/* True for *.prompt.yml and *.prompt.yaml. */
int pe_is_prompt_file_name(const char *name)
{
	return pe_ends_with(name, ".prompt.yml") ||
	       pe_ends_with(name, ".prompt.yaml");
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	return xstrfmt("%.*s/%s", (int)len, dir, name);
}

static int walk(const char *dir, struct pe_strlist *out, struct pe_diag *diag,
		int depth)
{
	struct pe_mark mark = { dir, 0, 0 };
	struct pe_strlist names;
	struct dirent *de;
	DIR *d;

	if (depth > 64)
		return PE_OK;
	d = opendir(dir);
	if (!d) {
		pe_diag_error(diag, &mark, "cannot open directory: %s",
			      strerror(errno));
		return PE_ERR_IO;
	}
	pe_strlist_init(&names);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			pe_strlist_push(&names, de->d_name);
	closedir(d);
	qsort(names.items, names.len, sizeof(*names.items), compare_strings);
	for (size_t i = 0; i < names.len; i++) {
		char *path = join(dir, names.items[i]);
		struct stat st;

		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			walk(path, out, diag, depth + 1);
		else if (pe_is_prompt_file_name(names.items[i]) &&
			 stat(path, &st) == 0 && S_ISREG(st.st_mode))
			pe_strlist_push(out, path);
		free(path);
	}
	pe_strlist_release(&names);
	return PE_OK;
}

/* Collects the prompt files a path names; see files.h. */
int pe_files_collect(const char *path, struct pe_strlist *out,
		     struct pe_diag *diag)
{
	struct pe_mark mark = { path, 0, 0 };
	struct stat st;

	if (stat(path, &st) != 0) {
		pe_diag_error(diag, &mark, "cannot open: %s", strerror(errno));
		return PE_ERR_IO;
	}
	if (S_ISDIR(st.st_mode))
		return walk(path, out, diag, 0);
	pe_strlist_push(out, path);
	return PE_OK;
}

/* Resolves rel against the directory holding base; caller owns result. */
char *pe_path_relative_to(const char *base, const char *rel)
{
	const char *slash = strrchr(base, '/');

	if (rel[0] == '/' || !slash)
		return xstrdup(rel);
	return xstrfmt("%.*s/%s", (int)(slash - base), base, rel);
}

/*
 * Opens the temporary file: O_EXCL and O_NOFOLLOW, so a file or a link
 * already there under its name is never written through; a leftover of
 * an earlier process with the same pid is removed and the open retried.
 */
static int open_temporary(const char *tmp, int private_file)
{
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	mode_t mode = private_file ? 0600 : 0666;
	int fd = open(tmp, flags, mode);

	if (fd < 0 && errno == EEXIST && !unlink(tmp))
		fd = open(tmp, flags, mode);
	return fd;
}

/* Opens path for an atomic write; see files.h. */
int pe_atomic_open(struct pe_atomic_file *a, const char *path, int private_file)
{
	struct stat st;
	char *target = NULL;
	int fd;

	memset(a, 0, sizeof(*a));
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return PE_ERR_IO;
	}
	/* A link to a regular file: replace the file, keep the link. */
	if (!lstat(path, &st) && S_ISLNK(st.st_mode) && !stat(path, &st) &&
	    S_ISREG(st.st_mode))
		target = realpath(path, NULL);
	if (!target && !stat(path, &st) && !S_ISREG(st.st_mode)) {
		/* A device or a FIFO: write through it, never replace it. */
		a->f = fopen(path, "wb");
		if (!a->f)
			return PE_ERR_IO;
		a->path = xstrdup(path);
		return PE_OK;
	}
	a->path = target ? target : xstrdup(path);
	/* Unique per process and thread, so concurrent writers never meet. */
	a->tmp = xstrfmt("%s.tmp.%ld.%lx", a->path, (long)getpid(),
			 (unsigned long)pthread_self());
	fd = open_temporary(a->tmp, private_file);
	if (fd < 0 || !(a->f = fdopen(fd, "wb"))) {
		int saved = errno;

		if (fd >= 0) {
			close(fd);
			unlink(a->tmp);
		}
		free(a->tmp);
		free(a->path);
		memset(a, 0, sizeof(*a));
		errno = saved;
		return PE_ERR_IO;
	}
	return PE_OK;
}

/* Whether path lies in dir or is one of its named files; see files.h. */
int pe_path_is_inside(const char *path, const char *dir,
		      const char *const *names)
{
	char *real_path = realpath(path, NULL);
	char *real_dir = realpath(dir, NULL);
	struct stat file, named;
	int inside = 0;

	if (real_path && real_dir) {
		size_t n = strlen(real_dir);

		inside = !strncmp(real_path, real_dir, n) &&
			 (real_path[n] == '/' || real_path[n] == '\0' ||
			  !strcmp(real_dir, "/"));
	}
	for (size_t i = 0; !inside && names && names[i]; i++) {
		char *p = xstrfmt("%s/%s", dir, names[i]);

		inside = !stat(path, &file) && !stat(p, &named) &&
			 file.st_dev == named.st_dev &&
			 file.st_ino == named.st_ino;
		free(p);
	}
	free(real_path);
	free(real_dir);
	return inside;
}

/* True for "NAME.tmp.PID.HEX", the name pe_atomic_open gives. */
static int is_atomic_temp_name(const char *name)
{
	const char *p = strstr(name, ".tmp.");
	const char *last = NULL;

	for (; p; p = strstr(p + 1, ".tmp."))
		last = p;
	if (!last || last == name)
		return 0;
	p = last + 5;
	if (!strchr("0123456789", *p) || !*p)
		return 0;
	p += strspn(p, "0123456789");
	if (*p++ != '.' || !*p)
		return 0;
	return p[strspn(p, "0123456789abcdef")] == '\0';
}

/* Removes what killed atomic writers left in dir; see files.h. */
size_t pe_atomic_remove_stale(const char *dir, time_t before)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t removed = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		struct stat st;
		char *path;

		if (!is_atomic_temp_name(e->d_name))
			continue;
		path = xstrfmt("%s/%s", dir, e->d_name);
		if (!lstat(path, &st) && S_ISREG(st.st_mode) &&
		    st.st_mtime < before && !unlink(path))
			removed++;
		free(path);
	}
	closedir(d);
	return removed;
}

static void atomic_release(struct pe_atomic_file *a)
{
	free(a->tmp);
	free(a->path);
	memset(a, 0, sizeof(*a));
}

/* Renames the finished temporary file into place; see files.h. */
int pe_atomic_commit(struct pe_atomic_file *a)
{
	int ok, saved;

	errno = 0;
	ok = !fflush(a->f) && !ferror(a->f);
	saved = errno;
	if (fclose(a->f) && ok) {
		ok = 0;
		saved = errno;
	}
	if (ok && a->tmp && rename(a->tmp, a->path)) {
		ok = 0;
		saved = errno;
	}
	if (!ok && a->tmp)
		unlink(a->tmp);
	atomic_release(a);
	/* A short write with no errno set is a full device. */
	errno = ok ? 0 : saved ? saved : ENOSPC;
	return ok ? PE_OK : PE_ERR_IO;
}

/* Gives up on an atomic write; see files.h. */
void pe_atomic_abort(struct pe_atomic_file *a)
{
	int saved = errno;

	if (a->f)
		fclose(a->f);
	if (a->tmp)
		unlink(a->tmp);
	atomic_release(a);
	errno = saved;
}

/* Writes a whole buffer atomically; see files.h. */
int pe_file_write_atomic(const char *path, const void *data, size_t len,
			 int private_file)
{
	struct pe_atomic_file a;

	if (pe_atomic_open(&a, path, private_file))
		return PE_ERR_IO;
	if (len && fwrite(data, 1, len, a.f) != len) {
		pe_atomic_abort(&a);
		return PE_ERR_IO;
	}
	return pe_atomic_commit(&a);
}

/* Creates a directory and its parents; see files.h. */
int pe_make_dirs(const char *dir, int private_dir)
{
	char *path = xstrdup(dir);
	mode_t mode = private_dir ? 0700 : 0755;
	struct stat st;
	int rc = PE_OK;

	/* A leading '/' is the root, not a parent to make; "" has none. */
	for (char *p = path + (path[0] != '\0'); *p && !rc; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) && errno != EEXIST)
			rc = PE_ERR_IO;
		*p = '/';
	}
	if (!rc && mkdir(path, mode) && errno != EEXIST)
		rc = PE_ERR_IO;
	/* EEXIST says that the name exists, not that it is a directory. */
	if (!rc && stat(path, &st))
		rc = PE_ERR_IO;
	if (!rc && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = PE_ERR_IO;
	}
	free(path);
	return rc;
}
