/*
 * HTTP/1.1 over non-blocking sockets: reading and parsing requests
 * (Content-Length or chunked bodies, pipelining, Expect: 100-continue),
 * writing responses through each connection's output buffer, and the
 * min-heap of timers that delays them.  A response is decided whole when
 * its request is complete; fl_emit then sends it, all at once or one
 * stream segment per --stream-interval-ms, or a byte per TRICKLE_MS for
 * a trickle; a generated answer (answer_bytes) is written a piece at a
 * time as the socket drains.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* Timers: a min-heap of connections keyed by due_ms */

static void heap_swap(struct server *s, size_t a, size_t b)
{
	struct conn *t = s->heap[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_index = a;
	s->heap[b]->heap_index = b;
}

static void heap_up(struct server *s, size_t i)
{
	while (i && s->heap[(i - 1) / 2]->due_ms > s->heap[i]->due_ms) {
		heap_swap(s, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct server *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < s->nheap && s->heap[l]->due_ms < s->heap[m]->due_ms)
			m = l;
		if (r < s->nheap && s->heap[r]->due_ms < s->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

static void timer_add(struct conn *c, uint64_t due_ms)
{
	struct server *s = c->srv;

	if (s->nheap == s->heapcap) {
		s->heapcap = s->heapcap ? s->heapcap * 2 : 64;
		s->heap = fl_xrealloc(s->heap, s->heapcap * sizeof(*s->heap));
	}
	c->due_ms = due_ms;
	c->heap_index = s->nheap;
	s->heap[s->nheap++] = c;
	heap_up(s, c->heap_index);
}

static void timer_remove(struct conn *c)
{
	struct server *s = c->srv;
	size_t i = c->heap_index;

	if (i == SIZE_MAX)
		return;
	c->heap_index = SIZE_MAX;
	if (i != --s->nheap) {
		s->heap[i] = s->heap[s->nheap];
		s->heap[i]->heap_index = i;
		heap_up(s, i);
		heap_down(s, s->heap[i]->heap_index);
	}
}

/* Returns how long epoll_wait may sleep: until the next timer, or -1. */
int fl_next_timeout_ms(struct server *s)
{
	uint64_t now;

	if (!s->nheap)
		return -1;
	now = fl_now_ms();
	if (s->heap[0]->due_ms <= now)
		return 0;
	if (s->heap[0]->due_ms - now > 60000)
		return 60000;
	return (int)(s->heap[0]->due_ms - now);
}

/* Connections and output */

static const char *reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 402:
		return "Payment Required";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 529:
		return "Site Overloaded";
	default:
		return "Status";
	}
}

static void update_interest(struct conn *c)
{
	struct epoll_event ev;
	uint32_t want = 0;

	if (!c->busy && !c->close_after && !c->peer_closed &&
	    c->out.len - c->out_off < MAX_OUT_PENDING)
		want |= EPOLLIN;
	if (c->out_off < c->out.len)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
		c->events = want;
	else
		c->dead = 1;
}

static void finish_response(struct conn *c);

/*
 * Puts the next piece of a generated answer (answer_bytes) into the
 * empty c->out: x at most FILL_CHUNK at a time, then its end, which
 * finishes the response.  Returns 0 when there is nothing to add.
 */
static int refill(struct conn *c)
{
	size_t n;

	if (!c->fill_left && !c->fill_end)
		return 0;
	if (!c->fill_left) {
		fl_buf_adds(&c->out, c->fill_end);
		c->fill_end = NULL;
		finish_response(c);
		return 1;
	}
	n = c->fill_left < FILL_CHUNK ? (size_t)c->fill_left : FILL_CHUNK;
	fl_buf_grow(&c->out, n);
	memset(c->out.data + c->out.len, 'x', n);
	c->out.len += n;
	c->out.data[c->out.len] = '\0';
	c->fill_left -= n;
	return 1;
}

/*
 * Sends as much of c->out as the socket takes, refilling it while a
 * generated answer goes on.  Marks c dead on an error, or when
 * everything is sent and the connection is to close.
 */
void fl_flush_out(struct conn *c)
{
	for (;;) {
		while (c->out_off < c->out.len && !c->dead) {
			ssize_t n = send(c->fd, c->out.data + c->out_off,
					 c->out.len - c->out_off, MSG_NOSIGNAL);

			if (n > 0) {
				c->out_off += (size_t)n;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n < 0 &&
				   (errno == EAGAIN || errno == EWOULDBLOCK)) {
				return;
			} else {
				c->dead = 1;
			}
		}
		if (c->dead || c->out_off != c->out.len)
			return;
		fl_buf_reset(&c->out);
		c->out_off = 0;
		if (!refill(c))
			break;
	}
	if (c->close_after && !c->busy)
		c->dead = 1;
}

static void queue_head(struct conn *c)
{
	const struct fl_response *r = &c->resp;
	struct fl_buf *o = &c->out;
	int announce_close = !c->req.keep_alive || c->srv->stopping ||
			     (r->chunked && c->req.http10);

	/* A truncated reply closes without warning, as a failure would. */
	if (announce_close || c->truncate)
		c->close_after = 1;
	fl_buf_addf(o, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", r->status,
		    reason(r->status), r->content_type);
	fl_buf_add(o, r->headers.data, r->headers.len);
	if (c->trickle) /* more than it will ever send */
		fl_buf_adds(o, "Content-Length: 1099511627776\r\n");
	else if (c->fill_left)
		fl_buf_addf(o, "Content-Length: %llu\r\n",
			    (unsigned long long)(r->body.len + c->fill_left +
						 strlen(c->fill_end)));
	else if (!r->chunked)
		fl_buf_addf(o, "Content-Length: %zu\r\n", r->body.len);
	else if (!c->req.http10)
		fl_buf_adds(o, "Transfer-Encoding: chunked\r\n");
	if (r->chunked)
		fl_buf_adds(o, "Cache-Control: no-cache\r\n");
	if (announce_close)
		fl_buf_adds(o, "Connection: close\r\n\r\n");
	else if (c->req.http10)
		fl_buf_adds(o, "Connection: keep-alive\r\n\r\n");
	else
		fl_buf_adds(o, "\r\n");
}

static void queue_segment(struct conn *c, size_t i)
{
	const struct fl_response *r = &c->resp;
	size_t start = i ? r->seg_end[i - 1] : 0;
	size_t len = r->seg_end[i] - start;

	if (!c->req.http10)
		fl_buf_addf(&c->out, "%zx\r\n", len);
	fl_buf_add(&c->out, r->body.data + start, len);
	if (!c->req.http10)
		fl_buf_adds(&c->out, "\r\n");
}

static void finish_response(struct conn *c)
{
	c->busy = 0;
	c->started = 0;
	c->next_seg = 0;
	if (c->truncate)
		c->close_after = 1;
	c->truncate = 0;
}

/*
 * Sends what is due of the decided response: all of it, or with
 * --stream-interval-ms one stream segment at a time, rearming the timer.
 */
void fl_emit(struct conn *c)
{
	struct fl_response *r = &c->resp;
	long interval = c->srv->opt.stream_interval_ms;
	size_t limit;

	if (c->drop) {
		c->drop = 0;
		c->busy = 0;
		c->dead = 1;
		return;
	}
	if (c->trickle && c->started) {
		fl_buf_addc(&c->out, ' ');
		timer_add(c, fl_now_ms() + TRICKLE_MS);
		return;
	}
	if (!c->started) {
		queue_head(c);
		c->started = 1;
		if (!r->chunked) {
			fl_buf_add(&c->out, r->body.data,
				   c->truncate ? r->body.len / 2 : r->body.len);
			/* Trickles and generated answers go on: busy. */
			if (c->trickle)
				timer_add(c, fl_now_ms() + TRICKLE_MS);
			if (c->trickle || c->fill_left)
				c->busy = 1;
			else
				finish_response(c);
			return;
		}
	}
	limit = c->truncate ? r->nseg / 2 : r->nseg;
	while (c->next_seg < limit) {
		queue_segment(c, c->next_seg++);
		if (interval && c->next_seg < limit) {
			c->busy = 1;
			timer_add(c, fl_now_ms() + (uint64_t)interval);
			return;
		}
	}
	if (!c->truncate && !c->req.http10)
		fl_buf_adds(&c->out, "0\r\n\r\n");
	finish_response(c);
}

/* Sends the decided response now, or parks the connection until due. */
void fl_start_response(struct conn *c, long delay_ms)
{
	if (delay_ms <= 0) {
		fl_emit(c);
		return;
	}
	c->busy = 1;
	timer_add(c, fl_now_ms() + (uint64_t)delay_ms);
}

/* Closes c's socket, cancels its timer and frees it. */
void fl_conn_close(struct conn *c)
{
	struct server *s = c->srv;

	timer_remove(c);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	fl_buf_release(&c->in);
	fl_buf_release(&c->out);
	fl_buf_release(&c->req.target);
	fl_buf_release(&c->chunked_body);
	fl_response_release(&c->resp);
	free(c);
}

/* A small JSON reply outside the provider formats (admin, 404). */
void fl_simple_reply(struct conn *c, int status, const char *type,
		     const char *json)
{
	fl_response_reset(&c->resp);
	c->resp.status = status;
	c->resp.content_type = type;
	fl_buf_adds(&c->resp.body, json);
	fl_emit(c);
}

/* HTTP/1.1 request parsing */

static void set_header(struct request *req, const char *name, size_t nlen,
		       const char *value, size_t vlen, int *bad)
{
#define IS(h) (nlen == strlen(h) && !strncasecmp(name, h, nlen))
	if (IS("Content-Length")) {
		char num[24];
		long v;

		if (!vlen || vlen >= sizeof(num)) {
			*bad = vlen ? 413 : 400;
			return;
		}
		memcpy(num, value, vlen);
		num[vlen] = '\0';
		if (fl_parse_long(num, 0, 0x7fffffffffffffffL, &v))
			*bad = 400;
		else if (v > MAX_BODY_BYTES)
			*bad = 413;
		else
			req->content_length = (size_t)v;
	} else if (IS("Transfer-Encoding")) {
		req->chunked = vlen >= 7 &&
			       !strncasecmp(value + vlen - 7, "chunked", 7);
	} else if (IS("Connection")) {
		if (vlen == 5 && !strncasecmp(value, "close", 5))
			req->keep_alive = 0;
		else if (vlen == 10 && !strncasecmp(value, "keep-alive", 10))
			req->keep_alive = 1;
	} else if (IS("Expect")) {
		req->expect_continue =
			vlen == 12 && !strncasecmp(value, "100-continue", 12);
	} else if (IS("x-api-key")) {
		req->has_api_key = vlen > 0;
	} else if (IS("Authorization")) {
		if (vlen > 7 && !strncasecmp(value, "Bearer ", 7))
			req->has_api_key = 1;
	} else if (IS("anthropic-version")) {
		req->has_anthropic_version = vlen > 0;
	}
#undef IS
}

/* Parses the request line; returns 0 or an HTTP status. */
static int parse_request_line(struct request *req, const char *p, size_t len)
{
	const char *sp1 = memchr(p, ' ', len), *sp2;
	size_t mlen, tlen, vlen;

	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - p));
	if (!sp2)
		return 400;
	mlen = (size_t)(sp1 - p);
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = len - (size_t)(sp2 + 1 - p);
	if (!mlen || mlen >= sizeof(req->method) || !tlen || sp1[1] != '/')
		return 400;
	if (vlen == 8 && !memcmp(sp2 + 1, "HTTP/1.1", 8))
		req->http10 = 0;
	else if (vlen == 8 && !memcmp(sp2 + 1, "HTTP/1.0", 8))
		req->http10 = 1;
	else
		return 400;
	memcpy(req->method, p, mlen);
	req->method[mlen] = '\0';
	fl_buf_reset(&req->target);
	fl_buf_add(&req->target, sp1 + 1, tlen);
	if (memchr(req->target.data, '\0', tlen))
		return 400;
	return 0;
}

/* Parses the head in in[0..head_len); returns 0 or an HTTP status. */
static int parse_head(struct conn *c, size_t head_len)
{
	struct request *req = &c->req;
	const char *p = c->in.data, *end = p + head_len;
	int first = 1, bad = 0, line_bad = 0;

	memset(&req->route, 0, sizeof(req->route));
	req->head_len = head_len;
	req->content_length = 0;
	req->chunked = 0;
	req->expect_continue = 0;
	req->has_api_key = 0;
	req->has_anthropic_version = 0;
	while (p < end && !bad) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)(nl - p);
		const char *colon, *v, *ve;

		if (len && p[len - 1] == '\r')
			len--;
		if (first) {
			bad = line_bad = parse_request_line(req, p, len);
			req->keep_alive = !req->http10;
			first = 0;
		} else if (len) {
			colon = memchr(p, ':', len);
			if (!colon || colon == p)
				return 400;
			v = colon + 1;
			ve = p + len;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			set_header(req, p, (size_t)(colon - p), v,
				   (size_t)(ve - v), &bad);
		}
		p = nl + 1;
	}
	if (!line_bad)
		fl_route_request(req);
	return bad;
}

/* Finds the end of the head: the offset after the blank line, or 0. */
static size_t find_head_end(struct conn *c)
{
	const char *d = c->in.data;
	size_t i = c->head_scan;

	for (; i < c->in.len; i++) {
		if (d[i] != '\n')
			continue;
		if (i >= 1 && d[i - 1] == '\n')
			return i + 1;
		if (i >= 2 && d[i - 1] == '\r' && d[i - 2] == '\n')
			return i + 1;
	}
	c->head_scan = c->in.len;
	return 0;
}

/* Decodes chunked body data; 1 when complete, 0 for more, else a status. */
static int decode_chunked(struct conn *c)
{
	for (;;) {
		const char *p = c->in.data + c->chunk_pos;
		size_t avail = c->in.len - c->chunk_pos, line, size = 0;
		const char *nl = memchr(p, '\n', avail), *q;

		if (!nl)
			return avail > 4096 ? 400 : 0;
		/* Tiny chunks must not let framing grow c->in without end. */
		if (c->chunk_pos > MAX_HEAD_BYTES + 2 * (size_t)MAX_BODY_BYTES)
			return 413;
		line = (size_t)(nl - p) + 1;
		if (c->in_trailer) {
			c->chunk_pos += line;
			if (line == 1 || (line == 2 && p[0] == '\r'))
				return 1;
			continue;
		}
		for (q = p; q < nl; q++) {
			int v = *q >= '0' && *q <= '9'	 ? *q - '0'
				: *q >= 'a' && *q <= 'f' ? *q - 'a' + 10
				: *q >= 'A' && *q <= 'F' ? *q - 'A' + 10
							 : -1;

			if (v < 0)
				break;
			if (size > MAX_BODY_BYTES)
				return 413;
			size = size * 16 + (size_t)v;
		}
		if (q == p || (*q != ';' && *q != '\r' && *q != '\n'))
			return 400;
		if (c->chunked_body.len + size > MAX_BODY_BYTES)
			return 413;
		if (!size) {
			c->in_trailer = 1;
			c->chunk_pos += line;
			continue;
		}
		if (avail < line + size + 2)
			return 0;
		if (p[line + size] != '\r' || p[line + size + 1] != '\n')
			return 400;
		fl_buf_add(&c->chunked_body, p + line, size);
		c->chunk_pos += line + size + 2;
	}
}

static void reset_request_state(struct conn *c)
{
	c->have_head = 0;
	c->head_scan = 0;
	c->in_trailer = 0;
	c->continue_sent = 0;
	fl_buf_reset(&c->chunked_body);
}

/*
 * Tries to read one whole request from c->in and handle it.  Returns 1 if
 * one was handled, 0 if more bytes are needed or the connection is done.
 */
static int next_request(struct conn *c)
{
	size_t total;
	int rc;

	if (!c->have_head) {
		size_t head_len = find_head_end(c);

		if (!head_len || head_len > MAX_HEAD_BYTES) {
			if (head_len || c->in.len > MAX_HEAD_BYTES)
				fl_fail_request(c, 431,
						"request head too large");
			return 0;
		}
		c->have_head = 1;
		rc = parse_head(c, head_len);
		if (rc) {
			fl_fail_request(c, rc,
					rc == 413 ? "request body too large"
						  : "malformed request");
			return 0;
		}
		c->chunk_pos = head_len;
	}
	if (c->req.chunked) {
		rc = decode_chunked(c);
		if (rc > 1) {
			fl_fail_request(c, rc,
					rc == 413 ? "request body too large"
						  : "malformed chunked body");
			return 0;
		}
		total = c->chunk_pos;
	} else {
		rc = c->in.len >= c->req.head_len + c->req.content_length;
		total = c->req.head_len + c->req.content_length;
	}
	if (!rc) {
		if (c->req.expect_continue && !c->continue_sent) {
			fl_buf_adds(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
			c->continue_sent = 1;
		}
		return 0;
	}
	if (c->req.chunked)
		fl_handle_request(
			c, c->chunked_body.data ? c->chunked_body.data : "",
			c->chunked_body.len);
	else
		fl_handle_request(c, c->in.data + c->req.head_len,
				  c->req.content_length);
	fl_buf_consume(&c->in, total);
	reset_request_state(c);
	return 1;
}

/* Handles the complete requests in c->in, sends, and rearms epoll. */
static void pump(struct conn *c)
{
	while (!c->busy && !c->dead && !c->close_after &&
	       c->out.len - c->out_off < MAX_OUT_PENDING && next_request(c))
		;
	fl_flush_out(c);
	if (!c->dead && !c->busy && c->out_off == c->out.len && c->peer_closed)
		c->dead = 1;
	if (!c->dead)
		update_interest(c);
}

static void on_readable(struct conn *c)
{
	for (;;) {
		ssize_t n;

		fl_buf_grow(&c->in, READ_CHUNK);
		n = recv(c->fd, c->in.data + c->in.len,
			 c->in.cap - c->in.len - 1, 0);
		if (n > 0) {
			c->in.len += (size_t)n;
			c->in.data[c->in.len] = '\0';
			if ((size_t)n < READ_CHUNK ||
			    c->in.len > MAX_HEAD_BYTES + MAX_BODY_BYTES)
				break;
		} else if (n == 0) {
			c->peer_closed = 1;
			break;
		} else if (errno == EINTR) {
			continue;
		} else {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = 1;
			break;
		}
	}
}

/* Handles epoll events for c; c may be freed on return. */
void fl_on_event(struct conn *c, uint32_t events)
{
	/* After a hang-up nothing can be delivered any more. */
	if (events & (EPOLLERR | EPOLLHUP))
		c->dead = 1;
	if (!c->dead && (events & EPOLLIN))
		on_readable(c);
	if (!c->dead)
		pump(c);
	if (c->dead)
		fl_conn_close(c);
}

static void on_timer(struct conn *c)
{
	fl_emit(c);
	if (!c->dead)
		pump(c);
	if (c->dead)
		fl_conn_close(c);
}

/* Runs every timer that is due; their connections may be freed. */
void fl_fire_timers(struct server *s)
{
	uint64_t now = fl_now_ms();

	while (s->nheap && s->heap[0]->due_ms <= now) {
		struct conn *c = s->heap[0];

		timer_remove(c);
		on_timer(c);
	}
}

static void accept_one(struct server *s, int fd)
{
	struct conn *c;
	struct epoll_event ev;
	int one = 1;

	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = fl_xmalloc(sizeof(*c));
	memset(c, 0, sizeof(*c));
	c->srv = s;
	c->fd = fd;
	c->heap_index = SIZE_MAX;
	fl_buf_init(&c->in);
	fl_buf_init(&c->out);
	fl_buf_init(&c->req.target);
	fl_buf_init(&c->chunked_body);
	fl_response_init(&c->resp);
	c->events = EPOLLIN;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		fl_conn_close(c);
}

/* Accepts every pending connection on the listening socket. */
void fl_accept_all(struct server *s)
{
	for (;;) {
		int fd = accept(s->listen_fd, NULL, NULL);

		if (fd >= 0) {
			accept_one(s, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) &&
		    s->reserve_fd >= 0) {
			/* Accept and close one, so the backlog drains. */
			close(s->reserve_fd);
			fd = accept(s->listen_fd, NULL, NULL);
			if (fd >= 0)
				close(fd);
			s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		return;
	}
}
