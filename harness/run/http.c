/*
 * The libcurl multi driver.  Each transfer owns a small struct with its
 * buffers; the write callback enforces the size cap, the header callback
 * keeps only the headers the retry and rate-limit logic reads, and the
 * debug callback counts the times the request went out (libcurl sends
 * it again on its own when a reused connection turns out closed).
 * Transfers are reported from curl_multi_info_read, once each.
 *
 * The write callback also notes when each piece of the body came, so
 * that the time a streamed answer's first text arrived can be told once
 * the body has been parsed (pe_http_arrival_ms).  Those times are taken
 * on the monotonic clock and set against the time the header callback
 * first ran, which is when libcurl's first_byte_ms was measured.
 *
 * HTTP/2 multiplexing is asked for on https only: there libcurl learns
 * from the TLS handshake whether the server speaks it, so new transfers
 * may wait for that connection (CURLOPT_PIPEWAIT) and share it.  On
 * plain http it would make every transfer of the first wave wait for
 * the first answer, one connection for all.
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
	unsigned sends;
	struct pe_http_headers seen;
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

/* Reads n digits at *p into *out; 0 when they are not there. */
static int read_digits(const char **p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return 0;
		*out = *out * 10 + (**p - '0');
	}
	return 1;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), for timegm. */
static long days_from_civil(long y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Parses an RFC 3339 time; see http.h. */
double pe_http_parse_rfc3339(const char *value)
{
	const char *p = value;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	double frac = 0, scale = 0.1;

	while (*p == ' ')
		p++;
	if (!read_digits(&p, 4, &y) || *p++ != '-' ||
	    !read_digits(&p, 2, &mo) || *p++ != '-' ||
	    !read_digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
		return -1;
	p++;
	if (!read_digits(&p, 2, &h) || *p++ != ':' ||
	    !read_digits(&p, 2, &mi) || *p++ != ':' ||
	    !read_digits(&p, 2, &sec))
		return -1;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!read_digits(&p, 2, &oh) || *p++ != ':' ||
		    !read_digits(&p, 2, &om))
			return -1;
	} else {
		return -1;
	}
	while (*p == ' ' || *p == '\r' || *p == '\n')
		p++;
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -1;
	return (double)days_from_civil(y, mo, d) * 86400.0 + h * 3600.0 +
	       mi * 60.0 + sec + frac - sign * (oh * 3600.0 + om * 60.0);
}

/* A reset given as a duration (OpenAI) or an RFC 3339 time, in ms. */
static long reset_ms(const char *v, double now_epoch)
{
	long ms = pe_http_parse_duration(v);
	double when;

	if (ms >= 0)
		return ms;
	when = pe_http_parse_rfc3339(v);
	if (when < 0)
		return -1;
	return when > now_epoch ? (long)((when - now_epoch) * 1000.0 + 0.5) : 0;
}

/* Copies a header value without spaces around it, cut to size. */
static void copy_value(char *dst, size_t size, const char *v)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, "\r\n");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
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

/* Empties h; see http.h. */
void pe_http_headers_init(struct pe_http_headers *h)
{
	h->time_remaining_ms = -1;
	h->retry_after_ms_value = -1;
	h->retry_after_value_ms = -1;
	h->remaining_requests = -1;
	h->requests_reset_ms = -1;
	for (int i = 0; i < PE_HTTP_TOKEN_KINDS; i++) {
		h->remaining_tokens[i] = -1;
		h->tokens_reset_ms[i] = -1;
		h->limit_tokens[i] = -1;
	}
	h->should_retry = -1;
	h->limit_type[0] = '\0';
	h->content_type[0] = '\0';
}

/*
 * The rate-limit headers, as OpenAI and GitHub (x-ratelimit-) and
 * Anthropic (anthropic-ratelimit-) name them: the REMAINING, RESET or
 * LIMIT (*field 0, 1, 2) of the requests (*kind -1) or of token kind 0,
 * 1 or 2.
 */
static int rate_header(const char *line, size_t len, const char **v, int *kind,
		       int *field)
{
	static const char *const kinds[] = { "requests", "tokens",
					     "input-tokens", "output-tokens" };
	static const char *const fields[] = { "remaining", "reset", "limit" };
	char name[64];

	for (int p = 0; p < 2; p++) {
		for (size_t k = 0; k < 4; k++) {
			for (int f = 0; f < 3; f++) {
				/* x-ratelimit-remaining-requests, but
				 * anthropic-ratelimit-requests-remaining. */
				if (p == 0)
					snprintf(name, sizeof(name),
						 "x-ratelimit-%s-%s", fields[f],
						 kinds[k]);
				else
					snprintf(name, sizeof(name),
						 "anthropic-ratelimit-%s-%s",
						 kinds[k], fields[f]);
				if (header_is(line, len, name, v)) {
					*kind = (int)k - 1;
					*field = f;
					return 1;
				}
			}
		}
	}
	return 0;
}

/* Folds one header line into h; see http.h. */
void pe_http_headers_read(struct pe_http_headers *h, const char *data,
			  size_t len, double now_epoch)
{
	char line[512];
	const char *v;
	int kind, field;

	if (len >= sizeof(line))
		return;
	memcpy(line, data, len);
	line[len] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		pe_http_headers_init(h);
	} else if (header_is(line, len, "retry-after-ms", &v)) {
		h->retry_after_ms_value = header_long(v);
	} else if (header_is(line, len, "retry-after", &v)) {
		h->retry_after_value_ms =
			pe_http_parse_retry_after(v, (long)now_epoch);
	} else if (header_is(line, len, "x-ratelimit-timeremaining", &v)) {
		long secs = header_long(v);

		h->time_remaining_ms = secs >= 0 ? secs * 1000 : -1;
	} else if (header_is(line, len, "x-ratelimit-type", &v)) {
		copy_value(h->limit_type, sizeof(h->limit_type), v);
	} else if (rate_header(line, len, &v, &kind, &field)) {
		long n = field == 1 ? reset_ms(v, now_epoch) : header_long(v);

		if (kind < 0 && field == 0)
			h->remaining_requests = n;
		else if (kind < 0 && field == 1)
			h->requests_reset_ms = n;
		else if (field == 0)
			h->remaining_tokens[kind] = n;
		else if (field == 1)
			h->tokens_reset_ms[kind] = n;
		else if (kind >= 0)
			h->limit_tokens[kind] = n;
	} else if (header_is(line, len, "x-should-retry", &v)) {
		while (*v == ' ')
			v++;
		h->should_retry = !strncasecmp(v, "true", 4);
	} else if (header_is(line, len, "content-type", &v)) {
		copy_value(h->content_type, sizeof(h->content_type), v);
		h->content_type[strcspn(h->content_type, "; ")] = '\0';
	}
}

/* The server's wait before a retry; see http.h. */
long pe_http_retry_after_ms(const struct pe_http_headers *h, long status)
{
	if (h->time_remaining_ms >= 0 && status == 429)
		return h->time_remaining_ms;
	if (h->retry_after_ms_value >= 0)
		return h->retry_after_ms_value;
	return h->retry_after_value_ms;
}

/* The rate-limit window the headers describe; see http.h. */
void pe_http_rate_window(const struct pe_http_headers *h,
			 struct pe_rate_window *w)
{
	w->remaining_requests = h->remaining_requests;
	w->requests_reset_ms = h->requests_reset_ms;
	w->remaining_tokens = -1;
	w->tokens_reset_ms = -1;
	w->limit_tokens = -1;
	for (int i = 0; i < PE_HTTP_TOKEN_KINDS; i++) {
		long left = h->remaining_tokens[i];

		if (left < 0)
			continue;
		if (w->remaining_tokens < 0 || left < w->remaining_tokens ||
		    (left == w->remaining_tokens &&
		     h->tokens_reset_ms[i] > w->tokens_reset_ms)) {
			w->remaining_tokens = left;
			w->tokens_reset_ms = h->tokens_reset_ms[i];
			w->limit_tokens = h->limit_tokens[i];
		}
	}
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t len = size * nmemb;
	struct timespec now;

	if (t->head_at_ms < 0)
		t->head_at_ms = clock_ms();
	clock_gettime(CLOCK_REALTIME, &now);
	pe_http_headers_read(&t->seen, data, len,
			     (double)now.tv_sec + (double)now.tv_nsec / 1e9);
	return len;
}

/* Counts each time the request's head goes out. */
static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size,
		    void *userp)
{
	struct transfer *t = userp;

	(void)easy;
	(void)data;
	(void)size;
	if (type == CURLINFO_HEADER_OUT)
		t->sends++;
	return 0;
}

/* True for a URL whose scheme is https (where HTTP/2 may be offered). */
static int is_https(const char *url)
{
	return !strncasecmp(url, "https://", 8);
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
	t->head_at_ms = -1;
	pe_http_headers_init(&t->seen);
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
	curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
	curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
	curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
	if (is_https(req->url))
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

/* What kind of failure a libcurl code is; see enum pe_transport. */
static enum pe_transport transport_kind(CURLcode code, int capped)
{
	switch (code) {
	case CURLE_OK:
		return PE_TRANSPORT_OK;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return PE_TRANSPORT_UNREACHABLE;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CLIENTCERT:
		return PE_TRANSPORT_FATAL;
	default:
		return capped ? PE_TRANSPORT_FATAL : PE_TRANSPORT_RETRY;
	}
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
	r.transport = transport_kind(msg->data.result, t->capped);
	if (msg->data.result != CURLE_OK) {
		r.transport_error = (int)msg->data.result;
		describe_error(t, msg->data.result, r.error, sizeof(r.error));
	}
	r.sends = t->sends;
	r.headers = t->seen;
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
