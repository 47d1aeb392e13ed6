/*
 * Unit tests for stats.c: Wilson intervals, the pass rate with the case as
 * the unit, exact binomial tails and the McNemar / sign test, the paired
 * case comparison with its interval, the minimum detectable difference,
 * percentiles and means.
 * Expected values are worked by hand in the comment beside each row; the
 * large-n rows were computed exactly with Python's integer arithmetic
 * (math.comb-style sums over 2**n, converted to decimal at the end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "harness/results/stats.h"
#include "harness/core/util.h"

#define COUNT(array) (sizeof(array) / sizeof(*(array)))

/*
 * Fails the test unless actual is within abs_tol + rel_tol * |expected| of
 * expected; what and row say which check failed.
 */
static void check_close(double actual, double expected, double abs_tol,
			double rel_tol, const char *what, size_t row)
{
	double tolerance = abs_tol + rel_tol * fabs(expected);

	if (actual == expected || fabs(actual - expected) <= tolerance)
		return;
	print_error("%s, row %zu: got %.17g, want %.17g\n", what, row, actual,
		    expected);
	fail();
}

struct wilson_case {
	size_t successes;
	size_t trials;
	double low;
	double high;
};

/*
 * At 95 %, z = 1.959963984540054 and z^2 = 3.841458820694125, so
 * z^2/2 = 1.920729410347063 and z^2/4 = 0.960364705173531.  For each row:
 *   center = (s + z^2/2) / (n + z^2)
 *   half   = z * sqrt(s(n-s)/n + z^2/4) / (n + z^2)
 */
static void test_wilson_interval(void **state)
{
	static const struct wilson_case cases[] = {
		/*
		 * 8/10: center = 9.920729410347 / 13.841458820694
		 * = 0.716740160041; sqrt(1.6 + 0.960364705174) =
		 * 1.600113966308, half = z * 1.600113966308 /
		 * 13.841458820694 = 0.226577688504.
		 */
		{ 8, 10, 0.490162471537, 0.943317848546 },
		/*
		 * 0/10: center = 1.920729410347 / 13.841458820694
		 * = 0.138766399931 = half (sqrt(z^2/4) = z/2), so low
		 * is 0 and high = 2 * center.
		 */
		{ 0, 10, 0.0, 0.277532799863 },
		/* 10/10: the mirror image of 0/10. */
		{ 10, 10, 0.722467200137, 1.0 },
		/* 0/1: center = half = 1.920729410347 / 4.841458820694. */
		{ 0, 1, 0.0, 0.793450685623 },
		/* 1/1: the mirror image of 0/1; 1 - 0.793450685623. */
		{ 1, 1, 0.206549314377, 1.0 },
		/*
		 * 1/2: center = 2.920729410347 / 5.841458820694 = 0.5;
		 * sqrt(0.5 + 0.960364705174) = 1.208455504011, half =
		 * z * 1.208455504011 / 5.841458820694 = 0.405468794266.
		 */
		{ 1, 2, 0.094531205734, 0.905468794266 },
		/*
		 * 50/100: center = 0.5; sqrt(25 + 0.960364705174) =
		 * 5.095131470843, half = z * 5.095131470843 /
		 * 103.841458820694 = 0.096168469634.
		 */
		{ 50, 100, 0.403831530366, 0.596168469634 },
		/*
		 * 1/1000: center = 2.920729410347 / 1003.841458820694
		 * = 0.002909552484; sqrt(0.999 + 0.960364705174) =
		 * 1.399773090602, half = 0.002733006114.
		 */
		{ 1, 1000, 0.000176546371, 0.005642558598 },
		/*
		 * 3/7: center = 4.920729410347 / 10.841458820694
		 * = 0.453880745362; sqrt(12/7 + 0.960364705174) =
		 * 1.635435849998, half = 0.295660890110.
		 */
		{ 3, 7, 0.158219855251, 0.749541635472 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		double low = -1.0, high = -1.0;

		assert_int_equal(pe_wilson_interval(cases[i].successes,
						    cases[i].trials, PE_Z_95,
						    &low, &high),
				 0);
		check_close(low, cases[i].low, 1e-11, 0.0, "wilson low", i);
		check_close(high, cases[i].high, 1e-11, 0.0, "wilson high", i);
	}
}

/* Ends are exact, the interval holds the estimate, z = 0 collapses it. */
static void test_wilson_bounds(void **state)
{
	(void)state;
	for (size_t n = 1; n <= 60; n++) {
		for (size_t s = 0; s <= n; s++) {
			double low, high, rate = (double)s / (double)n;

			assert_int_equal(
				pe_wilson_interval(s, n, PE_Z_95, &low, &high),
				0);
			assert_true(low >= 0.0 && low <= rate);
			assert_true(high >= rate && high <= 1.0);
			assert_true(s != 0 || low == 0.0);
			assert_true(s != n || high == 1.0);
			assert_true(s == 0 || low > 0.0);
			assert_true(s == n || high < 1.0);
			assert_int_equal(
				pe_wilson_interval(s, n, 0.0, &low, &high), 0);
			check_close(low, rate, 1e-15, 0.0, "wilson z=0", n);
			check_close(high, rate, 1e-15, 0.0, "wilson z=0", n);
		}
	}
}

/* No interval without trials or with impossible arguments. */
static void test_wilson_invalid(void **state)
{
	double low = 42.0, high = 42.0;

	(void)state;
	assert_int_equal(pe_wilson_interval(0, 0, PE_Z_95, &low, &high),
			 PE_ERR_INVALID);
	assert_int_equal(pe_wilson_interval(3, 2, PE_Z_95, &low, &high),
			 PE_ERR_INVALID);
	assert_int_equal(pe_wilson_interval(1, 2, -1.0, &low, &high),
			 PE_ERR_INVALID);
	assert_int_equal(pe_wilson_interval(1, 2, NAN, &low, &high),
			 PE_ERR_INVALID);
	assert_int_equal(pe_wilson_interval(1, 2, INFINITY, &low, &high),
			 PE_ERR_INVALID);
	assert_true(low == 42.0 && high == 42.0);
}

struct mcnemar_case {
	size_t b;
	size_t c;
	double p;
};

/* Small counts, worked exactly: p = 2 * sum C(n, i) / 2^n, i <= min. */
static void test_mcnemar_small(void **state)
{
	static const struct mcnemar_case cases[] = {
		{ 0, 0, 1.0 },		  /* n = 0: no discordant pairs */
		{ 0, 1, 1.0 },		  /* 2 * 1/2 = 1 */
		{ 1, 0, 1.0 },		  /* symmetric */
		{ 1, 1, 1.0 },		  /* balanced: 2 * 3/4, capped */
		{ 0, 5, 0.0625 },	  /* 2 * 1/32 */
		{ 5, 0, 0.0625 },	  /* symmetric */
		{ 0, 6, 0.03125 },	  /* 2 * 1/64 */
		{ 1, 9, 0.021484375 },	  /* 2 * (1 + 10) / 1024 */
		{ 9, 1, 0.021484375 },	  /* symmetric */
		{ 5, 5, 1.0 },		  /* balanced */
		{ 2, 3, 1.0 },		  /* 2 * (1 + 5 + 10) / 32 = 1 */
		{ 3, 7, 0.34375 },	  /* 2 * (1+10+45+120) / 1024 */
		{ 0, 10, 0.001953125 },	  /* 2 / 1024 */
		{ 2, 10, 0.03857421875 }, /* 2 * (1 + 12 + 66) / 4096 */
		{ 4, 6, 0.75390625 },	  /* 2*(1+10+45+120+210)/1024 */
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		check_close(pe_mcnemar_exact_p(cases[i].b, cases[i].c),
			    cases[i].p, 0.0, 1e-14, "mcnemar", i);
		check_close(pe_sign_test_p(cases[i].c, cases[i].b), cases[i].p,
			    0.0, 1e-14, "sign test", i);
	}
}

/*
 * Large counts.  The references are exact sums over 2**n done with
 * Python integers (n = 100000 takes seconds there), e.g. for 900/1100:
 * 2 * sum(comb(2000, i) for i in range(901)) / 2**2000.
 */
static void test_mcnemar_large(void **state)
{
	static const struct mcnemar_case cases[] = {
		{ 900, 1100, 8.4570895355039267e-06 },
		{ 1100, 900, 8.4570895355039267e-06 },
		{ 40, 60, 0.056887933640980791 },
		{ 50000, 50000, 1.0 },
		{ 49950, 50050, 0.75423108715912723 },
		{ 49500, 50500, 0.0015823598788515956 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++)
		check_close(pe_mcnemar_exact_p(cases[i].b, cases[i].c),
			    cases[i].p, 0.0, 1e-12, "mcnemar large", i);
	/* 0 against n: 2 * 2^-n, down into the subnormals and past them. */
	assert_true(pe_mcnemar_exact_p(0, 1000) == ldexp(1.0, -999));
	assert_true(pe_mcnemar_exact_p(0, 1074) == ldexp(1.0, -1073));
	assert_true(pe_mcnemar_exact_p(0, 5000) == 0.0);
	assert_true(isnan(pe_mcnemar_exact_p(SIZE_MAX, 1)));
}

struct tail_case {
	size_t k;
	size_t n;
	double p;
};

/* P[X <= k] for X ~ Bin(n, 1/2). */
static void test_binomial_tail(void **state)
{
	static const struct tail_case cases[] = {
		{ 0, 0, 1.0 },		/* k >= n */
		{ 5, 3, 1.0 },		/* k >= n */
		{ 0, 1, 0.5 },		/* 1/2 */
		{ 1, 1, 1.0 },		/* k == n */
		{ 2, 10, 0.0546875 },	/* (1 + 10 + 45) / 1024 */
		{ 5, 10, 0.623046875 }, /* (1+10+45+120+210+252) / 1024 */
		{ 7, 10, 0.9453125 },	/* 1 - (1 + 10 + 45) / 1024 */
		{ 60, 100, 0.98239989989114762 }, /* Python, exact */
		{ 49000, 100000, 1.294358019173449e-10 },
		{ 49999, 100000, 0.49873843689290165 },
		{ 50000, 100000, 0.50126156310709835 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++)
		check_close(pe_binomial_tail_le(cases[i].k, cases[i].n),
			    cases[i].p, 0.0, 1e-12, "binomial tail", i);
}

/*
 * Every tail for n <= 50 against Pascal's triangle in doubles, which is
 * exact there: C(50, 25) and 2^50 are below 2^53.
 */
static void test_binomial_tail_pascal(void **state)
{
	double row[51] = { 1.0 };

	(void)state;
	for (size_t n = 0; n <= 50; n++) {
		double sum = 0.0, total = ldexp(1.0, (int)n);

		if (n > 0)
			for (size_t i = n; i > 0; i--)
				row[i] += row[i - 1];
		for (size_t k = 0; k <= n; k++) {
			sum += row[k];
			check_close(pe_binomial_tail_le(k, n), sum / total, 0.0,
				    1e-13, "pascal tail", n * 100 + k);
		}
	}
}

struct percentile_case {
	double values[6];
	size_t n;
	double q;
	double want;
};

/* numpy's default "linear": h = (n - 1) q, v[h0] + (h - h0)(v[h0+1] - v[h0]). */
static void test_percentile(void **state)
{
	static const struct percentile_case cases[] = {
		/* Odd count: sorted 1 2 3. */
		{ { 3, 1, 2 }, 3, 0.0, 1.0 },  /* h = 0 */
		{ { 3, 1, 2 }, 3, 0.5, 2.0 },  /* h = 1 */
		{ { 3, 1, 2 }, 3, 0.95, 2.9 }, /* h = 1.9: 2 + 0.9 * 1 */
		{ { 3, 1, 2 }, 3, 1.0, 3.0 },  /* h = 2 */
		/* Even count: sorted 10 20 30 40. */
		{ { 40, 10, 30, 20 }, 4, 0.0, 10.0 },
		{ { 40, 10, 30, 20 }, 4, 0.25, 17.5 }, /* h = 0.75 */
		{ { 40, 10, 30, 20 }, 4, 0.5, 25.0 },  /* h = 1.5 */
		{ { 40, 10, 30, 20 }, 4, 0.95, 38.5 }, /* h = 2.85 */
		{ { 40, 10, 30, 20 }, 4, 1.0, 40.0 },
		/* Single value: every quantile is that value. */
		{ { 7 }, 1, 0.0, 7.0 },
		{ { 7 }, 1, 0.5, 7.0 },
		{ { 7 }, 1, 0.95, 7.0 },
		{ { 7 }, 1, 1.0, 7.0 },
		/* Latencies 15 20 35 40 50. */
		{ { 50, 15, 40, 20, 35 }, 5, 0.4, 29.0 },  /* h = 1.6 */
		{ { 50, 15, 40, 20, 35 }, 5, 0.95, 48.0 }, /* h = 3.8 */
		/* Ties and negatives: sorted -1 5 5 5. */
		{ { 5, 5, -1, 5 }, 4, 0.1, 0.8 }, /* h = 0.3: -1 + 0.3*6 */
		{ { 5, 5, -1, 5 }, 4, 0.5, 5.0 }, /* h = 1.5 */
		/* Six values 1..6. */
		{ { 6, 5, 4, 3, 2, 1 }, 6, 0.5, 3.5 },	 /* h = 2.5 */
		{ { 6, 5, 4, 3, 2, 1 }, 6, 0.99, 5.95 }, /* h = 4.95 */
	};

	(void)state;
	for (size_t i = 0; i < COUNT(cases); i++) {
		double values[6];

		for (size_t k = 0; k < cases[i].n; k++)
			values[k] = cases[i].values[k];
		check_close(pe_percentile(values, cases[i].n, cases[i].q),
			    cases[i].want, 1e-12, 0.0, "percentile", i);
		for (size_t k = 1; k < cases[i].n; k++)
			assert_true(values[k - 1] <= values[k]);
	}
}

/* No percentile of nothing, outside [0, 1], or of a NaN. */
static void test_percentile_invalid(void **state)
{
	double values[] = { 2.0, 1.0, NAN };

	(void)state;
	assert_true(isnan(pe_percentile(NULL, 0, 0.5)));
	assert_true(isnan(pe_percentile(values, 2, -0.1)));
	assert_true(isnan(pe_percentile(values, 2, 1.1)));
	assert_true(isnan(pe_percentile(values, 2, NAN)));
	assert_true(isnan(pe_percentile(values, 3, 0.5)));
	assert_true(values[0] == 2.0 && values[1] == 1.0);
}

static void test_mean(void **state)
{
	static const double values[] = { 1.0, 2.0, 3.0, 10.0 };

	(void)state;
	assert_true(isnan(pe_mean(NULL, 0)));
	assert_true(pe_mean(values, 1) == 1.0);
	assert_true(pe_mean(values, 4) == 4.0); /* 16 / 4 */
	assert_true(pe_mean(values, 3) == 2.0); /* 6 / 3 */
}

struct case_rate_table {
	const struct pe_case_count *cases;
	size_t n;
	enum pe_rate_method method;
	size_t counted; /* cases with a decided repeat */
	double rate, effective_n, low, high;
};

/* Ten cases of one repeat, eight passing: Wilson on 8/10 exactly. */
static const struct pe_case_count one_repeat[] = {
	{ 1, 1 }, { 1, 1 }, { 0, 1 }, { 1, 1 }, { 1, 1 },
	{ 1, 1 }, { 0, 1 }, { 1, 1 }, { 1, 1 }, { 1, 1 },
};
/* Four cases of three repeats: fractions 1, 2/3, 1/3, 0. */
static const struct pe_case_count spread[] = {
	{ 3, 3 },
	{ 2, 3 },
	{ 1, 3 },
	{ 0, 3 },
};
/* Fractions 2/3, 1 and 0; the last case only erred (0 decided). */
static const struct pe_case_count uneven[] = {
	{ 2, 3 },
	{ 1, 1 },
	{ 0, 2 },
	{ 0, 0 },
};
static const struct pe_case_count all_passed[] = { { 3, 3 }, { 2, 2 } };
static const struct pe_case_count single_case[] = { { 2, 3 } };
static const struct pe_case_count all_halves[] = { { 1, 2 }, { 2, 4 } };
static const struct pe_case_count none_decided[] = { { 0, 0 } };

/*
 * Wilson's closed form at a real n with p n successes, z^2 = 3.8414588:
 *   center = (p n + z^2/2) / (n + z^2)
 *   half   = z sqrt(p (1 - p) n + z^2/4) / (n + z^2)
 */
static void test_case_pass_rate(void **state)
{
	static const struct case_rate_table tables[] = {
		/* The Wilson row 8/10 of test_wilson_interval. */
		{ one_repeat, COUNT(one_repeat), PE_RATE_WILSON, 10, 0.8, 10,
		  0.490162471537, 0.943317848546 },
		/*
		 * mean 1/2; variance (1/4 + 1/36 + 1/36 + 1/4) / 4 = 5/36;
		 * n_eff = (1/4) 4 / (5/36) = 7.2; center 1/2, half =
		 * z sqrt(1.8 + 0.9603647) / 11.0414588 = 0.2949204.
		 */
		{ spread, COUNT(spread), PE_RATE_CLUSTERED, 4, 0.5, 7.2,
		  0.205079564314, 0.794920435686 },
		/*
		 * The erred case is not counted: mean (2/3 + 1 + 0) / 3 =
		 * 5/9; variance (4/9 + 1) / 3 - 25/81 = 14/81; n_eff =
		 * (5/9)(4/9) 3 / (14/81) = 30/7 = 4.2857143, within
		 * [3 cases, 6 rows].
		 */
		{ uneven, COUNT(uneven), PE_RATE_CLUSTERED, 3, 5.0 / 9,
		  30.0 / 7, 0.186662528313, 0.871929859219 },
		/* Every repeat passed: Wilson on the cases, 2/2. */
		{ all_passed, COUNT(all_passed), PE_RATE_CLUSTERED, 2, 1.0, 2,
		  0.342380227507, 1.0 },
		/*
		 * One case is one trial: n_eff = 1, center (2/3 +
		 * 1.9207294) / 4.8414588 = 0.5344, half = z sqrt(2/9 +
		 * 0.9603647) / 4.8414588 = 0.4402.
		 */
		{ single_case, COUNT(single_case), PE_RATE_CLUSTERED, 1,
		  2.0 / 3, 1, 0.094186015106, 0.974663756353 },
		/*
		 * Both cases passed half: SE 0, so n_eff is the 6 rows;
		 * half = z sqrt(1.5 + 0.9603647) / 9.8414588 = 0.3123837.
		 */
		{ all_halves, COUNT(all_halves), PE_RATE_CLUSTERED, 2, 0.5, 6,
		  0.187616306483, 0.812383693517 },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(tables); i++) {
		const struct case_rate_table *t = &tables[i];
		struct pe_pass_rate got;

		pe_case_pass_rate(t->cases, t->n, &got);
		assert_int_equal(got.method, t->method);
		assert_int_equal(got.cases, t->counted);
		check_close(got.rate, t->rate, 1e-12, 0.0, "rate", i);
		check_close(got.effective_n, t->effective_n, 1e-9, 0.0,
			    "effective n", i);
		check_close(got.low, t->low, 1e-11, 0.0, "low", i);
		check_close(got.high, t->high, 1e-11, 0.0, "high", i);
	}
}

/* Nothing decided, or nothing at all: no rate. */
static void test_case_pass_rate_empty(void **state)
{
	struct pe_pass_rate got;

	(void)state;
	pe_case_pass_rate(none_decided, COUNT(none_decided), &got);
	assert_int_equal(got.cases, 0);
	assert_int_equal(got.decided, 0);
	assert_true(isnan(got.rate) && isnan(got.low) && isnan(got.high));
	pe_case_pass_rate(NULL, 0, &got);
	assert_true(isnan(got.rate));
	assert_string_equal(pe_rate_method_name(PE_RATE_CLUSTERED),
			    "case-clustered Wilson");
	assert_string_equal(pe_rate_method_name(PE_RATE_WILSON), "Wilson");
}

/*
 * (z_0.975 + z_0.8) = 2.8015852; with 20 cases of 3 repeats,
 * independent repeats give 2.8015852 sqrt(0.5 / 3 / 20) = 0.2557486 and
 * repeats that always agree 2.8015852 sqrt(0.5 / 20) = 0.4429695.
 */
static void test_min_detectable_difference(void **state)
{
	(void)state;
	check_close(pe_min_detectable_difference(20, 3, 0.0), 0.255748570122,
		    1e-11, 0.0, "mdd independent", 0);
	check_close(pe_min_detectable_difference(20, 3, 1.0), 0.442969517415,
		    1e-11, 0.0, "mdd agree", 1);
	check_close(pe_min_detectable_difference(20, 1, 0.0),
		    pe_min_detectable_difference(20, 1, 1.0), 1e-15, 0.0,
		    "mdd one repeat", 2);
	assert_true(isnan(pe_min_detectable_difference(0, 3, 0.0)));
	assert_true(isnan(pe_min_detectable_difference(20, 0, 0.0)));
	assert_true(isnan(pe_min_detectable_difference(20, 3, 1.5)));
}

/*
 * Head passes cases 1 and 2, which base fails, and both agree on 3 and 4:
 * d = 1, 1, 0, 0, mean 1/2, sample variance 1/3, half = t(0.975, 3)
 * sqrt(1/12) = 3.182446 * 0.2886751 = 0.9186930, so [-0.4186930, 1]
 * after clamping.  One case has no interval.
 */
static void test_paired_interval(void **state)
{
	static const struct pe_paired_case four[] = {
		{ 0, 1, 1, 1 },
		{ 0, 1, 1, 1 },
		{ 1, 1, 1, 1 },
		{ 0, 1, 0, 1 },
	};
	struct pe_paired_result got;

	(void)state;
	assert_int_equal(pe_paired_compare(four, COUNT(four), &got), 0);
	check_close(got.effect, 0.5, 1e-15, 0.0, "effect", 0);
	check_close(got.effect_low, -0.418693027391, 1e-11, 0.0, "low", 0);
	check_close(got.effect_high, 1.0, 0.0, 0.0, "high", 0);
	assert_int_equal(pe_paired_compare(four, 1, &got), 0);
	assert_true(isnan(got.effect_low) && isnan(got.effect_high));
}

/*
 * Beyond the t table: 41 cases, 21 improved from 0/1 to 1/1 and 20 the
 * same.  mean 21/41; sample variance (21 (20/41)^2 + 20 (21/41)^2) / 40
 * = 17220 / 67240 = 0.2560976; t(0.975, 40) = 2.0210754 (the expansion;
 * tables give 2.021075), half = 2.0210754 sqrt(0.2560976 / 41) =
 * 0.1597325.
 */
static void test_paired_interval_large(void **state)
{
	struct pe_paired_case cases[41];
	struct pe_paired_result got;

	(void)state;
	for (size_t i = 0; i < 41; i++) {
		cases[i].base_pass = 0;
		cases[i].base_total = 1;
		cases[i].head_pass = i < 21;
		cases[i].head_total = 1;
	}
	assert_int_equal(pe_paired_compare(cases, 41, &got), 0);
	check_close(got.effect, 21.0 / 41, 1e-15, 0.0, "effect", 0);
	check_close(got.effect_low, 0.352462615986, 1e-9, 0.0, "low", 0);
	check_close(got.effect_high, 0.671927627916, 1e-9, 0.0, "high", 0);
}

/* Shorthands for one paired case: base pass/total, head pass/total. */
#define SAME(p, t)                                                             \
	{                                                                      \
		p, t, p, t                                                     \
	}
#define CASE(bp, bt, hp, ht)                                                   \
	{                                                                      \
		bp, bt, hp, ht                                                 \
	}

/* 9 cases fell from 3/3 to 1/3, one rose from 2/3 to 3/3, 2 held. */
static const struct pe_paired_case injected_regression[] = {
	CASE(3, 3, 1, 3), CASE(3, 3, 1, 3), CASE(3, 3, 1, 3), CASE(3, 3, 1, 3),
	CASE(3, 3, 1, 3), CASE(3, 3, 1, 3), CASE(3, 3, 1, 3), CASE(3, 3, 1, 3),
	CASE(3, 3, 1, 3), CASE(2, 3, 3, 3), SAME(3, 3),	      SAME(3, 3),
};

/* One case of 12 lost one repeat of three. */
static const struct pe_paired_case one_wobble[] = {
	SAME(3, 3), SAME(3, 3), SAME(3, 3), SAME(3, 3),
	SAME(3, 3), SAME(3, 3), SAME(3, 3), SAME(3, 3),
	SAME(3, 3), SAME(3, 3), SAME(3, 3), CASE(3, 3, 2, 3),
};

/* Equal rates, even with different repeat counts (1/2 and 2/4). */
static const struct pe_paired_case all_unchanged[] = {
	CASE(1, 2, 2, 4), CASE(0, 3, 0, 5), CASE(3, 3, 4, 4),
	SAME(2, 5),	  CASE(1, 3, 2, 6),
};

/* Five cases all regressed: the most lopsided five still is p = 1/16. */
static const struct pe_paired_case five_regressed[] = {
	CASE(1, 1, 0, 1), CASE(1, 1, 0, 1), CASE(1, 1, 0, 1),
	CASE(1, 1, 0, 1), CASE(1, 1, 0, 1), SAME(1, 1),
};

/* Six cases all regressed: p = 2/64, the fewest that can tell. */
static const struct pe_paired_case six_regressed[] = {
	CASE(1, 1, 0, 1), CASE(1, 1, 0, 1), CASE(1, 1, 0, 1),
	CASE(1, 1, 0, 1), CASE(1, 1, 0, 1), CASE(1, 1, 0, 1),
};

/* Six cases all improved from 0/2 to 2/2. */
static const struct pe_paired_case six_improved[] = {
	CASE(0, 2, 2, 2), CASE(0, 2, 2, 2), CASE(0, 2, 2, 2),
	CASE(0, 2, 2, 2), CASE(0, 2, 2, 2), CASE(0, 2, 2, 2),
};

/* Checks one end of a paired interval, which may be NAN. */
static void check_interval(double actual, double expected, size_t row)
{
	if (isnan(expected)) {
		assert_true(isnan(actual));
		return;
	}
	check_close(actual, expected, 1e-11, 0.0, "effect interval", row);
}

struct paired_table {
	const struct pe_paired_case *cases;
	size_t n;
	struct pe_paired_result want;
};

static void test_paired_compare(void **state)
{
	static const struct paired_table tables[] = {
		/*
		 * p: 1 improved, 9 regressed = 2 * (1 + 10) / 1024 =
		 * 0.021484375; effect = (9 * -2/3 + 1/3) / 12 = -17/36;
		 * net = (1 - 9) / 12 = -2/3.  Differences: nine -2/3, one
		 * +1/3, two 0; sample variance (9 (7/36)^2 + (29/36)^2 +
		 * 2 (17/36)^2) / 11 = (1860 / 1296) / 11 = 0.1304714, half =
		 * t(0.975, 11) sqrt(0.1304714 / 12) = 2.200985 * 0.1042719
		 * = 0.2295007.
		 */
		{ injected_regression,
		  COUNT(injected_regression),
		  { 12, 1, 9, 2, 0.021484375, -17.0 / 36, -2.0 / 3, 0, 1, 0,
		    -0.701722961333, -0.242721483111 } },
		/*
		 * p: 0 against 1 = min(1, 2 * 1/2) = 1; effect =
		 * -1/3 / 12 = -1/36; net = -1/12; one discordant case
		 * can never tell.  Sample variance (11 / 36^2 + (11/36)^2)
		 * / 11 = 1/108, half = t(0.975, 11) sqrt(1/1296) =
		 * 2.200985 / 36 = 0.0611385.
		 */
		{ one_wobble,
		  COUNT(one_wobble),
		  { 12, 0, 1, 11, 1.0, -1.0 / 36, -1.0 / 12, 1, 0, 0,
		    -0.088916250000, 0.033360694444 } },
		/* No discordant cases: p = 1, no effect, interval [0, 0]. */
		{ all_unchanged,
		  COUNT(all_unchanged),
		  { 5, 0, 0, 5, 1.0, 0.0, 0.0, 1, 0, 0, 0.0, 0.0 } },
		/*
		 * p = 2 / 32 = 0.0625; effect = net = -5/6; sample
		 * variance (5/36 + 25/36) / 5 = 1/6, half = t(0.975, 5)
		 * / 6 = 2.570582 / 6 = 0.4284303, low clamped to -1.
		 */
		{ five_regressed,
		  COUNT(five_regressed),
		  { 6, 0, 5, 1, 0.0625, -5.0 / 6, -5.0 / 6, 1, 0, 0, -1.0,
		    -0.404903000000 } },
		/* p = 2 / 64 = 0.03125; effect = net = -1, no spread. */
		{ six_regressed,
		  COUNT(six_regressed),
		  { 6, 0, 6, 0, 0.03125, -1.0, -1.0, 0, 1, 0, -1.0, -1.0 } },
		/* p = 2 / 64 = 0.03125; effect = net = +1, no spread. */
		{ six_improved,
		  COUNT(six_improved),
		  { 6, 6, 0, 0, 0.03125, 1.0, 1.0, 0, 0, 1, 1.0, 1.0 } },
		/* No cases at all: nothing to tell, no interval. */
		{ NULL, 0, { 0, 0, 0, 0, 1.0, 0.0, 0.0, 1, 0, 0, NAN, NAN } },
	};

	(void)state;
	for (size_t i = 0; i < COUNT(tables); i++) {
		const struct pe_paired_result *want = &tables[i].want;
		struct pe_paired_result got;

		assert_int_equal(
			pe_paired_compare(tables[i].cases, tables[i].n, &got),
			0);
		assert_int_equal(got.n_cases, want->n_cases);
		assert_int_equal(got.improved, want->improved);
		assert_int_equal(got.regressed, want->regressed);
		assert_int_equal(got.unchanged, want->unchanged);
		check_close(got.p_value, want->p_value, 0.0, 1e-14, "p", i);
		check_close(got.effect, want->effect, 1e-14, 0.0, "effect", i);
		check_close(got.net_effect, want->net_effect, 1e-14, 0.0,
			    "net effect", i);
		assert_int_equal(got.too_few, want->too_few);
		assert_int_equal(got.significant_regression,
				 want->significant_regression);
		assert_int_equal(got.significant_improvement,
				 want->significant_improvement);
		check_interval(got.effect_low, want->effect_low, i);
		check_interval(got.effect_high, want->effect_high, i);
	}
}

/* A case needs repeats on both sides and no more passes than repeats. */
static void test_paired_invalid(void **state)
{
	static const struct pe_paired_case bad[] = {
		CASE(0, 0, 1, 1),
		CASE(1, 1, 0, 0),
		CASE(2, 1, 1, 1),
		CASE(1, 1, 3, 2),
	};
	struct pe_paired_result got;

	(void)state;
	for (size_t i = 0; i < COUNT(bad); i++) {
		struct pe_paired_case two[2] = { SAME(1, 1), bad[i] };

		assert_int_equal(pe_paired_compare(two, 2, &got),
				 PE_ERR_INVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wilson_interval),
		cmocka_unit_test(test_wilson_bounds),
		cmocka_unit_test(test_wilson_invalid),
		cmocka_unit_test(test_mcnemar_small),
		cmocka_unit_test(test_mcnemar_large),
		cmocka_unit_test(test_binomial_tail),
		cmocka_unit_test(test_binomial_tail_pascal),
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_percentile_invalid),
		cmocka_unit_test(test_mean),
		cmocka_unit_test(test_paired_compare),
		cmocka_unit_test(test_paired_invalid),
		cmocka_unit_test(test_case_pass_rate),
		cmocka_unit_test(test_case_pass_rate_empty),
		cmocka_unit_test(test_min_detectable_difference),
		cmocka_unit_test(test_paired_interval),
		cmocka_unit_test(test_paired_interval_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
