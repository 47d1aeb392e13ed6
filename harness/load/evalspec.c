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
#include "evaluators/evaluator.h"
#include "harness/core/banned.h"

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

/* Decides the kind from "type:"; 1 when handled, else 0. */
static int parse_typed(struct pe_evalspec *spec, const struct pe_node *node,
		       const struct pe_node *type, int *rc,
		       struct pe_diag *diag)
{
	const char *t = type->text;

	if (!strcmp(t, "regex") || !strcmp(t, "regex_match")) {
		*rc = pe_regex_parse_typed(spec, node, diag);
		return 1;
	}
	if (!strcmp(t, "string") && pe_node_get(node, "string"))
		return 0;
	if (pe_string_parse_typed(spec, node, type, rc, diag))
		return 1;
	if (!strcmp(t, "prompt_evaluator")) {
		*rc = pe_judge_parse_criteria(spec, node, diag);
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
		return pe_string_parse_map(spec, v, diag);
	}
	if ((v = pe_node_get(node, "regex")) != NULL)
		return pe_regex_parse_value(spec, v, diag);
	if ((v = pe_node_get(node, "llm")) != NULL) {
		spec->kind = PE_EVAL_LLM;
		return pe_judge_parse_llm(spec, v, diag);
	}
	if ((v = pe_node_get(node, "uses")) != NULL) {
		spec->kind = PE_EVAL_BUILTIN;
		return pe_judge_parse_builtin(spec, v, diag);
	}
	if ((v = pe_node_get(node, "python")) != NULL) {
		spec->kind = PE_EVAL_PYTHON;
		return pe_skipped_parse(spec, v);
	}
	if ((v = pe_node_get(node, "rule")) != NULL) {
		spec->kind = PE_EVAL_RULE;
		return pe_skipped_parse(spec, v);
	}
	if (pe_node_get(node, "model"))
		return pe_judge_parse_criteria(spec, node, diag);
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
		pe_skipped_parse(spec, node);
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
