#ifndef PE_FILES_H
#define PE_FILES_H
/*
 * File-system helpers for the command layer and loaders: reading a whole
 * file with a size cap, and turning command-line paths into the sorted list
 * of prompt files they name (directories are searched recursively for
 * *.prompt.yml and *.prompt.yaml; a named file is taken whatever its name).
 */
#include <stddef.h>

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

#endif
