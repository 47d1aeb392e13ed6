#ifndef PE_SEQUENTIAL_H
#define PE_SEQUENTIAL_H
/*
 * The sequential test of "run --until-decided": it reads the paired cases
 * of a run and its baseline one at a time, in the random order the run
 * finishes them, and says as soon as it may whether the run regressed.
 * Its figures stay valid however often they are looked at (they are
 * e-processes, and Ville's inequality bounds the chance that one ever
 * crosses 1/alpha under its null hypothesis by alpha), so the run may stop
 * at the first case that decides.
 *
 * Each compared case gives Y = +1 when it regressed, -1 when it improved
 * and 0 when it is unchanged (compare.h classifies it; an undecided case
 * is left out).  Two one-sided tests run side by side, each a mixture of
 * betting martingales over PE_SEQ_BETS fixed bets lambda = (k - 1/2) /
 * PE_SEQ_BETS, k = 1..PE_SEQ_BETS, weighted equally:
 *
 *   regression:     E = mean over lambda of prod (1 + lambda Y_i).
 *                   Its null is "no regression": E[Y_i] <= 0 given the
 *                   cases before, which holds when the edit changed
 *                   nothing (a case is then as likely to come out
 *                   regressed as improved).  Only discordant cases move
 *                   it: over the regressed r and improved i cases it is
 *                   the beta-binomial mixture likelihood ratio of
 *                   p = r / (r + i) > 1/2 against p = 1/2.
 *   no regression:  E = mean over lambda of prod (1 - lambda (Y_i - margin)).
 *                   Its null is "a regression of at least margin":
 *                   E[Y_i] >= margin, the net share of regressed cases
 *                   (regressed minus improved, over the cases compared)
 *                   at least margin.  Unchanged cases move it too, so
 *                   a run whose edit changed nothing decides.
 *
 * The first test whose E reaches 1/alpha decides, and the decision stays.
 * False alarms are at most alpha for each: a run that changed nothing
 * says "regression" with probability at most alpha, and a run that
 * regressed by margin or more says "no regression" with probability at
 * most alpha.
 *
 * NEEDSWORK: the cases of a run are a finite set drawn without
 * replacement in random order; the guarantee is the one for cases whose
 * outcomes are independent given the cases before, as the unit test
 * simulates.
 *
 * Memory: struct pe_seqtest is embedded by its user and holds no pointers.
 */
#include <stddef.h>

#include "harness/results/compare.h"

/* The bets of each mixture. */
enum { PE_SEQ_BETS = 20 };

/* The default significance level and margin of run --until-decided. */
#define PE_SEQ_ALPHA  0.05
#define PE_SEQ_MARGIN 0.1

enum pe_seq_decision {
	PE_SEQ_UNDECIDED,
	PE_SEQ_REGRESSION,
	PE_SEQ_NO_REGRESSION
};

struct pe_seqtest {
	double alpha;
	double margin;
	size_t regressed;
	size_t improved;
	size_t unchanged;
	/* The logarithm of each bet's wealth, for the two tests. */
	double log_regression[PE_SEQ_BETS];
	double log_no_regression[PE_SEQ_BETS];
	enum pe_seq_decision decision;
	size_t decided_at; /* cases compared when it decided; 0 before */
};

/*
 * Starts a test at level alpha (in (0, 1)) with the no-regression margin
 * (in [0, 1)).
 */
void pe_seqtest_init(struct pe_seqtest *t, double alpha, double margin);

/*
 * Adds one compared case; PE_CHANGE_UNDECIDED adds nothing.  Once the
 * test has decided, cases are still counted but the decision stays.
 * Returns the decision.
 */
enum pe_seq_decision pe_seqtest_add(struct pe_seqtest *t,
				    enum pe_change_kind change);

/* The e-values of the two tests so far (1 before any case). */
double pe_seqtest_e_regression(const struct pe_seqtest *t);
double pe_seqtest_e_no_regression(const struct pe_seqtest *t);

/* The cases the test has counted (regressed, improved and unchanged). */
size_t pe_seqtest_cases(const struct pe_seqtest *t);

/* "regression", "no regression" or "undecided". */
const char *pe_seq_decision_name(enum pe_seq_decision d);

#endif
