/*
 * The sequential test (see sequential.h): two mixtures of betting
 * martingales kept as logarithms, so that long runs neither overflow nor
 * underflow, and averaged with the log-sum-exp trick when read.
 */
#include <math.h>
#include <string.h>

#include "harness/results/sequential.h"
#include "harness/core/banned.h"

/* Bet k of the mixture, in (0, 1). */
static double bet(size_t k)
{
	return ((double)k + 0.5) / PE_SEQ_BETS;
}

/* The mean of exp(logs[0..PE_SEQ_BETS)). */
static double mean_exp(const double *logs)
{
	double top = logs[0], sum = 0;

	for (size_t k = 1; k < PE_SEQ_BETS; k++)
		if (logs[k] > top)
			top = logs[k];
	for (size_t k = 0; k < PE_SEQ_BETS; k++)
		sum += exp(logs[k] - top);
	return exp(top) * sum / PE_SEQ_BETS;
}

/* Starts a test; see sequential.h. */
void pe_seqtest_init(struct pe_seqtest *t, double alpha, double margin)
{
	memset(t, 0, sizeof(*t));
	t->alpha = alpha;
	t->margin = margin;
	t->decision = PE_SEQ_UNDECIDED;
}

/* Adds one case; see sequential.h. */
enum pe_seq_decision pe_seqtest_add(struct pe_seqtest *t,
				    enum pe_change_kind change)
{
	double y;

	switch (change) {
	case PE_CHANGE_REGRESSED:
		y = 1;
		t->regressed++;
		break;
	case PE_CHANGE_IMPROVED:
		y = -1;
		t->improved++;
		break;
	case PE_CHANGE_UNCHANGED:
		y = 0;
		t->unchanged++;
		break;
	default:
		return t->decision;
	}
	/* Every factor is above 0: bets are below 1 and margin is too. */
	for (size_t k = 0; k < PE_SEQ_BETS; k++) {
		t->log_regression[k] += log1p(bet(k) * y);
		t->log_no_regression[k] += log1p(-bet(k) * (y - t->margin));
	}
	if (t->decision != PE_SEQ_UNDECIDED)
		return t->decision;
	if (pe_seqtest_e_regression(t) >= 1 / t->alpha)
		t->decision = PE_SEQ_REGRESSION;
	else if (pe_seqtest_e_no_regression(t) >= 1 / t->alpha)
		t->decision = PE_SEQ_NO_REGRESSION;
	if (t->decision != PE_SEQ_UNDECIDED)
		t->decided_at = pe_seqtest_cases(t);
	return t->decision;
}

/* The regression test's e-value; see sequential.h. */
double pe_seqtest_e_regression(const struct pe_seqtest *t)
{
	return mean_exp(t->log_regression);
}

/* The no-regression test's e-value; see sequential.h. */
double pe_seqtest_e_no_regression(const struct pe_seqtest *t)
{
	return mean_exp(t->log_no_regression);
}

/* The cases counted; see sequential.h. */
size_t pe_seqtest_cases(const struct pe_seqtest *t)
{
	return t->regressed + t->improved + t->unchanged;
}

/* The decision's name; see sequential.h. */
const char *pe_seq_decision_name(enum pe_seq_decision d)
{
	switch (d) {
	case PE_SEQ_REGRESSION:
		return "regression";
	case PE_SEQ_NO_REGRESSION:
		return "no regression";
	default:
		return "undecided";
	}
}
