/*
 * Request builders and response parsers for the chat APIs of
 * ../shared/reference/wire-formats.md.
 *
 * Request bodies are written key by key into a pe_buf with the JSON
 * module's writers, in a fixed key order, so equal requests give equal
 * bytes (the cache key hashes them).  Optional settings are left out when
 * the prompt does not give them, so each provider keeps its own default.
 *
 * Responses are read into a throw-away document tree.  A streamed body is
 * cut into events (SSE) or lines (NDJSON) and each payload is folded into
 * a struct reply; a plain body is folded in one step.  The first error
 * wins and later payloads are ignored.  The reply becomes the
 * pe_chat_response at the end, so every field is set on every path.
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
#include "harness/core/banned.h"

enum {
	MAX_BODY = 64 * 1024 * 1024,   /* a request body */
	MAX_OUTPUT = 64 * 1024 * 1024, /* the answer, and one stream event */
	MAX_MESSAGE = 1000,	       /* bytes kept of a provider's message */
	MAX_SNIPPET = 200,	       /* bytes kept of an unknown error body */
	ANTHROPIC_MAX_TOKENS = 4096    /* Anthropic requires max_tokens */
};

struct kind_info {
	const char *name;
	const char *base;
	const char *key_env;
	const char *base_env;
};

static const struct kind_info kinds[] = {
	[PE_PROVIDER_OPENAI] = { "openai", "https://api.openai.com/v1",
				 "OPENAI_API_KEY", "OPENAI_BASE_URL" },
	[PE_PROVIDER_GITHUB] = { "github", "https://models.github.ai/inference",
				 "GITHUB_TOKEN", NULL },
	[PE_PROVIDER_ANTHROPIC] = { "anthropic", "https://api.anthropic.com",
				    "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL" },
	[PE_PROVIDER_GEMINI] = { "gemini",
				 "https://generativelanguage.googleapis.com",
				 "GEMINI_API_KEY", "GEMINI_BASE_URL" },
	[PE_PROVIDER_OLLAMA] = { "ollama", "http://127.0.0.1:11434", NULL,
				 "OLLAMA_HOST" },
	[PE_PROVIDER_EXEC] = { "exec", NULL, NULL, NULL },
	[PE_PROVIDER_ECHO] = { "echo", NULL, NULL, NULL },
};

static const struct kind_info *info_of(enum pe_provider_kind kind)
{
	if ((size_t)kind >= sizeof(kinds) / sizeof(*kinds))
		return NULL;
	return &kinds[kind];
}

static int is_http(enum pe_provider_kind kind)
{
	return kind == PE_PROVIDER_OPENAI || kind == PE_PROVIDER_GITHUB ||
	       kind == PE_PROVIDER_ANTHROPIC || kind == PE_PROVIDER_GEMINI ||
	       kind == PE_PROVIDER_OLLAMA;
}

/* Parses a provider name; see provider.h. */
int pe_provider_kind_parse(const char *name, enum pe_provider_kind *kind)
{
	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (!strcmp(name, kinds[i].name)) {
			*kind = (enum pe_provider_kind)i;
			return PE_OK;
		}
	}
	return PE_ERR_INVALID;
}

/* Returns the name of kind ("unknown" for a value outside the enum). */
const char *pe_provider_kind_name(enum pe_provider_kind kind)
{
	const struct kind_info *ki = info_of(kind);

	return ki ? ki->name : "unknown";
}

/* Returns the kind's default base URL, or NULL for exec and echo. */
const char *pe_provider_default_base(enum pe_provider_kind kind)
{
	const struct kind_info *ki = info_of(kind);

	return ki ? ki->base : NULL;
}

/* Returns the variable that holds the kind's API key, or NULL. */
const char *pe_provider_key_env(enum pe_provider_kind kind)
{
	const struct kind_info *ki = info_of(kind);

	return ki ? ki->key_env : NULL;
}

/* Returns the variable that overrides the kind's base URL, or NULL. */
const char *pe_provider_base_env(enum pe_provider_kind kind)
{
	const struct kind_info *ki = info_of(kind);

	return ki ? ki->base_env : NULL;
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* True for "publisher/model": one slash, text on both sides, no spaces. */
static int is_publisher_model(const char *model)
{
	const char *slash = strchr(model, '/');

	return slash && slash != model && slash[1] && !strchr(slash + 1, '/') &&
	       !strpbrk(model, " \t");
}

/* Maps a model name to a provider by the rules in provider.h. */
int pe_provider_guess(const char *model, enum pe_provider_kind *kind)
{
	static const struct {
		const char *prefix;
		enum pe_provider_kind kind;
	} rules[] = {
		{ "gpt-", PE_PROVIDER_OPENAI },
		{ "o1", PE_PROVIDER_OPENAI },
		{ "o3", PE_PROVIDER_OPENAI },
		{ "o4", PE_PROVIDER_OPENAI },
		{ "claude-", PE_PROVIDER_ANTHROPIC },
		{ "gemini-", PE_PROVIDER_GEMINI },
	};

	if (!model || !*model)
		return PE_ERR_INVALID;
	if (is_publisher_model(model)) {
		*kind = PE_PROVIDER_GITHUB;
		return PE_OK;
	}
	if (strchr(model, '/'))
		return PE_ERR_INVALID;
	for (size_t i = 0; i < sizeof(rules) / sizeof(*rules); i++) {
		if (starts_with(model, rules[i].prefix)) {
			*kind = rules[i].kind;
			return PE_OK;
		}
	}
	return PE_ERR_INVALID;
}

/* ---- Building requests ---- */

/*
 * Bodies are written with the JSON module's writers into an unbounded
 * buffer whose size is checked once at the end, so a body over the limit
 * is refused whole rather than sent half written.
 */

/* Appends ,"key": for an optional member of an object already open. */
static void add_key(struct pe_buf *b, const char *key)
{
	pe_buf_addc(b, ',');
	pe_json_str(b, key);
	pe_buf_addc(b, ':');
}

static void add_strings(struct pe_buf *b, char *const *items, size_t n)
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
static void add_lazy_key(struct pe_buf *b, int *opened, const char *object,
			 const char *key)
{
	if (!*opened) {
		add_key(b, object);
		pe_buf_addc(b, '{');
		pe_json_str(b, key);
		pe_buf_addc(b, ':');
		*opened = 1;
		return;
	}
	add_key(b, key);
}

static void add_lazy_close(struct pe_buf *b, int opened)
{
	if (opened)
		pe_buf_addc(b, '}');
}

/* The parsed jsonSchema of a request (gh-models: name, schema, strict). */
struct schema {
	struct pe_doc *doc;
	const struct pe_node *whole; /* {"name","schema",...}, or NULL */
	const struct pe_node *inner; /* the JSON Schema itself */
};

static int has_param(const struct pe_chat_request *req, unsigned bit)
{
	return req->params && (req->params->set & bit);
}

static int get_temperature(const struct pe_chat_request *req, double *t)
{
	if (req->has_temperature)
		*t = req->temperature;
	else if (has_param(req, PE_PARAM_TEMPERATURE))
		*t = req->params->temperature;
	else
		return 0;
	return 1;
}

static int has_stop(const struct pe_chat_request *req)
{
	return has_param(req, PE_PARAM_STOP) && req->params->nstop;
}

static int wants_json(const struct pe_chat_request *req)
{
	return req->response_format == PE_RESPONSE_JSON_OBJECT ||
	       req->response_format == PE_RESPONSE_JSON_SCHEMA;
}

static const char *content_of(const struct pe_chat_message *m)
{
	return m->content ? m->content : "";
}

/*
 * OpenAI reasoning models refuse "max_tokens"; everything else (and every
 * OpenAI-compatible server) takes it, so it stays the default.
 */
static int uses_completion_tokens(const char *model)
{
	const char *slash = strrchr(model, '/');
	const char *name = slash ? slash + 1 : model;

	return starts_with(name, "o1") || starts_with(name, "o3") ||
	       starts_with(name, "o4") || starts_with(name, "gpt-5");
}

static void write_roles(struct pe_buf *b, const struct pe_chat_request *req,
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
		pe_json_str(b, content_of(m));
		pe_buf_addc(b, '}');
	}
	pe_buf_addc(b, ']');
}

/* The gh-models jsonSchema already has OpenAI's {name, schema, strict}. */
static void write_openai_format(struct pe_buf *b,
				const struct pe_chat_request *req,
				const struct schema *sc)
{
	if (req->response_format == PE_RESPONSE_JSON_OBJECT) {
		pe_buf_adds(b,
			    ",\"response_format\":{\"type\":\"json_object\"}");
		return;
	}
	if (req->response_format != PE_RESPONSE_JSON_SCHEMA)
		return;
	pe_buf_adds(b, ",\"response_format\":{\"type\":\"json_schema\","
		       "\"json_schema\":");
	if (sc->whole) {
		pe_node_to_json(sc->whole, b);
	} else {
		pe_buf_adds(b, "{\"name\":\"response\",\"schema\":");
		pe_node_to_json(sc->inner, b);
		pe_buf_addc(b, '}');
	}
	pe_buf_addc(b, '}');
}

static void write_openai(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct schema *sc)
{
	const struct pe_params *p = req->params;
	double t;

	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	pe_buf_adds(b, ",\"messages\":");
	write_roles(b, req, 0);
	if (get_temperature(req, &t)) {
		add_key(b, "temperature");
		pe_json_num(b, t);
	}
	if (has_param(req, PE_PARAM_TOP_P)) {
		add_key(b, "top_p");
		pe_json_num(b, p->top_p);
	}
	if (has_param(req, PE_PARAM_MAX_TOKENS)) {
		add_key(b, uses_completion_tokens(req->model)
				   ? "max_completion_tokens"
				   : "max_tokens");
		pe_json_int(b, p->max_tokens);
	}
	if (has_param(req, PE_PARAM_SEED)) {
		add_key(b, "seed");
		pe_json_int(b, p->seed);
	}
	if (has_stop(req)) {
		add_key(b, "stop");
		add_strings(b, p->stop, p->nstop);
	}
	if (has_param(req, PE_PARAM_PRESENCE_PENALTY)) {
		add_key(b, "presence_penalty");
		pe_json_num(b, p->presence_penalty);
	}
	if (has_param(req, PE_PARAM_FREQUENCY_PENALTY)) {
		add_key(b, "frequency_penalty");
		pe_json_num(b, p->frequency_penalty);
	}
	write_openai_format(b, req, sc);
	if (req->stream)
		pe_buf_adds(b, ",\"stream\":true,"
			       "\"stream_options\":{\"include_usage\":true}");
	pe_buf_addc(b, '}');
}

/*
 * Anthropic has no system role: system messages go to the top-level
 * "system", joined with blank lines.  Structured output is not requested
 * (NEEDSWORK: the reference does not pin Anthropic's output_config); the
 * JSON evaluators still check the answer.
 */
static void write_anthropic(struct pe_buf *b, const struct pe_chat_request *req)
{
	const struct pe_params *p = req->params;
	struct pe_buf system;
	double t;

	pe_buf_init(&system, 0);
	for (size_t i = 0; i < req->nmessages; i++) {
		if (req->messages[i].role != PE_ROLE_SYSTEM)
			continue;
		if (system.len)
			pe_buf_adds(&system, "\n\n");
		pe_buf_adds(&system, content_of(&req->messages[i]));
	}
	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	if (system.data) {
		add_key(b, "system");
		pe_json_quote(b, system.data, system.len);
	}
	pe_buf_release(&system);
	pe_buf_adds(b, ",\"messages\":");
	write_roles(b, req, 1);
	add_key(b, "max_tokens");
	pe_json_int(b, has_param(req, PE_PARAM_MAX_TOKENS)
			       ? p->max_tokens
			       : ANTHROPIC_MAX_TOKENS);
	if (get_temperature(req, &t)) {
		add_key(b, "temperature");
		pe_json_num(b, t);
	}
	if (has_param(req, PE_PARAM_TOP_P)) {
		add_key(b, "top_p");
		pe_json_num(b, p->top_p);
	}
	if (has_stop(req)) {
		add_key(b, "stop_sequences");
		add_strings(b, p->stop, p->nstop);
	}
	if (req->stream)
		pe_buf_adds(b, ",\"stream\":true");
	pe_buf_addc(b, '}');
}

static void write_gemini_contents(struct pe_buf *b,
				  const struct pe_chat_request *req)
{
	int first = 1;

	pe_buf_adds(b, "\"contents\":[");
	for (size_t i = 0; i < req->nmessages; i++) {
		const struct pe_chat_message *m = &req->messages[i];

		if (m->role == PE_ROLE_SYSTEM)
			continue;
		pe_buf_adds(b, first ? "{\"role\":" : ",{\"role\":");
		first = 0;
		pe_json_str(b, m->role == PE_ROLE_ASSISTANT ? "model" : "user");
		pe_buf_adds(b, ",\"parts\":[{\"text\":");
		pe_json_str(b, content_of(m));
		pe_buf_adds(b, "}]}");
	}
	pe_buf_addc(b, ']');
}

static void write_gemini_system(struct pe_buf *b,
				const struct pe_chat_request *req)
{
	int opened = 0;

	for (size_t i = 0; i < req->nmessages; i++) {
		const struct pe_chat_message *m = &req->messages[i];

		if (m->role != PE_ROLE_SYSTEM)
			continue;
		pe_buf_adds(b, opened ? ",{\"text\":"
				      : ",\"systemInstruction\":{\"parts\":[{"
					"\"text\":");
		opened = 1;
		pe_json_str(b, content_of(m));
		pe_buf_addc(b, '}');
	}
	if (opened)
		pe_buf_adds(b, "]}");
}

/*
 * The prompt's schema is JSON Schema, so it goes to responseJsonSchema:
 * responseSchema takes Google's OpenAPI subset and rejects keys such as
 * additionalProperties.
 */
static void write_gemini_config(struct pe_buf *b,
				const struct pe_chat_request *req,
				const struct schema *sc)
{
	static const char config[] = "generationConfig";
	const struct pe_params *p = req->params;
	int opened = 0;
	double t;

	if (get_temperature(req, &t)) {
		add_lazy_key(b, &opened, config, "temperature");
		pe_json_num(b, t);
	}
	if (has_param(req, PE_PARAM_TOP_P)) {
		add_lazy_key(b, &opened, config, "topP");
		pe_json_num(b, p->top_p);
	}
	if (has_param(req, PE_PARAM_MAX_TOKENS)) {
		add_lazy_key(b, &opened, config, "maxOutputTokens");
		pe_json_int(b, p->max_tokens);
	}
	if (has_stop(req)) {
		add_lazy_key(b, &opened, config, "stopSequences");
		add_strings(b, p->stop, p->nstop);
	}
	if (has_param(req, PE_PARAM_SEED)) {
		add_lazy_key(b, &opened, config, "seed");
		pe_json_int(b, p->seed);
	}
	if (has_param(req, PE_PARAM_PRESENCE_PENALTY)) {
		add_lazy_key(b, &opened, config, "presencePenalty");
		pe_json_num(b, p->presence_penalty);
	}
	if (has_param(req, PE_PARAM_FREQUENCY_PENALTY)) {
		add_lazy_key(b, &opened, config, "frequencyPenalty");
		pe_json_num(b, p->frequency_penalty);
	}
	if (wants_json(req)) {
		add_lazy_key(b, &opened, config, "responseMimeType");
		pe_json_str(b, "application/json");
	}
	if (sc->inner) {
		add_lazy_key(b, &opened, config, "responseJsonSchema");
		pe_node_to_json(sc->inner, b);
	}
	add_lazy_close(b, opened);
}

static void write_gemini(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct schema *sc)
{
	pe_buf_addc(b, '{');
	write_gemini_contents(b, req);
	write_gemini_system(b, req);
	write_gemini_config(b, req, sc);
	pe_buf_addc(b, '}');
}

static void write_ollama_options(struct pe_buf *b,
				 const struct pe_chat_request *req)
{
	static const char options[] = "options";
	const struct pe_params *p = req->params;
	int opened = 0;
	double t;

	if (get_temperature(req, &t)) {
		add_lazy_key(b, &opened, options, "temperature");
		pe_json_num(b, t);
	}
	if (has_param(req, PE_PARAM_TOP_P)) {
		add_lazy_key(b, &opened, options, "top_p");
		pe_json_num(b, p->top_p);
	}
	if (has_param(req, PE_PARAM_MAX_TOKENS)) {
		add_lazy_key(b, &opened, options, "num_predict");
		pe_json_int(b, p->max_tokens);
	}
	if (has_param(req, PE_PARAM_SEED)) {
		add_lazy_key(b, &opened, options, "seed");
		pe_json_int(b, p->seed);
	}
	if (has_stop(req)) {
		add_lazy_key(b, &opened, options, "stop");
		add_strings(b, p->stop, p->nstop);
	}
	if (has_param(req, PE_PARAM_PRESENCE_PENALTY)) {
		add_lazy_key(b, &opened, options, "presence_penalty");
		pe_json_num(b, p->presence_penalty);
	}
	if (has_param(req, PE_PARAM_FREQUENCY_PENALTY)) {
		add_lazy_key(b, &opened, options, "frequency_penalty");
		pe_json_num(b, p->frequency_penalty);
	}
	add_lazy_close(b, opened);
}

static void write_ollama(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct schema *sc)
{
	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	pe_buf_adds(b, ",\"messages\":");
	write_roles(b, req, 0);
	pe_buf_adds(b, req->stream ? ",\"stream\":true" : ",\"stream\":false");
	if (sc->inner) {
		add_key(b, "format");
		pe_node_to_json(sc->inner, b);
	} else if (wants_json(req)) {
		pe_buf_adds(b, ",\"format\":\"json\"");
	}
	write_ollama_options(b, req);
	pe_buf_addc(b, '}');
}

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
static int load_schema(const struct pe_chat_request *req, struct schema *sc,
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

static int is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Appends s percent-encoded as one URL path segment. */
static void add_segment(struct pe_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (is_unreserved(c))
			pe_buf_addc(b, (char)c);
		else
			pe_buf_addf(b, "%%%02X", c);
	}
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

/*
 * Appends base without trailing slashes.  A base without a scheme is an
 * OLLAMA_HOST-style "host:port" and gets "http://"; for ollama a missing
 * host or port gets Ollama's own defaults (127.0.0.1, 11434).
 */
static void add_base(struct pe_buf *b, enum pe_provider_kind kind,
		     const char *base)
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
	if (kind == PE_PROVIDER_OLLAMA && !host_len)
		pe_buf_adds(b, "127.0.0.1");
	pe_buf_add(b, base, host_len);
	if (kind == PE_PROVIDER_OLLAMA && !host_has_port(base, host_len))
		pe_buf_adds(b, ":11434");
	pe_buf_add(b, base + host_len, len - host_len);
}

static char *make_url(enum pe_provider_kind kind, const char *base_url,
		      const struct pe_chat_request *req)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	add_base(&b, kind,
		 base_url && *base_url ? base_url
				       : pe_provider_default_base(kind));
	switch (kind) {
	case PE_PROVIDER_ANTHROPIC:
		pe_buf_adds(&b, "/v1/messages");
		break;
	case PE_PROVIDER_GEMINI:
		pe_buf_adds(&b, "/v1beta/models/");
		add_segment(&b, starts_with(req->model, "models/")
					? req->model + strlen("models/")
					: req->model);
		pe_buf_adds(&b, req->stream ? ":streamGenerateContent?alt=sse"
					    : ":generateContent");
		break;
	case PE_PROVIDER_OLLAMA:
		pe_buf_adds(&b, "/api/chat");
		break;
	default:
		pe_buf_adds(&b, "/chat/completions");
		break;
	}
	return pe_buf_detach(&b, NULL);
}

static void add_header(struct pe_strlist *h, const char *name,
		       const char *value)
{
	char *line = xstrfmt("%s: %s", name, value);

	pe_strlist_push(h, line);
	free(line);
}

static void add_headers(enum pe_provider_kind kind, const char *api_key,
			struct pe_strlist *h)
{
	if (kind == PE_PROVIDER_ANTHROPIC) {
		add_header(h, "content-type", "application/json");
		add_header(h, "anthropic-version", "2023-06-01");
		if (api_key)
			add_header(h, "x-api-key", api_key);
		return;
	}
	add_header(h, "Content-Type", "application/json");
	if (!api_key)
		return;
	if (kind == PE_PROVIDER_GEMINI) {
		add_header(h, "x-goog-api-key", api_key);
	} else {
		char *bearer = xstrfmt("Bearer %s", api_key);

		add_header(h, "Authorization", bearer);
		free(bearer);
	}
}

/* Checks what would corrupt the request; messages never show a key. */
static int check_inputs(enum pe_provider_kind kind, const char *api_key,
			const struct pe_strlist *extra,
			const struct pe_chat_request *req, char *err,
			size_t errsize)
{
	const char *name = pe_provider_kind_name(kind);

	if (!is_http(kind))
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

/* Builds the HTTP request for kind; see provider.h. */
int pe_provider_build(enum pe_provider_kind kind, const char *base_url,
		      const char *api_key,
		      const struct pe_strlist *extra_headers,
		      const struct pe_chat_request *req,
		      struct pe_http_request *out, char *err, size_t errsize)
{
	struct pe_buf body;
	struct schema sc;
	int rc;

	out->url = NULL;
	out->body = NULL;
	out->body_len = 0;
	pe_strlist_init(&out->headers);
	memset(&sc, 0, sizeof(sc));
	rc = check_inputs(kind, api_key, extra_headers, req, err, errsize);
	if (!rc)
		rc = load_schema(req, &sc, err, errsize);
	if (rc) {
		pe_doc_free(sc.doc);
		return rc;
	}
	pe_buf_init(&body, 0);
	if (kind == PE_PROVIDER_ANTHROPIC)
		write_anthropic(&body, req);
	else if (kind == PE_PROVIDER_GEMINI)
		write_gemini(&body, req, &sc);
	else if (kind == PE_PROVIDER_OLLAMA)
		write_ollama(&body, req, &sc);
	else
		write_openai(&body, req, &sc);
	pe_doc_free(sc.doc);
	if (body.len > MAX_BODY) {
		pe_buf_release(&body);
		failf(err, errsize, "request body is larger than %d bytes",
		      MAX_BODY);
		return PE_ERR_LIMIT;
	}
	out->body = pe_buf_detach(&body, &out->body_len);
	out->url = make_url(kind, base_url, req);
	add_headers(kind, api_key, &out->headers);
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

/* ---- Parsing responses ---- */

struct reply {
	enum pe_provider_kind kind;
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
	int streaming; /* the body is being read as a stream */
	long status;
	enum pe_reply_class cls;
	char *error;
};

/* The fields of a provider's error body that classification looks at. */
struct perr {
	const struct pe_node *error; /* the "error" object, or NULL */
	const char *message;
	size_t message_len;
	const char *type;
	const char *code; /* a string code, or a number's spelling */
	const char *status;
};

static const char *str_of(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_STRING ? n->text : NULL;
}

static int long_of(const struct pe_node *n, long *out)
{
	if (!n || n->kind != PE_NODE_INT)
		return 0;
	*out = (long)n->ival;
	return 1;
}

static const struct pe_node *item_at(const struct pe_node *seq, size_t i)
{
	return seq && seq->kind == PE_NODE_SEQ && i < seq->count ? seq->items[i]
								 : NULL;
}

static const struct pe_node *get(const struct pe_node *map, const char *key)
{
	return map && map->kind == PE_NODE_MAP ? pe_node_get(map, key) : NULL;
}

static int is_true(const struct pe_node *n)
{
	return n && n->kind == PE_NODE_BOOL && n->bval;
}

static int str_is(const char *s, const char *want)
{
	return s && !strcmp(s, want);
}

static void set_string(char **dst, const struct pe_node *n)
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
static void fail_max(struct reply *r, enum pe_reply_class cls,
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

static void fail(struct reply *r, enum pe_reply_class cls, const char *prefix,
		 const char *message, size_t len)
{
	fail_max(r, cls, prefix, message, len, MAX_MESSAGE);
}

static void fail_str(struct reply *r, enum pe_reply_class cls,
		     const char *message)
{
	fail(r, cls, message, NULL, 0);
}

static void add_output(struct reply *r, const struct pe_node *text)
{
	if (!text || text->kind != PE_NODE_STRING || r->failed)
		return;
	if (pe_buf_add(&r->output, text->text, text->len))
		fail_str(r, PE_REPLY_FATAL, "answer too large");
}

static const struct pe_node *parse_json(struct reply *r, const char *text,
					size_t len)
{
	struct pe_mark mark = { "response", 1, 1 };

	return pe_json_parse(r->doc, text, len, &mark, r->diag);
}

static void read_perr(const struct pe_node *root, struct perr *e)
{
	const struct pe_node *n, *code;

	memset(e, 0, sizeof(*e));
	if (root && root->kind == PE_NODE_SEQ)
		root = item_at(root, 0); /* Gemini without alt=sse */
	n = get(root, "error");
	if (n && n->kind == PE_NODE_MAP) {
		e->error = n;
		n = get(n, "message");
		e->type = str_of(get(e->error, "type"));
		e->status = str_of(get(e->error, "status"));
		code = get(e->error, "code");
		if (code && pe_node_is_scalar(code) &&
		    code->kind != PE_NODE_NULL)
			e->code = code->text;
	} else if (!n || n->kind != PE_NODE_STRING) {
		n = get(root, "message");
		if (!str_of(n))
			n = get(root, "detail");
	}
	if (str_of(n)) {
		e->message = n->text;
		e->message_len = n->len;
	}
}

static int contains_nocase(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; s && i + n <= len; i++)
		if (!strncasecmp(s + i, needle, n))
			return 1;
	return 0;
}

/* A Gemini QuotaFailure on a per-day quota: sticky until the daily reset. */
static int gemini_per_day(const struct pe_node *error)
{
	const struct pe_node *details = get(error, "details"), *d;

	for (size_t i = 0; (d = item_at(details, i)); i++) {
		const char *type = str_of(get(d, "@type"));
		const struct pe_node *violations = get(d, "violations"), *v;

		if (!type || !pe_ends_with(type, "QuotaFailure"))
			continue;
		for (size_t j = 0; (v = item_at(violations, j)); j++) {
			const char *id = str_of(get(v, "quotaId"));

			if (id && strstr(id, "PerDay"))
				return 1;
		}
	}
	return 0;
}

static int anthropic_quota(long status, const struct perr *e)
{
	const char *code = str_of(get(get(e->error, "details"), "error_code"));

	if (str_is(e->type, "billing_error") ||
	    str_is(code, "enforced_spend_limit_reached"))
		return 1;
	return status >= 400 && status < 500 &&
	       (contains_nocase(e->message, e->message_len, "credit balance") ||
		contains_nocase(e->message, e->message_len, "spend limit") ||
		contains_nocase(e->message, e->message_len, "usage limit"));
}

/* Out of quota or over a spend limit: retrying cannot help. */
static int is_quota(enum pe_provider_kind kind, long status,
		    const struct perr *e)
{
	if (status == 402 || str_is(e->type, "insufficient_quota") ||
	    str_is(e->code, "insufficient_quota"))
		return 1;
	switch (kind) {
	case PE_PROVIDER_ANTHROPIC:
		return anthropic_quota(status, e);
	case PE_PROVIDER_GEMINI:
		return (status == 429 ||
			str_is(e->status, "RESOURCE_EXHAUSTED")) &&
		       gemini_per_day(e->error);
	case PE_PROVIDER_GITHUB:
		/* GitHub Models: "Rate limit of 50 per 86400s exceeded for
		 * UserByDay". */
		return status == 429 &&
		       contains_nocase(e->message, e->message_len, "ByDay");
	default:
		return 0;
	}
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
	default:
		break;
	}
	if (status >= 500 || status < 100)
		return PE_REPLY_RETRY;
	return PE_REPLY_FATAL;
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

static long retry_delay_ms(const struct perr *e)
{
	const struct pe_node *details = get(e->error, "details"), *d;

	for (size_t i = 0; (d = item_at(details, i)); i++) {
		const char *type = str_of(get(d, "@type"));

		if (type && pe_ends_with(type, "RetryInfo"))
			return duration_ms(str_of(get(d, "retryDelay")));
	}
	return -1;
}

/* A non-2xx response: the provider's message, prefixed with the status. */
static void fail_http(struct reply *r, long status, const char *body,
		      size_t len)
{
	const struct pe_node *root = parse_json(r, body, len);
	struct perr e;
	char prefix[32];
	enum pe_reply_class cls;

	read_perr(root, &e);
	cls = is_quota(r->kind, status, &e) ? PE_REPLY_QUOTA
					    : status_class(status);
	snprintf(prefix, sizeof(prefix), "HTTP %ld", status);
	r->retry_after_ms = retry_delay_ms(&e);
	if (e.message)
		fail(r, cls, prefix, e.message, e.message_len);
	else /* not the provider's JSON: an HTML page from a proxy, say */
		fail_max(r, cls, prefix, body, len, MAX_SNIPPET);
}

/* The HTTP status an error inside a 2xx body stands for. */
static long stream_status(enum pe_provider_kind kind, const struct perr *e)
{
	static const struct {
		const char *type;
		long status;
	} anthropic[] = {
		{ "invalid_request_error", 400 },
		{ "authentication_error", 401 },
		{ "billing_error", 402 },
		{ "permission_error", 403 },
		{ "not_found_error", 404 },
		{ "request_too_large", 413 },
		{ "rate_limit_error", 429 },
		{ "api_error", 500 },
		{ "timeout_error", 504 },
		{ "overloaded_error", 529 },
	};
	long code;

	if (long_of(get(e->error, "code"), &code) && code >= 400 && code < 600)
		return code;
	if (kind != PE_PROVIDER_ANTHROPIC)
		return 500;
	for (size_t i = 0; i < sizeof(anthropic) / sizeof(*anthropic); i++)
		if (str_is(e->type, anthropic[i].type))
			return anthropic[i].status;
	return 500;
}

/* An error object inside a 2xx body: a mid-stream error, or a
 * compatible server that answers errors with 200. */
static void fail_payload(struct reply *r, const struct pe_node *root)
{
	struct perr e;
	long status;
	const char *message;
	size_t message_len;
	char prefix[32];

	read_perr(root, &e);
	status = stream_status(r->kind, &e);
	message = e.message ? e.message : e.type;
	message_len = e.message ? e.message_len : e.type ? strlen(e.type) : 0;
	if (r->streaming)
		snprintf(prefix, sizeof(prefix), "stream error");
	else
		snprintf(prefix, sizeof(prefix), "HTTP %ld", r->status);
	r->retry_after_ms = retry_delay_ms(&e);
	fail(r,
	     is_quota(r->kind, status, &e) ? PE_REPLY_QUOTA
					   : status_class(status),
	     prefix, message, message_len);
}

static int has_error(const struct pe_node *root)
{
	const struct pe_node *e = get(root, "error");

	return e && e->kind != PE_NODE_NULL;
}

/* ---- OpenAI and GitHub ---- */

static void openai_usage(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *usage = get(root, "usage");

	long_of(get(usage, "prompt_tokens"), &r->tokens_in);
	long_of(get(usage, "completion_tokens"), &r->tokens_out);
}

/* The choice with index 0 (the only one, as n is never sent). */
static const struct pe_node *first_choice(const struct pe_node *root)
{
	const struct pe_node *choices = get(root, "choices"), *c;
	long index;

	for (size_t i = 0; (c = item_at(choices, i)); i++)
		if (!long_of(get(c, "index"), &index) || index == 0)
			return c;
	return NULL;
}

/* Content is a string, or (some compatible servers) an array of parts. */
static void openai_content(struct reply *r, const struct pe_node *content)
{
	const struct pe_node *part;

	if (!content || content->kind != PE_NODE_SEQ) {
		add_output(r, content);
		return;
	}
	for (size_t i = 0; (part = item_at(content, i)); i++)
		if (!get(part, "type") ||
		    str_is(str_of(get(part, "type")), "text"))
			add_output(r, get(part, "text"));
}

static void openai_plain(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *choice = first_choice(root);
	const struct pe_node *message = get(choice, "message"), *content;

	if (has_error(root)) {
		fail_payload(r, root);
		return;
	}
	set_string(&r->model, get(root, "model"));
	openai_usage(r, root);
	if (!message || message->kind != PE_NODE_MAP)
		return;
	r->saw_answer = 1;
	set_string(&r->finish_reason, get(choice, "finish_reason"));
	content = get(message, "content");
	if (!str_of(content) && str_of(get(message, "refusal")))
		content = get(message, "refusal");
	openai_content(r, content);
}

static int openai_event(struct reply *r, const char *event, const char *data,
			size_t len)
{
	const struct pe_node *root, *choice, *usage;

	if (len >= 6 && !memcmp(data, "[DONE]", 6)) {
		r->done = r->stop = 1;
		return 0;
	}
	root = parse_json(r, data, len);
	if (!root)
		return -1;
	if (has_error(root) || str_is(event, "error")) {
		fail_payload(r, root);
		return 0;
	}
	if (!r->model)
		set_string(&r->model, get(root, "model"));
	choice = first_choice(root);
	if (choice) {
		r->saw_answer = 1;
		openai_content(r, get(get(choice, "delta"), "content"));
		set_string(&r->finish_reason, get(choice, "finish_reason"));
	}
	usage = get(root, "usage");
	if (usage && usage->kind == PE_NODE_MAP)
		openai_usage(r, root);
	return 0;
}

/* ---- Anthropic ---- */

/* Input tokens include the cache writes and reads, as the API bills. */
static void anthropic_usage(struct reply *r, const struct pe_node *usage)
{
	static const char *const extra[] = { "cache_creation_input_tokens",
					     "cache_read_input_tokens" };
	long in, more;

	if (long_of(get(usage, "input_tokens"), &in)) {
		for (size_t i = 0; i < sizeof(extra) / sizeof(*extra); i++)
			if (long_of(get(usage, extra[i]), &more))
				in += more;
		r->tokens_in = in;
	}
	long_of(get(usage, "output_tokens"), &r->tokens_out);
}

static void anthropic_plain(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *content = get(root, "content"), *block;

	if (has_error(root)) {
		fail_payload(r, root);
		return;
	}
	set_string(&r->model, get(root, "model"));
	anthropic_usage(r, get(root, "usage"));
	if (!content || content->kind != PE_NODE_SEQ)
		return;
	r->saw_answer = 1;
	set_string(&r->finish_reason, get(root, "stop_reason"));
	for (size_t i = 0; (block = item_at(content, i)); i++)
		if (str_is(str_of(get(block, "type")), "text"))
			add_output(r, get(block, "text"));
}

static int anthropic_event(struct reply *r, const char *event, const char *data,
			   size_t len)
{
	const struct pe_node *root = parse_json(r, data, len), *delta;
	const char *type;

	if (!root)
		return -1;
	type = str_of(get(root, "type"));
	if (!type)
		type = event;
	if (str_is(type, "error") || has_error(root)) {
		fail_payload(r, root);
	} else if (str_is(type, "message_start")) {
		set_string(&r->model, get(get(root, "message"), "model"));
		anthropic_usage(r, get(get(root, "message"), "usage"));
	} else if (str_is(type, "content_block_delta")) {
		delta = get(root, "delta");
		r->saw_answer = 1;
		if (str_is(str_of(get(delta, "type")), "text_delta"))
			add_output(r, get(delta, "text"));
	} else if (str_is(type, "message_delta")) {
		r->saw_answer = 1;
		set_string(&r->finish_reason,
			   get(get(root, "delta"), "stop_reason"));
		anthropic_usage(r, get(root, "usage"));
	} else if (str_is(type, "message_stop")) {
		r->done = r->stop = 1;
	}
	return 0;
}

/* ---- Gemini ---- */

static void gemini_usage(struct reply *r, const struct pe_node *usage)
{
	long out, thoughts;

	long_of(get(usage, "promptTokenCount"), &r->tokens_in);
	/* Thought tokens are billed as output but counted apart. */
	if (long_of(get(usage, "candidatesTokenCount"), &out)) {
		if (long_of(get(usage, "thoughtsTokenCount"), &thoughts))
			out += thoughts;
		r->tokens_out = out;
	}
}

/* One GenerateContentResponse: a whole answer, or one stream chunk. */
static void gemini_chunk(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *cand, *parts, *part, *block;

	if (has_error(root)) {
		fail_payload(r, root);
		return;
	}
	set_string(&r->model, get(root, "modelVersion"));
	if (get(root, "usageMetadata"))
		gemini_usage(r, get(root, "usageMetadata"));
	cand = item_at(get(root, "candidates"), 0);
	block = get(get(root, "promptFeedback"), "blockReason");
	if (!cand && str_of(block)) {
		fail(r, PE_REPLY_FATAL, "prompt blocked", block->text,
		     block->len);
		return;
	}
	if (!cand)
		return;
	r->saw_answer = 1;
	parts = get(get(cand, "content"), "parts");
	for (size_t i = 0; (part = item_at(parts, i)); i++)
		if (!is_true(get(part, "thought")))
			add_output(r, get(part, "text"));
	if (str_of(get(cand, "finishReason"))) {
		set_string(&r->finish_reason, get(cand, "finishReason"));
		r->done = 1;
	}
}

static void gemini_plain(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *chunk;

	if (root->kind != PE_NODE_SEQ) {
		gemini_chunk(r, root);
		return;
	}
	/* :streamGenerateContent without alt=sse answers a JSON array. */
	for (size_t i = 0; (chunk = item_at(root, i)) && !r->failed; i++)
		gemini_chunk(r, chunk);
	if (!r->failed && r->saw_answer && !r->done)
		fail_str(r, PE_REPLY_RETRY, "truncated stream");
}

static int gemini_event(struct reply *r, const char *event, const char *data,
			size_t len)
{
	const struct pe_node *root = parse_json(r, data, len);

	if (!root)
		return -1;
	if (str_is(event, "error") && !has_error(root))
		fail_str(r, PE_REPLY_RETRY, "stream error");
	else
		gemini_chunk(r, root);
	return 0;
}

/*
 * No text and a finish reason other than STOP or MAX_TOKENS (SAFETY,
 * RECITATION, ...) is a block, not an empty answer.
 */
static void gemini_check_block(struct reply *r)
{
	if (r->failed || r->output.len || !r->finish_reason ||
	    str_is(r->finish_reason, "STOP") ||
	    str_is(r->finish_reason, "MAX_TOKENS"))
		return;
	fail(r, PE_REPLY_FATAL, "response blocked", r->finish_reason,
	     strlen(r->finish_reason));
}

/* ---- Ollama ---- */

/* One object: a whole answer, or one NDJSON line of a stream. */
static void ollama_fold(struct reply *r, const struct pe_node *root)
{
	const struct pe_node *message;

	if (has_error(root)) {
		fail_payload(r, root);
		return;
	}
	if (!r->model)
		set_string(&r->model, get(root, "model"));
	message = get(root, "message");
	if (message && message->kind == PE_NODE_MAP) {
		r->saw_answer = 1;
		add_output(r, get(message, "content"));
	}
	if (is_true(get(root, "done"))) {
		r->done = r->stop = 1;
		set_string(&r->finish_reason, get(root, "done_reason"));
		long_of(get(root, "prompt_eval_count"), &r->tokens_in);
		long_of(get(root, "eval_count"), &r->tokens_out);
	}
}

static int ollama_line(struct reply *r, const char *event, const char *data,
		       size_t len)
{
	const struct pe_node *root = parse_json(r, data, len);

	(void)event;
	if (!root)
		return -1;
	ollama_fold(r, root);
	return 0;
}

/* ---- Stream framing ---- */

typedef int (*event_fn)(struct reply *r, const char *event, const char *data,
			size_t len);

/* A payload did not parse: the body was cut there, or it is garbage. */
static void fail_bad_chunk(struct reply *r, const char *body, size_t pos,
			   size_t len)
{
	while (pos < len && strchr(" \t\r\n", body[pos]))
		pos++;
	fail_str(r, PE_REPLY_RETRY,
		 pos >= len ? "truncated stream" : "invalid JSON in stream");
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

static void sse_dispatch(struct reply *r, struct sse *s, event_fn on_event,
			 const char *body, size_t pos, size_t len)
{
	int rc = on_event(r, s->event[0] ? s->event : NULL,
			  pe_buf_str(&s->data), s->data.len);

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
static void split_sse(struct reply *r, const char *body, size_t len,
		      event_fn on_event)
{
	struct sse s;
	size_t i = 0;

	pe_buf_init(&s.data, MAX_OUTPUT);
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
static void split_ndjson(struct reply *r, const char *body, size_t len,
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
		if (start < end && on_event(r, NULL, body + start, end - start))
			fail_bad_chunk(r, body, i, len);
	}
}

static void parse_stream(struct reply *r, const char *body, size_t len)
{
	r->streaming = 1;
	switch (r->kind) {
	case PE_PROVIDER_ANTHROPIC:
		split_sse(r, body, len, anthropic_event);
		break;
	case PE_PROVIDER_GEMINI:
		split_sse(r, body, len, gemini_event);
		break;
	case PE_PROVIDER_OLLAMA:
		split_ndjson(r, body, len, ollama_line);
		break;
	default:
		split_sse(r, body, len, openai_event);
		break;
	}
	if (!r->failed && !r->done)
		fail_str(r, PE_REPLY_RETRY, "truncated stream");
}

static void parse_plain(struct reply *r, const char *body, size_t len)
{
	const struct pe_node *root = parse_json(r, body, len);

	if (!root ||
	    (root->kind != PE_NODE_MAP &&
	     !(root->kind == PE_NODE_SEQ && r->kind == PE_PROVIDER_GEMINI))) {
		fail_str(r, PE_REPLY_RETRY, "invalid JSON body");
		return;
	}
	switch (r->kind) {
	case PE_PROVIDER_ANTHROPIC:
		anthropic_plain(r, root);
		break;
	case PE_PROVIDER_GEMINI:
		gemini_plain(r, root);
		break;
	case PE_PROVIDER_OLLAMA:
		ollama_fold(r, root);
		break;
	default:
		openai_plain(r, root);
		break;
	}
	if (!r->failed && !r->saw_answer)
		fail_str(r, PE_REPLY_RETRY, "no answer in response");
}

/* True when a "streamed" body is really one JSON document. */
static int looks_like_json(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", body[i]))
		i++;
	return i < len && (body[i] == '{' || body[i] == '[');
}

static void reply_finish(struct reply *r, struct pe_chat_response *out)
{
	if (!r->failed && r->kind == PE_PROVIDER_GEMINI)
		gemini_check_block(r);
	out->cls = r->failed ? r->cls : PE_REPLY_OK;
	if (r->failed)
		pe_buf_reset(&r->output);
	out->output = pe_buf_detach(&r->output, &out->output_len);
	out->finish_reason = r->finish_reason;
	out->model = r->model;
	out->tokens_in = r->tokens_in;
	out->tokens_out = r->tokens_out;
	out->error = r->error;
	out->retry_after_ms = r->retry_after_ms;
	pe_buf_release(&r->output);
	pe_doc_free(r->doc);
	pe_diag_free(r->diag);
}

/*
 * Parses a response; see provider.h.  The output is "" whenever cls is
 * not PE_REPLY_OK (a partial stream is not an answer); model, finish
 * reason and token counts are kept when the body gave them.
 */
void pe_provider_parse(enum pe_provider_kind kind, long status,
		       const char *body, size_t len, int streamed,
		       struct pe_chat_response *out)
{
	struct reply r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.status = status;
	r.doc = pe_doc_new("response", NULL, 0);
	r.diag = pe_diag_new();
	pe_buf_init(&r.output, MAX_OUTPUT);
	r.tokens_in = r.tokens_out = r.retry_after_ms = -1;
	if (!body) {
		body = "";
		len = 0;
	}
	if (!is_http(kind))
		fail_str(&r, PE_REPLY_FATAL,
			 "no HTTP response for this provider");
	else if (status < 200 || status > 299)
		fail_http(&r, status, body, len);
	else if (streamed && kind == PE_PROVIDER_OLLAMA)
		parse_stream(&r, body, len);
	else if (streamed && !looks_like_json(body, len))
		parse_stream(&r, body, len);
	else
		parse_plain(&r, body, len);
	reply_finish(&r, out);
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
