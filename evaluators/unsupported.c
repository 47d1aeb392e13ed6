/*
 * Evaluators prompteval cannot run: a dialect of another prompt library
 * that maps to no check prompteval has ("type: xml_structure", an
 * "evaluator: no_markdown" entry, keys that name no family), or a check
 * written so that it checks nothing (a gh-models "string:" whose every
 * value is empty).  The file still loads and its other checks run: the
 * loader warns at each such evaluator, with the reason it keeps, and every
 * output is reported as skipped with that reason, which leaves the case
 * ungraded, never passed.
 *
 * No key or "type:" selects this family.  The spec loader
 * (harness/load/evalspec.c) and the other families hand a spec to it with
 * pe_evaluator_unsupported (registry.c), which keeps the reason as the
 * spec's data.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>

#include "harness/core/banned.h"

/* Why such an evaluator does not run, when no more is known. */
static const char not_known[] = "is not a check prompteval knows";

/* The reason the spec was handed over with. */
static const char *unsupported_reason(const struct pe_evalspec *spec)
{
	return spec->data ? spec->data : not_known;
}

static void score_unsupported(const void *state, const struct pe_evalspec *spec,
			      const struct pe_eval_input *in,
			      struct pe_eval_result *out)
{
	(void)state;
	(void)in;
	pe_result_set(out, PE_VERDICT_SKIP, 0, "%s", unsupported_reason(spec));
}

/* The reason, as the warning gives it. */
static void describe_unsupported(const struct pe_evalspec *spec,
				 struct pe_buf *out)
{
	pe_buf_adds(out, unsupported_reason(spec));
}

const struct pe_evaluator_ops pe_unsupported_ops = {
	.name = "unsupported",
	.example = "{type: xml_structure, config: {required_elements: [a]}}",
	.never_runs = not_known,
	.never_runs_for = unsupported_reason,
	.release = free,
	.describe = describe_unsupported,
	.compile = pe_evaluator_compile_nothing,
	.score = score_unsupported,
};
