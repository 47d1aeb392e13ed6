#ifndef FAKELLM_H
#define FAKELLM_H
/*
 * fakellm: the fake LLM server that prompteval's tests and benchmarks talk
 * to instead of real APIs.  It speaks the wire formats of OpenAI Chat
 * Completions, Anthropic Messages, Gemini generateContent and Ollama
 * /api/chat (docs/providers.md) on 127.0.0.1 only, and
 * injects faults (429, 5xx, dropped connections, truncated bodies, slow
 * replies) deterministically from a seeded PRNG or a script.
 *
 * The program has four parts:
 *   util.c     buffers, allocation, hashing, the PRNG, number parsing
 *   answer.c   the deterministic Markdown answer built from a prompt
 *   wire.c     request parsing and response bodies per provider
 *   fakellm.c  options, the epoll loop, HTTP/1.1, faults, script, admin
 *
 * Ownership: arguments are borrowed; every pointer inside a struct is owned
 * by that struct and freed by its _release function.
 */
#include <stddef.h>
#include <stdint.h>

#define FL_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* A growable byte buffer, always NUL-terminated after len. */
struct fl_buf {
	char *data;
	size_t len;
	size_t cap;
};

void fl_buf_init(struct fl_buf *b);
void fl_buf_release(struct fl_buf *b);
void fl_buf_reset(struct fl_buf *b);
void fl_buf_grow(struct fl_buf *b, size_t extra);
void fl_buf_add(struct fl_buf *b, const void *data, size_t len);
void fl_buf_adds(struct fl_buf *b, const char *s);
void fl_buf_addc(struct fl_buf *b, char c);
void fl_buf_addf(struct fl_buf *b, const char *fmt, ...) FL_PRINTF(2, 3);
void fl_buf_add_json(struct fl_buf *b, const char *s, size_t len);
void fl_buf_consume(struct fl_buf *b, size_t n);

void *fl_xmalloc(size_t size);
void *fl_xrealloc(void *p, size_t size);
char *fl_xstrdup(const char *s);
char *fl_xmemdup(const char *s, size_t len);

uint64_t fl_fnv1a64(const void *data, size_t len);

/* xoshiro-style PRNG state; seeded through splitmix64. */
struct fl_rng {
	uint64_t s[4];
};

void fl_rng_seed(struct fl_rng *r, uint64_t seed);
uint64_t fl_rng_next(struct fl_rng *r);
double fl_rng_uniform(struct fl_rng *r);
unsigned fl_rng_below(struct fl_rng *r, unsigned n);

int fl_parse_long(const char *s, long min, long max, long *out);
int fl_parse_double(const char *s, double min, double max, double *out);

enum fl_provider { FL_OPENAI, FL_ANTHROPIC, FL_GEMINI, FL_OLLAMA };

/* What one chat request asked for, whatever its provider. */
struct fl_chat {
	enum fl_provider provider;
	char *model;
	double temperature; /* 1.0 when absent */
	int stream;
	int include_usage; /* OpenAI stream_options.include_usage */
	int gemini_sse;	   /* Gemini stream with ?alt=sse (else a JSON array) */
	struct fl_buf text; /* every message's text, one after another */
	size_t message_bytes;
};

void fl_chat_init(struct fl_chat *chat);
void fl_chat_release(struct fl_chat *chat);

/*
 * The hash that seeds a request's answer: FNV-1a of the body, without
 * its top-level "stream" and "stream_options" members when it has them,
 * so that a request streamed and the same request unstreamed get the
 * same answer.
 */
uint64_t fl_answer_hash(const char *body, size_t len);

/*
 * Parses a request body for provider.  path_model is the model named in
 * the URL (Gemini) or NULL; stream_path says the URL asked for a stream
 * (Gemini :streamGenerateContent) and sse that it asked for ?alt=sse.
 * Returns 0, or -1 with a message for a 400 reply in err.
 */
int fl_chat_parse(struct fl_chat *chat, enum fl_provider provider,
		  const char *body, size_t len, const char *path_model,
		  int stream_path, int sse, char *err, size_t errsize);

/*
 * Appends the Markdown answer for chat to out.  seed picks every random
 * choice, and quality gets noise only when chat's temperature is above 0.
 * The answer depends only on chat and seed.
 */
void fl_answer_write(struct fl_buf *out, const struct fl_chat *chat,
		     uint64_t seed);

/*
 * A response being built: status, extra header lines and either one body
 * or, for streams, segments sent as HTTP chunks (seg_end[i] is where
 * segment i ends in body).
 */
struct fl_response {
	int status;
	const char *content_type;
	struct fl_buf headers; /* "Name: value\r\n" lines */
	struct fl_buf body;
	int chunked;
	size_t *seg_end;
	size_t nseg;
	size_t segcap;
};

void fl_response_init(struct fl_response *r);
void fl_response_release(struct fl_response *r);
void fl_response_reset(struct fl_response *r);
void fl_response_end_segment(struct fl_response *r);

enum fl_error_kind {
	FL_ERR_BAD_REQUEST,
	FL_ERR_AUTH,
	FL_ERR_RATE_LIMIT,
	FL_ERR_QUOTA,
	FL_ERR_SERVER,
	FL_ERR_OVERLOADED,
	FL_ERR_TOO_LARGE
};

/*
 * Fills r with provider's error reply of kind.  The status is the one the
 * provider uses (529 is Anthropic's only; others get 503).  message may be
 * NULL for the provider's usual text; retry_after_s goes into Gemini's
 * RetryInfo.  Headers such as Retry-After are the caller's.
 */
void fl_wire_error(struct fl_response *r, enum fl_provider provider,
		   enum fl_error_kind kind, const char *message,
		   double retry_after_s, const char *request_id);

/*
 * Fills r with chat's provider's success reply carrying answer, as one
 * body or as a stream.  id is a short unique hex string for the reply.
 */
void fl_wire_success(struct fl_response *r, const struct fl_chat *chat,
		     const char *answer, size_t answer_len, const char *id);

#endif
