#ifndef PE_SUMMARY_H
#define PE_SUMMARY_H
/*
 * The terminal summary shared by "score" and "run": a matrix of pass rates
 * by prompt x model x temperature, one line per cell of the aggregate
 * (aggregate.h), in its order.  Errors and skips are counted apart from
 * failures, so a pass rate is passes over decided cases; the mean score is
 * over the same cases, and tells models apart even when none passes.
 * Below the summary line, the judges' calls, tokens and cost get a line
 * of their own, apart from the answers', and then, when prices were
 * given, what the calls that went out cost and what reproducing every
 * call would.
 */
#include <stdio.h>

#include "harness/results/aggregate.h"

/*
 * Prints the matrix of agg's cells to out, in colour when color is not 0
 * (pe_report_want_color says when).
 */
void pe_print_matrix(FILE *out, const struct pe_aggregate *agg, int color);

/*
 * Prints "judges: " and the judges' figures of t (pe_tally_judge_text) as
 * one line to out, when t has judge calls; else prints nothing.
 */
void pe_print_judges(FILE *out, const struct pe_tally *t);

/*
 * Prints "cost: " and what was spent and what reproducing costs
 * (pe_tally_cost_text) as one line to out, when a cost is known; else
 * prints nothing.
 */
void pe_print_cost(FILE *out, const struct pe_tally *t);

#endif
