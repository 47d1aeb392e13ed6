#ifndef PE_WIRE_H
#define PE_WIRE_H
/*
 * The kit the HTTP provider files share, and nothing outside
 * harness/providers/ includes: pieces of request bodies (optional keys,
 * lazily opened objects, chat roles), URL pieces, and the reply being
 * folded from a response (struct pe_reply) with the helpers that read
 * the document tree and record the first error.  provider.c drives a
 * provider's hooks with these; the provider files fill in the parts that
 * differ.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/node.h"
#include "harness/providers/provider.h"

enum {
	PE_WIRE_MAX_BODY = 64 * 1024 * 1024,   /* a request body */
	PE_WIRE_MAX_OUTPUT = 64 * 1024 * 1024, /* the answer, one event */
	PE_WIRE_MAX_MESSAGE = 1000,	       /* bytes kept of a message */
	PE_WIRE_MAX_SNIPPET = 200 /* bytes kept of an unknown error body */
};

/* The parsed jsonSchema of a request (gh-models: name, schema, strict). */
struct pe_schema {
	struct pe_doc *doc;
	const struct pe_node *whole; /* {"name","schema",...}, or NULL */
	const struct pe_node *inner; /* the JSON Schema itself, or NULL */
};

/* ---- Request bodies ---- */

int pe_wire_starts_with(const char *s, const char *prefix);
int pe_wire_has_param(const struct pe_chat_request *req, unsigned bit);
/* The request's temperature (the job's, else the prompt's) into *t;
 * 0 when it has none. */
int pe_wire_temperature(const struct pe_chat_request *req, double *t);
/* True when req has a message that is not a system one (a turn). */
int pe_wire_has_turn(const struct pe_chat_request *req);
/* Appends the text of req's system messages, joined by blank lines. */
void pe_wire_system_text(struct pe_buf *b, const struct pe_chat_request *req);
/* Appends a formatted message to a check's errors or warnings. */
void pe_wire_note(struct pe_strlist *list, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* True for responseFormat json_object or json_schema. */
int pe_wire_wants_json(const struct pe_chat_request *req);
/* A message's text ("" for none). */
const char *pe_wire_content(const struct pe_chat_message *m);
/* Appends ,"key": for an optional member of an object already open. */
void pe_wire_key(struct pe_buf *b, const char *key);
/* Appends a JSON array of strings. */
void pe_wire_strings(struct pe_buf *b, char *const *items, size_t n);
/*
 * Appends the member key of the object named object, opening that object
 * on first use (*opened), so an object whose members are all optional is
 * left out when none is given; pe_wire_lazy_close closes it if opened.
 */
void pe_wire_lazy_key(struct pe_buf *b, int *opened, const char *object,
		      const char *key);
void pe_wire_lazy_close(struct pe_buf *b, int opened);
/* The generation settings a request body may carry. */
enum pe_setting {
	PE_SETTING_TEMPERATURE, /* the job's, else the prompt's */
	PE_SETTING_TOP_P,
	PE_SETTING_MAX_TOKENS,
	PE_SETTING_SEED,
	PE_SETTING_STOP,
	PE_SETTING_PRESENCE_PENALTY,
	PE_SETTING_FREQUENCY_PENALTY
};

/* A setting and the key a provider spells it with. */
struct pe_setting_key {
	enum pe_setting setting;
	const char *key;
};

/*
 * Writes each setting of keys[0..n) that the request has, in that order.
 * With object NULL they are optional members of the object already open;
 * else members of the object named object, opened on first use as with
 * pe_wire_lazy_key (*opened).
 */
void pe_wire_settings(struct pe_buf *b, const struct pe_chat_request *req,
		      const struct pe_setting_key *keys, size_t n,
		      const char *object, int *opened);
/* Appends the messages as [{"role":...,"content":...}], maybe no system. */
void pe_wire_roles(struct pe_buf *b, const struct pe_chat_request *req,
		   int skip_system);

/* ---- URLs and headers ---- */

/*
 * Appends base without trailing slashes.  A base without a scheme is a
 * "host:port" (OLLAMA_HOST style) and gets "http://", and default_host
 * and default_port (":11434") when it lacks them (both may be NULL).
 */
void pe_wire_add_base(struct pe_buf *b, const char *base,
		      const char *default_host, const char *default_port);
/* Appends s percent-encoded as one URL path segment. */
void pe_wire_add_segment(struct pe_buf *b, const char *s);
/* Adds the header line "name: value". */
void pe_wire_header(struct pe_strlist *h, const char *name, const char *value);
/* Adds "Content-Type: application/json" and a Bearer token, if any. */
void pe_wire_bearer_headers(struct pe_strlist *h, const char *api_key);

/* ---- Replies ---- */

/* The reply being folded from a response; see provider.c. */
struct pe_reply {
	const struct pe_provider_ops *ops;
	struct pe_doc *doc; /* owns every parsed payload */
	struct pe_diag *diag;
	struct pe_buf output;
	char *finish_reason;
	char *model;
	long tokens_in;
	long tokens_out;
	long retry_after_ms;
	int saw_answer; /* a message, content or candidate was seen */
	int done;	/* the stream's terminator was seen */
	int stop;	/* nothing after this counts ([DONE], message_stop) */
	int failed;
	int streaming;	      /* the body is being read as a stream */
	size_t first_text_at; /* see struct pe_chat_response */
	int refusal;	      /* the model refused (OpenAI's refusal) */
	long status;
	const char *content_type; /* of the response, or NULL */
	enum pe_reply_class cls;
	char *error;
};

/* The fields of a provider's error body that classification looks at. */
struct pe_error_body {
	const struct pe_node *error; /* the "error" object, or NULL */
	const char *message;
	size_t message_len;
	const char *type;
	const char *code; /* a string code, or a number's spelling */
	const char *status;
};

/* Typed looks into the document tree; NULL or 0 when absent or other. */
const char *pe_wire_str(const struct pe_node *n);
int pe_wire_long(const struct pe_node *n, long *out);
const struct pe_node *pe_wire_item(const struct pe_node *seq, size_t i);
const struct pe_node *pe_wire_get(const struct pe_node *map, const char *key);
int pe_wire_true(const struct pe_node *n);
int pe_wire_str_is(const char *s, const char *want);
/* True when s[0..len) holds needle, ignoring case. */
int pe_wire_contains_nocase(const char *s, size_t len, const char *needle);
/* True when root has an "error" member that is not null. */
int pe_wire_has_error(const struct pe_node *root);

/* Replaces *dst with a copy of the string node n (if it is one). */
void pe_wire_set_string(char **dst, const struct pe_node *n);
/* Parses a payload into r's document; NULL (and a diag) when not JSON. */
const struct pe_node *pe_wire_parse_json(struct pe_reply *r, const char *text,
					 size_t len);
/* Appends a string node to the answer. */
void pe_wire_add_output(struct pe_reply *r, const struct pe_node *text);
/* Records the first error: "prefix: message" on one line, cut at 1000. */
void pe_wire_fail(struct pe_reply *r, enum pe_reply_class cls,
		  const char *prefix, const char *message, size_t len);
void pe_wire_fail_str(struct pe_reply *r, enum pe_reply_class cls,
		      const char *message);
/*
 * Records the first error: "prefix: " and the start of body (at most
 * PE_WIRE_MAX_SNIPPET bytes, on one line, control bytes and invalid
 * UTF-8 escaped as \xNN), for a body that is not the JSON expected.
 */
void pe_wire_fail_snippet(struct pe_reply *r, enum pe_reply_class cls,
			  const char *prefix, const char *body, size_t len);
/*
 * Fails r with "invalid JSON body" unless root is an object (or, when
 * arrays is set, an array); returns whether it is.
 */
int pe_wire_need_object(struct pe_reply *r, const struct pe_node *root,
			int arrays);
/*
 * Records a non-2xx response: the provider's message (or the start of a
 * body that is not its JSON), prefixed with "HTTP status", classified for
 * retries; a Gemini RetryInfo sets retry_after_ms.
 */
void pe_wire_fail_http(struct pe_reply *r, long status, const char *body,
		       size_t len);
/* An error object inside a 2xx body: a mid-stream error, or an error
 * answered with 200. */
void pe_wire_fail_payload(struct pe_reply *r, const struct pe_node *root);

#endif
