/*
 * Evaluator shape recognition.  The kind is decided first (an explicit
 * "type:" wins, then the first kind key found), then each kind reads its
 * own keys.  Unknown keys are warnings, missing or mistyped required keys
 * are errors, so that a typo never turns into an evaluator that passes.
 */
#include "harness/load/evalspec.h"

#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

static const char *const builtin_names[] = { "similarity",   "coherence",
					     "fluency",	     "relevance",
					     "groundedness", NULL };

static const char *const type_names[] = {
	"regex",     "regex_match", "contains",		"includes",
	"icontains", "equals",	    "startsWith",	"endsWith",
	"string",    "llm",	    "prompt_evaluator", "python",
	"rule",	     NULL
};

/* Keys that every evaluator may carry. */
#define COMMON_KEYS "name", "description", "weight", "not", "type"

static const char *const kind_keys[] = { "string", "regex", "llm",   "uses",
					 "python", "rule",  "model", "sections",
					 "format", "table", "code",  "length",
					 "json",   NULL };

/* prompteval's own kinds: one key whose value holds the settings. */
struct structure_kind {
	const char *key;
	enum pe_eval_kind kind;
};

static const struct structure_kind structure_kinds[] = {
	{ "sections", PE_EVAL_SECTIONS },
	{ "format", PE_EVAL_FORMAT },
	{ "table", PE_EVAL_TABLE },
	{ "code", PE_EVAL_CODE },
	{ "length", PE_EVAL_LENGTH },
	{ "json", PE_EVAL_JSON },
	{ NULL, PE_EVAL_JSON }
};

static const char *scalar(const struct pe_node *n)
{
	return pe_node_is_scalar(n) && n->kind != PE_NODE_NULL ? n->text : NULL;
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

static void add_value(struct pe_evalspec *spec, const struct pe_node *n)
{
	spec->values = xrealloc(spec->values,
				(spec->nvalues + 1) * sizeof(*spec->values));
	spec->value_nodes =
		xrealloc(spec->value_nodes,
			 (spec->nvalues + 1) * sizeof(*spec->value_nodes));
	spec->values[spec->nvalues] = pe_template_parse(n->text, n->len);
	spec->value_nodes[spec->nvalues] = n;
	spec->nvalues++;
}

struct string_op_name {
	const char *name;
	enum pe_string_op op;
	int case_sensitive;
	int negate;
};

/*
 * Spellings in "string:" mappings, in gh-models precedence order for the
 * first four.  gh-models compares contains/startsWith/endsWith without
 * case and equals with case; "icontains" is the explicit spelling.
 */
static const struct string_op_name string_ops[] = {
	{ "equals", PE_STR_EQUALS, 1, 0 },
	{ "contains", PE_STR_CONTAINS, 0, 0 },
	{ "startsWith", PE_STR_STARTS_WITH, 0, 0 },
	{ "endsWith", PE_STR_ENDS_WITH, 0, 0 },
	{ "icontains", PE_STR_CONTAINS, 0, 0 },
	{ "containsAny", PE_STR_CONTAINS_ANY, 0, 0 },
	{ "containsAll", PE_STR_CONTAINS_ALL, 0, 0 },
	{ "notContains", PE_STR_CONTAINS, 0, 1 },
	{ "does_not_contain", PE_STR_CONTAINS, 0, 1 },
	{ "not_contains", PE_STR_CONTAINS, 0, 1 },
	{ NULL, PE_STR_EQUALS, 0, 0 }
};

static int read_string_values(struct pe_evalspec *spec,
			      const struct pe_node *value, const char *key,
			      struct pe_diag *diag)
{
	int many = spec->op == PE_STR_CONTAINS_ANY ||
		   spec->op == PE_STR_CONTAINS_ALL;

	if (many && value->kind == PE_NODE_SEQ) {
		if (!value->count) {
			pe_diag_error(diag, &value->mark,
				      "'%s' needs at least one string", key);
			return PE_ERR_INVALID;
		}
		for (size_t i = 0; i < value->count; i++) {
			if (!scalar(value->items[i])) {
				pe_diag_error(diag, &value->items[i]->mark,
					      "'%s' items must be strings, "
					      "not a %s",
					      key,
					      pe_node_kind_name(
						      value->items[i]->kind));
				return PE_ERR_INVALID;
			}
			add_value(spec, value->items[i]);
		}
		return PE_OK;
	}
	if (!scalar(value)) {
		pe_diag_error(diag, &value->mark, "'%s' must be %s, not a %s",
			      key, many ? "a list of strings" : "a string",
			      pe_node_kind_name(value->kind));
		return PE_ERR_INVALID;
	}
	if (!value->len) {
		pe_diag_error(diag, &value->mark,
			      "'%s' is empty, so it would match everything",
			      key);
		return PE_ERR_INVALID;
	}
	add_value(spec, value);
	return PE_OK;
}

/* A "string:" mapping (gh-models), or "type: contains" with "value". */
static int parse_regex_value(struct pe_evalspec *spec,
			     const struct pe_node *value, struct pe_diag *diag);

static int parse_string_map(struct pe_evalspec *spec, const struct pe_node *map,
			    struct pe_diag *diag)
{
	const struct string_op_name *chosen = NULL;
	const struct pe_node *regex = pe_node_get(map, "regex");
	const char *known[32];
	size_t nknown = 0;

	if (map->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &map->mark,
			      "'string' must be a mapping such as {contains: "
			      "\"text\"}, not a %s",
			      pe_node_kind_name(map->kind));
		return PE_ERR_INVALID;
	}
	if (regex) {
		/* Seen in real files: string: {regex: ...}.  Run it as regex. */
		int rc = parse_regex_value(spec, regex, diag);

		spec->body = map;
		return rc;
	}
	for (const struct string_op_name *o = string_ops; o->name; o++) {
		known[nknown++] = o->name;
		if (!chosen && pe_node_get(map, o->name))
			chosen = o;
	}
	known[nknown] = NULL;
	pe_node_check_keys(map, known, "a string evaluator", diag);
	if (!chosen) {
		pe_diag_error(diag, &map->mark,
			      "string evaluator has no check: use one of "
			      "equals, contains, startsWith, endsWith, "
			      "icontains, containsAny, containsAll");
		return PE_ERR_INVALID;
	}
	for (const struct string_op_name *o = chosen + 1; o->name; o++) {
		const struct pe_pair *extra = pe_node_pair(map, o->name);

		if (extra)
			pe_diag_warning(diag, &extra->key->mark,
					"'%s' is ignored: a string evaluator "
					"checks one thing and '%s' comes "
					"first; use a second evaluator",
					o->name, chosen->name);
	}
	spec->op = chosen->op;
	spec->case_sensitive = chosen->case_sensitive;
	spec->negate ^= chosen->negate;
	return read_string_values(spec, pe_node_get(map, chosen->name),
				  chosen->name, diag);
}

static int parse_choices(struct pe_evalspec *spec, const struct pe_node *list,
			 struct pe_diag *diag)
{
	if (!list || list->kind != PE_NODE_SEQ || !list->count) {
		pe_diag_error(diag, list ? &list->mark : &spec->mark,
			      "llm evaluator needs 'choices': a list of "
			      "{choice, score}");
		return PE_ERR_INVALID;
	}
	spec->choices = xcalloc(list->count, sizeof(*spec->choices));
	for (size_t i = 0; i < list->count; i++) {
		const struct pe_node *item = list->items[i];
		const struct pe_node *choice = pe_node_get(item, "choice");
		const struct pe_node *score = pe_node_get(item, "score");
		static const char *const known[] = { "choice", "score", NULL };

		if (!scalar(choice) || !score ||
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
		spec->choices[i].choice = xstrdup(choice->text);
		spec->choices[i].score = score->fval;
		spec->nchoices++;
	}
	return PE_OK;
}

static int parse_llm(struct pe_evalspec *spec, const struct pe_node *map,
		     struct pe_diag *diag)
{
	static const char *const known[] = { "modelId", "systemPrompt",
					     "prompt", "choices", NULL };
	const struct pe_node *prompt = pe_node_get(map, "prompt");
	const struct pe_node *model = pe_node_get(map, "modelId");
	const struct pe_node *system = pe_node_get(map, "systemPrompt");

	if (map->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &map->mark,
			      "'llm' must be a mapping, not a %s",
			      pe_node_kind_name(map->kind));
		return PE_ERR_INVALID;
	}
	pe_node_check_keys(map, known, "an llm evaluator", diag);
	if (require_string(prompt, map, "prompt", diag))
		return PE_ERR_INVALID;
	if (model && !scalar(model)) {
		pe_diag_error(diag, &model->mark, "'modelId' must be a string");
		return PE_ERR_INVALID;
	}
	if (system && !scalar(system)) {
		pe_diag_error(diag, &system->mark,
			      "'systemPrompt' must be a string");
		return PE_ERR_INVALID;
	}
	spec->judge_model = model ? xstrdup(model->text) : NULL;
	spec->system_prompt = system ? xstrdup(system->text) : NULL;
	spec->judge_prompt = pe_template_parse(prompt->text, prompt->len);
	spec->judge_prompt_node = prompt;
	return parse_choices(spec, pe_node_get(map, "choices"), diag);
}

/*
 * Model-graded shapes from prompt libraries: "model:" with a prompt or
 * criteria, and "type: prompt_evaluator" with parameters.criteria.  They
 * become an llm judge that answers PASS or FAIL on the criteria.
 */
static int parse_criteria_judge(struct pe_evalspec *spec,
				const struct pe_node *node,
				struct pe_diag *diag)
{
	const struct pe_node *params = pe_node_get(node, "parameters");
	const struct pe_node *criteria = pe_node_get(node, "criteria");
	const struct pe_node *model = pe_node_get(node, "model");

	if (!criteria)
		criteria = pe_node_get(node, "prompt");
	if (!criteria && params)
		criteria = pe_node_get(params, "criteria");
	if (!scalar(criteria)) {
		pe_diag_error(diag, &node->mark,
			      "model-graded evaluator needs 'criteria' (or "
			      "'prompt') as text");
		return PE_ERR_INVALID;
	}
	spec->kind = PE_EVAL_LLM;
	spec->judge_model = scalar(model) ? xstrdup(model->text) : NULL;
	spec->judge_prompt = pe_template_parse(criteria->text, criteria->len);
	spec->judge_prompt_node = criteria;
	spec->choices = xcalloc(2, sizeof(*spec->choices));
	spec->choices[0].choice = xstrdup("FAIL");
	spec->choices[0].score = 0;
	spec->choices[1].choice = xstrdup("PASS");
	spec->choices[1].score = 1;
	spec->nchoices = 2;
	return PE_OK;
}

static int parse_builtin(struct pe_evalspec *spec, const struct pe_node *uses,
			 struct pe_diag *diag)
{
	const char *name;
	const char *hint;

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
			spec->builtin = xstrdup(name);
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

static int parse_skipped(struct pe_evalspec *spec, const struct pe_node *text)
{
	spec->skipped_text = xstrdup(scalar(text) ? text->text : "");
	return PE_OK;
}

static int is_pattern(const struct pe_node *n)
{
	return n && scalar(n) && n->len;
}

static int pattern_error(const struct pe_evalspec *spec,
			 const struct pe_node *at, struct pe_diag *diag)
{
	pe_diag_error(diag, at ? &at->mark : &spec->mark,
		      "regex evaluator needs a non-empty pattern (or a "
		      "non-empty list of them)");
	return PE_ERR_INVALID;
}

static int parse_regex_value(struct pe_evalspec *spec,
			     const struct pe_node *value, struct pe_diag *diag)
{
	const struct pe_node *match;

	spec->kind = PE_EVAL_REGEX;
	if (value && value->kind == PE_NODE_MAP) {
		static const char *const known[] = { "pattern", "match",
						     "flags",	"count",
						     "target",	NULL };

		pe_node_check_keys(value, known, "a regex evaluator", diag);
		match = pe_node_get(value, "match");
		if (match && match->kind == PE_NODE_BOOL && !match->bval)
			spec->negate ^= 1;
		spec->body = value;
		value = pe_node_get(value, "pattern");
		if (!value) {
			pe_diag_error(diag, &spec->mark,
				      "regex evaluator needs 'pattern'");
			return PE_ERR_INVALID;
		}
	}
	if (value && value->kind == PE_NODE_SEQ) {
		/* A list of patterns: every one must match. */
		for (size_t i = 0; i < value->count; i++)
			if (!is_pattern(value->items[i]))
				return pattern_error(spec, value->items[i],
						     diag);
		if (!value->count)
			return pattern_error(spec, value, diag);
	} else if (!is_pattern(value)) {
		return pattern_error(spec, value, diag);
	}
	if (!spec->body) {
		const struct pe_node *m = pe_node_get(spec->node, "match");

		/* "match: false" beside the pattern inverts it too. */
		spec->body = spec->node;
		if (m && m->kind == PE_NODE_BOOL && !m->bval)
			spec->negate ^= 1;
	}
	spec->pattern = value;
	return PE_OK;
}

/* Decides the kind from "type:"; 1 when handled, else 0. */
static int parse_typed(struct pe_evalspec *spec, const struct pe_node *node,
		       const struct pe_node *type, int *rc,
		       struct pe_diag *diag)
{
	const char *t = type->text;

	if (!strcmp(t, "regex") || !strcmp(t, "regex_match")) {
		const struct pe_node *p = pe_node_get(node, "pattern");

		if (!p)
			p = pe_node_get(node, "regex");
		if (!p)
			p = pe_node_get(node, "value");
		*rc = parse_regex_value(spec, p, diag);
		return 1;
	}
	if (!strcmp(t, "string") && pe_node_get(node, "string"))
		return 0;
	for (const struct string_op_name *o = string_ops; o->name; o++) {
		if (strcmp(t, o->name) &&
		    !(!strcmp(t, "includes") && o->op == PE_STR_CONTAINS &&
		      !o->negate))
			continue;
		spec->kind = PE_EVAL_STRING;
		spec->op = o->op;
		spec->case_sensitive = o->case_sensitive;
		spec->negate ^= o->negate;
		if (!pe_node_get(node, "value")) {
			pe_diag_error(diag, &type->mark,
				      "'type: %s' needs 'value'", t);
			*rc = PE_ERR_INVALID;
		} else {
			*rc = read_string_values(spec,
						 pe_node_get(node, "value"),
						 "value", diag);
		}
		return 1;
	}
	if (!strcmp(t, "prompt_evaluator")) {
		*rc = parse_criteria_judge(spec, node, diag);
		return 1;
	}
	if (!strcmp(t, "llm") || !strcmp(t, "python") || !strcmp(t, "rule"))
		return 0;
	{
		const char *hint = pe_suggest(t, type_names);

		pe_diag_error(diag, &type->mark,
			      "unknown evaluator type '%s'%s%s%s", t,
			      hint ? " (did you mean '" : "", hint ? hint : "",
			      hint ? "'?)" : "");
	}
	*rc = PE_ERR_INVALID;
	return 1;
}

static int parse_by_key(struct pe_evalspec *spec, const struct pe_node *node,
			struct pe_diag *diag)
{
	const struct pe_node *v;

	if ((v = pe_node_get(node, "string")) != NULL) {
		spec->kind = PE_EVAL_STRING;
		return parse_string_map(spec, v, diag);
	}
	if ((v = pe_node_get(node, "regex")) != NULL)
		return parse_regex_value(spec, v, diag);
	if ((v = pe_node_get(node, "llm")) != NULL) {
		spec->kind = PE_EVAL_LLM;
		return parse_llm(spec, v, diag);
	}
	if ((v = pe_node_get(node, "uses")) != NULL) {
		spec->kind = PE_EVAL_BUILTIN;
		return parse_builtin(spec, v, diag);
	}
	if ((v = pe_node_get(node, "python")) != NULL) {
		spec->kind = PE_EVAL_PYTHON;
		return parse_skipped(spec, v);
	}
	if ((v = pe_node_get(node, "rule")) != NULL) {
		spec->kind = PE_EVAL_RULE;
		return parse_skipped(spec, v);
	}
	if (pe_node_get(node, "model"))
		return parse_criteria_judge(spec, node, diag);
	for (const struct structure_kind *k = structure_kinds; k->key; k++) {
		if ((v = pe_node_get(node, k->key)) != NULL) {
			spec->kind = k->kind;
			spec->body = v;
			return PE_OK;
		}
	}
	{
		/* Name the unknown key that looks most like a kind. */
		for (size_t i = 0; i < node->npairs; i++) {
			const char *k = node->pairs[i].key->text;
			const char *hint = pe_suggest(k, kind_keys);

			if (hint) {
				pe_diag_error(diag, &node->pairs[i].key->mark,
					      "unknown evaluator '%s' (did you "
					      "mean '%s'?)",
					      k, hint);
				return PE_ERR_INVALID;
			}
		}
	}
	pe_diag_error(diag, &node->mark,
		      "evaluator has no check: give one of string, regex, "
		      "llm, uses (or type: regex|contains|...)");
	return PE_ERR_INVALID;
}

static void read_common(struct pe_evalspec *spec, const struct pe_node *node,
			struct pe_diag *diag, int *rc)
{
	const struct pe_node *name = pe_node_get(node, "name");
	const struct pe_node *weight = pe_node_get(node, "weight");
	const struct pe_node *negate = pe_node_get(node, "not");

	if (name && !scalar(name)) {
		pe_diag_error(diag, &name->mark,
			      "evaluator 'name' must be a string, not a %s",
			      pe_node_kind_name(name->kind));
		*rc = PE_ERR_INVALID;
	}
	if (scalar(name))
		spec->name = xstrdup(name->text);
	if (weight) {
		if ((weight->kind != PE_NODE_INT &&
		     weight->kind != PE_NODE_FLOAT) ||
		    weight->fval < 0) {
			pe_diag_error(
				diag, &weight->mark,
				"evaluator 'weight' must be a number >= 0");
			*rc = PE_ERR_INVALID;
		} else {
			spec->weight = weight->fval;
		}
	}
	if (negate) {
		if (negate->kind != PE_NODE_BOOL) {
			pe_diag_error(diag, &negate->mark,
				      "evaluator 'not' must be true or false");
			*rc = PE_ERR_INVALID;
		} else {
			spec->negate = negate->bval;
		}
	}
}

/*
 * Names an unnamed evaluator after its kind and position ("regex-3") and
 * warns about kinds that never run, now that the name is known.
 */
static void name_and_warn(struct pe_evalspec *spec, size_t index,
			  struct pe_diag *diag)
{
	if (!spec->name)
		spec->name = xstrfmt("%s-%zu", pe_eval_kind_name(spec->kind),
				     index + 1);
	if (pe_evalspec_is_skipped(spec))
		pe_diag_warning(diag, &spec->mark,
				"%s evaluator '%s' is not supported and will "
				"never run; it is reported as skipped, not "
				"passed",
				pe_eval_kind_name(spec->kind), spec->name);
}

/* Checks the evaluator's keys against those its kind reads. */
static void check_evaluator_keys(const struct pe_evalspec *spec,
				 const struct pe_node *node,
				 struct pe_diag *diag)
{
	static const char *const string_keys[] = { COMMON_KEYS, "string",
						   "value", NULL };
	static const char *const regex_keys[] = {
		COMMON_KEYS, "regex",  "pattern", "value",  "flags",
		"count",     "target", "match",	  "string", NULL
	};
	static const char *const llm_keys[] = { COMMON_KEYS,	  "llm",
						"model",	  "prompt",
						"criteria",	  "parameters",
						"expectedResult", NULL };
	static const char *const other_keys[] = {
		COMMON_KEYS, "uses", "python", "rule", "sections", "format",
		"table",     "code", "length", "json", NULL
	};
	const char *const *known = other_keys;

	if (spec->kind == PE_EVAL_STRING)
		known = string_keys;
	else if (spec->kind == PE_EVAL_REGEX)
		known = regex_keys;
	else if (spec->kind == PE_EVAL_LLM)
		known = llm_keys;
	pe_node_check_keys(node, known, "an evaluator", diag);
}

/* Reads one evaluator; see evalspec.h. */
int pe_evalspec_parse(struct pe_evalspec *spec, const struct pe_node *node,
		      size_t index, struct pe_diag *diag)
{
	const struct pe_node *type;
	int rc = PE_OK;

	memset(spec, 0, sizeof(*spec));
	spec->node = node;
	spec->mark = node->mark;
	spec->weight = 1;
	if (node->kind == PE_NODE_STRING) {
		/* A bare sentence: a natural-language rule nobody can run. */
		spec->kind = PE_EVAL_RULE;
		parse_skipped(spec, node);
		name_and_warn(spec, index, diag);
		return PE_OK;
	}
	if (node->kind != PE_NODE_MAP) {
		pe_diag_error(diag, &node->mark,
			      "an evaluator must be a mapping, not a %s",
			      pe_node_kind_name(node->kind));
		return PE_ERR_INVALID;
	}
	read_common(spec, node, diag, &rc);
	type = pe_node_get(node, "type");
	if (type && !scalar(type)) {
		pe_diag_error(diag, &type->mark,
			      "evaluator 'type' must be a string");
		rc = PE_ERR_INVALID;
	} else if (!rc) {
		int handled = type && parse_typed(spec, node, type, &rc, diag);

		if (!handled)
			rc = parse_by_key(spec, node, diag);
	}
	if (!rc) {
		check_evaluator_keys(spec, node, diag);
		name_and_warn(spec, index, diag);
	}
	if (rc)
		pe_evalspec_release(spec);
	return rc;
}

/* Frees what the spec owns and zeroes it. */
void pe_evalspec_release(struct pe_evalspec *spec)
{
	for (size_t i = 0; i < spec->nvalues; i++)
		pe_template_free(spec->values[i]);
	free(spec->values);
	free(spec->value_nodes);
	for (size_t i = 0; i < spec->nchoices; i++)
		free(spec->choices[i].choice);
	free(spec->choices);
	pe_template_free(spec->judge_prompt);
	free(spec->judge_model);
	free(spec->system_prompt);
	free(spec->builtin);
	free(spec->skipped_text);
	free(spec->name);
	memset(spec, 0, sizeof(*spec));
}

/* True for python and rule evaluators. */
int pe_evalspec_is_skipped(const struct pe_evalspec *spec)
{
	return spec->kind == PE_EVAL_PYTHON || spec->kind == PE_EVAL_RULE;
}

/* Names a kind for listings. */
const char *pe_eval_kind_name(enum pe_eval_kind kind)
{
	switch (kind) {
	case PE_EVAL_STRING:
		return "string";
	case PE_EVAL_REGEX:
		return "regex";
	case PE_EVAL_LLM:
		return "llm";
	case PE_EVAL_BUILTIN:
		return "builtin";
	case PE_EVAL_PYTHON:
		return "python";
	case PE_EVAL_RULE:
		return "rule";
	case PE_EVAL_SECTIONS:
		return "sections";
	case PE_EVAL_FORMAT:
		return "format";
	case PE_EVAL_TABLE:
		return "table";
	case PE_EVAL_CODE:
		return "code";
	case PE_EVAL_LENGTH:
		return "length";
	case PE_EVAL_JSON:
		return "json";
	}
	return "unknown";
}

/* Counts templates that use test-case variables. */
size_t pe_evalspec_ntemplates(const struct pe_evalspec *spec)
{
	return spec->nvalues + (spec->judge_prompt ? 1 : 0);
}

/* Returns template i and the scalar it came from. */
const struct pe_template *pe_evalspec_template(const struct pe_evalspec *spec,
					       size_t i,
					       const struct pe_node **node)
{
	if (i < spec->nvalues) {
		*node = spec->value_nodes[i];
		return spec->values[i];
	}
	*node = spec->judge_prompt_node;
	return spec->judge_prompt;
}

/* The judge prompt may use {{completion}}, which the runner supplies. */
int pe_evalspec_provides(const struct pe_evalspec *spec, const char *var)
{
	return spec->kind == PE_EVAL_LLM &&
	       (!strcmp(var, "completion") || !strncmp(var, "completion.", 11));
}
