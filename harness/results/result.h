#ifndef PE_RESULT_H
#define PE_RESULT_H
/*
 * The result row: one job (prompt x case x model x temperature x repeat)
 * with its verdict, its model call and every evaluator's result.  It is
 * the one type for a row everywhere: "score" and "run" fill it, the
 * journal and results.json are written from it by pe_result_json, the
 * results reader (resultset.h) reads it back, and the aggregates, reports,
 * comparisons, gates and the terminal summary read it.  Rows are ordered
 * by one comparator (pe_result_compare) and counted by one tally
 * (struct pe_tally).
 *
 * Memory: a row is plain data; its strings and arrays belong to whoever
 * filled it (the prompt and plan for "score" and "run", the loaded
 * document for the results reader), which keeps them alive as long as the
 * row is used.  The runner owns a job's answer strings while the job is
 * being scored, and frees them once its row is written (run/runner.c).
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/load/prompt.h"
#include "harness/results/stats.h"

enum { PE_JOB_ID_LEN = 16 };

/*
 * Verdicts.  An evaluator passes, fails, errs or is skipped (it did not
 * run: an unsupported kind, a judge without a model).  A case passes,
 * fails, errs or is ungraded: an evaluator of it did not run, or it has
 * none, so nothing can be claimed; "skip" is never a case's verdict
 * (files of schema version 1 called an ungraded case "skip").
 */
enum pe_verdict {
	PE_VERDICT_PASS,
	PE_VERDICT_FAIL,
	PE_VERDICT_SKIP,  /* an evaluator that did not run */
	PE_VERDICT_ERROR, /* could not decide, e.g. the regex match limit */
	PE_VERDICT_UNGRADED
};

/* Returns "pass", "fail", "skip" or "error". */
const char *pe_verdict_name(enum pe_verdict v);

/* Reads "pass", "fail", "error" or "skip"; returns 0 or PE_ERR_INVALID. */
int pe_verdict_parse(const char *name, enum pe_verdict *out);

/* One evaluator's result inside a row ("evaluators" in the file). */
struct pe_result_evaluator {
	const char *name;
	const char *kind;
	enum pe_verdict status;
	double score;  /* NAN when unknown */
	double weight; /* NAN when unknown */
	int negate;
	const char *reason; /* NULL when none */
};

/* One job's row.  Nullable strings are NULL when unknown. */
struct pe_result {
	const char *id;	    /* the job id (pe_job_id) */
	const char *prompt; /* the prompt's name */
	const char *file;   /* the prompt file */
	const char *case_id;
	size_t case_index;
	const char *model;
	int has_temperature;
	double temperature; /* 0 when has_temperature is 0 */
	unsigned repeat;
	enum pe_verdict status;
	double score; /* NAN for error and skip rows */
	const char *error;

	/* The model call ("call"); has_call is 0 for "score". */
	int has_call;
	unsigned attempts;
	int cached;
	long http_status;     /* 0 when no response arrived */
	double first_byte_ms; /* NAN when unknown */
	double total_ms;      /* NAN when unknown */
	long tokens_in;	      /* -1 when not reported */
	long tokens_out;
	const char *finish_reason;
	const char *served_model;
	/*
	 * What was asked ("request"): PE_JOB_ID_LEN hex digits of the
	 * SHA-256 of the request as rendered (run/runner.c), so that --resume
	 * keeps an answer only while its job still asks the same.  NULL when
	 * unknown (files written before it, a request that could not be
	 * rendered), and then left out of the row's JSON.
	 */
	const char *request;

	/*
	 * The judges' calls ("judge"): how many were made for the row (from
	 * the cache too), the judge model that answered them (NULL when
	 * several did), and the tokens they reported, apart from the
	 * answer's; below 0 when one of the calls reported none (the sum
	 * would be short).
	 */
	unsigned judge_calls;
	const char *judge_model;
	long judge_tokens_in;
	long judge_tokens_out;
	/*
	 * Of those calls, the ones answered from the cache or shared with an
	 * identical ask in flight, which cost nothing now, and their tokens
	 * (-1 when none reported any).  Files written before these were
	 * recorded read as 0 and -1: every judge call made then.
	 */
	unsigned judge_cached;
	long judge_cached_tokens_in;
	long judge_cached_tokens_out;

	const char *output; /* NULL when none */
	size_t output_len;
	const struct pe_result_evaluator *evaluators;
	size_t nevaluators;
	/*
	 * What scored it ("scoring"): PE_JOB_ID_LEN hex digits of the
	 * SHA-256 of the evaluators and the test case as written, the
	 * schema files the evaluators read, the threshold, the prompt's
	 * JSON schema and the run's judge model (run/runner.c), so that
	 * --resume scores a kept answer again when they changed.  NULL
	 * when unknown, and then left out.
	 */
	const char *scoring;

	unsigned line; /* where the row starts in the file it came from */
};

/*
 * Sets every field of row to "unknown": strings NULL, numbers NAN or -1,
 * status error.
 */
void pe_result_init(struct pe_result *row);

/*
 * Derives a job's stable id from what it is, never from its position:
 * prompt name, case id, model, temperature and repeat.
 */
void pe_job_id(const struct pe_prompt *p, const struct pe_case *c,
	       const char *model, int has_temperature, double temperature,
	       unsigned repeat, char out[PE_JOB_ID_LEN + 1]);

/*
 * The order of results.json: prompt file, case index, model (none
 * first), temperature (none first), repeat, and the id to make it total.
 * Returns negative, 0 or positive.
 */
int pe_result_compare(const struct pe_result *a, const struct pe_result *b);

/* Sorts rows into pe_result_compare's order. */
void pe_result_sort(struct pe_result *rows, size_t n);

/* The evaluator of row named name, or NULL (borrowed from row). */
const struct pe_result_evaluator *pe_result_find_evaluator(
	const struct pe_result *row, const char *name);

/*
 * Appends row as one line of JSON (no newline), the row format of
 * results.json and results.jsonl.  The one writer of rows: keys in a
 * fixed order, so the same row always gives the same bytes.
 */
void pe_result_json(const struct pe_result *row, struct pe_buf *out);

/*
 * The tally: verdict counts, scores and tokens over a group of rows.
 * Every count of verdicts in prompteval is one of these, filled by
 * pe_tally_add; pe_tally_finish computes the pass rate and mean score.
 * Errors and ungraded cases are counted apart: the pass rate is passes
 * over passes and failures.
 */
struct pe_tally {
	size_t jobs;
	size_t pass;
	size_t fail;
	size_t error;
	size_t ungraded;
	struct pe_pass_rate pass_rate; /* set by pe_tally_finish */
	double score_sum;	       /* over passes and failures */
	size_t scored;		       /* the rows in score_sum */
	double mean_score;	       /* NAN when none; pe_tally_finish */
	size_t calls;		       /* rows with a model call */
	size_t calls_cached;	       /* of those, answered from the cache */
	long tokens_in;		       /* over the calls that reported them */
	long tokens_out;
	size_t calls_without_tokens; /* calls that reported no token counts */
	size_t judge_calls;	     /* the judges' calls, apart */
	size_t judge_calls_cached;   /* of those, from the cache */
	long judge_tokens_in;	     /* over those that reported them */
	long judge_tokens_out;
	/*
	 * Set by the aggregate (aggregate.h), which knows the prices:
	 * has_cost when every model in the group has a price, and cost_usd
	 * then prices every call's reported tokens, cached or not.  The
	 * judges' cost is apart: has_judge_cost when every row with judge
	 * calls names a judge model (judge_model) that has a price, and
	 * judge_cost_usd then prices their reported tokens; a group without
	 * judge calls has a judge cost of 0 whenever prices were given.
	 * pe_tally_spend (aggregate.h) adds the two: what the rows cost to
	 * reproduce.  What was spent is apart: the same prices over the
	 * calls that went out (answers and judge calls not from the cache),
	 * known when every such call can be priced; pe_tally_spent adds the
	 * two.
	 */
	int has_cost;
	double cost_usd;
	int has_judge_cost;
	double judge_cost_usd;
	int has_spent_cost;
	double spent_cost_usd;
	int has_judge_spent_cost;
	double judge_spent_cost_usd;
};

/* An empty tally. */
void pe_tally_init(struct pe_tally *t);

/* Counts row into t. */
void pe_tally_add(struct pe_tally *t, const struct pe_result *row);

/*
 * Computes t's pass rate and mean score.  A tally does not know its
 * cases, so the rate pools the rows (PE_RATE_POOLED): passes over decided
 * rows with their Wilson interval.  The aggregate (aggregate.h) replaces
 * it with the rate that takes the case as the unit.
 */
void pe_tally_finish(struct pe_tally *t);

#endif
