#ifndef PE_HTTP_H
#define PE_HTTP_H
/*
 * HTTP: the only module that uses libcurl.  One curl multi handle drives
 * every request of a run from one thread, with keep-alive, connection
 * reuse and HTTP/2 multiplexing where the server offers it, a cap on
 * connections, connect and total timeouts, and a cap on response size.
 * There is no thread per request.
 *
 * The caller adds requests with a userdata pointer and calls pe_http_run,
 * which waits for network activity, or for the caller's own descriptors
 * (the pipes of local programs), and reports each finished transfer
 * once.  pe_http_global_init must run once, before any thread starts.
 */
#include <stddef.h>

struct pollfd;

#include "harness/providers/provider.h"
#include "harness/run/pacing.h"

struct pe_http;

/*
 * A piece of a response body arriving: the body was end bytes long at
 * at_ms, on the transfer's own clock.
 */
struct pe_http_arrival {
	size_t end;
	double at_ms;
};

/*
 * How a transfer failed before a whole response came, for the retry
 * policy and the runner's circuit breaker.
 */
enum pe_transport {
	PE_TRANSPORT_OK,	  /* a whole response came */
	PE_TRANSPORT_RETRY,	  /* a timeout, a dropped connection: again */
	PE_TRANSPORT_UNREACHABLE, /* refused, or the host is unknown */
	PE_TRANSPORT_FATAL	  /* TLS, URL or scheme, size cap: never */
};

/*
 * What a response's headers said, as pe_http_headers_read folds them in
 * one line at a time.  Token limits come in kinds: Anthropic's tokens,
 * input tokens and output tokens (OpenAI's tokens are the first).
 */
enum { PE_HTTP_TOKEN_KINDS = 3 };
struct pe_http_headers {
	long time_remaining_ms;	   /* x-ratelimit-timeremaining (GitHub) */
	long retry_after_ms_value; /* retry-after-ms */
	long retry_after_value_ms; /* Retry-After, seconds or a date */
	long remaining_requests;   /* x-ratelimit- or anthropic-ratelimit- */
	long requests_reset_ms;	   /* from when the header came */
	long remaining_tokens[PE_HTTP_TOKEN_KINDS];
	long tokens_reset_ms[PE_HTTP_TOKEN_KINDS];
	long limit_tokens[PE_HTTP_TOKEN_KINDS];
	int should_retry;      /* x-should-retry: 1, 0, or -1 when absent */
	char limit_type[48];   /* x-ratelimit-type ("UserByDay"), or "" */
	char content_type[64]; /* without parameters, or "" */
};

/* What one transfer ended with.  body is owned by the result. */
struct pe_http_result {
	long status;	     /* HTTP status, 0 when none arrived */
	int transport_error; /* 0, or libcurl's code for a failure */
	enum pe_transport transport;
	char error[256]; /* the transport error, for messages */
	char *body;
	size_t len;
	int body_capped;      /* the body went over the size cap */
	double first_byte_ms; /* from start to the first response byte */
	double total_ms;
	/*
	 * How many times the request went out: libcurl sends it again by
	 * itself when a reused connection turns out closed.
	 */
	unsigned sends;
	struct pe_http_headers headers; /* the last response's */
	/*
	 * When the body's bytes came, for pe_http_arrival_ms: head_at_ms
	 * is the response's first byte on the same clock as the arrivals
	 * (-1 when none came), arrivals the first PE_HTTP_MAX_ARRIVALS
	 * pieces.  Owned by the result.
	 */
	double head_at_ms;
	struct pe_http_arrival *arrivals;
	size_t narrivals;
};

enum { PE_HTTP_MAX_ARRIVALS = 4096 };

void pe_http_result_release(struct pe_http_result *r);

/*
 * When the body of r had arrived up to offset bytes, in ms from the
 * start of the request, as first_byte_ms and total_ms count: offset 0 is
 * the response's first byte.  Falls back to total_ms (the whole body
 * had come by then) when offset is past the arrivals recorded.
 */
double pe_http_arrival_ms(const struct pe_http_result *r, size_t offset);

/* Calls curl_global_init; once per process, before any thread. */
int pe_http_global_init(void);
void pe_http_global_cleanup(void);

/* A driver for up to max_connections parallel connections. */
struct pe_http *pe_http_new(long max_connections);
void pe_http_free(struct pe_http *h);

/*
 * Starts a request.  The request is copied; userdata comes back with the
 * result.  Returns 0 or PE_ERR_IO.
 */
int pe_http_add(struct pe_http *h, const struct pe_http_request *req,
		long connect_timeout_ms, long timeout_ms, size_t max_body,
		void *userdata);

/* Called once per finished transfer; it owns nothing of r after return
 * except what it takes (it may steal r->body and set it to NULL). */
typedef void (*pe_http_done_fn)(void *ctx, void *userdata,
				struct pe_http_result *r);

/*
 * Waits up to timeout_ms for activity on the transfers or on the nextra
 * descriptors of extra (POLLIN, POLLOUT; their revents are set), moves
 * the transfers on and reports those that finished.  Returns the number
 * still in flight.
 */
size_t pe_http_run(struct pe_http *h, long timeout_ms, struct pollfd *extra,
		   size_t nextra, pe_http_done_fn done, void *ctx);

size_t pe_http_inflight(const struct pe_http *h);

/*
 * Makes a pe_http_run that waits, or the next one, return at once; safe
 * to call from any thread (work for the loop came from elsewhere).
 */
void pe_http_wakeup(struct pe_http *h);

/* The libcurl version, for --version. */
const char *pe_http_version(void);

/*
 * Parses a Retry-After value: seconds ("2", "1.5") or an HTTP date,
 * relative to now_epoch.  Returns milliseconds, or -1 when unreadable.
 */
long pe_http_parse_retry_after(const char *value, long now_epoch);

/* Parses a duration such as "1s", "6m0s", "12ms" into ms, or -1. */
long pe_http_parse_duration(const char *value);

/*
 * Parses an RFC 3339 time ("2024-04-08T18:25:30Z", with fractions and
 * offsets) into seconds since the epoch, or -1 when unreadable.
 */
double pe_http_parse_rfc3339(const char *value);

/* Empties h: every number -1, every string "". */
void pe_http_headers_init(struct pe_http_headers *h);

/*
 * Folds one header line (name: value, maybe ending in CRLF) into h;
 * times given as dates are taken relative to now_epoch.  A status line
 * ("HTTP/...") starts a new response: h is emptied.
 */
void pe_http_headers_read(struct pe_http_headers *h, const char *line,
			  size_t len, double now_epoch);

/*
 * How long the server asked to wait before a retry, in ms, or -1: on a
 * 429 (status), GitHub's x-ratelimit-timeremaining first; then
 * retry-after-ms, then Retry-After.
 */
long pe_http_retry_after_ms(const struct pe_http_headers *h, long status);

/*
 * What the rate-limit headers say of the window, -1 where they say
 * nothing: the requests left and when they reset, and of the token
 * kinds the one with the fewest left (on a tie, the later reset), with
 * its limit.
 */
void pe_http_rate_window(const struct pe_http_headers *h,
			 struct pe_rate_window *w);

#endif
