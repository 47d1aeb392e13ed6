/*
 * Unit tests for the journal in run/journal.c: lines appended and their
 * offsets, scanned back and read back by offset; a fresh open truncates;
 * and, table-driven, a torn last line (a crash mid-write leaves a line
 * without its newline) that pe_journal_scan does not report and that
 * opening with resume cuts off, including tails longer than the buffer it
 * reads backwards with.  Also appends from several OpenMP threads, which
 * must never interleave; and the file's mode, 0600 even when an older
 * run left it readable.  Journals are written into a fresh mkdtemp
 * directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/run/journal.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static int setup(void **state)
{
	return testdir_setup(state, "journal");
}

static char *path_in(const struct testdir *t, const char *name)
{
	return xstrfmt("%s/%s", t->dir, name);
}

/* The whole file, and its length in *len. */
static char *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct pe_buf b;
	char chunk[4096];
	size_t n;

	assert_non_null(fp);
	pe_buf_init(&b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		pe_buf_add(&b, chunk, n);
	assert_int_equal(fclose(fp), 0);
	return pe_buf_detach(&b, len);
}

/* What pe_journal_scan reports: each line with its offset and length. */
struct scanned {
	struct pe_buf text; /* "offset:len:line\n" per line */
	size_t lines;
};

static void on_line(void *ctx, const char *line, size_t len, size_t offset)
{
	struct scanned *s = ctx;

	pe_buf_addf(&s->text, "%zu:%zu:", offset, len);
	pe_buf_add(&s->text, line, len);
	pe_buf_adds(&s->text, "\n");
	s->lines++;
}

static char *scan(const char *path, size_t *lines)
{
	struct scanned s;

	pe_buf_init(&s.text, 0);
	s.lines = 0;
	assert_int_equal(pe_journal_scan(path, on_line, &s), 0);
	if (lines)
		*lines = s.lines;
	return pe_buf_detach(&s.text, NULL);
}

static void test_append_scan_read(void **state)
{
	const struct testdir *t = *state;
	char *path = path_in(t, "results.jsonl");
	char *long_line = xmalloc(10001);
	const char *lines[4];
	size_t offsets[4], want_offset = 0;
	struct pe_journal *j = pe_journal_open(path, 0);
	struct pe_buf expected, back;
	char *got;

	memset(long_line, 'L', 10000);
	long_line[10000] = '\0';
	lines[0] = "{\"id\":\"a\"}";
	lines[1] = "";
	lines[2] = long_line;
	lines[3] = "{\"id\":\"d\",\"text\":\"\xc3\xa9\"}";
	assert_non_null(j);
	pe_buf_init(&expected, 0);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		size_t len = strlen(lines[i]);

		assert_int_equal(
			pe_journal_append(j, lines[i], len, &offsets[i]), 0);
		assert_int_equal(offsets[i], want_offset);
		pe_buf_addf(&expected, "%zu:%zu:%s\n", want_offset, len,
			    lines[i]);
		want_offset += len + 1;
	}
	pe_journal_close(j);

	got = scan(path, NULL);
	assert_string_equal(got, pe_buf_str(&expected));
	free(got);
	pe_buf_init(&back, 0);
	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		assert_int_equal(pe_journal_read_line(path, offsets[i],
						      strlen(lines[i]), &back),
				 0);
		assert_int_equal(back.len, strlen(lines[i]));
		assert_memory_equal(pe_buf_str(&back), lines[i], back.len);
	}
	/* Past the end: an error, and out is left empty. */
	assert_int_equal(pe_journal_read_line(path, want_offset - 2, 5, &back),
			 PE_ERR_IO);
	assert_int_equal(back.len, 0);
	assert_int_equal(pe_journal_read_line(path, 0, 1, &back), 0);
	assert_string_equal(pe_buf_str(&back), "{");
	pe_buf_release(&back);
	pe_buf_release(&expected);
	free(long_line);
	free(path);
}

/*
 * Opens path, with resume or not, appends line and checks the offset it
 * went to and the whole file afterwards.
 */
static void append_one(const char *path, int resume, const char *line,
		       size_t want_offset, const char *want_file)
{
	struct pe_journal *j = pe_journal_open(path, resume);
	size_t offset, len;
	char *data;

	assert_non_null(j);
	assert_int_equal(pe_journal_append(j, line, strlen(line), &offset), 0);
	assert_int_equal(offset, want_offset);
	pe_journal_close(j);
	data = read_all(path, &len);
	assert_string_equal(data, want_file);
	free(data);
}

/* Without resume, opening truncates; with resume, it keeps the lines. */
static void test_open_truncates(void **state)
{
	const struct testdir *t = *state;
	char *path = testdir_write(t->dir, "results.jsonl", "old\nlines\n", 10);

	append_one(path, 1, "kept", 10, "old\nlines\nkept\n");
	append_one(path, 0, "new", 0, "new\n");
	free(path);
}

/*
 * The journal is private (0600), whatever the umask, and one an older
 * run left readable by others becomes private when it is opened again,
 * with or without resume.
 */
static void test_private_mode(void **state)
{
	const struct testdir *t = *state;
	char *path = path_in(t, "results.jsonl");
	mode_t old_umask = umask(0);
	struct pe_journal *j;
	struct stat st;

	for (int resume = 0; resume <= 1; resume++) {
		unlink(path);
		j = pe_journal_open(path, resume);
		assert_non_null(j);
		pe_journal_close(j);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		assert_int_equal(chmod(path, 0644), 0);
		j = pe_journal_open(path, resume);
		assert_non_null(j);
		pe_journal_close(j);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
	umask(old_umask);
	free(path);
}

/* A torn last line: scanned past, cut off by opening with resume. */
struct torn_case {
	const char *name;
	const char *head; /* the file: head, then tail_len times tail_byte */
	size_t tail_len;
	char tail_byte;
	size_t kept;	   /* bytes left after opening with resume */
	size_t lines;	   /* complete lines, as scan reports them */
	const char *after; /* the file after resume and appending "c", when
			      short enough to write here */
};

static const struct torn_case torn_cases[] = {
	{ "a torn line after two", "a\nb\nto", 0, 0, 4, 2, "a\nb\nc\n" },
	{ "no torn line", "a\nb\n", 0, 0, 4, 2, "a\nb\nc\n" },
	{ "only a torn line", "torn", 0, 0, 0, 0, "c\n" },
	{ "an empty file", "", 0, 0, 0, 0, "c\n" },
	{ "an empty line, then a torn one", "\n{\"id\"", 0, 0, 1, 1, "\nc\n" },
	{ "a torn tail longer than the read buffer", "a\n", 9000, 'x', 2, 1,
	  NULL },
	{ "a torn tail of exactly the buffer", "a\n", 4096, 'x', 2, 1, NULL },
	{ "a long torn file with no newline", "", 10000, 'x', 0, 0, NULL },
	{ "a complete long last line", "a\n", 9000, '\n', 9002, 9001, NULL },
};

static void check_torn(const struct testdir *t, const struct torn_case *c)
{
	size_t head_len = strlen(c->head), len, lines, offset;
	char *data = xmalloc(head_len + c->tail_len + 1);
	struct pe_journal *j;
	char *path, *after, *scanned;

	memcpy(data, c->head, head_len);
	memset(data + head_len, c->tail_byte, c->tail_len);
	path = testdir_write(t->dir, "torn.jsonl", data,
			     head_len + c->tail_len);

	/* Scanning reports the complete lines only, and changes nothing. */
	scanned = scan(path, &lines);
	if (lines != c->lines)
		fail_msg("%s: scan reported %zu lines, want %zu", c->name,
			 lines, c->lines);
	free(scanned);
	free(read_all(path, &len));
	assert_int_equal(len, head_len + c->tail_len);

	j = pe_journal_open(path, 1);
	assert_non_null(j);
	free(read_all(path, &len));
	if (len != c->kept)
		fail_msg("%s: %zu bytes kept, want %zu", c->name, len, c->kept);
	assert_int_equal(pe_journal_append(j, "c", 1, &offset), 0);
	assert_int_equal(offset, c->kept);
	pe_journal_close(j);
	after = read_all(path, &len);
	assert_int_equal(len, c->kept + 2);
	assert_memory_equal(after, data, c->kept);
	assert_memory_equal(after + c->kept, "c\n", 2);
	if (c->after)
		assert_string_equal(after, c->after);
	scanned = scan(path, &lines);
	assert_int_equal(lines, c->lines + 1);
	free(scanned);
	free(after);
	free(data);
	free(path);
}

static void test_torn_last_line(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(torn_cases); i++)
		check_torn(*state, &torn_cases[i]);
}

static void test_missing_and_bad_paths(void **state)
{
	const struct testdir *t = *state;
	char *missing = path_in(t, "no-such.jsonl");
	char *nodir = path_in(t, "no-such-dir/results.jsonl");
	size_t lines = 99;
	struct scanned s;
	char *got;

	pe_buf_init(&s.text, 0);
	s.lines = 0;
	/* A missing journal is one with no lines. */
	got = scan(missing, &lines);
	assert_int_equal(lines, 0);
	assert_string_equal(got, "");
	free(got);
	/*
	 * Regression (fixed): a journal that cannot be read (here a
	 * directory: fopen succeeds, the reads fail) was scanned as one
	 * with no lines.
	 */
	assert_int_equal(pe_journal_scan(t->dir, on_line, &s), PE_ERR_IO);
	assert_int_equal(s.lines, 0);
	errno = 0;
	assert_null(pe_journal_open(nodir, 0));
	assert_int_equal(errno, ENOENT);
	assert_null(pe_journal_open(nodir, 1));
	pe_journal_close(NULL);
	pe_buf_release(&s.text);
	free(missing);
	free(nodir);
}

/* Lines appended from several threads come out whole, one per append. */
static void test_parallel_appends(void **state)
{
	const struct testdir *t = *state;
	char *path = path_in(t, "parallel.jsonl");
	struct pe_journal *j = pe_journal_open(path, 0);
	enum { N = 2000 };
	size_t *offsets = xcalloc(N, sizeof(*offsets));
	int failed = 0;
	struct pe_buf back;
	size_t lines;
	char *scanned;

	assert_non_null(j);
#pragma omp parallel for num_threads(4) reduction(| : failed)
	for (int i = 0; i < N; i++) {
		char line[600];
		size_t len = (size_t)snprintf(line, sizeof(line), "%04d:", i);

		/* Lengths from 5 to 500 bytes, so writes differ in size. */
		memset(line + len, 'a' + i % 26, (size_t)(i * 7 % 496));
		len += (size_t)(i * 7 % 496);
		failed |= pe_journal_append(j, line, len, &offsets[i]) != 0;
	}
	pe_journal_close(j);
	assert_int_equal(failed, 0);

	pe_buf_init(&back, 0);
	for (int i = 0; i < N; i++) {
		size_t len = 5 + (size_t)(i * 7 % 496);
		char head[8];

		assert_int_equal(
			pe_journal_read_line(path, offsets[i], len + 1, &back),
			0);
		snprintf(head, sizeof(head), "%04d:", i);
		assert_memory_equal(back.data, head, 5);
		for (size_t k = 5; k < len; k++)
			assert_int_equal(back.data[k], 'a' + i % 26);
		assert_int_equal(back.data[len], '\n');
	}
	pe_buf_release(&back);
	scanned = scan(path, &lines);
	assert_int_equal(lines, N);
	free(scanned);
	free(offsets);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_scan_read, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_open_truncates, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_line, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_bad_paths,
						setup, testdir_teardown),
		cmocka_unit_test_setup_teardown(test_parallel_appends, setup,
						testdir_teardown),
		cmocka_unit_test_setup_teardown(test_private_mode, setup,
						testdir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
