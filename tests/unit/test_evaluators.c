/*
 * Unit tests for the evaluator family (evaluators/): every kind driven the
 * way "prompteval score" drives it.  Each row is a prompt file's
 * evaluators (YAML), a model output and the expected verdict, score and
 * exact one-line reason.  The prompt is loaded with pe_prompt_load_buffer,
 * compiled with pe_evaluators_compile and scored with pe_score_case
 * against its one test case.  Other tables cover compile errors with their
 * positions inside the YAML, case verdicts (weights, threshold, skip and
 * error), empty outputs, a 10 MB output and catastrophic backtracking.
 *
 * Every row of a table is run and every mismatch printed before the test
 * fails, so one broken row never hides another.  Rows marked "Regression
 * (fixed)" pin bugs found by these tables and since fixed.
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

#include "harness/core/diag.h"
#include "harness/load/prompt.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/results/aggregate.h"
#include "evaluators/evaluator.h"
#include "evaluators/workers.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

enum {
	PASS = PE_VERDICT_PASS,
	FAIL = PE_VERDICT_FAIL,
	SKIP = PE_VERDICT_SKIP,
	UNGRADED = PE_VERDICT_UNGRADED,
	ERROR = PE_VERDICT_ERROR
};

/* How a row's reason is compared. */
enum { EXACT, CONTAINS };

/*
 * The prompt around the evaluators under test.  Its evaluators start on
 * line 11 (one more per line of "extra").  The one test case has the
 * variables input and table and the expected value "Hello World".
 */
static const char base_header[] = "name: t\n"
				  "model: openai/gpt-4o\n"
				  "messages:\n"
				  "  - role: user\n"
				  "    content: \"{{input}}\"\n"
				  "testData:\n"
				  "  - input: x\n"
				  "    expected: Hello World\n"
				  "    table: users\n";

struct loaded {
	struct pe_diag *diag;
	struct pe_prompt *prompt;
	int rc;
};

static void load(struct loaded *l, const char *extra, const char *evaluators)
{
	char *yaml = xstrfmt("%s%sevaluators:\n%s", base_header,
			     extra ? extra : "", evaluators);

	l->diag = pe_diag_new();
	l->prompt = pe_prompt_load_buffer("t.prompt.yml", yaml, strlen(yaml),
					  l->diag);
	free(yaml);
	l->rc = PE_ERR_INVALID;
	if (l->prompt) {
		l->rc = pe_evaluators_compile(l->prompt, l->diag);
		if (pe_diag_count(l->diag, PE_SEV_ERROR))
			l->rc = PE_ERR_INVALID;
	}
}

static void unload(struct loaded *l)
{
	if (l->prompt) {
		pe_evaluators_release(l->prompt);
		pe_prompt_free(l->prompt);
	}
	pe_diag_free(l->diag);
}

static void print_diags(const char *row, const struct pe_diag *d)
{
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);

		print_error("%s: %u:%u: %s: %s\n", row, e->line, e->col,
			    pe_severity_name(e->severity), e->message);
	}
}

/* Reasons go into results.json and terminals: valid UTF-8, one line. */
static int reason_is_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = *p < 0x80		 ? 1
			   : (*p & 0xe0) == 0xc0 ? 2
			   : (*p & 0xf0) == 0xe0 ? 3
			   : (*p & 0xf8) == 0xf0 ? 4
						 : 0;

		if (!n || *p == '\n' || *p == '\r')
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

static int result_is(const char *row, const struct pe_eval_result *r,
		     int verdict, double score, const char *reason, int how)
{
	int ok = (int)r->verdict == verdict && fabs(r->score - score) < 1e-9 &&
		 reason_is_clean(r->reason) &&
		 (how == CONTAINS ? strstr(r->reason, reason) != NULL
				  : !strcmp(r->reason, reason));

	if (!ok)
		print_error(
			"%s:\n  got  %s %.4f \"%s\"\n  want %s %.4f %s\"%s\""
			"%s\n",
			row, pe_verdict_name(r->verdict), r->score, r->reason,
			pe_verdict_name((enum pe_verdict)verdict), score,
			how == CONTAINS ? "containing " : "", reason,
			reason_is_clean(r->reason) ? ""
						   : " (reason not clean)");
	return ok;
}

/* One evaluator, one output. */
struct eval_case {
	const char *name;
	const char *evaluator; /* YAML under "evaluators:" */
	const char *output;
	int verdict;
	double score;
	const char *reason;
	int how; /* EXACT unless CONTAINS */
};

static int run_eval_case(const char *extra, const struct eval_case *c,
			 const char *output, size_t len)
{
	struct loaded l;
	struct pe_case_score s;
	/* Python workers start only for the rows that need one. */
	struct pe_workers *workers = pe_workers_new(1);
	struct pe_score_env env = { workers, "openai:gpt-4o" };
	int ok;

	load(&l, extra, c->evaluator);
	if (l.rc) {
		print_error("%s: did not compile\n", c->name);
		print_diags(c->name, l.diag);
		unload(&l);
		pe_workers_free(workers);
		return 0;
	}
	pe_score_case(l.prompt, &l.prompt->cases[0], output, len, &env, &s);
	ok = s.nresults == 1;
	if (!ok)
		print_error("%s: %zu results, want 1\n", c->name, s.nresults);
	else
		ok = result_is(c->name, &s.results[0], c->verdict, c->score,
			       c->reason, c->how);
	pe_case_score_release(&s);
	unload(&l);
	pe_workers_free(workers);
	return ok;
}

static size_t run_eval_table(const char *extra, const struct eval_case *rows,
			     size_t n)
{
	size_t failures = 0;

	for (size_t i = 0; i < n; i++)
		failures += !run_eval_case(extra, &rows[i], rows[i].output,
					   strlen(rows[i].output));
	return failures;
}

/* A migration plan answer that most tables check. */
static const char plan[] =
	"# Zero-Downtime Migration\n"
	"\n"
	"## Migration Strategy\n"
	"\n"
	"We use **expand and contract**: add the new column, backfill, then "
	"switch reads.\n"
	"\n"
	"## Pre-Migration Checklist\n"
	"\n"
	"- Take a **verified** backup\n"
	"- Check replication lag\n"
	"\n"
	"## Phase Plan\n"
	"\n"
	"1. Expand: add the column\n"
	"2. Backfill in batches\n"
	"3. Contract: drop the old column\n"
	"\n"
	"### Step 2: Backfill\n"
	"\n"
	"Backfill 10,000 rows per batch.\n"
	"\n"
	"```sql\n"
	"CREATE INDEX CONCURRENTLY idx_users_email ON users (email);\n"
	"```\n"
	"\n"
	"## Risk Register\n"
	"\n"
	"| Risk | Likelihood | Impact | Mitigation |\n"
	"|---|---|---|---|\n"
	"| Lock contention | HIGH | HIGH | Use CONCURRENTLY |\n"
	"| Replication lag | MEDIUM | LOW | Throttle batches |\n"
	"\n"
	"- Likelihood: HIGH for locks\n"
	"\n"
	"## Rollback\n"
	"\n"
	"Restore from backup.\n";

/* string */

static const struct eval_case string_cases[] = {
	{ "contains", "- string: {contains: users}",
	  "ALTER TABLE users ADD COLUMN", PASS, 1, "contains 'users'", EXACT },
	{ "contains ignores case (gh-models)", "- string: {contains: USERS}",
	  "alter table users", PASS, 1, "contains 'USERS'", EXACT },
	{ "contains fails", "- string: {contains: pglogical}", "use pg_dump",
	  FAIL, 0, "does not contain 'pglogical'", EXACT },
	{ "icontains", "- string: {icontains: PG_DUMP}", "use pg_dump", PASS, 1,
	  "contains 'PG_DUMP'", EXACT },
	{ "equals on the trimmed output", "- string: {equals: Hello World}",
	  "  Hello World\n", PASS, 1, "equals 'Hello World'", EXACT },
	{ "equals is case-sensitive (gh-models)",
	  "- string: {equals: hello world}", "Hello World", FAIL, 0,
	  "does not equal 'hello world'", EXACT },
	{ "equals needs the whole output", "- string: {equals: Hello}",
	  "Hello World", FAIL, 0, "does not equal 'Hello'", EXACT },
	{ "startsWith ignores case and leading space",
	  "- string: {startsWith: hello}", "\n  Hello World", PASS, 1,
	  "starts with 'hello'", EXACT },
	{ "startsWith fails", "- string: {startsWith: World}", "Hello World",
	  FAIL, 0, "does not start with 'World'", EXACT },
	{ "endsWith ignores case and trailing space",
	  "- string: {endsWith: WORLD}", "Hello World  \n", PASS, 1,
	  "ends with 'WORLD'", EXACT },
	{ "endsWith fails", "- string: {endsWith: Hello}", "Hello World", FAIL,
	  0, "does not end with 'Hello'", EXACT },
	{ "containsAny names what it found",
	  "- string: {containsAny: [pglogical, pg_dump]}", "use pg_dump", PASS,
	  1, "contains 'pg_dump'", EXACT },
	{ "containsAny fails", "- string: {containsAny: [pglogical, bucardo]}",
	  "use pg_dump", FAIL, 0,
	  "does not contain any of 'pglogical', 'bucardo'", EXACT },
	{ "containsAll passes", "- string: {containsAll: [pg_dump, PGLOGICAL]}",
	  "pg_dump and pglogical", PASS, 1, "contains 'pg_dump', 'PGLOGICAL'",
	  EXACT },
	{ "containsAll scores the share found",
	  "- string: {containsAll: [pg_dump, pglogical, bucardo]}",
	  "pg_dump and pglogical", FAIL, 2.0 / 3, "does not contain 'bucardo'",
	  EXACT },
	{ "containsAll lists every missing one",
	  "- string: {containsAll: [pg_dump, pglogical, bucardo]}", "pg_dump",
	  FAIL, 1.0 / 3, "does not contain 'pglogical', 'bucardo'", EXACT },
	{ "notContains passes", "- string: {notContains: DROP TABLE}",
	  "ALTER TABLE users", PASS, 1, "not: does not contain 'DROP TABLE'",
	  EXACT },
	{ "notContains fails and names the text",
	  "- string: {notContains: DROP TABLE}", "then drop table users", FAIL,
	  0, "not: contains 'DROP TABLE'", EXACT },
	{ "does_not_contain", "- string: {does_not_contain: DROP}", "x", PASS,
	  1, "not: does not contain 'DROP'", EXACT },
	{ "{{expected}} is the case's expected value",
	  "- string: {contains: \"{{expected}}\"}", "I said hello world!", PASS,
	  1, "contains 'Hello World'", EXACT },
	{ "{{expected}} in the reason is rendered",
	  "- string: {contains: \"{{expected}}\"}", "bye", FAIL, 0,
	  "does not contain 'Hello World'", EXACT },
	{ "case variables", "- string: {equals: \"table {{table}}\"}",
	  "table users", PASS, 1, "equals 'table users'", EXACT },
	{ "type: contains", "- type: contains\n  value: users", "USERS", PASS,
	  1, "contains 'users'", EXACT },
	{ "type: includes", "- type: includes\n  value: pg_dump", "no", FAIL, 0,
	  "does not contain 'pg_dump'", EXACT },
	{ "two checks in one string: mapping: skipped, not half checked",
	  "- string: {contains: World, equals: Hello}", "Hello World", SKIP, 0,
	  "string: 'contains' beside 'equals': a string evaluator checks one "
	  "thing",
	  EXACT },
	{ "long values are shortened in reasons",
	  "- string: {contains: "
	  "0123456789012345678901234567890123456789012345678901234567890123456"
	  "789}",
	  "x", FAIL, 0,
	  "does not contain "
	  "'012345678901234567890123456789012345678901234567890123456789...'",
	  EXACT },
	/*
	 * Regression (fixed): string.c (quote_value) shortens long values to 60 bytes
	 * with "%.*s", which can cut a UTF-8 character in half; the reason
	 * (and results.json) then holds invalid UTF-8.  Here "\xc3\xa9"
	 * starts at byte 59 and the reason ends in a lone "\xc3" before
	 * "...".
	 */
	{ "long values are shortened on a character boundary",
	  "- string: {contains: "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9"
	  "bbbb}",
	  "x", FAIL, 0,
	  "does not contain "
	  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'",
	  EXACT },
	{ "newlines in values stay on one line",
	  "- string: {contains: \"a\\nb\"}", "ab", FAIL, 0,
	  "does not contain 'a b'", EXACT },
};

/* Characters the Unicode rows use, as UTF-8. */
#define E_ACUTE		      "\xc3\xa9"			 /* é */
#define CAPITAL_E_ACUTE	      "\xc3\x89"			 /* É */
#define COMBINING_ACUTE	      "\xcc\x81"			 /* U+0301 */
#define SHARP_S		      "\xc3\x9f"			 /* ß */
#define CAPITAL_ODOS	      "\xce\x9f\xce\x94\xce\x9f\xce\xa3" /* ΟΔΟΣ */
#define FINAL_ODOS	      "\xce\xbf\xce\xb4\xce\xbf\xcf\x82" /* οδος */
#define CAPITAL_ETA	      "\xce\x97"			 /* Η */
#define CAPITAL_I_DOT	      "\xc4\xb0"			 /* İ */
#define IDEOGRAPHIC_SPACE     "\xe3\x80\x80"			 /* U+3000 */
#define NO_BREAK_SPACE	      "\xc2\xa0"			 /* U+00A0 */
#define NEXT_LINE	      "\xc2\x85"			 /* U+0085 */
#define EM_SPACE	      "\xe2\x80\x83"			 /* U+2003 */
#define LINE_SEPARATOR	      "\xe2\x80\xa8"			 /* U+2028 */
#define ZERO_WIDTH_SPACE      "\xe2\x80\x8b"			 /* U+200B */
#define STRAY_BYTE	      "\xff"	     /* never in UTF-8 */
#define REPLACEMENT_CHARACTER "\xef\xbf\xbd" /* U+FFFD */

/*
 * Unicode: checks other than equals compare case-folded text (full case
 * folding with NFC), the answer is trimmed of Unicode white space, and
 * invalid UTF-8 in the answer folds to U+FFFD.
 */
static const struct eval_case string_unicode_cases[] = {
	{ "contains folds accented capitals",
	  "- string: {contains: " CAPITAL_E_ACUTE "COLE}",
	  "une " E_ACUTE "cole", PASS, 1, "contains '" CAPITAL_E_ACUTE "COLE'",
	  EXACT },
	{ "contains: a combining mark matches the precomposed letter",
	  "- string: {contains: " E_ACUTE "cole}",
	  "une E" COMBINING_ACUTE "COLE", PASS, 1, "contains '" E_ACUTE "cole'",
	  EXACT },
	{ "contains: sharp s folds to ss", "- string: {contains: STRASSE}",
	  "die Stra" SHARP_S "e", PASS, 1, "contains 'STRASSE'", EXACT },
	{ "contains: final sigma matches capital sigma",
	  "- string: {contains: " CAPITAL_ODOS "}", "a " FINAL_ODOS ".", PASS,
	  1, "contains '" CAPITAL_ODOS "'", EXACT },
	{ "contains: dotted capital I folds to i and a dot, not to i",
	  "- string: {contains: istanbul}", CAPITAL_I_DOT "STANBUL", FAIL, 0,
	  "does not contain 'istanbul'", EXACT },
	{ "contains: dotted capital I matches itself in any case",
	  "- string: {contains: " CAPITAL_I_DOT "stanbul}",
	  CAPITAL_I_DOT "STANBUL", PASS, 1,
	  "contains '" CAPITAL_I_DOT "stanbul'", EXACT },
	{ "contains: other letters stay distinct",
	  "- string: {contains: ecole}", "une " E_ACUTE "cole", FAIL, 0,
	  "does not contain 'ecole'", EXACT },
	{ "startsWith folds case", "- string: {startsWith: " E_ACUTE "lan}",
	  CAPITAL_E_ACUTE "LAN vital", PASS, 1, "starts with '" E_ACUTE "lan'",
	  EXACT },
	{ "endsWith folds case after trailing Unicode white space",
	  "- string: {endsWith: " FINAL_ODOS "}",
	  CAPITAL_ETA " " CAPITAL_ODOS EM_SPACE NO_BREAK_SPACE "\n", PASS, 1,
	  "ends with '" FINAL_ODOS "'", EXACT },
	{ "icontains folds case",
	  "- string: {icontains: " CAPITAL_E_ACUTE "T" CAPITAL_E_ACUTE "}",
	  "en " E_ACUTE "t" E_ACUTE, PASS, 1,
	  "contains '" CAPITAL_E_ACUTE "T" CAPITAL_E_ACUTE "'", EXACT },
	{ "containsAll folds case",
	  "- string: {containsAll: [" CAPITAL_E_ACUTE "COLE, " SHARP_S "]}",
	  "STRASSE " E_ACUTE "cole", PASS, 1,
	  "contains '" CAPITAL_E_ACUTE "COLE', '" SHARP_S "'", EXACT },
	{ "notContains folds case",
	  "- string: {notContains: " CAPITAL_E_ACUTE "COLE}",
	  "une " E_ACUTE "cole", FAIL, 0,
	  "not: contains '" CAPITAL_E_ACUTE "COLE'", EXACT },
	{ "type: contains folds case",
	  "- type: contains\n  value: " CAPITAL_E_ACUTE "COLE", E_ACUTE "cole",
	  PASS, 1, "contains '" CAPITAL_E_ACUTE "COLE'", EXACT },
	{ "equals keeps case beyond ASCII",
	  "- string: {equals: " E_ACUTE "cole}", CAPITAL_E_ACUTE "cole", FAIL,
	  0, "does not equal '" E_ACUTE "cole'", EXACT },
	{ "equals compares bytes: no normalisation",
	  "- string: {equals: " E_ACUTE "cole}", "e" COMBINING_ACUTE "cole",
	  FAIL, 0, "does not equal '" E_ACUTE "cole'", EXACT },
	{ "equals on an answer trimmed of Unicode white space",
	  "- string: {equals: Hello World}",
	  IDEOGRAPHIC_SPACE NEXT_LINE
	  " Hello World" NO_BREAK_SPACE LINE_SEPARATOR "\n",
	  PASS, 1, "equals 'Hello World'", EXACT },
	{ "zero-width space is not trimmed", "- string: {equals: Hello}",
	  "Hello" ZERO_WIDTH_SPACE, FAIL, 0, "does not equal 'Hello'", EXACT },
	{ "the value is not trimmed (gh-models)",
	  "- string: {equals: \"Hello \"}", "Hello ", FAIL, 0,
	  "does not equal 'Hello '", EXACT },
	{ "invalid UTF-8 in the answer folds to U+FFFD",
	  "- string: {contains: caf" E_ACUTE "}",
	  STRAY_BYTE "CAF" CAPITAL_E_ACUTE STRAY_BYTE, PASS, 1,
	  "contains 'caf" E_ACUTE "'; 2 bytes of the answer are not UTF-8 "
	  "(read as U+FFFD)",
	  EXACT },
	{ "each invalid byte in the answer compares as U+FFFD",
	  "- string: {contains: \"a\\uFFFD\\uFFFDz\"}", "xA" STRAY_BYTE "\x80Z",
	  PASS, 1,
	  "contains 'a" REPLACEMENT_CHARACTER REPLACEMENT_CHARACTER
	  "z'; 2 bytes of the answer are not UTF-8 (read as U+FFFD)",
	  EXACT },
	{ "invalid UTF-8 in the answer: a miss is a plain failure",
	  "- string: {startsWith: caf}", STRAY_BYTE "caf\xc3", FAIL, 0,
	  "does not start with 'caf'; 2 bytes of the answer are not "
	  "UTF-8 (read as U+FFFD)",
	  EXACT },
	{ "invalid UTF-8 does not trim", "- string: {endsWith: end}",
	  "the end \xc3", FAIL, 0,
	  "does not end with 'end'; 1 byte of the answer is not UTF-8 "
	  "(read as U+FFFD)",
	  EXACT },
	{ "invalid UTF-8 in the answer: equals compares bytes",
	  "- string: {equals: \"a b\"}", " a b\xff\n", FAIL, 0,
	  "does not equal 'a b'", EXACT },
};

/*
 * gh-models precedence: the first of equals > contains > startsWith >
 * endsWith whose value is not empty is the check.
 */
static const struct eval_case string_precedence_cases[] = {
	{ "empty equals: contains is checked",
	  "- string: {equals: '', contains: World}", "Hello World", PASS, 1,
	  "contains 'World'", EXACT },
	{ "null equals: contains is checked",
	  "- string: {equals: null, contains: World}", "Hello World", PASS, 1,
	  "contains 'World'", EXACT },
	{ "empty equals and contains: startsWith is checked",
	  "- string: {equals: '', contains: '', startsWith: hello}",
	  "Hello World", PASS, 1, "starts with 'hello'", EXACT },
	{ "empty contains: endsWith is checked and fails",
	  "- string: {contains: '', endsWith: Hello}", "Hello World", FAIL, 0,
	  "does not end with 'Hello'", EXACT },
	{ "set equals and contains: skipped (gh-models checks equals only)",
	  "- string: {contains: World, equals: Hello World}", "Hello World",
	  SKIP, 0,
	  "string: 'contains' beside 'equals': a string evaluator checks one "
	  "thing",
	  EXACT },
	{ "empty keys of prompteval's own come after",
	  "- string: {endsWith: '', containsAny: [x, World]}", "Hello World",
	  PASS, 1, "contains 'World'", EXACT },
};

/*
 * A value that renders empty checks nothing: a failure, with or without
 * "not:".  The case has the variable empty: ''.
 */
static const char string_empty_extra[] = "    empty: ''\n"
					 "    blank: \"  \"\n";

static const struct eval_case string_empty_cases[] = {
	{ "a variable that is only white space checks nothing either",
	  "- string: {notContains: \"{{blank}}\"}", "no-space", FAIL, 0,
	  "the value '{{blank}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "but a space written as the value is checked",
	  "- string: {contains: \" \"}", "a b", PASS, 1, "contains ' '",
	  EXACT },
	{ "contains a variable that is empty",
	  "- string: {contains: \"{{empty}}\"}", "anything", FAIL, 0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "equals a variable that is empty, on an empty answer",
	  "- string: {equals: \"{{empty}}\"}", "", FAIL, 0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "notContains a variable that is empty still fails",
	  "- string: {notContains: \"{{empty}}\"}", "anything", FAIL, 0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "not: true over an empty value still fails",
	  "- string: {contains: \"{{empty}}\"}\n  not: true", "anything", FAIL,
	  0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "containsAny with one item that is empty",
	  "- string: {containsAny: [anything, \"{{empty}}\"]}", "anything",
	  FAIL, 0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "type: contains with an empty variable",
	  "- type: contains\n  value: \"{{empty}}\"", "anything", FAIL, 0,
	  "the value '{{empty}}' is empty (or white space) for this case, so "
	  "nothing was checked",
	  EXACT },
	{ "a value that is not empty with the variable is checked",
	  "- string: {contains: \"x{{empty}}y\"}", "axyb", PASS, 1,
	  "contains 'xy'", EXACT },
};

static void test_string(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, string_cases, ARRAY_SIZE(string_cases)),
		0);
}

static void test_string_unicode(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, string_unicode_cases,
					ARRAY_SIZE(string_unicode_cases)),
			 0);
}

static void test_string_precedence(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, string_precedence_cases,
					ARRAY_SIZE(string_precedence_cases)),
			 0);
}

static void test_string_empty_value(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(string_empty_extra, string_empty_cases,
					ARRAY_SIZE(string_empty_cases)),
			 0);
}

/* regex */

static const struct eval_case regex_cases[] = {
	{ "regex: shorthand", "- regex: 'CREATE\\s+INDEX'", plan, PASS, 1,
	  "/CREATE\\s+INDEX/ matched at least 1 time", EXACT },
	{ "no match", "- regex: 'DROP\\s+TABLE'", plan, FAIL, 0,
	  "no match for /DROP\\s+TABLE/", EXACT },
	{ "type: regex + pattern",
	  "- type: regex\n  pattern: 'Likelihood'\n  count: {min: 2}", plan,
	  PASS, 1, "/Likelihood/ matched at least 2 times", EXACT },
	{ "type: regex_match + regex", "- type: regex_match\n  regex: CREATE",
	  plan, PASS, 1, "/CREATE/ matched at least 1 time", EXACT },
	{ "regex mapping", "- regex: {pattern: 'Rollback'}", plan, PASS, 1,
	  "/Rollback/ matched at least 1 time", EXACT },
	{ "string: {regex: ...}", "- string: {regex: '\\d+,\\d{3}'}", plan,
	  PASS, 1, "/\\d+,\\d{3}/ matched at least 1 time", EXACT },
	{ "count min not reached",
	  "- type: regex\n  pattern: 'Likelihood:?\\s*(LOW|MEDIUM|HIGH)'\n"
	  "  count: {min: 3}",
	  plan, FAIL, 0,
	  "/Likelihood:?\\s*(LOW|MEDIUM|HIGH)/ matched 1 time, expected at "
	  "least 3",
	  EXACT },
	{ "count bare number", "- regex: {pattern: HIGH, count: 3}", plan, PASS,
	  1, "/HIGH/ matched at least 3 times", EXACT },
	{ "count range holds",
	  "- regex: {pattern: HIGH, count: {min: 2, max: "
	  "3}}",
	  plan, PASS, 1, "/HIGH/ matched 3 times", EXACT },
	{ "count above max",
	  "- regex: {pattern: '\\bHIGH\\b', count: {min: 1, "
	  "max: 2}}",
	  plan, FAIL, 0, "/\\bHIGH\\b/ matched 3 times, expected 1 to 2",
	  EXACT },
	{ "count max only", "- regex: {pattern: MEDIUM, count: {max: 0}}", plan,
	  FAIL, 0, "/MEDIUM/ matched 1 time, expected at most 0", EXACT },
	{ "count exact", "- regex: {pattern: MEDIUM, count: {min: 1, max: 1}}",
	  plan, PASS, 1, "/MEDIUM/ matched 1 time", EXACT },
	{ "case-sensitive by default", "- regex: 'create index'", plan, FAIL, 0,
	  "no match for /create index/", EXACT },
	{ "flag i", "- regex: {pattern: 'create index', flags: i}", plan, PASS,
	  1, "/create index/ matched at least 1 time", EXACT },
	{ "flags beside regex:", "- regex: 'create index'\n  flags: i", plan,
	  PASS, 1, "/create index/ matched at least 1 time", EXACT },
	{ "flag m", "- regex: {pattern: '^## Rollback$', flags: m}", plan, PASS,
	  1, "/^## Rollback$/ matched at least 1 time", EXACT },
	{ "without m, ^ is the start", "- regex: '^## Rollback$'", plan, FAIL,
	  0, "no match for /^## Rollback$/", EXACT },
	{ "flag s", "- regex: {pattern: 'Strategy.*Rollback', flags: s}", plan,
	  PASS, 1, "/Strategy.*Rollback/ matched at least 1 time", EXACT },
	{ "without s, . stops at newlines", "- regex: 'Strategy.*Rollback'",
	  plan, FAIL, 0, "no match for /Strategy.*Rollback/", EXACT },
	{ "flag x",
	  "- regex: {pattern: 'CREATE \\s+ INDEX  # comment', flags: "
	  "x}",
	  plan, PASS, 1,
	  "/CREATE \\s+ INDEX  # comment/ matched at least 1 "
	  "time",
	  EXACT },
	{ "flags imsx",
	  "- regex: {pattern: '^ \\#\\# \\s rollback $ .. "
	  "restore', flags: imsx}",
	  plan, PASS, 1,
	  "/^ \\#\\# \\s rollback $ .. restore/ matched at least 1 time",
	  EXACT },
	{ "inline (?i)", "- regex: '(?i)create index'", plan, PASS, 1,
	  "/(?i)create index/ matched at least 1 time", EXACT },
	{ "inline (?s)", "- regex: '(?s)Strategy.*Rollback'", plan, PASS, 1,
	  "/(?s)Strategy.*Rollback/ matched at least 1 time", EXACT },
	{ "inline (?m)", "- regex: '(?m)^## Rollback$'", plan, PASS, 1,
	  "/(?m)^## Rollback$/ matched at least 1 time", EXACT },
	{ "lookahead", "- regex: 'CREATE INDEX(?= CONCURRENTLY)'", plan, PASS,
	  1, "/CREATE INDEX(?= CONCURRENTLY)/ matched at least 1 time", EXACT },
	{ "negative lookahead", "- regex: 'CREATE INDEX(?! CONCURRENTLY)'",
	  plan, FAIL, 0, "no match for /CREATE INDEX(?! CONCURRENTLY)/",
	  EXACT },
	{ "lookbehind", "- regex: '(?<=Use )CONCURRENTLY'", plan, PASS, 1,
	  "/(?<=Use )CONCURRENTLY/ matched at least 1 time", EXACT },
	{ "negative lookbehind",
	  "- regex: {pattern: '(?<!Use )CONCURRENTLY', "
	  "count: {min: 2}}",
	  plan, FAIL, 0,
	  "/(?<!Use )CONCURRENTLY/ matched 1 time, expected at least 2",
	  EXACT },
	{ "UTF-8 pattern, caseless",
	  "- regex: {pattern: '\xc3\xbc"
	  "berblick', flags: i}",
	  "## \xc3\x9c"
	  "BERBLICK\n",
	  PASS, 1,
	  "/\xc3\xbc"
	  "berblick/ matched at least 1 time",
	  EXACT },
	{ "target: only that section",
	  "- regex: {pattern: HIGH, target: Risk Register, count: 3}", plan,
	  PASS, 1, "/HIGH/ matched at least 3 times", EXACT },
	{ "target: not in that section",
	  "- regex: {pattern: Restore, target: Risk Register}", plan, FAIL, 0,
	  "no match for /Restore/ in section Risk Register", EXACT },
	{ "target: a ## section holds its ###",
	  "- regex: {pattern: '10,000 rows', target: Phase Plan}", plan, PASS,
	  1, "/10,000 rows/ matched at least 1 time", EXACT },
	{ "target: a section stops at the next ##",
	  "- regex: {pattern: CONTRACT, flags: i, target: Pre-Migration "
	  "Checklist}",
	  plan, FAIL, 0,
	  "no match for /CONTRACT/ in section Pre-Migration "
	  "Checklist",
	  EXACT },
	{ "target: matched like headings",
	  "- type: regex\n  pattern: HIGH\n  target: '3. **risk register**:'",
	  plan, PASS, 1, "/HIGH/ matched at least 1 time", EXACT },
	{ "target: missing section",
	  "- regex: {pattern: HIGH, target: Glossary}", plan, FAIL, 0,
	  "section 'Glossary' not found", EXACT },
	{ "target: output is the whole output",
	  "- regex: {pattern: 'Migration.*', target: output, count: 3}", plan,
	  PASS, 1, "/Migration.*/ matched at least 3 times", EXACT },
	{ "match: false passes without a match",
	  "- regex: {pattern: 'DROP TABLE', match: false}", plan, PASS, 1,
	  "not: no match for /DROP TABLE/", EXACT },
	{ "match: false fails on a match",
	  "- regex: {pattern: CONCURRENTLY, match: false}", plan, FAIL, 0,
	  "not: /CONCURRENTLY/ matched at least 1 time", EXACT },
	/*
	 * Regression (fixed): evalspec.c reads "match" only inside a regex mapping; beside
	 * "type: regex" or "regex: '...'" it is accepted (no warning, it is
	 * a known key) and ignored, so the check is not inverted: these give
	 * FAIL "no match for /DROP TABLE/".
	 */
	{ "match: false beside type: regex",
	  "- type: regex\n  pattern: 'DROP TABLE'\n  match: false", plan, PASS,
	  1, "not: no match for /DROP TABLE/", EXACT },
	{ "match: false beside regex:", "- regex: 'DROP TABLE'\n  match: false",
	  plan, PASS, 1, "not: no match for /DROP TABLE/", EXACT },
	{ "a list of patterns", "- regex: [CREATE, Rollback]", plan, PASS, 1,
	  "all 2 patterns matched", EXACT },
	{ "a list of patterns names the missing ones",
	  "- regex: [CREATE, DROP, TRUNCATE]", plan, FAIL, 1.0 / 3,
	  "no match for /DROP/, /TRUNCATE/ (1 of 3 patterns matched)", EXACT },
	{ "a list of patterns: count for each, in a section",
	  "- regex: {pattern: [HIGH, MEDIUM], target: Risk Register, count: "
	  "2}",
	  plan, FAIL, 0.5,
	  "/MEDIUM/ matched 1 time, each needs at least 2 in section Risk "
	  "Register (1 of 2 patterns matched)",
	  EXACT },
	/* Settings beside "string: {regex: ...}" are read too. */
	{ "string: {regex, flags}",
	  "- string: {regex: 'create index', flags: "
	  "i}",
	  plan, PASS, 1, "/create index/ matched at least 1 time", EXACT },
	{ "long patterns are shortened",
	  "- regex: 'Zero-Downtime Migration(?: and a very long tail)?'", plan,
	  PASS, 1,
	  "/Zero-Downtime Migration(?: and a very.../ matched at least 1 "
	  "time",
	  EXACT },
	/*
	 * Regression (fixed): regex.c shortens patterns to 37 bytes with "%.37s", which
	 * can cut a UTF-8 character: here "\xc3\xbc" starts at byte 36 and
	 * the reason holds a lone "\xc3".
	 */
	{ "long patterns are shortened on a character boundary",
	  "- regex: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xbc"
	  "bbbbbbbbbbbbbb'",
	  "x", FAIL, 0,
	  "no match for /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.../", EXACT },
	/*
	 * Regression (fixed): PCRE2 is compiled with the default newline (LF), so with
	 * CRLF output "$" in multiline mode never matches at a line end
	 * (the \r is in the way), although headings and sections handle
	 * CRLF.  PCRE2_NEWLINE_ANYCRLF in a compile context would fix it.
	 */
	{ "CRLF and (?m)$", "- regex: '(?m)^Likelihood: HIGH$'",
	  "Risks\r\nLikelihood: HIGH\r\nmore\r\n", PASS, 1,
	  "/(?m)^Likelihood: HIGH$/ matched at least 1 time", EXACT },
	{ "invalid UTF-8 in the output is data", "- regex: 'HIGH'",
	  "\xff\xfe HIGH \xc3", PASS, 1, "/HIGH/ matched at least 1 time",
	  EXACT },
};

static void test_regex(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, regex_cases, ARRAY_SIZE(regex_cases)), 0);
}

/*
 * Dialects of other prompt libraries, each scored by the check it means.
 * The case's expected value is "Hello World".
 */
static const struct eval_case dialect_cases[] = {
	{ "includes + target: expected checks the expected value",
	  "- type: includes\n  target: expected\n", "They said hello world.",
	  PASS, 1, "contains 'Hello World'", EXACT },
	{ "expected_output checks the expected value",
	  "- type: expected_output\n", "Goodbye", FAIL, 0,
	  "does not contain 'Hello World'", EXACT },
	{ "string_match with match_type contains: every pattern",
	  "- type: string_match\n  match_type: contains\n  patterns: [LTV, "
	  "ARPA]\n",
	  "LTV is high", FAIL, 0.5, "does not contain 'ARPA'", EXACT },
	{ "string_match with match_type exact",
	  "- type: string_match\n  match_type: exact\n  patterns: ZBB\n", "ZBB",
	  PASS, 1, "equals 'ZBB'", EXACT },
	{ "string_match with match", "- type: string_match\n  match: ZBB\n",
	  "zero-based budgeting (zbb)", PASS, 1, "contains 'ZBB'", EXACT },
	{ "string_match with property: a section",
	  "- type: string_match\n  property: Risks\n  expected: low\n",
	  "## Plan\n\nlow effort\n\n## Risks\n\nHigh.\n", FAIL, 0,
	  "does not contain 'low' in section Risks", EXACT },
	{ "string_match with property: a section that is missing",
	  "- type: string_match\n  property: Risks\n  expected: low\n", "low",
	  FAIL, 0, "section 'Risks' not found", EXACT },
	{ "string_match with property: content",
	  "- type: string_match\n  property: content\n  expected: low\n", "LOW",
	  PASS, 1, "contains 'low'", EXACT },
	{ "string_match with match_type regex",
	  "- type: string_match\n  match_type: regex\n  patterns: ['^a', "
	  "'b$']\n",
	  "ab", PASS, 1, "all 2 patterns matched", EXACT },
	{ "string_contains with expected",
	  "- type: string_contains\n  target: message.content\n  expected: "
	  "MDCG\n",
	  "per mdcg 2019-9", PASS, 1, "contains 'MDCG'", EXACT },
	{ "assert_contains", "- type: assert_contains\n  value: 'W^*'\n",
	  "w^* = 0.4", PASS, 1, "contains 'W^*'", EXACT },
	{ "includes_all with options.strings",
	  "- type: includes_all\n  options: {strings: [Topology, Audit, "
	  "Remediation]}\n",
	  "Topology and audit", FAIL, 2.0 / 3, "does not contain 'Remediation'",
	  EXACT },
	{ "includes with a literal pattern",
	  "- type: includes\n  target: message.content\n  pattern: 'p_{ij} = "
	  "\\Pr(X)'\n",
	  "where p_{ij} = \\Pr(X) holds", PASS, 1,
	  "contains 'p_{ij} = \\Pr(X)'", EXACT },
	{ "contains with text", "- type: contains\n  text: endowment\n",
	  "Endowment effects", PASS, 1, "contains 'endowment'", EXACT },
	{ "notContains with a list: none of them",
	  "- type: notContains\n  value: [foo, bar]\n", "a bar", FAIL, 0,
	  "not: contains 'bar'", EXACT },
	{ "string: includes", "- string: {includes: 'Change Control'}\n",
	  "change control board", PASS, 1, "contains 'Change Control'", EXACT },
	{ "string: matches is a regex",
	  "- string: {matches: '(Sailboat|Starfish)'}\n", "The Starfish format",
	  PASS, 1, "/(Sailboat|Starfish)/ matched at least 1 time", EXACT },
	{ "regex with invert: true", "- regex: 'John Doe'\n  invert: true\n",
	  "Patient: John Doe", FAIL, 0,
	  "not: /John Doe/ matched at least 1 time", EXACT },
	{ "regex mapping with negate: true",
	  "- regex: {pattern: synergy, negate: true}\n", "no buzzwords", PASS,
	  1, "not: no match for /synergy/", EXACT },
	{ "evaluator: regex_match",
	  "- evaluator: regex_match\n  pattern: pin\n", "pin logic", PASS, 1,
	  "/pin/ matched at least 1 time", EXACT },
	{ "regex_match with property and expected",
	  "- type: regex_match\n  property: Pseudo-code\n  expected: "
	  "'(?i)kql'\n",
	  "## Pseudo-code\n\nKQL query\n", PASS, 1,
	  "/(?i)kql/ matched at least 1 time", EXACT },
	{ "regex flags gm: g changes nothing",
	  "- regex: {pattern: '^b$', flags: gm}\n", "a\nb", PASS, 1,
	  "/^b$/ matched at least 1 time", EXACT },
	{ "regex flags by name", "- regex: {pattern: 'a.b', flags: dotall}\n",
	  "a\nb", PASS, 1, "/a.b/ matched at least 1 time", EXACT },
	{ "regex flags as a list of Python names",
	  "- regex: {pattern: 'A.B', flags: [re.DOTALL, IGNORECASE]}\n", "a\nb",
	  PASS, 1, "/A.B/ matched at least 1 time", EXACT },
	{ "a type that maps to no check is skipped",
	  "- type: xml_structure\n  config: {required_elements: [a]}\n", "<a/>",
	  SKIP, 0, "type 'xml_structure' is not a check prompteval knows",
	  EXACT },
	{ "a string: that checks nothing is skipped",
	  "- string: {startsWith: ''}\n", "anything", SKIP, 0,
	  "string: 'startsWith' is empty, and an empty value counts "
	  "as not set, so it checks nothing",
	  EXACT },
	{ "model: {prompt} is a judge", "- model: {prompt: 'Is it good?'}\n",
	  "x", SKIP, 0, "LLM judge did not run: no judge model", CONTAINS },
};

static void test_dialects(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, dialect_cases, ARRAY_SIZE(dialect_cases)),
		0);
}

/*
 * Reference metrics, against hand-computed figures.  "the cat sat on the
 * mat" against "the cat is on the mat": 6 words each; the longest common
 * subsequence is "the cat on the mat" (5), so ROUGE-L F1 is 5/6; the
 * clipped 1- to 4-gram matches are 5/6, 3/5, 1/4 and 0/3, the last
 * smoothed to 1/(2 x 3), so BLEU is (5/6 x 3/5 x 1/4 x 1/6)^(1/4) =
 * (1/48)^(1/4) = 0.379918 (sacreBLEU's sentence_bleu gives 37.99); the
 * word sets share 4 of 6 distinct words.
 */
#define CAT "expected: the cat is on the mat"
static const struct eval_case reference_cases[] = {
	{ "levenshtein: kitten and sitting",
	  "- levenshtein: {min_ratio: 0.5, expected: sitting}", "kitten", PASS,
	  1 - 3.0 / 7,
	  "Levenshtein distance 3, ratio 0.571 (need at least 0.500): 6 "
	  "characters in the answer, 7 expected",
	  EXACT },
	{ "levenshtein: max_distance",
	  "- levenshtein: {max_distance: 2, expected: sitting}", "kitten", FAIL,
	  1 - 3.0 / 7,
	  "Levenshtein distance 3 (need at most 2), ratio 0.571: 6 characters "
	  "in the answer, 7 expected",
	  EXACT },
	{ "levenshtein: the case's expected value, case counts",
	  "- levenshtein: 0.9", "  hello world\n", FAIL, 1 - 2.0 / 11,
	  "Levenshtein distance 2, ratio 0.818 (need at least 0.900): 11 "
	  "characters in the answer, 11 expected",
	  EXACT },
	{ "levenshtein: ignore_case",
	  "- levenshtein: {min: 0.9, ignore_case: true}", "hello world", PASS,
	  1,
	  "Levenshtein distance 0, ratio 1.000 (need at least 0.900): 11 "
	  "characters in the answer, 11 expected",
	  EXACT },
	{ "levenshtein: an accent written either way is one character",
	  "- levenshtein: {threshold: 1, expected: \"e\\u0301cole\"}", "école",
	  PASS, 1,
	  "Levenshtein distance 0, ratio 1.000 (need at least 1.000): 5 "
	  "characters in the answer, 5 expected",
	  EXACT },
	/* A max_distance an empty answer is within checks nothing. */
	{ "levenshtein: max_distance past the expected value",
	  "- levenshtein: {max_distance: 1000000000, expected: Paris}", "",
	  SKIP, 0,
	  "max_distance 1000000000 is at least the length of the expected "
	  "value for this case (5 characters), so an empty answer is within "
	  "it: nothing was checked",
	  EXACT },
	{ "levenshtein: max_distance of the expected value's length",
	  "- levenshtein: {max_distance: 11}", "Hello World", SKIP, 0,
	  "max_distance 11 is at least the length of the expected value for "
	  "this case (11 characters)",
	  CONTAINS },
	{ "levenshtein: beside a min_ratio of 0 too",
	  "- levenshtein: {max_distance: 20, min_ratio: 0}", "Hello World",
	  SKIP, 0, "so an empty answer is within it", CONTAINS },
	{ "levenshtein: past such a max_distance, an answer still fails",
	  "- levenshtein: {max_distance: 2, expected: \"no\"}", "yes", FAIL, 0,
	  "Levenshtein distance 3 (need at most 2), ratio 0.000: 3 "
	  "characters in the answer, 2 expected",
	  EXACT },
	{ "levenshtein: one short of it is a check",
	  "- levenshtein: {max_distance: 10}", "", FAIL, 0,
	  "Levenshtein distance 11 (need at most 10), ratio 0.000: 0 "
	  "characters in the answer, 11 expected",
	  EXACT },
	{ "levenshtein: and so is a min_ratio beside it",
	  "- levenshtein: {max_distance: 20, min_ratio: 0.5}", "Hello Word",
	  PASS, 1 - 1.0 / 11,
	  "Levenshtein distance 1 (need at most 20), ratio 0.909 (need at "
	  "least 0.500): 10 characters in the answer, 11 expected",
	  EXACT },
	{ "levenshtein: an empty answer",
	  "- levenshtein: {min_ratio: 0.1, expected: abc}", " ", FAIL, 0,
	  "Levenshtein distance 3, ratio 0.000 (need at least 0.100): 0 "
	  "characters in the answer, 3 expected",
	  EXACT },
	{ "rouge_l", "- rouge_l: {min: 0.8, " CAT "}",
	  "The cat sat on the mat.", PASS, 5.0 / 6,
	  "ROUGE-L F1 0.833 (need at least 0.800): a common subsequence of 5 "
	  "words, 6 in the answer, 6 expected",
	  EXACT },
	{ "rouge_l: order matters",
	  "- rouge_l: {min: 0.6, expected: the gunman killed police}",
	  "police killed the gunman", FAIL, 0.5,
	  "ROUGE-L F1 0.500 (need at least 0.600): a common subsequence of 2 "
	  "words, 4 in the answer, 4 expected",
	  EXACT },
	{ "rouge_l: nothing in common", "- rouge_l: 0.1", "Goodbye", FAIL, 0,
	  "ROUGE-L F1 0.000 (need at least 0.100): a common subsequence of 0 "
	  "words, 1 in the answer, 2 expected",
	  EXACT },
	{ "bleu, smoothed", "- bleu: {min: 0.3, " CAT "}",
	  "the cat sat on the mat", PASS, 0.37991784282579627,
	  "BLEU 0.380 (need at least 0.300): 4-gram precisions 0.833, 0.600, "
	  "0.250, 0.167, brevity penalty 1.000, 6 words in the answer, 6 "
	  "expected",
	  EXACT },
	{ "bleu: the brevity penalty and the effective order",
	  "- bleu: {min: 0.2, " CAT "}", "The cat", FAIL, 0.1353352832366127,
	  "BLEU 0.135 (need at least 0.200): 2-gram precisions 1.000, 1.000, "
	  "brevity penalty 0.135, 2 words in the answer, 6 expected",
	  EXACT },
	{ "bleu: an empty answer", "- bleu: 0.1", "", FAIL, 0,
	  "BLEU 0.000 (need at least 0.100): 1-gram precisions none, brevity "
	  "penalty 0.000, 0 words in the answer, 2 expected",
	  EXACT },
	/* sacreBLEU's early stop: smoothed, this would score 0.184. */
	{ "bleu: nothing in common", "- bleu: 0.1", "Goodbye", FAIL, 0,
	  "BLEU 0.000 (need at least 0.100): no word of the answer is in the "
	  "reference, brevity penalty 0.368, 1 word in the answer, 2 "
	  "expected",
	  EXACT },
	{ "token_set", "- token_set: {min: 0.7, " CAT "}",
	  "the cat sat on the mat", FAIL, 4.0 / 6,
	  "token-set similarity 0.667 (need at least 0.700): 4 of 6 distinct "
	  "words shared",
	  EXACT },
	{ "token_set: case folded over Unicode",
	  "- token_set: {min: 1, expected: Straße}", "STRASSE!", PASS, 1,
	  "token-set similarity 1.000 (need at least 1.000): 1 of 1 distinct "
	  "words shared",
	  EXACT },
	{ "token_set: each CJK character is a word",
	  "- token_set: {min: 0.5, expected: 日本}", "日本語", PASS, 2.0 / 3,
	  "token-set similarity 0.667 (need at least 0.500): 2 of 3 distinct "
	  "words shared",
	  EXACT },
	{ "token_set: words of every length that differ in one byte",
	  "- token_set: {min: 0.5, expected: abcdefghijklmnopq abcdefghi "
	  "abcdefgh abcde abcd abc ab a}",
	  "abcdefghijklmnopq abcdefghijklmnopr abcdefghi abcdefghj abcdefgh "
	  "abcdefgi abcde abcdf abcd abce abc abd ab b a c",
	  PASS, 8.0 / 16,
	  "token-set similarity 0.500 (need at least 0.500): 8 of 16 "
	  "distinct words shared",
	  EXACT },
	{ "an answer that is not UTF-8 says so", "- token_set: {min: 0.5}",
	  "hello\xff world", PASS, 1,
	  "token-set similarity 1.000 (need at least 0.500): 2 of 2 distinct "
	  "words shared; 1 byte of the answer is not UTF-8 (read as U+FFFD)",
	  EXACT },
	{ "an empty expected value is an error",
	  "- bleu: {min: 0.1, expected: ' '}", "x", ERROR, 0,
	  "the expected value ' ' is empty for this case: there is nothing "
	  "to compare the answer with",
	  EXACT },
	{ "so is one with no word: token_set compared nothing",
	  "- token_set: {min: 0.9, expected: '--'}", "?!", ERROR, 0,
	  "the expected value '--' has no words for this case: there is "
	  "nothing to compare the answer with",
	  EXACT },
	{ "nor did ROUGE-L", "- rouge_l: {min: 0.5, expected: '!!! ?!'}", "!!!",
	  ERROR, 0,
	  "the expected value '!!! ?!' has no words for this case: there is "
	  "nothing to compare the answer with",
	  EXACT },
	{ "an answer with no word against one with words fails",
	  "- token_set: {min: 0.1, expected: 'alpha beta'}", "?!", FAIL, 0,
	  "token-set similarity 0.000 (need at least 0.100): 0 of 2 distinct "
	  "words shared",
	  EXACT },
};

static void test_reference_metrics(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, reference_cases,
					ARRAY_SIZE(reference_cases)),
			 0);
}

/* The longest common subsequence of two word lists, cell by cell. */
static size_t plain_lcs(const int *a, size_t na, const int *b, size_t nb)
{
	size_t *t = calloc((na + 1) * (nb + 1), sizeof(*t)), best;

	for (size_t i = 1; i <= na; i++)
		for (size_t j = 1; j <= nb; j++) {
			size_t up = t[(i - 1) * (nb + 1) + j];
			size_t left = t[i * (nb + 1) + j - 1];

			t[i * (nb + 1) + j] =
				a[i - 1] == b[j - 1]
					? t[(i - 1) * (nb + 1) + j - 1] + 1
				: up > left ? up
					    : left;
		}
	best = t[na * (nb + 1) + nb];
	free(t);
	return best;
}

/*
 * Fills a (na numbers) and b (nb) with random numbers below vocab, and
 * writes each list into a text: number n as pieces[n], or as "w<n> "
 * when pieces is NULL.
 */
static void random_lists(unsigned long long *seed, int *a, size_t na, int *b,
			 size_t nb, unsigned vocab, const char *const *pieces,
			 struct pe_buf *text_a, struct pe_buf *text_b)
{
	pe_buf_init(text_a, 0);
	pe_buf_init(text_b, 0);
	for (size_t i = 0; i < na + nb; i++) {
		int *w = i < na ? &a[i] : &b[i - na];
		struct pe_buf *t = i < na ? text_a : text_b;

		*seed ^= *seed << 13, *seed ^= *seed >> 7, *seed ^= *seed << 17;
		*w = (int)(*seed % vocab);
		if (pieces)
			pe_buf_adds(t, pieces[*w]);
		else
			pe_buf_addf(t, "w%d ", *w);
	}
}

/*
 * Scores answer with one reference metric, "- metric: {settings,
 * expected: ref}", and returns 1, after printing both, when its reason
 * lacks want (round, na and nb say which of a test's rounds it was).
 */
static int metric_lacks(const char *metric, const char *settings,
			const struct pe_buf *answer, const struct pe_buf *ref,
			const char *want, int round, size_t na, size_t nb)
{
	struct pe_buf ev;
	struct loaded l;
	struct pe_case_score r;
	int bad;

	pe_buf_init(&ev, 0);
	pe_buf_addf(&ev, "- %s: {%s, expected: \"%s\"}\n", metric, settings,
		    pe_buf_str(ref));
	load(&l, NULL, pe_buf_str(&ev));
	assert_int_equal(l.rc, PE_OK);
	pe_score_case(l.prompt, &l.prompt->cases[0], pe_buf_str(answer),
		      answer->len, NULL, &r);
	bad = r.nresults != 1 || !strstr(r.results[0].reason, want);
	if (bad)
		print_error("%s, round %d (%zu x %zu): want '%s', got '%s'\n",
			    metric, round, na, nb, want,
			    r.nresults ? r.results[0].reason : "");
	pe_case_score_release(&r);
	unload(&l);
	pe_buf_release(&ev);
	return bad;
}

/*
 * ROUGE-L's subsequence, counted 64 columns at a time, against the plain
 * table on random word lists of 0 to 200 words from small vocabularies,
 * so that lists cross the 64-bit words' edges and repeat their words.
 */
static void test_rouge_l_subsequence(void **state)
{
	unsigned long long seed = 88172645463325252ULL;
	int bad = 0;

	(void)state;
	for (int round = 0; round < 300 && !bad; round++) {
		int a[200], b[200];
		size_t na, nb, lcs;
		unsigned vocab;
		struct pe_buf answer, ref;
		char expect[64];

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		na = seed % 201;
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		nb = 1 + seed % 200;
		vocab = 2 + (unsigned)(seed >> 20) % 30;
		random_lists(&seed, a, na, b, nb, vocab, NULL, &answer, &ref);
		lcs = plain_lcs(a, na, b, nb);
		snprintf(expect, sizeof(expect), "subsequence of %zu word%s,",
			 lcs, lcs == 1 ? "" : "s");
		bad = metric_lacks("rouge_l", "min: 0.5", &answer, &ref, expect,
				   round, na, nb);
		pe_buf_release(&answer);
		pe_buf_release(&ref);
	}
	assert_int_equal(bad, 0);
}

/* How often the n words at x occur in the list b (nb words). */
static size_t count_ngram(const int *x, unsigned n, const int *b, size_t nb)
{
	size_t count = 0;

	for (size_t j = 0; j + n <= nb; j++)
		count += !memcmp(x, b + j, n * sizeof(*x));
	return count;
}

/* BLEU's clipped n-gram matches of a against r, n-gram by n-gram. */
static size_t plain_clipped(const int *a, size_t na, const int *r, size_t nr,
			    unsigned n)
{
	size_t sum = 0;

	for (size_t i = 0; i + n <= na; i++) {
		size_t in_a = count_ngram(a + i, n, a, na);
		size_t in_r = count_ngram(a + i, n, r, nr);

		/* Count each distinct n-gram once: at its first place. */
		if (count_ngram(a + i, n, a, i + n - 1) == 0)
			sum += in_a < in_r ? in_a : in_r;
	}
	return sum;
}

/*
 * BLEU's n-gram precisions, from its table of the reference's n-grams
 * and the answer's runs of shared words, against plain counting on
 * random word lists of 1 to 150 words from small vocabularies (so that
 * runs of shared words of every length occur), printed as the reason
 * prints them.
 */
static void test_bleu_precisions(void **state)
{
	unsigned long long seed = 0x2545f4914f6cdd1dULL;
	int bad = 0;

	(void)state;
	for (int round = 0; round < 300 && !bad; round++) {
		int a[150], r[150];
		size_t na, nr;
		unsigned vocab, orders = 0;
		double smooth = 1;
		struct pe_buf answer, ref, want;
		char *expect;

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		na = 1 + seed % 150;
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		nr = 1 + seed % 150;
		vocab = 2 + (unsigned)(seed >> 20) % 12;
		random_lists(&seed, a, na, r, nr, vocab, NULL, &answer, &ref);
		pe_buf_init(&want, 0);
		for (unsigned n = 1; n <= 4 && na >= n; n++) {
			size_t total = na - n + 1;
			size_t correct = plain_clipped(a, na, r, nr, n);
			double p = (double)correct / (double)total;

			if (!correct) {
				smooth *= 2;
				p = 1 / (smooth * (double)total);
			}
			pe_buf_addf(&want, "%s%.3f", n > 1 ? ", " : "", p);
			orders = n;
		}
		/* Without a word in common, the score is 0 (sacreBLEU). */
		expect = plain_clipped(a, na, r, nr, 1)
				 ? xstrfmt("%u-gram precisions %s, brevity",
					   orders, pe_buf_str(&want))
				 : xstrdup("no word of the answer is in the "
					   "reference, brevity");
		bad = metric_lacks("bleu", "min: 0.5", &answer, &ref, expect,
				   round, na, nr);
		free(expect);
		pe_buf_release(&want);
		pe_buf_release(&answer);
		pe_buf_release(&ref);
	}
	assert_int_equal(bad, 0);
}

/* The edit distance of two lists, row by row. */
static size_t plain_distance(const int *a, size_t na, const int *b, size_t nb)
{
	size_t row[401];

	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t above = row[j],
			       best = diagonal + (a[i - 1] != b[j - 1]);

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[nb];
}

/*
 * Levenshtein, 64 characters at a time, against the distance row by row
 * on random texts of 0 to 400 characters (so that either text is the
 * shorter, over one to seven words of 64), from small alphabets with
 * characters of one, two and three bytes.
 */
static void test_levenshtein_distance(void **state)
{
	static const char *const chars[] = {
		"a", "b", "c", "\xc3\xa9", "\xe6\x97\xa5", "d", "Z"
	};
	unsigned long long seed = 0x853c49e6748fea9bULL;
	int bad = 0;

	(void)state;
	for (int round = 0; round < 400 && !bad; round++) {
		int a[400], b[400];
		size_t na, nb;
		unsigned vocab;
		struct pe_buf answer, ref;
		char expect[64];

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		na = seed % 401;
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		nb = 1 + seed % 400;
		vocab = 2 + (unsigned)(seed >> 20) % (ARRAY_SIZE(chars) - 1);
		random_lists(&seed, a, na, b, nb, vocab, chars, &answer, &ref);
		snprintf(expect, sizeof(expect), "Levenshtein distance %zu ",
			 plain_distance(a, na, b, nb));
		bad = metric_lacks("levenshtein", "max_distance: 0", &answer,
				   &ref, expect, round, na, nb);
		pe_buf_release(&answer);
		pe_buf_release(&ref);
	}
	assert_int_equal(bad, 0);
}

/*
 * The edit distance and ROUGE-L past their limits: an error that says
 * so, not an answer after minutes or gigabytes.  Steps: 1,100,000
 * characters (words) against 6,000 are 103 million words of 64 cells.
 * Masks: a shorter text of 30,000 different characters (words) keeps
 * 30,001 x 469 of them, past 8 million.
 */
static void test_reference_limits(void **state)
{
	static const struct {
		const char *metric, *settings, *want;
		size_t answer, ref;
		int distinct;
	} rows[] = {
		{ "levenshtein", "min_ratio: 0.5",
		  "too long for an edit distance (1100000 x 6000 characters; "
		  "the limit is 6.4 billion cells, counted 64 at a time, fewer "
		  "with many different characters)",
		  1100000, 6000, 0 },
		{ "levenshtein", "min_ratio: 0.5",
		  "too long for an edit distance (30000 x 30000 characters",
		  30000, 30000, 1 },
		{ "rouge_l", "min: 0.5",
		  "too long for ROUGE-L (1100000 x 6000 words; the limit is "
		  "6.4 billion cells, counted 64 at a time, fewer with many "
		  "different words)",
		  1100000, 6000, 0 },
		{ "rouge_l", "min: 0.5",
		  "too long for ROUGE-L (30000 x 30000 words", 30000, 30000,
		  1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		int words = rows[i].metric[0] == 'r';
		struct pe_buf answer, ref;

		pe_buf_init(&answer, 0);
		pe_buf_init(&ref, 0);
		for (size_t k = 0; k < rows[i].answer + rows[i].ref; k++) {
			struct pe_buf *t = k < rows[i].answer ? &answer : &ref;
			/* A CJK character is a word of its own. */
			unsigned long cp = rows[i].distinct
						   ? 0x20000 + k % rows[i].ref
						   : 'a' + k % 3;
			char utf8[4];

			pe_buf_add(t, utf8, pe_utf8_encode(cp, utf8));
			if (words && !rows[i].distinct)
				pe_buf_addc(t, ' ');
		}
		assert_int_equal(metric_lacks(rows[i].metric, rows[i].settings,
					      &answer, &ref, rows[i].want,
					      (int)i, rows[i].answer,
					      rows[i].ref),
				 0);
		pe_buf_release(&answer);
		pe_buf_release(&ref);
	}
}

/*
 * Words that differ only in their 7th and 8th or last two bytes
 * ("processed", "processes") spread over a table of words as others do:
 * 4,096 such words of 16 letters, put in a table of 8,192 slots, are each
 * found within a few slots of where their hash puts them, not in one
 * long run (as when the hash let those bytes reach only bigger tables).
 */
static void test_word_hash_spreads(void **state)
{
	struct pe_buf text;
	struct pe_word *words;
	size_t n, size, longest = 0;
	uint32_t *table;

	(void)state;
	pe_buf_init(&text, 0);
	for (unsigned i = 0; i < 4096; i++)
		pe_buf_addf(&text, "aaaaaa%c%caaaaaa%c%c ", 'a' + i / 64 % 8,
			    'a' + i / 512, 'a' + i % 8, 'a' + i / 8 % 8);
	words = pe_split_words(text.data, text.len, &n);
	assert_int_equal(n, 4096);
	size = pe_word_table_size(n);
	table = xcalloc(size, sizeof(*table));
	for (size_t i = 0; i < n; i++) {
		size_t k = pe_word_slot(table, size - 1, words, &words[i]);
		size_t home = words[i].hash & (size - 1);

		assert_int_equal(table[k], 0); /* the words are distinct */
		table[k] = (uint32_t)i + 1;
		if (((k - home) & (size - 1)) > longest)
			longest = (k - home) & (size - 1);
	}
	if (longest > 64)
		fail_msg("a word sits %zu slots past its hash's", longest);
	free(table);
	free(words);
	pe_buf_release(&text);
}

/*
 * The metrics of one answer keep the last reference they compared it
 * with (in the memo): metrics against other references, between two
 * against the same one, must still see their own.
 */
static void test_reference_kept(void **state)
{
	static const char *const want[] = {
		"a common subsequence of 2 words, 4 in the answer, 3 expected",
		"token-set similarity 0.200 (need at least 0.100): 1 of 5",
		"a common subsequence of 2 words, 4 in the answer, 3 expected",
		"a common subsequence of 1 word, 4 in the answer, 2 expected",
		"the expected value ' ' is empty for this case",
		"token-set similarity 0.400 (need at least 0.100): 2 of 5",
	};
	struct loaded l;
	struct pe_case_score r;

	(void)state;
	load(&l, NULL,
	     "- rouge_l: {min: 0.1, expected: alpha gamma delta}\n"
	     "- token_set: {min: 0.1, expected: beta zeta}\n"
	     "- rouge_l: {min: 0.1, expected: alpha gamma delta}\n"
	     "- rouge_l: 0.1\n"
	     "- bleu: {min: 0.1, expected: ' '}\n"
	     "- token_set: {min: 0.1, expected: 'Hello, world: alpha'}\n");
	assert_int_equal(l.rc, PE_OK);
	pe_score_case(l.prompt, &l.prompt->cases[0], "Alpha beta Gamma hello",
		      22, NULL, &r);
	assert_int_equal(r.nresults, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		if (!strstr(r.results[i].reason, want[i]))
			fail_msg("metric %zu: want '%s', got '%s'", i, want[i],
				 r.results[i].reason);
	}
	pe_case_score_release(&r);
	unload(&l);
}

/* Checks of the call: the call's figures, as a job's row holds them. */
struct call_case {
	const char *name;
	const char *evaluator;
	int has_call;
	int cached;
	double first_byte_ms;
	double total_ms;
	long tokens_in;
	long tokens_out;
	const char *finish_reason;
	int priced; /* 0.15 and 0.60 USD per million tokens in and out */
	int verdict;
	double score;
	const char *reason;
};

static const struct call_case call_cases[] = {
	{ "latency passes", "- latency: {max_ms: 2000}", 1, 0, 412.3, 1290.8,
	  96, 731, "stop", 0, PASS, 1, "latency 1290.8 ms (at most 2000 ms)" },
	{ "latency fails", "- latency: 1000", 1, 0, 412.3, 1290.8, 96, 731,
	  "stop", 0, FAIL, 0, "latency 1290.8 ms (need at most 1000 ms)" },
	{ "time to the first token", "- latency: {max_ttft_ms: 400}", 1, 0,
	  412.3, 1290.8, 96, 731, "stop", 0, FAIL, 0,
	  "time to the first token 412.3 ms (need at most 400 ms)" },
	{ "both latencies", "- latency: {max_ms: 2000, max_ttft_ms: 500}", 1, 0,
	  412.3, 1290.8, 96, 731, "stop", 0, PASS, 1,
	  "latency 1290.8 ms (at most 2000 ms), time to the first token 412.3 "
	  "ms (at most 500 ms)" },
	{ "a cached answer has no latency", "- latency: 2000", 1, 1, NAN, NAN,
	  96, 731, "stop", 0, SKIP, 0,
	  "the answer came from the cache, so its call was not "
	  "timed" },
	{ "an unmeasured time to the first token",
	  "- latency: {max_ttft_ms: 500}", 1, 0, NAN, 30, 96, 731, "stop", 0,
	  SKIP, 0,
	  "the call's time to the first token was not measured (a reply "
	  "that is not streamed comes whole)" },
	{ "an unmeasured latency", "- latency: {max_ms: 500}", 1, 0, NAN, NAN,
	  96, 731, "stop", 0, SKIP, 0, "the call's latency was not measured" },
	{ "score has no call", "- latency: 2000", 0, 0, NAN, NAN, -1, -1, NULL,
	  0, SKIP, 0,
	  "the answer was scored without its call (prompteval "
	  "score), so there is no latency to check" },
	/* 96 x 0.15 + 731 x 0.60 = 453 USD per million = 0.000453 USD. */
	{ "cost passes", "- cost: {max_usd: 0.001}", 1, 0, 1, 2, 96, 731,
	  "stop", 1, PASS, 1,
	  "cost 0.000453 USD (at most 0.001000): 96 tokens in, 731 out" },
	{ "cost fails", "- cost: 0.0004", 1, 0, 1, 2, 96, 731, "stop", 1, FAIL,
	  0,
	  "cost 0.000453 USD (need at most 0.000400): 96 tokens in, 731 out" },
	{ "a cached answer still has its cost", "- cost: 0.001", 1, 1, NAN, NAN,
	  96, 731, "stop", 1, PASS, 1,
	  "cost 0.000453 USD (at most 0.001000): 96 tokens in, 731 out" },
	{ "no price", "- cost: 0.01", 1, 0, 1, 2, 96, 731, "stop", 0, SKIP, 0,
	  "no price for openai:gpt-4o-mini in the configuration's "
	  "prices" },
	{ "no tokens", "- cost: 0.01", 1, 0, 1, 2, -1, -1, "stop", 1, SKIP, 0,
	  "the provider reported no token counts" },
	{ "finish reason stop", "- finish_reason: stop", 1, 0, 1, 2, 1, 1,
	  "stop", 0, PASS, 1, "finish reason 'stop'" },
	{ "stop is Anthropic's end_turn", "- finish_reason: stop", 1, 0, 1, 2,
	  1, 1, "end_turn", 0, PASS, 1, "finish reason 'end_turn'" },
	{ "stop is Gemini's STOP", "- finish_reason: stop", 1, 0, 1, 2, 1, 1,
	  "STOP", 0, PASS, 1, "finish reason 'STOP'" },
	{ "an answer cut off by the token limit fails", "- finish_reason: stop",
	  1, 0, 1, 2, 1, 1, "length", 0, FAIL, 0,
	  "finish reason 'length' (need stop)" },
	{ "length is Anthropic's max_tokens",
	  "- finish_reason: length\n  not: true", 1, 0, 1, 2, 1, 1,
	  "max_tokens", 0, FAIL, 0, "not: finish reason 'max_tokens'" },
	{ "a list of reasons", "- finish_reason: [stop, content_filter]", 1, 0,
	  1, 2, 1, 1, "MAX_TOKENS", 0, FAIL, 0,
	  "finish reason 'MAX_TOKENS' (need stop or content_filter)" },
	{ "no finish reason", "- finish_reason: stop", 1, 0, 1, 2, 1, 1, NULL,
	  0, SKIP, 0, "the provider reported no finish reason" },
	{ "an empty one is none, not a reason 'not: length' can pass",
	  "- finish_reason: length\n  not: true", 1, 0, 1, 2, 1, 1, "", 0, SKIP,
	  0, "the provider reported no finish reason" },
};

static int run_call_case(const struct call_case *c)
{
	static const struct pe_price price = { "gpt-4o-mini", 0.15, 0.60 };
	struct loaded l;
	struct pe_result row;
	struct pe_case_score s;
	struct eval_case e = { c->name,	 c->evaluator, "an answer", c->verdict,
			       c->score, c->reason,    EXACT };
	int ok;

	load(&l, NULL, c->evaluator);
	if (l.rc) {
		print_diags(c->name, l.diag);
		unload(&l);
		return 0;
	}
	pe_result_init(&row);
	row.model = "openai:gpt-4o-mini";
	row.output = "an answer";
	row.output_len = strlen(row.output);
	row.has_call = c->has_call;
	row.cached = c->cached;
	row.first_byte_ms = c->first_byte_ms;
	row.total_ms = c->total_ms;
	row.tokens_in = c->tokens_in;
	row.tokens_out = c->tokens_out;
	row.finish_reason = c->finish_reason;
	pe_score_call(l.prompt, &l.prompt->cases[0], &row,
		      c->priced ? &price : NULL, NULL, &s);
	ok = s.nresults == 1 && result_is(c->name, &s.results[0], e.verdict,
					  e.score, e.reason, e.how);
	pe_case_score_release(&s);
	unload(&l);
	return ok;
}

static void test_call_checks(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(call_cases); i++)
		failures += !run_call_case(&call_cases[i]);
	assert_int_equal(failures, 0);
}

/* sections */

static const char out_of_order[] = "## Migration Strategy\n\ntext\n\n"
				   "## Phase Plan\n\ntext\n\n"
				   "## Pre-Migration Checklist\n\ntext\n";

static const char bold_sections[] = "Intro.\n\n**Risk Register**\n\n"
				    "- lock contention\n";

static const char setext[] = "Migration Strategy\n"
			     "==================\n\ntext\n\n"
			     "Risk Register\n-------------\n\ntext\n";

static const char crlf[] = "## Migration Strategy\r\n\r\n"
			   "We expand and contract.\r\n\r\n"
			   "### Step 1: Expand\r\n\r\nAdd it.\r\n\r\n"
			   "## Risk Register\r\n\r\n- Likelihood: HIGH\r\n";

static const char unicode[] = "## \xc3\x9c"
			      "berblick & Ausblick\n\ntext\n\n"
			      "## 2. \xe6\x95\xb0\xe6\x8d\xae\xe8\xbf\x81\xe7"
			      "\xa7\xbb\n\ntext\n";

static const struct eval_case sections_cases[] = {
	{ "shorthand: present and in order",
	  "- sections: [Migration Strategy, Pre-Migration Checklist, Phase "
	  "Plan, Risk Register]",
	  plan, PASS, 1, "all 4 sections present in order", EXACT },
	{ "missing", "- sections: [Migration Strategy, Phase Plan, Glossary]",
	  plan, FAIL, 2.0 / 3, "missing sections: Glossary", EXACT },
	{ "missing and out of order",
	  "- sections: [Migration Strategy, Pre-Migration Checklist, Phase "
	  "Plan, Risk Register]",
	  out_of_order, FAIL, 0.5,
	  "missing sections: Risk Register; out of order: Phase Plan before "
	  "Pre-Migration Checklist",
	  EXACT },
	{ "ordered: false",
	  "- sections: {required: [Pre-Migration Checklist, "
	  "Phase Plan]}",
	  out_of_order, PASS, 1, "all 2 sections present", EXACT },
	{ "ordered: true",
	  "- sections: {required: [Pre-Migration Checklist, "
	  "Phase Plan], ordered: true}",
	  out_of_order, FAIL, 0.5,
	  "out of order: Phase Plan before Pre-Migration Checklist", EXACT },
	{ "one heading is one section, not two names that prefix it",
	  "- sections: {required: [Risk, Risk Register]}",
	  "## Risk Register\n\ntext\n", FAIL, 0.5,
	  "missing sections: Risk Register", EXACT },
	{ "nor the same name twice", "- sections: {required: [Notes, Notes]}",
	  "## Notes\n\ntext\n", FAIL, 0.5, "missing sections: Notes", EXACT },
	{ "in order, a name does not take the heading before it again",
	  "- sections: [Risk Register, Risk]", "## Risk Register\n\ntext\n",
	  FAIL, 0.5, "missing sections: Risk", EXACT },
	{ "in any order, names are moved to give each one",
	  "- sections: {required: [Risk, Risk Register]}",
	  "## Risk Register\n\ntext\n\n## Risk Notes\n\nmore\n", PASS, 1,
	  "all 2 sections present", EXACT },
	{ "level", "- sections: {required: [Phase Plan, Backfill], level: 2}",
	  plan, FAIL, 0.5, "wrong heading level: Backfill (level 3, need 2)",
	  EXACT },
	{ "level 3", "- sections: {required: [Backfill], level: 3}", plan, PASS,
	  1, "the section is present", EXACT },
	{ "min_words",
	  "- sections: {required: [Migration Strategy, "
	  "Rollback], min_words: 5}",
	  plan, FAIL, 0.5, "too short: Rollback (3 of 5 words)", EXACT },
	{ "min_words counts subsections and stops at the next ##",
	  "- sections: {required: [Phase Plan], min_words: 100}", plan, FAIL, 0,
	  "too short: Phase Plan (34 of 100 words)", EXACT },
	{ "min_words holds",
	  "- sections: {required: [Phase Plan], min_words: "
	  "34}",
	  plan, PASS, 1, "the section is present", EXACT },
	{ "bold_headings: true",
	  "- sections: {required: [Risk Register], bold_headings: true}",
	  bold_sections, PASS, 1, "the section is present", EXACT },
	{ "bold_headings: false",
	  "- sections: {required: [Risk Register], "
	  "bold_headings: false}",
	  bold_sections, FAIL, 0, "missing sections: Risk Register", EXACT },
	{ "bold headings are off by default", "- sections: [Risk Register]",
	  bold_sections, FAIL, 0, "missing sections: Risk Register", EXACT },
	/*
	 * Regression (fixed): a bold-only paragraph right after a heading gets that
	 * heading's text in front ("PlanRollback Steps", see
	 * test_markdown.c), so it never matches: FAIL "missing sections:
	 * Rollback Steps".
	 */
	{ "bold heading right after a heading",
	  "- sections: {required: [Plan, Rollback Steps], bold_headings: "
	  "true}",
	  "## Plan\n\n**Rollback Steps**\n\nRestore.\n", PASS, 1,
	  "all 2 sections present", EXACT },
	{ "Setext", "- sections: [Migration Strategy, Risk Register]", setext,
	  PASS, 1, "all 2 sections present in order", EXACT },
	{ "Setext levels",
	  "- sections: {required: [Migration Strategy, Risk "
	  "Register], level: 2}",
	  setext, FAIL, 0.5,
	  "wrong heading level: Migration Strategy (level 1, need 2)", EXACT },
	{ "numbered headings",
	  "- sections: [Migration Strategy, Risk Register, Rollback, Phase "
	  "Plan]",
	  "## 1. Migration Strategy\n\n## 2) Risk Register\n\n## IV. "
	  "Rollback\n\n### Step 3: **Phase Plan** (week 1)\n",
	  PASS, 1, "all 4 sections present in order", EXACT },
	{ "names are normalised too", "- sections: ['2. **RISK REGISTER**:']",
	  plan, PASS, 1, "the section is present", EXACT },
	{ "a heading that goes on after a space matches", "- sections: [Risk]",
	  plan, PASS, 1, "the section is present", EXACT },
	{ "part of a word does not match", "- sections: [Risk Reg]", plan, FAIL,
	  0, "missing sections: Risk Reg", EXACT },
	/*
	 * Regression (fixed): "Step 1" normalises to "" (see test_markdown.c), so this is
	 * rejected at compile time: "'Step 1' has no letters left after
	 * numbering and punctuation are ignored".
	 */
	{ "headings that are only numbered steps",
	  "- sections: [Step 1, Step 2]",
	  "## Step 1\n\nA.\n\n## Step 2\n\nB.\n", PASS, 1,
	  "all 2 sections present in order", EXACT },
	{ "CRLF",
	  "- sections: {required: [Migration Strategy, Risk Register, "
	  "Expand], min_words: 2}",
	  crlf, PASS, 1, "all 3 sections present", EXACT },
	{ "CRLF min_words",
	  "- sections: {required: [Migration Strategy], "
	  "min_words: 10}",
	  crlf, FAIL, 0, "too short: Migration Strategy (9 of 10 words)",
	  EXACT },
	{ "Unicode headings",
	  "- sections: [\"\xc3\x9c"
	  "berblick & Ausblick\", \xe6\x95\xb0\xe6\x8d\xae\xe8\xbf\x81\xe7"
	  "\xa7\xbb]",
	  unicode, PASS, 1, "all 2 sections present in order", EXACT },
	{ "Unicode names in reasons",
	  "- sections: [\xe9\xa3\x8e\xe9\x99\xa9, \xc3\x9c"
	  "berblick]",
	  unicode, FAIL, 0.5, "missing sections: \xe9\xa3\x8e\xe9\x99\xa9",
	  EXACT },
	/*
	 * Regression (fixed): a leading emoji stays in the normalised heading (see
	 * test_markdown.c): FAIL "missing sections: Rollout Plan".
	 */
	{ "emoji before a heading", "- sections: [Rollout Plan]",
	  "## \xf0\x9f\x9a\x80 Rollout Plan\n\ntext\n", PASS, 1,
	  "the section is present", EXACT },
	{ "emoji after a heading", "- sections: [Rollout Plan]",
	  "## Rollout Plan \xe2\x9c\x85\n\ntext\n", PASS, 1,
	  "the section is present", EXACT },
};

static void test_sections(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, sections_cases,
					ARRAY_SIZE(sections_cases)),
			 0);
}

/* format */

static const char code_bold[] = "`**a**` is code.\n\n```\n**b**\n- c\n1. d\n```"
				"\n\n**e**\n";

static const struct eval_case format_cases[] = {
	{ "bold min", "- format: {bold: {min: 3}}", plan, FAIL, 0,
	  "2 bold spans, need at least 3", EXACT },
	{ "bold max", "- format: {bold: {max: 1}}", plan, FAIL, 0,
	  "2 bold spans, need at most 1", EXACT },
	{ "bold range", "- format: {bold: {min: 1, max: 2}}", plan, PASS, 1,
	  "2 bold spans (need 1 to 2)", EXACT },
	{ "bold within",
	  "- format: {bold: {within: [Pre-Migration "
	  "Checklist]}}",
	  plan, PASS, 1,
	  "1 bold span in Pre-Migration Checklist (need at least 1)", EXACT },
	{ "bold within, none there",
	  "- format: {bold: {within: [Risk "
	  "Register]}}",
	  plan, FAIL, 0, "0 bold spans in Risk Register, need at least 1",
	  EXACT },
	{ "bold in code does not count", "- format: {bold: {min: 2}}",
	  code_bold, FAIL, 0, "1 bold span, need at least 2", EXACT },
	{ "bold in code does not count (max)", "- format: {bold: {max: 1}}",
	  code_bold, PASS, 1, "1 bold span (need at most 1)", EXACT },
	{ "bullets within each section",
	  "- format: {bullets: {min: 1, within: [Pre-Migration Checklist, "
	  "Risk Register]}}",
	  plan, PASS, 1,
	  "2 bulleted items in Pre-Migration Checklist (need at least 1); 1 "
	  "bulleted item in Risk Register (need at least 1)",
	  EXACT },
	{ "bullets within: one section has none",
	  "- format: {bullets: {within: [Pre-Migration Checklist, "
	  "Rollback]}}",
	  plan, FAIL, 0.5, "0 bulleted items in Rollback, need at least 1",
	  EXACT },
	{ "bullets within: a missing section fails",
	  "- format: {bullets: {within: [Pre-Migration Checklist, "
	  "Glossary]}}",
	  plan, FAIL, 0.5, "bullets: section 'Glossary' not found", EXACT },
	{ "bullets within: per section, not in total",
	  "- format: {bullets: {min: 2, within: [Pre-Migration Checklist, "
	  "Risk Register]}}",
	  plan, FAIL, 0.5,
	  "1 bulleted item in Risk Register, need at least "
	  "2",
	  EXACT },
	{ "bullets: N is a minimum", "- format: {bullets: 4}", plan, FAIL, 0,
	  "3 bulleted items, need at least 4", EXACT },
	{ "bullets: true", "- format: {bullets: true}", plan, PASS, 1,
	  "3 bulleted items (need at least 1)", EXACT },
	{ "bullets in a fence do not count", "- format: {bullets: 1}",
	  code_bold, FAIL, 0, "0 bulleted items, need at least 1", EXACT },
	{ "numbered items are not bullets", "- format: {bullets: 1}",
	  "1. a\n2. b\n", FAIL, 0, "0 bulleted items, need at least 1", EXACT },
	{ "numbered within",
	  "- format: {numbered: {min: 3, within: [Phase "
	  "Plan]}}",
	  plan, PASS, 1, "3 numbered items in Phase Plan (need at least 3)",
	  EXACT },
	{ "numbered min", "- format: {numbered: 4}", plan, FAIL, 0,
	  "3 numbered items, need at least 4", EXACT },
	{ "numbered in a fence do not count", "- format: {numbered: 1}",
	  code_bold, FAIL, 0, "0 numbered items, need at least 1", EXACT },
	{ "bullets are not numbered", "- format: {numbered: {max: 0}}",
	  "- a\n- b\n", PASS, 1, "0 numbered items (need at most 0)", EXACT },
	{ "headings max_level", "- format: {headings: {max_level: 2}}", plan,
	  FAIL, 0, "a level-3 heading, deepest allowed is 2", EXACT },
	{ "headings max_level holds", "- format: {headings: {max_level: 3}}",
	  plan, PASS, 1, "headings at most level 3 (deepest 3)", EXACT },
	{ "no_html holds", "- format: {no_html: true}", plan, PASS, 1,
	  "no raw HTML", EXACT },
	{ "no_html: inline tags", "- format: {no_html: true}",
	  "a <b>bold</b> word\n", FAIL, 0, "2 raw HTML elements", EXACT },
	{ "no_html: HTML in code is code", "- format: {no_html: true}",
	  "`<b>` and\n\n```html\n<div></div>\n```\n", PASS, 1, "no raw HTML",
	  EXACT },
	/*
	 * Regression (fixed): an HTML block is counted once per line of it as well
	 * (markdown.c, see test_markdown.c): FAIL "7 raw HTML elements".
	 */
	{ "no_html: one HTML block", "- format: {no_html: true}",
	  "<div>\nhi\n</div>\n", FAIL, 0, "1 raw HTML element", EXACT },
	{ "no_html: false checks nothing",
	  "- format: {no_html: false, bold: {max: 10}}", "<b>x</b>\n", PASS, 1,
	  "0 bold spans (need at most 10)", EXACT },
	{ "score is the share of checks that hold",
	  "- format: {bold: 1, bullets: 10, no_html: true}", plan, FAIL,
	  2.0 / 3, "3 bulleted items, need at least 10", EXACT },
	{ "every problem is listed",
	  "- format: {bold: {max: 0}, numbered: {within: [Rollback]}, "
	  "headings: {max_level: 1}}",
	  plan, FAIL, 0,
	  "2 bold spans, need at most 0; 0 numbered items in Rollback, need "
	  "at least 1; a level-3 heading, deepest allowed is 1",
	  EXACT },
	{ "all hold",
	  "- format: {bold: 2, bullets: 3, numbered: 3, headings: "
	  "{max_level: 3}, no_html: true}",
	  plan, PASS, 1,
	  "2 bold spans (need at least 2); 3 bulleted items (need at least 3); "
	  "3 numbered items (need at least 3); headings at most level 3 "
	  "(deepest 3); no raw HTML",
	  EXACT },
};

static void test_format(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, format_cases, ARRAY_SIZE(format_cases)),
		0);
}

/* table */

static const char tables[] =
	"## Migration Phases\n"
	"\n"
	"| **Phase** | Operation | Locking? | App State Required | Rollback "
	"Plan |\n"
	"|---|---|---|---|---|\n"
	"| 1 | add column | no | old | drop column |\n"
	"| 2 | backfill | no | both | none |\n"
	"| 3 | swap | brief | new | swap back |\n"
	"\n"
	"## Notes\n"
	"\n"
	"Owner | Risk\n"
	"---|---\n"
	"dba | low\n"
	"\n"
	"## Intro\n"
	"\n"
	"No table here.\n";

static const struct eval_case table_cases[] = {
	{ "columns in any case and punctuation",
	  "- table:\n    columns: [phase, OPERATION, 'locking?', app state "
	  "required, rollback]\n    min_rows: 3\n    within: Migration Phases",
	  tables, PASS, 1, "table with 5 columns and 3 rows", EXACT },
	{ "columns in any order", "- table: {columns: [Rollback, Phase]}",
	  tables, PASS, 1, "table with 5 columns and 3 rows", EXACT },
	{ "a missing column", "- table: {columns: [Phase, Operation, Owner]}",
	  tables, FAIL, 2.0 / 3, "table is missing column: Owner", EXACT },
	{ "missing columns", "- table: {columns: [Phase, Downtime, Cost]}",
	  tables, FAIL, 1.0 / 3, "table is missing columns: Downtime, Cost",
	  EXACT },
	{ "a prefix of a word is not a column", "- table: {columns: [Phas]}",
	  tables, FAIL, 0, "table is missing column: Phas", EXACT },
	{ "one column is one name", "- table: {columns: [phase, phase plan]}",
	  "| phase plan | owner |\n|---|---|\n| 1 | ops |\n", FAIL, 0.5,
	  "table is missing column: phase plan", EXACT },
	{ "each name gets a column of its own",
	  "- table: {columns: [phase, phase plan]}",
	  "| phase plan | phase |\n|---|---|\n| 1 | 2 |\n", PASS, 1,
	  "table with 2 columns and 1 row", EXACT },
	{ "min_rows", "- table: {columns: [Phase], min_rows: 4}", tables, FAIL,
	  0.5, "table has 3 rows, need at least 4", EXACT },
	{ "the best table is chosen", "- table: {columns: [owner, risk]}",
	  tables, PASS, 1, "table with 2 columns and 1 row", EXACT },
	{ "table without outer pipes, within",
	  "- table: {columns: [Owner, Risk], min_rows: 1, within: Notes}",
	  tables, PASS, 1, "table with 2 columns and 1 row", EXACT },
	{ "within: only that section",
	  "- table: {columns: [Phase], within: Notes}", tables, FAIL, 0,
	  "table is missing column: Phase", EXACT },
	{ "within: a section without a table",
	  "- table: {columns: [Phase], within: Intro}", tables, FAIL, 0,
	  "no table in section Intro", EXACT },
	{ "within: a missing section",
	  "- table: {columns: [Phase], within: Glossary}", tables, FAIL, 0,
	  "section 'Glossary' not found", EXACT },
	{ "table: true", "- table: true", tables, PASS, 1,
	  "table with 5 columns and 3 rows", EXACT },
	{ "no table", "- table: {columns: [Phase]}", "Just prose.\n", FAIL, 0,
	  "no table", EXACT },
	{ "a table in a fence is code", "- table: true",
	  "```\n| A | B |\n|---|---|\n| 1 | 2 |\n```\n", FAIL, 0, "no table",
	  EXACT },
	{ "CRLF table", "- table: {columns: [A, B], min_rows: 1}",
	  "| A | B |\r\n|---|---|\r\n| 1 | 2 |\r\n", PASS, 1,
	  "table with 2 columns and 1 row", EXACT },
};

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, table_cases, ARRAY_SIZE(table_cases)), 0);
}

/* code */

static const char prose_only[] =
	"Use CREATE INDEX CONCURRENTLY to avoid locks.\n\n"
	"```sql\nCREATE INDEX idx ON users (email);\n```\n";

static const struct eval_case code_cases[] = {
	{ "language", "- code: {language: sql}", plan, PASS, 1, "1 sql block",
	  EXACT },
	{ "language is case-insensitive", "- code: {language: SQL}",
	  "```Sql\nSELECT 1;\n```\n", PASS, 1, "1 sql block", EXACT },
	{ "sql matches postgresql", "- code: {language: sql}",
	  "```postgresql\nSELECT 1;\n```\n", PASS, 1, "1 sql block", EXACT },
	{ "sql matches mysql, plpgsql, tsql", "- code: {language: sql, min: 3}",
	  "```mysql\nx\n```\n\n```plpgsql\ny\n```\n\n```tsql\nz\n```\n", PASS,
	  1, "3 sql blocks", EXACT },
	{ "postgresql does not match sql", "- code: {language: postgresql}",
	  plan, FAIL, 0, "0 postgresql blocks, need at least 1", EXACT },
	{ "another language", "- code: {language: python}", plan, FAIL, 0,
	  "0 python blocks, need at least 1", EXACT },
	{ "any language", "- code: {min: 2}",
	  "```bash\nls\n```\n\n    indented\n", PASS, 1, "2 code blocks",
	  EXACT },
	{ "an indented block has no language", "- code: {language: sql}",
	  "Text.\n\n    SELECT 1;\n", FAIL, 0, "0 sql blocks, need at least 1",
	  EXACT },
	{ "min", "- code: {language: sql, min: 2}", plan, FAIL, 0.5,
	  "1 sql block, need at least 2", EXACT },
	{ "contains over the code",
	  "- code:\n    language: sql\n    contains: "
	  "'(?i)create\\s+index\\s+concurrently'",
	  plan, PASS, 1,
	  "1 sql block, 1 matching /(?i)create\\s+index\\s+concurrently/",
	  EXACT },
	{ "contains: prose does not count",
	  "- code: {language: sql, contains: 'CREATE INDEX CONCURRENTLY'}",
	  prose_only, FAIL, 0.5,
	  "no sql block matches /CREATE INDEX CONCURRENTLY/", EXACT },
	{ "contains: one block of two",
	  "- code: {language: sql, contains: 'SELECT'}",
	  "```sql\nUPDATE t SET x = 1;\n```\n\n```sql\nSELECT 1;\n```\n", PASS,
	  1, "2 sql blocks, 1 matching /SELECT/", EXACT },
	{ "contains: blocks of other languages do not count",
	  "- code: {language: sql, contains: 'SELECT'}",
	  "```python\nSELECT = 1\n```\n\n```sql\nUPDATE t;\n```\n", FAIL, 0.5,
	  "no sql block matches /SELECT/", EXACT },
};

static void test_code(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, code_cases, ARRAY_SIZE(code_cases)), 0);
}

/* length */

static const struct eval_case length_cases[] = {
	{ "words min", "- length: {words: 5}", "one two three", FAIL, 0,
	  "3 words (need at least 5)", EXACT },
	{ "words range", "- length: {words: {min: 1, max: 2}}", "one two three",
	  FAIL, 0, "3 words (need 1 to 2)", EXACT },
	{ "words exact", "- length: {words: {min: 3, max: 3}}",
	  "one, two; three.", PASS, 1, "3 words (ok)", EXACT },
	{ "markup is not words", "- length: {words: {max: 3}}",
	  "## **One** `two`\n\n- three\n", PASS, 1, "3 words (ok)", EXACT },
	{ "words in any script, a CJK character each", "- length: {words: 2}",
	  "\xe6\x95\xb0\xe6\x8d\xae\xe8\xbf\x81\xe7\xa7\xbb plan", PASS, 1,
	  "5 words (ok)", EXACT },
	{ "words: kana and kanji", "- length: {words: {min: 8, max: 8}}",
	  "日本語のテキスト", PASS, 1, "8 words (ok)", EXACT },
	{ "words: accents, written either way",
	  "- length: {words: {min: 4, max: 4}}",
	  "Une école, e\xcc\x81"
	  "cole — naïve",
	  PASS, 1, "4 words (ok)", EXACT },
	{ "chars are what a reader sees", "- length: {chars: {max: 11}}",
	  "h\xc3\xa9llo w\xc3\xb6rld", PASS, 1, "11 chars (ok)", EXACT },
	{ "chars: a combining accent is part of its letter",
	  "- length: {chars: {min: 5, max: 5}}",
	  "e\xcc\x81"
	  "cole",
	  PASS, 1, "5 chars (ok)", EXACT },
	{ "chars: a flag is one character",
	  "- length: {chars: {min: 1, max: 1}}", "🇫🇷", PASS, 1, "1 char (ok)",
	  EXACT },
	{ "chars: white space at the ends is trimmed (Unicode)",
	  "- length: {chars: {min: 3, max: 3}}", "\xc2\xa0 abc\n\xe3\x80\x80\n",
	  PASS, 1, "3 chars (ok)", EXACT },
	{ "lines: blank lines at the ends are trimmed",
	  "- length: {lines: {min: 2, max: 2}}", "\n\na\nb\n\n\n", PASS, 1,
	  "2 lines (ok)", EXACT },
	{ "chars max", "- length: {chars: {max: 10}}",
	  "h\xc3\xa9llo w\xc3\xb6rld", FAIL, 0, "11 chars (need at most 10)",
	  EXACT },
	{ "chars: a byte that starts no character counts as one",
	  "- length: {chars: {min: 4, max: 4}}",
	  "\xc3\xa9\xff\x80"
	  "a",
	  PASS, 1,
	  "4 chars (ok); 2 bytes of the answer are not UTF-8 (read as "
	  "U+FFFD)",
	  EXACT },
	{ "words: a byte that is not UTF-8 separates words",
	  "- length: {words: {min: 2, max: 2}}", "one\xfftwo", PASS, 1,
	  "2 words (ok); 1 byte of the answer is not UTF-8 (read as U+FFFD)",
	  EXACT },
	{ "chars: CJK and emoji", "- length: {chars: {min: 5, max: 5}}",
	  "\xe6\x95\xb0\xe6\x8d\xae\xe8\xbf\x81\xe7\xa7\xbb\xf0\x9f\x9a\x80",
	  PASS, 1, "5 chars (ok)", EXACT },
	{ "lines", "- length: {lines: {max: 2}}", "a\nb\nc", FAIL, 0,
	  "3 lines (need at most 2)", EXACT },
	{ "a final newline ends the last line",
	  "- length: {lines: {min: 2, max: 2}}", "a\nb\n", PASS, 1,
	  "2 lines (ok)", EXACT },
	{ "CRLF lines", "- length: {lines: {min: 2, max: 2}}", "a\r\nb\r\n",
	  PASS, 1, "2 lines (ok)", EXACT },
	{ "a lone CR ends a line, as in CommonMark",
	  "- length: {lines: {max: 2}}", "a\rb\rc\rd", FAIL, 0,
	  "4 lines (need at most 2)", EXACT },
	{ "several units", "- length: {words: 1, lines: 1}", "one two", PASS, 1,
	  "2 words (ok), 1 line (ok)", EXACT },
	{ "several units, one fails",
	  "- length: {words: 10, chars: {max: "
	  "100}}",
	  "one two", FAIL, 0, "2 words (need at least 10), 7 chars (ok)",
	  EXACT },
};

static void test_length(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, length_cases, ARRAY_SIZE(length_cases)),
		0);
}

/* json */

static const char json_schema_extra[] =
	"responseFormat: json_schema\n"
	"jsonSchema: '{\"name\": \"plan\", \"schema\": {\"type\": \"object\", "
	"\"required\": [\"risk\", \"steps\"], \"additionalProperties\": false, "
	"\"properties\": {\"risk\": {\"type\": \"string\", \"enum\": [\"low\", "
	"\"medium\", \"high\"]}, \"steps\": {\"type\": \"array\", "
	"\"minItems\": 1, \"maxItems\": 3, \"items\": {\"type\": "
	"\"string\"}}, \"owner\": {\"type\": [\"string\", \"null\"]}, "
	"\"hours\": {\"type\": \"integer\"}}}}'\n";

static const struct eval_case json_schema_cases[] = {
	{ "valid", "- json: true", "{\"risk\": \"low\", \"steps\": [\"a\"]}",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "surrounding whitespace", "- json: true",
	  "\n  {\"risk\": \"low\", \"steps\": [\"a\"], \"owner\": null, "
	  "\"hours\": 2.0}\n\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "a fenced json block", "- json: true",
	  "Here it is:\n\n```JSON\n{\"risk\": \"high\", \"steps\": [\"a\", "
	  "\"b\"]}\n```\n\nDone.\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	/*
	 * json_check.c looks for a json block only when the answer holds
	 * "json" in some case: the language below is its only mention,
	 * split between cases and at the end of the fence's line.
	 */
	{ "a json block in mixed case, the only mention", "- json: true",
	  "Plan:\n\n~~~ jSoN\n{\"risk\": \"low\", \"steps\": [\"a\"]}\n~~~\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "the first json block counts, and the reason says so", "- json: true",
	  "```sql\nSELECT 1;\n```\n\n```json\n{\"risk\": \"low\", \"steps\": "
	  "[\"a\"]}\n```\n\n```json\n{}\n```\n",
	  PASS, 1,
	  "valid JSON that matches the schema (the first of 2 json blocks; "
	  "the others are not read)",
	  EXACT },
	/*
	 * Regression (fixed): json_check.c takes an output that starts with "[" or "{" as
	 * the JSON itself, even when it is prose with a json block after
	 * it: FAIL "not valid JSON: invalid JSON: unexpected character".
	 */
	/*
	 * Regression (fixed): when the prose before a broken json block
	 * started with "{" too, the reason gave the prose's error, not the
	 * block's.
	 */
	{ "prose starting with { before a broken json block", "- json: true",
	  "{Draft} The plan:\n\n```json\n{\"risk\": \"low\",\n```\n", FAIL, 0,
	  "not valid JSON: unexpected end of input at line 2, column 1 of "
	  "its json block",
	  EXACT },
	/*
	 * Regression (fixed): the answer's white space before the JSON was
	 * skipped before parsing, and the error's place counted from there.
	 */
	{ "invalid JSON after blank lines", "- json: true",
	  "\n\n\n{\"risk\": ", FAIL, 0,
	  "not valid JSON: unexpected end of input at line 4, column 10",
	  EXACT },
	{ "invalid JSON after spaces", "- json: true", "\n  {\"risk\" 1}", FAIL,
	  0, "not valid JSON: unexpected character at line 2, column 11",
	  EXACT },
	{ "prose starting with [ before a json block", "- json: true",
	  "[Draft] The plan:\n\n```json\n{\"risk\": \"low\", \"steps\": "
	  "[\"a\"]}\n```\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	/*
	 * Regression (fixed): the reason repeats itself ("not valid JSON: invalid JSON:
	 * unexpected end of input") and drops the line and column that
	 * pe_json_parse recorded in its diagnostic.
	 */
	{ "invalid JSON", "- json: true", "{\"risk\": \"low\",", FAIL, 0,
	  "not valid JSON: unexpected end of input", CONTAINS },
	{ "text after the JSON", "- json: true",
	  "{\"risk\": \"low\", \"steps\": [\"a\"]}\n\nLet me know!", FAIL, 0,
	  "unexpected text after the value", CONTAINS },
	{ "not JSON at all", "- json: true", "Sure! Here is the plan.", FAIL, 0,
	  "unexpected character", CONTAINS },
	/*
	 * Fences are looked for only where they can be (three backticks or
	 * tildes in a row); prose without a json fence is read as JSON
	 * whole, and a string or bracket it leaves open ends it too early.
	 */
	{ "a tilde fence", "- json: true",
	  "Plan:\n\n~~~json\n{\"risk\": \"low\", \"steps\": [\"a\"]}\n~~~\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "a fence of four backticks", "- json: true",
	  "Plan:\n\n````json\n{\"risk\": \"low\", \"steps\": [\"a\"]}\n"
	  "````\n",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "prose with only a sql fence", "- json: true",
	  "# Plan\n\n```sql\nSELECT 1;\n```\n", FAIL, 0,
	  "not valid JSON: unexpected character at line 1, column 1", EXACT },
	{ "inline code is no fence", "- json: true",
	  "Use `{}` or ``[]``, not ~~x~~.", FAIL, 0,
	  "not valid JSON: unexpected character at line 1, column 1", EXACT },
	{ "prose cut off inside a quote", "- json: true",
	  "# Plan\n\nSay \"h\xc3\xa9", FAIL, 0,
	  "not valid JSON: unexpected end of input at line 3, column 8",
	  EXACT },
	{ "prose with an open bracket", "- json: true",
	  "<p>Steps [1, 2\n(see \"a]\")", FAIL, 0,
	  "not valid JSON: unexpected end of input at line 2, column 11",
	  EXACT },
	{ "missing required property", "- json: true", "{\"risk\": \"low\"}",
	  FAIL, 0,
	  "JSON does not match the schema (1 problem): (root): missing "
	  "required property \"steps\"",
	  EXACT },
	{ "enum", "- json: true", "{\"risk\": \"extreme\", \"steps\": [\"a\"]}",
	  FAIL, 0,
	  "JSON does not match the schema (1 problem): /risk: \"extreme\" is "
	  "not one of the enum values (\"low\", \"medium\", \"high\")",
	  EXACT },
	{ "additionalProperties: false", "- json: true",
	  "{\"risk\": \"low\", \"steps\": [\"a\"], \"extra\": 1}", FAIL, 0,
	  "JSON does not match the schema (1 problem): (root): unexpected "
	  "property \"extra\" (additionalProperties: false)",
	  EXACT },
	{ "items", "- json: true", "{\"risk\": \"low\", \"steps\": [\"a\", 2]}",
	  FAIL, 0,
	  "JSON does not match the schema (1 problem): /steps/1: 2 is not of "
	  "type string",
	  EXACT },
	{ "root type", "- json: true", "[\"risk\"]", FAIL, 0,
	  "JSON does not match the schema (1 problem): (root): an array of 1 "
	  "item is not of type object",
	  EXACT },
	{ "minItems", "- json: true", "{\"risk\": \"low\", \"steps\": []}",
	  FAIL, 0,
	  "JSON does not match the schema (1 problem): /steps: has 0 items, "
	  "below the minItems 1",
	  EXACT },
	{ "maxItems", "- json: true",
	  "{\"risk\": \"low\", \"steps\": [\"a\", \"b\", \"c\", \"d\"]}", FAIL,
	  0,
	  "JSON does not match the schema (1 problem): /steps: has 4 items, "
	  "above the maxItems 3",
	  EXACT },
	{ "integer", "- json: true",
	  "{\"risk\": \"low\", \"steps\": [\"a\"], \"hours\": 1.5}", FAIL, 0,
	  "JSON does not match the schema (1 problem): /hours: 1.5 is not of "
	  "type integer",
	  EXACT },
	/*
	 * Regression (fixed): with a list of types the reason says "expected another type"
	 * instead of naming them.
	 */
	{ "a list of types", "- json: true",
	  "{\"risk\": \"low\", \"steps\": [\"a\"], \"owner\": 5}", FAIL, 0,
	  "/owner: 5 is not of type string or null", CONTAINS },
	{ "at most three problems are listed", "- json: true",
	  "{\"risk\": 1, \"steps\": [1, 2, 3, 4], \"x\": 1}", FAIL, 0,
	  "JSON does not match the schema (7 problems): /risk: 1 is not of "
	  "type string; /steps: has 4 items, above the maxItems 3; /steps/0: "
	  "1 is not of type string",
	  EXACT },
	{ "schema: false checks syntax only", "- json: {schema: false}",
	  "{\"risk\": \"extreme\"}", PASS, 1, "valid JSON", EXACT },
	{ "schema: true", "- json: {schema: true}", "{\"risk\": \"extreme\"}",
	  FAIL, 0,
	  "JSON does not match the schema (2 problems): (root): missing "
	  "required property \"steps\"; /risk: \"extreme\" is not one of the "
	  "enum values (\"low\", \"medium\", \"high\")",
	  EXACT },
};

/* jsonSchema as a YAML mapping, and a plain schema (no name/schema). */
static const char json_yaml_schema_extra[] = "responseFormat: json_object\n"
					     "jsonSchema:\n"
					     "  type: object\n"
					     "  required: [answer]\n"
					     "  properties:\n"
					     "    answer: {type: integer}\n";

static const struct eval_case json_yaml_schema_cases[] = {
	{ "YAML schema: valid", "- json: true", "{\"answer\": 4}", PASS, 1,
	  "valid JSON that matches the schema", EXACT },
	{ "YAML schema: wrong type", "- json: true", "{\"answer\": \"4\"}",
	  FAIL, 0,
	  "JSON does not match the schema (1 problem): /answer: \"4\" is not "
	  "of type integer",
	  EXACT },
};

/* The json_schema wrapper without a name: still read as the wrapper. */
static const char json_unnamed_wrapper_extra[] =
	"jsonSchema: '{\"strict\": true, \"schema\": {\"type\": "
	"\"integer\"}}'\n";

static const struct eval_case json_unnamed_wrapper_cases[] = {
	{ "the wrapper's schema applies", "- json: true", "\"4\"", FAIL, 0,
	  "JSON does not match the schema (1 problem): (root): \"4\" is not "
	  "of type integer",
	  EXACT },
};

/* A schema that validation cannot finish: an error, never a pass. */
static const char json_cycle_schema_extra[] =
	"responseFormat: json_object\n"
	"jsonSchema:\n"
	"  anyOf: [{type: string}, {$ref: '#'}]\n";

static const struct eval_case json_cycle_schema_cases[] = {
	{ "a $ref cycle stops validation", "- json: true", "5", ERROR, 0,
	  "JSON Schema validation stopped: (root): $ref comes back to a "
	  "schema already applied here, a cycle that never ends",
	  EXACT },
	{ "...where a branch passes first", "- json: true", "\"s\"", PASS, 1,
	  "valid JSON that matches the schema", EXACT },
};

static const struct eval_case json_cases[] = {
	{ "no schema", "- json: true", "{\"anything\": [1, 2.5, null, true]}",
	  PASS, 1, "valid JSON", EXACT },
	{ "a scalar is JSON", "- json: true", "\"just text\"", PASS, 1,
	  "valid JSON", EXACT },
	{ "no schema, invalid", "- json: true", "{'single': 'quotes'}", FAIL, 0,
	  "unexpected character", CONTAINS },
	/* A schema of the evaluator's own, inline, and the dialect. */
	{ "inline schema", "- json: {schema: {type: object, required: [n]}}",
	  "{\"n\": 3}", PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "inline schema, failed",
	  "- json: {schema: {properties: {n: {maximum: 10}}}}", "{\"n\": 99}",
	  FAIL, 0, "/n: 99 is above the maximum 10", CONTAINS },
	{ "type: json_schema",
	  "- type: json_schema\n  schema: {type: array, minItems: 1}", "[1]",
	  PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "type: json_schema, failed",
	  "- type: json_schema\n  value: {type: array, minItems: 2}", "[1]",
	  FAIL, 0, "(root): ", CONTAINS },
	/* RFC 8259 to the letter, where cJSON would take more. */
	{ "a leading zero", "- json: true", "01", FAIL, 0,
	  "not valid JSON: leading zero in a number at line 1, column 1",
	  EXACT },
	{ "no digit after the point", "- json: true", "1.", FAIL, 0,
	  "not valid JSON: digit expected in a number at line 1, column 3",
	  EXACT },
	{ "a vertical tab is no white space", "- json: true", "[1\v]", FAIL, 0,
	  "not valid JSON: unexpected character at line 1, column 3", EXACT },
	{ "nor a form feed before the value", "- json: true", "\f{}", FAIL, 0,
	  "not valid JSON: unexpected character at line 1, column 1", EXACT },
	{ "nor a control character", "- json: true", "[\x01]", FAIL, 0,
	  "not valid JSON: unexpected character at line 1, column 2", EXACT },
	{ "a raw tab in a string", "- json: true", "{\"a\":\"x\ty\"}", FAIL, 0,
	  "not valid JSON: unescaped control character U+0009 in a string at "
	  "line 1, column 8",
	  EXACT },
	{ "a raw U+0001 in a string", "- json: true", "{\"a\":\"x\x01y\"}",
	  FAIL, 0,
	  "not valid JSON: unescaped control character U+0001 in a string at "
	  "line 1, column 8",
	  EXACT },
	{ "the forms RFC 8259 allows", "- json: true",
	  "[0, -0, 0.5e-3, 1E+2, -1.5E-7, \"\\u0000\", \"\\ud83d\\ude00\"]",
	  PASS, 1, "valid JSON", EXACT },
	/*
	 * JSON the reader takes no one meaning from is an error, never a
	 * pass or a fail, whatever not: says.
	 */
	{ "a number beyond a double", "- json: true", "{\"n\": 1e400}", ERROR,
	  0, "cannot check the JSON: number out of range at line 1, column 7",
	  EXACT },
	{ "a key given twice",
	  "- json: {schema: {properties: {a: {type: integer}}}}",
	  "{\"a\":1,\"a\":\"x\"}", ERROR, 0,
	  "cannot check the JSON: duplicate key 'a' at line 1, column 8",
	  EXACT },
	{ "a key given twice, under not:", "- json: true\n  not: true",
	  "{\"pass\": true, \"pass\": false}", ERROR, 0,
	  "cannot check the JSON: duplicate key 'pass' at line 1, column 16",
	  EXACT },
	{ "a key given twice in a json block", "- json: true",
	  "Here:\n\n```json\n{\"a\": 1,\n \"a\": 2}\n```\n", ERROR, 0,
	  "cannot check the JSON: duplicate key 'a' at line 2, column 2 of its "
	  "json block",
	  EXACT },
};

/*
 * Answers built here: nesting around a value, and NUL bytes, which a C
 * string literal cannot end the table's rows with.  Past 128 levels the
 * JSON is an error at the value that goes too deep, also under not:.
 * A NUL in the text of a string is a control character, refused; as
 * "\u0000" it is kept, and a check sees the whole string.
 */
static void test_json_built(void **state)
{
	static const struct {
		const char *name, *evaluator;
		size_t depth; /* arrays around [1], or 0 for text */
		const char *text;
		size_t len;
		int verdict;
		const char *reason;
	} cases[] = {
		{ "128 levels", "- json: true", 127, NULL, 0, PASS,
		  "valid JSON" },
		{ "129 levels", "- json: true", 128, NULL, 0, ERROR,
		  "cannot check the JSON: nested deeper than 128 levels at "
		  "line 1, column 130" },
		{ "200 levels", "- json: true", 199, NULL, 0, ERROR,
		  "cannot check the JSON: nested deeper than 128 levels at "
		  "line 1, column 130" },
		{ "200 levels, under not:", "- json: true\n  not: true", 199,
		  NULL, 0, ERROR,
		  "cannot check the JSON: nested deeper than 128 levels at "
		  "line 1, column 130" },
		{ "1100 levels", "- json: true", 1099, NULL, 0, ERROR,
		  "cannot check the JSON: nested deeper than 128 levels at "
		  "line 1, column 130" },
		{ "a NUL byte in a value",
		  "- json: {schema: {properties: {a: {const: x}}}}", 0,
		  "{\"a\":\"x\0y\"}", 11, FAIL,
		  "not valid JSON: unescaped control character U+0000 in a "
		  "string at line 1, column 8" },
		{ "a NUL byte in a key",
		  "- json: {schema: {properties: {a: {const: x}}}}", 0,
		  "{\"a\0b\":\"x\"}", 11, FAIL,
		  "not valid JSON: unescaped control character U+0000 in a "
		  "string at line 1, column 4" },
		{ "an escaped NUL in a value",
		  "- json: {schema: {properties: {a: {const: x}}}}", 0,
		  "{\"a\":\"x\\u0000y\"}", 16, FAIL,
		  "JSON does not match the schema (1 problem): /a: "
		  "\"x\\u0000y\" "
		  "is not the const value \"x\"" },
	};
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct eval_case c = { cases[i].name,
				       cases[i].evaluator,
				       NULL,
				       cases[i].verdict,
				       cases[i].verdict == PASS,
				       cases[i].reason,
				       EXACT };
		struct pe_buf text;

		pe_buf_init(&text, 0);
		for (size_t d = 0; d < cases[i].depth; d++)
			pe_buf_addc(&text, '[');
		if (cases[i].depth)
			pe_buf_adds(&text, "[1]");
		else
			pe_buf_add(&text, cases[i].text, cases[i].len);
		for (size_t d = 0; d < cases[i].depth; d++)
			pe_buf_addc(&text, ']');
		failures += !run_eval_case(NULL, &c, text.data, text.len);
		pe_buf_release(&text);
	}
	assert_int_equal(failures, 0);
}

/*
 * The answer is parsed as Markdown when the first evaluator that reads
 * the parse asks for it (pe_eval_md), once, and not at all for
 * evaluators that read only the text.
 */
static void test_markdown_on_demand(void **state)
{
	struct loaded l;
	struct pe_eval_memo memo;
	struct pe_eval_input in;
	struct pe_eval_result r;
	const struct pe_md *md;

	(void)state;
	load(&l, NULL,
	     "- string: {contains: users}\n"
	     "- sections: [Migration Strategy]\n");
	assert_int_equal(l.rc, PE_OK);
	memset(&memo, 0, sizeof(memo));
	memset(&in, 0, sizeof(in));
	in.output = plan;
	in.len = strlen(plan);
	in.prompt = l.prompt;
	in.kase = &l.prompt->cases[0];
	in.memo = &memo;
	pe_evaluator_score(&l.prompt->evaluators[0], &in, &r);
	assert_int_equal(r.verdict, PE_VERDICT_PASS);
	free(r.reason);
	assert_null(memo.md);
	pe_evaluator_score(&l.prompt->evaluators[1], &in, &r);
	assert_int_equal(r.verdict, PE_VERDICT_PASS);
	free(r.reason);
	assert_non_null(memo.md);
	md = memo.md;
	assert_ptr_equal(pe_eval_md(&in), md);
	pe_eval_memo_release(&memo);
	unload(&l);
}

static void test_json(void **state)
{
	size_t failures;

	(void)state;
	failures = run_eval_table(json_schema_extra, json_schema_cases,
				  ARRAY_SIZE(json_schema_cases));
	failures +=
		run_eval_table(json_yaml_schema_extra, json_yaml_schema_cases,
			       ARRAY_SIZE(json_yaml_schema_cases));
	failures += run_eval_table(json_unnamed_wrapper_extra,
				   json_unnamed_wrapper_cases,
				   ARRAY_SIZE(json_unnamed_wrapper_cases));
	failures +=
		run_eval_table(json_cycle_schema_extra, json_cycle_schema_cases,
			       ARRAY_SIZE(json_cycle_schema_cases));
	failures += run_eval_table(NULL, json_cases, ARRAY_SIZE(json_cases));
	assert_int_equal(failures, 0);
}

/* judges and kinds that never run */

#define LLM_REASON     "LLM judge did not run: " PE_NO_JUDGE_MODEL
#define BUILTIN_REASON "built-in judge did not run: " PE_NO_JUDGE_MODEL

static const struct eval_case judge_cases[] = {
	{ "llm:",
	  "- name: judge\n  llm:\n    modelId: openai/gpt-4o-mini\n"
	  "    prompt: \"Is this safe? {{completion}}\"\n"
	  "    choices:\n      - {choice: good, score: 1}\n"
	  "      - {choice: bad, score: 0}",
	  plan, SKIP, 0, LLM_REASON, EXACT },
	{ "uses: github/coherence", "- uses: github/coherence", plan, SKIP, 0,
	  BUILTIN_REASON, EXACT },
	{ "uses: github/similarity", "- uses: github/similarity", plan, SKIP, 0,
	  BUILTIN_REASON, EXACT },
	{ "model + criteria", "- model: openai/gpt-4o\n  criteria: Is it safe?",
	  plan, SKIP, 0, LLM_REASON, EXACT },
	{ "type: prompt_evaluator",
	  "- type: prompt_evaluator\n  parameters: "
	  "{criteria: Is it safe?}",
	  plan, SKIP, 0, LLM_REASON, EXACT },
	{ "rule:", "- rule: Must mention the rollback", plan, SKIP, 0,
	  "rule judge did not run: " PE_NO_JUDGE_MODEL, EXACT },
	{ "a bare sentence", "- Must mention the rollback", plan, SKIP, 0,
	  "rule judge did not run: " PE_NO_JUDGE_MODEL, EXACT },
	{ "judge:", "- judge: {rubric: Has a rollback, scale: 5}", plan, SKIP,
	  0, "rubric judge did not run: " PE_NO_JUDGE_MODEL, EXACT },
	{ "type: model_graded",
	  "- type: model_graded\n  prompt: Is it safe?\n  choices: [Yes, No]",
	  plan, SKIP, 0, LLM_REASON, EXACT },
	{ "type: llm_eval", "- type: llm_eval\n  criteria: Is it safe?", plan,
	  SKIP, 0, LLM_REASON, EXACT },
	{ "not: keeps a skip", "- uses: github/fluency\n  not: true", plan,
	  SKIP, 0, BUILTIN_REASON, EXACT },
};

/*
 * python and exec checks, run through a pool of check workers as
 * "score" runs them: the case has input x, table users and expected
 * "Hello World", and the model is openai:gpt-4o.
 */

#define GARBAGE "not true, false, a number in [0, 1] or {pass, score, reason}"

static const struct eval_case python_cases[] = {
	{ "an expression", "- python: \"'CONCURRENTLY' in output\"", plan, PASS,
	  1, "returned True", EXACT },
	{ "an expression that is false", "- python: \"'pglogical' in output\"",
	  plan, FAIL, 0, "returned False", EXACT },
	{ "the variables, expected and vars",
	  "- python: \"table == 'users' and expected == 'Hello World' and "
	  "vars == {'input': 'x', 'expected': 'Hello World', 'table': "
	  "'users'}\"",
	  plan, PASS, 1, "returned True", EXACT },
	{ "context names the prompt and the model",
	  "- python: \"context['prompt'] == 't' and context['model'] == "
	  "'openai:gpt-4o' and context['case'].startswith('case-')\"",
	  plan, PASS, 1, "returned True", EXACT },
	{ "re, json and math are there",
	  "- python: \"bool(re.search(r'Risk\\\\s+Register', output)) and "
	  "json.loads('[1]') == [1] and math.floor(1.5) == 1\"",
	  plan, PASS, 1, "returned True", EXACT },
	{ "a function body returns the result",
	  "- python:\n"
	  "    code: |\n"
	  "      n = len(output.split())\n"
	  "      if n < 10:\n"
	  "          return False\n"
	  "      return {'pass': True, 'score': 0.9, 'reason': 'many words'}",
	  plan, PASS, 0.9, "many words", EXACT },
	{ "statements assign result",
	  "- python: {code: \"x = 3\\nresult = x > 2\"}", plan, PASS, 1,
	  "returned True", EXACT },
	{ "statements without a result", "- python: {code: \"x = 3\"}", plan,
	  ERROR, 0,
	  "the code set no result: write an expression, return a value, or "
	  "assign it to result",
	  EXACT },
	/*
	 * Regression (fixed): python_worker.py ran a function body as
	 * __check__() with every name it is given a global, so a body that
	 * assigns one of them made it a local and read it unbound: the next
	 * four rows were ERROR "UnboundLocalError: cannot access local
	 * variable 'output' where it is not associated with a value (line
	 * 1)".  The last two pin what did work: global, and an unbound local.
	 */
	{ "a function body assigns output",
	  "- python: {code: \"output = output.lower()\\n"
	  "return 'concurrently' in output\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "a function body assigns a variable and a module",
	  "- python: {code: \"table = table.upper()\\n"
	  "re = re.compile(table)\\nreturn bool(re.search('USERS'))\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "a generator reads a name the body assigned",
	  "- python: {code: \"output = output.lower()\\n"
	  "return all(w in output for w in ['expand', 'contract'])\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "a body that assigns output raises on the check's line",
	  "- python: {code: \"output = output.lower()\\n"
	  "n = len(output)\\nreturn n / 0\"}",
	  plan, ERROR, 0, "ZeroDivisionError: division by zero (line 3)",
	  EXACT },
	{ "a body may still declare output global",
	  "- python: {code: \"global output\\noutput = output.lower()\\n"
	  "return 'concurrently' in output\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "a local no one binds is unbound until assigned",
	  "- python: {code: \"if False:\\n    nope = 1\\nreturn nope\"}", plan,
	  ERROR, 0, "UnboundLocalError: ", CONTAINS },
	{ "a score at least the threshold", "- python: \"0.75\"", plan, PASS,
	  0.75, "returned 0.75, at least 0.5", EXACT },
	{ "a score below its own threshold",
	  "- python: {code: \"0.75\", threshold: 0.8}", plan, FAIL, 0.75,
	  "returned 0.75, below 0.8", EXACT },
	{ "a score of 0 below a threshold just above 0",
	  "- python: {code: \"0.0\", threshold: 0.000001}", plan, FAIL, 0,
	  "returned 0.0, below 1e-06", EXACT },
	{ "promptfoo's type: python",
	  "- type: python\n  value: \"len(output) / 10000\"\n  threshold: 0.1",
	  "x", FAIL, 0.0001, "returned 0.0001, below 0.1", EXACT },
	{ "a mapping without a reason", "- python: \"{'score': 0.25}\"", plan,
	  FAIL, 0.25, "returned {'score': 0.25}", EXACT },
	{ "a mapping's other keys are ignored",
	  "- python: \"{'pass': True, 'tokens': object()}\"", plan, PASS, 1,
	  "returned {'pass': True, 'tokens': <object object at", CONTAINS },
	{ "raises: Python's message and the line",
	  "- python: {code: \"x = 1\\nreturn x / 0\"}", plan, ERROR, 0,
	  "ZeroDivisionError: division by zero (line 2)", EXACT },
	{ "a name that is not there", "- python: \"nope in output\"", plan,
	  ERROR, 0, "NameError: name 'nope' is not defined (line 1)", EXACT },
	{ "a syntax error", "- python: {code: \"def (\"}", plan, ERROR, 0,
	  "SyntaxError: ", CONTAINS },
	{ "text is garbage", "- python: \"'abc'\"", plan, ERROR, 0,
	  "returned 'abc', " GARBAGE, EXACT },
	{ "None is garbage", "- python: \"None\"", plan, ERROR, 0,
	  "returned None, " GARBAGE, EXACT },
	{ "NaN is garbage", "- python: \"float('nan')\"", plan, ERROR, 0,
	  "returned nan, " GARBAGE, EXACT },
	{ "a score above 1", "- python: \"2\"", plan, ERROR, 0,
	  "returned 2: a score must be a number from 0 to 1", EXACT },
	{ "pass must be a boolean", "- python: \"{'pass': 'yes'}\"", plan,
	  ERROR, 0, "returned {'pass': 'yes'}: pass must be true or false",
	  EXACT },
	{ "a mapping with neither pass nor score",
	  "- python: \"{'reason': 'hm'}\"", plan, ERROR, 0,
	  "returned {'reason': 'hm'}, with neither pass nor score", EXACT },
	{ "not: inverts a result", "- python: \"False\"\n  not: true", plan,
	  PASS, 1, "not: returned False", EXACT },
	{ "not: keeps an error", "- python: \"1/0\"\n  not: true", plan, ERROR,
	  0, "ZeroDivisionError: division by zero (line 1)", EXACT },
	{ "an integer past a double's range is what it returned",
	  "- python: \"10**400\"", plan, ERROR, 0,
	  "0..., not true, false, a number in [0, 1] or {pass, score, reason}",
	  CONTAINS },
	{ "a line the check writes to the worker's pipe is not its answer",
	  "- python: \"__import__('os').write(4, b'{\\\"value\\\": "
	  "true}\\\\n') "
	  "and False\"",
	  plan, ERROR, 0,
	  "the python worker's answer is not this check's: did the check "
	  "write to the worker's own pipe?",
	  EXACT },
	{ "past its timeout",
	  "- python: {code: \"while True: pass\", timeout: 0.2}", plan, ERROR,
	  0, "timed out after 0.2 s", EXACT },
	{ "what it prints is not its answer",
	  "- python: {code: \"import sys\\nprint('false')\\n"
	  "sys.stdout.flush()\\nreturn True\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "the worker dies", "- python: {code: \"import os\\nos._exit(3)\"}",
	  plan, ERROR, 0,
	  "the python worker exited with status 3 during the check", EXACT },
	{ "an answer that is not UTF-8 reads as U+FFFD",
	  "- python: \"output == 'a\\\\ufffdb'\"",
	  "a\xff"
	  "b",
	  PASS, 1, "returned True", EXACT },
};

static void test_python(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, python_cases, ARRAY_SIZE(python_cases)),
		0);
}

/*
 * A case with a variable named result: statements that assign result
 * never take it for their own, and the other forms see it.
 *
 * Regression (fixed): python_worker.py put the case's variables in the
 * check's globals and then read result from them, so statements that
 * never assign result gave the variable: the first row was PASS
 * "returned True", the third FAIL.
 */
static const char python_result_extra[] = "    result: true\n";

static const struct eval_case python_result_cases[] = {
	{ "statements that set no result",
	  "- python: \"if 'pglogical' in output:\\n    result = True\\n\"",
	  plan, ERROR, 0,
	  "the code set no result: write an expression, return a value, or "
	  "assign it to result",
	  EXACT },
	{ "statements that set result",
	  "- python: \"if 'CONCURRENTLY' in output:\\n    result = False\"",
	  plan, FAIL, 0, "returned False", EXACT },
	{ "statements find the variable in vars only",
	  "- python: {code: \"result = vars['result'] and "
	  "'result' not in globals()\"}",
	  plan, PASS, 1, "returned True", EXACT },
	{ "an expression sees the variable", "- python: \"result\"", plan, PASS,
	  1, "returned True", EXACT },
	{ "a function body sees the variable",
	  "- python: {code: \"x = result\\nreturn x\"}", plan, PASS, 1,
	  "returned True", EXACT },
};

static void test_python_result_variable(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(python_result_extra,
					python_result_cases,
					ARRAY_SIZE(python_result_cases)),
			 0);
}

static const struct eval_case exec_cases[] = {
	{ "prints true", "- exec: [echo, 'true']", plan, PASS, 1,
	  "printed true", EXACT },
	{ "prints a score", "- exec: [echo, '0.3']", plan, FAIL, 0.3,
	  "printed 0.3, below 0.5", EXACT },
	{ "prints a mapping",
	  "- exec: [echo, '{\"pass\": false, \"reason\": \"no table\"}']", plan,
	  FAIL, 0, "no table", EXACT },
	{ "reads the case on stdin",
	  "- exec: [python3, -c, \"import json, sys; d = json.load(sys.stdin); "
	  "print(json.dumps(d['vars']['table'] == 'users' and d['expected'] "
	  "== 'Hello World' and d['model'] == 'openai:gpt-4o' and "
	  "d['prompt'] == 't' and 'CONCURRENTLY' in d['output']))\"]",
	  plan, PASS, 1, "printed true", EXACT },
	{ "a mapping with a timeout",
	  "- exec: {command: [sh, -c, 'echo 0.6'], timeout: 2, threshold: 0.7}",
	  plan, FAIL, 0.6, "printed 0.6, below 0.7", EXACT },
	{ "prints garbage", "- exec: [echo, hello]", plan, ERROR, 0,
	  "printed hello, " GARBAGE, EXACT },
	{ "prints nothing", "- exec: ['true']", plan, ERROR, 0,
	  "printed nothing, " GARBAGE, EXACT },
	{ "exits with a status", "- exec: [sh, -c, 'echo true; exit 3']", plan,
	  ERROR, 0, "sh exited with status 3", EXACT },
	{ "killed by a signal", "- exec: [sh, -c, 'kill -9 $$']", plan, ERROR,
	  0, "sh killed by signal 9 (SIGKILL)", EXACT },
	{ "past its timeout",
	  "- exec: {command: [sh, -c, 'sleep 30'], timeout: 0.2}", plan, ERROR,
	  0, "sh timed out after 0.2 s", EXACT },
	{ "prints more than 1 MiB", "- exec: [head, -c, '2000000', /dev/zero]",
	  plan, ERROR, 0, "head printed more than 1 MiB", EXACT },
	{ "a program that is not there", "- exec: [./no-such-grader]", plan,
	  SKIP, 0, "program ./no-such-grader is not found", EXACT },
	{ "not: inverts", "- exec: [echo, 'false']\n  not: true", plan, PASS, 1,
	  "not: printed false", EXACT },
};

static void test_exec(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, exec_cases, ARRAY_SIZE(exec_cases)), 0);
}

/* Without a pool of check workers, python and exec checks skip. */
static void test_checks_without_workers(void **state)
{
	struct loaded l;
	struct pe_case_score s;

	(void)state;
	load(&l, NULL, "- python: 'True'\n- exec: [echo, 'true']\n");
	assert_int_equal(l.rc, 0);
	pe_score_case(l.prompt, &l.prompt->cases[0], "x", 1, NULL, &s);
	assert_int_equal(s.verdict, PE_VERDICT_UNGRADED);
	assert_int_equal(s.results[0].verdict, PE_VERDICT_SKIP);
	assert_string_equal(s.results[0].reason,
			    "python checks run in prompteval run and score");
	assert_int_equal(s.results[1].verdict, PE_VERDICT_SKIP);
	pe_case_score_release(&s);
	unload(&l);
}

static void test_judges(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, judge_cases, ARRAY_SIZE(judge_cases)), 0);
}

/*
 * Reading a judge's reply (pe_evaluator_judge_read), as "run" does once
 * the judge model has answered: a choice counts only as a whole token,
 * without regard to ASCII case, the one stated last wins, and a reply
 * that states no choice leaves the judge skipped with its start in the
 * reason.  gh-models would take the first choice in file order found
 * anywhere in the reply ("1" in "10"); these rows pin the stricter rule.
 */

#define WORDS_JUDGE                                                            \
	"- llm:\n    modelId: openai/gpt-4o-mini\n"                            \
	"    prompt: \"Grade: {{completion}}\"\n"                              \
	"    choices:\n      - {choice: good, score: 1}\n"                     \
	"      - {choice: ok, score: 0.5}\n"                                   \
	"      - {choice: bad, score: 0}"
/* gh-models writes scores above 1; they are divided by the largest. */
#define SCALE_JUDGE                                                            \
	"- llm:\n    modelId: openai/gpt-4o-mini\n"                            \
	"    prompt: \"Rate 1 to 10: {{completion}}\"\n"                       \
	"    choices: [{choice: '1', score: 0}, {choice: '2', score: 1},\n"    \
	"              {choice: '3', score: 2}, {choice: '4', score: 3},\n"    \
	"              {choice: '5', score: 4}, {choice: '6', score: 5},\n"    \
	"              {choice: '7', score: 6}, {choice: '8', score: 7},\n"    \
	"              {choice: '9', score: 8}, {choice: '10', score: 9}]"
#define NO_CHOICE "the judge's reply states no choice: "
#define UNDECIDED                                                              \
	"the judge's reply ends undecided: its last line with a choice "       \
	"states "

static const struct eval_case judge_read_cases[] = {
	{ "upper case", WORDS_JUDGE, "This is GOOD", PASS, 1,
	  "judge chose 'good'", EXACT },
	{ "mixed case and a full stop", WORDS_JUDGE, "Verdict: Bad.", FAIL, 0,
	  "judge chose 'bad'", EXACT },
	{ "several choices on the last line: undecided", WORDS_JUDGE,
	  "good at first, then ok, and in the end bad", SKIP, 0,
	  UNDECIDED "'good' and 'ok': 'good at first, then ok, and in the end "
		    "bad'",
	  EXACT },
	{ "the last line with a choice decides", WORDS_JUDGE,
	  "good at first, then ok.\nIn the end: bad\nThat is all.", FAIL, 0,
	  "judge chose 'bad'", EXACT },
	{ "one choice stated twice on the last line", WORDS_JUDGE,
	  "bad, really bad", FAIL, 0, "judge chose 'bad'", EXACT },
	{ "reasoning that quotes other choices", WORDS_JUDGE,
	  "A strict grader would say bad, a lenient one good.\n"
	  "Weighing both:\n\n**ok**\n",
	  PASS, 0.5, "judge chose 'ok'", EXACT },
	{ "a choice inside a longer word does not count", WORDS_JUDGE,
	  "goodness knows, it is badly put, but ok_ish... OK", PASS, 0.5,
	  "judge chose 'ok'", EXACT },
	{ "non-ASCII letters are part of a word", WORDS_JUDGE,
	  "good\xc3\xa9 bad\xc3\xa9", SKIP, 0,
	  NO_CHOICE "'good\xc3\xa9 bad\xc3\xa9'", EXACT },
	{ "curly quotes and a dash are not", WORDS_JUDGE,
	  "Verdict \xe2\x80\x94 \xe2\x80\x9cgood\xe2\x80\x9d", PASS, 1,
	  "judge chose 'good'", EXACT },
	{ "a no-break space is not", WORDS_JUDGE,
	  "Verdict:\xc2\xa0"
	  "bad",
	  FAIL, 0, "judge chose 'bad'", EXACT },
	{ "control characters in the reason are escaped", WORDS_JUDGE,
	  "\x1b]0;owned\x07 no verdict", SKIP, 0,
	  NO_CHOICE "'\\x1b]0;owned\\x07 no verdict'", EXACT },
	{ "no choice: skipped, the reply's start in the reason", WORDS_JUDGE,
	  "I cannot tell.", SKIP, 0, NO_CHOICE "'I cannot tell.'", EXACT },
	{ "no choice: a long reply is shortened, on one line", WORDS_JUDGE,
	  "I cannot tell\nwhether this answer is any use at all, because the "
	  "question was never stated.",
	  SKIP, 0,
	  NO_CHOICE "'I cannot tell whether this answer is any use at all, "
		    "because...'",
	  EXACT },
	{ "an empty reply states no choice", WORDS_JUDGE, "", SKIP, 0,
	  NO_CHOICE "''", EXACT },
	{ "a pass the line negates is no pass", WORDS_JUDGE,
	  "It does not meet the bar, so it is not good.", SKIP, 0,
	  "the judge's reply is undecided: its last line with a choice "
	  "negates or conditions it, and no line states a choice alone: 'It "
	  "does not meet the bar, so it is not good.'",
	  EXACT },
	{ "nor in a word in n't", WORDS_JUDGE, "Frankly it isn't good", SKIP, 0,
	  "the judge's reply is undecided: its last line with a choice "
	  "negates or conditions it, and no line states a choice alone: "
	  "'Frankly it isn't good'",
	  EXACT },
	{ "a verdict alone beats a conditional pass after it", WORDS_JUDGE,
	  "Verdict: **BAD**\n\n(Had it named a rollback, it would be good.)",
	  FAIL, 0, "judge chose 'bad'", EXACT },
	{ "a verdict alone and another choice on the last line", WORDS_JUDGE,
	  "good\nOn reflection the answer is bad", SKIP, 0,
	  "the judge's reply is undecided: a line states 'good' alone, and "
	  "its last line with a choice states 'bad': 'On reflection the "
	  "answer is bad'",
	  EXACT },
	{ "a negation after the choice is not its", SCALE_JUDGE,
	  "Rating: 7; I would not change it", PASS, 6.0 / 9, "judge chose '7'",
	  EXACT },
	{ "a modal away from the choice is no supposition", SCALE_JUDGE,
	  "I would rate this response a 7.", PASS, 6.0 / 9, "judge chose '7'",
	  EXACT },
	{ "a negation in another clause is not the choice's", WORDS_JUDGE,
	  "It does not hold anything unsafe, so it is good.", PASS, 1,
	  "judge chose 'good'", EXACT },
	{ "the undecided line's own pair is named", WORDS_JUDGE,
	  "It could be good, or it could be bad.\nIt is ok, or maybe bad.",
	  SKIP, 0, UNDECIDED "'ok' and 'bad': 'It is ok, or maybe bad.'",
	  EXACT },
	{ "a fail stays a fail, negated or not", WORDS_JUDGE,
	  "It is not bad, it is bad", FAIL, 0, "judge chose 'bad'", EXACT },
	{ "\"10\" is not \"1\"", SCALE_JUDGE, "10", PASS, 1, "judge chose '10'",
	  EXACT },
	{ "\"1.5\" is neither \"1\" nor \"5\"", SCALE_JUDGE,
	  "Rating: 7 (not 1.5)", PASS, 6.0 / 9, "judge chose '7'", EXACT },
	{ "a decimal alone states no choice", SCALE_JUDGE, "Rating: 3.0", SKIP,
	  0, NO_CHOICE "'Rating: 3.0'", EXACT },
	{ "a rating followed by a full stop", SCALE_JUDGE, "Rating: 4.", PASS,
	  3.0 / 9, "judge chose '4'", EXACT },
	{ "the rubric quoted before the rating", SCALE_JUDGE,
	  "1 is poor and 10 is perfect.\nThis one:\n3\n", PASS, 2.0 / 9,
	  "judge chose '3'", EXACT },
	{ "\"1\" fails", SCALE_JUDGE, "Rating: 1", FAIL, 0, "judge chose '1'",
	  EXACT },
	{ "a rating over its scale", SCALE_JUDGE, "8/10", PASS, 7.0 / 9,
	  "judge chose '8'", EXACT },
	{ "1 out of 10", SCALE_JUDGE, "Rating: 1 out of 10", FAIL, 0,
	  "judge chose '1'", EXACT },
	{ "the scale in parentheses", SCALE_JUDGE,
	  "Score: 1 (on a scale of 1 to 10)", FAIL, 0, "judge chose '1'",
	  EXACT },
	{ "built-in: 4 is 0.75", "- uses: github/similarity", "4", PASS, 0.75,
	  "judge chose '4'", EXACT },
	{ "built-in: 2 passes", "- uses: github/coherence", "Score: 2", PASS,
	  0.25, "judge chose '2'", EXACT },
	{ "built-in: 1 fails", "- uses: github/fluency", "Rating:\n1", FAIL, 0,
	  "judge chose '1'", EXACT },
	{ "built-in: the rating after the reasoning",
	  "- uses: github/relevance",
	  "It is not a 1 and not a 5; the ideas hold.\n**Rating:** 3", PASS,
	  0.5, "judge chose '3'", EXACT },
	{ "criteria: PASS", "- model: openai/gpt-4o\n  criteria: Is it safe?",
	  "It is safe.\nPASS", PASS, 1, "judge chose 'PASS'", EXACT },
	{ "criteria: PASS and FAIL on one line are undecided",
	  "- model: openai/gpt-4o\n  criteria: Is it safe?",
	  "It would PASS a quick look, but not this one: fail", SKIP, 0,
	  UNDECIDED "'PASS' and 'FAIL': 'It would PASS a quick look, but not "
		    "this one: fail'",
	  EXACT },
	{ "criteria: lower-case fail on its own line",
	  "- model: openai/gpt-4o\n  criteria: Is it safe?",
	  "It would PASS a quick look, but not this one.\nfail", FAIL, 0,
	  "judge chose 'FAIL'", EXACT },
	{ "criteria: PASSED is not PASS",
	  "- model: openai/gpt-4o\n  criteria: Is it safe?", "PASSED", SKIP, 0,
	  NO_CHOICE "'PASSED'", EXACT },
	{ "same end: the longer choice wins",
	  "- llm:\n    prompt: \"{{completion}}\"\n"
	  "    choices: [{choice: good, score: 0}, "
	  "{choice: very good, score: 1}]",
	  "It is very good", PASS, 1, "judge chose 'very good'", EXACT },
	{ "not: inverts the judge's choice", WORDS_JUDGE "\n  not: true",
	  "good", FAIL, 0, "not: judge chose 'good'", EXACT },
	{ "not: keeps a reply with no choice skipped",
	  WORDS_JUDGE "\n  not: true", "maybe", SKIP, 0, NO_CHOICE "'maybe'",
	  EXACT },
};

static int run_judge_read(const struct eval_case *c)
{
	struct loaded l;
	struct pe_eval_result sample, res;
	int ok;

	load(&l, NULL, c->evaluator);
	if (l.rc || l.prompt->nevaluators != 1 ||
	    !pe_evaluator_is_judge(&l.prompt->evaluators[0])) {
		print_error("%s: did not compile to one judge\n", c->name);
		print_diags(c->name, l.diag);
		unload(&l);
		return 0;
	}
	memset(&sample, 0, sizeof(sample));
	memset(&res, 0, sizeof(res));
	pe_evaluator_judge_read(&l.prompt->evaluators[0], c->output,
				strlen(c->output), &sample);
	/* One sample, combined: "not" applies there. */
	pe_evaluator_judge_combine(&l.prompt->evaluators[0], &sample, 1, &res);
	ok = result_is(c->name, &res, c->verdict, c->score, c->reason, c->how);
	free(sample.reason);
	free(res.reason);
	unload(&l);
	return ok;
}

static void test_judge_read(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(judge_read_cases); i++)
		failures += !run_judge_read(&judge_read_cases[i]);
	assert_int_equal(failures, 0);
}

/* not: true */

static const struct eval_case not_cases[] = {
	{ "a pass becomes a fail", "- regex: CONCURRENTLY\n  not: true", plan,
	  FAIL, 0, "not: /CONCURRENTLY/ matched at least 1 time", EXACT },
	{ "a fail becomes a pass", "- regex: 'DROP TABLE'\n  not: true", plan,
	  PASS, 1, "not: no match for /DROP TABLE/", EXACT },
	{ "not: false changes nothing", "- regex: 'DROP TABLE'\n  not: false",
	  plan, FAIL, 0, "no match for /DROP TABLE/", EXACT },
	{ "the score becomes 1 - score",
	  "- string: {containsAll: [pg_dump, pglogical, bucardo]}\n  not: true",
	  "pg_dump and pglogical", PASS, 1.0 / 3,
	  "not: does not contain 'bucardo'", EXACT },
	{ "sections", "- sections: [Migration Strategy, Glossary]\n  not: true",
	  plan, PASS, 0.5, "not: missing sections: Glossary", EXACT },
	{ "format", "- format: {bullets: 1}\n  not: true", plan, FAIL, 0,
	  "not: 3 bulleted items (need at least 1)", EXACT },
	{ "table", "- table: {columns: [Risk]}\n  not: true", plan, FAIL, 0,
	  "not: table with 4 columns and 2 rows", EXACT },
	{ "code", "- code: {language: python}\n  not: true", plan, PASS, 1,
	  "not: 0 python blocks, need at least 1", EXACT },
	{ "length", "- length: {words: {max: 10}}\n  not: true", plan, PASS, 1,
	  "not: 90 words (need at most 10)", EXACT },
	{ "json", "- json: true\n  not: true", plan, PASS, 1,
	  "not: not valid JSON: ", CONTAINS },
	{ "notContains under not: true is contains",
	  "- string: {notContains: users}\n  not: true", "ALTER TABLE users",
	  PASS, 1, "contains 'users'", EXACT },
	{ "match: false under not: true is a match",
	  "- regex: {pattern: CONCURRENTLY, match: false}\n  not: true", plan,
	  PASS, 1, "/CONCURRENTLY/ matched at least 1 time", EXACT },
	{ "a missing target section fails, inverted or not (README)",
	  "- regex: {pattern: TODO, target: Glossary, match: false}", plan,
	  FAIL, 0, "section 'Glossary' not found", EXACT },
	{ "so does a string check's",
	  "- string: {notContains: TODO}\n  target: Glossary", plan, FAIL, 0,
	  "section 'Glossary' not found", EXACT },
	{ "and a format rule's, among others",
	  "- format: {bullets: {min: 1, within: [Glossary]}}\n  not: true",
	  plan, FAIL, 0, "bullets: section 'Glossary' not found", EXACT },
	{ "a table's",
	  "- table: {columns: [Risk], within: Glossary}\n  not: true", plan,
	  FAIL, 0, "section 'Glossary' not found", EXACT },
};

/*
 * Other libraries' spellings of "not", and the keys beside a check that
 * change it: read, or the evaluator is skipped, never run as if they
 * were not there.
 */
static const struct eval_case keys_beside_cases[] = {
	{ "negate: true beside type: includes",
	  "- {type: includes, value: alpha, negate: true}", "alpha beta", FAIL,
	  0, "not: contains 'alpha'", EXACT },
	{ "invert: true beside string:",
	  "- {string: {contains: alpha}, invert: true}", "alpha beta", FAIL, 0,
	  "not: contains 'alpha'", EXACT },
	{ "invert: true beside a regex, read once",
	  "- {regex: alpha, invert: true}", "alpha beta", FAIL, 0,
	  "not: /alpha/ matched at least 1 time", EXACT },
	{ "invert: true in the pattern's mapping",
	  "- regex: {pattern: alpha, invert: true}", "alpha beta", FAIL, 0,
	  "not: /alpha/ matched at least 1 time", EXACT },
	{ "match: false in a string: {regex} mapping",
	  "- string: {regex: alpha, match: false}", "alpha beta", FAIL, 0,
	  "not: /alpha/ matched at least 1 time", EXACT },
	{ "match: false beside the pattern's mapping",
	  "- regex: {pattern: alpha}\n  match: false", "alpha beta", FAIL, 0,
	  "not: /alpha/ matched at least 1 time", EXACT },
	{ "case_sensitive: true",
	  "- {type: string_match, match_type: contains, "
	  "patterns: [Alpha], case_sensitive: true}",
	  "alpha beta", FAIL, 0, "does not contain 'Alpha'", EXACT },
	{ "case_sensitive: false beside equals",
	  "- {type: equals, value: ALPHA, case_sensitive: false}", "alpha",
	  PASS, 1, "equals 'ALPHA'", EXACT },
	{ "target beside string:",
	  "- string: {notContains: CONCURRENTLY}\n  target: Risk Register",
	  plan, FAIL, 0,
	  "not: contains 'CONCURRENTLY' in section Risk Register", EXACT },
	{ "flags beside string: {regex}",
	  "- string: {regex: 'create index'}\n  flags: i", plan, PASS, 1,
	  "/create index/ matched at least 1 time", EXACT },
	{ "and target",
	  "- string: {regex: 'create index'}\n  flags: i\n"
	  "  target: Risk Register",
	  plan, FAIL, 0, "no match for /create index/ in section Risk Register",
	  EXACT },
	{ "match_type: exact with its one pattern in a list",
	  "- {type: string_match, match_type: exact, patterns: [alpha]}",
	  "alpha", PASS, 1, "equals 'alpha'", EXACT },
	{ "an unknown key skips the evaluator",
	  "- {regex: alpha, inverse: true}", "alpha", SKIP, 0,
	  "unknown key 'inverse': prompteval cannot tell what it would change",
	  EXACT },
	{ "so does one in its settings",
	  "- length: {words: {max: 10}, pages: 1}", "alpha", SKIP, 0,
	  "unknown key 'pages': prompteval cannot tell what it would change",
	  EXACT },
	{ "and a JSON Schema keyword misspelt",
	  "- json: {schema: {type: object, requried: [a], x-owner: me}}",
	  "{\"b\": 1}", SKIP, 0,
	  "unknown key 'requried': prompteval cannot tell what it would change",
	  EXACT },
	{ "and one cut short",
	  "- json: {schema: {properties: {a: {maxLen: 1}}}}",
	  "{\"a\": \"long\"}", SKIP, 0,
	  "unknown key 'maxLen': prompteval cannot tell what it would change",
	  EXACT },
	{ "or run on in camel case",
	  "- json: {schema: {requiredProperties: [a]}}", "{\"b\": 1}", SKIP, 0,
	  "unknown key 'requiredProperties': prompteval cannot tell what it "
	  "would change",
	  EXACT },
	{ "while other keys of a schema are annotations",
	  "- json: {schema: {type: object, x-owner: me, nullable: true, "
	  "defaultValue: 1, titleText: t, patternErrorMessage: m}}",
	  "{\"b\": 1}", PASS, 1, "valid JSON that matches the schema", EXACT },
	{ "and a key of another family",
	  "- {string: {contains: alpha}, regex: zzz}", "alpha", SKIP, 0,
	  "'regex' beside a string check: an evaluator checks one thing",
	  EXACT },
	{ "a repeated heading: a regex reads every section of that name",
	  "- regex: {pattern: DROP, match: false}\n  target: Rollback",
	  "## Rollback\nRevert the flag.\n\n## Steps\n1. deploy\n\n"
	  "## Rollback\n- DROP TABLE users;\n",
	  FAIL, 0,
	  "not: /DROP/ matched at least 1 time (2 sections of that name, read "
	  "together)",
	  EXACT },
	{ "so does a string check",
	  "- string: {notContains: DROP}\n  target: Rollback",
	  "## Rollback\nRevert.\n\n## Steps\nGo.\n\n## Rollback\nDROP it\n",
	  FAIL, 0,
	  "not: contains 'DROP' in section Rollback (2 sections of that name, "
	  "read "
	  "together)",
	  EXACT },
	{ "and a format rule's within",
	  "- format: {bullets: {max: 1, within: [Rollback]}}",
	  "## Rollback\n- a\n\n## Steps\nGo.\n\n## Rollback\n- b\n- c\n", FAIL,
	  0,
	  "3 bulleted items in Rollback (2 sections of that name), need at "
	  "most 1",
	  EXACT },
	{ "and a table's", "- table: {columns: [phase], within: Rollback}",
	  "## Rollback\nNone.\n\n## Steps\nGo.\n\n## Rollback\n\n"
	  "| phase |\n|---|\n| 1 |\n",
	  PASS, 1, "table with 1 column and 1 row", EXACT },
	{ "the last section reads to the end of an answer with no newline",
	  "- string: {contains: gamma}\n  target: Notes",
	  "# A\n\n## Notes\n\n"
	  "GAMMA ok",
	  PASS, 1, "contains 'gamma' in section Notes", EXACT },
};

static void test_keys_beside(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, keys_beside_cases,
					ARRAY_SIZE(keys_beside_cases)),
			 0);
}

static void test_not(void **state)
{
	(void)state;
	assert_int_equal(run_eval_table(NULL, not_cases, ARRAY_SIZE(not_cases)),
			 0);
}

/* An error stays an error under not: true, and names the match limit. */
static void test_not_keeps_error(void **state)
{
	static const struct eval_case c = {
		"not: keeps an error",
		"- regex: '^(a+)+$'\n  not: true",
		NULL,
		ERROR,
		0,
		"regex /^(a+)+$/ could not be matched: match limit exceeded",
		EXACT
	};
	enum { NA = 30000 };
	char *output = malloc(NA + 2);

	(void)state;
	assert_non_null(output);
	memset(output, 'a', NA);
	output[NA] = 'b';
	output[NA + 1] = '\0';
	assert_true(run_eval_case(NULL, &c, output, NA + 1));
	free(output);
}

/* Empty output, for every kind. */

static const struct eval_case empty_cases[] = {
	{ "string contains", "- string: {contains: users}", "", FAIL, 0,
	  "does not contain 'users'", EXACT },
	{ "string equals", "- string: {equals: x}", "", FAIL, 0,
	  "does not equal 'x'", EXACT },
	{ "string startsWith", "- string: {startsWith: x}", "", FAIL, 0,
	  "does not start with 'x'", EXACT },
	{ "string notContains", "- string: {notContains: x}", "", PASS, 1,
	  "not: does not contain 'x'", EXACT },
	{ "string containsAny", "- string: {containsAny: [a, b]}", "", FAIL, 0,
	  "does not contain any of 'a', 'b'", EXACT },
	{ "regex", "- regex: x", "", FAIL, 0, "no match for /x/", EXACT },
	{ "regex that matches empty", "- regex: '^$'", "", PASS, 1,
	  "/^$/ matched at least 1 time", EXACT },
	{ "regex count max 0", "- regex: {pattern: x, count: {max: 0}}", "",
	  PASS, 1, "/x/ matched 0 times", EXACT },
	{ "regex target", "- regex: {pattern: x, target: Risks}", "", FAIL, 0,
	  "section 'Risks' not found", EXACT },
	{ "sections", "- sections: [Risks, Rollback]", "", FAIL, 0,
	  "missing sections: Risks, Rollback", EXACT },
	{ "format counts", "- format: {bold: 1, bullets: 1}", "", FAIL, 0,
	  "0 bold spans, need at least 1; 0 bulleted items, need at least 1",
	  EXACT },
	{ "format within", "- format: {numbered: {within: [Plan]}}", "", FAIL,
	  0, "numbered: section 'Plan' not found", EXACT },
	{ "format no_html and headings",
	  "- format: {no_html: true, headings: {max_level: 1}}", "", PASS, 1,
	  "headings at most level 1 (deepest 0); no raw HTML", EXACT },
	{ "table", "- table: {columns: [a]}", "", FAIL, 0, "no table", EXACT },
	{ "code", "- code: {min: 1}", "", FAIL, 0,
	  "0 code blocks, need at least 1", EXACT },
	{ "length words", "- length: {words: 1}", "", FAIL, 0,
	  "0 words (need at least 1)", EXACT },
	{ "length all zero",
	  "- length: {words: {max: 0}, chars: {max: 0}, "
	  "lines: {max: 0}}",
	  "", PASS, 1, "0 words (ok), 0 chars (ok), 0 lines (ok)", EXACT },
	{ "json", "- json: true", "", FAIL, 0, "unexpected end of input",
	  CONTAINS },
	{ "llm judge", "- uses: github/relevance", "", SKIP, 0, BUILTIN_REASON,
	  EXACT },
	{ "python", "- python: \"output == ''\"", "", PASS, 1, "returned True",
	  EXACT },
	{ "exec", "- exec: [sh, -c, 'cat >/dev/null; echo false']", "", FAIL, 0,
	  "printed false", EXACT },
};

static void test_empty_output(void **state)
{
	(void)state;
	assert_int_equal(
		run_eval_table(NULL, empty_cases, ARRAY_SIZE(empty_cases)), 0);
}

/* Case verdicts: several evaluators, weights, threshold, skip, error. */

struct verdict_case {
	const char *name;
	const char *extra;
	const char *evaluators;
	int verdict;
	double score;
	size_t nresults;
};

/* Evaluators that pass, fail, skip and error on the output below. */
#define EV_PASS	 "- string: {contains: CONCURRENTLY}\n"
#define EV_FAIL	 "- string: {contains: pglogical}\n"
#define EV_SKIP	 "- uses: github/coherence\n"
#define EV_ERROR "- regex: '^(a+)+$'\n"

static const struct verdict_case verdict_cases[] = {
	{ "all pass", NULL, EV_PASS EV_PASS, PASS, 1, 2 },
	{ "one fails", NULL, EV_PASS EV_FAIL, FAIL, 0.5, 2 },
	{ "all fail", NULL, EV_FAIL EV_FAIL, FAIL, 0, 2 },
	{ "weights make the mean", NULL,
	  "- weight: 3\n  string: {contains: CONCURRENTLY}\n" EV_FAIL, FAIL,
	  0.75, 2 },
	{ "threshold reached", "threshold: 0.75\n",
	  "- weight: 3\n  string: {contains: CONCURRENTLY}\n" EV_FAIL, PASS,
	  0.75, 2 },
	{ "threshold missed", "threshold: 0.8\n",
	  "- weight: 3\n  string: {contains: CONCURRENTLY}\n" EV_FAIL, FAIL,
	  0.75, 2 },
	{ "a low threshold passes what fails below it", "threshold: 0.01\n",
	  EV_PASS EV_FAIL, PASS, 0.5, 2 },
	{ "threshold 1 needs every point", "threshold: 1\n",
	  EV_PASS "- sections: [Risk Register, Glossary]\n", FAIL, 0.75, 2 },
	{ "a failed evaluator can pass a threshold", "threshold: 0.8\n",
	  EV_PASS "- sections: [Risk Register, Rollback, Glossary]\n", PASS,
	  (1 + 2.0 / 3) / 2, 2 },
	{ "partial scores below the threshold", "threshold: 0.9\n",
	  EV_PASS "- sections: [Risk Register, Rollback, Glossary]\n", FAIL,
	  (1 + 2.0 / 3) / 2, 2 },
	{ "weight 0 counts for nothing in the mean", "threshold: 1\n",
	  "- weight: 0\n  string: {contains: pglogical}\n" EV_PASS, PASS, 1,
	  2 },
	{ "weight 0 still has to pass without a threshold", NULL,
	  "- weight: 0\n  string: {contains: pglogical}\n" EV_PASS, FAIL, 1,
	  2 },
	{ "fractional weights", "threshold: 0.5\n",
	  "- weight: 0.25\n  string: {contains: CONCURRENTLY}\n"
	  "- weight: 0.75\n  string: {contains: pglogical}\n",
	  FAIL, 0.25, 2 },
	/* An evaluator that did not run is never counted as passed. */
	{ "an unrun evaluator leaves a case ungraded", NULL, EV_PASS EV_SKIP,
	  UNGRADED, 0, 2 },
	{ "an unrun evaluator does not rescue a fail", NULL, EV_FAIL EV_SKIP,
	  FAIL, 0, 2 },
	{ "threshold: unrun weight could still reach it", "threshold: 1\n",
	  "- weight: 5\n  uses: github/coherence\n" EV_PASS, UNGRADED, 0, 2 },
	{ "threshold: reached even if the unrun scored 0", "threshold: 0.5\n",
	  EV_SKIP EV_PASS, PASS, 1, 2 },
	{ "threshold: missed even if the unrun scored 1", "threshold: 0.9\n",
	  EV_SKIP EV_FAIL, FAIL, 0, 2 },
	{ "nothing ran: ungraded", NULL,
	  EV_SKIP "- judge: Has a rollback\n- rule: be nice\n", UNGRADED, 0,
	  3 },
	{ "nothing ran: ungraded, even with a low threshold",
	  "threshold: 0.01\n", EV_SKIP, UNGRADED, 0, 1 },
	{ "an error makes an error", NULL, EV_PASS EV_ERROR, ERROR, 0,
	  2 }, /* no score when errored */
	{ "an error beats a fail", NULL, EV_FAIL EV_ERROR EV_SKIP, ERROR, 0,
	  3 },
	{ "an error beats a threshold", "threshold: 0.01\n", EV_PASS EV_ERROR,
	  ERROR, 0, 2 },
};

/* The output: passes EV_PASS, fails EV_FAIL and makes EV_ERROR give up. */
static char *verdict_output(void)
{
	enum { NA = 30000 };
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (int i = 0; i < NA; i++)
		pe_buf_addc(&b, 'a');
	pe_buf_adds(&b, "b\n\n## Risk Register\n\nUse CONCURRENTLY.\n\n"
			"## Rollback\n\nRestore.\n");
	return pe_buf_detach(&b, NULL);
}

static int check_verdict(const struct verdict_case *c, const char *output)
{
	struct loaded l;
	struct pe_case_score s;
	int ok;

	load(&l, c->extra, c->evaluators);
	if (l.rc) {
		print_error("%s: did not compile\n", c->name);
		print_diags(c->name, l.diag);
		unload(&l);
		return 0;
	}
	pe_score_case(l.prompt, &l.prompt->cases[0], output, strlen(output),
		      NULL, &s);
	ok = (int)s.verdict == c->verdict && fabs(s.score - c->score) < 1e-9 &&
	     s.nresults == c->nresults;
	if (!ok)
		print_error("%s: got %s %.4f with %zu results, want %s %.4f "
			    "with %zu\n",
			    c->name, pe_verdict_name(s.verdict), s.score,
			    s.nresults,
			    pe_verdict_name((enum pe_verdict)c->verdict),
			    c->score, c->nresults);
	pe_case_score_release(&s);
	unload(&l);
	return ok;
}

static void test_case_verdicts(void **state)
{
	char *output = verdict_output();
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(verdict_cases); i++)
		failures += !check_verdict(&verdict_cases[i], output);
	free(output);
	assert_int_equal(failures, 0);
}

/* Prompt-level evaluators come first, then the case's own. */
static void test_case_evaluators(void **state)
{
	static const char yaml[] = "name: t\n"
				   "model: openai/gpt-4o\n"
				   "messages:\n"
				   "  - role: user\n"
				   "    content: \"{{table}}\"\n"
				   "testData:\n"
				   "  - table: users\n"
				   "    expected: users\n"
				   "    evaluators:\n"
				   "      - name: mentions the table\n"
				   "        string: {contains: \"{{table}}\"}\n"
				   "  - table: orders\n"
				   "evaluators:\n"
				   "  - name: has a heading\n"
				   "    sections: [Plan]\n";
	static const char output[] = "## Plan\n\nMigrate orders.\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p =
		pe_prompt_load_buffer("t.prompt.yml", yaml, strlen(yaml), diag);
	struct pe_case_score s;

	(void)state;
	assert_non_null(p);
	assert_int_equal(pe_diag_count(diag, PE_SEV_ERROR), 0);
	assert_int_equal(pe_evaluators_compile(p, diag), 0);

	pe_score_case(p, &p->cases[0], output, strlen(output), NULL, &s);
	assert_int_equal(s.nresults, 2);
	assert_string_equal(s.specs[0]->name, "has a heading");
	assert_string_equal(s.specs[1]->name, "mentions the table");
	assert_int_equal(s.results[0].verdict, PE_VERDICT_PASS);
	assert_int_equal(s.results[1].verdict, PE_VERDICT_FAIL);
	assert_string_equal(s.results[1].reason, "does not contain 'users'");
	assert_int_equal(s.verdict, PE_VERDICT_FAIL);
	pe_case_score_release(&s);

	pe_score_case(p, &p->cases[1], output, strlen(output), NULL, &s);
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.verdict, PE_VERDICT_PASS);
	pe_case_score_release(&s);

	/* Without a case, only the prompt's evaluators run. */
	pe_score_case(p, NULL, output, strlen(output), NULL, &s);
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.verdict, PE_VERDICT_PASS);
	pe_case_score_release(&s);

	pe_evaluators_release(p);
	pe_evaluators_release(p); /* twice is harmless */
	pe_prompt_free(p);
	pe_diag_free(diag);
}

/* An evaluator that was never compiled reports an error, not a pass. */
static void test_not_compiled(void **state)
{
	static const char yaml[] = "name: t\n"
				   "model: openai/gpt-4o\n"
				   "messages:\n"
				   "  - role: user\n"
				   "    content: hi\n"
				   "evaluators:\n"
				   "  - regex: x\n";
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p =
		pe_prompt_load_buffer("t.prompt.yml", yaml, strlen(yaml), diag);
	struct pe_case_score s;

	(void)state;
	assert_non_null(p);
	pe_score_case(p, NULL, "x", 1, NULL, &s);
	assert_int_equal(s.nresults, 1);
	assert_int_equal(s.results[0].verdict, PE_VERDICT_ERROR);
	assert_string_equal(s.results[0].reason, "evaluator was not compiled");
	assert_int_equal(s.verdict, PE_VERDICT_ERROR);
	pe_case_score_release(&s);
	pe_prompt_free(p);
	pe_diag_free(diag);
}

/* Compile errors, with positions inside the YAML. */

struct compile_case {
	const char *name;
	const char *evaluators;
	const char *message;
	unsigned line;
	unsigned col;
	int how;
};

#define FLAGS_MESSAGE                                                          \
	"'flags' must be letters from \"imsx\" (i: ignore case, m: "           \
	"multi-line, s: dot matches newline, x: extended; g and u change "     \
	"nothing) or their names (ignorecase, multiline, dotall, verbose)"

/* Line 11 is the first evaluator line; columns count characters. */
static const struct compile_case compile_cases[] = {
	{ "plain scalar", "- regex: ab)cd",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 2 of the pattern)",
	  11, 12, EXACT },
	{ "plain scalar, missing ) is at the end", "- regex: (abc",
	  "invalid regex in evaluator 'regex-1': missing closing parenthesis "
	  "(at offset 4 of the pattern)",
	  11, 14, EXACT },
	{ "plain scalar after UTF-8", "- regex: \xc3\xa9)x",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 2 of the pattern)",
	  11, 11, EXACT },
	{ "single-quoted with a doubled quote", "- regex: 'it''s)x'",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 4 of the pattern)",
	  11, 16, EXACT },
	{ "single-quoted, missing ) is at the closing quote", "- regex: '(abc'",
	  "invalid regex in evaluator 'regex-1': missing closing parenthesis "
	  "(at offset 4 of the pattern)",
	  11, 15, EXACT },
	{ "double-quoted with one-byte escapes", "- regex: \"\\t\\x41)x\"",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 2 of the pattern)",
	  11, 17, EXACT },
	{ "double-quoted with an escaped backslash", "- regex: \"\\\\d+)\"",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 3 of the pattern)",
	  11, 15, EXACT },
	/*
	 * Regression (fixed): node.c quoted_source_pos counts every escape as one decoded
	 * byte, but "\u00e9" decodes to two bytes (and "\u4e2d" to three,
	 * "\U0001F600" to four), so the column lands one (two, three)
	 * characters after the offending ")": 11:20 instead of 11:19.
	 */
	{ "double-quoted with a multibyte escape", "- regex: \"\\t\\u00e9)x\"",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 3 of the pattern)",
	  11, 19, EXACT },
	{ "block literal",
	  "- name: blk\n  type: regex\n  pattern: |\n    first line\n    "
	  "x)abc\n",
	  "invalid regex in evaluator 'blk': unmatched closing parenthesis "
	  "(at offset 12 of the pattern)",
	  15, 6, EXACT },
	/*
	 * Regression (fixed): an offset at the very end of a block scalar (where PCRE2
	 * puts "missing closing parenthesis", the commonest mistake) is
	 * not mapped: node.c block_source_pos stops before it and the mark
	 * falls back to the "|" indicator (12:12).  Plain and quoted
	 * scalars point just after the last character; so should this.
	 */
	{ "block literal, missing ) is after the last character",
	  "- type: regex\n  pattern: |\n    (abc\n",
	  "invalid regex in evaluator 'regex-1': missing closing parenthesis "
	  "(at offset 5 of the pattern)",
	  13, 9, EXACT },
	{ "block folded", "- regex: >-\n    folded\n    x)abc\n",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 8 of the pattern)",
	  13, 6, EXACT },
	{ "second pattern of a list", "- regex: [ok, 'a)b']",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 1 of the pattern)",
	  11, 17, EXACT },
	{ "flow mapping", "- regex: {pattern: 'a)b', flags: i}",
	  "invalid regex in evaluator 'regex-1': unmatched closing "
	  "parenthesis (at offset 1 of the pattern)",
	  11, 22, EXACT },
	{ "string: {regex}", "- name: s\n  string: {regex: 'a{3,1}'}",
	  "invalid regex in evaluator 's': numbers out of order in {} "
	  "quantifier (at offset 5 of the pattern)",
	  12, 25, EXACT },
	{ "code contains", "- code: {contains: 'x)y'}",
	  "invalid regex in 'contains': unmatched closing parenthesis (at "
	  "offset 1 of the pattern)",
	  11, 22, EXACT },
	{ "an unknown flag is at the flags",
	  "- regex: {pattern: 'a', flags: "
	  "iq}",
	  FLAGS_MESSAGE, 11, 32, EXACT },
	{ "flags must be text", "- regex: {pattern: a, flags: 3}",
	  FLAGS_MESSAGE, 11, 30, EXACT },
	{ "count min above max",
	  "- regex: {pattern: a, count: {min: 3, max: "
	  "1}}",
	  "'count': min 3 is above max 1", 11, 30, EXACT },
	{ "match is true or false, not 'no'",
	  "- regex: {pattern: a, match: no}",
	  "'match' must be true or false, not a string", 11, 30, EXACT },
	{ "so is negate", "- regex: {pattern: a, negate: 'true'}",
	  "'negate' must be true or false, not a string", 11, 31, EXACT },
	{ "and match beside the evaluator", "- {regex: a, match: null}",
	  "'match' must be true or false, not a null", 11, 21, EXACT },
	{ "and in a string: mapping", "- string: {regex: a, invert: 1}",
	  "'invert' must be true or false, not a number", 11, 30, EXACT },
	{ "one inversion, not two that cancel",
	  "- regex: {pattern: a, match: false, negate: true}",
	  "'negate' beside 'match': give one", 11, 45, EXACT },
	{ "nor one in the mapping and one beside it",
	  "- regex: {pattern: a, invert: true}\n  match: false",
	  "'match' beside 'invert': give one", 12, 10, EXACT },
	{ "a format rule's min above its max",
	  "- format: {bold: {min: 5, max: 1}}", "'bold': min 5 is above max 1",
	  11, 18, EXACT },
	{ "target must be a name", "- regex: {pattern: a, target: ''}",
	  "'target' must be a section name", 11, 31, EXACT },
	{ "a reference metric needs a pass mark", "- bleu: {}",
	  "bleu needs a pass mark: 'min' (0 to 1)", 11, 9, EXACT },
	{ "levenshtein needs a pass mark", "- levenshtein: {expected: x}",
	  "levenshtein needs a pass mark: 'min_ratio' (0 to 1) or "
	  "'max_distance'",
	  11, 16, EXACT },
	{ "a pass mark is in [0, 1]", "- rouge_l: {min: 2}",
	  "'min' must be a number from 0 to 1", 11, 18, EXACT },
	{ "a bare pass mark is in [0, 1]", "- token_set: -0.5",
	  "'token_set' must be a number from 0 to 1", 11, 14, EXACT },
	{ "a pass mark is a number", "- token_set: {min: '0.5'}",
	  "'min' must be a number from 0 to 1", 11, 20, EXACT },
	{ "one pass mark", "- rouge_l: {min: 0.5, threshold: 0.4}",
	  "give one pass mark: 'min' and 'threshold' say the same", 11, 34,
	  EXACT },
	{ "levenshtein: one ratio", "- levenshtein: {min_ratio: 0.5, min: 0.4}",
	  "give one pass mark: 'min_ratio' and 'min' say the same", 11, 38,
	  EXACT },
	{ "max_distance is whole", "- levenshtein: {max_distance: 2.5}",
	  "'max_distance' must be a whole number from 0 to 1000000000", 11, 31,
	  EXACT },
	{ "max_distance is not negative", "- levenshtein: {max_distance: -1}",
	  "'max_distance' must be a whole number from 0 to 1000000000", 11, 31,
	  EXACT },
	{ "a reference metric is a mark or a mapping", "- bleu: [0.5]",
	  "'bleu' must be a pass mark from 0 to 1 or a mapping such as {min: "
	  "0.8}",
	  11, 9, EXACT },
	{ "expected is text", "- bleu: {min: 0.5, expected: [a]}",
	  "'expected' must be text: the reference the answer is compared with "
	  "(default \"{{expected}}\")",
	  11, 30, EXACT },
	{ "latency needs a mark", "- latency: {}",
	  "latency evaluator needs 'max_ms' (the whole call) or 'max_ttft_ms' "
	  "(the time to the first token)",
	  11, 12, EXACT },
	{ "latency is not negative", "- latency: -5",
	  "'latency' must be a number from 0 to 86400000", 11, 12, EXACT },
	{ "latency in a mapping is a number", "- latency: {max_ttft_ms: 2s}",
	  "'max_ttft_ms' must be a number from 0 to 86400000", 11, 26, EXACT },
	{ "latency is milliseconds", "- latency: fast",
	  "'latency' must be milliseconds or {max_ms, max_ttft_ms}, not a "
	  "string",
	  11, 12, EXACT },
	{ "cost needs max_usd", "- cost: {}",
	  "cost evaluator needs 'max_usd' (US dollars)", 11, 9, EXACT },
	{ "cost is not negative", "- cost: {max_usd: -1}",
	  "'max_usd' must be a number from 0 to 1000000", 11, 19, EXACT },
	{ "finish_reason needs a reason", "- finish_reason: []",
	  "'finish_reason' needs at least one reason", 11, 18, EXACT },
	{ "finish_reason items are reasons", "- finish_reason: [stop, 3]",
	  "'finish_reason' must be a reason such as stop or length, or a list "
	  "of them",
	  11, 25, EXACT },
	{ "finish_reason is not empty", "- finish_reason: ''",
	  "'finish_reason' must be a reason such as stop or length, or a list "
	  "of them",
	  11, 18, EXACT },
	{ "ignore_case is a boolean",
	  "- levenshtein: {min_ratio: 0.5, ignore_case: 1}",
	  "'ignore_case' must be true or false", 11, 46, EXACT },
	{ "sections need required", "- sections: {ordered: true}",
	  "sections evaluator needs 'required': the headings to look for", 11,
	  13, EXACT },
	{ "sections: a name of only numbering", "- sections: ['1.']",
	  "'1.' has no letters left after numbering and punctuation are "
	  "ignored",
	  11, 14, EXACT },
	{ "sections level range", "- sections: {required: [A], level: 7}",
	  "'level' must be a whole number from 1 to 6", 11, 36, EXACT },
	{ "format needs a rule", "- format: {}",
	  "format evaluator has no rule: use bold, bullets, numbered, "
	  "headings or no_html",
	  11, 11, EXACT },
	{ "format headings needs a mapping", "- format: {headings: 3}",
	  "'headings' needs a mapping of settings, not a number", 11, 22,
	  EXACT },
	{ "table looks in one section", "- table: {within: [A, B]}",
	  "a table evaluator looks in one section; use one evaluator per "
	  "section",
	  11, 19, EXACT },
	{ "table needs settings", "- table: yes",
	  "'table' needs a mapping of settings, not a string", 11, 10, EXACT },
	{ "code language", "- code: {language: 3}",
	  "'language' must be a name such as sql", 11, 20, EXACT },
	{ "code contains must be text", "- code: {contains: ''}",
	  "'contains' must be a regular expression", 11, 20, EXACT },
	{ "length needs a unit", "- length: {}",
	  "length evaluator needs words, chars or lines", 11, 11, EXACT },
	{ "length: a quoted number", "- length: {words: '5'}",
	  "'words' must be a number or {min, max}", 11, 19, EXACT },
	{ "json: true or a mapping", "- json: 'yes'",
	  "'json' must be true, {schema: true|false} or {schema: {...}} (a "
	  "schema of its own)",
	  11, 9, EXACT },
	{ "type: json_schema needs a schema", "- type: json_schema",
	  "type: json_schema needs its schema as a mapping in 'schema' (or "
	  "'value')",
	  11, 3, EXACT },
	{ "an inline schema is compiled", "- json: {schema: {minimum: x}}",
	  "minimum must be a number", 11, 19, EXACT },
	{ "python needs code", "- python: {timeout: 3}",
	  "python evaluator needs code: an expression such as \"'GDPR' in "
	  "output\", or {code: ...}",
	  11, 11, EXACT },
	{ "python code must not be blank", "- python: '  '",
	  "python evaluator needs code: an expression such as \"'GDPR' in "
	  "output\", or {code: ...}",
	  11, 11, EXACT },
	{ "python timeout above 0", "- python: {code: x, timeout: 0}",
	  "'timeout' must be a number of seconds above 0, at most 3600", 11, 30,
	  EXACT },
	{ "python threshold in [0, 1]", "- python: {code: x, threshold: 2}",
	  "'threshold' must be a number from 0 to 1", 11, 32, EXACT },
	/* Regression (fixed): a score of 0.0 passed "at least 0". */
	{ "python threshold 0", "- python: {code: '0.0', threshold: 0}",
	  "'threshold: 0' passes every score the check returns, so it checks "
	  "nothing: give a threshold above 0 (the default is 0.5)",
	  11, 36, EXACT },
	{ "exec threshold 0", "- exec: {command: [cat], threshold: 0.0}",
	  "'threshold: 0' passes every score the check returns, so it checks "
	  "nothing: give a threshold above 0 (the default is 0.5)",
	  11, 37, EXACT },
	{ "exec needs a list", "- exec: ./grade.sh",
	  "exec evaluator needs a command as a list: [PROGRAM, ARGS...], such "
	  "as [python3, grade.py]",
	  11, 9, EXACT },
	{ "exec needs a program", "- exec: []",
	  "exec evaluator needs a command as a list: [PROGRAM, ARGS...], such "
	  "as [python3, grade.py]",
	  11, 9, EXACT },
	{ "exec arguments are text", "- exec: [grade, {a: 1}]",
	  "exec command: item 2 must be text", 11, 17, EXACT },
	{ "exec: a mapping needs command", "- exec: {timeout: 3}",
	  "exec evaluator needs a command as a list: [PROGRAM, ARGS...], such "
	  "as [python3, grade.py]",
	  11, 9, EXACT },
	/* Bounds any answer meets check nothing. */
	{ "rouge_l: 0", "- rouge_l: 0",
	  "rouge_l: a pass mark of 0 is met by any answer, so it checks "
	  "nothing",
	  11, 12, EXACT },
	{ "code: min 0 without contains", "- code: {language: sql, min: 0}",
	  "'min: 0' code blocks are met by any answer, so it checks nothing",
	  11, 30, EXACT },
	{ "regex: count 0", "- regex: {pattern: a, count: 0}",
	  "'count' asks for at least 0 with no max", 11, 30, CONTAINS },
	{ "regex: count {min: 0}", "- regex: {pattern: a, count: {min: 0}}",
	  "'count' asks for at least 0 with no max, which any answer meets", 11,
	  30, CONTAINS },
	/* A pattern that matches the empty string anywhere: every answer. */
	{ "regex: .*", "- name: r\n  regex: '.*'",
	  "regex /.*/ in evaluator 'r' can match the empty string anywhere, "
	  "so every answer matches it and it checks nothing",
	  12, 10, EXACT },
	{ "regex: an empty last alternative", "- regex: '(?i)rollback|revert|'",
	  "/(?i)rollback|revert|/ in evaluator", 11, 10, CONTAINS },
	{ "regex: x* counted", "- regex: {pattern: 'x*', count: 3}",
	  "/x*/ in evaluator", 11, 20, CONTAINS },
	{ "regex: ^", "- regex: '^'", "can match the empty string anywhere", 11,
	  10, CONTAINS },
	{ "regex: (?=)", "- regex: '(?=)'",
	  "can match the empty string anywhere", 11, 10, CONTAINS },
	{ "regex: one of a list", "- regex: {pattern: [a, 'b?']}",
	  "/b?/ in evaluator", 11, 24, CONTAINS },
	{ "regex: negated too", "- regex: {pattern: 'a?', match: false}",
	  "can match the empty string anywhere", 11, 20, CONTAINS },
	{ "string: {regex}", "- string: {regex: 'a*'}",
	  "can match the empty string anywhere", 11, 19, CONTAINS },
	{ "type: regex_match", "- type: regex_match\n  pattern: '\\s*'",
	  "can match the empty string anywhere", 12, 12, CONTAINS },
	{ "code: contains .*", "- code: {contains: '.*'}",
	  "'contains' /.*/ can match the empty string anywhere, so every code "
	  "block matches it and it checks nothing",
	  11, 20, EXACT },
	{ "format: bullets 0", "- format: {bullets: 0}",
	  "'bullets' asks for at least 0 with no max", 11, 21, CONTAINS },
	{ "table: columns []", "- table: {columns: []}",
	  "'columns' is empty: give the columns the table needs, or leave the "
	  "key out",
	  11, 20, EXACT },
	{ "sections: []", "- sections: []",
	  "'sections' is empty: give the headings to look for", 11, 13, EXACT },
};

static int check_compile_error(const struct compile_case *c)
{
	struct loaded l;
	const struct pe_diag_entry *e = NULL;
	int ok;

	load(&l, NULL, c->evaluators);
	for (size_t i = 0; i < pe_diag_len(l.diag) && !e; i++)
		if (pe_diag_get(l.diag, i)->severity == PE_SEV_ERROR)
			e = pe_diag_get(l.diag, i);
	ok = l.rc != 0 && e &&
	     (c->how == CONTAINS ? strstr(e->message, c->message) != NULL
				 : !strcmp(e->message, c->message)) &&
	     e->line == c->line && e->col == c->col &&
	     !strcmp(e->file, "t.prompt.yml");
	if (!ok) {
		print_error("%s: want %u:%u %s\"%s\"\n", c->name, c->line,
			    c->col, c->how == CONTAINS ? "containing " : "",
			    c->message);
		print_diags(c->name, l.diag);
	}
	unload(&l);
	return ok;
}

static void test_compile_errors(void **state)
{
	size_t failures = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(compile_cases); i++)
		failures += !check_compile_error(&compile_cases[i]);
	assert_int_equal(failures, 0);
}

/*
 * A 10 MB answer: the structure evaluators and regexes still work on it,
 * and quickly enough to run under the sanitizers.
 */
static char *big_output(size_t *len)
{
	enum { TARGET = 10 * 1024 * 1024 };
	struct pe_buf b;
	size_t i = 0;

	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "# Plan\n\n## Migration Strategy\n\n");
	while (b.len < TARGET)
		pe_buf_addf(&b, "- Likelihood: **HIGH** for step %zu\n", i++);
	pe_buf_adds(&b, "\n## Risk Register\n\n"
			"| Risk | Likelihood |\n|---|---|\n| lock | HIGH |\n\n"
			"1. watch\n2. throttle\n\n"
			"## Rollback\n\nRestore from backup.\n");
	return pe_buf_detach(&b, len);
}

static const struct eval_case big_cases[] = {
	{ "sections",
	  "- sections: {required: [Migration Strategy, Risk "
	  "Register, Rollback], ordered: true, min_words: 3}",
	  NULL, PASS, 1, "all 3 sections present in order", EXACT },
	{ "regex over everything",
	  "- regex: {pattern: 'Likelihood:\\s*\\**HIGH', count: 200000}", NULL,
	  PASS, 1, "/Likelihood:\\s*\\**HIGH/ matched at least 200000 times",
	  EXACT },
	{ "regex count all",
	  "- regex: {pattern: 'step 1\\d{5}\\b', count: "
	  "{max: 100000}}",
	  NULL, PASS, 1, "/step 1\\d{5}\\b/ matched 100000 times", EXACT },
	{ "regex in the last sections",
	  "- regex: {pattern: HIGH, target: Risk Register, count: {min: 1, "
	  "max: 1}}",
	  NULL, PASS, 1, "/HIGH/ matched 1 time", EXACT },
	{ "regex with (?s) across the whole answer",
	  "- regex: '(?s)Migration Strategy.*Rollback'", NULL, PASS, 1,
	  "/(?s)Migration Strategy.*Rollback/ matched at least 1 time", EXACT },
	{ "format",
	  "- format: {bullets: {min: 200000, within: [Migration "
	  "Strategy]}, numbered: {min: 2, max: 2, within: [Risk "
	  "Register]}, bold: 200000, headings: {max_level: 2}}",
	  NULL, PASS, 1,
	  "271714 bold spans (need at least 200000); 271714 bulleted items in "
	  "Migration Strategy (need at least 200000); 2 numbered items in Risk "
	  "Register (need exactly 2); headings at most level 2 (deepest 2)",
	  EXACT },
	{ "table",
	  "- table: {columns: [risk, likelihood], min_rows: 1, "
	  "within: Risk Register}",
	  NULL, PASS, 1, "table with 2 columns and 1 row", EXACT },
	{ "length", "- length: {words: 1000000, lines: 200000}", NULL, FAIL, 0,
	  NULL, EXACT },
	{ "string", "- string: {endsWith: restore from backup.}", NULL, PASS, 1,
	  "ends with 'restore from backup.'", EXACT },
};

static void test_big_output(void **state)
{
	size_t len, failures = 0;
	char *output = big_output(&len);

	(void)state;
	assert_true(len >= 10 * 1024 * 1024);
	for (size_t i = 0; i < ARRAY_SIZE(big_cases); i++) {
		struct eval_case c = big_cases[i];
		char reason[128];

		if (!c.reason) {
			/* The counts depend on the filler; work them out. */
			size_t lines = 0, words;

			for (size_t j = 0; j < len; j++)
				lines += output[j] == '\n';
			words = pe_md_count_words(output, len);
			snprintf(reason, sizeof(reason),
				 "%zu words (ok), %zu lines (ok)", words,
				 lines);
			c.reason = reason;
			c.verdict = PASS;
			c.score = 1;
		}
		failures += !run_eval_case(NULL, &c, output, len);
	}
	free(output);
	assert_int_equal(failures, 0);
}

/*
 * Ordinary patterns over an answer of ordinary length (16 KB) must match.
 *
 * Regression (fixed): regex.c matches with PCRE2's JIT and its default 32 KB JIT stack,
 * so common idioms that recurse once per character fail with "JIT stack
 * limit reached" (verdict ERROR) on answers of a few KB: "(?:.|\n)*"
 * from 2.5 KB and the tempered dot "(?:(?!X).)*" from 5 KB.  A larger JIT
 * stack (pcre2_jit_stack_create and pcre2_jit_stack_assign, per thread)
 * or falling back to the interpreter on PCRE2_ERROR_JIT_STACKLIMIT would
 * fix it; the match limit still stops real catastrophic backtracking.
 */
static void test_long_answer(void **state)
{
	static const struct eval_case cases[] = {
		{ "(?:.|\\n)*", "- regex: '(?:.|\\n)*Rollback'", NULL, PASS, 1,
		  "/(?:.|\\n)*Rollback/ matched at least 1 time", EXACT },
		{ "tempered dot",
		  "- regex: '(?s)Strategy(?:(?!Rollback).)*Rollback'", NULL,
		  PASS, 1,
		  "/(?s)Strategy(?:(?!Rollback).)*Rollback/ matched at least 1 "
		  "time",
		  EXACT },
		{ "lazy dot",
		  "- regex: '(?s)Strategy.*?verify.\\s+## Rollback'", NULL,
		  PASS, 1,
		  "/(?s)Strategy.*?verify.\\s+## Rollback/ matched at least 1 "
		  "time",
		  EXACT },
	};
	struct pe_buf b;
	size_t failures = 0;

	(void)state;
	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "## Migration Strategy\n\n");
	for (int i = 0; b.len < 16 * 1024; i++)
		pe_buf_addf(&b, "Step %d: copy rows in batches and verify.\n",
			    i);
	pe_buf_adds(&b, "\n## Rollback\n\nRestore.\n");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		failures += !run_eval_case(NULL, &cases[i], b.data, b.len);
	pe_buf_release(&b);
	assert_int_equal(failures, 0);
}

/* Catastrophic backtracking is an error naming the match limit. */
static void test_backtracking(void **state)
{
	static const struct eval_case cases[] = {
		{ "regex", "- regex: '^(a+)+$'", NULL, ERROR, 0,
		  "regex /^(a+)+$/ could not be matched: match limit "
		  "exceeded",
		  EXACT },
		{ "regex in a section",
		  "- regex: {pattern: '(a|aa)+$', target: Data}", NULL, ERROR,
		  0, "limit", CONTAINS },
		{ "code contains",
		  "- code: {language: text, contains: '^(a+)+$'}", NULL, ERROR,
		  0,
		  "regex /^(a+)+$/ could not be matched: match limit "
		  "exceeded",
		  EXACT },
	};
	enum { NA = 30000 };
	struct pe_buf b;
	size_t failures = 0;

	(void)state;
	pe_buf_init(&b, 0);
	pe_buf_adds(&b, "## Data\n\n```text\n");
	for (int i = 0; i < NA; i++)
		pe_buf_addc(&b, 'a');
	pe_buf_adds(&b, "b\n```\n");
	/* The first row needs the a's at the start of the output. */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *out = pe_buf_str(&b);
		size_t len = b.len;

		if (i == 0) {
			out = strstr(out, "aaa");
			len = NA + 1;
		}
		failures += !run_eval_case(NULL, &cases[i], out, len);
	}
	pe_buf_release(&b);
	assert_int_equal(failures, 0);
}

static void test_verdict_names(void **state)
{
	(void)state;
	assert_string_equal(pe_verdict_name(PE_VERDICT_PASS), "pass");
	assert_string_equal(pe_verdict_name(PE_VERDICT_FAIL), "fail");
	assert_string_equal(pe_verdict_name(PE_VERDICT_SKIP), "skip");
	assert_string_equal(pe_verdict_name(PE_VERDICT_ERROR), "error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_string_unicode),
		cmocka_unit_test(test_string_precedence),
		cmocka_unit_test(test_string_empty_value),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_dialects),
		cmocka_unit_test(test_reference_metrics),
		cmocka_unit_test(test_rouge_l_subsequence),
		cmocka_unit_test(test_bleu_precisions),
		cmocka_unit_test(test_reference_kept),
		cmocka_unit_test(test_levenshtein_distance),
		cmocka_unit_test(test_reference_limits),
		cmocka_unit_test(test_word_hash_spreads),
		cmocka_unit_test(test_call_checks),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_built),
		cmocka_unit_test(test_markdown_on_demand),
		cmocka_unit_test(test_python),
		cmocka_unit_test(test_python_result_variable),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_checks_without_workers),
		cmocka_unit_test(test_judges),
		cmocka_unit_test(test_judge_read),
		cmocka_unit_test(test_not),
		cmocka_unit_test(test_keys_beside),
		cmocka_unit_test(test_not_keeps_error),
		cmocka_unit_test(test_empty_output),
		cmocka_unit_test(test_case_verdicts),
		cmocka_unit_test(test_case_evaluators),
		cmocka_unit_test(test_not_compiled),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_big_output),
		cmocka_unit_test(test_long_answer),
		cmocka_unit_test(test_backtracking),
		cmocka_unit_test(test_verdict_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
