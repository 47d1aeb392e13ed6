/*
 * The registry: spec kind -> ops, compiling a prompt's evaluators, and
 * scoring one output against one test case.  Adding a kind means one new
 * file and one line in families[].
 */
#include "evaluators/evaluator.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

struct pe_evaluator {
	const struct pe_evaluator_ops *ops;
	void *state;
};

static const struct pe_evaluator_ops *const families[] = { &pe_string_ops,
							   &pe_regex_ops,
							   &pe_sections_ops,
							   &pe_format_ops,
							   &pe_table_ops,
							   &pe_code_ops,
							   &pe_length_ops,
							   &pe_json_check_ops,
							   &pe_judge_ops,
							   &pe_skipped_ops,
							   NULL };

static const struct pe_evaluator_ops *ops_for(enum pe_eval_kind kind)
{
	for (size_t i = 0; families[i]; i++)
		if (families[i]->kind == kind)
			return families[i];
	/* Several kinds share one family. */
	if (kind == PE_EVAL_BUILTIN)
		return &pe_judge_ops;
	if (kind == PE_EVAL_RULE)
		return &pe_skipped_ops;
	return NULL;
}

static int compile_specs(struct pe_evalspec *specs, size_t n,
			 const struct pe_prompt *p, struct pe_diag *diag)
{
	int rc = PE_OK;

	for (size_t i = 0; i < n; i++) {
		const struct pe_evaluator_ops *ops = ops_for(specs[i].kind);
		void *state = NULL;

		if (!ops || ops->compile(&specs[i], p, &state, diag)) {
			rc = PE_ERR_INVALID;
			continue;
		}
		specs[i].compiled = xmalloc(sizeof(*specs[i].compiled));
		specs[i].compiled->ops = ops;
		specs[i].compiled->state = state;
	}
	return rc;
}

/* Compiles every evaluator of p; see evaluator.h. */
int pe_evaluators_compile(struct pe_prompt *p, struct pe_diag *diag)
{
	int rc = compile_specs(p->evaluators, p->nevaluators, p, diag);

	for (size_t i = 0; i < p->ncases; i++)
		if (compile_specs(p->cases[i].evaluators,
				  p->cases[i].nevaluators, p, diag))
			rc = PE_ERR_INVALID;
	return rc;
}

static void release_specs(struct pe_evalspec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pe_evaluator *ev = specs[i].compiled;

		if (!ev)
			continue;
		if (ev->ops->free)
			ev->ops->free(ev->state);
		free(ev);
		specs[i].compiled = NULL;
	}
}

/* Frees the compiled state of every evaluator of p. */
void pe_evaluators_release(struct pe_prompt *p)
{
	release_specs(p->evaluators, p->nevaluators);
	for (size_t i = 0; i < p->ncases; i++)
		release_specs(p->cases[i].evaluators, p->cases[i].nevaluators);
}

/* Compiles nothing: the spec itself is all the state the kind needs. */
int pe_evaluator_compile_nothing(const struct pe_evalspec *spec,
				 const struct pe_prompt *prompt, void **state,
				 struct pe_diag *diag)
{
	(void)spec;
	(void)prompt;
	(void)diag;
	*state = NULL;
	return PE_OK;
}

/* Sets a result with a formatted one-line reason. */
void pe_result_set(struct pe_eval_result *out, enum pe_verdict verdict,
		   double score, const char *fmt, ...)
{
	va_list ap;

	out->verdict = verdict;
	out->score = score;
	va_start(ap, fmt);
	out->reason = xstrvfmt(fmt, ap);
	va_end(ap);
	for (char *p = out->reason; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* Renders a value template with the case's variables. */
int pe_eval_render(const struct pe_template *t, const struct pe_eval_input *in,
		   struct pe_buf *out)
{
	const char *missing = NULL;

	pe_buf_reset(out);
	if (!in->kase)
		return pe_template_render(t, NULL, 0, out, &missing);
	return pe_template_render(t, in->kase->scopes, in->kase->nscopes, out,
				  &missing);
}

/* Scores one evaluator and applies "not". */
void pe_evaluator_score(const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	const struct pe_evaluator *ev = spec->compiled;
	char *reason;

	if (!ev) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "evaluator was not compiled");
		return;
	}
	ev->ops->score(ev->state, spec, in, out);
	if (!spec->negate || out->verdict == PE_VERDICT_SKIP ||
	    out->verdict == PE_VERDICT_ERROR)
		return;
	out->verdict = out->verdict == PE_VERDICT_PASS ? PE_VERDICT_FAIL
						       : PE_VERDICT_PASS;
	out->score = 1 - out->score;
	reason = xstrfmt("not: %s", out->reason);
	free(out->reason);
	out->reason = reason;
}

static void score_list(const struct pe_evalspec *specs, size_t n,
		       const struct pe_eval_input *in,
		       struct pe_case_score *out)
{
	for (size_t i = 0; i < n; i++) {
		out->specs[out->nresults] = &specs[i];
		pe_evaluator_score(&specs[i], in, &out->results[out->nresults]);
		out->nresults++;
	}
}

static void decide(const struct pe_prompt *p, struct pe_case_score *out)
{
	double weighted = 0, weights = 0;
	size_t ran = 0, failed = 0, errors = 0;

	for (size_t i = 0; i < out->nresults; i++) {
		const struct pe_eval_result *r = &out->results[i];
		double w = out->specs[i]->weight;

		if (r->verdict == PE_VERDICT_SKIP)
			continue;
		if (r->verdict == PE_VERDICT_ERROR) {
			errors++;
			continue;
		}
		ran++;
		failed += r->verdict == PE_VERDICT_FAIL;
		weighted += w * r->score;
		weights += w;
	}
	out->score = weights > 0 ? weighted / weights : 0;
	/* A case that errored or where nothing ran has no score. */
	if (errors) {
		out->verdict = PE_VERDICT_ERROR;
		out->score = 0;
	} else if (!ran) {
		out->verdict = PE_VERDICT_SKIP;
		out->score = 0;
	} else if (p->has_threshold)
		out->verdict = out->score + 1e-9 >= p->threshold
				       ? PE_VERDICT_PASS
				       : PE_VERDICT_FAIL;
	else
		out->verdict = failed ? PE_VERDICT_FAIL : PE_VERDICT_PASS;
}

/* Scores one output against one test case; see evaluator.h. */
void pe_score_case(const struct pe_prompt *p, const struct pe_case *c,
		   const char *output, size_t len, struct pe_case_score *out)
{
	size_t n = p->nevaluators + (c ? c->nevaluators : 0);
	struct pe_eval_input in;

	memset(out, 0, sizeof(*out));
	out->specs = xcalloc(n ? n : 1, sizeof(*out->specs));
	out->results = xcalloc(n ? n : 1, sizeof(*out->results));
	in.output = output;
	in.len = len;
	in.md = pe_md_parse(output, len);
	in.prompt = p;
	in.kase = c;
	score_list(p->evaluators, p->nevaluators, &in, out);
	if (c)
		score_list(c->evaluators, c->nevaluators, &in, out);
	pe_md_free((struct pe_md *)in.md);
	decide(p, out);
}

/* Frees the results of one case. */
void pe_case_score_release(struct pe_case_score *s)
{
	for (size_t i = 0; i < s->nresults; i++)
		free(s->results[i].reason);
	free(s->results);
	free(s->specs);
	memset(s, 0, sizeof(*s));
}

/* Fills a row's verdict and evaluators from a case score; see evaluator.h. */
void pe_case_score_to_row(const struct pe_case_score *s, struct pe_result *row,
			  struct pe_result_evaluator *evs)
{
	int decided =
		s->verdict == PE_VERDICT_PASS || s->verdict == PE_VERDICT_FAIL;

	row->status = s->verdict;
	row->score = decided ? s->score : NAN;
	for (size_t i = 0; i < s->nresults; i++) {
		const struct pe_evalspec *spec = s->specs[i];

		evs[i].name = spec->name;
		evs[i].kind = pe_eval_kind_name(spec->kind);
		evs[i].status = s->results[i].verdict;
		evs[i].score = s->results[i].score;
		evs[i].weight = spec->weight;
		evs[i].negate = spec->negate;
		evs[i].reason = s->results[i].reason;
	}
	row->evaluators = evs;
	row->nevaluators = s->nresults;
}
