#ifndef PE_CAUSES_H
#define PE_CAUSES_H
/*
 * Error causes: the rows that ended in error, grouped by what went
 * wrong, so that "18 errors" comes with its reason (HTTP 401 "x-api-key
 * header is required") wherever the errors are counted: the summary of
 * "run" and "score", the terminal report and report.md.  A row's cause
 * is its error (the call failed), else its first evaluator that erred,
 * as "NAME: REASON".  The text is the row's, already redacted; what
 * differs from request to request in the same failure (request ids:
 * "req_" and a long id, a UUID, a run of 16 or more hex digits) is
 * replaced with "<id>", so that the same failure makes one cause.
 * Causes come with their count and the models they hit (in the order
 * the rows name them), most frequent first; equal counts keep the order
 * in which their first rows come.
 *
 * Memory: the list owns the causes' texts; the model names are borrowed
 * from the rows, whose owner keeps them alive as long as the list.
 */
#include <stddef.h>
#include <stdio.h>

#include "harness/core/buf.h"
#include "harness/results/result.h"

/* How many causes the summary and the reports list before "and K more". */
enum { PE_CAUSES_SHOWN = 5 };

/* One cause: its text, how many rows it ended and which models. */
struct pe_error_cause {
	const char *text;
	size_t count;
	const char *const *models; /* NULL-named models are left out */
	size_t nmodels;
};

struct pe_error_causes;

/* Groups the errors of rows[0..n-1]; never NULL. */
struct pe_error_causes *pe_error_causes_new(const struct pe_result *rows,
					    size_t n);

/* Frees the list; NULL is a no-op. */
void pe_error_causes_free(struct pe_error_causes *c);

/* The number of distinct causes. */
size_t pe_error_causes_count(const struct pe_error_causes *c);

/* Cause i, most frequent first, or NULL when i is out of range. */
const struct pe_error_cause *pe_error_causes_get(
	const struct pe_error_causes *c, size_t i);

/*
 * Appends the models of cause to out as "a, b and 2 more models", at
 * most three named.
 */
void pe_error_cause_models(const struct pe_error_cause *cause,
			   struct pe_buf *out);

/*
 * Writes the terminal's list to out, when there are errors: a heading
 * line "errors by cause:", one line per cause up to PE_CAUSES_SHOWN
 * ("  18  HTTP 401: ...  [anthropic:claude-3-5-haiku-latest]"), and
 * "  and K more causes (M errors)" for the rest.  Text from the rows
 * goes through the terminal printer.  Returns 0 or PE_ERR_IO.
 */
int pe_error_causes_print(const struct pe_error_causes *c, FILE *out);

#endif
