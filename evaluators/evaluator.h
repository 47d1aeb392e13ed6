#ifndef PE_EVALUATOR_H
#define PE_EVALUATOR_H
/*
 * The evaluator family.  Each kind (string, regex, sections, format, table,
 * code, length, json, judges) is one file with an ops table: compile a spec
 * once at load time into read-only state, then score any number of outputs
 * with it, from any thread.  registry.c maps spec kinds to ops, compiles
 * every evaluator of a prompt (so bad specs surface in "check" with their
 * positions), and scores one output against a test case: the Markdown is
 * parsed once and shared by all of that output's evaluators.
 *
 * Results own their reason strings; release them with
 * pe_case_score_release.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/load/prompt.h"
#include "harness/results/result.h"
#include "evaluators/markdown.h"

struct pe_eval_result {
	enum pe_verdict verdict;
	double score; /* in [0, 1]; 0 for skip and error */
	char *reason; /* one line, owned */
};

/* What an evaluator sees of one output. */
struct pe_eval_input {
	const char *output;
	size_t len;
	const struct pe_md *md;
	const struct pe_prompt *prompt;
	const struct pe_case *kase; /* its variables fill {{...}} in values */
};

struct pe_evaluator_ops {
	enum pe_eval_kind kind;
	/*
	 * Reads spec (spec->body holds the kind's settings) into *state.
	 * Returns 0, or PE_ERR_INVALID after recording positioned errors.
	 */
	int (*compile)(const struct pe_evalspec *spec,
		       const struct pe_prompt *prompt, void **state,
		       struct pe_diag *diag);
	/* Scores one output; must only read state. Sets every field of out. */
	void (*score)(const void *state, const struct pe_evalspec *spec,
		      const struct pe_eval_input *in,
		      struct pe_eval_result *out);
	void (*free)(void *state);
};

/* The families, one per file. */
extern const struct pe_evaluator_ops pe_string_ops;
extern const struct pe_evaluator_ops pe_regex_ops;
extern const struct pe_evaluator_ops pe_sections_ops;
extern const struct pe_evaluator_ops pe_format_ops;
extern const struct pe_evaluator_ops pe_table_ops;
extern const struct pe_evaluator_ops pe_code_ops;
extern const struct pe_evaluator_ops pe_length_ops;
extern const struct pe_evaluator_ops pe_json_check_ops;
extern const struct pe_evaluator_ops pe_judge_ops;
extern const struct pe_evaluator_ops pe_skipped_ops;

/*
 * Spec readers, one per shape, called by the evaluator spec loader
 * (harness/load/evalspec.c).  Each fills its kind's fields of spec and
 * returns 0, or PE_ERR_INVALID after recording positioned errors.
 */
/* A "string:" mapping, which may hold "regex:" (then read as regex). */
int pe_string_parse_map(struct pe_evalspec *spec, const struct pe_node *map,
			struct pe_diag *diag);
/*
 * "type: contains" (and the other string checks) with "value".  Returns 1
 * with *rc set when type names a string check, else 0.
 */
int pe_string_parse_typed(struct pe_evalspec *spec, const struct pe_node *node,
			  const struct pe_node *type, int *rc,
			  struct pe_diag *diag);
/* A regex value: a pattern, a list of patterns or {pattern, match, ...}. */
int pe_regex_parse_value(struct pe_evalspec *spec, const struct pe_node *value,
			 struct pe_diag *diag);
/* "type: regex" with "pattern", "regex" or "value". */
int pe_regex_parse_typed(struct pe_evalspec *spec, const struct pe_node *node,
			 struct pe_diag *diag);
/* An "llm:" mapping: modelId, systemPrompt, prompt and choices. */
int pe_judge_parse_llm(struct pe_evalspec *spec, const struct pe_node *map,
		       struct pe_diag *diag);
/* "model:" or "type: prompt_evaluator" with criteria: a PASS/FAIL judge. */
int pe_judge_parse_criteria(struct pe_evalspec *spec,
			    const struct pe_node *node, struct pe_diag *diag);
/* "uses: github/<name>", one of the built-in judges. */
int pe_judge_parse_builtin(struct pe_evalspec *spec, const struct pe_node *uses,
			   struct pe_diag *diag);
/* The text of a python or rule evaluator (or a bare sentence). */
int pe_skipped_parse(struct pe_evalspec *spec, const struct pe_node *text);

/*
 * Compiles every evaluator of p (prompt-level and per case).  Returns 0,
 * or PE_ERR_INVALID when any failed (errors are in diag).  The compiled
 * state hangs off each spec until pe_evaluators_release.
 */
int pe_evaluators_compile(struct pe_prompt *p, struct pe_diag *diag);
void pe_evaluators_release(struct pe_prompt *p);

/* Scores one evaluator, applying "not"; out->reason is owned by out. */
void pe_evaluator_score(const struct pe_evalspec *spec,
			const struct pe_eval_input *in,
			struct pe_eval_result *out);

/* A test case's verdict over all its evaluators. */
struct pe_case_score {
	enum pe_verdict verdict;
	double score; /* weighted mean over the evaluators that ran */
	size_t nresults;
	const struct pe_evalspec **specs; /* prompt-level first, then case */
	struct pe_eval_result *results;
};

/*
 * Scores output against test case c of prompt p.  The case passes when
 * its weighted score reaches the prompt's threshold, or, without one, when
 * every evaluator that ran passed.  Any evaluator error makes the case an
 * error; a case where no evaluator ran is skipped, never passed.
 */
void pe_score_case(const struct pe_prompt *p, const struct pe_case *c,
		   const char *output, size_t len, struct pe_case_score *out);
void pe_case_score_release(struct pe_case_score *s);

/*
 * Fills the verdict of row from s: its status, its score (NAN unless it
 * passed or failed) and its evaluators, written into evs, which must hold
 * s->nresults entries.  The strings stay borrowed from s and its specs.
 */
void pe_case_score_to_row(const struct pe_case_score *s, struct pe_result *row,
			  struct pe_result_evaluator *evs);

/* Helpers for the families. */
/* A compile step for kinds whose spec needs no state. */
int pe_evaluator_compile_nothing(const struct pe_evalspec *spec,
				 const struct pe_prompt *prompt, void **state,
				 struct pe_diag *diag);
void pe_result_set(struct pe_eval_result *out, enum pe_verdict verdict,
		   double score, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Renders a value template with the case's variables into out. */
int pe_eval_render(const struct pe_template *t, const struct pe_eval_input *in,
		   struct pe_buf *out);

#endif
