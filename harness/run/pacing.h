#ifndef PE_PACING_H
#define PE_PACING_H
/*
 * Pacing: how fast the runner may send to one target.  A token bucket for
 * requests per minute and one for tokens per minute, an adaptive window
 * on requests in flight that halves on 429 and creeps back on success, a
 * pause until a Retry-After or a rate-limit reset, and the backoff before
 * a retry (full jitter, capped, honouring Retry-After).
 *
 * Every function is pure: the time comes in as now_ms (any monotonic
 * clock in milliseconds) and randomness as a number, so the runner owns
 * the clock and the tests can use a fake one.  struct pe_pacing is
 * embedded by the runner, one per target, and touched by its loop thread
 * only.
 */
#include <stddef.h>

struct pe_pacing {
	double cap;  /* the configured cap on requests in flight */
	double cwnd; /* adaptive cap: halves on 429, creeps back */
	double requests_per_minute; /* 0: no limit */
	double tokens_per_minute;   /* 0: no limit */
	double req_tokens;	    /* token buckets, refilled continuously */
	double tok_tokens;
	double refilled_ms;
	double paused_until_ms;
};

/*
 * Starts p at now_ms with a cap on requests in flight and the two
 * per-minute limits (0: none).  The request bucket starts with one
 * request, the token bucket full.
 */
void pe_pacing_init(struct pe_pacing *p, double cap, double requests_per_minute,
		    double tokens_per_minute, double now_ms);

/*
 * Refills the buckets for the time since the last refill.  Each holds at
 * most one second's worth (the request bucket at least one request).
 */
void pe_pacing_refill(struct pe_pacing *p, double now_ms);

/*
 * True when the buckets allow another request with inflight already
 * sent.  One request may exceed a tiny token budget when it goes alone.
 */
int pe_pacing_budget_allows(const struct pe_pacing *p, size_t inflight);

/*
 * True when another request may start now: below the window, not paused,
 * and within the budget.
 */
int pe_pacing_may_send(const struct pe_pacing *p, size_t inflight,
		       double now_ms);

/* Takes a started request's estimated tokens from the buckets. */
void pe_pacing_spend(struct pe_pacing *p, double tokens);

/*
 * A 429 or 529 came back: halves the window (never below 1) and pauses
 * sending for retry_after_ms when the server gave one (> 0).
 */
void pe_pacing_limited(struct pe_pacing *p, long retry_after_ms, double now_ms);

/*
 * An answer came back: the window grows by 1/window up to the cap.  When
 * the server says no requests remain (remaining_requests 0) and when the
 * window resets (reset_ms > 0), sending pauses until then.
 */
void pe_pacing_succeeded(struct pe_pacing *p, long remaining_requests,
			 long reset_ms, double now_ms);

/*
 * The delay before retry number attempts (the attempts made so far, from
 * 1): retry_after_ms when the server said (>= 0), else a uniformly random
 * delay below 500 ms * 2^attempts, capped at 30 s, drawn from random.
 */
double pe_pacing_backoff_ms(unsigned attempts, long retry_after_ms,
			    unsigned long long random);

/*
 * Shortens wait_ms (how long the loop may sleep) to when p, which has
 * jobs queued and inflight requests out, may send again.
 */
double pe_pacing_wait_ms(const struct pe_pacing *p, size_t inflight,
			 double now_ms, double wait_ms);

#endif
