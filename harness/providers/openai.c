/*
 * OpenAI's Chat Completions API, and GitHub Models, which speaks the same
 * format at another endpoint (docs/providers.md): one request
 * writer and one parser behind two ops tables.  Any OpenAI-compatible
 * server is reached through the openai provider with a base_url.
 * Streams are SSE events of chat.completion.chunk objects ending in
 * [DONE]; usage comes in a last chunk when include_usage is asked for.
 */
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

/* The model's own name, without a "publisher/" (GitHub Models). */
static const char *base_name(const char *model)
{
	const char *slash = strrchr(model, '/');

	return slash ? slash + 1 : model;
}

/*
 * OpenAI reasoning models refuse "max_tokens"; everything else (and every
 * OpenAI-compatible server) takes it, so it stays the default.
 */
static int uses_completion_tokens(const char *model)
{
	const char *name = base_name(model);

	return pe_wire_starts_with(name, "o1") ||
	       pe_wire_starts_with(name, "o3") ||
	       pe_wire_starts_with(name, "o4") ||
	       pe_wire_starts_with(name, "gpt-5");
}

/*
 * OpenAI's latest reasoning models refuse "stop": o3 (but not o3-mini)
 * and o4-mini, dated or not.
 */
static int refuses_stop(const char *model)
{
	const char *name = base_name(model);

	return (!strcmp(name, "o3") ||
		(pe_wire_starts_with(name, "o3-") &&
		 !pe_wire_starts_with(name, "o3-mini"))) ||
	       pe_wire_starts_with(name, "o4-mini");
}

enum { OPENAI_MAX_STOP = 4 }; /* stop takes up to 4 sequences */

/*
 * What Chat Completions refuses: more than 4 stop sequences; and what is
 * left out: stop, for the models that refuse it.
 */
static void check_openai(const struct pe_chat_request *req,
			 struct pe_strlist *errors, struct pe_strlist *warnings)
{
	size_t nstop =
		pe_wire_has_param(req, PE_PARAM_STOP) ? req->params->nstop : 0;

	if (!nstop)
		return;
	if (refuses_stop(req->model))
		pe_wire_note(warnings, "stop is not sent: %s does not take it",
			     req->model);
	else if (nstop > OPENAI_MAX_STOP)
		pe_wire_note(errors,
			     "stop has %zu sequences; Chat Completions takes "
			     "at most %d",
			     nstop, OPENAI_MAX_STOP);
}

/* The gh-models jsonSchema already has OpenAI's {name, schema, strict}. */
static void write_openai_format(struct pe_buf *b,
				const struct pe_chat_request *req,
				const struct pe_schema *sc)
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
		pe_json_node(b, sc->whole);
	} else {
		pe_buf_adds(b, "{\"name\":\"response\",\"schema\":");
		pe_json_node(b, sc->inner);
		pe_buf_addc(b, '}');
	}
	pe_buf_addc(b, '}');
}

static void write_openai(struct pe_buf *b, const struct pe_chat_request *req,
			 const struct pe_schema *sc)
{
	const struct pe_setting_key settings[] = {
		{ PE_SETTING_TEMPERATURE, "temperature" },
		{ PE_SETTING_TOP_P, "top_p" },
		{ PE_SETTING_MAX_TOKENS, uses_completion_tokens(req->model)
						 ? "max_completion_tokens"
						 : "max_tokens" },
		{ PE_SETTING_SEED, "seed" },
		{ PE_SETTING_STOP, "stop" },
		{ PE_SETTING_PRESENCE_PENALTY, "presence_penalty" },
		{ PE_SETTING_FREQUENCY_PENALTY, "frequency_penalty" },
	};
	/* Without stop for the models that refuse it. */
	size_t n = sizeof(settings) / sizeof(*settings);
	struct pe_setting_key kept[sizeof(settings) / sizeof(*settings)];
	size_t nkept = 0;

	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	pe_buf_adds(b, ",\"messages\":");
	pe_wire_roles(b, req, 0);
	for (size_t i = 0; i < n; i++)
		if (settings[i].setting != PE_SETTING_STOP ||
		    !refuses_stop(req->model))
			kept[nkept++] = settings[i];
	pe_wire_settings(b, req, kept, nkept, NULL, NULL);
	write_openai_format(b, req, sc);
	if (req->stream)
		pe_buf_adds(b, ",\"stream\":true,"
			       "\"stream_options\":{\"include_usage\":true}");
	pe_buf_addc(b, '}');
}

static void write_url(struct pe_buf *url, const char *base,
		      const struct pe_chat_request *req)
{
	(void)req;
	pe_wire_add_base(url, base, NULL, NULL);
	pe_buf_adds(url, "/chat/completions");
}

/*
 * GitHub Models bills an organization (--org) at its own endpoint:
 * /orgs/ORG/inference/chat/completions instead of
 * /inference/chat/completions, under the same root.  A base that does not
 * end in /inference is taken as the root.
 */
static void write_github_url(struct pe_buf *url, const char *base,
			     const struct pe_chat_request *req)
{
	static const char tail[] = "/inference";
	size_t len = strlen(base), tail_len = sizeof(tail) - 1;
	char *root;

	if (!req->org) {
		write_url(url, base, req);
		return;
	}
	while (len && base[len - 1] == '/')
		len--;
	if (len >= tail_len && !memcmp(base + len - tail_len, tail, tail_len))
		len -= tail_len;
	root = xstrndup(base, len);
	pe_wire_add_base(url, root, NULL, NULL);
	pe_buf_addf(url, "/orgs/%s/inference/chat/completions", req->org);
	free(root);
}

static void openai_usage(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *usage = pe_wire_get(root, "usage");

	pe_wire_long(pe_wire_get(usage, "prompt_tokens"), &r->tokens_in);
	pe_wire_long(pe_wire_get(usage, "completion_tokens"), &r->tokens_out);
}

/* The choice with index 0 (the only one, as n is never sent). */
static const struct pe_node *first_choice(const struct pe_node *root)
{
	const struct pe_node *choices = pe_wire_get(root, "choices"), *c;
	long index;

	for (size_t i = 0; (c = pe_wire_item(choices, i)); i++)
		if (!pe_wire_long(pe_wire_get(c, "index"), &index) ||
		    index == 0)
			return c;
	return NULL;
}

/* Content is a string, or (some compatible servers) an array of parts. */
static void openai_content(struct pe_reply *r, const struct pe_node *content)
{
	const struct pe_node *part;

	if (!content || content->kind != PE_NODE_SEQ) {
		pe_wire_add_output(r, content);
		return;
	}
	for (size_t i = 0; (part = pe_wire_item(content, i)); i++)
		if (!pe_wire_get(part, "type") ||
		    pe_wire_str_is(pe_wire_str(pe_wire_get(part, "type")),
				   "text"))
			pe_wire_add_output(r, pe_wire_get(part, "text"));
}

static void openai_plain(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *choice = first_choice(root);
	const struct pe_node *message = pe_wire_get(choice, "message"),
			     *content;

	if (!pe_wire_need_object(r, root, 0))
		return;
	if (pe_wire_has_error(root)) {
		pe_wire_fail_payload(r, root);
		return;
	}
	pe_wire_set_string(&r->model, pe_wire_get(root, "model"));
	openai_usage(r, root);
	if (!message || message->kind != PE_NODE_MAP)
		return;
	r->saw_answer = 1;
	pe_wire_set_string(&r->finish_reason,
			   pe_wire_get(choice, "finish_reason"));
	content = pe_wire_get(message, "content");
	if (pe_wire_str(pe_wire_get(message, "refusal"))) {
		r->refusal = 1;
		if (!pe_wire_str(content) || !*pe_wire_str(content))
			content = pe_wire_get(message, "refusal");
	}
	openai_content(r, content);
}

static int openai_event(struct pe_reply *r, const char *event, const char *data,
			size_t len)
{
	const struct pe_node *root, *choice, *usage;

	if (len >= 6 && !memcmp(data, "[DONE]", 6)) {
		r->done = r->stop = 1;
		return 0;
	}
	root = pe_wire_parse_json(r, data, len);
	if (!root)
		return -1;
	if (pe_wire_has_error(root) || pe_wire_str_is(event, "error")) {
		pe_wire_fail_payload(r, root);
		return 0;
	}
	if (!r->model)
		pe_wire_set_string(&r->model, pe_wire_get(root, "model"));
	choice = first_choice(root);
	if (choice) {
		const struct pe_node *delta = pe_wire_get(choice, "delta");

		r->saw_answer = 1;
		openai_content(r, pe_wire_get(delta, "content"));
		if (pe_wire_str(pe_wire_get(delta, "refusal"))) {
			r->refusal = 1;
			pe_wire_add_output(r, pe_wire_get(delta, "refusal"));
		}
		pe_wire_set_string(&r->finish_reason,
				   pe_wire_get(choice, "finish_reason"));
	}
	usage = pe_wire_get(root, "usage");
	if (usage && usage->kind == PE_NODE_MAP)
		openai_usage(r, root);
	return 0;
}

/*
 * A refusal (message.refusal, or the streamed delta.refusal) is the
 * answer's text, and its finish reason says "refusal", as Anthropic's
 * stop_reason does.
 */
static void openai_finish(struct pe_reply *r)
{
	if (!r->refusal)
		return;
	free(r->finish_reason);
	r->finish_reason = xstrdup("refusal");
}

/*
 * GitHub Models: "Rate limit of 50 per 86400s exceeded for UserByDay" is
 * a daily limit; its message names it.
 */
static enum pe_reply_class github_quota(long status,
					const struct pe_error_body *e,
					struct pe_buf *detail)
{
	(void)detail;
	return status == 429 && pe_wire_contains_nocase(e->message,
							e->message_len, "ByDay")
		       ? PE_REPLY_LIMIT
		       : PE_REPLY_OK;
}

static const char *const openai_prefixes[] = { "gpt-", "o1", "o3", "o4", NULL };

/* OpenAI, or any server that speaks its Chat Completions API. */
const struct pe_provider_ops pe_openai_ops = {
	.name = "openai",
	.default_base = "https://api.openai.com/v1",
	.key_env = "OPENAI_API_KEY",
	.base_env = "OPENAI_BASE_URL",
	.needs_key = 1,
	.model_prefixes = openai_prefixes,
	.write_body = write_openai,
	.write_url = write_url,
	.add_headers = pe_wire_bearer_headers,
	.parse_plain = openai_plain,
	.parse_event = openai_event,
	.finish = openai_finish,
	.check = check_openai,
};

/* GitHub Models: "publisher/model" names, a GitHub token, --org. */
const struct pe_provider_ops pe_github_ops = {
	.name = "github",
	.default_base = "https://models.github.ai/inference",
	.key_env = "GITHUB_TOKEN",
	.key_env_first = "GH_TOKEN", /* as the gh command line reads it */
	.needs_key = 1,
	.claims_publisher_model = 1,
	.takes_org = 1,
	.write_body = write_openai,
	.write_url = write_github_url,
	.add_headers = pe_wire_bearer_headers,
	.parse_plain = openai_plain,
	.parse_event = openai_event,
	.quota = github_quota,
	.finish = openai_finish,
	.check = check_openai,
};
