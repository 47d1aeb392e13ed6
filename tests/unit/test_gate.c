/*
 * Unit tests for results/gate.c: each gate passes and fails at its
 * boundary, with the line it prints: --min-pass-rate overall and per
 * prompt (and with nothing decided), --max-errors, --max-cost with known
 * and unknown prices, with and without judges (whose cost it adds),
 * --max-p95-latency with and without latencies, --max-p95-ttft on the
 * times to the first token, and --fail-on
 * any-failure, regression and significant-regression against a baseline;
 * passed and unchecked gates print before failed ones.  Also
 * which gates need a baseline and the ranges pe_gates_validate accepts.
 * The verdicts are the number pe_gates_check returns and its output, not
 * a process exit status.  Rows are written as results.jsonl files in a
 * fresh mkdtemp directory and loaded with pe_resultset_load.
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

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/results/aggregate.h"
#include "harness/results/compare.h"
#include "harness/results/gate.h"
#include "harness/results/resultset.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* No call: the row's "call" is null (no latency, no tokens). */
#define NO_CALL NAN

struct row_spec {
	const char *prompt;
	unsigned case_index;
	const char *status;
	double total_ms; /* NO_CALL: "call" is null; below 0: answered in
			  * -total_ms with no token counts */
};

/*
 * Appends one journal line.  Every call reports 1,000,000 tokens in and
 * 500,000 out, which at the prices below cost exactly 0.5 USD.  With a
 * judge model (judge not NULL), every row with a call was also judged
 * once: 1,000,000 tokens in and out, 0.25 USD at the judge's price; an
 * empty judge stands for several judge models (the row names none).
 */
static void add_row(struct pe_buf *b, const struct row_spec *s,
		    const char *judge, int cached)
{
	int decided = !strcmp(s->status, "pass") || !strcmp(s->status, "fail");

	pe_buf_addf(b, "{\"id\":\"%s-%u\",\"prompt\":\"%s\"", s->prompt,
		    s->case_index, s->prompt);
	pe_buf_addf(b, ",\"file\":\"%s.prompt.yml\",\"case\":\"c%u\"",
		    s->prompt, s->case_index);
	pe_buf_addf(b, ",\"case_index\":%u,\"model\":\"m:a\"", s->case_index);
	pe_buf_addf(b, ",\"temperature\":0,\"repeat\":0,\"status\":\"%s\"",
		    s->status);
	if (decided)
		pe_buf_addf(b, ",\"score\":%d", !strcmp(s->status, "pass"));
	else
		pe_buf_adds(b, ",\"score\":null");
	pe_buf_addf(b, ",\"error\":%s,\"call\":",
		    strcmp(s->status, "error") ? "null" : "\"HTTP 500\"");
	if (isnan(s->total_ms))
		pe_buf_adds(b, "null");
	else
		pe_buf_addf(b,
			    "{\"attempts\":1,\"cached\":%s,"
			    "\"http_status\":200,\"first_byte_ms\":1,"
			    "\"total_ms\":%g,\"tokens_in\":%s,"
			    "\"tokens_out\":%s,\"finish_reason\":\"stop\","
			    "\"served_model\":null}",
			    cached ? "true" : "false", fabs(s->total_ms),
			    s->total_ms < 0 ? "null" : "1000000",
			    s->total_ms < 0 ? "null" : "500000");
	if (judge && !isnan(s->total_ms))
		pe_buf_addf(
			b,
			",\"judge\":{\"calls\":1,\"model\":%s%s%s,"
			"\"tokens_in\":1000000,\"tokens_out\":1000000%s}",
			*judge ? "\"" : "", *judge ? judge : "null",
			*judge ? "\"" : "",
			cached ? ",\"cached\":1,\"cached_tokens_in\":1000000,"
				 "\"cached_tokens_out\":1000000"
			       : "");
	pe_buf_adds(b, ",\"output\":\"x\",\"evaluators\":[]}\n");
}

/*
 * Rows, of which the first failing ones are turned into failures, judged
 * by judge (see add_row) unless it is NULL; with cached, every call and
 * judge call came from the cache (an --offline replay).
 */
struct rows {
	const struct row_spec *rows;
	size_t n;
	size_t failing;
	const char *judge;
	int cached;
};

#define ROWS_FAILING(a, k)                                                     \
	{                                                                      \
		a, ARRAY_SIZE(a), k, NULL, 0                                   \
	}
#define ROWS(a) ROWS_FAILING(a, 0)
#define ROWS_JUDGED(a, judge)                                                  \
	{                                                                      \
		a, ARRAY_SIZE(a), 0, judge, 0                                  \
	}
#define ROWS_CACHED(a, judge)                                                  \
	{                                                                      \
		a, ARRAY_SIZE(a), 0, judge, 1                                  \
	}
#define NO_ROWS                                                                \
	{                                                                      \
		NULL, 0, 0, NULL, 0                                            \
	}

static struct pe_resultset *load_rows(const struct rows *r)
{
	struct pe_buf text;
	struct pe_resultset *rs;

	pe_buf_init(&text, 0);
	for (size_t i = 0; i < r->n; i++) {
		struct row_spec row = r->rows[i];

		if (i < r->failing)
			row.status = "fail";
		add_row(&text, &row, r->judge, r->cached);
	}
	rs = testdir_load_results(&text);
	pe_buf_release(&text);
	return rs;
}

/*
 * The head of most cases: prompt p passes 3 of 4 (0.75), prompt q 1 of 2
 * (0.50) with one error; overall 4 of 6.  Six calls of 100 to 600 ms
 * (p95 575 ms, interpolated), costing 3 USD at the known prices.
 */
static const struct row_spec mixed[] = {
	{ "p", 0, "pass", 100 },      { "p", 1, "pass", 200 },
	{ "p", 2, "pass", 300 },      { "p", 3, "fail", 400 },
	{ "q", 0, "pass", 500 },      { "q", 1, "fail", 600 },
	{ "q", 2, "error", NO_CALL },
};

/* The same cases all passing: the baseline of the regressions. */
static const struct row_spec all_pass[] = {
	{ "p", 0, "pass", 100 },      { "p", 1, "pass", 200 },
	{ "p", 2, "pass", 300 },      { "p", 3, "pass", 400 },
	{ "q", 0, "pass", 500 },      { "q", 1, "pass", 600 },
	{ "q", 2, "error", NO_CALL },
};

/* Nothing decided and no call made. */
static const struct row_spec only_errors[] = {
	{ "p", 0, "error", NO_CALL },
	{ "p", 1, "skip", NO_CALL },
};

/* One job. */
static const struct row_spec one_pass[] = { { "p", 0, "pass", NO_CALL } };

/* Two calls answered, the second without its token counts. */
static const struct row_spec untokened[] = { { "p", 0, "pass", 100 },
					     { "p", 1, "pass", -200 } };

/*
 * One case of prompt t and twelve of s, all passing; with the first ten
 * failing, t's case and nine of s's regress (see the significance cases).
 */
static const struct row_spec thirteen[] = {
	{ "t", 0, "pass", 10 },	 { "s", 0, "pass", 10 },
	{ "s", 1, "pass", 10 },	 { "s", 2, "pass", 10 },
	{ "s", 3, "pass", 10 },	 { "s", 4, "pass", 10 },
	{ "s", 5, "pass", 10 },	 { "s", 6, "pass", 10 },
	{ "s", 7, "pass", 10 },	 { "s", 8, "pass", 10 },
	{ "s", 9, "pass", 10 },	 { "s", 10, "pass", 10 },
	{ "s", 11, "pass", 10 },
};

/* Two passing cases of prompt p, and the same two of p2 failing. */
static const struct row_spec two_pass[] = { { "p", 0, "pass", 10 },
					    { "p", 1, "pass", 10 } };
static const struct row_spec renamed_failing[] = { { "p2", 0, "fail", 10 },
						   { "p2", 1, "fail", 10 } };

/*
 * Prices: known for m:a, only for another model, or for m:a and the
 * judge model j (by its bare name).
 */
enum prices { NO_PRICES, KNOWN_PRICES, OTHER_PRICES, JUDGE_PRICES };

static const struct pe_price known_price[] = { { "m:a", 0.25, 0.5 } };
static const struct pe_price other_price[] = { { "m:b", 0.25, 0.5 } };
static const struct pe_price judge_prices[] = { { "m:a", 0.25, 0.5 },
						{ "j", 0.1, 0.15 } };

struct gate_case {
	const char *name;
	struct rows head;
	struct rows base; /* NO_ROWS: no comparison */
	enum prices prices;
	double min_pass_rate; /* NAN: the gate is not given */
	const char *fail_on;
	long max_errors; /* -1: not given */
	double max_cost_usd;
	double max_p95_latency_ms;
	size_t failed;
	const char *output;
};

static const struct gate_case gate_cases[] = {
	/* --min-pass-rate: overall 4/6, p 0.75, q 0.50. */
	{ "pass rate at q's rate: passes", ROWS(mixed), NO_ROWS, NO_PRICES, 0.5,
	  NULL, -1, NAN, NAN, 0,
	  "gate passed: --min-pass-rate 0.50 (overall pass rate 0.67)\n" },
	{ "pass rate just above q's: q fails", ROWS(mixed), NO_ROWS, NO_PRICES,
	  0.5001, NULL, -1, NAN, NAN, 1,
	  "gate failed: --min-pass-rate 0.50 (prompt q pass rate 0.50)\n" },
	{ "pass rate at the overall rate: q fails", ROWS(mixed), NO_ROWS,
	  NO_PRICES, 4.0 / 6.0, NULL, -1, NAN, NAN, 1,
	  "gate failed: --min-pass-rate 0.67 (prompt q pass rate 0.50)\n" },
	{ "pass rate at p's rate: overall and q fail", ROWS(mixed), NO_ROWS,
	  NO_PRICES, 0.75, NULL, -1, NAN, NAN, 2,
	  "gate failed: --min-pass-rate 0.75 (overall pass rate 0.67)\n"
	  "gate failed: --min-pass-rate 0.75 (prompt q pass rate 0.50)\n" },
	{ "pass rate above p's: all fail", ROWS(mixed), NO_ROWS, NO_PRICES,
	  0.76, NULL, -1, NAN, NAN, 3,
	  "gate failed: --min-pass-rate 0.76 (overall pass rate 0.67)\n"
	  "gate failed: --min-pass-rate 0.76 (prompt p pass rate 0.75)\n"
	  "gate failed: --min-pass-rate 0.76 (prompt q pass rate 0.50)\n" },
	{ "pass rate 0 with nothing decided fails", ROWS(only_errors), NO_ROWS,
	  NO_PRICES, 0, NULL, -1, NAN, NAN, 1,
	  "gate failed: --min-pass-rate 0.00 (no case passed or failed)\n" },

	/* --max-errors: one error. */
	{ "max errors at the count: passes", ROWS(mixed), NO_ROWS, NO_PRICES,
	  NAN, NULL, 1, NAN, NAN, 0,
	  "gate passed: --max-errors 1 (1 error)\n" },
	{ "max errors below the count: fails", ROWS(mixed), NO_ROWS, NO_PRICES,
	  NAN, NULL, 0, NAN, NAN, 1,
	  "gate failed: --max-errors 0 (1 error)\n" },
	{ "max errors 0 with none: passes", ROWS(one_pass), NO_ROWS, NO_PRICES,
	  NAN, NULL, 0, NAN, NAN, 0,
	  "gate passed: --max-errors 0 (0 errors)\n" },

	/* --max-cost: six calls of 0.5 USD. */
	{ "max cost at the cost: passes", ROWS(mixed), NO_ROWS, KNOWN_PRICES,
	  NAN, NULL, -1, 3, NAN, 0,
	  "gate passed: --max-cost 3 (spent 3.000000 USD; 3.000000 USD to "
	  "reproduce)\n" },
	{ "max cost below the cost: fails", ROWS(mixed), NO_ROWS, KNOWN_PRICES,
	  NAN, NULL, -1, 2.99, NAN, 1,
	  "gate failed: --max-cost 2.99 (spent 3.000000 USD; 3.000000 USD to "
	  "reproduce)\n" },
	{ "max cost with a call without token counts: not checked",
	  ROWS(untokened), NO_ROWS, KNOWN_PRICES, NAN, NULL, -1, 1e9, NAN, 0,
	  "gate not checked: --max-cost 1e+09 (not every model has a price, "
	  "or a call reported no token counts, so the spend is not known)\n" },
	{ "max cost without prices: not checked", ROWS(mixed), NO_ROWS,
	  NO_PRICES, NAN, NULL, -1, 0, NAN, 0,
	  "gate not checked: --max-cost 0 (not every model has a price, or "
	  "a call reported no token counts, so the spend is not known)\n" },
	{ "max cost with another model's price: not checked", ROWS(mixed),
	  NO_ROWS, OTHER_PRICES, NAN, NULL, -1, 0, NAN, 0,
	  "gate not checked: --max-cost 0 (not every model has a price, or "
	  "a call reported no token counts, so the spend is not known)\n" },

	/*
	 * --max-cost with judges: six calls of 0.5 USD and six judge calls
	 * of 0.25 USD; the gate checks the sum.
	 */
	{ "max cost with judges at the sum: passes", ROWS_JUDGED(mixed, "q:j"),
	  NO_ROWS, JUDGE_PRICES, NAN, NULL, -1, 4.5, NAN, 0,
	  "gate passed: --max-cost 4.5 (spent 4.500000 USD: answers 3.000000, "
	  "judges 1.500000; 4.500000 USD to reproduce)\n" },
	{ "max cost with judges: the answers within, the sum over: fails",
	  ROWS_JUDGED(mixed, "q:j"), NO_ROWS, JUDGE_PRICES, NAN, NULL, -1, 4,
	  NAN, 1,
	  "gate failed: --max-cost 4 (spent 4.500000 USD: answers 3.000000, "
	  "judges 1.500000; 4.500000 USD to reproduce)\n" },
	{ "max cost with an unpriced judge model: not checked",
	  ROWS_JUDGED(mixed, "q:j"), NO_ROWS, KNOWN_PRICES, NAN, NULL, -1, 1,
	  NAN, 0,
	  "gate not checked: --max-cost 1 (the answers' calls made cost "
	  "3.000000 USD; not every judge call can be priced, so the judges' "
	  "spend is not known)\n" },
	{ "max cost with rows judged by several models: not checked",
	  ROWS_JUDGED(mixed, ""), NO_ROWS, JUDGE_PRICES, NAN, NULL, -1, 100,
	  NAN, 0,
	  "gate not checked: --max-cost 100 (the answers' calls made cost "
	  "3.000000 USD; not every judge call can be priced, so the judges' "
	  "spend is not known)\n" },
	/*
	 * An --offline replay: every call and judge call came from the
	 * cache, so nothing was spent, whatever reproducing would cost; and
	 * a model without a price costs nothing it did not call.
	 */
	{ "max cost of a replay from the cache: passes",
	  ROWS_CACHED(mixed, "q:j"), NO_ROWS, JUDGE_PRICES, NAN, NULL, -1, 0.01,
	  NAN, 0,
	  "gate passed: --max-cost 0.01 (spent 0.000000 USD: answers "
	  "0.000000, judges 0.000000; 4.500000 USD to reproduce)\n" },
	{ "max cost of a replay without prices: passes, nothing spent",
	  ROWS_CACHED(mixed, "q:j"), NO_ROWS, OTHER_PRICES, NAN, NULL, -1, 0.01,
	  NAN, 0,
	  "gate passed: --max-cost 0.01 (spent 0.000000 USD: answers "
	  "0.000000, judges 0.000000)\n" },
	{ "max cost with judges and no prices: not checked",
	  ROWS_JUDGED(mixed, "q:j"), NO_ROWS, NO_PRICES, NAN, NULL, -1, 1, NAN,
	  0,
	  "gate not checked: --max-cost 1 (not every model has a price, or "
	  "a call reported no token counts, so the spend is not known)\n" },

	/* --max-p95-latency: 575 ms. */
	{ "max p95 at the p95: passes", ROWS(mixed), NO_ROWS, NO_PRICES, NAN,
	  NULL, -1, NAN, 575, 0,
	  "gate passed: --max-p95-latency 575 (p95 latency 575 ms)\n" },
	{ "max p95 below the p95: fails", ROWS(mixed), NO_ROWS, NO_PRICES, NAN,
	  NULL, -1, NAN, 574.5, 1,
	  "gate failed: --max-p95-latency 574.5 (p95 latency 575 ms)\n" },
	{ "max p95 without latencies: not checked", ROWS(only_errors), NO_ROWS,
	  NO_PRICES, NAN, NULL, -1, NAN, 0, 0,
	  "gate not checked: --max-p95-latency 0 (no latencies recorded)\n" },

	/* --fail-on any-failure. */
	{ "any failure with two: fails", ROWS(mixed), NO_ROWS, NO_PRICES, NAN,
	  "any-failure", -1, NAN, NAN, 1,
	  "gate failed: --fail-on any-failure (2 of 7 jobs failed)\n" },
	{ "any failure with none: passes", ROWS(one_pass), NO_ROWS, NO_PRICES,
	  NAN, "any-failure", -1, NAN, NAN, 0,
	  "gate passed: --fail-on any-failure (0 of 1 job failed)\n" },

	/* --fail-on regression: p c3 and q c1 regress. */
	{ "regression with two: fails", ROWS(mixed), ROWS(all_pass), NO_PRICES,
	  NAN, "regression", -1, NAN, NAN, 1,
	  "gate failed: --fail-on regression (2 cases regressed)\n" },
	{ "regression with none: passes", ROWS(mixed), ROWS(mixed), NO_PRICES,
	  NAN, "regression", -1, NAN, NAN, 0,
	  "gate passed: --fail-on regression (0 cases regressed)\n" },
	{ "regression with one: fails", ROWS_FAILING(one_pass, 1),
	  ROWS(one_pass), NO_PRICES, NAN, "regression", -1, NAN, NAN, 1,
	  "gate failed: --fail-on regression (1 case regressed)\n" },
	{ "an improvement is no regression", ROWS(one_pass),
	  ROWS_FAILING(one_pass, 1), NO_PRICES, NAN, "regression", -1, NAN, NAN,
	  0, "gate passed: --fail-on regression (0 cases regressed)\n" },

	/*
	 * Regression (fixed): with no case compared, "0 cases regressed"
	 * passed a renamed prompt whose every case now fails.
	 */
	{ "regression with nothing compared: not checked",
	  ROWS(renamed_failing), ROWS(two_pass), NO_PRICES, NAN, "regression",
	  -1, NAN, NAN, 0,
	  "gate not checked: --fail-on regression (no case could be "
	  "compared: 2 cases only in HEAD, 2 only in the baseline, 0 in both "
	  "without a passed or failed repeat on each side)\n" },
	{ "regression with only undecided cases: not checked",
	  ROWS(only_errors), ROWS(one_pass), NO_PRICES, NAN, "regression", -1,
	  NAN, NAN, 0,
	  "gate not checked: --fail-on regression (no case could be "
	  "compared: 1 case only in HEAD, 0 only in the baseline, 1 in both "
	  "without a passed or failed repeat on each side)\n" },

	/* --fail-on significant-regression. */
	{ "significant: 10 of 13 regress, s significant, t too few",
	  ROWS_FAILING(thirteen, 10), ROWS(thirteen), NO_PRICES, NAN,
	  "significant-regression", -1, NAN, NAN, 2,
	  "gate failed: --fail-on significant-regression (overall: 10 of 13 "
	  "cases regressed, p = 0.002)\n"
	  "gate failed: --fail-on significant-regression (prompt s: 9 of 12 "
	  "cases regressed, p = 0.0039)\n" },
	{ "significant: two regressions are too few to tell", ROWS(mixed),
	  ROWS(all_pass), NO_PRICES, NAN, "significant-regression", -1, NAN,
	  NAN, 0,
	  "gate passed: --fail-on significant-regression (overall p = 0.5; "
	  "too few changed cases to tell)\n" },
	{ "significant with nothing compared: not checked",
	  ROWS(renamed_failing), ROWS(two_pass), NO_PRICES, NAN,
	  "significant-regression", -1, NAN, NAN, 0,
	  "gate not checked: --fail-on significant-regression (no case could "
	  "be compared: 2 cases only in HEAD, 2 only in the baseline, 0 in "
	  "both without a passed or failed repeat on each side)\n" },
	{ "significant: no change", ROWS(thirteen), ROWS(thirteen), NO_PRICES,
	  NAN, "significant-regression", -1, NAN, NAN, 0,
	  "gate passed: --fail-on significant-regression (overall p = 1; too "
	  "few changed cases to tell)\n" },

	/* Several gates: passed and unchecked first, then failed. */
	{ "failed gates print last", ROWS(mixed), NO_ROWS, NO_PRICES, 0.75,
	  NULL, 1, 1, 1000, 2,
	  "gate passed: --max-errors 1 (1 error)\n"
	  "gate not checked: --max-cost 1 (not every model has a price, or "
	  "a call reported no token counts, so the spend is not known)\n"
	  "gate passed: --max-p95-latency 1000 (p95 latency 575 ms)\n"
	  "gate failed: --min-pass-rate 0.75 (overall pass rate 0.67)\n"
	  "gate failed: --min-pass-rate 0.75 (prompt q pass rate 0.50)\n" },
	{ "no gate: no line", ROWS(mixed), NO_ROWS, NO_PRICES, NAN, NULL, -1,
	  NAN, NAN, 0, "" },
};

/* The gates with these values (NAN, NULL or -1: not given). */
static struct pe_gates gates_of(double min_pass_rate, const char *fail_on,
				long max_errors, double max_cost_usd,
				double max_p95_latency_ms)
{
	struct pe_gates g;

	pe_gates_init(&g);
	g.min_pass_rate = min_pass_rate;
	g.fail_on = fail_on;
	g.max_errors = max_errors;
	g.max_cost_usd = max_cost_usd;
	g.max_p95_latency_ms = max_p95_latency_ms;
	return g;
}

/* Checks one case; returns 1 when it holds, after printing why not. */
static int check_gates(const struct gate_case *c)
{
	struct pe_resultset *head = load_rows(&c->head);
	struct pe_resultset *base = c->base.n ? load_rows(&c->base) : NULL;
	struct pe_prices prices = { NULL, 0 };
	struct pe_aggregate *agg;
	struct pe_comparison *cmp = base ? pe_compare_new(base, head) : NULL;
	struct pe_gates g;
	char *text = NULL;
	size_t len = 0, failed, unchecked, want_unchecked = 0;
	FILE *out = open_memstream(&text, &len);
	int ok;

	assert_non_null(out);
	if (c->prices == KNOWN_PRICES)
		prices = (struct pe_prices){ known_price, 1 };
	else if (c->prices == JUDGE_PRICES)
		prices = (struct pe_prices){ judge_prices, 2 };
	else if (c->prices == OTHER_PRICES)
		prices = (struct pe_prices){ other_price, 1 };
	agg = pe_aggregate_new(pe_resultset_rows(head),
			       pe_resultset_count(head),
			       c->prices == NO_PRICES ? NULL : &prices);
	g = gates_of(c->min_pass_rate, c->fail_on, c->max_errors,
		     c->max_cost_usd, c->max_p95_latency_ms);
	failed = pe_gates_check(&g, head, agg, cmp, out, &unchecked);
	assert_int_equal(fclose(out), 0);
	/* Each gate not checked counts, but a fail_on set aside. */
	for (const char *p = c->output; (p = strstr(p, "gate not checked: "));
	     p++)
		want_unchecked += strncmp(p + 18, "fail_on: ", 9) != 0;
	ok = failed == c->failed && unchecked == want_unchecked &&
	     !strcmp(text, c->output);
	if (!ok)
		print_error("%s: %zu failed, %zu not checked, output\n%s-- "
			    "want %zu failed, %zu not checked, output\n%s--\n",
			    c->name, failed, unchecked, text, c->failed,
			    want_unchecked, c->output);
	free(text);
	pe_comparison_free(cmp);
	pe_aggregate_free(agg);
	pe_resultset_free(base);
	pe_resultset_free(head);
	return ok;
}

static void test_gates(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(gate_cases); i++)
		failures += !check_gates(&gate_cases[i]);
	assert_int_equal(failures, 0);
}

/*
 * --max-p95-ttft checks the rows' first_byte_ms (1 ms in every call of
 * mixed, whose total_ms p95 is 575 ms), and is given, validated and
 * printed as --max-p95-latency is.
 */
static void test_max_p95_ttft(void **state)
{
	static const struct {
		const struct rows rows;
		double max_ms;
		size_t failed, unchecked;
		const char *output;
	} cases[] = {
		{ ROWS(mixed), 2, 0, 0,
		  "gate passed: --max-p95-ttft 2 (p95 time to first token 1 "
		  "ms)\n" },
		{ ROWS(mixed), 0.5, 1, 0,
		  "gate failed: --max-p95-ttft 0.5 (p95 time to first token 1 "
		  "ms)\n" },
		{ ROWS(only_errors), 0, 0, 1,
		  "gate not checked: --max-p95-ttft 0 (no latencies "
		  "recorded)\n" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pe_resultset *rs = load_rows(&cases[i].rows);
		struct pe_aggregate *agg = pe_aggregate_new(
			pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
		struct pe_gates g;
		char *text = NULL;
		size_t len = 0, unchecked;
		FILE *out = open_memstream(&text, &len);

		assert_non_null(out);
		pe_gates_init(&g);
		assert_int_equal(pe_gates_given(&g), 0);
		g.max_p95_ttft_ms = cases[i].max_ms;
		assert_int_equal(pe_gates_given(&g), 1);
		assert_int_equal(pe_gates_decide_failures(&g), 0);
		assert_int_equal(pe_gates_validate(&g, "test"), 0);
		assert_int_equal(
			pe_gates_check(&g, rs, agg, NULL, out, &unchecked),
			cases[i].failed);
		assert_int_equal(unchecked, cases[i].unchecked);
		assert_int_equal(fclose(out), 0);
		assert_string_equal(text, cases[i].output);
		free(text);
		pe_aggregate_free(agg);
		pe_resultset_free(rs);
	}
	{
		struct pe_gates g;

		pe_gates_init(&g);
		g.max_p95_ttft_ms = -1;
		assert_int_not_equal(pe_gates_validate(&g, "test"), 0);
	}
}

/*
 * --min-pass-rate 0 passes a run whose every case failed, so it is a
 * usage error; any rate above 0, however small, fails such a run.
 */
static void test_validate_min_pass_rate(void **state)
{
	static const struct row_spec all_failing[] = {
		{ "p", 0, "fail", 10 },
		{ "p", 1, "fail", 10 },
	};
	struct rows rows = ROWS(all_failing);
	struct pe_resultset *rs = load_rows(&rows);
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	struct pe_gates g;
	size_t unchecked;
	FILE *out = fopen("/dev/null", "w");

	(void)state;
	assert_non_null(out);
	pe_gates_init(&g);
	g.min_pass_rate = 0;
	assert_int_equal(pe_gates_validate(&g, "test"), PE_ERR_USAGE);
	g.min_pass_rate = 1e-12;
	assert_int_equal(pe_gates_validate(&g, "test"), 0);
	/* The overall rate and prompt p's both fail. */
	assert_int_equal(pe_gates_check(&g, rs, agg, NULL, out, &unchecked), 2);
	g.min_pass_rate = 1;
	assert_int_equal(pe_gates_validate(&g, "test"), 0);
	fclose(out);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

/* Which gates are given and which need a baseline. */
struct given_case {
	double min_pass_rate;
	const char *fail_on;
	long max_errors;
	double max_cost_usd;
	double max_p95_latency_ms;
	int given;
	int need_baseline;
};

static const struct given_case given_cases[] = {
	{ NAN, NULL, -1, NAN, NAN, 0, 0 },
	{ 0, NULL, -1, NAN, NAN, 1, 0 },
	{ NAN, "any-failure", -1, NAN, NAN, 1, 0 },
	{ NAN, "regression", -1, NAN, NAN, 1, 1 },
	{ NAN, "significant-regression", -1, NAN, NAN, 1, 1 },
	{ NAN, NULL, 0, NAN, NAN, 1, 0 },
	{ NAN, NULL, -1, 0, NAN, 1, 0 },
	{ NAN, NULL, -1, NAN, 0, 1, 0 },
};

static void test_given_and_baseline(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(given_cases); i++) {
		const struct given_case *c = &given_cases[i];
		struct pe_gates g =
			gates_of(c->min_pass_rate, c->fail_on, c->max_errors,
				 c->max_cost_usd, c->max_p95_latency_ms);

		if (pe_gates_given(&g) != c->given ||
		    pe_gates_need_baseline(&g) != c->need_baseline)
			fail_msg("row %zu: given %d, needs a baseline %d", i,
				 pe_gates_given(&g),
				 pe_gates_need_baseline(&g));
	}
	/* The --fail-on choices, in the order --help lists them. */
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(pe_fail_on_choices[i],
				    given_cases[2 + i].fail_on);
	assert_null(pe_fail_on_choices[3]);
}

/* The ranges of the option values, at their edges. */
static void test_validate(void **state)
{
	static const struct {
		double min_pass_rate, max_cost_usd, max_p95_latency_ms;
		int ok;
	} rows[] = {
		{ NAN, NAN, NAN, 1 },	 { 1e-12, 0, 0, 1 },
		{ 0, NAN, NAN, 0 },	 { 1, 1e9, 1e9, 1 },
		{ -0.001, NAN, NAN, 0 }, { 1.001, NAN, NAN, 0 },
		{ NAN, -0.01, NAN, 0 },	 { NAN, NAN, -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pe_gates g = gates_of(rows[i].min_pass_rate, NULL, -1,
					     rows[i].max_cost_usd,
					     rows[i].max_p95_latency_ms);

		if ((pe_gates_validate(&g, "test") == 0) != rows[i].ok)
			fail_msg("row %zu: validate %s", i,
				 rows[i].ok ? "refused" : "accepted");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gates),
		cmocka_unit_test(test_given_and_baseline),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_validate_min_pass_rate),
		cmocka_unit_test(test_max_p95_ttft),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
