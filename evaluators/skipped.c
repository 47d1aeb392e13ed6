/*
 * Kinds that never run (python:, rule: and a bare sentence): their text is
 * kept for reports and every output is reported as skipped, never passed.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/* Keeps the text of a python or rule evaluator; see evaluator.h. */
int pe_skipped_parse(struct pe_evalspec *spec, const struct pe_node *text)
{
	spec->skipped_text = xstrdup(pe_setting_text(text) ? text->text : "");
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
		      pe_eval_kind_name(spec->kind));
}

const struct pe_evaluator_ops pe_skipped_ops = { PE_EVAL_PYTHON,
						 pe_evaluator_compile_nothing,
						 score_skipped, NULL };
