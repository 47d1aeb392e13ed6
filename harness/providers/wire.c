/*
 * The shared kit of the HTTP provider files; see wire.h.  Request pieces
 * are written with the JSON module's writers.  Replies are read from a
 * throw-away document tree; the first error wins and later payloads are
 * ignored.  Error bodies are classified here for every provider: the
 * common signs of a spent quota and the status classes, with each
 * provider's quota and error_status hooks for what is its own.
 */
#include "harness/providers/wire.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness/core/buf.h"
#include "harness/core/json.h"
#include "harness/core/message.h"
#include "harness/core/node.h"
#include "harness/core/url.h"
#include "harness/core/utf8.h"
#include "harness/core/util.h"
#include "harness/core/banned.h"

/* True when s starts with prefix. */
int pe_wire_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* True when the prompt gave the parameter bit. */
int pe_wire_has_param(const struct pe_chat_request *req, unsigned bit)
{
	return req->params && (req->params->set & bit);
}

/* The request's temperature into *t; see wire.h. */
int pe_wire_temperature(const struct pe_chat_request *req, double *t)
{
	if (req->has_temperature)
		*t = req->temperature;
	else if (pe_wire_has_param(req, PE_PARAM_TEMPERATURE))
		*t = req->params->temperature;
	else
		return 0;
	return 1;
}

static int has_stop(const struct pe_chat_request *req)
{
	return pe_wire_has_param(req, PE_PARAM_STOP) && req->params->nstop;
}

/* True when req has a message that is not a system one; see wire.h. */
int pe_wire_has_turn(const struct pe_chat_request *req)
{
	for (size_t i = 0; i < req->nmessages; i++)
		if (req->messages[i].role != PE_ROLE_SYSTEM)
			return 1;
	return 0;
}

/* The system messages joined by blank lines; see wire.h. */
void pe_wire_system_text(struct pe_buf *b, const struct pe_chat_request *req)
{
	size_t start = b->len;

	for (size_t i = 0; i < req->nmessages; i++) {
		if (req->messages[i].role != PE_ROLE_SYSTEM)
			continue;
		if (b->len > start)
			pe_buf_adds(b, "\n\n");
		pe_buf_adds(b, pe_wire_content(&req->messages[i]));
	}
}

/* Adds a message to a list of errors or warnings; see wire.h. */
void pe_wire_note(struct pe_strlist *list, const char *fmt, ...)
{
	va_list ap;
	struct pe_buf b;

	pe_buf_init(&b, 0);
	va_start(ap, fmt);
	pe_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	pe_strlist_push(list, pe_buf_str(&b));
	pe_buf_release(&b);
}

/* True when JSON output is asked for; see wire.h. */
int pe_wire_wants_json(const struct pe_chat_request *req)
{
	return req->response_format == PE_RESPONSE_JSON_OBJECT ||
	       req->response_format == PE_RESPONSE_JSON_SCHEMA;
}

/* Returns a message's text; see wire.h. */
const char *pe_wire_content(const struct pe_chat_message *m)
{
	return m->content ? m->content : "";
}

/* Appends ,"key": for an optional member of an object already open. */
void pe_wire_key(struct pe_buf *b, const char *key)
{
	pe_buf_addc(b, ',');
	pe_json_str(b, key);
	pe_buf_addc(b, ':');
}

/* Appends an array of strings; see wire.h. */
void pe_wire_strings(struct pe_buf *b, char *const *items, size_t n)
{
	pe_buf_addc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			pe_buf_addc(b, ',');
		pe_json_str(b, items[i] ? items[i] : "");
	}
	pe_buf_addc(b, ']');
}

/*
 * Appends the member key of the object named object, opening that object
 * on first use, so an object whose members are all optional is left out
 * when none is given.
 */
void pe_wire_lazy_key(struct pe_buf *b, int *opened, const char *object,
		      const char *key)
{
	if (!*opened) {
		pe_wire_key(b, object);
		pe_buf_addc(b, '{');
		pe_json_str(b, key);
		pe_buf_addc(b, ':');
		*opened = 1;
		return;
	}
	pe_wire_key(b, key);
}

/* Closes a lazily opened object; see wire.h. */
void pe_wire_lazy_close(struct pe_buf *b, int opened)
{
	if (opened)
		pe_buf_addc(b, '}');
}

/* True when the request has setting s. */
static int has_setting(const struct pe_chat_request *req, enum pe_setting s)
{
	static const unsigned bits[] = {
		[PE_SETTING_TOP_P] = PE_PARAM_TOP_P,
		[PE_SETTING_MAX_TOKENS] = PE_PARAM_MAX_TOKENS,
		[PE_SETTING_SEED] = PE_PARAM_SEED,
		[PE_SETTING_PRESENCE_PENALTY] = PE_PARAM_PRESENCE_PENALTY,
		[PE_SETTING_FREQUENCY_PENALTY] = PE_PARAM_FREQUENCY_PENALTY,
	};
	double t;

	if (s == PE_SETTING_TEMPERATURE)
		return pe_wire_temperature(req, &t);
	if (s == PE_SETTING_STOP)
		return has_stop(req);
	return pe_wire_has_param(req, bits[s]);
}

static void write_setting(struct pe_buf *b, const struct pe_chat_request *req,
			  enum pe_setting s)
{
	const struct pe_params *p = req->params;
	double t = 0;

	switch (s) {
	case PE_SETTING_TEMPERATURE:
		pe_wire_temperature(req, &t);
		pe_json_num(b, t);
		break;
	case PE_SETTING_TOP_P:
		pe_json_num(b, p->top_p);
		break;
	case PE_SETTING_MAX_TOKENS:
		pe_json_int(b, p->max_tokens);
		break;
	case PE_SETTING_SEED:
		pe_json_int(b, p->seed);
		break;
	case PE_SETTING_STOP:
		pe_wire_strings(b, p->stop, p->nstop);
		break;
	case PE_SETTING_PRESENCE_PENALTY:
		pe_json_num(b, p->presence_penalty);
		break;
	case PE_SETTING_FREQUENCY_PENALTY:
		pe_json_num(b, p->frequency_penalty);
		break;
	}
}

/* Writes the settings a request has; see wire.h. */
void pe_wire_settings(struct pe_buf *b, const struct pe_chat_request *req,
		      const struct pe_setting_key *keys, size_t n,
		      const char *object, int *opened)
{
	for (size_t i = 0; i < n; i++) {
		if (!has_setting(req, keys[i].setting))
			continue;
		if (object)
			pe_wire_lazy_key(b, opened, object, keys[i].key);
		else
			pe_wire_key(b, keys[i].key);
		write_setting(b, req, keys[i].setting);
	}
}

/* Appends the chat messages; see wire.h. */
void pe_wire_roles(struct pe_buf *b, const struct pe_chat_request *req,
		   int skip_system)
{
	int first = 1;

	pe_buf_addc(b, '[');
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct pe_chat_message *m = &req->messages[i];

		if (skip_system && m->role == PE_ROLE_SYSTEM)
			continue;
		pe_buf_adds(b, first ? "{\"role\":" : ",{\"role\":");
		first = 0;
		pe_json_str(b, pe_role_name(m->role));
		pe_buf_adds(b, ",\"content\":");
		pe_json_str(b, pe_wire_content(m));
		pe_buf_addc(b, '}');
	}
	pe_buf_addc(b, ']');
}

/* Appends s percent-encoded as one URL path segment. */
void pe_wire_add_segment(struct pe_buf *b, const char *s)
{
	pe_url_add_encoded(b, s, "");
}

static int host_has_port(const char *host, size_t len)
{
	const char *close;

	if (len && host[0] == '[') {
		close = memchr(host, ']', len);
		return close && close + 1 < host + len && close[1] == ':';
	}
	return memchr(host, ':', len) != NULL;
}

/* Appends a base URL; see wire.h. */
void pe_wire_add_base(struct pe_buf *b, const char *base,
		      const char *default_host, const char *default_port)
{
	size_t len = strlen(base), host_len;
	const char *slash;

	while (len && base[len - 1] == '/')
		len--;
	if (strstr(base, "://")) {
		pe_buf_add(b, base, len);
		return;
	}
	pe_buf_adds(b, "http://");
	slash = memchr(base, '/', len);
	host_len = slash ? (size_t)(slash - base) : len;
	if (default_host && !host_len)
		pe_buf_adds(b, default_host);
	pe_buf_add(b, base, host_len);
	if (default_port && !host_has_port(base, host_len))
		pe_buf_adds(b, default_port);
	pe_buf_add(b, base + host_len, len - host_len);
}

/* Adds one header line; see wire.h. */
void pe_wire_header(struct pe_strlist *h, const char *name, const char *value)
{
	char *line = xstrfmt("%s: %s", name, value);

	pe_strlist_push(h, line);
	free(line);
}

/* Adds the JSON content type and "Authorization: Bearer KEY". */
void pe_wire_bearer_headers(struct pe_strlist *h, const char *api_key)
{
	char *bearer;

	pe_wire_header(h, "Content-Type", "application/json");
	if (!api_key)
		return;
	bearer = xstrfmt("Bearer %s", api_key);
	pe_wire_header(h, "Authorization", bearer);
	free(bearer);
}

/* Returns a string node's text, or NULL. */
const char *pe_wire_str(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_STRING ? n->text : NULL;
}

/* Reads an integer node into *out; 0 when n is not one. */
int pe_wire_long(const struct pe_node *n, long *out)
{
	if (!n || n->kind != PE_NODE_INT)
		return 0;
	*out = (long)n->ival;
	return 1;
}

/* Returns item i of a sequence, or NULL. */
const struct pe_node *pe_wire_item(const struct pe_node *seq, size_t i)
{
	return seq && seq->kind == PE_NODE_SEQ && i < seq->count ? seq->items[i]
								 : NULL;
}

/* Returns the value of key in a mapping, or NULL. */
const struct pe_node *pe_wire_get(const struct pe_node *map, const char *key)
{
	return map && map->kind == PE_NODE_MAP ? pe_node_get(map, key) : NULL;
}

/* True for the boolean true. */
int pe_wire_true(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_BOOL && n->bval;
}

/* True when s is want (s may be NULL). */
int pe_wire_str_is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

/* Replaces a string with a node's copy; see wire.h. */
void pe_wire_set_string(char **dst, const struct pe_node *n)
{
	if (!n || n->kind != PE_NODE_STRING)
		return;
	free(*dst);
	*dst = xstrndup(n->text, n->len);
}

/* Appends s to b on one line: controls become spaces, runs collapse. */
static void add_clean(struct pe_buf *b, const char *s, size_t len, size_t max)
{
	size_t start = b->len;
	int space = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 0x7f) {
			space = 1;
			continue;
		}
		if (b->len - start >= max && (c & 0xc0) != 0x80) {
			pe_buf_adds(b, "...");
			return;
		}
		if (space && b->len > start)
			pe_buf_addc(b, ' ');
		space = 0;
		pe_buf_addc(b, (char)c);
	}
}

/* Records the first error: "prefix: message", message cut at max bytes. */
static void fail_max(struct pe_reply *r, enum pe_reply_class cls,
		     const char *prefix, const char *message, size_t len,
		     size_t max)
{
	struct pe_buf b, clean;

	if (r->failed)
		return;
	pe_buf_init(&b, 0);
	pe_buf_init(&clean, 0);
	pe_buf_adds(&b, prefix);
	if (message)
		add_clean(&clean, message, len, max);
	if (clean.len)
		pe_buf_addf(&b, ": %s", clean.data);
	pe_buf_release(&clean);
	r->error = pe_buf_detach(&b, NULL);
	r->cls = cls;
	r->failed = 1;
}

/* Records the first error with the start of a body that is not JSON. */
void pe_wire_fail_snippet(struct pe_reply *r, enum pe_reply_class cls,
			  const char *prefix, const char *body, size_t len)
{
	struct pe_buf b, clean;
	size_t cut;

	if (r->failed)
		return;
	pe_buf_init(&clean, 0);
	pe_buf_init(&b, 0);
	cut = pe_utf8_cut(body, len, PE_WIRE_MAX_SNIPPET);
	/* White space runs become one space; other controls stay, escaped. */
	for (size_t i = 0; i < cut; i++) {
		if (!strchr(" \t\r\n", body[i]) || !body[i])
			pe_buf_addc(&clean, body[i]);
		else if (clean.len && clean.data[clean.len - 1] != ' ')
			pe_buf_addc(&clean, ' ');
	}
	while (clean.len && clean.data[clean.len - 1] == ' ')
		clean.len--;
	pe_buf_adds(&b, prefix);
	if (clean.len) {
		/* Escaped: the bytes of a stranger's page stay inert. */
		pe_buf_adds(&b, ": ");
		pe_terminal_text(&b, clean.data, clean.len);
		if (cut < len)
			pe_buf_adds(&b, "...");
	}
	pe_buf_release(&clean);
	r->error = pe_buf_detach(&b, NULL);
	r->cls = cls;
	r->failed = 1;
}

/* Records the first error; see wire.h. */
void pe_wire_fail(struct pe_reply *r, enum pe_reply_class cls,
		  const char *prefix, const char *message, size_t len)
{
	fail_max(r, cls, prefix, message, len, PE_WIRE_MAX_MESSAGE);
}

/* Records the first error, a fixed message. */
void pe_wire_fail_str(struct pe_reply *r, enum pe_reply_class cls,
		      const char *message)
{
	pe_wire_fail(r, cls, message, NULL, 0);
}

/* Fails r with "invalid JSON body" unless root is an object (or, with
 * arrays, an array); returns whether it is. */
int pe_wire_need_object(struct pe_reply *r, const struct pe_node *root,
			int arrays)
{
	if (root && (root->kind == PE_NODE_MAP ||
		     (arrays && root->kind == PE_NODE_SEQ)))
		return 1;
	pe_wire_fail_str(r, PE_REPLY_RETRY, "invalid JSON body");
	return 0;
}

/* Appends answer text; see wire.h. */
void pe_wire_add_output(struct pe_reply *r, const struct pe_node *text)
{
	if (!text || text->kind != PE_NODE_STRING || r->failed)
		return;
	if (pe_buf_add(&r->output, text->text, text->len))
		pe_wire_fail_str(r, PE_REPLY_FATAL, "answer too large");
}

/* Parses a payload; see wire.h. */
const struct pe_node *pe_wire_parse_json(struct pe_reply *r, const char *text,
					 size_t len)
{
	struct pe_mark mark = { "response", 1, 1 };

	return pe_json_parse(r->doc, text, len, &mark, r->diag);
}

static void read_perr(const struct pe_node *root, struct pe_error_body *e)
{
	const struct pe_node *n, *code;

	memset(e, 0, sizeof(*e));
	if (root && root->kind == PE_NODE_SEQ)
		root = pe_wire_item(root, 0); /* Gemini without alt=sse */
	n = pe_wire_get(root, "error");
	if (n && n->kind == PE_NODE_MAP) {
		e->error = n;
		n = pe_wire_get(n, "message");
		e->type = pe_wire_str(pe_wire_get(e->error, "type"));
		e->status = pe_wire_str(pe_wire_get(e->error, "status"));
		code = pe_wire_get(e->error, "code");
		if (code && pe_node_is_scalar(code) &&
		    code->kind != PE_NODE_NULL)
			e->code = code->text;
	} else if (!n || n->kind != PE_NODE_STRING) {
		n = pe_wire_get(root, "message");
		if (!pe_wire_str(n))
			n = pe_wire_get(root, "detail");
	}
	if (pe_wire_str(n)) {
		e->message = n->text;
		e->message_len = n->len;
	}
}

/* Case-insensitive substring test; see wire.h. */
int pe_wire_contains_nocase(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; s && i + n <= len; i++)
		if (!strncasecmp(s + i, needle, n))
			return 1;
	return 0;
}

/*
 * Out of quota or over a spend limit (PE_REPLY_QUOTA), or a daily limit
 * (PE_REPLY_LIMIT): retrying cannot help.  PE_REPLY_OK when neither.
 */
static enum pe_reply_class quota_class(const struct pe_provider_ops *ops,
				       long status,
				       const struct pe_error_body *e,
				       struct pe_buf *detail)
{
	if (status == 402 || pe_wire_str_is(e->type, "insufficient_quota") ||
	    pe_wire_str_is(e->code, "insufficient_quota"))
		return PE_REPLY_QUOTA;
	return ops->quota ? ops->quota(status, e, detail) : PE_REPLY_OK;
}

static enum pe_reply_class status_class(long status)
{
	switch (status) {
	case 402:
		return PE_REPLY_QUOTA;
	case 408:
	case 409:
	case 429:
		return PE_REPLY_RETRY;
	case 501: /* the server lacks the method or API: asking again is vain */
		return PE_REPLY_FATAL;
	default:
		break;
	}
	if (status >= 500 || status < 100)
		return PE_REPLY_RETRY;
	return PE_REPLY_FATAL;
}

/*
 * The class of an error: a quota or limit sign, else its status's.  What
 * a limit's message lacks goes to detail.
 */
static enum pe_reply_class error_class(const struct pe_provider_ops *ops,
				       long status,
				       const struct pe_error_body *e,
				       struct pe_buf *detail)
{
	enum pe_reply_class cls = quota_class(ops, status, e, detail);

	return cls != PE_REPLY_OK ? cls : status_class(status);
}

/* Records an error: the message and what its class added to it. */
static void fail_error(struct pe_reply *r, enum pe_reply_class cls,
		       const char *prefix, const char *message, size_t len,
		       const struct pe_buf *detail)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	pe_buf_add(&b, message ? message : "", message ? len : 0);
	pe_buf_add(&b, detail->data ? detail->data : "", detail->len);
	pe_wire_fail(r, cls, prefix, b.data, b.len);
	pe_buf_release(&b);
}

/* Parses a protobuf duration such as "13s" or "1.5s" into ms, or -1. */
static long duration_ms(const char *s)
{
	char number[32];
	size_t len = s ? strlen(s) : 0;
	double v;

	if (len < 2 || len >= sizeof(number) || s[len - 1] != 's')
		return -1;
	memcpy(number, s, len - 1);
	number[len - 1] = '\0';
	if (pe_parse_double(number, &v) || v < 0 || v > 7 * 86400.0)
		return -1;
	return (long)(v * 1000.0 + 0.5);
}

static long retry_delay_ms(const struct pe_error_body *e)
{
	const struct pe_node *details = pe_wire_get(e->error, "details"), *d;

	for (size_t i = 0; (d = pe_wire_item(details, i)); i++) {
		const char *type = pe_wire_str(pe_wire_get(d, "@type"));

		if (type && pe_ends_with(type, "RetryInfo"))
			return duration_ms(
				pe_wire_str(pe_wire_get(d, "retryDelay")));
	}
	return -1;
}

/* A non-2xx response: the provider's message, prefixed with the status. */
void pe_wire_fail_http(struct pe_reply *r, long status, const char *body,
		       size_t len)
{
	const struct pe_node *root = pe_wire_parse_json(r, body, len);
	struct pe_error_body e;
	struct pe_buf detail;
	char prefix[96];
	enum pe_reply_class cls;

	read_perr(root, &e);
	pe_buf_init(&detail, 0);
	cls = error_class(r->ops, status, &e, &detail);
	snprintf(prefix, sizeof(prefix), "HTTP %ld", status);
	r->retry_after_ms = retry_delay_ms(&e);
	if (e.message) {
		fail_error(r, cls, prefix, e.message, e.message_len, &detail);
		pe_buf_release(&detail);
		return;
	}
	pe_buf_release(&detail);
	/* Not the provider's JSON: an HTML page from a proxy, say. */
	if (r->content_type && *r->content_type)
		snprintf(prefix, sizeof(prefix), "HTTP %ld, %.60s", status,
			 r->content_type);
	pe_wire_fail_snippet(r, cls, prefix, body, len);
}

/* The HTTP status an error inside a 2xx body stands for. */
static long stream_status(const struct pe_provider_ops *ops,
			  const struct pe_error_body *e)
{
	long code;

	if (pe_wire_long(pe_wire_get(e->error, "code"), &code) && code >= 400 &&
	    code < 600)
		return code;
	if (ops->error_status && (code = ops->error_status(e)) != 0)
		return code;
	return 500;
}

/* An error object inside a 2xx body: a mid-stream error, or a
 * compatible server that answers errors with 200. */
void pe_wire_fail_payload(struct pe_reply *r, const struct pe_node *root)
{
	struct pe_error_body e;
	struct pe_buf detail;
	enum pe_reply_class cls;
	long status;
	const char *message;
	size_t message_len;
	char prefix[32];

	read_perr(root, &e);
	/*
	 * NEEDSWORK: status decides the class only.  The runner paces by the
	 * HTTP status, so an overloaded or rate-limit event inside a stream
	 * (a 200) does not slow the provider down as a 529 or 429 does.
	 */
	pe_buf_init(&detail, 0);
	status = stream_status(r->ops, &e);
	message = e.message ? e.message : e.type;
	message_len = e.message ? e.message_len : e.type ? strlen(e.type) : 0;
	if (r->streaming)
		snprintf(prefix, sizeof(prefix), "stream error");
	else
		snprintf(prefix, sizeof(prefix), "HTTP %ld", r->status);
	r->retry_after_ms = retry_delay_ms(&e);
	cls = error_class(r->ops, status, &e, &detail);
	fail_error(r, cls, prefix, message, message_len, &detail);
	pe_buf_release(&detail);
}

/* True when root holds a non-null "error"; see wire.h. */
int pe_wire_has_error(const struct pe_node *root)
{
	const struct pe_node *e = pe_wire_get(root, "error");

	return e && e->kind != PE_NODE_NULL;
}
