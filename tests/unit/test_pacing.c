/*
 * Unit tests for run/pacing.c with a fake clock (plain numbers): bucket
 * refill and cap, budget checks (one request may exceed a tiny token
 * budget alone), window halving and recovery, pauses from Retry-After
 * and rate-limit resets (requests and tokens apart, the reason of the
 * latest pause), and backoff bounds with Retry-After first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness/run/pacing.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static void assert_near(double got, double want)
{
	if (got < want - 1e-9 || got > want + 1e-9)
		fail_msg("got %.12g, want %.12g", got, want);
}

/* 120 requests a minute: 2 a second, the bucket holds 2. */
static void test_request_bucket(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 8, 120, 0, 1000);
	assert_near(p.req_tokens, 1);
	assert_true(pe_pacing_may_send(&p, 0, 1000));
	pe_pacing_spend(&p, 10);
	assert_near(p.req_tokens, 0);
	assert_false(pe_pacing_budget_allows(&p, 1));
	assert_false(pe_pacing_may_send(&p, 1, 1000));
	pe_pacing_refill(&p, 1250); /* a quarter second: half a request */
	assert_near(p.req_tokens, 0.5);
	assert_false(pe_pacing_budget_allows(&p, 1));
	pe_pacing_refill(&p, 1500);
	assert_near(p.req_tokens, 1);
	assert_true(pe_pacing_budget_allows(&p, 1));
	pe_pacing_refill(&p, 61500); /* a minute: capped at one second */
	assert_near(p.req_tokens, 2);
}

/* Below one request a second the bucket still holds one request. */
static void test_slow_bucket_holds_one(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 8, 6, 0, 0);
	pe_pacing_spend(&p, 1);
	pe_pacing_refill(&p, 5000); /* 6 a minute: half a request */
	assert_near(p.req_tokens, 0.5);
	pe_pacing_refill(&p, 600000);
	assert_near(p.req_tokens, 1);
}

/* A request with no token estimate (a local call) takes no request. */
static void test_spend_without_tokens(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 8, 60, 0, 0);
	pe_pacing_spend(&p, 0);
	assert_near(p.req_tokens, 1);
}

/* 6000 tokens a minute: 100 a second, the bucket holds 100. */
static void test_token_bucket(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 8, 0, 6000, 0);
	assert_near(p.tok_tokens, 100);
	pe_pacing_spend(&p, 80);
	assert_true(pe_pacing_budget_allows(&p, 1));
	pe_pacing_spend(&p, 80);
	assert_near(p.tok_tokens, -60);
	assert_false(pe_pacing_budget_allows(&p, 1));
	/* Alone, a request may go even over the budget. */
	assert_true(pe_pacing_budget_allows(&p, 0));
	pe_pacing_refill(&p, 600); /* 60 tokens back */
	assert_near(p.tok_tokens, 0);
	assert_false(pe_pacing_budget_allows(&p, 1));
	pe_pacing_refill(&p, 700);
	assert_true(pe_pacing_budget_allows(&p, 1));
	pe_pacing_refill(&p, 100000);
	assert_near(p.tok_tokens, 100);
}

/* A budget smaller than one request lets requests through one at a time. */
static void test_tiny_budget(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 8, 0, 60, 0); /* one token a second */
	assert_true(pe_pacing_may_send(&p, 0, 0));
	pe_pacing_spend(&p, 2000);
	assert_false(pe_pacing_may_send(&p, 1, 0));
	assert_true(pe_pacing_may_send(&p, 0, 0));
}

/* No limits: only the window counts. */
static void test_unlimited(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 3, 0, 0, 0);
	for (int i = 0; i < 100; i++)
		pe_pacing_spend(&p, 1e6);
	assert_true(pe_pacing_may_send(&p, 2, 0));
	assert_false(pe_pacing_may_send(&p, 3, 0));
}

/* The window halves on each 429, never below 1, and creeps back. */
static void test_window(void **state)
{
	static const double halvings[] = { 8, 4, 2, 1, 1 };
	struct pe_pacing p;
	int steps = 0;

	(void)state;
	pe_pacing_init(&p, 16, 0, 0, 0);
	for (size_t i = 0; i < ARRAY_SIZE(halvings); i++) {
		pe_pacing_limited(&p, -1, 0);
		assert_near(p.cwnd, halvings[i]);
	}
	assert_true(pe_pacing_may_send(&p, 0, 0));
	assert_false(pe_pacing_may_send(&p, 1, 0));
	pe_pacing_succeeded(&p);
	assert_near(p.cwnd, 2);
	pe_pacing_succeeded(&p);
	assert_near(p.cwnd, 2.5);
	while (p.cwnd < 16 && steps < 1000) {
		pe_pacing_succeeded(&p);
		steps++;
	}
	/* About cap^2 / 2 answers to climb back, and never past the cap. */
	assert_in_range(steps, 100, 200);
	pe_pacing_succeeded(&p);
	assert_near(p.cwnd, 16);
}

/* Retry-After pauses sending; a shorter one does not cut a pause short. */
static void test_pause_retry_after(void **state)
{
	struct pe_pacing p;
	double wait;

	(void)state;
	pe_pacing_init(&p, 4, 0, 0, 0);
	pe_pacing_limited(&p, 2000, 1000);
	assert_false(pe_pacing_may_send(&p, 0, 1000));
	assert_false(pe_pacing_may_send(&p, 0, 2999));
	assert_true(pe_pacing_may_send(&p, 0, 3000));
	pe_pacing_limited(&p, 500, 1500);
	assert_near(p.paused_until_ms[PE_PAUSE_RETRY_AFTER], 3000);
	pe_pacing_limited(&p, 0, 1500); /* none given: no pause */
	assert_near(p.paused_until_ms[PE_PAUSE_RETRY_AFTER], 3000);
	wait = pe_pacing_wait_ms(&p, 0, 1500, 1000);
	assert_near(wait, 1000);
	wait = pe_pacing_wait_ms(&p, 0, 2500, 1000);
	assert_near(wait, 500);
	wait = pe_pacing_wait_ms(&p, 0, 3500, 1000);
	assert_near(wait, 1000);
}

/* Applies a window as the runner does: the wait it asks, then the pause. */
static enum pe_pause apply_window(struct pe_pacing *p, long requests_left,
				  long requests_reset, long tokens_left,
				  long tokens_reset, double now)
{
	struct pe_rate_window w = { requests_left, requests_reset, tokens_left,
				    tokens_reset, -1 };
	enum pe_pause why;
	double wait = pe_pacing_window_wait_ms(p, &w, &why);

	if (wait > 0)
		pe_pacing_pause(p, why, now + wait);
	return why;
}

/* remaining-requests 0 with a reset pauses until the reset. */
static void test_pause_reset(void **state)
{
	struct pe_pacing p;
	double until;

	(void)state;
	pe_pacing_init(&p, 4, 0, 0, 0);
	assert_int_equal(apply_window(&p, 5, 1000, -1, -1, 100), PE_PAUSE_NONE);
	assert_true(pe_pacing_may_send(&p, 0, 100));
	/* No reset given: nothing to wait for. */
	assert_int_equal(apply_window(&p, 0, -1, -1, -1, 100), PE_PAUSE_NONE);
	assert_true(pe_pacing_may_send(&p, 0, 100));
	assert_int_equal(apply_window(&p, 0, 1000, -1, -1, 100),
			 PE_PAUSE_REQUESTS);
	assert_false(pe_pacing_may_send(&p, 0, 1099));
	assert_int_equal(pe_pacing_paused(&p, 500, &until), PE_PAUSE_REQUESTS);
	assert_near(until, 1100);
	assert_true(pe_pacing_may_send(&p, 0, 1100));
	assert_int_equal(pe_pacing_paused(&p, 1100, &until), PE_PAUSE_NONE);
}

/*
 * Requests and tokens are paced apart: a spent request window waits for
 * its own reset, never for the later token reset (OpenAI's
 * x-ratelimit-reset-requests 1s beside x-ratelimit-reset-tokens 6m0s).
 */
static void test_requests_and_tokens_apart(void **state)
{
	struct pe_pacing p;
	double until;

	(void)state;
	pe_pacing_init(&p, 4, 0, 0, 0);
	pe_pacing_spend(&p, 600); /* the largest request so far */
	assert_int_equal(apply_window(&p, 0, 1000, 149984, 360000, 0),
			 PE_PAUSE_REQUESTS);
	assert_int_equal(pe_pacing_paused(&p, 0, &until), PE_PAUSE_REQUESTS);
	assert_near(until, 1000);
	assert_true(pe_pacing_may_send(&p, 0, 1000));
	/* Tokens left for a request: no token pause. */
	assert_int_equal(apply_window(&p, 10, 1000, 601, 360000, 2000),
			 PE_PAUSE_NONE);
	/* Fewer left than the largest request takes: wait for them. */
	assert_int_equal(apply_window(&p, 10, 1000, 599, 6000, 2000),
			 PE_PAUSE_TOKENS);
	assert_false(pe_pacing_may_send(&p, 0, 7999));
	assert_true(pe_pacing_may_send(&p, 0, 8000));
	/* Both spent: the later reset decides. */
	assert_int_equal(apply_window(&p, 0, 3000, 0, 2000, 10000),
			 PE_PAUSE_REQUESTS);
	assert_int_equal(apply_window(&p, 0, 1000, 0, 2000, 20000),
			 PE_PAUSE_TOKENS);
	assert_int_equal(pe_pacing_paused(&p, 20000, &until), PE_PAUSE_TOKENS);
	assert_near(until, 22000);
}

/*
 * With the token limit known, the window refills evenly until its reset:
 * the wait is for what one request needs, not for the whole window.
 */
static void test_token_refill(void **state)
{
	struct pe_pacing p;
	struct pe_rate_window w = { 10, 1000, 0, 360000, 150000 };
	enum pe_pause why;

	(void)state;
	pe_pacing_init(&p, 4, 0, 0, 0);
	pe_pacing_spend(&p, 1500);
	/* 1500 of 150000 tokens: a hundredth of 6 minutes. */
	assert_near(pe_pacing_window_wait_ms(&p, &w, &why), 3600);
	assert_int_equal(why, PE_PAUSE_TOKENS);
	w.remaining_tokens = 750; /* half of it left */
	assert_near(pe_pacing_window_wait_ms(&p, &w, &why),
		    360000.0 * 750 / (150000 - 750));
	w.remaining_tokens = 1500;
	assert_near(pe_pacing_window_wait_ms(&p, &w, &why), 0);
	assert_int_equal(why, PE_PAUSE_NONE);
	/* A request larger than the whole limit waits for all of it. */
	w.remaining_tokens = 0;
	w.limit_tokens = 1000;
	assert_near(pe_pacing_window_wait_ms(&p, &w, &why), 360000);
}

/* The latest pause decides why sending waits, and a pause never shrinks. */
static void test_pause_reasons(void **state)
{
	struct pe_pacing p;
	double until;

	(void)state;
	pe_pacing_init(&p, 4, 0, 0, 0);
	pe_pacing_limited(&p, 3000, 0);
	pe_pacing_pause(&p, PE_PAUSE_TOKENS, 2000);
	assert_int_equal(pe_pacing_paused(&p, 0, &until), PE_PAUSE_RETRY_AFTER);
	assert_near(until, 3000);
	pe_pacing_pause(&p, PE_PAUSE_TOKENS, 5000);
	pe_pacing_pause(&p, PE_PAUSE_TOKENS, 4000);
	assert_int_equal(pe_pacing_paused(&p, 0, &until), PE_PAUSE_TOKENS);
	assert_near(until, 5000);
	assert_near(pe_pacing_wait_ms(&p, 0, 4500, 1000), 500);
}

/* An empty bucket makes the loop look again soon, not sleep on. */
static void test_wait_for_budget(void **state)
{
	struct pe_pacing p;

	(void)state;
	pe_pacing_init(&p, 4, 60, 0, 0);
	pe_pacing_spend(&p, 1);
	assert_true(pe_pacing_wait_ms(&p, 1, 0, 1000) <= 50);
	assert_near(pe_pacing_wait_ms(&p, 1, 0, 20), 20);
}

/* Full jitter below 500 ms * 2^attempts, capped at 30 s. */
static void test_backoff_bounds(void **state)
{
	static const struct {
		unsigned attempts;
		double ceiling;
	} cases[] = {
		{ 1, 1000 },  { 2, 2000 },   { 3, 4000 },   { 5, 16000 },
		{ 6, 30000 }, { 16, 30000 }, { 40, 30000 },
	};
	static const unsigned long long randoms[] = {
		0, 1, 999, 12345, 0x9e3779b97f4a7c15ULL, ~0ULL,
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		double top = 0;

		for (size_t k = 0; k < ARRAY_SIZE(randoms); k++) {
			double d = pe_pacing_backoff_ms(cases[i].attempts, -1,
							randoms[k]);

			assert_true(d >= 0 && d < cases[i].ceiling);
			if (d > top)
				top = d;
		}
		/* The random number decides: the largest one comes close. */
		assert_near(pe_pacing_backoff_ms(
				    cases[i].attempts, -1,
				    (unsigned long long)cases[i].ceiling - 1),
			    cases[i].ceiling - 1);
		assert_true(top > 0);
	}
}

/* The server's word wins over the jitter, whatever it is. */
static void test_backoff_retry_after(void **state)
{
	(void)state;
	assert_near(pe_pacing_backoff_ms(1, 0, 777), 0);
	assert_near(pe_pacing_backoff_ms(1, 2500, 777), 2500);
	assert_near(pe_pacing_backoff_ms(9, 120000, 777), 120000);
	assert_near(pe_pacing_backoff_ms(9, -1, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_bucket),
		cmocka_unit_test(test_slow_bucket_holds_one),
		cmocka_unit_test(test_spend_without_tokens),
		cmocka_unit_test(test_token_bucket),
		cmocka_unit_test(test_tiny_budget),
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_pause_retry_after),
		cmocka_unit_test(test_pause_reset),
		cmocka_unit_test(test_requests_and_tokens_apart),
		cmocka_unit_test(test_token_refill),
		cmocka_unit_test(test_pause_reasons),
		cmocka_unit_test(test_wait_for_budget),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_backoff_retry_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
