/*
 * Unit tests for the gh-json report (reports/gh_json.c), the document
 * "gh models eval --json" prints.  A small prompt is loaded from memory,
 * rows are made by hand, and the writer runs into a memory stream.  Tables
 * check the Go formatting of numbers (strconv's shortest float64 as
 * encoding/json writes it; the expected values were printed by Go's
 * json.Marshal) and of strings (Go's escaping, strings.TrimSpace), the
 * test data written as Go marshals a YAML-decoded map (keys sorted), and
 * whole documents: the verdicts gh-models has no name for (ungraded,
 * error, skipped evaluators), null where gh-models writes null, one
 * document or an array of them, and a test case that aliases would blow
 * up past 16 MiB.
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

#include "reports/report.h"
#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/util.h"
#include "harness/load/prompt.h"
#include "harness/load/suite.h"
#include "harness/results/result.h"

extern const struct pe_report_ops pe_report_gh_json;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static const char prompt_yaml[] = "name: Go <&> json\n"
				  "description: \"A \\u2028 line\"\n"
				  "model: openai/gpt-4o\n"
				  "messages:\n"
				  "  - {role: user, content: \"{{input}}\"}\n"
				  "testData:\n"
				  "  - input: one\n"
				  "    n: 25\n"
				  "    hex: 0x1F\n"
				  "    f: 1.0\n"
				  "    g: 0.5\n"
				  "    big: 1e400\n"
				  "    t: true\n"
				  "    z: null\n"
				  "    list: [1, \"a\", {b: 2}]\n"
				  "    map: {zeta: 1, alpha: 2, Beta: 3}\n"
				  "    empty: {}\n"
				  "    none: []\n"
				  "  - input: two\n"
				  "  - input: three\n"
				  "evaluators:\n"
				  "  - name: has o\n"
				  "    string: {contains: o}\n"
				  "  - name: judged\n"
				  "    uses: github/similarity\n";

struct fixture {
	struct pe_diag *diag;
	struct pe_prompt *prompt;
	struct pe_suite suite;
	struct pe_suite_file file;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->diag = pe_diag_new();
	f->prompt = pe_prompt_load_buffer("p.prompt.yml", prompt_yaml,
					  strlen(prompt_yaml), f->diag);
	assert_non_null(f->prompt);
	assert_int_equal(f->prompt->ncases, 3);
	f->file.path = f->prompt->path;
	f->file.prompt = f->prompt;
	f->suite.files = &f->file;
	f->suite.nfiles = 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pe_prompt_free(f->prompt);
	pe_diag_free(f->diag);
	free(f);
	return 0;
}

/* A row of test case i run by model, passed, with no evaluators. */
static struct pe_result make_row(const struct fixture *f, size_t i,
				 const char *model, const char *output)
{
	struct pe_result row;

	pe_result_init(&row);
	row.prompt = f->prompt->name;
	row.file = f->prompt->path;
	row.case_id = f->prompt->cases[i].id;
	row.case_index = i;
	row.model = model;
	row.status = PE_VERDICT_PASS;
	row.score = 1;
	row.output = output;
	row.output_len = output ? strlen(output) : 0;
	row.evaluators = NULL;
	row.nevaluators = 0;
	return row;
}

/* Runs the writer over rows into a new string. */
static char *render(const struct fixture *f, const struct pe_result *rows,
		    size_t n)
{
	struct pe_report_input in = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	void *st;

	in.suite = &f->suite;
	assert_non_null(out);
	st = pe_report_gh_json.begin(&in, out);
	assert_non_null(st);
	for (size_t i = 0; i < n; i++)
		pe_report_gh_json.add(st, &rows[i]);
	assert_int_equal(pe_report_gh_json.end(st), 0);
	assert_int_equal(fclose(out), 0);
	return text;
}

/* The rest of the first line of text that starts with key, or fails. */
static char *value_of(const char *text, const char *key)
{
	const char *at = strstr(text, key);
	size_t len;

	if (!at)
		fail_msg("no %s in:\n%s", key, text);
	at += strlen(key);
	len = strcspn(at, "\n");
	return strndup(at, len);
}

/* Floats as Go's json.Marshal writes a float64. */
static const struct {
	double value;
	const char *go;
} float_cases[] = {
	{ 0, "0" },
	{ -0.0, "-0" },
	{ 1, "1" },
	{ 0.75, "0.75" },
	{ 50, "50" },
	{ 100, "100" },
	{ 0.1, "0.1" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 200.0 / 3, "66.66666666666667" },
	{ 100.0 / 3, "33.333333333333336" },
	{ 1.0 / 3 * 100, "33.33333333333333" }, /* a pass rate, 1 of 3 */
	{ 2.0 / 3 * 100, "66.66666666666666" },
	{ 1e-6, "0.000001" },
	{ 0.000001234, "0.000001234" },
	{ 9.99e-7, "9.99e-7" },
	{ 1e-7, "1e-7" },
	{ 1.5e-7, "1.5e-7" },
	{ 2.5e-10, "2.5e-10" },
	{ 1e-100, "1e-100" },
	{ 5e-324, "5e-324" },
	{ 1e15, "1000000000000000" },
	{ 1e16, "10000000000000000" },
	{ 1e20, "100000000000000000000" },
	{ 9.99e20, "999000000000000000000" },
	{ 123456789012345678901.0, "123456789012345680000" },
	{ 1e21, "1e+21" },
	{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	{ -2.5, "-2.5" },
	{ 1234567.125, "1234567.125" },
	{ 12345678.9, "12345678.9" },
	{ NAN, "0" }, /* an unknown score */
};

static void test_floats(void **state)
{
	const struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(float_cases); i++) {
		struct pe_result row = make_row(f, 0, "echo:", "x");
		struct pe_result_evaluator ev = { 0 };
		char *text, *got, want[64];

		ev.name = "e";
		ev.status = PE_VERDICT_PASS;
		ev.score = float_cases[i].value;
		row.evaluators = &ev;
		row.nevaluators = 1;
		text = render(f, &row, 1);
		got = value_of(text, "\"score\": ");
		snprintf(want, sizeof(want), "%s,", float_cases[i].go);
		assert_string_equal(got, want);
		free(got);
		free(text);
	}
}

/* Strings as Go writes them, after strings.TrimSpace. */
static const struct {
	const char *output;
	const char *go;
} string_cases[] = {
	{ "plain", "\"plain\"," },
	{ "  \t\n padded \r\n", "\"padded\"," },
	{ "\xc2\xa0\xe3\x80\x80wide\xe2\x80\x83\xc2\x85", "\"wide\"," },
	{ "<b>&amp;</b>", "\"\\u003cb\\u003e\\u0026amp;\\u003c/b\\u003e\"," },
	{ "q\"uote\\slash/", "\"q\\\"uote\\\\slash/\"," },
	{ "a\bb\fc\x01\x1f\x7f", "\"a\\bb\\fc\\u0001\\u001f\x7f\"," },
	{ "line\xe2\x80\xa8sep\xe2\x80\xa9par",
	  "\"line\\u2028sep\\u2029par\"," },
	{ "caf\xc3\xa9 \xf0\x9f\x99\x82", "\"caf\xc3\xa9 \xf0\x9f\x99\x82\"," },
	{ "bad\xff\xfe end", "\"bad\\ufffd\\ufffd end\"," },
	{ "cut\xe2\x82", "\"cut\\ufffd\\ufffd\"," },
	{ "\xed\xa0\x80surrogate", "\"\\ufffd\\ufffd\\ufffdsurrogate\"," },
	{ "x \xff ", "\"x \\ufffd\"," },
	{ "", "\"\"," },
	{ NULL, "\"\"," },
};

static void test_strings(void **state)
{
	const struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(string_cases); i++) {
		struct pe_result row =
			make_row(f, 0, "echo:", string_cases[i].output);
		char *text = render(f, &row, 1);
		char *got = value_of(text, "\"modelResponse\": ");

		assert_string_equal(got, string_cases[i].go);
		free(got);
		free(text);
	}
}

/*
 * The test case as Go marshals what yaml.v3 decodes: keys sorted, 1.0 as
 * 1, 0x1F as 31, a float too large for a double kept as its text.
 */
static void test_test_data(void **state)
{
	const struct fixture *f = *state;
	struct pe_result row = make_row(f, 0, "echo:", "x");
	char *text = render(f, &row, 1);

	assert_non_null(strstr(text, "      \"testCase\": {\n"
				     "        \"big\": \"1e400\",\n"
				     "        \"empty\": {},\n"
				     "        \"f\": 1,\n"
				     "        \"g\": 0.5,\n"
				     "        \"hex\": 31,\n"
				     "        \"input\": \"one\",\n"
				     "        \"list\": [\n"
				     "          1,\n"
				     "          \"a\",\n"
				     "          {\n"
				     "            \"b\": 2\n"
				     "          }\n"
				     "        ],\n"
				     "        \"map\": {\n"
				     "          \"Beta\": 3,\n"
				     "          \"alpha\": 2,\n"
				     "          \"zeta\": 1\n"
				     "        },\n"
				     "        \"n\": 25,\n"
				     "        \"none\": [],\n"
				     "        \"t\": true,\n"
				     "        \"z\": null\n"
				     "      },\n"));
	free(text);
}

/*
 * A whole document: a pass, an ungraded case (a judge skipped) and an
 * error (no evaluator ran); the model is the prompt file's own.
 */
static void test_document(void **state)
{
	const struct fixture *f = *state;
	struct pe_result rows[3];
	struct pe_result_evaluator pass[2] = {
		{ "has o", "string", PE_VERDICT_PASS, 1, 1, 0, "contains 'o'" },
		{ "judged", "builtin", PE_VERDICT_PASS, 0.75, 1, 0, NULL },
	};
	struct pe_result_evaluator ungraded[2] = {
		{ "has o", "string", PE_VERDICT_PASS, 1, 1, 0, "contains 'o'" },
		{ "judged", "builtin", PE_VERDICT_SKIP, 0, 1, 0,
		  "no judge model" },
	};
	char *text;

	rows[0] = make_row(f, 0, "github:openai/gpt-4o", " one\n");
	rows[0].evaluators = pass;
	rows[0].nevaluators = 2;
	rows[1] = make_row(f, 1, "github:openai/gpt-4o", "two");
	rows[1].status = PE_VERDICT_UNGRADED;
	rows[1].evaluators = ungraded;
	rows[1].nevaluators = 2;
	rows[2] = make_row(f, 2, "github:openai/gpt-4o", NULL);
	rows[2].status = PE_VERDICT_ERROR;
	rows[2].error = "HTTP 500: <oops>";
	text = render(f, rows, 3);
	assert_non_null(strstr(text, "{\n"
				     "  \"name\": \"Go \\u003c\\u0026\\u003e "
				     "json\",\n"
				     "  \"description\": \"A \\u2028 line\",\n"
				     "  \"model\": \"openai/gpt-4o\",\n"
				     "  \"testResults\": [\n"
				     "    {\n"
				     "      \"testCase\": {\n"));
	assert_non_null(strstr(
		text, "      \"modelResponse\": \"one\",\n"
		      "      \"evaluationResults\": [\n"
		      "        {\n"
		      "          \"evaluatorName\": \"has o\",\n"
		      "          \"score\": 1,\n"
		      "          \"passed\": true,\n"
		      "          \"details\": \"contains 'o'\"\n"
		      "        },\n"
		      "        {\n"
		      "          \"evaluatorName\": \"judged\",\n"
		      "          \"score\": 0.75,\n"
		      "          \"passed\": true\n"
		      "        }\n"
		      "      ]\n"
		      "    },\n"
		      "    {\n"
		      "      \"testCase\": {\n"
		      "        \"input\": \"two\"\n"
		      "      },\n"
		      "      \"modelResponse\": \"two\",\n"
		      "      \"evaluationResults\": [\n"
		      "        {\n"
		      "          \"evaluatorName\": \"has o\",\n"
		      "          \"score\": 1,\n"
		      "          \"passed\": true,\n"
		      "          \"details\": \"contains 'o'\"\n"
		      "        },\n"
		      "        {\n"
		      "          \"evaluatorName\": \"judged\",\n"
		      "          \"score\": 0,\n"
		      "          \"passed\": false,\n"
		      "          \"details\": \"not run: no judge model\"\n"
		      "        }\n"
		      "      ]\n"
		      "    },\n"
		      "    {\n"
		      "      \"testCase\": {\n"
		      "        \"input\": \"three\"\n"
		      "      },\n"
		      "      \"modelResponse\": \"\",\n"
		      "      \"evaluationResults\": [\n"
		      "        {\n"
		      "          \"evaluatorName\": \"has o\",\n"
		      "          \"score\": 0,\n"
		      "          \"passed\": false,\n"
		      "          \"details\": \"not run: HTTP 500: "
		      "\\u003coops\\u003e\"\n"
		      "        },\n"
		      "        {\n"
		      "          \"evaluatorName\": \"judged\",\n"
		      "          \"score\": 0,\n"
		      "          \"passed\": false,\n"
		      "          \"details\": \"not run: HTTP 500: "
		      "\\u003coops\\u003e\"\n"
		      "        }\n"
		      "      ]\n"
		      "    }\n"
		      "  ],\n"
		      "  \"summary\": {\n"
		      "    \"totalTests\": 3,\n"
		      "    \"passedTests\": 1,\n"
		      "    \"failedTests\": 2,\n"
		      "    \"passRate\": 33.33333333333333\n"
		      "  }\n"
		      "}\n"));
	assert_int_equal(text[0], '{');
	free(text);
}

/*
 * Two models make two documents in an array, in the rows' order; a model
 * that is not the prompt's is named as prompteval ran it; a row without
 * evaluators has evaluationResults null.
 */
static void test_array(void **state)
{
	const struct fixture *f = *state;
	struct pe_result rows[4];
	char *text;

	rows[0] = make_row(f, 0, "echo:", "a");
	rows[1] = make_row(f, 0, "openai:gpt-4o", "b");
	rows[2] = make_row(f, 1, "echo:", "c");
	rows[3] = make_row(f, 1, "openai:gpt-4o", "d");
	rows[3].status = PE_VERDICT_FAIL;
	text = render(f, rows, 4);
	assert_true(!strncmp(text, "[\n  {\n    \"name\": ", 18));
	assert_non_null(strstr(text, "    \"model\": \"echo:\",\n"));
	assert_non_null(strstr(text, "    \"model\": \"openai:gpt-4o\",\n"));
	assert_true(strstr(text, "\"echo:\"") <
		    strstr(text, "\"openai:gpt-4o\""));
	assert_non_null(strstr(text, "      \"evaluationResults\": null\n"));
	assert_non_null(strstr(text, "\"passRate\": 100\n"));
	assert_non_null(strstr(text, "\"passRate\": 50\n"));
	assert_true(strlen(text) > 3 &&
		    !strcmp(text + strlen(text) - 3, "\n]\n"));
	free(text);
}

/* No rows at all: an empty array. */
static void test_no_rows(void **state)
{
	char *text = render(*state, NULL, 0);

	assert_string_equal(text, "[]\n");
	free(text);
}

/*
 * Aliases let a small file stand for a huge test case (the "billion
 * laughs").  The loader lets aliases add at most 16 MiB, the most a
 * prompt file may hold, so a case with a 7 MB string of its own and 11 MB
 * from aliases is the largest there can be: one that would expand past
 * 16 MiB is written as null, and the small case beside it as it is.
 */
static void test_expansion_limit(void **state)
{
	struct pe_buf yaml;
	struct pe_diag *diag = pe_diag_new();
	struct pe_prompt *p;
	struct fixture f;
	struct pe_result rows[2];
	char *text;

	(void)state;
	pe_buf_init(&yaml, 0);
	pe_buf_adds(&yaml, "name: Laughs\n"
			   "messages: [{role: user, content: hi}]\n"
			   "testData:\n"
			   "  - x: \"");
	for (int i = 0; i < 7000; i++)
		pe_buf_addf(&yaml, "%01000d", 0);
	pe_buf_adds(&yaml, "\"\n"
			   "    a: &a [");
	for (int i = 0; i < 10; i++)
		pe_buf_addf(&yaml, "%s%01000d", i ? ", " : "", 0);
	pe_buf_adds(&yaml,
		    "]\n"
		    "    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		    "    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		    "    d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		    "  - {small: 1}\n");
	p = pe_prompt_load_buffer("laughs.prompt.yml", yaml.data, yaml.len,
				  diag);
	assert_non_null(p);
	assert_int_equal(p->ncases, 2);
	memset(&f, 0, sizeof(f));
	f.prompt = p;
	f.file.path = p->path;
	f.file.prompt = p;
	f.suite.files = &f.file;
	f.suite.nfiles = 1;
	rows[0] = make_row(&f, 0, "echo:", "hi");
	rows[1] = make_row(&f, 1, "echo:", "hi");
	text = render(&f, rows, 2);
	assert_non_null(strstr(text, "      \"testCase\": null,\n"));
	assert_non_null(strstr(text, "      \"testCase\": {\n"
				     "        \"small\": 1\n"
				     "      },\n"));
	assert_true(strlen(text) < 4096);
	free(text);
	pe_prompt_free(p);
	pe_diag_free(diag);
	pe_buf_release(&yaml);
}

/* The writer says it needs the prompt files, and the driver checks it. */
static void test_needs_suite(void **state)
{
	struct pe_report_input in = { 0 };

	(void)state;
	assert_string_equal(pe_report_gh_json.name, "gh-json");
	assert_string_equal(pe_report_gh_json.file_name, "gh-eval.json");
	assert_true(pe_report_gh_json.needs_suite);
	assert_ptr_equal(pe_report_find("gh-json"), &pe_report_gh_json);
	/* Refused before anything is written: no directory is made. */
	assert_int_equal(
		pe_report_write_all("gh-json", "/nonexistent/pe-gh-json", &in),
		PE_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_floats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_test_data, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_document, setup, teardown),
		cmocka_unit_test_setup_teardown(test_array, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_rows, setup, teardown),
		cmocka_unit_test(test_expansion_limit),
		cmocka_unit_test(test_needs_suite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
