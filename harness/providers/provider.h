#ifndef PE_PROVIDER_H
#define PE_PROVIDER_H
/*
 * Providers: the LLM APIs prompteval talks to, as request builders and
 * response parsers.  This module knows the wire formats
 * (../shared/reference/wire-formats.md) and nothing about sockets: the
 * HTTP module sends what pe_provider_build makes and hands the bytes it
 * got back to pe_provider_parse.  Every function is pure and thread-safe.
 *
 * Kinds and their default endpoints:
 *   openai     POST {base}/chat/completions        base https://api.openai.com/v1
 *   github     POST {base}/chat/completions        base https://models.github.ai/inference
 *   anthropic  POST {base}/v1/messages             base https://api.anthropic.com
 *   gemini     POST {base}/v1beta/models/{model}:generateContent
 *              (streaming: :streamGenerateContent?alt=sse)
 *                                                  base https://generativelanguage.googleapis.com
 *   ollama     POST {base}/api/chat                base http://127.0.0.1:11434
 * (exec and echo do not use HTTP; see runner.c.)
 *
 * Ownership: every char * in the out-structs is owned by the struct and
 * freed by its _release function.  Arguments are borrowed.
 */
#include <stddef.h>

#include "harness/core/files.h"
#include "harness/load/prompt.h"

enum pe_provider_kind {
	PE_PROVIDER_OPENAI,
	PE_PROVIDER_GITHUB,
	PE_PROVIDER_ANTHROPIC,
	PE_PROVIDER_GEMINI,
	PE_PROVIDER_OLLAMA,
	PE_PROVIDER_EXEC,
	PE_PROVIDER_ECHO
};

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
};

/* An HTTP request to send. */
struct pe_http_request {
	char *url;
	struct pe_strlist headers; /* "Name: value" lines */
	char *body;
	size_t body_len;
};

void pe_http_request_release(struct pe_http_request *r);

/*
 * Builds the request for kind.  base_url has no trailing slash (NULL: the
 * kind's default).  api_key may be NULL (no auth header).  Extra headers
 * ("Name: value") are appended as given.  Returns 0, or PE_ERR_INVALID
 * with a message in err (for example a kind that has no HTTP API).
 */
int pe_provider_build(enum pe_provider_kind kind, const char *base_url,
		      const char *api_key,
		      const struct pe_strlist *extra_headers,
		      const struct pe_chat_request *req,
		      struct pe_http_request *out, char *err, size_t errsize);

/* How a response ended, for the retry policy. */
enum pe_reply_class {
	PE_REPLY_OK,	/* an answer */
	PE_REPLY_RETRY, /* try again: 408, 409, 429, 5xx, 529, bad body */
	PE_REPLY_QUOTA, /* out of quota or spend limit: never retried */
	PE_REPLY_FATAL	/* a client error that will not change: 400, 401 */
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
};

void pe_chat_response_release(struct pe_chat_response *r);

/*
 * Parses a response: HTTP status, and the whole body.  A streamed body
 * (SSE for openai/github/anthropic/gemini, NDJSON for ollama) is parsed
 * from its concatenated bytes.  A 2xx body that is truncated or not the
 * expected JSON is PE_REPLY_RETRY with an error saying so.  Never fails;
 * every field of out is set.
 */
void pe_provider_parse(enum pe_provider_kind kind, long status,
		       const char *body, size_t len, int streamed,
		       struct pe_chat_response *out);

/*
 * Parses "openai", "github", ... into *kind; returns 0 or PE_ERR_INVALID.
 */
int pe_provider_kind_parse(const char *name, enum pe_provider_kind *kind);
const char *pe_provider_kind_name(enum pe_provider_kind kind);

/* The default base URL, and the environment variables of a kind. */
const char *pe_provider_default_base(enum pe_provider_kind kind);
const char *pe_provider_key_env(enum pe_provider_kind kind);  /* or NULL */
const char *pe_provider_base_env(enum pe_provider_kind kind); /* or NULL */

/*
 * Maps a plain model name to a provider: "gpt-*", "o1*", "o3*", "o4*" ->
 * openai; "claude-*" -> anthropic; "gemini-*" -> gemini; "publisher/model"
 * -> github.  Returns 0 or PE_ERR_INVALID when no rule applies.
 */
int pe_provider_guess(const char *model, enum pe_provider_kind *kind);

#endif
