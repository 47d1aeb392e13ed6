/*
 * Unit tests for compare.c: pairing rows by prompt, case, model and
 * temperature with repeats as replicates; an injected regression over 12
 * cases that the sign test flags; a one-case wobble that it does not (too
 * few changed cases); added and removed cases; undecided cases; the
 * order of the lists; and generated case ids of 16 hex digits paired
 * with the 8-digit ones of older results.  Rows are written as results.jsonl files in a fresh
 * mkdtemp directory and loaded with pe_resultset_load.
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

#include "harness/core/buf.h"
#include "harness/results/compare.h"
#include "harness/core/diag.h"
#include "harness/results/resultset.h"
#include "tests/unit/testdir.h"

struct row_spec {
	const char *prompt;
	const char *case_id;
	const char *model;
	double temperature;
	unsigned repeat;
	const char *status;
	double score;
};

static void add_row(struct pe_buf *b, const struct row_spec *s, size_t index)
{
	pe_buf_addf(b, "{\"id\":\"%s/%s/%s/%g/%u\"", s->prompt, s->case_id,
		    s->model, s->temperature, s->repeat);
	pe_buf_addf(b, ",\"prompt\":\"%s\",\"file\":\"%s.prompt.yml\"",
		    s->prompt, s->prompt);
	pe_buf_addf(b, ",\"case\":\"%s\",\"case_index\":%zu", s->case_id,
		    index);
	pe_buf_addf(b, ",\"model\":\"%s\",\"temperature\":%g", s->model,
		    s->temperature);
	pe_buf_addf(b, ",\"repeat\":%u,\"status\":\"%s\"", s->repeat,
		    s->status);
	if (isnan(s->score))
		pe_buf_adds(b, ",\"score\":null");
	else
		pe_buf_addf(b, ",\"score\":%g", s->score);
	pe_buf_adds(b, ",\"error\":null,\"call\":null,\"output\":\"x\","
		       "\"evaluators\":[]}\n");
}

/*
 * Writes rows (last first) to a journal and loads it.  A case's index is
 * its id's second byte less '0' ("c3" is 3, "c:" is 10).
 */
static struct pe_resultset *load_rows(const struct row_spec *rows, size_t n)
{
	struct pe_buf text;
	struct pe_resultset *rs;

	pe_buf_init(&text, 0);
	for (size_t i = n; i-- > 0;)
		add_row(&text, &rows[i], (size_t)(rows[i].case_id[1] - '0'));
	rs = testdir_load_results(&text);
	pe_buf_release(&text);
	return rs;
}

/* load_rows takes a case's index from its id's second byte, less '0'. */
static const char *const case_ids[] = {
	"c0", "c1", "c2", "c3", "c4",	"c5",
	"c6", "c7", "c8", "c9", "c:10", "c;11"
};

/*
 * Twelve cases of prompt p with repeats each: a case passes its first
 * pass_of[i] repeats and fails the others.
 */
static struct pe_resultset *twelve(const unsigned *pass_of, unsigned repeats)
{
	struct row_spec rows[12 * 4];
	size_t n = 0;

	for (size_t i = 0; i < 12; i++)
		for (unsigned r = 0; r < repeats; r++) {
			int pass = r < pass_of[i];

			rows[n++] = (struct row_spec){ "p",
						       case_ids[i],
						       "m:a",
						       0,
						       r,
						       pass ? "pass" : "fail",
						       pass ? 1.0 : 0.0 };
		}
	return load_rows(rows, n);
}

static void test_pairs_repeats(void **state)
{
	/* Case c0: 2/3 -> 1/3; case c1: 1/2 -> 2/4 (unchanged). */
	static const struct row_spec base_rows[] = {
		{ "p", "c0", "m:a", 0, 0, "pass", 1 },
		{ "p", "c0", "m:a", 0, 1, "pass", 1 },
		{ "p", "c0", "m:a", 0, 2, "fail", 0 },
		{ "p", "c1", "m:a", 0, 0, "pass", 1 },
		{ "p", "c1", "m:a", 0, 1, "fail", 0 },
		{ "p", "c1", "m:a", 0, 2, "error", NAN },
	};
	static const struct row_spec head_rows[] = {
		{ "p", "c1", "m:a", 0, 3, "fail", 0 },
		{ "p", "c0", "m:a", 0, 0, "fail", 0.5 },
		{ "p", "c0", "m:a", 0, 1, "pass", 1 },
		{ "p", "c0", "m:a", 0, 2, "fail", 0 },
		{ "p", "c1", "m:a", 0, 0, "pass", 1 },
		{ "p", "c1", "m:a", 0, 1, "fail", 0 },
		{ "p", "c1", "m:a", 0, 2, "pass", 1 },
	};
	struct pe_resultset *base = load_rows(base_rows, 6);
	struct pe_resultset *head = load_rows(head_rows, 7);
	struct pe_comparison *cmp = pe_compare_new(base, head);
	const struct pe_compare_case *c;

	(void)state;
	assert_int_equal(pe_comparison_case_count(cmp), 2);
	c = pe_comparison_case(cmp, 0);
	assert_string_equal(c->case_id, "c0");
	assert_int_equal(c->base.pass, 2);
	assert_int_equal(c->base.decided, 3);
	assert_int_equal(c->head.pass, 1);
	assert_int_equal(c->head.decided, 3);
	assert_int_equal(c->change, PE_CHANGE_REGRESSED);
	assert_true(fabs(c->score_delta - (0.5 - 2.0 / 3.0)) < 1e-12);
	/* The row that speaks for head is its first failure. */
	assert_int_equal(c->head.row->repeat, 0);
	c = pe_comparison_case(cmp, 1);
	assert_string_equal(c->case_id, "c1");
	assert_int_equal(c->base.rows, 3);
	assert_int_equal(c->base.decided, 2);
	assert_int_equal(c->base.error, 1);
	assert_int_equal(c->head.decided, 4);
	assert_int_equal(c->change, PE_CHANGE_UNCHANGED);
	assert_int_equal(pe_comparison_overall(cmp)->stats.regressed, 1);
	assert_int_equal(pe_comparison_overall(cmp)->stats.unchanged, 1);
	assert_int_equal(pe_comparison_added_count(cmp), 0);
	assert_int_equal(pe_comparison_removed_count(cmp), 0);
	pe_comparison_free(cmp);
	pe_resultset_free(base);
	pe_resultset_free(head);
}

static void test_injected_regression(void **state)
{
	static const unsigned all[12] = { 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 2, 2 };
	static const unsigned broken[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2
	};
	struct pe_resultset *base = twelve(all, 2);
	struct pe_resultset *head = twelve(broken, 2);
	struct pe_comparison *cmp = pe_compare_new(base, head);
	const struct pe_compare_group *g = pe_comparison_overall(cmp);

	(void)state;
	assert_int_equal(g->stats.n_cases, 12);
	assert_int_equal(g->stats.regressed, 9);
	assert_int_equal(g->stats.improved, 1);
	assert_int_equal(g->stats.unchanged, 2);
	/* 2 * P[X <= 1], X ~ Bin(10, 1/2) = 2 * 11 / 1024. */
	assert_true(fabs(g->stats.p_value - 22.0 / 1024.0) < 1e-12);
	assert_false(g->stats.too_few);
	assert_true(g->stats.significant_regression);
	assert_int_equal(pe_comparison_prompt_count(cmp), 1);
	assert_string_equal(pe_comparison_prompt(cmp, 0)->prompt, "p");
	assert_true(pe_comparison_prompt(cmp, 0)->stats.significant_regression);
	pe_comparison_free(cmp);
	pe_resultset_free(base);
	pe_resultset_free(head);
}

static void test_wobble(void **state)
{
	static const unsigned all[12] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3 };
	static const unsigned wobble[12] = {
		3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3
	};
	struct pe_resultset *base = twelve(all, 3);
	struct pe_resultset *head = twelve(wobble, 3);
	struct pe_comparison *cmp = pe_compare_new(base, head);
	const struct pe_compare_group *g = pe_comparison_overall(cmp);

	(void)state;
	assert_int_equal(g->stats.regressed, 1);
	assert_int_equal(g->stats.unchanged, 11);
	assert_true(g->stats.p_value == 1.0);
	assert_true(g->stats.too_few);
	assert_false(g->stats.significant_regression);
	assert_int_equal(pe_comparison_case(cmp, 4)->change,
			 PE_CHANGE_REGRESSED);
	pe_comparison_free(cmp);
	pe_resultset_free(base);
	pe_resultset_free(head);
}

static void test_added_removed(void **state)
{
	/* Pairing is by model and temperature too. */
	static const struct row_spec base_rows[] = {
		{ "p", "c0", "m:a", 0, 0, "pass", 1 },
		{ "p", "c1", "m:a", 0, 0, "pass", 1 },
		{ "q", "c0", "m:a", 0, 0, "pass", 1 },
		{ "p", "c0", "m:b", 0, 0, "pass", 1 },
	};
	static const struct row_spec head_rows[] = {
		{ "p", "c0", "m:a", 0, 0, "pass", 1 },
		{ "p", "c2", "m:a", 0, 0, "fail", 0 },
		{ "p", "c0", "m:a", 1, 0, "pass", 1 },
		{ "p", "c0", "m:b", 0, 0, "error", NAN },
	};
	struct pe_resultset *base = load_rows(base_rows, 4);
	struct pe_resultset *head = load_rows(head_rows, 4);
	struct pe_comparison *cmp = pe_compare_new(base, head);
	const struct pe_compare_group *g;

	(void)state;
	assert_int_equal(pe_comparison_case_count(cmp), 2);
	assert_int_equal(pe_comparison_case(cmp, 0)->change,
			 PE_CHANGE_UNCHANGED);
	assert_string_equal(pe_comparison_case(cmp, 1)->model, "m:b");
	assert_int_equal(pe_comparison_case(cmp, 1)->change,
			 PE_CHANGE_UNDECIDED);
	assert_int_equal(pe_comparison_added_count(cmp), 2);
	assert_string_equal(pe_comparison_added(cmp, 0)->case_id, "c0");
	assert_true(pe_comparison_added(cmp, 0)->temperature == 1);
	assert_string_equal(pe_comparison_added(cmp, 1)->case_id, "c2");
	assert_int_equal(pe_comparison_removed_count(cmp), 2);
	assert_string_equal(pe_comparison_removed(cmp, 0)->case_id, "c1");
	assert_string_equal(pe_comparison_removed(cmp, 1)->prompt, "q");
	g = pe_comparison_overall(cmp);
	assert_int_equal(g->stats.n_cases, 1);
	assert_int_equal(g->undecided, 1);
	assert_int_equal(g->added, 2);
	assert_int_equal(g->removed, 2);
	assert_int_equal(pe_comparison_prompt_count(cmp), 2);
	assert_string_equal(pe_comparison_prompt(cmp, 0)->prompt, "p");
	assert_int_equal(pe_comparison_prompt(cmp, 1)->removed, 1);
	assert_int_equal(pe_comparison_prompt(cmp, 1)->stats.n_cases, 0);
	assert_true(pe_comparison_prompt(cmp, 1)->stats.too_few);
	pe_comparison_free(cmp);
	pe_resultset_free(base);
	pe_resultset_free(head);
}

/*
 * A baseline from before schema version 3 has 8-digit generated ids: a
 * 16-digit id pairs with the one that is its first 8 digits (a repeat's
 * "-N" kept); ids given in the prompt file pair as they are.  Two sets of
 * 16-digit ids pair whole.
 */
static void test_short_case_ids(void **state)
{
	static const struct row_spec base_rows[] = {
		{ "p", "case-0123abcd", "m:a", 0, 0, "pass", 1 },
		{ "p", "case-0123abcd-3", "m:a", 0, 0, "pass", 1 },
		{ "p", "case-eeeeeeee", "m:a", 0, 0, "pass", 1 },
		{ "p", "mine", "m:a", 0, 0, "pass", 1 },
	};
	static const struct row_spec head_rows[] = {
		{ "p", "case-0123abcd89abcdef", "m:a", 0, 0, "fail", 0 },
		{ "p", "case-0123abcd89abcdef-3", "m:a", 0, 0, "pass", 1 },
		{ "p", "case-ffffffffffffffff", "m:a", 0, 0, "pass", 1 },
		{ "p", "mine", "m:a", 0, 0, "pass", 1 },
	};
	static const struct row_spec long_rows[] = {
		{ "p", "case-0123abcd00000000", "m:a", 0, 0, "pass", 1 },
	};
	struct pe_resultset *base = load_rows(base_rows, 4);
	struct pe_resultset *head = load_rows(head_rows, 4);
	struct pe_resultset *other = load_rows(long_rows, 1);
	struct pe_comparison *cmp = pe_compare_new(base, head);

	(void)state;
	assert_int_equal(pe_comparison_case_count(cmp), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct pe_compare_case *c = pe_comparison_case(cmp, i);

		assert_int_equal(c->change,
				 !strcmp(c->case_id, "case-0123abcd89abcdef")
					 ? PE_CHANGE_REGRESSED
					 : PE_CHANGE_UNCHANGED);
	}
	assert_int_equal(pe_comparison_added_count(cmp), 1);
	assert_string_equal(pe_comparison_added(cmp, 0)->case_id,
			    "case-ffffffffffffffff");
	assert_int_equal(pe_comparison_removed_count(cmp), 1);
	assert_string_equal(pe_comparison_removed(cmp, 0)->case_id,
			    "case-eeeeeeee");
	pe_comparison_free(cmp);
	cmp = pe_compare_new(other, head);
	assert_int_equal(pe_comparison_case_count(cmp), 0);
	pe_comparison_free(cmp);
	pe_resultset_free(base);
	pe_resultset_free(head);
	pe_resultset_free(other);
}

static void test_free_null(void **state)
{
	(void)state;
	pe_comparison_free(NULL);
	assert_string_equal(pe_change_name(PE_CHANGE_REGRESSED), "regressed");
	assert_string_equal(pe_change_name(PE_CHANGE_UNDECIDED), "undecided");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs_repeats),
		cmocka_unit_test(test_injected_regression),
		cmocka_unit_test(test_wobble),
		cmocka_unit_test(test_added_removed),
		cmocka_unit_test(test_short_case_ids),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
