/*
 * python: checks, as prompt libraries write them: an expression
 * (python: "'GDPR' in output"), or a mapping whose code is a function
 * body that returns the result or statements that assign it to result
 * (python: {code: ..., timeout: 5, threshold: 0.7}); promptfoo's
 * type: python with value is read too.  The code runs in one of the
 * run's long-lived python3 workers (workers.h), which reads it with the
 * answer, the expected value and the case's variables; the calling
 * convention is the worker's (python_worker.py) and the README's.  A
 * result is true or false, a score in [0, 1] or {pass, score, reason}.
 * Code that raises, runs past its timeout or gives anything else is an
 * error with Python's message; without python3, the check is skipped and
 * its case ungraded, never passed.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/json.h"
#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "evaluators/workers.h"
#include "harness/core/banned.h"

struct python_state {
	const char *code; /* borrowed from spec->data */
	struct pe_check_settings settings;
};

/* The node with the code: python:'s value, or type: python's value. */
static const struct pe_node *code_node(const struct pe_evalspec *spec)
{
	const struct pe_node *v = pe_node_get(spec->node, "python");

	if (!v)
		v = pe_node_get(spec->node, "value");
	return v && v->kind == PE_NODE_MAP ? pe_node_get(v, "code") : v;
}

/* The mapping that holds timeout and threshold. */
static const struct pe_node *settings_node(const struct pe_evalspec *spec)
{
	const struct pe_node *v = pe_node_get(spec->node, "python");

	return v && v->kind == PE_NODE_MAP ? v : spec->node;
}

/* Reads the code; spec->data is a copy of it. */
static int parse_python(struct pe_evalspec *spec, const struct pe_node *node,
			const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const known[] = { "code", "timeout", "threshold",
					     NULL };
	const struct pe_node *v = pe_node_get(node, "python");
	const struct pe_node *code;
	const char *text;

	(void)type;
	if (v && v->kind == PE_NODE_MAP)
		pe_node_check_keys(v, known, "a python evaluator", diag);
	code = code_node(spec);
	text = code && code->kind == PE_NODE_STRING ? code->text : NULL;
	if (!text || !text[strspn(text, " \t\r\n")]) {
		pe_diag_error(diag,
			      code			    ? &code->mark
			      : v && v->kind == PE_NODE_MAP ? &v->mark
							    : &node->mark,
			      "python evaluator needs code: an expression such "
			      "as \"'GDPR' in output\", or {code: ...}");
		return PE_ERR_INVALID;
	}
	spec->data = xstrdup(text);
	return PE_OK;
}

/* The code as written, shortened: 'GDPR' in output. */
static void describe_python(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const char *code = spec->data;
	char *cut = pe_shorten(code, strlen(code), 60);

	pe_buf_addf(out, "'%s'", cut);
	free(cut);
}

static int compile_python(const struct pe_evalspec *spec,
			  const struct pe_prompt *prompt, void **state,
			  struct pe_diag *diag)
{
	struct python_state *st = xcalloc(1, sizeof(*st));

	if (pe_check_settings_read(settings_node(spec), prompt, &st->settings,
				   diag)) {
		free(st);
		return PE_ERR_INVALID;
	}
	st->code = spec->data;
	*state = st;
	return PE_OK;
}

static void free_python(void *state)
{
	struct python_state *st = state;

	if (!st)
		return;
	pe_check_settings_release(&st->settings);
	free(st);
}

/* Reads the worker's answer line: the value, or Python's error. */
static void read_answer(const struct python_state *st, const char *line,
			size_t len, struct pe_eval_result *out)
{
	struct pe_mark m = { "python", 1, 1 };
	struct pe_doc *doc = pe_doc_new("python", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	const struct pe_node *answer = pe_json_parse(doc, line, len, &m, diag);
	const struct pe_node *error = pe_node_get(answer, "error");
	const struct pe_node *shown = pe_node_get(answer, "repr");

	if (error && error->kind == PE_NODE_STRING)
		pe_result_set(out, PE_VERDICT_ERROR, 0, "%s", error->text);
	else if (!shown || shown->kind != PE_NODE_STRING)
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "the python worker's answer cannot be read");
	else
		pe_check_result(pe_node_get(answer, "value"),
				st->settings.threshold, "returned", shown->text,
				out);
	pe_diag_free(diag);
	pe_doc_free(doc);
}

static void score_python(const void *state, const struct pe_evalspec *spec,
			 const struct pe_eval_input *in,
			 struct pe_eval_result *out)
{
	const struct python_state *st = state;
	struct pe_buf request, answer;
	char *why = NULL;
	enum pe_check_run ran;

	(void)spec;
	if (!in->env || !in->env->workers) {
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "python checks run in prompteval run and score");
		return;
	}
	pe_buf_init(&request, 0);
	pe_buf_adds(&request, "{\"code\":");
	pe_json_str(&request, st->code);
	pe_buf_adds(&request, ",\"dir\":");
	pe_json_str(&request, st->settings.dir);
	pe_buf_addc(&request, ',');
	pe_check_case_json(in, &request);
	pe_buf_addc(&request, '}');
	pe_buf_init(&answer, PE_CHECK_MAX_OUTPUT);
	ran = pe_workers_python(in->env->workers, request.data, request.len,
				st->settings.timeout_ms, &answer, &why);
	if (!pe_check_unfinished(ran, why, out))
		read_answer(st, answer.data, answer.len, out);
	free(why);
	pe_buf_release(&answer);
	pe_buf_release(&request);
}

/* Why python checks cannot run here: no python3 on PATH. */
static const char *python_unavailable(const void *state,
				      const struct pe_evalspec *spec)
{
	(void)state;
	(void)spec;
	return pe_workers_can_start("python3", NULL) ? NULL
						     : "python3 is not on PATH";
}

static const char *const python_keys[] = { "python", NULL };
static const char *const python_types[] = { "python", NULL };
static const char *const python_known[] = { "python", "value", "timeout",
					    "threshold", NULL };

const struct pe_evaluator_ops pe_python_ops = {
	.name = "python",
	.as_written = 1,
	.example = "{python: \"'hello' in output\"}",
	.keys = python_keys,
	.types = python_types,
	.known_keys = python_known,
	.unavailable = python_unavailable,
	.parse = parse_python,
	.release = free,
	.describe = describe_python,
	.compile = compile_python,
	.score = score_python,
	.free = free_python,
};
