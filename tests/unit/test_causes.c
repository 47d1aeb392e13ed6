/*
 * Unit tests for results/causes.c: what makes one cause (a row's error,
 * else its first evaluator that erred), the ids that are replaced so
 * that the same failure from different requests makes one cause ("req_"
 * ids, UUIDs, long hex runs) and the words that are not (a model name
 * with digits, a short hex word, an id inside a longer word), the order
 * (most frequent first, ties in the order of their first rows), the
 * models a cause hit, and the terminal's list with "and K more".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/results/causes.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

struct normalise_case {
	const char *error;
	const char *cause;
};

static const struct normalise_case normalise_cases[] = {
	{ "HTTP 401: x-api-key header is required",
	  "HTTP 401: x-api-key header is required" },
	{ "HTTP 429: limit (request id req_abc123DEF456)",
	  "HTTP 429: limit (request id <id>)" },
	{ "{\"request_id\":\"req_011CSHk9pTz\"}", "{\"request_id\":\"<id>\"}" },
	{ "trace 8f14e45f-ceea-467a-9a5b-0123456789ab done",
	  "trace <id> done" },
	{ "id 0123456789abcdef0123 end", "id <id> end" },
	/* Not ids: a model name, a short hex word, ids inside words. */
	{ "model gpt-4o-mini-2024-07-18 not found",
	  "model gpt-4o-mini-2024-07-18 not found" },
	{ "code deadbeef", "code deadbeef" },
	{ "xreq_abc123DEF456 and a0123456789abcdef0123g",
	  "xreq_abc123DEF456 and a0123456789abcdef0123g" },
	{ "req_short", "req_short" },
};

static struct pe_result error_row(const char *error, const char *model)
{
	struct pe_result r;

	pe_result_init(&r);
	r.status = PE_VERDICT_ERROR;
	r.error = error;
	r.model = model;
	return r;
}

static void test_normalise(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(normalise_cases); i++) {
		struct pe_result r = error_row(normalise_cases[i].error, "m:a");
		struct pe_error_causes *c = pe_error_causes_new(&r, 1);

		assert_int_equal(pe_error_causes_count(c), 1);
		assert_string_equal(pe_error_causes_get(c, 0)->text,
				    normalise_cases[i].cause);
		pe_error_causes_free(c);
	}
}

static const struct pe_result_evaluator erring[] = {
	{ "fine", "string", PE_VERDICT_PASS, 1, 1, 0, NULL },
	{ "slow", "regex", PE_VERDICT_ERROR, NAN, 1, 0, "match limit" },
};

static void test_group(void **state)
{
	struct pe_result rows[7];
	struct pe_error_causes *c;
	const struct pe_error_cause *cause;
	struct pe_buf models;

	(void)state;
	rows[0] = error_row("HTTP 500 (req_aaaaaaaa1)", "m:a");
	rows[1] = error_row("HTTP 401", "m:b");
	rows[2] = error_row("HTTP 500 (req_bbbbbbbb2)", "m:b");
	rows[3] = error_row(NULL, "m:a");
	rows[3].evaluators = erring;
	rows[3].nevaluators = ARRAY_SIZE(erring);
	rows[4] = error_row("HTTP 500 (req_cccccccc3)", "m:a");
	rows[5] = error_row("HTTP 500 (req_dddddddd4)", "m:c");
	pe_result_init(&rows[6]);
	rows[6].status = PE_VERDICT_PASS;
	c = pe_error_causes_new(rows, ARRAY_SIZE(rows));
	assert_int_equal(pe_error_causes_count(c), 3);
	cause = pe_error_causes_get(c, 0);
	assert_string_equal(cause->text, "HTTP 500 (<id>)");
	assert_int_equal(cause->count, 4);
	pe_buf_init(&models, 0);
	pe_error_cause_models(cause, &models);
	assert_string_equal(pe_buf_str(&models), "m:a, m:b and m:c");
	pe_buf_release(&models);
	/* A tie keeps the order of the first rows. */
	assert_string_equal(pe_error_causes_get(c, 1)->text, "HTTP 401");
	assert_string_equal(pe_error_causes_get(c, 2)->text,
			    "slow: match limit");
	assert_null(pe_error_causes_get(c, 3));
	pe_error_causes_free(c);
}

static void test_print(void **state)
{
	static const char *const errors[] = { "e1", "e2", "e3", "e4",
					      "e5", "e6", "e7" };
	struct pe_result rows[8];
	struct pe_error_causes *c;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++)
		rows[i] = error_row(errors[i], NULL);
	rows[7] = error_row("e7", NULL);
	c = pe_error_causes_new(rows, ARRAY_SIZE(rows));
	assert_int_equal(pe_error_causes_print(c, out), 0);
	fclose(out);
	assert_string_equal(text, "errors by cause:\n"
				  "     2  e7\n"
				  "     1  e1\n"
				  "     1  e2\n"
				  "     1  e3\n"
				  "     1  e4\n"
				  "  and 2 more causes (2 errors)\n");
	free(text);
	pe_error_causes_free(c);
	/* No error, nothing printed. */
	c = pe_error_causes_new(rows, 0);
	text = NULL;
	out = open_memstream(&text, &len);
	assert_int_equal(pe_error_causes_print(c, out), 0);
	fclose(out);
	assert_string_equal(text, "");
	free(text);
	pe_error_causes_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
