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

/*
 * What a provider's rate-limit headers say of its window, -1 where they
 * say nothing: the requests and tokens left, in how many ms each is
 * whole again (from when the response came), and the token limit.
 */
struct pe_rate_window {
	long remaining_requests;
	long requests_reset_ms;
	long remaining_tokens;
	long tokens_reset_ms;
	long limit_tokens;
};

/* Why sending to a target waits; the index of pe_pacing's pauses. */
enum pe_pause {
	PE_PAUSE_NONE,
	PE_PAUSE_RETRY_AFTER, /* a 429 or 529 said how long */
	PE_PAUSE_REQUESTS,    /* the window has no requests left */
	PE_PAUSE_TOKENS,      /* the window has too few tokens left */
	PE_PAUSE_COUNT
};

struct pe_pacing {
	double cap;  /* the configured cap on requests in flight */
	double cwnd; /* adaptive cap: halves on 429, creeps back */
	double requests_per_minute; /* 0: no limit */
	double tokens_per_minute;   /* 0: no limit */
	double req_tokens;	    /* token buckets, refilled continuously */
	double tok_tokens;
	double refilled_ms;
	double request_tokens; /* the largest estimate of one request */
	double paused_until_ms[PE_PAUSE_COUNT]; /* by enum pe_pause */
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

/* An answer came back: the window grows by 1/window up to the cap. */
void pe_pacing_succeeded(struct pe_pacing *p);

/*
 * How long the server's rate-limit window w asks sending to wait, in ms
 * (0: not at all), and why in *why: until the requests reset when none
 * is left; and when fewer tokens are left than the largest request so
 * far is estimated to take, until enough are back, the window refilling
 * evenly until its reset (until the reset itself when the limit is not
 * known).  Each is paced apart: a request window that is spent never
 * waits for the token reset.  When both are spent, the later wait is
 * returned.
 */
double pe_pacing_window_wait_ms(const struct pe_pacing *p,
				const struct pe_rate_window *w,
				enum pe_pause *why);

/* Pauses sending until until_ms for why; a pause is never shortened. */
void pe_pacing_pause(struct pe_pacing *p, enum pe_pause why, double until_ms);

/*
 * Why sending waits at now_ms (PE_PAUSE_NONE when it does not), and in
 * *until_ms until when: the latest of the pauses in effect.
 */
enum pe_pause pe_pacing_paused(const struct pe_pacing *p, double now_ms,
			       double *until_ms);

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
