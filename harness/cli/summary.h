#ifndef PE_SUMMARY_H
#define PE_SUMMARY_H
/*
 * The terminal summary shared by "score" and "run": a matrix of pass rates
 * by prompt x model x temperature, one line per cell of the aggregate
 * (aggregate.h), in its order.  Errors and skips are counted apart from
 * failures, so a pass rate is the mean over cases of each case's passes
 * over its decided answers; the mean score is over the decided answers,
 * and tells models apart even when none passes.
 * Below the summary line, the judges' calls, tokens and cost get a line
 * of their own, apart from the answers', and then, when prices were
 * given, what the calls that went out cost and what reproducing every
 * call would.  "run --dry-run" prints the plan's power from here too.
 */
#include <stdio.h>

#include "harness/plan/plan.h"
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

/*
 * Prints, for the cases and answers that plan holds (pe_plan_design), the
 * smallest difference in pass rate that a paired comparison of two of
 * its models would detect at 80 % power and a two-sided alpha of 0.05
 * (pe_min_detectable_difference), between answers of a case that are
 * independent and answers that always agree, with the assumptions in
 * the line.  Prints nothing for a plan without jobs.
 */
void pe_print_power(FILE *out, const struct pe_plan *plan);

/*
 * Prints, when prices has any, what the plan's answers would cost per
 * model: the input tokens estimated as the rendered messages' bytes / 4
 * (a rough rule for English text), priced at the model's input price,
 * and the output at most the prompts' max_tokens (not bounded when a
 * prompt sets none), at its output price; a line for the total when
 * every model has a price.  Judges' calls are not estimated.  Prints
 * nothing without prices.
 */
void pe_print_cost_estimate(FILE *out, const struct pe_plan *plan,
			    const struct pe_prices *prices);

#endif
