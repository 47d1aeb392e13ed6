/*
 * The registry: the one list of evaluator families, the lookups that tell
 * the spec loader which family an evaluator is, compiling a prompt's
 * evaluators, and scoring one output against one test case.  Adding a
 * kind means one new file with its ops table and one line in FAMILIES.
 */
#include "evaluators/evaluator.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "harness/load/template.h"
#include "harness/core/unicode.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct pe_evaluator {
	const struct pe_evaluator_ops *ops;
	void *state;
	const char *unavailable; /* ops->unavailable's, asked once */
};

/*
 * Every family, in the order their keys are tried when an evaluator has
 * no "type:" (so "string:" wins over "regex:" in one entry, as in
 * gh-models), one line each; X declares a family's table or lists it.
 */
#define FAMILIES(X)                                                            \
	X(pe_string_ops)       /* string: {contains: ...} */                   \
	X(pe_regex_ops)	       /* regex: ..., type: regex + pattern */         \
	X(pe_string_value_ops) /* type: contains + value */                    \
	X(pe_llm_ops)	       /* llm: {prompt, choices} */                    \
	X(pe_builtin_ops)      /* uses: github/similarity */                   \
	X(pe_python_ops)       /* python: "'x' in output", python: {code} */   \
	X(pe_exec_check_ops)   /* exec: [PROGRAM, ARGS...] */                  \
	X(pe_rule_ops)	       /* rule: or a bare sentence (a judge) */        \
	X(pe_criteria_ops) /* model: + criteria, type: model_graded, ... */    \
	X(pe_rubric_ops)   /* judge: {rubric, scale, pass, samples} */         \
	X(pe_sections_ops)                                                     \
	X(pe_format_ops)                                                       \
	X(pe_table_ops)                                                        \
	X(pe_code_ops)                                                         \
	X(pe_length_ops)                                                       \
	X(pe_json_check_ops)                                                   \
	X(pe_levenshtein_ops) /* reference metrics against {{expected}} */     \
	X(pe_rouge_l_ops)                                                      \
	X(pe_bleu_ops)                                                         \
	X(pe_token_set_ops)                                                    \
	X(pe_latency_ops) /* checks of the call: latency, cost, finish */      \
	X(pe_cost_ops)                                                         \
	X(pe_finish_reason_ops)                                                \
	X(pe_unsupported_ops) /* dialects that map to no check (skipped) */    \
	/* the end of FAMILIES: a new line above needs no other edit */

#define DECLARE(ops) extern const struct pe_evaluator_ops ops;
#define ENTRY(ops)   &ops,
FAMILIES(DECLARE)
static const struct pe_evaluator_ops *const families[] = { FAMILIES(ENTRY)
								   NULL };

/* Returns family i; see evaluator.h. */
const struct pe_evaluator_ops *pe_evaluator_family(size_t i)
{
	return i < sizeof(families) / sizeof(*families) ? families[i] : NULL;
}

/* Finds the family that a "type:" value names. */
const struct pe_evaluator_ops *pe_evaluator_by_type(const char *type)
{
	for (size_t i = 0; families[i]; i++)
		if (pe_listed(families[i]->types, type))
			return families[i];
	return NULL;
}

/* Finds the first family, in registry order, with a key in map. */
const struct pe_evaluator_ops *pe_evaluator_by_key(const struct pe_node *map)
{
	for (size_t i = 0; families[i]; i++)
		for (size_t k = 0; families[i]->keys && families[i]->keys[k];
		     k++)
			if (pe_node_get(map, families[i]->keys[k]))
				return families[i];
	return NULL;
}

/* Finds the family whose keys include key. */
const struct pe_evaluator_ops *pe_evaluator_owning_key(const char *key)
{
	for (size_t i = 0; families[i]; i++)
		if (pe_listed(families[i]->keys, key))
			return families[i];
	return NULL;
}

/* Finds the family of a bare sentence. */
const struct pe_evaluator_ops *pe_evaluator_for_sentence(void)
{
	for (size_t i = 0; families[i]; i++)
		if (families[i]->sentence)
			return families[i];
	return NULL;
}

/* Hands spec to the unsupported family with its reason; see evaluator.h. */
int pe_evaluator_unsupported(struct pe_evalspec *spec, const char *fmt, ...)
{
	va_list ap;

	spec->ops = &pe_unsupported_ops;
	va_start(ap, fmt);
	spec->data = xstrvfmt(fmt, ap);
	va_end(ap);
	return PE_OK;
}

/* True for a spec handed to the unsupported family; see evaluator.h. */
int pe_evaluator_is_unsupported(const struct pe_evalspec *spec)
{
	return spec->ops == &pe_unsupported_ops;
}

/* Returns the value of the family's first key in the evaluator. */
const struct pe_node *pe_evaluator_settings(const struct pe_evalspec *spec)
{
	return pe_node_get(spec->node, spec->ops->keys[0]);
}

/* True when a test case of p defines the variable at path. */
static int case_defines(const struct pe_prompt *p, const char *path)
{
	for (size_t c = 0; c < p->ncases; c++)
		if (pe_template_lookup(p->cases[c].scopes, p->cases[c].nscopes,
				       path))
			return 1;
	return 0;
}

/*
 * The first text of node (the keys every evaluator has aside) holding a
 * {{variable}} that a test case of p defines, with that variable's token
 * in *token (owned by the caller); NULL when there is none.  In the
 * settings an evaluator matches as written, the case's value would not
 * be filled in; a {{...}} no case defines is literal text the check may
 * well mean ("{{ user.name }}" in a template the answer writes).
 */
static const struct pe_node *variable_in(const struct pe_prompt *p,
					 const struct pe_node *node, int top,
					 char **token)
{
	const struct pe_node *found = NULL;
	struct pe_template *t;

	if (!node)
		return NULL;
	switch (node->kind) {
	case PE_NODE_STRING:
		t = pe_template_parse(node->text, node->len);
		for (size_t i = 0; i < pe_template_nvars(t) && !found; i++) {
			const struct pe_template_ref *ref =
				pe_template_var(t, i);

			if (case_defines(p, ref->path)) {
				*token = xstrdup(ref->token);
				found = node;
			}
		}
		pe_template_free(t);
		return found;
	case PE_NODE_SEQ:
		for (size_t i = 0; i < node->count && !found; i++)
			found = variable_in(p, node->items[i], 0, token);
		return found;
	case PE_NODE_MAP:
		for (size_t i = 0; i < node->npairs && !found; i++) {
			const char *k = node->pairs[i].key->text;

			if (top &&
			    (!strcmp(k, "name") || !strcmp(k, "description")))
				continue;
			found = variable_in(p, node->pairs[i].value, 0, token);
		}
		return found;
	default:
		return NULL;
	}
}

/*
 * Makes spec, compiled into state, unsupported when a setting it matches
 * as written holds a variable a case defines, with a warning at that
 * setting.  Returns the state to keep (NULL once it is unsupported).
 */
static void *refuse_variables(struct pe_evalspec *spec,
			      const struct pe_prompt *p, void *state,
			      struct pe_diag *diag)
{
	const struct pe_evaluator_ops *ops = spec->ops;
	char *token = NULL, *why;
	const struct pe_node *at =
		ops->as_written ? variable_in(p, spec->node, 1, &token) : NULL;

	if (!at)
		return state;
	if (ops->free)
		ops->free(state);
	if (spec->data && ops->release)
		ops->release(spec->data);
	spec->data = NULL;
	why = xstrfmt("'%s' is read as written: these settings are not "
		      "templates, so the case's value of %s would not be in it",
		      at->text, token);
	pe_evaluator_unsupported(spec, "%s", why);
	pe_diag_warning(diag, &at->mark,
			"%s evaluator '%s' will never run (%s): its cases will "
			"be ungraded, never passed",
			spec->ops->name, spec->name, why);
	free(why);
	free(token);
	return NULL;
}

static int compile_specs(struct pe_evalspec *specs, size_t n,
			 const struct pe_prompt *p, struct pe_diag *diag)
{
	const char *note =
		pe_diag_set_unknown_note(diag, pe_evalspec_unknown_note);
	int rc = PE_OK;

	for (size_t i = 0; i < n; i++) {
		const struct pe_evaluator_ops *ops = specs[i].ops;
		size_t unknown = pe_diag_unknown_keys(diag, NULL);
		const char *key;
		void *state = NULL;

		if (ops->compile(&specs[i], p, &state, diag)) {
			rc = PE_ERR_INVALID;
			continue;
		}
		if (pe_diag_unknown_keys(diag, &key) > unknown &&
		    !pe_evalspec_is_skipped(&specs[i])) {
			/* Some families read their settings here. */
			if (ops->free)
				ops->free(state);
			pe_evalspec_skip_for_key(&specs[i], key, 0);
			ops = specs[i].ops;
			state = NULL;
		} else {
			state = refuse_variables(&specs[i], p, state, diag);
			ops = specs[i].ops;
		}
		specs[i].compiled = xmalloc(sizeof(*specs[i].compiled));
		specs[i].compiled->ops = ops;
		specs[i].compiled->state = state;
		specs[i].compiled->unavailable =
			ops->unavailable ? ops->unavailable(state, &specs[i])
					 : NULL;
	}
	pe_diag_set_unknown_note(diag, note);
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

/*
 * Makes s one line: each line break becomes a space.  strcspn skips the
 * text between breaks (reasons seldom have any) many bytes at a time.
 */
static void one_line(char *s)
{
	for (s += strcspn(s, "\r\n"); *s; s += strcspn(s, "\r\n"))
		*s++ = ' ';
}

/* Sets a result with the one-line reason fmt and ap format to. */
static void result_vset(struct pe_eval_result *out, enum pe_verdict verdict,
			double score, const char *fmt, va_list ap)
{
	out->verdict = verdict;
	out->score = score;
	out->unchecked = 0;
	out->reason = xstrvfmt(fmt, ap);
	one_line(out->reason);
}

/* Sets a result with a formatted one-line reason. */
void pe_result_set(struct pe_eval_result *out, enum pe_verdict verdict,
		   double score, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result_vset(out, verdict, score, fmt, ap);
	va_end(ap);
}

/* Fails out with nothing checked; see evaluator.h. */
void pe_result_unchecked(struct pe_eval_result *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result_vset(out, PE_VERDICT_FAIL, 0, fmt, ap);
	va_end(ap);
	out->unchecked = 1;
}

/* Appends formatted text to a result's reason. */
void pe_result_append(struct pe_eval_result *out, const char *fmt, ...)
{
	va_list ap;
	char *more, *reason;

	va_start(ap, fmt);
	more = xstrvfmt(fmt, ap);
	va_end(ap);
	reason = xstrfmt("%s%s", out->reason ? out->reason : "", more);
	one_line(reason);
	free(out->reason);
	free(more);
	out->reason = reason;
}

/* Says in the reason how many bytes of the answer are not UTF-8. */
void pe_result_note_utf8(struct pe_eval_result *out,
			 const struct pe_eval_input *in)
{
	struct pe_eval_memo *m = in->memo;
	size_t bad;

	if (m && m->has_invalid) {
		bad = m->invalid;
	} else {
		bad = pe_unicode_invalid_bytes(in->output, in->len);
		if (m) {
			m->invalid = bad;
			m->has_invalid = 1;
		}
	}

	if (bad)
		pe_result_append(out,
				 "; %zu byte%s of the answer %s not UTF-8 "
				 "(read as U+FFFD)",
				 bad, bad == 1 ? "" : "s",
				 bad == 1 ? "is" : "are");
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

/*
 * Applies "not" to a result: pass and fail swap; skip, error and a
 * failure with nothing checked stay.
 */
static void negate(const struct pe_evalspec *spec, struct pe_eval_result *out)
{
	char *reason;

	if (!spec->negate || out->verdict == PE_VERDICT_SKIP ||
	    out->verdict == PE_VERDICT_ERROR || out->unchecked)
		return;
	out->verdict = out->verdict == PE_VERDICT_PASS ? PE_VERDICT_FAIL
						       : PE_VERDICT_PASS;
	out->score = 1 - out->score;
	reason = xstrfmt("not: %s", out->reason);
	free(out->reason);
	out->reason = reason;
}

/* The output's Markdown parse, made once on demand; see evaluator.h. */
const struct pe_md *pe_eval_md(const struct pe_eval_input *in)
{
	if (in->md)
		return in->md;
	if (!in->memo)
		abort();
	if (!in->memo->md)
		in->memo->md = pe_md_parse(in->output, in->len);
	return in->memo->md;
}

/* The text of the sections a name opens; see evaluator.h. */
const char *pe_eval_sections_text(const struct pe_eval_input *in,
				  const char *norm_name, struct pe_buf *joined,
				  size_t *len, size_t *n)
{
	struct pe_md_range *sections;
	const char *text;

	*n = pe_md_find_sections(pe_eval_md(in), norm_name, 1, &sections);
	if (!*n)
		return NULL;
	text = pe_md_sections_text(pe_eval_md(in), sections, *n, joined, len);
	free(sections);
	return text;
}

/* Says how many sections a check read together; see evaluator.h. */
void pe_result_note_sections(struct pe_eval_result *out, size_t n)
{
	if (n > 1)
		pe_result_append(out,
				 " (%zu sections of that name, read "
				 "together)",
				 n);
}

/* Scores one evaluator and applies "not". */
void pe_evaluator_score(const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out)
{
	const struct pe_evaluator *ev = spec->compiled;

	if (!ev) {
		pe_result_set(out, PE_VERDICT_ERROR, 0,
			      "evaluator was not compiled");
		return;
	}
	if (ev->unavailable) {
		/* As check and run warned: skipped, the case ungraded. */
		pe_result_set(out, PE_VERDICT_SKIP, 0, "%s", ev->unavailable);
		return;
	}
	ev->ops->score(ev->state, spec, in, out);
	negate(spec, out);
}

/* True for a judge; see evaluator.h. */
int pe_evaluator_is_judge(const struct pe_evalspec *spec)
{
	return spec->ops->judge_ask != NULL;
}

/* What compiled spec read besides itself; see evaluator.h. */
void pe_evaluator_inputs(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct pe_evaluator *ev = spec->compiled;

	if (ev && ev->ops->inputs)
		ev->ops->inputs(ev->state, out);
}

/* Why spec will not run; see evaluator.h. */
const char *pe_evaluator_unrun_reason(const struct pe_evalspec *spec,
				      const char *run_judge, int ask_judges)
{
	const char *never = pe_evalspec_never_runs(spec);

	if (never)
		return never;
	if (spec->compiled && spec->compiled->unavailable)
		return spec->compiled->unavailable;
	if (pe_evaluator_is_judge(spec) &&
	    (!ask_judges || !pe_evaluator_judge_model(spec, run_judge)))
		return PE_NO_JUDGE_MODEL;
	return NULL;
}

/*
 * Warns at each evaluator of specs that will not run.  What that does to
 * its cases depends on the prompt: without a threshold they are
 * ungraded; under one, a case is graded when the evaluators that ran
 * decide it whatever the others would score, which an evaluator of
 * weight 0 never changes.
 */
static size_t warn_unrun(const struct pe_prompt *p,
			 const struct pe_evalspec *specs, size_t n,
			 const char *run_judge, int ask_judges,
			 struct pe_diag *diag)
{
	size_t unrun = 0;

	for (size_t i = 0; i < n; i++) {
		const char *why = pe_evaluator_unrun_reason(
			&specs[i], run_judge, ask_judges);

		if (!why)
			continue;
		unrun++;
		if (specs[i].ops->never_runs)
			continue;
		pe_diag_warning(
			diag, &specs[i].mark,
			"%s evaluator '%s' will not run (%s): %s",
			specs[i].ops->name, specs[i].name, why,
			!p->has_threshold
				? "its cases will be ungraded, never passed"
			: specs[i].weight == 0
				? "with weight 0 it changes no verdict of the "
				  "threshold, so its cases are graded without "
				  "it"
				: "its cases will be ungraded, never passed, "
				  "unless the evaluators that run decide the "
				  "threshold whatever it would score");
	}
	return unrun;
}

/* Warns at the judges of p that will not run; see evaluator.h. */
size_t pe_evaluators_warn_unrun(const struct pe_prompt *p,
				const char *run_judge, int ask_judges,
				struct pe_diag *diag)
{
	size_t n = warn_unrun(p, p->evaluators, p->nevaluators, run_judge,
			      ask_judges, diag);

	for (size_t c = 0; c < p->ncases; c++)
		n += warn_unrun(p, p->cases[c].evaluators,
				p->cases[c].nevaluators, run_judge, ask_judges,
				diag);
	return n;
}

/* The model that judges spec; see evaluator.h. */
const char *pe_evaluator_judge_model(const struct pe_evalspec *spec,
				     const char *run_judge)
{
	const char *own;

	if (!pe_evaluator_is_judge(spec))
		return NULL;
	own = spec->ops->judge_model ? spec->ops->judge_model(spec) : NULL;
	return own ? own : run_judge ? run_judge : spec->ops->default_judge;
}

/* Writes the request to a judge; see evaluator.h. */
int pe_evaluator_judge_ask(const struct pe_evalspec *spec,
			   const struct pe_eval_input *in,
			   struct pe_judge_ask *ask, char **why)
{
	const struct pe_evaluator *ev = spec->compiled;

	memset(ask, 0, sizeof(*ask));
	*why = NULL;
	if (!ev || !ev->ops->judge_ask) {
		*why = xstrdup("not a judge");
		return PE_ERR_INVALID;
	}
	return ev->ops->judge_ask(ev->state, spec, in, ask, why);
}

/* Reads one reply of a judge; see evaluator.h. */
void pe_evaluator_judge_read(const struct pe_evalspec *spec, const char *reply,
			     size_t len, struct pe_eval_result *out)
{
	const struct pe_evaluator *ev = spec->compiled;

	ev->ops->judge_read(ev->state, spec, reply, len, out);
}

/* How many times a judge is asked per answer; see evaluator.h. */
unsigned pe_evaluator_judge_samples(const struct pe_evalspec *spec)
{
	return spec->ops->judge_samples ? spec->ops->judge_samples(spec) : 1;
}

/* Combines a judge's samples and applies "not"; see evaluator.h. */
void pe_evaluator_judge_combine(const struct pe_evalspec *spec,
				const struct pe_eval_result *samples, size_t n,
				struct pe_eval_result *out)
{
	const struct pe_evaluator *ev = spec->compiled;

	ev->ops->judge_combine(ev->state, spec, samples, n, out);
	negate(spec, out);
}

/* Frees what a judge request holds. */
void pe_judge_ask_release(struct pe_judge_ask *ask)
{
	free(ask->system);
	free(ask->user);
	memset(ask, 0, sizeof(*ask));
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

/*
 * The case's verdict: it never claims more than its evaluators checked.
 * An evaluator error makes it an error.  Without a threshold, a failed
 * evaluator fails it; otherwise an evaluator that did not run (or having
 * none at all) leaves it ungraded, and only when every evaluator ran and
 * passed does it pass.  With a threshold, the weighted score over all
 * evaluators decides: the case passes when even unrun evaluators scoring
 * 0 would reach the threshold, fails when even their scoring 1 would not,
 * and is ungraded between.  The score is over the evaluators that ran.
 */
static void decide(const struct pe_prompt *p, struct pe_case_score *out)
{
	double weighted = 0, weights = 0, unrun = 0;
	size_t ran = 0, failed = 0, errors = 0, skipped = 0;

	for (size_t i = 0; i < out->nresults; i++) {
		const struct pe_eval_result *r = &out->results[i];
		double w = out->specs[i]->weight;

		if (r->verdict == PE_VERDICT_SKIP) {
			skipped++;
			unrun += w;
			continue;
		}
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
	if (errors) {
		out->verdict = PE_VERDICT_ERROR;
	} else if (!ran) {
		out->verdict = PE_VERDICT_UNGRADED;
	} else if (p->has_threshold) {
		double all = weights + unrun;
		double low = all > 0 ? weighted / all : 0;
		double high = all > 0 ? (weighted + unrun) / all : 0;

		out->verdict = low + PE_THRESHOLD_SLACK >= p->threshold
				       ? PE_VERDICT_PASS
			       : high + PE_THRESHOLD_SLACK < p->threshold
				       ? PE_VERDICT_FAIL
				       : PE_VERDICT_UNGRADED;
	} else {
		out->verdict = failed	 ? PE_VERDICT_FAIL
			       : skipped ? PE_VERDICT_UNGRADED
					 : PE_VERDICT_PASS;
	}
	/* A case that errored or stayed ungraded has no score. */
	if (out->verdict == PE_VERDICT_ERROR ||
	    out->verdict == PE_VERDICT_UNGRADED)
		out->score = 0;
}

/* Decides a case's verdict again; see evaluator.h. */
void pe_case_score_decide(const struct pe_prompt *p, struct pe_case_score *s)
{
	decide(p, s);
}

/* Scores one output against one test case, with its call when known. */
static void score_with(const struct pe_prompt *p, const struct pe_case *c,
		       const char *output, size_t len,
		       const struct pe_result *call,
		       const struct pe_price *price,
		       const struct pe_score_env *env,
		       struct pe_case_score *out)
{
	size_t n = p->nevaluators + (c ? c->nevaluators : 0);
	struct pe_eval_input in;
	struct pe_eval_memo memo;

	memset(out, 0, sizeof(*out));
	memset(&memo, 0, sizeof(memo));
	out->specs = xcalloc(n ? n : 1, sizeof(*out->specs));
	out->results = xcalloc(n ? n : 1, sizeof(*out->results));
	in.output = output;
	in.len = len;
	in.md = NULL; /* parsed by the first evaluator that reads it */
	in.prompt = p;
	in.kase = c;
	in.call = call;
	in.price = price;
	in.env = env;
	in.memo = &memo;
	score_list(p->evaluators, p->nevaluators, &in, out);
	if (c)
		score_list(c->evaluators, c->nevaluators, &in, out);
	pe_eval_memo_release(&memo);
	decide(p, out);
}

/* Scores one output against one test case; see evaluator.h. */
void pe_score_case(const struct pe_prompt *p, const struct pe_case *c,
		   const char *output, size_t len,
		   const struct pe_score_env *env, struct pe_case_score *out)
{
	score_with(p, c, output, len, NULL, NULL, env, out);
}

/* Scores a job's answer with its call; see evaluator.h. */
void pe_score_call(const struct pe_prompt *p, const struct pe_case *c,
		   const struct pe_result *row, const struct pe_price *price,
		   const struct pe_score_env *env, struct pe_case_score *out)
{
	score_with(p, c, row->output ? row->output : "", row->output_len, row,
		   price, env, out);
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
		evs[i].kind = pe_evalspec_kind_name(spec);
		evs[i].status = s->results[i].verdict;
		evs[i].score = s->results[i].score;
		evs[i].weight = spec->weight;
		evs[i].negate = spec->negate;
		evs[i].reason = s->results[i].reason;
	}
	row->evaluators = evs;
	row->nevaluators = s->nresults;
}
