/*
 * Unit tests for util.c: strict number parsing, typo suggestions and the
 * formatting of figures and reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
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

/* pe_fmt_fixed(v, d) and snprintf's "%.*f" agree, or the test fails. */
static void check_fixed(double v, int decimals)
{
	char want[512], got[512], small[4];
	int want_len = snprintf(want, sizeof(want), "%.*f", decimals, v);
	int got_len = pe_fmt_fixed(got, sizeof(got), v, decimals);

	if (got_len != want_len || strcmp(got, want))
		fail_msg("%.17g at %d decimals: got \"%s\", want \"%s\"", v,
			 decimals, got, want);
	/* Cut short as snprintf cuts, and still the same length. */
	assert_int_equal(pe_fmt_fixed(small, sizeof(small), v, decimals),
			 want_len);
	assert_int_equal(strncmp(small, want, sizeof(small) - 1), 0);
	assert_true(strlen(small) < sizeof(small));
}

/*
 * The fixed-point fast path against snprintf: whole numbers, exact and
 * near ties (0.125, 2.5, 0.0145...), the edges of the fast path (2^52,
 * zero, negative zero), what falls back (negatives, NaN, infinities,
 * 10 decimals), and pseudo-random values of every magnitude.
 */
static void test_fmt_fixed(void **state)
{
	static const double fixed[] = {
		0,
		-0.0,
		1,
		0.5,
		1.5,
		2.5,
		0.125,
		0.375,
		0.0145,
		0.01625,
		0.1,
		0.05,
		0.15,
		0.25,
		0.35,
		999.95,
		2000,
		30000,
		5000,
		0.1 + 0.2,
		1e-7,
		4.5e-7,
		5e-10,
		123456.789,
		4503599627370495.0,
		4503599627370496.0,
		9.1e15,
		1e300,
		-1,
		-0.004,
		NAN,
		INFINITY,
		-INFINITY,
		0.9999999999,
		99.99999,
	};
	unsigned long long rng = 0x2545f4914f6cdd1dULL;

	(void)state;
	assert_true(snprintf(NULL, 0, "%.9f", -DBL_MAX) < PE_FIXED_SIZE);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
		for (int d = 0; d <= 10; d++)
			check_fixed(fixed[i], d);
	for (int round = 0; round < 200000; round++) {
		double v;
		int d = round % 10;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		switch (round % 4) {
		case 0: /* any magnitude */
			v = ldexp((double)(rng >> 11), (int)(rng % 80) - 90);
			break;
		case 1: /* near a tie at d decimals */
			v = ((double)(rng % 2000000) + 0.5) / pow(10, d);
			break;
		case 2: /* a sum of a few decimals, as prices make */
			v = (double)(rng % 100000) / 1e6 * 2.5 +
			    (double)(rng % 7777) / 1e6 * 10.0;
			break;
		default: /* milliseconds */
			v = (double)(rng % 10000000) / 1000.0;
			break;
		}
		check_fixed(v, d);
	}
}

/*
 * pe_snprintf and snprintf write the same bytes and return the same
 * length for fmt, cut at every size from 0 to past the whole text, and
 * neither writes past size.
 */
static void __attribute__((format(printf, 2, 3)))
check_format(int line, const char *fmt, ...)
{
	char got[400], want[400];
	va_list ap, copy;
	int want_len;

	va_start(ap, fmt);
	va_copy(copy, ap);
	want_len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	assert_true(want_len >= 0 && want_len + 2 < (int)sizeof(got));
	for (size_t size = 0; size <= (size_t)want_len + 2; size++) {
		int got_len, n;

		memset(got, 'Z', sizeof(got));
		memset(want, 'Z', sizeof(want));
		va_copy(copy, ap);
		n = vsnprintf(want, size, fmt, copy);
		va_end(copy);
		va_copy(copy, ap);
		got_len = pe_vsnprintf(got, size, fmt, copy);
		va_end(copy);
		if (got_len != n || memcmp(got, want, sizeof(got)))
			fail_msg("line %d, size %zu: \"%s\" gave %d \"%.*s\", "
				 "want %d \"%.*s\"",
				 line, size, fmt, got_len, (int)size, got, n,
				 (int)size, want);
	}
	va_end(ap);
}

#define CHECK_FORMAT(...) check_format(__LINE__, __VA_ARGS__)

/*
 * The conversions pe_vsnprintf writes itself, at their edges, and those
 * it hands to vsnprintf (flags, widths, other conversions, NULL).
 */
static void test_vsnprintf(void **state)
{
	/* volatile, so that the compiler does not see the NULL. */
	const char *volatile null_string = NULL;
	char long_text[300];

	(void)state;
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	CHECK_FORMAT("plain text");
	CHECK_FORMAT("%s", "");
	CHECK_FORMAT("100%% sure, %%s");
	CHECK_FORMAT("%s|%s|%s", "", "a", "bc");
	CHECK_FORMAT("%s", long_text);
	CHECK_FORMAT("%.3s|%.0s|%.10s", "abcdef", "abc", "ab");
	CHECK_FORMAT("%.*s|%.*s", 2, "abcdef", 10, "ab");
	CHECK_FORMAT("%.*s", -1, "negative precision: vsnprintf's");
	CHECK_FORMAT("%d %d %d %d %i", 0, INT_MIN, INT_MAX, -42, -7);
	CHECK_FORMAT("%u %u", 0u, UINT_MAX);
	CHECK_FORMAT("%ld %ld %li %lu", LONG_MIN, LONG_MAX, -1L, ULONG_MAX);
	CHECK_FORMAT("%zu %zu", (size_t)0, SIZE_MAX);
	CHECK_FORMAT("%c%c%c", 'a', 0, 0xe9);
	CHECK_FORMAT("%.3f %.3f %.0f %.f %f", 0.1234, 1.0005, 2.5, 3.5,
		     3.14159);
	CHECK_FORMAT("%.3f %.3f %.3f %.3f", -1.5, -0.0, NAN, INFINITY);
	CHECK_FORMAT("%.1f %.9f %.3f", 1e300, 1.0 / 3, 4503599627370497.0);
	CHECK_FORMAT("%.*f %.*f", 2, 1.005, 9, 0.1);
	CHECK_FORMAT("%.10f %.*f", 0.1, 12, 0.1);
	CHECK_FORMAT("/%s/ matched %s%zu time%s", "(?i)rollback", "at least ",
		     (size_t)3, "s");
	CHECK_FORMAT("ROUGE-L F1 %.3f (need at least %.3f): %zu words", 0.02,
		     0.25, (size_t)17);
	/* What vsnprintf formats instead. */
	CHECK_FORMAT("%5s|%-5s|%-*s|", "ab", "cd", 4, "e");
	CHECK_FORMAT("%g %.2g %e %+.1f % i %x %lld %5zu %02ld", 0.1, 2.5, 1.0,
		     2.0, 3, 255u, -5LL, (size_t)7, 4L);
	CHECK_FORMAT("%s and %d", null_string, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_double),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_fmt_fixed),
		cmocka_unit_test(test_vsnprintf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
