/*
 * Wire formats: what fakellm reads from a chat request and writes back, for
 * OpenAI Chat Completions, Anthropic Messages, Gemini generateContent and
 * Ollama /api/chat, as docs/providers.md describes them.
 * Requests are parsed with cJSON; replies are written by hand into
 * fl_response buffers because that is several times faster.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fakellm.h"

/* A fixed "created" time keeps replies byte-for-byte reproducible. */
enum { CREATED_UNIX = 1735689600, PIECE_BYTES = 48, PIECE_MAX = 96 };
#define CREATED_AT "2025-01-01T00:00:00.000000Z"

/* Makes r an empty response. */
void fl_response_init(struct fl_response *r)
{
	memset(r, 0, sizeof(*r));
	fl_buf_init(&r->headers);
	fl_buf_init(&r->body);
}

/* Frees what r holds. */
void fl_response_release(struct fl_response *r)
{
	fl_buf_release(&r->headers);
	fl_buf_release(&r->body);
	free(r->seg_end);
	fl_response_init(r);
}

/* Empties r but keeps its buffers for the next response. */
void fl_response_reset(struct fl_response *r)
{
	r->status = 0;
	r->content_type = NULL;
	r->chunked = 0;
	r->nseg = 0;
	fl_buf_reset(&r->headers);
	fl_buf_reset(&r->body);
}

/* Ends the current stream segment at the end of the body. */
void fl_response_end_segment(struct fl_response *r)
{
	if (r->nseg == r->segcap) {
		r->segcap = r->segcap ? r->segcap * 2 : 64;
		r->seg_end = fl_xrealloc(r->seg_end,
					 r->segcap * sizeof(*r->seg_end));
	}
	r->seg_end[r->nseg++] = r->body.len;
}

/* Returns the first position from i that is not JSON white space. */
static size_t skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && strchr(" \t\r\n", s[i]) && s[i])
		i++;
	return i;
}

/* Returns the end of the JSON value at i, or len when it does not end. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	size_t depth = 0;

	do {
		if (i >= len)
			return len;
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (i >= len)
				return len;
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
		} else if (s[i] == '}' || s[i] == ']') {
			if (!depth)
				return len;
			depth--;
		} else if (!depth) {
			while (i < len && !strchr(",}] \t\r\n", s[i]))
				i++;
			return i;
		}
		i++;
	} while (depth);
	return i;
}

static int is_stream_key(const char *s, size_t len)
{
	return (len == 8 && !memcmp(s, "\"stream\"", 8)) ||
	       (len == 16 && !memcmp(s, "\"stream_options\"", 16));
}

/*
 * Copies the JSON object body into out without its top-level "stream"
 * and "stream_options" members (and the comma that joined each), so
 * that it reads as the same request unstreamed.  Returns -1 when body is
 * not an object it can walk.
 */
static int strip_stream(struct fl_buf *out, const char *body, size_t len)
{
	size_t i = skip_space(body, len, 0), copied = 0, value_end = 0;
	int kept = 0;

	if (i >= len || body[i] != '{')
		return -1;
	i = skip_space(body, len, i + 1);
	while (i < len && body[i] != '}') {
		size_t key = i, key_end = skip_value(body, len, i), next;

		if (body[key] != '"' || key_end >= len)
			return -1;
		i = skip_space(body, len, key_end);
		if (i >= len || body[i] != ':')
			return -1;
		i = skip_value(body, len, skip_space(body, len, i + 1));
		if (i >= len)
			return -1;
		next = skip_space(body, len, i);
		if (next < len && body[next] == ',')
			next = skip_space(body, len, next + 1);
		if (!is_stream_key(body + key, key_end - key)) {
			kept = 1;
		} else if (kept) {
			/* From the end of the member before: its comma. */
			fl_buf_add(out, body + copied, value_end - copied);
			copied = i;
		} else {
			/* The first member: up to the next one. */
			fl_buf_add(out, body + copied, key - copied);
			copied = next < len && body[next] != '}' ? next : i;
		}
		value_end = i;
		i = next;
	}
	fl_buf_add(out, body + copied, len - copied);
	return 0;
}

/* Hashes what decides a request's answer; see fakellm.h. */
uint64_t fl_answer_hash(const char *body, size_t len)
{
	struct fl_buf b;
	uint64_t h;

	fl_buf_init(&b);
	h = strip_stream(&b, body, len) ? fl_fnv1a64(body, len)
					: fl_fnv1a64(b.data, b.len);
	fl_buf_release(&b);
	return h;
}

/* Makes chat empty. */
void fl_chat_init(struct fl_chat *chat)
{
	memset(chat, 0, sizeof(*chat));
	fl_buf_init(&chat->text);
	chat->temperature = 1.0;
}

/* Frees what chat holds. */
void fl_chat_release(struct fl_chat *chat)
{
	free(chat->model);
	fl_buf_release(&chat->text);
	fl_chat_init(chat);
}

static void add_text(struct fl_chat *chat, const char *s)
{
	size_t n = strlen(s);

	fl_buf_add(&chat->text, s, n);
	fl_buf_addc(&chat->text, '\n');
	chat->message_bytes += n;
}

/* Adds a string, or the "text" of each part in an array of parts. */
static void add_content(struct fl_chat *chat, const cJSON *content)
{
	const cJSON *part;

	if (cJSON_IsString(content)) {
		add_text(chat, content->valuestring);
		return;
	}
	if (!cJSON_IsArray(content))
		return;
	cJSON_ArrayForEach (part, content) {
		const cJSON *text =
			cJSON_GetObjectItemCaseSensitive(part, "text");

		if (cJSON_IsString(part))
			add_text(chat, part->valuestring);
		else if (cJSON_IsString(text))
			add_text(chat, text->valuestring);
	}
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static int fail(char *err, size_t errsize, const char *msg)
{
	size_t n = strlen(msg);

	if (n >= errsize)
		n = errsize - 1;
	memcpy(err, msg, n);
	err[n] = '\0';
	return -1;
}

/* Reads an optional temperature: absent or null means 1.0. */
static int read_temperature(struct fl_chat *chat, const cJSON *t)
{
	if (!t || cJSON_IsNull(t))
		return 0;
	if (!cJSON_IsNumber(t) || t->valuedouble < 0)
		return -1;
	chat->temperature = t->valuedouble;
	return 0;
}

static int parse_messages(struct fl_chat *chat, const cJSON *root,
			  const char *key, const char *content_key)
{
	const cJSON *messages = get(root, key), *m;

	if (!cJSON_IsArray(messages))
		return -1;
	cJSON_ArrayForEach (m, messages) {
		add_content(chat, get(m, content_key));
	}
	return 0;
}

static int parse_openai(struct fl_chat *chat, const cJSON *root, char *err,
			size_t errsize)
{
	const cJSON *options = get(root, "stream_options");

	if (parse_messages(chat, root, "messages", "content"))
		return fail(err, errsize, "'messages' is a required property");
	chat->stream = cJSON_IsTrue(get(root, "stream"));
	chat->include_usage = cJSON_IsTrue(get(options, "include_usage"));
	if (read_temperature(chat, get(root, "temperature")))
		return fail(err, errsize, "Invalid type for 'temperature'");
	return 0;
}

static int parse_anthropic(struct fl_chat *chat, const cJSON *root, char *err,
			   size_t errsize)
{
	if (!cJSON_IsNumber(get(root, "max_tokens")))
		return fail(err, errsize, "max_tokens: Field required");
	add_content(chat, get(root, "system"));
	if (parse_messages(chat, root, "messages", "content"))
		return fail(err, errsize, "messages: Field required");
	chat->stream = cJSON_IsTrue(get(root, "stream"));
	if (read_temperature(chat, get(root, "temperature")))
		return fail(err, errsize,
			    "temperature: Input should be a valid number");
	return 0;
}

static int parse_gemini(struct fl_chat *chat, const cJSON *root, char *err,
			size_t errsize)
{
	const cJSON *system = get(root, "systemInstruction");
	const cJSON *config = get(root, "generationConfig");

	add_content(chat, get(system, "parts"));
	if (parse_messages(chat, root, "contents", "parts"))
		return fail(err, errsize,
			    "* GenerateContentRequest.contents: contents is "
			    "not specified");
	if (read_temperature(chat, get(config, "temperature")))
		return fail(err, errsize,
			    "Invalid value at 'generation_config.temperature'");
	return 0;
}

static int parse_ollama(struct fl_chat *chat, const cJSON *root, char *err,
			size_t errsize)
{
	const cJSON *stream = get(root, "stream");

	if (parse_messages(chat, root, "messages", "content"))
		return fail(err, errsize, "messages is required");
	chat->stream = !cJSON_IsFalse(stream);
	if (read_temperature(chat, get(get(root, "options"), "temperature")))
		return fail(err, errsize, "invalid options.temperature");
	return 0;
}

/* Parses a chat request body; see fakellm.h. */
int fl_chat_parse(struct fl_chat *chat, enum fl_provider provider,
		  const char *body, size_t len, const char *path_model,
		  int stream_path, int sse, char *err, size_t errsize)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	const cJSON *model;
	int rc;

	chat->provider = provider;
	if (root && end)
		while ((size_t)(end - body) < len && strchr(" \t\r\n", *end) &&
		       *end)
			end++;
	if (!root || !cJSON_IsObject(root) || (size_t)(end - body) != len) {
		cJSON_Delete(root);
		return fail(err, errsize,
			    "We could not parse the JSON body of your request");
	}
	model = get(root, "model");
	if (path_model)
		chat->model = fl_xstrdup(path_model);
	else if (cJSON_IsString(model))
		chat->model = fl_xstrdup(model->valuestring);
	else {
		cJSON_Delete(root);
		return fail(err, errsize, "model: Field required");
	}
	switch (provider) {
	case FL_OPENAI:
		rc = parse_openai(chat, root, err, errsize);
		break;
	case FL_ANTHROPIC:
		rc = parse_anthropic(chat, root, err, errsize);
		break;
	case FL_GEMINI:
		rc = parse_gemini(chat, root, err, errsize);
		chat->stream = stream_path;
		chat->gemini_sse = sse;
		break;
	default:
		rc = parse_ollama(chat, root, err, errsize);
	}
	cJSON_Delete(root);
	return rc;
}

struct error_shape {
	int status;
	const char *type;    /* OpenAI/Anthropic type, Gemini status */
	const char *code;    /* OpenAI code or NULL */
	const char *message; /* default message */
};

static struct error_shape openai_error(enum fl_error_kind kind)
{
	switch (kind) {
	case FL_ERR_BAD_REQUEST:
		return (struct error_shape){ 400, "invalid_request_error", NULL,
					     "Invalid request" };
	case FL_ERR_AUTH:
		return (struct error_shape){ 401, "invalid_request_error",
					     "invalid_api_key",
					     "Incorrect API key provided" };
	case FL_ERR_RATE_LIMIT:
		return (struct error_shape){ 429, "requests",
					     "rate_limit_exceeded",
					     "Rate limit reached" };
	case FL_ERR_QUOTA:
		return (struct error_shape){
			429, "insufficient_quota", "insufficient_quota",
			"You exceeded your current quota, please check your "
			"plan and billing details."
		};
	case FL_ERR_SERVER:
		return (struct error_shape){
			500, "server_error", NULL,
			"The server had an error while processing your "
			"request. Sorry about that!"
		};
	case FL_ERR_OVERLOADED:
		return (struct error_shape){
			503, "server_error", NULL,
			"The engine is currently overloaded, please try again "
			"later"
		};
	default:
		return (struct error_shape){ 413, "invalid_request_error", NULL,
					     "Request too large" };
	}
}

static struct error_shape anthropic_error(enum fl_error_kind kind)
{
	switch (kind) {
	case FL_ERR_BAD_REQUEST:
		return (struct error_shape){ 400, "invalid_request_error", NULL,
					     "Invalid request" };
	case FL_ERR_AUTH:
		return (struct error_shape){ 401, "authentication_error", NULL,
					     "invalid x-api-key" };
	case FL_ERR_RATE_LIMIT:
		return (struct error_shape){
			429, "rate_limit_error", NULL,
			"Number of requests has exceeded your rate limit"
		};
	case FL_ERR_QUOTA:
		return (struct error_shape){
			402, "billing_error", NULL,
			"Your credit balance is too low to access the "
			"Anthropic API."
		};
	case FL_ERR_SERVER:
		return (struct error_shape){ 500, "api_error", NULL,
					     "Internal server error" };
	case FL_ERR_OVERLOADED:
		return (struct error_shape){ 529, "overloaded_error", NULL,
					     "Overloaded" };
	default:
		return (struct error_shape){ 413, "request_too_large", NULL,
					     "Request exceeds the maximum "
					     "allowed number of bytes." };
	}
}

static struct error_shape gemini_error(enum fl_error_kind kind)
{
	switch (kind) {
	case FL_ERR_BAD_REQUEST:
		return (struct error_shape){ 400, "INVALID_ARGUMENT", NULL,
					     "Invalid JSON payload received." };
	case FL_ERR_AUTH:
		return (struct error_shape){ 401, "UNAUTHENTICATED", NULL,
					     "API key not valid." };
	case FL_ERR_RATE_LIMIT:
		return (struct error_shape){
			429, "RESOURCE_EXHAUSTED", NULL,
			"Resource has been exhausted (e.g. check quota)."
		};
	case FL_ERR_QUOTA:
		return (struct error_shape){
			429, "RESOURCE_EXHAUSTED", NULL,
			"You exceeded your current quota, please check your "
			"plan and billing details."
		};
	case FL_ERR_SERVER:
		return (struct error_shape){
			500, "INTERNAL", NULL,
			"An internal error has occurred. Please retry."
		};
	case FL_ERR_OVERLOADED:
		return (struct error_shape){
			503, "UNAVAILABLE", NULL,
			"The model is overloaded. Please try again later."
		};
	default:
		return (struct error_shape){ 413, "INVALID_ARGUMENT", NULL,
					     "Request payload size exceeds "
					     "the limit." };
	}
}

static struct error_shape ollama_error(enum fl_error_kind kind)
{
	switch (kind) {
	case FL_ERR_BAD_REQUEST:
		return (struct error_shape){ 400, NULL, NULL,
					     "invalid request" };
	case FL_ERR_AUTH:
		return (struct error_shape){ 401, NULL, NULL, "unauthorized" };
	case FL_ERR_RATE_LIMIT:
		return (struct error_shape){ 429, NULL, NULL,
					     "too many requests" };
	case FL_ERR_QUOTA:
		return (struct error_shape){ 429, NULL, NULL,
					     "you have reached your usage "
					     "limit" };
	case FL_ERR_SERVER:
		return (struct error_shape){
			500, NULL, NULL,
			"the model failed to generate a response"
		};
	case FL_ERR_OVERLOADED:
		return (struct error_shape){
			503, NULL, NULL,
			"server busy, please try again.  maximum pending "
			"requests exceeded"
		};
	default:
		return (struct error_shape){ 413, NULL, NULL,
					     "request body too large" };
	}
}

static void gemini_details(struct fl_buf *b, enum fl_error_kind kind,
			   double retry_after_s)
{
	if (kind != FL_ERR_RATE_LIMIT && kind != FL_ERR_QUOTA)
		return;
	fl_buf_adds(b, ",\"details\":[");
	if (kind == FL_ERR_QUOTA)
		fl_buf_adds(b, "{\"@type\":\"type.googleapis.com/"
			       "google.rpc.QuotaFailure\",\"violations\":[{"
			       "\"quotaMetric\":\"generativelanguage."
			       "googleapis.com/"
			       "generate_content_free_tier_requests\","
			       "\"quotaId\":\"GenerateRequestsPerDayPer"
			       "ProjectPerModel-FreeTier\"}]},");
	fl_buf_addf(b,
		    "{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
		    "\"retryDelay\":\"%gs\"}]",
		    retry_after_s);
}

/* Fills r with an error reply; see fakellm.h. */
void fl_wire_error(struct fl_response *r, enum fl_provider provider,
		   enum fl_error_kind kind, const char *message,
		   double retry_after_s, const char *request_id)
{
	struct fl_buf *b = &r->body;
	struct error_shape e;
	const char *msg;

	switch (provider) {
	case FL_OPENAI:
		e = openai_error(kind);
		break;
	case FL_ANTHROPIC:
		e = anthropic_error(kind);
		break;
	case FL_GEMINI:
		e = gemini_error(kind);
		break;
	default:
		e = ollama_error(kind);
	}
	msg = message ? message : e.message;
	r->status = e.status;
	r->content_type = "application/json";
	switch (provider) {
	case FL_OPENAI:
		fl_buf_adds(b, "{\"error\":{\"message\":");
		fl_buf_add_json(b, msg, strlen(msg));
		fl_buf_addf(
			b, ",\"type\":\"%s\",\"param\":null,\"code\":", e.type);
		if (e.code)
			fl_buf_addf(b, "\"%s\"}}", e.code);
		else
			fl_buf_adds(b, "null}}");
		break;
	case FL_ANTHROPIC:
		fl_buf_addf(b,
			    "{\"type\":\"error\",\"error\":{\"type\":\"%s\","
			    "\"message\":",
			    e.type);
		fl_buf_add_json(b, msg, strlen(msg));
		fl_buf_addf(b, "},\"request_id\":\"req_%s\"}", request_id);
		break;
	case FL_GEMINI:
		fl_buf_addf(b,
			    "{\"error\":{\"code\":%d,\"message\":", e.status);
		fl_buf_add_json(b, msg, strlen(msg));
		fl_buf_addf(b, ",\"status\":\"%s\"", e.type);
		gemini_details(b, kind, retry_after_s);
		fl_buf_adds(b, "}}");
		break;
	default:
		fl_buf_adds(b, "{\"error\":");
		fl_buf_add_json(b, msg, strlen(msg));
		fl_buf_addc(b, '}');
	}
}

/*
 * Returns where the stream piece starting at pos ends: after the first
 * space past PIECE_BYTES, or at a UTF-8 boundary near PIECE_MAX.
 */
static size_t piece_end(const char *s, size_t len, size_t pos)
{
	size_t i = pos + PIECE_BYTES;

	if (i >= len)
		return len;
	for (; i < len && i < pos + PIECE_MAX; i++)
		if (s[i] == ' ' || s[i] == '\n')
			return i + 1;
	while (i > pos + 1 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

struct usage {
	unsigned long prompt;
	unsigned long completion;
};

static struct usage count_tokens(const struct fl_chat *chat, size_t len)
{
	struct usage u;

	u.prompt = chat->message_bytes / 4;
	u.completion = len / 4;
	if (!u.prompt)
		u.prompt = 1;
	if (!u.completion)
		u.completion = 1;
	return u;
}

static void openai_usage(struct fl_buf *b, struct usage u)
{
	fl_buf_addf(b,
		    "\"usage\":{\"prompt_tokens\":%lu,\"completion_tokens\":"
		    "%lu,\"total_tokens\":%lu,\"prompt_tokens_details\":{"
		    "\"cached_tokens\":0,\"audio_tokens\":0},"
		    "\"completion_tokens_details\":{\"reasoning_tokens\":0,"
		    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
		    "\"rejected_prediction_tokens\":0}}",
		    u.prompt, u.completion, u.prompt + u.completion);
}

static void openai_chunk_head(struct fl_buf *b, const struct fl_chat *chat,
			      const char *id)
{
	fl_buf_addf(b,
		    "data: {\"id\":\"chatcmpl-%s\",\"object\":\"chat."
		    "completion.chunk\",\"created\":%d,\"model\":",
		    id, CREATED_UNIX);
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_adds(b, ",\"system_fingerprint\":\"fp_fakellm\",");
}

static void openai_chunk_tail(struct fl_response *r, const struct fl_chat *chat)
{
	if (chat->include_usage)
		fl_buf_adds(&r->body, ",\"usage\":null");
	fl_buf_adds(&r->body, "}\n\n");
	fl_response_end_segment(r);
}

static void openai_stream(struct fl_response *r, const struct fl_chat *chat,
			  const char *answer, size_t len, const char *id)
{
	struct fl_buf *b = &r->body;
	size_t pos = 0;

	openai_chunk_head(b, chat, id);
	fl_buf_adds(b, "\"choices\":[{\"index\":0,\"delta\":{\"role\":"
		       "\"assistant\",\"content\":\"\",\"refusal\":null},"
		       "\"logprobs\":null,\"finish_reason\":null}]");
	openai_chunk_tail(r, chat);
	while (pos < len) {
		size_t end = piece_end(answer, len, pos);

		openai_chunk_head(b, chat, id);
		fl_buf_adds(b, "\"choices\":[{\"index\":0,\"delta\":{"
			       "\"content\":");
		fl_buf_add_json(b, answer + pos, end - pos);
		fl_buf_adds(b, "},\"logprobs\":null,\"finish_reason\":null}]");
		openai_chunk_tail(r, chat);
		pos = end;
	}
	openai_chunk_head(b, chat, id);
	fl_buf_adds(b, "\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":"
		       "null,\"finish_reason\":\"stop\"}]");
	openai_chunk_tail(r, chat);
	if (chat->include_usage) {
		openai_chunk_head(b, chat, id);
		fl_buf_adds(b, "\"choices\":[],");
		openai_usage(b, count_tokens(chat, len));
		fl_buf_adds(b, "}\n\n");
		fl_response_end_segment(r);
	}
	fl_buf_adds(b, "data: [DONE]\n\n");
	fl_response_end_segment(r);
}

static void openai_success(struct fl_response *r, const struct fl_chat *chat,
			   const char *answer, size_t len, const char *id)
{
	struct fl_buf *b = &r->body;

	if (chat->stream) {
		r->content_type = "text/event-stream; charset=utf-8";
		openai_stream(r, chat, answer, len, id);
		return;
	}
	fl_buf_addf(b,
		    "{\"id\":\"chatcmpl-%s\",\"object\":\"chat.completion\","
		    "\"created\":%d,\"model\":",
		    id, CREATED_UNIX);
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_adds(b, ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
		       "\"assistant\",\"content\":");
	fl_buf_add_json(b, answer, len);
	fl_buf_adds(b, ",\"refusal\":null,\"annotations\":[]},\"logprobs\":"
		       "null,\"finish_reason\":\"stop\"}],");
	openai_usage(b, count_tokens(chat, len));
	fl_buf_adds(b, ",\"service_tier\":\"default\",\"system_fingerprint\":"
		       "\"fp_fakellm\"}");
}

static void anthropic_event(struct fl_response *r, const char *name)
{
	fl_buf_addf(&r->body, "event: %s\ndata: ", name);
}

static void anthropic_stream(struct fl_response *r, const struct fl_chat *chat,
			     const char *answer, size_t len, const char *id)
{
	struct fl_buf *b = &r->body;
	struct usage u = count_tokens(chat, len);
	size_t pos = 0;

	anthropic_event(r, "message_start");
	fl_buf_addf(
		b,
		"{\"type\":\"message_start\",\"message\":{\"id\":\"msg_%s\","
		"\"type\":\"message\",\"role\":\"assistant\",\"model\":",
		id);
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_addf(b,
		    ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":"
		    "null,\"usage\":{\"input_tokens\":%lu,\"output_tokens\":"
		    "1}}}\n\n",
		    u.prompt);
	fl_response_end_segment(r);
	anthropic_event(r, "content_block_start");
	fl_buf_adds(b, "{\"type\":\"content_block_start\",\"index\":0,"
		       "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"
		       "\n\n");
	fl_response_end_segment(r);
	anthropic_event(r, "ping");
	fl_buf_adds(b, "{\"type\":\"ping\"}\n\n");
	fl_response_end_segment(r);
	while (pos < len) {
		size_t end = piece_end(answer, len, pos);

		anthropic_event(r, "content_block_delta");
		fl_buf_adds(b, "{\"type\":\"content_block_delta\",\"index\":0,"
			       "\"delta\":{\"type\":\"text_delta\",\"text\":");
		fl_buf_add_json(b, answer + pos, end - pos);
		fl_buf_adds(b, "}}\n\n");
		fl_response_end_segment(r);
		pos = end;
	}
	anthropic_event(r, "content_block_stop");
	fl_buf_adds(b, "{\"type\":\"content_block_stop\",\"index\":0}\n\n");
	fl_response_end_segment(r);
	anthropic_event(r, "message_delta");
	fl_buf_addf(b,
		    "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
		    "\"end_turn\",\"stop_sequence\":null},\"usage\":{"
		    "\"output_tokens\":%lu}}\n\n",
		    u.completion);
	fl_response_end_segment(r);
	anthropic_event(r, "message_stop");
	fl_buf_adds(b, "{\"type\":\"message_stop\"}\n\n");
	fl_response_end_segment(r);
}

static void anthropic_success(struct fl_response *r, const struct fl_chat *chat,
			      const char *answer, size_t len, const char *id)
{
	struct fl_buf *b = &r->body;
	struct usage u = count_tokens(chat, len);

	if (chat->stream) {
		r->content_type = "text/event-stream; charset=utf-8";
		anthropic_stream(r, chat, answer, len, id);
		return;
	}
	fl_buf_addf(b,
		    "{\"id\":\"msg_%s\",\"type\":\"message\",\"role\":"
		    "\"assistant\",\"model\":",
		    id);
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_adds(b, ",\"content\":[{\"type\":\"text\",\"text\":");
	fl_buf_add_json(b, answer, len);
	fl_buf_addf(b,
		    "}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
		    "\"usage\":{\"input_tokens\":%lu,\"output_tokens\":%lu,"
		    "\"cache_creation_input_tokens\":0,"
		    "\"cache_read_input_tokens\":0,\"service_tier\":"
		    "\"standard\"}}",
		    u.prompt, u.completion);
}

/* Writes one GenerateContentResponse; final adds finishReason and usage. */
static void gemini_object(struct fl_buf *b, const struct fl_chat *chat,
			  const char *text, size_t len, struct usage u,
			  int final, const char *id)
{
	fl_buf_adds(b, "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":");
	fl_buf_add_json(b, text, len);
	fl_buf_adds(b, "}],\"role\":\"model\"},");
	if (final)
		fl_buf_adds(b, "\"finishReason\":\"STOP\",");
	fl_buf_addf(b,
		    "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":"
		    "%lu,",
		    u.prompt);
	if (final)
		fl_buf_addf(b,
			    "\"candidatesTokenCount\":%lu,\"totalTokenCount\":"
			    "%lu,",
			    u.completion, u.prompt + u.completion);
	else
		fl_buf_addf(b, "\"totalTokenCount\":%lu,", u.prompt);
	fl_buf_addf(b,
		    "\"promptTokensDetails\":[{\"modality\":\"TEXT\","
		    "\"tokenCount\":%lu}]},\"modelVersion\":",
		    u.prompt);
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_addf(b, ",\"responseId\":\"%s\"}", id);
}

/*
 * Gemini streams with ?alt=sse as "data: {...}\r\n\r\n" events, with the
 * CRLF framing Google's servers use; without it as one JSON array.
 */
static void gemini_stream(struct fl_response *r, const struct fl_chat *chat,
			  const char *answer, size_t len, const char *id)
{
	struct usage u = count_tokens(chat, len);
	size_t pos = 0, n = 0;

	do {
		size_t end = piece_end(answer, len, pos);

		if (chat->gemini_sse)
			fl_buf_adds(&r->body, "data: ");
		else
			fl_buf_adds(&r->body, n ? ",\r\n" : "[");
		gemini_object(&r->body, chat, answer + pos, end - pos, u,
			      end == len, id);
		if (chat->gemini_sse)
			fl_buf_adds(&r->body, "\r\n\r\n");
		else if (end == len)
			fl_buf_adds(&r->body, "]");
		fl_response_end_segment(r);
		pos = end;
		n++;
	} while (pos < len);
}

static void gemini_success(struct fl_response *r, const struct fl_chat *chat,
			   const char *answer, size_t len, const char *id)
{
	if (chat->stream) {
		r->content_type = chat->gemini_sse
					  ? "text/event-stream"
					  : "application/json; charset=UTF-8";
		gemini_stream(r, chat, answer, len, id);
		return;
	}
	r->content_type = "application/json; charset=UTF-8";
	gemini_object(&r->body, chat, answer, len, count_tokens(chat, len), 1,
		      id);
}

static void ollama_line(struct fl_buf *b, const struct fl_chat *chat,
			const char *text, size_t len)
{
	fl_buf_adds(b, "{\"model\":");
	fl_buf_add_json(b, chat->model, strlen(chat->model));
	fl_buf_adds(b, ",\"created_at\":\"" CREATED_AT "\",\"message\":{"
		       "\"role\":\"assistant\",\"content\":");
	fl_buf_add_json(b, text, len);
	fl_buf_adds(b, "},");
}

/* The done line's usage, with durations in nanoseconds as Ollama has. */
static void ollama_done(struct fl_buf *b, struct usage u)
{
	unsigned long long prompt_ns = u.prompt * 100000ULL;
	unsigned long long eval_ns = u.completion * 10000000ULL;

	fl_buf_addf(b,
		    "\"done\":true,\"done_reason\":\"stop\",\"total_duration\""
		    ":%llu,\"load_duration\":1000000,\"prompt_eval_count\":%lu,"
		    "\"prompt_eval_duration\":%llu,\"eval_count\":%lu,"
		    "\"eval_duration\":%llu}",
		    prompt_ns + eval_ns + 1000000ULL, u.prompt, prompt_ns,
		    u.completion, eval_ns);
}

static void ollama_success(struct fl_response *r, const struct fl_chat *chat,
			   const char *answer, size_t len)
{
	struct usage u = count_tokens(chat, len);
	size_t pos = 0;

	if (!chat->stream) {
		r->content_type = "application/json; charset=utf-8";
		ollama_line(&r->body, chat, answer, len);
		ollama_done(&r->body, u);
		return;
	}
	r->content_type = "application/x-ndjson";
	while (pos < len) {
		size_t end = piece_end(answer, len, pos);

		ollama_line(&r->body, chat, answer + pos, end - pos);
		fl_buf_adds(&r->body, "\"done\":false}\n");
		fl_response_end_segment(r);
		pos = end;
	}
	ollama_line(&r->body, chat, "", 0);
	ollama_done(&r->body, u);
	fl_buf_addc(&r->body, '\n');
	fl_response_end_segment(r);
}

/* Fills r with a success reply; see fakellm.h. */
void fl_wire_success(struct fl_response *r, const struct fl_chat *chat,
		     const char *answer, size_t answer_len, const char *id)
{
	r->status = 200;
	r->content_type = "application/json";
	r->chunked = chat->stream;
	switch (chat->provider) {
	case FL_OPENAI:
		openai_success(r, chat, answer, answer_len, id);
		break;
	case FL_ANTHROPIC:
		anthropic_success(r, chat, answer, answer_len, id);
		break;
	case FL_GEMINI:
		gemini_success(r, chat, answer, answer_len, id);
		break;
	default:
		ollama_success(r, chat, answer, answer_len);
	}
}
