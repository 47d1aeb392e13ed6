#ifndef PE_TESTDIR_H
#define PE_TESTDIR_H
/*
 * Temporary directories for the unit tests, shared so that each test file
 * does not carry its own copy: a cmocka setup that makes a fresh mkdtemp
 * directory under /tmp, a teardown that removes it with everything in it,
 * a writer of one file, and a loader that writes a results journal into a
 * directory of its own and reads it back with pe_resultset_load.  Include after <cmocka.h>.
 * The functions are static inline so that a test file using only some of
 * them gets no unused-function warning.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/results/resultset.h"

struct testdir {
	char dir[64];
};

/* Removes dir and everything below it; a missing dir is not an error. */
static inline void testdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			testdir_remove(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* A cmocka setup: *state becomes a struct testdir with a fresh dir. */
static inline int testdir_setup(void **state, const char *tag)
{
	struct testdir *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/pe-test-%s-XXXXXX", tag);
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

/* The matching cmocka teardown. */
static inline int testdir_teardown(void **state)
{
	struct testdir *t = *state;

	testdir_remove(t->dir);
	free(t);
	return 0;
}

/*
 * Writes the len bytes of data as dir/name (any failure fails the test).
 * Returns the path, which the caller frees.
 */
static inline char *testdir_write(const char *dir, const char *name,
				  const char *data, size_t len)
{
	size_t size = strlen(dir) + strlen(name) + 2;
	char *path = malloc(size);
	FILE *fp;

	assert_non_null(path);
	snprintf(path, size, "%s/%s", dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return path;
}

/*
 * Writes text as dir/results.jsonl in a fresh directory, loads it (any
 * diagnostic fails the test) and removes the directory.  Returns the set.
 */
static inline struct pe_resultset *testdir_load_results(
	const struct pe_buf *text)
{
	char dir[64], path[128];
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs;
	FILE *fp;

	snprintf(dir, sizeof(dir), "/tmp/pe-test-results-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/results.jsonl", dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(pe_buf_str(text), 1, text->len, fp), text->len);
	assert_int_equal(fclose(fp), 0);
	rs = pe_resultset_load(path, diag);
	if (pe_diag_len(diag))
		pe_diag_print(diag, stderr);
	assert_int_equal(pe_diag_len(diag), 0);
	assert_non_null(rs);
	pe_diag_free(diag);
	testdir_remove(dir);
	return rs;
}

#endif
