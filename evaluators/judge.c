/*
 * LLM judges: "llm:" (gh-models: a prompt, its choices and their scores),
 * "uses: github/<name>" (the gh-models built-ins, with prompts written
 * here), and model-graded criteria ("model:" with criteria or a prompt,
 * "type: prompt_evaluator"), read as a judge whose choices are PASS and
 * FAIL.
 *
 * A judge runs only where a model can answer it: "run" asks the judge
 * model through the runner (judge_ask, then judge_read on the reply); with
 * no judge model, and in "score", score() reports it as skipped, which
 * leaves its case ungraded, never passed.
 *
 * The reply is read by a rule stricter than gh-models': a choice matches
 * only as a whole token ("1" is not in "10" or "1.5"; letters, digits,
 * '_', non-ASCII bytes and a decimal point between digits make up
 * tokens), without regard to ASCII case, and of
 * the choices found, the one stated last wins (its last occurrence ends
 * latest; at the same end, the longer choice), so a rating written after
 * the reasoning beats numbers quoted in it.  A reply that states no choice
 * is skipped, with its start in the reason.  Choice scores above 1 are
 * divided by the largest choice's score, as in [0, 1]; a judge passes when
 * its score is above 0.
 */
#include "evaluators/evaluator.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "evaluators/settings.h"
#include "harness/core/banned.h"

struct judge_choice {
	char *choice;
	double score;
};

/* How the user message is made from the prompt. */
enum judge_shape {
	SHAPE_PROMPT,	/* llm: and the built-ins: the prompt, rendered */
	SHAPE_CRITERIA, /* model-graded: the criteria, then the answer */
};

/* What a judge says: the prompt to send and how to read the reply. */
struct judge_spec {
	enum judge_shape shape;
	char *builtin; /* "similarity" for uses: github/similarity */
	char *model;   /* NULL when the file names none */
	struct pe_template *system_prompt; /* NULL: no system message */
	struct pe_template *prompt; /* the case's variables and completion */
	const struct pe_node *prompt_node; /* NULL for a built-in */
	struct judge_choice *choices;	   /* scores in [0, 1] */
	size_t nchoices;
};

static void free_judge_spec(void *data)
{
	struct judge_spec *judge = data;

	for (size_t i = 0; i < judge->nchoices; i++)
		free(judge->choices[i].choice);
	free(judge->choices);
	pe_template_free(judge->prompt);
	pe_template_free(judge->system_prompt);
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

static void skip_judge(const char *what, struct pe_eval_result *out)
{
	pe_result_set(out, PE_VERDICT_SKIP, 0, "%s judge did not run: %s", what,
		      PE_NO_JUDGE_MODEL);
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

/* The system message of model-graded criteria. */
#define CRITERIA_SYSTEM                                                        \
	"You judge whether an answer meets a criterion.  Explain briefly, "    \
	"then write PASS or FAIL alone on the last line."

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
	struct judge_spec *judge = xcalloc(1, sizeof(*judge));
	static const char *const ratings[] = { "1", "2", "3", "4", "5" };

	judge->shape = SHAPE_PROMPT;
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
		if (!isfinite(score->fval)) {
			pe_diag_error(diag, &score->mark,
				      "choice score %s is not a number",
				      score->text);
			return PE_ERR_INVALID;
		}
		pe_node_check_keys(item, known, "an llm choice", diag);
		judge->choices[i].choice = xstrdup(choice->text);
		judge->choices[i].score = score->fval;
		judge->nchoices++;
	}
	normalise_choices(judge);
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
	judge->shape = SHAPE_PROMPT;
	judge->model = model ? xstrdup(model->text) : NULL;
	judge->system_prompt =
		system ? pe_template_parse(system->text, system->len) : NULL;
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
	judge->shape = SHAPE_CRITERIA;
	judge->model = pe_setting_text(model) ? xstrdup(model->text) : NULL;
	judge->system_prompt =
		pe_template_parse(CRITERIA_SYSTEM, strlen(CRITERIA_SYSTEM));
	judge->prompt = pe_template_parse(criteria->text, criteria->len);
	judge->prompt_node = criteria;
	add_choice(judge, "FAIL", 0);
	add_choice(judge, "PASS", 1);
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

/* The judge prompt as the file wrote it (built-ins have their own). */
static const struct pe_template *judge_template(const struct pe_evalspec *spec,
						size_t i,
						const struct pe_node **node)
{
	const struct judge_spec *judge = spec->data;

	if (i > 0 || !judge->prompt_node)
		return NULL;
	*node = judge->prompt_node;
	return judge->prompt;
}

/* "model m; system prompt 's'; prompt 'p'; choices: good 1, bad 0". */
static void describe_judge(const struct pe_evalspec *spec, struct pe_buf *out)
{
	const struct judge_spec *judge = spec->data;
	const struct pe_node *system =
		pe_node_get(pe_node_get(spec->node, "llm"), "systemPrompt");

	if (judge->model)
		pe_buf_addf(out, "model %s; ", judge->model);
	if (system)
		pe_buf_addf(out, "system prompt '%s'; ", system->text);
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

/* A map {completion: output} that comes first in a judge's templates. */
static const struct pe_node *completion_scope(struct pe_doc *doc,
					      const char *output, size_t len)
{
	struct pe_mark m = { "judge", 0, 0 };
	struct pe_node *map = pe_doc_node(doc, PE_NODE_MAP, &m);
	struct pe_node *key = pe_doc_node(doc, PE_NODE_STRING, &m);
	struct pe_node *value = pe_doc_node(doc, PE_NODE_STRING, &m);

	key->text = pe_doc_strndup(doc, "completion", 10);
	key->len = 10;
	value->text = pe_doc_strndup(doc, output ? output : "", len);
	value->len = len;
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
	int rc = PE_OK;

	(void)state;
	if (!prompt) {
		rc = PE_ERR_INVALID;
	} else if (judge->shape == SHAPE_CRITERIA) {
		ask->user = xstrfmt("Criterion: %s\n\nAnswer:\n%.*s\n\n"
				    "Does the answer meet the criterion? End "
				    "your reply with PASS or FAIL alone on the "
				    "last line.",
				    prompt, (int)in->len,
				    in->output ? in->output : "");
		free(prompt);
	} else {
		ask->user = prompt;
	}
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
	pe_doc_free(doc);
	if (rc)
		pe_judge_ask_release(ask);
	return rc;
}

static int word_byte(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

/* A decimal point: '.' between digits ("1.5" is one token). */
static int decimal_point(const unsigned char *t, size_t len, size_t i)
{
	return t[i] == '.' && i > 0 && i + 1 < len && isdigit(t[i - 1]) &&
	       isdigit(t[i + 1]);
}

/* True when [at, at + n) of text (len bytes) is a whole token. */
static int whole_token(const char *text, size_t len, size_t at, size_t n)
{
	const unsigned char *t = (const unsigned char *)text;

	if (at > 0 && ((word_byte(t[at - 1]) && word_byte(t[at])) ||
		       decimal_point(t, len, at - 1)))
		return 0;
	if (at + n < len &&
	    ((word_byte(t[at + n]) && word_byte(t[at + n - 1])) ||
	     decimal_point(t, len, at + n)))
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

/*
 * The choice the reply states last (see the top of this file), or -1.
 * The reply is read from its end, so the first match found ends last.
 */
static long last_choice(const struct judge_spec *judge, const char *reply,
			size_t len)
{
	long best = -1;
	size_t best_end = 0, best_len = 0;

	for (size_t i = 0; i < judge->nchoices; i++) {
		const char *c = judge->choices[i].choice;
		size_t n = strlen(c);

		for (size_t at = len >= n ? len - n + 1 : 0; n && at-- > 0;) {
			if (!same_fold(reply + at, c, n) ||
			    !whole_token(reply, len, at, n))
				continue;
			if (at + n > best_end ||
			    (at + n == best_end && n > best_len)) {
				best = (long)i;
				best_end = at + n;
				best_len = n;
			}
			break;
		}
	}
	return best;
}

/* Reads the judge's reply; see evaluator.h. */
static void read_judge(const void *state, const struct pe_evalspec *spec,
		       const char *reply, size_t len,
		       struct pe_eval_result *out)
{
	const struct judge_spec *judge = spec->data;
	long k = last_choice(judge, reply, len);
	char *start;

	(void)state;
	if (k < 0) {
		start = pe_shorten(reply, len, 60);
		pe_result_set(out, PE_VERDICT_SKIP, 0,
			      "the judge's reply states no choice: '%s'",
			      start);
		free(start);
		return;
	}
	pe_result_set(out,
		      judge->choices[k].score > 0 ? PE_VERDICT_PASS
						  : PE_VERDICT_FAIL,
		      judge->choices[k].score, "judge chose '%s'",
		      judge->choices[k].choice);
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
	.judge_model = own_model,
	.judge_ask = ask_judge,
	.judge_read = read_judge,
};

/* model: with criteria, type: prompt_evaluator, from prompt libraries. */
const struct pe_evaluator_ops pe_criteria_ops = {
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
	.judge_model = own_model,
	.judge_ask = ask_judge,
	.judge_read = read_judge,
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
	.release = free_judge_spec,
	.describe = describe_builtin,
	.compile = pe_evaluator_compile_nothing,
	.score = score_builtin,
	.judge_model = own_model,
	.default_judge = "openai/gpt-4o",
	.judge_ask = ask_judge,
	.judge_read = read_judge,
};
