#ifndef PE_STATS_H
#define PE_STATS_H
/*
 * Small, self-contained statistics for the report and compare features:
 * Wilson score intervals for pass rates, the exact sign test (McNemar's
 * exact test on discordant pairs), a per-case paired comparison of two
 * runs, and percentiles and means for latencies.
 *
 * The functions keep no state and touch no globals (not even signgam), so
 * they may be called from several threads at once.  All pointer arguments
 * are borrowed and must not be NULL unless a function says otherwise;
 * nothing here allocates memory that outlives the call.
 */
#include <stddef.h>

/* z for a two-sided 95 % interval: the 0.975 quantile of the normal. */
#define PE_Z_95 1.959963984540054

/* The significance level the paired comparison uses. */
#define PE_STATS_ALPHA 0.05

/*
 * A pass rate: pass out of decided (passes plus failures).  When decided
 * is 0, rate, low and high are NAN.
 */
struct pe_pass_rate {
	size_t pass;
	size_t decided;
	double rate;
	double low; /* the Wilson 95 % interval (PE_Z_95) */
	double high;
};

/*
 * Computes the Wilson score interval for successes out of trials at the
 * normal quantile z (PE_Z_95 for 95 %), in closed form:
 *
 *   center = (s + z^2/2) / (n + z^2)
 *   half   = z * sqrt(s (n - s) / n + z^2/4) / (n + z^2)
 *
 * Stores center - half in *low and center + half in *high, clamped to
 * [0, 1]; successes == 0 gives exactly *low == 0 and successes == trials
 * gives exactly *high == 1.  Returns 0, or PE_ERR_INVALID (leaving *low and
 * *high alone) when trials is 0, successes > trials, or z is negative or
 * not finite.
 */
int pe_wilson_interval(size_t successes, size_t trials, double z, double *low,
		       double *high);

/*
 * Returns P[X <= k] for X ~ Binomial(n, 1/2), the lower tail of a fair
 * coin: sum over i = 0..k of C(n, i) / 2^n.  k >= n gives 1.  The value is
 * computed without overflow from products of ratios; against exact integer
 * arithmetic its relative error stayed below 1e-13 for n up to 1e5.  Tails
 * below the smallest double come out as 0.  Takes O(min(k, n - k)) time.
 */
double pe_binomial_tail_le(size_t k, size_t n);

/*
 * Returns the two-sided p-value of McNemar's exact test on paired binary
 * outcomes, where b counts pairs that went pass -> fail and c counts pairs
 * that went fail -> pass (concordant pairs carry no information).  It is
 * the exact binomial test of min(b, c) among n = b + c at p = 1/2:
 *
 *   p = min(1, 2 * P[X <= min(b, c)]),  X ~ Binomial(n, 1/2)
 *
 * and 1 when n == 0.  b + c must not overflow size_t.
 */
double pe_mcnemar_exact_p(size_t b, size_t c);

/*
 * Returns the two-sided p-value of the exact sign test with ties already
 * dropped: plus and minus count the pairs that moved each way.  The same
 * number as pe_mcnemar_exact_p(plus, minus).
 */
double pe_sign_test_p(size_t plus, size_t minus);

/*
 * One case of a paired comparison: its repeats are replicates, so each side
 * contributes a pass rate, pass / total.  Both totals must be at least 1.
 */
struct pe_paired_case {
	size_t base_pass, base_total;
	size_t head_pass, head_total;
};

/*
 * The outcome of comparing head with base case by case.  A case improved
 * when head's pass rate is higher than base's, regressed when it is lower,
 * and is unchanged when the rates are equal (1/2 equals 2/4).
 */
struct pe_paired_result {
	size_t n_cases;
	size_t improved;
	size_t regressed;
	size_t unchanged;
	/* Exact two-sided sign test of improved against regressed. */
	double p_value;
	/* Mean over cases of head rate - base rate, in [-1, 1]. */
	double effect;
	/* Matched-pairs effect size (improved - regressed) / n_cases. */
	double net_effect;
	/*
	 * Set when even the most lopsided split of this many changed cases
	 * (all of them one way) could not reach p < PE_STATS_ALPHA, which
	 * is the case for fewer than 6 changed cases: there are too few
	 * cases to tell, whatever happened.
	 */
	int too_few;
	/* p_value < PE_STATS_ALPHA and more cases regressed than improved. */
	int significant_regression;
	/* p_value < PE_STATS_ALPHA and more cases improved than regressed. */
	int significant_improvement;
};

/*
 * Compares n paired cases and fills *out.  cases may be NULL when n is 0,
 * which gives zero counts, p_value 1, effects 0 and too_few set.  Returns
 * 0, or PE_ERR_INVALID (with *out unspecified) when a case has a total of
 * 0 or more passes than its total.
 */
int pe_paired_compare(const struct pe_paired_case *cases, size_t n,
		      struct pe_paired_result *out);

/*
 * Returns the q-quantile (0 <= q <= 1) of values[0..n-1], interpolating
 * linearly between the closest ranks as numpy's default ("linear") does:
 * with h = (n - 1) q, the result is v[floor(h)] + (h - floor(h)) *
 * (v[floor(h) + 1] - v[floor(h)]) on the sorted values.  Sorts values in
 * place as a side effect.  Returns NAN when n is 0, q is outside [0, 1]
 * or NaN, or any value is NaN (values is then left unsorted).
 */
double pe_percentile(double *values, size_t n, double q);

/* Returns the arithmetic mean of values[0..n-1], or NAN when n is 0. */
double pe_mean(const double *values, size_t n);

#endif
