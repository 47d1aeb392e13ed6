/*
 * Unit tests for prompt.c (pe_prompt_load) and, through it, evalspec.c:
 * a table of broken prompt files with the exact first error and its
 * position, a table of warnings, and good files covering gh-models flat
 * test data, nested variables, model parameters in both spellings, dataset
 * references, stable case ids, per-case evaluators and every evaluator
 * shape.  Each test writes its files into a fresh mkdtemp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/core/diag.h"
#include "harness/load/evalspec.h"
#include "harness/load/prompt.h"
#include "harness/core/util.h"
#include "evaluators/evaluator.h"
#include "tests/unit/testdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static int setup(void **state)
{
	return testdir_setup(state, "prompt");
}

static int teardown(void **state)
{
	return testdir_teardown(state);
}

/* Writes content to dir/name and returns the path (caller frees). */
static char *write_file(const struct testdir *f, const char *name,
			const char *content)
{
	size_t len = strlen(f->dir) + strlen(name) + 2;
	char *path = malloc(len);
	FILE *fp;

	assert_non_null(path);
	snprintf(path, len, "%s/%s", f->dir, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, strlen(content), fp),
			 strlen(content));
	assert_int_equal(fclose(fp), 0);
	return path;
}

static void make_subdir(const struct testdir *f, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* The first diagnostic of a severity, in the order it was recorded. */
static const struct pe_diag_entry *first_of(const struct pe_diag *d,
					    enum pe_severity severity)
{
	for (size_t i = 0; i < pe_diag_len(d); i++)
		if (pe_diag_get(d, i)->severity == severity)
			return pe_diag_get(d, i);
	return NULL;
}

/* A diagnostic with exactly this severity, message and position. */
static const struct pe_diag_entry *find_entry(const struct pe_diag *d,
					      enum pe_severity severity,
					      const char *message,
					      unsigned line, unsigned col)
{
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);

		if (e->severity == severity && !strcmp(e->message, message) &&
		    e->line == line && e->col == col)
			return e;
	}
	return NULL;
}

static void dump(const struct pe_diag *d)
{
	for (size_t i = 0; i < pe_diag_len(d); i++) {
		const struct pe_diag_entry *e = pe_diag_get(d, i);

		print_message("  %s:%u:%u: %s: %s\n", e->file, e->line, e->col,
			      pe_severity_name(e->severity), e->message);
	}
}

/* Prints and counts a mismatch of the first diagnostic of a severity. */
static int first_differs(const char *row, const struct pe_diag *d,
			 enum pe_severity severity, const char *message,
			 unsigned line, unsigned col)
{
	const struct pe_diag_entry *e = first_of(d, severity);

	if (e && !strcmp(e->message, message) && e->line == line &&
	    e->col == col)
		return 0;
	print_message("%s: expected first %s %u:%u '%s', got:\n", row,
		      pe_severity_name(severity), line, col, message);
	dump(d);
	return 1;
}

static void check_first(const char *row, const struct pe_diag *d,
			enum pe_severity severity, const char *message,
			unsigned line, unsigned col)
{
	if (first_differs(row, d, severity, message, line, col))
		fail_msg("%s: first %s differs", row,
			 pe_severity_name(severity));
}

/* Loads a prompt written to name; the caller frees path and prompt. */
static struct pe_prompt *load(const struct testdir *f, const char *name,
			      const char *content, struct pe_diag *d,
			      char **path)
{
	*path = write_file(f, name, content);
	return pe_prompt_load(*path, d);
}

/*
 * Counts the diagnostics other than "will never run": that warning is
 * about what this prompteval can run (judges, python), not the file.
 */
static size_t problems(const struct pe_diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < pe_diag_len(d); i++)
		n += !strstr(pe_diag_get(d, i)->message, "will never run");
	return n;
}

/* A prompt that must load with no errors and no warnings about it. */
static struct pe_prompt *load_clean(const struct testdir *f,
				    const char *content, struct pe_diag *d)
{
	char *path;
	struct pe_prompt *p = load(f, "good.prompt.yml", content, d, &path);

	if (!p || problems(d)) {
		dump(d);
		fail_msg("prompt did not load cleanly");
	}
	assert_string_equal(p->path, path);
	free(path);
	return p;
}

#define MSGS "messages:\n  - role: user\n    content: hi\n"
#define HEAD "model: m\n" MSGS

struct broken_case {
	const char *name;
	const char *content;
	int null; /* pe_prompt_load returns NULL */
	const char *message;
	unsigned line, col;
};

static const struct broken_case broken[] = {
	{ "empty file", "", 1,
	  "empty file: expected a prompt definition with 'messages'", 1, 1 },
	{ "only comments", "# just a comment\n\n   # another\n", 1,
	  "empty file: expected a prompt definition with 'messages'", 1, 1 },
	{ "only whitespace", "  \n\t\n", 1,
	  "empty file: expected a prompt definition with 'messages'", 1, 1 },
	{ "empty document", "---\n", 1,
	  "empty document: expected a prompt definition with 'messages'", 1,
	  1 },
	{ "jinja import", "{% import 'x' as y %}\nname: x\n", 1,
	  "not plain YAML: a Jinja template tag '{% import 'x' as y %}'; "
	  "render the template first (prompteval reads plain YAML prompt "
	  "files)",
	  1, 1 },
	{ "jinja comment, indented", "name: x\n\n  {# note #}\n", 1,
	  "not plain YAML: a Jinja template tag '{# note #}'; render the "
	  "template first (prompteval reads plain YAML prompt files)",
	  3, 3 },
	{ "long jinja tag",
	  "{% set greeting = 'hello there, this is a long line' %}\n", 1,
	  "not plain YAML: a Jinja template tag '{% set greeting = 'hello "
	  "there, this is ...'; render the template first (prompteval reads "
	  "plain YAML prompt files)",
	  1, 1 },
	{ "top-level list", "- a\n- b\n", 1,
	  "a prompt file must be a mapping of keys (name, model, messages, "
	  "...), not a list",
	  1, 1 },
	{ "top-level scalar", "hello\n", 1,
	  "a prompt file must be a mapping of keys (name, model, messages, "
	  "...), not a string",
	  1, 1 },
	{ "no messages", "name: x\nmodel: m\n", 1,
	  "not a prompt definition: no 'messages' key", 1, 1 },
	{ "github workflow", "name: CI\non:\n  push: {}\njobs:\n  build: {}\n",
	  1,
	  "not a prompt definition: no 'messages' key; this looks like a "
	  "GitHub Actions workflow ('on' and 'jobs')",
	  1, 1 },
	{ "duplicate key", "model: m\nmodel: n\nmessages: []\n", 1,
	  "duplicate key 'model' (first defined at line 1, column 1)", 2, 1 },
	{ "yaml syntax error", "model: m\nmessages: [\n", 1,
	  "YAML syntax error: did not find expected node content (while "
	  "parsing a flow node at line 3, column 1)",
	  3, 1 },
	{ "messages not a list", "model: m\nmessages:\n  role: user\n", 0,
	  "'messages' must be a list of {role, content}, not a mapping", 3, 3 },
	{ "messages null", "model: m\nmessages: ~\n", 0,
	  "'messages' must be a list of {role, content}, not a null", 2, 11 },
	{ "messages empty", "model: m\nmessages: []\n", 0,
	  "'messages' is empty: a prompt needs at least one message", 2, 11 },
	{ "message not a mapping", "model: m\nmessages:\n  - hello\n", 0,
	  "a message must be a mapping with 'role' and 'content', not a "
	  "string",
	  3, 5 },
	{ "unknown role",
	  "model: m\nmessages:\n  - role: robot\n    content: hi\n", 0,
	  "unknown message role 'robot': use system, user or assistant", 3,
	  11 },
	{ "missing role", "model: m\nmessages:\n  - content: hi\n", 0,
	  "message needs a 'role' (system, user or assistant)", 3, 5 },
	{ "content a list",
	  "model: m\nmessages:\n  - role: user\n    content: [a, b]\n", 0,
	  "message needs 'content' as text, not a list", 4, 14 },
	{ "content missing", "model: m\nmessages:\n  - role: user\n", 0,
	  "message needs 'content' as text", 3, 5 },
	{ "content null",
	  "model: m\nmessages:\n  - role: user\n    content: ~\n", 0,
	  "message needs 'content' as text, not a null", 4, 14 },
	{ "maxTokens quoted",
	  "model: m\nmodelParameters:\n  maxTokens: \"300\"\n" MSGS, 0,
	  "modelParameters.maxTokens must be an integer, not a string", 3, 14 },
	{ "maxTokens zero", "model: m\nmodelParameters:\n  maxTokens: 0\n" MSGS,
	  0, "modelParameters.maxTokens is 0; it must be at least 1", 3, 14 },
	{ "maxTokens fraction",
	  "model: m\nmodelParameters:\n  max_tokens: 1.5\n" MSGS, 0,
	  "modelParameters.maxTokens must be an integer, not 1.5", 3, 15 },
	{ "temperature out of range",
	  "model: m\nmodelParameters:\n  temperature: 3\n" MSGS, 0,
	  "modelParameters.temperature is 3; it must be between 0 and 2", 3,
	  16 },
	{ "temperature not a number",
	  "model: m\nmodelParameters:\n  temperature: hot\n" MSGS, 0,
	  "modelParameters.temperature must be a number, not a string", 3, 16 },
	{ "topP out of range", "model: m\nmodelParameters:\n  topP: 1.5\n" MSGS,
	  0, "modelParameters.topP is 1.5; it must be between 0 and 1", 3, 9 },
	{ "presence penalty out of range",
	  "model: m\nmodelParameters:\n  presence_penalty: -3\n" MSGS, 0,
	  "modelParameters.presencePenalty is -3; it must be between -2 and 2",
	  3, 21 },
	{ "seed not an integer",
	  "model: m\nmodelParameters:\n  seed: abc\n" MSGS, 0,
	  "modelParameters.seed must be an integer, not a string", 3, 9 },
	{ "both spellings",
	  "model: m\nmodelParameters:\n  maxTokens: 5\n  max_tokens: 6\n" MSGS,
	  0, "'maxTokens' and 'max_tokens' are the same setting; give only one",
	  4, 3 },
	{ "both top-level spellings",
	  "model: m\nmodelParameters: {}\nmodel_parameters: {}\n" MSGS, 0,
	  "'modelParameters' and 'model_parameters' are the same setting; "
	  "give only one",
	  3, 1 },
	{ "modelParameters a number", "model: m\nmodelParameters: 5\n" MSGS, 0,
	  "'modelParameters' must be a mapping, not a number", 2, 18 },
	{ "stop a number", "model: m\nmodelParameters:\n  stop: 5\n" MSGS, 0,
	  "modelParameters.stop must be a string or a list of strings, not a "
	  "number",
	  3, 9 },
	{ "stop empty string",
	  "model: m\nmodelParameters:\n  stop: [END, '']\n" MSGS, 0,
	  "each stop sequence must be non-empty text", 3, 15 },
	{ "responseFormat xml", "model: m\nresponseFormat: xml\n" MSGS, 0,
	  "invalid responseFormat 'xml': use text, json_object or json_schema",
	  2, 17 },
	{ "responseFormat a list", "model: m\nresponse_format: [a]\n" MSGS, 0,
	  "invalid responseFormat 'list': use text, json_object or "
	  "json_schema",
	  2, 18 },
	{ "json_schema without jsonSchema",
	  "model: m\nresponseFormat: json_schema\n" MSGS, 0,
	  "responseFormat json_schema needs a 'jsonSchema'", 1, 1 },
	{ "jsonSchema not JSON",
	  "model: m\nresponseFormat: json_schema\njsonSchema: not json\n" MSGS,
	  0, "invalid JSON: unexpected character", 3, 13 },
	{ "jsonSchema without name and schema",
	  "model: m\nresponseFormat: json_schema\n"
	  "jsonSchema: '{\"type\": \"object\"}'\n" MSGS,
	  0,
	  "jsonSchema for responseFormat json_schema must have top-level "
	  "'name' and 'schema' keys",
	  3, 13 },
	{ "jsonSchema a number", "model: m\njsonSchema: 5\n" MSGS, 0,
	  "jsonSchema must be a JSON string (or a mapping), not a number", 2,
	  13 },
	{ "threshold out of range", "model: m\nthreshold: 2\n" MSGS, 0,
	  "'threshold' must be a number between 0 and 1", 2, 12 },
	{ "name a list", "name: [a]\n" HEAD, 0,
	  "'name' must be text, not a list", 1, 7 },
	{ "testData a number", HEAD "testData: 5\n", 0,
	  "'testData' must be a list of test cases or a dataset file name, "
	  "not a number",
	  5, 11 },
	{ "test case a string", HEAD "testData:\n  - hello\n", 0,
	  "a test case must be a mapping of variables, not a string", 6, 5 },
	{ "undefined variable",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: Hi {{name}}\ntestData:\n  - id: c1\n    other: 1\n",
	  0,
	  "prompt 'greet', test case 'c1': variable 'name' is not defined "
	  "(used at line 5, column 17)",
	  7, 5 },
	{ "undefined variable in a block scalar",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n    content: |\n"
	  "      Hello.\n      Write about {{ topic }} and {{ topic }}.\n"
	  "testData:\n  - id: c1\n    other: 1\n",
	  0,
	  "prompt 'greet', test case 'c1': variable 'topic' is not defined "
	  "(used at line 7, column 19)",
	  9, 5 },
	{ "undefined variables, variables as one string",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: Hi {{name}} from {{place}}\ntestData:\n  - id: c1\n"
	  "    vars: 'Ada'\n",
	  0,
	  "prompt 'greet', test case 'c1': variable 'name' is not "
	  "defined (used at line 5, column 17); this case's variables are "
	  "a string, not a mapping of names to values",
	  7, 5 },
	{ "a variable the string's mapping leaves undefined",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: Hi {{name}} from {{place}}\ntestData:\n  - id: c1\n"
	  "    vars: 'name: Ada'\n",
	  0,
	  "prompt 'greet', test case 'c1': variable 'place' is not "
	  "defined (used at line 5, column 31)",
	  7, 5 },
	{ "undefined variable in an evaluator",
	  "name: greet\n" HEAD "testData:\n  - id: c1\n    x: 1\n"
	  "evaluators:\n  - name: e\n    string: {contains: '{{wanted}}'}\n",
	  0,
	  "prompt 'greet', test case 'c1': variable 'wanted' is not defined "
	  "(used by evaluator 'e' at line 11, column 25)",
	  7, 5 },
	{ "duplicate explicit case ids",
	  HEAD "testData:\n  - id: a\n    x: 1\n  - id: a\n    x: 2\n", 0,
	  "duplicate test case id 'a' (also case #1)", 8, 5 },
	{ "empty case id", HEAD "testData:\n  - id: ''\n    x: 1\n", 0,
	  "test case 'id' must be non-empty text", 6, 9 },
	{ "evaluators not a list", HEAD "evaluators: {a: 1}\n", 0,
	  "'evaluators' must be a list, not a mapping", 5, 13 },
	{ "evaluator a number", HEAD "evaluators: [5]\n", 0,
	  "an evaluator must be a mapping, not a number", 5, 14 },
	{ "unknown evaluator type",
	  HEAD "evaluators:\n  - name: e\n    type: regexp\n    pattern: x\n",
	  0, "unknown evaluator type 'regexp' (did you mean 'regex'?)", 7, 11 },
	{ "evaluator type not a string",
	  HEAD "evaluators:\n  - type: [regex]\n    pattern: x\n", 0,
	  "evaluator 'type' must be a string", 6, 11 },
	{ "string evaluator with no check",
	  HEAD "evaluators:\n  - name: e\n    string: {}\n", 0,
	  "string evaluator has no check: use one of equals, contains, "
	  "startsWith, endsWith, icontains, containsAny, containsAll",
	  7, 13 },
	{ "string evaluator not a mapping",
	  HEAD "evaluators:\n  - string: hello\n", 0,
	  "'string' must be a mapping such as {contains: \"text\"}, not a "
	  "string",
	  6, 13 },
	/* gh-models: an empty value counts as not set. */
	{ "unknown type that looks like one",
	  HEAD "evaluators:\n  - type: regx\n    pattern: a\n", 0,
	  "unknown evaluator type 'regx' (did you mean 'regex'?)", 6, 11 },
	{ "unknown evaluator: spelling that looks like a type",
	  HEAD "evaluators:\n  - evaluator: regx\n    pattern: a\n", 0,
	  "unknown evaluator type 'regx' (did you mean 'regex'?)", 6, 16 },
	{ "evaluator with nothing to check",
	  HEAD "evaluators:\n  - {name: x, description: y}\n", 0,
	  "evaluator has no check: give one of string, regex, llm, uses, "
	  "judge (or type: regex|contains|...)",
	  6, 5 },
	{ "type contains empty value",
	  HEAD "evaluators:\n  - type: contains\n    value: ''\n", 0,
	  "'value' is empty, so it would match everything", 7, 12 },
	{ "containsAny empty item",
	  HEAD "evaluators:\n  - string: {containsAny: [a, '']}\n", 0,
	  "'containsAny' items must be non-empty strings, since an empty one "
	  "would match everything",
	  6, 31 },
	{ "containsAny empty list",
	  HEAD "evaluators:\n  - string: {containsAny: []}\n", 0,
	  "'containsAny' needs at least one string", 6, 27 },
	{ "containsAll item a list",
	  HEAD "evaluators:\n  - string: {containsAll: [a, [b]]}\n", 0,
	  "'containsAll' items must be strings, not a list", 6, 31 },
	{ "builtin typo",
	  HEAD "evaluators:\n  - name: e\n    uses: github/similarty\n", 0,
	  "unknown built-in evaluator 'github/similarty' (did you mean "
	  "'github/similarity'?)",
	  7, 11 },
	{ "uses outside github/", HEAD "evaluators:\n  - uses: acme/judge\n", 0,
	  "unknown evaluator 'acme/judge': 'uses' names a built-in such as "
	  "github/similarity",
	  6, 11 },
	{ "regex without pattern",
	  HEAD "evaluators:\n  - name: e\n    type: regex\n", 0,
	  "regex evaluator needs a non-empty pattern (or a non-empty list of "
	  "them)",
	  6, 5 },
	{ "regex mapping without pattern",
	  HEAD "evaluators:\n  - name: e\n    regex: {match: false}\n", 0,
	  "regex evaluator needs 'pattern'", 6, 5 },
	{ "regex empty pattern", HEAD "evaluators:\n  - regex: ''\n", 0,
	  "regex evaluator needs a non-empty pattern (or a non-empty list of "
	  "them)",
	  6, 12 },
	{ "unknown evaluator key",
	  HEAD "evaluators:\n  - name: e\n    strng: {contains: x}\n", 0,
	  "unknown evaluator 'strng' (did you mean 'string'?)", 7, 5 },
	{ "evaluator with no check", HEAD "evaluators:\n  - name: e\n", 0,
	  "evaluator has no check: give one of string, regex, llm, uses, judge "
	  "(or type: regex|contains|...)",
	  6, 5 },
	{ "negative weight",
	  HEAD "evaluators:\n  - string: {contains: x}\n    weight: -1\n", 0,
	  "evaluator 'weight' must be a number >= 0", 7, 13 },
	{ "not a boolean",
	  HEAD "evaluators:\n  - string: {contains: x}\n    not: maybe\n", 0,
	  "evaluator 'not' must be true or false", 7, 10 },
	{ "evaluator name a list",
	  HEAD "evaluators:\n  - name: [a]\n    string: {contains: x}\n", 0,
	  "evaluator 'name' must be a string, not a list", 6, 11 },
	{ "type contains without value",
	  HEAD "evaluators:\n  - type: contains\n", 0,
	  "'type: contains' needs 'value'", 6, 11 },
	{ "llm without prompt",
	  HEAD "evaluators:\n  - llm: {choices: [{choice: a, score: 1}]}\n", 0,
	  "evaluator needs 'prompt'", 6, 10 },
	{ "llm without choices",
	  HEAD "evaluators:\n  - llm: {prompt: rate it}\n", 0,
	  "llm evaluator needs 'choices': a list of {choice, score}", 6, 5 },
	{ "llm choice score not finite",
	  HEAD "evaluators:\n  - llm: {prompt: p, choices: [{choice: a, "
	       "score: 1e999}]}\n",
	  0, "choice score 1e999 is not a number", 6, 51 },
	{ "llm choice without score",
	  HEAD "evaluators:\n  - llm: {prompt: p, choices: [{choice: a}]}\n", 0,
	  "each choice needs 'choice' (text) and 'score' (a number)", 6, 32 },
	{ "llm not a mapping", HEAD "evaluators:\n  - llm: judge it\n", 0,
	  "'llm' must be a mapping, not a string", 6, 10 },
	{ "model-graded without criteria",
	  HEAD "evaluators:\n  - model: gpt-4o\n", 0,
	  "model-graded evaluator needs 'criteria' (or 'prompt', "
	  "'instructions', 'assertion') as text",
	  6, 5 },
	{ "prompt_evaluator without criteria",
	  HEAD "evaluators:\n  - type: prompt_evaluator\n    parameters: {}\n",
	  0,
	  "model-graded evaluator needs 'criteria' (or 'prompt', "
	  "'instructions', 'assertion') as text",
	  6, 5 },
	{ "model_graded choice without a score",
	  HEAD "evaluators:\n  - type: model_graded\n    prompt: p\n"
	       "    choices: [pass, maybe]\n",
	  0,
	  "choice 'maybe' has no score: write {choice: 'maybe', score: N}, or "
	  "a verdict such as pass, fail, yes or no",
	  8, 21 },
	{ "judge: without a rubric",
	  HEAD "evaluators:\n  - judge: {scale: 5}\n", 0,
	  "judge needs a rubric: 'judge: TEXT' or 'judge: {rubric: TEXT, "
	  "scale: 5, pass: 4}'",
	  6, 12 },
	{ "judge: pass without a scale",
	  HEAD "evaluators:\n  - judge: {rubric: r, pass: 3}\n", 0,
	  "'pass' is a rating on the 'scale', which is not given (without one "
	  "the judge answers PASS or FAIL)",
	  6, 30 },
	{ "judge: pass above the scale",
	  HEAD "evaluators:\n  - judge: {rubric: r, scale: 3, pass: 4}\n", 0,
	  "'pass' must be a whole number from 1 to 3", 6, 40 },
	{ "judge: scale of one",
	  HEAD "evaluators:\n  - judge: {rubric: r, scale: 1}\n", 0,
	  "'scale' must be a whole number from 2 to 10", 6, 31 },
	{ "judge: temperature out of range",
	  HEAD "evaluators:\n  - judge: {rubric: r, temperature: 3}\n", 0,
	  "'temperature' must be a number from 0 to 2", 6, 37 },
};

static void test_broken(void **state)
{
	const struct testdir *f = *state;
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		const struct broken_case *c = &broken[i];
		struct pe_diag *d = pe_diag_new();
		char *path;
		struct pe_prompt *p =
			load(f, "bad.prompt.yml", c->content, d, &path);
		const struct pe_diag_entry *e = first_of(d, PE_SEV_ERROR);

		if ((p == NULL) != c->null) {
			print_message("%s: pe_prompt_load returned %s\n",
				      c->name, p ? "a prompt" : "NULL");
			failures++;
		} else if (first_differs(c->name, d, PE_SEV_ERROR, c->message,
					 c->line, c->col)) {
			failures++;
		} else if (strcmp(e->file, path)) {
			print_message("%s: error in '%s'\n", c->name, e->file);
			failures++;
		}
		pe_prompt_free(p);
		pe_diag_free(d);
		free(path);
	}
	assert_int_equal(failures, 0);
}

struct bug_case {
	const char *name;
	const char *content;
	const char *message;
	unsigned line, col;
};

/*
 * Rows that once failed; see the regression notes.  Each asserts the position a
 * correct loader reports.
 */
static const struct bug_case position_bugs[] = {
	/*
	 * Regression (fixed): yaml.c stores libyaml character indexes as byte offsets
	 * (src_start/src_end), so pe_doc_locate misses "{{name}}" after
	 * multi-byte characters and falls back to the scalar's start (the
	 * quote at column 14).  "{{name}}" is at column 19.
	 */
	{ "undefined variable after UTF-8 text",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: '\xc3\xa9\xc3\xa9\xc3\xa9 {{name}}'\n"
	  "testData:\n  - id: c1\n    other: 1\n",
	  "prompt 'greet', test case 'c1': variable 'name' is not defined "
	  "(used at line 5, column 19)",
	  7, 5 },
	/*
	 * Regression (fixed): same cause; a byte-order mark shifts every byte offset by 3,
	 * so "{{x}}" (column 18) is reported at the quote (column 14).
	 */
	{ "undefined variable in a file with a BOM",
	  "\xef\xbb\xbfname: b\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: 'hi {{x}}'\ntestData:\n  - id: c1\n    y: 1\n",
	  "prompt 'b', test case 'c1': variable 'x' is not defined (used at "
	  "line 5, column 18)",
	  7, 5 },
	/*
	 * Regression (fixed): prompt.c read_json_schema passes the scalar's mark (the
	 * opening quote) as the mark of the JSON text's first byte, so
	 * json.c pe_json_parse reports the bad 'x' one column early (22, not
	 * 23).
	 */
	{ "jsonSchema error column in a quoted scalar",
	  "model: m\nresponseFormat: json_schema\n"
	  "jsonSchema: '{\"name\": x}'\n" MSGS,
	  "invalid JSON: unexpected character", 3, 23 },
	/*
	 * Regression (fixed): json.c pe_json_parse counts every byte before the error as a
	 * column on the first line and prompt.c passes the mark of the '|'
	 * indicator, so an error on the 4th line of a block-scalar schema is
	 * reported at 3:44 instead of where the ',' is (6:16).
	 */
	{ "jsonSchema error in a block scalar",
	  "model: m\nresponseFormat: json_schema\njsonSchema: |\n  {\n"
	  "    \"name\": \"x\",\n    \"schema\": {,}\n  }\n" MSGS,
	  "invalid JSON: unexpected character", 6, 16 },
};

static void test_position_bugs(void **state)
{
	const struct testdir *f = *state;
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(position_bugs); i++) {
		const struct bug_case *c = &position_bugs[i];
		struct pe_diag *d = pe_diag_new();
		char *path;
		struct pe_prompt *p =
			load(f, "bug.prompt.yml", c->content, d, &path);

		if (!find_entry(d, PE_SEV_ERROR, c->message, c->line, c->col)) {
			print_message("%s: expected %u:%u '%s', got:\n",
				      c->name, c->line, c->col, c->message);
			dump(d);
			failures++;
		}
		pe_prompt_free(p);
		pe_diag_free(d);
		free(path);
	}
	assert_int_equal(failures, 0);
}

/*
 * Regression (fixed): json.c pe_json_parse calls cJSON_ParseWithLengthOpts with
 * require_null_terminated 0, so text after the first JSON value is
 * silently ignored: this jsonSchema loads without any error.
 */
static void test_json_schema_trailing_text(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p = load(
		f, "trail.prompt.yml",
		"model: m\nresponseFormat: json_schema\n"
		"jsonSchema: '{\"name\": \"x\", \"schema\": {}} junk'\n" MSGS,
		d, &path);
	const struct pe_diag_entry *e = first_of(d, PE_SEV_ERROR);
	int loaded = p != NULL;
	int invalid = e && !strncmp(e->message, "invalid JSON: ", 14);
	unsigned line = e ? e->line : 0;

	/* Free first: a failed assertion must not leak under ASan. */
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
	assert_true(loaded);
	assert_true(invalid);
	assert_int_equal(line, 3);
}

/*
 * Regression (fixed): evalspec.c parse_string_map accepts "string: {regex: ''}" (an empty
 * pattern matches every response) while "regex: ''" is rejected with
 * "regex evaluator needs a non-empty pattern (or a non-empty list of them)"; a typo must never turn
 * into an evaluator that always passes.
 */
static void test_string_regex_empty(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p =
		load(f, "re.prompt.yml",
		     HEAD "evaluators:\n  - string: {regex: ''}\n", d, &path);
	int differs = first_differs("string: {regex: ''}", d, PE_SEV_ERROR,
				    "regex evaluator needs a non-empty pattern "
				    "(or a non-empty list of them)",
				    6, 21);
	size_t nevaluators = p ? p->nevaluators : 99;

	/* Free first: a failed assertion must not leak under ASan. */
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
	assert_false(differs);
	assert_int_equal(nevaluators, 0);
}

/*
 * Regression (fixed): prompt.c read_root runs pe_node_check_keys only after finding
 * 'messages', so the commonest reason for "no 'messages' key", a typo
 * such as 'mesages', gets no "did you mean 'messages'?" hint at all.
 */
static void test_misspelt_messages_hint(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p =
		load(f, "typo.prompt.yml",
		     "model: m\nmesages:\n  - role: user\n    content: hi\n", d,
		     &path);
	int hinted = 0;

	for (size_t i = 0; i < pe_diag_len(d); i++)
		hinted |= strstr(pe_diag_get(d, i)->message,
				 "did you mean 'messages'?") != NULL;
	if (!hinted)
		dump(d);
	/* Free first: a failed assertion must not leak under ASan. */
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
	assert_true(hinted);
}

struct warning_case {
	const char *name;
	const char *content;
	const char *message;
	unsigned line, col;
};

static const struct warning_case warnings[] = {
	{ "unknown top-level key with suggestion",
	  "model: m\nmesages: x\n" MSGS,
	  "unknown key 'mesages' in the prompt file (did you mean "
	  "'messages'?)",
	  2, 1 },
	{ "unknown top-level key", "colour: red\n" HEAD,
	  "unknown key 'colour' in the prompt file; it is ignored", 1, 1 },
	{ "unknown modelParameters key",
	  "model: m\nmodelParameters:\n  max_token: 5\n" MSGS,
	  "unknown key 'max_token' in modelParameters (did you mean "
	  "'max_tokens'?)",
	  3, 3 },
	{ "unknown message key",
	  "model: m\nmessages:\n  - role: user\n    content: hi\n    contnet: "
	  "x\n",
	  "unknown key 'contnet' in a message (did you mean 'content'?)", 5,
	  5 },
	{ "declared variable unused",
	  "model: m\nvariables:\n  - name: topic\n  - name\nmessages:\n"
	  "  - role: user\n    content: hi {{name}}\n",
	  "declared variable 'topic' is not used by any message", 3, 11 },
	{ "a judge reads the whole answer",
	  HEAD "evaluators:\n  - type: model\n    target: Risks\n    model: "
	       "{prompt: is it safe}\n",
	  "unsupported evaluator 'unsupported-1' will never run ('target: "
	  "Risks' cannot be honoured: a judge reads the whole answer, not one "
	  "section): its cases will be ungraded, never passed",
	  6, 5 },
	{ "dialect that maps to no check",
	  HEAD "evaluators:\n  - type: xml_structure\n    config: {a: b}\n",
	  "unsupported evaluator 'unsupported-1' will never run (type "
	  "'xml_structure' is not a check prompteval knows): its cases will be "
	  "ungraded, never passed",
	  6, 5 },
	{ "string: whose values are all empty",
	  HEAD "evaluators:\n  - name: non-empty\n    string: {startsWith: "
	       "''}\n",
	  "unsupported evaluator 'non-empty' will never run (string: "
	  "'startsWith' is empty, and an empty value counts as not set, so it "
	  "checks nothing): its cases will be ungraded, never passed",
	  6, 5 },
	{ "unknown key of python:",
	  HEAD "evaluators:\n  - python: {code: x, timout: 5}\n",
	  "unknown key 'timout' in a python evaluator (did you mean "
	  "'timeout'?); the evaluator does not run, and its cases are "
	  "ungraded",
	  6, 23 },
	{ "unknown key of exec:",
	  HEAD "evaluators:\n  - exec: {command: [x], treshold: 1}\n",
	  "unknown key 'treshold' in an exec evaluator (did you mean "
	  "'threshold'?); the evaluator does not run, and its cases are "
	  "ungraded",
	  6, 26 },
	{ "unknown key of judge:",
	  HEAD "evaluators:\n  - judge: {rubric: r, scael: 5}\n",
	  "unknown key 'scael' in a judge (did you mean 'scale'?); the "
	  "evaluator does not run, and its cases are ungraded",
	  6, 24 },
	{ "macro call kept as text",
	  "model: m\nmessages:\n  - role: user\n"
	  "    content: 'say {{ macros.x() }} now'\n",
	  "'{{ macros.x() }}' is not a variable reference and is sent as "
	  "written; write '\\{{' for a literal '{{'",
	  4, 19 },
	{ "unclosed braces kept as text",
	  "model: m\nmessages:\n  - role: user\n    content: |\n"
	  "      ok {{x}}\n      then {{ open\n",
	  "'{{' is not a variable reference and is sent as written; write "
	  "'\\{{' for a literal '{{'",
	  6, 12 },
	{ "variables as one string that holds a mapping",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: Hi {{name}} in {{town}}\ntestData:\n  - id: c1\n"
	  "    vars: 'name: Ada\n\n      town: Paris'\n",
	  "this case's variables are written as one string that holds a "
	  "mapping; read as that mapping (2 variables): write them as a "
	  "mapping (remove the quotes)",
	  8, 11 },
	{ "variables as one string, the one variable left",
	  "name: greet\nmodel: m\nmessages:\n  - role: user\n"
	  "    content: Hi {{name}}\ntestData:\n  - id: c1\n"
	  "    vars: 'Ada: the first programmer'\n",
	  "this case's variables are one string, not a mapping; read as the "
	  "value of 'name', the one variable the messages use that the case "
	  "does not define: write 'vars: {name: ...}'",
	  8, 11 },
	{ "missing model",
	  "name: x\nmessages:\n  - role: user\n    content: hi\n",
	  "no 'model': runs of this prompt need -m/--model", 1, 1 },
	{ "duplicate evaluator name",
	  HEAD "evaluators:\n  - name: e\n    regex: a\n  - name: e\n"
	       "    regex: b\n",
	  "duplicate evaluator name 'e' (also at line 6); this one is "
	  "reported as 'e#2'",
	  8, 5 },
	{ "second string check: the evaluator is skipped, in one warning",
	  HEAD "evaluators:\n  - string: {contains: a, equals: b}\n",
	  "unsupported evaluator 'unsupported-1' will never run (string: "
	  "'contains' beside 'equals': a string evaluator checks one thing): "
	  "its cases will be ungraded, never passed",
	  6, 5 },
	{ "empty string check before the one checked",
	  HEAD "evaluators:\n  - string: {equals: '', contains: b}\n",
	  "'equals' is empty, which counts as not set; 'contains' is checked",
	  6, 14 },
	{ "empty string check after the one checked",
	  HEAD "evaluators:\n  - string: {contains: b, endsWith: ''}\n",
	  "'endsWith' is empty, which counts as not set; 'contains' is "
	  "checked",
	  6, 27 },
	{ "unknown key in a string evaluator",
	  HEAD "evaluators:\n  - string: {contain: a, equals: b}\n",
	  "unknown key 'contain' in a string evaluator (did you mean "
	  "'contains'?); the evaluator does not run, and its cases are "
	  "ungraded",
	  6, 14 },
	{ "unknown evaluator key",
	  HEAD "evaluators:\n  - string: {contains: x}\n    wieght: 2\n",
	  "unknown key 'wieght' in an evaluator (did you mean 'weight'?); "
	  "the evaluator does not run, and its cases are ungraded",
	  7, 5 },
	{ "unknown key in a nested case",
	  HEAD "testData:\n  - vars: {a: 1}\n    expcted: x\n",
	  "unknown key 'expcted' in a test case (did you mean 'expected'?)", 7,
	  5 },
};

static void test_warnings(void **state)
{
	const struct testdir *f = *state;
	size_t failures = 0;

	for (size_t i = 0; i < ARRAY_SIZE(warnings); i++) {
		const struct warning_case *c = &warnings[i];
		struct pe_diag *d = pe_diag_new();
		char *path;
		struct pe_prompt *p =
			load(f, "warn.prompt.yml", c->content, d, &path);
		const struct pe_diag_entry *e = find_entry(
			d, PE_SEV_WARNING, c->message, c->line, c->col);

		if (!p || pe_diag_count(d, PE_SEV_ERROR) || !e ||
		    strcmp(e->file, path)) {
			print_message("%s: expected only warnings, including "
				      "%u:%u '%s', got:\n",
				      c->name, c->line, c->col, c->message);
			dump(d);
			failures++;
		}
		pe_prompt_free(p);
		pe_diag_free(d);
		free(path);
	}
	assert_int_equal(failures, 0);
}

/* Variables written as one string: the values the case reads. */
static void test_vars_in_string(void **state)
{
	static const char src[] =
		"name: greet\nmodel: m\nmessages:\n  - role: user\n"
		"    content: Hi {{name}} in {{town}}\ntestData:\n"
		"  - vars: 'name: Ada\n\n      town: Paris'\n"
		"  - vars: 'Ada: then Paris'\n    town: Rome\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p = load(f, "vars.prompt.yml", src, d, &path);
	const struct pe_node *n;

	assert_non_null(p);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 0);
	assert_int_equal(p->ncases, 2);
	n = pe_template_lookup(p->cases[0].scopes, p->cases[0].nscopes, "name");
	assert_non_null(n);
	assert_string_equal(n->text, "Ada");
	n = pe_template_lookup(p->cases[0].scopes, p->cases[0].nscopes, "town");
	assert_non_null(n);
	assert_string_equal(n->text, "Paris");
	/* A mapping that leaves 'name' undefined is name's value. */
	n = pe_template_lookup(p->cases[1].scopes, p->cases[1].nscopes, "name");
	assert_non_null(n);
	assert_string_equal(n->text, "Ada: then Paris");
	n = pe_template_lookup(p->cases[1].scopes, p->cases[1].nscopes, "town");
	assert_non_null(n);
	assert_string_equal(n->text, "Rome");
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
}

static void test_gh_models_flat(void **state)
{
	static const char src[] = "name: Summarizer\n"
				  "description: Summarizes text\n"
				  "model: openai/gpt-4o-mini\n"
				  "modelParameters:\n"
				  "  temperature: 0.5\n"
				  "  maxTokens: 300\n"
				  "  topP: 0.9\n"
				  "messages:\n"
				  "  - role: system\n"
				  "    content: You are terse.\n"
				  "  - role: user\n"
				  "    content: |\n"
				  "      Summarize {{input}}\n"
				  "  - role: Assistant\n"
				  "    content: Sure.\n"
				  "testData:\n"
				  "  - input: text one\n"
				  "    expected: one\n"
				  "  - input: text two\n"
				  "    expected: two\n"
				  "evaluators:\n"
				  "  - name: has-expected\n"
				  "    string:\n"
				  "      contains: '{{expected}}'\n"
				  "  - name: sim\n"
				  "    uses: github/similarity\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	struct pe_prompt *p = load_clean(f, src, d);
	const struct pe_case *c;

	assert_string_equal(p->name, "Summarizer");
	assert_string_equal(p->description, "Summarizes text");
	assert_string_equal(p->model, "openai/gpt-4o-mini");
	assert_int_equal(p->mark.line, 1);
	assert_int_equal(p->nmessages, 3);
	assert_int_equal(p->messages[0].role, PE_ROLE_SYSTEM);
	assert_int_equal(p->messages[1].role, PE_ROLE_USER);
	assert_int_equal(p->messages[2].role, PE_ROLE_ASSISTANT);
	assert_string_equal(p->messages[1].node->text, "Summarize {{input}}\n");
	assert_int_equal(pe_template_nvars(p->messages[1].content), 1);
	assert_true(pe_template_is_constant(p->messages[0].content));
	assert_int_equal(p->params.set, PE_PARAM_TEMPERATURE |
						PE_PARAM_MAX_TOKENS |
						PE_PARAM_TOP_P);
	assert_true(p->params.temperature == 0.5);
	assert_int_equal(p->params.max_tokens, 300);
	assert_true(p->params.top_p == 0.9);
	assert_int_equal(p->response_format, PE_RESPONSE_UNSET);
	assert_null(p->json_schema);
	assert_false(p->has_threshold);
	assert_int_equal(p->ncases, 2);
	for (size_t i = 0; i < 2; i++) {
		c = &p->cases[i];
		assert_int_equal(c->index, i);
		assert_ptr_equal(c->vars, c->item);
		assert_int_equal(c->nscopes, 1);
		assert_ptr_equal(c->scopes[0], c->item);
		assert_non_null(c->expected);
		assert_int_equal(c->nevaluators, 0);
	}
	assert_string_equal(p->cases[0].expected->text, "one");
	assert_string_equal(pe_node_get(p->cases[1].vars, "input")->text,
			    "text two");
	assert_int_equal(p->cases[1].item->mark.line, 19);
	assert_int_equal(p->nevaluators, 2);
	assert_string_equal(p->evaluators[0].name, "has-expected");
	assert_string_equal(pe_evalspec_kind_name(&p->evaluators[1]),
			    "builtin");
	assert_int_equal(pe_prompt_count_evaluators(p), 2);
	assert_string_equal(pe_role_name(PE_ROLE_SYSTEM), "system");
	assert_string_equal(pe_role_name(PE_ROLE_USER), "user");
	assert_string_equal(pe_role_name(PE_ROLE_ASSISTANT), "assistant");
	pe_prompt_free(p);
	pe_diag_free(d);
	pe_prompt_free(NULL);
}

struct nest_case {
	const char *nest_key;
	const char *expected_key; /* NULL: none */
};

static const struct nest_case nests[] = {
	{ "vars", "expected" },		 { "input", "expectedOutput" },
	{ "inputs", "expected_output" }, { "variables", NULL },
	{ "vars", "expectedOutput" },
};

static void test_nested_vars(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(nests); i++) {
		const struct nest_case *n = &nests[i];
		struct pe_diag *d = pe_diag_new();
		char src[512];
		struct pe_prompt *p;
		const struct pe_case *c;

		snprintf(src, sizeof(src),
			 "model: m\nmessages:\n  - role: user\n"
			 "    content: 'Write about {{topic}} as {{id}}'\n"
			 "testData:\n  - id: c-%zu\n    %s:\n      topic: tea\n"
			 "%s%s%s",
			 i, n->nest_key, n->expected_key ? "    " : "",
			 n->expected_key ? n->expected_key : "",
			 n->expected_key ? ": a poem\n" : "");
		p = load_clean(f, src, d);
		assert_int_equal(p->ncases, 1);
		c = &p->cases[0];
		assert_ptr_equal(c->vars, pe_node_get(c->item, n->nest_key));
		assert_ptr_equal(c->scopes[0], c->vars);
		assert_ptr_equal(c->scopes[1], c->item);
		assert_string_equal(pe_node_get(c->vars, "topic")->text, "tea");
		if (n->expected_key) {
			assert_non_null(c->expected);
			assert_string_equal(c->expected->text, "a poem");
			/* {{expected}} is the expected value, however written. */
			assert_ptr_equal(pe_template_lookup(c->scopes,
							    c->nscopes,
							    "expected"),
					 c->expected);
			assert_int_equal(
				c->nscopes,
				strcmp(n->expected_key, "expected") ? 3 : 2);
		} else {
			assert_int_equal(c->nscopes, 2);
			assert_null(c->expected);
		}
		pe_prompt_free(p);
		pe_diag_free(d);
	}
}

static void test_double_nesting(void **state)
{
	static const char src[] = "model: m\nmessages:\n  - role: user\n"
				  "    content: 'About {{topic}}'\n"
				  "testData:\n"
				  "  - inputs:\n"
				  "      variables:\n"
				  "        topic: tea\n"
				  "  - inputs:\n"
				  "      topic: coffee\n"
				  "      variables: {x: 1}\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	struct pe_prompt *p = load_clean(f, src, d);
	const struct pe_node *inputs0 = pe_node_get(p->cases[0].item, "inputs");
	const struct pe_node *inputs1 = pe_node_get(p->cases[1].item, "inputs");

	assert_int_equal(p->ncases, 2);
	/* inputs: {variables: {...}} with nothing else: the inner mapping. */
	assert_ptr_equal(p->cases[0].vars, pe_node_get(inputs0, "variables"));
	assert_string_equal(pe_node_get(p->cases[0].vars, "topic")->text,
			    "tea");
	/* With other keys beside 'variables', inputs itself holds them. */
	assert_ptr_equal(p->cases[1].vars, inputs1);
	pe_prompt_free(p);
	pe_diag_free(d);
}

struct params_case {
	const char *params;
	unsigned set;
	double temperature;
	long max_tokens;
	double top_p;
	long long seed;
	const char *stop[3];
	double presence, frequency;
};

static const struct params_case params[] = {
	{ "modelParameters:\n  temperature: 0\n  maxTokens: 1\n  topP: 1\n"
	  "  seed: -42\n  stop: END\n  presencePenalty: -2\n"
	  "  frequencyPenalty: 1.5\n",
	  PE_PARAM_TEMPERATURE | PE_PARAM_MAX_TOKENS | PE_PARAM_TOP_P |
		  PE_PARAM_SEED | PE_PARAM_STOP | PE_PARAM_PRESENCE_PENALTY |
		  PE_PARAM_FREQUENCY_PENALTY,
	  0,
	  1,
	  1,
	  -42,
	  { "END", NULL, NULL },
	  -2,
	  1.5 },
	{ "model_parameters:\n  temperature: 2\n  max_tokens: 4096\n"
	  "  top_p: 0.25\n  seed: 7\n  stop: ['###', '\\n\\n']\n"
	  "  presence_penalty: 0.5\n  frequency_penalty: 2\n",
	  PE_PARAM_TEMPERATURE | PE_PARAM_MAX_TOKENS | PE_PARAM_TOP_P |
		  PE_PARAM_SEED | PE_PARAM_STOP | PE_PARAM_PRESENCE_PENALTY |
		  PE_PARAM_FREQUENCY_PENALTY,
	  2,
	  4096,
	  0.25,
	  7,
	  { "###", "\\n\\n", NULL },
	  0.5,
	  2 },
	{ "modelParameters:\n  max_tokens: 10\n  stop: [\"\\n\"]\n",
	  PE_PARAM_MAX_TOKENS | PE_PARAM_STOP,
	  0,
	  10,
	  0,
	  0,
	  { "\n", NULL, NULL },
	  0,
	  0 },
	{ "modelParameters: {}\n", 0, 0, 0, 0, 0, { NULL, NULL, NULL }, 0, 0 },
	{ "modelParameters:\n", 0, 0, 0, 0, 0, { NULL, NULL, NULL }, 0, 0 },
	{ "", 0, 0, 0, 0, 0, { NULL, NULL, NULL }, 0, 0 },
};

static void test_model_parameters(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		const struct params_case *c = &params[i];
		struct pe_diag *d = pe_diag_new();
		char src[512];
		struct pe_prompt *p;
		size_t nstop = 0;

		snprintf(src, sizeof(src), "model: m\n%s%s", c->params, MSGS);
		p = load_clean(f, src, d);
		if (p->params.set != c->set)
			fail_msg("row %zu: set %#x, expected %#x", i,
				 p->params.set, c->set);
		assert_true(p->params.temperature == c->temperature);
		assert_int_equal(p->params.max_tokens, c->max_tokens);
		assert_true(p->params.top_p == c->top_p);
		assert_int_equal(p->params.seed, c->seed);
		assert_true(p->params.presence_penalty == c->presence);
		assert_true(p->params.frequency_penalty == c->frequency);
		while (nstop < 3 && c->stop[nstop])
			nstop++;
		assert_int_equal(p->params.nstop, nstop);
		for (size_t s = 0; s < nstop; s++)
			assert_string_equal(p->params.stop[s], c->stop[s]);
		pe_prompt_free(p);
		pe_diag_free(d);
	}
}

struct format_case {
	const char *yaml;
	enum pe_response_format format;
	const char *schema;
};

static const struct format_case formats[] = {
	{ "responseFormat: text\n", PE_RESPONSE_TEXT, NULL },
	{ "response_format: json_object\n", PE_RESPONSE_JSON_OBJECT, NULL },
	{ "responseFormat: json_schema\n"
	  "jsonSchema: '{\"name\": \"r\", \"schema\": {\"type\": "
	  "\"object\"}}'\n",
	  PE_RESPONSE_JSON_SCHEMA,
	  "{\"name\": \"r\", \"schema\": {\"type\": \"object\"}}" },
	{ "responseFormat: json_schema\n"
	  "json_schema:\n  name: r\n  schema: {type: object, required: [a]}\n",
	  PE_RESPONSE_JSON_SCHEMA,
	  "{\"name\":\"r\",\"schema\":{\"type\":\"object\",\"required\":[\"a\"]"
	  "}}" },
	{ "threshold: 0.75\n", PE_RESPONSE_UNSET, NULL },
};

static void test_response_format(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct pe_diag *d = pe_diag_new();
		char src[512];
		struct pe_prompt *p;

		snprintf(src, sizeof(src), "model: m\n%s%s", formats[i].yaml,
			 MSGS);
		p = load_clean(f, src, d);
		assert_int_equal(p->response_format, formats[i].format);
		if (formats[i].schema)
			assert_string_equal(p->json_schema, formats[i].schema);
		else
			assert_null(p->json_schema);
		pe_prompt_free(p);
		pe_diag_free(d);
	}
	{
		struct pe_diag *d = pe_diag_new();
		struct pe_prompt *p =
			load_clean(f, "model: m\nthreshold: 0.75\n" MSGS, d);

		assert_true(p->has_threshold);
		assert_true(p->threshold == 0.75);
		pe_prompt_free(p);
		pe_diag_free(d);
	}
}

static void test_dataset_references(void **state)
{
	static const char prompt[] = "model: m\nmessages:\n  - role: user\n"
				     "    content: 'Say {{word}}'\n"
				     "testData:\n"
				     "  - file: data/x.csv\n"
				     "  - dataset: y.yaml\n"
				     "  - word: inline\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *files[5];
	struct pe_prompt *p;

	make_subdir(f, "sub");
	make_subdir(f, "sub/data");
	files[0] = write_file(f, "sub/cases.jsonl",
			      "{\"word\": \"one\"}\n\n{\"word\": \"two\"}\n");
	files[1] = write_file(f, "sub/data/x.csv", "word,n\ncsv,1\n");
	files[2] = write_file(f, "sub/y.yaml", "testData:\n  - word: yml\n");
	files[3] = write_file(f, "sub/a.prompt.yml",
			      "model: m\nmessages:\n  - role: user\n"
			      "    content: 'Say {{word}}'\n"
			      "testData: cases.jsonl\n");
	files[4] = write_file(f, "sub/b.prompt.yml", prompt);

	p = pe_prompt_load(files[3], d);
	assert_non_null(p);
	assert_int_equal(pe_diag_len(d), 0);
	assert_int_equal(p->ndatasets, 1);
	assert_int_equal(p->ncases, 2);
	assert_string_equal(pe_node_get(p->cases[1].vars, "word")->text, "two");
	assert_string_equal(p->cases[1].item->mark.file, files[0]);
	assert_int_equal(p->cases[1].item->mark.line, 3);
	pe_prompt_free(p);

	p = pe_prompt_load(files[4], d);
	assert_non_null(p);
	if (pe_diag_len(d))
		dump(d);
	assert_int_equal(pe_diag_len(d), 0);
	assert_int_equal(p->ndatasets, 2);
	assert_int_equal(p->ncases, 3);
	assert_string_equal(pe_node_get(p->cases[0].vars, "word")->text, "csv");
	assert_string_equal(pe_node_get(p->cases[0].vars, "n")->text, "1");
	assert_string_equal(p->cases[0].item->mark.file, files[1]);
	assert_string_equal(pe_node_get(p->cases[1].vars, "word")->text, "yml");
	assert_string_equal(p->cases[1].item->mark.file, files[2]);
	assert_string_equal(pe_node_get(p->cases[2].vars, "word")->text,
			    "inline");
	assert_string_equal(p->cases[2].item->mark.file, files[4]);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(p->cases[i].index, i);
	pe_prompt_free(p);
	pe_diag_free(d);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		free(files[i]);
}

static void test_dataset_errors(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path, *missing, *bad, *use;
	struct pe_prompt *p;
	const struct pe_diag_entry *e;

	/* A missing file: the dataset error, then one at the reference. */
	p = load(f, "m.prompt.yml", HEAD "testData: nope.jsonl\n", d, &path);
	assert_non_null(p);
	missing = malloc(strlen(f->dir) + 16);
	snprintf(missing, strlen(f->dir) + 16, "%s/nope.jsonl", f->dir);
	assert_int_equal(pe_diag_len(d), 2);
	e = pe_diag_get(d, 0);
	assert_string_equal(e->file, missing);
	assert_string_equal(e->message,
			    "cannot open: No such file or directory");
	assert_int_equal(e->line, 0);
	e = pe_diag_get(d, 1);
	assert_string_equal(e->file, path);
	assert_string_equal(e->message, "cannot load dataset 'nope.jsonl'");
	assert_int_equal(e->line, 5);
	assert_int_equal(e->col, 11);
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
	free(missing);

	/* A case from a dataset that lacks a variable: the dataset's line. */
	d = pe_diag_new();
	bad = write_file(f, "bad.jsonl", "{\"word\": 1}\n{\"other\": 2}\n");
	p = load(f, "v.prompt.yml",
		 "name: v\nmodel: m\nmessages:\n  - role: user\n"
		 "    content: Say {{word}}\ntestData:\n"
		 "  - {file: bad.jsonl}\n",
		 d, &path);
	assert_non_null(p);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 1);
	e = first_of(d, PE_SEV_ERROR);
	assert_string_equal(e->file, bad);
	assert_int_equal(e->line, 2);
	assert_int_equal(e->col, 1);
	assert_int_equal(
		strncmp(e->message, "prompt 'v', test case 'case-", 28), 0);
	/* The use is in the prompt file, so the message names it. */
	use = xstrfmt("': variable 'word' is not defined (used at %s line 5, "
		      "column 18)",
		      path);
	assert_non_null(strstr(e->message, use));
	free(use);
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
	free(bad);
}

static int is_hash_id(const char *id)
{
	if (strncmp(id, "case-", 5) || strlen(id) != 21)
		return 0;
	for (size_t i = 5; i < 21; i++)
		if (!isxdigit((unsigned char)id[i]) ||
		    isupper((unsigned char)id[i]))
			return 0;
	return 1;
}

static void test_case_ids(void **state)
{
	static const char a_src[] = HEAD "testData:\n"
					 "  - x: 1\n    expected: one\n"
					 "  - x: 2\n"
					 "  - id: my-case\n    x: 3\n"
					 "  - id: 7\n    x: 4\n";
	static const char b_src[] = HEAD "testData:\n"
					 "  - y: 0\n"
					 "  - x: 2\n"
					 "  - x: 1\n    expected: one\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	struct pe_prompt *a1 = load_clean(f, a_src, d);
	struct pe_prompt *a2 = load_clean(f, a_src, d);
	struct pe_prompt *b = load_clean(f, b_src, d);

	assert_int_equal(a1->ncases, 4);
	assert_true(is_hash_id(a1->cases[0].id));
	assert_true(is_hash_id(a1->cases[1].id));
	assert_string_not_equal(a1->cases[0].id, a1->cases[1].id);
	assert_string_equal(a1->cases[2].id, "my-case");
	assert_string_equal(a1->cases[3].id, "7");
	/* Stable across loads... */
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(a1->cases[i].id, a2->cases[i].id);
	/* ...and independent of position: ids follow the content. */
	assert_string_equal(b->cases[2].id, a1->cases[0].id);
	assert_string_equal(b->cases[1].id, a1->cases[1].id);
	assert_string_not_equal(b->cases[0].id, a1->cases[0].id);
	pe_prompt_free(a1);
	pe_prompt_free(a2);
	pe_prompt_free(b);
	pe_diag_free(d);
}

static void test_repeated_cases(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p = load(f, "r.prompt.yml",
				   HEAD "testData:\n  - x: 1\n  - x: 2\n"
					"  - x: 1\n",
				   d, &path);
	char want_id[32], want_msg[128];

	assert_non_null(p);
	assert_int_equal(p->ncases, 3);
	assert_true(is_hash_id(p->cases[0].id));
	snprintf(want_id, sizeof(want_id), "%s-3", p->cases[0].id);
	assert_string_equal(p->cases[2].id, want_id);
	snprintf(want_msg, sizeof(want_msg),
		 "test case #3 repeats case #1 exactly; it is called '%s'",
		 want_id);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 0);
	assert_non_null(find_entry(d, PE_SEV_WARNING, want_msg, 8, 5));
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
}

static void test_case_evaluators(void **state)
{
	static const char src[] =
		HEAD "testData:\n"
		     "  - input: a\n"
		     "    evaluators:\n"
		     "      - string: {contains: '{{input}}'}\n"
		     "      - regex: '^a'\n"
		     "  - input: b\n"
		     "evaluators:\n"
		     "  - string: {contains: x}\n";
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	struct pe_prompt *p = load_clean(f, src, d);
	struct pe_buf described;

	assert_int_equal(p->ncases, 2);
	assert_int_equal(p->nevaluators, 1);
	assert_int_equal(p->cases[0].nevaluators, 2);
	assert_string_equal(pe_evalspec_kind_name(&p->cases[0].evaluators[0]),
			    "string");
	assert_string_equal(pe_evalspec_kind_name(&p->cases[0].evaluators[1]),
			    "regex");
	pe_buf_init(&described, 0);
	pe_evalspec_describe(&p->cases[0].evaluators[1], &described);
	assert_string_equal(pe_buf_str(&described), "/^a/");
	pe_buf_release(&described);
	assert_int_equal(p->cases[1].nevaluators, 0);
	assert_int_equal(pe_prompt_count_evaluators(p), 3);
	pe_prompt_free(p);
	pe_diag_free(d);
}

struct shape_case {
	const char *yaml; /* one list item */
	const char *kind;
	const char *name;
	/*
	 * What the family read (pe_evalspec_describe): the string check and
	 * its values, whether it compares case, the patterns, the built-in,
	 * the judge's model, system prompt, prompt and choices, the text of
	 * a skipped kind.
	 */
	const char *described;
	int negate;
	size_t ntemplates;
	const char *first_template; /* the scalar template 0 came from */
	double weight;
	int skipped;
};

static const struct shape_case shapes[] = {
	{ "{string: {contains: hello}}", "string", "string-1",
	  "contains 'hello'", 0, 1, "hello", 1, 0 },
	{ "{string: {equals: Hello}}", "string", "string-1",
	  "equals 'Hello' (case-sensitive)", 0, 1, "Hello", 1, 0 },
	{ "{string: {startsWith: he}}", "string", "string-1", "startsWith 'he'",
	  0, 1, "he", 1, 0 },
	{ "{string: {endsWith: lo}}", "string", "string-1", "endsWith 'lo'", 0,
	  1, "lo", 1, 0 },
	{ "{string: {icontains: HeLLo}}", "string", "string-1",
	  "contains 'HeLLo'", 0, 1, "HeLLo", 1, 0 },
	{ "{string: {containsAny: [a, b]}}", "string", "string-1",
	  "containsAny 'a', 'b'", 0, 2, "a", 1, 0 },
	{ "{string: {containsAll: [a, b, c]}}", "string", "string-1",
	  "containsAll 'a', 'b', 'c'", 0, 3, "a", 1, 0 },
	{ "{string: {containsAny: solo}}", "string", "string-1",
	  "containsAny 'solo'", 0, 1, "solo", 1, 0 },
	{ "{string: {notContains: bad}}", "string", "string-1",
	  "contains 'bad'", 1, 1, "bad", 1, 0 },
	{ "{name: n, string: {notContains: bad}, not: true}", "string", "n",
	  "contains 'bad'", 0, 1, "bad", 1, 0 },
	{ "{type: regex, pattern: '^a+$'}", "regex", "regex-1", "/^a+$/", 0, 0,
	  NULL, 1, 0 },
	{ "{regex: '^b'}", "regex", "regex-1", "/^b/", 0, 0, NULL, 1, 0 },
	{ "{regex: {pattern: '^c', match: false}}", "regex", "regex-1", "/^c/",
	  1, 0, NULL, 1, 0 },
	{ "{regex: {pattern: '^c', match: true}}", "regex", "regex-1", "/^c/",
	  0, 0, NULL, 1, 0 },
	{ "{regex: {pattern: '^c', match: false}, not: true}", "regex",
	  "regex-1", "/^c/", 0, 0, NULL, 1, 0 },
	{ "{type: regex_match, regex: '^d'}", "regex", "regex-1", "/^d/", 0, 0,
	  NULL, 1, 0 },
	{ "{type: regex, value: '^v'}", "regex", "regex-1", "/^v/", 0, 0, NULL,
	  1, 0 },
	{ "{string: {regex: '^e'}}", "regex", "regex-1", "/^e/", 0, 0, NULL, 1,
	  0 },
	{ "{regex: [x, y]}", "regex", "regex-1", "/x/, /y/", 0, 0, NULL, 1, 0 },
	{ "{type: contains, value: foo}", "string", "string-1",
	  "contains 'foo'", 0, 1, "foo", 1, 0 },
	{ "{type: includes, value: foo}", "string", "string-1",
	  "contains 'foo'", 0, 1, "foo", 1, 0 },
	{ "{type: equals, value: Foo}", "string", "string-1",
	  "equals 'Foo' (case-sensitive)", 0, 1, "Foo", 1, 0 },
	{ "{type: notContains, value: foo}", "string", "string-1",
	  "contains 'foo'", 1, 1, "foo", 1, 0 },
	{ "{type: containsAll, value: [p, q]}", "string", "string-1",
	  "containsAll 'p', 'q'", 0, 2, "p", 1, 0 },
	{ "{type: string, string: {endsWith: z}}", "string", "string-1",
	  "endsWith 'z'", 0, 1, "z", 1, 0 },
	{ "{name: judge, llm: {modelId: judge-model, systemPrompt: Be strict, "
	  "prompt: 'Rate {{completion}}', choices: [{choice: good, score: 1}, "
	  "{choice: bad, score: 0}, {choice: ok, score: 0.5}]}}",
	  "llm", "judge",
	  "model judge-model; system prompt 'Be strict'; prompt 'Rate "
	  "{{completion}}'; choices: good 1, bad 0, ok 0.5",
	  0, 1, "Rate {{completion}}", 1, 0 },
	{ "{type: llm, llm: {prompt: 'p', choices: [{choice: y, score: 1}, "
	  "{choice: n, score: 0}]}}",
	  "llm", "llm-1", "prompt 'p'; choices: y 1, n 0", 0, 1, "p", 1, 0 },
	{ "{uses: github/coherence}", "builtin", "builtin-1",
	  "github/coherence", 0, 0, NULL, 1, 0 },
	{ "{uses: github/groundedness, weight: 0}", "builtin", "builtin-1",
	  "github/groundedness", 0, 0, NULL, 0, 0 },
	{ "{model: gpt-4o, criteria: is polite}", "llm", "llm-1",
	  "model gpt-4o; prompt 'is polite'; choices: FAIL 0, PASS 1", 0, 1,
	  "is polite", 1, 0 },
	{ "{model: gpt-4o, prompt: is short}", "llm", "llm-1",
	  "model gpt-4o; prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1,
	  "is short", 1, 0 },
	{ "{type: prompt_evaluator, parameters: {criteria: is short}}", "llm",
	  "llm-1", "prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1,
	  "is short", 1, 0 },
	{ "{python: check.py}", "python", "python-1", "'check.py'", 0, 0, NULL,
	  1, 0 },
	{ "{python: {code: 'len(output) > 3', timeout: 2}}", "python",
	  "python-1", "'len(output) > 3'", 0, 0, NULL, 1, 0 },
	{ "{type: python, value: \"'x' in output\", threshold: 0.7}", "python",
	  "python-1", "''x' in output'", 0, 0, NULL, 1, 0 },
	{ "{exec: [python3, grade.py, --strict]}", "exec", "exec-1",
	  "[python3, grade.py, --strict]", 0, 0, NULL, 1, 0 },
	{ "{exec: {command: [./grade], timeout: 3}, weight: 2}", "exec",
	  "exec-1", "[./grade]", 0, 0, NULL, 2, 0 },
	/* Dialects of other prompt libraries, mapped to the check they mean. */
	{ "{type: string_match, match_type: contains, patterns: [LTV, ARPA]}",
	  "string", "string-1", "containsAll 'LTV', 'ARPA'", 0, 2, "LTV", 1,
	  0 },
	{ "{type: string_match, match: ZBB}", "string", "string-1",
	  "contains 'ZBB'", 0, 1, "ZBB", 1, 0 },
	{ "{type: string_match, property: Risks, expected: 150M}", "string",
	  "string-1", "contains '150M' in section 'Risks'", 0, 1, "150M", 1,
	  0 },
	{ "{type: string_match, match_type: exact, patterns: x}", "string",
	  "string-1", "equals 'x' (case-sensitive)", 0, 1, "x", 1, 0 },
	{ "{type: string_match, match_type: regex, patterns: [a, b]}", "regex",
	  "regex-1", "/a/, /b/", 0, 0, NULL, 1, 0 },
	{ "{type: string_contains, target: message.content, expected: MDCG}",
	  "string", "string-1", "contains 'MDCG'", 0, 1, "MDCG", 1, 0 },
	{ "{type: assert_contains, value: 'W^*'}", "string", "string-1",
	  "contains 'W^*'", 0, 1, "W^*", 1, 0 },
	{ "{type: includes, target: expected}", "string", "string-1",
	  "contains '{{expected}}'", 0, 1, "expected", 1, 0 },
	{ "{type: includes, expected: Gini}", "string", "string-1",
	  "contains 'Gini'", 0, 1, "Gini", 1, 0 },
	{ "{type: includes, target: message.content, pattern: 'p_{ij}'}",
	  "string", "string-1", "contains 'p_{ij}'", 0, 1, "p_{ij}", 1, 0 },
	{ "{type: includes_all, target: message.content, options: {strings: "
	  "[A, B]}}",
	  "string", "string-1", "containsAll 'A', 'B'", 0, 2, "A", 1, 0 },
	{ "{type: expected_output}", "string", "string-1",
	  "contains '{{expected}}'", 0, 1, "expected_output", 1, 0 },
	{ "{type: contains, text: x}", "string", "string-1", "contains 'x'", 0,
	  1, "x", 1, 0 },
	{ "{type: notContains, value: [a, b]}", "string", "string-1",
	  "containsAny 'a', 'b'", 1, 2, "a", 1, 0 },
	{ "{string: {includes: x}}", "string", "string-1", "contains 'x'", 0, 1,
	  "x", 1, 0 },
	{ "{string: {matches: '(a|b)'}}", "regex", "regex-1", "/(a|b)/", 0, 0,
	  NULL, 1, 0 },
	{ "{regex: a, invert: true}", "regex", "regex-1", "/a/", 1, 0, NULL, 1,
	  0 },
	{ "{regex: {pattern: a, negate: true}}", "regex", "regex-1", "/a/", 1,
	  0, NULL, 1, 0 },
	{ "{evaluator: regex_match, pattern: a}", "regex", "regex-1", "/a/", 0,
	  0, NULL, 1, 0 },
	{ "{type: regex_match, property: Pseudo-code, expected: '(?i)kql'}",
	  "regex", "regex-1", "/(?i)kql/", 0, 0, NULL, 1, 0 },
	{ "{model: {prompt: is it good}}", "llm", "llm-1",
	  "prompt 'is it good'; choices: FAIL 0, PASS 1", 0, 1, "is it good", 1,
	  0 },
	{ "{model: {assertion: is short, provider: anthropic, model: "
	  "claude-3-haiku}}",
	  "llm", "llm-1",
	  "model anthropic:claude-3-haiku; prompt 'is short'; choices: FAIL "
	  "0, PASS 1",
	  0, 1, "is short", 1, 0 },
	{ "{model_graded: {prompt: is short}}", "llm", "llm-1",
	  "prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1, "is short", 1,
	  0 },
	{ "{type: model, model: gpt-4o, assertion: is short}", "llm", "llm-1",
	  "model gpt-4o; prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1,
	  "is short", 1, 0 },
	{ "{type: model, target: message.content, model: {prompt: is short}}",
	  "llm", "llm-1", "prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1,
	  "is short", 1, 0 },
	{ "{type: model_graded, description: uses LaTeX}", "llm", "llm-1",
	  "prompt 'uses LaTeX'; choices: FAIL 0, PASS 1", 0, 1, "uses LaTeX", 1,
	  0 },
	/* Reference metrics: the case's expected value unless given. */
	{ "{levenshtein: 0.8}", "levenshtein", "levenshtein-1",
	  "min 0.8 against '{{expected}}'", 0, 1, "0.8", 1, 0 },
	{ "{levenshtein: {max_distance: 3, ignore_case: true, expected: "
	  "'{{x}}'}}",
	  "levenshtein", "levenshtein-1",
	  "max distance 3 ignoring case against '{{x}}'", 0, 1, "{{x}}", 1, 0 },
	{ "{rouge_l: {min: 0.5}}", "rouge_l", "rouge_l-1",
	  "min 0.5 against '{{expected}}'", 0, 1, "", 1, 0 },
	{ "{bleu: {threshold: 0.3}}", "bleu", "bleu-1",
	  "min 0.3 against '{{expected}}'", 0, 1, "", 1, 0 },
	{ "{token_set: {min: 0.7, expected: reference}}", "token_set",
	  "token_set-1", "min 0.7 against 'reference'", 0, 1, "reference", 1,
	  0 },
	/* Checks of the call. */
	{ "{latency: 2000}", "latency", "latency-1", "max 2000 ms", 0, 0, NULL,
	  1, 0 },
	{ "{latency: {max_ms: 2000, max_ttft_ms: 500}}", "latency", "latency-1",
	  "max 2000 ms, max 500 ms to the first token", 0, 0, NULL, 1, 0 },
	{ "{cost: {max_usd: 0.01}}", "cost", "cost-1", "max 0.01 USD", 0, 0,
	  NULL, 1, 0 },
	{ "{finish_reason: [stop, length]}", "finish_reason", "finish_reason-1",
	  "stop or length", 0, 0, NULL, 1, 0 },
	/* What cannot run loads as unsupported, with its reason. */
	{ "{string: {contains: ''}}", "unsupported", "unsupported-1",
	  "string: 'contains' is empty, and an empty value counts as not set, "
	  "so it checks nothing",
	  0, 0, NULL, 1, 1 },
	{ "{string: {equals: '', startsWith: \"\"}}", "unsupported",
	  "unsupported-1",
	  "string: 'equals' is empty, and an empty value counts as not set, "
	  "so it checks nothing",
	  0, 0, NULL, 1, 1 },
	{ "{string: {endsWith: null}}", "unsupported", "unsupported-1",
	  "string: 'endsWith' is empty, and an empty value counts as not set, "
	  "so it checks nothing",
	  0, 0, NULL, 1, 1 },
	{ "{type: xml_structure, config: {required_elements: [a]}}",
	  "unsupported", "unsupported-1",
	  "type 'xml_structure' is not a check prompteval knows", 0, 0, NULL, 1,
	  1 },
	{ "{evaluator: no_markdown}", "unsupported", "unsupported-1",
	  "type 'no_markdown' is not a check prompteval knows", 0, 0, NULL, 1,
	  1 },
	{ "{name: x, xml_check: {a: b}}", "unsupported", "x",
	  "'xml_check' is not a check prompteval knows", 0, 0, NULL, 1, 1 },
	{ "{type: string_match, match_type: fuzzy, patterns: [a]}",
	  "unsupported", "unsupported-1",
	  "type: string_match with match_type 'fuzzy' is not a check "
	  "prompteval knows",
	  0, 0, NULL, 1, 1 },
	{ "{type: includes, target: expected, value: x}", "unsupported",
	  "unsupported-1",
	  "'target: expected' beside a value would check the expected value, "
	  "not the answer",
	  0, 0, NULL, 1, 1 },
	{ "{type: json_schema, schema: {type: object}}", "json", "json-1", "",
	  0, 0, NULL, 1, 0 },
	{ "{name: r, rule: be nice}", "rule", "r",
	  "prompt 'be nice'; choices: FAIL 0, PASS 1", 0, 1, "be nice", 1, 0 },
	{ "Answer in one sentence", "rule", "rule-1",
	  "prompt 'Answer in one sentence'; choices: FAIL 0, PASS 1", 0, 1,
	  "Answer in one sentence", 1, 0 },
	{ "{type: model_graded, prompt: 'is it {{x}}?', choices: [Yes, No]}",
	  "llm", "llm-1", "prompt 'is it {{x}}?'; choices: Yes 1, No 0", 0, 1,
	  "is it {{x}}?", 1, 0 },
	{ "{type: llm_eval, criteria: is short}", "llm", "llm-1",
	  "prompt 'is short'; choices: FAIL 0, PASS 1", 0, 1, "is short", 1,
	  0 },
	{ "{type: prompt_evaluator, expectedResult: false, parameters: "
	  "{criteria: is rude}}",
	  "llm", "llm-1", "prompt 'is rude'; choices: FAIL 0, PASS 1", 1, 1,
	  "is rude", 1, 0 },
	{ "{judge: every phase has a rollback}", "judge", "judge-1",
	  "rubric 'every phase has a rollback'; PASS or FAIL", 0, 1,
	  "every phase has a rollback", 1, 0 },
	{ "{judge: {rubric: r, scale: 5, pass: 4, reference: '{{x}}', "
	  "samples: 3, temperature: 0.7, model: m}}",
	  "judge", "judge-1",
	  "model m; rubric 'r'; scale 1 to 5, passes at 4; reference '{{x}}'; "
	  "3 samples; temperature 0.7",
	  0, 2, "r", 1, 0 },
	{ "{string: {contains: x}, weight: 2.5}", "string", "string-1",
	  "contains 'x'", 0, 1, "x", 2.5, 0 },
	{ "{string: {contains: x}, not: true}", "string", "string-1",
	  "contains 'x'", 1, 1, "x", 1, 0 },
	{ "{string: {contains: x}, not: false}", "string", "string-1",
	  "contains 'x'", 0, 1, "x", 1, 0 },
};

static void check_opt_string(const char *row, const char *what, const char *got,
			     const char *want)
{
	if ((!got) != (!want) || (got && strcmp(got, want)))
		fail_msg("%s: %s is '%s', expected '%s'", row, what,
			 got ? got : "(null)", want ? want : "(null)");
}

static void check_shape(const struct shape_case *c, const struct pe_evalspec *e)
{
	const char *row = c->yaml;
	const struct pe_node *node = NULL;
	struct pe_buf described;

	check_opt_string(row, "kind", pe_evalspec_kind_name(e), c->kind);
	check_opt_string(row, "name", e->name, c->name);
	pe_buf_init(&described, 0);
	pe_evalspec_describe(e, &described);
	check_opt_string(row, "description", pe_buf_str(&described),
			 c->described);
	pe_buf_release(&described);
	if (e->negate != c->negate)
		fail_msg("%s: negate %d", row, e->negate);
	assert_int_equal(pe_evalspec_ntemplates(e), c->ntemplates);
	pe_evalspec_template(e, 0, &node);
	check_opt_string(row, "first template", node ? node->text : NULL,
			 c->first_template);
	if (e->weight != c->weight)
		fail_msg("%s: weight %g", row, e->weight);
	assert_int_equal(pe_evalspec_is_skipped(e), c->skipped);
	assert_int_equal(e->mark.line, 6);
	assert_int_equal(e->mark.col, 5);
}

static void test_evaluator_shapes(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		const struct shape_case *c = &shapes[i];
		struct pe_diag *d = pe_diag_new();
		char src[512];
		char *path;
		struct pe_prompt *p;

		snprintf(src, sizeof(src), HEAD "evaluators:\n  - %s\n",
			 c->yaml);
		p = load(f, "shape.prompt.yml", src, d, &path);
		if (!p || pe_diag_count(d, PE_SEV_ERROR) ||
		    pe_diag_count(d, PE_SEV_WARNING) != (size_t)c->skipped ||
		    p->nevaluators != 1) {
			dump(d);
			fail_msg("%s: did not load as one evaluator", c->yaml);
		}
		check_shape(c, &p->evaluators[0]);
		pe_prompt_free(p);
		pe_diag_free(d);
		free(path);
	}
}

struct structure_case {
	const char *yaml;
	const char *kind;
	const char *name;
	const char *key; /* the settings are this key's value */
};

static const struct structure_case structures[] = {
	{ "{sections: [Summary, Risks]}", "sections", "sections-1",
	  "sections" },
	{ "{name: fmt, format: {bullets: true}}", "format", "fmt", "format" },
	{ "{table: {columns: [a, b]}}", "table", "table-1", "table" },
	{ "{code: {language: sql}}", "code", "code-1", "code" },
	{ "{length: {max_words: 100}}", "length", "length-1", "length" },
	{ "{json: {schema: {type: object}}}", "json", "json-1", "json" },
};

/* prompteval's own kinds keep their settings mapping for evaluators/. */
static void test_structure_kinds(void **state)
{
	const struct testdir *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(structures); i++) {
		const struct structure_case *c = &structures[i];
		struct pe_diag *d = pe_diag_new();
		char src[512];
		struct pe_prompt *p;
		const struct pe_evalspec *e;

		snprintf(src, sizeof(src), HEAD "evaluators:\n  - %s\n",
			 c->yaml);
		p = load_clean(f, src, d);
		assert_int_equal(p->nevaluators, 1);
		e = &p->evaluators[0];
		if (strcmp(pe_evalspec_kind_name(e), c->kind))
			fail_msg("%s: kind %s", c->yaml,
				 pe_evalspec_kind_name(e));
		assert_string_equal(pe_evalspec_kind_name(e), c->key);
		assert_string_equal(e->name, c->name);
		assert_ptr_equal(pe_evaluator_settings(e),
				 pe_node_get(e->node, c->key));
		assert_false(pe_evalspec_is_skipped(e));
		pe_prompt_free(p);
		pe_diag_free(d);
	}
}

/* The llm judge's choices and the fixed PASS/FAIL of criteria judges. */
static void test_judge_choices(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	struct pe_prompt *p = load_clean(
		f,
		HEAD "evaluators:\n"
		     "  - llm:\n      prompt: 'Is {{completion}} right?'\n"
		     "      choices:\n        - {choice: 'yes', score: 1}\n"
		     "        - {choice: 'partly', score: 0.25}\n"
		     "        - {choice: 'no', score: 0}\n"
		     "  - {model: m, criteria: polite}\n",
		d);
	const struct pe_evalspec *llm = &p->evaluators[0];
	const struct pe_evalspec *crit = &p->evaluators[1];
	const struct pe_node *node;
	struct pe_buf described;

	/* The choices in order, scores as given; no system prompt. */
	pe_buf_init(&described, 0);
	pe_evalspec_describe(llm, &described);
	assert_string_equal(
		pe_buf_str(&described),
		"prompt 'Is {{completion}} right?'; choices: yes 1, "
		"partly 0.25, no 0");
	assert_non_null(pe_evalspec_template(llm, 0, &node));
	assert_string_equal(node->text, "Is {{completion}} right?");
	assert_int_equal(node->mark.line, 7);
	assert_null(pe_evalspec_template(llm, 1, &node));
	assert_true(pe_evalspec_provides(llm, "completion"));
	assert_true(pe_evalspec_provides(llm, "completion.text"));
	assert_false(pe_evalspec_provides(llm, "completions"));
	/* Criteria judges answer FAIL (0) or PASS (1). */
	pe_buf_reset(&described);
	pe_evalspec_describe(crit, &described);
	assert_string_equal(
		pe_buf_str(&described),
		"model m; prompt 'polite'; choices: FAIL 0, PASS 1");
	pe_buf_release(&described);
	pe_prompt_free(p);
	pe_diag_free(d);
}

/* {{completion}} outside a judge is a test-case variable like any other. */
static void test_completion_only_in_judges(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char *path;
	struct pe_prompt *p = load(
		f, "c.prompt.yml",
		"name: c\n" HEAD "testData:\n  - id: k\n    x: 1\nevaluators:\n"
		"  - {name: s, string: {contains: '{{completion}}'}}\n"
		"  - {name: j, model: m, criteria: 'fits {{completion}}'}\n",
		d, &path);

	assert_non_null(p);
	assert_int_equal(pe_diag_count(d, PE_SEV_ERROR), 1);
	check_first("completion in a string evaluator", d, PE_SEV_ERROR,
		    "prompt 'c', test case 'k': variable 'completion' is not "
		    "defined (used by evaluator 's' at line 10, column 35)",
		    7, 5);
	pe_prompt_free(p);
	pe_diag_free(d);
	free(path);
}

static void test_missing_file(void **state)
{
	const struct testdir *f = *state;
	struct pe_diag *d = pe_diag_new();
	char path[128];

	snprintf(path, sizeof(path), "%s/absent.prompt.yml", f->dir);
	assert_null(pe_prompt_load(path, d));
	assert_int_equal(pe_diag_len(d), 1);
	assert_string_equal(pe_diag_get(d, 0)->message,
			    "cannot open: No such file or directory");
	assert_string_equal(pe_diag_get(d, 0)->file, path);
	pe_diag_free(d);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_broken),
		TEST(test_position_bugs),
		TEST(test_json_schema_trailing_text),
		TEST(test_string_regex_empty),
		TEST(test_misspelt_messages_hint),
		TEST(test_warnings),
		TEST(test_vars_in_string),
		TEST(test_gh_models_flat),
		TEST(test_nested_vars),
		TEST(test_double_nesting),
		TEST(test_model_parameters),
		TEST(test_response_format),
		TEST(test_dataset_references),
		TEST(test_dataset_errors),
		TEST(test_case_ids),
		TEST(test_repeated_cases),
		TEST(test_case_evaluators),
		TEST(test_evaluator_shapes),
		TEST(test_structure_kinds),
		TEST(test_judge_choices),
		TEST(test_completion_only_in_judges),
		TEST(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
