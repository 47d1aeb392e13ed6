/*
 * Unit tests for http.c's header parsing: Retry-After in seconds and as an
 * HTTP date, Go-style durations from x-ratelimit-reset-*, RFC 3339 times
 * from anthropic-ratelimit-*-reset, which wait wins (GitHub's
 * x-ratelimit-timeremaining, then retry-after-ms, then Retry-After), the
 * rate-limit window of OpenAI and Anthropic headers, and the content type;
 * and when a body had arrived up to an offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

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

static void test_rfc3339(void **state)
{
	static const struct {
		const char *value;
		double want;
	} rows[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2024-04-08T18:25:30Z", 1712600730 },
		{ "2024-04-08T18:25:30.5Z", 1712600730.5 },
		{ "2024-04-08T20:25:30+02:00", 1712600730 },
		{ "2024-04-08T13:25:30-05:00", 1712600730 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "2024-04-08 18:25:30Z", 1712600730 },
		{ "2024-04-08T18:25:30", -1 },
		{ "2024-13-08T18:25:30Z", -1 },
		{ "yesterday", -1 },
		{ "", -1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		double got = pe_http_parse_rfc3339(rows[i].value);

		if (got < rows[i].want - 1e-6 || got > rows[i].want + 1e-6)
			fail_msg("%s: %f", rows[i].value, got);
	}
}

static void read_all(struct pe_http_headers *h, const char *const *lines,
		     double now)
{
	pe_http_headers_init(h);
	for (; *lines; lines++)
		pe_http_headers_read(h, *lines, strlen(*lines), now);
}

/* GitHub's x-ratelimit-timeremaining wins, then retry-after-ms. */
static void test_retry_after_order(void **state)
{
	static const char *const github[] = {
		"HTTP/2 429\r\n", "Retry-After: 60\r\n",
		"x-ratelimit-timeremaining: 49\r\n",
		"x-ratelimit-type: UserByDay\r\n", NULL
	};
	static const char *const openai[] = { "retry-after: 2\r\n",
					      "retry-after-ms: 1500\r\n",
					      NULL };
	static const char *const none[] = { "content-type: application/json; "
					    "charset=utf-8\r\n",
					    NULL };
	static const char *const again[] = { "Retry-After: 9\r\n",
					     "HTTP/1.1 200 OK\r\n", NULL };
	struct pe_http_headers h;

	(void)state;
	read_all(&h, github, 0);
	assert_int_equal(pe_http_retry_after_ms(&h, 429), 49000);
	/* The time remaining is a 429's: another status has Retry-After. */
	assert_int_equal(pe_http_retry_after_ms(&h, 503), 60000);
	assert_string_equal(h.limit_type, "UserByDay");
	read_all(&h, openai, 0);
	assert_int_equal(pe_http_retry_after_ms(&h, 429), 1500);
	read_all(&h, none, 0);
	assert_int_equal(pe_http_retry_after_ms(&h, 429), -1);
	assert_string_equal(h.content_type, "application/json");
	/* A new status line starts a new response (curl sends again). */
	read_all(&h, again, 0);
	assert_int_equal(pe_http_retry_after_ms(&h, 429), -1);
}

/* OpenAI: requests and tokens each with their own reset. */
static void test_window_openai(void **state)
{
	static const char *const lines[] = {
		"x-ratelimit-limit-requests: 60\r\n",
		"x-ratelimit-limit-tokens: 150000\r\n",
		"x-ratelimit-remaining-requests: 0\r\n",
		"x-ratelimit-reset-requests: 1s\r\n",
		"x-ratelimit-remaining-tokens: 149984\r\n",
		"x-ratelimit-reset-tokens: 6m0s\r\n",
		NULL
	};
	struct pe_http_headers h;
	struct pe_rate_window w;

	(void)state;
	read_all(&h, lines, 0);
	pe_http_rate_window(&h, &w);
	assert_int_equal(w.remaining_requests, 0);
	assert_int_equal(w.requests_reset_ms, 1000);
	assert_int_equal(w.remaining_tokens, 149984);
	assert_int_equal(w.tokens_reset_ms, 360000);
	assert_int_equal(w.limit_tokens, 150000);
}

/*
 * Anthropic: RFC 3339 resets, and of the token kinds the one with the
 * fewest left (here output tokens) with its own reset.
 */
static void test_window_anthropic(void **state)
{
	static const char *const lines[] = {
		"anthropic-ratelimit-requests-limit: 50\r\n",
		"anthropic-ratelimit-requests-remaining: 0\r\n",
		"anthropic-ratelimit-requests-reset: 2024-04-08T18:25:32Z\r\n",
		"anthropic-ratelimit-tokens-remaining: 9000\r\n",
		"anthropic-ratelimit-tokens-reset: 2024-04-08T18:25:40Z\r\n",
		"anthropic-ratelimit-input-tokens-remaining: 8000\r\n",
		"anthropic-ratelimit-input-tokens-reset: "
		"2024-04-08T18:25:35Z\r\n",
		"anthropic-ratelimit-output-tokens-limit: 8000\r\n",
		"anthropic-ratelimit-output-tokens-remaining: 0\r\n",
		"anthropic-ratelimit-output-tokens-reset: "
		"2024-04-08T18:26:30Z\r\n",
		NULL
	};
	struct pe_http_headers h;
	struct pe_rate_window w;

	(void)state;
	read_all(&h, lines, 1712600730.0); /* 2024-04-08T18:25:30Z */
	pe_http_rate_window(&h, &w);
	assert_int_equal(w.remaining_requests, 0);
	assert_int_equal(w.requests_reset_ms, 2000);
	assert_int_equal(w.remaining_tokens, 0);
	assert_int_equal(w.tokens_reset_ms, 60000);
	assert_int_equal(w.limit_tokens, 8000);
	/* A reset in the past is now. */
	read_all(&h, lines, 1712600800.0);
	pe_http_rate_window(&h, &w);
	assert_int_equal(w.requests_reset_ms, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_arrival),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_retry_after_order),
		cmocka_unit_test(test_window_openai),
		cmocka_unit_test(test_window_anthropic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
