/*
 * Request handlers: routing a target to a provider or an admin endpoint,
 * deciding each chat request's fate (script rule, quota, fault rates, or a
 * generated answer) and building its response.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

/* Routing */

static int has_alt_sse(const char *query)
{
	const char *p = query;

	while (p && *p) {
		if (!strncmp(p, "alt=sse", 7) && (p[7] == '&' || !p[7]))
			return 1;
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return 0;
}

static int route_gemini(struct route *rt, const char *path, size_t len,
			const char *query)
{
	static const char *const prefixes[] = { "/v1beta/models/",
						"/v1/models/" };
	const char *rest = NULL, *colon;
	size_t i, n;

	for (i = 0; i < 2 && !rest; i++)
		if (!strncmp(path, prefixes[i], strlen(prefixes[i])))
			rest = path + strlen(prefixes[i]);
	if (!rest)
		return 0;
	colon = memchr(rest, ':', len - (size_t)(rest - path));
	if (!colon || colon == rest || (size_t)(colon - rest) >= MODEL_CAP)
		return 0;
	n = len - (size_t)(colon + 1 - path);
	if (n == strlen("generateContent") &&
	    !memcmp(colon + 1, "generateContent", n))
		rt->stream_path = 0;
	else if (n == strlen("streamGenerateContent") &&
		 !memcmp(colon + 1, "streamGenerateContent", n))
		rt->stream_path = 1;
	else
		return 0;
	memcpy(rt->model, rest, (size_t)(colon - rest));
	rt->model[colon - rest] = '\0';
	rt->provider = FL_GEMINI;
	rt->sse = has_alt_sse(query);
	return 1;
}

static int path_is(const char *path, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(path, want, len);
}

/* GitHub Models billed to an organization: /orgs/ORG/inference/... */
static int is_org_path(const char *path, size_t len)
{
	static const char head[] = "/orgs/",
			  tail[] = "/inference/chat/completions";
	size_t org_len;

	if (len <= sizeof(head) - 1 || memcmp(path, head, sizeof(head) - 1))
		return 0;
	path += sizeof(head) - 1;
	len -= sizeof(head) - 1;
	org_len = strcspn(path, "/");
	return org_len && org_len < len &&
	       path_is(path + org_len, len - org_len, tail);
}

/* Decides what a request is for from its method and target. */
void fl_route_request(struct request *req)
{
	struct route *rt = &req->route;
	const char *path = req->target.data;
	const char *q = strchr(path, '?');
	size_t len = q ? (size_t)(q - path) : strlen(path);
	int post = !strcmp(req->method, "POST");
	int get = !strcmp(req->method, "GET");
	int chat = 1;

	memset(rt, 0, sizeof(*rt));
	if (path_is(path, len, "/v1/chat/completions") ||
	    path_is(path, len, "/chat/completions") ||
	    path_is(path, len, "/inference/chat/completions") ||
	    is_org_path(path, len))
		rt->provider = FL_OPENAI;
	else if (path_is(path, len, "/v1/messages"))
		rt->provider = FL_ANTHROPIC;
	else if (path_is(path, len, "/api/chat"))
		rt->provider = FL_OLLAMA;
	else if (!route_gemini(rt, path, len, q ? q + 1 : ""))
		chat = 0;
	if (chat) {
		rt->kind = post ? ROUTE_CHAT : ROUTE_BAD_METHOD;
		return;
	}
	if (path_is(path, len, "/_stats"))
		rt->kind = get ? ROUTE_STATS : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_log"))
		rt->kind = get ? ROUTE_LOG : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_reset"))
		rt->kind = post || get ? ROUTE_RESET : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_shutdown"))
		rt->kind = post || get ? ROUTE_SHUTDOWN : ROUTE_BAD_METHOD;
	else if (path_is(path, len, "/_health") || path_is(path, len, "/"))
		rt->kind = get ? ROUTE_HEALTH : ROUTE_BAD_METHOD;
	else
		rt->kind = ROUTE_NOT_FOUND;
}

/* Chat requests: faults, then the reply */

/* What was decided for one chat request. */
struct decision {
	struct log_entry entry;
	struct rule *rule;
	uint64_t hash;
	struct body_slot *slot;
	char id[17];
	double draw[DRAW_COUNT];
	long delay_ms;
};

static void begin_entry(struct conn *c, struct decision *d, const char *body,
			size_t len)
{
	struct server *s = c->srv;
	const char *target = c->req.target.data;
	const char *q = strchr(target, '?');
	int i;

	memset(d, 0, sizeof(*d));
	d->hash = fl_fnv1a64(body, len);
	d->entry.seq = ++s->seq;
	d->entry.t_ms = fl_elapsed_ms(s);
	snprintf(d->entry.method, sizeof(d->entry.method), "%s", c->req.method);
	d->entry.path =
		fl_xmemdup(target, q ? (size_t)(q - target) : strlen(target));
	d->entry.body_hash = d->hash;
	for (i = 0; i < DRAW_COUNT; i++)
		d->draw[i] = fl_rng_uniform(&s->fault_rng);
}

static void add_retry_headers(struct conn *c, struct decision *d,
			      double seconds)
{
	struct fl_buf json;

	long ms = c->srv->opt.retry_after_ms >= 0
			  ? c->srv->opt.retry_after_ms
			  : (long)(seconds * 1000 + 0.5);

	fl_buf_addf(&c->resp.headers,
		    "Retry-After: %g\r\nretry-after-ms: %ld\r\n", seconds, ms);
	fl_buf_init(&json);
	fl_buf_addf(&json, "%g", seconds);
	d->entry.retry_after = json.data;
}

static void add_request_id(struct conn *c, const struct decision *d)
{
	fl_buf_addf(&c->resp.headers, "x-request-id: req_%s\r\n", d->id);
	if (c->req.route.provider == FL_ANTHROPIC)
		fl_buf_addf(&c->resp.headers, "request-id: req_%s\r\n", d->id);
}

/* Sends the provider's error reply of kind, with Retry-After for 429s. */
static void send_error(struct conn *c, struct decision *d,
		       enum fl_error_kind kind, int status, const char *message)
{
	struct server *s = c->srv;

	fl_response_reset(&c->resp);
	fl_wire_error(&c->resp, c->req.route.provider, kind, message,
		      s->opt.retry_after_s, d->id);
	if (status)
		c->resp.status = status;
	add_request_id(c, d);
	if (d->rule)
		fl_buf_add(&c->resp.headers, d->rule->headers.data,
			   d->rule->headers.len);
	if (kind == FL_ERR_RATE_LIMIT && !(d->rule && d->rule->has_headers))
		add_retry_headers(c, d, s->opt.retry_after_s);
	if (d->rule && d->rule->retry_after && !d->entry.retry_after)
		d->entry.retry_after = fl_xstrdup(d->rule->retry_after);
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	fl_record(s, &d->entry);
	fl_start_response(c, d->delay_ms);
}

static enum fl_error_kind kind_for_status(int status)
{
	switch (status) {
	case 400:
		return FL_ERR_BAD_REQUEST;
	case 401:
	case 403:
		return FL_ERR_AUTH;
	case 402:
		return FL_ERR_QUOTA;
	case 413:
		return FL_ERR_TOO_LARGE;
	case 429:
		return FL_ERR_RATE_LIMIT;
	case 503:
	case 529:
		return FL_ERR_OVERLOADED;
	default:
		return FL_ERR_SERVER;
	}
}

/* The rule gave a raw body: send it as it is. */
static void send_raw(struct conn *c, struct decision *d)
{
	const struct rule *r = d->rule;

	fl_response_reset(&c->resp);
	c->resp.status = r->status ? r->status : 200;
	c->resp.content_type =
		r->content_type ? r->content_type
		: r->body_len && (*r->body == '{' || *r->body == '[')
			? "application/json"
			: "text/plain; charset=utf-8";
	fl_buf_add(&c->resp.body, r->body, r->body_len);
	add_request_id(c, d);
	fl_buf_add(&c->resp.headers, r->headers.data, r->headers.len);
	if (c->resp.status == 429 && !r->has_headers)
		add_retry_headers(c, d, c->srv->opt.retry_after_s);
	if (r->retry_after)
		d->entry.retry_after = fl_xstrdup(r->retry_after);
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	fl_record(c->srv, &d->entry);
	c->truncate = r->fault == FAULT_TRUNCATE;
	fl_start_response(c, d->delay_ms);
}

/*
 * A reply that never ends: its head with a long Content-Length, then a
 * space every TRICKLE_MS for as long as the client listens.
 */
static void send_trickle(struct conn *c, struct decision *d)
{
	fl_response_reset(&c->resp);
	c->resp.status = 200;
	c->resp.content_type = "application/json";
	add_request_id(c, d);
	fl_buf_add(&c->resp.headers, d->rule->headers.data,
		   d->rule->headers.len);
	d->entry.status = 200;
	d->entry.delay_ms = d->delay_ms;
	fl_record(c->srv, &d->entry);
	c->trickle = 1;
	fl_start_response(c, d->delay_ms);
}

/*
 * An OpenAI chat.completion whose answer is answer_bytes bytes of x,
 * written as the client reads it, so that the server's memory stays
 * small however large the answer.
 */
static void send_huge(struct conn *c, struct decision *d)
{
	static const char end[] = "\"},\"finish_reason\":\"stop\"}]}";

	fl_response_reset(&c->resp);
	c->resp.status = 200;
	c->resp.content_type = "application/json";
	fl_buf_adds(&c->resp.body,
		    "{\"id\":\"chatcmpl-huge\",\"object\":\"chat.completion\","
		    "\"created\":0,\"model\":\"huge\",\"choices\":[{\"index\":"
		    "0,\"message\":{\"role\":\"assistant\",\"content\":\"");
	add_request_id(c, d);
	fl_buf_add(&c->resp.headers, d->rule->headers.data,
		   d->rule->headers.len);
	d->entry.status = 200;
	d->entry.delay_ms = d->delay_ms;
	fl_record(c->srv, &d->entry);
	c->fill_left = d->rule->answer_bytes;
	c->fill_end = end;
	fl_start_response(c, d->delay_ms);
}

static void send_drop(struct conn *c, struct decision *d)
{
	d->entry.delay_ms = d->delay_ms;
	fl_record(c->srv, &d->entry);
	c->drop = 1;
	fl_start_response(c, d->delay_ms);
}

/* Builds and sends a success reply, generated or from the rule. */
static void send_reply(struct conn *c, struct decision *d, const char *body,
		       size_t len)
{
	struct server *s = c->srv;
	const struct route *rt = &c->req.route;
	struct fl_chat chat;
	char err[256];
	const char *answer;
	size_t answer_len;

	fl_chat_init(&chat);
	if (fl_chat_parse(&chat, rt->provider, body, len,
			  rt->provider == FL_GEMINI ? rt->model : NULL,
			  rt->stream_path, rt->sse, err, sizeof(err))) {
		fl_chat_release(&chat);
		if (d->entry.fault != FAULT_SCRIPT)
			d->entry.fault = FAULT_NONE;
		d->delay_ms = 0;
		c->truncate = 0;
		send_error(c, d, FL_ERR_BAD_REQUEST, 0, err);
		return;
	}
	if (d->rule && d->rule->reply) {
		answer = d->rule->reply;
		answer_len = strlen(answer);
	} else {
		uint64_t seed =
			fl_answer_hash(body, len) ^ (uint64_t)s->opt.seed;

		if (chat.temperature > 0)
			seed ^= d->slot->served;
		fl_buf_reset(&s->answer);
		fl_answer_write(&s->answer, &chat, seed);
		answer = s->answer.data;
		answer_len = s->answer.len;
	}
	fl_response_reset(&c->resp);
	fl_wire_success(&c->resp, &chat, answer, answer_len, d->id);
	d->entry.stream = chat.stream;
	fl_chat_release(&chat);
	add_request_id(c, d);
	if (d->rule) {
		fl_buf_add(&c->resp.headers, d->rule->headers.data,
			   d->rule->headers.len);
		if (d->rule->status)
			c->resp.status = d->rule->status;
	}
	if (!c->truncate) {
		s->successes++;
		d->slot->served++;
	}
	d->entry.status = c->resp.status;
	d->entry.delay_ms = d->delay_ms;
	fl_record(s, &d->entry);
	fl_start_response(c, d->delay_ms);
}

static long normal_delay(const struct server *s, const struct decision *d)
{
	return s->opt.latency_ms +
	       (long)(d->draw[DRAW_JITTER] * (double)(s->opt.jitter_ms + 1));
}

static void apply_rule(struct conn *c, struct decision *d, const char *body,
		       size_t len)
{
	const struct rule *r = d->rule;

	d->entry.fault = FAULT_SCRIPT;
	d->delay_ms = r->delay_ms >= 0 ? r->delay_ms : 0;
	if (r->fault == FAULT_DROP) {
		send_drop(c, d);
	} else if (r->trickle) {
		send_trickle(c, d);
	} else if (r->answer_bytes) {
		send_huge(c, d);
	} else if (r->body) {
		send_raw(c, d);
	} else if (r->status >= 400 && !r->reply) {
		send_error(c, d, kind_for_status(r->status), r->status, NULL);
	} else {
		if (r->delay_ms < 0)
			d->delay_ms = normal_delay(c->srv, d);
		c->truncate = r->fault == FAULT_TRUNCATE;
		send_reply(c, d, body, len);
	}
}

/* Picks the rate-driven fault for this request from its draws. */
static enum fault rate_fault(const struct server *s, const struct decision *d)
{
	static const enum fault order[] = { FAULT_429, FAULT_500, FAULT_529,
					    FAULT_DROP, FAULT_TRUNCATE };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (d->draw[i] < s->opt.rate[i])
			return order[i];
	if (d->draw[DRAW_SLOW] < s->opt.rate[DRAW_SLOW])
		return FAULT_SLOW;
	return FAULT_NONE;
}

static int anthropic_auth_missing(const struct request *req)
{
	return req->route.provider == FL_ANTHROPIC &&
	       (!req->has_api_key || !req->has_anthropic_version);
}

static void handle_chat(struct conn *c, const char *body, size_t len)
{
	struct server *s = c->srv;
	struct decision d;
	enum fault f;

	begin_entry(c, &d, body, len);
	d.slot = fl_body_lookup(&s->bodies, d.hash);
	d.slot->count++;
	snprintf(d.id, sizeof(d.id), "%016llx",
		 (unsigned long long)(d.hash ^
				      d.slot->count * 0x9e3779b97f4a7c15ULL));
	if (anthropic_auth_missing(&c->req)) {
		send_error(c, &d, FL_ERR_AUTH, 0,
			   c->req.has_api_key
				   ? "anthropic-version: header is required"
				   : "x-api-key header is required");
		return;
	}
	d.rule = fl_match_rule(s, c->req.target.data, body, len);
	if (d.rule) {
		apply_rule(c, &d, body, len);
		return;
	}
	if (s->opt.quota_after >= 0 &&
	    s->successes >= (unsigned long)s->opt.quota_after) {
		d.entry.fault = FAULT_QUOTA;
		send_error(c, &d, FL_ERR_QUOTA, 0, NULL);
		return;
	}
	f = rate_fault(s, &d);
	d.entry.fault = f;
	switch (f) {
	case FAULT_429:
		send_error(c, &d, FL_ERR_RATE_LIMIT, 0, NULL);
		return;
	case FAULT_500:
		send_error(c, &d, FL_ERR_SERVER, 0, NULL);
		return;
	case FAULT_529:
		send_error(c, &d, FL_ERR_OVERLOADED, 0, NULL);
		return;
	case FAULT_DROP:
		send_drop(c, &d);
		return;
	default:
		break;
	}
	d.delay_ms = normal_delay(s, &d);
	if (f == FAULT_SLOW)
		d.delay_ms += s->opt.slow_ms;
	c->truncate = f == FAULT_TRUNCATE;
	send_reply(c, &d, body, len);
}

/* Admin and other routes */

static void record_plain(struct conn *c, int status, const char *body,
			 size_t len)
{
	struct log_entry e;
	const char *target = c->req.target.data;
	const char *q = strchr(target, '?');

	memset(&e, 0, sizeof(e));
	e.seq = ++c->srv->seq;
	e.t_ms = fl_elapsed_ms(c->srv);
	snprintf(e.method, sizeof(e.method), "%s", c->req.method);
	e.path = fl_xmemdup(target, q ? (size_t)(q - target) : strlen(target));
	e.body_hash = fl_fnv1a64(body, len);
	e.status = status;
	fl_record(c->srv, &e);
}

/*
 * Handles one complete request: body (len bytes, borrowed) is its
 * decoded body.  The response goes into c->resp and is sent or scheduled.
 */
void fl_handle_request(struct conn *c, const char *body, size_t len)
{
	struct server *s = c->srv;
	size_t i;

	switch (c->req.route.kind) {
	case ROUTE_CHAT:
		handle_chat(c, body, len);
		return;
	case ROUTE_STATS:
		fl_response_reset(&c->resp);
		c->resp.status = 200;
		c->resp.content_type = "application/json";
		fl_stats_json(s, &c->resp.body);
		fl_emit(c);
		return;
	case ROUTE_LOG:
		fl_response_reset(&c->resp);
		c->resp.status = 200;
		c->resp.content_type = "application/x-ndjson";
		for (i = 0; i < s->nlog; i++)
			fl_log_entry_json(&c->resp.body, &s->log[i]);
		fl_emit(c);
		return;
	case ROUTE_RESET:
		fl_reset_state(s);
		fl_simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_SHUTDOWN:
		s->stopping = 1;
		fl_simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_HEALTH:
		fl_simple_reply(c, 200, "application/json", "{\"ok\":true}\n");
		return;
	case ROUTE_BAD_METHOD:
		record_plain(c, 405, body, len);
		fl_simple_reply(
			c, 405, "application/json",
			"{\"error\":{\"message\":\"method not allowed\","
			"\"type\":\"invalid_request_error\",\"code\":405}}");
		return;
	default:
		record_plain(c, 404, body, len);
		fl_simple_reply(
			c, 404, "application/json",
			"{\"error\":{\"message\":\"not found\",\"type\":"
			"\"not_found_error\",\"code\":404}}");
	}
}

/* Replies to a request that cannot be read, then closes. */
void fl_fail_request(struct conn *c, int status, const char *message)
{
	struct decision d;

	c->close_after = 1;
	if (c->have_head && c->req.route.kind == ROUTE_CHAT) {
		begin_entry(c, &d, "", 0);
		snprintf(d.id, sizeof(d.id), "%016llx",
			 (unsigned long long)d.entry.seq);
		send_error(c, &d, kind_for_status(status), status, message);
		return;
	}
	fl_response_reset(&c->resp);
	c->resp.status = status;
	c->resp.content_type = "application/json";
	fl_buf_adds(&c->resp.body, "{\"error\":{\"message\":");
	fl_buf_add_json(&c->resp.body, message, strlen(message));
	fl_buf_addf(&c->resp.body,
		    ",\"type\":\"invalid_request_error\",\"code\":%d}}",
		    status);
	c->req.keep_alive = 0;
	fl_emit(c);
}
