#ifndef PE_RESULTS_H
#define PE_RESULTS_H
/*
 * Results: one row per job (prompt x case x model x temperature x repeat)
 * with its verdict and every evaluator's result, and the JSON document
 * that holds them (out/results.json).  Both "score" and "run" write this
 * schema, and reports and comparisons read it, so it is versioned:
 * schema_version changes whenever a field changes meaning.
 *
 * Rows borrow the prompt, case and output; the caller keeps them alive
 * until the rows are written.  Rows own their scores.
 */
#include <stddef.h>
#include <stdio.h>

#include "evaluators/evaluator.h"
#include "harness/load/prompt.h"

enum { PE_RESULTS_SCHEMA_VERSION = 1, PE_JOB_ID_LEN = 16 };

struct pe_result_row {
	char id[PE_JOB_ID_LEN + 1];
	const struct pe_prompt *prompt;
	const struct pe_case *kase;
	const char *model; /* NULL when unknown */
	int has_temperature;
	double temperature;
	unsigned repeat;
	const char *output;
	size_t output_len;
	struct pe_case_score score;
	const char *source; /* where the output came from, for messages */

	/* The model call, for "run"; has_call is 0 for "score". */
	int has_call;
	unsigned attempts;
	long http_status; /* 0 when no response arrived */
	double first_byte_ms;
	double total_ms;
	long tokens_in; /* -1 when not reported */
	long tokens_out;
	const char *finish_reason; /* NULL when unknown */
	const char *served_model;  /* the model the server says it used */
	const char *error;	   /* why the case could not be scored */
	int cached;		   /* the answer came from the cache */
};

/*
 * Derives a job's stable id from what it is, never from its position:
 * prompt file, case id, model, temperature and repeat.
 */
void pe_job_id(const struct pe_prompt *p, const struct pe_case *c,
	       const char *model, int has_temperature, double temperature,
	       unsigned repeat, char out[PE_JOB_ID_LEN + 1]);

/* Sorts rows by prompt file, case index, model, temperature and repeat. */
void pe_results_sort(struct pe_result_row *rows, size_t n);

/*
 * Which plan the rows come from, so that shards of one run can be merged
 * and checked: the plan's id (SHA-256 of every job id of the whole,
 * unsharded plan), its size, and the shard (index from 1; 0 when the run
 * was not sharded).
 */
struct pe_plan_info {
	char id[65];
	size_t jobs;
	size_t shard_index;
	size_t shard_count;
};

struct pe_results_summary {
	size_t total;
	size_t pass;
	size_t fail;
	size_t error;
	size_t skip;
};

void pe_results_summarize(const struct pe_result_row *rows, size_t n,
			  struct pe_results_summary *out);

/* Appends row r as one line of JSON (no newline), as in results.jsonl. */
void pe_results_row_json(const struct pe_result_row *r, struct pe_buf *out);

/*
 * Appends one object of a row's "evaluators" array, as the schema has it
 * (name, kind, status, score, weight, negate, reason), preceded by a comma
 * unless first.  Shared by results.json and the json report, which must
 * write the same bytes.
 */
struct pe_evaluator_json {
	const char *name;
	const char *kind;
	enum pe_verdict status;
	double score;
	double weight;
	int negate;
	const char *reason;
};
void pe_results_evaluator_json(struct pe_buf *out, int first,
			       const struct pe_evaluator_json *e);

/*
 * The parts of a results document around its rows, for writers that
 * stream rows (from pe_results_row_json) one at a time: the header, then
 * rows separated by ",\n", then the footer with the summary.
 */
void pe_results_header(struct pe_buf *out, const char *command,
		       const struct pe_plan_info *plan);
void pe_results_footer(struct pe_buf *out, const struct pe_results_summary *s);

/*
 * Writes the results document for command ("score" or "run") to path,
 * atomically (a temporary file renamed into place).  Returns 0 or PE_ERR_IO
 * with errno set.
 */
int pe_results_write(const char *path, const char *command,
		     const struct pe_result_row *rows, size_t n);

/* The exit status that the rows call for (0, 1 or 2). */
int pe_results_exit_status(const struct pe_results_summary *s);

#endif
