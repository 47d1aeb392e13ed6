/*
 * Unit tests for buf.c (struct pe_buf): appends of every kind, growth,
 * the maximum size (a refused append leaves the buffer unchanged), reset,
 * release and detach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

enum op_kind { OP_ADD, OP_ADDS, OP_ADDC, OP_ADDF, OP_RESET };

struct op {
	enum op_kind kind;
	const char *arg; /* OP_ADDC uses arg[0]; OP_ADDF formats "%s|%d" */
	int rc;
	const char *after; /* contents after the operation */
};

struct op_case {
	const char *name;
	size_t max_len;
	struct op ops[6];
	size_t nops;
};

static const struct op_case op_cases[] = {
	{ "unlimited appends",
	  0,
	  { { OP_ADD, "abc", PE_OK, "abc" },
	    { OP_ADDS, "def", PE_OK, "abcdef" },
	    { OP_ADDC, "!", PE_OK, "abcdef!" },
	    { OP_ADDF, "x", PE_OK, "abcdef!x|42" },
	    { OP_RESET, NULL, PE_OK, "" },
	    { OP_ADDS, "again", PE_OK, "again" } },
	  6 },
	{ "limit refuses without change",
	  5,
	  { { OP_ADDS, "abc", PE_OK, "abc" },
	    { OP_ADDS, "def", PE_ERR_LIMIT, "abc" },
	    { OP_ADDC, "d", PE_OK, "abcd" },
	    { OP_ADDC, "e", PE_OK, "abcde" },
	    { OP_ADDC, "f", PE_ERR_LIMIT, "abcde" },
	    { OP_ADDS, "", PE_OK, "abcde" } },
	  6 },
	{ "formatted append over the limit",
	  6,
	  { { OP_ADDS, "ab", PE_OK, "ab" },
	    { OP_ADDF, "long", PE_ERR_LIMIT, "ab" },
	    { OP_ADDF, "", PE_OK, "ab|42" },
	    { OP_ADDF, "", PE_ERR_LIMIT, "ab|42" } },
	  4 },
	{ "exactly the limit in one append",
	  4,
	  { { OP_ADD, "abcd", PE_OK, "abcd" },
	    { OP_RESET, NULL, PE_OK, "" },
	    { OP_ADD, "abcde", PE_ERR_LIMIT, "" } },
	  3 },
	{ "limit of one",
	  1,
	  { { OP_ADDC, "x", PE_OK, "x" }, { OP_ADDC, "y", PE_ERR_LIMIT, "x" } },
	  2 },
};

static int apply(struct pe_buf *b, const struct op *op)
{
	switch (op->kind) {
	case OP_ADD:
		return pe_buf_add(b, op->arg, strlen(op->arg));
	case OP_ADDS:
		return pe_buf_adds(b, op->arg);
	case OP_ADDC:
		return pe_buf_addc(b, op->arg[0]);
	case OP_ADDF:
		return pe_buf_addf(b, "%s|%d", op->arg, 42);
	case OP_RESET:
		pe_buf_reset(b);
		return PE_OK;
	}
	return -99;
}

static void test_ops(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(op_cases); i++) {
		const struct op_case *c = &op_cases[i];
		struct pe_buf b;

		pe_buf_init(&b, c->max_len);
		assert_string_equal(pe_buf_str(&b), "");
		for (size_t k = 0; k < c->nops; k++) {
			const struct op *op = &c->ops[k];
			int rc = apply(&b, op);

			if (rc != op->rc || strcmp(pe_buf_str(&b), op->after))
				fail_msg("%s, step %zu: rc %d, '%s'; expected "
					 "rc %d, '%s'",
					 c->name, k, rc, pe_buf_str(&b), op->rc,
					 op->after);
			assert_int_equal(b.len, strlen(op->after));
			if (b.data)
				assert_int_equal(b.data[b.len], '\0');
			assert_true(!c->max_len || b.len <= c->max_len);
		}
		pe_buf_release(&b);
	}
}

/* NULs are shown as \u0000, at either end and side by side. */
static void test_add_shown(void **state)
{
	struct pe_buf b;

	(void)state;
	pe_buf_init(&b, 0);
	assert_int_equal(pe_buf_add_shown(&b, "\0a\0\0b\0", 6), 0);
	assert_string_equal(pe_buf_str(&b), "\\u0000a\\u0000\\u0000b\\u0000");
	pe_buf_reset(&b);
	assert_int_equal(pe_buf_add_shown(&b, "plain", 5), 0);
	assert_string_equal(pe_buf_str(&b), "plain");
	pe_buf_release(&b);
}

static void test_binary_and_growth(void **state)
{
	struct pe_buf b;
	char big[1000];

	(void)state;
	pe_buf_init(&b, 0);
	assert_int_equal(pe_buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 4);
	memset(big, 'z', sizeof(big));
	for (int i = 0; i < 10; i++)
		assert_int_equal(pe_buf_add(&b, big, sizeof(big)), 0);
	assert_int_equal(b.len, 10003);
	assert_true(b.alloc > b.len);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[b.len - 1], 'z');
	assert_int_equal(pe_buf_addf(&b, "%0200d", 7), 0);
	assert_int_equal(b.len, 10203);
	assert_int_equal(b.data[b.len - 1], '7');
	pe_buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_release_keeps_limit(void **state)
{
	struct pe_buf b;

	(void)state;
	pe_buf_init(&b, 3);
	assert_int_equal(pe_buf_adds(&b, "abc"), 0);
	pe_buf_release(&b);
	assert_int_equal(b.max_len, 3);
	assert_string_equal(pe_buf_str(&b), "");
	assert_int_equal(pe_buf_adds(&b, "abcd"), PE_ERR_LIMIT);
	assert_int_equal(pe_buf_adds(&b, "xyz"), 0);
	assert_string_equal(pe_buf_str(&b), "xyz");
	pe_buf_release(&b);
}

static void test_reset_keeps_allocation(void **state)
{
	struct pe_buf b;
	char *before;
	size_t alloc;

	(void)state;
	pe_buf_init(&b, 0);
	pe_buf_reset(&b);
	assert_string_equal(pe_buf_str(&b), "");
	assert_int_equal(pe_buf_adds(&b, "hello"), 0);
	before = b.data;
	alloc = b.alloc;
	pe_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, before);
	assert_int_equal(b.alloc, alloc);
	assert_string_equal(pe_buf_str(&b), "");
	pe_buf_release(&b);
}

static void test_detach(void **state)
{
	struct pe_buf b;
	size_t len = 99;
	char *s;

	(void)state;
	pe_buf_init(&b, 10);
	assert_int_equal(pe_buf_addf(&b, "n=%d", 5), 0);
	s = pe_buf_detach(&b, &len);
	assert_string_equal(s, "n=5");
	assert_int_equal(len, 3);
	free(s);
	/* The buffer is empty and usable, with the same limit. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.max_len, 10);
	assert_string_equal(pe_buf_str(&b), "");
	assert_int_equal(pe_buf_adds(&b, "01234567890"), PE_ERR_LIMIT);
	/* Detaching an empty buffer still gives a heap string. */
	s = pe_buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	s = pe_buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
}

/*
 * Formatted text of every length around PE_FMT_STACK (formatted once on
 * the stack below it, twice at and above it) comes out whole, the same
 * through pe_buf_addf and xstrfmt, appended after what the buffer held,
 * and a limit refuses the long path as it does the short one.
 */
static void test_format_lengths(void **state)
{
	char *want = xmalloc(PE_FMT_STACK + 8);

	(void)state;
	for (size_t k = 0; k < 6; k++) {
		size_t len = PE_FMT_STACK - 3 + k;
		struct pe_buf b, limited;
		char *s;

		memset(want, 'a' + (int)k, len);
		want[len] = '\0';
		want[len / 2] = 'X';
		s = xstrfmt("%.*s%c%s", (int)(len / 2), want, 'X',
			    want + len / 2 + 1);
		assert_int_equal(strlen(s), len);
		assert_string_equal(s, want);
		pe_buf_init(&b, 0);
		pe_buf_adds(&b, "<");
		assert_int_equal(pe_buf_addf(&b, "%s>", s), PE_OK);
		assert_int_equal(b.len, len + 2);
		assert_int_equal(b.data[0], '<');
		assert_memory_equal(b.data + 1, want, len);
		assert_string_equal(b.data + len + 1, ">");
		pe_buf_init(&limited, len);
		pe_buf_adds(&limited, "<");
		assert_int_equal(pe_buf_addf(&limited, "%s", s), PE_ERR_LIMIT);
		assert_string_equal(pe_buf_str(&limited), "<");
		assert_int_equal(pe_buf_addf(&limited, "%.*s", (int)len - 1, s),
				 PE_OK);
		assert_int_equal(limited.len, len);
		pe_buf_release(&limited);
		pe_buf_release(&b);
		free(s);
	}
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops),
		cmocka_unit_test(test_add_shown),
		cmocka_unit_test(test_binary_and_growth),
		cmocka_unit_test(test_release_keeps_limit),
		cmocka_unit_test(test_reset_keeps_allocation),
		cmocka_unit_test(test_detach),
		cmocka_unit_test(test_format_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
