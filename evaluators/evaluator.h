#ifndef PE_EVALUATOR_H
#define PE_EVALUATOR_H
/*
 * The evaluator families.  Each kind of evaluator is one file with an
 * ops table that says everything about it: its name, its YAML keys and
 * "type:" values, how it reads them from a prompt file, then how it
 * compiles a spec once at load time into read-only state and scores any
 * number of outputs with it, from any thread.  registry.c holds the one
 * list of families, which the spec loader (harness/load/evalspec.c) asks
 * which family an evaluator is; it compiles every evaluator of a prompt
 * (so bad specs surface in "check" with their positions), and scores one
 * output against a test case: what its evaluators derive from the output
 * (the Markdown parse, the folded text, the words) is made once, when the
 * first of them needs it, and shared by the others (struct pe_eval_memo).
 *
 * Results own their reason strings; release them with
 * pe_case_score_release.
 */
#include <stddef.h>
#include <stdint.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/load/prompt.h"
#include "harness/results/result.h"
#include "evaluators/markdown.h"

struct pe_eval_result {
	enum pe_verdict verdict;
	double score;  /* in [0, 1]; 0 for skip and error */
	char *reason;  /* one line, owned */
	int unchecked; /* nothing was checked: "not" keeps the failure */
};

/* A model's price (harness/results/aggregate.h). */
struct pe_price;

/* The check workers (workers.h). */
struct pe_workers;

/*
 * What scoring an answer needs besides the answer and its case: where
 * python: and exec: checks run, and which model gave the answer.
 */
struct pe_score_env {
	struct pe_workers *workers; /* NULL: python and exec checks skip */
	const char *model;	    /* the model that answered, or NULL */
};

/*
 * A word of a text: its bytes, its first eight bytes as a number (zero
 * past its end) and a hash, set with the word, so that tables compare
 * words of up to eight bytes without reading them again.
 */
struct pe_word {
	const char *text;
	size_t len;
	uint64_t head;
	uint32_t hash;
};

/*
 * The words of text (len bytes; pe_unicode_next_word's words), in a new
 * array of *n: the answer's in the memo, a reference's in the reference
 * metrics.
 */
struct pe_word *pe_split_words(const char *text, size_t len, size_t *n);

/*
 * A reference text's words numbered as the answer's (reference.c), kept
 * in the memo for the next metric against the same reference.
 */
struct pe_eval_reference {
	char *rendered; /* the reference as rendered; NULL: none yet */
	size_t rendered_len;
	unsigned *ids; /* its words' ids */
	size_t n;
	unsigned distinct; /* ids in either text run below this */
	size_t shared;	   /* the distinct words the answer has too */
};

/*
 * What the evaluators of one output derive from it and share, made by the
 * first one that needs it: its Markdown parse (pe_eval_md, registry.c)
 * and count of bytes that are not UTF-8 (pe_result_note_utf8), and
 * (words.c) the output trimmed of white space
 * and case folded with NFC (pe_unicode_fold; pe_eval_folded), and then
 * its words (pe_unicode_next_word) in that copy, numbered from 0 so that
 * equal words share an id, and a table of its distinct words
 * (pe_eval_words); and the last reference text the reference metrics
 * compared it with.  One scoring call runs on one thread, so the memo
 * needs no lock.
 */
struct pe_eval_memo {
	struct pe_md *md; /* NULL until an evaluator asks for it */
	int has_invalid;  /* invalid is counted */
	size_t invalid;	  /* bytes of the output that are not UTF-8 */
	int made;	  /* folded: 0 not yet; 1 made; -1 too long to fold */
	struct pe_buf folded;
	int has_words; /* words, ids, ndistinct, table and mask are made */
	struct pe_word *words;
	size_t nwords;
	unsigned *ids;	    /* the words' ids, equal words alike */
	unsigned ndistinct; /* ids run from 0 to ndistinct - 1 */
	uint32_t *table;    /* word position + 1 (0: empty), by hash */
	size_t mask;	    /* the table's size - 1 */
	struct pe_eval_reference reference;
};

/* Frees what a memo holds and empties it. */
void pe_eval_memo_release(struct pe_eval_memo *m);

/*
 * The slot of word w in an open-addressed table of mask + 1 slots, each
 * the position + 1 of a word of words (0: empty), by the words' hashes:
 * the slot holding w's bytes, or the empty one where w goes.
 */
size_t pe_word_slot(const uint32_t *table, size_t mask,
		    const struct pe_word *words, const struct pe_word *w);

/* The slots of an open-addressed table for n keys: a power of 2, >= 2n. */
size_t pe_word_table_size(size_t n);

/* What an evaluator sees of one output. */
struct pe_eval_input {
	const char *output;
	size_t len;
	/*
	 * The output's Markdown parse when the caller made it; NULL to have
	 * pe_eval_md make it in memo when an evaluator first asks, so that
	 * prompts whose checks read only the text never parse it.  Read it
	 * through pe_eval_md.
	 */
	const struct pe_md *md;
	const struct pe_prompt *prompt;
	const struct pe_case *kase; /* its variables fill {{...}} in values */
	/*
	 * The job's row with the figures of the call that gave the answer
	 * (has_call, cached, first_byte_ms, total_ms, tokens_in, tokens_out,
	 * finish_reason), or NULL when no call did ("score", which reads
	 * recorded answers); price is the answer model's price, or NULL when
	 * the configuration sets none.
	 */
	const struct pe_result *call;
	const struct pe_price *price;
	const struct pe_score_env *env; /* NULL: none */
	struct pe_eval_memo *memo;	/* NULL: evaluators share nothing */
};

/*
 * In's Markdown parse: in->md, or the one in in->memo, made on the first
 * call.  In must have one of the two (an input without either is a
 * programming error and aborts).
 */
const struct pe_md *pe_eval_md(const struct pe_eval_input *in);

/*
 * The text of the sections of in's answer whose heading (or bold line)
 * matches norm_name (pe_md_find_sections), read together: in joined when
 * there are several (pe_md_sections_text).  Sets *len and *n, how many
 * sections; NULL when there is none.
 */
const char *pe_eval_sections_text(const struct pe_eval_input *in,
				  const char *norm_name, struct pe_buf *joined,
				  size_t *len, size_t *n);

/* Appends " (N sections of that name, read together)" when n > 1. */
void pe_result_note_sections(struct pe_eval_result *out, size_t n);

/*
 * In's output trimmed and folded: in's memo when it has it made (else
 * made there, or in m when in has no memo).  Returns the memo that holds
 * it, which the caller releases when it is m; NULL when the output is
 * too long to fold.
 */
const struct pe_eval_memo *pe_eval_folded(const struct pe_eval_input *in,
					  struct pe_eval_memo *m);

/*
 * The same, with the folded text's words made too.  The memo returned is
 * the caller's to add to (the reference metrics keep their last
 * reference there).
 */
struct pe_eval_memo *pe_eval_words(const struct pe_eval_input *in,
				   struct pe_eval_memo *m);

/*
 * The id of a word of another text (from pe_split_words, folded alike)
 * among the memo's words, or UINT_MAX when the answer lacks it.
 */
unsigned pe_eval_word_id(const struct pe_eval_memo *m, const struct pe_word *w);

/* What a judge asks its model about one output; the strings are owned. */
struct pe_judge_ask {
	char *system;	    /* the system message, or NULL */
	char *user;	    /* the user message */
	double temperature; /* 0 unless judge: sets one */
};

void pe_judge_ask_release(struct pe_judge_ask *ask);

/*
 * One evaluator family: everything the rest of the program knows about a
 * kind.  A family that reads several shapes may register one table per
 * shape (string.c: the "string:" mapping and "type: contains" with
 * "value"); such tables share a name and their compile and score steps.
 */
struct pe_evaluator_ops {
	/* The kind as listings and results show it, and in default names. */
	const char *name;
	/*
	 * Keys that select the family when "type:" does not (NULL-terminated,
	 * or NULL).  The registry tries families in order: the first one
	 * with a key present wins.
	 */
	const char *const *keys;
	/*
	 * The "type:" values that select the family (NULL-terminated, or
	 * NULL).  A "type:" that is no family's value but one of its keys
	 * ("type: llm" beside "llm:") leaves the choice to the keys.
	 */
	const char *const *types;
	/*
	 * Every key the family reads, its own keys included, besides name,
	 * description, weight, not and type; any other key gets a warning.
	 */
	const char *const *known_keys;
	/* Variables the family fills in its own templates, not the case's. */
	const char *const *provides;
	/*
	 * Its settings are read as written (patterns, heading and column
	 * names, a schema, code): a {{variable}} in them would not be the
	 * case's value, so such an evaluator is unsupported (registry.c),
	 * never a check of the braces themselves.
	 */
	int as_written;
	/*
	 * A minimal evaluator of the family in YAML flow style, such as
	 * "{sections: [Summary]}"; the registry test loads and scores it.
	 */
	const char *example;
	/* Named (first key, first type) by the error for a shapeless entry. */
	int hint;
	/*
	 * Why this family never runs, when it does not ("is not supported"):
	 * "check" warns when one is loaded, and its evaluators are reported
	 * as skipped, which leaves their cases ungraded.  NULL: it runs.
	 */
	const char *never_runs;
	/*
	 * Why this spec never runs, when the family's reason depends on the
	 * spec (unsupported.c: the dialect it could not map); NULL:
	 * never_runs says it.  Only for families that set never_runs.
	 */
	const char *(*never_runs_for)(const struct pe_evalspec *spec);
	/*
	 * Why an evaluator of this family cannot run on this machine (the
	 * program it needs is not found), or NULL when it can: "check"
	 * warns, and it is skipped when scored.  NULL: it always can.
	 */
	const char *(*unavailable)(const void *state,
				   const struct pe_evalspec *spec);
	/* A bare string in an evaluators list is this kind. */
	int sentence;
	/*
	 * Scored with the answer model's price (struct pe_eval_input's
	 * price), and skipped without one: "check" warns for each model
	 * the configuration has no price for.
	 */
	int needs_price;
	/*
	 * Reads the family's keys of node (the evaluator as written, or the
	 * bare string of a sentence) into spec->data, which the family
	 * defines and owns.  type is the "type:" scalar that chose the
	 * family, or NULL when a key did.  Before it sets spec->data, it may
	 * hand the spec to another family by setting spec->ops ("string:
	 * {regex: x}" is a regex).  Returns 0, or PE_ERR_INVALID after
	 * recording positioned errors (what it set is released either way).
	 * NULL when the family reads its settings only when it compiles.
	 */
	int (*parse)(struct pe_evalspec *spec, const struct pe_node *node,
		     const struct pe_node *type, struct pe_diag *diag);
	/* Frees spec->data; needed when parse sets it. */
	void (*release)(void *data);
	/*
	 * Template i of the spec that the case's variables fill, with the
	 * scalar it came from in *node; NULL past the last.  NULL: none.
	 */
	const struct pe_template *(*template_at)(const struct pe_evalspec *spec,
						 size_t i,
						 const struct pe_node **node);
	/* Writes what parse read, for pe_evalspec_describe.  NULL: nothing. */
	void (*describe)(const struct pe_evalspec *spec, struct pe_buf *out);
	/*
	 * Checks the spec and turns it into *state, read-only from then on.
	 * Returns 0, or PE_ERR_INVALID after recording positioned errors.
	 */
	int (*compile)(const struct pe_evalspec *spec,
		       const struct pe_prompt *prompt, void **state,
		       struct pe_diag *diag);
	/*
	 * Appends to out what the compiled state read besides the
	 * evaluator as written (a digest of the documents a schema refers
	 * to), which decides its verdicts as much as its keys do: the
	 * scoring digest --resume compares (harness/run/runner.c).
	 * NULL: nothing.
	 */
	void (*inputs)(const void *state, struct pe_buf *out);
	/* Scores one output; must only read state. Sets every field of out. */
	void (*score)(const void *state, const struct pe_evalspec *spec,
		      const struct pe_eval_input *in,
		      struct pe_eval_result *out);
	void (*free)(void *state);
	/*
	 * Judges only (NULL for every other family): score, above, reports
	 * the judge as skipped, and a run that has a judge model asks it
	 * instead.  judge_model names the evaluator's own judge model (NULL:
	 * the run's), and default_judge the model used when neither names
	 * one (gh-models' built-ins use openai/gpt-4o), or NULL.
	 */
	const char *(*judge_model)(const struct pe_evalspec *spec);
	const char *default_judge;
	/*
	 * Writes the request to the judge for one output into ask.  Returns
	 * 0, or PE_ERR_INVALID with the reason in *why (owned by the caller)
	 * when it cannot be written.
	 */
	int (*judge_ask)(const void *state, const struct pe_evalspec *spec,
			 const struct pe_eval_input *in,
			 struct pe_judge_ask *ask, char **why);
	/* Reads one reply (len bytes) into out, before "not" applies. */
	void (*judge_read)(const void *state, const struct pe_evalspec *spec,
			   const char *reply, size_t len,
			   struct pe_eval_result *out);
	/* How many times the judge is asked about each answer (>= 1). */
	unsigned (*judge_samples)(const struct pe_evalspec *spec);
	/* Combines the results of the n replies into out. */
	void (*judge_combine)(const void *state, const struct pe_evalspec *spec,
			      const struct pe_eval_result *samples, size_t n,
			      struct pe_eval_result *out);
};

/*
 * The registry (registry.c), the one list of families.  These find the
 * family for an evaluator as written; each returns NULL when none fits.
 */
/* Family i, in the order keys are tried; NULL past the last one. */
const struct pe_evaluator_ops *pe_evaluator_family(size_t i);
/* The family whose "type:" values include type. */
const struct pe_evaluator_ops *pe_evaluator_by_type(const char *type);
/* The first family with a key present in map. */
const struct pe_evaluator_ops *pe_evaluator_by_key(const struct pe_node *map);
/* The family that key selects. */
const struct pe_evaluator_ops *pe_evaluator_owning_key(const char *key);
/* The family a bare sentence in an evaluators list belongs to. */
const struct pe_evaluator_ops *pe_evaluator_for_sentence(void);

/*
 * The hand-over to the family of evaluators that cannot run
 * (unsupported.c): a family's parse (or the spec loader) that meets a
 * shape it cannot map calls pe_evaluator_unsupported before it sets
 * spec->data.  spec then loads with a warning that gives the reason
 * (printf-style), and every output is reported as skipped with it, which
 * leaves the case ungraded, never passed.  Returns 0.
 */
int pe_evaluator_unsupported(struct pe_evalspec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True for a spec that pe_evaluator_unsupported handed over. */
int pe_evaluator_is_unsupported(const struct pe_evalspec *spec);

/*
 * Compiles every evaluator of p (prompt-level and per case).  Returns 0,
 * or PE_ERR_INVALID when any failed (errors are in diag).  The compiled
 * state hangs off each spec until pe_evaluators_release.
 */
int pe_evaluators_compile(struct pe_prompt *p, struct pe_diag *diag);
void pe_evaluators_release(struct pe_prompt *p);

/*
 * Appends what compiled spec read besides itself as written (see the
 * family's inputs); nothing for a family without inputs or a spec not
 * compiled.
 */
void pe_evaluator_inputs(const struct pe_evalspec *spec, struct pe_buf *out);

/*
 * Judges.  pe_evaluator_is_judge tells a judge; pe_evaluator_judge_model
 * names the model that judges spec in a run whose judge model is
 * run_judge (NULL: none): the evaluator's own, else run_judge, else the
 * family's default; NULL when there is none, and the judge then does not
 * run.  pe_evaluator_judge_ask writes the request for one output, which
 * is sent pe_evaluator_judge_samples times; pe_evaluator_judge_read reads
 * each reply, and pe_evaluator_judge_combine turns the n results into the
 * evaluator's, applying "not" as pe_evaluator_score does.
 */
int pe_evaluator_is_judge(const struct pe_evalspec *spec);

/* Why a judge with no judge model does not run. */
#define PE_NO_JUDGE_MODEL                                                      \
	"no judge model: give --judge-model, or judge: in prompteval.yml"

/*
 * Why spec will not run when the run's judge model is run_judge (NULL:
 * none) and judges are asked at all (ask_judges: "score" asks none
 * without a judge model): its family never runs, it cannot run on this
 * machine (once compiled), or it is a judge that will not be asked; NULL
 * when it will run.
 */
const char *pe_evaluator_unrun_reason(const struct pe_evalspec *spec,
				      const char *run_judge, int ask_judges);

/*
 * Warns at each judge of p that will not be asked (families that never
 * run are warned about when the file is loaded); returns how many of p's
 * evaluators will not run.
 */
size_t pe_evaluators_warn_unrun(const struct pe_prompt *p,
				const char *run_judge, int ask_judges,
				struct pe_diag *diag);
const char *pe_evaluator_judge_model(const struct pe_evalspec *spec,
				     const char *run_judge);
int pe_evaluator_judge_ask(const struct pe_evalspec *spec,
			   const struct pe_eval_input *in,
			   struct pe_judge_ask *ask, char **why);
void pe_evaluator_judge_read(const struct pe_evalspec *spec, const char *reply,
			     size_t len, struct pe_eval_result *out);
unsigned pe_evaluator_judge_samples(const struct pe_evalspec *spec);
void pe_evaluator_judge_combine(const struct pe_evalspec *spec,
				const struct pe_eval_result *samples, size_t n,
				struct pe_eval_result *out);

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
 * Scores output against test case c of prompt p, in env (NULL: none).
 * The case passes when its weighted score reaches the prompt's
 * threshold, or, without one, when every evaluator ran and passed; a
 * failed evaluator fails it.  Any evaluator error makes the case an
 * error; an evaluator that did not run leaves it ungraded unless the
 * others decide it (see registry.c).
 */
void pe_score_case(const struct pe_prompt *p, const struct pe_case *c,
		   const char *output, size_t len,
		   const struct pe_score_env *env, struct pe_case_score *out);
/*
 * Scores the answer in row (row->output) as pe_score_case does, with the
 * job's call figures in row and the answer model's price (NULL: none) for
 * the checks of the call itself (latency, cost, finish_reason).
 */
void pe_score_call(const struct pe_prompt *p, const struct pe_case *c,
		   const struct pe_result *row, const struct pe_price *price,
		   const struct pe_score_env *env, struct pe_case_score *out);
void pe_case_score_release(struct pe_case_score *s);

/*
 * Decides s's verdict again from its results (after judges answered),
 * by the rule pe_score_case uses.
 */
void pe_case_score_decide(const struct pe_prompt *p, struct pe_case_score *s);

/*
 * Fills the verdict of row from s: its status, its score (NAN unless it
 * passed or failed) and its evaluators, written into evs, which must hold
 * s->nresults entries.  The strings stay borrowed from s and its specs.
 */
void pe_case_score_to_row(const struct pe_case_score *s, struct pe_result *row,
			  struct pe_result_evaluator *evs);

/* Helpers for the families. */
/*
 * The value of the family's first key: the settings of the kinds that
 * keep them under their own key ("sections: {...}").
 */
const struct pe_node *pe_evaluator_settings(const struct pe_evalspec *spec);
/* A compile step for kinds whose spec needs no state. */
int pe_evaluator_compile_nothing(const struct pe_evalspec *spec,
				 const struct pe_prompt *prompt, void **state,
				 struct pe_diag *diag);
void pe_result_set(struct pe_eval_result *out, enum pe_verdict verdict,
		   double score, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * Fails out because nothing could be checked (the section to read is not
 * there, a value is empty): "not" leaves such a failure as it is, since
 * the opposite of a check that was not made is not a pass.
 */
void pe_result_unchecked(struct pe_eval_result *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends printf-style text to out->reason (kept on one line). */
void pe_result_append(struct pe_eval_result *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Appends "; N bytes of the answer are not UTF-8 (read as U+FFFD)" to
 * out->reason when in's output holds bytes that are not UTF-8, so a
 * reason about such an answer says how it was read.  The count is made
 * once per answer, in in's memo.
 */
void pe_result_note_utf8(struct pe_eval_result *out,
			 const struct pe_eval_input *in);
/*
 * For the dialects of other families: makes spec a regex evaluator of the
 * pattern (or list of patterns) patterns, with its settings (flags,
 * count, target) read from holder, as regex: would.  Returns 0 or
 * PE_ERR_INVALID after recording errors.
 */
int pe_regex_parse_patterns(struct pe_evalspec *spec,
			    const struct pe_node *holder,
			    const struct pe_node *patterns,
			    struct pe_diag *diag);
/* Renders a value template with the case's variables into out. */
int pe_eval_render(const struct pe_template *t, const struct pe_eval_input *in,
		   struct pe_buf *out);

#endif
