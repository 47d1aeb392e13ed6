/*
 * Statistics for reports and comparisons.  Binomial tails of a fair coin
 * are computed without lgamma (whose glibc version writes the global
 * signgam) and without big numbers: C(n, k) / 2^n is built as a product of
 * ratios in a mantissa-and-exponent pair, so it neither overflows nor
 * underflows on the way, and the tail is summed from its largest term
 * downwards as ratios of that term.  Both loops are O(min(k, n - k)).
 */
#include "harness/results/stats.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/util.h"
#include "harness/core/banned.h"

/* Computes the Wilson score interval; see stats.h. */
int pe_wilson_interval(size_t successes, size_t trials, double z, double *low,
		       double *high)
{
	double s = (double)successes;
	double n = (double)trials;
	double z2 = z * z;
	double center, half;

	if (trials == 0 || successes > trials || !(z >= 0.0) || isinf(z))
		return PE_ERR_INVALID;
	center = (s + z2 / 2.0) / (n + z2);
	half = z * sqrt(s * (n - s) / n + z2 / 4.0) / (n + z2);
	/* The ends are exact in theory; rounding must not move them. */
	*low = successes == 0 ? 0.0 : fmax(0.0, center - half);
	*high = successes == trials ? 1.0 : fmin(1.0, center + half);
	return 0;
}

/*
 * Wilson's closed form at a real number of trials n > 0 with rate * n
 * successes; at whole numbers it is pe_wilson_interval's.
 */
static void wilson_at(double rate, double n, double *low, double *high)
{
	double z2 = PE_Z_95 * PE_Z_95;
	double center = (rate * n + z2 / 2.0) / (n + z2);
	double half =
		PE_Z_95 * sqrt(rate * (1.0 - rate) * n + z2 / 4.0) / (n + z2);

	*low = rate <= 0.0 ? 0.0 : fmax(0.0, center - half);
	*high = rate >= 1.0 ? 1.0 : fmin(1.0, center + half);
}

/* Chooses the effective n of a clustered rate; see pe_case_pass_rate. */
static double effective_cases(double rate, double variance, size_t cases,
			      size_t decided)
{
	double n = (double)cases;

	if (cases == 1 || rate <= 0.0 || rate >= 1.0)
		return n;
	if (variance <= 0.0)
		return (double)decided;
	return fmin((double)decided,
		    fmax(n, rate * (1.0 - rate) * n / variance));
}

/* Computes the pass rate with the case as the unit; see stats.h. */
void pe_case_pass_rate(const struct pe_case_count *cases, size_t n,
		       struct pe_pass_rate *out)
{
	double sum = 0.0, squares = 0.0, mean, variance;
	int one_each = 1;

	memset(out, 0, sizeof(*out));
	out->method = PE_RATE_WILSON;
	for (size_t i = 0; i < n; i++) {
		double f;

		if (!cases[i].decided)
			continue;
		f = (double)cases[i].pass / (double)cases[i].decided;
		out->cases++;
		out->pass += cases[i].pass;
		out->decided += cases[i].decided;
		one_each &= cases[i].decided == 1;
		sum += f;
		squares += f * f;
	}
	out->rate = out->low = out->high = out->effective_n = NAN;
	if (!out->cases)
		return;
	if (one_each) {
		out->rate = (double)out->pass / (double)out->cases;
		out->effective_n = (double)out->cases;
		pe_wilson_interval(out->pass, out->cases, PE_Z_95, &out->low,
				   &out->high);
		return;
	}
	out->method = PE_RATE_CLUSTERED;
	mean = sum / (double)out->cases;
	/* The population variance of the fractions, never below 0. */
	variance = fmax(0.0, squares / (double)out->cases - mean * mean);
	out->rate = mean;
	out->effective_n =
		effective_cases(mean, variance, out->cases, out->decided);
	wilson_at(mean, out->effective_n, &out->low, &out->high);
}

/* Names a rate method for the reports; see stats.h. */
const char *pe_rate_method_name(enum pe_rate_method method)
{
	switch (method) {
	case PE_RATE_WILSON:
		return "Wilson";
	case PE_RATE_CLUSTERED:
		return "case-clustered Wilson";
	default:
		return "pooled Wilson";
	}
}

/* Returns the minimum detectable paired difference; see stats.h. */
double pe_min_detectable_difference(size_t n_cases, size_t repeats, double rho)
{
	double variance;

	if (!n_cases || !repeats || !(rho >= 0.0 && rho <= 1.0))
		return NAN;
	/* p = 1/2 on both sides, uncorrelated: 2 p (1 - p) = 1/2. */
	variance = 0.5 * (rho + (1.0 - rho) / (double)repeats);
	return (PE_Z_95 + PE_Z_POWER_80) * sqrt(variance / (double)n_cases);
}

/*
 * Stores C(n, k) / 2^n as *mantissa * 2^*exponent with the mantissa in
 * [0.5, 1).  Renormalizing after every factor keeps the running product
 * far from both overflow and underflow.
 */
static void scaled_half_binomial(size_t k, size_t n, double *mantissa,
				 long long *exponent)
{
	double m = 0.5;
	long long e = 1 - (long long)n;
	int step;

	for (size_t i = 1; i <= k; i++) {
		m = m * (double)(n - k + i) / (double)i;
		m = frexp(m, &step);
		e += step;
	}
	*mantissa = m;
	*exponent = e;
}

/*
 * Returns the sum over i = 0..k of C(n, i) / C(n, k), for 2k < n.  The
 * ratio of neighbouring terms, i / (n - i + 1), is then below 1, so the
 * terms shrink as i falls and the loop stops once they no longer count.
 * Neumaier's compensated sum keeps the many near-equal terms of a
 * balanced split accurate.
 */
static double sum_tail_ratios(size_t k, size_t n)
{
	double sum = 1.0, compensation = 0.0, term = 1.0;

	for (size_t i = k; i > 0; i--) {
		double next;

		term *= (double)i / (double)(n - i + 1);
		if (term < sum * DBL_EPSILON * 1e-3)
			break;
		next = sum + term;
		if (sum >= term)
			compensation += (sum - next) + term;
		else
			compensation += (term - next) + sum;
		sum = next;
	}
	return sum + compensation;
}

/* Returns P[X <= k] for X ~ Binomial(n, 1/2) when 2k < n. */
static double lower_tail(size_t k, size_t n)
{
	double mantissa;
	long long exponent;

	scaled_half_binomial(k, n, &mantissa, &exponent);
	/* Far below the smallest subnormal; also keeps ldexp's int safe. */
	if (exponent < -4096)
		return 0.0;
	return ldexp(mantissa * sum_tail_ratios(k, n), (int)exponent);
}

/* Returns the lower tail of a fair-coin binomial; see stats.h. */
double pe_binomial_tail_le(size_t k, size_t n)
{
	if (k >= n)
		return 1.0;
	/* Past the middle, sum the shorter upper tail instead. */
	if (k >= n - k)
		return 1.0 - lower_tail(n - k - 1, n);
	return lower_tail(k, n);
}

/* Returns McNemar's exact two-sided p-value; see stats.h. */
double pe_mcnemar_exact_p(size_t b, size_t c)
{
	size_t n, k;
	double p;

	if (c > SIZE_MAX - b)
		return NAN;
	n = b + c;
	k = b < c ? b : c;
	/* A balanced split doubles a tail of at least 1/2. */
	if (n == 0 || k >= n - k)
		return 1.0;
	p = 2.0 * lower_tail(k, n);
	return p > 1.0 ? 1.0 : p;
}

/* Returns the exact sign test's two-sided p-value; see stats.h. */
double pe_sign_test_p(size_t plus, size_t minus)
{
	return pe_mcnemar_exact_p(plus, minus);
}

/*
 * Compares the rates a_pass / a_total and b_pass / b_total: returns a
 * negative number, 0 or a positive number as the first is lower, equal or
 * higher.  Cross products are exact while the totals fit in 32 bits;
 * beyond that, correctly rounded quotients still tell equal fractions
 * apart from all but absurdly close ones.
 */
static int compare_rates(size_t a_pass, size_t a_total, size_t b_pass,
			 size_t b_total)
{
	if (a_total <= UINT32_MAX && b_total <= UINT32_MAX) {
		uint64_t left = (uint64_t)a_pass * b_total;
		uint64_t right = (uint64_t)b_pass * a_total;

		return (left > right) - (left < right);
	} else {
		double left = (double)a_pass / (double)a_total;
		double right = (double)b_pass / (double)b_total;

		return (left > right) - (left < right);
	}
}

static int is_valid_case(const struct pe_paired_case *c)
{
	return c->base_total > 0 && c->head_total > 0 &&
	       c->base_pass <= c->base_total && c->head_pass <= c->head_total;
}

/*
 * Returns the 0.975 quantile of Student's t with df >= 1 degrees of
 * freedom: from the usual table up to 30, beyond that by the
 * Cornish-Fisher expansion around the normal quantile (four terms,
 * accurate to better than 1e-6 there).
 */
static double t_quantile_975(size_t df)
{
	static const double table[] = {
		12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912,
		2.364624,  2.306004, 2.262157, 2.228139, 2.200985, 2.178813,
		2.160369,  2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
		2.093024,  2.085963, 2.079614, 2.073873, 2.068658, 2.063899,
		2.059539,  2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
	};
	double z = PE_Z_95, d = (double)df;
	double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
	double z9 = z7 * z * z;

	if (df <= sizeof(table) / sizeof(*table))
		return table[df - 1];
	return z + (z3 + z) / 4.0 / d +
	       (5.0 * z5 + 16.0 * z3 + 3.0 * z) / 96.0 / (d * d) +
	       (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / 384.0 /
		       (d * d * d) +
	       (79.0 * z9 + 776.0 * z7 + 1482.0 * z5 - 1920.0 * z3 -
		945.0 * z) /
		       92160.0 / (d * d * d * d);
}

/*
 * Sets the paired t interval of out->effect from the sum of the squared
 * differences of its out->n_cases (at least 2) cases.
 */
static void set_effect_interval(struct pe_paired_result *out,
				double diff_squares)
{
	double n = (double)out->n_cases;
	double variance =
		(diff_squares - n * out->effect * out->effect) / (n - 1.0);
	double half = t_quantile_975(out->n_cases - 1) *
		      sqrt(fmax(0.0, variance) / n);

	out->effect_low = fmax(-1.0, out->effect - half);
	out->effect_high = fmin(1.0, out->effect + half);
}

/* Compares two runs case by case; see stats.h. */
int pe_paired_compare(const struct pe_paired_case *cases, size_t n,
		      struct pe_paired_result *out)
{
	double diff_sum = 0.0, diff_squares = 0.0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		const struct pe_paired_case *c = &cases[i];
		double diff;
		int order;

		if (!is_valid_case(c))
			return PE_ERR_INVALID;
		diff = (double)c->head_pass / (double)c->head_total -
		       (double)c->base_pass / (double)c->base_total;
		diff_sum += diff;
		diff_squares += diff * diff;
		order = compare_rates(c->head_pass, c->head_total, c->base_pass,
				      c->base_total);
		if (order > 0)
			out->improved++;
		else if (order < 0)
			out->regressed++;
		else
			out->unchanged++;
	}
	out->n_cases = n;
	out->p_value = pe_sign_test_p(out->improved, out->regressed);
	out->effect_low = out->effect_high = NAN;
	if (n > 0) {
		out->effect = diff_sum / (double)n;
		out->net_effect =
			((double)out->improved - (double)out->regressed) /
			(double)n;
	}
	if (n > 1)
		set_effect_interval(out, diff_squares);
	out->too_few = pe_sign_test_p(out->improved + out->regressed, 0) >=
		       PE_STATS_ALPHA;
	out->significant_regression =
		out->p_value < PE_STATS_ALPHA && out->regressed > out->improved;
	out->significant_improvement =
		out->p_value < PE_STATS_ALPHA && out->improved > out->regressed;
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Interpolates from a to b at t in [0, 1] as numpy's _lerp does: from the
 * nearer end, so that the result is exact at both ends and monotonic.
 */
static double lerp(double a, double b, double t)
{
	double diff = b - a;

	if (t >= 0.5)
		return b - diff * (1.0 - t);
	return a + diff * t;
}

/* Returns a linearly interpolated quantile; see stats.h. */
double pe_percentile(double *values, size_t n, double q)
{
	double rank;
	size_t below;

	if (n == 0 || !(q >= 0.0 && q <= 1.0))
		return NAN;
	for (size_t i = 0; i < n; i++)
		if (isnan(values[i]))
			return NAN;
	qsort(values, n, sizeof(*values), compare_doubles);
	rank = q * (double)(n - 1);
	below = (size_t)rank;
	if (below >= n - 1)
		return values[n - 1];
	return lerp(values[below], values[below + 1], rank - (double)below);
}

/* Returns the arithmetic mean; see stats.h. */
double pe_mean(const double *values, size_t n)
{
	double sum = 0.0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		sum += values[i];
	return sum / (double)n;
}
