#ifndef PE_RESULTSET_H
#define PE_RESULTSET_H
/*
 * Result sets: a results.json document or a results.jsonl journal read
 * back into typed rows, for the report writers, the aggregates
 * (aggregate.h) and comparisons of two runs.  It is the reading side of
 * results.h and follows its schema (PE_RESULTS_SCHEMA_VERSION).
 *
 * The loader checks every row and records each problem as a positioned
 * diagnostic ("file:line:col"); a set that loads is complete and typed, so
 * callers never check fields again.  A journal may hold several lines for
 * one job id (a --resume run appends); the last line wins, as it does for
 * --resume, and takes the place of the first.
 *
 * Memory: the set owns every row and string; the pointers the accessors
 * return are borrowed and stay valid until pe_resultset_free.  Rows are
 * plain read-only data.
 */
#include <stddef.h>

#include "evaluators/evaluator.h"
#include "harness/core/diag.h"

/* The largest results file the loader reads. */
#define PE_RESULTSET_MAX_FILE ((size_t)1 << 30)

/* One evaluator's result inside a row ("evaluators" in the file). */
struct pe_result_evaluator {
	const char *name;
	const char *kind;
	enum pe_verdict status;
	double score;  /* NAN when null */
	double weight; /* NAN when null */
	int negate;
	const char *reason; /* NULL when null */
};

/* One job's row.  Nullable strings are NULL when the file has null. */
struct pe_result {
	const char *id;
	const char *prompt; /* the prompt's name */
	const char *file;   /* the prompt file */
	const char *case_id;
	size_t case_index;
	const char *model;
	int has_temperature;
	double temperature; /* 0 when has_temperature is 0 */
	unsigned repeat;
	enum pe_verdict status;
	double score; /* NAN when null (error and skip rows) */
	const char *error;

	/* The model call; has_call is 0 when "call" is null ("score"). */
	int has_call;
	unsigned attempts;
	int cached;
	long http_status;     /* 0 when null */
	double first_byte_ms; /* NAN when null */
	double total_ms;      /* NAN when null */
	long tokens_in;	      /* -1 when null */
	long tokens_out;      /* -1 when null */
	const char *finish_reason;
	const char *served_model;

	const char *output; /* NULL when null */
	size_t output_len;
	const struct pe_result_evaluator *evaluators;
	size_t nevaluators;

	unsigned line; /* where the row starts in the file */
};

struct pe_resultset;

/*
 * Loads path: a journal when its name ends in ".jsonl", else a results
 * document.  Returns a new set owned by the caller, or NULL after
 * recording positioned errors in diag (a file that cannot be read, bad
 * JSON, a schema_version other than PE_RESULTS_SCHEMA_VERSION, a missing
 * or mistyped field).  In a journal, a last line cut short without its
 * newline (a run that was killed) is skipped with a warning.
 */
struct pe_resultset *pe_resultset_load(const char *path, struct pe_diag *diag);
void pe_resultset_free(struct pe_resultset *rs);

/* The path the set was loaded from. */
const char *pe_resultset_path(const struct pe_resultset *rs);

/*
 * The "command" of a results document ("score" or "run"); NULL for a
 * journal and for a document without one.
 */
const char *pe_resultset_command(const struct pe_resultset *rs);

size_t pe_resultset_count(const struct pe_resultset *rs);

/* Row i (0 <= i < count), in file order until pe_resultset_sort. */
const struct pe_result *pe_resultset_get(const struct pe_resultset *rs,
					 size_t i);

/* All rows as one array of pe_resultset_count elements. */
const struct pe_result *pe_resultset_rows(const struct pe_resultset *rs);

/*
 * Returns the row with job id id, or NULL.  Takes O(log n) after
 * pe_resultset_sort has run once, O(n) before.
 */
const struct pe_result *pe_resultset_find(const struct pe_resultset *rs,
					  const char *id);

/*
 * Sorts the rows into the order results.json uses: prompt file, case
 * index, model (null first), temperature (none first) and repeat, with
 * the id breaking any remaining tie so the order is total.
 */
void pe_resultset_sort(struct pe_resultset *rs);

/* The order pe_resultset_sort uses: negative, 0 or positive. */
int pe_result_compare(const struct pe_result *a, const struct pe_result *b);

/* The evaluator of row named name, or NULL (borrowed from row). */
const struct pe_result_evaluator *pe_result_find_evaluator(
	const struct pe_result *row, const char *name);

/* Reads "pass", "fail", "error" or "skip"; returns 0 or PE_ERR_INVALID. */
int pe_verdict_parse(const char *name, enum pe_verdict *out);

#endif
