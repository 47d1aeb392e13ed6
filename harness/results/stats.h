#ifndef PE_STATS_H
#define PE_STATS_H
/*
 * Small, self-contained statistics for the report and compare features:
 * Wilson score intervals for pass rates, the pass rate with the case as
 * the unit (repeats of a case clustered), the exact sign test (McNemar's
 * exact test on discordant pairs), a per-case paired comparison of two
 * runs or two models with its paired interval, the smallest difference a
 * paired comparison can detect, and percentiles and means for latencies.
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

/* z for 80 % power: the 0.8 quantile of the normal. */
#define PE_Z_POWER_80 0.8416212335729143

/*
 * How a pass rate and its 95 % interval were computed (see
 * pe_case_pass_rate):
 *
 *   PE_RATE_POOLED     every decided row counted as an independent trial:
 *                      passes over decided rows, Wilson on those counts.
 *                      Only a tally that does not know its cases
 *                      (pe_tally_finish) gives this.
 *   PE_RATE_WILSON     the case is the unit and every case has one decided
 *                      repeat: Wilson on (passing cases, cases).
 *   PE_RATE_CLUSTERED  the case is the unit and some case has more
 *                      decided repeats than one: the mean of the cases'
 *                      pass fractions, with a Wilson interval at the
 *                      effective number of cases (see below).
 */
enum pe_rate_method { PE_RATE_POOLED, PE_RATE_WILSON, PE_RATE_CLUSTERED };

/*
 * A pass rate: pass out of decided (passes plus failures), and its
 * estimate by method.  When decided is 0, rate, low and high are NAN.
 */
struct pe_pass_rate {
	size_t pass;
	size_t decided;
	size_t cases; /* cases with a decided repeat; 0 when pooled */
	double rate;  /* pooled: pass / decided; else the mean over cases */
	double low;   /* the 95 % interval (PE_Z_95) */
	double high;
	/* The n the interval is Wilson's at; NAN when decided is 0. */
	double effective_n;
	enum pe_rate_method method;
};

/* One case's decided repeats: pass of decided (passes plus failures). */
struct pe_case_count {
	size_t pass;
	size_t decided;
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
 * Fills *out with the pass rate of cases[0..n-1] with the case as the
 * unit.  Cases with no decided repeat (only errors or ungraded rows) are
 * not counted.  With n' counted cases and f_i = pass_i / decided_i:
 *
 *   rate = mean of f_i;
 *   SE   = sd(f_i) / sqrt(n'), sd with the divisor n' (the cluster-robust
 *          standard error of a mean of cluster means, CR0);
 *   n_eff = rate (1 - rate) / SE^2, kept within [n', decided rows];
 *   the interval is Wilson's closed form at n_eff with rate * n_eff
 *   successes, which stays inside [0, 1].
 *
 * When every case has one decided repeat, f_i is 0 or 1, SE^2 is
 * rate (1 - rate) / n', so n_eff = n' and the interval is exactly Wilson
 * on (passing cases, cases): method PE_RATE_WILSON.  Otherwise method is
 * PE_RATE_CLUSTERED, with these edge cases: when the rate is 0 or 1 (every
 * repeat failed, or every one passed), n_eff = n'; when one case is
 * counted, n_eff = 1 (one case is one trial, however often it was
 * asked); when SE is 0 with a rate inside (0, 1) (every case passed the
 * same fraction), n_eff is the number of decided rows, as if the repeats
 * were independent.  cases may be NULL when n is 0.  With no decided
 * repeat at all, rate, low, high and effective_n are NAN.
 */
void pe_case_pass_rate(const struct pe_case_count *cases, size_t n,
		       struct pe_pass_rate *out);

/*
 * Returns how a report names method: "pooled Wilson", "Wilson" or
 * "case-clustered Wilson".
 */
const char *pe_rate_method_name(enum pe_rate_method method);

/*
 * Returns the smallest difference in pass rate that a paired comparison
 * of two models on n_cases cases, each asked repeats times, detects with
 * 80 % power at a two-sided alpha of 0.05, by the normal approximation:
 *
 *   (PE_Z_95 + PE_Z_POWER_80) * sqrt(2 p (1 - p) (rho + (1 - rho) / r) / n)
 *
 * with p = 1/2 (the largest variance), the two models' answers
 * uncorrelated (a positive correlation, usual for two models on the same
 * cases, makes the difference smaller), and rho the correlation of the
 * repeats of a case: 0 when repeats are independent draws, 1 when a case
 * always gets the same verdict, which makes repeats worthless.  Returns
 * NAN when n_cases or repeats is 0 or rho is outside [0, 1].  The answer
 * may exceed 1: then no difference can be detected.
 */
double pe_min_detectable_difference(size_t n_cases, size_t repeats, double rho);

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
	/*
	 * The paired 95 % interval of effect, Student's t on the per-case
	 * differences: effect -/+ t(0.975, n_cases - 1) * sd / sqrt(n_cases),
	 * sd their sample standard deviation (divisor n_cases - 1), clamped
	 * to [-1, 1].  NAN when there are fewer than 2 cases.
	 */
	double effect_low;
	double effect_high;
};

/*
 * Compares n paired cases and fills *out: the one paired per-case
 * computation, used for two runs (compare.h) and for two models of a
 * ranking (aggregate.h).  With one repeat a side, the sign test is
 * McNemar's exact test.  cases may be NULL when n is 0,
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
