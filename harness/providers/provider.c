/*
 * The provider driver: builds a request and parses a response with a
 * provider's hooks (see provider.h and the provider files).
 *
 * Request bodies are written key by key into a pe_buf with the JSON
 * module's writers, in a fixed key order, so equal requests give equal
 * bytes (the cache key hashes them).  Optional settings are left out when
 * the prompt does not give them, so each provider keeps its own default.
 * The buffer is unbounded while it is written and its size checked once
 * at the end, so a body over the limit is refused whole.
 *
 * Responses are read into a throw-away document tree.  A streamed body is
 * cut into events (SSE) or lines (NDJSON) and each payload is folded into
 * a struct pe_reply by the provider's parse_event; a plain body is folded
 * in one step by its parse_plain.  The first error wins and later
 * payloads are ignored.  The reply becomes the pe_chat_response at the
 * end, so every field is set on every path.
 */
#include "harness/providers/provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/core/util.h"
#include "harness/providers/wire.h"
#include "harness/core/banned.h"

static int failf(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (err && errsize) {
		va_start(ap, fmt);
		vsnprintf(err, errsize, fmt, ap);
		va_end(ap);
	}
	return PE_ERR_INVALID;
}

/* Reads req->json_schema when the request asks for json_schema output. */
static int load_schema(const struct pe_chat_request *req, struct pe_schema *sc,
		       char *err, size_t errsize)
{
	struct pe_mark mark = { "jsonSchema", 1, 1 };
	struct pe_diag *diag;
	const struct pe_node *root, *inner;

	memset(sc, 0, sizeof(*sc));
	if (req->response_format != PE_RESPONSE_JSON_SCHEMA)
		return PE_OK;
	if (!req->json_schema)
		return failf(err, errsize,
			     "responseFormat json_schema needs a jsonSchema");
	sc->doc = pe_doc_new("jsonSchema", NULL, 0);
	diag = pe_diag_new();
	root = pe_json_parse(sc->doc, req->json_schema,
			     strlen(req->json_schema), &mark, diag);
	if (!root) {
		failf(err, errsize, "jsonSchema: %s",
		      pe_diag_len(diag) ? pe_diag_get(diag, 0)->message
					: "invalid JSON");
		pe_diag_free(diag);
		return PE_ERR_INVALID;
	}
	pe_diag_free(diag);
	if (root->kind != PE_NODE_MAP)
		return failf(err, errsize, "jsonSchema must be a JSON object");
	inner = pe_node_get(root, "schema");
	if (inner && inner->kind == PE_NODE_MAP) {
		sc->whole = root;
		sc->inner = inner;
	} else {
		sc->inner = root;
	}
	return PE_OK;
}

static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Checks what would corrupt the request; messages never show a key. */
static int check_inputs(const struct pe_provider_ops *ops, const char *api_key,
			const struct pe_strlist *extra,
			const struct pe_chat_request *req, char *err,
			size_t errsize)
{
	const char *name = ops->name;

	if (!pe_provider_is_http(ops))
		return failf(err, errsize, "%s has no HTTP request", name);
	if (!req->model || !*req->model)
		return failf(err, errsize, "%s needs a model name", name);
	if (req->nmessages && !req->messages)
		return failf(err, errsize, "%s request has no messages", name);
	if (api_key && has_control(api_key))
		return failf(err, errsize,
			     "the %s API key contains a control character "
			     "(a trailing newline?)",
			     name);
	for (size_t i = 0; extra && i < extra->len; i++)
		if (has_control(extra->items[i]) ||
		    !strchr(extra->items[i], ':'))
			return failf(err, errsize,
				     "extra header %zu is not one "
				     "'Name: value' line",
				     i + 1);
	return PE_OK;
}

/* Writes the request body of ops; see provider.h. */
int pe_provider_body(const struct pe_provider_ops *ops,
		     const struct pe_chat_request *req, char **out,
		     size_t *out_len, char *err, size_t errsize)
{
	struct pe_buf body;
	struct pe_schema sc;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (!ops->write_body)
		return failf(err, errsize, "%s takes no request body",
			     ops->name);
	rc = load_schema(req, &sc, err, errsize);
	if (rc) {
		pe_doc_free(sc.doc);
		return rc;
	}
	pe_buf_init(&body, 0);
	ops->write_body(&body, req, &sc);
	pe_doc_free(sc.doc);
	if (body.len > PE_WIRE_MAX_BODY) {
		pe_buf_release(&body);
		failf(err, errsize, "request body is larger than %d bytes",
		      PE_WIRE_MAX_BODY);
		return PE_ERR_LIMIT;
	}
	*out = pe_buf_detach(&body, out_len);
	return PE_OK;
}

/* Builds the HTTP request for ops; see provider.h. */
int pe_provider_build(const struct pe_provider_ops *ops, const char *base_url,
		      const char *api_key,
		      const struct pe_strlist *extra_headers,
		      const struct pe_chat_request *req,
		      struct pe_http_request *out, char *err, size_t errsize)
{
	struct pe_buf url;
	int rc;

	out->url = NULL;
	out->body = NULL;
	out->body_len = 0;
	pe_strlist_init(&out->headers);
	rc = check_inputs(ops, api_key, extra_headers, req, err, errsize);
	if (!rc)
		rc = pe_provider_body(ops, req, &out->body, &out->body_len, err,
				      errsize);
	if (rc)
		return rc;
	pe_buf_init(&url, 0);
	ops->write_url(&url,
		       base_url && *base_url ? base_url : ops->default_base,
		       req);
	out->url = pe_buf_detach(&url, NULL);
	ops->add_headers(&out->headers, api_key);
	for (size_t i = 0; extra_headers && i < extra_headers->len; i++)
		pe_strlist_push(&out->headers, extra_headers->items[i]);
	return PE_OK;
}

/* Frees what pe_provider_build made and empties r. */
void pe_http_request_release(struct pe_http_request *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->body);
	pe_strlist_release(&r->headers);
	r->url = NULL;
	r->body = NULL;
	r->body_len = 0;
}

typedef int (*event_fn)(struct pe_reply *r, const char *event, const char *data,
			size_t len);

/* A payload did not parse: the body was cut there, or it is garbage. */
static void fail_bad_chunk(struct pe_reply *r, const char *body, size_t pos,
			   size_t len)
{
	while (pos < len && strchr(" \t\r\n", body[pos]))
		pos++;
	pe_wire_fail_str(r, PE_REPLY_RETRY,
			 pos >= len ? "truncated stream"
				    : "invalid JSON in stream");
}

struct sse {
	struct pe_buf data;
	char event[64];
	int has_data;
};

static void sse_field(struct sse *s, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t value_len = (size_t)(line + len - value);

	if (value_len && *value == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 4 && !memcmp(line, "data", 4)) {
		if (s->has_data)
			pe_buf_addc(&s->data, '\n');
		pe_buf_add(&s->data, value, value_len);
		s->has_data = 1;
	} else if (name_len == 5 && !memcmp(line, "event", 5)) {
		if (value_len >= sizeof(s->event))
			value_len = sizeof(s->event) - 1;
		memcpy(s->event, value, value_len);
		s->event[value_len] = '\0';
	}
}

/*
 * The payload that ends at pos has been folded in: if it brought the
 * answer's first text, pos is how much of the body that took.
 */
static void note_first_text(struct pe_reply *r, size_t had, size_t pos)
{
	if (!had && r->output.len && !r->first_text_at)
		r->first_text_at = pos;
}

static void sse_dispatch(struct pe_reply *r, struct sse *s, event_fn on_event,
			 const char *body, size_t pos, size_t len)
{
	size_t had = r->output.len;
	int rc = on_event(r, s->event[0] ? s->event : NULL,
			  pe_buf_str(&s->data), s->data.len);

	note_first_text(r, had, pos);
	pe_buf_reset(&s->data);
	s->event[0] = '\0';
	s->has_data = 0;
	if (rc < 0)
		fail_bad_chunk(r, body, pos, len);
}

/*
 * Splits an SSE body into events: lines end in LF, CRLF or CR, a blank
 * line ends an event, "data:" lines join with LF, comments and unknown
 * fields are skipped.  An event cut off by the end of the body is still
 * handed on; if its JSON is incomplete the stream counts as truncated.
 */
static void split_sse(struct pe_reply *r, const char *body, size_t len,
		      event_fn on_event)
{
	struct sse s;
	size_t i = 0;

	pe_buf_init(&s.data, PE_WIRE_MAX_OUTPUT);
	s.event[0] = '\0';
	s.has_data = 0;
	while (i < len && !r->failed && !r->stop) {
		size_t start = i, end;

		while (i < len && body[i] != '\n' && body[i] != '\r')
			i++;
		end = i;
		if (i < len)
			i += body[i] == '\r' && i + 1 < len &&
					     body[i + 1] == '\n'
				     ? 2
				     : 1;
		if (end == start) {
			if (s.has_data)
				sse_dispatch(r, &s, on_event, body, i, len);
		} else if (body[start] != ':') {
			sse_field(&s, body + start, end - start);
		}
	}
	if (s.has_data && !r->failed && !r->stop)
		sse_dispatch(r, &s, on_event, body, len, len);
	pe_buf_release(&s.data);
}

/* Splits an NDJSON body into lines (LF or CRLF) and skips blank ones. */
static void split_ndjson(struct pe_reply *r, const char *body, size_t len,
			 event_fn on_event)
{
	size_t i = 0;

	while (i < len && !r->failed && !r->stop) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t start = i, end = nl ? (size_t)(nl - body) : len;

		i = nl ? end + 1 : len;
		while (start < end && strchr(" \t\r", body[start]))
			start++;
		while (end > start && strchr(" \t\r", body[end - 1]))
			end--;
		if (start < end) {
			size_t had = r->output.len;

			if (on_event(r, NULL, body + start, end - start))
				fail_bad_chunk(r, body, i, len);
			note_first_text(r, had, i);
		}
	}
}

static void parse_stream(struct pe_reply *r, const char *body, size_t len)
{
	r->streaming = 1;
	if (r->ops->ndjson)
		split_ndjson(r, body, len, r->ops->parse_event);
	else
		split_sse(r, body, len, r->ops->parse_event);
	if (!r->failed && !r->done)
		pe_wire_fail_str(r, PE_REPLY_RETRY, "truncated stream");
	/* No text came: the answer (an empty one) was there at the end. */
	if (!r->first_text_at)
		r->first_text_at = len;
}

/* True for a content type that may carry a JSON answer or a stream. */
static int json_type(const char *type)
{
	static const char *const types[] = { "application/json",
					     "text/event-stream",
					     "application/x-ndjson",
					     "application/jsonl", "text/json" };
	size_t len;

	if (!type || !*type)
		return 1;
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (!strcasecmp(type, types[i]))
			return 1;
	len = strlen(type);
	return len > 5 && !strcasecmp(type + len - 5, "+json");
}

/*
 * A 2xx body that is not JSON: cut or garbled JSON is tried again, but
 * a page of another kind (a proxy's or a login page's HTML) will come
 * again, so it is final, and the error says what came.
 */
static void fail_not_json(struct pe_reply *r, const char *body, size_t len)
{
	size_t i = 0;
	char prefix[128];

	while (i < len && strchr(" \t\r\n", body[i]))
		i++;
	if (json_type(r->content_type) && (i == len || body[i] != '<')) {
		pe_wire_fail_str(r, PE_REPLY_RETRY, "invalid JSON body");
		return;
	}
	if (r->content_type && *r->content_type)
		snprintf(prefix, sizeof(prefix),
			 "HTTP %ld: expected JSON, got %.60s", r->status,
			 r->content_type);
	else
		snprintf(prefix, sizeof(prefix), "HTTP %ld: expected JSON, got",
			 r->status);
	pe_wire_fail_snippet(r, PE_REPLY_FATAL, prefix, body, len);
}

static void parse_plain(struct pe_reply *r, const char *body, size_t len)
{
	const struct pe_node *root = pe_wire_parse_json(r, body, len);

	if (!root) {
		fail_not_json(r, body, len);
		return;
	}
	r->ops->parse_plain(r, root);
	if (!r->failed && !r->saw_answer)
		pe_wire_fail_str(r, PE_REPLY_RETRY, "no answer in response");
}

/* True when a "streamed" body is really one JSON document. */
static int looks_like_json(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", body[i]))
		i++;
	return i < len && (body[i] == '{' || body[i] == '[');
}

/* True when a body starts like HTML or XML, not like JSON or a stream. */
static int looks_like_markup(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", body[i]))
		i++;
	return i < len && body[i] == '<';
}

static void reply_finish(struct pe_reply *r, struct pe_chat_response *out)
{
	if (!r->failed && r->ops->finish)
		r->ops->finish(r);
	out->cls = r->failed ? r->cls : PE_REPLY_OK;
	/* What a provider cut short is kept: it may be scored on request. */
	if (r->failed && r->cls != PE_REPLY_CUT)
		pe_buf_reset(&r->output);
	out->output = pe_buf_detach(&r->output, &out->output_len);
	out->finish_reason = r->finish_reason;
	out->model = r->model;
	out->tokens_in = r->tokens_in;
	out->tokens_out = r->tokens_out;
	out->error = r->error;
	out->retry_after_ms = r->retry_after_ms;
	out->first_text_at = r->first_text_at;
	pe_buf_release(&r->output);
	pe_doc_free(r->doc);
	pe_diag_free(r->diag);
}

/*
 * Parses a response; see provider.h.  The output is "" whenever cls is
 * neither PE_REPLY_OK nor PE_REPLY_CUT (a partial stream is not an
 * answer); model, finish reason and token counts are kept when the body
 * gave them.
 */
void pe_provider_parse_typed(const struct pe_provider_ops *ops, long status,
			     const char *content_type, const char *body,
			     size_t len, int streamed,
			     struct pe_chat_response *out)
{
	struct pe_reply r;

	memset(&r, 0, sizeof(r));
	r.ops = ops;
	r.status = status;
	r.content_type = content_type;
	r.doc = pe_doc_new("response", NULL, 0);
	r.diag = pe_diag_new();
	pe_buf_init(&r.output, PE_WIRE_MAX_OUTPUT);
	r.tokens_in = r.tokens_out = r.retry_after_ms = -1;
	if (!body) {
		body = "";
		len = 0;
	}
	if (!pe_provider_is_http(ops))
		pe_wire_fail_str(&r, PE_REPLY_FATAL,
				 "no HTTP response for this provider");
	else if (status < 200 || status > 299)
		pe_wire_fail_http(&r, status, body, len);
	else if (looks_like_markup(body, len))
		fail_not_json(&r, body, len);
	else if (streamed && (ops->ndjson || !looks_like_json(body, len)))
		parse_stream(&r, body, len);
	else
		parse_plain(&r, body, len);
	reply_finish(&r, out);
}

/* Parses a response whose content type is not known; see provider.h. */
void pe_provider_parse(const struct pe_provider_ops *ops, long status,
		       const char *body, size_t len, int streamed,
		       struct pe_chat_response *out)
{
	pe_provider_parse_typed(ops, status, NULL, body, len, streamed, out);
}

/* What the API refuses in a request; see provider.h. */
void pe_provider_check(const struct pe_provider_ops *ops,
		       const struct pe_chat_request *req,
		       struct pe_strlist *errors, struct pe_strlist *warnings)
{
	if (ops->check)
		ops->check(req, errors, warnings);
}

/* Frees what pe_provider_parse set and empties r. */
void pe_chat_response_release(struct pe_chat_response *r)
{
	if (!r)
		return;
	free(r->output);
	free(r->finish_reason);
	free(r->model);
	free(r->error);
	r->output = NULL;
	r->output_len = 0;
	r->finish_reason = NULL;
	r->model = NULL;
	r->error = NULL;
}

/* Frees what a local call's result holds and empties r. */
void pe_local_result_release(struct pe_local_result *r)
{
	if (!r)
		return;
	free(r->output);
	free(r->error);
	r->output = NULL;
	r->output_len = 0;
	r->error = NULL;
}
