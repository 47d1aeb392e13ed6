/*
 * Unit tests for http.c's header parsing: Retry-After in seconds and as an
 * HTTP date, and Go-style durations from x-ratelimit-reset-*.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/run/http.h"

static void test_retry_after(void **state)
{
	static const struct {
		const char *value;
		long now;
		long want;
	} rows[] = {
		{ "2", 0, 2000 },
		{ " 1.5", 0, 1500 },
		{ "0", 0, 0 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", 1445412470, 10000 },
		{ "Wed, 21 Oct 2015 07:28:00 GMT", 1445412490, 0 },
		{ "soon", 0, -1 },
		{ "-3", 0, -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		assert_int_equal(
			pe_http_parse_retry_after(rows[i].value, rows[i].now),
			rows[i].want);
}

static void test_duration(void **state)
{
	static const struct {
		const char *value;
		long want;
	} rows[] = {
		{ "1s", 1000 },	 { "6m0s", 360000 },
		{ "12ms", 12 },	 { "1h2m3s", 3723000 },
		{ "0.5s", 500 }, { "7", 7000 },
		{ "", -1 },	 { "fast", -1 },
		{ "3x", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		assert_int_equal(pe_http_parse_duration(rows[i].value),
				 rows[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
