/*
 * Unit tests for status.c: pe_exit_status on a table that walks the
 * documented order in status.h line by line (a failed gate beats
 * errors and an interruption; an interruption; errors with and without
 * --max-errors; nothing checked, with its reason; failures with and
 * without gates; success), for commands that judge rows ("run",
 * "score", "compare" with gates) and commands that do not ("merge"),
 * and the lines of pe_print_exit_codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "harness/cli/status.h"
#include "harness/core/util.h"
#include "harness/results/result.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

#define NO_CASES "nothing was checked: there were no cases"
#define NONE_DECIDED                                                           \
	"nothing was checked: no case passed or failed (every one was "        \
	"ungraded or errored)"

/* Verdict counts for the tally; no_tally means a NULL tally. */
struct counts {
	int no_tally;
	size_t pass, fail, error, skip;
};

struct status_case {
	const char *what;
	struct counts rows;
	int judge_rows, gates_given;
	size_t gates_failed;
	int errors_allowed, interrupted;
	int want;
	const char *why; /* NULL, or the reason given */
};

#define UNGRADED_WHY                                                           \
	"not every case was graded: an evaluator did not run, so those "       \
	"cases neither passed nor failed (--max-ungraded N allows N of them)"

/*
 * Without --max-ungraded, ungraded rows count.  The rows called
 * "skipped" in status_cases are ungraded cases too; the rules that table
 * tests come after the ungraded one, so it runs with ungraded rows
 * allowed (--max-ungraded given), and this table without.
 */
static const struct status_case ungraded_cases[] = {
	/* clang-format off */
	{ "ungraded rows exit 2 and say why",
	  { 0, 3, 0, 0, 1 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, UNGRADED_WHY },
	{ "every row ungraded: the ungraded reason",
	  { 0, 0, 0, 0, 2 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, UNGRADED_WHY },
	{ "errors come before ungraded rows",
	  { 0, 3, 0, 1, 1 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, NULL },
	{ "an interruption comes before ungraded rows",
	  { 0, 3, 0, 0, 1 }, 1, 0, 0, 0, 1, PE_EXIT_INCOMPLETE, NULL },
	{ "a failed gate beats ungraded rows",
	  { 0, 3, 0, 0, 1 }, 1, 1, 1, 0, 0, PE_EXIT_FAILED, NULL },
	{ "ungraded rows beat a failure",
	  { 0, 3, 1, 0, 1 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, UNGRADED_WHY },
	{ "merge does not judge ungraded rows",
	  { 0, 3, 0, 0, 1 }, 0, 0, 0, 0, 0, PE_EXIT_OK, NULL },
	/* clang-format on */
};

#define UNCHECKED_WHY                                                          \
	"not every gate was checked: a figure it needs is not known, or "      \
	"nothing could be compared (see its line above), so it neither "       \
	"passed nor failed"

/*
 * A gate asked for that could not be checked (--max-cost without a
 * price): after a failed gate and an interruption, before the rows.
 */
static const struct status_case unchecked_cases[] = {
	/* clang-format off */
	{ "a gate not checked exits 2 and says why",
	  { 0, 4, 0, 0, 0 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, UNCHECKED_WHY },
	{ "a failed gate beats one not checked",
	  { 0, 4, 0, 0, 0 }, 1, 0, 1, 0, 0, PE_EXIT_FAILED, NULL },
	{ "an interruption comes before it",
	  { 0, 4, 0, 0, 0 }, 1, 0, 0, 0, 1, PE_EXIT_INCOMPLETE, NULL },
	{ "it comes before errors and failures",
	  { 0, 3, 2, 1, 0 }, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE, UNCHECKED_WHY },
	{ "and before gates on the verdicts that passed",
	  { 0, 3, 2, 0, 0 }, 1, 1, 0, 0, 0, PE_EXIT_INCOMPLETE, UNCHECKED_WHY },
	/* clang-format on */
};

/* Rows of every kind, so that every rule below has a reason to fire. */
#define MIXED                                                                  \
	{                                                                      \
		0, 3, 2, 1, 1                                                  \
	}

static const struct status_case status_cases[] = {

	/* 1: a gate failed, whatever else happened. */
	{ "gate failed beats errors and interruption", MIXED, 1, 1, 1, 0, 1,
	  PE_EXIT_FAILED, NULL },
	{ "gate failed, rows all passed",
	  { 0, 4, 0, 0, 0 },
	  1,
	  1,
	  2,
	  0,
	  0,
	  PE_EXIT_FAILED,
	  NULL },
	{ "gate failed beats nothing checked",
	  { 0, 0, 0, 0, 0 },
	  1,
	  1,
	  1,
	  0,
	  0,
	  PE_EXIT_FAILED,
	  NULL },
	{ "gate failed in compare", MIXED, 0, 1, 1, 0, 1, PE_EXIT_FAILED,
	  NULL },
	{ "gate failed without a tally",
	  { 1, 0, 0, 0, 0 },
	  0,
	  1,
	  1,
	  0,
	  0,
	  PE_EXIT_FAILED,
	  NULL },

	/* 2: interrupted, before errors and failures are looked at. */
	{ "interrupted with errors and failures", MIXED, 1, 0, 0, 0, 1,
	  PE_EXIT_INCOMPLETE, NULL },
	{ "interrupted, all passed",
	  { 0, 5, 0, 0, 0 },
	  1,
	  0,
	  0,
	  1,
	  1,
	  PE_EXIT_INCOMPLETE,
	  NULL },
	{ "interrupted, gates passed", MIXED, 1, 1, 0, 1, 1, PE_EXIT_INCOMPLETE,
	  NULL },
	{ "interrupted before any row",
	  { 0, 0, 0, 0, 0 },
	  1,
	  0,
	  0,
	  0,
	  1,
	  PE_EXIT_INCOMPLETE,
	  NULL },
	{ "interrupted without a tally",
	  { 1, 0, 0, 0, 0 },
	  1,
	  0,
	  0,
	  0,
	  1,
	  PE_EXIT_INCOMPLETE,
	  NULL },

	/* 2: judged rows errored and --max-errors was not given. */
	{ "errors beat failures", MIXED, 1, 0, 0, 0, 0, PE_EXIT_INCOMPLETE,
	  NULL },
	{ "errors with gates that passed", MIXED, 1, 1, 0, 0, 0,
	  PE_EXIT_INCOMPLETE, NULL },
	{ "one error among passes",
	  { 0, 9, 0, 1, 0 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NULL },
	{ "every row errored",
	  { 0, 0, 0, 3, 0 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NULL },
	/* With --max-errors the errors alone decide nothing. */
	{ "errors allowed, a failure", MIXED, 1, 0, 0, 1, 0, PE_EXIT_FAILED,
	  NULL },
	{ "errors allowed, rest passed",
	  { 0, 4, 0, 2, 0 },
	  1,
	  0,
	  0,
	  1,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "errors allowed, gates passed", MIXED, 1, 1, 0, 1, 0, PE_EXIT_OK,
	  NULL },

	/* 2: nothing was checked. */
	{ "no rows",
	  { 0, 0, 0, 0, 0 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NO_CASES },
	{ "no rows, gates given",
	  { 0, 0, 0, 0, 0 },
	  1,
	  1,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NO_CASES },
	{ "every row skipped",
	  { 0, 0, 0, 0, 4 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "every row skipped, gates passed",
	  { 0, 0, 0, 0, 4 },
	  1,
	  1,
	  0,
	  1,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "every row errored, errors allowed",
	  { 0, 0, 0, 3, 0 },
	  1,
	  0,
	  0,
	  1,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "skipped and errored, errors allowed",
	  { 0, 0, 0, 2, 2 },
	  1,
	  0,
	  0,
	  1,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "one pass among skips is a check",
	  { 0, 1, 0, 0, 5 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "one failure among skips is a check",
	  { 0, 0, 1, 0, 5 },
	  1,
	  1,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },

	/* 1: a judged row failed and no gate was given. */
	{ "a failure, no gates",
	  { 0, 7, 1, 0, 2 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_FAILED,
	  NULL },
	{ "every row failed, no gates",
	  { 0, 0, 3, 0, 0 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_FAILED,
	  NULL },
	/* Gates decide when given. */
	{ "failures, gates passed",
	  { 0, 1, 3, 0, 0 },
	  1,
	  1,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },

	/* 0: otherwise. */
	{ "all passed", { 0, 6, 0, 0, 0 }, 1, 0, 0, 0, 0, PE_EXIT_OK, NULL },
	{ "passes and skips",
	  { 0, 2, 0, 0, 3 },
	  1,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "no tally (judges no rows)",
	  { 1, 0, 0, 0, 0 },
	  0,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "no tally, gates passed",
	  { 1, 0, 0, 0, 0 },
	  0,
	  1,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },

	/* merge (judge_rows 0): only gates and "nothing". */
	{ "merge: failures count for nothing",
	  { 0, 1, 5, 0, 0 },
	  0,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "merge: errors count for nothing",
	  { 0, 1, 0, 4, 0 },
	  0,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_OK,
	  NULL },
	{ "merge: errors and failures", MIXED, 0, 0, 0, 0, 0, PE_EXIT_OK,
	  NULL },
	{ "merge: no rows",
	  { 0, 0, 0, 0, 0 },
	  0,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NO_CASES },
	{ "merge: every row errored",
	  { 0, 0, 0, 2, 0 },
	  0,
	  0,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "merge: every row skipped",
	  { 0, 0, 0, 0, 2 },
	  0,
	  1,
	  0,
	  0,
	  0,
	  PE_EXIT_INCOMPLETE,
	  NONE_DECIDED },
	{ "merge: interrupted",
	  { 0, 1, 0, 0, 0 },
	  0,
	  0,
	  0,
	  0,
	  1,
	  PE_EXIT_INCOMPLETE,
	  NULL },
};

/* Fills t by adding one row per counted verdict. */
static void fill_tally(struct pe_tally *t, const struct counts *c)
{
	static const enum pe_verdict verdicts[] = { PE_VERDICT_PASS,
						    PE_VERDICT_FAIL,
						    PE_VERDICT_ERROR,
						    PE_VERDICT_SKIP };
	size_t n[] = { c->pass, c->fail, c->error, c->skip };

	pe_tally_init(t);
	for (size_t v = 0; v < COUNT(verdicts); v++) {
		for (size_t i = 0; i < n[v]; i++) {
			struct pe_result row;

			pe_result_init(&row);
			row.status = verdicts[v];
			row.score = verdicts[v] == PE_VERDICT_PASS ? 1 : 0;
			pe_tally_add(t, &row);
		}
	}
	pe_tally_finish(t);
}

/* Checks one case; returns 1 when it holds. */
static int check_case(const struct status_case *c, int ungraded_allowed,
		      size_t unchecked)
{
	struct pe_tally t;
	struct pe_outcome o;
	const char *why = "stale";
	int got, got_without_why;

	fill_tally(&t, &c->rows);
	memset(&o, 0, sizeof(o));
	o.tally = c->rows.no_tally ? NULL : &t;
	o.judge_rows = c->judge_rows;
	o.gates_given = c->gates_given;
	o.gates_failed = c->gates_failed;
	o.gates_unchecked = unchecked;
	o.errors_allowed = c->errors_allowed;
	o.ungraded_allowed = ungraded_allowed;
	o.interrupted = c->interrupted;
	got = pe_exit_status(&o, &why);
	got_without_why = pe_exit_status(&o, NULL);
	if (got == c->want && got_without_why == c->want &&
	    (c->why ? why && !strcmp(why, c->why) : why == NULL))
		return 1;
	print_error("%s: status %d (%d without why), why \"%s\"; want %d, "
		    "\"%s\"\n",
		    c->what, got, got_without_why, why ? why : "(null)",
		    c->want, c->why ? c->why : "(null)");
	return 0;
}

static void test_exit_status(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < COUNT(status_cases); i++)
		failures += !check_case(&status_cases[i], 1, 0);
	for (size_t i = 0; i < COUNT(ungraded_cases); i++)
		failures += !check_case(&ungraded_cases[i], 0, 0);
	for (size_t i = 0; i < COUNT(unchecked_cases); i++)
		failures += !check_case(&unchecked_cases[i], 0, 1);
	assert_int_equal(failures, 0);
}

static void test_print_exit_codes(void **state)
{
	static const char want[] =
		"exit status:\n"
		"  0  all good\n"
		"  1  evaluations or gates failed\n"
		"  2  incomplete (errors or ungraded cases)\n"
		"  3  invalid input, nothing sent\n"
		"  4  usage error\n"
		"  5  system error\n";
	char got[1024];
	FILE *f = tmpfile();
	size_t n;

	(void)state;
	assert_non_null(f);
	pe_print_exit_codes(f);
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_string_equal(got, want);
	/* The table and the enum agree on the numbers. */
	assert_int_equal(PE_EXIT_OK, 0);
	assert_int_equal(PE_EXIT_FAILED, 1);
	assert_int_equal(PE_EXIT_INCOMPLETE, 2);
	assert_int_equal(PE_EXIT_INVALID, 3);
	assert_int_equal(PE_EXIT_USAGE, 4);
	assert_int_equal(PE_EXIT_SYSTEM, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_print_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
