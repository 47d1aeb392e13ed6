/*
 * Unit tests for result.c, the one result-row type: verdict names, the
 * defaults of pe_result_init, job ids (stable, and different for each
 * part of a job's identity), the order of pe_result_compare and
 * pe_result_sort, the exact bytes pe_result_json writes for each kind of
 * row, and the tally (counts, mean score, tokens, pass rate with its
 * Wilson interval, NAN when nothing was decided).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/load/prompt.h"
#include "harness/results/result.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

static void test_verdict_names(void **state)
{
	static const struct {
		enum pe_verdict v;
		const char *name;
	} names[] = {
		{ PE_VERDICT_PASS, "pass" },
		{ PE_VERDICT_FAIL, "fail" },
		{ PE_VERDICT_SKIP, "skip" },
		{ PE_VERDICT_ERROR, "error" },
		{ PE_VERDICT_UNGRADED, "ungraded" },
	};
	static const char *const bad[] = { "",	    "PASS", "passed", "skip ",
					   " fail", "err",  "errors", "none" };

	(void)state;
	for (size_t i = 0; i < COUNT(names); i++) {
		enum pe_verdict v = (enum pe_verdict)99;

		assert_string_equal(pe_verdict_name(names[i].v), names[i].name);
		assert_int_equal(pe_verdict_parse(names[i].name, &v), PE_OK);
		assert_int_equal(v, names[i].v);
	}
	for (size_t i = 0; i < COUNT(bad); i++) {
		enum pe_verdict v = PE_VERDICT_SKIP;

		assert_int_equal(pe_verdict_parse(bad[i], &v), PE_ERR_INVALID);
		/* A failed parse leaves the output alone. */
		assert_int_equal(v, PE_VERDICT_SKIP);
	}
	/* A value outside the enum is named as an error, not read past. */
	assert_string_equal(pe_verdict_name((enum pe_verdict)5), "error");
	assert_string_equal(pe_verdict_name((enum pe_verdict) - 1), "error");
}

static void test_result_init(void **state)
{
	struct pe_result row;

	(void)state;
	memset(&row, 0xab, sizeof(row));
	pe_result_init(&row);
	assert_null(row.id);
	assert_null(row.prompt);
	assert_null(row.file);
	assert_null(row.case_id);
	assert_int_equal(row.case_index, 0);
	assert_null(row.model);
	assert_int_equal(row.has_temperature, 0);
	assert_true(row.temperature == 0);
	assert_int_equal(row.repeat, 0);
	assert_int_equal(row.status, PE_VERDICT_ERROR);
	assert_true(isnan(row.score));
	assert_null(row.error);
	assert_int_equal(row.has_call, 0);
	assert_int_equal(row.attempts, 0);
	assert_int_equal(row.cached, 0);
	assert_int_equal(row.http_status, 0);
	assert_true(isnan(row.first_byte_ms));
	assert_true(isnan(row.total_ms));
	assert_int_equal(row.tokens_in, -1);
	assert_int_equal(row.tokens_out, -1);
	assert_null(row.finish_reason);
	assert_null(row.served_model);
	assert_null(row.output);
	assert_int_equal(row.output_len, 0);
	assert_null(row.evaluators);
	assert_int_equal(row.nevaluators, 0);
	assert_int_equal(row.line, 0);
}

struct job {
	const char *what;
	const char *prompt;
	const char *case_id; /* NULL: no case */
	const char *model;
	int has_temperature;
	double temperature;
	unsigned repeat;
};

/* The first row is the base; each other row changes one part of it. */
static const struct job jobs[] = {
	{ "base", "summarize", "c1", "gpt-4o-mini", 1, 0.5, 0 },
	{ "prompt", "summarise", "c1", "gpt-4o-mini", 1, 0.5, 0 },
	{ "case", "summarize", "c2", "gpt-4o-mini", 1, 0.5, 0 },
	{ "model", "summarize", "c1", "gpt-4o", 1, 0.5, 0 },
	{ "no model", "summarize", "c1", NULL, 1, 0.5, 0 },
	{ "temperature", "summarize", "c1", "gpt-4o-mini", 1, 0.7, 0 },
	{ "temperature 0", "summarize", "c1", "gpt-4o-mini", 1, 0, 0 },
	{ "no temperature", "summarize", "c1", "gpt-4o-mini", 0, 0, 0 },
	{ "repeat", "summarize", "c1", "gpt-4o-mini", 1, 0.5, 1 },
	{ "repeat 10", "summarize", "c1", "gpt-4o-mini", 1, 0.5, 10 },
	/* Parts move across the separators: still different. */
	{ "prompt+case split 1", "ab", "c", "m", 0, 0, 0 },
	{ "prompt+case split 2", "a", "bc", "m", 0, 0, 0 },
	{ "case+model split", "a", "b", "cm", 0, 0, 0 },
	{ "model+temperature split", "a", "b", "c1", 0, 0, 0 },
	{ "model+temperature split 2", "a", "b", "c", 1, 1, 0 },
};

static void job_id(const struct job *j, char out[PE_JOB_ID_LEN + 1])
{
	struct pe_prompt p;
	struct pe_case c;

	memset(&p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	p.name = (char *)j->prompt;
	c.id = (char *)j->case_id;
	pe_job_id(&p, j->case_id ? &c : NULL, j->model, j->has_temperature,
		  j->temperature, j->repeat, out);
}

static void test_job_id(void **state)
{
	char ids[COUNT(jobs)][PE_JOB_ID_LEN + 1];

	(void)state;
	for (size_t i = 0; i < COUNT(jobs); i++) {
		char again[PE_JOB_ID_LEN + 1];

		memset(ids[i], 'X', sizeof(ids[i]));
		job_id(&jobs[i], ids[i]);
		assert_int_equal(strlen(ids[i]), PE_JOB_ID_LEN);
		assert_int_equal(strspn(ids[i], "0123456789abcdef"),
				 PE_JOB_ID_LEN);
		job_id(&jobs[i], again);
		assert_string_equal(again, ids[i]);
	}
	for (size_t i = 0; i < COUNT(jobs); i++)
		for (size_t j = i + 1; j < COUNT(jobs); j++)
			if (!strcmp(ids[i], ids[j])) {
				print_error("'%s' and '%s' share id %s\n",
					    jobs[i].what, jobs[j].what, ids[i]);
				fail();
			}
	/*
	 * Stable across versions, so that resumed runs and stored results
	 * match: the first 16 hex digits of the SHA-256 of
	 * "summarize\0c1\0gpt-4o-mini\0" "0.5" "\0" "0".
	 */
	assert_string_equal(ids[0], "2667226a704a8f05");
	/* ... and without a temperature, of "...gpt-4o-mini\0\0" "0". */
	assert_string_equal(ids[7], "4a2c659dd484e510");
}

/* A row for the order tests; line records where it should end up. */
#define ROW(file_, index_, model_, has_t_, t_, repeat_, id_)                   \
	{                                                                      \
		.file = file_, .case_index = index_, .model = model_,          \
		.has_temperature = has_t_, .temperature = t_,                  \
		.repeat = repeat_, .id = id_                                   \
	}

struct order_case {
	const char *what;
	struct pe_result a, b;
	int want; /* sign of compare(a, b) */
};

static const struct order_case order_cases[] = {
	{ "file first", ROW("a.yml", 9, "z", 1, 1, 9, "z"),
	  ROW("b.yml", 0, "a", 0, 0, 0, "a"), -1 },
	{ "no file first", ROW(NULL, 9, "z", 0, 0, 0, "z"),
	  ROW("a.yml", 0, "a", 0, 0, 0, "a"), -1 },
	{ "case index before model", ROW("f", 1, "z", 0, 0, 0, "z"),
	  ROW("f", 2, "a", 0, 0, 0, "a"), -1 },
	{ "case index is a number", ROW("f", 10, "a", 0, 0, 0, "a"),
	  ROW("f", 9, "a", 0, 0, 0, "a"), 1 },
	{ "model before temperature", ROW("f", 0, "a", 1, 1, 0, "z"),
	  ROW("f", 0, "b", 0, 0, 0, "a"), -1 },
	{ "no model first", ROW("f", 0, NULL, 1, 1, 5, "z"),
	  ROW("f", 0, "a", 0, 0, 0, "a"), -1 },
	{ "no temperature first", ROW("f", 0, "m", 0, 0, 5, "z"),
	  ROW("f", 0, "m", 1, 0, 0, "a"), -1 },
	{ "temperature order", ROW("f", 0, "m", 1, 0.7, 0, "a"),
	  ROW("f", 0, "m", 1, 0.2, 1, "z"), 1 },
	{ "temperature before repeat", ROW("f", 0, "m", 1, 0.2, 1, "z"),
	  ROW("f", 0, "m", 1, 0.7, 0, "a"), -1 },
	{ "repeat is a number", ROW("f", 0, "m", 1, 0.5, 2, "z"),
	  ROW("f", 0, "m", 1, 0.5, 10, "a"), -1 },
	{ "id last", ROW("f", 0, "m", 1, 0.5, 1, "a"),
	  ROW("f", 0, "m", 1, 0.5, 1, "b"), -1 },
	{ "no id first", ROW("f", 0, "m", 1, 0.5, 1, NULL),
	  ROW("f", 0, "m", 1, 0.5, 1, "a"), -1 },
	{ "unused temperature ignored", ROW("f", 0, "m", 0, 0.9, 1, "a"),
	  ROW("f", 0, "m", 0, 0.1, 1, "a"), 0 },
	{ "equal", ROW("f", 3, "m", 1, 0.5, 1, "a"),
	  ROW("f", 3, "m", 1, 0.5, 1, "a"), 0 },
	{ "all unknown", ROW(NULL, 0, NULL, 0, 0, 0, NULL),
	  ROW(NULL, 0, NULL, 0, 0, 0, NULL), 0 },
};

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

static void test_compare(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(order_cases); i++) {
		const struct order_case *c = &order_cases[i];
		int ab = sign(pe_result_compare(&c->a, &c->b));
		int ba = sign(pe_result_compare(&c->b, &c->a));

		if (ab != c->want || ba != -c->want) {
			print_error("%s: compare(a, b) %d, compare(b, a) %d, "
				    "want %d\n",
				    c->what, ab, ba, c->want);
			fail();
		}
	}
}

static void test_sort(void **state)
{
	/* In the order pe_result_sort must give; line is the position. */
	static const struct pe_result sorted[] = {
		ROW(NULL, 5, "m", 0, 0, 0, "x"),
		ROW("a.yml", 0, NULL, 0, 0, 0, "x"),
		ROW("a.yml", 0, "m", 0, 0, 0, "x"),
		ROW("a.yml", 0, "m", 1, 0, 0, "x"),
		ROW("a.yml", 0, "m", 1, 0.5, 0, "x"),
		ROW("a.yml", 0, "m", 1, 0.5, 1, NULL),
		ROW("a.yml", 0, "m", 1, 0.5, 1, "x"),
		ROW("a.yml", 0, "m", 1, 0.5, 1, "y"),
		ROW("a.yml", 0, "m", 1, 0.5, 2, "a"),
		ROW("a.yml", 0, "n", 0, 0, 0, "a"),
		ROW("a.yml", 1, NULL, 0, 0, 0, "a"),
		ROW("a.yml", 10, NULL, 0, 0, 0, "a"),
		ROW("b.yml", 0, NULL, 0, 0, 0, "a"),
	};
	struct pe_result rows[COUNT(sorted)];
	unsigned long long x = 0x1234567887654321ULL;

	(void)state;
	for (size_t round = 0; round < 50; round++) {
		memcpy(rows, sorted, sizeof(rows));
		for (size_t i = 0; i < COUNT(rows); i++)
			rows[i].line = (unsigned)i;
		/* A pseudo-random shuffle (Fisher-Yates). */
		for (size_t i = COUNT(rows) - 1; i > 0; i--) {
			struct pe_result tmp;
			size_t j;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			j = (size_t)(x % (i + 1));
			tmp = rows[i];
			rows[i] = rows[j];
			rows[j] = tmp;
		}
		pe_result_sort(rows, COUNT(rows));
		for (size_t i = 0; i < COUNT(rows); i++)
			if (rows[i].line != i) {
				print_error("round %zu: position %zu holds "
					    "row %u\n",
					    round, i, rows[i].line);
				fail();
			}
	}
	/* Two rows out of order are swapped; one row stays. */
	rows[0] = sorted[1];
	rows[1] = sorted[0];
	rows[0].line = 1;
	rows[1].line = 0;
	pe_result_sort(rows, 2);
	assert_int_equal(rows[0].line, 0);
	assert_int_equal(rows[1].line, 1);
	pe_result_sort(rows, 0);
	pe_result_sort(rows, 1);
	assert_int_equal(rows[0].line, 0);
}

static const struct pe_result_evaluator two_evaluators[] = {
	{ "has-hello", "contains", PE_VERDICT_PASS, 1, 1, 0, NULL },
	{ "short", "length", PE_VERDICT_FAIL, 0.5, 2, 1,
	  "too long: 300 > 200" },
};

static const struct pe_result_evaluator skipped_judge[] = {
	{ "judge", "llm-judge", PE_VERDICT_SKIP, NAN, 1, 0, "needs a model" },
};

/* A "run" row that passed, with a model call and two evaluators. */
static void fill_pass_row(struct pe_result *r)
{
	pe_result_init(r);
	r->id = "0123456789abcdef";
	r->prompt = "summarize";
	r->file = "prompts/summarize.prompt.yml";
	r->case_id = "c1";
	r->case_index = 2;
	r->model = "gpt-4o-mini";
	r->has_temperature = 1;
	r->temperature = 0.7;
	r->repeat = 1;
	r->status = PE_VERDICT_PASS;
	r->score = 0.75;
	r->has_call = 1;
	r->attempts = 2;
	r->http_status = 200;
	r->first_byte_ms = 12.5;
	r->total_ms = 340;
	r->tokens_in = 120;
	r->tokens_out = 45;
	r->finish_reason = "stop";
	r->served_model = "gpt-4o-mini-2024-07-18";
	r->judge_calls = 2;
	r->judge_model = "openai:gpt-4o";
	r->judge_tokens_in = 300;
	r->judge_tokens_out = -1;
	r->judge_cached = 1;
	r->judge_cached_tokens_in = 100;
	r->output = "Hello \"world\"\n";
	r->output_len = strlen(r->output);
	r->evaluators = two_evaluators;
	r->nevaluators = COUNT(two_evaluators);
}

static const char pass_row_json[] =
	"{\"id\":\"0123456789abcdef\",\"prompt\":\"summarize\","
	"\"file\":\"prompts/summarize.prompt.yml\",\"case\":\"c1\","
	"\"case_index\":2,\"model\":\"gpt-4o-mini\",\"temperature\":0.7,"
	"\"repeat\":1,\"status\":\"pass\",\"score\":0.75,\"error\":null,"
	"\"call\":{\"attempts\":2,\"cached\":false,\"http_status\":200,"
	"\"first_byte_ms\":12.5,\"total_ms\":340,\"tokens_in\":120,"
	"\"tokens_out\":45,\"finish_reason\":\"stop\","
	"\"served_model\":\"gpt-4o-mini-2024-07-18\"},"
	"\"judge\":{\"calls\":2,\"model\":\"openai:gpt-4o\","
	"\"tokens_in\":300,\"tokens_out\":null,\"cached\":1,"
	"\"cached_tokens_in\":100,\"cached_tokens_out\":null},"
	"\"output\":\"Hello \\\"world\\\"\\n\",\"evaluators\":["
	"{\"name\":\"has-hello\",\"kind\":\"contains\",\"status\":\"pass\","
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null},"
	"{\"name\":\"short\",\"kind\":\"length\",\"status\":\"fail\","
	"\"score\":0.5,\"weight\":2,\"negate\":true,"
	"\"reason\":\"too long: 300 > 200\"}]}";

/* An ungraded "score" row: its score is written as null. */
static void fill_skip_row(struct pe_result *r)
{
	pe_result_init(r);
	r->id = "fedcba9876543210";
	r->prompt = "p";
	r->file = "p.prompt.yml";
	r->case_id = "c2";
	r->status = PE_VERDICT_UNGRADED;
	r->score = 0.5;
	r->evaluators = skipped_judge;
	r->nevaluators = COUNT(skipped_judge);
}

static const char skip_row_json[] =
	"{\"id\":\"fedcba9876543210\",\"prompt\":\"p\","
	"\"file\":\"p.prompt.yml\",\"case\":\"c2\",\"case_index\":0,"
	"\"model\":null,\"temperature\":null,\"repeat\":0,"
	"\"status\":\"ungraded\",\"score\":null,\"error\":null,"
	"\"call\":null,\"judge\":null,\"output\":null,"
	"\"evaluators\":[{\"name\":\"judge\","
	"\"kind\":\"llm-judge\",\"status\":\"skip\",\"score\":null,"
	"\"weight\":1,\"negate\":false,\"reason\":\"needs a model\"}]}";

/* An error row with no call: temperature 0 is written, not null. */
static void fill_error_row(struct pe_result *r)
{
	pe_result_init(r);
	r->id = "00000000000000ff";
	r->prompt = "p";
	r->file = "p.prompt.yml";
	r->case_id = "c3";
	r->case_index = 7;
	r->model = "m";
	r->has_temperature = 1;
	r->temperature = 0;
	r->repeat = 3;
	r->score = 1;
	r->error = "template: variable 'x' is not defined";
}

static const char error_row_json[] =
	"{\"id\":\"00000000000000ff\",\"prompt\":\"p\","
	"\"file\":\"p.prompt.yml\",\"case\":\"c3\",\"case_index\":7,"
	"\"model\":\"m\",\"temperature\":0,\"repeat\":3,"
	"\"status\":\"error\",\"score\":null,"
	"\"error\":\"template: variable 'x' is not defined\",\"call\":null,"
	"\"judge\":null,\"output\":null,\"evaluators\":[]}";

/* An error row whose call got no response: every unknown is null. */
static void fill_failed_call_row(struct pe_result *r)
{
	pe_result_init(r);
	r->id = "aaaaaaaaaaaaaaaa";
	r->prompt = "p";
	r->file = "p.prompt.yml";
	r->case_id = "c4";
	r->model = "m";
	r->error = "connection refused";
	r->has_call = 1;
	r->attempts = 3;
	r->cached = 1;
}

static const char failed_call_row_json[] =
	"{\"id\":\"aaaaaaaaaaaaaaaa\",\"prompt\":\"p\","
	"\"file\":\"p.prompt.yml\",\"case\":\"c4\",\"case_index\":0,"
	"\"model\":\"m\",\"temperature\":null,\"repeat\":0,"
	"\"status\":\"error\",\"score\":null,"
	"\"error\":\"connection refused\",\"call\":{\"attempts\":3,"
	"\"cached\":true,\"http_status\":null,\"first_byte_ms\":null,"
	"\"total_ms\":null,\"tokens_in\":null,\"tokens_out\":null,"
	"\"finish_reason\":null,\"served_model\":null},\"judge\":null,"
	"\"output\":null,"
	"\"evaluators\":[]}";

/* Output with a NUL byte, invalid UTF-8 and a control character. */
static void fill_binary_output_row(struct pe_result *r)
{
	static const char output[] = "a\0b\xff\xc3\xa9\x1b[0m";

	pe_result_init(r);
	r->id = "bbbbbbbbbbbbbbbb";
	r->prompt = "p";
	r->file = "p.prompt.yml";
	r->case_id = "c5";
	r->status = PE_VERDICT_FAIL;
	r->score = 0;
	r->output = output;
	r->output_len = sizeof(output) - 1;
}

static const char binary_output_row_json[] =
	"{\"id\":\"bbbbbbbbbbbbbbbb\",\"prompt\":\"p\","
	"\"file\":\"p.prompt.yml\",\"case\":\"c5\",\"case_index\":0,"
	"\"model\":null,\"temperature\":null,\"repeat\":0,"
	"\"status\":\"fail\",\"score\":0,\"error\":null,\"call\":null,"
	"\"judge\":null,\"output\":\"a\\u0000b\xef\xbf\xbd\xc3\xa9\\u001b[0m\","
	"\"evaluators\":[]}";

/* A row straight from pe_result_init. */
static void fill_unknown_row(struct pe_result *r)
{
	pe_result_init(r);
}

static const char unknown_row_json[] =
	"{\"id\":null,\"prompt\":null,\"file\":null,\"case\":null,"
	"\"case_index\":0,\"model\":null,\"temperature\":null,\"repeat\":0,"
	"\"status\":\"error\",\"score\":null,\"error\":null,\"call\":null,"
	"\"judge\":null,\"output\":null,\"evaluators\":[]}";

struct json_case {
	const char *what;
	void (*fill)(struct pe_result *r);
	const char *want;
};

static const struct json_case json_cases[] = {
	{ "pass row with a call", fill_pass_row, pass_row_json },
	{ "skip row", fill_skip_row, skip_row_json },
	{ "error row without a call", fill_error_row, error_row_json },
	{ "error row with a failed call", fill_failed_call_row,
	  failed_call_row_json },
	{ "binary output", fill_binary_output_row, binary_output_row_json },
	{ "unknown row", fill_unknown_row, unknown_row_json },
};

/*
 * The exact bytes of each row, written twice (the same bytes each time,
 * appended after what the buffer held), and each is one valid JSON
 * object.
 */
static void test_result_json(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(json_cases); i++) {
		const struct json_case *c = &json_cases[i];
		size_t want_len = strlen(c->want);
		struct pe_doc *doc = pe_doc_new("row", NULL, 0);
		struct pe_diag *diag = pe_diag_new();
		struct pe_mark m = { "row", 1, 1 };
		const struct pe_node *n;
		struct pe_result row;
		struct pe_buf b;

		c->fill(&row);
		pe_buf_init(&b, 0);
		pe_buf_adds(&b, "x");
		pe_result_json(&row, &b);
		pe_result_json(&row, &b);
		if (b.len != 1 + 2 * want_len ||
		    memcmp(b.data + 1, c->want, want_len) ||
		    memcmp(b.data + 1 + want_len, c->want, want_len)) {
			print_error("%s: got %s\n", c->what, b.data + 1);
			fail();
		}
		n = pe_json_parse(doc, b.data + 1, want_len, &m, diag);
		assert_non_null(n);
		assert_int_equal(n->kind, PE_NODE_MAP);
		assert_int_equal(pe_diag_len(diag), 0);
		pe_buf_release(&b);
		pe_diag_free(diag);
		pe_doc_free(doc);
	}
}

static void test_find_evaluator(void **state)
{
	struct pe_result row;

	(void)state;
	fill_pass_row(&row);
	assert_ptr_equal(pe_result_find_evaluator(&row, "short"),
			 &two_evaluators[1]);
	assert_ptr_equal(pe_result_find_evaluator(&row, "has-hello"),
			 &two_evaluators[0]);
	assert_null(pe_result_find_evaluator(&row, "has"));
	assert_null(pe_result_find_evaluator(&row, ""));
	pe_result_init(&row);
	assert_null(pe_result_find_evaluator(&row, "short"));
}

static void check_close(double got, double want, const char *what,
			const char *field)
{
	if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= 1e-9)) {
		print_error("%s, %s: got %.17g, want %.17g\n", what, field, got,
			    want);
		fail();
	}
}

static void check_count(size_t got, size_t want, const char *what,
			const char *field)
{
	if (got != want) {
		print_error("%s, %s: got %zu, want %zu\n", what, field, got,
			    want);
		fail();
	}
}

/* A row for the tally: its verdict, score, and call tokens. */
struct tally_row {
	enum pe_verdict status;
	double score;
	int has_call;
	long tokens_in, tokens_out;
};

struct tally_case {
	const char *what;
	struct tally_row rows[12];
	size_t nrows;
	size_t pass, fail, error, skip, scored, calls, calls_without_tokens;
	long tokens_in, tokens_out;
	double mean, rate, low, high;
};

#define PASS(s)                                                                \
	{                                                                      \
		PE_VERDICT_PASS, s, 0, -1, -1                                  \
	}
#define FAIL(s)                                                                \
	{                                                                      \
		PE_VERDICT_FAIL, s, 0, -1, -1                                  \
	}

static const struct tally_case tally_cases[] = {
	{ "nothing",
	  { { 0 } },
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  NAN,
	  NAN,
	  NAN,
	  NAN },
	/*
	 * The mean is over pass and fail rows with a finite score only:
	 * (1 + 0.5 + 0) / 3.  The error row's 0.9 and the skip row's 0.3
	 * are left out, and so is the failure scored NAN.  Tokens add up
	 * over calls; a call missing either count is counted apart.
	 */
	{ "mixed",
	  { { PE_VERDICT_PASS, 1, 1, 10, 5 },
	    { PE_VERDICT_PASS, 0.5, 1, 20, -1 },
	    { PE_VERDICT_FAIL, 0, 0, -1, -1 },
	    { PE_VERDICT_FAIL, NAN, 0, -1, -1 },
	    { PE_VERDICT_ERROR, 0.9, 1, -1, -1 },
	    { PE_VERDICT_SKIP, 0.3, 0, -1, -1 },
	    { PE_VERDICT_ERROR, NAN, 1, -1, 7 } },
	  7,
	  2,
	  2,
	  2,
	  1,
	  3,
	  4,
	  3,
	  30,
	  12,
	  0.5,
	  0.5,
	  /* Wilson 95 % for 2 of 4. */
	  0.15003898915214947,
	  0.8499610108478506 },
	/* 8 of 10: the interval from tests/unit/test_stats.c. */
	{ "8 of 10",
	  { PASS(1), PASS(1), PASS(1), PASS(1), PASS(1), PASS(1), PASS(1),
	    PASS(1), FAIL(0), FAIL(0.25) },
	  10,
	  8,
	  2,
	  0,
	  0,
	  10,
	  0,
	  0,
	  0,
	  0,
	  0.825,
	  0.8,
	  0.490162471537,
	  0.943317848546 },
	/* Nothing decided: no pass rate and no mean, but counts. */
	{ "all skipped or errored",
	  { { PE_VERDICT_SKIP, 1, 0, -1, -1 },
	    { PE_VERDICT_ERROR, 1, 1, 3, 4 },
	    { PE_VERDICT_SKIP, NAN, 0, -1, -1 } },
	  3,
	  0,
	  0,
	  1,
	  2,
	  0,
	  1,
	  0,
	  3,
	  4,
	  NAN,
	  NAN,
	  NAN,
	  NAN },
	{ "all passed, no scores",
	  { PASS(NAN), PASS(INFINITY) },
	  2,
	  2,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  0,
	  NAN,
	  1,
	  /* Wilson 95 % for 2 of 2: from n / (n + z^2) to 1. */
	  0.34238022750665303,
	  1 },
};

static void test_tally(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT(tally_cases); i++) {
		const struct tally_case *c = &tally_cases[i];
		struct pe_tally t;

		pe_tally_init(&t);
		for (size_t k = 0; k < c->nrows; k++) {
			struct pe_result row;

			pe_result_init(&row);
			row.status = c->rows[k].status;
			row.score = c->rows[k].score;
			row.has_call = c->rows[k].has_call;
			row.tokens_in = c->rows[k].tokens_in;
			row.tokens_out = c->rows[k].tokens_out;
			pe_tally_add(&t, &row);
		}
		pe_tally_finish(&t);
		check_count(t.jobs, c->nrows, c->what, "jobs");
		check_count(t.pass, c->pass, c->what, "pass");
		check_count(t.fail, c->fail, c->what, "fail");
		check_count(t.error, c->error, c->what, "error");
		check_count(t.ungraded, c->skip, c->what, "skip");
		check_count(t.scored, c->scored, c->what, "scored");
		check_count(t.calls, c->calls, c->what, "calls");
		check_count(t.calls_without_tokens, c->calls_without_tokens,
			    c->what, "calls without tokens");
		check_count((size_t)t.tokens_in, (size_t)c->tokens_in, c->what,
			    "tokens in");
		check_count((size_t)t.tokens_out, (size_t)c->tokens_out,
			    c->what, "tokens out");
		check_count(t.pass_rate.pass, c->pass, c->what, "rate pass");
		check_count(t.pass_rate.decided, c->pass + c->fail, c->what,
			    "decided");
		check_close(t.mean_score, c->mean, c->what, "mean score");
		check_close(t.pass_rate.rate, c->rate, c->what, "pass rate");
		check_close(t.pass_rate.low, c->low, c->what, "low bound");
		check_close(t.pass_rate.high, c->high, c->what, "high bound");
		/* The aggregate sets the cost; the tally leaves it alone. */
		assert_int_equal(t.has_cost, 0);
		assert_true(t.cost_usd == 0);
	}
}

static void test_tally_init(void **state)
{
	struct pe_tally t;

	(void)state;
	memset(&t, 0xab, sizeof(t));
	pe_tally_init(&t);
	assert_int_equal(t.jobs + t.pass + t.fail + t.error + t.ungraded, 0);
	assert_int_equal(t.scored + t.calls + t.calls_without_tokens, 0);
	assert_int_equal(t.tokens_in, 0);
	assert_int_equal(t.tokens_out, 0);
	assert_true(t.score_sum == 0);
	assert_true(isnan(t.mean_score));
	assert_int_equal(t.pass_rate.pass + t.pass_rate.decided, 0);
	assert_true(isnan(t.pass_rate.rate));
	assert_true(isnan(t.pass_rate.low));
	assert_true(isnan(t.pass_rate.high));
	assert_int_equal(t.has_cost, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdict_names),
		cmocka_unit_test(test_result_init),
		cmocka_unit_test(test_job_id),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_result_json),
		cmocka_unit_test(test_find_evaluator),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_tally_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
