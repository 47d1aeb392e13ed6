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
	p->request_tokens = 0;
	for (int i = 0; i < PE_PAUSE_COUNT; i++)
		p->paused_until_ms[i] = 0;
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
	double until;

	return (double)inflight < p->cwnd &&
	       pe_pacing_paused(p, now_ms, &until) == PE_PAUSE_NONE &&
	       pe_pacing_budget_allows(p, inflight);
}

/* Takes a started request from the buckets; see pacing.h. */
void pe_pacing_spend(struct pe_pacing *p, double tokens)
{
	if (p->requests_per_minute > 0 && tokens > 0)
		p->req_tokens -= 1;
	p->tok_tokens -= tokens;
	if (tokens > p->request_tokens)
		p->request_tokens = tokens;
}

/* Reacts to a 429 or 529; see pacing.h. */
void pe_pacing_limited(struct pe_pacing *p, long retry_after_ms, double now_ms)
{
	p->cwnd = p->cwnd / 2 < 1 ? 1 : p->cwnd / 2;
	if (retry_after_ms > 0)
		pe_pacing_pause(p, PE_PAUSE_RETRY_AFTER,
				now_ms + (double)retry_after_ms);
}

/* Reacts to an answer; see pacing.h. */
void pe_pacing_succeeded(struct pe_pacing *p)
{
	p->cwnd += 1.0 / p->cwnd;
	if (p->cwnd > p->cap)
		p->cwnd = p->cap;
}

/*
 * The wait until a token window that refills evenly until its reset has
 * need tokens again, from left.
 */
static double token_wait_ms(const struct pe_rate_window *w, double need)
{
	double left = (double)w->remaining_tokens;
	double limit = (double)w->limit_tokens;

	if (limit <= left || need > limit)
		return (double)w->tokens_reset_ms;
	return (double)w->tokens_reset_ms * (need - left) / (limit - left);
}

/* How long a rate-limit window asks to wait; see pacing.h. */
double pe_pacing_window_wait_ms(const struct pe_pacing *p,
				const struct pe_rate_window *w,
				enum pe_pause *why)
{
	double wait = 0, tokens;
	double need = p->request_tokens > 1 ? p->request_tokens : 1;

	*why = PE_PAUSE_NONE;
	/* Pace before the 429: the server says the window is spent. */
	if (w->remaining_requests == 0 && w->requests_reset_ms > 0) {
		wait = (double)w->requests_reset_ms;
		*why = PE_PAUSE_REQUESTS;
	}
	if (w->remaining_tokens < 0 || w->tokens_reset_ms <= 0 ||
	    (double)w->remaining_tokens >= need)
		return wait;
	tokens = token_wait_ms(w, need);
	if (tokens > wait) {
		wait = tokens;
		*why = PE_PAUSE_TOKENS;
	}
	return wait;
}

/* Pauses sending; see pacing.h. */
void pe_pacing_pause(struct pe_pacing *p, enum pe_pause why, double until_ms)
{
	if (why > PE_PAUSE_NONE && why < PE_PAUSE_COUNT &&
	    until_ms > p->paused_until_ms[why])
		p->paused_until_ms[why] = until_ms;
}

/* Why and until when sending waits; see pacing.h. */
enum pe_pause pe_pacing_paused(const struct pe_pacing *p, double now_ms,
			       double *until_ms)
{
	enum pe_pause why = PE_PAUSE_NONE;

	*until_ms = now_ms;
	for (int i = PE_PAUSE_NONE + 1; i < PE_PAUSE_COUNT; i++) {
		if (p->paused_until_ms[i] > *until_ms) {
			*until_ms = p->paused_until_ms[i];
			why = (enum pe_pause)i;
		}
	}
	return why;
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
	double until;

	if (pe_pacing_paused(p, now_ms, &until) != PE_PAUSE_NONE &&
	    until - now_ms < wait_ms)
		wait_ms = until - now_ms;
	if (!pe_pacing_budget_allows(p, inflight) && wait_ms > BUDGET_POLL_MS)
		wait_ms = BUDGET_POLL_MS;
	return wait_ms;
}
