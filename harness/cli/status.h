#ifndef PE_STATUS_H
#define PE_STATUS_H
/*
 * The exit status: the documented scale (enum pe_exit in core/util.h,
 * printed by pe_print_exit_codes) and the one rule that turns what a
 * command found into a status.  Every command that judges rows ("run",
 * "score", "merge", "compare") ends with pe_exit_status; failures to
 * load, use or write are decided by the commands themselves (3, 4, 5)
 * before it is called.  "compare" without gates is a report: it passes
 * no tally, and so exits 0.
 */
#include <stddef.h>
#include <stdio.h>

#include "harness/results/result.h"

/* What a command found, for pe_exit_status. */
struct pe_outcome {
	/* The rows the command judged; NULL when it judges none. */
	const struct pe_tally *tally;
	/*
	 * Whether failed and errored rows decide the status ("run",
	 * "score", "compare" with gates), or only the gates and the
	 * "nothing was checked" rule do ("merge").
	 */
	int judge_rows;
	int gates_given;     /* pe_gates_decide_failures */
	size_t gates_failed; /* gates that failed (their lines are printed) */
	size_t gates_unchecked; /* gates asked for and not checked */
	int errors_allowed;	/* --max-errors was given */
	int ungraded_allowed;	/* --max-ungraded was given */
	size_t unanswered; /* score: cases of PATH that no response answers */
	int interrupted;   /* stopped by SIGINT before every job ran */
};

/*
 * The exit status, in this order:
 *   1  a gate failed (even when rows errored or the run was interrupted);
 *   2  the run was interrupted;
 *   2  a gate asked for could not be checked (its figure is not known);
 *   2  judged rows errored, and --max-errors was not given;
 *   2  judged rows are ungraded (an evaluator did not run), and
 *      --max-ungraded was not given;
 *   2  test cases were not scored (score: no response answers them),
 *      and --max-ungraded was not given;
 *   2  rows were judged but none passed or failed: nothing was checked
 *      (every case was skipped, or there were none);
 *   1  a judged row failed and no gate was given (gates decide when given);
 *   0  otherwise.
 * When the status is 2 because cases are ungraded or nothing was checked,
 * *why (when why is not NULL) is set to a line saying so, for the end of
 * the output; else NULL.
 */
int pe_exit_status(const struct pe_outcome *o, const char **why);

/* Prints the exit-status table (for --help). */
void pe_print_exit_codes(FILE *out);

#endif
