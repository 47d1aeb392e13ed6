/*
 * LLM judges: "llm:" (gh-models: a prompt, its choices and their scores),
 * "uses: github/<name>" (the gh-models built-ins, with prompts written
 * here), model-graded criteria from prompt libraries ("model:" with
 * criteria or a prompt, "type: prompt_evaluator", "type: model_graded",
 * "type: llm_eval"), "rule:" sentences, and "judge:", prompteval's own
 * rubric form (a rubric in plain words, an optional scale and pass mark,
 * an optional reference, and samples).  Criteria and rules are asked as
 * a criterion the answer meets or not; their choices are PASS and FAIL
 * unless the file lists its own.
 *
 * A judge runs only where a model can answer it: "run" (and "score" with
 * a judge model) asks the judge model through the runner (judge_ask, then
 * judge_read on each reply and judge_combine over the samples); with no
 * judge model, score() reports it as skipped, which leaves its case
 * ungraded, never passed.
 *
 * The reply is read by a rule stricter than gh-models': a choice matches
 * only as a whole token ("1" is not in "10" or "1.5"; letters, marks,
 * digits and '_' in any script, and a decimal point between digits,
 * make up tokens; quotes, dashes and spaces do not), without regard to
 * ASCII case, and where choices overlap ("not good", "good") the longer
 * one counts.  A number after '/', "of" or "to" is a scale, not a rating
 * ("1/5", "1 out of 5", "on a scale of 1 to 5" state 1).  The last line
 * that states a choice decides, so a verdict written after the reasoning
 * beats choices quoted in it; a line that states a choice alone
 * weighs against it (reply_choice): when the last line states another
 * choice, the reply is undecided; when it would pass but its clause
 * negates or conditions the choice ("It does not PASS.", "it would
 * PASS"), the line alone decides, or without one the reply is
 * undecided.  An undecided reply (so is a last line that states two
 * different choices), like one that states no choice, leaves
 * the judge skipped, with the reply's words in the reason (control
 * characters escaped).  Choice scores above 1 are divided by the
 * largest choice's score, as in [0, 1]; a judge passes when its score is
 * above 0, or, for "judge:" with a scale, when the rating reaches the
 * pass mark.  With samples, the judge is asked several times: the median
 * score decides (the lower one of an even count), and the reason says
 * how many samples agree with it.
 */
#include "evaluators/evaluator.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "evaluators/settings.h"
#include "harness/core/message.h"
#include "harness/core/unicode.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct judge_choice {
	char *choice;
	double score;
};

/* How the user message is made from the prompt. */
enum judge_shape {
	SHAPE_PROMPT,	/* llm: and the built-ins: the prompt, rendered */
	SHAPE_CRITERIA, /* criteria and rule:: the criterion, the answer */
	SHAPE_RUBRIC,	/* judge:: the rubric, the reference, the answer */
};

/* What a judge says: the prompt to send and how to read the reply. */
struct judge_spec {
	enum judge_shape shape;
	const char *kind; /* "LLM", "built-in", "rule", "rubric" */
	char *builtin;	  /* "similarity" for uses: github/similarity */
	char *model;	  /* NULL when the file names none */
	struct pe_template *system_prompt; /* NULL: no system message */
	struct pe_template *prompt;	   /* the prompt, criterion or rubric */
	const struct pe_node *prompt_node; /* NULL for a built-in */
	struct pe_template *reference;	   /* judge:: NULL when none */
	const struct pe_node *reference_node;
	struct judge_choice *choices; /* scores in [0, 1] */
	size_t nchoices;
	/*
	 * The judge passes when its score is above pass_score, or at it too
	 * with pass_inclusive (judge: with a scale and a pass mark).
	 */
	double pass_score;
	int pass_inclusive;
	unsigned scale;	    /* judge:: ratings 1..scale; 0: PASS or FAIL */
	unsigned pass_mark; /* judge: with a scale: the lowest passing one */
	unsigned samples;   /* asks per answer, at least 1 */
	double temperature; /* judge:'s, else 0 */
};

static void free_judge_spec(void *data)
{
	struct judge_spec *judge = data;

	for (size_t i = 0; i < judge->nchoices; i++)
		free(judge->choices[i].choice);
	free(judge->choices);
	pe_template_free(judge->prompt);
	pe_template_free(judge->system_prompt);
	pe_template_free(judge->reference);
	free(judge->builtin);
	free(judge->model);
	free(judge);
}

static void add_choice(struct judge_spec *judge, const char *choice,
		       double score)
{
	judge->choices =
		xrealloc(judge->choices,
			 (judge->nchoices + 1) * sizeof(*judge->choices));
	judge->choices[judge->nchoices].choice = xstrdup(choice);
	judge->choices[judge->nchoices].score = score;
	judge->nchoices++;
}

/* Scores above 1 are divided by the largest, as gh-models files use. */
static void normalise_choices(struct judge_spec *judge)
{
	double max = 0;

	for (size_t i = 0; i < judge->nchoices; i++)
		if (judge->choices[i].score > max)
			max = judge->choices[i].score;
	for (size_t i = 0; i < judge->nchoices; i++) {
		double *v = &judge->choices[i].score;

		if (max > 1)
			*v /= max;
		if (*v < 0)
			*v = 0;
	}
}

/* A new judge of shape and kind, asked once. */
static struct judge_spec *new_judge(enum judge_shape shape, const char *kind)
{
	struct judge_spec *judge = xcalloc(1, sizeof(*judge));

	judge->shape = shape;
	judge->kind = kind;
	judge->samples = 1;
	return judge;
}

/* Scores without asking: the judge did not run (no judge model). */
static void score_unasked(const void *state, const struct pe_evalspec *spec,
			  const struct pe_eval_input *in,
			  struct pe_eval_result *out)
{
	const struct judge_spec *judge = spec->data;

	(void)state;
	(void)in;
	pe_result_set(out, PE_VERDICT_SKIP, 0, "%s judge did not run: %s",
		      judge->kind, PE_NO_JUDGE_MODEL);
}

/* The system message of model-graded criteria. */
#define CRITERIA_SYSTEM                                                        \
	"You judge whether an answer meets a criterion.  Explain briefly, "    \
	"then write your verdict alone on the last line."

/* The system message of judge:, prompteval's rubric judge. */
#define RUBRIC_SYSTEM                                                          \
	"You grade an answer against a rubric.  Think it through in a few "    \
	"sentences, then write your grade alone on the last line."

/*
 * The gh-models built-ins, as prompts of our own: each rates one quality
 * on gh-models' scale of 1 to 5, mapped to 0, 0.25, 0.5, 0.75 and 1, so a
 * rating of 2 or more passes, as in gh-models.
 */
struct builtin {
	const char *name;
	const char *system;
	const char *prompt;
};

#define RATE_SYSTEM(quality)                                                   \
	"You rate the " quality " of an answer on a scale of 1 to 5.  "        \
	"Think it through in a few sentences, then write the rating, a "       \
	"single digit, alone on the last line."
#define SCALE_END "\n\nEnd with the rating alone on the last line."

static const struct builtin builtins[] = {
	{ "similarity", RATE_SYSTEM("similarity to a reference"),
	  "How close in meaning is the ANSWER to the REFERENCE, as an answer "
	  "to the QUESTION?\n"
	  "5: the same meaning; nothing that matters is missing or added.\n"
	  "4: mostly the same; a minor point differs or is missing.\n"
	  "3: partly the same; an important point differs or is missing.\n"
	  "2: loosely related; most of the meaning differs.\n"
	  "1: unrelated, or contradicts the reference.\n\n"
	  "QUESTION:\n{{input}}\n\nREFERENCE:\n{{expected}}\n\n"
	  "ANSWER:\n{{completion}}" SCALE_END },
	{ "coherence", RATE_SYSTEM("coherence"),
	  "How coherent is the ANSWER to the QUESTION: do its ideas follow "
	  "from one another in a clear order, with nothing contradicting?\n"
	  "5: clear and well ordered throughout.\n"
	  "4: clear, with a small jump or a repetition.\n"
	  "3: understandable, but parts are out of order or loosely tied.\n"
	  "2: hard to follow; ideas are disconnected.\n"
	  "1: incoherent.\n\n"
	  "QUESTION:\n{{input}}\n\nANSWER:\n{{completion}}" SCALE_END },
	{ "fluency", RATE_SYSTEM("fluency"),
	  "How fluent is the TEXT: its grammar, word choice and how easily "
	  "it reads?\n"
	  "5: reads naturally, with no errors.\n"
	  "4: reads well, with a rare slip.\n"
	  "3: readable, with several errors or awkward sentences.\n"
	  "2: hard to read; frequent errors.\n"
	  "1: barely readable.\n\n"
	  "TEXT:\n{{completion}}" SCALE_END },
	{ "relevance", RATE_SYSTEM("relevance"),
	  "How relevant is the ANSWER to the QUESTION: does it address what "
	  "was asked, and only that?\n"
	  "5: addresses the whole question, and nothing beside it.\n"
	  "4: addresses the question, with a little that is off the point.\n"
	  "3: addresses part of the question.\n"
	  "2: mostly off the point.\n"
	  "1: does not address the question.\n\n"
	  "QUESTION:\n{{input}}\n\nANSWER:\n{{completion}}" SCALE_END },
	{ "groundedness", RATE_SYSTEM("groundedness"),
	  "How well is the ANSWER to the QUESTION supported by the CONTEXT: "
	  "does every claim in it follow from the context?\n"
	  "5: every claim is supported by the context.\n"
	  "4: nearly all claims are supported; a minor one is not.\n"
	  "3: some important claims are not supported.\n"
	  "2: most claims are not supported.\n"
	  "1: the answer contradicts or ignores the context.\n\n"
	  "CONTEXT:\n{{expected}}\n\nQUESTION:\n{{input}}\n\n"
	  "ANSWER:\n{{completion}}" SCALE_END },
	{ NULL, NULL, NULL }
};

/* A built-in's judge: its prompts and the 1-to-5 choices. */
static struct judge_spec *builtin_spec(const struct builtin *b)
{
	struct judge_spec *judge = new_judge(SHAPE_PROMPT, "built-in");
	static const char *const ratings[] = { "1", "2", "3", "4", "5" };

	judge->builtin = xstrdup(b->name);
	judge->system_prompt = pe_template_parse(b->system, strlen(b->system));
	judge->prompt = pe_template_parse(b->prompt, strlen(b->prompt));
	for (size_t i = 0; i < 5; i++)
		add_choice(judge, ratings[i], (double)i / 4);
	return judge;
}

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

static int same_fold(const char *a, const char *b, size_t n);

/* Words that name a passing and a failing verdict, as choices. */
static const char *const yes_words[] = { "pass",    "passed", "yes", "true",
					 "correct", "good",   NULL };
static const char *const no_words[] = { "fail",	     "failed", "no", "false",
					"incorrect", "bad",    NULL };

static int is_word(const char *s, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	return 0;
}

/*
 * Reads one choice: {choice, score}, or, where plain is set, a string
 * that names a verdict ("pass", "No": scored 1 or 0).
 */
static int parse_choice(struct judge_spec *judge, const struct pe_node *item,
			int plain, struct pe_diag *diag)
{
	static const char *const known[] = { "choice", "score", NULL };
	const struct pe_node *choice = pe_node_get(item, "choice");
	const struct pe_node *score = pe_node_get(item, "score");

	if (plain && item->kind == PE_NODE_STRING && *item->text) {
		if (is_word(item->text, yes_words) ||
		    is_word(item->text, no_words)) {
			add_choice(judge, item->text,
				   is_word(item->text, yes_words));
			return PE_OK;
		}
		pe_diag_error(diag, &item->mark,
			      "choice '%s' has no score: write {choice: "
			      "'%s', score: N}, or a verdict such as pass, "
			      "fail, yes or no",
			      item->text, item->text);
		return PE_ERR_INVALID;
	}
	if (!pe_setting_text(choice) || !*choice->text || !score ||
	    (score->kind != PE_NODE_INT && score->kind != PE_NODE_FLOAT)) {
		pe_diag_error(diag, &item->mark,
			      "each choice needs 'choice' (text) and 'score' "
			      "(a number)");
		return PE_ERR_INVALID;
	}
	if (!isfinite(score->fval)) {
		pe_diag_error(diag, &score->mark,
			      "choice score %s is not a number", score->text);
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(item, known, "an llm choice", diag);
	add_choice(judge, choice->text, score->fval);
	return PE_OK;
}

static enum pe_verdict verdict_of(const struct judge_spec *judge, double score);

/*
 * A judge passes when its choice scores above 0, so a list in which every
 * choice does (gh-models' ratings 1 to 5 scored 1 to 5, say) passes
 * whatever the judge replies, and checks nothing: an error, as a pass
 * mark any answer meets is.
 */
static int refuse_all_passing(const struct judge_spec *judge,
			      const struct pe_node *list, struct pe_diag *diag)
{
	for (size_t i = 0; i < judge->nchoices; i++)
		if (verdict_of(judge, judge->choices[i].score) !=
		    PE_VERDICT_PASS)
			return PE_OK;
	pe_diag_error(diag, &list->mark,
		      "every choice scores above 0, so every reply that "
		      "states one passes and the judge checks nothing: score "
		      "the failing choices 0 (gh-models' built-ins score "
		      "rating 1 of 5 as 0)");
	return PE_ERR_INVALID;
}

/*
 * Reads a list of choices (see parse_choice); scores above 1 are then
 * divided by the largest.
 */
static int parse_choices(struct judge_spec *judge, const struct pe_node *list,
			 int plain, const struct pe_evalspec *spec,
			 struct pe_diag *diag)
{
	if (!list || list->kind != PE_NODE_SEQ || !list->count) {
		pe_diag_error(diag, list ? &list->mark : &spec->mark,
			      "llm evaluator needs 'choices': a list of "
			      "{choice, score}");
		return PE_ERR_INVALID;
	}
	for (size_t i = 0; i < list->count; i++) {
		const char *c;

		if (parse_choice(judge, list->items[i], plain, diag))
			return PE_ERR_INVALID;
		c = judge->choices[i].choice;
		if (!c[strspn(c, " \t\r\n")]) {
			pe_diag_error(diag, &list->items[i]->mark,
				      "a choice must be a word or more, not "
				      "blank");
			return PE_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			if (strlen(judge->choices[j].choice) != strlen(c) ||
			    !same_fold(judge->choices[j].choice, c, strlen(c)))
				continue;
			pe_diag_error(diag, &list->items[i]->mark,
				      "choice '%s' is choice '%s' again: the "
				      "reply is read without regard to case",
				      c, judge->choices[j].choice);
			return PE_ERR_INVALID;
		}
	}
	normalise_choices(judge);
	return refuse_all_passing(judge, list, diag);
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
	judge = new_judge(SHAPE_PROMPT, "LLM");
	spec->data = judge;
	judge->model = model ? xstrdup(model->text) : NULL;
	judge->system_prompt =
		system ? pe_template_parse(system->text, system->len) : NULL;
	judge->prompt = pe_template_parse(prompt->text, prompt->len);
	judge->prompt_node = prompt;
	return parse_choices(judge, pe_node_get(map, "choices"), 0, spec, diag);
}

/* A judge of a criterion the answer meets or not (criteria, rule:). */
static struct judge_spec *criterion_judge(const char *kind,
					  const struct pe_node *criterion)
{
	struct judge_spec *judge = new_judge(SHAPE_CRITERIA, kind);

	judge->system_prompt =
		pe_template_parse(CRITERIA_SYSTEM, strlen(CRITERIA_SYSTEM));
	judge->prompt = pe_template_parse(criterion->text, criterion->len);
	judge->prompt_node = criterion;
	return judge;
}

/*
 * Where a model-graded entry keeps its criterion and choices: a
 * "model_graded:" mapping or a "model:" mapping (other libraries' shapes),
 * else the entry itself.
 */
static const struct pe_node *criteria_source(const struct pe_node *node)
{
	const struct pe_node *graded = pe_node_get(node, "model_graded");
	const struct pe_node *model = pe_node_get(node, "model");

	if (graded && graded->kind == PE_NODE_MAP)
		return graded;
	if (model && model->kind == PE_NODE_MAP)
		return model;
	return node;
}

/*
 * The criterion of a model-graded entry: criteria, prompt, instructions
 * or assertion in src, else parameters.criteria, else, for an entry that
 * a "type:" calls model-graded and that says nothing more, its
 * description (what the check verifies, in words).  NULL: none.
 */
static const struct pe_node *find_criterion(const struct pe_node *node,
					    const struct pe_node *src,
					    const struct pe_node *type)
{
	static const char *const fields[] = { "criteria", "prompt",
					      "instructions", "assertion",
					      NULL };
	const struct pe_node *params = pe_node_get(src, "parameters");
	const struct pe_node *criterion = NULL;

	for (size_t i = 0; fields[i] && !criterion; i++)
		criterion = pe_node_get(src, fields[i]);
	if (!criterion && params)
		criterion = pe_node_get(params, "criteria");
	if (!criterion && type && src == node)
		criterion = pe_node_get(node, "description");
	return criterion;
}

/*
 * The judge model a model-graded entry names: "model:" as text, or, in a
 * "model:" mapping, its "model" with its "provider" before it
 * ("anthropic:claude-3-haiku-20240307").  *model is NULL when it names
 * none.
 */
static int criteria_model(const struct pe_node *node, const struct pe_node *src,
			  char **model, struct pe_diag *diag)
{
	const struct pe_node *m = pe_node_get(src, "model");
	const struct pe_node *provider = pe_node_get(src, "provider");

	*model = NULL;
	if (src == node && m && m->kind == PE_NODE_MAP)
		m = NULL; /* the mapping itself, read as src */
	if (m && !pe_setting_text(m)) {
		pe_diag_error(diag, &m->mark, "'model' must be a string");
		return PE_ERR_INVALID;
	}
	if (provider && !pe_setting_text(provider)) {
		pe_diag_error(diag, &provider->mark,
			      "'provider' must be a string");
		return PE_ERR_INVALID;
	}
	if (m && provider && !strchr(m->text, ':'))
		*model = xstrfmt("%s:%s", provider->text, m->text);
	else if (m)
		*model = xstrdup(m->text);
	return PE_OK;
}

/*
 * Model-graded shapes from prompt libraries: "model:" with a prompt or
 * criteria, "type: prompt_evaluator" with parameters.criteria,
 * "type: model_graded" with a prompt or instructions and plain choices
 * ([pass, fail], [Yes, No]) or none, and "type: llm_eval" with criteria;
 * and the dialects "model: {prompt}" and "model: {assertion, provider,
 * model}", "model_graded: {prompt}", "type: model" with a prompt or an
 * assertion, and a "type: model_graded" entry with only a description.
 * Each is a judge of the criterion, whose choices are the file's or PASS
 * and FAIL; "expectedResult: false" asks that the answer not meet it.
 */
static int parse_criteria(struct pe_evalspec *spec, const struct pe_node *node,
			  const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *src = criteria_source(node);
	const struct pe_node *choices = pe_node_get(src, "choices");
	const struct pe_node *criteria = find_criterion(node, src, type);
	struct judge_spec *judge;
	struct pe_part part;
	char *model;
	int expected = 1;

	if (!pe_setting_text(criteria) || !*criteria->text) {
		pe_diag_error(diag, criteria ? &criteria->mark : &node->mark,
			      "model-graded evaluator needs 'criteria' (or "
			      "'prompt', 'instructions', 'assertion') as text");
		return PE_ERR_INVALID;
	}
	if (criteria_model(node, src, &model, diag))
		return PE_ERR_INVALID;
	if (pe_setting_bool(node, "expectedResult", &expected, diag)) {
		free(model);
		return PE_ERR_INVALID;
	}
	if (pe_setting_part(node, "target", &part, diag)) {
		free(model);
		return PE_ERR_INVALID;
	}
	if (part.name) {
		/* Judging the whole answer would not check the section. */
		int rc = pe_evaluator_unsupported(
			spec,
			"'target: %s' cannot be honoured: a judge reads the "
			"whole answer, not one section",
			part.name);

		pe_part_release(&part);
		free(model);
		return rc;
	}
	pe_part_release(&part);
	judge = criterion_judge("LLM", criteria);
	spec->data = judge;
	judge->model = model;
	if (!expected)
		spec->negate = !spec->negate;
	if (choices)
		return parse_choices(judge, choices, 1, spec, diag);
	add_choice(judge, "FAIL", 0);
	add_choice(judge, "PASS", 1);
	return PE_OK;
}

/*
 * "rule:" and a bare sentence in an evaluators list: a criterion in plain
 * words, judged PASS or FAIL by the run's judge model (it names none).
 */
static int parse_rule(struct pe_evalspec *spec, const struct pe_node *node,
		      const struct pe_node *type, struct pe_diag *diag)
{
	const struct pe_node *text =
		node->kind == PE_NODE_MAP ? pe_node_get(node, "rule") : node;
	struct judge_spec *judge;

	(void)type;
	if (!pe_setting_text(text) || !*text->text) {
		pe_diag_error(diag, text ? &text->mark : &node->mark,
			      "a rule must be text, such as 'Answer in one "
			      "sentence'");
		return PE_ERR_INVALID;
	}
	judge = criterion_judge("rule", text);
	spec->data = judge;
	add_choice(judge, "FAIL", 0);
	add_choice(judge, "PASS", 1);
	return PE_OK;
}

/* The settings of judge: as a mapping; the rubric is already read. */
static int parse_rubric_settings(struct judge_spec *judge,
				 const struct pe_node *map,
				 struct pe_diag *diag)
{
	const struct pe_node *model = pe_node_get(map, "model");
	const struct pe_node *reference = pe_node_get(map, "reference");
	const struct pe_node *pass = pe_node_get(map, "pass");
	const struct pe_node *temperature = pe_node_get(map, "temperature");
	size_t scale = 0, mark = 0, samples = 1;

	if (pe_setting_count(map, "scale", 2, 10, &scale, diag) ||
	    pe_setting_count(map, "samples", 1, 20, &samples, diag))
		return PE_ERR_INVALID;
	if (pass && !scale) {
		pe_diag_error(diag, &pass->mark,
			      "'pass' is a rating on the 'scale', which is "
			      "not given (without one the judge answers PASS "
			      "or FAIL)");
		return PE_ERR_INVALID;
	}
	mark = (scale + 2) / 2;
	if (pe_setting_count(map, "pass", 1, scale ? scale : 1, &mark, diag))
		return PE_ERR_INVALID;
	if (pass && mark == 1) {
		/* Every grade is at least 1: it would pass every reply. */
		pe_diag_error(diag, &pass->mark,
			      "'pass: 1' is the scale's lowest grade, which "
			      "every reply meets, so it checks nothing: give a "
			      "grade from 2 to %zu",
			      scale);
		return PE_ERR_INVALID;
	}
	if ((model && (!pe_setting_text(model) || !*model->text)) ||
	    (reference && !pe_setting_text(reference))) {
		pe_diag_error(diag, model ? &model->mark : &reference->mark,
			      "'%s' must be text",
			      model ? "model" : "reference");
		return PE_ERR_INVALID;
	}
	if (temperature &&
	    ((temperature->kind != PE_NODE_INT &&
	      temperature->kind != PE_NODE_FLOAT) ||
	     !(temperature->fval >= 0 && temperature->fval <= 2))) {
		pe_diag_error(diag, &temperature->mark,
			      "'temperature' must be a number from 0 to 2");
		return PE_ERR_INVALID;
	}
	judge->temperature = temperature ? temperature->fval : 0;
	judge->model = model ? xstrdup(model->text) : NULL;
	if (reference) {
		judge->reference =
			pe_template_parse(reference->text, reference->len);
		judge->reference_node = reference;
	}
	judge->scale = (unsigned)scale;
	judge->pass_mark = (unsigned)mark;
	judge->samples = (unsigned)samples;
	return PE_OK;
}

/*
 * judge:, prompteval's own: a rubric in plain words, as text or as
 * {rubric, scale, pass, reference, model, samples}.  Without a scale the
 * judge answers PASS or FAIL; with one it grades 1 to scale, scored 0 to
 * 1, and passes at the pass mark (default: the middle, rounded up).
 */
static int parse_rubric(struct pe_evalspec *spec, const struct pe_node *node,
			const struct pe_node *type, struct pe_diag *diag)
{
	static const char *const known[] = { "rubric",	    "scale", "pass",
					     "reference",   "model", "samples",
					     "temperature", NULL };
	const struct pe_node *value = pe_node_get(node, "judge");
	const struct pe_node *rubric = value && value->kind == PE_NODE_MAP
					       ? pe_node_get(value, "rubric")
					       : value;
	struct judge_spec *judge;
	char rating[16];

	(void)type;
	if (!pe_setting_text(rubric) || !*rubric->text) {
		pe_diag_error(diag, rubric ? &rubric->mark : &value->mark,
			      "judge needs a rubric: 'judge: TEXT' or "
			      "'judge: {rubric: TEXT, scale: 5, pass: 4}'");
		return PE_ERR_INVALID;
	}
	judge = new_judge(SHAPE_RUBRIC, "rubric");
	spec->data = judge;
	judge->system_prompt =
		pe_template_parse(RUBRIC_SYSTEM, strlen(RUBRIC_SYSTEM));
	judge->prompt = pe_template_parse(rubric->text, rubric->len);
	judge->prompt_node = rubric;
	if (value->kind == PE_NODE_MAP) {
		pe_node_check_keys(value, known, "a judge", diag);
		if (parse_rubric_settings(judge, value, diag))
			return PE_ERR_INVALID;
	}
	if (!judge->scale) {
		add_choice(judge, "FAIL", 0);
		add_choice(judge, "PASS", 1);
		return PE_OK;
	}
	for (unsigned i = 1; i <= judge->scale; i++) {
		snprintf(rating, sizeof(rating), "%u", i);
		add_choice(judge, rating,
			   (double)(i - 1) / (double)(judge->scale - 1));
	}
	judge->pass_score =
		(double)(judge->pass_mark - 1) / (double)(judge->scale - 1);
	judge->pass_inclusive = 1;
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
	for (size_t i = 0; builtins[i].name; i++) {
		if (!strcmp(name, builtins[i].name)) {
			spec->data = builtin_spec(&builtins[i]);
			return PE_OK;
		}
	}
	{
		const char *names[sizeof(builtins) / sizeof(*builtins)];

		for (size_t i = 0; i < sizeof(builtins) / sizeof(*builtins);
		     i++)
			names[i] = builtins[i].name;
		hint = pe_suggest(name, names);
	}
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

/*
 * The judge's templates as the file wrote them (built-ins have their
 * own): the prompt, criterion or rubric, then judge:'s reference.
 */
static const struct pe_template *judge_template(const struct pe_evalspec *spec,
						size_t i,
						const struct pe_node **node)
{
	const struct judge_spec *judge = spec->data;

	if (i == 0 && judge->prompt_node) {
		*node = judge->prompt_node;
		return judge->prompt;
	}
	if (i == 1 && judge->reference_node) {
		*node = judge->reference_node;
		return judge->reference;
	}
	return NULL;
}

/*
 * "model m; system prompt 's'; prompt 'p'; choices: good 1, bad 0", or
 * for judge: "rubric 'r'; scale 1 to 5, passes at 4; 3 samples".
 */
static void describe_judge(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct judge_spec *judge = spec->data;
	const struct pe_node *system =
		pe_node_get(pe_node_get(spec->node, "llm"), "systemPrompt");

	if (judge->model)
		pe_buf_addf(out, "model %s; ", judge->model);
	if (system)
		pe_buf_addf(out, "system prompt '%s'; ", system->text);
	if (judge->shape == SHAPE_RUBRIC) {
		pe_buf_addf(out, "rubric '%s'; ", judge->prompt_node->text);
		if (judge->scale)
			pe_buf_addf(out, "scale 1 to %u, passes at %u",
				    judge->scale, judge->pass_mark);
		else
			pe_buf_adds(out, "PASS or FAIL");
		if (judge->reference_node)
			pe_buf_addf(out, "; reference '%s'",
				    judge->reference_node->text);
		if (judge->samples > 1)
			pe_buf_addf(out, "; %u samples", judge->samples);
		if (judge->temperature > 0)
			pe_buf_addf(out, "; temperature %g",
				    judge->temperature);
		return;
	}
	pe_buf_addf(out, "prompt '%s'; choices:", judge->prompt_node->text);
	for (size_t i = 0; i < judge->nchoices; i++)
		pe_buf_addf(out, "%s %s %g", i ? "," : "",
			    judge->choices[i].choice, judge->choices[i].score);
}

/* "github/coherence". */
static void describe_builtin(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct judge_spec *judge = spec->data;

	pe_buf_addf(out, "github/%s", judge->builtin);
}

/* The model the file names for the judge, or NULL. */
static const char *own_model(const struct pe_evalspec *spec)
{
	const struct judge_spec *judge = spec->data;

	return judge->model;
}

/*
 * Appends the answer as the judge reads it: every byte, but a NUL, which
 * would end the message on the wire, as U+FFFD.
 */
static void add_answer(struct pe_buf *b, const char *output, size_t len)
{
	for (size_t i = 0; output && i < len;) {
		const char *nul = memchr(output + i, '\0', len - i);
		size_t n = nul ? (size_t)(nul - output) - i : len - i;

		pe_buf_add(b, output + i, n);
		i += n;
		if (nul) {
			pe_buf_adds(b, "\xef\xbf\xbd");
			i++;
		}
	}
}

/* A map {completion: output} that comes first in a judge's templates. */
static const struct pe_node *completion_scope(struct pe_doc *doc,
					      const char *output, size_t len)
{
	struct pe_mark m = { "judge", 0, 0 };
	struct pe_node *map = pe_doc_node(doc, PE_NODE_MAP, &m);
	struct pe_node *key = pe_doc_node(doc, PE_NODE_STRING, &m);
	struct pe_node *value = pe_doc_node(doc, PE_NODE_STRING, &m);
	struct pe_buf answer;

	key->text = pe_doc_strndup(doc, "completion", 10);
	key->len = 10;
	pe_buf_init(&answer, 0);
	add_answer(&answer, output, len);
	value->text =
		pe_doc_strndup(doc, answer.data ? answer.data : "", answer.len);
	value->len = answer.len;
	pe_buf_release(&answer);
	map->pairs = pe_doc_alloc(doc, sizeof(*map->pairs));
	map->pairs[0].key = key;
	map->pairs[0].value = value;
	map->npairs = 1;
	return map;
}

/*
 * Renders t with {{completion}} and the case's variables into a new
 * string; NULL after setting *why when a variable is not defined.
 */
static char *render(const struct pe_template *t, const struct pe_node *scope,
		    const struct pe_eval_input *in, char **why)
{
	const struct pe_node *scopes[4];
	size_t n = 0;
	const char *missing = NULL;
	struct pe_buf b;

	scopes[n++] = scope;
	for (size_t i = 0; in->kase && i < in->kase->nscopes && n < 4; i++)
		scopes[n++] = in->kase->scopes[i];
	pe_buf_init(&b, 0);
	if (pe_template_render(t, scopes, n, &b, &missing)) {
		*why = xstrfmt("the judge prompt uses {{%s}}, which this case "
			       "does not define",
			       missing ? missing : "?");
		pe_buf_release(&b);
		return NULL;
	}
	return pe_buf_detach(&b, NULL);
}

/* Appends "PASS or FAIL", "pass, partial or fail": the choices. */
static void add_choice_list(struct pe_buf *b, const struct judge_spec *judge)
{
	for (size_t i = 0; i < judge->nchoices; i++)
		pe_buf_addf(b, "%s%s",
			    i == 0		       ? ""
			    : i + 1 == judge->nchoices ? " or "
						       : ", ",
			    judge->choices[i].choice);
}

/*
 * The user message of a criterion or a rubric: the text the file wrote
 * (rendered), the reference, the answer (all of its bytes), and how to
 * reply.
 */
static char *framed_message(const struct judge_spec *judge, const char *text,
			    const char *reference,
			    const struct pe_eval_input *in)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	if (judge->shape == SHAPE_CRITERIA)
		pe_buf_addf(&b, "Criterion: %s\n\nAnswer:\n", text);
	else if (reference)
		pe_buf_addf(&b,
			    "RUBRIC:\n%s\n\nREFERENCE (an answer that meets "
			    "the rubric):\n%s\n\nANSWER:\n",
			    text, reference);
	else
		pe_buf_addf(&b, "RUBRIC:\n%s\n\nANSWER:\n", text);
	add_answer(&b, in->output, in->len);
	if (judge->shape == SHAPE_CRITERIA) {
		pe_buf_adds(&b, "\n\nDoes the answer meet the criterion? End "
				"your reply with ");
		add_choice_list(&b, judge);
		pe_buf_adds(&b, " alone on the last line.");
	} else if (judge->scale) {
		pe_buf_addf(&b,
			    "\n\nGrade the answer from 1 (it does not meet the "
			    "rubric at all) to %u (it meets it fully).  End "
			    "with the grade, a whole number, alone on the "
			    "last line.",
			    judge->scale);
	} else {
		pe_buf_adds(&b, "\n\nDoes the answer meet the rubric?  End "
				"with PASS or FAIL alone on the last line.");
	}
	return pe_buf_detach(&b, NULL);
}

/* Writes the request to the judge for one output; see evaluator.h. */
static int ask_judge(const void *state, const struct pe_evalspec *spec,
		     const struct pe_eval_input *in, struct pe_judge_ask *ask,
		     char **why)
{
	const struct judge_spec *judge = spec->data;
	struct pe_doc *doc = pe_doc_new("judge", NULL, 0);
	const struct pe_node *scope =
		completion_scope(doc, in->output, in->len);
	char *prompt = render(judge->prompt, scope, in, why);
	char *reference = NULL;
	int rc = PE_OK;

	(void)state;
	if (prompt && judge->reference)
		reference = render(judge->reference, scope, in, why);
	if (!prompt || (judge->reference && !reference)) {
		rc = PE_ERR_INVALID;
	} else if (judge->shape != SHAPE_PROMPT) {
		ask->user = framed_message(judge, prompt, reference, in);
	} else {
		ask->user = prompt;
		prompt = NULL;
	}
	free(prompt);
	free(reference);
	/* gh-models sends systemPrompt as written: undefined variables stay. */
	if (!rc && judge->system_prompt) {
		char *ignored = NULL;

		ask->system = render(judge->system_prompt, scope, in, &ignored);
		if (!ask->system) {
			struct pe_buf b;

			free(ignored);
			pe_buf_init(&b, 0);
			pe_template_render(judge->system_prompt, NULL, 0, &b,
					   (const char **)&ignored);
			ask->system = pe_buf_detach(&b, NULL);
		}
	}
	ask->temperature = judge->temperature;
	pe_doc_free(doc);
	if (rc)
		pe_judge_ask_release(ask);
	return rc;
}

/* True for a character that belongs in a word (see the top). */
static int word_char(unsigned long cp)
{
	if (cp < 0x80)
		return isalnum((int)cp) || cp == '_';
	return pe_unicode_is_word(cp);
}

/* The character that starts at t[at] (0 past the end or when malformed). */
static unsigned long char_at(const char *t, size_t len, size_t at)
{
	unsigned long cp;

	if (at >= len || !pe_utf8_decode(t + at, len - at, &cp))
		return 0;
	return cp;
}

/* The character that ends at t[at - 1] (0 at the start or malformed). */
static unsigned long char_before(const char *t, size_t at)
{
	unsigned long cp;
	size_t back = 1;

	while (back < 4 && back < at &&
	       pe_utf8_continues((unsigned char)t[at - back]))
		back++;
	if (!at || pe_utf8_decode(t + at - back, back, &cp) != back)
		return 0;
	return cp;
}

/* A decimal point: '.' between digits ("1.5" is one token). */
static int decimal_point(const char *t, size_t len, size_t i)
{
	return t[i] == '.' && i > 0 && i + 1 < len &&
	       isdigit((unsigned char)t[i - 1]) &&
	       isdigit((unsigned char)t[i + 1]);
}

/* True when [at, at + n) of text (len bytes) is a whole token. */
static int whole_token(const char *text, size_t len, size_t at, size_t n)
{
	if (at > 0 && ((word_char(char_before(text, at)) &&
			word_char(char_at(text, len, at))) ||
		       decimal_point(text, len, at - 1)))
		return 0;
	if (at + n < len && ((word_char(char_at(text, len, at + n)) &&
			      word_char(char_before(text, at + n))) ||
			     decimal_point(text, len, at + n)))
		return 0;
	return 1;
}

/* ASCII case-insensitive comparison of n bytes. */
static int same_fold(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)a[i]) !=
		    tolower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* True for a number: digits, with at most one point between them. */
static int is_number(const char *s)
{
	size_t digits = strspn(s, "0123456789");

	if (!digits)
		return 0;
	if (s[digits] == '.')
		return s[digits + 1] &&
		       !s[digits + 1 + strspn(s + digits + 1, "0123456789")];
	return !s[digits];
}

/*
 * True when the number at text[at] is the scale of a rating, not the
 * rating: after '/' ("1/5"), or after the word "of" or "to" ("1 out of
 * 5", "on a scale of 1 to 5").
 */
static int scale_number(const char *text, size_t start, size_t at)
{
	size_t i = at, word_end;

	while (i > start && (text[i - 1] == ' ' || text[i - 1] == '\t'))
		i--;
	if (i > start && text[i - 1] == '/')
		return 1;
	word_end = i;
	while (i > start && isalpha((unsigned char)text[i - 1]))
		i--;
	return word_end - i == 2 &&
	       (same_fold(text + i, "of", 2) || same_fold(text + i, "to", 2));
}

enum {
	CHOICE_NONE = -1,
	CHOICE_SEVERAL = -2,
	CHOICE_HEDGED = -3,
	CHOICE_CONFLICT = -4
};

/*
 * The choices stated in [start, end) of text (len bytes), by the rule at
 * the top of this file: CHOICE_NONE, the index of the one choice stated,
 * or CHOICE_SEVERAL with two of them in *a and *b.  The line is swept
 * from its start; at each place the longest choice that matches there
 * counts, unless a match that started earlier covers it.
 */
static long line_choice(const struct judge_spec *judge, const char *text,
			size_t len, size_t start, size_t end, size_t *a,
			size_t *b)
{
	long found = CHOICE_NONE;
	size_t covered = start;

	for (size_t at = start; at < end; at++) {
		long best = -1;
		size_t best_n = 0;

		for (size_t i = 0; i < judge->nchoices; i++) {
			const char *c = judge->choices[i].choice;
			size_t n = strlen(c);

			if (n <= best_n || n > end - at ||
			    !same_fold(text + at, c, n) ||
			    !whole_token(text, len, at, n) ||
			    (is_number(c) && scale_number(text, start, at)))
				continue;
			best = (long)i;
			best_n = n;
		}
		if (best < 0 || at + best_n <= covered)
			continue;
		covered = at + best_n;
		if (found == CHOICE_NONE) {
			found = best;
		} else if (found != best) {
			*a = (size_t)found;
			*b = (size_t)best;
			return CHOICE_SEVERAL;
		}
	}
	return found;
}

/*
 * The choice [start, end) of text states alone: the whole line, once
 * markup and quotes around it ('*', '_', '`', '#', '>', '"', brackets),
 * a label before a colon ("Verdict:", "**Final answer:**") and closing
 * punctuation are set aside, is that choice.  CHOICE_NONE otherwise.
 */
static long alone_choice(const struct judge_spec *judge, const char *text,
			 size_t start, size_t end)
{
	static const char around[] = " \t\r*_`#>\"'()[]";
	const char *s = text + start, *e = text + end;
	const char *colon = memchr(s, ':', (size_t)(e - s));

	if (colon) {
		const char *p = s;

		while (p < colon &&
		       (isalpha((unsigned char)*p) || strchr(around, *p)))
			p++;
		if (p == colon)
			s = colon + 1;
	}
	while (s < e && strchr(around, *s))
		s++;
	while (e > s && (strchr(around, e[-1]) || strchr(".!;", e[-1])))
		e--;
	for (size_t i = 0; i < judge->nchoices; i++) {
		size_t n = strlen(judge->choices[i].choice);

		if (n == (size_t)(e - s) &&
		    same_fold(s, judge->choices[i].choice, n))
			return (long)i;
	}
	return CHOICE_NONE;
}

/* True when word (lower case) is one of the judge's choices. */
static int choice_named(const struct judge_spec *judge, const char *word)
{
	for (size_t k = 0; k < judge->nchoices; k++)
		if (strlen(judge->choices[k].choice) == strlen(word) &&
		    same_fold(word, judge->choices[k].choice, strlen(word)))
			return 1;
	return 0;
}

/*
 * True when the clause that states a choice negates or conditions it:
 * [start, end) of text is the part of the line before the choice, and
 * the clause is what follows its last '.', ',', ';', ':', '!' or '?'.
 * It negates with "not", "never", "cannot", "neither", "nor" or a word
 * in "n't", conditions with "if", "unless" or "had", and "would",
 * "could" or "might" right before the choice ("it would PASS") make it
 * a supposition; the judge's choices themselves are not these words.
 * "I would rate it a 7." and "It has no flaw, so it is a PASS." stand.
 */
static int hedged(const struct judge_spec *judge, const char *text,
		  size_t start, size_t end)
{
	static const char *const anywhere[] = { "not",	   "never", "cannot",
						"neither", "nor",   "if",
						"unless",  "had",   NULL };
	static const char *const before[] = { "would", "could", "might", NULL };
	char last[2][16] = { "", "" }; /* the clause's last two words */
	size_t at = end;

	while (at > start && !strchr(".,;:!?", text[at - 1]))
		at--;
	while (at < end) {
		size_t n = 0;
		char word[16];

		while (at < end && !isalpha((unsigned char)text[at]))
			at++;
		while (at + n < end && (isalpha((unsigned char)text[at + n]) ||
					text[at + n] == '\''))
			n++;
		if (!n)
			break;
		at += n;
		if (n >= sizeof(word))
			continue; /* no word of the lists is that long */
		for (size_t k = 0; k < n; k++)
			word[k] =
				(char)tolower((unsigned char)text[at - n + k]);
		word[n] = '\0';
		if (choice_named(judge, word))
			continue;
		if ((n >= 3 && !strcmp(word + n - 3, "n't")) ||
		    pe_listed(anywhere, word))
			return 1;
		memcpy(last[0], last[1], sizeof(last[1]));
		memcpy(last[1], word, n + 1);
	}
	/* "it would PASS", "it would be good" */
	return pe_listed(before, last[1]) ||
	       (!strcmp(last[1], "be") && pe_listed(before, last[0]));
}

/* Where choice k is first stated in [start, end) of text (len bytes). */
static size_t choice_at(const struct judge_spec *judge, const char *text,
			size_t len, size_t start, size_t end, size_t k)
{
	const char *c = judge->choices[k].choice;
	size_t n = strlen(c);

	for (size_t at = start; at + n <= end; at++)
		if (same_fold(text + at, c, n) && whole_token(text, len, at, n))
			return at;
	return end;
}

/*
 * The choice the reply states (see the top of this file): that of its
 * last line that states one, L.  A line that states a choice alone (A,
 * the last such) weighs too: when L is not alone and A states another
 * choice, the reply is undecided (CHOICE_CONFLICT); when L would pass
 * but hedges ("It does not PASS."), A decides, or without one the reply
 * is CHOICE_HEDGED.  Returns the choice's index, CHOICE_NONE,
 * CHOICE_SEVERAL (two choices on L) or CHOICE_CONFLICT (A's, then L's)
 * with the two in *a and *b, or CHOICE_HEDGED;
 * the line at fault, or that decides, is [*line, *line + *line_len).
 */
static long reply_choice(const struct judge_spec *judge, const char *reply,
			 size_t len, size_t *a, size_t *b, size_t *line,
			 size_t *line_len)
{
	size_t end = len, l_start = 0, l_end = 0, x, y;
	long l = CHOICE_NONE, alone = CHOICE_NONE;
	int l_alone = 0; /* L states its choice alone */

	for (;;) {
		size_t start = end;
		long k;

		while (start > 0 && reply[start - 1] != '\n')
			start--;
		/* Only L's pair is told; earlier lines' go to x, y. */
		k = line_choice(judge, reply, len, start, end,
				l == CHOICE_NONE ? a : &x,
				l == CHOICE_NONE ? b : &y);
		if (k != CHOICE_NONE && l == CHOICE_NONE) {
			l = k;
			l_start = start;
			l_end = end;
		}
		if (k >= 0 && alone == CHOICE_NONE) {
			alone = alone_choice(judge, reply, start, end);
			l_alone = alone != CHOICE_NONE && start == l_start;
		}
		if (l == CHOICE_SEVERAL || alone != CHOICE_NONE || !start)
			break;
		end = start - 1;
	}
	*line = l_start;
	*line_len = l_end - l_start;
	if (l < 0)
		return l;
	if (l_alone)
		return l;
	if (verdict_of(judge, judge->choices[l].score) == PE_VERDICT_PASS &&
	    hedged(judge, reply, l_start,
		   choice_at(judge, reply, len, l_start, l_end, (size_t)l)))
		return alone != CHOICE_NONE ? alone : CHOICE_HEDGED;
	if (alone != CHOICE_NONE && alone != l) {
		*a = (size_t)alone;
		*b = (size_t)l;
		return CHOICE_CONFLICT;
	}
	return l;
}

/*
 * Quotes text from a reply for a reason: its first max bytes (cut at a
 * character), on one line, with control characters escaped, so that a
 * reply cannot drive the terminal that shows the reason.
 */
static char *quote_reply(const char *s, size_t len, size_t max)
{
	size_t n = pe_utf8_cut(s, len, max);
	char *flat = xstrndup(s, n);
	struct pe_buf b;

	for (size_t i = 0; i < n; i++)
		if (flat[i] == '\n' || flat[i] == '\r' || flat[i] == '\t')
			flat[i] = ' ';
	pe_buf_init(&b, 0);
	pe_terminal_text(&b, flat, n);
	if (n < len)
		pe_buf_adds(&b, "...");
	free(flat);
	return pe_buf_detach(&b, NULL);
}

/* Pass or fail for a score, by the judge's pass rule. */
static enum pe_verdict verdict_of(const struct judge_spec *judge, double score)
{
	int pass = judge->pass_inclusive ? score + 1e-9 >= judge->pass_score
					 : score > judge->pass_score;

	return pass ? PE_VERDICT_PASS : PE_VERDICT_FAIL;
}

/* Reads the judge's reply; see evaluator.h. */
static void read_judge(const void *state, const struct pe_evalspec *spec,
		       const char *reply, size_t len,
		       struct pe_eval_result *out)
{
	const struct judge_spec *judge = spec->data;
	size_t a = 0, b = 0, line = 0, line_len = 0;
	long k = reply_choice(judge, reply, len, &a, &b, &line, &line_len);
	char *quoted;

	(void)state;
	if (k < 0) {
		/* Undecided: skipped, with the reply or its line quoted. */
		quoted = k == CHOICE_NONE
				 ? quote_reply(reply, len, 60)
				 : quote_reply(reply + line, line_len, 60);
		if (k == CHOICE_NONE)
			pe_result_set(out, PE_VERDICT_SKIP, 0,
				      "the judge's reply states no choice: "
				      "'%s'",
				      quoted);
		else if (k == CHOICE_HEDGED)
			pe_result_set(out, PE_VERDICT_SKIP, 0,
				      "the judge's reply is undecided: its "
				      "last line with a choice negates or "
				      "conditions it, and no line states a "
				      "choice alone: '%s'",
				      quoted);
		else if (k == CHOICE_CONFLICT)
			pe_result_set(out, PE_VERDICT_SKIP, 0,
				      "the judge's reply is undecided: a line "
				      "states '%s' alone, and its last line "
				      "with a choice states '%s': '%s'",
				      judge->choices[a].choice,
				      judge->choices[b].choice, quoted);
		else
			pe_result_set(out, PE_VERDICT_SKIP, 0,
				      "the judge's reply ends undecided: its "
				      "last line with a choice states '%s' "
				      "and '%s': '%s'",
				      judge->choices[a].choice,
				      judge->choices[b].choice, quoted);
		free(quoted);
		return;
	}
	if (judge->scale)
		pe_result_set(out, verdict_of(judge, judge->choices[k].score),
			      judge->choices[k].score,
			      "judge graded %s of %u (passes at %u)",
			      judge->choices[k].choice, judge->scale,
			      judge->pass_mark);
	else
		pe_result_set(out, verdict_of(judge, judge->choices[k].score),
			      judge->choices[k].score, "judge chose '%s'",
			      judge->choices[k].choice);
}

/* The choice a score stands for (the first with that score). */
static const char *choice_of(const struct judge_spec *judge, double score)
{
	for (size_t i = 0; i < judge->nchoices; i++)
		if (judge->choices[i].score == score)
			return judge->choices[i].choice;
	return "?";
}

static int compare_scores(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Combines a judge's samples into its result; see evaluator.h.  One
 * sample is the result.  Of several, an error makes an error; when no
 * more than half stated a choice, the judge is skipped; otherwise the
 * median score of those that did decides (the lower median of an even
 * count), and the reason gives every choice and how many agree.
 */
static void combine_judge(const void *state, const struct pe_evalspec *spec,
			  const struct pe_eval_result *samples, size_t n,
			  struct pe_eval_result *out)
{
	const struct judge_spec *judge = spec->data;
	double *scores = xcalloc(n ? n : 1, sizeof(*scores));
	size_t answered = 0, agree = 0, first_skip = n;
	double median;
	struct pe_buf list;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		if (samples[i].verdict == PE_VERDICT_ERROR) {
			if (n > 1)
				pe_result_set(out, PE_VERDICT_ERROR, 0,
					      "sample %zu of %zu: %s", i + 1, n,
					      samples[i].reason);
			else
				pe_result_set(out, PE_VERDICT_ERROR, 0, "%s",
					      samples[i].reason);
			free(scores);
			return;
		}
		if (samples[i].verdict == PE_VERDICT_SKIP) {
			if (first_skip == n)
				first_skip = i;
			continue;
		}
		scores[answered++] = samples[i].score;
	}
	if (n == 1 || answered * 2 <= n) {
		if (n == 1)
			pe_result_set(out, samples[0].verdict, samples[0].score,
				      "%s", samples[0].reason);
		else
			pe_result_set(out, PE_VERDICT_SKIP, 0,
				      "%zu of %zu samples stated a choice; "
				      "sample %zu: %s",
				      answered, n, first_skip + 1,
				      samples[first_skip].reason);
		free(scores);
		return;
	}
	pe_buf_init(&list, 0);
	for (size_t i = 0; i < answered; i++)
		pe_buf_addf(&list, "%s%s", i ? ", " : "",
			    choice_of(judge, scores[i]));
	qsort(scores, answered, sizeof(*scores), compare_scores);
	median = scores[(answered - 1) / 2];
	for (size_t i = 0; i < answered; i++)
		agree += scores[i] == median;
	if (judge->scale)
		pe_result_set(out, verdict_of(judge, median), median,
			      "judge graded %s of %u, passes at %u (%zu "
			      "samples: %s; %zu of %zu agree)",
			      choice_of(judge, median), judge->scale,
			      judge->pass_mark, n, pe_buf_str(&list), agree,
			      answered);
	else
		pe_result_set(out, verdict_of(judge, median), median,
			      "judge chose '%s' (%zu samples: %s; %zu of %zu "
			      "agree)",
			      choice_of(judge, median), n, pe_buf_str(&list),
			      agree, answered);
	pe_buf_release(&list);
	free(scores);
}

/* How many times the judge is asked about each answer. */
static unsigned judge_samples(const struct pe_evalspec *spec)
{
	const struct judge_spec *judge = spec->data;

	return judge->samples;
}

static const char *const llm_keys[] = { "llm", NULL };
static const char *const criteria_keys[] = { "model", "model_graded", NULL };
static const char *const criteria_types[] = { "prompt_evaluator",
					      "model_graded", "llm_eval",
					      "model", NULL };
static const char *const judge_known_keys[] = {
	"llm",	      "model",	 "prompt",	   "criteria", "instructions",
	"parameters", "choices", "expectedResult", NULL
};
/* Model-graded entries read other libraries' keys too. */
static const char *const criteria_known_keys[] = { "model",
						   "prompt",
						   "criteria",
						   "instructions",
						   "parameters",
						   "choices",
						   "expectedResult",
						   "model_graded",
						   "assertion",
						   "target",
						   NULL };
static const char *const builtin_keys[] = { "uses", NULL };
static const char *const rule_keys[] = { "rule", NULL };
static const char *const rubric_keys[] = { "judge", NULL };
/*
 * {{completion}} in a judge prompt is the answer being judged, not a
 * test-case variable, so the loader does not ask the cases for it.
 */
static const char *const judge_provides[] = { "completion", NULL };

/* The ops every judge shares: asking, reading, combining samples. */
#define JUDGE_OPS                                                              \
	.provides = judge_provides, .release = free_judge_spec,                \
	.compile = pe_evaluator_compile_nothing, .score = score_unasked,       \
	.judge_model = own_model, .judge_ask = ask_judge,                      \
	.judge_read = read_judge, .judge_samples = judge_samples,              \
	.judge_combine = combine_judge

/* llm: {modelId, systemPrompt, prompt, choices}, the gh-models shape. */
const struct pe_evaluator_ops pe_llm_ops = {
	.name = "llm",
	.example = "{llm: {prompt: 'Is {{completion}} polite?', choices: "
		   "[{choice: 'yes', score: 1}, {choice: 'no', score: 0}]}}",
	.keys = llm_keys,
	.known_keys = judge_known_keys,
	.hint = 1,
	.parse = parse_llm,
	.template_at = judge_template,
	.describe = describe_judge,
	JUDGE_OPS,
};

/*
 * model: with criteria, type: prompt_evaluator, model_graded and
 * llm_eval, from prompt libraries.
 */
const struct pe_evaluator_ops pe_criteria_ops = {
	.name = "llm",
	.example = "{model: openai/gpt-4o, criteria: is polite}",
	.keys = criteria_keys,
	.types = criteria_types,
	.known_keys = criteria_known_keys,
	.parse = parse_criteria,
	.template_at = judge_template,
	.describe = describe_judge,
	JUDGE_OPS,
};

/*
 * uses: github/similarity and the other gh-models built-ins.  Their judge
 * is gh-models' own, openai/gpt-4o (GitHub Models), unless the run names
 * one.
 */
const struct pe_evaluator_ops pe_builtin_ops = {
	.name = "builtin",
	.example = "{uses: github/coherence}",
	.keys = builtin_keys,
	.known_keys = builtin_keys,
	.hint = 1,
	.parse = parse_builtin,
	.describe = describe_builtin,
	.default_judge = "openai/gpt-4o",
	JUDGE_OPS,
};

/* rule: and a bare sentence: a rule in plain words, for the run's judge. */
const struct pe_evaluator_ops pe_rule_ops = {
	.name = "rule",
	.example = "{rule: be concise}",
	.keys = rule_keys,
	.known_keys = rule_keys,
	.sentence = 1,
	.parse = parse_rule,
	.template_at = judge_template,
	.describe = describe_judge,
	JUDGE_OPS,
};

/* judge:, prompteval's rubric judge. */
const struct pe_evaluator_ops pe_rubric_ops = {
	.name = "judge",
	.example = "{judge: {rubric: 'Every phase has a rollback step', "
		   "scale: 5, pass: 4}}",
	.keys = rubric_keys,
	.known_keys = rubric_keys,
	.hint = 1,
	.parse = parse_rubric,
	.template_at = judge_template,
	.describe = describe_judge,
	JUDGE_OPS,
};
