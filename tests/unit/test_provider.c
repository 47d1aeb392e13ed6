/*
 * Unit tests for provider.c: the exact request of every kind (URL, headers,
 * body), base URL forms, the GitHub organization endpoint (--org), build
 * errors, and tables of response bodies per
 * kind (plain and streamed answers, LF, CRLF and CR framing, every
 * truncation of a stream, bad bodies, and error bodies with their retry
 * class, refusals, answers cut short, daily limits), where a stream's
 * first text ends, the content type of a body that is not JSON, what each
 * API refuses or leaves out (stop sequences, temperatures, a prompt of
 * system messages only), plus the model-name guesses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "harness/core/buf.h"
#include "harness/core/diag.h"
#include "harness/core/json.h"
#include "harness/core/node.h"
#include "harness/providers/provider.h"
#include "harness/core/util.h"

/* The providers these tests name, defined in harness/providers/. */
extern const struct pe_provider_ops pe_openai_ops;
extern const struct pe_provider_ops pe_github_ops;
extern const struct pe_provider_ops pe_anthropic_ops;
extern const struct pe_provider_ops pe_gemini_ops;
extern const struct pe_provider_ops pe_ollama_ops;
extern const struct pe_provider_ops pe_exec_ops;
extern const struct pe_provider_ops pe_echo_ops;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

static const char secret_key[] = "sk-SECRET-4711";

static const char schema_text[] =
	"{\"name\": \"verdict\", \"strict\": true, \"schema\": "
	"{\"type\": \"object\", \"properties\": {\"ok\": {\"type\": "
	"\"boolean\"}}, \"required\": [\"ok\"]}}";

/* System and user text with quotes, newline, tab, backslash, non-ASCII
 * (a check mark and an e acute) and two control characters. */
static const struct pe_chat_message small_messages[] = {
	{ PE_ROLE_SYSTEM, "You are \"terse\".\nNo emoji \xe2\x9c\x93" },
	{ PE_ROLE_USER, "Caf\xc3\xa9 \\ tab\there\x01\x7f" },
};

static char *small_stop[] = { "END", "\n\n" };

static void small_request(struct pe_params *p, struct pe_chat_request *req,
			  int stream)
{
	memset(p, 0, sizeof(*p));
	p->set = PE_PARAM_TEMPERATURE | PE_PARAM_MAX_TOKENS | PE_PARAM_STOP |
		 PE_PARAM_SEED;
	p->temperature = 0.7;
	p->max_tokens = 300;
	p->stop = small_stop;
	p->nstop = ARRAY_SIZE(small_stop);
	p->seed = 42;
	memset(req, 0, sizeof(*req));
	req->model = "m-1";
	req->messages = small_messages;
	req->nmessages = ARRAY_SIZE(small_messages);
	req->params = p;
	req->response_format = PE_RESPONSE_JSON_SCHEMA;
	req->json_schema = schema_text;
	req->stream = stream;
}

/* The messages as the OpenAI-style APIs spell them. */
#define CHAT_MESSAGES                                                          \
	"\"messages\":[{\"role\":\"system\",\"content\":\"You are "            \
	"\\\"terse\\\".\\nNo emoji \xe2\x9c\x93\"},{\"role\":\"user\","        \
	"\"content\":\"Caf\xc3\xa9 \\\\ tab\\there\\u0001\\u007f\"}]"
#define USER_TEXT   "\"Caf\xc3\xa9 \\\\ tab\\there\\u0001\\u007f\""
#define SYSTEM_TEXT "\"You are \\\"terse\\\".\\nNo emoji \xe2\x9c\x93\""
#define SCHEMA                                                                 \
	"{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":"               \
	"\"boolean\"}},\"required\":[\"ok\"]}"
#define OPENAI_TAIL                                                            \
	"\"temperature\":0.7,\"max_tokens\":300,\"seed\":42,\"stop\":["        \
	"\"END\","                                                             \
	"\"\\n\\n\"],\"response_format\":{\"type\":\"json_schema\","           \
	"\"json_schema\":{\"name\":\"verdict\",\"strict\":true,"               \
	"\"schema\":" SCHEMA "}}"
#define GEMINI_BODY                                                            \
	"{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":" USER_TEXT    \
	"}]}],\"systemInstruction\":{\"parts\":[{\"text\":" SYSTEM_TEXT        \
	"}]},\"generationConfig\":{\"temperature\":0.7,\"maxOutputTokens\":"   \
	"300,\"stopSequences\":[\"END\",\"\\n\\n\"],\"seed\":42,"              \
	"\"responseMimeType\":\"application/"                                  \
	"json\",\"responseJsonSchema\":" SCHEMA "}}"
#define OLLAMA_OPTIONS                                                         \
	"\"format\":" SCHEMA ",\"options\":{\"temperature\":0.7,"              \
	"\"num_predict\":300,\"seed\":42,\"stop\":[\"END\",\"\\n\\n\"]}}"

struct build_case {
	const char *kind;
	int stream;
	const char *url;
	const char *headers; /* joined with '|' */
	const char *body;
};

static const struct build_case build_cases[] = {
	{ "openai", 0, "https://api.openai.com/v1/chat/completions",
	  "Content-Type: application/json|Authorization: Bearer KEY",
	  "{\"model\":\"m-1\"," CHAT_MESSAGES "," OPENAI_TAIL "}" },
	{ "openai", 1, "https://api.openai.com/v1/chat/completions",
	  "Content-Type: application/json|Authorization: Bearer KEY",
	  "{\"model\":\"m-1\"," CHAT_MESSAGES "," OPENAI_TAIL
	  ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}" },
	{ "github", 0, "https://models.github.ai/inference/chat/completions",
	  "Content-Type: application/json|Authorization: Bearer KEY",
	  "{\"model\":\"m-1\"," CHAT_MESSAGES "," OPENAI_TAIL "}" },
	{ "anthropic", 0, "https://api.anthropic.com/v1/messages",
	  "content-type: application/json|anthropic-version: "
	  "2023-06-01|x-api-key: KEY",
	  "{\"model\":\"m-1\",\"system\":" SYSTEM_TEXT ",\"messages\":[{"
	  "\"role\":\"user\",\"content\":" USER_TEXT "}],\"max_tokens\":300,"
	  "\"temperature\":0.7,\"stop_sequences\":[\"END\",\"\\n\\n\"],"
	  "\"output_config\":{\"format\":{\"type\":\"json_schema\","
	  "\"schema\":" SCHEMA "}}}" },
	{ "anthropic", 1, "https://api.anthropic.com/v1/messages",
	  "content-type: application/json|anthropic-version: "
	  "2023-06-01|x-api-key: KEY",
	  "{\"model\":\"m-1\",\"system\":" SYSTEM_TEXT ",\"messages\":[{"
	  "\"role\":\"user\",\"content\":" USER_TEXT "}],\"max_tokens\":300,"
	  "\"temperature\":0.7,\"stop_sequences\":[\"END\",\"\\n\\n\"],"
	  "\"output_config\":{\"format\":{\"type\":\"json_schema\","
	  "\"schema\":" SCHEMA "}},\"stream\":true}" },
	{ "gemini", 0,
	  "https://generativelanguage.googleapis.com/v1beta/models/"
	  "m-1:generateContent",
	  "Content-Type: application/json|x-goog-api-key: KEY", GEMINI_BODY },
	{ "gemini", 1,
	  "https://generativelanguage.googleapis.com/v1beta/models/"
	  "m-1:streamGenerateContent?alt=sse",
	  "Content-Type: application/json|x-goog-api-key: KEY", GEMINI_BODY },
	{ "ollama", 0, "http://127.0.0.1:11434/api/chat",
	  "Content-Type: application/json|Authorization: Bearer KEY",
	  "{\"model\":\"m-1\"," CHAT_MESSAGES
	  ",\"stream\":false," OLLAMA_OPTIONS },
	{ "ollama", 1, "http://127.0.0.1:11434/api/chat",
	  "Content-Type: application/json|Authorization: Bearer KEY",
	  "{\"model\":\"m-1\"," CHAT_MESSAGES
	  ",\"stream\":true," OLLAMA_OPTIONS },
};

static char *join_headers(const struct pe_strlist *h)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (size_t i = 0; i < h->len; i++) {
		if (i)
			pe_buf_addc(&b, '|');
		pe_buf_adds(&b, h->items[i]);
	}
	return pe_buf_detach(&b, NULL);
}

static const struct pe_provider_ops *kind_of(const char *name)
{
	const struct pe_provider_ops *ops = pe_provider_find(name);

	assert_non_null(ops);
	return ops;
}

static void assert_valid_json(const char *text, size_t len)
{
	struct pe_doc *doc = pe_doc_new("body", NULL, 0);
	struct pe_diag *diag = pe_diag_new();
	struct pe_mark m = { "body", 1, 1 };

	assert_non_null(pe_json_parse(doc, text, len, &m, diag));
	pe_diag_free(diag);
	pe_doc_free(doc);
}

static void test_build(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(build_cases); i++) {
		const struct build_case *c = &build_cases[i];
		struct pe_params p;
		struct pe_chat_request req;
		struct pe_http_request out, again;
		char err[200] = "";
		char *headers;

		small_request(&p, &req, c->stream);
		assert_int_equal(pe_provider_build(kind_of(c->kind), NULL,
						   "KEY", NULL, &req, &out, err,
						   sizeof(err)),
				 0);
		assert_string_equal(out.url, c->url);
		headers = join_headers(&out.headers);
		assert_string_equal(headers, c->headers);
		assert_string_equal(out.body, c->body);
		assert_int_equal(out.body_len, strlen(c->body));
		assert_valid_json(out.body, out.body_len);
		/* Deterministic: the cache key hashes these bytes. */
		assert_int_equal(pe_provider_build(kind_of(c->kind), NULL,
						   "KEY", NULL, &req, &again,
						   err, sizeof(err)),
				 0);
		assert_string_equal(again.body, out.body);
		free(headers);
		pe_http_request_release(&again);
		pe_http_request_release(&out);
		assert_null(out.url);
		assert_null(out.body);
	}
}

/* The key goes into one header and nowhere else. */
static void test_key_only_in_header(void **state)
{
	static const char *const names[] = { "openai", "github", "anthropic",
					     "gemini", "ollama" };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct pe_params p;
		struct pe_chat_request req;
		struct pe_http_request out;
		char err[200];
		size_t found = 0;

		small_request(&p, &req, 0);
		assert_int_equal(pe_provider_build(kind_of(names[i]), NULL,
						   secret_key, NULL, &req, &out,
						   err, sizeof(err)),
				 0);
		assert_null(strstr(out.body, secret_key));
		assert_null(strstr(out.url, secret_key));
		for (size_t h = 0; h < out.headers.len; h++)
			found += strstr(out.headers.items[h], secret_key) !=
				 NULL;
		assert_int_equal(found, 1);
		pe_http_request_release(&out);
	}
}

/* Minimal requests: no settings, no key, extra headers, other roles. */
struct minimal_case {
	const char *kind;
	const char *base;
	const char *model;
	enum pe_response_format format;
	const char *url;
	const char *headers;
	const char *body;
};

static const struct minimal_case minimal_cases[] = {
	{ "openai", "http://localhost:8000/v1/", "o3-mini",
	  PE_RESPONSE_JSON_OBJECT, "http://localhost:8000/v1/chat/completions",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"o3-mini\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"max_completion_tokens\":5,\"response_format\":{\"type\":"
	  "\"json_object\"}}" },
	{ "github", NULL, "openai/gpt-5-mini", PE_RESPONSE_TEXT,
	  "https://models.github.ai/inference/chat/completions",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"openai/gpt-5-mini\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"max_completion_tokens\":5}" },
	{ "anthropic", "http://127.0.0.1:9/", "claude-x", PE_RESPONSE_UNSET,
	  "http://127.0.0.1:9/v1/messages",
	  "content-type: application/json|anthropic-version: "
	  "2023-06-01|X-Trace: 1",
	  "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"max_tokens\":5}" },
	{ "gemini", NULL, "models/gemini-2.5-flash", PE_RESPONSE_JSON_OBJECT,
	  "https://generativelanguage.googleapis.com/v1beta/models/"
	  "gemini-2.5-flash:generateContent",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},"
	  "{\"role\":\"model\",\"parts\":[{\"text\":\"a\"}]}],"
	  "\"generationConfig\":{\"maxOutputTokens\":5,\"responseMimeType\":"
	  "\"application/json\"}}" },
	{ "gemini", "https://proxy.example/g", "we ird/x", PE_RESPONSE_UNSET,
	  "https://proxy.example/g/v1beta/models/we%20ird%2Fx:generateContent",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"q\"}]},"
	  "{\"role\":\"model\",\"parts\":[{\"text\":\"a\"}]}],"
	  "\"generationConfig\":{\"maxOutputTokens\":5}}" },
	{ "ollama", "127.0.0.1:11434", "llama3.2", PE_RESPONSE_JSON_OBJECT,
	  "http://127.0.0.1:11434/api/chat",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"stream\":false,\"format\":\"json\",\"options\":{\"num_predict\":"
	  "5}}" },
	{ "ollama", "gpu-box", "llama3.2", PE_RESPONSE_UNSET,
	  "http://gpu-box:11434/api/chat",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"stream\":false,\"options\":{\"num_predict\":5}}" },
	{ "ollama", "[::1]:8080/", "llama3.2", PE_RESPONSE_UNSET,
	  "http://[::1]:8080/api/chat",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"llama3.2\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"stream\":false,\"options\":{\"num_predict\":5}}" },
	{ "ollama", "https://ollama.com", "gpt-oss:120b", PE_RESPONSE_UNSET,
	  "https://ollama.com/api/chat",
	  "Content-Type: application/json|X-Trace: 1",
	  "{\"model\":\"gpt-oss:120b\",\"messages\":[{\"role\":\"user\","
	  "\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"a\"}],"
	  "\"stream\":false,\"options\":{\"num_predict\":5}}" },
};

static void test_build_minimal(void **state)
{
	static const struct pe_chat_message msgs[] = {
		{ PE_ROLE_USER, "q" },
		{ PE_ROLE_ASSISTANT, "a" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(minimal_cases); i++) {
		const struct minimal_case *c = &minimal_cases[i];
		struct pe_params p = { 0 };
		struct pe_chat_request req = { 0 };
		struct pe_strlist extra;
		struct pe_http_request out;
		char err[200];
		char *headers;

		p.set = PE_PARAM_MAX_TOKENS;
		p.max_tokens = 5;
		req.model = c->model;
		req.messages = msgs;
		req.nmessages = ARRAY_SIZE(msgs);
		req.params = &p;
		req.response_format = c->format;
		pe_strlist_init(&extra);
		pe_strlist_push(&extra, "X-Trace: 1");
		assert_int_equal(pe_provider_build(kind_of(c->kind), c->base,
						   NULL, &extra, &req, &out,
						   err, sizeof(err)),
				 0);
		assert_string_equal(out.url, c->url);
		headers = join_headers(&out.headers);
		assert_string_equal(headers, c->headers);
		assert_string_equal(out.body, c->body);
		free(headers);
		pe_strlist_release(&extra);
		pe_http_request_release(&out);
	}
}

/* has_temperature overrides the file; Anthropic defaults max_tokens. */
static void test_build_overrides(void **state)
{
	static const struct pe_chat_message msgs[] = {
		{ PE_ROLE_SYSTEM, "s1" },
		{ PE_ROLE_SYSTEM, "s2" },
		{ PE_ROLE_USER, "q" },
	};
	struct pe_params p = { 0 };
	struct pe_chat_request req = { 0 };
	struct pe_http_request out;
	char err[200];

	(void)state;
	p.set = PE_PARAM_TEMPERATURE | PE_PARAM_TOP_P |
		PE_PARAM_PRESENCE_PENALTY | PE_PARAM_FREQUENCY_PENALTY;
	p.temperature = 0.7;
	p.top_p = 0.9;
	p.presence_penalty = 0.5;
	p.frequency_penalty = -0.25;
	req.model = "claude-x";
	req.messages = msgs;
	req.nmessages = ARRAY_SIZE(msgs);
	req.params = &p;
	req.has_temperature = 1;
	req.temperature = 0;
	assert_int_equal(pe_provider_build(&pe_anthropic_ops, NULL, NULL, NULL,
					   &req, &out, err, sizeof(err)),
			 0);
	assert_string_equal(out.body,
			    "{\"model\":\"claude-x\",\"system\":\"s1\\n\\ns2\","
			    "\"messages\":[{\"role\":\"user\",\"content\":"
			    "\"q\"}],\"max_tokens\":4096,\"temperature\":0,"
			    "\"top_p\":0.9}");
	pe_http_request_release(&out);
	assert_int_equal(pe_provider_build(&pe_openai_ops, NULL, NULL, NULL,
					   &req, &out, err, sizeof(err)),
			 0);
	assert_string_equal(out.body,
			    "{\"model\":\"claude-x\",\"messages\":[{\"role\":"
			    "\"system\",\"content\":\"s1\"},{\"role\":"
			    "\"system\",\"content\":\"s2\"},{\"role\":"
			    "\"user\",\"content\":\"q\"}],\"temperature\":0,"
			    "\"top_p\":0.9,\"presence_penalty\":0.5,"
			    "\"frequency_penalty\":-0.25}");
	pe_http_request_release(&out);
	assert_int_equal(pe_provider_build(&pe_gemini_ops, NULL, NULL, NULL,
					   &req, &out, err, sizeof(err)),
			 0);
	assert_string_equal(out.body,
			    "{\"contents\":[{\"role\":\"user\",\"parts\":[{"
			    "\"text\":\"q\"}]}],\"systemInstruction\":{"
			    "\"parts\":[{\"text\":\"s1\"},{\"text\":\"s2\"}]},"
			    "\"generationConfig\":{\"temperature\":0,"
			    "\"topP\":0.9,\"presencePenalty\":0.5,"
			    "\"frequencyPenalty\":-0.25}}");
	pe_http_request_release(&out);
}

/*
 * --org: GitHub Models requests go to /orgs/ORG/inference/chat/completions
 * under the same root, whatever the base; other providers ignore it.
 */
static const struct {
	const struct pe_provider_ops *kind;
	const char *base; /* NULL: the default */
	const char *org;
	const char *url;
} org_cases[] = {
	{ &pe_github_ops, NULL, NULL,
	  "https://models.github.ai/inference/chat/completions" },
	{ &pe_github_ops, NULL, "my-org",
	  "https://models.github.ai/orgs/my-org/inference/chat/completions" },
	{ &pe_github_ops, "https://models.github.ai/inference/", "a.b_c",
	  "https://models.github.ai/orgs/a.b_c/inference/chat/completions" },
	{ &pe_github_ops, "127.0.0.1:8080/inference", "o",
	  "http://127.0.0.1:8080/orgs/o/inference/chat/completions" },
	{ &pe_github_ops, "https://proxy.example/v1", "o",
	  "https://proxy.example/v1/orgs/o/inference/chat/completions" },
	{ &pe_github_ops, "https://proxy.example/inference", NULL,
	  "https://proxy.example/inference/chat/completions" },
	{ &pe_openai_ops, NULL, "my-org",
	  "https://api.openai.com/v1/chat/completions" },
};

static void test_build_org(void **state)
{
	static const struct pe_chat_message msgs[] = { { PE_ROLE_USER, "q" } };

	(void)state;
	assert_true(pe_github_ops.takes_org);
	assert_false(pe_openai_ops.takes_org);
	for (size_t i = 0; i < ARRAY_SIZE(org_cases); i++) {
		struct pe_params p = { 0 };
		struct pe_chat_request req = { 0 };
		struct pe_http_request out;
		char err[200];

		req.model = "openai/gpt-4o";
		req.messages = msgs;
		req.nmessages = ARRAY_SIZE(msgs);
		req.params = &p;
		req.org = org_cases[i].org;
		assert_int_equal(pe_provider_build(org_cases[i].kind,
						   org_cases[i].base, NULL,
						   NULL, &req, &out, err,
						   sizeof(err)),
				 0);
		assert_string_equal(out.url, org_cases[i].url);
		pe_http_request_release(&out);
	}
}

/* A bare JSON Schema (no gh-models name/schema wrapper) still works. */
static void test_build_bare_schema(void **state)
{
	static const struct pe_chat_message msgs[] = { { PE_ROLE_USER, "q" } };
	static const struct {
		const struct pe_provider_ops *kind;
		const char *body;
	} cases[] = {
		{ &pe_openai_ops,
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
		  "\"content\":\"q\"}],\"response_format\":{\"type\":"
		  "\"json_schema\",\"json_schema\":{\"name\":\"response\","
		  "\"schema\":{\"type\":\"array\",\"items\":{\"type\":"
		  "\"integer\"}}}}}" },
		{ &pe_ollama_ops,
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
		  "\"content\":\"q\"}],\"stream\":false,\"format\":{"
		  "\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}" },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pe_chat_request req = { 0 };
		struct pe_http_request out;
		char err[200];

		req.model = "m";
		req.messages = msgs;
		req.nmessages = 1;
		req.response_format = PE_RESPONSE_JSON_SCHEMA;
		req.json_schema = "{ \"type\": \"array\",\n  \"items\": "
				  "{\"type\": \"integer\"} }";
		assert_int_equal(pe_provider_build(cases[i].kind, NULL, NULL,
						   NULL, &req, &out, err,
						   sizeof(err)),
				 0);
		assert_string_equal(out.body, cases[i].body);
		pe_http_request_release(&out);
	}
}

struct build_error_case {
	const char *kind;
	const char *model;
	const char *key;
	const char *schema;
	const char *extra;
	int rc;
	const char *err;
};

static const struct build_error_case build_error_cases[] = {
	{ "exec", "m", NULL, NULL, NULL, PE_ERR_INVALID,
	  "exec has no HTTP request" },
	{ "echo", "m", NULL, NULL, NULL, PE_ERR_INVALID,
	  "echo has no HTTP request" },
	{ "openai", "", NULL, NULL, NULL, PE_ERR_INVALID,
	  "openai needs a model name" },
	{ "openai", "m", "sk-abc\n", NULL, NULL, PE_ERR_INVALID,
	  "the openai API key contains a control character (a trailing "
	  "newline?)" },
	{ "gemini", "m", NULL, "{\"name\":", NULL, PE_ERR_INVALID,
	  "jsonSchema: invalid JSON: unexpected end of input" },
	{ "ollama", "m", NULL, "[1]", NULL, PE_ERR_INVALID,
	  "jsonSchema must be a JSON object" },
	{ "openai", "m", NULL, NULL, "X-Bad: a\r\nX-Evil: b", PE_ERR_INVALID,
	  "extra header 1 is not one 'Name: value' line" },
};

static void test_build_errors(void **state)
{
	static const struct pe_chat_message msgs[] = { { PE_ROLE_USER, "q" } };
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(build_error_cases); i++) {
		const struct build_error_case *c = &build_error_cases[i];
		struct pe_chat_request req = { 0 };
		struct pe_http_request out;
		struct pe_strlist extra;
		char err[200] = "";

		req.model = c->model;
		req.messages = msgs;
		req.nmessages = 1;
		if (c->schema) {
			req.response_format = PE_RESPONSE_JSON_SCHEMA;
			req.json_schema = c->schema;
		}
		pe_strlist_init(&extra);
		if (c->extra)
			pe_strlist_push(&extra, c->extra);
		assert_int_equal(pe_provider_build(kind_of(c->kind), NULL,
						   c->key, &extra, &req, &out,
						   err, sizeof(err)),
				 c->rc);
		assert_string_equal(err, c->err);
		assert_null(out.url);
		assert_null(out.body);
		assert_int_equal(out.headers.len, 0);
		pe_http_request_release(&out);
		pe_strlist_release(&extra);
	}
}

/* ---- Parsing ---- */

struct parse_case {
	const char *name;
	const char *kind;
	long status;
	int streamed;
	const char *body;
	enum pe_reply_class cls;
	const char *output;
	const char *finish_reason; /* NULL: not reported */
	const char *model;
	long tokens_in;
	long tokens_out;
	const char *error; /* NULL on success */
	long retry_after_ms;
	const char *terminator; /* streams: where the last event starts */
};

#define OK_REPLY PE_REPLY_OK
#define RETRY	 PE_REPLY_RETRY
#define QUOTA	 PE_REPLY_QUOTA
#define LIMIT	 PE_REPLY_LIMIT
#define CUT	 PE_REPLY_CUT
#define FATAL	 PE_REPLY_FATAL

static const struct parse_case parse_cases[] = {
	/* OpenAI and GitHub */
	{ "openai plain", "openai", 200, 0,
	  "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":"
	  "1741569952,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":"
	  "0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! "
	  "\\u00e9\\n\\\"x\\\"\",\"refusal\":null,\"annotations\":[]},"
	  "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
	  "\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29},"
	  "\"system_fingerprint\":\"fp_1\"}",
	  OK_REPLY, "Hello! \xc3\xa9\n\"x\"", "stop", "gpt-4o-2024-08-06", 19,
	  10, NULL, -1, NULL },
	{ "openai refusal", "openai", 200, 0,
	  "{\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{"
	  "\"role\":\"assistant\",\"content\":null,\"refusal\":\"I can't\"},"
	  "\"finish_reason\":\"stop\"}]}",
	  OK_REPLY, "I can't", "refusal", "gpt-4o", -1, -1, NULL, -1, NULL },
	{ "openai streamed refusal", "openai", 200, 1,
	  "data: {\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":"
	  "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"\"},"
	  "\"finish_reason\":null}]}\n\n"
	  "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I "
	  "can\"},\"finish_reason\":null}]}\n\n"
	  "data: {\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"'t\"},"
	  "\"finish_reason\":null}]}\n\n"
	  "data: {\"choices\":[{\"index\":0,\"delta\":{},"
	  "\"finish_reason\":\"stop\"}]}\n\n"
	  "data: [DONE]\n\n",
	  OK_REPLY, "I can't", "refusal", "gpt-4o", -1, -1, NULL, -1,
	  "data: [DONE]" },
	{ "openai streamed", "openai", 200, 1,
	  ": keep-alive\n\n"
	  "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
	  "\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{"
	  "\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}],"
	  "\"usage\":null}\n\n"
	  "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{"
	  "\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}"
	  "],\"usage\":null}\n\n"
	  "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{"
	  "\"index\":0,\"delta\":{\"content\":\"lo\\n\\u00e9\"},"
	  "\"finish_reason\":null}],\"usage\":null}\n\n"
	  "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[{"
	  "\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}],"
	  "\"usage\":null}\n\n"
	  "data: {\"id\":\"c1\",\"model\":\"gpt-4o-mini\",\"choices\":[],"
	  "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,"
	  "\"total_tokens\":10}}\n\n"
	  "data: [DONE]\n\n",
	  OK_REPLY, "Hello\n\xc3\xa9", "length", "gpt-4o-mini", 7, 3, NULL, -1,
	  "data: [DONE]" },
	{ "openai streamed, multi-line data", "github", 200, 1,
	  "event: chunk\nid: 1\ndata: {\"model\":\"openai/gpt-4.1\",\n"
	  "data: \"choices\":[{\"delta\":{\"content\":\"A\"}}]}\n\n"
	  "data: {\"choices\":[{\"delta\":{\"content\":\"B\"},"
	  "\"finish_reason\":\"stop\"}]}\n\n"
	  "data: [DONE]",
	  OK_REPLY, "AB", "stop", "openai/gpt-4.1", -1, -1, NULL, -1,
	  "data: [DONE]" },
	{ "openai streamed, error mid-stream", "openai", 200, 1,
	  "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}"
	  "\n\ndata: {\"error\":{\"message\":\"The server had an error\","
	  "\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n",
	  RETRY, "", NULL, NULL, -1, -1,
	  "stream error: The server had an error", -1, NULL },
	{ "openai streamed, garbage event", "openai", 200, 1,
	  "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	  "data: {oops}\n\ndata: [DONE]\n\n",
	  RETRY, "", NULL, NULL, -1, -1, "invalid JSON in stream", -1, NULL },
	{ "openai streamed flag, plain body", "openai", 200, 1,
	  "{\"model\":\"m\",\"choices\":[{\"message\":{\"content\":\"x\"},"
	  "\"finish_reason\":\"stop\"}]}",
	  OK_REPLY, "x", "stop", "m", -1, -1, NULL, -1, NULL },
	{ "openai error in a 200 body", "openai", 200, 0,
	  "{\"error\":{\"message\":\"context too long\",\"type\":"
	  "\"BadRequestError\",\"code\":400}}",
	  FATAL, "", NULL, NULL, -1, -1, "HTTP 200: context too long", -1,
	  NULL },
	{ "openai invalid JSON 200", "openai", 200, 0, "{\"choices\":[", RETRY,
	  "", NULL, NULL, -1, -1, "invalid JSON body", -1, NULL },
	{ "openai empty 200", "openai", 200, 0, "", RETRY, "", NULL, NULL, -1,
	  -1, "invalid JSON body", -1, NULL },
	{ "openai no choices", "openai", 200, 0,
	  "{\"model\":\"gpt-4o\",\"choices\":[]}", RETRY, "", NULL, "gpt-4o",
	  -1, -1, "no answer in response", -1, NULL },
	{ "openai 429 rate limit", "openai", 429, 0,
	  "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in "
	  "organization org-1 on tokens per min (TPM). Please try again in "
	  "20s.\",\"type\":\"requests\",\"param\":null,\"code\":"
	  "\"rate_limit_exceeded\"}}",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 429: Rate limit reached for gpt-4o in organization org-1 on "
	  "tokens per min (TPM). Please try again in 20s.",
	  -1, NULL },
	{ "openai 429 insufficient_quota", "openai", 429, 0,
	  "{\"error\":{\"message\":\"You exceeded your current quota, please "
	  "check your plan and billing details.\",\"type\":"
	  "\"insufficient_quota\",\"param\":null,\"code\":"
	  "\"insufficient_quota\"}}",
	  QUOTA, "", NULL, NULL, -1, -1,
	  "HTTP 429: You exceeded your current quota, please check your plan "
	  "and billing details.",
	  -1, NULL },
	{ "openai 400", "openai", 400, 0,
	  "{\"error\":{\"message\":\"Unsupported parameter: 'max_tokens'\","
	  "\"type\":\"invalid_request_error\",\"param\":\"max_tokens\","
	  "\"code\":\"unsupported_parameter\"}}",
	  FATAL, "", NULL, NULL, -1, -1,
	  "HTTP 400: Unsupported parameter: 'max_tokens'", -1, NULL },
	{ "openai 401", "openai", 401, 0,
	  "{\"error\":{\"message\":\"Incorrect API key provided: "
	  "sk-ab***yz.\",\"type\":\"invalid_request_error\",\"param\":null,"
	  "\"code\":\"invalid_api_key\"}}",
	  FATAL, "", NULL, NULL, -1, -1,
	  "HTTP 401: Incorrect API key provided: sk-ab***yz.", -1, NULL },
	{ "openai 500 insufficient_quota code", "openai", 500, 0,
	  "{\"error\":{\"message\":\"quota\",\"type\":null,\"code\":"
	  "\"insufficient_quota\"}}",
	  QUOTA, "", NULL, NULL, -1, -1, "HTTP 500: quota", -1, NULL },
	{ "502 from a proxy", "openai", 502, 0,
	  "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 502: <html> <head><title>502 Bad Gateway</title></head> "
	  "</html>",
	  -1, NULL },
	{ "501 is final", "openai", 501, 0,
	  "{\"error\":{\"message\":\"not implemented\"}}", FATAL, "", NULL,
	  NULL, -1, -1, "HTTP 501: not implemented", -1, NULL },
	{ "an HTML page where JSON was expected", "openai", 200, 0,
	  "\n<!DOCTYPE html>\n<html><body>Sign in\x1b[2J</body></html>", FATAL,
	  "", NULL, NULL, -1, -1,
	  "HTTP 200: expected JSON, got: <!DOCTYPE html> <html><body>Sign "
	  "in\\x1b[2J</body></html>",
	  -1, NULL },
	{ "500 blank", "openai", 500, 0, " \n ", RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 500", -1, NULL },
	{ "503 empty", "openai", 503, 0, "", RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 503", -1, NULL },
	{ "408", "openai", 408, 0, "", RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 408", -1, NULL },
	{ "409", "openai", 409, 0, "", RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 409", -1, NULL },
	{ "404", "openai", 404, 0, "{\"detail\":\"Not Found\"}", FATAL, "",
	  NULL, NULL, -1, -1, "HTTP 404: Not Found", -1, NULL },
	{ "422", "openai", 422, 0,
	  "{\"object\":\"error\",\"message\":\"bad\",\"code\":422}", FATAL, "",
	  NULL, NULL, -1, -1, "HTTP 422: bad", -1, NULL },
	{ "github 429 per minute", "github", 429, 0,
	  "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit "
	  "of 10 per 60s exceeded for UserByMinute.\"}}",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 429: Rate limit of 10 per 60s exceeded for UserByMinute.", -1,
	  NULL },
	{ "github 429 per day", "github", 429, 0,
	  "{\"error\":{\"code\":\"RateLimitReached\",\"message\":\"Rate limit "
	  "of 50 per 86400s exceeded for UserByDay.\"}}",
	  LIMIT, "", NULL, NULL, -1, -1,
	  "HTTP 429: Rate limit of 50 per 86400s exceeded for UserByDay.", -1,
	  NULL },

	/* Anthropic */
	{ "anthropic plain", "anthropic", 200, 0,
	  "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
	  "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"thinking\","
	  "\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"Hi, \"},{"
	  "\"type\":\"text\",\"text\":\"I'm Claude.\"}],\"stop_reason\":"
	  "\"end_turn\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,"
	  "\"output_tokens\":6,\"cache_creation_input_tokens\":100,"
	  "\"cache_read_input_tokens\":1000}}",
	  OK_REPLY, "Hi, I'm Claude.", "end_turn", "claude-sonnet-4-5", 1112, 6,
	  NULL, -1, NULL },
	{ "anthropic streamed", "anthropic", 200, 1,
	  "event: message_start\n"
	  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
	  "\"type\":\"message\",\"role\":\"assistant\",\"content\":[],"
	  "\"model\":\"claude-haiku-4-5\",\"stop_reason\":null,\"usage\":{"
	  "\"input_tokens\":12,\"output_tokens\":1}}}\n\n"
	  "event: content_block_start\n"
	  "data: {\"type\":\"content_block_start\",\"index\":0,"
	  "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	  "event: ping\ndata: {\"type\": \"ping\"}\n\n"
	  "event: content_block_delta\n"
	  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
	  "\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	  "event: content_block_delta\n"
	  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
	  "\"type\":\"text_delta\",\"text\":\", w\\u00f6rld\"}}\n\n"
	  "event: content_block_stop\n"
	  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	  "event: future_event\ndata: {\"type\":\"future_event\"}\n\n"
	  "event: message_delta\n"
	  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
	  "\"max_tokens\",\"stop_sequence\":null},\"usage\":{"
	  "\"output_tokens\":15}}\n\n"
	  "event: message_stop\n"
	  "data: {\"type\":\"message_stop\"}\n\n",
	  OK_REPLY, "Hello, w\xc3\xb6rld", "max_tokens", "claude-haiku-4-5", 12,
	  15, NULL, -1, "event: message_stop" },
	{ "anthropic streamed, overloaded mid-stream", "anthropic", 200, 1,
	  "event: message_start\n"
	  "data: {\"type\":\"message_start\",\"message\":{\"model\":\"c\","
	  "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
	  "event: error\n"
	  "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
	  "\"message\":\"Overloaded\"}}\n\n",
	  RETRY, "", NULL, "c", 3, 1, "stream error: Overloaded", -1, NULL },
	{ "anthropic streamed, no message_stop", "anthropic", 200, 1,
	  "event: message_start\n"
	  "data: {\"type\":\"message_start\",\"message\":{\"model\":\"c\","
	  "\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
	  "event: content_block_delta\n"
	  "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{"
	  "\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
	  RETRY, "", NULL, "c", 3, 1, "truncated stream", -1, NULL },
	{ "anthropic 529 overloaded", "anthropic", 529, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
	  "\"message\":\"Overloaded\"},\"request_id\":\"req_011\"}",
	  RETRY, "", NULL, NULL, -1, -1, "HTTP 529: Overloaded", -1, NULL },
	{ "anthropic 429 rate limit", "anthropic", 429, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
	  "\"message\":\"Number of request tokens has exceeded your per-minute "
	  "rate limit\"}}",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 429: Number of request tokens has exceeded your per-minute "
	  "rate limit",
	  -1, NULL },
	{ "anthropic 429 spend limit", "anthropic", 429, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
	  "\"message\":\"Limit reached\",\"details\":{\"error_code\":"
	  "\"enforced_spend_limit_reached\"}}}",
	  QUOTA, "", NULL, NULL, -1, -1, "HTTP 429: Limit reached", -1, NULL },
	{ "anthropic 400 credit balance", "anthropic", 400, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	  "\"message\":\"Your credit balance is too low to access the "
	  "Anthropic API.\"}}",
	  QUOTA, "", NULL, NULL, -1, -1,
	  "HTTP 400: Your credit balance is too low to access the Anthropic "
	  "API.",
	  -1, NULL },
	{ "anthropic 402 billing", "anthropic", 402, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"billing_error\","
	  "\"message\":\"Billing problem\"}}",
	  QUOTA, "", NULL, NULL, -1, -1, "HTTP 402: Billing problem", -1,
	  NULL },
	{ "anthropic 400", "anthropic", 400, 0,
	  "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	  "\"message\":\"max_tokens: Field required\"}}",
	  FATAL, "", NULL, NULL, -1, -1, "HTTP 400: max_tokens: Field required",
	  -1, NULL },
	{ "anthropic 200 without content", "anthropic", 200, 0,
	  "{\"type\":\"message\",\"model\":\"c\"}", RETRY, "", NULL, "c", -1,
	  -1, "no answer in response", -1, NULL },

	/* Gemini */
	{ "gemini plain", "gemini", 200, 0,
	  "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{"
	  "\"text\":\"plan\",\"thought\":true},{\"text\":\"{\\\"ok\\\":\"},{"
	  "\"text\":\"true}\"}]},\"finishReason\":\"STOP\",\"index\":0}],"
	  "\"usageMetadata\":{\"promptTokenCount\":8,\"candidatesTokenCount\":"
	  "20,\"thoughtsTokenCount\":5,\"totalTokenCount\":33},"
	  "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"r1\"}",
	  OK_REPLY, "{\"ok\":true}", "STOP", "gemini-2.5-flash", 8, 25, NULL,
	  -1, NULL },
	{ "gemini streamed", "gemini", 200, 1,
	  "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
	  "[{\"text\":\"One\"}]},\"index\":0}],\"usageMetadata\":{"
	  "\"promptTokenCount\":4},\"modelVersion\":\"gemini-2.0-flash\"}\n\n"
	  "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
	  "[{\"text\":\" two\"}]},\"index\":0}],\"modelVersion\":"
	  "\"gemini-2.0-flash\"}\n\n"
	  "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
	  "[{\"text\":\" three\"}]},\"finishReason\":\"MAX_TOKENS\",\"index\":"
	  "0}],\"usageMetadata\":{\"promptTokenCount\":4,"
	  "\"candidatesTokenCount\":3,\"totalTokenCount\":7},\"modelVersion\":"
	  "\"gemini-2.0-flash\"}\n\n",
	  OK_REPLY, "One two three", "MAX_TOKENS", "gemini-2.0-flash", 4, 3,
	  NULL, -1,
	  "data: {\"candidates\":[{\"content\":{\"role\":\"model\","
	  "\"parts\":[{\"text\":\" three\"" },
	{ "gemini streamed as a JSON array", "gemini", 200, 1,
	  "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]},\n"
	  "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]},"
	  "\"finishReason\":\"STOP\"}]}]",
	  OK_REPLY, "ab", "STOP", NULL, -1, -1, NULL, -1, NULL },
	{ "gemini streamed, no finishReason", "gemini", 200, 1,
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}"
	  "}]}\n\n",
	  RETRY, "", NULL, NULL, -1, -1, "truncated stream", -1, NULL },
	{ "gemini prompt blocked", "gemini", 200, 0,
	  "{\"promptFeedback\":{\"blockReason\":\"SAFETY\",\"safetyRatings\":"
	  "[]},\"usageMetadata\":{\"promptTokenCount\":9}}",
	  CUT, "", "SAFETY", NULL, 9, -1, "prompt blocked: SAFETY", -1, NULL },
	{ "gemini prompt blocked without a reason", "gemini", 200, 0,
	  "{\"promptFeedback\":{\"safetyRatings\":[]},\"usageMetadata\":{"
	  "\"promptTokenCount\":9}}",
	  CUT, "", "BLOCKED_REASON_UNSPECIFIED", NULL, 9, -1,
	  "prompt blocked: BLOCKED_REASON_UNSPECIFIED", -1, NULL },
	{ "gemini answer blocked", "gemini", 200, 0,
	  "{\"candidates\":[{\"content\":{\"parts\":[]},\"finishReason\":"
	  "\"SAFETY\"}]}",
	  CUT, "", "SAFETY", NULL, -1, -1, "response blocked: SAFETY", -1,
	  NULL },
	{ "gemini answer cut short", "gemini", 200, 0,
	  "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Once upon"
	  "\"}]},\"finishReason\":\"RECITATION\"}],\"usageMetadata\":{"
	  "\"promptTokenCount\":3,\"candidatesTokenCount\":2}}",
	  CUT, "Once upon", "RECITATION", NULL, 3, 2,
	  "answer cut short: RECITATION", -1, NULL },
	{ "gemini streamed, cut short", "gemini", 200, 1,
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
	  "\"Once\"}]}}]}\n\n"
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
	  "\" upon\"}]},\"finishReason\":\"SAFETY\"}]}\n\n",
	  CUT, "Once upon", "SAFETY", NULL, -1, -1, "answer cut short: SAFETY",
	  -1, NULL },
	{ "gemini 429 per minute with RetryInfo", "gemini", 429, 0,
	  "{\"error\":{\"code\":429,\"message\":\"You exceeded your current "
	  "quota.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
	  "\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{"
	  "\"quotaMetric\":\"generate_content_free_tier_requests\","
	  "\"quotaId\":\"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\""
	  "}]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
	  "\"retryDelay\":\"13s\"}]}}",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 429: You exceeded your current quota.", 13000, NULL },
	{ "gemini 429 per day", "gemini", 429, 0,
	  "{\"error\":{\"code\":429,\"message\":\"You exceeded your current "
	  "quota.\",\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":"
	  "\"type.googleapis.com/google.rpc.QuotaFailure\",\"violations\":[{"
	  "\"quotaMetric\":\"generate_content_free_tier_requests\","
	  "\"quotaId\":\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\"}"
	  "]},{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
	  "\"retryDelay\":\"37.5s\"}]}}",
	  LIMIT, "", NULL, NULL, -1, -1,
	  "HTTP 429: You exceeded your current quota. (per-day quota "
	  "GenerateRequestsPerDayPerProjectPerModel-FreeTier; it resets at "
	  "midnight Pacific time)",
	  37500, NULL },
	{ "gemini 429 as a JSON array", "gemini", 429, 0,
	  "[{\"error\":{\"code\":429,\"message\":\"Resource exhausted.\","
	  "\"status\":\"RESOURCE_EXHAUSTED\"}}]",
	  RETRY, "", NULL, NULL, -1, -1, "HTTP 429: Resource exhausted.", -1,
	  NULL },
	{ "gemini 400 bad key", "gemini", 400, 0,
	  "{\"error\":{\"code\":400,\"message\":\"API key not valid. Please "
	  "pass a valid API key.\",\"status\":\"INVALID_ARGUMENT\","
	  "\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\""
	  ",\"reason\":\"API_KEY_INVALID\"}]}}",
	  FATAL, "", NULL, NULL, -1, -1,
	  "HTTP 400: API key not valid. Please pass a valid API key.", -1,
	  NULL },
	{ "gemini 503", "gemini", 503, 0,
	  "{\"error\":{\"code\":503,\"message\":\"The model is overloaded.\","
	  "\"status\":\"UNAVAILABLE\"}}",
	  RETRY, "", NULL, NULL, -1, -1, "HTTP 503: The model is overloaded.",
	  -1, NULL },
	{ "gemini streamed, error mid-stream", "gemini", 200, 1,
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}"
	  "}]}\n\ndata: {\"error\":{\"code\":400,\"message\":\"bad\","
	  "\"status\":\"INVALID_ARGUMENT\"}}\n\n",
	  FATAL, "", NULL, NULL, -1, -1, "stream error: bad", -1, NULL },

	/* Ollama */
	{ "ollama plain", "ollama", 200, 0,
	  "{\"model\":\"llama3.2\",\"created_at\":\"2023-12-12T14:13:43Z\","
	  "\"message\":{\"role\":\"assistant\",\"content\":\"Hello! How are "
	  "you today?\"},\"done\":true,\"done_reason\":\"stop\","
	  "\"total_duration\":5191566416,\"prompt_eval_count\":26,"
	  "\"eval_count\":298,\"eval_duration\":4799921000}",
	  OK_REPLY, "Hello! How are you today?", "stop", "llama3.2", 26, 298,
	  NULL, -1, NULL },
	{ "ollama streamed", "ollama", 200, 1,
	  "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\","
	  "\"content\":\"The\"},\"done\":false}\n"
	  "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\","
	  "\"content\":\" sky\"},\"done\":false}\n"
	  "\n"
	  "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\","
	  "\"content\":\" is blue\"},\"done\":false}\n"
	  "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\","
	  "\"content\":\"\"},\"done\":true,\"done_reason\":\"length\","
	  "\"prompt_eval_count\":11,\"eval_count\":4}\n",
	  OK_REPLY, "The sky is blue", "length", "qwen3", 11, 4, NULL, -1,
	  "{\"model\":\"qwen3\",\"message\":{\"role\":\"assistant\","
	  "\"content\":\"\"},\"done\":true" },
	{ "ollama streamed, error line", "ollama", 200, 1,
	  "{\"model\":\"q\",\"message\":{\"content\":\"a\"},\"done\":false}\n"
	  "{\"error\":\"an error was encountered while running the model\"}\n",
	  RETRY, "", NULL, "q", -1, -1,
	  "stream error: an error was encountered while running the model", -1,
	  NULL },
	{ "ollama 404", "ollama", 404, 0,
	  "{\"error\":\"model \\\"llama9\\\" not found, try pulling it "
	  "first\"}",
	  FATAL, "", NULL, NULL, -1, -1,
	  "HTTP 404: model \"llama9\" not found, try pulling it first", -1,
	  NULL },
	{ "ollama 503 queue full", "ollama", 503, 0,
	  "{\"error\":\"server busy, please try again.  maximum pending "
	  "requests exceeded\"}",
	  RETRY, "", NULL, NULL, -1, -1,
	  "HTTP 503: server busy, please try again. maximum pending requests "
	  "exceeded",
	  -1, NULL },
	{ "ollama invalid JSON 200", "ollama", 200, 0, "not json", RETRY, "",
	  NULL, NULL, -1, -1, "invalid JSON body", -1, NULL },
	{ "ollama no message", "ollama", 200, 0, "{\"done\":true}", RETRY, "",
	  NULL, NULL, -1, -1, "no answer in response", -1, NULL },
};

static void check_parse(const struct parse_case *c, const char *body,
			size_t len, const char *variant)
{
	struct pe_chat_response r;

	pe_provider_parse(kind_of(c->kind), c->status, body, len, c->streamed,
			  &r);
	if (r.cls != c->cls ||
	    (c->error ? !r.error || strcmp(r.error, c->error) : !!r.error))
		fail_msg("%s (%s): class %d, error '%s'", c->name, variant,
			 (int)r.cls, r.error ? r.error : "(null)");
	assert_non_null(r.output);
	assert_string_equal(r.output, c->output);
	assert_int_equal(r.output_len, strlen(c->output));
	if (c->finish_reason)
		assert_string_equal(r.finish_reason, c->finish_reason);
	else
		assert_null(r.finish_reason);
	if (c->model)
		assert_string_equal(r.model, c->model);
	else
		assert_null(r.model);
	assert_int_equal(r.tokens_in, c->tokens_in);
	assert_int_equal(r.tokens_out, c->tokens_out);
	assert_int_equal(r.retry_after_ms, c->retry_after_ms);
	pe_chat_response_release(&r);
	assert_null(r.output);
}

/* Rewrites every LF of s as eol. */
static char *with_eol(const char *s, const char *eol)
{
	struct pe_buf b;

	pe_buf_init(&b, 0);
	for (; *s; s++)
		if (*s == '\n')
			pe_buf_adds(&b, eol);
		else
			pe_buf_addc(&b, *s);
	return pe_buf_detach(&b, NULL);
}

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		char *crlf = with_eol(c->body, "\r\n");
		char *cr = with_eol(c->body, "\r");

		check_parse(c, c->body, strlen(c->body), "LF");
		check_parse(c, crlf, strlen(crlf), "CRLF");
		/* NDJSON lines end in LF only; SSE also allows CR. */
		if (!c->streamed || strcmp(c->kind, "ollama"))
			check_parse(c, cr, strlen(cr), "CR");
		free(crlf);
		free(cr);
	}
}

/*
 * Every cut of a good stream before its last event is a truncated body;
 * a cut inside the last event is either truncated or the whole answer.
 */
static void test_parse_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		const char *term;
		size_t full = strlen(c->body);

		if (!c->terminator)
			continue;
		term = strstr(c->body, c->terminator);
		assert_non_null(term);
		for (size_t cut = 0; cut <= full; cut++) {
			struct pe_chat_response r;
			char *copy = xstrndup(c->body, cut);

			/* An exact-size heap copy lets ASan see overreads. */
			pe_provider_parse(kind_of(c->kind), 200, copy, cut, 1,
					  &r);
			if (r.cls == PE_REPLY_OK &&
			    cut > (size_t)(term - c->body))
				assert_string_equal(r.output, c->output);
			else if (r.cls != PE_REPLY_RETRY ||
				 strcmp(r.error, "truncated stream") ||
				 r.output_len)
				fail_msg("%s cut at %zu: class %d, error '%s'",
					 c->name, cut, (int)r.cls,
					 r.error ? r.error : "(null)");
			if (cut == full)
				assert_int_equal(r.cls, PE_REPLY_OK);
			pe_chat_response_release(&r);
			free(copy);
		}
	}
}

/* A full good stream parses the same when the payload is not NUL-ended. */
static void test_parse_unterminated_buffer(void **state)
{
	static const char body[] =
		"data: {\"choices\":[{\"delta\":{\"content\":"
		"\"ok\"}}]}\n\ndata: [DONE]\n\nXYZ";
	struct pe_chat_response r;

	(void)state;
	pe_provider_parse(&pe_openai_ops, 200, body, strlen(body) - 3, 1, &r);
	assert_int_equal(r.cls, PE_REPLY_OK);
	assert_string_equal(r.output, "ok");
	pe_chat_response_release(&r);
	pe_provider_parse(&pe_exec_ops, 200, "x", 1, 0, &r);
	assert_int_equal(r.cls, PE_REPLY_FATAL);
	assert_string_equal(r.output, "");
	pe_chat_response_release(&r);
	pe_provider_parse(&pe_openai_ops, 0, NULL, 0, 0, &r);
	assert_int_equal(r.cls, PE_REPLY_RETRY);
	assert_string_equal(r.error, "HTTP 0");
	pe_chat_response_release(&r);
}

/* A long or multi-line provider message stays one bounded line. */
static void test_parse_long_error(void **state)
{
	struct pe_buf body;
	struct pe_chat_response r;

	(void)state;
	pe_buf_init(&body, 0);
	pe_buf_adds(&body, "{\"error\":{\"message\":\"line one\\nline two ");
	for (int i = 0; i < 500; i++)
		pe_buf_adds(&body, "\xc3\xa9");
	pe_buf_adds(&body, "\"}}");
	pe_provider_parse(&pe_openai_ops, 500, body.data, body.len, 0, &r);
	assert_int_equal(r.cls, PE_REPLY_RETRY);
	assert_true(!strncmp(r.error, "HTTP 500: line one line two \xc3\xa9",
			     strlen("HTTP 500: line one line two ") + 2));
	assert_null(strchr(r.error, '\n'));
	assert_true(strlen(r.error) < 1100);
	assert_true(pe_ends_with(r.error, "\xc3\xa9..."));
	pe_chat_response_release(&r);
	pe_buf_release(&body);
}

/* The content type decides whether a body that is not JSON is retried. */
static void test_parse_typed(void **state)
{
	static const struct {
		long status;
		const char *type;
		const char *body;
		enum pe_reply_class cls;
		const char *error;
	} cases[] = {
		{ 200, "text/html", "<html><body>Sign in</body></html>", FATAL,
		  "HTTP 200: expected JSON, got text/html: <html><body>Sign "
		  "in</body></html>" },
		{ 200, "text/plain", "upstream connect error", FATAL,
		  "HTTP 200: expected JSON, got text/plain: upstream connect "
		  "error" },
		/* Cut JSON: the next try may get all of it. */
		{ 200, "application/json", "{\"choices\":[{\"mess", RETRY,
		  "invalid JSON body" },
		{ 200, "application/vnd.api+json", "{\"cho", RETRY,
		  "invalid JSON body" },
		{ 200, "", "{\"cho", RETRY, "invalid JSON body" },
		/* JSON under a wrong type still reads. */
		{ 200, "text/plain",
		  "{\"choices\":[{\"message\":{\"content\":\"ok\"}}]}",
		  OK_REPLY, NULL },
		{ 502, "text/html", "<html>\r\n<b>Bad Gateway</b>\r\n</html>",
		  RETRY,
		  "HTTP 502, text/html: <html> <b>Bad Gateway</b> </html>" },
		{ 404, "text/html", "<h1>Not Found</h1>", FATAL,
		  "HTTP 404, text/html: <h1>Not Found</h1>" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pe_chat_response r;

		pe_provider_parse_typed(&pe_openai_ops, cases[i].status,
					cases[i].type, cases[i].body,
					strlen(cases[i].body), 0, &r);
		if (r.cls != cases[i].cls ||
		    (cases[i].error
			     ? !r.error || strcmp(r.error, cases[i].error)
			     : !!r.error))
			fail_msg("case %zu: class %d, error '%s'", i,
				 (int)r.cls, r.error ? r.error : "(null)");
		pe_chat_response_release(&r);
	}
}

/* A page of 10 KB: the error shows its first 200 bytes and "...". */
static void test_parse_snippet_cut(void **state)
{
	struct pe_buf body;
	struct pe_chat_response r;

	(void)state;
	pe_buf_init(&body, 0);
	pe_buf_adds(&body, "<html>");
	for (int i = 0; i < 5000; i++)
		pe_buf_adds(&body, "\xc3\xa9");
	pe_provider_parse_typed(&pe_gemini_ops, 200, "text/html", body.data,
				body.len, 0, &r);
	assert_int_equal(r.cls, PE_REPLY_FATAL);
	assert_true(pe_ends_with(r.error, "\xc3\xa9..."));
	assert_true(strlen(r.error) < 300);
	pe_chat_response_release(&r);
	pe_buf_release(&body);
}

/* ---- Requests each API accepts ---- */

/* Builds the body of one request; the caller frees it. */
static char *body_of(const char *kind, const struct pe_chat_request *req)
{
	struct pe_http_request out;
	char err[200];
	char *body;

	assert_int_equal(pe_provider_build(kind_of(kind), NULL, "KEY", NULL,
					   req, &out, err, sizeof(err)),
			 0);
	body = xstrdup(out.body);
	pe_http_request_release(&out);
	return body;
}

/*
 * A prompt of system messages only: Anthropic and Gemini get their text
 * as the user's turn (they refuse empty messages or contents); the
 * OpenAI-style APIs take a system message alone.
 */
static void test_system_only(void **state)
{
	static const struct pe_chat_message msgs[] = {
		{ PE_ROLE_SYSTEM, "Say hi." },
		{ PE_ROLE_SYSTEM, "Briefly." },
	};
	static const struct {
		const char *kind;
		const char *body;
	} cases[] = {
		{ "anthropic",
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"user\","
		  "\"content\":\"Say hi.\\n\\nBriefly.\"}],\"max_tokens\":"
		  "4096}" },
		{ "gemini",
		  "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":"
		  "\"Say hi.\\n\\nBriefly.\"}]}]}" },
		{ "openai",
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
		  "\"content\":\"Say hi.\"},{\"role\":\"system\",\"content\":"
		  "\"Briefly.\"}]}" },
		{ "ollama",
		  "{\"model\":\"m\",\"messages\":[{\"role\":\"system\","
		  "\"content\":\"Say hi.\"},{\"role\":\"system\",\"content\":"
		  "\"Briefly.\"}],\"stream\":false}" },
	};
	struct pe_params p = { 0 };
	struct pe_chat_request req = { 0 };

	(void)state;
	req.model = "m";
	req.messages = msgs;
	req.nmessages = ARRAY_SIZE(msgs);
	req.params = &p;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *body = body_of(cases[i].kind, &req);

		assert_string_equal(body, cases[i].body);
		free(body);
	}
}

/* o3 and o4-mini refuse stop: it is left out, with a warning. */
static void test_stop_left_out(void **state)
{
	static const struct {
		const char *model;
		int sent;
	} cases[] = {
		{ "o3", 0 },	    { "o3-2025-04-16", 0 },
		{ "o3-pro", 0 },    { "o4-mini", 0 },
		{ "openai/o3", 0 }, { "o4-mini-2025-04-16", 0 },
		{ "o3-mini", 1 },   { "gpt-4o", 1 },
		{ "o1", 1 },	    { "gpt-4.1-mini", 1 },
	};
	static const struct pe_chat_message msgs[] = { { PE_ROLE_USER, "q" } };
	static char *stop[] = { "END" };
	struct pe_params p = { 0 };
	struct pe_chat_request req = { 0 };

	(void)state;
	p.set = PE_PARAM_STOP;
	p.stop = stop;
	p.nstop = 1;
	req.messages = msgs;
	req.nmessages = 1;
	req.params = &p;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pe_strlist errors, warnings;
		char *body;

		req.model = cases[i].model;
		body = body_of("openai", &req);
		if ((strstr(body, "\"stop\"") != NULL) != cases[i].sent)
			fail_msg("%s: %s", cases[i].model, body);
		free(body);
		pe_strlist_init(&errors);
		pe_strlist_init(&warnings);
		pe_provider_check(&pe_openai_ops, &req, &errors, &warnings);
		assert_int_equal(errors.len, 0);
		assert_int_equal(warnings.len, !cases[i].sent);
		pe_strlist_release(&errors);
		pe_strlist_release(&warnings);
	}
}

/* What each API refuses is a check error for that provider only. */
static void test_check(void **state)
{
	static char *five[] = { "a", "b", "c", "d", "e" };
	static const struct pe_chat_message msgs[] = { { PE_ROLE_USER, "q" } };
	static const struct {
		const char *kind;
		size_t nstop;
		int has_temperature;
		double temperature;
		const char *error; /* NULL: none */
	} cases[] = {
		{ "openai", 5, 0, 0,
		  "stop has 5 sequences; Chat Completions takes at most 4" },
		{ "github", 5, 0, 0,
		  "stop has 5 sequences; Chat Completions takes at most 4" },
		{ "openai", 4, 1, 2, NULL },
		{ "gemini", 5, 1, 2, NULL },
		{ "ollama", 5, 1, 1.5, NULL },
		{ "anthropic", 5, 1, 1, NULL },
		{ "anthropic", 0, 1, 1.2,
		  "temperature 1.2 is above 1, the most the anthropic Messages "
		  "API takes" },
		{ "anthropic", 0, 0, 0, NULL },
	};
	struct pe_params p = { 0 };
	struct pe_chat_request req = { 0 };

	(void)state;
	req.model = "m";
	req.messages = msgs;
	req.nmessages = 1;
	req.params = &p;
	p.set = PE_PARAM_STOP;
	p.stop = five;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct pe_strlist errors, warnings;

		p.nstop = cases[i].nstop;
		req.has_temperature = cases[i].has_temperature;
		req.temperature = cases[i].temperature;
		pe_strlist_init(&errors);
		pe_strlist_init(&warnings);
		pe_provider_check(kind_of(cases[i].kind), &req, &errors,
				  &warnings);
		if (cases[i].error) {
			assert_int_equal(errors.len, 1);
			assert_string_equal(errors.items[0], cases[i].error);
		} else {
			assert_int_equal(errors.len, 0);
		}
		assert_int_equal(warnings.len, 0);
		pe_strlist_release(&errors);
		pe_strlist_release(&warnings);
	}
}

/* ---- Names and guesses ---- */

struct guess_case {
	const char *model;
	int ok;
	const struct pe_provider_ops *kind; /* NULL: no guess */
};

static void test_guess(void **state)
{
	static const struct guess_case cases[] = {
		{ "gpt-4o", 1, &pe_openai_ops },
		{ "gpt-4.1-mini", 1, &pe_openai_ops },
		{ "o1", 1, &pe_openai_ops },
		{ "o3-mini", 1, &pe_openai_ops },
		{ "o4-mini", 1, &pe_openai_ops },
		{ "claude-sonnet-4-5", 1, &pe_anthropic_ops },
		{ "gemini-2.5-flash", 1, &pe_gemini_ops },
		{ "openai/gpt-4.1", 1, &pe_github_ops },
		{ "meta/Llama-3.3-70B-Instruct", 1, &pe_github_ops },
		{ "llama3.2", 0, NULL },
		{ "gpt4", 0, NULL },
		{ "o2", 0, NULL },
		{ "claude", 0, NULL },
		{ "/gpt-4o", 0, NULL },
		{ "openai/", 0, NULL },
		{ "a/b/c", 0, NULL },
		{ "", 0, NULL },
		{ NULL, 0, NULL },
	};
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct pe_provider_ops *kind =
			pe_provider_guess(cases[i].model);

		assert_int_equal(kind != NULL, cases[i].ok);
		assert_ptr_equal(kind, cases[i].kind);
	}
}

struct name_case {
	const char *name;
	const struct pe_provider_ops *kind;
	const char *base;
	const char *key_env;
	const char *base_env;
};

static void test_names(void **state)
{
	static const struct name_case cases[] = {
		{ "openai", &pe_openai_ops, "https://api.openai.com/v1",
		  "OPENAI_API_KEY", "OPENAI_BASE_URL" },
		{ "github", &pe_github_ops,
		  "https://models.github.ai/inference", "GITHUB_TOKEN", NULL },
		{ "anthropic", &pe_anthropic_ops, "https://api.anthropic.com",
		  "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL" },
		{ "gemini", &pe_gemini_ops,
		  "https://generativelanguage.googleapis.com", "GEMINI_API_KEY",
		  "GEMINI_BASE_URL" },
		{ "ollama", &pe_ollama_ops, "http://127.0.0.1:11434", NULL,
		  "OLLAMA_HOST" },
		{ "exec", &pe_exec_ops, NULL, NULL, NULL },
		{ "echo", &pe_echo_ops, NULL, NULL, NULL },
	};
	const struct pe_provider_ops *kind;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct name_case *c = &cases[i];

		kind = pe_provider_find(c->name);
		assert_ptr_equal(kind, c->kind);
		assert_string_equal(kind->name, c->name);
		if (c->base)
			assert_string_equal(kind->default_base, c->base);
		else
			assert_null(kind->default_base);
		if (c->key_env)
			assert_string_equal(kind->key_env, c->key_env);
		else
			assert_null(kind->key_env);
		if (c->base_env)
			assert_string_equal(kind->base_env, c->base_env);
		else
			assert_null(kind->base_env);
	}
	assert_null(pe_provider_find("OpenAI"));
	assert_null(pe_provider_find(""));
	assert_null(pe_provider_find(NULL));
}

/*
 * How much of a stream had to come before the answer's first text could
 * be read (first_text_at): the end of the event or line that carried
 * it, the whole body when none did, and 0 for a body read whole.  after
 * is the text the offset must follow ("" for 0), checked with LF and
 * CRLF framing.
 */
static const struct {
	const char *kind;
	int streamed;
	const char *body;
	const char *after;
} first_text_cases[] = {
	{ "openai", 1,
	  "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\","
	  "\"content\":\"\"}}]}\n\n"
	  "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n"
	  "data: {\"choices\":[{\"delta\":{\"content\":\" there\"}}]}\n\n"
	  "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}"
	  "\n\ndata: [DONE]\n\n",
	  "{\"content\":\"Hi\"}}]}\n\n" },
	{ "anthropic", 1,
	  "event: message_start\ndata: {\"type\":\"message_start\","
	  "\"message\":{\"model\":\"c\"}}\n\n"
	  "event: content_block_start\ndata: {\"type\":"
	  "\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
	  "\"text\",\"text\":\"\"}}\n\n"
	  "event: ping\ndata: {\"type\":\"ping\"}\n\n"
	  "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
	  "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
	  "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
	  "\"text\":\"Hi\"}}\n\n" },
	{ "gemini", 1,
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
	  "\"Hi\"}]}}]}\n\n"
	  "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":"
	  "\"!\"}]},\"finishReason\":\"STOP\"}]}\n\n",
	  "\"Hi\"}]}}]}\n\n" },
	{ "ollama", 1,
	  "{\"message\":{\"content\":\"\"},\"done\":false}\n"
	  "{\"message\":{\"content\":\"Hi\"},\"done\":false}\n"
	  "{\"message\":{\"content\":\"\"},\"done\":true}\n",
	  "\"Hi\"},\"done\":false}\n" },
	/* No text at all: the (empty) answer was there at the end. */
	{ "openai", 1,
	  "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}"
	  "\n\ndata: [DONE]\n\n",
	  "[DONE]\n\n" },
	{ "openai", 0, "{\"choices\":[{\"message\":{\"content\":\"Hi\"}}]}",
	  "" },
	/* A streamed request answered with one JSON document. */
	{ "openai", 1, "{\"choices\":[{\"message\":{\"content\":\"Hi\"}}]}",
	  "" },
};

static void test_first_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(first_text_cases); i++) {
		const char *eols[] = { "\n", "\r\n" };

		for (size_t k = 0; k < 2; k++) {
			char *body =
				with_eol(first_text_cases[i].body, eols[k]);
			char *after =
				with_eol(first_text_cases[i].after, eols[k]);
			const char *at = *after ? strstr(body, after) : body;
			struct pe_chat_response r;

			assert_non_null(at);
			pe_provider_parse(kind_of(first_text_cases[i].kind),
					  200, body, strlen(body),
					  first_text_cases[i].streamed, &r);
			assert_int_equal(r.cls, PE_REPLY_OK);
			assert_int_equal(r.first_text_at,
					 *after ? (size_t)(at - body) +
							  strlen(after)
						: 0);
			pe_chat_response_release(&r);
			free(body);
			free(after);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_key_only_in_header),
		cmocka_unit_test(test_build_minimal),
		cmocka_unit_test(test_build_overrides),
		cmocka_unit_test(test_build_bare_schema),
		cmocka_unit_test(test_build_org),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_unterminated_buffer),
		cmocka_unit_test(test_parse_long_error),
		cmocka_unit_test(test_first_text),
		cmocka_unit_test(test_parse_typed),
		cmocka_unit_test(test_parse_snippet_cut),
		cmocka_unit_test(test_system_only),
		cmocka_unit_test(test_stop_left_out),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_guess),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
