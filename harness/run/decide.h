#ifndef PE_DECIDE_H
#define PE_DECIDE_H
/*
 * The decider of "run --until-decided": it puts a plan's cases in a
 * random order that a seed makes reproducible, watches the jobs finish
 * (as the run's observer, passing every call on to the observer it
 * wraps), pairs each case with the baseline's as soon as all its repeats
 * have finished, and feeds the sequential test (results/sequential.h).
 * When the test decides, it sets the flag the runner reads
 * (pe_run_options.decided): the runner sends nothing more, lets what is in
 * flight finish, and the cases not started are not run.
 *
 * A case is the plan's jobs that differ by their repeat only (prompt,
 * case, model, temperature); its jobs are sent one after the other so
 * that cases finish early.  Each side of a case is counted and classified
 * as compare.h does (pe_compare_side, pe_compare_classify).  A case the
 * baseline lacks is run but not compared.
 *
 * The baseline's rows find their case by a binary search among the
 * plan's cases in key order.  Against a baseline written before results
 * schema 3, whose generated case ids have 8 digits, the plan's 16-digit
 * ids pair by their first 8, as pe_compare_new pairs them.
 *
 * Memory: the decider borrows the plan, the baseline and the wrapped
 * observer, which must outlive it; pe_decider_free frees the rest.
 */
#include <stddef.h>

#include "harness/plan/plan.h"
#include "harness/results/resultset.h"
#include "harness/results/sequential.h"
#include "harness/run/runner.h"

struct pe_decider;

/*
 * Makes a decider for plan against base, testing at alpha with margin
 * (sequential.h), its cases shuffled with seed.  inner is the observer to
 * pass calls on to (NULL: none).  Returns a new decider owned by the
 * caller.
 */
struct pe_decider *pe_decider_new(const struct pe_plan *plan,
				  const struct pe_resultset *base, double alpha,
				  double margin, unsigned long long seed,
				  const struct pe_run_observer *inner);
void pe_decider_free(struct pe_decider *d);

/*
 * Points the run options at the decider: its job order, its flag and its
 * observer (which wraps inner).
 */
void pe_decider_apply(struct pe_decider *d, struct pe_run_options *ro);

/* The test so far (read it once the run is over). */
const struct pe_seqtest *pe_decider_test(const struct pe_decider *d);

/* The plan's cases, and those whose jobs all finished. */
size_t pe_decider_cases(const struct pe_decider *d);
size_t pe_decider_cases_run(const struct pe_decider *d);

/*
 * Writes the sentence results.json and the reports keep for a run the
 * decision stopped, "decided: regression after 7 of 40 cases", into buf.
 */
void pe_decider_describe(const struct pe_decider *d, char *buf, size_t size);

#endif
