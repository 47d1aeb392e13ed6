#ifndef PE_GATE_H
#define PE_GATE_H
/*
 * Gates: the thresholds a CI job sets on a run ("run") or on the head of
 * a comparison ("compare"), given as options.  Each gate checks one
 * figure of the results; a gate that fails makes the command exit 1, and
 * the last line of its output names the gate:
 *
 *   gate failed: --min-pass-rate 0.80 (overall pass rate 0.62)
 *
 * The exit status is decided by the one rule, pe_exit_status (status.h).
 *
 * Memory: everything is borrowed; nothing here allocates anything that
 * outlives a call.
 */
#include <stdio.h>

#include "harness/results/aggregate.h"
#include "harness/results/compare.h"
#include "harness/cli/options.h"
#include "harness/results/resultset.h"
#include "harness/results/sequential.h"

/* --fail-on: what makes a run fail. */
extern const char *const pe_fail_on_choices[];

struct pe_gates {
	double min_pass_rate;	   /* NAN when not given */
	const char *fail_on;	   /* NULL when not given */
	long max_errors;	   /* -1 when not given */
	long max_ungraded;	   /* -1 when not given */
	double max_cost_usd;	   /* NAN when not given */
	double max_p95_latency_ms; /* NAN when not given */
	double max_p95_ttft_ms;	   /* NAN when not given */
	/*
	 * run --until-decided: the regression kinds of --fail-on read this
	 * sequential test's decision instead of the comparison.  NULL
	 * otherwise.
	 */
	const struct pe_seqtest *sequential;
	/*
	 * A --fail-on from the configuration that needs a baseline, in a
	 * run given none (pe_gates_set_aside): it is not checked, and the
	 * gate lines say so.  NULL otherwise.
	 */
	const char *fail_on_set_aside;
};

/*
 * The gate options, for the option table of a command that checks
 * gates g (a struct pe_gates *); the same flags and help on every command.
 */
/* clang-format off */
#define PE_GATE_OPTIONS(g)						\
	{ PE_OPT_DOUBLE, 0, "min-pass-rate", "P",			\
	  "gate: the pass rate, overall and per prompt, is at least "	\
	  "P (above 0, up to 1)", &(g)->min_pass_rate, NULL, 0, 0 },		\
	{ PE_OPT_CHOICE, 0, "fail-on", "WHAT",				\
	  "gate: any-failure, regression or significant-regression "	\
	  "(these two need a baseline)",				\
	  &(g)->fail_on, pe_fail_on_choices, 0, 0 },			\
	{ PE_OPT_LONG, 0, "max-errors", "N",				\
	  "gate: at most N jobs ended in error",			\
	  &(g)->max_errors, NULL, 0, 1000000000 },			\
	{ PE_OPT_LONG, 0, "max-ungraded", "N",				\
	  "gate: at most N cases ungraded (an evaluator did not run)",	\
	  &(g)->max_ungraded, NULL, 0, 1000000000 },			\
	{ PE_OPT_DOUBLE, 0, "max-cost", "USD",				\
	  "gate: the spend, answers' and judges' calls made (not "	\
	  "from the cache), is at most USD (needs prices)",		\
	  &(g)->max_cost_usd, NULL, 0, 0 },				\
	{ PE_OPT_DOUBLE, 0, "max-p95-latency", "MS",			\
	  "gate: the p95 request latency is at most MS",		\
	  &(g)->max_p95_latency_ms, NULL, 0, 0 },			\
	{ PE_OPT_DOUBLE, 0, "max-p95-ttft", "MS",			\
	  "gate: the p95 time to the first token is at most MS",	\
	  &(g)->max_p95_ttft_ms, NULL, 0, 0 }
/* clang-format on */

/* Sets every gate to "not given". */
void pe_gates_init(struct pe_gates *g);

/* Returns 1 when at least one gate was given. */
int pe_gates_given(const struct pe_gates *g);

/*
 * Returns 1 when a gate that decides about failed cases was given
 * (--min-pass-rate, --fail-on): failed cases alone then no longer fail
 * the command.  --max-errors and --max-ungraded only allow errors and
 * ungraded cases, and --max-cost, --max-p95-latency and --max-p95-ttft
 * check the spend and the latencies, not the verdicts.
 */
int pe_gates_decide_failures(const struct pe_gates *g);

/* Returns 1 when a gate needs a comparison (--fail-on *regression). */
int pe_gates_need_baseline(const struct pe_gates *g);

/*
 * Sets aside a --fail-on that needs a baseline, for a run given none:
 * fail_on is cleared (so failed cases count again as without it) and
 * kept in fail_on_set_aside, which pe_gates_check reports as not
 * checked.  For gates from the configuration: on the command line such
 * a gate without --baseline is a usage error.
 */
void pe_gates_set_aside(struct pe_gates *g);

/*
 * Checks the range of the values the options gave; prints a message
 * naming the option (with cmd, "run") and returns PE_ERR_USAGE, or 0.
 */
int pe_gates_validate(const struct pe_gates *g, const char *cmd);

/*
 * Why a pass rate of 0 is refused, as an option and in gates:, after its
 * name.  Every pass rate is at least 0, so the gate would pass a run
 * whose every case failed.  Any rate above 0, however small, fails a run
 * in which nothing passed (the rate is compared exactly, and is 0 only
 * then), so only 0 itself is refused.
 */
#define PE_GATE_RATE_ZERO_WHY                                                  \
	"passes a run whose every case failed, so it checks nothing: give a "  \
	"rate above 0, such as 0.9"

/* What became of one gate. */
enum pe_gate_verdict {
	PE_GATE_PASSED,
	PE_GATE_NOT_CHECKED, /* its figure is not known */
	PE_GATE_FAILED
};

/*
 * One gate's result: its verdict and what it checked with the figure it
 * found, "--min-pass-rate 0.80 (overall pass rate 0.62)" (plain text
 * that may name a prompt: a writer escapes it for its format).
 */
struct pe_gate_result {
	enum pe_gate_verdict verdict;
	char *text; /* owned by the list */
};

/*
 * The results of the given gates, in the order they are printed: those
 * that passed or were not checked first, then those that failed.  The
 * reports get them from the command that checked them
 * (pe_report_input.gates).  An embedded struct: pe_gate_results_init,
 * pe_gate_results_release.
 */
struct pe_gate_results {
	struct pe_gate_result *items;
	size_t count, alloc;
	size_t nfailed;
	/* Gates asked for that could not be checked (a figure not known):
	 * the exit status is 2.  The configuration's fail_on set aside for
	 * want of a baseline is not one of them. */
	size_t nunchecked;
};

void pe_gate_results_init(struct pe_gate_results *r);
void pe_gate_results_release(struct pe_gate_results *r);

/* "passed", "not checked" or "failed", as the gate lines say. */
const char *pe_gate_verdict_name(enum pe_gate_verdict v);

/*
 * What r's gates say together: "failed" when one failed, else "not all
 * checked" when one was not checked, else "passed"; "none checked" for
 * an empty list.  The reports' headings use it, so a gate that did not
 * run never reads as passed.
 */
const char *pe_gate_results_verdict(const struct pe_gate_results *r);

/*
 * Checks every given gate as pe_gates_check does, appending one result
 * per gate to out (initialised by the caller) instead of printing it.
 * Returns the number of gates that failed.
 */
size_t pe_gates_evaluate(const struct pe_gates *g,
			 const struct pe_resultset *rs,
			 const struct pe_aggregate *agg,
			 const struct pe_comparison *cmp,
			 struct pe_gate_results *out);

/* Prints one line per result of r to out, "gate failed: ...". */
void pe_gate_results_print(const struct pe_gate_results *r, FILE *out);

/*
 * Checks every given gate against the rows of rs (aggregated in agg) and,
 * for the regression kinds of --fail-on, against cmp (which may be NULL
 * only when no such gate was given).  Prints one line per gate to out:
 * "gate passed: ..." and "gate not checked: ..." (a figure that is not
 * known, such as the cost without prices) first, then "gate failed: ...".
 * --max-cost checks what the answers' and the judges' calls that went
 * out cost together, not those the cache answered.  Returns the number
 * of gates that failed; sets *unchecked to the number of gates asked for
 * that could not be checked (pe_gate_results's nunchecked).
 */
size_t pe_gates_check(const struct pe_gates *g, const struct pe_resultset *rs,
		      const struct pe_aggregate *agg,
		      const struct pe_comparison *cmp, FILE *out,
		      size_t *unchecked);

#endif
