/*
 * LLM judges: "llm:" (gh-models: a prompt, its choices and their scores),
 * "uses: github/<name>" (the gh-models built-ins), and model-graded
 * criteria ("model:" with criteria, "type: prompt_evaluator"), read as a
 * judge whose choices are PASS and FAIL.  Their specs are read and checked
 * when a prompt loads, but prompteval makes no judge model call: in "run"
 * as in "score", every judge is reported as skipped with that reason,
 * never as passed.  NEEDSWORK: call the judge model.
 */
#include "evaluators/evaluator.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

/* Why a judge does not run; the same words in "check" and in results. */
#define JUDGES_NEVER_RUN "prompteval makes no judge model call"

struct judge_choice {
	char *choice;
	double score;
};

/* What an llm judge says: the prompt to send and how to read the reply. */
struct judge_spec {
	char *model; /* NULL when the file names none */
	char *system_prompt;
	struct pe_template *prompt; /* the case's variables and completion */
	const struct pe_node *prompt_node;
	struct judge_choice *choices;
	size_t nchoices;
};

static void free_judge_spec(void *data)
{
	struct judge_spec *judge = data;

	for (size_t i = 0; i < judge->nchoices; i++)
		free(judge->choices[i].choice);
	free(judge->choices);
	pe_template_free(judge->prompt);
	free(judge->model);
	free(judge->system_prompt);
	free(judge);
}

static void skip_judge(const char *what, struct pe_eval_result *out)
{
	pe_result_set(out, PE_VERDICT_SKIP, 0, "%s judge did not run: %s", what,
		      JUDGES_NEVER_RUN);
}

static void score_llm(const void *state, const struct pe_evalspec *spec,
		      const struct pe_eval_input *in,
		      struct pe_eval_result *out)
{
	(void)state;
	(void)spec;
	(void)in;
	skip_judge("LLM", out);
}

static void score_builtin(const void *state, const struct pe_evalspec *spec,
			  const struct pe_eval_input *in,
			  struct pe_eval_result *out)
{
	(void)state;
	(void)spec;
	(void)in;
	skip_judge("built-in", out);
}

static const char *const builtin_names[] = { "similarity",   "coherence",
					     "fluency",	     "relevance",
					     "groundedness", NULL };

static int require_string(const struct pe_node *n, const struct pe_node *owner,
			  const char *key, struct pe_diag *diag)
{
	if (!n) {
		pe_diag_error(diag, &owner->mark, "evaluator needs '%s'", key);
		return PE_ERR_INVALID;
	}
	if (n->kind != PE_NODE_STRING) {
		pe_diag_error(diag, &n->mark,
			      "evaluator '%s' must be a string, not a %s", key,
			      pe_node_kind_name(n->kind));
		return PE_ERR_INVALID;
	}
	return PE_OK;
}

static int parse_choices(struct judge_spec *judge, const struct pe_node *list,
			 const struct pe_evalspec *spec, struct pe_diag *diag)
{
	if (!list || list->kind != PE_NODE_SEQ || !list->count) {
		pe_diag_error(diag, list ? &list->mark : &spec->mark,
			      "llm evaluator needs 'choices': a list of "
			      "{choice, score}");
		return PE_ERR_INVALID;
	}
	judge->choices = xcalloc(list->count, sizeof(*judge->choices));
	for (size_t i = 0; i < list->count; i++) {
		const struct pe_node *item = list->items[i];
		const struct pe_node *choice = pe_node_get(item, "choice");
		const struct pe_node *score = pe_node_get(item, "score");
		static const char *const known[] = { "choice", "score", NULL };

		if (!pe_setting_text(choice) || !score ||
		    (score->kind != PE_NODE_INT &&
		     score->kind != PE_NODE_FLOAT)) {
			pe_diag_error(diag, &item->mark,
				      "each choice needs 'choice' (text) and "
				      "'score' (a number)");
			return PE_ERR_INVALID;
		}
		if (score->fval < 0 || score->fval > 1) {
			pe_diag_error(diag, &score->mark,
				      "choice score %s is outside [0, 1]",
				      score->text);
			return PE_ERR_INVALID;
		}
		pe_node_check_keys(item, known, "an llm choice", diag);
		judge->choices[i].choice = xstrdup(choice->text);
		judge->choices[i].score = score->fval;
		judge->nchoices++;
	}
	return PE_OK;
}

/* Reads an "llm:" mapping (gh-models): modelId, systemPrompt, prompt, choices. */
static int parse_llm_map(struct pe_evalspec *spec, const struct pe_node *map,
			 struct pe_diag *diag)
{
	static const char *const known[] = { "modelId", "systemPrompt",
					     "prompt", "choices", NULL };
	const struct pe_node *prompt = pe_node_get(map, "prompt");
	const struct pe_node *model = pe_node_get(map, "modelId");
	const struct pe_node *system = pe_node_get(map, "systemPrompt");
	struct judge_spec *judge;

	if (map->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &map->mark,
			      "'llm' must be a mapping, not a %s",
			      pe_node_kind_name(map->kind));
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(map, known, "an llm evaluator", diag);
	if (require_string(prompt, map, "prompt", diag))
		return PE_ERR_INVALID;
	if (model && !pe_setting_text(model)) {
		pe_diag_error(diag, &model->mark, "'modelId' must be a string");
		return PE_ERR_INVALID;
	}
	if (system && !pe_setting_text(system)) {
		pe_diag_error(diag, &system->mark,
			      "'systemPrompt' must be a string");
		return PE_ERR_INVALID;
	}
	judge = xcalloc(1, sizeof(*judge));
	spec->data = judge;
	judge->model = model ? xstrdup(model->text) : NULL;
	judge->system_prompt = system ? xstrdup(system->text) : NULL;
	judge->prompt = pe_template_parse(prompt->text, prompt->len);
	judge->prompt_node = prompt;
	return parse_choices(judge, pe_node_get(map, "choices"), spec, diag);
}

/*
 * Model-graded shapes from prompt libraries: "model:" with a prompt or
 * criteria, and "type: prompt_evaluator" with parameters.criteria.  They
 * are read as an llm judge of the criteria whose choices are PASS and
 * FAIL.
 */
static int parse_criteria(struct pe_evalspec *spec, const struct pe_node *node,
			  const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *params = pe_node_get(node, "parameters");
	const struct pe_node *criteria = pe_node_get(node, "criteria");
	const struct pe_node *model = pe_node_get(node, "model");
	struct judge_spec *judge;

	(void)type;
	if (!criteria)
		criteria = pe_node_get(node, "prompt");
	if (!criteria && params)
		criteria = pe_node_get(params, "criteria");
	if (!pe_setting_text(criteria)) {
		pe_diag_error(diag, &node->mark,
			      "model-graded evaluator needs 'criteria' (or "
			      "'prompt') as text");
		return PE_ERR_INVALID;
	}
	judge = xcalloc(1, sizeof(*judge));
	spec->data = judge;
	judge->model = pe_setting_text(model) ? xstrdup(model->text) : NULL;
	judge->prompt = pe_template_parse(criteria->text, criteria->len);
	judge->prompt_node = criteria;
	judge->choices = xcalloc(2, sizeof(*judge->choices));
	judge->choices[0].choice = xstrdup("FAIL");
	judge->choices[0].score = 0;
	judge->choices[1].choice = xstrdup("PASS");
	judge->choices[1].score = 1;
	judge->nchoices = 2;
	return PE_OK;
}

/* Reads "uses: github/<name>", one of the built-in judges. */
static int parse_builtin(struct pe_evalspec *spec, const struct pe_node *node,
			 const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *uses = pe_node_get(node, "uses");
	const char *name;
	const char *hint;

	(void)type;
	if (require_string(uses, spec->node, "uses", diag))
		return PE_ERR_INVALID;
	if (strncmp(uses->text, "github/", 7)) {
		pe_diag_error(diag, &uses->mark,
			      "unknown evaluator '%s': 'uses' names a "
			      "built-in such as github/similarity",
			      uses->text);
		return PE_ERR_INVALID;
	}
	name = uses->text + 7;
	for (size_t i = 0; builtin_names[i]; i++) {
		if (!strcmp(name, builtin_names[i])) {
			spec->data = xstrdup(name);
			return PE_OK;
		}
	}
	hint = pe_suggest(name, builtin_names);
	pe_diag_error(diag, &uses->mark,
		      "unknown built-in evaluator '%s'%s%s%s", uses->text,
		      hint ? " (did you mean 'github/" : "", hint ? hint : "",
		      hint ? "'?)" : "");
	return PE_ERR_INVALID;
}

static int parse_llm(struct pe_evalspec *spec, const struct pe_node *node,
		     const struct pe_node *type, struct pe_diag *diag)
{
	(void)type;
	return parse_llm_map(spec, pe_node_get(node, "llm"), diag);
}

/* The judge prompt, the one template. */
static const struct pe_template *judge_template(const struct pe_evalspec *spec,
						size_t i,
						const struct pe_node **node)
{
	const struct judge_spec *judge = spec->data;

	if (i > 0)
		return NULL;
	*node = judge->prompt_node;
	return judge->prompt;
}

/* "model m; system prompt 's'; prompt 'p'; choices: good 1, bad 0". */
static void describe_judge(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct judge_spec *judge = spec->data;

	if (judge->model)
		pe_buf_addf(out, "model %s; ", judge->model);
	if (judge->system_prompt)
		pe_buf_addf(out, "system prompt '%s'; ", judge->system_prompt);
	pe_buf_addf(out, "prompt '%s'; choices:", judge->prompt_node->text);
	for (size_t i = 0; i < judge->nchoices; i++)
		pe_buf_addf(out, "%s %s %g", i ? "," : "",
			    judge->choices[i].choice, judge->choices[i].score);
}

/* "github/coherence". */
static void describe_builtin(const struct pe_evalspec *spec, struct pe_buf *out)
{
	pe_buf_addf(out, "github/%s", (const char *)spec->data);
}

static const char *const llm_keys[] = { "llm", NULL };
static const char *const criteria_keys[] = { "model", NULL };
static const char *const criteria_types[] = { "prompt_evaluator", NULL };
static const char *const judge_known_keys[] = { "llm",	      "model",
						"prompt",     "criteria",
						"parameters", "expectedResult",
						NULL };
static const char *const builtin_keys[] = { "uses", NULL };
/*
 * {{completion}} in a judge prompt is the answer being judged, not a
 * test-case variable, so the loader does not ask the cases for it.
 */
static const char *const judge_provides[] = { "completion", NULL };

/* llm: {modelId, systemPrompt, prompt, choices}, the gh-models shape. */
const struct pe_evaluator_ops pe_llm_ops = {
	.never_runs = JUDGES_NEVER_RUN,
	.name = "llm",
	.example = "{llm: {prompt: 'Is {{completion}} polite?', choices: "
		   "[{choice: 'yes', score: 1}]}}",
	.keys = llm_keys,
	.known_keys = judge_known_keys,
	.provides = judge_provides,
	.hint = 1,
	.parse = parse_llm,
	.release = free_judge_spec,
	.template_at = judge_template,
	.describe = describe_judge,
	.compile = pe_evaluator_compile_nothing,
	.score = score_llm,
};

/* model: with criteria, type: prompt_evaluator, from prompt libraries. */
const struct pe_evaluator_ops pe_criteria_ops = {
	.never_runs = JUDGES_NEVER_RUN,
	.name = "llm",
	.example = "{model: openai/gpt-4o, criteria: is polite}",
	.keys = criteria_keys,
	.types = criteria_types,
	.known_keys = judge_known_keys,
	.provides = judge_provides,
	.parse = parse_criteria,
	.release = free_judge_spec,
	.template_at = judge_template,
	.describe = describe_judge,
	.compile = pe_evaluator_compile_nothing,
	.score = score_llm,
};

/* uses: github/similarity and the other gh-models built-ins. */
const struct pe_evaluator_ops pe_builtin_ops = {
	.never_runs = JUDGES_NEVER_RUN,
	.name = "builtin",
	.example = "{uses: github/coherence}",
	.keys = builtin_keys,
	.known_keys = builtin_keys,
	.hint = 1,
	.parse = parse_builtin,
	.release = free,
	.describe = describe_builtin,
	.compile = pe_evaluator_compile_nothing,
	.score = score_builtin,
};
