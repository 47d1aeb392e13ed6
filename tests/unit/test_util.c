/*
 * Unit tests for util.c: strict number parsing and typo suggestions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "harness/core/util.h"

struct long_case {
	const char *text;
	long min;
	long max;
	int ok;
	long value;
};

static void test_parse_long(void **state)
{
	static const struct long_case cases[] = {
		{ "0", 0, 10, 1, 0 },
		{ "10", 0, 10, 1, 10 },
		{ "11", 0, 10, 0, 0 },
		{ "-1", 0, 10, 0, 0 },
		{ "-5", -10, 10, 1, -5 },
		{ "", 0, 10, 0, 0 },
		{ " 5", 0, 10, 0, 0 },
		{ "5 ", 0, 10, 0, 0 },
		{ "5x", 0, 10, 0, 0 },
		{ "0x10", 0, 100, 0, 0 },
		{ "99999999999999999999", 0, 10, 0, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		long v = -42;
		int rc = pe_parse_long(cases[i].text, cases[i].min,
				       cases[i].max, &v);

		assert_int_equal(rc == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].value);
	}
}

static void test_parse_double(void **state)
{
	static const char *const good[] = { "0",    "0.7", "1e3",
					    "-2.5", ".5",  NULL };
	static const char *const bad[] = { "",	  "nan",  "inf", "0x1p3",
					   "1,5", "0.7 ", " 1",	 "1e999",
					   "abc", NULL };
	double v;

	(void)state;
	for (size_t i = 0; good[i]; i++)
		assert_int_equal(pe_parse_double(good[i], &v), 0);
	for (size_t i = 0; bad[i]; i++)
		assert_int_not_equal(pe_parse_double(bad[i], &v), 0);
	assert_int_equal(pe_parse_double("0.25", &v), 0);
	assert_true(v == 0.25);
}

static void test_suggest(void **state)
{
	static const char *const keys[] = { "name",	"model",
					    "messages", "modelParameters",
					    "testData", NULL };
	(void)state;
	assert_string_equal(pe_suggest("mesages", keys), "messages");
	assert_string_equal(pe_suggest("model_parameters", keys),
			    "modelParameters");
	assert_string_equal(pe_suggest("test_data", keys), "testData");
	assert_null(pe_suggest("colour", keys));
	assert_int_equal(pe_edit_distance("kitten", "sitting"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
