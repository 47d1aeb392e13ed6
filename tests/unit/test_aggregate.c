/*
 * Unit tests for aggregate.c: verdict counts, pass rates with the case as
 * the unit (each group's cases and their decided repeats), mean scores, per-evaluator rates, latency percentiles and
 * token totals per cell; flaky cases; rankings per prompt and overall
 * with their tie rules and paired comparisons; the method's wording; and
 * cost arithmetic, the answers' and, apart, the
 * judges'.  Each test writes its rows as
 * a results.jsonl file (in a fresh mkdtemp directory), in a shuffled
 * order, and loads it with pe_resultset_load, so the aggregates are also
 * checked to follow results.json order rather than file order.
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
#include <unistd.h>

#include "harness/results/aggregate.h"
#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/results/resultset.h"
#include "harness/results/stats.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* "No value": a null temperature or score, or no call for total_ms. */
#define NONE NAN

struct row_spec {
	const char *file; /* the prompt is named after it: a.prompt.yml -> a */
	size_t case_index;
	const char *model;
	double temperature;
	unsigned repeat;
	const char *status;
	double score;
	double total_ms; /* NONE: "call" is null */
	long tokens_in;	 /* -1: null */
	long tokens_out;
	const char *evaluators; /* the JSON array, or NULL for [] */
};

/* A row with its "judge" object (JSON), or NULL for null. */
struct judged_spec {
	struct row_spec row;
	const char *judge;
};

static void add_number(struct pe_buf *b, const char *key, double v)
{
	if (isnan(v))
		pe_buf_addf(b, ",\"%s\":null", key);
	else
		pe_buf_addf(b, ",\"%s\":%.17g", key, v);
}

static void add_count(struct pe_buf *b, const char *key, long v)
{
	if (v < 0)
		pe_buf_addf(b, ",\"%s\":null", key);
	else
		pe_buf_addf(b, ",\"%s\":%ld", key, v);
}

/* Appends one journal line for s, with judge as its "judge". */
static void add_row(struct pe_buf *b, const struct row_spec *s,
		    const char *judge)
{
	size_t name_len = strcspn(s->file, ".");

	pe_buf_addf(b, "{\"id\":\"%s/%zu/%s/%g/%u\"", s->file, s->case_index,
		    s->model, s->temperature, s->repeat);
	pe_buf_addf(b, ",\"prompt\":\"%.*s\",\"file\":\"%s\"", (int)name_len,
		    s->file, s->file);
	pe_buf_addf(b, ",\"case\":\"c%zu\",\"case_index\":%zu", s->case_index,
		    s->case_index);
	pe_buf_addf(b, ",\"model\":\"%s\"", s->model);
	add_number(b, "temperature", s->temperature);
	pe_buf_addf(b, ",\"repeat\":%u,\"status\":\"%s\"", s->repeat,
		    s->status);
	add_number(b, "score", s->score);
	pe_buf_adds(b, ",\"error\":null,\"call\":");
	if (isnan(s->total_ms)) {
		pe_buf_adds(b, "null");
	} else {
		pe_buf_adds(b, "{\"attempts\":1,\"cached\":false");
		/* An error row's call failed; the others were answered.
		 * The first token comes after a tenth of the call. */
		pe_buf_addf(b, ",\"http_status\":%d",
			    strcmp(s->status, "error") ? 200 : 500);
		add_number(b, "first_byte_ms", s->total_ms / 10);
		add_number(b, "total_ms", s->total_ms);
		add_count(b, "tokens_in", s->tokens_in);
		add_count(b, "tokens_out", s->tokens_out);
		pe_buf_adds(b, ",\"finish_reason\":\"stop\","
			       "\"served_model\":null}");
	}
	pe_buf_addf(b, ",\"judge\":%s", judge ? judge : "null");
	pe_buf_addf(b, ",\"output\":\"x\",\"evaluators\":%s}\n",
		    s->evaluators ? s->evaluators : "[]");
}

/*
 * Writes rows to a journal (last row first, to shuffle them), loads it and
 * removes the file and its directory.  Returns the set.
 */
static struct pe_resultset *load_rows(const struct row_spec *rows, size_t n)
{
	struct pe_buf text;
	struct pe_resultset *rs;

	pe_buf_init(&text, 0);
	for (size_t i = n; i-- > 0;)
		add_row(&text, &rows[i], NULL);
	rs = testdir_load_results(&text);
	pe_buf_release(&text);
	return rs;
}

/* load_rows for rows with judge objects. */
static struct pe_resultset *load_judged(const struct judged_spec *rows,
					size_t n)
{
	struct pe_buf text;
	struct pe_resultset *rs;

	pe_buf_init(&text, 0);
	for (size_t i = n; i-- > 0;)
		add_row(&text, &rows[i].row, rows[i].judge);
	rs = testdir_load_results(&text);
	pe_buf_release(&text);
	return rs;
}

static void check_close(double actual, double expected, double tolerance,
			const char *what)
{
	if (actual == expected || fabs(actual - expected) <= tolerance)
		return;
	print_error("%s: got %.17g, want %.17g\n", what, actual, expected);
	fail();
}

/*
 * Checks a pass rate against the cases the group should have, written as
 * "pass/decided" per case in results.json order ("2/3 1/1 0/0"): the
 * counts summed over them, the cases with a decided repeat, the rate
 * worked by hand (the mean of the fractions), and the interval and
 * method that pe_case_pass_rate gives for those cases (test_stats.c
 * checks that by hand).
 */
static void check_rate(const struct pe_pass_rate *p, const char *cases,
		       double rate)
{
	struct pe_case_count counts[16];
	struct pe_pass_rate want;
	size_t n = 0;
	const char *s = cases;
	char *end;

	while (*s) {
		assert_true(n < ARRAY_SIZE(counts));
		counts[n].pass = strtoul(s, &end, 10);
		assert_true(*end == '/');
		counts[n].decided = strtoul(end + 1, &end, 10);
		n++;
		s = end + strspn(end, " ");
	}
	pe_case_pass_rate(counts, n, &want);
	assert_int_equal(p->pass, want.pass);
	assert_int_equal(p->decided, want.decided);
	assert_int_equal(p->cases, want.cases);
	if (!want.decided) {
		assert_true(isnan(p->rate) && isnan(p->low) && isnan(p->high));
		return;
	}
	assert_int_equal(p->method, want.method);
	check_close(p->rate, rate, 1e-15, "rate");
	check_close(p->low, want.low, 1e-12, "interval low");
	check_close(p->high, want.high, 1e-12, "interval high");
}

#define E_PASS                                                                 \
	"{\"name\":\"e1\",\"kind\":\"string\",\"status\":\"pass\","            \
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}"
#define E_FAIL                                                                 \
	"{\"name\":\"e1\",\"kind\":\"string\",\"status\":\"fail\","            \
	"\"score\":0,\"weight\":1,\"negate\":false,\"reason\":null}"
#define E_ERROR                                                                \
	"{\"name\":\"e1\",\"kind\":\"string\",\"status\":\"error\","           \
	"\"score\":0,\"weight\":1,\"negate\":false,\"reason\":\"limit\"}"
#define E2_PASS                                                                \
	"{\"name\":\"e2\",\"kind\":\"length\",\"status\":\"pass\","            \
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}"
#define E2_SKIP                                                                \
	"{\"name\":\"e2\",\"kind\":\"length\",\"status\":\"skip\","            \
	"\"score\":0,\"weight\":1,\"negate\":false,\"reason\":null}"

/*
 * Prompt a: model p:m1 at 0.8 over three cases, and p:m2 at 0.8.
 * Prompt b: four models with one case and two repeats, no calls.
 *
 *   a p:m1  c0: pass pass fail   c1: error pass   c2: skip
 *           -> 3 pass / 4 decided, mean (1 + 1 + 0.5 + 1) / 4 = 0.875
 *   a p:m2  c0: pass pass pass   c1: fail
 *           -> 3 / 4, mean (1 + 1 + 1 + 0) / 4 = 0.75
 *   b p:m1  pass (score 1), fail (score 0)      -> 1/2, mean 0.5
 *   b p:m2  pass, pass                          -> 2/2, mean 1
 *   b p:m3  pass (score 1), fail (score 0)      -> 1/2, mean 0.5
 *   b p:m4  error, error                        -> 0 decided
 */
static const struct row_spec fixture[] = {
	{ "a.prompt.yml", 0, "p:m1", 0.8, 0, "pass", 1, 100, 10, 20,
	  "[" E_PASS "," E2_PASS "]" },
	{ "a.prompt.yml", 0, "p:m1", 0.8, 1, "pass", 1, 200, 10, 20,
	  "[" E_PASS "," E2_PASS "]" },
	{ "a.prompt.yml", 0, "p:m1", 0.8, 2, "fail", 0.5, 300, 10, 20,
	  "[" E_FAIL "," E2_PASS "]" },
	{ "a.prompt.yml", 1, "p:m1", 0.8, 0, "error", NONE, 400, -1, -1,
	  "[" E_ERROR "," E2_PASS "]" },
	{ "a.prompt.yml", 1, "p:m1", 0.8, 1, "pass", 1, 500, 10, 20,
	  "[" E_PASS "," E2_PASS "]" },
	{ "a.prompt.yml", 2, "p:m1", 0.8, 0, "skip", NONE, 600, 10, 20,
	  "[" E2_SKIP "]" },
	{ "a.prompt.yml", 0, "p:m2", 0.8, 0, "pass", 1, 50, 100, 10, NULL },
	{ "a.prompt.yml", 0, "p:m2", 0.8, 1, "pass", 1, 50, 100, 10, NULL },
	{ "a.prompt.yml", 0, "p:m2", 0.8, 2, "pass", 1, 50, 100, 10, NULL },
	{ "a.prompt.yml", 1, "p:m2", 0.8, 0, "fail", 0, 50, 100, 10, NULL },
	{ "b.prompt.yml", 0, "p:m1", NONE, 0, "pass", 1, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m1", NONE, 1, "fail", 0, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m2", NONE, 0, "pass", 1, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m2", NONE, 1, "pass", 1, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m3", NONE, 0, "pass", 1, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m3", NONE, 1, "fail", 0, NONE, -1, -1, NULL },
	{ "b.prompt.yml", 0, "p:m4", NONE, 0, "error", NONE, NONE, -1, -1,
	  NULL },
	{ "b.prompt.yml", 0, "p:m4", NONE, 1, "error", NONE, NONE, -1, -1,
	  NULL },
};

struct cell_want {
	const char *prompt;
	const char *model;
	int has_temperature;
	size_t jobs, pass, fail, error, ungraded;
	double mean_score;
	size_t calls;
	double p50_ms, p95_ms;
	long tokens_in, tokens_out;
	size_t calls_without_tokens;
	const char *cases; /* as check_rate reads them */
	double rate;
};

static void test_cells(void **state)
{
	/*
	 * a p:m1 latencies 100..600: p50 = (300 + 400) / 2 = 350;
	 * p95: h = 5 * 0.95 = 4.75, so 500 + 0.75 * 100 = 575.
	 * Its tokens: five calls report 10 in and 20 out, the error's call
	 * reports none.  a p:m2: four calls of 50 ms, 100 in, 10 out.
	 */
	static const struct cell_want want[] = {
		/* (2/3 + 1) / 2; its skipped case c2 is not counted. */
		{ "a", "p:m1", 1, 6, 3, 1, 1, 1, 0.875, 6, 350, 575, 50, 100, 1,
		  "2/3 1/1 0/0", 5.0 / 6 },
		{ "a", "p:m2", 1, 4, 3, 1, 0, 0, 0.75, 4, 50, 50, 400, 40, 0,
		  "3/3 0/1", 0.5 },
		{ "b", "p:m1", 0, 2, 1, 1, 0, 0, 0.5, 0, NONE, NONE, 0, 0, 0,
		  "1/2", 0.5 },
		{ "b", "p:m2", 0, 2, 2, 0, 0, 0, 1, 0, NONE, NONE, 0, 0, 0,
		  "2/2", 1 },
		{ "b", "p:m3", 0, 2, 1, 1, 0, 0, 0.5, 0, NONE, NONE, 0, 0, 0,
		  "1/2", 0.5 },
		{ "b", "p:m4", 0, 2, 0, 0, 2, 0, NONE, 0, NONE, NONE, 0, 0, 0,
		  "0/0", NONE },
	};
	struct pe_resultset *rs = load_rows(fixture, ARRAY_SIZE(fixture));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	const struct pe_tally *total = pe_aggregate_total(agg);
	const struct pe_cell *c;

	(void)state;
	assert_int_equal(pe_aggregate_cell_count(agg), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct cell_want *w = &want[i];
		const struct pe_tally *t;

		c = pe_aggregate_cell(agg, i);
		t = &c->tally;
		assert_string_equal(c->prompt, w->prompt);
		assert_string_equal(c->model, w->model);
		assert_int_equal(c->has_temperature, w->has_temperature);
		assert_true(c->temperature == (w->has_temperature ? 0.8 : 0));
		assert_int_equal(t->jobs, w->jobs);
		assert_int_equal(t->pass, w->pass);
		assert_int_equal(t->fail, w->fail);
		assert_int_equal(t->error, w->error);
		assert_int_equal(t->ungraded, w->ungraded);
		check_rate(&t->pass_rate, w->cases, w->rate);
		if (isnan(w->mean_score))
			assert_true(isnan(t->mean_score));
		else
			check_close(t->mean_score, w->mean_score, 1e-15,
				    "mean score");
		assert_int_equal(t->calls, w->calls);
		if (isnan(w->p50_ms)) {
			assert_true(isnan(c->latency_p50_ms));
			assert_true(isnan(c->latency_p95_ms));
			assert_true(isnan(c->first_token_p95_ms));
		} else {
			check_close(c->latency_p50_ms, w->p50_ms, 1e-9, "p50");
			check_close(c->latency_p95_ms, w->p95_ms, 1e-9, "p95");
			check_close(c->first_token_p95_ms, w->p95_ms / 10, 1e-9,
				    "first token p95");
		}
		assert_int_equal(t->tokens_in, w->tokens_in);
		assert_int_equal(t->tokens_out, w->tokens_out);
		assert_int_equal(t->calls_without_tokens,
				 w->calls_without_tokens);
		assert_int_equal(t->has_cost, 0);
	}

	/*
	 * Evaluators of a p:m1: e1 passed 3 of the 4 runs it decided (its
	 * error does not count); e2 passed all 5 it decided (not the skip).
	 */
	c = pe_aggregate_cell(agg, 0);
	assert_int_equal(c->nevaluators, 2);
	assert_string_equal(c->evaluators[0].name, "e1");
	assert_int_equal(c->evaluators[0].pass, 3);
	assert_int_equal(c->evaluators[0].runs, 4);
	check_close(c->evaluators[0].rate, 0.75, 0, "e1 rate");
	assert_string_equal(c->evaluators[1].name, "e2");
	assert_int_equal(c->evaluators[1].pass, 5);
	assert_int_equal(c->evaluators[1].runs, 5);
	assert_int_equal(pe_aggregate_cell(agg, 1)->nevaluators, 0);
	assert_null(pe_aggregate_cell(agg, 6));

	/*
	 * The whole set: 10 pass, 4 fail, 3 errors, 1 skip.  Its cases pool
	 * every model: a/c0 5/6, a/c1 1/2, a/c2 none, b/c0 4/6, so the
	 * rate is (5/6 + 1/2 + 2/3) / 3 = 2/3, not the pooled 10/14.
	 */
	assert_int_equal(total->jobs, 18);
	assert_int_equal(total->error, 3);
	assert_int_equal(total->ungraded, 1);
	check_rate(&total->pass_rate, "5/6 1/2 0/0 4/6", 2.0 / 3);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

struct flaky_want {
	size_t case_index;
	const char *model;
	double temperature;
	size_t repeats, pass, fail, error;
};

static void test_flaky(void **state)
{
	static const struct row_spec rows[] = {
		/* 2 pass + 1 fail at 0.8: flaky. */
		{ "f.prompt.yml", 0, "m", 0.8, 0, "pass", 1, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 0, "m", 0.8, 1, "fail", 0, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 0, "m", 0.8, 2, "pass", 1, NONE, -1, -1,
		  NULL },
		/* The same case at 0.2 always passes: not flaky. */
		{ "f.prompt.yml", 0, "m", 0.2, 0, "pass", 1, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 0, "m", 0.2, 1, "pass", 1, NONE, -1, -1,
		  NULL },
		/* A pass and errors: errors do not make a case flaky. */
		{ "f.prompt.yml", 1, "m", 0.8, 0, "pass", 1, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 1, "m", 0.8, 1, "error", NONE, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 1, "m", 0.8, 2, "error", NONE, NONE, -1, -1,
		  NULL },
		/* A fail and a skip: not flaky either. */
		{ "f.prompt.yml", 2, "m", 0.8, 0, "fail", 0, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 2, "m", 0.8, 1, "skip", NONE, NONE, -1, -1,
		  NULL },
		/* Pass and fail on different models: two cases, not flaky. */
		{ "f.prompt.yml", 3, "m", 0.8, 0, "pass", 1, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 3, "n", 0.8, 0, "fail", 0, NONE, -1, -1,
		  NULL },
		/* Fail, error, pass: flaky, with its error counted. */
		{ "f.prompt.yml", 4, "n", 0.8, 0, "fail", 0, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 4, "n", 0.8, 1, "error", NONE, NONE, -1, -1,
		  NULL },
		{ "f.prompt.yml", 4, "n", 0.8, 2, "pass", 1, NONE, -1, -1,
		  NULL },
	};
	static const struct flaky_want want[] = {
		{ 0, "m", 0.8, 3, 2, 1, 0 },
		{ 4, "n", 0.8, 3, 1, 1, 1 },
	};
	struct pe_resultset *rs = load_rows(rows, ARRAY_SIZE(rows));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);

	(void)state;
	assert_int_equal(pe_aggregate_flaky_count(agg), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct pe_flaky_case *f = pe_aggregate_flaky(agg, i);

		assert_string_equal(f->prompt, "f");
		assert_string_equal(f->file, "f.prompt.yml");
		assert_int_equal(f->case_index, want[i].case_index);
		assert_string_equal(f->case_id, i ? "c4" : "c0");
		assert_string_equal(f->model, want[i].model);
		assert_int_equal(f->has_temperature, 1);
		assert_true(f->temperature == want[i].temperature);
		assert_int_equal(f->repeats, want[i].repeats);
		assert_int_equal(f->pass, want[i].pass);
		assert_int_equal(f->fail, want[i].fail);
		assert_int_equal(f->error, want[i].error);
		assert_int_equal(f->ungraded, 0);
	}
	assert_null(pe_aggregate_flaky(agg, 2));
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

struct rank_want {
	const char *model;
	const char *cases; /* as check_rate reads them */
	double rate;
};

static void check_ranking(const struct pe_ranking *r, const char *prompt,
			  const struct rank_want *want, size_t n)
{
	if (prompt)
		assert_string_equal(r->prompt, prompt);
	else
		assert_null(r->prompt);
	assert_int_equal(r->count, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r->entries[i].model, want[i].model);
		check_rate(&r->entries[i].tally.pass_rate, want[i].cases,
			   want[i].rate);
	}
}

static void test_rankings(void **state)
{
	/*
	 * a: both passed 3 of 4 rows, but m1's cases average (2/3 + 1) / 2
	 * = 5/6 and m2's (1 + 0) / 2 = 1/2.
	 */
	static const struct rank_want a[] = {
		{ "p:m1", "2/3 1/1 0/0", 5.0 / 6 },
		{ "p:m2", "3/3 0/1", 0.5 },
	};
	/*
	 * b: m1 and m3 tie on rate (1/2) and mean (0.5), so the name
	 * decides; m4 has nothing decided and comes last.
	 */
	static const struct rank_want b[] = {
		{ "p:m2", "2/2", 1 },
		{ "p:m1", "1/2", 0.5 },
		{ "p:m3", "1/2", 0.5 },
		{ "p:m4", "0/0", NONE },
	};
	/*
	 * Over both prompts, case by case: m1 (2/3 + 1 + 1/2) / 3 = 13/18
	 * ranks above m2 (1 + 0 + 1) / 3 = 2/3, though pooled rows would
	 * say 4/6 against 5/6; then m3 1/2, m4 nothing.
	 */
	static const struct rank_want overall[] = {
		{ "p:m1", "2/3 1/1 0/0 1/2", 13.0 / 18 },
		{ "p:m2", "3/3 0/1 2/2", 2.0 / 3 },
		{ "p:m3", "1/2", 0.5 },
		{ "p:m4", "0/0", NONE },
	};
	struct pe_resultset *rs = load_rows(fixture, ARRAY_SIZE(fixture));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	const struct pe_ranking *r;

	(void)state;
	assert_int_equal(pe_aggregate_ranking_count(agg), 2);
	check_ranking(pe_aggregate_ranking(agg, 0), "a", a, ARRAY_SIZE(a));
	check_ranking(pe_aggregate_ranking(agg, 1), "b", b, ARRAY_SIZE(b));
	assert_null(pe_aggregate_ranking(agg, 2));
	r = pe_aggregate_overall_ranking(agg);
	check_ranking(r, NULL, overall, ARRAY_SIZE(overall));
	/* m2 overall: (1 + 1 + 1 + 0 + 1 + 1) / 6. */
	check_close(r->entries[1].tally.mean_score, 5.0 / 6.0, 1e-15,
		    "m2 mean");
	assert_int_equal(r->entries[1].tally.jobs, 6);
	assert_true(isnan(r->entries[3].tally.mean_score));
	assert_int_equal(r->entries[3].tally.error, 2);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

/* Equal rates written differently (1/2 and 2/4) tie exactly. */
static void test_ranking_equal_fractions(void **state)
{
	static const struct row_spec rows[] = {
		{ "r.prompt.yml", 0, "z", NONE, 0, "pass", 0.5, NONE, -1, -1,
		  NULL },
		{ "r.prompt.yml", 0, "z", NONE, 1, "fail", 0.5, NONE, -1, -1,
		  NULL },
		{ "r.prompt.yml", 0, "y", NONE, 0, "pass", 0.5, NONE, -1, -1,
		  NULL },
		{ "r.prompt.yml", 0, "y", NONE, 1, "fail", 0.5, NONE, -1, -1,
		  NULL },
		{ "r.prompt.yml", 0, "y", NONE, 2, "pass", 0.5, NONE, -1, -1,
		  NULL },
		{ "r.prompt.yml", 0, "y", NONE, 3, "fail", 0.5, NONE, -1, -1,
		  NULL },
	};
	static const struct rank_want want[] = {
		{ "y", "2/4", 0.5 },
		{ "z", "1/2", 0.5 },
	};
	struct pe_resultset *rs = load_rows(rows, ARRAY_SIZE(rows));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);

	(void)state;
	check_ranking(pe_aggregate_ranking(agg, 0), "r", want,
		      ARRAY_SIZE(want));
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

static void test_costs(void **state)
{
	/* m1 by its full spec, m2 by its bare name; m3 and m4 unpriced. */
	static const struct pe_price items[] = {
		{ "p:m1", 1.0, 2.0 },
		{ "m2", 0.5, 4.0 },
		{ "q:m3", 100, 100 },
	};
	static const struct pe_prices prices = { items, ARRAY_SIZE(items) };
	struct pe_resultset *rs = load_rows(fixture, ARRAY_SIZE(fixture));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), &prices);
	const struct pe_model_cost *c;
	double spend;

	(void)state;
	assert_int_equal(pe_aggregate_cost_count(agg), 4);
	/*
	 * m1: 50 tokens in at $1/M and 100 out at $2/M = $0.00025, over
	 * 8 jobs (6 in a, 2 in b) = $0.00003125 a job.
	 */
	c = pe_aggregate_cost(agg, 0);
	assert_string_equal(c->model, "p:m1");
	assert_int_equal(c->tally.has_cost, 1);
	check_close(c->tally.cost_usd, 250e-6, 1e-18, "m1 cost");
	check_close(c->cost_per_job_usd, 250e-6 / 8, 1e-18, "m1 per job");
	check_rate(&c->tally.pass_rate, "2/3 1/1 0/0 1/2", 13.0 / 18);
	/* m2: 400 in at $0.5/M and 40 out at $4/M = $0.00036, 6 jobs. */
	c = pe_aggregate_cost(agg, 1);
	assert_string_equal(c->model, "p:m2");
	assert_int_equal(c->tally.has_cost, 1);
	check_close(c->tally.cost_usd, 360e-6, 1e-18, "m2 cost");
	check_close(c->cost_per_job_usd, 60e-6, 1e-18, "m2 per job");
	check_rate(&c->tally.pass_rate, "3/3 0/1 2/2", 2.0 / 3);
	/* m3's price names another provider, so it has none. */
	c = pe_aggregate_cost(agg, 2);
	assert_string_equal(c->model, "p:m3");
	assert_int_equal(c->tally.has_cost, 0);
	assert_true(c->tally.cost_usd == 0);
	assert_true(isnan(c->cost_per_job_usd));
	assert_string_equal(pe_aggregate_cost(agg, 3)->model, "p:m4");
	assert_null(pe_aggregate_cost(agg, 4));

	/* A call answered without its token counts makes a cost unknown:
	 * they would count as none. */
	{
		static const struct row_spec untokened[] = {
			{ "a.prompt.yml", 0, "p:m1", 0.8, 0, "pass", 1, 100, 10,
			  20, NULL },
			{ "a.prompt.yml", 1, "p:m1", 0.8, 0, "pass", 1, 100, -1,
			  -1, NULL },
		};
		struct pe_resultset *u =
			load_rows(untokened, ARRAY_SIZE(untokened));
		struct pe_aggregate *ua = pe_aggregate_new(
			pe_resultset_rows(u), pe_resultset_count(u), &prices);

		assert_int_equal(pe_aggregate_total(ua)->has_cost, 0);
		assert_int_equal(pe_aggregate_total(ua)->has_spent_cost, 0);
		pe_aggregate_free(ua);
		pe_resultset_free(u);
	}

	/* Cells carry their share; a mixed total has no cost. */
	check_close(pe_aggregate_cell(agg, 0)->tally.cost_usd, 250e-6, 1e-18,
		    "cell cost");
	assert_int_equal(pe_aggregate_cell(agg, 0)->tally.has_cost, 1);
	assert_int_equal(pe_aggregate_total(agg)->has_cost, 0);
	assert_int_equal(pe_aggregate_has_cost(agg), 1);

	/* Without judge calls the judges cost nothing, known once priced. */
	c = pe_aggregate_cost(agg, 0);
	assert_int_equal(c->tally.judge_calls, 0);
	assert_int_equal(c->tally.has_judge_cost, 1);
	assert_true(c->tally.judge_cost_usd == 0);
	spend = -1;
	assert_int_equal(pe_tally_spend(&c->tally, &spend), 1);
	assert_true(spend == c->tally.cost_usd);
	spend = -1;
	assert_int_equal(pe_tally_spend(pe_aggregate_total(agg), &spend), 0);
	assert_true(spend == -1);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

/* Judge objects of the rows below. */
#define JUDGE(calls, model, in, out)                                           \
	"{\"calls\":" #calls ",\"model\":" model ",\"tokens_in\":" #in         \
	",\"tokens_out\":" #out "}"

/*
 * Judged rows: m1's by two specs of one priced judge model, m2's by
 * several models at once (the row names none), m3's by none, m4's by an
 * unpriced judge model.  Every answer reports 1000 tokens in and out.
 */
static const struct judged_spec judged[] = {
	{ { "j.prompt.yml", 0, "p:m1", NONE, 0, "pass", 1, 10, 1000, 1000,
	    NULL },
	  JUDGE(1, "\"q:judge\"", 1000000, 100000) },
	{ { "j.prompt.yml", 1, "p:m1", NONE, 0, "fail", 0, 10, 1000, 1000,
	    NULL },
	  JUDGE(2, "\"r:judge\"", 2000000, 0) },
	{ { "j.prompt.yml", 0, "p:m2", NONE, 0, "pass", 1, 10, 1000, 1000,
	    NULL },
	  JUDGE(2, "null", 10, 10) },
	{ { "j.prompt.yml", 1, "p:m2", NONE, 0, "pass", 1, 10, 1000, 1000,
	    NULL },
	  NULL },
	{ { "j.prompt.yml", 0, "p:m3", NONE, 0, "pass", 1, 10, 1000, 1000,
	    NULL },
	  NULL },
	{ { "j.prompt.yml", 0, "p:m4", NONE, 0, "pass", 1, 10, 1000, 1000,
	    NULL },
	  JUDGE(1, "\"q:unpriced\"", 5, 5) },
};

/*
 * The overall ranking of the fixture compares each pair of models on the
 * cases both decided.  m1 against m2 (m1 ranked higher): a/c0 2/3 - 1 =
 * -1/3, a/c1 1 - 0 = +1, b/c0 1/2 - 1 = -1/2 (a/c2 m1 did not decide):
 * 1 better, 2 worse, sign test p = 1, effect (-1/3 + 1 - 1/2) / 3 =
 * 1/18.  Deviations -7/18, 17/18, -10/18: sample variance (49 + 289 +
 * 100) / 324 / 2 = 0.6759259, half = t(0.975, 2) sqrt(0.6759259 / 3) =
 * 4.302653 * 0.4746669 = 2.0423269, clamped to [-1, 1].
 * m4 decided nothing, so it shares no case; m2 against m3 share b/c0
 * alone (2/2 against 1/2), too few for an interval.
 */
static void test_ranking_pairs(void **state)
{
	struct pe_resultset *rs = load_rows(fixture, ARRAY_SIZE(fixture));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	const struct pe_ranking *r = pe_aggregate_overall_ranking(agg);
	const struct pe_model_pair *p;

	(void)state;
	assert_int_equal(r->npairs, 6);
	p = pe_ranking_pair(r, 0, 1);
	assert_ptr_equal(p, &r->pairs[0]);
	assert_int_equal(p->better, 0);
	assert_int_equal(p->worse, 1);
	assert_int_equal(p->stats.n_cases, 3);
	assert_int_equal(p->stats.improved, 1);
	assert_int_equal(p->stats.regressed, 2);
	check_close(p->stats.p_value, 1.0, 0, "m1-m2 p");
	check_close(p->stats.effect, 1.0 / 18, 1e-15, "m1-m2 effect");
	check_close(p->stats.effect_low, -1.0, 0, "m1-m2 low");
	check_close(p->stats.effect_high, 1.0, 0, "m1-m2 high");
	assert_int_equal(p->apart, 0);
	p = pe_ranking_pair(r, 0, 3);
	assert_int_equal(p->worse, 3);
	assert_int_equal(p->stats.n_cases, 0);
	p = pe_ranking_pair(r, 1, 2);
	assert_int_equal(p->stats.n_cases, 1);
	assert_int_equal(p->stats.improved, 1);
	check_close(p->stats.effect, 0.5, 0, "m2-m3 effect");
	assert_true(isnan(p->stats.effect_low));
	assert_ptr_equal(pe_ranking_pair(r, 2, 3), &r->pairs[5]);
	assert_null(pe_ranking_pair(r, 1, 1));
	assert_null(pe_ranking_pair(r, 0, 4));
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

/*
 * The method's wording: the fixture's groups have repeats (its total
 * pools the models of a case too); one model with one row a case is
 * Wilson everywhere.
 */
static void test_method_text(void **state)
{
	struct pe_resultset *rs = load_rows(fixture, ARRAY_SIZE(fixture));
	/* m1's two rows: two cases, each decided once, in every group. */
	struct pe_resultset *once = load_judged(judged, 2);
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	struct pe_aggregate *agg_once = pe_aggregate_new(
		pe_resultset_rows(once), pe_resultset_count(once), NULL);
	struct pe_aggregate *empty = pe_aggregate_new(NULL, 0, NULL);
	struct pe_buf b;

	(void)state;
	pe_buf_init(&b, 0);
	assert_int_equal(pe_aggregate_method_text(agg, &b), 1);
	assert_non_null(strstr(pe_buf_str(&b), "case-clustered Wilson"));
	assert_null(strstr(pe_buf_str(&b), "decided once"));
	pe_buf_reset(&b);
	assert_int_equal(pe_aggregate_method_text(agg_once, &b), 1);
	assert_non_null(strstr(pe_buf_str(&b), "Wilson (each case decided"));
	assert_null(strstr(pe_buf_str(&b), "clustered"));
	pe_buf_reset(&b);
	assert_int_equal(pe_aggregate_method_text(empty, &b), 0);
	assert_int_equal(b.len, 0);
	pe_buf_release(&b);
	pe_aggregate_free(agg);
	pe_aggregate_free(agg_once);
	pe_aggregate_free(empty);
	pe_resultset_free(rs);
	pe_resultset_free(once);
}

static void test_judge_costs(void **state)
{
	/* The judge model by its bare name, which matches any provider. */
	static const struct pe_price items[] = {
		{ "p:m1", 1.0, 2.0 },	{ "p:m2", 1.0, 2.0 },
		{ "p:m3", 1.0, 2.0 },	{ "p:m4", 1.0, 2.0 },
		{ "judge", 2.0, 10.0 },
	};
	static const struct pe_prices prices = { items, ARRAY_SIZE(items) };
	static const struct pe_prices judge_only = { items + 4, 1 };
	struct pe_resultset *rs = load_judged(judged, ARRAY_SIZE(judged));
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), &prices);
	struct pe_aggregate *unpriced = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);
	const struct pe_tally *t;
	double spend = -1;

	(void)state;
	/*
	 * m1: the answers' 2000 tokens in at $1/M and 2000 out at $2/M
	 * cost $0.006; the judges' 3M in at $2/M and 0.1M out at $10/M
	 * cost $7, apart.
	 */
	t = &pe_aggregate_cost(agg, 0)->tally;
	assert_int_equal(t->judge_calls, 3);
	assert_int_equal(t->judge_tokens_in, 3000000);
	assert_int_equal(t->judge_tokens_out, 100000);
	assert_int_equal(t->has_cost, 1);
	check_close(t->cost_usd, 0.006, 1e-15, "m1 answers' cost");
	assert_int_equal(t->has_judge_cost, 1);
	check_close(t->judge_cost_usd, 7, 1e-12, "m1 judges' cost");
	assert_int_equal(pe_tally_spend(t, &spend), 1);
	check_close(spend, 7.006, 1e-12, "m1 spend");
	check_close(pe_aggregate_cost(agg, 0)->cost_per_job_usd, 0.003, 1e-15,
		    "m1 per job");

	/* m2: a row judged by several models cannot be priced. */
	t = &pe_aggregate_cost(agg, 1)->tally;
	assert_int_equal(t->judge_calls, 2);
	assert_int_equal(t->has_cost, 1);
	assert_int_equal(t->has_judge_cost, 0);
	assert_true(t->judge_cost_usd == 0);
	spend = -1;
	assert_int_equal(pe_tally_spend(t, &spend), 0);
	assert_true(spend == -1);

	/* m3: no judge call, so the judges' cost is a known 0. */
	t = &pe_aggregate_cost(agg, 2)->tally;
	assert_int_equal(t->judge_calls, 0);
	assert_int_equal(t->has_judge_cost, 1);
	assert_true(t->judge_cost_usd == 0);
	assert_int_equal(pe_tally_spend(t, &spend), 1);
	check_close(spend, 0.003, 1e-15, "m3 spend");

	/* m4: the judge model has no price. */
	t = &pe_aggregate_cost(agg, 3)->tally;
	assert_int_equal(t->has_cost, 1);
	assert_int_equal(t->has_judge_cost, 0);

	/* The total knows the answers' cost, not the judges'. */
	t = pe_aggregate_total(agg);
	assert_int_equal(t->judge_calls, 6);
	assert_int_equal(t->has_cost, 1);
	check_close(t->cost_usd, 0.018, 1e-15, "total answers' cost");
	assert_int_equal(t->has_judge_cost, 0);
	assert_int_equal(pe_tally_spend(t, &spend), 0);
	/* The cell of m1 has m1's figures. */
	t = &pe_aggregate_cell(agg, 0)->tally;
	assert_int_equal(t->has_judge_cost, 1);
	check_close(t->judge_cost_usd, 7, 1e-12, "m1 cell judges' cost");

	/* Judge calls that reported no token counts cannot be priced. */
	{
		static const struct judged_spec untokened[] = {
			{ { "j.prompt.yml", 0, "p:m1", NONE, 0, "pass", 1, 10,
			    1000, 1000, NULL },
			  JUDGE(1, "\"q:judge\"", 1000, null) },
		};
		struct pe_resultset *u =
			load_judged(untokened, ARRAY_SIZE(untokened));
		struct pe_aggregate *ua = pe_aggregate_new(
			pe_resultset_rows(u), pe_resultset_count(u), &prices);

		t = pe_aggregate_total(ua);
		assert_int_equal(t->has_cost, 1);
		assert_int_equal(t->has_judge_cost, 0);
		assert_int_equal(pe_tally_spend(t, &spend), 0);
		pe_aggregate_free(ua);
		pe_resultset_free(u);
	}

	/* Without prices nothing is priced, judges included. */
	t = pe_aggregate_total(unpriced);
	assert_int_equal(t->judge_calls, 6);
	assert_int_equal(t->has_cost, 0);
	assert_int_equal(t->has_judge_cost, 0);
	assert_true(t->judge_cost_usd == 0);
	t = &pe_aggregate_cost(unpriced, 2)->tally;
	assert_int_equal(t->has_judge_cost, 0);
	assert_int_equal(pe_aggregate_has_cost(agg), 1);
	assert_int_equal(pe_aggregate_has_cost(unpriced), 0);
	pe_aggregate_free(unpriced);

	/* A judge model's price alone is a cost to show. */
	unpriced = pe_aggregate_new(pe_resultset_rows(rs),
				    pe_resultset_count(rs), &judge_only);
	assert_int_equal(pe_aggregate_cost(unpriced, 0)->tally.has_cost, 0);
	assert_int_equal(pe_aggregate_has_cost(unpriced), 1);
	pe_aggregate_free(unpriced);
	pe_aggregate_free(agg);
	pe_resultset_free(rs);
}

static void test_price_find(void **state)
{
	static const struct pe_price items[] = {
		{ "gpt-4o", 9, 9 },
		{ "openai:gpt-4o", 1, 1 },
		{ "openai:gpt-4o-mini", 2, 2 },
	};
	static const struct pe_prices prices = { items, ARRAY_SIZE(items) };

	(void)state;
	/* The exact spec wins over the bare name listed before it. */
	assert_ptr_equal(pe_price_find(&prices, "openai:gpt-4o"), &items[1]);
	assert_ptr_equal(pe_price_find(&prices, "azure:gpt-4o"), &items[0]);
	assert_ptr_equal(pe_price_find(&prices, "openai:gpt-4o-mini"),
			 &items[2]);
	assert_null(pe_price_find(&prices, "azure:gpt-4o-mini"));
	assert_null(pe_price_find(&prices, NULL));
	assert_null(pe_price_find(NULL, "openai:gpt-4o"));
}

/* An empty journal gives empty lists, and NULL frees are no-ops. */
static void test_empty(void **state)
{
	struct pe_resultset *rs = load_rows(NULL, 0);
	struct pe_aggregate *agg = pe_aggregate_new(
		pe_resultset_rows(rs), pe_resultset_count(rs), NULL);

	(void)state;
	assert_int_equal(pe_aggregate_cell_count(agg), 0);
	assert_int_equal(pe_aggregate_flaky_count(agg), 0);
	assert_int_equal(pe_aggregate_ranking_count(agg), 0);
	assert_int_equal(pe_aggregate_overall_ranking(agg)->count, 0);
	assert_int_equal(pe_aggregate_cost_count(agg), 0);
	assert_int_equal(pe_aggregate_total(agg)->jobs, 0);
	check_rate(&pe_aggregate_total(agg)->pass_rate, "", NONE);
	pe_aggregate_free(agg);
	pe_aggregate_free(NULL);
	pe_resultset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells),
		cmocka_unit_test(test_flaky),
		cmocka_unit_test(test_rankings),
		cmocka_unit_test(test_ranking_equal_fractions),
		cmocka_unit_test(test_costs),
		cmocka_unit_test(test_ranking_pairs),
		cmocka_unit_test(test_method_text),
		cmocka_unit_test(test_judge_costs),
		cmocka_unit_test(test_price_find),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
