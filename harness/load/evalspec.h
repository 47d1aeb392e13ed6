#ifndef PE_EVALSPEC_H
#define PE_EVALSPEC_H
/*
 * Evaluator specs: what an entry of "evaluators:" says, recognised from
 * every shape real prompt files use and kept as typed data with its source
 * mark.  The evaluator family (evaluators/) gives the specs behaviour; this
 * module only reads and checks them, for the prompt loader.
 *
 * Shapes recognised:
 *   string: {equals|contains|startsWith|endsWith|...: value}   (gh-models)
 *   type: regex + pattern    regex: "..."    regex: {pattern, match}
 *   type: regex_match + regex|pattern    type: contains|includes + value
 *   llm: {modelId, systemPrompt, prompt, choices}              (gh-models)
 *   uses: github/<builtin>                                     (gh-models)
 *   model: + prompt|criteria    type: prompt_evaluator + parameters
 *   sections: format: table: code: length: json:   (prompteval's own)
 *   python: ...   rule: ...   a bare string (a natural-language rule)
 * The last three are never run: they are reported as skipped.
 */
#include <stddef.h>

#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "harness/load/template.h"

enum pe_eval_kind {
	PE_EVAL_STRING,
	PE_EVAL_REGEX,
	PE_EVAL_LLM,
	PE_EVAL_BUILTIN, /* uses: github/... */
	PE_EVAL_PYTHON,	 /* never run */
	PE_EVAL_RULE,	 /* never run */
	PE_EVAL_SECTIONS,
	PE_EVAL_FORMAT,
	PE_EVAL_TABLE,
	PE_EVAL_CODE,
	PE_EVAL_LENGTH,
	PE_EVAL_JSON
};

/* The compiled form, owned by the evaluator registry (evaluators/). */
struct pe_evaluator;

enum pe_string_op {
	PE_STR_EQUALS,
	PE_STR_CONTAINS,
	PE_STR_STARTS_WITH,
	PE_STR_ENDS_WITH,
	PE_STR_CONTAINS_ANY,
	PE_STR_CONTAINS_ALL
};

struct pe_choice {
	char *choice;
	double score;
};

struct pe_evalspec {
	enum pe_eval_kind kind;
	char *name;
	struct pe_mark mark;
	const struct pe_node *node; /* the evaluator as written */
	double weight;		    /* default 1 */
	int negate;		    /* "not: true" or "match: false" */

	/* PE_EVAL_STRING */
	enum pe_string_op op;
	int case_sensitive;
	struct pe_template **values;
	const struct pe_node **value_nodes;
	size_t nvalues;

	/*
	 * PE_EVAL_REGEX: the pattern scalar (its marks map PCRE2 offsets), or
	 * a list of pattern scalars that must all match.
	 */
	const struct pe_node *pattern;

	/*
	 * The mapping holding the kind's own settings: "sections: {...}" for
	 * the structure kinds, the regex mapping or the evaluator itself for
	 * regex options (flags, count, target).  Read by evaluators/.
	 */
	const struct pe_node *body;

	/* Set by pe_evaluators_compile; NULL until then. */
	struct pe_evaluator *compiled;

	/* PE_EVAL_LLM */
	char *judge_model; /* NULL: the run's default judge */
	char *system_prompt;
	struct pe_template *judge_prompt;
	const struct pe_node *judge_prompt_node;
	struct pe_choice *choices;
	size_t nchoices;

	/* PE_EVAL_BUILTIN: "similarity", "coherence", ... */
	char *builtin;

	/* PE_EVAL_PYTHON and PE_EVAL_RULE: the text, for reports. */
	char *skipped_text;
};

/*
 * Reads the evaluator node at position index of its list into spec.
 * Returns 0, or PE_ERR_INVALID after recording errors in diag (the spec is
 * then released and must not be used).  Warnings may be recorded either way.
 */
int pe_evalspec_parse(struct pe_evalspec *spec, const struct pe_node *node,
		      size_t index, struct pe_diag *diag);
void pe_evalspec_release(struct pe_evalspec *spec);

/* True for kinds that prompteval never runs (python, rule). */
int pe_evalspec_is_skipped(const struct pe_evalspec *spec);

const char *pe_eval_kind_name(enum pe_eval_kind kind);

/*
 * Templates inside the spec that use test-case variables, for checking
 * them against every case.  *node receives the scalar holding template i.
 * Variables that the runner supplies (completion) are reported by
 * pe_evalspec_provides.
 */
size_t pe_evalspec_ntemplates(const struct pe_evalspec *spec);
const struct pe_template *pe_evalspec_template(const struct pe_evalspec *spec,
					       size_t i,
					       const struct pe_node **node);
int pe_evalspec_provides(const struct pe_evalspec *spec, const char *var);

#endif
