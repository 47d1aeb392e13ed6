/*
 * Unit tests for the atomic writer and pe_make_dirs in files.c, each in a
 * fresh temporary directory: a new file, replacing a file (the old bytes
 * stay until the commit, no temporary file is left), abort, file modes,
 * a directory (EISDIR, left alone), a FIFO (written in place, never
 * replaced), a missing parent directory, nested directory creation, and
 * removing the temporary files that killed writers left behind.
 * The umask is set for each test so that modes are known, and restored.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "harness/core/files.h"
#include "harness/core/util.h"

#include "tests/unit/testdir.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

static int setup(void **state)
{
	return testdir_setup(state, "files");
}

static int teardown(void **state)
{
	return testdir_teardown(state);
}

/* Writes dir/name (size bytes of path). */
static void path_in(const struct testdir *t, const char *name, char *path,
		    size_t size)
{
	assert_true(snprintf(path, size, "%s/%s", t->dir, name) < (int)size);
}

/* Fails unless path holds exactly want. */
static void assert_contents(const char *path, const char *want)
{
	char got[256];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_int_equal(n, strlen(want));
	assert_string_equal(got, want);
}

/* Writes text as dir/name with the shared writer of testdir.h. */
static void write_plain(const char *dir, const char *name, const char *text)
{
	free(testdir_write(dir, name, text, strlen(text)));
}

/*
 * Fails unless the entries of dir (without . and ..) are exactly the
 * names in want, a '|'-separated sorted list ("" for none).
 */
static void assert_entries(const char *dir, const char *want)
{
	char names[16][256];
	size_t n = 0;
	char got[4096] = "";
	DIR *d = opendir(dir);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		assert_true(n < COUNT(names));
		snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	}
	closedir(d);
	/* A small insertion sort keeps the listing stable. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0;
		     j--) {
			char tmp[256];

			memcpy(tmp, names[j], sizeof(tmp));
			memcpy(names[j], names[j - 1], sizeof(tmp));
			memcpy(names[j - 1], tmp, sizeof(tmp));
		}
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(got);

		snprintf(got + used, sizeof(got) - used, "%s%s", i ? "|" : "",
			 names[i]);
	}
	assert_string_equal(got, want);
}

/* The type and permission bits of path itself (not what it links to). */
static mode_t stat_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & (S_IFMT | 07777);
}

/* A link to a regular file: the file is replaced, the link is kept. */
static void test_link_to_file_keeps_link(void **state)
{
	struct testdir *t = *state;
	char path[128], link[128];

	write_plain(t->dir, "real.json", "old\n");
	path_in(t, "real.json", path, sizeof(path));
	path_in(t, "link.json", link, sizeof(link));
	assert_int_equal(symlink("real.json", link), 0);
	assert_int_equal(pe_file_write_atomic(link, "new\n", 4, 0), PE_OK);
	assert_true(S_ISLNK(stat_mode(link)));
	assert_contents(path, "new\n");
	assert_entries(t->dir, "link.json|real.json");
}

/*
 * Something already under the temporary file's name (here a link to a
 * file that must not be touched) is never written through.
 */
static void test_temporary_name_taken(void **state)
{
	struct testdir *t = *state;
	char path[128], victim[128], tmp[256];

	write_plain(t->dir, "victim.txt", "keep\n");
	path_in(t, "out.json", path, sizeof(path));
	path_in(t, "victim.txt", victim, sizeof(victim));
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%lx", path, (long)getpid(),
		 (unsigned long)pthread_self());
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(pe_file_write_atomic(path, "data\n", 5, 0), PE_OK);
	assert_contents(path, "data\n");
	assert_contents(victim, "keep\n");
	assert_entries(t->dir, "out.json|victim.txt");
}

static void test_write_new_file(void **state)
{
	struct testdir *t = *state;
	mode_t old_mask = umask(022);
	char path[128];

	path_in(t, "new.txt", path, sizeof(path));
	assert_int_equal(pe_file_write_atomic(path, "hello\n", 6, 0), PE_OK);
	assert_contents(path, "hello\n");
	assert_int_equal(stat_mode(path), S_IFREG | 0644);
	assert_entries(t->dir, "new.txt");
	umask(old_mask);
}

static void test_write_empty_file(void **state)
{
	struct testdir *t = *state;
	char path[128];

	path_in(t, "empty", path, sizeof(path));
	write_plain(t->dir, "empty", "old contents");
	assert_int_equal(pe_file_write_atomic(path, "", 0, 0), PE_OK);
	assert_contents(path, "");
	assert_entries(t->dir, "empty");
}

/*
 * Replacing a file: while the new bytes are being written, the file
 * still holds the old ones and the temporary file sits beside it; after
 * the commit the file holds the new bytes and nothing else is left.
 */
static void test_replace_commit(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128];
	struct stat before, after;

	path_in(t, "results.json", path, sizeof(path));
	write_plain(t->dir, "results.json", "old");
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(pe_atomic_open(&a, path, 0), PE_OK);
	assert_non_null(a.f);
	assert_non_null(a.tmp);
	assert_string_equal(a.path, path);
	assert_int_equal(strncmp(a.tmp, path, strlen(path)), 0);
	assert_true(strlen(a.tmp) > strlen(path));
	assert_true(fputs("new contents", a.f) >= 0);
	assert_int_equal(fflush(a.f), 0);
	assert_contents(path, "old");
	assert_contents(a.tmp, "new contents");
	assert_int_equal(pe_atomic_commit(&a), PE_OK);
	assert_null(a.f);
	assert_null(a.tmp);
	assert_null(a.path);
	assert_contents(path, "new contents");
	assert_entries(t->dir, "results.json");
	/* Renamed into place, not rewritten: a reader of the old inode
	 * never saw a half-written file. */
	assert_int_equal(stat(path, &after), 0);
	assert_true(S_ISREG(after.st_mode));
	assert_true(before.st_ino != after.st_ino);
}

static void test_replace_abort(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128], both[256];

	path_in(t, "keep.txt", path, sizeof(path));
	write_plain(t->dir, "keep.txt", "old");
	assert_int_equal(pe_atomic_open(&a, path, 0), PE_OK);
	assert_true(fputs("half of the new", a.f) >= 0);
	assert_int_equal(fflush(a.f), 0);
	snprintf(both, sizeof(both), "keep.txt|%s", strrchr(a.tmp, '/') + 1);
	assert_entries(t->dir, both);
	errno = EACCES;
	pe_atomic_abort(&a);
	/* The caller's errno survives, for its message. */
	assert_int_equal(errno, EACCES);
	assert_null(a.f);
	assert_null(a.tmp);
	assert_contents(path, "old");
	assert_entries(t->dir, "keep.txt");
}

/*
 * The rename fails (the path became a directory after the open): the
 * commit reports it, removes the temporary file and leaves the path.
 */
static void test_commit_rename_fails(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128];

	path_in(t, "later-a-dir", path, sizeof(path));
	assert_int_equal(pe_atomic_open(&a, path, 0), PE_OK);
	assert_true(fputs("lost", a.f) >= 0);
	assert_int_equal(mkdir(path, 0755), 0);
	errno = 0;
	assert_int_equal(pe_atomic_commit(&a), PE_ERR_IO);
	assert_int_equal(errno, EISDIR);
	assert_null(a.tmp);
	assert_int_equal(stat_mode(path), S_IFDIR | 0755);
	assert_entries(t->dir, "later-a-dir");
	assert_entries(path, "");
}

/*
 * A write error (the file-size limit, which acts like a full disk
 * without touching a device): the commit reports EFBIG, the old file
 * keeps its bytes and no temporary file is left.  The limit and the
 * SIGXFSZ disposition are restored before anything is checked.
 */
static void test_write_error_keeps_old_file(void **state)
{
	struct testdir *t = *state;
	struct rlimit saved_limit, small;
	struct sigaction ignore, saved_action;
	char path[128], big[8192];
	int rc, err;

	path_in(t, "results.json", path, sizeof(path));
	write_plain(t->dir, "results.json", "old");
	memset(big, 'n', sizeof(big));
	memset(&ignore, 0, sizeof(ignore));
	ignore.sa_handler = SIG_IGN;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
	small = saved_limit;
	small.rlim_cur = 16;
	assert_int_equal(sigaction(SIGXFSZ, &ignore, &saved_action), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	errno = 0;
	rc = pe_file_write_atomic(path, big, sizeof(big), 0);
	err = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);
	assert_int_equal(sigaction(SIGXFSZ, &saved_action, NULL), 0);
	assert_int_equal(rc, PE_ERR_IO);
	assert_int_equal(err, EFBIG);
	assert_contents(path, "old");
	assert_entries(t->dir, "results.json");
}

struct mode_case {
	mode_t umask;
	int private_file;
	int exists; /* replace an existing 0644 file */
	mode_t want;
};

static const struct mode_case mode_cases[] = {
	{ 022, 0, 0, 0644 }, { 022, 1, 0, 0600 }, { 027, 0, 0, 0640 },
	{ 077, 0, 0, 0600 }, { 0, 1, 0, 0600 },	  { 022, 1, 1, 0600 },
	{ 002, 0, 0, 0664 },
};

static void test_modes(void **state)
{
	struct testdir *t = *state;

	for (size_t i = 0; i < COUNT(mode_cases); i++) {
		const struct mode_case *c = &mode_cases[i];
		char path[128], name[32];
		mode_t old_mask;

		snprintf(name, sizeof(name), "mode-%zu", i);
		path_in(t, name, path, sizeof(path));
		if (c->exists) {
			write_plain(t->dir, name, "old");
			assert_int_equal(chmod(path, 0644), 0);
		}
		old_mask = umask(c->umask);
		assert_int_equal(
			pe_file_write_atomic(path, "x", 1, c->private_file),
			PE_OK);
		umask(old_mask);
		if (stat_mode(path) != (S_IFREG | c->want)) {
			print_error("row %zu: mode %06o, want %04o\n", i,
				    (unsigned)stat_mode(path),
				    (unsigned)c->want);
			fail();
		}
	}
}

static void test_directory_is_refused(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128], inside[160];

	path_in(t, "out", path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(inside, sizeof(inside), "%s/kept", path);
	write_plain(path, "kept", "kept");
	errno = 0;
	assert_int_equal(pe_atomic_open(&a, path, 0), PE_ERR_IO);
	assert_int_equal(errno, EISDIR);
	assert_null(a.f);
	assert_null(a.tmp);
	errno = 0;
	assert_int_equal(pe_file_write_atomic(path, "x", 1, 0), PE_ERR_IO);
	assert_int_equal(errno, EISDIR);
	assert_int_equal(stat_mode(path), S_IFDIR | 0755);
	assert_entries(t->dir, "out");
	assert_entries(path, "kept");
	assert_contents(inside, "kept");
}

/*
 * A FIFO is written through, not replaced: a non-blocking reader opened
 * first lets the writer open it, and afterwards it is still a FIFO.
 */
static void test_fifo_written_in_place(void **state)
{
	struct testdir *t = *state;
	static const char text[] = "through the pipe\n";
	char path[128], got[64];
	struct stat st;
	ssize_t n;
	int reader;

	path_in(t, "pipe", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	assert_int_equal(pe_file_write_atomic(path, text, strlen(text), 0),
			 PE_OK);
	n = read(reader, got, sizeof(got) - 1);
	close(reader);
	assert_int_equal(n, (ssize_t)strlen(text));
	got[n] = '\0';
	assert_string_equal(got, text);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_entries(t->dir, "pipe");
}

/* The open/commit pair on a FIFO: no temporary file at any point. */
static void test_fifo_open_commit(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128], got[64];
	struct stat st;
	ssize_t n;
	int reader;

	path_in(t, "pipe", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	reader = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(reader >= 0);
	assert_int_equal(pe_atomic_open(&a, path, 1), PE_OK);
	assert_null(a.tmp);
	assert_non_null(a.f);
	assert_entries(t->dir, "pipe");
	assert_true(fputs("abc", a.f) >= 0);
	assert_int_equal(pe_atomic_commit(&a), PE_OK);
	n = read(reader, got, sizeof(got) - 1);
	close(reader);
	assert_int_equal(n, 3);
	assert_memory_equal(got, "abc", 3);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_entries(t->dir, "pipe");
}

static void test_missing_directory(void **state)
{
	struct testdir *t = *state;
	struct pe_atomic_file a;
	char path[128];

	path_in(t, "missing/results.json", path, sizeof(path));
	errno = 0;
	assert_int_equal(pe_file_write_atomic(path, "x", 1, 0), PE_ERR_IO);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(pe_atomic_open(&a, path, 0), PE_ERR_IO);
	assert_int_equal(errno, ENOENT);
	assert_null(a.f);
	assert_null(a.tmp);
	assert_entries(t->dir, "");
}

/* A file where a directory should be: ENOTDIR, and nothing is left. */
static void test_parent_is_a_file(void **state)
{
	struct testdir *t = *state;
	char file[128], path[160];

	path_in(t, "plain", file, sizeof(file));
	write_plain(t->dir, "plain", "plain");
	snprintf(path, sizeof(path), "%s/results.json", file);
	errno = 0;
	assert_int_equal(pe_file_write_atomic(path, "x", 1, 0), PE_ERR_IO);
	assert_int_equal(errno, ENOTDIR);
	assert_contents(file, "plain");
	assert_entries(t->dir, "plain");
}

struct dirs_case {
	const char *dir; /* below the test directory */
	int private_dir;
	int rc;
	const char *made; /* '|'-separated directories, each checked */
	mode_t mode;
};

static const struct dirs_case dirs_cases[] = {
	{ "a", 0, PE_OK, "a", 0755 },
	{ "b/c/d", 0, PE_OK, "b|b/c|b/c/d", 0755 },
	{ "p/q/r", 1, PE_OK, "p|p/q|p/q/r", 0700 },
	{ "s/t/", 0, PE_OK, "s|s/t", 0755 },
	{ "u//v", 0, PE_OK, "u|u/v", 0755 },
	/* Again: existing directories are fine. */
	{ "b/c/d", 0, PE_OK, "b|b/c|b/c/d", 0755 },
	{ "b/c/e", 1, PE_OK, "b/c/e", 0700 },
};

static void check_made(const struct testdir *t, const struct dirs_case *c)
{
	char list[128], path[256];

	snprintf(list, sizeof(list), "%s", c->made);
	for (char *name = list, *bar; name; name = bar) {
		bar = strchr(name, '|');
		if (bar)
			*bar++ = '\0';
		snprintf(path, sizeof(path), "%s/%s", t->dir, name);
		if (stat_mode(path) != (S_IFDIR | c->mode)) {
			print_error("%s: %s has mode %06o\n", c->dir, name,
				    (unsigned)stat_mode(path));
			fail();
		}
	}
}

static void test_make_dirs(void **state)
{
	struct testdir *t = *state;
	mode_t old_mask = umask(022);

	for (size_t i = 0; i < COUNT(dirs_cases); i++) {
		const struct dirs_case *c = &dirs_cases[i];
		char path[128];

		path_in(t, c->dir, path, sizeof(path));
		assert_int_equal(pe_make_dirs(path, c->private_dir), c->rc);
		check_made(t, c);
	}
	umask(old_mask);
	assert_entries(t->dir, "a|b|p|s|u");
}

/* The empty path names no directory; nothing is created. */
static void test_make_dirs_empty(void **state)
{
	struct testdir *t = *state;

	errno = 0;
	assert_int_equal(pe_make_dirs("", 0), PE_ERR_IO);
	assert_int_equal(errno, ENOENT);
	assert_entries(t->dir, "");
}

/*
 * A regular file where a directory is asked for, as the last component
 * or in the middle, is an error (ENOTDIR) and the file is left alone.
 */
/* Sets path's modification time to when (seconds since the epoch). */
static void set_mtime(const char *path, time_t when)
{
	struct timeval tv[2] = { { when, 0 }, { when, 0 } };

	assert_int_equal(utimes(path, tv), 0);
}

/*
 * Only what the atomic writer names "NAME.tmp.PID.HEX", is a regular file
 * and is older than the limit goes; a fresh one (a writer at work), other
 * names and a directory stay.
 */
static void test_remove_stale(void **state)
{
	static const char *const gone[] = { "a.json.tmp.123.7fab",
					    "results.json.tmp.9.0" };
	static const char *const kept[] = { "a.json", "a.json.tmp.12x.7f",
					    "a.json.tmp.123.", ".tmp.1.2",
					    "b.tmp.123.7G" };
	struct testdir *t = *state;
	time_t now = time(NULL);
	char path[512];
	char *p;

	for (size_t i = 0; i < COUNT(gone); i++) {
		p = testdir_write(t->dir, gone[i], "x", 1);
		set_mtime(p, now - 3600);
		free(p);
	}
	for (size_t i = 0; i < COUNT(kept); i++) {
		p = testdir_write(t->dir, kept[i], "x", 1);
		set_mtime(p, now - 3600);
		free(p);
	}
	p = testdir_write(t->dir, "fresh.json.tmp.5.ab", "x", 1);
	free(p);
	snprintf(path, sizeof(path), "%s/dir.json.tmp.5.ab", t->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	set_mtime(path, now - 3600);
	assert_int_equal(pe_atomic_remove_stale(t->dir, now - 60), 2);
	for (size_t i = 0; i < COUNT(gone); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, gone[i]);
		assert_int_equal(access(path, F_OK), -1);
	}
	for (size_t i = 0; i < COUNT(kept); i++) {
		snprintf(path, sizeof(path), "%s/%s", t->dir, kept[i]);
		assert_int_equal(access(path, F_OK), 0);
	}
	snprintf(path, sizeof(path), "%s/fresh.json.tmp.5.ab", t->dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(pe_atomic_remove_stale("/nonexistent/pe", now), 0);
}

static void test_make_dirs_over_a_file(void **state)
{
	struct testdir *t = *state;
	char file[128], below[160];

	path_in(t, "plain", file, sizeof(file));
	write_plain(t->dir, "plain", "plain");
	errno = 0;
	assert_int_equal(pe_make_dirs(file, 0), PE_ERR_IO);
	assert_int_equal(errno, ENOTDIR);
	snprintf(below, sizeof(below), "%s/sub/dir", file);
	errno = 0;
	assert_int_equal(pe_make_dirs(below, 0), PE_ERR_IO);
	assert_int_equal(errno, ENOTDIR);
	assert_contents(file, "plain");
	assert_entries(t->dir, "plain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_link_to_file_keeps_link,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_name_taken,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_new_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_empty_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replace_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_replace_abort, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_commit_rename_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_error_keeps_old_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_is_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_written_in_place,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_open_commit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_directory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_parent_is_a_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_make_dirs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_make_dirs_empty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_make_dirs_over_a_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_stale, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
