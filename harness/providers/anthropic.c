/*
 * Anthropic's Messages API.  System messages go to the top-level
 * "system"; max_tokens is required, so it defaults to 4096; a JSON Schema
 * goes to output_config.format; temperatures above 1 are refused before
 * anything is sent.  Streams are
 * SSE events (message_start, content_block_delta, message_delta,
 * message_stop); errors name a type that stands for an HTTP status.
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

enum { ANTHROPIC_MAX_TOKENS = 4096 }; /* Anthropic requires max_tokens */

/*
 * Structured output: a JSON Schema goes to output_config.format as
 * {"type": "json_schema", "schema": ...}.  The API has no plain JSON
 * mode, so json_object asks for nothing; the JSON evaluators still
 * check the answer.
 */
static void write_output_config(struct pe_buf *b, const struct pe_schema *sc)
{
	if (!sc->inner)
		return;
	pe_buf_adds(b, ",\"output_config\":{\"format\":{\"type\":"
		       "\"json_schema\",\"schema\":");
	pe_json_node(b, sc->inner);
	pe_buf_adds(b, "}}");
}

/*
 * Anthropic has no system role: system messages go to the top-level
 * "system", joined with blank lines.  The API needs at least one turn in
 * "messages", so a prompt of system messages only sends their text as
 * the user's turn instead.
 */
static void write_anthropic(struct pe_buf *b, const struct pe_chat_request *req,
			    const struct pe_schema *sc)
{
	static const struct pe_setting_key settings[] = {
		{ PE_SETTING_TEMPERATURE, "temperature" },
		{ PE_SETTING_TOP_P, "top_p" },
		{ PE_SETTING_STOP, "stop_sequences" },
	};
	struct pe_buf system;

	pe_buf_init(&system, 0);
	pe_wire_system_text(&system, req);
	pe_buf_adds(b, "{\"model\":");
	pe_json_str(b, req->model);
	if (pe_wire_has_turn(req)) {
		if (system.data) {
			pe_wire_key(b, "system");
			pe_json_quote(b, system.data, system.len);
		}
		pe_buf_adds(b, ",\"messages\":");
		pe_wire_roles(b, req, 1);
	} else {
		pe_buf_adds(b, ",\"messages\":[{\"role\":\"user\","
			       "\"content\":");
		pe_json_quote(b, system.data ? system.data : "", system.len);
		pe_buf_adds(b, "}]");
	}
	pe_buf_release(&system);
	pe_wire_key(b, "max_tokens");
	pe_json_int(b, pe_wire_has_param(req, PE_PARAM_MAX_TOKENS)
			       ? req->params->max_tokens
			       : ANTHROPIC_MAX_TOKENS);
	pe_wire_settings(b, req, settings, sizeof(settings) / sizeof(*settings),
			 NULL, NULL);
	write_output_config(b, sc);
	if (req->stream)
		pe_buf_adds(b, ",\"stream\":true");
	pe_buf_addc(b, '}');
}

/* The Messages API takes temperatures from 0 to 1 only. */
static void check_anthropic(const struct pe_chat_request *req,
			    struct pe_strlist *errors,
			    struct pe_strlist *warnings)
{
	double t;

	(void)warnings;
	if (pe_wire_temperature(req, &t) && t > 1)
		pe_wire_note(errors,
			     "temperature %g is above 1, the most the "
			     "anthropic Messages API takes",
			     t);
}

static void write_url(struct pe_buf *url, const char *base,
		      const struct pe_chat_request *req)
{
	(void)req;
	pe_wire_add_base(url, base, NULL, NULL);
	pe_buf_adds(url, "/v1/messages");
}

static void add_headers(struct pe_strlist *h, const char *api_key)
{
	pe_wire_header(h, "content-type", "application/json");
	pe_wire_header(h, "anthropic-version", "2023-06-01");
	if (api_key)
		pe_wire_header(h, "x-api-key", api_key);
}

static enum pe_reply_class anthropic_quota(long status,
					   const struct pe_error_body *e,
					   struct pe_buf *detail)
{
	const char *code = pe_wire_str(
		pe_wire_get(pe_wire_get(e->error, "details"), "error_code"));

	(void)detail;
	if (pe_wire_str_is(e->type, "billing_error") ||
	    pe_wire_str_is(code, "enforced_spend_limit_reached"))
		return PE_REPLY_QUOTA;
	return status >= 400 && status < 500 &&
			       (pe_wire_contains_nocase(e->message,
							e->message_len,
							"credit balance") ||
				pe_wire_contains_nocase(e->message,
							e->message_len,
							"spend limit") ||
				pe_wire_contains_nocase(e->message,
							e->message_len,
							"usage limit"))
		       ? PE_REPLY_QUOTA
		       : PE_REPLY_OK;
}

/* The HTTP status an error type inside a 2xx body stands for, or 0. */
static long error_status(const struct pe_error_body *e)
{
	static const struct {
		const char *type;
		long status;
	} types[] = {
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

	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (pe_wire_str_is(e->type, types[i].type))
			return types[i].status;
	return 0;
}

/* Input tokens include the cache writes and reads, as the API bills. */
static void anthropic_usage(struct pe_reply *r, const struct pe_node *usage)
{
	static const char *const extra[] = { "cache_creation_input_tokens",
					     "cache_read_input_tokens" };
	long in, more;

	if (pe_wire_long(pe_wire_get(usage, "input_tokens"), &in)) {
		for (size_t i = 0; i < sizeof(extra) / sizeof(*extra); i++)
			if (pe_wire_long(pe_wire_get(usage, extra[i]), &more))
				in += more;
		r->tokens_in = in;
	}
	pe_wire_long(pe_wire_get(usage, "output_tokens"), &r->tokens_out);
}

static void anthropic_plain(struct pe_reply *r, const struct pe_node *root)
{
	const struct pe_node *content = pe_wire_get(root, "content"), *block;

	if (!pe_wire_need_object(r, root, 0))
		return;
	if (pe_wire_has_error(root)) {
		pe_wire_fail_payload(r, root);
		return;
	}
	pe_wire_set_string(&r->model, pe_wire_get(root, "model"));
	anthropic_usage(r, pe_wire_get(root, "usage"));
	if (!content || content->kind != PE_NODE_SEQ)
		return;
	r->saw_answer = 1;
	pe_wire_set_string(&r->finish_reason, pe_wire_get(root, "stop_reason"));
	for (size_t i = 0; (block = pe_wire_item(content, i)); i++)
		if (pe_wire_str_is(pe_wire_str(pe_wire_get(block, "type")),
				   "text"))
			pe_wire_add_output(r, pe_wire_get(block, "text"));
}

static int anthropic_event(struct pe_reply *r, const char *event,
			   const char *data, size_t len)
{
	const struct pe_node *root = pe_wire_parse_json(r, data, len), *delta;
	const char *type;

	if (!root)
		return -1;
	type = pe_wire_str(pe_wire_get(root, "type"));
	if (!type)
		type = event;
	if (pe_wire_str_is(type, "error") || pe_wire_has_error(root)) {
		pe_wire_fail_payload(r, root);
	} else if (pe_wire_str_is(type, "message_start")) {
		pe_wire_set_string(
			&r->model,
			pe_wire_get(pe_wire_get(root, "message"), "model"));
		anthropic_usage(
			r, pe_wire_get(pe_wire_get(root, "message"), "usage"));
	} else if (pe_wire_str_is(type, "content_block_delta")) {
		delta = pe_wire_get(root, "delta");
		r->saw_answer = 1;
		if (pe_wire_str_is(pe_wire_str(pe_wire_get(delta, "type")),
				   "text_delta"))
			pe_wire_add_output(r, pe_wire_get(delta, "text"));
	} else if (pe_wire_str_is(type, "message_delta")) {
		r->saw_answer = 1;
		pe_wire_set_string(
			&r->finish_reason,
			pe_wire_get(pe_wire_get(root, "delta"), "stop_reason"));
		anthropic_usage(r, pe_wire_get(root, "usage"));
	} else if (pe_wire_str_is(type, "message_stop")) {
		r->done = r->stop = 1;
	}
	return 0;
}

static const char *const anthropic_prefixes[] = { "claude-", NULL };

/* Anthropic's Messages API. */
const struct pe_provider_ops pe_anthropic_ops = {
	.name = "anthropic",
	.default_base = "https://api.anthropic.com",
	.key_env = "ANTHROPIC_API_KEY",
	.base_env = "ANTHROPIC_BASE_URL",
	.needs_key = 1,
	.model_prefixes = anthropic_prefixes,
	.write_body = write_anthropic,
	.write_url = write_url,
	.add_headers = add_headers,
	.parse_plain = anthropic_plain,
	.parse_event = anthropic_event,
	.quota = anthropic_quota,
	.error_status = error_status,
	.check = check_anthropic,
};
