#ifndef PE_SUMMARY_H
#define PE_SUMMARY_H
/*
 * What "run --dry-run" prints of its plan: the power of its comparisons
 * and, where prices are set, a cost estimate.  The summary "run" and
 * "score" print after a run (matrix, judges, cost) is printed by the
 * terminal report's functions (reports/report.h).
 */
#include <stdio.h>

#include "harness/plan/plan.h"
#include "harness/results/aggregate.h"

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
