#ifndef PE_SUMMARY_H
#define PE_SUMMARY_H
/*
 * The terminal summary shared by "score" and "run": a matrix of pass rates
 * by prompt x model x temperature, in the order the rows come (callers
 * pass them sorted).  Errors and skips are counted apart from failures,
 * so a pass rate is passes over decided cases; the mean score is over the
 * same cases, and tells models apart even when none passes.
 */
#include <stdio.h>

#include "evaluators/evaluator.h"
#include "harness/load/prompt.h"

struct pe_tally_row {
	const struct pe_prompt *prompt;
	const char *model; /* NULL: unknown */
	int has_temperature;
	double temperature;
	enum pe_verdict verdict;
	double score; /* meaningful for pass and fail */
};

void pe_print_matrix(FILE *out, const struct pe_tally_row *rows, size_t n);

#endif
