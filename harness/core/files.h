#ifndef PE_FILES_H
#define PE_FILES_H
/*
 * File-system helpers for the command layer and loaders: reading a whole
 * file with a size cap, and turning command-line paths into the sorted list
 * of prompt files they name (directories are searched recursively for
 * *.prompt.yml and *.prompt.yaml; a named file is taken whatever its name).
 */
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "harness/core/diag.h"

/* A list of heap strings owned by the list. */
struct pe_strlist {
	char **items;
	size_t len;
	size_t alloc;
};

void pe_strlist_init(struct pe_strlist *l);
void pe_strlist_release(struct pe_strlist *l);
void pe_strlist_push(struct pe_strlist *l, const char *s);

/*
 * Reads the whole file at path (at most max bytes) into a new
 * NUL-terminated heap buffer owned by the caller.  On failure returns
 * PE_ERR_IO or PE_ERR_LIMIT and records an error in diag.
 */
int pe_file_read(const char *path, size_t max, char **data, size_t *len,
		 struct pe_diag *diag);

/*
 * Appends the prompt files that path names to out, sorted and without
 * duplicates of earlier entries.  Records an error and returns PE_ERR_IO
 * when path does not exist or cannot be read.
 */
int pe_files_collect(const char *path, struct pe_strlist *out,
		     struct pe_diag *diag);

/* True when name ends in .prompt.yml or .prompt.yaml. */
int pe_is_prompt_file_name(const char *name);

/* Joins a directory of base (a file path) and a relative path. */
char *pe_path_relative_to(const char *base, const char *rel);

/*
 * True when the file at path lies in the directory dir or below it, or
 * is the file that dir/name is (through a link too), for each name of
 * names (a NULL-terminated list, or NULL).  Links are followed; a path
 * or a directory that does not exist is inside nothing.
 */
int pe_path_is_inside(const char *path, const char *dir,
		      const char *const *names);

/*
 * Atomic writing: the one way prompteval replaces a file.  The bytes go to
 * a temporary file beside path, which pe_atomic_commit renames into place,
 * so a reader (or a run killed half-way) sees the old file or the new one,
 * never part of one.  A path that exists and is not a regular file (a
 * device such as /dev/stdout or /dev/full, a FIFO) is never replaced: it
 * is written in place and its write errors are reported.  A symbolic link
 * to a regular file stays a link: the file it names is replaced.  A
 * directory is an error (EISDIR).  The temporary file is created with
 * O_EXCL and O_NOFOLLOW, so nothing already under its name is written
 * through.
 */
struct pe_atomic_file {
	FILE *f;   /* write the contents here */
	char *tmp; /* the temporary file; NULL when writing in place */
	char *path;
};

/*
 * Opens a for writing path; private_file makes it mode 0600, else
 * 0666 less the umask.  Returns 0, or PE_ERR_IO with errno set.
 */
int pe_atomic_open(struct pe_atomic_file *a, const char *path,
		   int private_file);

/*
 * Finishes a: flushes, closes and renames the temporary file into place.
 * Returns 0, or PE_ERR_IO with errno set (the temporary file is removed
 * and path is left as it was).  a is released either way.
 */
int pe_atomic_commit(struct pe_atomic_file *a);

/* Gives up on a: removes the temporary file; path is left as it was. */
void pe_atomic_abort(struct pe_atomic_file *a);

/*
 * Removes from dir the temporary files a killed atomic writer left
 * behind: regular files named "NAME.tmp.PID.HEX", as pe_atomic_open
 * names them, last modified before the time before (a writer still at
 * work has touched its file since).  Returns how many it removed;
 * anything that cannot be read or removed is left alone.
 */
size_t pe_atomic_remove_stale(const char *dir, time_t before);

/* Writes len bytes of data to path atomically; 0 or PE_ERR_IO (errno). */
int pe_file_write_atomic(const char *path, const void *data, size_t len,
			 int private_file);

/*
 * Creates dir and its parents (mode 0755, or 0700 when private); those
 * that exist are kept.  Returns 0, or PE_ERR_IO with errno set (ENOTDIR
 * when dir or one of its parents exists and is not a directory).
 */
int pe_make_dirs(const char *dir, int private_dir);

#endif
