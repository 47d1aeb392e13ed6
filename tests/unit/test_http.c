/*
 * Unit tests for http.c's header parsing: Retry-After in seconds and as an
 * HTTP date, and Go-style durations from x-ratelimit-reset-*; and when a
 * body had arrived up to an offset.
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

static void test_arrival(void **state)
{
	/* Headers at 1000 on the transfer's clock, 40 ms after the start. */
	struct pe_http_arrival arrivals[] = { { 100, 1000.5 },
					      { 250, 1050.25 },
					      { 400, 1200 } };
	struct pe_http_result r = { 0 };
	static const struct {
		size_t offset;
		double want;
	} rows[] = {
		{ 0, 40 },	{ 1, 40.5 },  { 100, 40.5 }, { 101, 90.25 },
		{ 250, 90.25 }, { 251, 230 }, { 400, 230 },  { 401, 230 },
	};

	(void)state;
	r.first_byte_ms = 40;
	r.total_ms = 230;
	r.head_at_ms = 1000;
	r.arrivals = arrivals;
	r.narrivals = 3;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++)
		assert_true(pe_http_arrival_ms(&r, rows[i].offset) ==
			    rows[i].want);
	/* A clock a hair apart never puts a token after the end. */
	r.total_ms = 200;
	assert_true(pe_http_arrival_ms(&r, 400) == 200);
	/* Arrivals before the headers' time: not before the first byte. */
	r.head_at_ms = 1100;
	assert_true(pe_http_arrival_ms(&r, 50) == 40);
	/* No response at all. */
	r.head_at_ms = -1;
	assert_true(pe_http_arrival_ms(&r, 50) == 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_arrival),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
