/*
 * Kinds that never run (python:): their text is kept for reports and
 * every output is reported as skipped, never passed.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/* Keeps the text of the evaluator, or of the bare sentence, for reports. */
static int parse_skipped(struct pe_evalspec *spec, const struct pe_node *node,
			 const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *text =
		node->kind == PE_NODE_MAP
			? pe_node_get(node, spec->ops->keys[0])
			: node;

	(void)type;
	(void)diag;
	spec->data = xstrdup(pe_setting_text(text) ? text->text : "");
	return PE_OK;
}

static void score_skipped(const void *state, const struct pe_evalspec *spec,
			  const struct pe_eval_input *in,
			  struct pe_eval_result *out)
{
	(void)state;
	(void)in;
	pe_result_set(out, PE_VERDICT_SKIP, 0,
		      "%s evaluators are not supported by prompteval",
		      spec->ops->name);
}

/* The text as written: "check.py". */
static void describe_skipped(const struct pe_evalspec *spec, struct pe_buf *out)
{
	pe_buf_addf(out, "'%s'", (const char *)spec->data);
}

static const char *const python_keys[] = { "python", NULL };

const struct pe_evaluator_ops pe_python_ops = {
	.name = "python",
	.example = "{python: check.py}",
	.keys = python_keys,
	.known_keys = python_keys,
	.never_runs = "is not supported by prompteval",
	.parse = parse_skipped,
	.release = free,
	.describe = describe_skipped,
	.compile = pe_evaluator_compile_nothing,
	.score = score_skipped,
};
