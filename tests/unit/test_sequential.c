/*
 * Unit tests for sequential.c: the e-values worked by hand for short
 * sequences, the decision that stays, and simulations with a fixed seed:
 * 2,000 runs under "no change" whose false alarms stay within alpha, runs
 * that regressed by the margin whose false "no regression" stays within
 * alpha, and the power and the cases needed when the run regressed or
 * changed nothing.  The figures are printed as "figure: ..." lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "harness/results/sequential.h"

/* Cases per simulated run, and simulated runs per setting. */
enum { SIM_CASES = 200, SIM_RUNS = 2000 };

/* splitmix64: a small generator with a fixed seed, the same on every run. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform number in [0, 1). */
static double uniform(uint64_t *state)
{
	return (double)(next_random(state) >> 11) / 9007199254740992.0;
}

/* What a simulation found over its runs. */
struct sim {
	size_t regression;    /* runs that decided regression */
	size_t no_regression; /* runs that decided no regression */
	double mean_cases;    /* cases compared before deciding, over runs */
};

/*
 * Simulates SIM_RUNS runs of SIM_CASES cases, each regressed with
 * probability p_reg and improved with p_imp, and stops each at its
 * decision.
 */
static struct sim simulate(double p_reg, double p_imp, uint64_t seed)
{
	struct sim s = { 0, 0, 0 };
	uint64_t state = seed;
	double cases = 0;

	for (size_t run = 0; run < SIM_RUNS; run++) {
		struct pe_seqtest t;
		enum pe_seq_decision d = PE_SEQ_UNDECIDED;
		size_t n = 0;

		pe_seqtest_init(&t, PE_SEQ_ALPHA, PE_SEQ_MARGIN);
		while (d == PE_SEQ_UNDECIDED && n < SIM_CASES) {
			double u = uniform(&state);

			d = pe_seqtest_add(&t, u < p_reg ? PE_CHANGE_REGRESSED
					       : u < p_reg + p_imp
						       ? PE_CHANGE_IMPROVED
						       : PE_CHANGE_UNCHANGED);
			n++;
		}
		s.regression += d == PE_SEQ_REGRESSION;
		s.no_regression += d == PE_SEQ_NO_REGRESSION;
		cases += (double)n;
	}
	s.mean_cases = cases / SIM_RUNS;
	return s;
}

static void test_evalues_by_hand(void **state)
{
	struct pe_seqtest t;
	double want = 0;

	(void)state;
	pe_seqtest_init(&t, 0.05, 0.1);
	assert_true(fabs(pe_seqtest_e_regression(&t) - 1) < 1e-12);
	assert_true(fabs(pe_seqtest_e_no_regression(&t) - 1) < 1e-12);
	/* An undecided case counts for nothing. */
	assert_int_equal(pe_seqtest_add(&t, PE_CHANGE_UNDECIDED),
			 PE_SEQ_UNDECIDED);
	assert_int_equal(pe_seqtest_cases(&t), 0);
	/* Two regressed cases: the mean of (1 + lambda)^2 over the bets. */
	pe_seqtest_add(&t, PE_CHANGE_REGRESSED);
	pe_seqtest_add(&t, PE_CHANGE_REGRESSED);
	for (int k = 0; k < PE_SEQ_BETS; k++) {
		double lambda = (k + 0.5) / PE_SEQ_BETS;

		want += (1 + lambda) * (1 + lambda) / PE_SEQ_BETS;
	}
	assert_true(fabs(pe_seqtest_e_regression(&t) - want) < 1e-12);
	/* An unchanged case leaves the regression test alone. */
	pe_seqtest_add(&t, PE_CHANGE_UNCHANGED);
	assert_true(fabs(pe_seqtest_e_regression(&t) - want) < 1e-12);
	assert_int_equal(pe_seqtest_cases(&t), 3);
}

static void test_decision_stays(void **state)
{
	struct pe_seqtest t;
	size_t n = 0;

	(void)state;
	pe_seqtest_init(&t, 0.05, 0.1);
	while (pe_seqtest_add(&t, PE_CHANGE_REGRESSED) == PE_SEQ_UNDECIDED)
		n++;
	/* mean (1 + lambda)^n is 18.1 at n = 6 and 31.8 at n = 7. */
	assert_int_equal(n + 1, 7);
	assert_int_equal(t.decided_at, 7);
	for (int i = 0; i < 50; i++)
		assert_int_equal(pe_seqtest_add(&t, PE_CHANGE_IMPROVED),
				 PE_SEQ_REGRESSION);
	assert_int_equal(t.decided_at, 7);
	assert_string_equal(pe_seq_decision_name(t.decision), "regression");
}

/* Under "no change" a regression is declared in at most alpha of runs. */
static void test_null_false_alarms(void **state)
{
	/* Few discordant cases, and only discordant ones. */
	struct sim few = simulate(0.15, 0.15, 1);
	struct sim all = simulate(0.5, 0.5, 2);
	double rate_few = (double)few.regression / SIM_RUNS;
	double rate_all = (double)all.regression / SIM_RUNS;

	(void)state;
	printf("figure: sequential null (15%% regressed, 15%% improved): "
	       "%zu of %d runs said regression (%.4f, alpha %.2f), mean "
	       "%.1f cases\n",
	       few.regression, SIM_RUNS, rate_few, PE_SEQ_ALPHA,
	       few.mean_cases);
	printf("figure: sequential null (every case discordant): %zu of %d "
	       "runs said regression (%.4f, alpha %.2f)\n",
	       all.regression, SIM_RUNS, rate_all, PE_SEQ_ALPHA);
	assert_true(rate_few <= PE_SEQ_ALPHA);
	assert_true(rate_all <= PE_SEQ_ALPHA);
	/* The null's runs mostly end in "no regression". */
	assert_true(few.no_regression > SIM_RUNS / 2);
}

/* A regression of exactly the margin is called "no regression" rarely. */
static void test_margin_false_clearance(void **state)
{
	struct sim s = simulate(0.2, 0.1, 3);
	double rate = (double)s.no_regression / SIM_RUNS;

	(void)state;
	printf("figure: sequential at the margin (20%% regressed, 10%% "
	       "improved): %zu of %d runs said no regression (%.4f, alpha "
	       "%.2f)\n",
	       s.no_regression, SIM_RUNS, rate, PE_SEQ_ALPHA);
	assert_true(rate <= PE_SEQ_ALPHA);
}

/* A clear regression is found, well before the cases run out. */
static void test_power(void **state)
{
	struct sim reg = simulate(0.3, 0.05, 4);
	struct sim same = simulate(0, 0, 5);

	(void)state;
	printf("figure: sequential power (30%% regressed, 5%% improved): "
	       "%zu of %d runs said regression, mean %.1f of %d cases\n",
	       reg.regression, SIM_RUNS, reg.mean_cases, SIM_CASES);
	printf("figure: sequential, nothing changed: %zu of %d runs said no "
	       "regression, mean %.1f of %d cases\n",
	       same.no_regression, SIM_RUNS, same.mean_cases, SIM_CASES);
	assert_true(reg.regression >= SIM_RUNS * 95 / 100);
	assert_true(reg.mean_cases < SIM_CASES / 2);
	assert_int_equal(same.no_regression, SIM_RUNS);
	assert_true(same.mean_cases < SIM_CASES / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evalues_by_hand),
		cmocka_unit_test(test_decision_stays),
		cmocka_unit_test(test_null_false_alarms),
		cmocka_unit_test(test_margin_false_clearance),
		cmocka_unit_test(test_power),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
