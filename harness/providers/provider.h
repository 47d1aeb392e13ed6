#ifndef PE_PROVIDER_H
#define PE_PROVIDER_H
/*
 * Providers: the model APIs and local programs prompteval gets answers
 * from, as a plug-in family.  Each provider is one file with one ops table
 * (struct pe_provider_ops) that carries everything the rest of the program
 * needs to know about it: its name, default endpoint, key and base-URL
 * variables, which plain model names it claims, and either the HTTP hooks
 * (request body, URL, headers, response parser, quota test) or the local
 * hooks (start a call, the descriptors to poll, move it on).  registry.c
 * holds providers[], the only list of providers; adding one means one new
 * file and one line there.
 *
 * HTTP providers know the wire formats (docs/providers.md) and nothing
 * about sockets: the HTTP module sends what pe_provider_build makes and
 * hands the bytes it got back to pe_provider_parse.  Those two functions
 * are pure and thread-safe.  Local providers (exec, echo) are driven by
 * the runner's loop through the local hooks, from one thread.
 *
 * Ownership: every char * in the out-structs is owned by the struct and
 * freed by its _release function.  Arguments are borrowed.  Ops tables
 * are static and live as long as the program.
 */
#include <stddef.h>

#include "harness/core/buf.h"
#include "harness/core/files.h"
#include "harness/load/prompt.h"

struct pollfd;

/* One rendered chat message. */
struct pe_chat_message {
	enum pe_role role;
	const char *content;
};

/* What to ask for: the rendered prompt and the generation settings. */
struct pe_chat_request {
	const char *model; /* the provider's own model name */
	const struct pe_chat_message *messages;
	size_t nmessages;
	const struct pe_params *params; /* maxTokens, topP, seed, stop, ... */
	int has_temperature;		/* overrides params->temperature */
	double temperature;
	enum pe_response_format response_format;
	const char *json_schema; /* JSON text, or NULL */
	int stream;		 /* ask for a streamed answer */
	const char *org;	 /* the organization billed (--org), or NULL */
};

/* An HTTP request to send. */
struct pe_http_request {
	char *url;
	struct pe_strlist headers; /* "Name: value" lines */
	char *body;
	size_t body_len;
	/*
	 * TLS: the CA certificates to verify the server against (a PEM file
	 * and a folder), NULL for the system's; borrowed, set by the caller.
	 */
	const char *ca_file;
	const char *ca_dir;
};

void pe_http_request_release(struct pe_http_request *r);

/* How a response ended, for the retry policy. */
enum pe_reply_class {
	PE_REPLY_OK,	/* an answer */
	PE_REPLY_RETRY, /* try again: 408, 409, 429, 5xx, 529, bad body */
	PE_REPLY_QUOTA, /* out of quota or spend limit: never retried */
	/*
	 * A limit that lifts only much later (a daily one): never retried,
	 * and nothing more is sent to that model.
	 */
	PE_REPLY_LIMIT,
	/*
	 * The provider cut the answer short or blocked it (Gemini SAFETY,
	 * RECITATION, a blocked prompt): never retried; output holds what
	 * came and finish_reason why.
	 */
	PE_REPLY_CUT,
	PE_REPLY_FATAL /* a client error that will not change: 400, 401, 501,
			  an HTML page instead of JSON */
};

/* What came back. */
struct pe_chat_response {
	enum pe_reply_class cls;
	char *output; /* the answer text ("" when none) */
	size_t output_len;
	char *finish_reason; /* as the provider says it, or NULL */
	char *model;	     /* the model the server says it used, or NULL */
	long tokens_in;	     /* -1 when not reported */
	long tokens_out;
	char *error;	     /* the provider's message when cls != OK */
	long retry_after_ms; /* from the body (Gemini RetryInfo), or -1 */
	/*
	 * How much of a streamed body had to arrive before the answer's
	 * first text could be read: the end of the event (or NDJSON line)
	 * that carried it, or of the whole body when none did.  0 for a
	 * body read whole, whose first byte carries the answer.
	 */
	size_t first_text_at;
};

void pe_chat_response_release(struct pe_chat_response *r);

/* Defined in harness/providers/wire.h, for the provider files. */
struct pe_schema;
struct pe_reply;
struct pe_error_body;

/* What a local call is asked to run. */
struct pe_local_spec {
	char *const *argv; /* exec: the program and its arguments */
	long timeout_ms;   /* 0: none */
};

/* How a local call ended.  output and error are owned by the result. */
struct pe_local_result {
	char *output; /* the answer, or NULL on error */
	size_t output_len;
	char *error; /* why it failed, or NULL */
	double total_ms;
};

void pe_local_result_release(struct pe_local_result *r);

/* One local call in progress, owned by its provider's hooks. */
struct pe_local_call;

struct pe_provider_ops {
	const char *name;	  /* "openai": what PROVIDER:MODEL names */
	const char *default_base; /* the default base URL, or NULL */
	const char *key_env;	  /* the API key's variable, or NULL */
	/* A variable read first when it is set (GitHub's GH_TOKEN). */
	const char *key_env_first;
	const char *base_env; /* the variable that overrides the base */
	int needs_key; /* a run stops before sending when the key is unset */
	/* Plain model names it claims by prefix ("gpt-"), NULL-ended. */
	const char *const *model_prefixes;
	int claims_publisher_model; /* "publisher/model" names are its */
	/*
	 * The model is a command line ("exec:CMD ARGS", split on spaces),
	 * and an alias may give it as an argv list instead.
	 */
	int model_is_command;
	/* --org applies: requests go to that organization's endpoint. */
	int takes_org;

	/*
	 * The request body, as JSON: the model, messages and settings of
	 * req, with schema parsed from req->json_schema (its fields are NULL
	 * when the request has none).  NULL for a provider that takes none.
	 */
	void (*write_body)(struct pe_buf *body,
			   const struct pe_chat_request *req,
			   const struct pe_schema *schema);

	/* HTTP providers; all NULL for local ones. */
	/* Appends the URL for req to url; base has no trailing slash. */
	void (*write_url)(struct pe_buf *url, const char *base,
			  const struct pe_chat_request *req);
	/* Appends the content type and auth headers (api_key may be NULL). */
	void (*add_headers)(struct pe_strlist *headers, const char *api_key);
	/* Folds a whole 2xx JSON body (root is any JSON value) into r. */
	void (*parse_plain)(struct pe_reply *r, const struct pe_node *root);
	/*
	 * Folds one stream event (SSE) or line (NDJSON) into r; event is the
	 * SSE event name or NULL.  Returns -1 when data is not JSON.
	 */
	int (*parse_event)(struct pe_reply *r, const char *event,
			   const char *data, size_t len);
	int ndjson; /* streams are NDJSON lines, not SSE events */
	/*
	 * PE_REPLY_QUOTA when an error (status, the error body's fields)
	 * means the quota or a spend limit is spent, beyond the common signs
	 * (402, insufficient_quota); PE_REPLY_LIMIT for a daily limit, with
	 * what the message lacks of it (its name, when it lifts) appended to
	 * detail; else PE_REPLY_OK.  May be NULL.
	 */
	enum pe_reply_class (*quota)(long status, const struct pe_error_body *e,
				     struct pe_buf *detail);
	/* The HTTP status an error inside a 2xx body stands for, or 0. */
	long (*error_status)(const struct pe_error_body *e);
	/* Last look at a successful reply (a blocked answer). May be NULL. */
	void (*finish)(struct pe_reply *r);
	/*
	 * Says what the API refuses in req before anything is sent: each
	 * refusal is appended to errors and each change it makes to the
	 * request (a setting left out) to warnings, as one message.  req's
	 * messages have their roles; their text may be a template.  May be
	 * NULL.
	 */
	void (*check)(const struct pe_chat_request *req,
		      struct pe_strlist *errors, struct pe_strlist *warnings);

	/* Local providers; all NULL for HTTP ones. */
	/*
	 * Starts a call for req (body is the request JSON from write_body,
	 * or NULL).  Returns 0 and sets *call when it runs on; 1 when the
	 * answer is there at once (*result is set); or a negative
	 * enum pe_err with a message in err.
	 */
	int (*local_start)(const struct pe_local_spec *spec,
			   const struct pe_chat_request *req, const char *body,
			   size_t body_len, double now_ms,
			   struct pe_local_call **call,
			   struct pe_local_result *result, char *err,
			   size_t errsize);
	/*
	 * Fills up to max descriptors to wait on and returns how many (3 at
	 * most); lowers *due_ms to when local_step must run even without
	 * activity (a deadline), and leaves it alone when there is none.
	 */
	size_t (*local_fds)(const struct pe_local_call *call,
			    struct pollfd *fds, size_t max, double *due_ms);
	/*
	 * Moves the call on without blocking.  Returns 1 when it has ended
	 * (out is set and the call is freed), else 0.  May be called at any
	 * time, with or without activity on its descriptors.
	 */
	int (*local_step)(struct pe_local_call *call, double now_ms,
			  struct pe_local_result *out);
	/* Ends a call that has not finished and frees it. */
	void (*local_cancel)(struct pe_local_call *call);
};

/* The provider named name ("openai", ...), or NULL. */
const struct pe_provider_ops *pe_provider_find(const char *name);

/* The i-th provider of the registry, or NULL past the end. */
const struct pe_provider_ops *pe_provider_at(size_t i);

/* True for a provider that speaks HTTP (it can be a configured kind). */
int pe_provider_is_http(const struct pe_provider_ops *ops);

/*
 * Appends the names of the providers for which want (may be NULL: all)
 * is true to b, separated by ", " and the last by last_separator (" or ").
 */
void pe_provider_list_names(struct pe_buf *b,
			    int (*want)(const struct pe_provider_ops *ops),
			    const char *last_separator);

/*
 * Appends the plain model names the providers claim, for the help:
 * "gpt-*, o1*, ..., publisher/model".
 */
void pe_provider_list_plain_names(struct pe_buf *b);

/*
 * Maps a plain model name to the provider that claims it: by the
 * providers' model_prefixes ("gpt-*", "o1*", "o3*", "o4*" -> openai;
 * "claude-*" -> anthropic; "gemini-*" -> gemini), and "publisher/model"
 * (one slash, no spaces) -> github.  Returns NULL when none does.
 */
const struct pe_provider_ops *pe_provider_guess(const char *model);

/*
 * Writes the request body for ops into out (owned by the caller, freed
 * with free).  Returns 0, or PE_ERR_INVALID / PE_ERR_LIMIT with a message
 * in err (a bad jsonSchema, a body over 64 MiB, a provider without one).
 */
int pe_provider_body(const struct pe_provider_ops *ops,
		     const struct pe_chat_request *req, char **out,
		     size_t *out_len, char *err, size_t errsize);

/*
 * Builds the HTTP request for ops.  base_url has no trailing slash (NULL:
 * the provider's default).  api_key may be NULL (no auth header).  Extra
 * headers ("Name: value") are appended as given.  Returns 0, or
 * PE_ERR_INVALID with a message in err (for example a provider that has
 * no HTTP API).
 */
int pe_provider_build(const struct pe_provider_ops *ops, const char *base_url,
		      const char *api_key,
		      const struct pe_strlist *extra_headers,
		      const struct pe_chat_request *req,
		      struct pe_http_request *out, char *err, size_t errsize);

/*
 * Parses a response: HTTP status, and the whole body.  A streamed body
 * (SSE, or NDJSON for ollama) is parsed from its concatenated bytes.  A
 * 2xx body that is truncated or not the expected JSON is PE_REPLY_RETRY
 * with an error saying so.  Never fails; every field of out is set.
 */
void pe_provider_parse(const struct pe_provider_ops *ops, long status,
		       const char *body, size_t len, int streamed,
		       struct pe_chat_response *out);

/*
 * pe_provider_parse, knowing the response's content type (without
 * parameters; NULL or "" when none came): a 2xx body that is neither
 * JSON nor a stream, such as a proxy's HTML page, is PE_REPLY_FATAL with
 * an error that gives the content type and the start of the body, and an
 * error body that is not the provider's JSON names its content type.
 */
void pe_provider_parse_typed(const struct pe_provider_ops *ops, long status,
			     const char *content_type, const char *body,
			     size_t len, int streamed,
			     struct pe_chat_response *out);

/*
 * Appends to errors and warnings what ops's API refuses or leaves out of
 * req (see the check hook); nothing for a provider without one.
 */
void pe_provider_check(const struct pe_provider_ops *ops,
		       const struct pe_chat_request *req,
		       struct pe_strlist *errors, struct pe_strlist *warnings);

#endif
