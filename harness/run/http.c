/*
 * The libcurl multi driver.  Each transfer owns a small struct with its
 * buffers; the write callback enforces the size cap and the header
 * callback keeps only the headers the retry and rate-limit logic reads.
 * Transfers are reported from curl_multi_info_read, once each.
 *
 * The write callback also notes when each piece of the body came, so
 * that the time a streamed answer's first text arrived can be told once
 * the body has been parsed (pe_http_arrival_ms).  Those times are taken
 * on the monotonic clock and set against the time the header callback
 * first ran, which is when libcurl's first_byte_ms was measured.
 */
#include "harness/run/http.h"

#include <curl/curl.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "harness/core/buf.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

struct transfer {
	struct transfer *prev, *next; /* the driver's list of transfers */
	CURL *easy;
	struct curl_slist *headers;
	char *body_out; /* the request body, kept alive for curl */
	struct pe_buf body_in;
	int capped;
	void *userdata;
	long retry_after_ms;
	long remaining_requests;
	long remaining_tokens;
	long reset_ms;
	int should_retry;
	char error[CURL_ERROR_SIZE];
	double head_at_ms; /* the first header's arrival, or -1 */
	struct pe_http_arrival *arrivals;
	size_t narrivals;
	size_t arrivals_alloc;
};

struct pe_http {
	CURLM *multi;
	size_t inflight;
	struct transfer *head;	     /* every transfer in flight */
	struct curl_waitfd *waitfds; /* the caller's descriptors, as curl's */
	size_t waitfds_alloc;
};

static void link_transfer(struct pe_http *h, struct transfer *t)
{
	t->next = h->head;
	if (h->head)
		h->head->prev = t;
	h->head = t;
}

static void unlink_transfer(struct pe_http *h, struct transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		h->head = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

/* Initialises libcurl once, before threads. */
int pe_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) ? PE_ERR_IO : PE_OK;
}

void pe_http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Creates a driver with a connection cap. */
struct pe_http *pe_http_new(long max_connections)
{
	struct pe_http *h = xcalloc(1, sizeof(*h));

	h->multi = curl_multi_init();
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  max_connections);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	return h;
}

static void free_transfer(struct transfer *t)
{
	free(t->arrivals);
	curl_slist_free_all(t->headers);
	free(t->body_out);
	pe_buf_release(&t->body_in);
	free(t);
}

/* Frees the driver and cancels what is still in flight. */
void pe_http_free(struct pe_http *h)
{
	if (!h)
		return;
	while (h->head) {
		struct transfer *t = h->head;

		unlink_transfer(h, t);
		curl_multi_remove_handle(h->multi, t->easy);
		curl_easy_cleanup(t->easy);
		free_transfer(t);
	}
	curl_multi_cleanup(h->multi);
	free(h->waitfds);
	free(h);
}

static double clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;

	if (pe_buf_add(&t->body_in, data, n)) {
		t->capped = 1;
		return 0; /* aborts the transfer */
	}
	if (n && t->narrivals < PE_HTTP_MAX_ARRIVALS) {
		pe_grow(&t->arrivals, &t->arrivals_alloc, t->narrivals + 1,
			sizeof(*t->arrivals));
		t->arrivals[t->narrivals].end = t->body_in.len;
		t->arrivals[t->narrivals++].at_ms = clock_ms();
	}
	return n;
}

/* Long integer header value, or -1. */
static long header_long(const char *v)
{
	char *end;
	long n;

	while (*v == ' ')
		v++;
	n = strtol(v, &end, 10);
	return end == v || n < 0 ? -1 : n;
}

/* Parses seconds or an HTTP date; see http.h. */
long pe_http_parse_retry_after(const char *value, long now_epoch)
{
	char *end;
	double secs;
	time_t when;

	while (*value == ' ')
		value++;
	secs = strtod(value, &end);
	if (end != value && secs >= 0 && secs < 86400 * 7) {
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (!*end)
			return (long)(secs * 1000);
	}
	when = curl_getdate(value, NULL);
	if (when < 0)
		return -1;
	return when > now_epoch ? (long)(when - now_epoch) * 1000 : 0;
}

/* Parses a Go-style duration such as "6m0s" or "12ms"; see http.h. */
long pe_http_parse_duration(const char *value)
{
	double total = 0;
	const char *p = value;

	while (*p == ' ')
		p++;
	if (!*p)
		return -1;
	while (*p && *p != '\r' && *p != '\n') {
		char *end;
		double n = strtod(p, &end);

		if (end == p)
			return -1;
		p = end;
		if (!strncmp(p, "ms", 2))
			total += n, p += 2;
		else if (*p == 'h')
			total += n * 3600000, p++;
		else if (*p == 'm')
			total += n * 60000, p++;
		else if (*p == 's')
			total += n * 1000, p++;
		else if (!*p || *p == '\r' || *p == '\n')
			total += n * 1000; /* a bare number is seconds */
		else
			return -1;
	}
	return (long)total;
}

static int header_is(const char *line, size_t len, const char *name,
		     const char **value)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return 0;
	*value = line + n + 1;
	return 1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t len = size * nmemb;
	char line[512];
	const char *v;
	long ms;

	if (t->head_at_ms < 0)
		t->head_at_ms = clock_ms();
	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if (header_is(line, len, "retry-after-ms", &v)) {
		t->retry_after_ms = header_long(v);
	} else if (header_is(line, len, "retry-after", &v)) {
		/* retry-after-ms, when also present, is more precise. */
		if (t->retry_after_ms < 0)
			t->retry_after_ms =
				pe_http_parse_retry_after(v, (long)time(NULL));
	} else if (header_is(line, len, "x-ratelimit-remaining-requests", &v)) {
		t->remaining_requests = header_long(v);
	} else if (header_is(line, len, "x-ratelimit-remaining-tokens", &v)) {
		t->remaining_tokens = header_long(v);
	} else if (header_is(line, len, "x-ratelimit-reset-requests", &v) ||
		   header_is(line, len, "x-ratelimit-reset-tokens", &v)) {
		ms = pe_http_parse_duration(v);
		if (ms > t->reset_ms)
			t->reset_ms = ms;
	} else if (header_is(line, len, "x-should-retry", &v)) {
		while (*v == ' ')
			v++;
		t->should_retry = !strncasecmp(v, "true", 4);
	}
	return len;
}

/*
 * The CA certificates to verify the server against, when the request
 * names its own; verification itself is libcurl's default and stays on.
 */
static void set_trust(CURL *e, const struct pe_http_request *req)
{
	if (req->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
	if (req->ca_dir)
		curl_easy_setopt(e, CURLOPT_CAPATH, req->ca_dir);
}

/*
 * The transport error of a failed transfer: libcurl's, and for a server
 * certificate that is not trusted, what to do about it.
 */
static void describe_error(const struct transfer *t, CURLcode code, char *out,
			   size_t size)
{
	const char *what = t->capped	 ? "response larger than the size cap"
			   : t->error[0] ? t->error
					 : curl_easy_strerror(code);
	struct pe_buf b;

	pe_buf_init(&b, 0);
	if (code == CURLE_PEER_FAILED_VERIFICATION ||
	    code == CURLE_SSL_CACERT_BADFILE)
		pe_buf_addf(&b,
			    "TLS: the server's certificate is not trusted "
			    "(%s); name its CA with ca_cert or SSL_CERT_FILE",
			    what);
	else
		pe_buf_adds(&b, what);
	snprintf(out, size, "%s", pe_buf_str(&b));
	pe_buf_release(&b);
}

/* Starts a request; see http.h. */
int pe_http_add(struct pe_http *h, const struct pe_http_request *req,
		long connect_timeout_ms, long timeout_ms, size_t max_body,
		void *userdata)
{
	struct transfer *t = xcalloc(1, sizeof(*t));
	CURL *e = curl_easy_init();

	if (!e) {
		free(t);
		return PE_ERR_IO;
	}
	t->easy = e;
	t->userdata = userdata;
	t->retry_after_ms = -1;
	t->remaining_requests = -1;
	t->remaining_tokens = -1;
	t->reset_ms = -1;
	t->should_retry = -1;
	t->head_at_ms = -1;
	pe_buf_init(&t->body_in, max_body);
	t->body_out = xstrndup(req->body ? req->body : "", req->body_len);
	for (size_t i = 0; i < req->headers.len; i++)
		t->headers =
			curl_slist_append(t->headers, req->headers.items[i]);
	/* curl adds "Expect: 100-continue" for large bodies; APIs do not. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body_out);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)req->body_len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "prompteval");
	set_trust(e, req);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		free_transfer(t);
		return PE_ERR_IO;
	}
	link_transfer(h, t);
	h->inflight++;
	return PE_OK;
}

static void finish(struct pe_http *h, CURLMsg *msg, pe_http_done_fn done,
		   void *ctx)
{
	struct transfer *t = NULL;
	struct pe_http_result r;
	curl_off_t start_us = 0, total_us = 0;

	memset(&r, 0, sizeof(r));
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_STARTTRANSFER_TIME_T,
			  &start_us);
	curl_easy_getinfo(msg->easy_handle, CURLINFO_TOTAL_TIME_T, &total_us);
	r.first_byte_ms = (double)start_us / 1000.0;
	r.total_ms = (double)total_us / 1000.0;
	r.body_capped = t->capped;
	if (msg->data.result != CURLE_OK) {
		r.transport_error = (int)msg->data.result;
		describe_error(t, msg->data.result, r.error, sizeof(r.error));
	}
	r.retry_after_ms = t->retry_after_ms;
	r.remaining_requests = t->remaining_requests;
	r.remaining_tokens = t->remaining_tokens;
	r.reset_ms = t->reset_ms;
	r.should_retry = t->should_retry;
	r.head_at_ms = t->head_at_ms;
	r.arrivals = t->arrivals;
	r.narrivals = t->narrivals;
	t->arrivals = NULL;
	r.body = pe_buf_detach(&t->body_in, &r.len);
	curl_multi_remove_handle(h->multi, msg->easy_handle);
	curl_easy_cleanup(msg->easy_handle);
	unlink_transfer(h, t);
	h->inflight--;
	done(ctx, t->userdata, &r);
	pe_http_result_release(&r);
	free_transfer(t);
}

/* Reports every finished transfer; returns how many there were. */
static size_t harvest(struct pe_http *h, pe_http_done_fn done, void *ctx)
{
	int queued = 0;
	size_t n = 0;
	CURLMsg *msg;

	while ((msg = curl_multi_info_read(h->multi, &queued)) != NULL) {
		if (msg->msg == CURLMSG_DONE) {
			finish(h, msg, done, ctx);
			n++;
		}
	}
	return n;
}

/* Waits on the transfers and the caller's descriptors. */
static void wait_for(struct pe_http *h, long timeout_ms, struct pollfd *extra,
		     size_t nextra)
{
	pe_grow(&h->waitfds, &h->waitfds_alloc, nextra ? nextra : 1,
		sizeof(*h->waitfds));
	for (size_t i = 0; i < nextra; i++) {
		h->waitfds[i].fd = extra[i].fd;
		h->waitfds[i].events =
			(short)((extra[i].events & POLLIN ? CURL_WAIT_POLLIN
							  : 0) |
				(extra[i].events & POLLOUT ? CURL_WAIT_POLLOUT
							   : 0));
		h->waitfds[i].revents = 0;
	}
	curl_multi_poll(h->multi, h->waitfds, (unsigned)nextra, (int)timeout_ms,
			NULL);
	for (size_t i = 0; i < nextra; i++)
		extra[i].revents =
			(short)((h->waitfds[i].revents & CURL_WAIT_POLLIN
					 ? POLLIN
					 : 0) |
				(h->waitfds[i].revents & CURL_WAIT_POLLOUT
					 ? POLLOUT
					 : 0));
}

/* Waits for activity and reports finished transfers; see http.h. */
size_t pe_http_run(struct pe_http *h, long timeout_ms, struct pollfd *extra,
		   size_t nextra, pe_http_done_fn done, void *ctx)
{
	int running = 0;

	curl_multi_perform(h->multi, &running);
	/*
	 * Only wait when nothing is ready: the caller has new work to start
	 * as soon as a transfer finishes.  With nothing in flight this
	 * simply waits, which is how the caller paces retries.
	 */
	if (!harvest(h, done, ctx) && timeout_ms > 0) {
		wait_for(h, timeout_ms, extra, nextra);
		curl_multi_perform(h->multi, &running);
		harvest(h, done, ctx);
	}
	return h->inflight;
}

/* Number of transfers in flight. */
size_t pe_http_inflight(const struct pe_http *h)
{
	return h->inflight;
}

/* Frees a result's body and arrivals. */
void pe_http_result_release(struct pe_http_result *r)
{
	free(r->body);
	free(r->arrivals);
	r->body = NULL;
	r->len = 0;
	r->arrivals = NULL;
	r->narrivals = 0;
}

/* When the body had come up to offset; see http.h. */
double pe_http_arrival_ms(const struct pe_http_result *r, size_t offset)
{
	double ms;

	if (!offset)
		return r->first_byte_ms;
	for (size_t i = 0; i < r->narrivals && r->head_at_ms >= 0; i++) {
		if (r->arrivals[i].end < offset)
			continue;
		ms = r->first_byte_ms + (r->arrivals[i].at_ms - r->head_at_ms);
		/* In whole microseconds, as libcurl gives its times. */
		ms = floor(ms * 1000.0 + 0.5) / 1000.0;
		/* The two clocks may differ by a hair; keep the order. */
		if (ms < r->first_byte_ms)
			ms = r->first_byte_ms;
		return ms > r->total_ms ? r->total_ms : ms;
	}
	return r->total_ms;
}

/* Returns libcurl's version string. */
const char *pe_http_version(void)
{
	return curl_version_info(CURLVERSION_NOW)->version;
}

/* Wakes the loop's wait; see http.h. */
void pe_http_wakeup(struct pe_http *h)
{
	curl_multi_wakeup(h->multi);
}
