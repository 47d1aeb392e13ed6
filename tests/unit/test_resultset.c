/*
 * Unit tests for resultset.c (pe_resultset_load and friends): a results
 * document read into typed rows (nulls, calls, evaluators, lines), sorting
 * into results.json order and lookup by id, a journal where the last line
 * for an id wins and a torn last line is skipped, and loader errors with
 * their exact messages and positions.  Files are written into a fresh
 * mkdtemp directory per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/secrets.h"
#include "harness/results/cases.h"
#include "harness/results/resultset.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static int setup(void **state)
{
	return testdir_setup(state, "resultset");
}

static int teardown(void **state)
{
	return testdir_teardown(state);
}

/* Writes content to dir/name and stores the file's path (256 bytes). */
static void write_file(const struct testdir *f, const char *name,
		       const char *content, char *path)
{
	FILE *fp;

	snprintf(path, 256, "%s/%s", f->dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, strlen(content), fp),
			 strlen(content));
	assert_int_equal(fclose(fp), 0);
}

/* A complete row, on one line, as pe_results_row_json writes it. */
#define ROW_FAIL                                                               \
	"{\"id\":\"bbbb\",\"prompt\":\"T\",\"file\":\"t.prompt.yml\","         \
	"\"case\":\"two\",\"case_index\":1,"                                   \
	"\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,"                \
	"\"repeat\":0,\"status\":\"fail\",\"score\":0.25,\"error\":null,"      \
	"\"call\":{\"attempts\":2,\"cached\":false,\"http_status\":200,"       \
	"\"first_byte_ms\":412.5,\"total_ms\":1290.75,\"tokens_in\":96,"       \
	"\"tokens_out\":731,\"finish_reason\":\"stop\","                       \
	"\"served_model\":\"gpt-4o-mini-2024-07-18\"},"                        \
	"\"output\":\"line1\\nline2\",\"evaluators\":[{\"name\":\"secs\","     \
	"\"kind\":\"sections\",\"status\":\"fail\",\"score\":0.25,"            \
	"\"weight\":2,\"negate\":true,\"reason\":\"1 of 4 sections\"}]}"
#define ROW_ERROR                                                              \
	"{\"id\":\"aaaa\",\"prompt\":\"T\",\"file\":\"t.prompt.yml\","         \
	"\"case\":\"one\",\"case_index\":0,\"model\":null,"                    \
	"\"temperature\":null,\"repeat\":1,\"status\":\"error\","              \
	"\"score\":null,\"error\":\"HTTP 500\",\"call\":null,"                 \
	"\"output\":null,\"evaluators\":[]}"
#define ROW_PASS                                                               \
	"{\"id\":\"cccc\",\"prompt\":\"T\",\"file\":\"t.prompt.yml\","         \
	"\"case\":\"one\",\"case_index\":0,"                                   \
	"\"model\":\"openai:gpt-4o-mini\",\"temperature\":0.7,"                \
	"\"repeat\":0,\"status\":\"pass\",\"score\":1,\"error\":null,"         \
	"\"call\":{\"attempts\":1,\"cached\":true,\"http_status\":null,"       \
	"\"first_byte_ms\":null,\"total_ms\":null,\"tokens_in\":null,"         \
	"\"tokens_out\":null,\"finish_reason\":null,"                          \
	"\"served_model\":null},\"output\":\"ok\",\"evaluators\":[{"           \
	"\"name\":\"e\",\"kind\":\"string\",\"status\":\"pass\","              \
	"\"score\":1,\"weight\":1,\"negate\":false,\"reason\":null}]}"

#define DOC_HEAD                                                               \
	"{\"schema_version\":1,\"tool\":\"prompteval 0.1.0\",\"command\":"     \
	"\"run\",\n\"results\":[\n"
#define DOC_TAIL                                                               \
	"\n],\n\"summary\":{\"total\":3,\"pass\":1,\"fail\":1,\"error\":1,"    \
	"\"skip\":0,\"pass_rate\":0.5}}\n"

static void test_document(void **state)
{
	char path[256];
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs;
	const struct pe_result *r;

	write_file(*state, "results.json",
		   DOC_HEAD ROW_FAIL ",\n" ROW_ERROR ",\n" ROW_PASS DOC_TAIL,
		   path);
	rs = pe_resultset_load(path, diag);
	assert_non_null(rs);
	assert_int_equal(pe_diag_len(diag), 0);
	assert_string_equal(pe_resultset_command(rs), "run");
	assert_string_equal(pe_resultset_path(rs), path);
	assert_int_equal(pe_resultset_count(rs), 3);

	/* File order first, with every field typed. */
	r = pe_resultset_get(rs, 0);
	assert_string_equal(r->id, "bbbb");
	assert_string_equal(r->prompt, "T");
	assert_string_equal(r->file, "t.prompt.yml");
	assert_string_equal(r->case_id, "two");
	assert_int_equal(r->case_index, 1);
	assert_string_equal(r->model, "openai:gpt-4o-mini");
	assert_int_equal(r->has_temperature, 1);
	assert_true(r->temperature == 0.7);
	assert_int_equal(r->repeat, 0);
	assert_int_equal(r->status, PE_VERDICT_FAIL);
	assert_true(r->score == 0.25);
	assert_null(r->error);
	assert_int_equal(r->has_call, 1);
	assert_int_equal(r->attempts, 2);
	assert_int_equal(r->cached, 0);
	assert_int_equal(r->http_status, 200);
	assert_true(r->first_byte_ms == 412.5);
	assert_true(r->total_ms == 1290.75);
	assert_int_equal(r->tokens_in, 96);
	assert_int_equal(r->tokens_out, 731);
	assert_string_equal(r->finish_reason, "stop");
	assert_string_equal(r->served_model, "gpt-4o-mini-2024-07-18");
	assert_string_equal(r->output, "line1\nline2");
	assert_int_equal(r->output_len, 11);
	assert_int_equal(r->nevaluators, 1);
	assert_string_equal(r->evaluators[0].name, "secs");
	assert_string_equal(r->evaluators[0].kind, "sections");
	assert_int_equal(r->evaluators[0].status, PE_VERDICT_FAIL);
	assert_true(r->evaluators[0].score == 0.25);
	assert_true(r->evaluators[0].weight == 2);
	assert_int_equal(r->evaluators[0].negate, 1);
	assert_string_equal(r->evaluators[0].reason, "1 of 4 sections");
	assert_int_equal(r->line, 3);

	/* Nulls. */
	r = pe_resultset_get(rs, 1);
	assert_string_equal(r->id, "aaaa");
	assert_null(r->model);
	assert_int_equal(r->has_temperature, 0);
	assert_int_equal(r->repeat, 1);
	assert_int_equal(r->status, PE_VERDICT_ERROR);
	assert_true(isnan(r->score));
	assert_string_equal(r->error, "HTTP 500");
	assert_int_equal(r->has_call, 0);
	assert_true(isnan(r->total_ms));
	assert_int_equal(r->tokens_in, -1);
	assert_null(r->output);
	assert_int_equal(r->nevaluators, 0);
	assert_int_equal(r->line, 4);

	/* A call whose fields are all null. */
	r = pe_resultset_get(rs, 2);
	assert_int_equal(r->has_call, 1);
	assert_int_equal(r->cached, 1);
	assert_int_equal(r->http_status, 0);
	assert_true(isnan(r->first_byte_ms));
	assert_true(isnan(r->total_ms));
	assert_int_equal(r->tokens_in, -1);
	assert_int_equal(r->tokens_out, -1);
	assert_null(r->finish_reason);
	assert_null(r->served_model);
	assert_null(r->evaluators[0].reason);
	assert_int_equal(r->evaluators[0].negate, 0);
	assert_null(pe_resultset_get(rs, 3));

	/* Sorted: case 0 (null model first), then case 1. */
	pe_resultset_sort(rs);
	assert_string_equal(pe_resultset_rows(rs)[0].id, "aaaa");
	assert_string_equal(pe_resultset_rows(rs)[1].id, "cccc");
	assert_string_equal(pe_resultset_rows(rs)[2].id, "bbbb");
	assert_ptr_equal(pe_resultset_find(rs, "bbbb"),
			 &pe_resultset_rows(rs)[2]);
	assert_ptr_equal(pe_resultset_find(rs, "aaaa"),
			 &pe_resultset_rows(rs)[0]);
	assert_null(pe_resultset_find(rs, "dddd"));
	pe_resultset_free(rs);
	pe_diag_free(diag);
}

/* A row for the journal: id, status and score vary. */
#define JROW(id, status, score)                                                \
	"{\"id\":\"" id "\",\"prompt\":\"T\",\"file\":\"t.prompt.yml\","       \
	"\"case\":\"c\",\"case_index\":0,\"model\":\"m\","                     \
	"\"temperature\":null,\"repeat\":0,\"status\":\"" status "\","         \
	"\"score\":" score ",\"error\":null,\"call\":null,\"output\":\"\","    \
	"\"evaluators\":[]}\n"

static void test_journal_last_line_wins(void **state)
{
	char path[256];
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs;
	const struct pe_diag_entry *e;

	/* Job a errors, b passes, a is resumed and passes, a torn line. */
	write_file(*state, "results.jsonl",
		   JROW("a", "error", "null") "\n" JROW("b", "pass", "1")
			   JROW("a", "fail", "0.5")
				   JROW("a", "pass", "1") "{\"id\":\"c\",\"pro",
		   path);
	rs = pe_resultset_load(path, diag);
	assert_non_null(rs);
	assert_null(pe_resultset_command(rs));
	assert_int_equal(pe_resultset_count(rs), 2);
	/* The last line for a, in the place where a was first seen. */
	assert_string_equal(pe_resultset_get(rs, 0)->id, "a");
	assert_int_equal(pe_resultset_get(rs, 0)->status, PE_VERDICT_PASS);
	assert_true(pe_resultset_get(rs, 0)->score == 1);
	assert_int_equal(pe_resultset_get(rs, 0)->line, 5);
	assert_string_equal(pe_resultset_get(rs, 1)->id, "b");
	assert_int_equal(pe_resultset_get(rs, 1)->line, 3);
	assert_string_equal(pe_resultset_find(rs, "a")->id, "a");
	assert_int_equal(pe_resultset_find(rs, "a")->status, PE_VERDICT_PASS);
	assert_null(pe_resultset_find(rs, "c"));
	/* The torn line is only a warning. */
	assert_int_equal(pe_diag_len(diag), 1);
	e = pe_diag_get(diag, 0);
	assert_int_equal(e->severity, PE_SEV_WARNING);
	assert_int_equal(e->line, 6);
	assert_string_equal(e->message,
			    "skipping the last line, cut short without its "
			    "newline");
	pe_resultset_free(rs);
	pe_diag_free(diag);
}

struct error_case {
	const char *name; /* the file name, which picks the format */
	const char *text;
	const char *want; /* "line:col: message" of each error, '|' apart */
};

/* Rows with one field broken; the row text is built in the test. */
struct broken_row {
	const char *name;
	const char *from; /* a piece of ROW_FAIL */
	const char *to;	  /* what it becomes */
	const char *want;
};

/* Checks that loading path fails with exactly the errors in want. */
static void check_errors(const char *path, const char *want, size_t row)
{
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs = pe_resultset_load(path, diag);
	struct pe_buf got;

	pe_buf_init(&got, 0);
	for (size_t i = 0; i < pe_diag_len(diag); i++) {
		const struct pe_diag_entry *e = pe_diag_get(diag, i);

		assert_string_equal(e->file, path);
		assert_int_equal(e->severity, PE_SEV_ERROR);
		pe_buf_addf(&got, "%s%u:%u: %s", i ? "|" : "", e->line, e->col,
			    e->message);
	}
	if (rs || strcmp(pe_buf_str(&got), want)) {
		print_error("row %zu: got %s '%s', want '%s'\n", row,
			    rs ? "a set" : "NULL", pe_buf_str(&got), want);
		fail();
	}
	pe_buf_release(&got);
	pe_diag_free(diag);
}

static void test_errors(void **state)
{
	static const struct error_case cases[] = {
		/* The parser stops at the '}' where a value should be. */
		{ "bad.json",
		  "{\"schema_version\":1,\n\"results\":[\n{\"id\": }\n]}",
		  "3:8: invalid JSON: unexpected character" },
		{ "cut.json", "{\"schema_version\":1,\n\"results\":[\n",
		  "3:1: invalid JSON: unexpected end of input" },
		{ "v5.json",
		  "{\"schema_version\":5,\"command\":\"run\",\"results\":[]}",
		  "1:2: unsupported schema_version 5 (this prompteval reads "
		  "versions 1 to 4)" },
		{ "v0.json", "  {\"command\":\"run\",\"results\":[]}",
		  "1:3: results document has no 'schema_version'" },
		{ "list.json", "[]",
		  "1:1: a results document must be a JSON "
		  "object, not a list" },
		{ "results.json", "{\"schema_version\":1,\"results\":{}}",
		  "1:21: 'results' must be a list, not a mapping" },
		{ "row.json", "{\"schema_version\":1,\"results\":[\n  3]}",
		  "2:3: each result row must be a JSON object, not a number" },
		{ "bad.jsonl", JROW("a", "pass", "1") "{\"id\":\"x\",}\n",
		  "2:11: invalid JSON: unexpected character" },
		{ "list.jsonl", JROW("a", "pass", "1") "\n[1]\n",
		  "3:1: each journal line must be a JSON object, not a list" },
		/* Both bad lines are reported, not just the first. */
		{ "two.jsonl", "{}\n{\"id\":1}\n",
		  "1:1: result row has no 'id'|1:1: result row has no "
		  "'prompt'|1:1: result row has no 'file'|1:1: result row "
		  "has no 'case'|1:1: result row has no 'case_index'|1:1: "
		  "result row has no 'model'|1:1: result row has no "
		  "'temperature'|1:1: result row has no 'repeat'|1:1: "
		  "result row has no 'status'|1:1: result row has no "
		  "'score'|1:1: result row has no 'error'|1:1: result row "
		  "has no 'call'|1:1: result row has no 'output'|1:1: "
		  "result row has no 'evaluators'|2:2: 'id' must be a "
		  "string, not a number|2:1: result row has no 'prompt'|2:1: "
		  "result row has no 'file'|2:1: result row has no "
		  "'case'|2:1: result row has no 'case_index'|2:1: result "
		  "row has no 'model'|2:1: result row has no "
		  "'temperature'|2:1: result row has no 'repeat'|2:1: "
		  "result row has no 'status'|2:1: result row has no "
		  "'score'|2:1: result row has no 'error'|2:1: result row "
		  "has no 'call'|2:1: result row has no 'output'|2:1: result "
		  "row has no 'evaluators'" },
	};
	char path[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		write_file(*state, cases[i].name, cases[i].text, path);
		check_errors(path, cases[i].want, i);
	}
}

/*
 * One field of a complete row broken at a time; the row is the third line
 * of a results document, so every position is on line 3.  Columns count
 * from the row's '{' (column 1).
 */
static void test_broken_rows(void **state)
{
	static const struct broken_row cases[] = {
		{ "no-id.json", "\"id\":\"bbbb\",", "",
		  "3:1: result row has no 'id'" },
		/* "case_index" is at column 62 of the row. */
		{ "index.json", "\"case_index\":1", "\"case_index\":\"1\"",
		  "3:62: 'case_index' must be a whole number, not a string" },
		{ "negative.json", "\"case_index\":1", "\"case_index\":-1",
		  "3:62: 'case_index' must be a whole number >= 0" },
		{ "status.json", "\"status\":\"fail\"", "\"status\":\"meh\"",
		  "3:135: 'status' must be pass, fail, error, ungraded or "
		  "skip, not "
		  "'meh'" },
		{ "score.json", "\"score\":0.25,\"error\"",
		  "\"score\":\"high\",\"error\"",
		  "3:151: 'score' must be a number or null, not a string" },
		/* Inside "call", whose '{' is at column 184. */
		{ "cached.json", "\"cached\":false", "\"cached\":0",
		  "3:198: 'cached' must be true or false, not a number" },
		{ "attempts.json", "\"attempts\":2,", "",
		  "3:184: 'call' has no 'attempts'" },
		/* The evaluator's '{' is at column 406. */
		{ "eval.json", "{\"name\":\"secs\",", "{",
		  "3:406: evaluator has no 'name'" },
		{ "evals.json", "\"evaluators\":[", "\"evaluators\":7,\"x\":[",
		  "3:392: 'evaluators' must be a list, not a number" },
	};
	char path[256];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *row = ROW_FAIL;
		const char *at = strstr(row, cases[i].from);
		struct pe_buf text;

		assert_non_null(at);
		pe_buf_init(&text, 0);
		pe_buf_adds(&text, DOC_HEAD);
		pe_buf_add(&text, row, (size_t)(at - row));
		pe_buf_adds(&text, cases[i].to);
		pe_buf_adds(&text, at + strlen(cases[i].from));
		pe_buf_adds(&text, DOC_TAIL);
		write_file(*state, cases[i].name, pe_buf_str(&text), path);
		check_errors(path, cases[i].want, i);
		pe_buf_release(&text);
	}
}

static void test_missing_file(void **state)
{
	struct testdir *f = *state;
	char path[256];
	struct pe_diag *diag = pe_diag_new();
	const struct pe_diag_entry *e;

	snprintf(path, sizeof(path), "%s/none.json", f->dir);
	assert_null(pe_resultset_load(path, diag));
	assert_int_equal(pe_diag_len(diag), 1);
	e = pe_diag_get(diag, 0);
	assert_string_equal(e->message,
			    "cannot open: No such file or directory");
	assert_int_equal(e->line, 0);
	pe_diag_free(diag);
	pe_resultset_free(NULL);
}

static void test_verdict_parse(void **state)
{
	static const struct {
		const char *name;
		int rc;
		enum pe_verdict v;
	} cases[] = {
		{ "pass", 0, PE_VERDICT_PASS },
		{ "fail", 0, PE_VERDICT_FAIL },
		{ "error", 0, PE_VERDICT_ERROR },
		{ "skip", 0, PE_VERDICT_SKIP },
		{ "PASS", -1, PE_VERDICT_PASS },
		{ "", -1, PE_VERDICT_PASS },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum pe_verdict v = PE_VERDICT_PASS;

		assert_int_equal(pe_verdict_parse(cases[i].name, &v),
				 cases[i].rc);
		assert_int_equal(v, cases[i].v);
	}
}

/*
 * Schema version 4: the inputs of each case, once.  "one" has variables,
 * an expected value and two messages (one with a NUL); "two" could not be
 * rendered; the last belongs to a prompt without test data.
 */
#define CASES_DOC                                                              \
	"{\"schema_version\":4,\"tool\":\"prompteval 0.1.0\",\"command\":"     \
	"\"run\",\"plan\":null,\n\"cases\":[\n"                                \
	"{\"prompt\":\"T\",\"file\":\"t.prompt.yml\",\"case\":\"one\","        \
	"\"case_index\":0,\"vars\":{\"topic\":\"tides\",\"n\":3},"             \
	"\"expected\":\"moon\",\"messages\":[{\"role\":\"system\","            \
	"\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":"           \
	"\"a\\u0000b\"}],\"error\":null},\n"                                   \
	"{\"prompt\":\"T\",\"file\":\"t.prompt.yml\",\"case\":\"two\","        \
	"\"case_index\":1,\"vars\":{},\"expected\":null,\"messages\":[],"      \
	"\"error\":\"variable 'x' is not defined\"},\n"                        \
	"{\"prompt\":\"U\",\"file\":\"u.prompt.yml\",\"case\":null,"           \
	"\"case_index\":0,\"vars\":null,\"expected\":null,\"messages\":[{"     \
	"\"role\":\"user\",\"content\":\"hi\"}],\"error\":null}\n],\n"         \
	"\"results\":[\n" ROW_FAIL ",\n" ROW_ERROR ",\n" ROW_PASS DOC_TAIL

static void test_case_inputs(void **state)
{
	char path[256];
	struct pe_diag *diag = pe_diag_new();
	struct pe_resultset *rs;
	const struct pe_case_table *t;
	const struct pe_case_input *c;
	struct pe_buf b;

	write_file(*state, "inputs.json", CASES_DOC, path);
	rs = pe_resultset_load(path, diag);
	assert_non_null(rs);
	assert_int_equal(pe_diag_len(diag), 0);
	assert_int_equal(pe_resultset_schema_version(rs), 4);
	t = pe_resultset_cases(rs);
	assert_int_equal(pe_case_table_count(t), 3);

	/* Both rows of case "one" find the same inputs. */
	c = pe_resultset_case_of(rs, pe_resultset_get(rs, 1));
	assert_ptr_equal(c, pe_resultset_case_of(rs, pe_resultset_get(rs, 2)));
	assert_ptr_equal(c, pe_case_table_get(t, 0));
	assert_string_equal(c->case_id, "one");
	assert_string_equal(c->file, "t.prompt.yml");
	assert_int_equal(c->vars->kind, PE_NODE_MAP);
	assert_string_equal(pe_node_get(c->vars, "topic")->text, "tides");
	assert_string_equal(c->expected->text, "moon");
	assert_int_equal(c->nmessages, 2);
	assert_string_equal(c->messages[0].role, "system");
	assert_string_equal(c->messages[0].content, "Be brief.");
	assert_int_equal(c->messages[1].content_len, 3);
	assert_memory_equal(c->messages[1].content, "a\0b", 3);
	assert_null(c->error);

	c = pe_resultset_case_of(rs, pe_resultset_get(rs, 0));
	assert_string_equal(c->case_id, "two");
	assert_null(c->expected);
	assert_int_equal(c->nmessages, 0);
	assert_string_equal(c->error, "variable 'x' is not defined");

	c = pe_case_table_find(t, "U", NULL);
	assert_non_null(c);
	assert_null(c->case_id);
	assert_null(c->vars);
	assert_null(pe_case_table_find(t, "U", "one"));
	assert_null(pe_case_table_find(t, "V", NULL));

	/* Written again, the entries give the bytes they were read from. */
	pe_buf_init(&b, 0);
	pe_case_table_json(t, NULL, &b);
	assert_non_null(strstr(CASES_DOC, pe_buf_str(&b)));
	pe_buf_release(&b);
	pe_resultset_free(rs);

	/* Files before version 4 have no inputs. */
	write_file(*state, "old.json",
		   DOC_HEAD ROW_FAIL ",\n" ROW_ERROR ",\n" ROW_PASS DOC_TAIL,
		   path);
	rs = pe_resultset_load(path, diag);
	assert_non_null(rs);
	assert_int_equal(pe_case_table_count(pe_resultset_cases(rs)), 0);
	assert_null(pe_resultset_case_of(rs, pe_resultset_get(rs, 0)));
	pe_resultset_free(rs);
	pe_diag_free(diag);
}

/* The writer takes the run's secrets out of variables and messages. */
static void test_case_inputs_redacted(void **state)
{
	static const char key[] = "sk-canary-0123456789";
	struct pe_secrets *secrets = pe_secrets_new();
	struct pe_case_message msg = { "user", "use sk-canary-0123456789", 24 };
	struct pe_case_input in = { 0 };
	struct pe_buf b;

	(void)state;
	in.prompt = "T";
	in.file = "t.prompt.yml";
	in.case_id = "k\"ey";
	in.messages = &msg;
	in.nmessages = 1;
	assert_int_equal(pe_secrets_add(secrets, key, strlen(key)), 1);
	pe_buf_init(&b, 0);
	pe_case_input_json(&in, secrets, &b);
	assert_string_equal(
		pe_buf_str(&b),
		"{\"prompt\":\"T\",\"file\":\"t.prompt.yml\","
		"\"case\":\"k\\\"ey\",\"case_index\":0,\"vars\":null,"
		"\"expected\":null,\"messages\":[{\"role\":"
		"\"user\",\"content\":\"use [REDACTED]\"}],"
		"\"error\":null}");
	pe_buf_release(&b);
	pe_secrets_free(secrets);
}

/* A case's inputs given twice, or of the wrong shape, are errors. */
static void test_case_inputs_errors(void **state)
{
	static const char entry[] =
		"{\"prompt\":\"T\",\"file\":\"t.prompt.yml\",\"case\":\"one\","
		"\"case_index\":0,\"vars\":null,\"expected\":null,"
		"\"messages\":[],\"error\":null}";
	char path[256], text[1024];
	struct pe_diag *diag = pe_diag_new();

	snprintf(text, sizeof(text),
		 "{\"schema_version\":4,\"cases\":[%s,\n%s],\"results\":[]}",
		 entry, entry);
	write_file(*state, "twice.json", text, path);
	assert_null(pe_resultset_load(path, diag));
	assert_int_equal(pe_diag_len(diag), 1);
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "the inputs of case 'one' of 'T' are given twice");
	assert_int_equal(pe_diag_get(diag, 0)->line, 2);
	pe_diag_free(diag);

	diag = pe_diag_new();
	write_file(*state, "shape.json",
		   "{\"schema_version\":4,\"cases\":[{\"prompt\":\"T\","
		   "\"file\":\"t\",\"case\":null,\"case_index\":0,"
		   "\"vars\":null,\"expected\":null,\"messages\":{}}],"
		   "\"results\":[]}",
		   path);
	assert_null(pe_resultset_load(path, diag));
	assert_int_equal(pe_diag_len(diag), 1);
	assert_string_equal(pe_diag_get(diag, 0)->message,
			    "'messages' must be a list, not a mapping");
	pe_diag_free(diag);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_document),
		TEST(test_journal_last_line_wins),
		TEST(test_errors),
		TEST(test_broken_rows),
		TEST(test_missing_file),
		TEST(test_verdict_parse),
		TEST(test_case_inputs),
		TEST(test_case_inputs_redacted),
		TEST(test_case_inputs_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
