/*
 * The pacing arithmetic of the runner, kept apart from the loop so that
 * it can be tested with a fake clock.  Nothing here reads a clock, draws
 * a random number or allocates.
 */
#include "harness/run/pacing.h"

#include "harness/core/banned.h"

enum {
	BACKOFF_BASE_MS = 500,
	BACKOFF_CAP_MS = 30000,
	BUDGET_POLL_MS = 50 /* how often an empty bucket is looked at again */
};

/* Starts the pacing of one target; see pacing.h. */
void pe_pacing_init(struct pe_pacing *p, double cap, double requests_per_minute,
		    double tokens_per_minute, double now_ms)
{
	p->cap = cap;
	p->cwnd = cap;
	p->requests_per_minute = requests_per_minute;
	p->tokens_per_minute = tokens_per_minute;
	p->req_tokens = 1;
	p->tok_tokens = tokens_per_minute / 60.0;
	p->refilled_ms = now_ms;
	p->paused_until_ms = 0;
}

/* Refills the buckets; see pacing.h. */
void pe_pacing_refill(struct pe_pacing *p, double now_ms)
{
	double dt = now_ms - p->refilled_ms;

	p->refilled_ms = now_ms;
	if (p->requests_per_minute > 0) {
		double burst = p->requests_per_minute / 60.0;

		p->req_tokens += dt * p->requests_per_minute / 60000.0;
		if (p->req_tokens > (burst < 1 ? 1 : burst))
			p->req_tokens = burst < 1 ? 1 : burst;
	}
	if (p->tokens_per_minute > 0) {
		p->tok_tokens += dt * p->tokens_per_minute / 60000.0;
		if (p->tok_tokens > p->tokens_per_minute / 60.0)
			p->tok_tokens = p->tokens_per_minute / 60.0;
	}
}

/* Whether the buckets allow one more request; see pacing.h. */
int pe_pacing_budget_allows(const struct pe_pacing *p, size_t inflight)
{
	if (p->requests_per_minute > 0 && p->req_tokens < 1)
		return 0;
	/* One request may exceed a tiny budget: let it through alone. */
	if (p->tokens_per_minute > 0 && p->tok_tokens <= 0 && inflight)
		return 0;
	return 1;
}

/* Whether a request may start now; see pacing.h. */
int pe_pacing_may_send(const struct pe_pacing *p, size_t inflight,
		       double now_ms)
{
	return (double)inflight < p->cwnd && now_ms >= p->paused_until_ms &&
	       pe_pacing_budget_allows(p, inflight);
}

/* Takes a started request from the buckets; see pacing.h. */
void pe_pacing_spend(struct pe_pacing *p, double tokens)
{
	if (p->requests_per_minute > 0 && tokens > 0)
		p->req_tokens -= 1;
	p->tok_tokens -= tokens;
}

/* Reacts to a 429 or 529; see pacing.h. */
void pe_pacing_limited(struct pe_pacing *p, long retry_after_ms, double now_ms)
{
	p->cwnd = p->cwnd / 2 < 1 ? 1 : p->cwnd / 2;
	if (retry_after_ms > 0 &&
	    now_ms + (double)retry_after_ms > p->paused_until_ms)
		p->paused_until_ms = now_ms + (double)retry_after_ms;
}

/* Reacts to an answer; see pacing.h. */
void pe_pacing_succeeded(struct pe_pacing *p, long remaining_requests,
			 long reset_ms, double now_ms)
{
	p->cwnd += 1.0 / p->cwnd;
	if (p->cwnd > p->cap)
		p->cwnd = p->cap;
	/* Pace before the 429: the server says the window is spent. */
	if (remaining_requests == 0 && reset_ms > 0)
		p->paused_until_ms = now_ms + (double)reset_ms;
}

/* The delay before a retry; see pacing.h. */
double pe_pacing_backoff_ms(unsigned attempts, long retry_after_ms,
			    unsigned long long random)
{
	double ceiling = BACKOFF_BASE_MS *
			 (double)(1u << (attempts < 16 ? attempts : 16));

	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	/* Full jitter, unless the server said when. */
	return retry_after_ms >= 0
		       ? (double)retry_after_ms
		       : (double)(random % (unsigned long long)ceiling);
}

/* How long the loop may sleep for this target; see pacing.h. */
double pe_pacing_wait_ms(const struct pe_pacing *p, size_t inflight,
			 double now_ms, double wait_ms)
{
	if (p->paused_until_ms > now_ms &&
	    p->paused_until_ms - now_ms < wait_ms)
		wait_ms = p->paused_until_ms - now_ms;
	if (!pe_pacing_budget_allows(p, inflight) && wait_ms > BUDGET_POLL_MS)
		wait_ms = BUDGET_POLL_MS;
	return wait_ms;
}
