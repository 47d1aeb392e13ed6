/*
 * LLM judges (llm:, uses: github/..., model-graded criteria) and kinds that
 * never run (python:, rule:).  A judge needs a model call, which only the
 * runner makes; when an output is scored offline (prompteval score) the
 * judge is reported as skipped with that reason, never as passed.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

static void score_judge(const void *state, const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	(void)state;
	(void)in;
	pe_result_set(out, PE_VERDICT_SKIP, 0,
		      "%s judge needs a model call; scoring recorded "
		      "responses sends nothing",
		      spec->kind == PE_EVAL_BUILTIN ? "built-in" : "LLM");
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

const struct pe_evaluator_ops pe_judge_ops = { PE_EVAL_LLM,
					       pe_evaluator_compile_nothing,
					       score_judge, NULL };
const struct pe_evaluator_ops pe_skipped_ops = { PE_EVAL_PYTHON,
						 pe_evaluator_compile_nothing,
						 score_skipped, NULL };
